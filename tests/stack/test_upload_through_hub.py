"""Upload sessions through the real hub and proxy: chunks, then the real worker imports them."""

import time
import uuid

import pytest
import requests
from import_samples import dicom_series, volume, write, zip_of
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.database import make_engine
from services.core.orm import ArchiveItem, Image

pytestmark = pytest.mark.stack


def wait_for_import(api, session_id, headers, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(f"{api}/upload-sessions/{session_id}", headers=headers).json()
        if body["status"] not in ("pending", "importing"):
            return body
        time.sleep(0.5)
    raise AssertionError(f"upload session {session_id} still {body['status']} after {timeout} s: {body}")


def send(api, session_id, headers, name, data, chunk=None):
    r = requests.post(
        f"{api}/upload-sessions/{session_id}/files", json={"filename": name, "size": len(data)}, headers=headers
    )
    assert r.status_code == 201, r.text
    url = f"{api}/upload-sessions/{session_id}/files/{r.json()['id']}"
    chunk = chunk or len(data) or 1
    for first in range(0, max(len(data), 1), chunk):
        part = data[first : first + chunk]
        extra = {"Content-Range": f"bytes {first}-{first + len(part) - 1}/{len(data)}"} if data else {}
        r = requests.put(url, data=part, headers={**headers, **extra})
        assert r.status_code == 200, r.text
    return r.json()


def test_upload_is_imported_by_the_worker_into_the_archive(hub, tmp_path):
    slug = f"scans-{uuid.uuid4().hex[:6]}"
    socket = f"ct-{uuid.uuid4().hex[:6]}"
    api = f"{hub.url}/services/archives/api/v1"
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    clinician = {"Authorization": f"token {hub.login('clinician').new_token()}"}
    assert (
        requests.post(f"{api}/archives", json={"slug": slug, "title": "Scans"}, headers=researcher).status_code == 201
    )
    r = requests.post(f"{api}/sockets", json={"slug": socket, "title": "CT", "kind": "image"}, headers=researcher)
    assert r.status_code == 201, r.text

    r = requests.post(f"{api}/upload-sessions", json={"archive": slug, "socket": socket}, headers=researcher)
    assert r.status_code == 201, r.text
    session_id = r.json()["id"]
    assert requests.get(f"{api}/upload-sessions/{session_id}", headers=clinician).status_code == 404

    ct = write(volume((64, 64, 40)), tmp_path / "ct.mha").read_bytes()
    assert send(api, session_id, researcher, "ct.mha", ct, chunk=100_000)["received"] == len(ct)
    series = dicom_series(tmp_path / "series", volume((32, 32, 5)))
    send(
        api,
        session_id,
        researcher,
        "study.zip",
        zip_of(tmp_path / "study.zip", {f"s/{p.name}": p for p in series}).read_bytes(),
    )
    send(api, session_id, researcher, "notes.txt", b"not an image")
    write(volume((256, 256, 160)), tmp_path / "big" / "mr.mhd")  # 21 MB of raw voxels, in 8 MB chunks
    send(api, session_id, researcher, "mr.mhd", (tmp_path / "big" / "mr.mhd").read_bytes())
    send(api, session_id, researcher, "mr.raw", (tmp_path / "big" / "mr.raw").read_bytes(), chunk=8 * 1024 * 1024)

    r = requests.post(f"{api}/upload-sessions/{session_id}/import", headers=researcher)
    assert r.status_code == 202, r.text
    body = wait_for_import(api, session_id, researcher)
    files = {f["filename"]: f for f in body["files"]}
    assert body["status"] == "succeeded" and len(body["images"]) == 3, body
    assert files["mr.mhd"]["image"] == files["mr.raw"]["image"] and "256×256×160" in files["mr.raw"]["message"]
    assert files["ct.mha"]["message"].endswith("64×64×40, 16-bit signed integer")
    assert files["study.zip/s/slice001.dcm"]["message"].endswith("32×32×5, 16-bit signed integer, CT")
    assert "not an image file" in files["notes.txt"]["message"]

    items = requests.get(f"{api}/archives/{slug}/items", headers=researcher).json()
    assert sorted(i["values"][socket]["image"] for i in items["results"]) == body["images"]
    engine = make_engine(hub.settings.database_url)
    with Session(engine) as db:
        images = db.scalars(select(Image).where(Image.id.in_(body["images"]))).all()
        by_name = {image.name: image for image in images}
        assert (
            by_name["study.zip/s"].dimensions == [32, 32, 5]
            and by_name["study.zip/s"].window_width == 400.0
            and by_name["study.zip/s"].modality == "CT"
        )
        assert by_name["ct.mha"].dimensions == [64, 64, 40] and by_name["ct.mha"].created_by == "researcher"
        assert by_name["mr.mhd"].spacing == [0.7, 0.8, 2.5]
        for image in images:
            assert (hub.env["GC_DATA_DIR"] + "/" + image.path).endswith(".mha")
        assert db.scalar(select(ArchiveItem).where(ArchiveItem.archive.has(slug=slug))) is not None
    engine.dispose()
