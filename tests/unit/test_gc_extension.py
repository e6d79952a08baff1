"""gc_extension's client and magics against a tiny fake of the services (an HTTP server in a
thread that answers from a table): argument parsing, what is shown, chunked uploads, downloads,
and the one line that each expected failure prints."""

import io
import json
import re
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from IPython.core.interactiveshell import InteractiveShell

from gc_extension import errors
from gc_extension.client import Client, hub_token, services_url, split_phase
from gc_extension.magics import GcMagics, comma_list

API = "/services/{service}/api/v1/"
PROGRESS_BAR = re.compile(r"\[[# ]+\] +\d+%")
PHASE = {
    "challenge": "demo",
    "slug": "predictions",
    "title": "Predictions",
    "submission_kind": "predictions",
    "visibility": "participants",
    "opens_at": "2020-01-01T00:00:00+00:00",
    "closes_at": None,
    "submissions_limit": 5,
    "submissions_period_days": 1,
    "parent": None,
    "algorithm_inputs": [],
    "algorithm_outputs": [],
}
ALGORITHM_PHASE = {**PHASE, "slug": "sanity", "submission_kind": "algorithm", "submissions_limit": None}
SUBMISSION = {
    "id": 7,
    "challenge": "demo",
    "phase": "predictions",
    "creator": "me",
    "kind": "predictions",
    "algorithm": None,
    "predictions_file": "masks.zip",
    "status": "queued",
    "created_at": "2026-01-01T00:00:00+00:00",
    "limits": {"cpus": 1.0, "memory_mb": 1024, "time_limit_s": 300, "gpu": False, "network": "none"},
    "cases": {"total": 0, "done": 0},
    "jobs": [],
    "evaluations": [],
}


