"""Submissions to a phase (served by the challenges service): a predictions file or an algorithm,
the evaluations of each, and the phase's ground truth.

Participants submit while a phase is open, within its limits and after passing its parent phase;
they see their own submissions, their results once published, and the logs of their jobs only on
cases they may read (never on the hidden test set, never an evaluation's: it reads the hidden
ground truth). Challenge admins see every submission with all its logs, re-evaluate, cancel,
publish results and upload ground truth (unpacked by a worker: see services/tasks/ground_truth.py).

A run's failure message is written once, by the worker, for those who see its logs; a reader who
does not gets a version of their own here (``job_shape``, ``evaluation_shape``), which says what
failed and what to do, and nothing the container wrote or chose.
"""

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from sqlalchemy import func, select
from tornado import web

from ..api import submissions as shapes
from ..api.algorithms import Limits, model_sha256
from ..api.archives import values_of
from ..api.fields import text
from ..core.errors import Conflict, GcError, InvalidValue, NotFound, PermissionDenied
from ..core.events import EVALUATION_FAILURE, evaluation_message  # noqa: F401 (tests name the message here)
from ..core.orm import (
    AlgorithmRole,
    ArchiveMember,
    ChallengeRole,
    Evaluation,
    JobStatus,
    Phase,
    ResultDisplay,
    Submission,
    SubmissionKind,
    UploadStatus,
    active_model,
    advance,
    serving,
    team_of,
    teammates,
)
from ..core.orm.results_version import results_changed
from ..core.paths import ground_truth_handover
from ..core.status import JOB_ACTIVE, JOB_UNSUCCESSFUL
from ..core.submission_metadata import PDF_MAGIC, check_metadata, check_supplementary
from ..scheduling import new_evaluation, next_runs
from .algorithms import AlgorithmAccess
from .base import APIHandler, Query, endpoint
from .challenges import PARTICIPATE, ChallengeAccess
from .container_images import UploadedFileAccess
from .leaderboard import fingerprint

# What a participant learns of a failure whose logs they may not read: which stage failed and what
# to do, not how (an exit code, a time-out or the output that was wrong are each chosen by code
# that read hidden data, and would carry bits of it out).
HIDDEN_CASE_FAILURE = (
    "the algorithm {status} on a hidden case; the challenge's admins can see its logs (ask them why),"
    " or run your algorithm with %gc_run on a case you can read to see its logs yourself"
)


def evaluation_shape(evaluation, *, admin):
    """An evaluation; its metrics only for admins, or once published; its logs and outputs only
    for admins. What it was evaluated with is pinned: admins see the method's digest and the
    ground truth version, others a fingerprint of both (as on the leaderboard), which tells
    results of one setup apart without naming it."""
    shown = admin or evaluation.published
    fields = {
        "error_message": evaluation_message(evaluation, admin=admin),
        "metrics": evaluation.metrics if shown else None,
        "evaluated_with": fingerprint(evaluation.method_digest, evaluation.ground_truth_version),
    }
    if admin:
        return shapes.EvaluationAdmin.from_object(evaluation, outputs=values_of(evaluation.outputs), **fields)
    return shapes.Evaluation.from_object(evaluation, **fields)


