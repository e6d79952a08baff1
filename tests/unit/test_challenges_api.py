"""The challenges API in-process on a migrated SQLite file, without the hub (see apptools):
permissions, validation, join requests, phase visibility, pagination, nothing half-written."""

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.core import orm
from services.core.database import make_engine

HIDDEN_FIELDS = ("archive", "method_image", "method_digest", "ground_truth_path", "ground_truth_version")

FULL_PHASE = {
    "slug": "final",
    "title": "Final test",
    "submission_kind": "algorithm",
    "opens_at": "2030-01-01T00:00:00Z",
    "closes_at": "2030-03-01T12:00:00+01:00",
    "submissions_limit": 3,
    "submissions_period_days": 7,
    "visibility": "public",
    "auto_publish": False,
    "score_jsonpath": "aggregates.dice.mean",
    "score_ascending": True,
    "extra_results_columns": [{"path": "aggregates.hd95.mean", "title": "HD95", "ascending": True}],
    "scoring_method": "mean-rank",
    "result_display": "best",
    "cpu_limit": 4,
    "memory_limit_mb": 8192,
    "time_limit_s": 600,
    "gpu": True,
    "method_image": "registry.example/eval:1",
    "ground_truth_path": "ground-truth/lungs/final",
    "ground_truth_version": "v2",
}


@pytest.fixture
def api(database_url, monkeypatch, tmp_path):
    """``api(user, method, path, json=..., data=...)``: ``(status, body)`` of a request as ``user``
    (None: not signed in); ``data`` is sent as the raw body."""
    monkeypatch.setitem(apptools.USERS, "participant", apptools.USERS["datascientist"])
    monkeypatch.setenv("GC_GPU_ENABLED", "true")  # FULL_PHASE asks for a GPU
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path))
    with fake_hub_auth(monkeypatch), service_app("challenges", database_url) as app:
        yield lambda user, method, path, json=None, data=None: app.call(method, path, user, json, data)


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


def refused(response, status, *words):
    code, body = response
    assert code == status, body
    assert body["status"] == status
    for word in words:
        assert word in body["message"], body
    return body["message"]


def rows(database_url):
    """How many rows each challenge table holds."""
    engine = make_engine(database_url)
    models = (orm.Challenge, orm.Phase, orm.ChallengeMember, orm.JoinRequest)
    with engine.connect() as connection:
        counts = {m.__name__: connection.scalar(select(func.count()).select_from(m)) for m in models}
    engine.dispose()
    return counts


def create(api, slug="lungs", user="researcher", **fields):
    return ok(api(user, "POST", "challenges", json={"slug": slug, "title": slug.title(), **fields}), 201)


def add_phase(api, challenge="lungs", user="researcher", **fields):
    return ok(api(user, "POST", f"challenges/{challenge}/phases", json={"title": "A phase", **fields}), 201)


def join(api, challenge="lungs", user="datascientist", decision="accept"):
    request = ok(api(user, "POST", f"challenges/{challenge}/join", json={"message": "please"}), 201)
    return ok(api("researcher", "POST", f"challenges/{challenge}/join-requests/{request['id']}",
                  json={"decision": decision}))  # fmt: skip


def test_researcher_creates_a_challenge_and_becomes_its_admin(api):
    challenge = create(api, description="Segment the lungs.")
    assert challenge["slug"] == "lungs" and challenge["my_roles"] == ["admin"]
    assert challenge["description"] == "Segment the lungs." and challenge["created_by"] == "researcher"
    assert ok(api("researcher", "GET", "challenges/lungs/admins")) == {"admins": ["researcher"]}
    detail = ok(api("datascientist", "GET", "challenges/lungs"))
    assert detail["title"] == "Lungs" and detail["my_roles"] == [] and detail["phases"] == []


