"""The challenges service's API: challenges, their admins, join requests and phases.

A challenge's existence, title and description are public; its phases are shown by their
visibility (``public`` to all, ``participants`` to participants and admins, ``hidden`` to admins
only), and a phase's hidden test set, ground truth and evaluation method only to its admins.
Hub admins may see and do everything.
"""

from typing import NamedTuple

from sqlalchemy import and_, bindparam, select
from tornado import web

from ..api import challenges as shapes
from ..api.fields import choice
from ..core.database import PooledQuery
from ..core.errors import Conflict, GcError, NotFound, PermissionDenied
from ..core.events import join_answered, join_requested
from ..core.orm import (
    Archive,
    ArchiveMember,
    ArchiveRole,
    Challenge,
    ChallengeMember,
    ChallengeRole,
    JoinRequest,
    JoinRequestStatus,
    Phase,
    Visibility,
    decide,
    grant,
    remove,
    revoke,
    save,
    usernames,
)
from ..core.paths import check_ground_truth_path
from .archives import sockets_by_slug
from .base import APIHandler, Query, endpoint
from .ceilings import LIMIT_FIELDS, container_limits
from .interfaces import interfaces_from, one_interface

CREATE = "custom:challenges:create"
PARTICIPATE = "custom:challenges:participate"
# The phase settings that name other things: phases and archives by slug, lists of socket slugs.
REFERENCES = ("parent", "archive")
INTERFACE_FIELDS = (
    "algorithm_inputs",
    "algorithm_outputs",
    "algorithm_interfaces",
    "evaluation_additional_inputs",
    "evaluation_additional_outputs",
)
EVALUATION_SOCKETS = ("evaluation_additional_inputs", "evaluation_additional_outputs")
# The ids of a challenge and of its phase of a slug (None if it has none), the phase's visibility
# and results version, and the caller's roles on the challenge (one row per role; None for none):
# what a read of a phase's leaderboard needs before it may answer what it kept, in one query on a
# pooled connection (no session, no ORM objects). Made once; each read only binds its slugs and username.
PHASE_AND_ROLES = PooledQuery(
    select(Challenge.id, Phase.id, Phase.visibility, Phase.results_version, ChallengeMember.role)
    .outerjoin(Phase, and_(Phase.challenge_id == Challenge.id, Phase.slug == bindparam("phase")))
    .outerjoin(
        ChallengeMember,
        and_(ChallengeMember.object_id == Challenge.id, ChallengeMember.username == bindparam("username")),
    )
    .where(Challenge.slug == bindparam("slug"))
)


class SeenPhase(NamedTuple):
    """A phase that the caller may see, as ``ChallengeAccess.seen_phase`` found it."""

    challenge_id: int
    id: int
    results_version: str
    admin: bool  # whether the caller administers its challenge (or the hub)


# --- what the API returns -----------------------------------------------------------------


def _parent_shown(phase):
    """Whether everyone who may see ``phase`` may see its parent too: a public parent, or a
    participants-only parent of a participants-only phase. A hidden parent is never named."""
    parent = phase.parent.visibility
    return parent == Visibility.PUBLIC or parent == phase.visibility == Visibility.PARTICIPANTS


def phase_shape(phase, admin):
    """A phase as the viewer sees it; an admin of its challenge sees its test set, ground truth
    and evaluation method too (``PhaseAdmin``)."""
    if admin:
        return shapes.PhaseAdmin.of(phase)
    return shapes.Phase.of(phase, phase.parent.slug if phase.parent and _parent_shown(phase) else None)


# --- finding things and acting on them (the API's handlers and the pages share these) -------


def _shown_visibilities(roles):
    """The visibilities of the phases that a caller with ``roles`` (not an admin) may see."""
    return [Visibility.PUBLIC, Visibility.PARTICIPANTS] if ChallengeRole.PARTICIPANT in roles else [Visibility.PUBLIC]


def _no_challenge(slug):
    return NotFound(f"There is no challenge with slug {slug!r}.")


def _no_phase(challenge_slug, slug):
    # a hidden phase is answered as one that is missing: its existence is its admins' alone
    return NotFound(f"Challenge {challenge_slug!r} has no phase {slug!r}.")


