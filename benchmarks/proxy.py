"""The hub's proxy: a trivial service endpoint asked directly and through the proxy, side by side.

    .venv/bin/python benchmarks/proxy.py [--seconds 10] [--rounds 3]      (needs wrk: apt-get install wrk)

A real hub starts with its services behind its proxy (JupyterHub's configurable-http-proxy). A
data scientist's hub token asks the leaderboard service who is asking (``api/v1/me``: the hub's
answer about the token is cached, so the service does almost nothing) at 32 concurrent
connections, once on the service's own port and once through the proxy's public port,
alternating for ``--rounds`` rounds; the best round of each counts. Last line:
``proxy_overhead_ratio=<direct req/s / proxied req/s>``.
"""

import argparse
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from api import wrk
from hubtools import running_hub

ENDPOINT = "services/leaderboard/api/v1/me"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="seconds of load per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each route; the best counts")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("benchmarks/proxy.py needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as data_dir, running_hub(data_dir, f"gc-bench{uuid.uuid4().hex[:6]}") as hub:
        token = hub.login("datascientist").new_token()
        routes = {
            "direct": f"http://127.0.0.1:{hub.settings.service_port(2)}/{ENDPOINT}",
            "proxied": f"http://127.0.0.1:{hub.settings.port}/{ENDPOINT}",
        }
        for url in routes.values():
            requests.get(url, headers={"Authorization": f"token {token}"}, timeout=10).raise_for_status()
            wrk(url, token, 2)  # warm-up: the token's lookup is cached, connections are open
        best = {}
        for round_ in range(1, args.rounds + 1):
            for name, url in routes.items():
                rps, p50, p99, errors = wrk(url, token, args.seconds)
                line = f"{rps:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  errors {errors}"
                print(f"round {round_} {name:<8} {line}", flush=True)
                if errors:
                    sys.exit(f"{errors} requests to {url} failed")
                best[name] = max(best.get(name, 0), rps)
    print(f"best: direct {best['direct']:.0f} req/s, proxied {best['proxied']:.0f} req/s")
    print(f"proxy_overhead_ratio={best['direct'] / best['proxied']:.2f}")


if __name__ == "__main__":
    main()
