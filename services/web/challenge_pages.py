"""The challenges pages: list, create and join challenges; a challenge's admins, join requests
and phases. Finding things, checking roles and validating phase settings is the API's
(challenges.py); the pages turn form fields into the values the API takes."""

import json
import math
from datetime import UTC, datetime

from sqlalchemy import select
from tornado import web

from ..core.errors import Conflict, GcError, PermissionDenied
from ..core.orm import (
    Challenge,
    ChallengeRole,
    JoinRequest,
    JoinRequestStatus,
    Phase,
    ResultDisplay,
    ScoringMethod,
    SubmissionKind,
    Visibility,
    decide,
    grant,
    save,
    usernames,
)
from .challenges import (
    CREATE,
    PARTICIPATE,
    PHASE_FIELDS,
    REFERENCES,
    ChallengeHandler,
    PhaseSettings,
    _long_text,
    _text,
    join_request_json,
    phase_json,
)
from .pages import PageHandler

# How the phase form's fields (all strings) become the values the API's PHASE_FIELDS take.
PHASE_FORM = (*PHASE_FIELDS, *REFERENCES)
CHECKBOXES = {"auto_publish", "score_ascending", "gpu"}
TIMES = {"opens_at", "closes_at"}  # <input type=datetime-local>: no time zone, read as UTC
NUMBERS = {"submissions_limit": int, "submissions_period_days": int, "memory_limit_mb": int,
           "time_limit_s": int, "cpu_limit": float}
NULLABLE = {*TIMES, "submissions_limit", "submissions_period_days", "method_image",
            "ground_truth_path", "ground_truth_version", *REFERENCES}
CHOICES = {"submission_kind": SubmissionKind, "visibility": Visibility,
           "scoring_method": ScoringMethod, "result_display": ResultDisplay}


def _number(kind, raw):
    """``raw`` as a number if it is one; else as it is, for the API's check to explain."""
    try:
        value = kind(raw)
    except ValueError:
        return raw
    return value if math.isfinite(value) else raw


def _columns(raw):
    try:
        return json.loads(raw or "[]")
    except json.JSONDecodeError as e:
        raise GcError(f"extra_results_columns is not valid JSON: {e}") from None


def phase_body(form):
    """The phase form's fields as the JSON body the API would take."""
    body = {}
    for field, raw in form.items():
        if field in CHECKBOXES:
            body[field] = raw == "on"
        elif field in NULLABLE and raw == "":
            body[field] = None
        elif field in TIMES:
            body[field] = raw + "Z"
        elif field in NUMBERS:
            body[field] = _number(NUMBERS[field], raw)
        elif field == "extra_results_columns":
            body[field] = _columns(raw)
        else:
            body[field] = raw
    return body


def _local_time(iso):
    """An ISO time as a datetime-local input's value, in UTC."""
    if not iso:
        return ""
    time = datetime.fromisoformat(iso)
    time = time.astimezone(UTC).replace(tzinfo=None) if time.tzinfo else time
    return time.isoformat(timespec="minutes")


def phase_form(data):
    """A phase (``phase_json`` or defaults) as the phase form's field values."""
    values = {}
    for field in PHASE_FORM:
        value = data.get(field)
        if field in CHECKBOXES:
            values[field] = "on" if value else ""
        elif field in TIMES:
            values[field] = _local_time(value)
        elif field == "extra_results_columns":
            values[field] = json.dumps(value or [])
        else:
            values[field] = "" if value is None else str(value)
    return values


def _default(field):
    column = Phase.__table__.c.get(field)
    default = column is not None and column.default
    return default.arg if default and default.is_scalar else None


# A new phase's form starts with the database's defaults.
PHASE_DEFAULTS = phase_form({field: _default(field) for field in PHASE_FORM})


class ChallengeAccess:
    """The API's finders, role checks and phase settings (see challenges.py), for the pages."""

    hub_admin = ChallengeHandler.hub_admin
    roles = ChallengeHandler.roles
    is_admin = ChallengeHandler.is_admin
    pending_request = ChallengeHandler.pending_request
    challenge = ChallengeHandler.challenge
    admin_challenge = ChallengeHandler.admin_challenge
    visible_phases = ChallengeHandler.visible_phases
    phase = ChallengeHandler.phase
    challenge_json = ChallengeHandler.challenge_json
    apply = PhaseSettings.apply
    _apply = PhaseSettings._apply
    parent = PhaseSettings.parent
    archive = PhaseSettings.archive
    save_phase = PhaseSettings.save_phase


