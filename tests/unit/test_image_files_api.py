"""Downloading image files (``GET images/<id>/file`` of the archives service): who may read which
image, and the bytes and headers they get."""

import os
from pathlib import Path

import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy.orm import Session
from tornado.httpclient import HTTPClientError, HTTPRequest

from services.core.database import make_engine
from services.core.migrations import upgrade
from services.core.orm import (
    Algorithm,
    AlgorithmJob,
    Archive,
    ArchiveItem,
    ArchiveRole,
    Challenge,
    ChallengeRole,
    Image,
    Phase,
    Socket,
    SocketKind,
    Submission,
    grant,
    make_value,
)
from services.imaging.results import PNG_MAGIC

IMAGES = ("public", "hidden", "hidden-output", "public-output", "upload")


def image(db, data_dir, name, owner):
    path = Path(data_dir, "images", f"{name}.mha")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(name.encode())
    row = Image(
        name=f"{name}.mha",
        path=f"images/{name}.mha",
        size=len(name),
        sha256="a" * 64,
        dimensions=[1, 1],
        spacing=[1, 1],
        origin=[0, 0],
        direction=[1, 0, 0, 1],
        pixel_type="8-bit unsigned integer",
        created_by=owner,
    )
    db.add(row)
    return row


@pytest.fixture
def world(monkeypatch, tmp_path):
    """The data scientist reads archive ``public`` (the researcher alone ``hidden``); a submission
    of the data scientist ran on a case of each, and they uploaded an image of their own. The
    second researcher administers the challenge."""
    database_url, data_dir = f"sqlite:///{tmp_path}/gc.sqlite", tmp_path / "data"
    monkeypatch.setenv("GC_DATA_DIR", str(data_dir))
    upgrade(database_url)
    with Session(make_engine(database_url)) as db:
        ct = Socket(slug="ct", title="CT", kind=SocketKind.IMAGE, created_by="researcher")
        mask = Socket(slug="mask", title="Mask", kind=SocketKind.SEGMENTATION, created_by="researcher")
        archives, items, ids = {}, {}, {}
        for slug, reader in (("public", "datascientist"), ("hidden", None)):
            archives[slug] = Archive(slug=slug, title=slug, created_by="researcher")
            scan = image(db, data_dir, slug, "researcher")
            items[slug] = ArchiveItem(archive=archives[slug], values=[make_value(db, ct, image=scan)])
            db.add(items[slug])
            db.flush()
            grant(db, archives[slug], "researcher", ArchiveRole.EDITOR)
            if reader:
                grant(db, archives[slug], reader, ArchiveRole.USER)
            ids[slug] = scan
        algorithm = Algorithm(slug="otsu", title="Otsu", created_by="datascientist")
        phase = Phase(challenge=Challenge(slug="c", title="C", created_by="researcher"), slug="p", title="P")
        submission = Submission(phase=phase, creator="datascientist", algorithm=algorithm)
        db.add(submission)
        db.flush()
        grant(db, phase.challenge, "researcher2", ChallengeRole.ADMIN)
        for slug in ("hidden", "public"):
            output = image(db, data_dir, f"{slug}-output", "datascientist")
            db.add(
                AlgorithmJob(
                    algorithm=algorithm,
                    creator="datascientist",
                    submission_id=submission.id,
                    archive_item=items[slug],
                    outputs=[make_value(db, mask, image=output)],
                )
            )
            ids[f"{slug}-output"] = output
        ids["upload"] = image(db, data_dir, "upload", "datascientist")
        db.commit()
        ids = {name: row.id for name, row in ids.items()}
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as archives:
        yield archives, ids


@pytest.mark.parametrize(
    "user,readable",
    [
        ("datascientist", {"public", "public-output", "upload"}),
        ("researcher", {"public", "hidden"}),
        ("researcher2", {"hidden-output", "public-output"}),  # the challenge's admins see its jobs' outputs
        ("admin", set(IMAGES)),
        ("clinician", set()),
    ],
)
def test_who_may_download_which_image(world, user, readable):
    archives, ids = world
    for name in IMAGES:
        status, _answer = download(archives, ids[name], user)
        assert (status == 200) == (name in readable), (user, name, status)


def download(archives, image_id, user, what="file"):
    """(status, (body bytes, headers)) of a download (ServiceApp.call reads JSON answers only)."""
    request = HTTPRequest(
        archives.get_url(f"/services/archives/api/v1/images/{image_id}/{what}"), headers={"X-Test-User": user}
    )
    try:
        response = archives.io_loop.run_sync(lambda: archives.http_client.fetch(request))
    except HTTPClientError as error:
        response = error.response
    return response.code, (response.body, response.headers)


def test_the_file_comes_with_its_name_size_and_checksum(world):
    archives, ids = world
    status, (body, headers) = download(archives, ids["upload"], "datascientist")
    assert status == 200 and body == b"upload"
    assert headers["Content-Disposition"] == 'attachment; filename="upload.mha"'
    assert headers["Content-Length"] == "6" and headers["X-Image-Sha256"] == "a" * 64
    status, (body, _headers) = download(archives, ids["hidden-output"], "datascientist")
    assert status == 404 and b"There is no image" in body


def thumbnail(archives, image_id, user):
    """(status, (body bytes, headers)) of ``images/<id>/thumbnail.png``."""
    return download(archives, image_id, user, what="thumbnail.png")


@pytest.mark.parametrize("user", ["datascientist", "researcher", "researcher2", "clinician"])
def test_a_thumbnail_has_the_read_rule_of_its_image(world, user):
    archives, ids = world
    for name in IMAGES:
        assert (thumbnail(archives, ids[name], user)[0] == 200) == (download(archives, ids[name], user)[0] == 200)


def test_the_stored_thumbnail_is_served_as_png_bytes_else_no_preview(world):
    archives, ids = world
    stored = PNG_MAGIC + b"stored thumbnail"
    Path(os.environ["GC_DATA_DIR"], "images", "public.png").write_bytes(stored)
    status, (body, headers) = thumbnail(archives, ids["public"], "datascientist")
    assert status == 200 and body == stored and "X-Thumbnail" not in headers
    assert headers["Content-Type"] == "image/png" and headers["X-Content-Type-Options"] == "nosniff"
    status, (body, headers) = thumbnail(archives, ids["upload"], "datascientist")
    assert status == 200 and body.startswith(PNG_MAGIC) and headers["X-Thumbnail"] == "none"