def test_duplicate_slug_is_a_conflict_and_writes_nothing(api, database_url):
    create(api)
    before = rows(database_url)
    refused(api("researcher2", "POST", "challenges", json={"slug": "lungs", "title": "Again"}), 409, "'lungs'")
    assert rows(database_url) == before


@pytest.mark.parametrize(
    "body, words",
    [
        (b"{not json", ["not valid JSON"]),
        (b"[1, 2]", ["JSON object"]),
        (b'{"title": "No slug"}', ["Missing", "slug"]),
        (b'{"slug": "x", "title": "X", "colour": "red"}', ["Unknown", "colour", "Allowed"]),
        (b'{"slug": "x", "title": ""}', ["title", "non-empty"]),
        (b'{"slug": "x", "title": "X", "description": 3}', ["description", "string"]),
    ],
)
def test_malformed_challenge_requests_say_what_to_fix(api, database_url, body, words):
    refused(api("researcher", "POST", "challenges", data=body), 400, *words)
    assert rows(database_url)["Challenge"] == 0


def test_invalid_slug_is_refused(api):
    refused(api("researcher", "POST", "challenges", json={"slug": "Not A Slug", "title": "X"}), 422, "slug")


def test_who_may_create_and_change_challenges(api):
    for user in ("clinician", "datascientist"):
        refused(api(user, "POST", "challenges", json={"slug": "x", "title": "X"}), 403,
                "create challenges", "custom:challenges:create")  # fmt: skip
    refused(api(None, "GET", "challenges"), 403, "Not signed in")
    create(api)
    refused(api("researcher2", "PATCH", "challenges/lungs", json={"title": "Mine"}), 403, "admins of challenge 'lungs'")
    refused(api("researcher2", "GET", "challenges/lungs/admins"), 403, "admins")
    changed = ok(api("researcher", "PATCH", "challenges/lungs", json={"title": "Lung CT", "description": "New"}))
    assert (changed["title"], changed["description"]) == ("Lung CT", "New")
    by_hub_admin = ok(api("admin", "PATCH", "challenges/lungs", json={"title": "By the hub admin"}))
    assert by_hub_admin["title"] == "By the hub admin"
    refused(api("researcher", "GET", "challenges/nope"), 404, "'nope'")


def test_admins_add_admins(api):
    create(api)
    refused(api("researcher", "POST", "challenges/lungs/admins", json={}), 400, "username")
    added = ok(api("researcher", "POST", "challenges/lungs/admins", json={"username": "researcher2"}), 201)
    assert added == {"admins": ["researcher", "researcher2"]}
    assert ok(api("researcher2", "PATCH", "challenges/lungs", json={"title": "Shared"}))["title"] == "Shared"


def test_join_request_accepted_makes_a_participant(api):
    create(api)
    request = ok(api("datascientist", "POST", "challenges/lungs/join", json={"message": "I have a model"}), 201)
    assert request["status"] == "pending" and request["username"] == "datascientist"
    mine = ok(api("datascientist", "GET", "challenges/lungs"))
    assert mine["my_join_request"]["id"] == request["id"] and mine["my_roles"] == []
    refused(api("datascientist", "POST", "challenges/lungs/join"), 409, "pending")
    refused(api("datascientist", "GET", "challenges/lungs/join-requests"), 403, "admins")
    pending = ok(api("researcher", "GET", "challenges/lungs/join-requests?status=pending"))
    assert [r["id"] for r in pending["results"]] == [request["id"]]
    refused(api("researcher", "GET", "challenges/lungs/join-requests?status=maybe"), 400, "pending")
    url = f"challenges/lungs/join-requests/{request['id']}"
    refused(api("datascientist", "POST", url, json={"decision": "accept"}), 403, "admins")
    refused(api("researcher", "POST", url, json={"decision": "yes"}), 400, "accept or reject")
    accepted = ok(api("researcher", "POST", url, json={"decision": "accept"}))
    assert accepted["status"] == "accepted" and accepted["decided_by"] == "researcher"
    refused(api("researcher", "POST", url, json={"decision": "reject"}), 409, "accepted")
    assert ok(api("datascientist", "GET", "challenges/lungs"))["my_roles"] == ["participant"]
    assert ok(api("researcher", "GET", "challenges/lungs/join-requests?status=pending"))["count"] == 0
    refused(api("datascientist", "POST", "challenges/lungs/join"), 409, "already")
    refused(api("researcher", "POST", "challenges/lungs/join-requests/999", json={"decision": "accept"}), 404)


