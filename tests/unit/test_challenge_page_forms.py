"""The challenge pages in-process: the organiser's forms without JSON (dropdowns, the editor of
result columns, participants, admins, deleting a phase) and what a participant reads."""

import re
from html import unescape
from urllib.parse import urlencode

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from test_reader_study_pages import get
from tornado.httpclient import HTTPRequest

PAGES = "/services/challenges/"
CHALLENGE = PAGES + "challenges/lungs"


@pytest.fixture
def app(monkeypatch, tmp_path):
    with fake_hub_auth(monkeypatch), service_app("challenges", f"sqlite:///{tmp_path}/gc.sqlite") as running:
        yield running


def page(app, path, user):
    response = get(app, path, user)
    return response.code, response.body.decode()


def post(app, path, user, form):
    """``(status, html)`` of a form posted as a browser would, with the XSRF token of a page."""
    response = get(app, PAGES, "researcher")
    cookies = dict(c.split(";")[0].split("=", 1) for c in response.headers.get_list("Set-Cookie"))
    body = urlencode([("_xsrf", cookies["_xsrf"]), *(form.items() if isinstance(form, dict) else form)])
    headers = {
        "X-Test-User": user,
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    request = HTTPRequest(app.get_url(path), method="POST", headers=headers, body=body, follow_redirects=False)
    response = app.io_loop.run_sync(lambda: app.http_client.fetch(request, raise_error=False))
    return response.code, (response.body or b"").decode()


def text(html):
    """What a reader sees of ``html``: its words, without tags, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def phase_form(**changes):
    """The new-phase form as a browser sends it: lists of sockets and rows of columns repeat names."""
    fields = {
        "action": "phase", "slug": "final", "title": "Final test", "submission_kind": "predictions",
        "visibility": "participants", "scoring_method": "absolute", "result_display": "best", "opens_at": "",
        "closes_at": "2099-01-31T12:00", "submissions_limit": "3", "submissions_period_days": "", "parent": "",
        "archive": "", "method_image": "gc-hub/example-evaluation:latest", "score_jsonpath": "aggregates.dice.mean",
        "cpu_limit": "1", "memory_limit_mb": "1024", "time_limit_s": "300", "algorithm_concurrency": "1",
        "ground_truth_path": "", "ground_truth_version": "",
    }  # fmt: skip
    fields.update(changes)
    rows = [
        ("column_title", "Volume difference"), ("column_path", "aggregates.volume_difference.mean"),
        ("column_order", "lower"), ("column_use", "shown"),
        ("column_title", ""), ("column_path", ""), ("column_order", "higher"), ("column_use", "shown"),
    ]  # fmt: skip
    return [*fields.items(), *rows]


def test_an_organiser_sets_up_a_phase_without_json_and_a_participant_reads_it(app):
    assert post(app, PAGES, "researcher", {"slug": "lungs", "title": "Lungs"})[0] == 302
    status, html = page(app, CHALLENGE, "researcher")
    assert status == 200 and 'name="column_path"' in html and "example-evaluation" in html
    assert "JSON list" not in html and "comma-separated" not in html

    form = [(k, v) for k, v in phase_form() if k != "column_path"] + [("column_path", ""), ("column_path", "")]
    status, html = post(app, CHALLENGE, "researcher", form)
    assert status == 400, html  # a titled column row without a path: said in words, what was typed kept
    assert "Result column 1 ('Volume difference') has no path" in unescape(text(html))
    assert 'value="Volume difference"' in html and 'value="Final test"' in html

    status, html = post(app, CHALLENGE, "researcher", phase_form())
    assert status == 302, html
    status, html = page(app, CHALLENGE + "/phases/final", "researcher")
    assert 'value="aggregates.volume_difference.mean"' in html and "every submission" in html

    # the datascientist asks from the challenge page itself; the researcher accepts
    assert "Request to join" in page(app, CHALLENGE, "datascientist")[1]
    assert post(app, CHALLENGE, "datascientist", {"action": "join"})[0] == 302
    assert "pending" in text(page(app, CHALLENGE, "datascientist")[1])
    request = re.search(r'name="request" value="(\d+)"', page(app, CHALLENGE, "researcher")[1]).group(1)
    assert post(app, CHALLENGE, "researcher", {"action": "accept", "request": request})[0] == 302

    status, html = page(app, CHALLENGE + "/phases/final", "datascientist")
    words = text(html)
    assert status == 200
    assert "Open now; closes in" in words and "Ranked by Dice (higher is better); Volume difference is shown" in words
    assert "You have 3 submissions left" in words and 'id="predictions-form"' in html
    for hidden in ("score_jsonpath", "extra_results_columns", "example-evaluation", "ground_truth", ".000"):
        assert hidden not in html

    # participants and admins are listed with their buttons; the last admin stays
    html = page(app, CHALLENGE, "researcher")[1]
    assert "datascientist" in text(html.split('id="participants"')[1].split("</section>")[0])
    status, html = post(app, CHALLENGE, "researcher", {"action": "remove-admin", "username": "researcher"})
    assert status == 409 and "last admin" in html
    assert post(app, CHALLENGE, "researcher", {"action": "remove-participant", "username": "datascientist"})[0] == 302
    assert page(app, CHALLENGE + "/phases/final", "datascientist")[0] == 404  # participants only, again

    assert post(app, CHALLENGE, "datascientist", {"action": "delete-phase", "phase": "final"})[0] == 404
    assert post(app, CHALLENGE, "researcher", {"action": "delete-phase", "phase": "final"})[0] == 302
    assert page(app, CHALLENGE + "/phases/final", "researcher")[0] == 404


def test_the_participants_api(app):
    app.call("POST", "challenges", "researcher", {"slug": "lungs", "title": "Lungs"})
    assert app.call("GET", "challenges/lungs/participants", "researcher") == (200, {"participants": []})
    assert app.call("GET", "challenges/lungs/participants", "datascientist")[0] == 403
    status, body = app.call("DELETE", "challenges/lungs/participants?username=nobody", "researcher")
    assert status == 404 and "does not take part" in body["message"]


def test_submission_pages_link_from_the_service_prefix(app):
    app.call("POST", "challenges", "researcher", {"slug": "lungs", "title": "Lungs"})
    app.call("POST", "challenges/lungs/phases", "researcher", {"slug": "final", "title": "Final"})
    html = page(app, CHALLENGE + "/phases/final/submissions", "researcher")[1]
    assert f'href="{CHALLENGE}"' in html and "../../" not in html
    assert apptools.USERS  # the users the fake hub knows
