"""Where a phase's training data lies (served by the challenges service): the archive of the
phase's cases, for those who may read that archive.

A phase's archive is its admins' secret (``PhaseAdmin``) (it may be a hidden test set); when
the caller holds a role on it too (the demo's sanity-check cases, say), the cases are theirs to
download anyway, and this says which archive to fetch them from (``gc_extension``'s
``%gc_download``).
"""

from sqlalchemy import func, select
from tornado import web

from ..api.challenges import TrainingData
from ..core.errors import NotFound
from ..core.orm import ArchiveItem, ArchiveMember
from .base import APIHandler, endpoint
from .challenges import ChallengeAccess


class TrainingDataHandler(ChallengeAccess, APIHandler):
    """GET: ``{"archive": slug, "cases": count}`` of a phase I may see whose cases I may read;
    404 with what to do otherwise."""

    @endpoint(returns=TrainingData)
    @web.authenticated
    def get(self, slug, phase):
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase)
        archive = phase.archive
        readable = archive is not None and (
            self.hub_admin
            or self.db.scalar(
                select(ArchiveMember.role).filter_by(object_id=archive.id, username=self.username).limit(1)
            )
        )
        if not readable:
            raise NotFound(
                f"Phase {phase.slug!r} of {challenge.slug!r} has no training data that you may download;"
                " try another phase, or ask the challenge's admins where the training data is."
            )
        cases = self.db.scalar(select(func.count(ArchiveItem.id)).filter_by(archive_id=archive.id))
        self.write_model(TrainingData(challenge=challenge.slug, phase=phase.slug, archive=archive.slug, cases=cases))


def routes(prefix):
    phase = prefix + r"api/v1/challenges/(?P<slug>[a-z0-9][a-z0-9-]*)/phases/(?P<phase>[a-z0-9][a-z0-9-]*)"
    return [(phase + "/training-data", TrainingDataHandler)]
