"""Which profile a user may start, and what it does to the spawner (pure logic)."""

from types import SimpleNamespace

import pytest
from tornado import web
from traitlets.config import Config

from hub_config.profiles import apply_profile, platform_profiles, profile_choices, profile_form
from hub_config.settings import GcHub


@pytest.fixture
def profiles(monkeypatch):
    monkeypatch.setenv("GC_HUB_CONNECT_IP", "172.31.0.1")
    return platform_profiles(GcHub.load(Config()))


def spawner(*groups, admin=False):
    user = SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups], admin=admin)
    return SimpleNamespace(user=user, extra_host_config={}, environment={}, image=None, cpu_limit=None, mem_limit=None)


def test_clinician_gets_a_workstation_by_default(profiles):
    s = spawner("clinicians")
    apply_profile(profiles, gpu_enabled=False)(s, {})
    assert s.image == profiles["workstation"].image
    assert s.cpu_limit == profiles["workstation"].cpu_limit
    assert s.environment["GC_PROFILE"] == "workstation"
    assert s.default_url == "/notebooks/gc-hub-reading.ipynb"  # straight into the reading app


def test_training_opens_on_its_own_default_page(profiles):
    s = spawner("data-scientists")
    apply_profile(profiles, gpu_enabled=False)(s, {"profile": "training"})
    assert s.default_url == ""


def test_clinician_may_not_start_training(profiles):
    with pytest.raises(web.HTTPError) as e:
        apply_profile(profiles, gpu_enabled=False)(spawner("clinicians"), {"profile": "training"})
    assert e.value.status_code == 403
    assert "You may start: workstation" in e.value.log_message


def test_user_without_group_is_told_to_ask_an_admin(profiles):
    with pytest.raises(web.HTTPError) as e:
        apply_profile(profiles, gpu_enabled=False)(spawner(), {})
    assert e.value.status_code == 403 and "Ask an admin" in e.value.log_message


def test_admin_may_start_anything(profiles):
    s = spawner(admin=True)
    apply_profile(profiles, gpu_enabled=False)(s, {"profile": "training"})
    assert s.image == profiles["training"].image


def test_gpu_becomes_a_docker_device_request_only_when_enabled(profiles):
    s = spawner("data-scientists")
    apply_profile(profiles, gpu_enabled=True)(s, {"profile": "training", "gpu": "on"})
    (request,) = s.extra_host_config["device_requests"]
    assert request["Count"] == 1 and request["Capabilities"] == [["gpu"]]
    apply_profile(profiles, gpu_enabled=True)(s, {"profile": "training"})
    assert "device_requests" not in s.extra_host_config  # a later spawn without GPU drops it
    with pytest.raises(web.HTTPError) as e:
        apply_profile(profiles, gpu_enabled=False)(spawner("data-scientists"), {"profile": "training", "gpu": True})
    assert "This hub has no GPU" in e.value.log_message
    with pytest.raises(web.HTTPError) as e:
        apply_profile(profiles, gpu_enabled=True)(spawner("researchers"), {"profile": "workstation", "gpu": True})
    assert "training environment only" in e.value.log_message


def test_form_lists_only_allowed_profiles_and_the_gpu_box_when_enabled(profiles):
    html = profile_form(profiles, gpu_enabled=True)(spawner("clinicians"))
    assert 'value="workstation"' in html and 'value="training"' not in html
    assert 'name="gpu"' not in html
    html = profile_form(profiles, gpu_enabled=True)(spawner("data-scientists"))
    assert 'value="training"' in html and 'name="gpu"' in html
    assert 'name="gpu"' not in profile_form(profiles, gpu_enabled=False)(spawner("data-scientists"))


def test_each_group_gets_its_own_profile_preselected(profiles):
    def checked(*groups):
        html = profile_form(profiles, gpu_enabled=False)(spawner(*groups))
        return [line for line in html.splitlines() if " checked" in line]

    (line,) = checked("data-scientists")
    assert 'value="training"' in line  # not the clinicians' workstation
    (line,) = checked("clinicians")
    assert 'value="workstation"' in line
    s = spawner("data-scientists")
    apply_profile(profiles, gpu_enabled=False)(s, {})
    assert s.environment["GC_PROFILE"] == "training"


def test_home_page_choices_mark_the_groups_profile(profiles):
    user = spawner("data-scientists").user
    choices = profile_choices(profiles)(user)
    assert [c["name"] for c in choices if c["default"]] == ["training"]
    assert {c["name"] for c in choices} == {"workstation", "training"}
    assert profile_choices(profiles)(None) == []
