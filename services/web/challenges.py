"""The challenges service's API: challenges, their admins, join requests and phases.

A challenge's existence, title and description are public; its phases are shown by their
visibility (``public`` to all, ``participants`` to participants and admins, ``hidden`` to admins
only), and a phase's hidden test set, ground truth and evaluation method only to its admins.
Hub admins may see and do everything.
"""

from sqlalchemy import select
from tornado import web

from ..core.errors import Conflict, GcError, NotFound, PermissionDenied
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
    ResultDisplay,
    ScoringMethod,
    Socket,
    SubmissionKind,
    Visibility,
    decide,
    grant,
    remove,
    revoke,
    save,
    usernames,
)
from ..core.paths import check_ground_truth_path
from .base import APIHandler
from .fields import LIMIT_FIELDS, boolean, choice, container_limits, long_text, moment, nullable, text, whole

CREATE = "custom:challenges:create"
PARTICIPATE = "custom:challenges:participate"


COLUMN_KEYS = {"path", "title", "ascending", "exclude_from_ranking"}


def _results_columns(field, value):
    if not isinstance(value, list):
        raise GcError(f"{field} must be a list of {{path, title, ascending, exclude_from_ranking}} objects.")
    for i, column in enumerate(value):
        if not isinstance(column, dict) or set(column) - COLUMN_KEYS or "path" not in column:
            raise GcError(
                f"{field}[{i}] must be an object with path, and optionally title, ascending and exclude_from_ranking."
            )
        text(f"{field}[{i}].path", column["path"])
        text(f"{field}[{i}].title", column.get("title", "-"))
        boolean(f"{field}[{i}].ascending", column.get("ascending", False))
        boolean(f"{field}[{i}].exclude_from_ranking", column.get("exclude_from_ranking", False))
    return value


# The phase settings a request may set, beside ``parent`` and ``archive`` (slugs, resolved below).
PHASE_FIELDS = {
    "slug": text,
    "title": text,
    "submission_kind": choice(SubmissionKind),
    "opens_at": nullable(moment),
    "closes_at": nullable(moment),
    "submissions_limit": nullable(whole(0)),
    "submissions_period_days": nullable(whole(1)),
    "visibility": choice(Visibility),
    "auto_publish": boolean,
    "score_jsonpath": text,
    "score_ascending": boolean,
    "extra_results_columns": _results_columns,
    "scoring_method": choice(ScoringMethod),
    "result_display": choice(ResultDisplay),
    **LIMIT_FIELDS,  # checked against the platform's ceilings by ``container_limits``
    "method_image": nullable(lambda f, v: text(f, v, max_length=512)),
    "ground_truth_path": nullable(lambda f, v: text(f, v, max_length=1024)),
    "algorithm_concurrency": whole(1),
    "ground_truth_version": nullable(lambda f, v: text(f, v, max_length=128)),
}
REFERENCES = ("parent", "archive")
# The sockets an algorithm submitted to a phase is given and must make: lists of socket slugs.
SOCKET_LISTS = ("algorithm_inputs", "algorithm_outputs")
# What only a challenge's admins see of a phase: its hidden test set, ground truth and method.
ADMIN_ONLY = ("archive", "method_image", "method_digest", "ground_truth_path", "ground_truth_version")


# --- what the API returns -----------------------------------------------------------------


def _iso(time):
    return time.isoformat() if time is not None else None


def challenge_json(challenge, roles=(), join_request=None):
    """A challenge as anyone may see it, with the caller's roles and pending join request."""
    return {
        "slug": challenge.slug,
        "title": challenge.title,
        "description": challenge.description,
        "created_by": challenge.created_by,
        "created_at": _iso(challenge.created_at),
        "my_roles": sorted(roles),
        "my_join_request": join_request_json(join_request) if join_request else None,
    }


def _parent_shown(phase):
    """Whether everyone who may see ``phase`` may see its parent too: a public parent, or a
    participants-only parent of a participants-only phase. A hidden parent is never named."""
    parent = phase.parent.visibility
    return parent == Visibility.PUBLIC or parent == phase.visibility == Visibility.PARTICIPANTS


