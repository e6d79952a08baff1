"""Attack class 1 (file formats that name other files) against the real stack.

Image headers can point a reader at any path: MetaIO's ``ElementDataFile`` (also spelled
``ElementDataFile: …``, first occurrence wins, LIST and pattern forms, HeaderSize tricks), NRRD's
``data file``/``datafile``, a ``.mhd`` naming another session's upload. A clinician uploads such
files through the hub; the real worker imports them in the importer container. Secrets lie in the
data directory, elsewhere on the host and in another user's pending upload: none of their bytes
may reach a stored image or a message, and the platform keeps importing.

The second half attacks the worker's trust in the importer's output with a hostile importer image
(links, FIFOs, forged headers, broken results, limits): each batch fails with a clear message and
nothing is kept.
"""

import json
import os
import uuid
import zipfile
from pathlib import Path

import docker
import pytest
import requests
import SimpleITK as sitk
from import_samples import volume, write
from runtools import script_image
from test_upload_through_hub import send, wait_for_import

from services.imaging.conversion import Upload
from services.imaging.limits import ImportLimits
from services.imaging.sandbox import import_in_sandbox
from services.runner import Runner

pytestmark = pytest.mark.stack

SIZE = 64  # bytes of each secret: an image of 64×1 unsigned chars, if a reader ever got to it
FAILED_BATCH = "the import of this upload failed: "


def secret(tag):
    return f"GC-{tag}-{uuid.uuid4().hex}".encode().ljust(SIZE, b"#")[:SIZE]


def mha_header(n=SIZE, extra=""):
    return f"ObjectType = Image\nNDims = 2\nDimSize = {n} 1\nElementType = MET_UCHAR\n{extra}"


def nrrd_header(extra, n=SIZE):
    return f"NRRD0004\ntype: uint8\ndimension: 2\nsizes: {n} 1\nencoding: raw\n{extra}"


def metaio_attacks(target):
    """Uploads (name → bytes) whose MetaIO headers point at the host file ``target``."""
    zeros = b"\0" * SIZE
    pattern = str(target).replace("secret.bin", "secret%d.bin")
    return {
        "absolute.mha": (mha_header(extra=f"ElementDataFile = {target}\n")).encode(),
        "absolute.mhd": (mha_header(extra=f"ElementDataFile = {target}\n")).encode(),
        "colon.mha": mha_header(extra=f"ElementDataFile: {target}\nElementDataFile = LOCAL\n").encode() + zeros,
        "colon-space.mha": mha_header(extra=f"ElementDataFile : {target}\nElementDataFile = LOCAL\n").encode() + zeros,
        "first-wins.mha": mha_header(extra=f"ElementDataFile = {target}\nElementDataFile = LOCAL\n").encode() + zeros,
        "indented.mha": mha_header(extra=f"   ElementDataFile={target}\n").encode(),
        "colon.mhd": mha_header(extra=f"ElementDataFile: {target}\nElementDataFile = colon.raw\n").encode(),
        "colon.raw": zeros,
        "parent.mhd": mha_header(extra="ElementDataFile = ../../../hostile-secret.bin\n").encode(),
        "colon-parent.mhd": mha_header(
            extra="ElementDataFile: ../../../hostile-secret.bin\nElementDataFile = colon-parent.raw\n"
        ).encode(),
        "colon-parent.raw": zeros,
        "list.mhd": mha_header(extra=f"ElementDataFile = LIST\n{target}\n").encode(),
        "pattern.mhd": mha_header(extra=f"ElementDataFile = {pattern} 1 1 1\n").encode(),
        "headersize.mhd": mha_header(extra=f"HeaderSize = -1\nElementDataFile = {target}\n").encode(),
        "headersize-colon.mha": mha_header(
            extra=f"HeaderSize = -1\nElementDataFile: {target}\nElementDataFile = LOCAL\n"
        ).encode()
        + zeros,
        "headersize-huge.mha": mha_header(extra="HeaderSize = 99999999999\nElementDataFile = LOCAL\n").encode() + zeros,
    }


def nrrd_attacks(target):
    pattern = str(target).replace("secret.bin", "secret%d.bin")
    return {
        "data-file.nrrd": nrrd_header(f"data file: {target}\n\n").encode(),
        "datafile.nrrd": nrrd_header(f"datafile: {target}\n\n").encode(),
        "upper.nrrd": nrrd_header(f"DATA FILE: {target}\n\n").encode(),
        "list.nrrd": nrrd_header(f"data file: LIST\n{target}\n").encode(),
        "pattern.nrrd": nrrd_header(f"data file: {pattern} 1 1 1\n\n").encode(),
        "relative.nrrd": nrrd_header("data file: ../../../hostile-secret.bin\n\n").encode(),
        "key-value.nrrd": nrrd_header(f"data file:={target}\n\n").encode(),
    }


