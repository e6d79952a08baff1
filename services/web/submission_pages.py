"""Pages of submissions (challenges service): a phase's submissions (where the phase page's
algorithm form submits), and one submission's progress, logs and results with the admins' actions."""

from sqlalchemy import select
from tornado import web

from ..api.submissions import SubmissionCreate
from ..core.orm import ResultDisplay, Submission
from ..core.submission_metadata import PIECES
from .challenge_pages import ChallengePages
from .challenges import phase_shape
from .evaluation_outputs import output_file_path
from .pages import case_table, metric_rows, page_routes, shown, sibling, value_text


def output_shown(value, whose, download=None):
    """A run's output as a page shows it: an image by its id (a thumbnail that links to its file)
    with ``whose`` it is in its alt text, a file by its size (a link to ``download``, if given),
    any other value as text."""
    title = value.socket.title or value.socket.slug
    if value.image_id is not None:
        return {"title": title, "image": value.image_id, "alt": f"{title} of {whose}"}
    if value.file_path is None:
        return {"title": title, "text": value_text(value.value)}
    return {"title": title, "text": f"a file of {value.file_size:,} bytes", "download": download}


class PhaseSubmissionsPage(ChallengePages):
    """Submissions to a phase (mine; admins: all); it takes the phase page's form that submits
    one of my algorithms, and shows its error (with how to join for one who does not take part)."""

    def show(self, slug, phase_slug, status=200, error=None):
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase_slug)
        admin = self.is_admin(challenge)
        outsider = not (admin or self.is_participant(challenge))
        query = select(Submission).filter_by(phase_id=phase.id).order_by(Submission.id.desc())
        if not admin:
            query = query.filter_by(creator=self.username)
        rows = [shown(self.submission_shape(s, detail=False)) for s in self.db.scalars(query.limit(200))]
        self.render_page(
            "submissions.html",
            status,
            error,
            challenge=shown(self.challenge_shape(challenge)),
            phase=shown(phase_shape(phase, admin)),
            submissions=rows,
            admin=admin,
            how_to_join=self.how_to_join(challenge) if outsider else None,
        )

    @web.authenticated
    def get(self, slug, phase):
        self.show(slug, phase)

    @web.authenticated
    def post(self, slug, phase):
        algorithm = self.get_body_argument("algorithm", "")
        said = {field: self.get_body_argument(field, "").strip() for field in PIECES}
        body = SubmissionCreate(algorithm=algorithm, **{field: text for field, text in said.items() if text})
        made = self.submit(
            lambda: self.make_submission(self.submittable_phase(slug, phase), body),
            lambda e: self.show(slug, phase, e.status, e.message),
        )
        if made:
            self.redirect(f"{self.prefix}challenges/{slug}/submissions/{made.id}")


class SubmissionPage(ChallengePages):
    """One submission: status, cases done, jobs (logs where allowed), evaluations, pinned digests;
    admins see every log, and re-evaluate, cancel and publish here."""

    def find(self, slug, submission_id):
        challenge = self.challenge(slug)
        submission = self.db.get(Submission, int(submission_id))
        if submission is None or submission.phase.challenge_id != challenge.id:
            raise web.HTTPError(404, f"Challenge {slug!r} has no submission {submission_id}.")
        return self.submission(slug, submission.phase.slug, submission_id)

    def show(self, slug, submission_id, status=200, error=None):
        submission = self.find(slug, submission_id)
        data = shown(self.submission_shape(submission))
        for evaluation, shape in zip(submission.evaluations, data["evaluations"], strict=True):
            metrics = shape["metrics"]
            summary = metrics.get("aggregates", metrics) if isinstance(metrics, dict) else metrics
            shape["rows"] = metric_rows(summary) if metrics is not None else []
            shape["cases"] = case_table(metrics)
            if "outputs" in shape:  # an admin's: what it wrote besides its metrics
                shape["outputs"] = self.evaluation_outputs(slug, submission.phase.slug, evaluation)
        for job, shape in zip(submission.jobs, data["jobs"], strict=True):
            if "stdout_tail" in shape:  # a case I may read: its outputs too
                shape["outputs"] = [output_shown(value, f"case {job.archive_item_id}") for value in job.outputs]
        self.render_page(
            "submission.html",
            status,
            error,
            submission=data,
            phase_title=submission.phase.title,
            admin=self.is_admin(submission.phase.challenge),
            chooses=submission.phase.result_display == ResultDisplay.SELECTED,
            images_api=sibling(self.prefix, "archives") + "api/v1/images/",
        )

    def evaluation_outputs(self, slug, phase_slug, evaluation):
        """What ``evaluation`` wrote besides its metrics, as the page shows it; its files are downloads."""
        return [
            output_shown(
                value,
                f"evaluation {evaluation.id}",
                output_file_path(self.prefix, slug, phase_slug, evaluation.id, value.socket.slug),
            )
            for value in evaluation.outputs
        ]

    @web.authenticated
    def get(self, slug, submission_id):
        self.show(slug, submission_id)

    @web.authenticated
    def post(self, slug, submission_id):
        submission = self.find(slug, submission_id)
        action = self.get_body_argument("action", "")
        phase = submission.phase.slug
        actions = {
            "reevaluate": lambda: self.reevaluate(self.admin_submission(slug, phase, submission_id, "re-evaluate")),
            "cancel": lambda: self.cancel(self.admin_submission(slug, phase, submission_id, "cancel submissions")),
            "publish": lambda: self.publish(slug, phase, True),
            "unpublish": lambda: self.publish(slug, phase, False),
            "select": lambda: self.select(submission),
            "baseline": lambda: self.mark_baseline(
                self.admin_submission(slug, phase, submission_id, "mark baselines"),
                self.get_body_argument("baseline", "") == "yes",
            ),
        }
        if action not in actions:
            raise web.HTTPError(400, f"Unknown action {action!r}.")
        if self.submit(actions[action], lambda e: self.show(slug, submission_id, e.status, e.message)):
            self.redirect(self.request.path)

    def publish(self, slug, phase_slug, published):
        evaluation = self.admin_evaluation(slug, phase_slug, self.get_body_argument("evaluation", "0"))
        evaluation.published = published
        self.commit()
        return evaluation


def routes(prefix):
    challenge = prefix + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return page_routes(
        prefix,
        [
            (challenge + r"/phases/(?P<phase>[a-z0-9][a-z0-9-]*)/submissions", PhaseSubmissionsPage),
            (challenge + r"/submissions/(?P<submission_id>[0-9]+)", SubmissionPage),
        ],
    )
