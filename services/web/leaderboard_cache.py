"""Reusing a ranked leaderboard while nothing it was made of has changed.

Ranks are computed on read and never stored in the database. This keeps, in the service's
memory, the last few leaderboards with exactly what each was computed from: the evaluations
shown (id, and whether published) and the scoring settings. A read first asks the database for
those evaluations' ids, which is cheap (no metrics), and ranks again unless they are the same as
for a kept leaderboard; so a new, re-run, published or deleted result shows on the next read.
"""

from collections import OrderedDict


class LeaderboardCache:
    """The ``size`` most recently read leaderboards, each under a key with the version it was made from."""

    def __init__(self, size=16):
        self.size = size
        self._kept = OrderedDict()

    def get(self, key, version, make):
        """The value kept under ``key`` if it was made from ``version``; else ``make()``, which
        returns ``(value, the version it was made from)``, kept from now on."""
        kept = self._kept.get(key)
        if kept is not None and kept[0] == version:
            self._kept.move_to_end(key)
            return kept[1]
        value, made_from = make()
        self._kept[key] = (made_from, value)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return value
