"""Pages of my notifications (challenges service): the list, with marking read, and how I hear
of each kind of event. The bell in every page's navigation links here (base.html)."""

from tornado import web

from ..api.notifications import Notification
from ..core.errors import GcError
from ..core.orm.notifications import Delivery, NotificationKind
from .notifications import NotificationAccess
from .pages import PageHandler, page_routes, shown

SHOWN = 100  # notifications a page lists
DELIVERY_WORDS = {
    Delivery.PLATFORM: "Here, in the platform",
    Delivery.EMAIL: "Here and by e-mail",
    Delivery.OFF: "Not at all",
}


class NotificationsPage(NotificationAccess, PageHandler):
    """My notifications, newest first; POST marks one (``id``) or all of them read."""

    landing = True

    @web.authenticated
    def get(self):
        rows = self.db.scalars(self.my_notifications().limit(SHOWN)).all()
        self.render_page(
            "notifications.html",
            notifications=[shown(Notification.from_object(row)) for row in rows],
            unread=self.unread(),
        )

    @web.authenticated
    def post(self):
        which = self.get_body_argument("id", "")
        self.mark_read([int(which)] if which.isdigit() else None)
        self.redirect(self.request.path)


class PreferencesPage(NotificationAccess, PageHandler):
    """How I hear of each kind of event, and where my e-mails go."""

    landing = True

    def show(self, status=200, error=None, form=None):
        self.render_page(
            "notification_preferences.html",
            status,
            error,
            form,
            preferences=shown(self.preferences()),
            delivery_words=DELIVERY_WORDS,
            saved=self.get_argument("saved", "") == "1",
        )

    @web.authenticated
    def get(self):
        self.show()

    @web.authenticated
    def post(self):
        email = self.get_body_argument("email", "").strip()
        chosen = {}
        for kind in NotificationKind:
            value = self.get_body_argument(kind.value, Delivery.PLATFORM.value)
            if value not in set(Delivery):
                raise GcError(f"How to hear of {kind.value!r} must be one of {', '.join(Delivery)}, not {value!r}.")
            chosen[kind] = Delivery(value)
        done = self.submit(
            lambda: self.set_preferences(email or None, chosen),
            lambda e: self.show(e.status, e.message, {"email": email}),
        )
        if done:
            self.redirect(self.request.path + "?saved=1")


class BellCount(NotificationAccess, PageHandler):
    """GET: ``{"unread": n}`` for the bell in the hub's own pages (hub_config/templates/page.html),
    whose script signs in here first and sends this service's XSRF token."""

    @web.authenticated
    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish({"unread": self.unread()})


def routes(prefix):
    return page_routes(
        prefix,
        [
            (prefix + "notifications", NotificationsPage),
            (prefix + "notifications/preferences", PreferencesPage),
            (prefix + "notifications/bell", BellCount),
        ],
    )