def zip_bytes(members):
    path = Path(f"/tmp/gc-hostile-{uuid.uuid4().hex}.zip")
    try:
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return path.read_bytes()
    finally:
        path.unlink()


@pytest.fixture(scope="module", name="secrets")
def secrets_fixture(hub, tmp_path_factory):
    """Secret files: in the data directory, elsewhere on the host (with a pattern sibling), and
    the hub's own secrets.json. Returns {path: bytes}."""
    data_dir = Path(hub.env["GC_DATA_DIR"])
    elsewhere = tmp_path_factory.mktemp("host-secrets")
    files = {
        data_dir / "hostile-secret.bin": secret("DATA-DIR-SECRET"),
        elsewhere / "secret.bin": secret("HOST-SECRET"),
        elsewhere / "secret1.bin": secret("HOST-PATTERN-SECRET"),
    }
    for path, data in files.items():
        path.write_bytes(data)
        path.chmod(0o644)
    files[data_dir / "secrets.json"] = (data_dir / "secrets.json").read_bytes()
    return files


def fragments(secrets):
    """Pieces of every secret that must appear nowhere: each secret file's tag, each password."""
    pieces = [data[:24] for data in secrets.values() if data.startswith(b"GC-")]
    stored = next(data for path, data in secrets.items() if path.name == "secrets.json")
    pieces += [value.encode() for value in json.loads(stored).values() if isinstance(value, str) and len(value) >= 8]
    return pieces


class Attacker:
    """A signed-in user of the real hub who uploads files and reads back what they may."""

    def __init__(self, hub, username):
        self.api = f"{hub.url}/services/archives/api/v1"
        self.headers = {"Authorization": f"token {hub.login(username).new_token()}"}

    def session(self):
        r = requests.post(f"{self.api}/upload-sessions", json={}, headers=self.headers)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def upload(self, files, start=True):
        """A new session with ``files`` (name → bytes); imported and waited for if ``start``."""
        session_id = self.session()
        for name, data in files.items():
            send(self.api, session_id, self.headers, name, data)
        if not start:
            return session_id, None
        r = requests.post(f"{self.api}/upload-sessions/{session_id}/import", headers=self.headers)
        assert r.status_code == 202, r.text
        return session_id, wait_for_import(self.api, session_id, self.headers)

    def voxels(self, image_id, folder):
        """The voxel bytes of image ``image_id`` as the attacker downloads it."""
        r = requests.get(f"{self.api}/images/{image_id}/file", headers=self.headers)
        assert r.status_code == 200, r.text
        path = folder / f"{image_id}{'.tif' if r.content[:2] in (b'II', b'MM') else '.mha'}"
        path.write_bytes(r.content)
        return sitk.GetArrayViewFromImage(sitk.ReadImage(str(path))).tobytes()


def check_nothing_leaked(attacker, body, secrets, folder):
    """Every file of the session ``body`` ended with a message; no message and no image holds a secret."""
    files = {f["filename"]: f for f in body["files"]}
    pieces = fragments(secrets)
    for name, file in files.items():
        assert file["status"] in ("succeeded", "failed") and file["message"], (name, file)
        assert not any(piece.decode() in file["message"] for piece in pieces), (name, file["message"])
    assert not any(piece.decode() in (body.get("message") or "") for piece in pieces)
    for image_id in body["images"]:
        voxels = attacker.voxels(image_id, folder)
        assert not any(piece in voxels for piece in pieces), f"image {image_id} holds a secret's bytes"
        assert set(voxels) <= {0}, f"image {image_id} holds bytes other than the upload's own zeros"
    return files


def test_the_attacks_are_real_when_a_host_process_reads_them(tmp_path):
    """Control: SimpleITK in a host process follows these headers to the secret (so the tests below
    test the sandbox, not an attack that never worked)."""
    target = tmp_path / "secret.bin"
    target.write_bytes(secret("CONTROL"))
    for name in ("colon.mha", "colon-space.mha", "headersize-colon.mha"):
        (tmp_path / name).write_bytes(metaio_attacks(target)[name])
        assert sitk.GetArrayViewFromImage(sitk.ReadImage(str(tmp_path / name))).tobytes() == target.read_bytes(), name
    (tmp_path / "upper.nrrd").write_bytes(nrrd_attacks(target)["upper.nrrd"])
    assert sitk.GetArrayViewFromImage(sitk.ReadImage(str(tmp_path / "upper.nrrd"))).tobytes() == target.read_bytes()


