"""The challenges pages: list, create and join challenges; a challenge with how to take part, its
phases, and for its admins the join requests, participants, admins and a new phase; a phase with
what a submission takes, how it is scored, the submit form and my submissions, and for admins
its settings. Finding things, checking roles and making changes is ``ChallengeAccess``'s (and
``SubmissionAccess``'s), shared with the API; the pages turn form fields into the values it takes."""

import math
import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from tornado import web

from ..api import challenges as shapes
from ..core.errors import GcError
from ..core.orm import (
    Algorithm,
    AlgorithmMember,
    AlgorithmRole,
    Archive,
    ArchiveMember,
    ArchiveRole,
    Challenge,
    ContainerImage,
    JoinRequestStatus,
    Phase,
    ResultDisplay,
    ScoringMethod,
    Socket,
    Submission,
    SubmissionKind,
    UploadStatus,
    Visibility,
)
from ..core.settings import ExecutionSettings
from ..core.submission_metadata import MetadataChoice
from .challenges import CREATE, PARTICIPATE, REFERENCES, phase_shape
from .pages import PageHandler, from_now, page_routes, phase_window, shown
from .submissions import SubmissionAccess
from .uploads import CHUNK_BYTES

# How the phase form's fields (all strings) become the values the API's phase settings take.
# The form's fields: the API's, but the interfaces as one interface of inputs and outputs.
PHASE_FORM = tuple(field for field in shapes.PhaseChange.model_fields if field != "algorithm_interfaces")
SOCKET_LISTS = {  # <select multiple>
    "algorithm_inputs",
    "algorithm_outputs",
    "evaluation_additional_inputs",
    "evaluation_additional_outputs",
}
COLUMNS = "extra_results_columns"  # an editor of rows: title, path, order, ranked or shown
COLUMN_FIELDS = ("column_title", "column_path", "column_order", "column_use")
CHECKBOXES = {"auto_publish", "score_ascending", "gpu", "rank_baselines"}
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
    "comment_choice": MetadataChoice,
    "method_choice": MetadataChoice,
    "url_choice": MetadataChoice,
    "supplementary_file_choice": MetadataChoice,
}
PLATFORM_METHODS = ("example-evaluation:latest",)  # the platform's own evaluation images (images/build.sh)


def _number(kind, raw):
    """``raw`` as a number if it is one; else as it is, for the API's check to explain."""
    try:
        value = kind(raw)
    except ValueError:
        return raw
    return value if math.isfinite(value) else raw


def read_form(handler):
    """The phase form's fields as typed: text, lists of socket slugs, rows of result columns."""
    form = {field: handler.get_body_argument(field, "").strip() for field in PHASE_FORM}
    for field in SOCKET_LISTS:
        form[field] = [slug for slug in handler.get_body_arguments(field) if slug]
    rows = zip(*(handler.get_body_arguments(name) for name in COLUMN_FIELDS), strict=False)
    form[COLUMNS] = [dict(zip(("title", "path", "order", "use"), row, strict=True)) for row in rows]
    return form


def results_columns(rows):
    """The editor's rows as the API's extra results columns; empty rows are left out."""
    columns = []
    for number, row in enumerate(rows, start=1):
        path, title = row["path"].strip(), row["title"].strip()
        if not path:
            if title:
                raise GcError(
                    f"Result column {number} ({title!r}) has no path: say where its value is in the metrics,"
                    " such as aggregates.dice.mean, or empty its title to drop it."
                )
            continue
        column = {"path": path, "ascending": row["order"] == "lower", "exclude_from_ranking": row["use"] == "shown"}
        columns.append({**column, "title": title} if title else column)
    return columns


def phase_body(form):
    """The phase form's fields as the JSON body the API would take."""
    body = {}
    for field, raw in form.items():
        if field in CHECKBOXES:
            body[field] = raw == "on"
        elif field in SOCKET_LISTS:
            body[field] = raw
        elif field == COLUMNS:
            body[field] = results_columns(raw)
        elif field in NULLABLE and raw == "":
            body[field] = None
        elif field in TIMES:
            body[field] = raw + "Z"
        elif field in NUMBERS:
            body[field] = _number(NUMBERS[field], raw)
        elif field in CHOICES and raw == "":
            continue  # a form without this choice: the phase keeps (or takes) its default
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


def editor_rows(columns):
    """The API's extra results columns as the editor's rows."""
    return [
        {
            "title": c.get("title") or "",
            "path": c["path"],
            "order": "lower" if c.get("ascending") else "higher",
            "use": "shown" if c.get("exclude_from_ranking") else "ranked",
        }
        for c in columns or []
    ]


