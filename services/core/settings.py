"""What a service or worker process knows of its platform: traitlets, each set by a ``GC_*`` variable.

Each setting is a trait tagged with its variable (``.tag(**env("GC_…"))``), as in
hub_config/settings.py. The hub passes these variables to the processes it manages
(hub_config/services.py); a worker on another node gets them from its environment or command line.
Precedence, highest first: a value passed to the constructor, the variable (unless empty), the
default shown here.
"""

import os

from traitlets import Bool, Float, Integer, TraitError, Unicode, default, validate
from traitlets.config import Configurable


def env(name):
    """Tag a trait with the environment variable that sets it."""
    return {"env": name}


def environment_values(cls, environ=None):
    """``{trait name: value}`` of the traits of ``cls`` whose variable is set (and not empty) in
    ``environ`` (default: this process's environment), each read as its trait reads a string."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, trait in cls.class_traits(env=lambda variable: variable is not None).items():
        variable = trait.metadata["env"]
        text = environ.get(variable, "")
        if text == "":
            continue
        try:
            values[name] = trait.from_string(text)
        except (TraitError, ValueError) as error:
            raise ValueError(f"{variable}={text!r} is not a valid {name}: {error}") from None
    return values


class EnvironmentSettings(Configurable):
    """Settings whose tagged traits take their ``GC_*`` variable's value when it is set."""

    def __init__(self, **kwargs):
        super().__init__(**{**environment_values(type(self)), **kwargs})


class ServiceSettings(EnvironmentSettings):
    """Settings shared by the services and the workers."""

    data_dir = Unicode(
        config=True, help="The platform's data folder, made absolute (GC_DATA_DIR; default ./data)."
    ).tag(**env("GC_DATA_DIR"))

    @default("data_dir")
    def _default_data_dir(self):
        return os.path.abspath("data")

    @validate("data_dir")
    def _absolute_data_dir(self, proposal):
        return os.path.abspath(proposal["value"])

    database_url = Unicode(
        config=True,
        help="SQLAlchemy URL of the platform database (GC_DATABASE_URL; default: gc-hub.sqlite in the data folder).",
    ).tag(**env("GC_DATABASE_URL"))

    @default("database_url")
    def _default_database_url(self):
        return f"sqlite:///{self.data_dir}/gc-hub.sqlite"

    redis_url = Unicode(
        config=True,
        help="URL of the Redis that holds the queues (GC_REDIS_URL; default: the embedded Redis's socket).",
    ).tag(**env("GC_REDIS_URL"))

    @default("redis_url")
    def _default_redis_url(self):
        return f"unix://{self.data_dir}/redis/redis.sock"

    public_url = Unicode(
        "http://127.0.0.1:8000/", config=True, help="URL at which people reach the platform (GC_PUBLIC_URL)."
    ).tag(**env("GC_PUBLIC_URL"))

    instance = Unicode(
        "gc-hub", config=True, help="Name of the platform instance; its containers carry it as a label (GC_INSTANCE)."
    ).tag(**env("GC_INSTANCE"))

    # The most an algorithm or a phase may ask for its containers (GcHub's max_* settings).
    max_cpu_limit = Float(8, config=True, help="CPUs a container may be given at most (GC_MAX_CPU_LIMIT).").tag(
        **env("GC_MAX_CPU_LIMIT")
    )

    max_memory_limit_mb = Integer(
        16384, config=True, help="Memory a container may be given at most, in MB (GC_MAX_MEMORY_LIMIT_MB)."
    ).tag(**env("GC_MAX_MEMORY_LIMIT_MB"))

    max_time_limit_s = Integer(
        4 * 3600, config=True, help="Seconds a container may be given to run at most (GC_MAX_TIME_LIMIT_S)."
    ).tag(**env("GC_MAX_TIME_LIMIT_S"))

    gpu_enabled = Bool(
        False, config=True, help="Whether containers may ask for a GPU (GC_GPU_ENABLED: true or false)."
    ).tag(**env("GC_GPU_ENABLED"))

    service_processes = Integer(
        min=0,
        config=True,
        help="""Processes of each web service, sharing its port (GC_SERVICE_PROCESSES; default, or 0:
        the machine's cores).""",
    ).tag(**env("GC_SERVICE_PROCESSES"))

    @default("service_processes")
    def _default_service_processes(self):
        return len(os.sched_getaffinity(0))

    @validate("service_processes")
    def _cores_for_zero(self, proposal):
        return proposal["value"] or len(os.sched_getaffinity(0))


