"""Pages of submissions (challenges service): a phase's submissions with a form to submit an
algorithm, and one submission's progress, logs and results with the admins' actions."""

from sqlalchemy import select
from tornado import web

from ..api.submissions import SubmissionCreate
from ..core.orm import Algorithm, AlgorithmMember, AlgorithmRole, Evaluation, Submission, SubmissionKind
from .challenges import phase_shape
from .pages import PageHandler, shown
from .submissions import SubmissionAccess


class PhaseSubmissionsPage(SubmissionAccess, PageHandler):
    """Submissions to a phase (mine; admins: all), and the form to submit one of my algorithms
    (one who does not take part is told how to join instead)."""

    def show(self, slug, phase_slug, status=200, error=None):
        challenge = self.challenge(slug)
        phase = self.phase(challenge, phase_slug)
        admin = self.is_admin(challenge)
        outsider = not (admin or self.is_participant(challenge))
        query = select(Submission).filter_by(phase_id=phase.id).order_by(Submission.id.desc())
        if not admin:
            query = query.filter_by(creator=self.username)
        rows = [shown(self.submission_shape(s, detail=False)) for s in self.db.scalars(query.limit(200))]
        mine = select(AlgorithmMember.object_id).filter_by(username=self.username, role=AlgorithmRole.EDITOR)
        algorithms = [a.slug for a in self.db.scalars(self.visible_algorithms().where(Algorithm.id.in_(mine)))]
        self.render_page(
            "submissions.html",
            status,
            error,
            challenge=shown(self.challenge_shape(challenge)),
            phase=shown(phase_shape(phase, admin)),
            submissions=rows,
            algorithms=algorithms,
            takes_algorithms=phase.submission_kind == SubmissionKind.ALGORITHM,
            how_to_join=self.how_to_join(challenge) if outsider else None,
        )

    @web.authenticated
    def get(self, slug, phase):
        self.show(slug, phase)

    @web.authenticated
    def post(self, slug, phase):
        algorithm = self.get_body_argument("algorithm", "")
        made = self.submit(
            lambda: self.make_submission(self.submittable_phase(slug, phase), SubmissionCreate(algorithm=algorithm)),
            lambda e: self.show(slug, phase, e.status, e.message),
        )
        if made:
            self.redirect(f"../../submissions/{made.id}")


class SubmissionPage(SubmissionAccess, PageHandler):
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
        self.render_page(
            "submission.html",
            status,
            error,
            submission=shown(self.submission_shape(submission)),
            admin=self.is_admin(submission.phase.challenge),
        )

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
        }
        if action not in actions:
            raise web.HTTPError(400, f"Unknown action {action!r}.")
        if self.submit(actions[action], lambda e: self.show(slug, submission_id, e.status, e.message)):
            self.redirect(self.request.path)

    def publish(self, slug, phase_slug, published):
        phase = self.admin_phase(slug, phase_slug)
        evaluation = self.db.get(Evaluation, int(self.get_body_argument("evaluation", "0")))
        if evaluation is None or evaluation.submission.phase_id != phase.id:
            raise web.HTTPError(404, "No such evaluation in this phase.")
        evaluation.published = published
        self.commit()
        return evaluation


def routes(prefix):
    challenge = prefix + r"challenges/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return [
        (challenge + r"/phases/(?P<phase>[a-z0-9][a-z0-9-]*)/submissions", PhaseSubmissionsPage),
        (challenge + r"/submissions/(?P<submission_id>[0-9]+)", SubmissionPage),
    ]
