"""The hub process itself: where it listens, where it keeps its state, which proxy it runs.

The proxy is JupyterHub's own configurable-http-proxy (Node.js), pinned in package.json and
installed into the project's node_modules by ``make install``. After a websocket's upgrade it pipes
the two sockets together without reading frames, so binary widget frames stay binary and a
message has no size limit at the proxy (a whole volume sent to the viewer, a 12 MB upload); the
limits are the notebook server's (``websocket_max_message_size``, 256 MiB in the workstation image).
"""

from pathlib import Path

from .profiles import platform_profiles, profile_choices

# Where `make install` puts the proxy (npm ci in the project's root).
PROXY = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "configurable-http-proxy"
# gc-hub's pages of the hub (home, navigation), each extending JupyterHub's own.
TEMPLATES = Path(__file__).with_name("templates")


def proxy_command():
    """The proxy's command line: the project's own install, never another one found on PATH."""
    if not PROXY.exists():
        raise SystemExit(
            f"The hub's proxy is not installed ({PROXY} is missing): run `make install`, "
            "which needs Node.js 20 or newer and npm (Debian: apt-get install nodejs npm)."
        )
    return [str(PROXY)]


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
    c.ConfigurableHTTPProxy.command = proxy_command()
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.template_vars = {"gc_profiles": profile_choices(platform_profiles(settings))}
