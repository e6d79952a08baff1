"""Running one of the services: ``gc-archives``, ``gc-challenges``, ``gc-leaderboard``."""

import gc
import logging
import os
import secrets
import signal
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.utils import url_path_join
from tornado import ioloop, web
from tornado.httpserver import HTTPServer
from tornado.log import access_log

from ..core.database import make_engine
from ..core.migrations import upgrade
from ..core.settings import ServiceSettings
from ..queue import TaskQueue
from . import (
    algorithm_models,
    algorithms,
    archive_pages,
    archives,
    builds,
    challenge_pages,
    challenges,
    container_images,
    evaluation_outputs,
    health,
    image_files,
    leaderboard,
    leaderboard_pages,
    notification_pages,
    notifications,
    openapi,
    operations,
    reader_studies,
    reader_study_case_pages,
    reader_study_pages,
    sockets,
    submission_pages,
    submissions,
    team_pages,
    teams,
    training_data,
    uploads,
    viewing,
    viewing_pages,
)
from .base import SAFE_METHODS, NotFoundHandler
from .hub_login import OAuthCallbackHandler, SharedHubOAuth
from .processes import listening_sockets, parent_is_gone, run_processes

log = logging.getLogger("gc-hub")


# A read that took longer than this is logged even when it succeeded.
SLOW_READ_S = 1.0


def log_request(handler):
    """The access log's line for a request, as tornado writes it but at debug level for reads that
    succeeded in less than SLOW_READ_S (as Jupyter Server does): at a deadline nearly every request
    is a poll of the same leaderboard, and a line for each cost a tenth of the work of answering it."""
    status, method, seconds = handler.get_status(), handler.request.method, handler.request.request_time()
    if (status < 300 or status == 304) and method in SAFE_METHODS and seconds < SLOW_READ_S:
        level = logging.DEBUG
    else:
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if access_log.isEnabledFor(level):
        access_log.log(level, "%d %s %.2fms", status, handler._request_summary(), 1000 * seconds)


# Each service's own pages (served before the default home page).
SERVICE_PAGES = {
    "archives": lambda prefix: (
        reader_study_pages.routes(prefix)
        + reader_study_case_pages.routes(prefix)
        + viewing_pages.routes(prefix)
        + archive_pages.routes(prefix)
    ),
    "challenges": lambda prefix: (
        submission_pages.routes(prefix)
        + challenge_pages.routes(prefix)
        + notification_pages.routes(prefix)
        + team_pages.routes(prefix)
    ),
    "leaderboard": leaderboard_pages.routes,
}
# Each service's own endpoints, beside the health and identity ones that all of them serve.
SERVICE_ROUTES = {
    "archives": lambda prefix: (
        archives.routes(prefix)
        + sockets.routes(prefix)
        + reader_studies.routes(prefix)
        + viewing.routes(prefix)
        + uploads.routes(prefix)
        + image_files.routes(prefix)
    ),
    "challenges": lambda prefix: (
        challenges.routes(prefix)
        + submissions.routes(prefix)
        + evaluation_outputs.routes(prefix)
        + algorithms.routes(prefix)
        + algorithm_models.routes(prefix)
        + container_images.routes(prefix)
        + builds.routes(prefix)
        + notifications.routes(prefix)
        + teams.routes(prefix)
        + training_data.routes(prefix)
        + image_files.thumbnail_routes(prefix)
        + uploads.routes(prefix)  # the pages upload predictions, methods and ground truth here
    ),
    "leaderboard": leaderboard.routes,
}


def make_app(name, settings, prefix, queue=None, cookie_secret=None):
    """The tornado application of service ``name`` mounted at ``prefix`` (ends with /); it hands
    work to the workers through ``queue`` (by default a TaskQueue on the settings' Redis). The
    processes of one service share ``cookie_secret`` (by default a new one)."""
    api = [*SERVICE_ROUTES[name](prefix), *health.routes(prefix)]
    engine = make_engine(settings.database_url)
    handlers = [
        (url_path_join(prefix, "oauth_callback"), OAuthCallbackHandler),
        (prefix + "api/v1/openapi.json", openapi.OpenAPIHandler),
        *SERVICE_PAGES.get(name, lambda prefix: [])(prefix),
        *operations.routes(prefix),
        *api,
    ]
    return web.Application(
        handlers,
        openapi=openapi.document(name, api, prefix),
        default_handler_class=NotFoundHandler,
        log_function=log_request,
        cookie_secret=cookie_secret or secrets.token_bytes(32),
        xsrf_cookies=True,
        template_path=str(Path(__file__).with_name("templates")),
        hub_auth=SharedHubOAuth(engine=engine, service=name),
        platform={
            "name": name,
            "prefix": prefix,
            "settings": settings,
            "engine": engine,
            "queue": queue or TaskQueue.from_url(settings.redis_url),
        },
    )


def run(name):
    """Serve ``name`` where the hub says (JUPYTERHUB_SERVICE_URL and _PREFIX), in as many
    processes as the settings say (GC_SERVICE_PROCESSES)."""
    logging.basicConfig(level=logging.INFO, format=f"[{name} %(process)d %(asctime)s %(levelname)s] %(message)s")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{name}/")
    settings = ServiceSettings()
    upgrade(settings.database_url)  # safe when the services start together: one migrates
    count = settings.service_processes
    sockets = listening_sockets(count, url.port, url.hostname)
    cookie_secret = secrets.token_bytes(32)  # one for all the processes: each reads the others' cookies

    def serve(index, parent=None):
        HTTPServer(make_app(name, settings, prefix, cookie_secret=cookie_secret)).add_sockets(sockets[index])
        log.info("%s service (process %d of %d) listening on %s under %s", name, index + 1, count, url.geturl(), prefix)
        loop = ioloop.IOLoop.current()
        # What the process holds once it is set up (about 300,000 objects: modules, classes, the
        # app) lives as long as the process: out of the collector's sight, a full collection
        # scans only what came later, in milliseconds instead of the 0.3-0.6 s that stalled
        # every request waiting on this process (the leaderboard's p99 under load).
        gc.freeze()

        def stop(signum, _frame):
            log.info("%s service stopping (%s)", name, signal.Signals(signum).name)
            loop.add_callback_from_signal(loop.stop)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        if parent is not None:
            ioloop.PeriodicCallback(lambda: parent_is_gone(parent) and loop.stop(), 1000).start()
        loop.start()

    if count == 1:
        serve(0)
    else:
        run_processes(count, serve)


def run_archives():
    run("archives")


def run_challenges():
    run("challenges")


def run_leaderboard():
    run("leaderboard")
