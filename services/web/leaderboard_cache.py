"""Reusing ranked leaderboards and their responses while nothing they were made of has changed.

Ranks are computed on read and never stored in the database. Each process of the leaderboard
service keeps, in its memory, the last few leaderboards it ranked and the last responses it
made of them, each with the version it was made from: the ``results_version`` of the phases it
shows (a new value whenever an evaluation is published, changed, added or deleted, or the phase's
settings change; see services/core/orm/results_version.py). That version is read with the phase
on every request, so whichever process answers, a new result shows on the next read.
"""

from collections import OrderedDict


class LeaderboardCache:
    """The ``size`` values most recently asked for, each under a key with the version it was made from."""

    def __init__(self, size=16):
        self.size = size
        self._kept = OrderedDict()

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
