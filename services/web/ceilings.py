"""Container limits held under the platform's ceilings: what an algorithm's or a phase's
containers may use, each limit with the platform setting that is its ceiling
(services/core/settings.py) and its unit."""

from ..api.algorithms import ContainerLimitsBody
from ..core.errors import GcError

LIMIT_FIELDS = tuple(ContainerLimitsBody.model_fields)
CEILINGS = {
    "cpu_limit": ("max_cpu_limit", "CPUs"),
    "memory_limit_mb": ("max_memory_limit_mb", "MB"),
    "time_limit_s": ("max_time_limit_s", "seconds"),
}


def _number(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def container_limits(settings, limits, model=None):
    """``limits`` (checked values by field name, as ``ContainerLimitsBody.limits`` gives them)
    held under the platform's ceilings in ``settings``: 400 naming the field, its value and the
    ceiling for one over it, or for a GPU where the platform has none. With ``model`` (a new
    Algorithm or Phase), the limits not given are its defaults, lowered to the ceilings where
    these are lower."""
    limits = dict(limits)
    for field in LIMIT_FIELDS:
        if field not in limits and model is not None:
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