class FakeServices:
    """Answers ``(method, path)`` from ``routes``: a (status, JSON) pair, or a function of the
    request that returns (status, body bytes or JSON, headers). Records every request."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlparse(self.path).path
                fake.requests.append((self.command, path, dict(self.headers), body))
                route = fake.routes.get((self.command, path))
                if route is None:
                    status, payload, headers = 404, {"message": f"No such endpoint: {path}"}, {}
                elif callable(route):
                    status, payload, headers = route(self.headers, body)
                else:
                    (status, payload), headers = route, {}
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/"
        # %gc_status lists my unread notifications first: none, unless a test says otherwise
        self.route("GET", "challenges", "notifications", (200, {"count": 0, "offset": 0, "limit": 5, "results": []}))

    def route(self, method, service, path, answer):
        self.routes[(method, API.format(service=service) + path)] = answer

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    services = FakeServices()
    yield services
    services.close()


@pytest.fixture
def client(fake):
    return Client(url=fake.url, token="secret", poll_s=0, sleep=lambda s: None)


@pytest.fixture
def magics(client):
    shell = InteractiveShell.instance()
    gc = GcMagics(shell, client=client)
    shell.register_magics(gc)
    return shell


def one_line(capsys):
    """What a magic printed: stdout, and its one line of error on stderr (progress bars, drawn
    there outside notebooks, rewrite their own line with \r); never a traceback."""
    out, err = capsys.readouterr()
    lines = [line.split("\r")[-1] for line in err.split("\n") if line.strip()]
    lines = [line for line in lines if not PROGRESS_BAR.search(line)]
    assert "Traceback" not in err and len(lines) <= 1, err
    return out, lines[0] if lines else ""


# --- finding the platform -----------------------------------------------------------------


def test_services_url_and_token_come_from_the_server_environment():
    assert services_url({"GC_HUB_URL": "http://172.17.0.1:8000/"}) == "http://172.17.0.1:8000/services/"
    assert services_url({"GC_SERVICES_URL": "http://x/services", "GC_HUB_URL": "http://y/"}) == "http://x/services/"
    assert hub_token({"JUPYTERHUB_API_TOKEN": "abc"}) == "abc"
    with pytest.raises(errors.GcError, match="GC_HUB_URL is not set"):
        services_url({})
    with pytest.raises(errors.NotSignedIn, match="JUPYTERHUB_API_TOKEN is not set.*Token page"):
        hub_token({})


def test_split_phase_and_comma_lists():
    assert split_phase("demo/final") == ("demo", "final")
    assert split_phase("final") == (None, "final")
    with pytest.raises(errors.InvalidInput, match="Write it as <challenge>/<phase>"):
        split_phase("a/b/c")
    assert comma_list("ct-image, age,") == ["ct-image", "age"]


# --- argument parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "magic",
    [
        "gc_challenges",
        "gc_join",
        "gc_download",
        "gc_submit",
        "gc_algorithm",
        "gc_status",
        "gc_leaderboard",
        "gc_run",
        "gc_team",
    ],
)
def test_every_magic_prints_its_usage_for_help_even_without_its_arguments(magics, capsys, magic):
    magics.run_line_magic(magic, "--help")
    out, err = one_line(capsys)
    assert f"%{magic} [" in out and "-h, --help" in out and err == ""


def test_submit_needs_a_file_or_an_algorithm_but_not_both(magics, capsys):
    magics.run_line_magic("gc_submit", "demo/predictions")
    assert "Give a predictions file or --algorithm <name>, not both or neither." in one_line(capsys)[1]
    magics.run_line_magic("gc_submit", "demo/predictions masks.zip --algorithm otsu")
    assert "not both or neither" in one_line(capsys)[1]


def test_algorithm_build_needs_an_entrypoint_in_its_line_form(magics, capsys):
    magics.run_line_magic("gc_algorithm", "build otsu")
    assert one_line(capsys)[1] == (
        "GcError: Say which file the image runs: --entrypoint predict.py. Or use the %%gc_algorithm cell form."
    )


def test_a_new_algorithm_needs_its_sockets(magics, fake, capsys, tmp_path):
    fake.route("GET", "challenges", "algorithms/otsu", (404, {"message": "There is no algorithm 'otsu'."}))
    (tmp_path / "predict.py").write_text("print(1)\n")
    magics.run_line_magic("gc_algorithm", f"build otsu --entrypoint {tmp_path}/predict.py")
    assert "--inputs ct-image --outputs segmentation" in one_line(capsys)[1]


# --- expected failures: one line each, saying what to do -------------------------------------


def test_expired_token(magics, fake, capsys):
    fake.route(
        "GET", "challenges", "challenges", (403, {"status": 403, "message": "Not signed in: send a hub API token"})
    )
    magics.run_line_magic("gc_challenges", "")
    assert one_line(capsys)[1] == (
        "NotSignedIn: The platform does not accept this notebook's hub token. Your server's hub token has expired or"
        " was revoked: restart your server from the hub's Control Panel (File > Hub Control Panel),"
        " then run this again."
    )


def test_unknown_phase(magics, fake, capsys):
    fake.route(
        "GET", "challenges", "challenges/demo/phases/nope", (404, {"message": "Challenge 'demo' has no phase 'nope'."})
    )
    magics.run_line_magic("gc_leaderboard", "demo/nope")
    assert one_line(capsys)[1] == (
        "NotFound: Challenge 'demo' has no phase 'nope'. List what you can use with %gc_challenges."
    )


def test_a_phase_hidden_from_one_who_has_not_joined_says_how_to_join(magics, fake, capsys):
    message = "Challenge 'demo' has no phase 'final'."
    fake.route("GET", "challenges", "challenges/demo/phases/final", (404, {"message": message}))
    fake.route("GET", "challenges", "challenges/demo", (200, {"slug": "demo", "title": "Demo", "my_roles": []}))
    magics.run_line_magic("gc_submit", "demo/final --algorithm otsu")
    assert one_line(capsys)[1] == (
        f"NotFound: {message} Its participants may see more of its phases: join it with %gc_join demo, then try again."
    )


def uploadable(fake):
    """Upload session 3 takes file 4."""
    fake.route("POST", "archives", "upload-sessions", (201, {"id": 3}))
    fake.route("POST", "archives", "upload-sessions/3/files", (201, {"id": 4}))
    fake.route("PUT", "archives", "upload-sessions/3/files/4", (200, {"id": 4}))


def submittable(fake):
    fake.route("GET", "challenges", "challenges/demo/phases/predictions", (200, PHASE))
    uploadable(fake)


def test_limit_reached(magics, fake, capsys, tmp_path):
    submittable(fake)
    message = (
        "You have used your 5 submission(s) in 1 day(s) to 'predictions' (failed evaluations do not count);"
        " the oldest of them stops counting at 2026-01-02 10:00 UTC: submit again then."
    )
    fake.route("POST", "challenges", "challenges/demo/phases/predictions/submissions", (409, {"message": message}))
    (tmp_path / "masks.csv").write_text("case,label\n")
    magics.run_line_magic("gc_submit", f"demo/predictions {tmp_path}/masks.csv")
    assert one_line(capsys)[1] == (
        f"LimitReached: {message} %gc_challenges shows how many submissions you have left in each phase."
    )


def test_file_too_large(magics, fake, capsys, tmp_path):
    submittable(fake)
    message = (
        "masks.csv (12 bytes) would take you over your upload quota of 10 bytes:"
        " you hold 0 bytes in sessions not imported yet."
    )
    fake.route("POST", "archives", "upload-sessions/3/files", (413, {"message": message}))
    (tmp_path / "masks.csv").write_text("case,label\n")
    magics.run_line_magic("gc_submit", f"demo/predictions {tmp_path}/masks.csv")
    assert one_line(capsys)[1] == f"TooLarge: {message}"


def test_wrong_format_of_a_predictions_zip(magics, fake, capsys, tmp_path):
    submittable(fake)
    (tmp_path / "masks.zip").write_text("not a zip")
    magics.run_line_magic("gc_submit", f"demo/predictions {tmp_path}/masks.zip")
    assert (
        one_line(capsys)[1]
        == "InvalidInput: masks.zip is not a zip file. Zip your predictions again (e.g. with zipfile.ZipFile)."
    )


def test_wrong_format_of_an_input_image(magics, fake, capsys, tmp_path):
    fake.route(
        "GET", "challenges", "algorithms/otsu", (200, {"slug": "otsu", "inputs": ["ct-image"], "outputs": ["mask"]})
    )
    uploadable(fake)
    fake.route("POST", "archives", "upload-sessions/3/import", (202, {"id": 3, "status": "importing"}))
    failed = {
        "filename": "notes.txt",
        "status": "failed",
        "message": "not an image in a format gc-hub reads",
        "image": None,
    }
    fake.route(
        "GET", "archives", "upload-sessions/3", (200, {"id": 3, "status": "failed", "message": "", "files": [failed]})
    )
    (tmp_path / "notes.txt").write_text("hello")
    magics.run_line_magic("gc_run", f"otsu {tmp_path}/notes.txt")
    assert one_line(capsys)[1] == (
        "InvalidInput: The platform could not import your file(s): notes.txt: not an image in a format gc-hub reads."
        " Give images in a format it reads (.mha, .mhd, .nii.gz, .nrrd, .tif, DICOM…)."
    )


def test_a_predictions_file_for_an_algorithm_phase_says_how_to_submit(magics, fake, capsys, tmp_path):
    fake.route("GET", "challenges", "challenges/demo/phases/sanity", (200, ALGORITHM_PHASE))
    (tmp_path / "masks.zip").write_bytes(b"")
    magics.run_line_magic("gc_submit", f"demo/sanity {tmp_path}/masks.zip")
    assert one_line(capsys)[1] == (
        "InvalidInput: Phase demo/sanity takes algorithms, not predictions files."
        " Submit one with %gc_submit demo/sanity --algorithm <name>."
    )


def test_missing_file(magics, fake, capsys):
    submittable(fake)
    magics.run_line_magic("gc_submit", "demo/predictions missing.zip")
    assert one_line(capsys)[1] == (
        "InvalidInput: No file 'missing.zip' here. Give the path of an existing file (relative to the notebook)."
    )


def test_service_down(capsys):
    stopped = FakeServices()
    stopped.close()  # nobody listens on its port any more
    url = stopped.url
    shell = InteractiveShell.instance()
    shell.register_magics(GcMagics(shell, client=Client(url=url, token="t")))
    shell.run_line_magic("gc_challenges", "")
    assert one_line(capsys)[1] == (
        f"ServiceUnavailable: The challenges service cannot be reached at {url}challenges/. The platform may be"
        " restarting: try again in a minute; if it persists, tell the platform's admins."
    )


def test_service_unavailable_behind_the_proxy(magics, fake, capsys):
    fake.route("GET", "leaderboard", "leaderboards/demo/predictions", (503, b"<html>Service Unavailable</html>"))
    fake.route("GET", "challenges", "challenges/demo/phases/predictions", (200, PHASE))
    magics.run_line_magic("gc_leaderboard", "demo/predictions")
    assert one_line(capsys)[1].startswith(
        "ServiceUnavailable: The leaderboard service is not available right now (503)."
    )


# --- algorithm models -----------------------------------------------------------------------

MODEL = {
    "id": 3,
    "algorithm": "otsu",
    "filename": "weights.tar.gz",
    "size": 120,
    "sha256": None,
    "comment": "fold 0",
    "status": "pending",
    "message": "",
    "is_active": False,
    "created_by": "me",
    "created_at": "2026-01-01T00:00:00+00:00",
    "completed_at": None,
}
DIGEST = "ab" * 32


def weights(tmp_path):
    path = tmp_path / "weights.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("layer-1.bin")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"abc"))
    return path


def model_routes(fake, *states):
    """Algorithm otsu takes model 3, which reads as each of ``states`` in turn (then the last)."""
    fake.route("GET", "challenges", "algorithms/otsu", (200, {"slug": "otsu"}))
    uploadable(fake)
    fake.route("POST", "challenges", "algorithms/otsu/models", (202, MODEL))
    answers = iter(states)
    last = {}

    def read(_headers, _body):
        last.update(next(answers, last))
        return 200, {**MODEL, **last}, {}

    fake.route("GET", "challenges", "algorithms/otsu/models/3", read)


def test_a_model_is_uploaded_checked_and_active(magics, fake, capsys, tmp_path):
    done = {"status": "succeeded", "sha256": DIGEST, "is_active": True, "message": "1 file(s), 3 bytes"}
    model_routes(fake, {"status": "importing"}, done)
    magics.run_line_magic("gc_algorithm", f"model otsu {weights(tmp_path)} --comment 'fold 0'")
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "being checked and unpacked" in err  # the live state, outside a notebook
    assert "Uploaded model 3 of algorithm otsu; the platform checks and unpacks it." in out
    assert f"Model 3 (sha256 {DIGEST}) is the active model of otsu" in out and "/opt/ml/model/" in out
    posted = [json.loads(body) for method, path, _, body in fake.requests if path.endswith("algorithms/otsu/models")]
    assert posted == [{"upload_session": 3, "file": 4, "comment": "fold 0"}]


def test_a_refused_model_says_why_in_one_line(magics, fake, capsys, tmp_path):
    refusal = "weights.tar.gz holds a symbolic link ('w/x'); nothing of it was unpacked: pack only files and folders"
    model_routes(fake, {"status": "failed", "message": refusal})
    magics.run_line_magic("gc_algorithm", f"model otsu {weights(tmp_path)}")
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == (
        f"JobFailed: Model 3 of otsu was refused: {refusal} Pack the model's files again"
        " (tar -czf model.tar.gz -C <folder> .) and upload that."
    )


def test_a_model_must_be_a_tarball(magics, fake, capsys, tmp_path):
    model_routes(fake)
    (tmp_path / "weights.pt").write_bytes(b"torch weights")
    magics.run_line_magic("gc_algorithm", f"model otsu {tmp_path}/weights.pt")
    assert one_line(capsys)[1] == (
        "InvalidInput: weights.pt is not a tarball (.tar.gz) or a zip."
        " Pack the model's files into one: tar -czf model.tar.gz -C <folder of the files> ."
    )
    magics.run_line_magic("gc_algorithm", "model otsu")
    assert "Give the model's tarball: %gc_algorithm model <algorithm> weights.tar.gz." in one_line(capsys)[1]
    assert not [path for method, path, _, _ in fake.requests if method == "POST"], "nothing was uploaded"


def test_an_algorithms_models_are_listed_with_the_active_one_marked(magics, fake, capsys):
    active = {**MODEL, "status": "succeeded", "sha256": DIGEST, "is_active": True}
    older = {**MODEL, "id": 2, "filename": "v1.tar.gz", "comment": "", "status": "failed"}
    page = {"count": 2, "offset": 0, "limit": 500, "results": [active, older]}
    fake.route("GET", "challenges", "algorithms/otsu/models", (200, page))
    magics.run_line_magic("gc_algorithm", "models otsu")
    out, _ = one_line(capsys)
    assert out.splitlines() == [
        "Models of otsu (* active; its jobs read it at /opt/ml/model/):",
        f" *    3  {DIGEST[:12]}  2026-01-01 00:00  weights.tar.gz — fold 0",
        "      2  failed        2026-01-01 00:00  v1.tar.gz",
    ]


# --- notifications ----------------------------------------------------------------------------


def test_gc_status_lists_my_unread_notifications_and_marks_them_read(magics, fake, capsys):
    told = [
        {"id": 9 - i, "kind": "submission-failed", "subject": f"Your submission {9 - i} failed", "message": "",
         "url": "", "created_at": "2026-12-02T10:00:00+00:00", "read_at": None}
        for i in range(5)
    ]  # fmt: skip
    fake.route("GET", "challenges", "notifications", (200, {"count": 7, "offset": 0, "limit": 5, "results": told}))
    fake.route("GET", "challenges", "notifications/unread", (200, {"unread": 7}))
    fake.route("POST", "challenges", "notifications/read", (200, {"marked": 7, "unread": 0}))
    magics.run_line_magic("gc_status", "--read")
    out, err = one_line(capsys)
    assert out.startswith("7 unread notifications:\n  • Your submission 9 failed — 2026-12-02 10:00 UTC")
    assert "… and 2 more" in out and out.rstrip().endswith("Marked read.") and err == ""
    assert json.loads(fake.requests[-1][3]) == {"all": True}


# --- teams ------------------------------------------------------------------------------------

TEAM = {
    "id": 4,
    "name": "Lung lab",
    "challenge": "demo",
    "created_by": "alice",
    "created_at": "2026-12-02T10:00:00+00:00",
    "members": ["alice", "me"],
    "invitations": [],
}
INVITATION = {
    "id": 8,
    "team": 4,
    "team_name": "Lung lab",
    "challenge": "demo",
    "username": "me",
    "invited_by": "alice",
    "status": "pending",
    "created_at": "2026-12-02T10:00:00+00:00",
    "decided_at": None,
}


def test_gc_team_shows_teams_and_invitations_and_answers_them(magics, fake, capsys):
    fake.route(
        "GET", "challenges", "challenges/demo/teams", (200, {"count": 1, "offset": 0, "limit": 100, "results": [TEAM]})
    )
    fake.route(
        "GET", "challenges", "team-invitations", (200, {"count": 1, "offset": 0, "limit": 100, "results": [INVITATION]})
    )
    magics.run_line_magic("gc_team", "demo")
    out, err = one_line(capsys)
    assert (
        out.splitlines()
        == [
            "Teams of demo:",
            "  Lung lab: alice, me",
            "Invitation 8: alice invites you into 'Lung lab' — %gc_team demo accept 8 (or refuse 8)",
        ]
        and err == ""
    )
    fake.route("POST", "challenges", "team-invitations/8", (200, {**INVITATION, "status": "accepted"}))
    magics.run_line_magic("gc_team", "demo accept 8")
    assert one_line(capsys)[0] == "Invitation into team 'Lung lab': accepted.\n"
    assert json.loads(fake.requests[-1][3]) == {"decision": "accept"}

    magics.run_line_magic("gc_team", "demo invite")
    assert one_line(capsys)[1] == "GcError: %gc_team demo invite needs whom to invite. See %gc_team --help."


def test_gc_team_leaves_my_team(magics, fake, capsys):
    fake.route("GET", "challenges", "me", (200, {"name": "me"}))
    fake.route(
        "GET", "challenges", "challenges/demo/teams", (200, {"count": 1, "offset": 0, "limit": 100, "results": [TEAM]})
    )
    fake.route("DELETE", "challenges", "challenges/demo/teams/4/members", (204, b""))
    magics.run_line_magic("gc_team", "demo leave")
    assert one_line(capsys)[0] == "You left team 'Lung lab'.\n"
    assert fake.requests[-1][:2] == ("DELETE", "/services/challenges/api/v1/challenges/demo/teams/4/members")


def test_gc_submit_says_what_the_phase_asks_of_the_method(magics, fake, capsys, tmp_path):
    fake.route("GET", "challenges", "challenges/demo/phases/sanity", (200, ALGORITHM_PHASE))
    uploadable(fake)
    fake.route("POST", "challenges", "challenges/demo/phases/sanity/submissions", (201, SUBMISSION))
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.7\n")
    magics.run_line_magic(
        "gc_submit", f"demo/sanity --algorithm otsu --method Otsu --url https://x.org --pdf {tmp_path}/paper.pdf"
    )
    assert "Submitted: submission 7" in one_line(capsys)[0]
    assert json.loads(fake.requests[-1][3]) == {
        "algorithm": "otsu",
        "method_name": "Otsu",
        "url": "https://x.org",
        "supplementary_file": {"upload_session": 3, "file": 4},
    }
