"""Algorithm interfaces (as on grand-challenge): a set of input sockets and the set of output
sockets an algorithm makes from them. An algorithm has one or more; a phase says which it accepts;
a job runs the one whose inputs are the values it was given. Interfaces are shared: the same sets
are one interface, whoever names them."""

from sqlalchemy import select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import InvalidValue
from .base import Base, link_table
from .sockets import Socket

interface_inputs = link_table("algorithm_interface_inputs", "algorithm_interfaces", "sockets")
interface_outputs = link_table("algorithm_interface_outputs", "algorithm_interfaces", "sockets")


class AlgorithmInterface(Base):
    """Inputs → outputs. ``key`` (the sorted input slugs) is what a job's inputs are matched on."""

    __tablename__ = "algorithm_interfaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    inputs: Mapped[list[Socket]] = relationship(secondary=interface_inputs, order_by=Socket.slug)
    outputs: Mapped[list[Socket]] = relationship(secondary=interface_outputs, order_by=Socket.slug)

    @property
    def key(self):
        return tuple(sorted(socket.slug for socket in self.inputs))

    def describe(self):
        """``{a, b} → {c}``, as messages name an interface."""
        return f"{{{', '.join(self.key)}}} → {{{', '.join(sorted(s.slug for s in self.outputs))}}}"


def find_interface(session, inputs, outputs):
    """The interface of exactly these sockets, made (and added) if there is none yet. A socket may
    not be both an input and an output (a container reads one and writes the other at one path)."""
    inputs_key, outputs_key = sorted(s.slug for s in inputs), sorted(s.slug for s in outputs)
    both = set(inputs_key) & set(outputs_key)
    if both:
        raise InvalidValue(f"socket(s) {', '.join(sorted(both))} cannot be both an input and an output of an interface")
    with session.no_autoflush:
        for interface in session.scalars(select(AlgorithmInterface)):
            if list(interface.key) == inputs_key and sorted(s.slug for s in interface.outputs) == outputs_key:
                return interface
    interface = AlgorithmInterface(inputs=list(inputs), outputs=list(outputs))
    session.add(interface)
    return interface


def check_distinct(interfaces, owner):
    """``interfaces``, once each, if no two take the same inputs (a job could not choose between
    them); InvalidValue naming the inputs otherwise."""
    by_key = {}
    for interface in interfaces:
        if by_key.setdefault(interface.key, interface) is not interface:
            raise InvalidValue(
                f"{owner} has two interfaces that take the inputs {{{', '.join(interface.key)}}}: a job could not"
                " tell which to run; give each interface its own set of inputs"
            )
    return list(by_key.values())


def interface_for(interfaces, slugs):
    """The interface of ``interfaces`` whose inputs are exactly the socket slugs ``slugs``, or None."""
    key = tuple(sorted(slugs))
    return next((interface for interface in interfaces if interface.key == key), None)


def interface_within(interfaces, slugs):
    """The interface of ``interfaces`` with the most inputs that are all among ``slugs`` (a case
    may hold more values than an algorithm reads), or None."""
    fitting = [interface for interface in interfaces if set(interface.key) <= set(slugs)]
    return max(fitting, key=lambda interface: len(interface.key), default=None)


def serving(interfaces, wanted):
    """The interface of ``interfaces`` that serves ``wanted`` (a phase's): the same inputs, and at
    least its outputs (more are kept, not evaluated); or None."""
    outputs = {socket.slug for socket in wanted.outputs}
    return next(
        (i for i in interfaces if i.key == wanted.key and outputs <= {socket.slug for socket in i.outputs}), None
    )


def union(interfaces, side):
    """Every socket of ``side`` ("inputs" or "outputs") of ``interfaces``, once each, by slug."""
    sockets = {socket.slug: socket for interface in interfaces for socket in getattr(interface, side)}
    return [sockets[slug] for slug in sorted(sockets)]
