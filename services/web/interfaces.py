"""Interfaces named in requests: an algorithm's or a phase's list of ``{"inputs", "outputs"}``
(socket slugs), or the shorthand of one interface given as separate inputs and outputs."""

from ..core.orm import check_distinct, find_interface
from .archives import sockets_by_slug


def interfaces_from(db, field, specs, owner):
    """The interfaces ``specs`` (api.algorithms.Interface) name, made where new; ``owner`` names
    the algorithm or phase in the refusal of two interfaces that take the same inputs."""
    interfaces = [
        find_interface(
            db,
            sockets_by_slug(db, f"{field}: inputs", spec.inputs),
            sockets_by_slug(db, f"{field}: outputs", spec.outputs),
        )
        for spec in specs
    ]
    return check_distinct(interfaces, owner)


def one_interface(db, inputs, outputs):
    """The shorthand: one interface of the socket slugs ``inputs`` → ``outputs``."""
    return [find_interface(db, sockets_by_slug(db, "inputs", inputs), sockets_by_slug(db, "outputs", outputs))]