def moment(when):
    """A time as messages write it: ``2026-12-01 12:00 UTC``."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def submission_status(submission):
    """One word for where a submission is: its newest evaluation's status, or the jobs'."""
    if submission.evaluations:
        return str(submission.evaluations[-1].status)
    return "running algorithm" if submission.algorithm is not None else "queued"


class SubmissionAccess(ChallengeAccess, AlgorithmAccess):
    """Who may submit, see and act on submissions; shared by the API and the pages."""

    def is_participant(self, challenge):
        return ChallengeRole.PARTICIPANT in self.roles(challenge)

    def submission(self, slug, phase_slug, submission_id):
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase_slug)
        submission = self.db.get(Submission, int(submission_id))
        if submission is None or submission.phase_id != phase.id:
            raise NotFound(f"Phase {phase_slug!r} has no submission {submission_id}.")
        if submission.creator != self.username and not self.is_admin(challenge):
            raise NotFound(f"Phase {phase_slug!r} has no submission {submission_id} of yours.")
        return submission

    def admin_submission(self, slug, phase_slug, submission_id, doing):
        submission = self.submission(slug, phase_slug, submission_id)
        if not self.is_admin(submission.phase.challenge):
            raise PermissionDenied(f"Only the admins of challenge {slug!r} may {doing}.")
        return submission

    def admin_evaluation(self, slug, phase_slug, evaluation_id):
        """Evaluation ``evaluation_id`` of a phase whose challenge the caller administers."""
        phase = self.admin_phase(slug, phase_slug)
        evaluation = self.db.get(Evaluation, int(evaluation_id))
        if evaluation is None or evaluation.submission.phase_id != phase.id:
            raise NotFound(f"Phase {phase.slug!r} has no evaluation {evaluation_id}.")
        return evaluation

    def readable_archive_ids(self):
        query = select(ArchiveMember.object_id).filter_by(username=self.username)
        return set(self.db.scalars(query))

    def job_shape(self, job, *, admin, readable):
        """A job of a submission; its logs only on a case the caller may read (admins: all)."""
        item = job.archive_item
        shown = admin or (item is not None and item.archive_id in readable)
        hidden_failure = HIDDEN_CASE_FAILURE.format(status=job.status)
        return (shapes.SubmissionJobWithLogs if shown else shapes.SubmissionJob).from_object(
            job,
            case=job.archive_item_id,
            error_message=job.error_message if shown or not job.error_message else hidden_failure,
            image_digest=job.container_digest,
            model_sha256=model_sha256(job),
        )

    def submission_shape(self, submission, *, detail=True):
        """A submission: with its cases, jobs and evaluations when ``detail``, as lists show it otherwise."""
        fields = {
            "challenge": submission.phase.challenge.slug,
            "phase": submission.phase.slug,
            "kind": "algorithm" if submission.algorithm is not None else "predictions",
            "algorithm": submission.algorithm.slug if submission.algorithm is not None else None,
            "model_sha256": model_sha256(submission),
            "predictions_file": PurePosixPath(submission.predictions_path).name
            if submission.predictions_path
            else None,
            "status": submission_status(submission),
            "limits": Limits.of(submission.phase),
            "supplementary_file": (
                f"{self.platform['prefix']}api/v1/challenges/{submission.phase.challenge.slug}/phases/"
                f"{submission.phase.slug}/submissions/{submission.id}/supplementary.pdf"
                if submission.supplementary_path
                else None
            ),
        }
        if not detail:
            return shapes.SubmissionSummary.from_object(submission, **fields)
        admin = self.is_admin(submission.phase.challenge)
        readable = self.readable_archive_ids()
        jobs = submission.jobs
        total = len(submission.phase.archive.items) if submission.algorithm and submission.phase.archive else 0
        return shapes.Submission.from_object(
            submission,
            **fields,
            cases=shapes.CasesDone(total=total, done=sum(job.status.is_terminal for job in jobs)),
            jobs=[self.job_shape(job, admin=admin, readable=readable) for job in jobs],
            evaluations=[evaluation_shape(e, admin=admin) for e in submission.evaluations],
        )

    # --- the rules of submitting ----------------------------------------------------------

    def check_open(self, phase, now):
        if phase.opens_at and now < phase.opens_at:
            raise Conflict(f"Phase {phase.slug!r} opens at {moment(phase.opens_at)}; submit then.")
        if phase.closes_at and now >= phase.closes_at:
            raise Conflict(
                f"Phase {phase.slug!r} closed at {moment(phase.closes_at)}; it takes no more submissions."
                " Submit to a phase that is open (%gc_challenges lists them)."
            )

    def check_parent(self, phase):
        parent = phase.parent
        if parent is None:
            return
        passed = (
            select(Evaluation.id)
            .join(Submission)
            .where(Submission.phase_id == parent.id, Submission.creator == self.username)
            .where(Evaluation.status == JobStatus.SUCCEEDED)
        )
        if self.db.scalar(passed.limit(1)) is not None:
            return
        if self.db.scalar(self.visible_phases(phase.challenge).where(Phase.id == parent.id)) is None:
            raise Conflict(
                f"Phase {phase.slug!r} takes submissions only from those who passed an earlier phase that you"
                " cannot see; ask the challenge's admins how to take part in it."
            )
        raise Conflict(
            f"Phase {phase.slug!r} takes submissions only from those who passed {parent.slug!r}"
            f" first: submit there, and wait for a successful evaluation."
        )

    def counted_submissions(self, phase, since):
        """The query of my submissions (my team's, when the challenge uses teams) to ``phase``
        since ``since`` that count against its limit, oldest first: all but those whose
        evaluations all failed or were cancelled."""
        failed_only = Submission.evaluations.any() & ~Submission.evaluations.any(
            Evaluation.status.not_in(JOB_UNSUCCESSFUL)
        )
        query = select(Submission).where(
            Submission.phase_id == phase.id,
            Submission.creator.in_(teammates(self.db, phase.challenge, self.username)),
            ~failed_only,
        )
        if since is not None:
            query = query.where(Submission.created_at >= since)
        return query.order_by(Submission.created_at)

    def check_limit(self, phase, now):
        if phase.submissions_limit is None:
            return
        days = phase.submissions_period_days
        since = now - timedelta(days=days) if days else None
        counted = self.counted_submissions(phase, since)
        if self.db.scalar(select(func.count()).select_from(counted.subquery())) < phase.submissions_limit:
            return
        if days:
            oldest = self.db.scalars(counted.limit(1)).one()
            freed = moment(oldest.created_at + timedelta(days=days))
            then = f"the oldest of them stops counting at {freed}: submit again then"
        else:
            then = "a submission whose evaluations all fail gives its place back"
        period = f"in {days} day(s)" if days else "in this phase"
        team = team_of(self.db, phase.challenge, self.username) if phase.challenge.use_teams else None
        whose = f"Your team {team.name!r} has used its" if team else "You have used your"
        raise Conflict(
            f"{whose} {phase.submissions_limit} submission(s) {period} to {phase.slug!r}"
            f" (failed evaluations do not count); {then}."
        )

    def submittable_phase(self, slug, phase_slug):
        """The phase to which the caller may submit now, or an error that says what to do first."""
        challenge = self.challenge(slug)
        if not (self.is_participant(challenge) or self.is_admin(challenge)):
            self.refuse_outsider(challenge, phase_slug)
        phase = self.phase(challenge, phase_slug)
        now = datetime.now(UTC)
        self.check_open(phase, now)
        self.check_parent(phase)
        self.check_limit(phase, now)
        return phase

    def how_to_join(self, challenge):
        """What one who does not take part in ``challenge`` does to take part, in words."""
        if self.pending_request(challenge) is not None:
            return "your request to join it is pending: submit once its admins accept it"
        if self.hub_admin or self.has_scope(PARTICIPATE):
            return (
                f"join it first with %gc_join {challenge.slug} in a notebook, or with 'Request to join' on the"
                " challenges page"
            )
        return "your hub account may not join challenges: ask the hub's admins for that permission"

    def refuse_outsider(self, challenge, phase_slug):
        """Tell one who does not take part in ``challenge`` how to: 403 on a phase they may see, 404
        with the same advice on one that is missing or not for them (which stays unknown)."""
        slug, how = challenge.slug, self.how_to_join(challenge)
        if self.db.scalar(self.visible_phases(challenge).where(Phase.slug == phase_slug)) is None:
            raise NotFound(
                f"Challenge {slug!r} has no phase {phase_slug!r} that you can see. Only its participants submit,"
                f" and they may see more of its phases: {how}."
            )
        raise PermissionDenied(f"Only participants of challenge {slug!r} may submit to its phases; {how}.")

    def submitted_algorithm(self, phase, slug):
        try:
            algorithm = self.algorithm(text("algorithm", slug), doing="submit it")
        except NotFound as missing:
            raise NotFound(
                f"{missing.message} Submit an algorithm that you edit (GET algorithms lists yours; %gc_algorithm"
                " build makes one)."
            ) from None
        if AlgorithmRole.EDITOR not in self.my_algorithm_roles(algorithm) and not self.hub_admin:
            raise PermissionDenied(
                f"Only editors of algorithm {slug!r} may submit it; ask one of them to submit it or to make you"
                " an editor."
            )
        if algorithm.container_digest is None:
            raise Conflict(
                f"Algorithm {slug!r} has no checked container image yet; upload one first (POST"
                f" algorithms/{slug}/image with a `docker save` tarball, or %gc_algorithm build {slug} in a"
                " notebook), wait until it is checked, then submit."
            )
        lacking = [wanted for wanted in phase.algorithm_interfaces if not serving(algorithm.interfaces, wanted)]
        if lacking:
            raise InvalidValue(
                f"Phase {phase.slug!r} runs algorithms with the interface(s) "
                f"{'; '.join(i.describe() for i in phase.algorithm_interfaces)}; algorithm {slug!r} has no interface"
                f" with the inputs and at least the outputs of {'; '.join(i.describe() for i in lacking)}."
                f' Add them to it (PATCH algorithms/{slug} with "interfaces"), then submit again.'
            )
        if phase.archive is None or not phase.archive.items:
            raise Conflict(
                f"Phase {phase.slug!r} has no test cases yet; its admins add an archive with cases. Submit once"
                " they have (ask them)."
            )
        return algorithm

    def make_submission(self, phase, body):
        """A new submission of ``body``'s (a SubmissionCreate's) predictions file or algorithm, with
        its first runs queued."""
        if not phase.method_image:
            raise Conflict(f"Phase {phase.slug!r} has no evaluation method yet; its admins upload one first.")
        given = body.given()
        metadata = check_metadata(phase, given)
        supplementary = self.supplementary_upload(phase, given.get("supplementary_file"))
        if phase.submission_kind == SubmissionKind.ALGORITHM:
            if "algorithm" not in given:
                raise GcError(f'Phase {phase.slug!r} takes algorithms: send {{"algorithm": <slug>}}.')
            algorithm = self.submitted_algorithm(phase, body.algorithm)
            submission = Submission(  # pinned to the image and model of now, whatever their editors change later
                phase=phase,
                creator=self.username,
                algorithm=algorithm,
                algorithm_digest=algorithm.container_digest,
                algorithm_model=active_model(self.db, algorithm),
            )
        else:
            if "upload_session" not in given or "file" not in given:
                raise GcError(
                    f'Phase {phase.slug!r} takes a predictions file: send {{"upload_session": id, "file": id}}.'
                )
            predictions = self.keep_predictions(phase, self.uploaded_file(body))
            submission = Submission(phase=phase, creator=self.username, predictions_path=predictions)
        submission.evaluation_inputs = self.evaluation_inputs(phase, given.get("evaluation_inputs") or {})
        for field, value in metadata.items():
            setattr(submission, field, value)
        if supplementary is not None:
            submission.supplementary_path = self.keep_file(phase, supplementary, ".pdf")
        self.db.add(submission)
        self.db.flush()
        runs = next_runs(self.db, submission)
        self.commit()
        self.platform["queue"].runs(runs)
        return submission

    def evaluation_inputs(self, phase, given):
        """The submission's values for the phase's additional evaluation inputs (``given``: by
        socket slug, as a job's inputs are given)."""
        wanted = {socket.slug: socket for socket in phase.evaluation_additional_inputs}
        missing, unknown = sorted(set(wanted) - set(given)), sorted(set(given) - set(wanted))
        if missing or unknown:
            wants = ", ".join(sorted(wanted)) or "none"
            raise InvalidValue(
                f"Phase {phase.slug!r} wants a value for each of its evaluation inputs ({wants}) in"
                f" evaluation_inputs; you gave {', '.join(sorted(given)) or 'none'}."
            )
        return [self.input_value(wanted[slug], value) for slug, value in given.items()]

    def supplementary_upload(self, phase, ref):
        """The uploaded file that ``ref`` ({upload_session, file}) names, if it is a PDF the phase
        takes (its first bytes and size checked; the file is only ever served, never opened)."""
        if ref is not None and not (isinstance(ref, dict) and set(ref) == {"upload_session", "file"}):
            raise InvalidValue('supplementary_file must be {"upload_session": id, "file": id} of an uploaded PDF.')
        file = self.uploaded_file(shapes.UploadedFileRef.read(ref)) if ref is not None else None
        head = b""
        if file is not None:
            with open(Path(self.platform["settings"].data_dir, file.upload_path), "rb") as stream:
                head = stream.read(len(PDF_MAGIC))
        check_supplementary(phase, file is not None, head, file.size if file else 0)
        return file

    def keep_predictions(self, phase, file):
        """Link an uploaded predictions file to where the submission keeps it."""
        return self.keep_file(phase, file, "".join(PurePosixPath(file.filename).suffixes[-2:]).lower())

    def keep_file(self, phase, file, suffix):
        """Link an uploaded file to where the submission keeps it, named anew with ``suffix``."""
        data_dir = self.platform["settings"].data_dir
        relative = f"submissions/{phase.id}/{uuid.uuid4().hex}{suffix}"
        Path(data_dir, relative).parent.mkdir(parents=True, exist_ok=True)
        os.link(Path(data_dir, file.upload_path), Path(data_dir, relative))
        return relative

    def select(self, submission):
        """Make ``submission`` (the caller's own) the one that represents them on its phase's
        leaderboard, when the phase shows chosen results."""
        phase = submission.phase
        if submission.creator != self.username:
            raise PermissionDenied("Only its creator chooses which of their results represents them.")
        if phase.result_display != ResultDisplay.SELECTED:
            raise Conflict(
                f"Phase {phase.slug!r} shows {phase.result_display} results, not the ones participants choose;"
                " its admins may change that (result_display: selected)."
            )
        mine = select(Submission).filter_by(phase_id=phase.id, creator=self.username, selected=True)
        for other in self.db.scalars(mine):
            other.selected = False
        submission.selected = True
        results_changed(self.db, phase.id)
        self.commit()
        return submission

    def mark_baseline(self, submission, is_baseline):
        """Mark a submission (from ``admin_submission``) as a baseline of its phase, or not."""
        submission.is_baseline = is_baseline
        results_changed(self.db, submission.phase_id)  # the leaderboard shows it
        self.commit()
        return submission

    def reevaluate(self, submission):
        if submission.algorithm is not None:
            jobs = submission.jobs
            if any(job.status in JOB_ACTIVE for job in jobs):
                raise Conflict(f"Submission {submission.id} still has jobs running; re-evaluate when they end.")
            evaluation = new_evaluation(submission, [job for job in jobs if job.status == JobStatus.SUCCEEDED])
        else:
            evaluation = new_evaluation(submission)
        self.db.add(evaluation)
        self.commit()
        self.platform["queue"].run(evaluation)
        return evaluation

    def cancel(self, submission):
        """Cancel every job and evaluation of ``submission`` that has not ended."""
        runs = [*submission.jobs, *submission.evaluations]
        unfinished = [run for run in runs if not run.status.is_terminal]
        if not unfinished:
            raise Conflict(f"Submission {submission.id} has nothing left to cancel.")
        for run in unfinished:
            advance(run, JobStatus.CANCELLED)
        if not submission.evaluations:  # an algorithm submission ends with its jobs
            evaluation = new_evaluation(submission)
            evaluation.error_message = "cancelled by an admin"
            advance(evaluation, JobStatus.CANCELLED)
            self.db.add(evaluation)
        self.commit()
        return submission

    def take_ground_truth(self, phase, file):
        """Hand the uploaded ground truth ``file`` to a worker, which unpacks (a zip or tarball) or
        keeps (one file) it and then makes it the phase's: the bytes are hard-linked out of the upload session
        (which may be cancelled meanwhile), the file is marked as importing, and the task is
        queued after the commit. The file's status and message say how it went."""
        settings = self.platform["settings"]
        folder, archive = ground_truth_handover(phase.challenge.slug, phase.slug, file.id)
        advance(file, UploadStatus.IMPORTING)  # 409 if it was handed over already
        Path(settings.data_dir, archive).parent.mkdir(parents=True, exist_ok=True)
        os.link(Path(settings.data_dir, file.upload_path), Path(settings.data_dir, archive))
        file.message = f"being unpacked as the ground truth of phase {phase.slug!r}"
        self.commit()
        self.platform["queue"].make_ground_truth(
            phase_id=phase.id, upload_file_id=file.id, archive=archive, folder=folder
        )
        return file


class SubmissionHandler(SubmissionAccess, UploadedFileAccess, APIHandler):
    pass


class SubmissionsHandler(SubmissionHandler):
    """GET: submissions to the phase: mine (admins: everyone's, ?creator= to filter). POST
    (participants, while the phase is open, within its limits, after passing its parent phase):
    {"upload_session": id, "file": id} of an uploaded predictions file, or {"algorithm": slug}."""

    @endpoint(returns=shapes.SubmissionPage, query={"creator": Query(str, "Only this user's (admins).")})
    @web.authenticated
    def get(self, slug, phase):
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase)
        query = select(Submission).filter_by(phase_id=phase.id).order_by(Submission.id.desc())
        creator = self.get_argument("creator", None)
        if not self.is_admin(challenge):
            query = query.filter_by(creator=self.username)
        elif creator:
            query = query.filter_by(creator=creator)
        self.write_model(self.page(query, lambda s: self.submission_shape(s, detail=False)))

    @endpoint(shapes.SubmissionCreate, shapes.Submission, 201)
    @web.authenticated
    def post(self, slug, phase):
        phase = self.submittable_phase(slug, phase)
        submission = self.make_submission(phase, self.body())
        self.write_model(self.submission_shape(submission), 201)


