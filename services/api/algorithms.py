"""The shapes of algorithms and their jobs (challenges service), and the container limits that
algorithms and phases share."""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ..core.errors import GcError
from ..core.orm import AlgorithmRole, JobStatus
from .archives import Value, values_of
from .common import Body, Shape, Time, page_of
from .fields import Bool, LongText, PositiveNumber, Slug, Text, one_of, parsed, whole


def socket_slugs(field, slugs):
    if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
        raise GcError(f"{field} must be a list of socket slugs.")
    return slugs


SocketSlugs = parsed(socket_slugs, list[str])


class Interface(Shape):
    """An interface: the sockets a job reads (``inputs``) and those it then writes (``outputs``)."""

    inputs: list[str] = Field(description="The slugs of the sockets it reads.")
    outputs: list[str] = Field(description="The slugs of the sockets it writes.")

    @classmethod
    def of(cls, interface):
        return cls(inputs=list(interface.key), outputs=sorted(socket.slug for socket in interface.outputs))


def interface_list(field, interfaces):
    """A list of ``{"inputs": [slugs], "outputs": [slugs]}``."""
    fits = isinstance(interfaces, list) and all(
        isinstance(i, dict) and set(i) <= {"inputs", "outputs"} and "inputs" in i and "outputs" in i for i in interfaces
    )
    if not fits:
        raise GcError(f'{field} must be a list of {{"inputs": [socket slugs], "outputs": [socket slugs]}}.')
    return [
        Interface(
            inputs=socket_slugs(f"{field}: inputs", i["inputs"]),
            outputs=socket_slugs(f"{field}: outputs", i["outputs"]),
        )
        for i in interfaces
    ]


Interfaces = parsed(interface_list, list[Interface])


class ContainerLimitsBody(Body):
    """What a run's containers may use; each held under the platform's ceiling (ask its admins for more)."""

    cpu_limit: PositiveNumber = None
    memory_limit_mb: parsed(whole(64), int, ge=64) = None
    time_limit_s: parsed(whole(1), int, ge=1) = None
    gpu: Bool = None

    def limits(self):
        """The limits the request gave, by field name."""
        return {field: value for field, value in self.given().items() if field in ContainerLimitsBody.model_fields}


class Limits(Shape):
    """The limits a run gets, as its submitter sees them."""

    cpus: float
    memory_mb: int
    time_limit_s: int
    gpu: bool
    network: Literal["none"]

    @classmethod
    def of(cls, run):
        return cls(
            cpus=run.cpu_limit,
            memory_mb=run.memory_limit_mb,
            time_limit_s=run.time_limit_s,
            gpu=run.gpu,
            network="none",
        )


class Algorithm(Shape):
    """An algorithm, with the caller's roles on it."""

    slug: str
    title: str
    description: str
    interfaces: list[Interface] = Field(description="What it reads and writes; a job runs the one its inputs fit.")
    inputs: list[str] = Field(description="The slugs of the sockets any of its interfaces reads.")
    outputs: list[str] = Field(description="The slugs of the sockets any of its interfaces writes.")
    limits: Limits
    has_image: bool
    image_digest: str | None
    created_by: str
    created_at: Time
    my_roles: list[AlgorithmRole]

    @classmethod
    def of(cls, algorithm, roles):
        return cls.from_object(
            algorithm,
            interfaces=[Interface.of(interface) for interface in algorithm.interfaces],
            inputs=[socket.slug for socket in algorithm.inputs],
            outputs=[socket.slug for socket in algorithm.outputs],
            limits=Limits.of(algorithm),
            has_image=algorithm.container_digest is not None,
            image_digest=algorithm.container_digest,
            my_roles=sorted(roles),
        )


AlgorithmPage = page_of(Algorithm)


class AlgorithmCreate(ContainerLimitsBody):
    """A new algorithm, whose creator becomes its editor; its ``interfaces``, or one interface of
    ``inputs`` and ``outputs``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"slug": "otsu", "title": "Otsu", "inputs": ["ct"], "outputs": ["mask"]}]}
    )

    slug: Slug
    title: Text
    inputs: SocketSlugs = []
    outputs: SocketSlugs = []
    interfaces: Interfaces = None
    description: LongText = ""


class AlgorithmChange(ContainerLimitsBody):
    """New values for an algorithm's title, description, limits or interfaces (all of them)."""

    title: Text = None
    description: LongText = None
    interfaces: Interfaces = None


class AlgorithmMembers(Shape):
    """Who holds which role on an algorithm."""

    editor: list[str]
    user: list[str]


class AlgorithmMemberGrant(Body):
    """Give a hub user a role on the algorithm."""

    username: Text
    role: one_of(AlgorithmRole)


class AlgorithmJobSummary(Shape):
    """A job: the algorithm run on some inputs."""

    id: int
    pk: str = Field(description="The job's UUID: containers know it by this (predictions.json, /input/<pk>/).")
    algorithm: str
    creator: str
    status: JobStatus
    attempt: int
    queue_position: int | None = Field(
        description="How many queued jobs are ahead of it (null once it left the queue)."
    )
    limits: Limits
    image_digest: str | None
    model_id: int | None = Field(description="The algorithm's model it runs with (at /opt/ml/model/), if any.")
    model_sha256: str | None
    error_message: str
    exit_code: int | None
    created_at: Time
    started_at: Time | None
    completed_at: Time | None
    inputs: dict[str, Value]
    outputs: dict[str, Value]

    @classmethod
    def of(cls, job, position=None):
        """The job (with its logs as an ``AlgorithmJob``); ``position``: its place in the queue."""
        return cls.from_object(
            job,
            algorithm=job.algorithm.slug,
            queue_position=position,
            limits=Limits.of(job),
            image_digest=job.container_digest,
            model_id=job.algorithm_model_id,
            model_sha256=model_sha256(job),
            inputs=values_of(job.inputs),
            outputs=values_of(job.outputs),
        )


AlgorithmJobPage = page_of(AlgorithmJobSummary, "AlgorithmJobPage")


def model_sha256(pinned):
    """The checksum of the model that a job or submission is pinned to (None: it runs without one)."""
    return pinned.algorithm_model.sha256 if pinned.algorithm_model is not None else None


class AlgorithmJob(AlgorithmJobSummary):
    """A job with the tails of its logs."""

    stdout_tail: str
    stderr_tail: str


def job_inputs(field, inputs):
    if not isinstance(inputs, dict):
        raise GcError(f"{field} must be an object of socket slug → value.")
    return inputs


class JobStart(Body):
    """A job on these inputs: ``{socket slug: JSON value, or {"image": id} of an image you may read}``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"inputs": {"ct": {"image": 12}}}]})

    inputs: parsed(job_inputs, dict[str, Any])