def test_rejected_request_makes_no_participant_and_clinicians_cannot_join(api):
    create(api)
    assert join(api, decision="reject")["status"] == "rejected"
    assert ok(api("datascientist", "GET", "challenges/lungs"))["my_roles"] == []
    refused(api("clinician", "POST", "challenges/lungs/join"), 403, "join challenges", "custom:challenges:participate")
    refused(api("datascientist", "POST", "challenges/nope/join"), 404)


def test_phase_with_all_settings_is_stored_and_read_back(api):
    create(api)
    sanity = add_phase(api, slug="sanity", visibility="public")
    assert sanity["submission_kind"] == "predictions" and sanity["visibility"] == "public"
    assert sanity["score_jsonpath"] == "aggregates.score" and sanity["time_limit_s"] == 3600
    phase = add_phase(api, **{**FULL_PHASE, "parent": "sanity"})
    expected = {**FULL_PHASE, "parent": "sanity", "cpu_limit": 4.0, "opens_at": "2030-01-01T00:00:00+00:00",
                "closes_at": "2030-03-01T11:00:00+00:00", "archive": None, "method_digest": None}  # fmt: skip
    assert {key: phase[key] for key in expected} == expected
    assert ok(api("researcher", "GET", "challenges/lungs/phases/final")) == phase
    changed = ok(api("researcher", "PATCH", "challenges/lungs/phases/final", json={"gpu": False, "parent": None}))
    assert changed["gpu"] is False and changed["parent"] is None and changed["time_limit_s"] == 600


@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"opens_at": "2030-01-01T00:00:00"}, 400, ["opens_at", "time zone"]),
        ({"closes_at": "next tuesday"}, 400, ["closes_at", "ISO 8601"]),
        ({"opens_at": "2030-02-01T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"}, 400, ["closes_at", "later"]),
        ({"visibility": "secret"}, 400, ["visibility", "public, participants, hidden"]),
        ({"submission_kind": "docker"}, 400, ["submission_kind", "predictions"]),
        ({"submissions_limit": -1}, 400, ["submissions_limit", "at least 0"]),
        ({"memory_limit_mb": "lots"}, 400, ["memory_limit_mb"]),
        ({"memory_limit_mb": 32}, 400, ["memory_limit_mb", "at least 64"]),
        ({"cpu_limit": float("nan")}, 400, ["cpu_limit", "finite number"]),
        ({"cpu_limit": float("inf")}, 400, ["cpu_limit", "finite number"]),
        ({"gpu": "yes"}, 400, ["gpu", "true or false"]),
        ({"extra_results_columns": [{"title": "no path"}]}, 400, ["extra_results_columns[0]", "path"]),
        ({"leaderboard": "on"}, 400, ["Unknown", "leaderboard"]),
        ({"parent": "other-sanity"}, 400, ["parent", "has no phase 'other-sanity'"]),
        ({"archive": "secret-cases"}, 400, ["archive", "secret-cases"]),
        ({"slug": "Final!"}, 422, ["slug"]),
        ({"slug": "first"}, 409, ["'first'", "exists already"]),
    ],
)
def test_invalid_phase_settings_are_refused_and_write_nothing(api, database_url, fields, status, words):
    create(api)
    create(api, slug="other")
    add_phase(api, challenge="other", slug="other-sanity")  # a phase of another challenge is no parent here
    add_phase(api, slug="first")
    before = rows(database_url)
    refused(api("researcher", "POST", "challenges/lungs/phases", json={"slug": "second", "title": "2", **fields}),
            status, *words)  # fmt: skip
    assert rows(database_url) == before
    if status == 400:  # the same settings cannot be patched in either
        patch = {k: v for k, v in fields.items() if k != "slug"}
        refused(api("researcher", "PATCH", "challenges/lungs/phases/first", json=patch), status, *words)
        assert ok(api("researcher", "GET", "challenges/lungs/phases/first"))["visibility"] == "hidden"


