"""Accounts: institutes, users, roles, invitations, sign-in and profile."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from exchange.accounts import views  # noqa: E402, F401
