"""Uploading Inspect logs: upload one or many, preview what will be created, confirm."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from exchange import access
from exchange.accounts.errors import ServiceError
from exchange.evaluations import bp, importing
from exchange.evaluations.forms import ConfirmImportForm, UploadLogsForm
from exchange.evaluations.models import SourceLog
from exchange.evaluations.queries import load_editable_record, load_record
from exchange.extensions import db

MAX_FILES = 50


def _target_record(slug: str | None):
    return load_editable_record(slug) if slug else None


@bp.route("/import", methods=["GET", "POST"])
@login_required
def upload_logs():
    """Upload Inspect logs (.eval or .json) and see what they contain before importing."""
    form = UploadLogsForm()
    record_slug = request.values.get("record") or None
    record = _target_record(record_slug)
    if request.method == "GET":
        form.record.data = record_slug or ""
    staged = []
    if form.validate_on_submit():
        files = [f for f in request.files.getlist("logs") if f and f.filename]
        if not files:
            form.logs.errors = [_("Choose one or more Inspect log files.")]
        elif len(files) > MAX_FILES:
            form.logs.errors = [_("Upload at most %(n)d files at a time.", n=MAX_FILES)]
        else:
            staged = [importing.stage(current_user, f.filename, f.read()) for f in files]
            if any(s.run for s in staged):
                confirm = ConfirmImportForm(formdata=None, record=record_slug or "")
                return render_template(
                    "evaluations/import_preview.html",
                    staged=staged,
                    record=record,
                    form=confirm,
                )
            form.logs.errors = [_("None of the files could be read as an Inspect log.")]
    status = 400 if form.errors or request.method == "POST" else 200
    return render_template(
        "evaluations/upload_logs.html", form=form, record=record, staged=staged
    ), status


@bp.post("/import/confirm")
@login_required
def confirm_import():
    """Import the previewed runs (duplicates are skipped)."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    record = _target_record(form.record.data or None)
    digests = request.form.getlist("sha256")
    names = request.form.getlist("file_name")
    references = set(request.form.getlist("reference"))
    if not digests or len(digests) != len(names) or len(digests) > MAX_FILES:
        abort(400)
    items = []
    try:
        for digest, name in zip(digests, names, strict=True):
            run, data = importing.load_staged(current_user, digest, name)
            items.append((run, data, digest in references))
        summary = importing.import_runs(current_user, items, record, form.title.data or "")
    except ServiceError as error:
        flash(str(error.message), "error")
        return redirect(url_for("evaluations.upload_logs", record=form.record.data or None))
    if not summary.imported:
        flash(_("Every run was already imported; nothing new was added."), "info")
        return redirect(url_for("evaluations.list_records"))
    imported = ngettext("%(num)d run imported", "%(num)d runs imported", len(summary.imported))
    skipped = ngettext(
        "%(num)d duplicate skipped", "%(num)d duplicates skipped", len(summary.duplicates)
    )
    flash(f"{imported}, {skipped}.", "success")
    return redirect(url_for("evaluations.view_record", slug=summary.records[0].slug))


@bp.get("/<slug>/logs/<int:log_id>")
def download_log(slug: str, log_id: int):
    """Download an imported Inspect log, for those who may read the record."""
    record = load_record(slug)
    source = db.session.scalar(
        select(SourceLog).where(SourceLog.id == log_id, SourceLog.record_id == record.id)
    )
    path = importing.log_path(source.sha256) if source else None
    if source is None or not path.exists() or not access.can_view(current_user, record):
        abort(404)
    response = send_file(
        path,
        mimetype="application/zip" if source.format == "eval" else "application/json",
        as_attachment=True,
        download_name=source.file_name,
        etag=source.sha256,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
