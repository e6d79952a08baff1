"""The algorithms API (served by the challenges service): algorithms, their members, and the jobs
that run them on my inputs.

An algorithm is seen by its editors and users; its editors change it and upload its container
image (see container_images.py). A job is seen by the one who started it, the algorithm's
editors and hub admins; its creator or an admin can cancel it. Jobs are queued after the commit.
"""

from sqlalchemy import func, select
from tornado import web

from ..api import algorithms as shapes
from ..core.errors import Conflict, GcError, InvalidValue, NotFound, PermissionDenied
from ..core.orm import (
    Algorithm,
    AlgorithmJob,
    AlgorithmMember,
    AlgorithmRole,
    JobStatus,
    active_model,
    advance,
    grant,
    interface_for,
    make_value,
    revoke,
    save,
    usernames,
)
from .base import APIHandler, Query, endpoint, member_query
from .ceilings import LIMIT_FIELDS, container_limits
from .image_files import readable_image
from .interfaces import interfaces_from, one_interface

CREATE = "custom:algorithms:create"


class AlgorithmAccess:
    """Who may see and change which algorithm and job; shared by the API and pages."""

    def my_algorithm_roles(self, algorithm):
        query = select(AlgorithmMember.role).filter_by(object_id=algorithm.id, username=self.username)
        return set(self.db.scalars(query))

    def visible_algorithms(self):
        query = select(Algorithm).order_by(Algorithm.slug)
        if self.user.get("admin"):
            return query
        mine = select(AlgorithmMember.object_id).filter_by(username=self.username)
        return query.where(Algorithm.id.in_(mine))

    def algorithm(self, slug, editor=False, doing="see this algorithm"):
        algorithm = self.db.scalar(select(Algorithm).filter_by(slug=slug))
        roles = self.my_algorithm_roles(algorithm) if algorithm else set()
        if algorithm is None or not (roles or self.user.get("admin")):
            raise NotFound(f"There is no algorithm {slug!r}, or you are not one of its editors or users.")
        if editor and AlgorithmRole.EDITOR not in roles and not self.user.get("admin"):
            raise PermissionDenied(f"Only the editors of algorithm {slug!r} may {doing}.")
        return algorithm

    def create_algorithm(self, body):
        """A new algorithm of ``body`` (an AlgorithmCreate) whose creator is its editor."""
        self.require_scope(CREATE, "create algorithms")
        algorithm = Algorithm(
            slug=body.slug,
            title=body.title,
            description=body.description,
            created_by=self.username,
            interfaces=self.interfaces(body, body.slug) or one_interface(self.db, body.inputs, body.outputs),
            **container_limits(self.platform["settings"], body.limits(), Algorithm),
        )
        save(self.db, algorithm)
        grant(self.db, algorithm, self.username, AlgorithmRole.EDITOR)
        return algorithm

    def interfaces(self, body, slug):
        """The interfaces ``body`` lists (None when it lists none)."""
        if body.interfaces is None:
            return None
        return interfaces_from(self.db, "interfaces", body.interfaces, f"algorithm {slug!r}")

    def job(self, job_id):
        job = self.db.get(AlgorithmJob, int(job_id))
        if job is None or not self.may_see_job(job):
            raise NotFound(f"There is no algorithm job {job_id}, or it is not yours.")
        return job

    def may_see_job(self, job):
        """The creator, the algorithm's editors and hub admins see a job; a job that ran for a
        challenge submission only hub admins (its case may be hidden: the submissions API shows
        what of it each person may see)."""
        if self.user.get("admin"):
            return True
        if job.submission_id is not None:
            return False
        return job.creator == self.username or AlgorithmRole.EDITOR in self.my_algorithm_roles(job.algorithm)

    def own_jobs(self, query):
        """``query`` of jobs without those made for challenge submissions (see ``may_see_job``)."""
        return query if self.user.get("admin") else query.where(AlgorithmJob.submission_id.is_(None))

    def queue_position(self, job):
        """How many queued jobs are ahead of ``job`` (None once it left the queue)."""
        if job.status != JobStatus.QUEUED:
            return None
        ahead = select(func.count()).where(AlgorithmJob.status == JobStatus.QUEUED, AlgorithmJob.id < job.id)
        return self.db.scalar(ahead)

    def input_value(self, socket, given):
        """A new value of input ``socket`` from the request: JSON as is, an image as
        ``{"image": <id>}`` of an image I may download (image_files.may_read: never the output of
        a job on a case hidden from me)."""
        if socket.kind.is_image:
            return make_value(self.db, socket, image=self.input_image(socket, given))
        if socket.kind.is_file:
            raise InvalidValue(f"input {socket.slug!r}: file inputs cannot be given through this API yet.")
        return make_value(self.db, socket, value=given)

    def input_image(self, socket, given):
        """The image that ``given`` (``{"image": <id>}``) names, if I may read it."""
        image_id = given.get("image") if isinstance(given, dict) else None
        try:
            if type(image_id) is int:
                return readable_image(self.db, self.user, image_id)
        except NotFound:
            pass
        raise InvalidValue(
            f'input {socket.slug!r}: give {{"image": <id>}} of an image you uploaded or may read, not {given!r}.'
        )

    def start_job(self, algorithm, inputs):
        """A queued job of ``algorithm`` on ``inputs`` (a JobStart's, by socket slug)."""
        if algorithm.container_digest is None:
            raise Conflict(
                f"Algorithm {algorithm.slug!r} has no checked container image yet; its editors upload one first."
            )
        stored = {limit: getattr(algorithm, limit) for limit in LIMIT_FIELDS}
        limits = container_limits(self.platform["settings"], stored)  # the ceilings may have been lowered since
        interface = interface_for(algorithm.interfaces, inputs)
        if interface is None:
            takes = " or ".join(f"{{{', '.join(i.key)}}}" for i in algorithm.interfaces) or "nothing yet"
            raise InvalidValue(
                f"Algorithm {algorithm.slug!r} takes the inputs {takes}; you gave {{{', '.join(sorted(inputs))}}}."
                " Give exactly the inputs of one of its interfaces."
            )
        wanted = {socket.slug: socket for socket in interface.inputs}
        job = AlgorithmJob(
            algorithm=algorithm,
            interface=interface,
            creator=self.username,
            algorithm_model=active_model(self.db, algorithm),
            inputs=[self.input_value(wanted[slug], value) for slug, value in inputs.items()],
            **limits,
        )
        self.db.add(job)
        self.commit()
        self.platform["queue"].run(job)
        return job

    def cancel_job(self, job):
        if job.creator != self.username and not self.user.get("admin"):
            raise PermissionDenied(f"Only {job.creator}, who started job {job.id}, or an admin may cancel it.")
        advance(job, JobStatus.CANCELLED)  # the worker running it sees this and kills the container
        self.commit()
        return job


