"""Hostile requests against a real hub (proxy, services, worker, Redis): a participant of a
challenge and the organiser of another challenge try, with many spellings, to reach the first
challenge's ground truth through paths they name, to set container limits over the platform's
ceilings, to make the services fetch something through a socket's JSON schema, to change state
with a GET, and to free upload quota that their files still take. Each attempt gets a clear
4xx, no response holds anything secret, and the others' data is intact afterwards."""

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import docker
import pytest
import requests
from hubtools import running_hub
from sqlalchemy import text

from services.core.database import make_engine

pytestmark = pytest.mark.stack

QUOTA = 1_000_000
UID = uuid.uuid4().hex[:6]
VICTIM, OTHER = f"victim-{UID}", f"other-{UID}"  # the researcher's challenge, and the one datascientist2 runs
TRUTH = f"case,label\n1,the-hidden-label-{UID}\n".encode()


class User:
    """One hub user calling the platform's services with a token of their own."""

    def __init__(self, hub, name):
        self.hub, self.name = hub, name
        self.headers = {"Authorization": f"token {hub.login(name).new_token()}"}

    def call(self, service, method, path, **kwargs):
        url = f"{self.hub.url}/services/{service}/api/v1/{path}"
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, url, headers=headers, timeout=30, **kwargs)

    def challenges(self, method, path, **kwargs):
        return self.call("challenges", method, path, **kwargs)

    def archives(self, method, path, **kwargs):
        return self.call("archives", method, path, **kwargs)

    def upload(self, name, data):
        """(session id, file id) of ``data`` uploaded as ``name`` into a new session of mine."""
        session = expect(self.archives("POST", "upload-sessions", json={}), 201)["id"]
        announced = {"filename": name, "size": len(data)}
        file = expect(self.archives("POST", f"upload-sessions/{session}/files", json=announced), 201)["id"]
        expect(self.archives("PUT", f"upload-sessions/{session}/files/{file}", data=data), 200)
        return session, file


def expect(response, status):
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("gc-hub-hostile")
    instance = f"gc-hub-hostile{os.getpid()}"
    try:
        with running_hub(data_dir, instance, extra_env={"GC_UPLOAD_QUOTA": str(QUOTA)}) as hub:
            yield hub
    finally:
        label = {"label": f"org.gc-hub.instance={instance}"}
        for container in docker.from_env().containers.list(all=True, filters=label):
            container.remove(force=True)


@pytest.fixture(scope="module")
def world(platform):
    """The researcher's challenge VICTIM (a predictions phase with uploaded ground truth) that
    datascientist joined; challenge OTHER, of which datascientist2 is an admin."""
    users = {name: User(platform, name) for name in ("researcher", "datascientist", "datascientist2", "clinician")}
    researcher = users["researcher"]
    phase = {"slug": "final", "title": "Final", "visibility": "public", "method_image": "registry.example/eval:1"}
    for slug in (VICTIM, OTHER):
        expect(researcher.challenges("POST", "challenges", json={"slug": slug, "title": slug}), 201)
        expect(researcher.challenges("POST", f"challenges/{slug}/phases", json=phase), 201)
    session, file = researcher.upload("truth.csv", TRUTH)
    expect(
        researcher.challenges(
            "POST", f"challenges/{VICTIM}/phases/final/ground-truth", json={"upload_session": session, "file": file}
        ),
        202,
    )  # unpacked by a worker
    for _ in range(240):
        status = expect(researcher.archives("GET", f"upload-sessions/{session}/files/{file}"), 200)["status"]
        if status != "importing":
            break
        time.sleep(0.25)
    assert status == "succeeded", status
    truth = expect(researcher.challenges("GET", f"challenges/{VICTIM}/phases/final"), 200)
    expect(researcher.archives("POST", f"upload-sessions/{session}/cancel"), 200)
    expect(researcher.challenges("POST", f"challenges/{OTHER}/admins", json={"username": "datascientist2"}), 201)
    request = expect(users["datascientist"].challenges("POST", f"challenges/{VICTIM}/join", json={}), 201)
    decision = {"decision": "accept"}
    expect(researcher.challenges("POST", f"challenges/{VICTIM}/join-requests/{request['id']}", json=decision), 200)
    return {**users, "truth": truth, "data_dir": platform.settings.data_dir, "hub": platform}


