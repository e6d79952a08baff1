"""DockerSpawner: per-user containers with a home volume, profiles and resource limits; on a
Docker Swarm with GC_SPAWNER=swarm (hub_config/swarm_spawner.py)."""

from .profiles import apply_profile, platform_profiles, profile_form
from .ready_spawner import ReadyDockerSpawner
from .swarm_spawner import ClusterSpawner

HOME = "/home/jovyan"


def configure_spawner(c, settings):
    """Spawn each user's servers as Docker containers on the local engine."""
    gateway = settings.hub_connect_ip
    # The hub's API listens on the network's gateway: containers on that network reach it there.
    c.JupyterHub.hub_ip = gateway
    c.JupyterHub.hub_connect_ip = gateway
    c.JupyterHub.hub_port = settings.hub_port

    c.JupyterHub.spawner_class = ReadyDockerSpawner
    c.DockerSpawner.network_name = settings.docker_network
    c.DockerSpawner.use_internal_ip = False  # a named network would otherwise switch it on
    c.DockerSpawner.pull_policy = "never"  # images are built locally; nothing is pulled
    c.DockerSpawner.image = settings.workstation_image
    c.DockerSpawner.prefix = settings.instance
    c.DockerSpawner.remove = True
    # removed by the spawner when stopped, not by Docker when it exits: a server that dies while
    # starting keeps its log until ReadyDockerSpawner has read it
    c.DockerSpawner.extra_host_config = {"auto_remove": False}
    c.DockerSpawner.notebook_dir = HOME
    c.DockerSpawner.volumes = {f"{settings.instance}-home-{{username}}": HOME}
    c.DockerSpawner.extra_create_kwargs = {"labels": {"org.gc-hub.instance": settings.instance}}
    c.DockerSpawner.environment = {
        # the platform as seen from inside a container, for gc_extension's client
        "GC_HUB_URL": f"http://{gateway}:{settings.port}/",
    }
    gpu = settings.gpu_enabled
    if settings.spawner == "swarm":
        configure_swarm(c, settings)
        gpu = False  # swarm services cannot ask for GPUs: users' GPUs stay a one-machine feature

    profiles = platform_profiles(settings)
    c.DockerSpawner.options_form = profile_form(profiles, gpu)
    c.DockerSpawner.options_from_form = "simple"
    c.DockerSpawner.apply_user_options = apply_profile(profiles, gpu)

    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = 2
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 60


def configure_swarm(c, settings):
    """Servers as swarm services on the worker nodes, images from the registry, homes on shared storage."""
    c.JupyterHub.spawner_class = ClusterSpawner
    c.DockerSpawner.network_name = ""  # no network of the manager's: the node's own bridge
    c.DockerSpawner.pull_policy = "skip"  # each node pulls from the registry itself
    # the images' own command (images/README.md), named here: the manager cannot inspect images it lacks
    c.ClusterSpawner.cmd = ["gc-singleuser"]
    c.ClusterSpawner.registry = settings.registry
    c.ClusterSpawner.homes_dir = settings.homes_dir
    c.ClusterSpawner.extra_placement_spec = {"constraints": ["node.role==worker"]}
    c.DockerSpawner.extra_host_config = {}