class ChallengesPage(ChallengeAccess, PageHandler):
    """All challenges, with a button to ask to join each, and a form to create one (researchers)."""

    def show(self, status=200, error=None, form=None):
        challenges = [self.challenge_json(c) for c in self.db.scalars(select(Challenge).order_by(Challenge.id))]
        self.render_page(
            "challenges.html", status, error, form, challenges=challenges,
            may_create=self.hub_admin or self.has_scope(CREATE),
            may_join=self.hub_admin or self.has_scope(PARTICIPATE),
        )

    @web.authenticated
    def get(self):
        self.show()

    @web.authenticated
    def post(self):
        if self.get_body_argument("action", "") == "join":
            slug = self.get_body_argument("slug", "")
            if self.submit(lambda: self.join(slug), lambda e: self.show(e.status, e.message)):
                self.redirect(self.request.path)
            return
        form = self.form("slug", "title", "description")
        challenge = self.submit(lambda: self.create(**form), lambda e: self.show(e.status, e.message, form))
        if challenge:
            self.redirect(f"challenges/{challenge.slug}")

    def create(self, slug, title, description):
        if not self.hub_admin:
            self.require_scope(CREATE, "create challenges")
        challenge = Challenge(
            slug=_text("slug", slug), title=_text("title", title),
            description=_long_text("description", description), created_by=self.username,
        )
        save(self.db, challenge)
        grant(self.db, challenge, self.username, ChallengeRole.ADMIN)
        self.commit()
        return challenge

    def join(self, slug):
        if not self.hub_admin:
            self.require_scope(PARTICIPATE, "join challenges")
        challenge = self.challenge(slug)
        if ChallengeRole.PARTICIPANT in self.roles(challenge):
            raise Conflict(f"You take part in challenge {slug!r} already.")
        if self.pending_request(challenge) is not None:
            raise Conflict(f"Your request to join challenge {slug!r} is pending already; an admin will decide.")
        self.db.add(JoinRequest(challenge=challenge, username=self.username, message=""))
        self.commit()
        return challenge


class ChallengePage(ChallengeAccess, PageHandler):
    """A challenge and the phases I may see; for its admins: join requests, admins, a new phase."""

    def show(self, slug, status=200, error=None, form=None):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        phases = [phase_json(p, admin) for p in self.db.scalars(self.visible_phases(challenge))]
        join_requests = admins = None
        if admin:
            query = select(JoinRequest).filter_by(challenge_id=challenge.id, status=JoinRequestStatus.PENDING)
            join_requests = [join_request_json(r) for r in self.db.scalars(query.order_by(JoinRequest.id))]
            admins = usernames(self.db, challenge, ChallengeRole.ADMIN)
        self.render_page(
            "challenge.html", status, error, {**PHASE_DEFAULTS, **(form or {})},
            challenge=self.challenge_json(challenge), phases=phases, admin=admin, phase=None,
            join_requests=join_requests, admins=admins, choices=CHOICES, parents=[p["slug"] for p in phases],
        )

    @web.authenticated
    def get(self, slug):
        self.show(slug)

    @web.authenticated
    def post(self, slug):
        action = self.get_body_argument("action", "")
        if action == "phase":
            form = self.form(*PHASE_FORM)
            act = lambda: self.new_phase(slug, form)
        elif action == "admin":
            form = self.form("username")
            act = lambda: self.add_admin(slug, form["username"])
        else:
            form = {}
            act = lambda: self.decide(slug, self.get_body_argument("request", ""), action)
        if self.submit(act, lambda e: self.show(slug, e.status, e.message, form)):
            self.redirect(self.request.path)

    def new_phase(self, slug, form):
        challenge = self.admin_challenge(slug, "add phases")
        body = phase_body(form)
        phase = Phase(challenge=challenge, slug=_text("slug", body["slug"]), title=_text("title", body["title"]))
        self.apply(phase, challenge, body)
        self.save_phase(phase)
        return phase

    def add_admin(self, slug, username):
        challenge = self.admin_challenge(slug, "add admins")
        grant(self.db, challenge, _text("username", username), ChallengeRole.ADMIN)
        self.commit()
        return challenge

    def decide(self, slug, request_id, decision):
        challenge = self.admin_challenge(slug, "decide its join requests")
        if decision not in ("accept", "reject"):
            raise GcError(f"decision must be accept or reject, not {decision!r}.")
        query = select(JoinRequest).filter_by(challenge_id=challenge.id, status=JoinRequestStatus.PENDING)
        request = self.db.scalar(query.filter_by(id=int(request_id) if request_id.isdigit() else -1))
        if request is None:
            raise GcError(f"Challenge {slug!r} has no pending join request {request_id!r}.", status=404)
        decide(self.db, request, accept=decision == "accept", decided_by=self.username)
        self.commit()
        return request


class PhasePage(ChallengeAccess, PageHandler):
    """A phase's settings: a form for the challenge's admins, what participants may see for others."""

    def show(self, slug, phase_slug, status=200, error=None, form=None):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        phase = self.phase(challenge, phase_slug)
        data = phase_json(phase, admin)
        parents = [p.slug for p in self.db.scalars(self.visible_phases(challenge)) if p is not phase]
        self.render_page(
            "challenge.html", status, error, {**phase_form(data), **(form or {})},
            challenge=self.challenge_json(challenge), phase=data, admin=admin, choices=CHOICES, parents=parents,
        )

    @web.authenticated
    def get(self, slug, phase):
        self.show(slug, phase)

    @web.authenticated
    def post(self, slug, phase):
        form = self.form(*PHASE_FORM)
        show = lambda e: self.show(slug, phase, e.status, e.message, form)
        changed = self.submit(lambda: self.change(slug, phase, form), show)
        if changed:
            self.redirect(changed.slug)

    def change(self, slug, phase_slug, form):
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase_slug)
        if not self.is_admin(challenge):
            raise PermissionDenied(f"Only the admins of challenge {slug!r} may change its phases.")
        self.apply(phase, challenge, phase_body(form))
        self.save_phase(phase)
        return phase


def routes(prefix):
    challenge = prefix + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return [
        (prefix, ChallengesPage),
        (challenge, ChallengePage),
        (challenge + r"/phases/(?P<phase>[a-z0-9][a-z0-9-]*)", PhasePage),
    ]
