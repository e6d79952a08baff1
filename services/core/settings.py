"""What a service or worker process knows of its platform, read from ``GC_*`` variables.

The hub passes these to the processes it manages (hub_config/services.py); a worker on another
node gets them from its command line or environment.
"""

import os

from traitlets import Unicode, default
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
