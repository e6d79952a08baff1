"""What can go wrong when a notebook talks to the platform: one exception per kind, each with a
message (what happened) and a hint (what to do), shown together as one line."""


class GcError(Exception):
    """Something the platform refused or could not do; ``str()`` is one line saying what to do."""

    hint = ""

    def __init__(self, message, hint=None, status=None):
        super().__init__(message)
        self.message = message.strip()
        if hint is not None:
            self.hint = hint
        self.status = status

    def __str__(self):
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class NotSignedIn(GcError):
    """No token, or the hub no longer accepts it (expired or revoked)."""

    hint = (
        "Your server's hub token has expired or was revoked: restart your server from the hub's"
        " Control Panel (File > Hub Control Panel), then run this again."
    )


class PermissionDenied(GcError):
    """Signed in, but not allowed to do this."""


class NotFound(GcError):
    """No such challenge, phase, algorithm, submission or file (or it is not yours to see)."""

    hint = "List what you can use with %gc_challenges."


class LimitReached(GcError):
    """A phase's submission limit is used up for now."""

    hint = "%gc_challenges shows how many submissions you have left in each phase."


class Conflict(GcError):
    """The request does not fit the current state (a phase closed, a parent phase not passed, …)."""


class TooLarge(GcError):
    """A file is larger than the platform takes (or over the upload quota)."""


class InvalidInput(GcError):
    """The platform cannot use what was sent: a wrong format, a missing file, a bad argument."""


class ServiceUnavailable(GcError):
    """A service did not answer: the platform is down, restarting, or unreachable from here."""

    hint = "The platform may be restarting: try again in a minute; if it persists, tell the platform's admins."


class JobFailed(GcError):
    """A build, an import or a job ended without success; the message carries the reason."""


def error_for(status, message, service):
    """The exception for an API answer with HTTP ``status`` and the service's ``message``."""
    if status in (401, 403) and ("Not signed in" in message or status == 401):
        return NotSignedIn("The platform does not accept this notebook's hub token.", status=status)
    if status == 403:
        return PermissionDenied(message, status=status)
    if status == 404:
        return NotFound(message, status=status)
    if status == 409 and "used your" in message:
        return LimitReached(message, status=status)
    if status == 409:
        return Conflict(message, status=status)
    if status == 413:
        return TooLarge(message, status=status)
    if status in (502, 503, 504):
        return ServiceUnavailable(f"The {service} service is not available right now ({status}).", status=status)
    if 400 <= status < 500:
        return InvalidInput(message, status=status)
    return GcError(
        f"The {service} service failed ({status}): {message}",
        "Try again; if it persists, tell the platform's admins.",
        status=status,
    )
