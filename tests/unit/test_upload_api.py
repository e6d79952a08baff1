"""Upload sessions through the archives API in-process: streaming, resumable chunks, quota,
permissions, cancel, and the import task run on the same database (the queue is the only fake:
the stack test runs the real worker)."""

import json
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from apptools import fake_hub_auth, service_app
from import_samples import dicom_series, volume, write, zip_bomb, zip_of
from tornado.httpclient import HTTPClientError, HTTPRequest

from services.imaging import tasks
from services.imaging.tasks import import_upload_session
from services.queue import Task
from services.web import uploads


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("GC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GC_DATABASE_URL", database_url)
    monkeypatch.setenv("GC_INSTANCE", f"gc-test-uploads-{uuid.uuid4().hex[:8]}")  # names its importer containers
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as running:
        yield running


def imports_queued(app):
    """The upload sessions whose import the service queued, in order."""
    return [work["upload_session_id"] for work in app.queue.arguments(Task.IMPORT_UPLOAD_SESSION)]


@pytest.fixture
def api(app):
    return app.call


def new_session(api, user="researcher", **body):
    status, session = api("POST", "upload-sessions", user, body)
    assert status == 201, session
    return session


def announce(api, session, name, size, user="researcher"):
    status, file = api("POST", f"upload-sessions/{session['id']}/files", user, {"filename": name, "size": size})
    assert status == 201, file
    return file


def put(api, session, file, data, content_range=None, user="researcher"):
    headers = {"Content-Range": content_range} if content_range else None
    return api("PUT", f"upload-sessions/{session['id']}/files/{file['id']}", user, raw=data, headers=headers)


def upload(api, session, path, name=None):
    data = Path(path).read_bytes()
    file = announce(api, session, name or Path(path).name, len(data))
    status, body = put(api, session, file, data)
    assert status == 200 and body["received"] == len(data), body
    return file


def run_import(app, session, user="researcher"):
    status, body = app.call("POST", f"upload-sessions/{session['id']}/import", user)
    assert status == 202 and body["status"] == "importing", body
    assert imports_queued(app)[-1] == session["id"]
    import_upload_session(upload_session_id=session["id"])
    status, body = app.call("GET", f"upload-sessions/{session['id']}", user)
    assert status == 200
    return body, {f["filename"]: f for f in body["files"]}


def test_upload_import_and_results_per_file(app, api, tmp_path):
    session = new_session(api)
    assert session["status"] == "pending" and session["files"] == []
    upload(api, session, write(volume(), tmp_path / "ct.nii.gz"))
    for path in dicom_series(tmp_path / "series", volume((8, 8, 4))):
        upload(api, session, path, name=f"series/{path.name}")
    (tmp_path / "notes.txt").write_text("hello")
    upload(api, session, tmp_path / "notes.txt")
    body, files = run_import(app, session)
    assert body["status"] == "succeeded" and len(body["images"]) == 2
    assert "1 of 6 files could not be imported" in body["message"]
    assert (
        files["ct.nii.gz"]["status"] == "succeeded"
        and "16×12×6, 16-bit signed integer" in files["ct.nii.gz"]["message"]
    )
    series_images = {f["image"] for name, f in files.items() if name.startswith("series/")}
    assert len(series_images) == 1 and series_images | {files["ct.nii.gz"]["image"]} == set(body["images"])
    assert files["series/slice001.dcm"]["message"].endswith("8×8×4, 16-bit signed integer, CT")
    assert files["notes.txt"]["status"] == "failed" and "not an image file" in files["notes.txt"]["message"]
    assert not (tmp_path / "data" / "uploads" / str(session["id"])).exists(), "uploads are removed once imported"
    assert len(list((tmp_path / "data" / "images").rglob("*.mha"))) == 2


def test_images_become_cases_of_the_target_archive(app, api, tmp_path):
    api("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"})
    api(
        "POST",
        "sockets",
        "researcher",
        {"slug": "ct", "title": "CT", "kind": "image", "relative_path": "images/lung-ct"},
    )
    session = new_session(api, archive="lungs", socket="ct")
    assert (session["archive"], session["socket"]) == ("lungs", "ct")
    for i in range(2):
        upload(api, session, write(volume(), tmp_path / f"ct{i}.mha"))
    body, _ = run_import(app, session)
    status, items = api("GET", "archives/lungs/items", "researcher")
    assert items["count"] == 2 and sorted(i["values"]["ct"]["image"] for i in items["results"]) == body["images"]