def phase_form(data):
    """A phase (``phase_shape`` shown, or defaults) as the phase form's field values."""
    values = {}
    for field in PHASE_FORM:
        value = data.get(field)
        if field in CHECKBOXES:
            values[field] = "on" if value else ""
        elif field in TIMES:
            values[field] = _local_time(value)
        elif field == COLUMNS:
            values[field] = editor_rows(value)
        elif field in SOCKET_LISTS:
            values[field] = list(value or [])
        else:
            values[field] = "" if value is None else str(value)
    return values


def phase_scoring(data):
    """A phase's scoring (``phase_shape`` shown) as a leaderboard's scoring, for ``ranking_sentence``."""
    score = {"path": data["score_jsonpath"], "title": "Score", "ascending": data["score_ascending"]}
    return {"method": data["scoring_method"], "columns": [score, *data["extra_results_columns"]]}


def _default(field):
    column = Phase.__table__.c.get(field)
    default = column is not None and column.default
    return default.arg if default and default.is_scalar else None


# A new phase's form starts with the database's defaults.
PHASE_DEFAULTS = phase_form({field: _default(field) for field in PHASE_FORM})


class ChallengePages(SubmissionAccess, PageHandler):
    """What the challenge pages share: the choices of the phase form, and acting on a form."""

    def act(self, show, action):
        """Run ``action()``; redirect to this page if it worked, else ``show`` the error."""
        if self.submit(lambda: action() or True, lambda e: show(e.status, e.message)):  # done, even if it gives nothing
            self.redirect(self.request.path)

    def my_algorithms(self):
        """The slugs of the algorithms I edit (those I may submit)."""
        mine = select(AlgorithmMember.object_id).filter_by(username=self.username, role=AlgorithmRole.EDITOR)
        return [a.slug for a in self.db.scalars(self.visible_algorithms().where(Algorithm.id.in_(mine)))]

    def form_choices(self, phase=None):
        """What the phase form's dropdowns offer: sockets, archives I edit, evaluation methods."""
        sockets = [{"slug": s.slug, "title": s.title, "kind": str(s.kind)} for s in self.db.scalars(select(Socket))]
        archives = select(Archive).order_by(Archive.slug)
        if not self.hub_admin:
            mine = select(ArchiveMember.object_id).filter_by(username=self.username, role=ArchiveRole.EDITOR)
            archives = archives.where(Archive.id.in_(mine))
        prefix = os.environ.get("GC_IMAGE_PREFIX") or ExecutionSettings.image_prefix.default_value
        methods = [
            (f"{prefix}/{name}", f"the platform's example evaluation ({prefix}/{name})") for name in PLATFORM_METHODS
        ]
        if phase is not None:
            query = select(ContainerImage).filter_by(phase_id=phase.id, status=UploadStatus.SUCCEEDED)
            for image in self.db.scalars(query.order_by(ContainerImage.id.desc())):
                words = f"uploaded by {image.owner} on {image.created_at:%-d %b %Y, %H:%M} UTC ({image.digest[:19]})"
                methods.append((image.digest, words))
        return {
            "choices": CHOICES,
            "sockets": sorted(sockets, key=lambda s: s["slug"]),
            "archives": [{"slug": a.slug, "title": a.title} for a in self.db.scalars(archives)],
            "methods": methods,
        }


class ChallengesPage(ChallengePages):
    """All challenges, with a button to ask to join each, and a form to create one (researchers)."""

    landing = True

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
            self.act(self.show, lambda: self.request_to_join(self.joinable_challenge(slug), ""))
            return
        form = self.form("slug", "title", "description")
        challenge = self.submit(
            lambda: self.create_challenge(shapes.ChallengeCreate.read(form)),
            lambda e: self.show(e.status, e.message, form),
        )
        if challenge:
            self.redirect(f"{self.prefix}challenges/{challenge.slug}")