def secrets_of(world):
    """What no attacker's response may hold: the hidden ground truth and the platform's secrets."""
    stored = json.loads(Path(world["data_dir"], "secrets.json").read_text())
    return [
        TRUTH.decode().splitlines()[1],
        world["truth"]["ground_truth_version"],
        "root:x:0:0",
        *[value for value in stored.values() if isinstance(value, str) and len(value) >= 8],
    ]


def assert_refused(response, status, world, *words):
    """``response`` is a refusal with ``status`` whose message holds ``words`` and nothing secret."""
    assert response.status_code == status, (response.status_code, response.text)
    message = response.json()["message"]
    for word in words:
        assert word in message, (word, message)
    for secret in secrets_of(world):
        assert secret not in response.text, (secret, response.text)
    return message


def assert_victim_intact(world):
    phase = expect(world["researcher"].challenges("GET", f"challenges/{VICTIM}/phases/final"), 200)
    assert (phase["ground_truth_path"], phase["ground_truth_version"]) == (
        world["truth"]["ground_truth_path"],
        world["truth"]["ground_truth_version"],
    )
    stored = os.path.join(world["data_dir"], world["truth"]["ground_truth_path"], "truth.csv")
    assert Path(stored).read_bytes() == TRUTH


def test_an_organiser_of_another_challenge_cannot_point_a_phase_at_its_ground_truth(world):
    organiser, data_dir = world["datascientist2"], world["data_dir"]
    hidden = world["truth"]["ground_truth_path"]  # what they would look for, spelled every way
    theirs = os.path.join(data_dir, "ground-truth", OTHER)
    os.makedirs(theirs, exist_ok=True)  # links left in their folder, say by an unpacked zip
    os.symlink(os.path.join(data_dir, "ground-truth", VICTIM), os.path.join(theirs, "shortcut"))
    os.symlink("..", os.path.join(theirs, "up"))
    spellings = [
        hidden,
        f"ground-truth/{VICTIM}",
        f"ground-truth/{OTHER}/..",
        f"ground-truth/{OTHER}/../{VICTIM}/final",
        f"ground-truth/{OTHER}/final/../../{VICTIM}",
        f"ground-truth/{OTHER}/./../{VICTIM}",
        f"ground-truth/{OTHER}//..",
        f"./ground-truth/{OTHER}/../{VICTIM}",
        f"ground-truth\\{VICTIM}\\final",
        f"ground-truth/{OTHER}\\..\\{VICTIM}",
        f"/{hidden}",
        os.path.join(data_dir, hidden),
        "ground-truth",
        "ground-truth/",
        ".",
        "..",
        "../..",
        f"ground-truth/{OTHER}",
        f"ground-truth/{OTHER}/",
        f"ground-truth/{OTHER}/.",
        f"ground-truth/{OTHER}/final/..",
        f"uploads/{UID}",
        f"ground-truth/{OTHER}/shortcut/final",
        f"ground-truth/{OTHER}/up/{VICTIM}",
        f"ground-truth/{OTHER}/up",
        f"ground-truth/{OTHER}/fi\x00nal",
        f"ground-truth/{OTHER}-x/final",
    ]
    for path in spellings:
        changed = organiser.challenges("PATCH", f"challenges/{OTHER}/phases/final", json={"ground_truth_path": path})
        assert_refused(changed, 400, world, "ground_truth_path", f"inside ground-truth/{OTHER}/")
        made = organiser.challenges(
            "POST", f"challenges/{OTHER}/phases", json={"slug": "p2", "title": "P", "ground_truth_path": path}
        )
        assert_refused(made, 400, world, "ground_truth_path")
    for path in (f"ground-truth/{OTHER}/shortcut/final", f"ground-truth/{OTHER}/up/{VICTIM}"):
        changed = organiser.challenges("PATCH", f"challenges/{OTHER}/phases/final", json={"ground_truth_path": path})
        assert_refused(changed, 400, world, "through a link on disk")
    # the participant of the victim challenge may not change its phases at all
    participant = world["datascientist"]
    changed = participant.challenges("PATCH", f"challenges/{VICTIM}/phases/final", json={"ground_truth_path": hidden})
    assert_refused(changed, 403, world, "Only the admins")
    seen = expect(participant.challenges("GET", f"challenges/{VICTIM}/phases/final"), 200)
    assert "ground_truth_path" not in seen and hidden not in json.dumps(seen)
    other = expect(organiser.challenges("GET", f"challenges/{OTHER}/phases/final"), 200)
    assert other["ground_truth_path"] is None and "p2" not in [
        p["slug"] for p in expect(organiser.challenges("GET", f"challenges/{OTHER}/phases"), 200)["results"]
    ]
    assert_victim_intact(world)
    own = {"ground_truth_path": f"ground-truth/{OTHER}/final/"}
    changed = expect(organiser.challenges("PATCH", f"challenges/{OTHER}/phases/final", json=own), 200)
    assert changed["ground_truth_path"] == f"ground-truth/{OTHER}/final"  # their own folder: stored plainly