class ChallengeAccess:
    """Finds challenges, phases and join requests, checks the caller's roles, and makes the
    changes the API and the pages both offer. Permission gates (``admin_challenge``,
    ``joinable_challenge``, ``admin_phase``) come first so that callers may read their input after."""

    @property
    def hub_admin(self):
        return bool(self.user.get("admin"))

    def require_permission(self, scope, doing):
        """PermissionDenied unless the caller is a hub admin or their hub groups grant ``scope``."""
        if not self.hub_admin:
            self.require_scope(scope, doing)

    def roles(self, challenge):
        query = select(ChallengeMember.role).filter_by(object_id=challenge.id, username=self.username)
        return {str(role) for role in self.db.scalars(query)}

    def is_admin(self, challenge):
        return self.hub_admin or ChallengeRole.ADMIN in self.roles(challenge)

    def admins(self, challenge):
        return usernames(self.db, challenge, ChallengeRole.ADMIN)

    def pending_request(self, challenge):
        query = select(JoinRequest).filter_by(
            challenge_id=challenge.id, username=self.username, status=JoinRequestStatus.PENDING
        )
        return self.db.scalar(query)

    def join_requests(self, challenge, status=None):
        """The query of the challenge's join requests, of one ``status`` if given."""
        query = select(JoinRequest).filter_by(challenge_id=challenge.id).order_by(JoinRequest.id)
        return query if status is None else query.filter_by(status=status)

    def challenge(self, slug):
        challenge = self.db.scalar(select(Challenge).filter_by(slug=slug))
        if challenge is None:
            raise _no_challenge(slug)
        return challenge

    def admin_challenge(self, slug, doing):
        """The challenge, or PermissionDenied unless the caller administers it."""
        challenge = self.challenge(slug)
        if not self.is_admin(challenge):
            raise PermissionDenied(f"Only the admins of challenge {slug!r} may {doing}.")
        return challenge

    def joinable_challenge(self, slug):
        """The challenge, if the caller may join challenges at all."""
        self.require_permission(PARTICIPATE, "join challenges")
        return self.challenge(slug)

    def visible_phases(self, challenge):
        """The query of the challenge's phases that the caller may see."""
        query = select(Phase).filter_by(challenge_id=challenge.id).order_by(Phase.id)
        if self.is_admin(challenge):
            return query
        return query.where(Phase.visibility.in_(_shown_visibilities(self.roles(challenge))))

    def phase(self, challenge, slug):
        """A phase the caller may see; NotFound alike for one that is missing and one hidden."""
        phase = self.db.scalar(self.visible_phases(challenge).where(Phase.slug == slug))
        if phase is None:
            raise _no_phase(challenge.slug, slug)
        return phase

    def seen_phase(self, slug, phase_slug):
        """A ``SeenPhase``: what ``challenge``, ``phase`` and ``is_admin`` find, by the same rules,
        in one query (``PHASE_AND_ROLES``); ``seen_objects`` then gives the challenge and phase."""
        engine = self.platform["engine"]
        rows = PHASE_AND_ROLES.rows(engine, slug=slug, phase=phase_slug, username=self.username)
        if not rows:
            raise _no_challenge(slug)
        challenge_id, phase_id, visibility, results_version, _ = rows[0]
        roles = {role for *_, role in rows if role is not None}
        admin = self.hub_admin or ChallengeRole.ADMIN in roles
        if phase_id is None or not (admin or visibility in _shown_visibilities(roles)):
            raise _no_phase(slug, phase_slug)
        return SeenPhase(challenge_id, phase_id, results_version, admin)

    def seen_objects(self, seen):
        """``(challenge, phase)`` of a ``SeenPhase``, read after it (never older)."""
        return self.db.get(Challenge, seen.challenge_id), self.db.get(Phase, seen.id)

    def admin_phase(self, slug, phase_slug):
        """A phase the caller may see, or PermissionDenied unless they administer its challenge."""
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase_slug)
        if not self.is_admin(challenge):
            raise PermissionDenied(f"Only the admins of challenge {slug!r} may change its phases.")
        return phase

    def challenge_shape(self, challenge):
        return shapes.Challenge.of(challenge, self.roles(challenge), self.pending_request(challenge))

    def challenge_shapes(self, challenges):
        """Many challenges with my roles and pending join requests, looked up in two queries."""
        ids = [challenge.id for challenge in challenges]
        roles, requests = {}, {}
        query = select(ChallengeMember.object_id, ChallengeMember.role).where(
            ChallengeMember.username == self.username, ChallengeMember.object_id.in_(ids)
        )
        for challenge_id, role in self.db.execute(query):
            roles.setdefault(challenge_id, set()).add(str(role))
        query = select(JoinRequest).filter_by(username=self.username, status=JoinRequestStatus.PENDING)
        for request in self.db.scalars(query.where(JoinRequest.challenge_id.in_(ids))):
            requests[request.challenge_id] = request
        return [shapes.Challenge.of(c, roles.get(c.id, ()), requests.get(c.id)) for c in challenges]

    # --- actions: each checks its input, writes, commits and returns what it made ---------

    def create_challenge(self, fields):
        """A new challenge of ``fields`` (a ChallengeCreate) whose creator is its admin; needs the
        hub permission to create."""
        self.require_permission(CREATE, "create challenges")
        challenge = Challenge(**fields.model_dump(), created_by=self.username)
        save(self.db, challenge)
        grant(self.db, challenge, self.username, ChallengeRole.ADMIN)
        self.commit()
        return challenge

    def request_to_join(self, challenge, message):
        """The caller's new join request for a challenge from ``joinable_challenge``."""
        if ChallengeRole.PARTICIPANT in self.roles(challenge):
            raise Conflict(f"You take part in challenge {challenge.slug!r} already.")
        if self.pending_request(challenge) is not None:
            raise Conflict(
                f"Your request to join challenge {challenge.slug!r} is pending already; an admin will decide."
            )
        request = JoinRequest(challenge=challenge, username=self.username, message=message)
        self.db.add(request)
        join_requested(self.db, request)
        self.commit()
        return request

    def add_admin(self, challenge, username):
        """Makes ``username`` an admin of a challenge from ``admin_challenge``; returns its admins."""
        grant(self.db, challenge, username, ChallengeRole.ADMIN)
        self.commit()
        return self.admins(challenge)

    def decide_request(self, challenge, request_id, decision, pending_only=False):
        """Accepts or rejects a join request to a challenge from ``admin_challenge``.
        ``pending_only`` (the pages): ``request_id`` is a form field, and only pending ones count."""
        if decision not in ("accept", "reject"):
            raise GcError(f"decision must be accept or reject, not {decision!r}.")
        query = self.join_requests(challenge, JoinRequestStatus.PENDING if pending_only else None)
        request = self.db.scalar(query.filter_by(id=int(request_id) if request_id.isdigit() else -1))
        if request is None and pending_only:
            raise NotFound(f"Challenge {challenge.slug!r} has no pending join request {request_id!r}.")
        if request is None:
            raise NotFound(f"Challenge {challenge.slug!r} has no join request {request_id}.")
        decide(self.db, request, accept=decision == "accept", decided_by=self.username)
        join_answered(self.db, request)
        self.commit()
        return request

    def remove_admin(self, challenge, username):
        """Takes the admin role on a challenge from ``admin_challenge`` from ``username``; Conflict
        if that would leave the challenge without admins. Returns its admins."""
        if self.admins(challenge) == [username]:
            raise Conflict(f"{username!r} is the last admin of challenge {challenge.slug!r}: add another admin first.")
        revoke(self.db, challenge, username, ChallengeRole.ADMIN)
        self.commit()
        return self.admins(challenge)

    def participants(self, challenge):
        return usernames(self.db, challenge, ChallengeRole.PARTICIPANT)

    def remove_participant(self, challenge, username):
        """Takes the participant role on a challenge from ``admin_challenge`` from ``username``
        (their submissions stay); returns its participants."""
        if username not in self.participants(challenge):
            raise NotFound(f"{username!r} does not take part in challenge {challenge.slug!r}.")
        revoke(self.db, challenge, username, ChallengeRole.PARTICIPANT)
        self.commit()
        return self.participants(challenge)

    def delete_phase(self, phase):
        """Deletes a phase (from ``admin_phase``) with its submissions and evaluations; Conflict
        while other phases name it as the phase to pass first."""
        children = self.db.scalars(select(Phase.slug).filter_by(parent_id=phase.id).order_by(Phase.slug)).all()
        if children:
            raise Conflict(
                f"Phase {phase.slug!r} must be passed before submitting to {', '.join(children)}: "
                "give those phases another parent (or none) first."
            )
        remove(self.db, phase)
        self.commit()

    def create_phase(self, challenge, fields):
        """A new phase of a challenge from ``admin_challenge``, with the settings in ``fields`` (a PhaseCreate)."""
        phase = Phase(challenge=challenge, slug=fields.slug, title=fields.title)
        return self.update_phase(phase, fields, new=True)

    def update_phase(self, phase, fields, new=False):
        """Applies the settings that ``fields`` (a PhaseChange) gives to a phase (from
        ``admin_phase``, or ``new``) and saves it."""
        with self.db.no_autoflush:  # the phase is checked whole by ``save``, not flushed half-made
            self._apply(phase, fields, new)
        save(self.db, phase)
        self.commit()
        return phase

    def _apply(self, phase, fields, new):
        given = fields.given()
        for field, value in given.items():
            if field not in REFERENCES and field not in LIMIT_FIELDS and field not in INTERFACE_FIELDS:
                setattr(phase, field, value)
        self._interfaces(phase, fields, given)
        limits = container_limits(self.platform["settings"], fields.limits(), Phase if new else None)
        for field, value in limits.items():
            setattr(phase, field, value)
        if "parent" in given:
            phase.parent = self._parent(phase, fields.parent)
        if "archive" in given:
            phase.archive = self._archive(fields.archive)
        if phase.opens_at and phase.closes_at and phase.closes_at <= phase.opens_at:
            raise GcError("closes_at must be later than opens_at.")
        if "ground_truth_path" in given and phase.ground_truth_path is not None:
            data_dir = self.platform["settings"].data_dir
            phase.ground_truth_path = check_ground_truth_path(phase.ground_truth_path, phase.challenge.slug, data_dir)

    def _interfaces(self, phase, fields, given):
        """The phase's interfaces: ``algorithm_interfaces``, or the shorthand of one interface of
        ``algorithm_inputs`` → ``algorithm_outputs`` (each defaulting to what the phase has)."""
        owner = f"phase {phase.slug!r}"
        if "algorithm_interfaces" in given:
            phase.algorithm_interfaces = interfaces_from(
                self.db, "algorithm_interfaces", fields.algorithm_interfaces, owner
            )
        elif "algorithm_inputs" in given or "algorithm_outputs" in given:
            now = [s.slug for s in phase.algorithm_inputs], [s.slug for s in phase.algorithm_outputs]
            inputs, outputs = given.get("algorithm_inputs", now[0]), given.get("algorithm_outputs", now[1])
            if (sorted(inputs), sorted(outputs)) != now:  # unchanged (a form sends them back): keep every interface
                phase.algorithm_interfaces = one_interface(self.db, inputs, outputs) if inputs or outputs else []
        for field in EVALUATION_SOCKETS:
            if field in given:
                setattr(phase, field, sockets_by_slug(self.db, field, given[field]))

    def _parent(self, phase, slug):
        if slug is None:
            return None
        challenge = phase.challenge
        parent = self.db.scalar(select(Phase).filter_by(challenge_id=challenge.id, slug=slug))
        if parent is None:
            raise GcError(f"parent: challenge {challenge.slug!r} has no phase {slug!r}; name one of its own phases.")
        ancestor = parent
        while ancestor is not None:
            if ancestor is phase:
                raise GcError(f"parent: phase {slug!r} cannot be the parent of {phase.slug!r}: that makes a loop.")
            ancestor = ancestor.parent
        return parent

    def _archive(self, slug):
        """The archive to use as a hidden test set: one the caller edits (its cases become test data)."""
        if slug is None:
            return None
        archive = self.db.scalar(select(Archive).filter_by(slug=slug))
        roles = set()
        if archive is not None:
            query = select(ArchiveMember.role).filter_by(object_id=archive.id, username=self.username)
            roles = set(self.db.scalars(query))
        if archive is None or not (roles or self.hub_admin):
            raise GcError(f"archive: there is no archive {slug!r} that you may use.")
        if ArchiveRole.EDITOR not in roles and not self.hub_admin:
            raise PermissionDenied(
                f"archive: only editors of archive {slug!r} may make it a hidden test set;"
                " ask one of them for that role."
            )
        return archive


