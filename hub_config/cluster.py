"""What a cluster (GC_SPAWNER=swarm) needs before the hub starts: shared databases, a Redis with a
password and a registry. Each missing part is named with what to set."""

from urllib.parse import urlparse


class ClusterSettingsError(ValueError):
    """The settings cannot run a cluster; the message lists what to set."""


def cluster_problems(settings):
    """What keeps ``settings`` from running as a cluster: a list of sentences, empty when nothing does."""
    problems = []
    for name, variable in (("database_url", "GC_DATABASE_URL"), ("hub_db_url", "GC_HUB_DB_URL")):
        if not getattr(settings, name).startswith("postgresql"):
            problems.append(
                f"{variable} must be a PostgreSQL URL (postgresql://user:password@host:5432/name) that every "
                "node reaches; SQLite files cannot be shared between machines"
            )
    redis = urlparse(settings.redis_url) if settings.redis_url else None
    if redis is None or redis.scheme not in ("redis", "rediss"):
        problems.append("GC_REDIS_URL must name a Redis server every node reaches (redis://:password@host:6379/0)")
    elif not redis.password:
        problems.append(
            "GC_REDIS_URL has no password: a Redis reachable from other machines must ask for one "
            "(requirepass in redis.conf; then redis://:password@host:6379/0)"
        )
    if not settings.registry:
        problems.append("GC_REGISTRY must name the registry (host:port) that the nodes pull images from")
    return problems


def check_cluster(settings):
    """Raise ClusterSettingsError when the swarm spawner is chosen without what a cluster needs."""
    if settings.spawner != "swarm":
        return
    problems = cluster_problems(settings)
    if problems:
        raise ClusterSettingsError(
            "GC_SPAWNER=swarm runs gc-hub as a cluster, which needs:\n" + "\n".join(f"- {p}" for p in problems)
        )