class ExecutionSettings(ServiceSettings):
    """What a worker needs beyond the shared settings to run containers."""

    output_limit_mb = Integer(
        2048,
        config=True,
        help="Most a container may write to /output, in MiB; it is stopped past that (GC_OUTPUT_LIMIT_MB).",
    ).tag(**env("GC_OUTPUT_LIMIT_MB"))

    pids_limit = Integer(
        256, config=True, help="Processes and threads a container may have at once (GC_PIDS_LIMIT)."
    ).tag(**env("GC_PIDS_LIMIT"))

    heartbeat_s = Float(
        2, config=True, help="Seconds between a running job's heartbeats in the database (GC_HEARTBEAT_S)."
    ).tag(**env("GC_HEARTBEAT_S"))

    lost_after_s = Float(
        30,
        config=True,
        help="""A running job whose heartbeat is older than this many seconds was lost with its
        worker: its container is removed and it is retried once, or failed (GC_LOST_AFTER_S).""",
    ).tag(**env("GC_LOST_AFTER_S"))

    max_attempts = Integer(
        2, config=True, help="Times a job lost with its worker is tried in all (GC_MAX_ATTEMPTS)."
    ).tag(**env("GC_MAX_ATTEMPTS"))

    reconcile_every_s = Float(
        10,
        config=True,
        help="""Seconds between a worker's passes that recover runs lost with a worker or with Redis
        (GC_RECONCILE_EVERY_S; gc-worker's --reconcile-every).""",
    ).tag(**env("GC_RECONCILE_EVERY_S"))

    image_prefix = Unicode(
        "gc-hub",
        config=True,
        help="""Name prefix of the platform's own images (GC_IMAGE_PREFIX, as for images/build.sh): an
        evaluation method may name one of them instead of an uploaded image.""",
    ).tag(**env("GC_IMAGE_PREFIX"))

    training_image = Unicode(
        config=True,
        help="""The image that data scientists train in, which algorithm image builds start from
        (GC_TRAINING_IMAGE; default <GC_IMAGE_PREFIX>/training:latest, as images/build.sh names it).""",
    ).tag(**env("GC_TRAINING_IMAGE"))

    @default("training_image")
    def _default_training_image(self):
        return f"{self.image_prefix}/training:latest"

    registry = Unicode(
        "",
        config=True,
        help="""Registry (host:port) shared by the cluster's nodes (GC_REGISTRY): images a worker accepts
        or builds are pushed there and recorded by digest; a node that lacks an image pulls it by
        that digest and checks it. Empty: images stay on the engine that loaded or built them.""",
    ).tag(**env("GC_REGISTRY"))

    # Set by gc-worker for the jobs it runs (services/worker.py), not by people.
    worker_has_gpu = Bool(
        None,
        allow_none=True,
        config=True,
        help="""Whether this node's engine gives containers GPUs, as gc-worker decided (--gpu, or the
        NVIDIA runtime found) for the jobs it runs (GC_WORKER_HAS_GPU; unset: ask the engine).""",
    ).tag(**env("GC_WORKER_HAS_GPU"))

    docker_api_version = Unicode(
        "auto",
        config=True,
        help="""API version of this node's Docker engine, as gc-worker found it, so that the runners
        made for its jobs need not ask the engine again (GC_DOCKER_API_VERSION; default: ask).""",
    ).tag(**env("GC_DOCKER_API_VERSION"))


class MailSettings(EnvironmentSettings):
    """The SMTP server through which workers send the e-mails that people chose to get; with no
    host, none is sent (people are told in the platform only)."""

    smtp_host = Unicode("", config=True, help="Host of the SMTP server (GC_SMTP_HOST); empty: no e-mail is sent.").tag(
        **env("GC_SMTP_HOST")
    )

    smtp_port = Integer(25, config=True, help="Port of the SMTP server (GC_SMTP_PORT).").tag(**env("GC_SMTP_PORT"))

    smtp_username = Unicode(
        "", config=True, help="User name to log in to the SMTP server with (GC_SMTP_USERNAME); empty: no login."
    ).tag(**env("GC_SMTP_USERNAME"))

    smtp_password = Unicode("", config=True, help="Password for the SMTP login (GC_SMTP_PASSWORD).").tag(
        **env("GC_SMTP_PASSWORD")
    )

    smtp_starttls = Bool(
        False,
        config=True,
        help="Whether to ask the SMTP server for TLS (STARTTLS) before anything else (GC_SMTP_STARTTLS).",
    ).tag(**env("GC_SMTP_STARTTLS"))

    smtp_from = Unicode(
        "gc-hub@localhost", config=True, help="The sender address of the platform's e-mails (GC_SMTP_FROM)."
    ).tag(**env("GC_SMTP_FROM"))

    smtp_timeout_s = Float(
        10, config=True, help="Seconds to wait for the SMTP server before trying again later (GC_SMTP_TIMEOUT_S)."
    ).tag(**env("GC_SMTP_TIMEOUT_S"))

    smtp_retry_max_s = Float(
        600,
        config=True,
        help="""Longest wait, in seconds, between two tries of an e-mail that the SMTP server did not
        take; the wait doubles from 5 seconds up to this (GC_SMTP_RETRY_MAX_S). An e-mail is
        tried until it is sent.""",
    ).tag(**env("GC_SMTP_RETRY_MAX_S"))
