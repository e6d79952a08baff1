"""Thumbnails through the real stack: the sandboxed importer draws one for each uploaded image,
the worker keeps it, and both the archives and the challenges services serve its PNG bytes to those
who may read the image. An image stored before thumbnails existed gets one drawn (in the sandbox)
after its first request."""

import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
import SimpleITK as sitk
from import_samples import volume, write
from runtools import wait_for
from sqlalchemy.orm import Session
from test_upload_through_hub import send, wait_for_import

from services.core.database import make_engine
from services.core.orm import Image
from services.imaging.store import remove_stored

pytestmark = pytest.mark.stack


def import_one(hub, tmp_path, researcher):
    """A new archive with one imported 64 x 48 x 20 scan: the image's id."""
    slug, socket = f"thumbs-{uuid.uuid4().hex[:6]}", f"ct-{uuid.uuid4().hex[:6]}"
    api = f"{hub.url}/services/archives/api/v1"
    assert requests.post(f"{api}/archives", json={"slug": slug, "title": "T"}, headers=researcher).status_code == 201
    kind = {"slug": socket, "title": "CT", "kind": "image"}
    assert requests.post(f"{api}/sockets", json=kind, headers=researcher).status_code == 201
    session = requests.post(f"{api}/upload-sessions", json={"archive": slug, "socket": socket}, headers=researcher)
    session_id = session.json()["id"]
    send(api, session_id, researcher, "ct.mha", write(volume((64, 48, 20)), tmp_path / "ct.mha").read_bytes())
    assert requests.post(f"{api}/upload-sessions/{session_id}/import", headers=researcher).status_code == 202
    (image_id,) = wait_for_import(api, session_id, researcher)["images"]
    return image_id


def is_thumbnail(data, path):
    """Whether ``data`` is a drawn thumbnail (256 pixels on its longer side, not flat)."""
    path.write_bytes(data)
    picture = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    return max(picture.shape) == 256 and picture.dtype == np.uint8 and picture.max() > picture.min()


def test_an_uploaded_image_gets_a_thumbnail_that_both_services_serve(hub, tmp_path):
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    clinician = {"Authorization": f"token {hub.login('clinician').new_token()}"}
    image_id = import_one(hub, tmp_path, researcher)
    for service in ("archives", "challenges"):
        url = f"{hub.url}/services/{service}/api/v1/images/{image_id}/thumbnail.png"
        r = requests.get(url, headers=researcher)
        assert r.status_code == 200 and "X-Thumbnail" not in r.headers, service
        assert r.headers["Content-Type"] == "image/png" and r.headers["X-Content-Type-Options"] == "nosniff"
        assert is_thumbnail(r.content, tmp_path / f"{service}.png")
        missing = requests.get(url, headers=clinician)
        assert missing.status_code == 404 and str(image_id) in missing.json()["message"]


def test_an_image_without_a_thumbnail_gets_one_drawn_after_its_first_request(hub, tmp_path):
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    image_id = import_one(hub, tmp_path, researcher)
    with Session(make_engine(hub.settings.database_url)) as session:
        stored = Path(hub.settings.data_dir, session.get(Image, image_id).path)
    stored.with_suffix(".png").unlink()  # as if imported before thumbnails were made
    url = f"{hub.url}/services/archives/api/v1/images/{image_id}/thumbnail.png"
    first = requests.get(url, headers=researcher)
    assert first.status_code == 200 and first.headers["X-Thumbnail"] == "none"  # "no preview", for now
    deadline = time.monotonic() + 180  # the importer container draws it; poll, as a page reloaded would
    while "X-Thumbnail" in (later := requests.get(url, headers=researcher)).headers:
        assert time.monotonic() < deadline, "no thumbnail was drawn"
        time.sleep(0.5)
    assert later.status_code == 200 and is_thumbnail(later.content, tmp_path / "drawn.png")
    assert stored.with_suffix(".png").is_file() and not list(Path(hub.settings.data_dir, "imports").glob("thumb*"))


def test_a_removed_image_takes_its_thumbnail_even_while_it_is_drawn(hub, tmp_path):
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    other, removed, drawn = (import_one(hub, tmp_path, researcher) for _ in range(3))
    with Session(make_engine(hub.settings.database_url)) as session:
        stored = {i: Path(hub.settings.data_dir, session.get(Image, i).path) for i in (other, removed, drawn)}
    untouched = stored[other].with_suffix(".png").read_bytes()

    assert stored[removed].with_suffix(".png").is_file()
    remove_stored(stored[removed])
    assert not stored[removed].exists() and not stored[removed].with_suffix(".png").exists()

    stored[drawn].with_suffix(".png").unlink()  # as if imported before thumbnails were made
    url = f"{hub.url}/services/archives/api/v1/images/{drawn}/thumbnail.png"
    assert requests.get(url, headers=researcher).headers["X-Thumbnail"] == "none"  # the draw is queued
    work = Path(hub.settings.data_dir, "imports", f"thumbnail-{drawn}")
    assert wait_for(lambda: (work / "input" / stored[drawn].name).is_file(), timeout=120), "the draw did not start"
    remove_stored(stored[drawn])  # while the sandboxed importer draws it
    assert wait_for(lambda: not work.exists(), timeout=180), "the draw did not end"
    assert not stored[drawn].with_suffix(".png").exists()
    assert stored[other].with_suffix(".png").read_bytes() == untouched
