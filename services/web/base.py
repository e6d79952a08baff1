"""Request handlers that every service shares: hub authentication and consistent errors."""

import json
from http import HTTPStatus

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web
from tornado.escape import xhtml_escape


class ServiceHandler(HubOAuthenticated, web.RequestHandler):
    """A handler whose user is authenticated by the hub (OAuth cookie or API token)."""

    @property
    def platform(self):
        """The service's settings and shared objects (see app.py)."""
        return self.settings["platform"]

    @property
    def user(self):
        """The hub's model of the current user: name, admin, groups, scopes."""
        return self.current_user

    def error_message(self, status_code, exc_info):
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, web.HTTPError) and exc.log_message:
            return exc.log_message % exc.args if exc.args else exc.log_message
        return HTTPStatus(status_code).phrase

    def write_error(self, status_code, **kwargs):
        message = self.error_message(status_code, kwargs.get("exc_info"))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            f"<!doctype html><title>{status_code}</title><h1>{status_code} "
            f"{HTTPStatus(status_code).phrase}</h1><p>{xhtml_escape(message)}</p>"
        )


class APIHandler(ServiceHandler):
    """A JSON API handler: never redirects to a login page, errors are ``{status, message}``."""

    def get_login_url(self):
        raise web.HTTPError(
            403,
            "Not signed in: send a hub API token as 'Authorization: token <token>' "
            "(create one on the hub's Token page).",
        )

    def check_xsrf_cookie(self):
        # Token-authenticated API calls carry no cookie to forge; browser calls are checked.
        if self.request.headers.get("Authorization"):
            return
        return super().check_xsrf_cookie()

    def write_json(self, data, status=200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def write_error(self, status_code, **kwargs):
        message = self.error_message(status_code, kwargs.get("exc_info"))
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": status_code, "message": message}))


class NotFoundHandler(APIHandler):
    """Unknown paths: a JSON 404 that says so."""

    def prepare(self):
        raise web.HTTPError(404, f"No such endpoint: {self.request.path}")
