"""Attachments: upload to a page, serve with the page's visibility and safe headers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from exchange.accounts.errors import ServiceError
from exchange.core.forms import show_service_error
from exchange.extensions import db
from exchange.wiki import attachments, bp, services
from exchange.wiki.forms import UploadForm
from exchange.wiki.models import Attachment
from exchange.wiki.queries import load_editable_page, load_page


@bp.route("/<slug>/files", methods=["GET", "POST"])
@login_required
def upload_file(slug: str):
    """Attach a file or image to a page."""
    page = load_editable_page(slug)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            attachment = services.add_attachment(
                current_user, page, upload.filename or "", upload.read()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _(
                    "%(name)s is attached. Link it with ![text](%(url)s).",
                    name=attachment.filename,
                    url=url_for("wiki.serve_file", slug=page.slug, filename=attachment.filename),
                ),
                "success",
            )
            return redirect(url_for("wiki.view_page", slug=page.slug))
    existing = db.session.scalars(
        select(Attachment).where(Attachment.page_id == page.id).order_by(Attachment.filename)
    ).all()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "wiki/upload_file.html", form=form, page=page, attachments=existing
    ), status


@bp.get("/<slug>/files/<path:filename>")
def serve_file(slug: str, filename: str):
    """Serve an attachment to those who may read its page."""
    page = load_page(slug)
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.page_id == page.id, Attachment.filename == filename)
    )
    if attachment is None:
        abort(404)
    path = attachments.path_for(attachment.sha256)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=not attachment.is_image,
        download_name=attachment.filename,
        conditional=True,
        etag=attachment.sha256,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
