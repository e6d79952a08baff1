"""The hub process itself: where it listens, where it keeps its state, which proxy it runs."""

import sys
from pathlib import Path


def configure_hub(c, settings):
    """Bind the proxy to the public port and keep the hub's state in the data directory."""
    data = Path(settings.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    c.JupyterHub.bind_url = f"http://:{settings.port}/"
    c.JupyterHub.db_url = settings.hub_db_url
    c.JupyterHub.cookie_secret_file = str(data / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(data / "jupyterhub.pid")
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(data / "proxy.pid")
    # The Python port of configurable-http-proxy, with its websocket fix (see proxy.py); named
    # explicitly, so that no Node one on PATH is taken instead.
    c.ConfigurableHTTPProxy.command = [sys.executable, "-m", "hub_config.proxy"]
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