class AlgorithmAPIHandler(AlgorithmAccess, APIHandler):
    pass


class AlgorithmsHandler(AlgorithmAPIHandler):
    """GET: the algorithms I edit or use. POST: create one (hub permission
    custom:algorithms:create): slug, title, and optionally description, inputs and outputs
    (socket slugs), cpu_limit, memory_limit_mb, time_limit_s, gpu."""

    @endpoint(returns=shapes.AlgorithmPage)
    @web.authenticated
    def get(self):
        roles = {}
        for member in self.db.scalars(select(AlgorithmMember).filter_by(username=self.username)):
            roles.setdefault(member.object_id, set()).add(member.role)
        self.write_model(self.page(self.visible_algorithms(), lambda a: shapes.Algorithm.of(a, roles.get(a.id, ()))))

    @endpoint(shapes.AlgorithmCreate, shapes.Algorithm, 201)
    @web.authenticated
    def post(self):
        algorithm = self.create_algorithm(self.body())
        self.commit()
        self.write_model(shapes.Algorithm.of(algorithm, {AlgorithmRole.EDITOR}), 201)


class AlgorithmHandler(AlgorithmAPIHandler):
    """GET: one algorithm. PATCH (editors): title, description, limits."""

    @endpoint(returns=shapes.Algorithm)
    @web.authenticated
    def get(self, slug):
        algorithm = self.algorithm(slug)
        self.write_model(shapes.Algorithm.of(algorithm, self.my_algorithm_roles(algorithm)))

    @endpoint(shapes.AlgorithmChange, shapes.Algorithm)
    @web.authenticated
    def patch(self, slug):
        algorithm = self.algorithm(slug, editor=True, doing="change it")
        body = self.body()
        changes = {key: value for key, value in body.given().items() if key in ("title", "description")}
        changes.update(container_limits(self.platform["settings"], body.limits()))
        if body.interfaces is not None:
            changes["interfaces"] = self.interfaces(body, slug)
        for key, value in changes.items():
            setattr(algorithm, key, value)
        self.commit()
        self.write_model(shapes.Algorithm.of(algorithm, self.my_algorithm_roles(algorithm)))


