"""gc-hub's in-container extension: the services' client, notebook magics and viewer helpers.

``gc_extension.Client`` works in any Python; in IPython, ``%load_ext gc_extension`` (done for
you in gc-hub's images) adds the ``%gc_*`` magics: ``%gc_challenges``, ``%gc_join``,
``%gc_download``, ``%gc_submit``, ``%gc_algorithm`` / ``%%gc_algorithm``, ``%gc_status``,
``%gc_leaderboard``, ``%gc_run`` and ``%gc_team`` (each takes ``--help``).
"""

from .client import Client
from .errors import (
    Conflict,
    GcError,
    InvalidInput,
    JobFailed,
    LimitReached,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    ServiceUnavailable,
    TooLarge,
)

__version__ = "0.1.0"
__all__ = [
    "Client",
    "Conflict",
    "GcError",
    "InvalidInput",
    "JobFailed",
    "LimitReached",
    "NotFound",
    "NotSignedIn",
    "PermissionDenied",
    "ServiceUnavailable",
    "TooLarge",
    "load_ipython_extension",
]


def load_ipython_extension(ipython):
    """``%load_ext gc_extension``: register the ``%gc_*`` magics."""
    from .magics import load

    load(ipython)
