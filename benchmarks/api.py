"""API speed: a list and a detail endpoint of the archives service, next to a bare tornado handler
and to the same endpoints in Django REST Framework.

    .venv/bin/python benchmarks/api.py [--rows 10000] [--seconds 10] [--processes N]
    (needs wrk: apt-get install wrk; and the bench extra: .venv/bin/pip install -e '.[bench]')

A real hub starts with its services, each in N processes (default: GC_SERVICE_PROCESSES, else
the machine's cores); 10,000 archives are written into the platform database, all shared with
the demo researcher, whose hub token then asks the archives service directly (its own port, as
the proxy would) for a page of 100 archives and for one archive, at 32 concurrent connections.
The same load goes to a bare tornado handler in its own process that returns a JSON document of
the same size from memory, and to the peer: the two endpoints as a plain DRF API
(benchmarks/drf_peer.py) on the same database under gunicorn with N workers. Last line:
``api_p50_ratio=<service p50 / bare p50> api_vs_drf=<service p50 / DRF p50>`` (for each, the
larger of the two endpoints' ratios).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hubtools import free_port_block, running_hub

from services.core.database import make_engine
from services.core.orm import Archive, ArchiveMember, ArchiveRole, utcnow
from services.core.settings import ServiceSettings

HERE = Path(__file__).resolve().parent

BARE_SERVER = """
import json, sys
from tornado import ioloop, web
body = json.dumps(json.load(open(sys.argv[2])))
class Bare(web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(body)
web.Application([(r".*", Bare)]).listen(int(sys.argv[1]), "127.0.0.1")
ioloop.IOLoop.current().start()
"""


def seed(database_url, rows, username):
    """``rows`` archives, each with ``username`` as editor, written in one transaction."""
    now = utcnow()
    with Session(make_engine(database_url)) as session:
        session.execute(
            insert(Archive),
            [
                {
                    "slug": f"bench-{i:05d}",
                    "title": f"Archive {i}",
                    "description": "",
                    "created_by": username,
                    "created_at": now,
                }
                for i in range(rows)
            ],
        )
        ids = session.scalars(Archive.__table__.select().with_only_columns(Archive.id)).all()
        session.execute(
            insert(ArchiveMember), [{"object_id": i, "username": username, "role": ArchiveRole.EDITOR} for i in ids]
        )
        session.commit()


def wrk_command(url, token, seconds, connections=32, script=None):
    """The command line of ``seconds`` of load on ``url`` at ``connections`` connections, with ``token``
    (and wrk's Lua ``script``, which makes each request, if given)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Authorization: token {token}"]
    return [*command, *(["-s", str(script)] if script else []), url]


def wrk_figures(out):
    """Requests/s, p50 and p99 in ms, and the error count, from wrk's output ``out``."""

    def ms(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = sum(map(int, socket_errors.groups())) if socket_errors else 0
    errors += int(bad_status.group(1)) if bad_status else 0
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), ms("50%"), ms("99%"), errors


def wrk(url, token, seconds, connections=32):
    """Requests/s, p50 and p99 in ms, and the error count of ``seconds`` of load at ``connections`` connections."""
    command = wrk_command(url, token, seconds, connections)
    return wrk_figures(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


@dataclass
class Peer:
    """The DRF peer's address and its user's token."""

    port: int
    token: str

    @property
    def headers(self):
        return {"Authorization": f"token {self.token}"}

    @property
    def urls(self):
        base = f"http://127.0.0.1:{self.port}"
        return {"list": f"{base}/archives/?limit=100", "detail": f"{base}/archives/bench-04242/"}


def answers(url, headers):
    try:
        return requests.get(url, headers=headers, timeout=30).status_code == 200
    except requests.RequestException:  # not listening yet, or still starting its workers
        return False


@contextmanager
def drf_peer(database_url, username, processes):
    """The DRF peer under gunicorn with ``processes`` workers, on the platform's SQLite file."""
    environment = {**os.environ, "GC_DRF_DATABASE": database_url.removeprefix("sqlite:///")}
    setup = [sys.executable, str(HERE / "drf_peer.py"), "setup", username]
    peer = Peer(free_port_block(size=1), subprocess.run(setup, env=environment, capture_output=True, text=True,
                                                        check=True).stdout.strip())  # fmt: skip
    gunicorn = [str(Path(sys.executable).with_name("gunicorn")), "--no-control-socket", "--chdir", str(HERE)]
    gunicorn += ["-w", str(processes)]
    process = subprocess.Popen([*gunicorn, "-b", f"127.0.0.1:{peer.port}", "drf_peer:application"], env=environment)
    try:
        deadline = time.monotonic() + 120
        while not answers(peer.urls["detail"], peer.headers):
            if time.monotonic() > deadline:
                raise RuntimeError("the DRF peer did not answer within 120 s")
            time.sleep(0.5)
        yield peer
    finally:
        process.terminate()
        process.wait()


def show(name, label, figures, size):
    rps, p50, p99, errors = figures
    line = f"{rps:8.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  errors {errors}  ({size} bytes)"
    print(f"{name:<6} {label:<13} {line}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--processes", type=int, help="processes of each service and DRF workers (default: the setting)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("benchmarks/api.py needs wrk: apt-get install wrk")
    processes = args.processes or ServiceSettings().service_processes
    to_bare, to_drf = [], []
    extra = {"GC_SERVICE_PROCESSES": str(processes)}
    with ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory())
        hub = stack.enter_context(running_hub(data_dir, f"gc-bench{uuid.uuid4().hex[:6]}", extra_env=extra))
        seed(hub.settings.database_url, args.rows, "researcher")
        token = hub.login("researcher").new_token()
        base = f"http://127.0.0.1:{hub.settings.service_port(0)}/services/archives/api/v1"
        endpoints = {"list": f"{base}/archives?limit=100", "detail": f"{base}/archives/bench-04242"}
        peer = stack.enter_context(drf_peer(hub.settings.database_url, "researcher", processes))
        bare_port = free_port_block(size=1)
        print(f"{processes} process(es) per service and DRF workers", flush=True)
        for name, url in endpoints.items():
            response = requests.get(url, headers={"Authorization": f"token {token}"})
            response.raise_for_status()
            sample = Path(data_dir) / f"{name}.json"
            sample.write_text(response.text)
            drf_size = len(requests.get(peer.urls[name], headers=peer.headers).content)
            bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port), str(sample)])
            try:
                time.sleep(1)
                wrk(url, token, 2)  # warm-ups
                wrk(peer.urls[name], peer.token, 2)
                service = wrk(url, token, args.seconds)
                baseline = wrk(f"http://127.0.0.1:{bare_port}/", token, args.seconds)
                drf = wrk(peer.urls[name], peer.token, args.seconds)
            finally:
                bare.terminate()
                bare.wait()
            to_bare.append(service[1] / baseline[1])
            to_drf.append(service[1] / drf[1])
            show(name, "service", service, len(response.content))
            show(name, "bare tornado", baseline, len(response.content))
            show(name, "DRF", drf, drf_size)
            print(f"{name:<6} p50 ratios: to bare {to_bare[-1]:.2f}, to DRF {to_drf[-1]:.2f}", flush=True)
    print(f"api_p50_ratio={max(to_bare):.2f} api_vs_drf={max(to_drf):.2f}")


if __name__ == "__main__":
    main()
