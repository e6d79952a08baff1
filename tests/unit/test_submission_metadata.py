"""What a submission says of its method: asked for as each phase says, shown on the submission
and the leaderboard (JSON and CSV); baselines marked by the admins, shown and not ranked unless
the phase says so."""

import pytest
from apptools import service_app
from test_submissions_api import CHALLENGE, env, ok, refused  # noqa: F401 (env is a fixture)

from services.core.errors import InvalidValue
from services.core.orm import JobStatus
from services.core.submission_metadata import check_metadata


class Asks:
    slug = "final"

    def __init__(self, comment="optional", method="off", url="off"):
        self.comment_choice, self.method_choice, self.url_choice = comment, method, url


@pytest.mark.parametrize(
    ("phase", "given", "wrong"),
    [
        (Asks(method="required"), {}, "Phase 'final' needs the method's name with each submission: give method_name."),
        (Asks(comment="off"), {"comment": "hi"}, "Phase 'final' does not take a comment: leave comment out."),
        (
            Asks(url="optional"),
            {"url": "javascript:alert(1)"},
            "is not a web address: give one that starts with https://",
        ),
        (Asks(url="optional"), {"url": "https://x.org/a b"}, "is not a web address"),
        (Asks(), {"comment": "x" * 10_001}, "comment must be at most 10,000 characters, not 10,001."),
        (Asks(), {"comment": 3}, "comment must be text, not 3."),
    ],
)
def test_a_phase_asks_for_what_it_wants_and_refuses_the_rest(phase, given, wrong):
    with pytest.raises(InvalidValue, match=None) as refusal:
        check_metadata(phase, given)
    assert wrong in str(refusal.value)


def test_what_a_phase_asks_for_is_kept_trimmed():
    phase = Asks(method="required", url="optional")
    given = {"method_name": " U-Net ", "method_description": "3D", "url": "https://doi.org/10.1/x"}
    assert check_metadata(phase, given) == {
        "comment": "", "method_name": "U-Net", "method_description": "3D", "url": "https://doi.org/10.1/x"
    }  # fmt: skip


def test_metadata_is_shown_and_a_baseline_is_not_ranked_unless_the_phase_says_so(env):  # noqa: F811
    env.phase(method_choice="required", url_choice="optional", submissions_limit=None)
    refused(env.submit(), 422, "needs the method's name")
    said = {"method_name": "Otsu threshold", "method_description": "Classic.", "url": "https://example.org/otsu"}
    baseline = ok(env.submit(**env.upload("participant"), **said), 201)
    assert {k: baseline[k] for k in said} == said and baseline["is_baseline"] is False
    mine = ok(
        env.submit(**env.upload("participant"), method_name="U-Net", method_description="2D", comment="first try"), 201
    )
    env.end_evaluations(JobStatus.SUCCEEDED, {"aggregates": {"score": 0.5}})
    path = f"{CHALLENGE}/phases/final/submissions/{baseline['id']}"
    refused(env.call("participant", "PATCH", path, {"is_baseline": True}), 403)
    assert ok(env.call("researcher", "PATCH", path, {"is_baseline": True}))["is_baseline"] is True

    with service_app("leaderboard", env.app.database_url) as boards:
        entries = ok(boards.call("GET", "leaderboards/lungs/final", "researcher"))["results"]
        by_id = {e["submission"]: e for e in entries}
        assert by_id[mine["id"]]["rank"] == 1 and by_id[mine["id"]]["comment"] == "first try"
        assert by_id[baseline["id"]]["rank"] is None and by_id[baseline["id"]]["baseline"] is True
        assert by_id[baseline["id"]]["notes"] == ["not ranked: a baseline, shown for comparison"]
        assert by_id[baseline["id"]]["url"] == "https://example.org/otsu"
        csv = boards.get("api/v1/leaderboards/lungs/final?format=csv", "researcher").body.decode().splitlines()
        assert csv[0].startswith("rank,user,team,baseline,method_name,url,comment,")
        assert "True,Otsu threshold,https://example.org/otsu," in csv[2]

        ok(env.call("researcher", "PATCH", f"{CHALLENGE}/phases/final", {"rank_baselines": True}))
        entries = ok(boards.call("GET", "leaderboards/lungs/final", "researcher"))["results"]
        assert [e["rank"] for e in entries] == [1, 1]