def phase_json(phase, admin):
    """A phase; what an admin sees includes its test set, ground truth and evaluation method."""
    data = {
        "challenge": phase.challenge.slug,
        "slug": phase.slug,
        "title": phase.title,
        "submission_kind": phase.submission_kind,
        "opens_at": _iso(phase.opens_at),
        "closes_at": _iso(phase.closes_at),
        "submissions_limit": phase.submissions_limit,
        "submissions_period_days": phase.submissions_period_days,
        "visibility": phase.visibility,
        "auto_publish": phase.auto_publish,
        "parent": phase.parent.slug if phase.parent and (admin or _parent_shown(phase)) else None,
        "score_jsonpath": phase.score_jsonpath,
        "score_ascending": phase.score_ascending,
        "extra_results_columns": phase.extra_results_columns,
        "scoring_method": phase.scoring_method,
        "result_display": phase.result_display,
        "cpu_limit": phase.cpu_limit,
        "memory_limit_mb": phase.memory_limit_mb,
        "time_limit_s": phase.time_limit_s,
        "gpu": phase.gpu,
        "algorithm_inputs": [socket.slug for socket in phase.algorithm_inputs],
        "algorithm_outputs": [socket.slug for socket in phase.algorithm_outputs],
        "algorithm_concurrency": phase.algorithm_concurrency,
    }
    if admin:
        data.update({field: getattr(phase, field) for field in ADMIN_ONLY if field != "archive"})
        data["archive"] = phase.archive.slug if phase.archive else None
    return data


def join_request_json(request):
    return {
        "id": request.id,
        "username": request.username,
        "message": request.message,
        "status": request.status,
        "created_at": _iso(request.created_at),
        "decided_by": request.decided_by,
        "decided_at": _iso(request.decided_at),
    }