def test_container_limits_over_the_platforms_ceilings_are_refused(world):
    organiser, participant = world["datascientist2"], world["datascientist"]
    over = [  # (body, words of the refusal)
        ({"memory_limit_mb": 999999}, "memory_limit_mb 999999 is over this platform's ceiling of 16384 MB; ask its"),
        ({"memory_limit_mb": 10**15}, "ceiling of 16384 MB"),
        ({"cpu_limit": 64}, "cpu_limit 64 is over this platform's ceiling of 8 CPUs"),
        ({"cpu_limit": 8.0001}, "ceiling of 8 CPUs"),
        ({"time_limit_s": 10**9}, "time_limit_s 1000000000 is over this platform's ceiling of 14400 seconds"),
        ({"gpu": True}, "this platform has no GPUs"),
        ({"memory_limit_mb": 1.5e6}, "memory_limit_mb must be a whole number"),
        ({"memory_limit_mb": -1}, "memory_limit_mb must be a whole number of at least 64"),
        ({"cpu_limit": "64"}, "cpu_limit must be a finite number"),
        ({"gpu": "true"}, "gpu must be true or false"),
    ]
    raw = [
        ('{"cpu_limit": Infinity}', "finite number"),
        ('{"cpu_limit": NaN}', "finite number"),
        ('{"cpu_limit": 1e999}', "finite number"),
    ]
    expect(participant.challenges("POST", "algorithms", json={"slug": f"seg-{UID}", "title": "Seg"}), 201)
    phase_before = expect(organiser.challenges("GET", f"challenges/{OTHER}/phases/final"), 200)
    algorithm_before = expect(participant.challenges("GET", f"algorithms/seg-{UID}"), 200)["limits"]
    attempts = [(body, words, {"json": body}) for body, words in over]
    attempts += [(None, words, {"data": body, "headers": {"Content-Type": "application/json"}}) for body, words in raw]
    for _, words, send in attempts:
        assert_refused(organiser.challenges("PATCH", f"challenges/{OTHER}/phases/final", **send), 400, world, words)
        assert_refused(participant.challenges("PATCH", f"algorithms/seg-{UID}", **send), 400, world, words)
    for body, words in over:
        made = organiser.challenges("POST", f"challenges/{OTHER}/phases", json={"slug": "big", "title": "Big", **body})
        assert_refused(made, 400, world, words)
        made = participant.challenges("POST", "algorithms", json={"slug": f"big-{UID}", "title": "Big", **body})
        assert_refused(made, 400, world, words)
    # someone else's phase is refused before any limit is looked at
    assert_refused(
        organiser.challenges("PATCH", f"challenges/{VICTIM}/phases/final", json={"memory_limit_mb": 128}),
        403,
        world,
        "Only the admins",
    )
    assert expect(organiser.challenges("GET", f"challenges/{OTHER}/phases/final"), 200) == phase_before
    assert expect(participant.challenges("GET", f"algorithms/seg-{UID}"), 200)["limits"] == algorithm_before
    expect(participant.challenges("GET", f"algorithms/big-{UID}"), 404)
    assert_victim_intact(world)


