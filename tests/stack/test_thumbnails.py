"""Thumbnails through the real stack: the sandboxed importer draws one for each uploaded image,
the worker keeps it, and both the archives and the challenges services serve its PNG bytes to those
who may read the image."""

import uuid

import numpy as np
import pytest
import requests
import SimpleITK as sitk
from import_samples import volume, write
from test_upload_through_hub import send, wait_for_import

pytestmark = pytest.mark.stack


def test_an_uploaded_image_gets_a_thumbnail_that_both_services_serve(hub, tmp_path):
    slug, socket = f"thumbs-{uuid.uuid4().hex[:6]}", f"ct-{uuid.uuid4().hex[:6]}"
    api = f"{hub.url}/services/archives/api/v1"
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    clinician = {"Authorization": f"token {hub.login('clinician').new_token()}"}
    assert requests.post(f"{api}/archives", json={"slug": slug, "title": "T"}, headers=researcher).status_code == 201
    kind = {"slug": socket, "title": "CT", "kind": "image"}
    assert requests.post(f"{api}/sockets", json=kind, headers=researcher).status_code == 201
    session = requests.post(f"{api}/upload-sessions", json={"archive": slug, "socket": socket}, headers=researcher)
    session_id = session.json()["id"]
    send(api, session_id, researcher, "ct.mha", write(volume((64, 48, 20)), tmp_path / "ct.mha").read_bytes())
    assert requests.post(f"{api}/upload-sessions/{session_id}/import", headers=researcher).status_code == 202
    (image_id,) = wait_for_import(api, session_id, researcher)["images"]

    for service in ("archives", "challenges"):
        url = f"{hub.url}/services/{service}/api/v1/images/{image_id}/thumbnail.png"
        r = requests.get(url, headers=researcher)
        assert r.status_code == 200 and "X-Thumbnail" not in r.headers, service
        assert r.headers["Content-Type"] == "image/png" and r.headers["X-Content-Type-Options"] == "nosniff"
        (tmp_path / f"{service}.png").write_bytes(r.content)
        picture = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / f"{service}.png")))
        assert max(picture.shape) == 256 and picture.dtype == np.uint8 and picture.max() > picture.min()
        missing = requests.get(url, headers=clinician)
        assert missing.status_code == 404 and str(image_id) in missing.json()["message"]