def test_phase_cannot_be_its_own_ancestor(api):
    create(api)
    add_phase(api, slug="a")
    add_phase(api, slug="b", parent="a")
    refused(api("researcher", "PATCH", "challenges/lungs/phases/a", json={"parent": "b"}), 400, "loop")


def test_only_admins_add_or_change_phases(api):
    create(api)
    add_phase(api, slug="open", visibility="public")
    refused(api("datascientist", "POST", "challenges/lungs/phases", json={"slug": "x", "title": "X"}), 403, "admins")
    refused(api("datascientist", "PATCH", "challenges/lungs/phases/open", json={"title": "X"}), 403, "admins")
    refused(api("datascientist", "PATCH", "challenges/lungs/phases/nope", json={"title": "X"}), 404)


def test_phases_are_shown_by_visibility_and_hidden_fields_only_to_admins(api):
    create(api)
    for visibility in ("public", "participants", "hidden"):
        add_phase(api, **{**FULL_PHASE, "slug": visibility, "visibility": visibility})
    join(api, user="participant")

    def seen(user):
        listed = [p["slug"] for p in ok(api(user, "GET", "challenges/lungs/phases"))["results"]]
        detail = ok(api(user, "GET", "challenges/lungs"))
        assert [p["slug"] for p in detail["phases"]] == listed
        return listed, [*ok(api(user, "GET", "challenges/lungs/phases"))["results"], *detail["phases"]]

    for user in ("researcher", "admin"):
        listed, phases = seen(user)
        assert listed == ["public", "participants", "hidden"]
        assert all(p["ground_truth_path"] == "ground-truth/lungs/final" for p in phases)
    for user, visible in [("participant", ["public", "participants"]), ("datascientist", ["public"]),
                          ("clinician", ["public"])]:  # fmt: skip
        listed, phases = seen(user)
        assert listed == visible
        phases += [ok(api(user, "GET", f"challenges/lungs/phases/{slug}")) for slug in visible]
        for phase in phases:
            assert not set(HIDDEN_FIELDS) & set(phase), phase
            assert "ground-truth" not in str(phase) and "registry.example" not in str(phase)
        for slug in {"public", "participants", "hidden"} - set(visible):
            refused(api(user, "GET", f"challenges/lungs/phases/{slug}"), 404, f"no phase '{slug}'")


def test_listing_filters_by_role_and_pages(api):
    for slug in ("a", "b", "c", "d"):
        create(api, slug=slug, user="researcher" if slug != "d" else "researcher2")
    join(api, challenge="b")
    everything = ok(api("clinician", "GET", "challenges"))
    assert everything["count"] == 4 and [c["slug"] for c in everything["results"]] == ["a", "b", "c", "d"]
    page = ok(api("clinician", "GET", "challenges?limit=2&offset=1"))
    assert (page["count"], page["offset"], page["limit"]) == (4, 1, 2)
    assert [c["slug"] for c in page["results"]] == ["b", "c"]
    mine = ok(api("researcher", "GET", "challenges?role=admin"))
    assert [c["slug"] for c in mine["results"]] == ["a", "b", "c"]
    taking_part = ok(api("datascientist", "GET", "challenges?role=participant"))
    assert [(c["slug"], c["my_roles"]) for c in taking_part["results"]] == [("b", ["participant"])]
    refused(api("researcher", "GET", "challenges?limit=0"), 400, "limit")
    refused(api("researcher", "GET", "challenges?limit=many"), 400, "limit", "whole number")
    refused(api("researcher", "GET", "challenges?role=owner"), 400, "role", "admin, participant")


