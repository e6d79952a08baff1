"""JupyterHub configuration of gc-hub. Settings: hub_config/settings.py (GC_* variables)."""

from hub_config import configure

configure(c)  # noqa: F821  (c is provided by JupyterHub)