class ChallengePage(ChallengePages):
    """A challenge: what it is, how to take part (with the join button), the phases I may see;
    for its admins: join requests, participants, admins, deleting phases and a new phase."""

    def show(self, slug, status=200, error=None, form=None):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        now = datetime.now(UTC)
        phases = []
        for phase in self.db.scalars(self.visible_phases(challenge)):
            phases.append(
                {**shown(phase_shape(phase, admin)), "window": phase_window(phase.opens_at, phase.closes_at, now)}
            )
        values = {"join_requests": None, "admins": None, "participants": None}
        if admin:
            query = self.join_requests(challenge, JoinRequestStatus.PENDING)
            values["join_requests"] = [shown(shapes.JoinRequest.from_object(r)) for r in self.db.scalars(query)]
            values["admins"] = self.admins(challenge)
            values["participants"] = self.participants(challenge)
        self.render_page(
            "challenge.html",
            status,
            error,
            {**PHASE_DEFAULTS, **(form or {})},
            challenge=shown(self.challenge_shape(challenge)),
            phases=phases,
            admin=admin,
            participant=self.is_participant(challenge),
            may_join=self.hub_admin or self.has_scope(PARTICIPATE),
            parents=[p["slug"] for p in phases],
            heading="New phase",
            button="Create phase",
            **self.form_choices(),
            **values,
        )

    @web.authenticated
    def get(self, slug):
        self.show(slug)

    @web.authenticated
    def post(self, slug):
        action = self.get_body_argument("action", "")
        username = self.get_body_argument("username", "").strip()
        if action == "phase":
            form = read_form(self)
            made = self.submit(
                lambda: self.create_phase(
                    self.admin_challenge(slug, "add phases"), shapes.PhaseCreate.read(phase_body(form))
                ),
                lambda e: self.show(slug, e.status, e.message, form),
            )
            if made:
                self.redirect(f"{self.prefix}challenges/{slug}/phases/{made.slug}")
            return
        actions = {
            "join": lambda: self.request_to_join(self.joinable_challenge(slug), ""),
            "admin": lambda: self.add_admin(
                self.admin_challenge(slug, "add admins"), shapes.AdminAdd.read({"username": username}).username
            ),
            "remove-admin": lambda: self.remove_admin(self.admin_challenge(slug, "remove admins"), username),
            "remove-participant": lambda: self.remove_participant(
                self.admin_challenge(slug, "remove participants"), username
            ),
            "delete-phase": lambda: self.delete_phase(self.admin_phase(slug, self.get_body_argument("phase", ""))),
            "accept": lambda: self.decide(slug, "accept"),
            "reject": lambda: self.decide(slug, "reject"),
        }
        if action not in actions:
            raise web.HTTPError(400, f"Unknown action {action!r}.")
        self.act(lambda status, error: self.show(slug, status, error), actions[action])

    def decide(self, slug, decision):
        challenge = self.admin_challenge(slug, "decide its join requests")
        return self.decide_request(challenge, self.get_body_argument("request", ""), decision, pending_only=True)


class PhasePage(ChallengePages):
    """A phase: when it is open, what a submission takes, how it is scored, the submit form and
    my submissions; how to join for those who do not take part; its settings form for admins."""

    def submissions_left(self, phase, now):
        """How many more submissions the phase takes from me now, or None when it has no limit."""
        if phase.submissions_limit is None:
            return None
        days = phase.submissions_period_days
        counted = self.counted_submissions(phase, now - timedelta(days=days) if days else None)
        used = self.db.scalar(select(func.count()).select_from(counted.subquery()))
        return max(phase.submissions_limit - used, 0)

    def show(self, slug, phase_slug, status=200, error=None, form=None):
        challenge = self.challenge(slug)
        admin = self.is_admin(challenge)
        phase = self.phase(challenge, phase_slug)
        data = shown(phase_shape(phase, admin))
        now = datetime.now(UTC)
        participant = self.is_participant(challenge)
        mine = select(Submission).filter_by(phase_id=phase.id, creator=self.username).order_by(Submission.id.desc())
        submissions = [shown(self.submission_shape(s, detail=False)) for s in self.db.scalars(mine.limit(50))]
        sockets = {s.slug: s.title for s in self.db.scalars(select(Socket))}
        self.render_page(
            "phase.html",
            status,
            error,
            {**phase_form(data), **(form or {})},
            challenge=shown(self.challenge_shape(challenge)),
            phase=data,
            admin=admin,
            participant=participant,
            how_to_join=None if admin or participant else self.how_to_join(challenge),
            may_join=self.hub_admin or self.has_scope(PARTICIPATE),
            window=phase_window(phase.opens_at, phase.closes_at, now),
            open_now=not (phase.opens_at and now < phase.opens_at) and not (phase.closes_at and now >= phase.closes_at),
            left=self.submissions_left(phase, now),
            submissions=submissions,
            algorithms=self.my_algorithms() if phase.submission_kind == SubmissionKind.ALGORITHM else [],
            socket_titles=sockets,
            scoring=phase_scoring(data),
            parents=[p.slug for p in self.db.scalars(self.visible_phases(challenge)) if p is not phase],
            chunk_bytes=CHUNK_BYTES,
            heading="Settings",
            button="Save phase",
            from_now=lambda when: from_now(when, now),
            **self.form_choices(phase),
        )

    @web.authenticated
    def get(self, slug, phase):
        self.show(slug, phase)

    @web.authenticated
    def post(self, slug, phase):
        form = read_form(self)
        changed = self.submit(
            lambda: self.update_phase(self.admin_phase(slug, phase), shapes.PhaseChange.read(phase_body(form))),
            lambda e: self.show(slug, phase, e.status, e.message, form),
        )
        if changed:
            self.redirect(f"{self.prefix}challenges/{slug}/phases/{changed.slug}")


def routes(prefix):
    challenge = prefix + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return page_routes(
        prefix,
        [
            (prefix, ChallengesPage),
            (challenge, ChallengePage),
            (challenge + r"/phases/(?P<phase>[a-z0-9][a-z0-9-]*)", PhasePage),
        ],
    )