@pytest.mark.parametrize(
    "path",
    [
        "ground-truth/other-challenge/final",
        "uploads/3/files",
        "ground-truth/lungs/../x/y",
        "/etc",
        "ground-truth/lungs/..",
        "ground-truth/lungs/final/../../other/x",
        "ground-truth/lungs",
        "ground-truth/lungs/",
        "ground-truth/lungs/.",
        "./ground-truth/lungs/final",
        "ground-truth/lungs//final",
        "ground-truth/lungs/./final",
        "ground-truth\\lungs\\final",
        "ground-truth/lungs/final/..",
        "/data/ground-truth/lungs/final",
        "ground-truth/lungs-2/final",
        "..",
    ],
)
def test_ground_truth_lies_in_the_challenges_own_folder(api, path):
    create(api)
    status, body = api(
        "researcher", "POST", "challenges/lungs/phases", json={"slug": "gt", "title": "GT", "ground_truth_path": path}
    )
    assert status == 400, body
    assert "ground_truth_path" in body["message"] and "inside ground-truth/lungs/" in body["message"], body
    assert api("researcher", "GET", "challenges/lungs/phases/gt")[0] == 404  # nothing was made


def test_ground_truth_cannot_lead_out_through_a_link(api, tmp_path):
    create(api)
    ok(api("researcher", "POST", "challenges/lungs/phases", json={"slug": "gt", "title": "GT"}), 201)
    (tmp_path / "ground-truth" / "other" / "final").mkdir(parents=True)
    (tmp_path / "ground-truth" / "lungs" / "mine").mkdir(parents=True)
    (tmp_path / "ground-truth" / "lungs" / "theirs").symlink_to(tmp_path / "ground-truth" / "other")
    (tmp_path / "ground-truth" / "lungs" / "up").symlink_to("..")
    for path in ("ground-truth/lungs/theirs", "ground-truth/lungs/theirs/final", "ground-truth/lungs/up/other/final"):
        refused(
            api("researcher", "PATCH", "challenges/lungs/phases/gt", json={"ground_truth_path": path}),
            400,
            "through a link on disk",
        )
    changed = ok(
        api("researcher", "PATCH", "challenges/lungs/phases/gt", json={"ground_truth_path": "ground-truth/lungs/mine/"})
    )
    assert changed["ground_truth_path"] == "ground-truth/lungs/mine"  # stored as it was checked


@pytest.mark.parametrize(
    "field, value, words",
    [
        (
            "memory_limit_mb",
            999999,
            "memory_limit_mb 999999 is over this platform's ceiling of 16384 MB; ask its admins",
        ),
        ("cpu_limit", 64, "cpu_limit 64 is over this platform's ceiling of 8 CPUs"),
        ("cpu_limit", 8.25, "cpu_limit 8.25 is over this platform's ceiling of 8 CPUs"),
        ("time_limit_s", 10**9, "time_limit_s 1000000000 is over this platform's ceiling of 14400 seconds"),
    ],
)
def test_container_limits_stay_under_the_platforms_ceilings_on_create_and_update(api, field, value, words):
    create(api)
    big = {"slug": "big", "title": "Big", field: value}
    refused(api("researcher", "POST", "challenges/lungs/phases", json=big), 400, words)
    add_phase(api, slug="small")
    refused(api("researcher", "PATCH", "challenges/lungs/phases/small", json={field: value}), 400, words)
    at_most = {"cpu_limit": 8, "memory_limit_mb": 16384, "time_limit_s": 14400}[field]
    assert ok(api("researcher", "PATCH", "challenges/lungs/phases/small", json={field: at_most}))[field] == at_most
    algorithm = {"slug": "seg", "title": "Seg"}
    refused(api("datascientist", "POST", "algorithms", json={**algorithm, field: value}), 400, words)
    before = ok(api("datascientist", "POST", "algorithms", json=algorithm), 201)["limits"]
    refused(api("datascientist", "PATCH", "algorithms/seg", json={field: value, "title": "Changed"}), 400, words)
    after = ok(api("datascientist", "GET", "algorithms/seg"))
    assert (after["limits"], after["title"]) == (before, "Seg")  # nothing changed