# --- handlers -----------------------------------------------------------------------------


class ChallengeHandler(ChallengeAccess, APIHandler):
    """An API handler about challenges."""


class ChallengesHandler(ChallengeHandler):
    """GET: all challenges (``?role=admin|participant``: those I hold that role on). POST: create."""

    @endpoint(returns=shapes.ChallengePage, query={"role": Query(ChallengeRole, "Only those I hold this role on.")})
    @web.authenticated
    def get(self):
        query = select(Challenge).order_by(Challenge.id)
        role = self.get_argument("role", None)
        if role is not None:
            if role not in set(ChallengeRole):
                raise GcError(f"?role= must be one of {', '.join(ChallengeRole)}, not {role!r}.")
            mine = select(ChallengeMember.object_id).filter_by(username=self.username, role=role)
            query = query.where(Challenge.id.in_(mine))
        self.write_model(self.page(query, serialize_rows=self.challenge_shapes))

    @endpoint(shapes.ChallengeCreate, shapes.Challenge, 201)
    @web.authenticated
    def post(self):
        self.require_permission(CREATE, "create challenges")  # before the body is read
        challenge = self.create_challenge(self.body())
        self.write_model(self.challenge_shape(challenge), 201)


class ChallengeDetailHandler(ChallengeHandler):
    """GET: a challenge with the phases I may see. PATCH {title?, description?}: admins. DELETE:
    delete it with its phases, join requests, submissions and evaluations (admins)."""

    @endpoint(returns=shapes.ChallengeDetail)
    @web.authenticated
    def get(self, slug):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        phases = [phase_shape(p, admin) for p in self.db.scalars(self.visible_phases(challenge))]
        roles, request = self.roles(challenge), self.pending_request(challenge)
        self.write_model(shapes.ChallengeDetail.of(challenge, roles, request, phases=phases))

    @endpoint(shapes.ChallengeChange, shapes.Challenge)
    @web.authenticated
    def patch(self, slug):
        challenge = self.admin_challenge(slug, "change it")
        for key, value in self.body().given().items():
            setattr(challenge, key, value)
        self.commit()
        self.write_model(self.challenge_shape(challenge))

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug):
        remove(self.db, self.admin_challenge(slug, "delete it"))
        self.commit()
        self.write_no_content()


