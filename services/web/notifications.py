"""Notifications of the person asking (challenges service): the list, the unread count, marking
them read, and how they hear of each kind of event. Nobody reaches another's notifications: every
query is of the caller's own rows."""

from sqlalchemy import select, update
from tornado import web

from ..api import notifications as shapes
from ..core.errors import GcError
from ..core.orm import utcnow
from ..core.orm.notifications import (
    KIND_WORDS,
    Delivery,
    MailAddress,
    Notification,
    NotificationKind,
    NotificationPreference,
    check_address,
    unread_count,
)
from .base import PAGE_QUERY, APIHandler, Query, endpoint


class NotificationAccess:
    """What the caller may do with their own notifications; used by the API and the pages."""

    def my_notifications(self, unread_only=False):
        query = select(Notification).where(Notification.username == self.username)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        return query.order_by(Notification.id.desc())

    def unread(self):
        return unread_count(self.db, self.username)

    def mark_read(self, ids=None):
        """Mark the caller's notifications ``ids`` (all of them when None) read; how many were."""
        query = update(Notification).where(Notification.username == self.username, Notification.read_at.is_(None))
        if ids is not None:
            query = query.where(Notification.id.in_(ids))
        marked = self.db.execute(query.values(read_at=utcnow())).rowcount
        self.commit()
        return marked

    def preferences(self):
        rows = dict(
            self.db.execute(
                select(NotificationPreference.kind, NotificationPreference.delivery).filter_by(username=self.username)
            ).all()
        )
        address = self.db.get(MailAddress, self.username)
        return shapes.Preferences(
            email=address.address if address else None,
            preferences=[
                shapes.Preference(kind=kind, description=KIND_WORDS[kind], delivery=rows.get(kind, Delivery.PLATFORM))
                for kind in NotificationKind
            ],
        )

    def set_preferences(self, email=..., chosen=None):
        """Set where the caller's mails go (``email``: an address, None for none, ... unchanged) and
        ``chosen`` ({kind: Delivery})."""
        if email is not ...:
            address = self.db.get(MailAddress, self.username)
            if email is None:
                if address is not None:
                    self.db.delete(address)
            elif address is None:
                self.db.add(MailAddress(username=self.username, address=check_address(email)))
            else:
                address.address = check_address(email)
        for kind, delivery in (chosen or {}).items():
            row = self.db.get(NotificationPreference, (self.username, kind))
            if row is None:
                self.db.add(NotificationPreference(username=self.username, kind=kind, delivery=delivery))
            else:
                row.delivery = delivery
        self.commit()
        return self.preferences()


class NotificationsHandler(NotificationAccess, APIHandler):
    """GET ?unread=true: my notifications, newest first."""

    @endpoint(
        returns=shapes.NotificationPage,
        query={**PAGE_QUERY, "unread": Query(bool, "Only the unread ones (true or false).")},
    )
    @web.authenticated
    def get(self):
        unread = self.get_argument("unread", "false")
        if unread not in ("true", "false"):
            raise GcError(f"?unread= must be true or false, not {unread!r}.")
        self.write_model(self.page(self.my_notifications(unread == "true"), shapes.Notification.from_object))


class UnreadHandler(NotificationAccess, APIHandler):
    """GET: how many of my notifications are unread (the bell)."""

    @endpoint(returns=shapes.UnreadCount)
    @web.authenticated
    def get(self):
        self.write_model(shapes.UnreadCount(unread=self.unread()))


class ReadHandler(NotificationAccess, APIHandler):
    """POST {"ids": [...]} or {"all": true}: mark my notifications read."""

    @endpoint(shapes.MarkRead, shapes.Marked)
    @web.authenticated
    def post(self):
        body = self.body()
        if body.ids is None and not body.all:
            raise GcError('Say which notifications to mark read: {"ids": [1, 2]} or {"all": true}.')
        marked = self.mark_read(None if body.all else body.ids)
        self.write_model(shapes.Marked(marked=marked, unread=self.unread()))


class PreferencesHandler(NotificationAccess, APIHandler):
    """GET: how I hear of each kind of event. PATCH {email?, deliveries?}: change it."""

    @endpoint(returns=shapes.Preferences)
    @web.authenticated
    def get(self):
        self.write_model(self.preferences())

    @endpoint(shapes.PreferencesUpdate, shapes.Preferences)
    @web.authenticated
    def patch(self):
        body = self.body()
        given = body.model_fields_set
        self.write_model(self.set_preferences(body.email if "email" in given else ..., body.deliveries))


def routes(prefix):
    api = prefix + "api/v1/notifications"
    return [
        (api, NotificationsHandler),
        (api + "/unread", UnreadHandler),
        (api + "/read", ReadHandler),
        (api + "/preferences", PreferencesHandler),
    ]