# --- finding things and acting on them (the API's handlers and the pages share these) -------


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
            raise NotFound(f"There is no challenge with slug {slug!r}.")
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
        shown = [Visibility.PUBLIC]
        if ChallengeRole.PARTICIPANT in self.roles(challenge):
            shown.append(Visibility.PARTICIPANTS)
        return query.where(Phase.visibility.in_(shown))

    def phase(self, challenge, slug):
        """A phase the caller may see; NotFound alike for one that is missing and one hidden."""
        phase = self.db.scalar(self.visible_phases(challenge).where(Phase.slug == slug))
        if phase is None:
            raise NotFound(f"Challenge {challenge.slug!r} has no phase {slug!r}.")
        return phase

    def admin_phase(self, slug, phase_slug):
        """A phase the caller may see, or PermissionDenied unless they administer its challenge."""
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase_slug)
        if not self.is_admin(challenge):
            raise PermissionDenied(f"Only the admins of challenge {slug!r} may change its phases.")
        return phase

    def challenge_json(self, challenge):
        return challenge_json(challenge, self.roles(challenge), self.pending_request(challenge))

    def challenges_json(self, challenges):
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
        return [challenge_json(c, roles.get(c.id, ()), requests.get(c.id)) for c in challenges]

    # --- actions: each checks its input, writes, commits and returns what it made ---------

    def create_challenge(self, slug, title, description=""):
        """A new challenge whose creator is its admin; needs the hub permission to create."""
        self.require_permission(CREATE, "create challenges")
        challenge = Challenge(
            slug=text("slug", slug),
            title=text("title", title),
            description=long_text("description", description),
            created_by=self.username,
        )
        save(self.db, challenge)
        grant(self.db, challenge, self.username, ChallengeRole.ADMIN)
        self.commit()
        return challenge

    def request_to_join(self, challenge, message):
        """The caller's new join request for a challenge from ``joinable_challenge``."""
        message = long_text("message", message)
        if ChallengeRole.PARTICIPANT in self.roles(challenge):
            raise Conflict(f"You take part in challenge {challenge.slug!r} already.")
        if self.pending_request(challenge) is not None:
            raise Conflict(
                f"Your request to join challenge {challenge.slug!r} is pending already; an admin will decide."
            )
        request = JoinRequest(challenge=challenge, username=self.username, message=message)
        self.db.add(request)
        self.commit()
        return request

    def add_admin(self, challenge, username):
        """Makes ``username`` an admin of a challenge from ``admin_challenge``; returns its admins."""
        grant(self.db, challenge, text("username", username), ChallengeRole.ADMIN)
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
        """A new phase of a challenge from ``admin_challenge``, with the settings in ``fields``."""
        phase = Phase(challenge=challenge, slug=text("slug", fields["slug"]), title=text("title", fields["title"]))
        return self.update_phase(phase, fields, new=True)

    def update_phase(self, phase, fields, new=False):
        """Applies the settings in ``fields`` to a phase (from ``admin_phase``, or ``new``) and saves it."""
        with self.db.no_autoflush:  # the phase is checked whole by ``save``, not flushed half-made
            self._apply(phase, fields, new)
        save(self.db, phase)
        self.commit()
        return phase

    def _apply(self, phase, fields, new):
        for field, parse in PHASE_FIELDS.items():
            if field in fields and field not in LIMIT_FIELDS:
                setattr(phase, field, parse(field, fields[field]))
        for field, value in container_limits(self.platform["settings"], fields, Phase if new else None).items():
            setattr(phase, field, value)
        if "parent" in fields:
            phase.parent = self._parent(phase, fields["parent"])
        if "archive" in fields:
            phase.archive = self._archive(fields["archive"])
        for field in SOCKET_LISTS:
            if field in fields:
                setattr(phase, field, self._sockets(field, fields[field]))
        if phase.opens_at and phase.closes_at and phase.closes_at <= phase.opens_at:
            raise GcError("closes_at must be later than opens_at.")
        if "ground_truth_path" in fields and phase.ground_truth_path is not None:
            data_dir = self.platform["settings"].data_dir
            phase.ground_truth_path = check_ground_truth_path(phase.ground_truth_path, phase.challenge.slug, data_dir)

    def _sockets(self, field, slugs):
        if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
            raise GcError(f"{field} must be a list of socket slugs.")
        found = {socket.slug: socket for socket in self.db.scalars(select(Socket).where(Socket.slug.in_(slugs)))}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise GcError(
                f"{field}: there is no socket {', '.join(map(repr, missing))}; create it in the archives service first."
            )
        return [found[slug] for slug in slugs]

    def _parent(self, phase, slug):
        if slug is None:
            return None
        challenge = phase.challenge
        parent = self.db.scalar(select(Phase).filter_by(challenge_id=challenge.id, slug=text("parent", slug)))
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
        archive = self.db.scalar(select(Archive).filter_by(slug=text("archive", slug)))
        roles = set()
        if archive is not None:
            query = select(ArchiveMember.role).filter_by(object_id=archive.id, username=self.username)
            roles = set(self.db.scalars(query))
        if archive is None or not (roles or self.hub_admin):
            raise GcError(f"archive: there is no archive {slug!r} that you may use.")
        if ArchiveRole.EDITOR not in roles and not self.hub_admin:
            raise PermissionDenied(
                f"archive: only editors of archive {slug!r} may make it a hidden test set; ask one of them for that role."
            )
        return archive


# --- handlers -----------------------------------------------------------------------------


class ChallengeHandler(ChallengeAccess, APIHandler):
    """An API handler about challenges."""


class ChallengesHandler(ChallengeHandler):
    """GET: all challenges (``?role=admin|participant``: those I hold that role on). POST: create."""

    @web.authenticated
    def get(self):
        query = select(Challenge).order_by(Challenge.id)
        role = self.get_argument("role", None)
        if role is not None:
            if role not in set(ChallengeRole):
                raise GcError(f"?role= must be one of {', '.join(ChallengeRole)}, not {role!r}.")
            mine = select(ChallengeMember.object_id).filter_by(username=self.username, role=role)
            query = query.where(Challenge.id.in_(mine))
        self.write_json(self.page(query, serialize_rows=self.challenges_json))

    @web.authenticated
    def post(self):
        self.require_permission(CREATE, "create challenges")  # before the body is read
        challenge = self.create_challenge(**self.json_body(required=("slug", "title"), optional=("description",)))
        self.write_json(self.challenge_json(challenge), status=201)