class AdminsHandler(ChallengeHandler):
    """GET: the challenge's admins. POST {username}: make someone an admin too. DELETE
    ?username=: take the admin role from someone (a challenge keeps at least one admin)."""

    @endpoint(returns=shapes.Admins)
    @web.authenticated
    def get(self, slug):
        self.write_model(shapes.Admins(admins=self.admins(self.admin_challenge(slug, "see its admins"))))

    @endpoint(shapes.AdminAdd, shapes.Admins, 201)
    @web.authenticated
    def post(self, slug):
        challenge = self.admin_challenge(slug, "add admins")
        admins = self.add_admin(challenge, self.body().username)
        self.write_model(shapes.Admins(admins=admins), 201)

    @endpoint(status=204, query={"username": Query(str, "The admin's hub username.", True)})
    @web.authenticated
    def delete(self, slug):
        self.remove_admin(self.admin_challenge(slug, "remove admins"), self.get_argument("username"))
        self.write_no_content()


class ParticipantsHandler(ChallengeHandler):
    """GET: the challenge's participants (admins). DELETE ?username=: take part no more (admins;
    their submissions stay)."""

    @endpoint(returns=shapes.Participants)
    @web.authenticated
    def get(self, slug):
        challenge = self.admin_challenge(slug, "see its participants")
        self.write_model(shapes.Participants(participants=self.participants(challenge)))

    @endpoint(status=204, query={"username": Query(str, "The participant's hub username.", True)})
    @web.authenticated
    def delete(self, slug):
        challenge = self.admin_challenge(slug, "remove participants")
        self.remove_participant(challenge, self.get_argument("username"))
        self.write_no_content()