def attacks_on(target, family):
    """The uploads of one attack family against the host file ``target``."""
    if target.name == "secrets.json":  # headers sized to read all of it
        n = target.stat().st_size
        if family == "nrrd":
            return {"secrets-json.nrrd": nrrd_header(f"data file: {target}\n\n", n=n).encode()}
        return {
            "secrets-json.mha": mha_header(n, f"ElementDataFile: {target}\nElementDataFile = LOCAL\n").encode()
            + b"\0" * n
        }
    if family == "nrrd":
        return nrrd_attacks(target)
    attacks = metaio_attacks(target)
    return attacks | {"in-a-zip.zip": zip_bytes({"scans/colon.mha": attacks["colon.mha"]})}


@pytest.mark.parametrize("family", ["metaio", "nrrd"])
def test_headers_that_name_host_files_import_nothing_of_them(hub, secrets, tmp_path, family):
    attacker = Attacker(hub, "clinician")
    data_dir = Path(hub.env["GC_DATA_DIR"])
    for target in [path for path in secrets if path.name in ("hostile-secret.bin", "secret.bin", "secrets.json")]:
        attacks = attacks_on(target, family)
        _, body = attacker.upload(attacks)
        files = check_nothing_leaked(attacker, body, secrets, tmp_path)
        assert body["images"] == [] and set(files) >= set(attacks)
        for name, file in files.items():
            if name.endswith(".zip"):
                assert file["message"] == "unpacked 1 files"
                continue
            header = name.replace(".raw", ".mhd")  # a raw file fails with its header
            assert file["status"] == "failed" and file["message"].startswith(header), (name, file["message"])
    assert all(path.read_bytes() == data for path, data in secrets.items()), "the secrets are untouched"
    assert not list((data_dir / "imports").iterdir()), "no importer scratch folder is left behind"


def test_an_mhd_cannot_read_another_sessions_upload(hub, secrets, tmp_path):
    victim, attacker = Attacker(hub, "researcher"), Attacker(hub, "datascientist")
    theirs = secret("OTHER-SESSION")
    victim_session, _ = victim.upload({"theirs.raw": theirs}, start=False)
    data_dir = Path(hub.env["GC_DATA_DIR"])
    their_path = data_dir / "uploads" / str(victim_session) / "files" / "theirs.raw"
    assert their_path.read_bytes() == theirs
    relative = f"../../{victim_session}/files/theirs.raw"
    attacks = {
        "other.mhd": mha_header(extra=f"ElementDataFile = {relative}\n").encode(),
        "other-colon.mhd": mha_header(
            extra=f"ElementDataFile: {relative}\nElementDataFile = other-colon.raw\n"
        ).encode(),
        "other-colon.raw": b"\0" * SIZE,
        "other-absolute.mha": mha_header(extra=f"ElementDataFile: {their_path}\nElementDataFile = LOCAL\n").encode()
        + b"\0" * SIZE,
        "other-deep.mhd": mha_header(
            extra=f"ElementDataFile: ../../../uploads/{victim_session}/files/theirs.raw\n"
            "ElementDataFile = other-deep.raw\n"
        ).encode(),
        "other-deep.raw": b"\0" * SIZE,
        "other.nrrd": nrrd_header(f"data file: {relative}\n\n").encode(),
    }
    _, body = attacker.upload(attacks)
    files = check_nothing_leaked(attacker, body, {**secrets, their_path: theirs}, tmp_path)
    assert body["images"] == [] and {f["status"] for f in files.values()} == {"failed"}
    assert their_path.read_bytes() == theirs, "the other session's upload is intact"
    r = requests.get(f"{victim.api}/upload-sessions/{victim_session}", headers=victim.headers)
    assert r.json()["status"] == "pending" and r.json()["files"][0]["filename"] == "theirs.raw"


def test_the_platform_still_imports_ordinary_uploads_afterwards(hub, secrets, tmp_path):
    attacker = Attacker(hub, "clinician")
    attacker.upload(metaio_attacks(next(p for p in secrets if p.name == "secret.bin")))
    ct = write(volume((32, 24, 10)), tmp_path / "ct.mha").read_bytes()
    _, body = Attacker(hub, "researcher").upload({"ct.mha": ct})
    assert body["status"] == "succeeded" and body["files"][0]["message"].endswith("32×24×10, 16-bit signed integer"), (
        body
    )
    client = docker.from_env()
    leftovers = client.containers.list(all=True, filters={"label": f"org.gc-hub.instance={hub.env['GC_INSTANCE']}"})
    assert not [c.name for c in leftovers if "-import-" in c.name], "importer containers are removed"


