"""Server-rendered pages: a form's mistakes come back on the page with what was typed."""

from ..core.errors import GcError
from .base import ServiceHandler


def shown(model):
    """What a page shows of a response model: its JSON, as Python values for a template."""
    return model.model_dump(mode="json")


class PageHandler(ServiceHandler):
    """A page for people in a browser (hub OAuth cookie; forms carry the XSRF token)."""

    def render_page(self, template, status=200, error=None, form=None, **values):
        self.set_status(status)
        self.render(template, error=error, form=form or {}, **values)

    def form(self, *names):
        return {name: self.get_body_argument(name, "").strip() for name in names}

    def submit(self, action, on_error):
        """Run ``action()``; on a GcError, show ``on_error(error)`` (a re-rendered form)."""
        try:
            return action()
        except GcError as e:
            self.db.rollback()
            on_error(e)
            return None

    def get_template_path(self):
        return self.settings["template_path"]