def test_who_may_upload_into_an_archive(api):
    api("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"})
    api(
        "POST",
        "sockets",
        "researcher",
        {"slug": "ct", "title": "CT", "kind": "image", "relative_path": "images/lung-ct"},
    )
    api("POST", "sockets", "researcher", {"slug": "age", "title": "Age", "kind": "integer"})
    api("POST", "archives/lungs/members", "researcher", {"username": "clinician", "role": "user"})
    status, body = api("POST", "upload-sessions", "clinician", {"archive": "lungs", "socket": "ct"})
    assert status == 403 and "upload images into this archive" in body["message"]
    status, body = api("POST", "upload-sessions", "datascientist", {"archive": "lungs", "socket": "ct"})
    assert status == 404 and "No archive 'lungs'" in body["message"]
    status, body = api("POST", "upload-sessions", "researcher", {"archive": "lungs", "socket": "age"})
    assert status == 422 and "not images; choose an image socket" in body["message"]
    status, body = api("POST", "upload-sessions", "researcher", {"archive": "lungs"})
    assert status == 422 and "Give both 'archive' and 'socket'" in body["message"]
    api("POST", "archives/lungs/members", "researcher", {"username": "clinician", "role": "uploader"})
    assert api("POST", "upload-sessions", "clinician", {"archive": "lungs", "socket": "ct"})[0] == 201


def test_only_the_owner_sees_a_session(api):
    session = new_session(api)
    for user in ("researcher2", "clinician", "admin"):
        status, body = api("GET", f"upload-sessions/{session['id']}", user)
        assert status == 404 and f"No upload session {session['id']} of yours" in body["message"]
        assert api("GET", "upload-sessions", user)[1]["count"] == 0
    assert api("GET", "upload-sessions", "researcher")[1]["results"][0]["id"] == session["id"]


def test_chunks_resume_where_the_received_bytes_end(api, tmp_path):
    data = write(volume((64, 64, 64)), tmp_path / "ct.mha").read_bytes()
    assert len(data) > 1024 * 1024 * 0.4
    session = new_session(api)
    file = announce(api, session, "ct.mha", len(data))
    half = len(data) // 2
    status, body = put(api, session, file, data[:half], f"bytes 0-{half - 1}/{len(data)}")
    assert status == 200 and body["received"] == half
    status, body = put(api, session, file, data[:100], f"bytes 0-99/{len(data)}")  # a stale retry
    assert status == 409 and f"send the chunk that starts at byte {half:,}" in body["message"]
    status, body = api("GET", f"upload-sessions/{session['id']}/files/{file['id']}", "researcher")
    assert body["received"] == half  # where a client that lost track resumes
    status, body = put(api, session, file, data[half:], f"bytes {half}-{len(data) - 1}/{len(data)}")
    assert status == 200 and body["received"] == len(data)
    stored = tmp_path / "data" / "uploads" / str(session["id"]) / "files" / "ct.mha"
    assert stored.read_bytes() == data


def test_bodies_larger_than_the_json_limit_stream_to_disk(api, tmp_path):
    session = new_session(api)
    data = b"\x01" * (3 * 1024 * 1024)
    file = announce(api, session, "big.raw", len(data))
    assert put(api, session, file, data)[0] == 200


def test_bad_chunks_get_messages(api):
    session = new_session(api)
    file = announce(api, session, "ct.mha", 10)
    status, body = put(api, session, file, b"x" * 4, "bytes 0-3/11")
    assert status == 400 and "announced as 10 bytes, not 11" in body["message"]
    status, body = put(api, session, file, b"x" * 4, "bytes 0-4/10")
    assert status == 400 and "does not fit a 4-byte body" in body["message"]
    status, body = put(api, session, file, b"x" * 4, "pages 1-2")
    assert status == 400 and "is not 'bytes first-last/size'" in body["message"]
    status, body = put(api, session, file, b"x" * 4)
    assert status == 400 and "not 4" in body["message"]


def test_filenames_and_duplicates(api):
    session = new_session(api)
    names = ("../etc/passwd", "/abs.mha", "a/../b.mha", "", "a\\b.mha", "./a.mha", "a//b.mha", "a/..", ".", "a\x00b")
    for name in names:
        status, body = api(
            "POST", f"upload-sessions/{session['id']}/files", "researcher", {"filename": name, "size": 1}
        )
        assert status == 400 and "filename" in body["message"], name
    announce(api, session, "series/a.dcm", 1)
    status, body = api(
        "POST", f"upload-sessions/{session['id']}/files", "researcher", {"filename": "series", "size": 1}
    )
    assert status == 409 and "has a file 'series/a.dcm' already" in body["message"]
    status, body = api("POST", f"upload-sessions/{session['id']}/files", "researcher", {"filename": "x", "size": -1})
    assert status == 422 and "size in bytes" in body["message"]


