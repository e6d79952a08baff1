"""Every DICOM and NIfTI file that pydicom and nibabel ship as test data, through the real importer
container (``import_in_sandbox``, as the worker runs it), in a few batches; and a mixed session of
them through the real upload API, hub and worker.

Each file becomes an image whose size, spacing, origin and direction match what pydicom or nibabel
compute from the file's own header (within 1e-4), or gets a message that names what the file is
and why nothing was imported. No file that pydicom or nibabel reads is called damaged, and every
file whose pixels pydicom decodes becomes an image (or, in a series with a missing slice, is told
so). The corpus test takes about 25-40 s on 2 busy cores (20 importer containers); the upload test
about 60 s (it starts a hub).
"""

import shutil
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import nibabel
import pydicom
import pytest
import requests
from import_samples import corpus, dicom_reference, nifti_reference, sandboxed
from sqlalchemy.orm import Session
from test_upload_through_hub import send, wait_for_import

from services.core.database import make_engine
from services.core.orm import Image
from services.imaging.conversion import Upload

pytestmark = pytest.mark.stack

TOLERANCE = 1e-4
# What the message of a file without an image must name, for the kinds the issue lists.
KINDS = {
    "rtplan.dcm": "an RT plan (no image data): nothing to import",
    "rtplan_truncated.dcm": "an RT plan (no image data)",
    "rtstruct.dcm": "an RT structure set (no image data)",
    "test-SR.dcm": "structured report (SR) (no image data)",
    "reportsi.dcm": "structured report (SR) (no image data)",
    "waveform_ecg.dcm": "ECG Waveform (no image data)",
    "DICOMDIR": "a DICOMDIR",
    "ExplVR_BigEndNoMeta.dcm": "a DICOM file without a file meta header, read as explicit VR big endian",
    "ExplVR_LitEndNoMeta.dcm": "a DICOM file without a file meta header, read as explicit VR little endian",
    "zipMR.gz": "a gzip-compressed DICOM file",
    "siemens_dwi_0.dcm.gz": "a gzip-compressed DICOM file",
    "row_major.dconn.nii": "a CIFTI-2 file",
    "fall.dcm": "a colour palette (no image data)",
}


@dataclass
class Expected:
    """What one file (or the files of one series) should become, from pydicom's or nibabel's view."""

    names: list
    geometry: dict | None = None  # None: no image is due (it may still come, if GDCM decodes more)
    must_import: bool = False  # pydicom or nibabel decode its voxels
    may_be_damaged: bool = True  # neither reads it
    series_uid: str | None = None
    kind: str | None = None


def dicom_view(path):
    """(the dataset pydicom reads of ``path`` or None, whether it decodes the pixels)."""
    try:
        ds = pydicom.dcmread(path)
    except pydicom.errors.InvalidDicomError:
        try:
            ds = pydicom.dcmread(path, force=True)
        except Exception:  # noqa: BLE001 (not DICOM to pydicom either)
            return None, False
        if "SOPClassUID" not in ds:
            return None, False
    except Exception:  # noqa: BLE001
        return None, False
    try:
        ds.pixel_array  # noqa: B018 (decoding is the question)
    except Exception:  # noqa: BLE001
        return ds, False
    return ds, True