# --- a hostile importer: the worker does not trust what the container hands back -----------------

HOSTILE_IMPORTER = r"""
import json, os, sys, time
request = json.load(open("/request/request.json"))
mode, _, target = request["files"][0]["name"].partition(":")
keys = [f["key"] for f in request["files"]]
out = "/output"
name = "images/ab/" + "c" * 32 + ".mha"
image = {"file": name, "dimensions": [64, 1], "spacing": [1.0, 1.0], "origin": [0.0, 0.0],
         "direction": [1.0, 0.0, 0.0, 1.0], "pixel_type": "8-bit unsigned integer", "color_space": "gray",
         "window_center": None, "window_width": None, "modality": None}
results = {"outcomes": [{"keys": keys, "message": "", "image": image}]}
header = ("ObjectType = Image\nNDims = 2\nBinaryData = True\nCompressedData = True\nCompressedDataSize = 64\n"
          "ElementSpacing = 1 1\nDimSize = 64 1\nElementType = MET_UCHAR\n")
os.makedirs(out + "/images/ab")
def write_image(text):
    open(out + "/" + name, "wb").write(text.encode() + b"\0" * 64)
image.update(series_description=None, rescale_slope=None, rescale_intercept=None)  # the DICOM fields of issue 16
if mode == "symlink":
    os.symlink(target, out + "/" + name)
elif mode == "results-link":
    os.symlink(target, out + "/results.json")
    sys.exit(0)
elif mode == "hardlink":
    write_image(header + "ElementDataFile = LOCAL\n")
    os.link(out + "/" + name, out + "/images/ab/other.mha")
elif mode == "fifo":
    os.mkfifo(out + "/" + name)
elif mode == "directory":
    os.makedirs(out + "/" + name)
elif mode == "header":
    write_image(header + "ElementDataFile = " + target + "\n")
elif mode == "colon-header":
    write_image(header + "ElementDataFile: " + target + "\nElementDataFile = LOCAL\n")
elif mode == "duplicate-header":
    write_image(header + "DimSize = 64 1\nElementDataFile = LOCAL\n")
elif mode == "tif":
    image["file"] = name = name[:-4] + ".tif"
    write_image(header)
elif mode == "traversal":
    image["file"] = "images/ab/../../../" + "c" * 32 + ".mha"
elif mode == "missing-key":
    results["outcomes"][0]["keys"] = keys[:-1]
elif mode == "nan":
    image["spacing"] = [float("nan"), 1.0]
elif mode == "message":
    results = {"outcomes": [{"keys": keys, "message": "look:\x1b[2J" + "x" * 5000, "image": None}]}
elif mode == "huge-results":
    results["padding"] = "x" * (3 * 1024 * 1024)
elif mode == "exit":
    sys.exit(3)
elif mode == "sleep":
    time.sleep(60)
elif mode == "memory":
    hog = bytearray(512 * 1024 * 1024)
    for i in range(0, len(hog), 4096):
        hog[i] = 1
elif mode == "flood":
    for i in range(40):
        open(out + f"/flood{i}", "wb").write(b"x" * (1024 * 1024))
    time.sleep(30)
elif mode == "nothing":
    sys.exit(0)
if not os.path.lexists(out + "/" + name):
    write_image(header + "ElementDataFile = LOCAL\n")
open(out + "/results.json", "w").write(json.dumps(results))
"""


@pytest.fixture(scope="module")
def hostile_importer():
    client = docker.from_env()
    return script_image(client, "hostile-importer", HOSTILE_IMPORTER)