class Recorder(BaseHTTPRequestHandler):
    """A server that would hand out a schema, and notes every request it gets."""

    asked = []

    def do_GET(self):
        Recorder.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"type": "string"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Recorder.asked = []
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_socket_schemas_make_the_services_fetch_nothing(world, recorder):
    researcher, secrets = world["researcher"], f"file://{world['data_dir']}/secrets.json"
    refs = [
        f"{recorder}/schema.json",
        f"{recorder}/schema.json#/x",
        "https://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
        secrets,
        "secrets.json",
        "../secrets.json",
        recorder.replace("http:", "") + "/s",
    ]
    shapes = [
        lambda ref: {"$ref": ref},
        lambda ref: {"type": "object", "properties": {"a": {"$ref": ref}}},
        lambda ref: {"type": "array", "items": {"allOf": [{"type": "number"}, {"$ref": ref}]}},
        lambda ref: {"$defs": {"x": {"oneOf": [{"$ref": ref}]}}, "$ref": "#/$defs/x"},
        lambda ref: {"$dynamicRef": ref},
    ]
    for number, (ref, shape) in enumerate((ref, shape) for ref in refs for shape in shapes):
        body = {"slug": f"s-{UID}-{number}", "title": "S", "kind": "any", "extra_schema": shape(ref)}
        assert_refused(researcher.archives("POST", "sockets", json=body), 422, world, "must stand alone")
    tricks = [
        {"$id": f"{recorder}/", "$ref": "#/$defs/x", "$defs": {"x": {}}},
        {"$schema": f"{recorder}/dialect"},
        {"properties": {"a": {"$id": secrets}}},
    ]
    for number, schema in enumerate(tricks):
        body = {"slug": f"t-{UID}-{number}", "title": "T", "kind": "any", "extra_schema": schema}
        assert_refused(researcher.archives("POST", "sockets", json=body), 422, world, "must stand alone")
    body = {"slug": f"d-{UID}", "title": "D", "kind": "any", "extra_schema": {"$ref": f"{recorder}/x"}}
    assert_refused(world["datascientist"].archives("POST", "sockets", json=body), 403, world, "define sockets")

    # A schema stored before these checks existed: the validator's registry fetches nothing either.
    expect(researcher.archives("POST", "sockets", json={"slug": f"old-{UID}", "title": "Old", "kind": "any"}), 201)
    expect(researcher.archives("POST", "archives", json={"slug": f"cases-{UID}", "title": "Cases"}), 201)
    with make_engine(world["hub"].settings.database_url).begin() as connection:
        schema = {"type": "object", "properties": {"a": {"$ref": f"{recorder}/s.json"}, "b": {"$ref": secrets}}}
        connection.execute(
            text("UPDATE sockets SET extra_schema = :schema WHERE slug = :slug"),
            {"schema": json.dumps(schema), "slug": f"old-{UID}"},
        )
    for value in ({"a": 1}, {"b": "x"}):
        added = researcher.archives("POST", f"archives/cases-{UID}/items", json={"values": {f"old-{UID}": value}})
        assert_refused(added, 422, world, "which it does not hold (nothing is fetched)")
    assert Recorder.asked == []
    assert expect(researcher.archives("GET", f"archives/cases-{UID}/items"), 200)["count"] == 0


def reader_study(world):
    """An educational study of the researcher with clinician as its reader: two cases, a yes/no
    question, ground truth for both. (slug, question id, case ids)."""
    slug = f"edu-{UID}"

    def post(path, body):
        return expect(world["researcher"].archives("POST", path, json=body), 201)

    post("sockets", {"slug": f"age-{UID}", "title": "Age", "kind": "integer"})
    post("archives", {"slug": slug, "title": "Edu"})
    for age in (40, 63):
        post(f"archives/{slug}/items", {"values": {f"age-{UID}": age}})
    post("reader-studies", {"slug": slug, "title": "Edu", "educational": True})
    post(f"reader-studies/{slug}/members", {"username": "clinician", "role": "reader"})
    question = post(f"reader-studies/{slug}/questions", {"text": "Nodule?", "kind": "bool"})["id"]
    cases = [c["id"] for c in post(f"reader-studies/{slug}/cases", {"archive": slug})["cases"]]
    post(f"reader-studies/{slug}/ground-truth", [{"case": case, "question": question, "value": True} for case in cases])
    return slug, question, cases


