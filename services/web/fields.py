"""Reading the fields of a JSON request: each parser takes the field's name and value and
returns the value to store, or raises GcError saying what to send instead."""

import math
from datetime import UTC, datetime

from ..core.errors import GcError


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


# What an algorithm's or a phase's containers may use: each limit's parser, and the platform
# setting that is its ceiling (services/core/settings.py) with its unit.
LIMIT_FIELDS = {"cpu_limit": positive_number, "memory_limit_mb": whole(64), "time_limit_s": whole(1), "gpu": boolean}
CEILINGS = {
    "cpu_limit": ("max_cpu_limit", "CPUs"),
    "memory_limit_mb": ("max_memory_limit_mb", "MB"),
    "time_limit_s": ("max_time_limit_s", "seconds"),
}


def _number(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def container_limits(settings, fields, model=None):
    """The container limits among a request's ``fields``, parsed and held under the platform's
    ceilings in ``settings``: 400 naming the field, its value and the ceiling for one over it, or
    for a GPU where the platform has none. With ``model`` (a new Algorithm or Phase), the limits
    not given are its defaults, lowered to the ceilings where these are lower."""
    limits = {}
    for field, parse in LIMIT_FIELDS.items():
        if field in fields:
            limits[field] = parse(field, fields[field])
        elif model is not None:
            limits[field] = model.__table__.c[field].default.arg
            if field in CEILINGS:
                limits[field] = min(limits[field], getattr(settings, CEILINGS[field][0]))
    for field, (setting, unit) in CEILINGS.items():
        ceiling = getattr(settings, setting)
        if field in limits and limits[field] > ceiling:
            raise GcError(
                f"{field} {_number(limits[field])} is over this platform's ceiling of {_number(ceiling)} "
                f"{unit}; ask its admins if your containers need more."
            )
    if limits.get("gpu") and not settings.gpu_enabled:
        raise GcError("gpu: this platform has no GPUs for containers; set gpu to false, or ask its admins for one.")
    return limits
