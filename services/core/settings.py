"""What a service or worker process knows of its platform, read from ``GC_*`` variables.

The hub passes these to the processes it manages (hub_config/services.py); a worker on another
node gets them from its command line or environment.
"""

import os

from traitlets import Bool, Float, Integer, Unicode, default
from traitlets.config import Configurable


class ServiceSettings(Configurable):
    """Settings shared by the services and the workers."""

    data_dir = Unicode(config=True, help="The platform's data folder (GC_DATA_DIR).")

    @default("data_dir")
    def _default_data_dir(self):
        return os.path.abspath(os.environ.get("GC_DATA_DIR", "data"))

    database_url = Unicode(config=True, help="SQLAlchemy URL of the platform database (GC_DATABASE_URL).")

    @default("database_url")
    def _default_database_url(self):
        return os.environ.get("GC_DATABASE_URL") or f"sqlite:///{self.data_dir}/gc-hub.sqlite"

    redis_url = Unicode(config=True, help="URL of the Redis that holds the queues (GC_REDIS_URL).")

    @default("redis_url")
    def _default_redis_url(self):
        return os.environ.get("GC_REDIS_URL") or f"unix://{self.data_dir}/redis/redis.sock"

    public_url = Unicode(config=True, help="URL at which people reach the platform (GC_PUBLIC_URL).")

    @default("public_url")
    def _default_public_url(self):
        return os.environ.get("GC_PUBLIC_URL", "http://127.0.0.1:8000/")

    instance = Unicode(
        config=True, help="Name of the platform instance; its containers carry it as a label (GC_INSTANCE)."
    )

    @default("instance")
    def _default_instance(self):
        return os.environ.get("GC_INSTANCE", "gc-hub")

    # The most an algorithm or a phase may ask for its containers (GcHub's max_* settings).
    max_cpu_limit = Float(config=True, help="CPUs a container may be given at most (GC_MAX_CPU_LIMIT).")

    @default("max_cpu_limit")
    def _default_max_cpu_limit(self):
        return float(os.environ.get("GC_MAX_CPU_LIMIT", 8))

    max_memory_limit_mb = Integer(
        config=True, help="Memory a container may be given at most, in MB (GC_MAX_MEMORY_LIMIT_MB)."
    )

    @default("max_memory_limit_mb")
    def _default_max_memory_limit_mb(self):
        return int(os.environ.get("GC_MAX_MEMORY_LIMIT_MB", 16384))

    max_time_limit_s = Integer(
        config=True, help="Seconds a container may be given to run at most (GC_MAX_TIME_LIMIT_S)."
    )

    @default("max_time_limit_s")
    def _default_max_time_limit_s(self):
        return int(os.environ.get("GC_MAX_TIME_LIMIT_S", 4 * 3600))

    gpu_enabled = Bool(config=True, help="Whether containers may ask for a GPU (GC_GPU_ENABLED).")

    @default("gpu_enabled")
    def _default_gpu_enabled(self):
        return os.environ.get("GC_GPU_ENABLED", "").strip().lower() in ("1", "true", "yes")


class ExecutionSettings(ServiceSettings):
    """What a worker needs beyond the shared settings to run containers."""

    output_limit_mb = Integer(
        config=True,
        help="Most a container may write to /output, in MiB; it is stopped past that (GC_OUTPUT_LIMIT_MB).",
    )

    @default("output_limit_mb")
    def _default_output_limit_mb(self):
        return int(os.environ.get("GC_OUTPUT_LIMIT_MB", 2048))

    pids_limit = Integer(
        config=True,
        help="Processes and threads a container may have at once (GC_PIDS_LIMIT).",
    )

    @default("pids_limit")
    def _default_pids_limit(self):
        return int(os.environ.get("GC_PIDS_LIMIT", 256))

    heartbeat_s = Float(
        config=True,
        help="Seconds between a running job's heartbeats in the database (GC_HEARTBEAT_S).",
    )

    @default("heartbeat_s")
    def _default_heartbeat_s(self):
        return float(os.environ.get("GC_HEARTBEAT_S", 2))

    lost_after_s = Float(
        config=True,
        help="""A running job whose heartbeat is older than this many seconds was lost with its
        worker: its container is removed and it is retried once, or failed (GC_LOST_AFTER_S).""",
    )

    @default("lost_after_s")
    def _default_lost_after_s(self):
        return float(os.environ.get("GC_LOST_AFTER_S", 30))

    max_attempts = Integer(2, config=True, help="Times a job lost with its worker is tried in all.")

    image_prefix = Unicode(
        config=True,
        help="""Name prefix of the platform's own images (GC_IMAGE_PREFIX, as for images/build.sh): an
        evaluation method may name one of them instead of an uploaded image.""",
    )

    @default("image_prefix")
    def _default_image_prefix(self):
        return os.environ.get("GC_IMAGE_PREFIX", "gc-hub")