def expectations(files):
    """Expected, one per image to be (a series of files is one), or per file that makes none."""
    single, series = [], defaultdict(list)
    for name, path in files.items():
        base = Path(name).name
        if base.endswith((".nii", ".nii.gz")):
            image = nibabel.load(path)
            if isinstance(image, nibabel.Cifti2Image):
                single.append(Expected([name], kind=KINDS.get(base), may_be_damaged=False))
            else:
                single.append(Expected([name], nifti_reference(path), must_import=True, may_be_damaged=False))
            continue
        if base.endswith(".gz"):
            single.append(Expected([name], kind=KINDS.get(base, "a gzip-compressed DICOM file")))
            continue
        ds, decodes = dicom_view(path)
        pixels = ds is not None and "PixelData" in ds
        expected = Expected([name], kind=KINDS.get(base), may_be_damaged=ds is None or (pixels and not decodes))
        if pixels:
            expected.series_uid = str(ds.get("SeriesInstanceUID") or name)
        if decodes:
            expected.must_import = True
            if int(ds.get("NumberOfFrames") or 1) == 1 and ds.get("SeriesInstanceUID"):
                orientation = tuple(round(float(v), 4) for v in ds.get("ImageOrientationPatient") or ())
                series[(str(Path(name).parent), expected.series_uid, orientation)].append((name, path, expected))
                continue
            expected.geometry = dicom_reference([path])
        single.append(expected)
    for members in series.values():
        names, paths = [n for n, _, _ in members], [p for _, p, _ in members]
        positions = [
            tuple(pydicom.dcmread(p, stop_before_pixels=True).get("ImagePositionPatient") or ()) for p in paths
        ]
        if len(members) == 1 or len(set(positions)) < len(positions) or not all(positions):
            for _, path, item in members:  # variants of one file (pydicom's MR_small_*): one image each
                item.geometry = dicom_reference([path])
                single.append(item)
            continue
        item = Expected(names, dicom_reference(paths), must_import=True, series_uid=members[0][2].series_uid)
        if not evenly_spaced(positions, item.geometry["direction"]):
            item.geometry, item.must_import, item.kind = None, False, "a slice is missing"
        single.append(item)
    return single


def evenly_spaced(positions, direction):
    """Whether slices at ``positions`` lie at even gaps (1%) along the third column of ``direction``."""
    n = direction[2::3]
    depths = sorted(sum(float(a) * b for a, b in zip(p, n, strict=True)) for p in positions)
    gaps = [b - a for a, b in pairwise(depths)]
    return max(gaps) - min(gaps) <= 0.01 * min(gaps) + 1e-3


def batches(expected):
    """Lists of Expected to import together: no two images of one series UID in a batch (they would
    become one series), as few batches as that allows."""
    result = []
    for item in expected:
        home = next(
            (b for b in result if not item.series_uid or item.series_uid not in {e.series_uid for e in b}), None
        )
        if home is None:
            result.append(home := [])
        home.append(item)
    return result


def close(actual, wanted):
    return len(actual) == len(wanted) and all(abs(a - b) <= TOLERANCE for a, b in zip(actual, wanted, strict=True))


def check(item, outcome):
    """The problems with ``outcome`` (of the files of ``item``), in words."""
    shown = item.names[0] + (f" and {len(item.names) - 1} more" if len(item.names) > 1 else "")
    if outcome.image is None:
        problems = []
        if item.must_import:
            problems.append(f"{shown}: pydicom/nibabel decode it, but it was not imported: {outcome.message}")
        if item.kind and item.kind not in outcome.message:
            problems.append(f"{shown}: the message does not say {item.kind!r}: {outcome.message}")
        if not item.may_be_damaged and ("damaged" in outcome.message or "cut short" in outcome.message):
            problems.append(f"{shown} is called damaged, but pydicom/nibabel read it: {outcome.message}")
        return problems
    if item.geometry is None:
        return []  # GDCM decodes what pydicom cannot: fine, nothing to compare with
    stored = outcome.image
    return [
        f"{shown}: {key} {getattr(stored, key)} but the header says {wanted}"
        for key, wanted in item.geometry.items()
        if not close(getattr(stored, "dimensions" if key == "size" else key), wanted)
    ]


