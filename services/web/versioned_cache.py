"""Reusing what a process made while nothing it was made of has changed.

Each process of a service keeps, in its memory, the last few values it made (ranked
leaderboards, responses, counts), each with the version it was made from: a value read from the
database in the same transaction as what the value is made of, which changes in the same
transaction as any change to that (a phase's ``results_version``, services/core/orm/results_version.py;
the ``versions`` of services/core/orm/versions.py). So whichever process answers, a change shows
on the next read.
"""

from collections import OrderedDict


class VersionedCache:
    """The ``size`` values most recently asked for, each under a key with the version it was made from."""

    def __init__(self, size=16):
        self.size = size
        self._kept = OrderedDict()

    def kept(self, key):
        """The value kept under ``key`` whatever version it was made from (None if there is none)."""
        kept = self._kept.get(key)
        return None if kept is None else kept[1]

    def get(self, key, version, make):
        """The value kept under ``key`` if it was made from ``version``; else ``make()``, kept from now on."""
        kept = self._kept.get(key)
        if kept is not None and kept[0] == version:
            self._kept.move_to_end(key)
            return kept[1]
        value = make()
        self._kept[key] = (version, value)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return value
