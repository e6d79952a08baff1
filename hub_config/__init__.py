"""gc-hub's JupyterHub configuration: small functions that only set values on ``c``.

``jupyterhub_config.py`` calls :func:`configure`; each function below can be tested against a
bare ``traitlets.config.Config()``.
"""

from .auth import configure_auth
from .cluster import check_cluster
from .groups import configure_groups
from .hub import configure_hub
from .services import configure_services
from .settings import GcHub
from .spawner import configure_spawner


def configure(c):
    """Configure the whole platform on ``c`` from ``c.GcHub`` and ``GC_*`` variables."""
    settings = GcHub.load(c)
    check_cluster(settings)
    configure_hub(c, settings)
    configure_auth(c, settings)
    configure_groups(c, settings)
    configure_spawner(c, settings)
    configure_services(c, settings)
    return settings