def test_ceilings_come_from_the_platform_and_lower_the_defaults(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path))
    for name, value in {
        "GC_GPU_ENABLED": "false",
        "GC_MAX_CPU_LIMIT": "1",
        "GC_MAX_MEMORY_LIMIT_MB": "2048",
        "GC_MAX_TIME_LIMIT_S": "600",
    }.items():
        monkeypatch.setenv(name, value)
    with fake_hub_auth(monkeypatch), service_app("challenges", database_url) as app:

        def api(user, method, path, json=None):
            return app.call(method, path, user, json)

        create(api)
        for path, user, body in [
            ("challenges/lungs/phases", "researcher", {"slug": "gpu", "title": "GPU"}),
            ("algorithms", "datascientist", {"slug": "gpu", "title": "GPU"}),
        ]:
            refused(api(user, "POST", path, json={**body, "gpu": True}), 400, "gpu: this platform has no GPUs")
            made = ok(api(user, "POST", path, json=body), 201)
            limits = (
                made["limits"]
                if "limits" in made
                else {  # an algorithm's, or a phase's
                    "cpus": made["cpu_limit"],
                    "memory_mb": made["memory_limit_mb"],
                    **made,
                }
            )
            shown = (limits["cpus"], limits["memory_mb"], limits["time_limit_s"], limits["gpu"])
            assert shown == (1.0, 2048, 600, False)  # the defaults, lowered to the ceilings
        refused(api("researcher", "PATCH", "challenges/lungs/phases/gpu", json={"gpu": True}), 400, "no GPUs")
        refused(api("datascientist", "PATCH", "algorithms/gpu", json={"gpu": True}), 400, "no GPUs")
        more = {"memory_limit_mb": 2049}
        refused(api("datascientist", "PATCH", "algorithms/gpu", json=more), 400, "ceiling of 2048 MB")


def test_a_job_gets_no_more_than_the_ceilings_allow_now(api, database_url, monkeypatch):
    """An algorithm stored with a limit over a ceiling that was lowered since runs no job with it."""
    ok(api("datascientist", "POST", "algorithms", json={"slug": "old", "title": "Old", "memory_limit_mb": 8192}), 201)
    with make_engine(database_url).begin() as connection:
        old = update(orm.Algorithm).where(orm.Algorithm.slug == "old")
        connection.execute(old.values(container_digest="sha256:" + "0" * 64, memory_limit_mb=99999))
    refused(
        api("datascientist", "POST", "algorithms/old/jobs", json={"inputs": {}}),
        400,
        "memory_limit_mb 99999 is over this platform's ceiling of 16384 MB",
    )
    ok(api("datascientist", "PATCH", "algorithms/old", json={"memory_limit_mb": 16384}))
    job = ok(api("datascientist", "POST", "algorithms/old/jobs", json={"inputs": {}}), 201)
    assert job["limits"]["memory_mb"] == 16384


TWO_INTERFACES = [
    {"inputs": ["ct-image"], "outputs": ["covid-19-lesion-segmentation"]},
    {"inputs": ["covid-19-probability-score"], "outputs": ["results-json-file"]},
]


