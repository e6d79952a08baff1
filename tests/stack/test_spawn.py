"""Users of each group start the servers they may start, through the real hub and Docker."""

import json

import docker
import pytest
import requests

pytestmark = pytest.mark.stack

ALLOWED = [("clinician", "workstation"), ("datascientist", "training"), ("researcher", "training")]


@pytest.mark.parametrize("username,profile", ALLOWED)
def test_user_starts_allowed_profile_and_reaches_it_through_the_proxy(hub, username, profile):
    user = hub.login(username)
    r = user.start_server(profile=profile)
    assert r.status_code in (201, 202), r.text
    try:
        user.wait_ready()
        token = user.new_token()
        r = requests.get(f"{hub.url}/user/{username}/api/status", headers={"Authorization": f"token {token}"})
        assert r.status_code == 200, r.text
        container = docker.from_env().containers.get(f"{hub.settings.instance}-{username}")
        env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
        assert env["GC_PROFILE"] == profile
        assert container.attrs["Config"]["Image"] == getattr(hub.settings, f"{profile}_image")
        host = container.attrs["HostConfig"]
        limit = getattr(hub.settings, f"{profile}_cpu_limit")
        assert host["CpuQuota"] == int(limit * host["CpuPeriod"])
        assert host["Memory"] > 0
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert mounts["/home/jovyan"]["Name"] == f"{hub.settings.instance}-home-{username}"
        commands = [process[-1] for process in container.top(ps_args="-o pid,args")["Processes"]]
        assert any("-m gc_singleuser" in command for command in commands), commands
    finally:
        user.stop_server()


# What the single-user server of each image imports, then the hub's ORM used: it still works.
DEFERRAL_CHECK = """
import json, sys
import gc_singleuser
gc_singleuser.defer_hub_only_modules()
from jupyterhub.singleuser import main  # what the image's server runs (extension or classic app)
ran = [name for name in ("jupyterhub.handlers.base", "alembic", "sqlalchemy.orm") if name in sys.modules]
from jupyterhub import orm
print(json.dumps({"ran at start": ran, "used later": orm.User.__tablename__}))
"""


@pytest.mark.parametrize("profile", ["workstation", "training"])
def test_the_server_starts_without_the_hubs_database_modules_which_still_work_if_used(hub, profile):
    image = getattr(hub.settings, f"{profile}_image")
    output = docker.from_env().containers.run(image, ["python", "-c", DEFERRAL_CHECK], remove=True)
    assert json.loads(output) == {"ran at start": [], "used later": "users"}


def test_clinician_asking_for_training_is_refused_with_a_clear_message(hub):
    clinician = hub.login("clinician")
    r = clinician.start_server(profile="training")
    assert r.status_code == 403
    message = r.json()["message"]
    assert "may not start a training environment" in message
    assert "You may start: workstation" in message
    assert "" not in clinician.api("GET", "/users/clinician").json()["servers"]


def test_unknown_profile_and_unavailable_gpu_are_refused(hub):
    scientist = hub.login("datascientist")
    r = scientist.start_server(profile="supercomputer")
    assert r.status_code == 400 and "Unknown profile 'supercomputer'" in r.json()["message"]
    r = scientist.start_server(profile="training", gpu=True)
    assert r.status_code == 400 and "This hub has no GPU" in r.json()["message"]


def test_spawn_page_offers_only_allowed_profiles_and_refuses_a_forged_choice(hub):
    clinician = hub.login("clinician")
    page = clinician.get(f"{hub.url}/hub/spawn")
    assert 'value="workstation"' in page.text
    assert 'value="training"' not in page.text
    forged = clinician.post(
        f"{hub.url}/hub/spawn/clinician",
        data={"profile": "training", "_xsrf": clinician.cookies.get("_xsrf")},
    )
    assert forged.status_code == 403
    assert "may not start a training environment" in forged.text


def test_server_that_dies_while_starting_is_reported_with_its_log(hub):
    """A home folder with a broken Jupyter config: the user learns why, nothing hangs."""
    username = "researcher"
    volume = f"{hub.settings.instance}-home-{username}"
    docker.from_env().containers.run(
        hub.settings.workstation_image,
        [
            "sh",
            "-c",
            "mkdir -p ~/.jupyter && echo 'raise SystemExit(\"broken config in ~/.jupyter\")' "
            "> ~/.jupyter/jupyter_notebook_config.py",
        ],
        volumes={volume: {"bind": "/home/jovyan", "mode": "rw"}},
        remove=True,
    )
    user = hub.login(username)
    try:
        r = user.start_server(profile="workstation")
        if r.status_code == 202:  # still pending: the failure arrives in the progress stream
            events = user.api("GET", f"/users/{username}/server/progress").text
            assert '"failed": true' in events and "broken config in ~/.jupyter" in events, events
        else:
            assert r.status_code >= 500 and "broken config in ~/.jupyter" in r.json()["message"], r.text
        assert "" not in user.api("GET", f"/users/{username}").json()["servers"]
    finally:
        docker.from_env().containers.run(
            hub.settings.workstation_image,
            ["rm", "-rf", "/home/jovyan/.jupyter"],
            volumes={volume: {"bind": "/home/jovyan", "mode": "rw"}},
            remove=True,
        )