class ChallengeDetailHandler(ChallengeHandler):
    """GET: a challenge with the phases I may see. PATCH {title?, description?}: admins. DELETE:
    delete it with its phases, join requests, submissions and evaluations (admins)."""

    @web.authenticated
    def get(self, slug):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        phases = self.db.scalars(self.visible_phases(challenge))
        self.write_json({**self.challenge_json(challenge), "phases": [phase_json(p, admin) for p in phases]})

    @web.authenticated
    def patch(self, slug):
        challenge = self.admin_challenge(slug, "change it")
        body = self.json_body(optional=("title", "description"))
        if "title" in body:
            challenge.title = text("title", body["title"])
        if "description" in body:
            challenge.description = long_text("description", body["description"])
        self.commit()
        self.write_json(self.challenge_json(challenge))

    @web.authenticated
    def delete(self, slug):
        remove(self.db, self.admin_challenge(slug, "delete it"))
        self.commit()
        self.write_no_content()


class AdminsHandler(ChallengeHandler):
    """GET: the challenge's admins. POST {username}: make someone an admin too. DELETE
    ?username=: take the admin role from someone (a challenge keeps at least one admin)."""

    @web.authenticated
    def get(self, slug):
        self.write_json({"admins": self.admins(self.admin_challenge(slug, "see its admins"))})

    @web.authenticated
    def post(self, slug):
        challenge = self.admin_challenge(slug, "add admins")
        admins = self.add_admin(challenge, self.json_body(required=("username",))["username"])
        self.write_json({"admins": admins}, status=201)

    @web.authenticated
    def delete(self, slug):
        self.remove_admin(self.admin_challenge(slug, "remove admins"), self.get_argument("username"))
        self.write_no_content()


class JoinHandler(ChallengeHandler):
    """POST {message?}: ask to take part in the challenge."""

    @web.authenticated
    def post(self, slug):
        challenge = self.joinable_challenge(slug)
        request = self.request_to_join(challenge, self.json_body(optional=("message",)).get("message", ""))
        self.write_json(join_request_json(request), status=201)


class JoinRequestsHandler(ChallengeHandler):
    """GET ?status=pending|accepted|rejected: the challenge's join requests (admins)."""

    @web.authenticated
    def get(self, slug):
        challenge = self.admin_challenge(slug, "see its join requests")
        status = self.get_argument("status", None)
        if status is not None:
            status = choice(JoinRequestStatus)("?status=", status)
        self.write_json(self.page(self.join_requests(challenge, status), join_request_json))


class JoinRequestHandler(ChallengeHandler):
    """POST {"decision": "accept"|"reject"}: decide a pending join request (admins)."""

    @web.authenticated
    def post(self, slug, request_id):
        challenge = self.admin_challenge(slug, "decide its join requests")
        request = self.decide_request(challenge, request_id, self.json_body(required=("decision",))["decision"])
        self.write_json(join_request_json(request))


class PhasesHandler(ChallengeHandler):
    """GET: the phases I may see. POST: add a phase (admins)."""

    @web.authenticated
    def get(self, slug):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        self.write_json(self.page(self.visible_phases(challenge), lambda phase: phase_json(phase, admin)))

    @web.authenticated
    def post(self, slug):
        challenge = self.admin_challenge(slug, "add phases")
        optional = [field for field in (*PHASE_FIELDS, *REFERENCES, *SOCKET_LISTS) if field not in ("slug", "title")]
        phase = self.create_phase(challenge, self.json_body(required=("slug", "title"), optional=optional))
        self.write_json(phase_json(phase, admin=True), status=201)


class PhaseHandler(ChallengeHandler):
    """GET: a phase I may see. PATCH: change its settings (admins). DELETE: delete it with its
    submissions and evaluations (admins); refused while it is another phase's parent."""

    @web.authenticated
    def get(self, slug, phase):
        challenge = self.challenge(slug)
        self.write_json(phase_json(self.phase(challenge, phase), self.is_admin(challenge)))

    @web.authenticated
    def patch(self, slug, phase):
        phase = self.admin_phase(slug, phase)
        self.update_phase(phase, self.json_body(optional=(*PHASE_FIELDS, *REFERENCES, *SOCKET_LISTS)))
        self.write_json(phase_json(phase, admin=True))

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
        (challenge + "/join", JoinHandler),
        (challenge + "/join-requests", JoinRequestsHandler),
        (challenge + r"/join-requests/(?P<request_id>[0-9]+)", JoinRequestHandler),
        (challenge + "/phases", PhasesHandler),
        (challenge + r"/phases/(?P<phase>[a-z0-9][a-z0-9-]*)", PhaseHandler),
    ]