def test_a_job_runs_the_interface_its_inputs_fit(api, database_url):
    body = {"slug": "two", "title": "Two", "interfaces": TWO_INTERFACES}
    algorithm = ok(api("datascientist", "POST", "algorithms", json=body), 201)
    assert algorithm["interfaces"] == TWO_INTERFACES
    assert algorithm["inputs"] == ["covid-19-probability-score", "ct-image"]
    same_inputs = [TWO_INTERFACES[0], {"inputs": ["ct-image"], "outputs": ["results-json-file"]}]
    refused(
        api("datascientist", "POST", "algorithms", json={"slug": "amb", "title": "A", "interfaces": same_inputs}),
        422,
        "two interfaces that take the inputs {ct-image}",
    )
    with make_engine(database_url).begin() as connection:
        connection.execute(update(orm.Algorithm).where(orm.Algorithm.slug == "two").values(container_digest="sha256:1"))
    job = ok(
        api("datascientist", "POST", "algorithms/two/jobs", json={"inputs": {"covid-19-probability-score": 0.3}}), 201
    )
    assert job["inputs"] == {"covid-19-probability-score": 0.3} and len(job["pk"]) == 36
    with Session(make_engine(database_url)) as db:
        assert [s.slug for s in db.get(orm.AlgorithmJob, job["id"]).interface.outputs] == ["results-json-file"]
    both = {"inputs": {"covid-19-probability-score": 0.3, "ct-image": {"image": 1}}}
    refused(
        api("datascientist", "POST", "algorithms/two/jobs", json=both),
        422,
        "takes the inputs {ct-image} or {covid-19-probability-score}",
        "you gave {covid-19-probability-score, ct-image}",
    )


def test_a_phase_lists_the_interfaces_an_algorithm_must_have(api):
    create(api)
    phase = {"slug": "final", "title": "Final", "submission_kind": "algorithm", "algorithm_interfaces": TWO_INTERFACES}
    made = ok(api("researcher", "POST", "challenges/lungs/phases", json=phase), 201)
    assert made["algorithm_interfaces"] == TWO_INTERFACES
    # The page's form sends the shorthand back unchanged with other fields: every interface stays.
    unchanged = {"title": "The final", "algorithm_inputs": made["algorithm_inputs"],
                 "algorithm_outputs": made["algorithm_outputs"]}  # fmt: skip
    assert ok(api("researcher", "PATCH", "challenges/lungs/phases/final", json=unchanged))["algorithm_interfaces"] == (
        TWO_INTERFACES
    )
    one = ok(api("researcher", "PATCH", "challenges/lungs/phases/final", json={"algorithm_inputs": ["ct-image"]}))
    assert one["algorithm_interfaces"] == [
        {"inputs": ["ct-image"], "outputs": ["covid-19-lesion-segmentation", "results-json-file"]}
    ]
    extra = {"evaluation_additional_inputs": ["covid-19-probability-score"]}
    assert ok(api("researcher", "PATCH", "challenges/lungs/phases/final", json=extra))[
        "evaluation_additional_inputs"
    ] == ["covid-19-probability-score"]


def test_a_phase_names_what_its_evaluation_writes_to_its_admins_only(api):
    create(api)
    outputs = {"evaluation_additional_outputs": ["covid-19-lesion-segmentation", "covid-19-probability-score"]}
    made = add_phase(api, slug="final", visibility="public", **outputs)
    assert made["evaluation_additional_outputs"] == outputs["evaluation_additional_outputs"]
    join(api, user="participant")
    seen = ok(api("participant", "GET", "challenges/lungs/phases/final"))
    assert "evaluation_additional_outputs" not in seen and "covid-19-lesion-segmentation" not in str(seen)
    refused(
        api("researcher", "PATCH", "challenges/lungs/phases/final", json={"evaluation_additional_outputs": ["nope"]}),
        422,
        "evaluation_additional_outputs",
        "nope",
    )
    cleared = ok(
        api("researcher", "PATCH", "challenges/lungs/phases/final", json={"evaluation_additional_outputs": []})
    )
    assert cleared["evaluation_additional_outputs"] == []
