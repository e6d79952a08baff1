"""Driving Debian's headless Chromium with Playwright against a hub on this machine.

No Playwright browser is downloaded: ``launch_chromium`` starts /usr/bin/chromium. Pages get a
context that aborts every request to a host outside this machine, as a clinic's offline network
would, and records what was blocked.
"""

import json
import time
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
    # Everything not on loopback (which Chromium never proxies) goes to a proxy that is not
    # there and fails, websockets and bare IP addresses included: the backstop for what
    # ``local_only_context``'s routing does not see.
    "--proxy-server=http://127.0.0.1:1",
]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Console messages that say a widget failed to show (checked by ``widget_errors``).
WIDGET_FAILURES = (
    "Error displaying widget",
    "is not a function",
    "Could not create a model",
    "Could not create a view",
    "not found in module",  # "Class X not found in module Y"
)


def wait_until(page, expression, arg=None, timeout=300, interval=0.1):
    """Evaluate ``expression`` (which may be async) until its result is truthy, and return it.

    Playwright's ``wait_for_function`` takes any promise as a truthy answer at once, so an async
    condition (widget models are promises) has to be polled with ``evaluate``, which awaits it."""
    deadline = time.monotonic() + timeout
    while not (result := page.evaluate(expression, arg)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true within {timeout} s: {expression[:200]}")
        time.sleep(interval)
    return result


def launch_chromium(playwright, **options):
    """Debian's chromium, headless, with its calls home switched off."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **options)


def is_local(url):
    """Whether ``url`` points at this machine (URLs without a host, like data:, count as local)."""
    host = urlsplit(url).hostname
    return host is None or host in LOCAL_HOSTS


def local_only_context(browser, **options):
    """A new browser context whose requests to hosts outside this machine are aborted.

    Returns ``(context, blocked)``; ``blocked`` is a list that fills with the aborted URLs.
    HTTP requests are aborted by a route; websockets, which routes do not see, fail at the
    browser's dead proxy (see CHROMIUM_ARGS) and are recorded here. Service workers are blocked,
    so none can bypass the route.

    No ``route_web_socket``: it replaces every page's WebSocket with a script that can hand a
    text message to the page before an earlier binary one, which breaks Jupyter widgets.
    """
    context = browser.new_context(service_workers="block", **options)
    blocked = []

    def route(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def record_websocket(ws):
        if not is_local(ws.url):
            blocked.append(ws.url)

    context.route("**/*", route)
    context.on("page", lambda page: page.on("websocket", record_websocket))
    return context, blocked


def collect_errors(page, errors=None):
    """A list (``errors``, or a new one) that fills with ``page``'s uncaught exceptions and
    console errors, as strings."""
    errors = [] if errors is None else errors
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc.stack or exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    return errors


def widget_errors(errors):
    """Those of ``errors`` (from ``collect_errors``) that mean a Jupyter widget failed."""
    return [e for e in errors if any(sign in e for sign in WIDGET_FAILURES)]


def kernel_messages(page):
    """A list that fills with the types of the messages ``page`` receives from Jupyter kernels.

    Read from the kernel websockets (text frames; binary frames, which carry buffers, are left
    out), so a test can wait for what the notebook's JavaScript waits for without reaching into it.
    """
    received = []

    def on_frame(payload):
        if isinstance(payload, str):
            received.append(json.loads(payload).get("header", {}).get("msg_type"))

    def on_websocket(ws):
        if "/api/kernels/" in ws.url:
            ws.on("framereceived", on_frame)

    page.on("websocket", on_websocket)
    return received


def hub_login(page, hub_url, username, password, timeout=30_000):
    """Log ``page`` in through the hub's login form; fail clearly if the hub refuses."""
    page.goto(f"{hub_url}/hub/login", timeout=timeout)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)

    def login_post(response):
        return response.request.method == "POST" and urlsplit(response.url).path.endswith("/hub/login")

    with page.expect_response(login_post, timeout=timeout) as response:
        page.click("#login_submit")
    if response.value.status != 302:  # the hub redirects on success, shows the form again if not
        raise AssertionError(f"login of {username} through the form failed: HTTP {response.value.status}")
    page.wait_for_url(lambda url: "/hub/login" not in url, timeout=timeout)
    # The hub's pages sign in to the services in hidden frames; a page of a service opened while
    # that runs could be given a token those frames then replace (and its forms refused).
    page.wait_for_load_state("networkidle", timeout=timeout)
