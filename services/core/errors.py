"""Errors that carry a message for the user and an HTTP-like status, apart from any log message."""

import re


class GcError(Exception):
    """A failure the user can act on: ``message`` is shown to them, ``status`` is the HTTP status."""

    status = 400

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(GcError):
    """The object does not exist (or the user may not know that it does)."""

    status = 404


class PermissionDenied(GcError):
    """The user may not do this."""

    status = 403


class Conflict(GcError):
    """The request clashes with stored data, such as a slug that is taken."""

    status = 409


class InvalidValue(GcError):
    """A value does not fit where it is put: a socket's schema, a slug's pattern, a role's names."""

    status = 422


class InvalidTransition(GcError):
    """A status cannot move from where it is to where it was asked to go."""

    status = 409


def noun(obj):
    """How messages name the kind of ``obj``: ``AlgorithmJob`` becomes "algorithm job"."""
    cls = obj if isinstance(obj, type) else type(obj)
    return re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()


def with_article(text):
    """ "an archive", "a phase"."""
    return f"{'an' if text[0] in 'aeiou' else 'a'} {text}"