class SubmissionDetailHandler(SubmissionHandler):
    """GET: one submission (mine, or any for admins): status, cases done, jobs (logs on cases
    I may read; admins: all), evaluations (metrics once published; logs for admins only).
    PATCH {is_baseline}: mark it as a baseline, or not (admins)."""

    @endpoint(returns=shapes.Submission)
    @web.authenticated
    def get(self, slug, phase, submission_id):
        self.write_model(self.submission_shape(self.submission(slug, phase, submission_id)))

    @endpoint(shapes.SubmissionChange, shapes.Submission)
    @web.authenticated
    def patch(self, slug, phase, submission_id):
        """(challenge admins) mark the submission as a baseline, or not."""
        submission = self.admin_submission(slug, phase, submission_id, "mark baselines")
        self.write_model(self.submission_shape(self.mark_baseline(submission, self.body().is_baseline)))


class SelectHandler(SubmissionHandler):
    """POST: choose this submission of mine to represent me on the leaderboard (phases that show
    the results participants choose)."""

    @endpoint(returns=shapes.Submission)
    @web.authenticated
    def post(self, slug, phase, submission_id):
        self.write_model(self.submission_shape(self.select(self.submission(slug, phase, submission_id))))


class ReevaluateHandler(SubmissionHandler):
    """POST (challenge admins): evaluate the submission again (after new ground truth, say)."""

    @endpoint(returns=shapes.EvaluationAdmin, status=201)
    @web.authenticated
    def post(self, slug, phase, submission_id):
        submission = self.admin_submission(slug, phase, submission_id, "re-evaluate submissions")
        evaluation = self.reevaluate(submission)
        self.write_model(evaluation_shape(evaluation, admin=True), 201)