def test_a_get_never_reveals_ground_truth_or_locks_answers(world):
    slug, question, (first, second) = reader_study(world)
    reader = world["clinician"]
    url = f"reader-studies/{slug}/cases/{first}/ground-truth"
    answer = {"question": question, "case": first, "value": False}
    expect(reader.archives("POST", f"reader-studies/{slug}/answers", json=answer), 201)
    gets = [
        ("GET", url, {}),
        ("GET", f"{url}?method=POST", {}),
        ("GET", f"{url}?_method=POST", {}),
        ("GET", url, {"headers": {"X-HTTP-Method-Override": "POST"}}),
        ("GET", f"{url}/", {}),
    ]
    for method, path, extra in gets:
        response = reader.archives(method, path, **extra)
        assert response.status_code in (404, 409), (path, response.text)
        assert "POST to this URL" in response.json()["message"] or response.status_code == 404
        assert "true" not in response.text.lower().replace("true or false", "")
    assert reader.archives("HEAD", url).status_code in (405, 409)
    for method in ("PUT", "PATCH", "DELETE"):
        assert reader.archives(method, url).status_code == 405
    # nothing was revealed: the answer may still change
    expect(reader.archives("POST", f"reader-studies/{slug}/answers", json={**answer, "value": True}), 200)
    # outsiders get nothing, by GET or POST
    for outsider in ("datascientist", "datascientist2"):
        for method in ("GET", "POST"):
            assert_refused(world[outsider].archives(method, url), 404, world, "No reader study")
    assert_refused(
        reader.archives("POST", f"reader-studies/{slug}/cases/{second}/ground-truth"),
        409,
        world,
        "Answer every required question",
    )
    revealed = expect(reader.archives("POST", url), 200)
    assert revealed["answers"] == [
        {"question": question, "value": True, "explanation": "", "my_answer": True, "score": 1.0}
    ]
    assert expect(reader.archives("GET", url), 200) == revealed  # shown again, by GET now
    locked = reader.archives("POST", f"reader-studies/{slug}/answers", json=answer)
    assert_refused(locked, 409, world, "seen the ground truth")
    progress = expect(reader.archives("GET", f"reader-studies/{slug}/progress"), 200)
    assert progress["answered_case_ids"] == [first]


def test_hard_links_and_cancelled_sessions_do_not_free_quota_still_used(world):
    participant = world["datascientist"]
    session, file = participant.upload("predictions.csv", b"1,0\n" * 150_000)  # 600 kB of a 1 MB quota
    for _ in range(2):  # each submission keeps the file: a second name of the same bytes
        expect(
            participant.challenges(
                "POST", f"challenges/{VICTIM}/phases/final/submissions", json={"upload_session": session, "file": file}
            ),
            201,
        )
    expect(participant.archives("POST", f"upload-sessions/{session}/cancel"), 200)
    fresh = expect(participant.archives("POST", "upload-sessions", json={}), 201)["id"]
    files = f"upload-sessions/{fresh}/files"
    for size in (400_001, 10**12):
        announced = participant.archives("POST", files, json={"filename": "m.csv", "size": size})
        assert_refused(announced, 413, world, "over your upload quota of 1.0 MB: your uploads take 600.0 KB")
    expect(participant.archives("POST", files, json={"filename": "m.csv", "size": 400_000}), 201)
    expect(participant.archives("POST", f"upload-sessions/{fresh}/cancel"), 200)
    # cancelling again frees nothing more, and the others' quota is theirs
    again = participant.archives("POST", f"upload-sessions/{session}/cancel")
    assert_refused(again, 409, world, "cancelled already")
    assert_refused(
        participant.archives("POST", f"upload-sessions/{fresh}/files", json={"filename": "x", "size": 1}),
        409,
        world,
        "can no longer add files",
    )
    other = world["datascientist2"]
    mine = expect(other.archives("POST", "upload-sessions", json={}), 201)["id"]
    expect(other.archives("POST", f"upload-sessions/{mine}/files", json={"filename": "big.csv", "size": 900_000}), 201)
    assert_victim_intact(world)
    for service in ("archives", "challenges"):  # the platform keeps running
        expect(world["researcher"].call(service, "GET", "health"), 200)
