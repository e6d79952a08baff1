"""API speed: a list and a detail endpoint of the archives service, next to a bare tornado handler.

    .venv/bin/python benchmarks/api.py [--rows 10000] [--seconds 10]      (needs wrk: apt-get install wrk)

A real hub starts with its services; 10,000 archives are written into the platform database, all
shared with the demo researcher, whose hub token then asks the archives service directly (its
own port, as the proxy would) for a page of 100 archives and for one archive, at 32 concurrent
connections. The same load goes to a bare tornado handler in its own process that returns a
JSON document of the same size from memory. Last line: `api_p50_ratio=<service p50 / bare p50>`
(the larger of the two endpoints' ratios).
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hubtools import free_port_block, running_hub

from services.core.database import make_engine
from services.core.orm import Archive, ArchiveMember, ArchiveRole, utcnow

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


def wrk(url, token, seconds):
    """Requests/s, p50 and p99 in ms, and the error count of ``seconds`` of load at 32 connections."""
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-H", f"Authorization: token {token}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = sum(map(int, socket_errors.groups())) if socket_errors else 0
    errors += int(bad_status.group(1)) if bad_status else 0
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), ms("50%"), ms("99%"), errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("benchmarks/api.py needs wrk: apt-get install wrk")
    ratios = []
    with tempfile.TemporaryDirectory() as data_dir, running_hub(data_dir, f"gc-bench{uuid.uuid4().hex[:6]}") as hub:
        seed(hub.settings.database_url, args.rows, "researcher")
        token = hub.login("researcher").new_token()
        base = f"http://127.0.0.1:{hub.settings.service_port(0)}/services/archives/api/v1"
        endpoints = {"list": f"{base}/archives?limit=100", "detail": f"{base}/archives/bench-04242"}
        bare_port = free_port_block(size=1)
        for name, url in endpoints.items():
            response = requests.get(url, headers={"Authorization": f"token {token}"})
            response.raise_for_status()
            sample = Path(data_dir) / f"{name}.json"
            sample.write_text(response.text)
            bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port), str(sample)])
            try:
                time.sleep(1)
                wrk(url, token, 2)  # warm-up
                service = wrk(url, token, args.seconds)
                baseline = wrk(f"http://127.0.0.1:{bare_port}/", token, args.seconds)
            finally:
                bare.terminate()
                bare.wait()
            ratios.append(service[1] / baseline[1])
            for label, (rps, p50, p99, errors) in (("service", service), ("bare tornado", baseline)):
                print(
                    f"{name:<6} {label:<13} {rps:8.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  errors {errors}"
                    f"  ({len(response.content)} bytes)",
                    flush=True,
                )
    print(f"api_p50_ratio={max(ratios):.2f}")


if __name__ == "__main__":
    main()
