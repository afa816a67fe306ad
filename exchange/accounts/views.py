"""Sign-in, sign-out, sign-up, e-mail confirmation, password reset, invitations, profile."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from exchange.accounts import bp, management, services
from exchange.accounts.errors import ServiceError
from exchange.accounts.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    ChangePasswordForm,
    ConfirmForm,
    EmailOnlyForm,
    ProfileForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from exchange.accounts.models import TokenPurpose
from exchange.audit.services import record
from exchange.core.forms import show_service_error
from exchange.core.urls import safe_next
from exchange.extensions import db, limiter


def _account_key() -> str:
    return "account:" + services.normalize_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    # A successful sign-in redirects; anything else counts against the account.
    return response.status_code != 302


def _note_account_limit(_limit) -> None:
    record("sign_in_rate_limited", email=services.normalize_email(request.form.get("email", "")))
    db.session.commit()


def _locale() -> str:
    return str(get_locale() or "en")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_SIGNIN_PER_ADDRESS"], methods=["POST"], scope="signin-ip"
)
@limiter.limit(
    lambda: current_app.config["RATELIMIT_SIGNIN_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    on_breach=_note_account_limit,
    scope="signin-account",
)
def sign_in():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result, user = services.sign_in(form.email.data, form.password.data)
        if result is services.SignInResult.OK:
            login_user(user)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(safe_next(form.next.data) or url_for("core.home"))
        if result is services.SignInResult.UNCONFIRMED:
            form.email.errors.append(
                _("Please confirm your e-mail address first; we can send the link again.")
            )
            return render_template("accounts/sign_in.html", form=form, unconfirmed=True)
        form.password.errors.append(_("Wrong e-mail address or password."))
    return render_template("accounts/sign_in.html", form=form, unconfirmed=False)


@bp.post("/sign-out")
@login_required
def sign_out():
    """Sign out."""
    services.record_sign_out(current_user)
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("core.home"))


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_EMAIL_PER_ADDRESS"], methods=["POST"], scope="email"
)
def sign_up():
    """Create an account with an institute e-mail address."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            services.sign_up(form.email.data, form.display_name.data, form.password.data, _locale())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/sign_up.html", form=form)


@bp.post("/confirm/resend")
@limiter.limit(
    lambda: current_app.config["RATELIMIT_EMAIL_PER_ADDRESS"], methods=["POST"], scope="email"
)
def resend_confirmation():
    """E-mail the confirmation link again."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data)
    flash(_("Enter a valid e-mail address."), "error")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Confirm an e-mail address from the e-mailed link (with a button, never on GET alone)."""
    if services.find_token(token, TokenPurpose.CONFIRM_EMAIL) is None:
        return render_template("accounts/link_invalid.html"), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = services.confirm_email(token)
        except ServiceError as error:
            flash(str(error.message), "error")
            return render_template("accounts/link_invalid.html"), 404
        login_user(user)
        flash(_("Your e-mail address is confirmed. Welcome to Exchange."), "success")
        return redirect(url_for("core.home"))
    return render_template("accounts/confirm_email.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_EMAIL_PER_ADDRESS"], methods=["POST"], scope="email"
)
def forgot_password():
    """Ask for a password reset link."""
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, _locale())
        return render_template("accounts/check_email.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from the e-mailed link."""
    if services.find_token(token, TokenPurpose.RESET_PASSWORD) is None:
        return render_template("accounts/link_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            logout_user()
            login_user(user)
            flash(_("Your password is changed and you are signed in."), "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Accept an invitation: choose a name and password, then land signed in."""
    invitation = management.find_invitation(token)
    if invitation is None:
        return render_template("accounts/link_invalid.html"), 404
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = management.accept_invitation(
                token, form.display_name.data, form.password.data, _locale()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            logout_user()
            login_user(user)
            flash(_("Welcome to Exchange, %(name)s.", name=user.display_name), "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def edit_profile():
    """Edit your name and interface language."""
    form = ProfileForm(obj=current_user) if request.method == "GET" else ProfileForm()
    if request.method == "GET":
        form.locale.data = current_user.locale or _locale()
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.locale.data)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.edit_profile"))
    return render_template(
        "accounts/edit_profile.html", form=form, password_form=ChangePasswordForm()
    )


@bp.post("/account/password")
@login_required
def change_password():
    """Change your password (your other sessions end)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            login_user(current_user._get_current_object())  # keep this session, new version
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.edit_profile"))
    profile_form = ProfileForm(obj=current_user)
    return render_template("accounts/edit_profile.html", form=profile_form, password_form=form), 400


def load_user(session_id: str):
    return services.load_session_user(session_id)


def unauthorized():
    if request.method == "GET":
        flash(_("Please sign in to see this page."), "info")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    abort(401 if request.path.startswith("/api/") else 403)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def list_tokens():
    """Personal access tokens for the API: create (shown once) and revoke."""
    from exchange.api import tokens
    from exchange.api.models import ApiToken

    form = ApiTokenForm()
    created = None
    if form.validate_on_submit():
        try:
            _token, created = tokens.create_token(current_user, form.name.data, int(form.days.data))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            form = ApiTokenForm(formdata=None)
    rows = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("accounts/list_tokens.html", form=form, tokens=rows, created=created), (
        400 if form.errors else 200
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of your tokens."""
    from exchange.api import tokens
    from exchange.api.models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    tokens.revoke_token(current_user, token)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("accounts.list_tokens"))