def test_quota(api, monkeypatch):
    monkeypatch.setattr(uploads.UploadLimits.instance(), "quota", 1000)
    session = new_session(api)
    announce(api, session, "a.mha", 600)
    status, body = api(
        "POST", f"upload-sessions/{session['id']}/files", "researcher", {"filename": "b.mha", "size": 500}
    )
    assert status == 413 and "over your upload quota of 1.0 KB: your uploads take 600 bytes" in body["message"]
    api("POST", f"upload-sessions/{session['id']}/cancel", "researcher")  # cancelled sessions no longer count
    announce(api, new_session(api), "b.mha", 500)


def test_what_a_cancelled_session_still_has_on_disk_counts_until_it_is_gone(app, api, monkeypatch, tmp_path):
    """A worker that was unpacking the session when it was cancelled writes on in its folder."""
    monkeypatch.setattr(uploads.UploadLimits.instance(), "quota", 1000)
    session = new_session(api)
    upload(api, session, write_bytes(tmp_path / "a.zip", 100))
    ok_cancel = api("POST", f"upload-sessions/{session['id']}/cancel", "researcher")
    assert ok_cancel[0] == 200 and not (tmp_path / "data" / "uploads" / str(session["id"])).exists()
    unpacked = tmp_path / "data" / "uploads" / str(session["id"]) / "unpacked" / "1"
    unpacked.mkdir(parents=True)
    write_bytes(unpacked / "ct.mha", 700)
    (unpacked / "again.mha").hardlink_to(unpacked / "ct.mha")  # counted once
    (unpacked / "outside").symlink_to("/etc")  # not followed
    more = {"filename": "b", "size": 400}
    status, body = api("POST", f"upload-sessions/{new_session(api)['id']}/files", "researcher", more)
    assert status == 413 and "your uploads take 700 bytes" in body["message"], body
    announce(api, new_session(api), "b", 300)
    shutil.rmtree(unpacked.parent.parent)  # the worker is done
    announce(api, new_session(api), "c", 700)


def test_a_session_whose_import_cannot_be_queued_leaves_no_files(app, api, tmp_path):
    app.queue.reachable = False
    session = new_session(api)
    upload(api, session, write_bytes(tmp_path / "a.mha", 10))
    status, body = api("POST", f"upload-sessions/{session['id']}/import", "researcher")
    assert status == 503 and "could not be reached" in body["message"]
    assert not (tmp_path / "data" / "uploads" / str(session["id"])).exists()


def write_bytes(path, size):
    path.write_bytes(b"x" * size)
    return path


def test_import_needs_complete_files_and_happens_once(app, api):
    session = new_session(api)
    status, body = api("POST", f"upload-sessions/{session['id']}/import", "researcher")
    assert status == 400 and "has no files yet" in body["message"]
    file = announce(api, session, "ct.mha", 10)
    put(api, session, file, b"x" * 4, "bytes 0-3/10")
    status, body = api("POST", f"upload-sessions/{session['id']}/import", "researcher")
    assert status == 409 and "ct.mha has 4 bytes of 10 bytes" in body["message"]
    put(api, session, file, b"x" * 6, "bytes 4-9/10")
    assert api("POST", f"upload-sessions/{session['id']}/import", "researcher")[0] == 202
    status, body = api("POST", f"upload-sessions/{session['id']}/import", "researcher")
    assert status == 409 and "is importing: you can no longer start its import" in body["message"]
    status, body = api("POST", f"upload-sessions/{session['id']}/files", "researcher", {"filename": "b", "size": 1})
    assert status == 409 and "can no longer add files" in body["message"]
    assert imports_queued(app) == [session["id"]]


def test_import_failure_of_every_file_fails_the_session(app, api, tmp_path):
    session = new_session(api)
    (tmp_path / "a.nii").write_bytes(b"")
    upload(api, session, tmp_path / "a.nii")
    body, files = run_import(app, session)
    assert body["status"] == "failed" and files["a.nii"]["message"] == "a.nii is empty (0 bytes): upload it again"


def test_zips_unpack_and_bad_zips_say_why(app, api, tmp_path):
    good = write(volume(), tmp_path / "v.nii.gz")
    series = dicom_series(tmp_path / "series", volume((8, 8, 3)))
    session = new_session(api)
    upload(
        api,
        session,
        zip_of(
            tmp_path / "study.zip",
            {"a/ct.nii.gz": good, **{f"dicom/{p.name}": p for p in series}, "__MACOSX/._ct.nii.gz": b"junk"},
        ),
    )
    upload(api, session, zip_of(tmp_path / "evil.zip", {"../../outside.nii.gz": good}))
    upload(api, session, zip_bomb(tmp_path / "bomb.zip"))
    body, files = run_import(app, session)
    assert files["study.zip"]["status"] == "succeeded" and files["study.zip"]["message"] == "unpacked 4 files"
    assert files["study.zip/a/ct.nii.gz"]["status"] == "succeeded"
    assert files["study.zip/a/ct.nii.gz"]["extracted_from"] == files["study.zip"]["id"]
    assert files["study.zip/dicom/slice001.dcm"]["message"].endswith("8×8×3, 16-bit signed integer, CT")
    assert "a path that points outside" in files["evil.zip"]["message"]
    assert "that is a zip bomb" in files["bomb.zip"]["message"]
    assert body["status"] == "succeeded" and len(body["images"]) == 2
    assert not list(tmp_path.rglob("outside.nii.gz"))


