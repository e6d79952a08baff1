"""The shapes of notifications (challenges service): what happened, how many are unread, and how
each person chooses to hear of each kind of event."""

from pydantic import Field

from ..core.errors import GcError
from ..core.orm.notifications import Delivery, NotificationKind
from .common import Body, Shape, Time, page_of
from .fields import Bool, NullableText, one_choice, parsed


class Notification(Shape):
    """An event told to me."""

    id: int
    kind: NotificationKind
    subject: str
    message: str
    url: str = Field(description="Where to read more (a page of the platform), or empty.")
    created_at: Time
    read_at: Time | None


NotificationPage = page_of(Notification)


class UnreadCount(Shape):
    """How many of my notifications are unread."""

    unread: int = Field(ge=0)


def _ids(field, value):
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise GcError(f"{field} must be a list of notification ids (whole numbers), not {value!r}.")
    return value


class MarkRead(Body):
    """Mark notifications as read: the listed ones, or all of mine."""

    ids: parsed(_ids, list[int], null=True) = None
    all: Bool = False


class Marked(Shape):
    """How many notifications were marked read, and how many remain unread."""

    marked: int = Field(ge=0)
    unread: int = Field(ge=0)


class Preference(Shape):
    """How I hear of one kind of event."""

    kind: NotificationKind
    description: str
    delivery: Delivery


class Preferences(Shape):
    """How I hear of each kind of event, and where my e-mails go."""

    email: str | None = Field(description="Where my e-mails go; none: no e-mail is sent.")
    preferences: list[Preference]


class PreferencesUpdate(Body):
    """Change where my e-mails go (null: nowhere) and how I hear of some kinds of event."""

    email: NullableText = None
    deliveries: dict[NotificationKind, one_choice(Delivery)] = Field(
        default_factory=dict, description="Kind of event → platform, email or off."
    )