class AlgorithmMembersHandler(AlgorithmAPIHandler):
    """GET: editors and users. POST (editors): {username, role} grants a role. DELETE (editors):
    ?username=&role= takes it away (the last editor stays)."""

    def members(self, algorithm):
        return shapes.AlgorithmMembers(**{role.value: usernames(self.db, algorithm, role) for role in AlgorithmRole})

    @endpoint(returns=shapes.AlgorithmMembers)
    @web.authenticated
    def get(self, slug):
        self.write_model(self.members(self.algorithm(slug)))

    @endpoint(shapes.AlgorithmMemberGrant, shapes.AlgorithmMembers, 201)
    @web.authenticated
    def post(self, slug):
        algorithm = self.algorithm(slug, editor=True, doing="add members")
        body = self.body()
        grant(self.db, algorithm, body.username, body.role)
        self.commit()
        self.write_model(self.members(algorithm), 201)

    @endpoint(returns=shapes.AlgorithmMembers, query=member_query(AlgorithmRole))
    @web.authenticated
    def delete(self, slug):
        algorithm = self.algorithm(slug, editor=True, doing="remove members")
        username, role = self.get_argument("username"), self.get_argument("role")
        if role == AlgorithmRole.EDITOR and usernames(self.db, algorithm, role) == [username]:
            raise Conflict(f"{username} is the last editor of {slug!r}; make someone else an editor first.")
        revoke(self.db, algorithm, username, role)
        self.commit()
        self.write_model(self.members(algorithm))


class AlgorithmJobsHandler(AlgorithmAPIHandler):
    """GET: this algorithm's jobs that I may see (mine; editors see all). POST (editors and
    users): {"inputs": {socket slug: JSON value or {"image": id}}} starts a job."""

    @endpoint(returns=shapes.AlgorithmJobPage)
    @web.authenticated
    def get(self, slug):
        algorithm = self.algorithm(slug)
        query = self.own_jobs(
            select(AlgorithmJob).filter_by(algorithm_id=algorithm.id).order_by(AlgorithmJob.id.desc())
        )
        if AlgorithmRole.EDITOR not in self.my_algorithm_roles(algorithm) and not self.user.get("admin"):
            query = query.filter_by(creator=self.username)
        self.write_model(self.page(query, shapes.AlgorithmJobSummary.of))

    @endpoint(shapes.JobStart, shapes.AlgorithmJob, 201)
    @web.authenticated
    def post(self, slug):
        algorithm = self.algorithm(slug, doing="run it")
        job = self.start_job(algorithm, self.body().inputs)
        self.write_model(shapes.AlgorithmJob.of(job, self.queue_position(job)), 201)


class JobsHandler(AlgorithmAPIHandler):
    """GET: the jobs I started, newest first (?status= to filter)."""

    @endpoint(returns=shapes.AlgorithmJobPage, query={"status": Query(JobStatus, "Only the jobs in this status.")})
    @web.authenticated
    def get(self):
        query = self.own_jobs(select(AlgorithmJob).filter_by(creator=self.username).order_by(AlgorithmJob.id.desc()))
        status = self.get_argument("status", None)
        if status is not None:
            if status not in set(JobStatus):
                raise GcError(f"?status= must be one of {', '.join(JobStatus)}, not {status!r}.")
            query = query.where(AlgorithmJob.status == status)
        self.write_model(self.page(query, shapes.AlgorithmJobSummary.of))


class JobHandler(AlgorithmAPIHandler):
    """GET: one job: status, queue position, the limits applied, errors, log tails, outputs."""

    @endpoint(returns=shapes.AlgorithmJob)
    @web.authenticated
    def get(self, job_id):
        job = self.job(job_id)
        self.write_model(shapes.AlgorithmJob.of(job, self.queue_position(job)))


class CancelJobHandler(AlgorithmAPIHandler):
    """POST: cancel a queued or running job (its creator or an admin); its container is killed."""

    @endpoint(returns=shapes.AlgorithmJob)
    @web.authenticated
    def post(self, job_id):
        self.write_model(shapes.AlgorithmJob.of(self.cancel_job(self.job(job_id))))


def routes(prefix):
    api = prefix + "api/v1/"
    algorithm = api + r"algorithms/(?P<slug>[a-z0-9][a-z0-9-]*)"
    job = api + r"algorithm-jobs/(?P<job_id>[0-9]+)"
    return [
        (api + "algorithms", AlgorithmsHandler),
        (algorithm, AlgorithmHandler),
        (algorithm + "/members", AlgorithmMembersHandler),
        (algorithm + "/jobs", AlgorithmJobsHandler),
        (api + "algorithm-jobs", JobsHandler),
        (job, JobHandler),
        (job + "/cancel", CancelJobHandler),
    ]