def test_a_file_still_uploading_when_the_session_is_cancelled_is_dropped(app, tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "CANCEL_CHECK_BYTES", 64 * 1024)
    session = new_session(app.call)
    file = announce(app.call, session, "ct.mha", 1024 * 1024)
    base = app.get_url(f"/services/archives/api/v1/upload-sessions/{session['id']}")
    headers = {"X-Test-User": "researcher", "Authorization": "token test"}
    folder = tmp_path / "data" / "uploads" / str(session["id"])

    async def body_producer(write):
        await write(b"\0" * 256 * 1024)
        cancel = HTTPRequest(base + "/cancel", method="POST", headers=headers, body=b"")
        response = await app.http_client.fetch(cancel)
        assert json.loads(response.body)["status"] == "cancelled"
        for _ in range(3):
            await write(b"\0" * 256 * 1024)

    request = HTTPRequest(
        f"{base}/files/{file['id']}",
        method="PUT",
        body_producer=body_producer,
        headers={**headers, "Content-Length": str(1024 * 1024)},
    )
    with pytest.raises(HTTPClientError) as error:
        app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    assert error.value.code == 409
    assert "is cancelled: the bytes of ct.mha were dropped" in json.loads(error.value.response.body)["message"]
    status, body = app.call("GET", f"upload-sessions/{session['id']}", "researcher")
    assert body["status"] == "cancelled" and body["files"][0]["status"] == "cancelled"
    assert not folder.exists() or not any(folder.rglob("*.mha"))
    status, body = app.call("POST", f"upload-sessions/{session['id']}/cancel", "researcher")
    assert status == 409 and "nothing to cancel" in body["message"]


def page(app, path, user):
    request = HTTPRequest(app.get_url(f"/services/archives/{path}"), headers={"X-Test-User": user})
    try:
        response = app.io_loop.run_sync(lambda: app.http_client.fetch(request))
    except HTTPClientError as error:
        response = error.response
    return response.code, response.body.decode()


def test_archive_page_shows_the_upload_form_and_recent_results_to_uploaders(app, api, tmp_path):
    api("POST", "archives", "researcher", {"slug": "lungs", "title": "Lungs"})
    api("POST", "archives/lungs/members", "researcher", {"username": "clinician", "role": "user"})
    status, html = page(app, "archives/lungs", "researcher")
    assert status == 200 and "Upload images" in html and "ct-image" in html  # grand-challenge's sockets are there
    api(
        "POST",
        "sockets",
        "researcher",
        {"slug": "ct", "title": "CT", "kind": "image", "relative_path": "images/lung-ct"},
    )
    session = new_session(api, archive="lungs", socket="ct")
    (tmp_path / "x.nii").write_bytes(b"")
    upload(api, session, tmp_path / "x.nii")
    run_import(app, session)
    status, html = page(app, "archives/lungs", "researcher")
    assert 'id="upload-form"' in html and '<option value="ct">' in html and 'name="_xsrf"' in html
    assert f"Session {session['id']}: failed" in html and "x.nii is empty (0 bytes)" in html
    status, html = page(app, "archives/lungs", "clinician")
    assert status == 200 and "Upload images" not in html


def test_an_import_that_died_half_way_runs_again_cleanly(app, api, tmp_path, monkeypatch):
    session = new_session(api)
    upload(api, session, zip_of(tmp_path / "a.zip", {"ct.nii.gz": write(volume(), tmp_path / "v.nii.gz")}))
    upload(api, session, write(volume(), tmp_path / "ct.mha"))
    assert api("POST", f"upload-sessions/{session['id']}/import", "researcher")[0] == 202
    with monkeypatch.context() as patch:  # the worker dies after unpacking, before any image
        patch.setattr(tasks, "import_in_sandbox", lambda *args, **kwargs: sys.exit("worker killed"))
        with pytest.raises(SystemExit):
            import_upload_session(upload_session_id=session["id"])
    import_upload_session(upload_session_id=session["id"])  # the reconciler, or a person, runs it again
    body = api("GET", f"upload-sessions/{session['id']}", "researcher")[1]
    assert body["status"] == "succeeded" and len(body["images"]) == 2
    assert sorted(f["filename"] for f in body["files"]) == ["a.zip", "a.zip/ct.nii.gz", "ct.mha"]
    assert {f["status"] for f in body["files"]} == {"succeeded"}