@pytest.mark.parametrize(
    "mode,reason",
    [
        ("symlink", "the importer's results were refused (/output/images/ab/cccc"),
        ("results-link", "the importer's results were refused (/output/results.json is a symbolic link"),
        ("hardlink", "is a hard link to another file"),
        ("fifo", "is a named pipe"),
        ("directory", "is a folder, not a file"),
        ("header", "header line 9 is not one SimpleITK writes"),
        ("colon-header", "header line 9 is not 'Key = value'"),
        ("duplicate-header", "header key DimSize appears twice"),
        ("tif", "does not start as a TIFF file"),
        ("traversal", "'file' must be images/"),
        ("missing-key", "accounts for 1 of the 2 files"),
        ("nan", "holds NaN"),
        ("message", "'message' must be printable text"),
        ("huge-results", "bytes allowed"),
        ("exit", "the importer stopped with exit code 3"),
        ("sleep", "it took longer than the 0.1 minutes an import may take"),
        ("memory", "it needed more than the 0.125 GB of memory an import may use"),
        ("flood", "its images came to more than the 16 MB an import may write"),
        ("nothing", "the importer wrote no results"),
    ],
)
def test_a_hostile_importer_gets_nothing_kept(hostile_importer, tmp_path, mode, reason):
    host_secret = tmp_path / "host-secret.bin"
    host_secret.write_bytes(secret("HOST-SECRET"))
    folder, data_dir = tmp_path / "upload", tmp_path / "data"
    folder.mkdir()
    uploads = []
    for index, name in enumerate([f"{mode}:{host_secret}", "second.mha"]):
        (folder / f"file{index}").write_bytes(b"\0" * SIZE)
        uploads.append(Upload(str(folder / f"file{index}"), name, f"key{index}"))
    limits = ImportLimits(image=hostile_importer, processes=1, memory_limit_mb=128, time_limit_s=6, output_limit_mb=16)
    runner = Runner(instance=f"gc-test-hostile-import-{os.getpid()}")
    outcomes = import_in_sandbox(uploads, folder=folder, data_dir=data_dir, runner=runner, limits=limits)
    assert sorted(key for outcome in outcomes for key in outcome.keys) == ["key0", "key1"]
    for outcome in outcomes:
        assert outcome.image is None and outcome.message.startswith(FAILED_BATCH), outcome
        assert reason in outcome.message and outcome.message.endswith("upload it again or tell the platform's admins")
        assert "HOST-SECRET" not in outcome.message
    assert not list(data_dir.rglob("*.mha")) and not list(data_dir.rglob("*.tif")), "nothing is kept"
    assert not list((data_dir / "imports").iterdir()), "the scratch folder is removed"
    assert host_secret.read_bytes().startswith(b"GC-HOST-SECRET")


@pytest.mark.parametrize("linked", ["folder", "parent"])
def test_a_folder_reached_through_a_link_is_not_mounted(tmp_path, linked):
    """An algorithm's output folder may hold links: the importer must not get what they point at."""
    private = tmp_path / "private" / "ct"
    write(volume(), private / "case.mha")
    output = tmp_path / "output" / "images"
    output.mkdir(parents=True)
    if linked == "folder":
        (output / "ct").symlink_to(private)
    else:
        output.rmdir()
        output.symlink_to(tmp_path / "private")
    folder = output / "ct"
    runner = Runner(instance=f"gc-test-hostile-import-{os.getpid()}")
    outcomes = import_in_sandbox(
        [Upload(str(folder / "case.mha"), "case.mha", 1)], folder=folder, data_dir=tmp_path / "data", runner=runner
    )
    assert [(o.keys, o.image) for o in outcomes] == [((1,), None)]
    assert outcomes[0].message == (
        f"{FAILED_BATCH}the folder ct is reached through a symbolic link; upload it again or tell the platform's admins"
    )


def test_a_rerun_removes_what_an_earlier_attempt_left(hostile_importer, tmp_path):
    """A worker that died mid-import leaves its importer running and its scratch folder: the next
    attempt (same label) removes both before it starts."""
    runner = Runner(instance=f"gc-test-hostile-import-{os.getpid()}")
    label = f"import-session-{uuid.uuid4().hex[:8]}"
    leftover = docker.from_env().containers.run(
        hostile_importer,
        name=f"{runner.instance}-{label}",
        detach=True,
        entrypoint=["sleep", "600"],
        labels={"org.gc-hub.instance": runner.instance},
    )
    scratch = tmp_path / "data" / "imports" / label / "output"
    scratch.mkdir(parents=True)
    (scratch / "results.json").write_text('{"outcomes": []}')
    folder = tmp_path / "upload"
    path = write(volume(), folder / "ct.mha")
    outcomes = import_in_sandbox(
        [Upload(str(path), "ct.mha", 1)], folder=folder, data_dir=tmp_path / "data", runner=runner, label=label
    )
    assert outcomes[0].image is not None and outcomes[0].image.dimensions == [16, 12, 6], outcomes
    with pytest.raises(docker.errors.NotFound):
        leftover.reload()
    assert not (tmp_path / "data" / "imports" / label).exists()
