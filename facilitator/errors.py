"""Domain errors: raised by services, turned into flash messages, HTTP errors or error acks."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _


class DomainError(Exception):
    """A rule of the domain was broken. ``message`` is safe to show to the user."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__("forbidden", message or _("You are not allowed to do that."))


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__("not_found", message or _("That could not be found."))


def register_error_pages(app: Flask) -> None:
    def page(status: int, title: str, message: str):  # noqa: ANN202
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):  # noqa: ANN202
        return page(err.status, _("That did not work"), err.message)

    @app.errorhandler(400)
    def bad_request(err):  # noqa: ANN001, ANN202
        return page(400, _("Bad request"), _("The request could not be understood. Please go back and try again."))

    @app.errorhandler(403)
    def forbidden(err):  # noqa: ANN001, ANN202
        return page(403, _("Not allowed"), _("You are not allowed to see this page."))

    @app.errorhandler(404)
    def not_found(err):  # noqa: ANN001, ANN202
        return page(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(429)
    def too_many(err):  # noqa: ANN001, ANN202
        return page(429, _("Slow down"), _("Too many attempts. Please wait a few minutes and try again."))

    @app.errorhandler(500)
    def server_error(err):  # noqa: ANN001, ANN202
        return page(500, _("Something went wrong"), _("Something went wrong on our side. Please try again."))