class JoinHandler(ChallengeHandler):
    """POST {message?}: ask to take part in the challenge."""

    @endpoint(shapes.JoinAsk, shapes.JoinRequest, 201)
    @web.authenticated
    def post(self, slug):
        challenge = self.joinable_challenge(slug)
        request = self.request_to_join(challenge, self.body().message)
        self.write_model(shapes.JoinRequest.from_object(request), 201)


class JoinRequestsHandler(ChallengeHandler):
    """GET ?status=pending|accepted|rejected: the challenge's join requests (admins)."""

    @endpoint(returns=shapes.JoinRequestPage, query={"status": Query(JoinRequestStatus, "Only those in this status.")})
    @web.authenticated
    def get(self, slug):
        challenge = self.admin_challenge(slug, "see its join requests")
        status = self.get_argument("status", None)
        if status is not None:
            status = choice(JoinRequestStatus)("?status=", status)
        self.write_model(self.page(self.join_requests(challenge, status), shapes.JoinRequest.from_object))


class JoinRequestHandler(ChallengeHandler):
    """POST {"decision": "accept"|"reject"}: decide a pending join request (admins)."""

    @endpoint(shapes.JoinDecision, shapes.JoinRequest)
    @web.authenticated
    def post(self, slug, request_id):
        challenge = self.admin_challenge(slug, "decide its join requests")
        request = self.decide_request(challenge, request_id, self.body().decision)
        self.write_model(shapes.JoinRequest.from_object(request))