class CancelSubmissionHandler(SubmissionHandler):
    """POST (challenge admins): cancel the submission's jobs and evaluations that have not ended."""

    @endpoint(returns=shapes.Submission)
    @web.authenticated
    def post(self, slug, phase, submission_id):
        submission = self.admin_submission(slug, phase, submission_id, "cancel submissions")
        self.write_model(self.submission_shape(self.cancel(submission)))


class EvaluationHandler(SubmissionHandler):
    """PATCH (challenge admins): {"published": true|false} shows or hides a result."""

    @endpoint(shapes.EvaluationPublish, shapes.EvaluationAdmin)
    @web.authenticated
    def patch(self, slug, phase, evaluation_id):
        evaluation = self.admin_evaluation(slug, phase, evaluation_id)
        evaluation.published = self.body().published
        self.commit()
        self.write_model(evaluation_shape(evaluation, admin=True))


class GroundTruthHandler(SubmissionHandler):
    """POST (challenge admins): {"upload_session": id, "file": id} of an uploaded zip or tarball
    (or one file) of ground truth. 202: a worker unpacks it into the challenge's folder, then the phase
    uses it; follow the file's status and message in the archives service
    (``upload-sessions/<id>/files/<id>``). Until then the phase keeps its ground truth."""

    @endpoint(shapes.UploadedFileRef, shapes.GroundTruthTaken, 202)
    @web.authenticated
    def post(self, slug, phase):
        phase = self.admin_phase(slug, phase)
        file = self.take_ground_truth(phase, self.uploaded_file(self.body()))
        taken = shapes.GroundTruthTaken(
            upload_session=file.upload_session_id,
            file=file.id,
            status=file.status,
            message=file.message,
            ground_truth_path=phase.ground_truth_path,
            ground_truth_version=phase.ground_truth_version,
        )
        self.write_model(taken, 202)