def test_every_test_file_of_pydicom_and_nibabel(tmp_path):
    files = corpus()
    expected = expectations(files)
    groups = batches(expected)
    start, problems, imported, owner = time.monotonic(), [], 0, {}

    def run(number, batch):
        folder = tmp_path / f"batch{number}"
        uploads = []
        for item in batch:
            for name in item.names:
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(files[name], target)
                uploads.append(Upload(str(target), name, name))
                owner[name] = item
        return sandboxed(uploads, folder=folder, data_dir=tmp_path / "data")

    with ThreadPoolExecutor(2) as pool:  # two importer containers at a time: one starts while one works
        results = list(pool.map(run, range(len(groups)), groups))
    for outcomes in results:
        for outcome in outcomes:
            items = {id(owner[key]): owner[key] for key in outcome.keys}
            for item in items.values():
                if sorted(outcome.keys) != sorted(item.names):
                    problems.append(f"{item.names} became one image with {sorted(outcome.keys)}")
                problems += check(item, outcome)
            imported += outcome.image is not None
    seconds = time.monotonic() - start
    print(f"{len(files)} files in {len(groups)} importer containers, {imported} images, {seconds:.1f} s")
    assert not problems, "\n".join(problems)
    assert imported >= sum(item.must_import for item in expected)


def test_a_mixed_session_of_real_files_through_the_upload_api(hub):
    files = {Path(name).name: path for name, path in corpus().items()}
    good = ["CT_small.dcm", "MR_small_bigendian.dcm", "rtdose_1frame.dcm", "functional.nii", "example_nifti2.nii.gz"]
    explained = {
        "rtplan.dcm": "an RT plan (no image data): nothing to import",
        "rtstruct.dcm": "an RT structure set (no image data)",
        "test-SR.dcm": "structured report (SR) (no image data)",
        "waveform_ecg.dcm": "ECG Waveform (no image data)",
        "row_major.dconn.nii": "a CIFTI-2 file",
        "zipMR.gz": "a gzip-compressed DICOM file",
    }
    api = f"{hub.url}/services/archives/api/v1"
    researcher = {"Authorization": f"token {hub.login('researcher').new_token()}"}
    slug, socket = f"real-{uuid.uuid4().hex[:6]}", f"scan-{uuid.uuid4().hex[:6]}"
    assert requests.post(f"{api}/archives", json={"slug": slug, "title": "Real"}, headers=researcher).ok
    assert requests.post(f"{api}/sockets", json={"slug": socket, "title": "S", "kind": "image"}, headers=researcher).ok
    r = requests.post(f"{api}/upload-sessions", json={"archive": slug, "socket": socket}, headers=researcher)
    session_id = r.json()["id"]
    for name in good + list(explained):
        send(api, session_id, researcher, name, files[name].read_bytes())
    assert requests.post(f"{api}/upload-sessions/{session_id}/import", headers=researcher).status_code == 202
    body = wait_for_import(api, session_id, researcher)
    by_name = {f["filename"]: f for f in body["files"]}
    assert body["status"] == "succeeded" and len(body["images"]) == len(good), body
    for name in good:
        assert by_name[name]["status"] == "succeeded", by_name[name]
    assert by_name["CT_small.dcm"]["message"].endswith("128×128×1, 32-bit signed integer, CT")
    assert "17×21×3×20" in by_name["functional.nii"]["message"], "int16 voxels with scl_slope: not cut short"
    for name, words in explained.items():
        assert by_name[name]["status"] == "failed" and words in by_name[name]["message"], by_name[name]
    engine = make_engine(hub.settings.database_url)
    with Session(engine) as db:
        ct = db.get(Image, by_name["CT_small.dcm"]["image"])
        reference = dicom_reference([files["CT_small.dcm"]])
        assert ct.origin == pytest.approx(reference["origin"], abs=TOLERANCE)
        assert ct.direction == pytest.approx(reference["direction"], abs=TOLERANCE)
        assert (ct.modality, ct.rescale_slope, ct.rescale_intercept) == ("CT", 1.0, -1024.0)
        header = Path(hub.env["GC_DATA_DIR"], ct.path).read_bytes()[:4096]
        assert b"CompressedData" in header and b"CompressedSamples" not in header and b"1CT1" not in header
    engine.dispose()