class PhasesHandler(ChallengeHandler):
    """GET: the phases I may see. POST: add a phase (admins)."""

    @endpoint(returns=shapes.PhasePage)
    @web.authenticated
    def get(self, slug):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        self.write_model(self.page(self.visible_phases(challenge), lambda phase: phase_shape(phase, admin)))

    @endpoint(shapes.PhaseCreate, shapes.PhaseAdmin, 201)
    @web.authenticated
    def post(self, slug):
        challenge = self.admin_challenge(slug, "add phases")
        phase = self.create_phase(challenge, self.body())
        self.write_model(shapes.PhaseAdmin.of(phase), 201)


class PhaseHandler(ChallengeHandler):
    """GET: a phase I may see. PATCH: change its settings (admins). DELETE: delete it with its
    submissions and evaluations (admins); refused while it is another phase's parent."""

    @endpoint(returns=shapes.AnyPhase)
    @web.authenticated
    def get(self, slug, phase):
        challenge = self.challenge(slug)
        self.write_model(phase_shape(self.phase(challenge, phase), self.is_admin(challenge)))

    @endpoint(shapes.PhaseChange, shapes.PhaseAdmin)
    @web.authenticated
    def patch(self, slug, phase):
        phase = self.admin_phase(slug, phase)
        self.update_phase(phase, self.body())
        self.write_model(shapes.PhaseAdmin.of(phase))

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug, phase):
        self.delete_phase(self.admin_phase(slug, phase))
        self.write_no_content()


def routes(prefix):
    api = prefix + "api/v1/challenges"
    challenge = api + r"/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return [
        (api, ChallengesHandler),
        (challenge, ChallengeDetailHandler),
        (challenge + "/admins", AdminsHandler),
        (challenge + "/participants", ParticipantsHandler),
        (challenge + "/join", JoinHandler),
        (challenge + "/join-requests", JoinRequestsHandler),
        (challenge + r"/join-requests/(?P<request_id>[0-9]+)", JoinRequestHandler),
        (challenge + "/phases", PhasesHandler),
        (challenge + r"/phases/(?P<phase>[a-z0-9][a-z0-9-]*)", PhaseHandler),
    ]