class SupplementaryFileHandler(SubmissionHandler):
    """GET: the submission's supplementary PDF (whoever may see the submission), as a download:
    never shown inline, never sniffed as another type."""

    @endpoint(file_types=("application/pdf",))
    @web.authenticated
    def get(self, slug, phase, submission_id):
        submission = self.submission(slug, phase, submission_id)
        path = Path(self.platform["settings"].data_dir, submission.supplementary_path or "")
        if not submission.supplementary_path or not path.is_file():
            raise NotFound(f"Submission {submission.id} has no supplementary file.")
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="submission-{submission.id}.pdf"')
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox")
        self.finish(path.read_bytes())


def routes(prefix):
    phase = prefix + r"api/v1/challenges/(?P<slug>[a-z0-9][a-z0-9-]*)/phases/(?P<phase>[a-z0-9][a-z0-9-]*)"
    submission = phase + r"/submissions/(?P<submission_id>[0-9]+)"
    return [
        (phase + "/submissions", SubmissionsHandler),
        (submission, SubmissionDetailHandler),
        (submission + "/evaluations", ReevaluateHandler),
        (submission + "/cancel", CancelSubmissionHandler),
        (submission + "/select", SelectHandler),
        (submission + "/supplementary.pdf", SupplementaryFileHandler),
        (phase + r"/evaluations/(?P<evaluation_id>[0-9]+)", EvaluationHandler),
        (phase + "/ground-truth", GroundTruthHandler),
    ]
