from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from facilitator.auth import services
from facilitator.auth.forms import AccountForm, LoginForm, PasswordForm
from facilitator.errors import DomainError
from facilitator.extensions import db, login_manager

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):  # noqa: ANN201
    from facilitator.auth.models import Facilitator

    try:
        return db.session.get(Facilitator, int(user_id))
    except ValueError:
        return None


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("workshops.index")


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response:
    """First run: create the first facilitator account. Closed once any account exists."""
    if services.facilitator_count() > 0:
        return redirect(url_for("auth.login"))
    form = AccountForm()
    if form.validate_on_submit():
        try:
            facilitator = services.create_facilitator(form.name.data, form.email.data, form.password.data)
        except DomainError as err:
            flash(err.message, "error")
        else:
            login_user(facilitator, remember=True)
            flash(_("Welcome, %(name)s. Your account is ready.", name=facilitator.name), "success")
            return redirect(url_for("workshops.index"))
    return render_template("auth/setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if services.facilitator_count() == 0:
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("workshops.index"))
    form = LoginForm()
    if form.validate_on_submit():
        facilitator = services.authenticate(form.email.data, form.password.data)
        if facilitator is None:
            flash(_("That email and password do not match an account."), "error")
        else:
            login_user(facilitator, remember=True)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("workshops.index"))
    return render_template("auth/password.html", form=form)
