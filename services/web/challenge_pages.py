"""The challenges pages: list, create and join challenges; a challenge's admins, join requests
and phases. Finding things, checking roles and making changes is ``ChallengeAccess``'s, shared
with the API (challenges.py); the pages turn form fields into the values it takes."""

import json
import math
from datetime import UTC, datetime

from sqlalchemy import select
from tornado import web

from ..api import challenges as shapes
from ..core.errors import GcError
from ..core.orm import (
    Challenge,
    JoinRequestStatus,
    Phase,
    ResultDisplay,
    ScoringMethod,
    SubmissionKind,
    Visibility,
)
from .challenges import CREATE, PARTICIPATE, REFERENCES, ChallengeAccess, phase_shape
from .pages import PageHandler, shown

# How the phase form's fields (all strings) become the values the API's phase settings take.
# The form's fields: the API's, but the interfaces as one interface of inputs and outputs.
PHASE_FORM = tuple(field for field in shapes.PhaseChange.model_fields if field != "algorithm_interfaces")
SOCKET_LISTS = {"algorithm_inputs", "algorithm_outputs", "evaluation_additional_inputs"}  # comma-separated slugs
CHECKBOXES = {"auto_publish", "score_ascending", "gpu"}
TIMES = {"opens_at", "closes_at"}  # <input type=datetime-local>: no time zone, read as UTC
NUMBERS = {
    "algorithm_concurrency": int,
    "submissions_limit": int,
    "submissions_period_days": int,
    "memory_limit_mb": int,
    "time_limit_s": int,
    "cpu_limit": float,
}
NULLABLE = {
    *TIMES,
    "submissions_limit",
    "submissions_period_days",
    "method_image",
    "ground_truth_path",
    "ground_truth_version",
    *REFERENCES,
}
CHOICES = {
    "submission_kind": SubmissionKind,
    "visibility": Visibility,
    "scoring_method": ScoringMethod,
    "result_display": ResultDisplay,
}


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
        elif field in SOCKET_LISTS:
            body[field] = [slug.strip() for slug in raw.split(",") if slug.strip()]
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
    """A phase (``phase_shape`` shown, or defaults) as the phase form's field values."""
    values = {}
    for field in PHASE_FORM:
        value = data.get(field)
        if field in CHECKBOXES:
            values[field] = "on" if value else ""
        elif field in TIMES:
            values[field] = _local_time(value)
        elif field == "extra_results_columns":
            values[field] = json.dumps(value or [])
        elif field in SOCKET_LISTS:
            values[field] = ", ".join(value or [])
        else:
            values[field] = "" if value is None else str(value)
    return values


def _default(field):
    column = Phase.__table__.c.get(field)
    default = column is not None and column.default
    return default.arg if default and default.is_scalar else None


# A new phase's form starts with the database's defaults.
PHASE_DEFAULTS = phase_form({field: _default(field) for field in PHASE_FORM})


class ChallengesPage(ChallengeAccess, PageHandler):
    """All challenges, with a button to ask to join each, and a form to create one (researchers)."""

    def show(self, status=200, error=None, form=None):
        challenges = [
            shown(c) for c in self.challenge_shapes(self.db.scalars(select(Challenge).order_by(Challenge.id)).all())
        ]
        self.render_page(
            "challenges.html",
            status,
            error,
            form,
            challenges=challenges,
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

            def join():
                return self.request_to_join(self.joinable_challenge(slug), "")

            if self.submit(join, lambda e: self.show(e.status, e.message)):
                self.redirect(self.request.path)
            return
        form = self.form("slug", "title", "description")
        challenge = self.submit(
            lambda: self.create_challenge(shapes.ChallengeCreate.read(form)),
            lambda e: self.show(e.status, e.message, form),
        )
        if challenge:
            self.redirect(f"challenges/{challenge.slug}")


class ChallengePage(ChallengeAccess, PageHandler):
    """A challenge and the phases I may see; for its admins: join requests, admins, a new phase."""

    def show(self, slug, status=200, error=None, form=None):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        phases = [shown(phase_shape(p, admin)) for p in self.db.scalars(self.visible_phases(challenge))]
        join_requests = admins = None
        if admin:
            query = self.join_requests(challenge, JoinRequestStatus.PENDING)
            join_requests = [shown(shapes.JoinRequest.from_object(r)) for r in self.db.scalars(query)]
            admins = self.admins(challenge)
        self.render_page(
            "challenge.html",
            status,
            error,
            {**PHASE_DEFAULTS, **(form or {})},
            challenge=shown(self.challenge_shape(challenge)),
            phases=phases,
            admin=admin,
            phase=None,
            join_requests=join_requests,
            admins=admins,
            choices=CHOICES,
            parents=[p["slug"] for p in phases],
        )

    @web.authenticated
    def get(self, slug):
        self.show(slug)

    @web.authenticated
    def post(self, slug):
        action = self.get_body_argument("action", "")
        forms = {"phase": PHASE_FORM, "admin": ("username",)}
        form = self.form(*forms.get(action, ()))
        request_id = self.get_body_argument("request", "")

        def act():
            if action == "phase":
                return self.create_phase(
                    self.admin_challenge(slug, "add phases"), shapes.PhaseCreate.read(phase_body(form))
                )
            if action == "admin":
                return self.add_admin(self.admin_challenge(slug, "add admins"), shapes.AdminAdd.read(form).username)
            challenge = self.admin_challenge(slug, "decide its join requests")
            return self.decide_request(challenge, request_id, action, pending_only=True)

        if self.submit(act, lambda e: self.show(slug, e.status, e.message, form)):
            self.redirect(self.request.path)


class PhasePage(ChallengeAccess, PageHandler):
    """A phase's settings: a form for the challenge's admins, what participants may see for others."""

    def show(self, slug, phase_slug, status=200, error=None, form=None):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        phase = self.phase(challenge, phase_slug)
        data = shown(phase_shape(phase, admin))
        parents = [p.slug for p in self.db.scalars(self.visible_phases(challenge)) if p is not phase]
        self.render_page(
            "challenge.html",
            status,
            error,
            {**phase_form(data), **(form or {})},
            challenge=shown(self.challenge_shape(challenge)),
            phase=data,
            admin=admin,
            choices=CHOICES,
            parents=parents,
        )

    @web.authenticated
    def get(self, slug, phase):
        self.show(slug, phase)

    @web.authenticated
    def post(self, slug, phase):
        form = self.form(*PHASE_FORM)
        changed = self.submit(
            lambda: self.update_phase(self.admin_phase(slug, phase), shapes.PhaseChange.read(phase_body(form))),
            lambda e: self.show(slug, phase, e.status, e.message, form),
        )
        if changed:
            self.redirect(changed.slug)


def routes(prefix):
    challenge = prefix + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return [
        (prefix, ChallengesPage),
        (challenge, ChallengePage),
        (challenge + r"/phases/(?P<phase>[a-z0-9][a-z0-9-]*)", PhasePage),
    ]
