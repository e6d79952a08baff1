"""The fields of request bodies: each parser takes the field's name and value and returns the value
to store, or raises GcError saying what to send instead. ``checked`` makes one a pydantic validator,
and the ``Annotated`` types below are the fields that the request models are made of."""

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainValidator, WithJsonSchema

from ..core.errors import GcError, InvalidValue
from ..core.orm.base import SLUG


def text(field, value, max_length=255, empty=False):
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise GcError(f"{field} must be a {'' if empty else 'non-empty '}string, not {value!r}.")
    if len(value) > max_length:
        raise GcError(f"{field} must be at most {max_length} characters long, not {len(value)}.")
    return value if empty else value.strip()


def long_text(field, value):
    return text(field, value, max_length=100_000, empty=True)


def boolean(field, value):
    if not isinstance(value, bool):
        raise GcError(f"{field} must be true or false, not {value!r}.")
    return value


def whole(minimum):
    def parse(field, value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise GcError(f"{field} must be a whole number of at least {minimum}, not {value!r}.")
        return value

    return parse


def positive_number(field, value):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise GcError(f"{field} must be a finite number greater than 0, not {value!r}.")
    return float(value)


def choice(kind):
    def parse(field, value):
        try:
            return kind(value)
        except ValueError:
            raise GcError(f"{field} must be one of {', '.join(kind)}, not {value!r}.") from None

    return parse


def moment(field, value):
    if not isinstance(value, str):
        raise GcError(f"{field} must be an ISO 8601 time with a time zone, such as 2030-01-31T12:00:00Z.")
    try:
        time = datetime.fromisoformat(value)
    except ValueError:
        raise GcError(f"{field}: {value!r} is not an ISO 8601 time; write it like 2030-01-31T12:00:00Z.") from None
    if time.tzinfo is None:
        raise GcError(f"{field}: {value!r} has no time zone; add one, such as Z or +01:00.")
    return time.astimezone(UTC)


def nullable(parse):
    return lambda field, value: None if value is None else parse(field, value)


def quoted(wanted, fits):
    """A parser whose refusal reads "'<field>' must be <wanted>." (422): the archives service's wording."""

    def parse(field, value):
        if not fits(value):
            raise InvalidValue(f"'{field}' must be {wanted}.")
        return value

    return parse


def checked(parse):
    """``parse(field, value)`` as a validator of a model's field, run before pydantic's own check
    (which then always passes): its GcError reaches the user as it is."""
    return BeforeValidator(lambda value, info: parse(info.field_name, value))


def parsed(parse, kind, *, null=False, **schema):
    """A field of type ``kind`` read by ``parse`` (and null as None when ``null``); ``schema``
    holds the JSON Schema constraints that document what ``parse`` checks."""
    inner = Annotated[kind, Field(**schema)] if schema else kind
    if null:
        return Annotated[inner | None, checked(nullable(parse))]
    return Annotated[inner, checked(parse)]


def limited_text(max_length, *, null=False):
    """A non-empty text of at most ``max_length`` characters (or null as None when ``null``)."""
    return parsed(lambda field, value: text(field, value, max_length=max_length), str, null=null, max_length=max_length)


def one_choice(kind):
    """A value of enum ``kind``, refused with the list of its values."""
    return parsed(choice(kind), kind)


# The fields that request models are made of.
Text = parsed(text, str, min_length=1, max_length=255)
NullableText = parsed(text, str, null=True, min_length=1, max_length=255)
LongText = parsed(long_text, str, max_length=100_000)
Bool = parsed(boolean, bool)
PositiveNumber = parsed(positive_number, float, gt=0)


def stored(**schema):
    """A field taken as it is sent: the platform checks it where it is stored (a slug, a role, a
    socket value), with that check's message; ``schema`` documents what it takes."""
    return Annotated[Any, PlainValidator(lambda value: value), WithJsonSchema(schema)]


def one_of(kind):
    """``stored`` for a value of enum ``kind``, checked where it is stored."""
    return stored(type="string", enum=[member.value for member in kind])


# The archives service's fields (its messages quote the field's name).
AnyString = parsed(quoted("a string", lambda value: isinstance(value, str)), str)
NonEmptyString = parsed(quoted("a non-empty string", lambda value: isinstance(value, str) and value.strip()), str)
TrueOrFalse = parsed(quoted("true or false", lambda value: isinstance(value, bool)), bool)
Slug = stored(type="string", pattern=f"^{SLUG.pattern}$", examples=["chest-ct"])
