"""Driving Debian's headless Chromium with Playwright against a hub on this machine.

No Playwright browser is downloaded: ``launch_chromium`` starts /usr/bin/chromium. Pages get a
context that aborts every request to a host outside this machine, as a clinic's offline network
would, and records what was blocked.
"""

from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # tests run as root
    "--disable-gpu",  # WebGL still works: Chromium falls back to SwiftShader (software)
    "--enable-unsafe-swiftshader",  # keep that fallback where Chromium no longer makes it itself
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Backstop for what page routing does not see: names other than localhost do not resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Console messages that say a widget failed to show (checked by ``widget_errors``).
WIDGET_FAILURES = (
    "Error displaying widget",
    "is not a function",
    "Could not create a model",
    "Could not create a view",
    "Class ",  # "Class X not found in module Y"
    "Failed to load",
)


def launch_chromium(playwright, **options):
    """Debian's chromium, headless, with its calls home switched off."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **options
    )


def is_local(url):
    """Whether ``url`` points at this machine (URLs without a host, like data:, count as local)."""
    host = urlsplit(url).hostname
    return host is None or host in LOCAL_HOSTS


def local_only_context(browser, **options):
    """A new browser context whose requests to hosts outside this machine are aborted.

    Returns ``(context, blocked)``; ``blocked`` is a list that fills with the aborted URLs
    (HTTP requests and websockets alike). Service workers are blocked, so none can bypass the route.
    """
    context = browser.new_context(service_workers="block", **options)
    blocked = []

    def route(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def refuse_websocket(ws):
        blocked.append(ws.url)
        ws.close()

    context.route("**/*", route)
    context.route_web_socket(lambda url: not is_local(url), refuse_websocket)
    return context, blocked


def collect_errors(page):
    """A list that fills with ``page``'s uncaught exceptions and console errors, as strings."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    return errors


def widget_errors(errors):
    """Those of ``errors`` (from ``collect_errors``) that mean a Jupyter widget failed."""
    return [e for e in errors if any(sign in e for sign in WIDGET_FAILURES)]


def hub_login(page, hub_url, username, password, timeout=30_000):
    """Log ``page`` in through the hub's login form; fail clearly if the hub refuses."""
    page.goto(f"{hub_url}/hub/login", timeout=timeout)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation(timeout=timeout):
        page.click("#login_submit")
    if "/hub/login" in page.url:
        raise AssertionError(f"login of {username} through the form failed (still at {page.url})")