def test_a_supplementary_pdf_is_checked_and_served_only_as_a_download(env):  # noqa: F811
    env.phase(supplementary_file_choice="optional", submissions_limit=None)
    fake = env.upload("participant", "paper.pdf", b"<html><script>alert(1)</script></html>")
    refused(env.submit(**env.upload("participant"), supplementary_file=fake), 422, "is not a PDF")
    refused(env.submit(**env.upload("participant"), supplementary_file=7), 422, '{"upload_session": id, "file": id}')
    theirs = env.upload("researcher", "paper.pdf", b"%PDF-1.7\n")
    refused(env.submit(**env.upload("participant"), supplementary_file=theirs), 404, "You have no uploaded file")
    paper = env.upload("participant", "paper.pdf", b"%PDF-1.7\n%%EOF\n")
    made = ok(env.submit(**env.upload("participant"), supplementary_file=paper), 201)
    assert made["supplementary_file"].endswith(f"/submissions/{made['id']}/supplementary.pdf")
    path = made["supplementary_file"].removeprefix("/services/challenges/")
    served = env.app.get(path, "participant")
    assert served.code == 200 and served.body == b"%PDF-1.7\n%%EOF\n"
    assert served.headers["Content-Type"] == "application/pdf" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == f'attachment; filename="submission-{made["id"]}.pdf"'
    assert env.app.get(path, "researcher2").code == 404  # who may not see the submission gets nothing
    assert ok(env.call("participant", "GET", f"{CHALLENGE}/phases/final/submissions/{made['id']}"))[
        "supplementary_file"
    ]

    ok(env.call("researcher", "PATCH", f"{CHALLENGE}/phases/final", {"supplementary_file_choice": "off"}))
    refused(
        env.submit(**env.upload("participant"), supplementary_file=paper), 422, "does not take a supplementary file"
    )


def test_a_participant_chooses_which_result_represents_them(env):  # noqa: F811
    env.phase(submissions_limit=None)
    first = ok(env.submit(), 201)
    env.end_evaluations(JobStatus.SUCCEEDED, {"aggregates": {"score": 0.9}})
    second = ok(env.submit(), 201)
    env.end_evaluations(JobStatus.SUCCEEDED, {"aggregates": {"score": 0.2}})
    path = f"{CHALLENGE}/phases/final/submissions"
    refused(env.call("participant", "POST", f"{path}/{first['id']}/select"), 409, "result_display: selected")
    ok(env.call("researcher", "PATCH", f"{CHALLENGE}/phases/final", {"result_display": "selected"}))
    with service_app("leaderboard", env.app.database_url) as boards:
        board = lambda: ok(boards.call("GET", "leaderboards/lungs/final", "researcher"))["results"]  # noqa: E731
        assert [e["submission"] for e in board()] == [second["id"]]  # the most recent until one is chosen
        refused(env.call("researcher", "POST", f"{path}/{first['id']}/select"), 403, "Only its creator")
        assert ok(env.call("participant", "POST", f"{path}/{first['id']}/select"))["selected"] is True
        assert [e["submission"] for e in board()] == [first["id"]]
        ok(env.call("participant", "POST", f"{path}/{second['id']}/select"))
        assert [e["submission"] for e in board()] == [second["id"]]
        assert ok(env.call("participant", "GET", f"{path}/{first['id']}"))["selected"] is False


def test_the_phase_page_asks_for_what_the_phase_wants(env):  # noqa: F811
    env.phase(method_choice="required", url_choice="optional", supplementary_file_choice="optional")
    html = env.app.get("challenges/lungs/phases/final", "participant").body.decode()
    assert '<input id="method_name" name="method_name" maxlength="255" data-metadata required>' in html
    assert '<input id="url" name="url" type="url" placeholder="https://" data-metadata>' in html
    assert 'id="supplementary" type="file" accept="application/pdf,.pdf" data-supplementary>' in html
    assert 'id="comment"' in html  # optional by default
