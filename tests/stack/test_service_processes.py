"""Each web service runs in several processes sharing its port; a login through the hub works
whichever of them the browser reaches, when it leaves and when it comes back."""

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from hubtools import running_hub

from services.launcher import descendants

pytestmark = pytest.mark.stack

PROCESSES = 3  # more than this machine's cores: the setting, not the machine, decides
LOGINS = 24
BROWSERS = 6


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("gc-hub-processes")
    with running_hub(data_dir, f"gc-hub-procs{os.getpid()}", extra_env={"GC_SERVICE_PROCESSES": str(PROCESSES)}) as hub:
        yield hub


def service_processes(hub, name):
    """Pids of the processes that run service ``name`` (the one the hub started and its children)."""
    found = []
    for pid in descendants(hub.process.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if any(part.endswith(f"gc-{name}".encode()) for part in command):
            found.append(pid)
    return found


def test_each_service_runs_the_processes_the_setting_asks_for(platform):
    for name in ("archives", "challenges", "leaderboard"):
        assert len(service_processes(platform, name)) == PROCESSES + 1, name  # the first one watches the others


def log_in_to_a_service_page(hub):
    """A new browser (no cookie of the service yet) logs in to the hub, then opens the challenges
    service's page; the pid of the service's process that answers its health check afterwards."""
    browser = hub.login("clinician")
    page = browser.get(f"{hub.url}/services/challenges/")
    assert page.status_code == 200, page.text
    assert '<span class="me">clinician</span>' in page.text
    assert any(r.status_code == 302 and "oauth_callback" in r.url for r in page.history), page.history
    return browser.get(f"{hub.url}/services/challenges/api/v1/health").json()["process"]


def test_every_login_through_the_proxy_works_whichever_process_answers(platform):
    # Browsers at the same time: the proxy then opens several connections to the service, which
    # the kernel spreads over its processes (one at a time would all go through one connection).
    with ThreadPoolExecutor(BROWSERS) as browsers:
        answered_by = set(browsers.map(lambda _: log_in_to_a_service_page(platform), range(LOGINS)))
    assert len(answered_by) > 1, answered_by
    assert answered_by <= set(service_processes(platform, "challenges"))

    # The service's log says which process sent each browser to the hub and which took it back.
    log = (Path(platform.settings.data_dir) / "hub.log").read_text(encoding="utf-8")
    steps = re.findall(r"^\[challenges (\d+) .*\] (\d{3}) GET /services/challenges/(oauth_callback)?[ ?]", log, re.M)
    started = [pid for pid, status, callback in steps if not callback and status == "302"]
    finished = [pid for pid, status, callback in steps if callback and status == "302"]
    assert len(finished) == LOGINS and len(started) >= LOGINS, steps
    assert len(set(started)) > 1 and len(set(finished)) > 1


def test_a_change_to_archives_or_roles_shows_on_the_next_list_whichever_process_answers(platform):
    # Each process keeps the list pages and counts it made until the archives change; reads from
    # several connections at once reach several processes, which must all see each change.
    api = f"{platform.url}/services/archives/api/v1"
    researcher = {"Authorization": f"token {platform.login('researcher').new_token()}"}
    clinician = {"Authorization": f"token {platform.login('clinician').new_token()}"}
    slug, grant = "kept-lists", {"username": "clinician", "role": "user"}

    def listed(headers):
        """``{slug: title}`` of ``headers``' archives, read BROWSERS × 2 times at once: every
        answer the same, its count that of its archives."""

        def read(_):
            page = requests.get(f"{api}/archives?limit=500", headers=headers).json()
            assert page["count"] == len(page["results"]), page
            return tuple((archive["slug"], archive["title"]) for archive in page["results"])

        with ThreadPoolExecutor(BROWSERS) as readers:
            (answer,) = set(readers.map(read, range(BROWSERS * 2)))
        return dict(answer)

    before, clinicians = listed(researcher), listed(clinician)
    r = requests.post(f"{api}/archives", json={"slug": slug, "title": "Kept"}, headers=researcher)
    assert r.status_code == 201, r.text
    assert listed(researcher) == {**before, slug: "Kept"}
    assert requests.post(f"{api}/archives/{slug}/members", json=grant, headers=researcher).status_code == 201
    assert listed(clinician) == {**clinicians, slug: "Kept"}
    assert requests.delete(f"{api}/archives/{slug}/members", params=grant, headers=researcher).status_code == 204
    assert listed(clinician) == clinicians
    assert requests.patch(f"{api}/archives/{slug}", json={"title": "Renamed"}, headers=researcher).status_code == 200
    assert listed(researcher) == {**before, slug: "Renamed"}
    assert requests.delete(f"{api}/archives/{slug}", headers=researcher).status_code == 204
    assert listed(researcher) == before
