"""Bad files get a message a person can act on; the other files of the batch still import (in the
importer container, as on the worker)."""

import shutil

import pytest
from import_samples import dicom_series, nifti2_header, picture, sandboxed, truncate, volume, write

from services.imaging.conversion import Upload
from services.imaging.limits import ImportLimits


def messages(tmp_path, *paths, limits=None):
    """``{name: message or "ok"}`` of importing ``paths`` (under ``tmp_path``) together with one good volume."""
    good = write(volume(), tmp_path / "good" / "good.nii.gz")
    uploads = [Upload(str(p), p.name, p.name) for p in [*paths, good]]
    outcomes = sandboxed(uploads, folder=tmp_path, data_dir=tmp_path / "data", limits=limits)
    result = {key: outcome.message or "ok" for outcome in outcomes for key in outcome.keys}
    assert result.pop("good.nii.gz") == "ok", "the good file must import whatever the others are"
    return result


@pytest.mark.parametrize("name", ["ct.nii", "ct.mha", "ct.nrrd"])
def test_truncated_uncompressed_volumes(tmp_path, name):
    path = truncate(write(volume(), tmp_path / name), keep=0.6)
    message = messages(tmp_path, path)[name]
    assert "is cut short" in message and "upload it again" in message


@pytest.mark.parametrize("name", ["ct.nii.gz", "photo.png", "photo.jpg", "photo.tif"])
def test_truncated_compressed_files(tmp_path, name):
    image = volume() if name.startswith("ct") else picture(size=(200, 100))
    path = truncate(write(image, tmp_path / name), keep=0.5)
    message = messages(tmp_path, path)[name]
    assert name in message and ("cut short" in message or "damaged" in message), message


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    assert messages(tmp_path, path)["empty.dcm"] == "empty.dcm is empty (0 bytes): upload it again"


def test_wrong_extension_names_what_the_file_is(tmp_path):
    path = write(picture(), tmp_path / "photo.png").rename(tmp_path / "scan.nii.gz")
    message = messages(tmp_path, path)["scan.nii.gz"]
    assert "holds a PNG file" in message and "rename it to end in .png" in message


def test_non_image_files(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7\n" + b"x" * 500)
    (tmp_path / "fake.nii").write_text("hello")
    result = messages(tmp_path, tmp_path / "notes.txt", tmp_path / "report.pdf", tmp_path / "fake.nii")
    assert "not an image file that gc-hub can import; supported: MHA/MHD" in result["notes.txt"]
    assert "not an image file" in result["report.pdf"]
    assert "fake.nii is not a NIfTI file" in result["fake.nii"]


def test_header_claiming_huge_dimensions_is_refused_before_reading(tmp_path):
    path = nifti2_header(tmp_path / "huge.nii", (50000, 50000, 50000))
    message = messages(tmp_path, path)["huge.nii"]
    assert "NIfTI header claims 50000×50000×50000 voxels" in message and "forged header" in message


def test_voxel_limit_counts_channels(tmp_path):
    path = write(picture(size=(100, 100), rgb=True), tmp_path / "photo.png")
    message = messages(tmp_path, path, limits=ImportLimits(max_voxels=20_000))["photo.png"]
    assert "claims 100×100 voxels of 3 channels" in message


def test_dicom_series_with_slices_of_two_sizes(tmp_path):
    files = dicom_series(tmp_path / "s", volume())
    other = dicom_series(tmp_path / "t", volume((8, 8, 1)), names=["odd.dcm"])[0]
    shutil.move(other, tmp_path / "s" / "odd.dcm")
    files.append(tmp_path / "s" / "odd.dcm")
    result = messages(tmp_path, *files)
    assert set(result.values()) == {
        "DICOM series test series (7 files) has slices of 2 different sizes (8×8 and 16×12); "
        "upload each size as its own series"
    }


def test_dicom_series_with_a_missing_slice(tmp_path):
    files = dicom_series(tmp_path / "s", volume((16, 12, 8)), gap_at=4)
    message = set(messages(tmp_path, *files).values()).pop()
    assert "slices are 2.5 mm apart but 5 mm between" in message and "a slice is missing" in message


def test_dicom_duplicate_slice(tmp_path):
    files = dicom_series(tmp_path / "s", volume())
    shutil.copy(files[0], tmp_path / "s" / "copy.dcm")
    message = set(messages(tmp_path, *files, tmp_path / "s" / "copy.dcm").values()).pop()
    assert "lie at the same position; remove the duplicate slice" in message


def test_not_dicom_despite_the_extension(tmp_path):
    path = tmp_path / "slice.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + b"garbage" * 20)
    assert "slice.dcm is not a DICOM file" in messages(tmp_path, path)["slice.dcm"]


def test_mhd_without_its_raw_and_raw_without_its_mhd(tmp_path):
    write(volume(), tmp_path / "a" / "ct.mhd")
    (tmp_path / "a" / "ct.raw").unlink()
    write(volume(), tmp_path / "b" / "other.mhd")
    result = messages(tmp_path, tmp_path / "a" / "ct.mhd", tmp_path / "b" / "other.raw")
    assert result["ct.mhd"] == "ct.mhd keeps its voxels in ct.raw, which is not in this upload; upload both together"
    assert "other.raw holds only voxels: upload the .mhd header that names it" in result["other.raw"]


def test_mhd_may_not_name_a_file_elsewhere(tmp_path):
    header = tmp_path / "evil.mhd"
    header.write_text(
        "ObjectType = Image\nNDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = /etc/passwd\n"
    )
    assert "it must be a file name, uploaded beside the .mhd" in messages(tmp_path, header)["evil.mhd"]


def test_mha_with_external_data_is_refused(tmp_path):
    header = tmp_path / "evil.mha"
    header.write_text(
        "ObjectType = Image\nNDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\nElementDataFile = ../x.raw\n"
    )
    assert "keeps its voxels in another file" in messages(tmp_path, header)["evil.mha"]


def test_without_the_importer_image_every_file_gets_a_message(tmp_path):
    paths = [write(volume(), tmp_path / "in" / f"ct{i}.mha") for i in range(2)]
    limits = ImportLimits(image="gc-hub-test/no-such-importer:latest")
    outcomes = sandboxed(
        [Upload(str(p), p.name, p.name) for p in paths],
        folder=tmp_path / "in",
        data_dir=tmp_path / "data",
        limits=limits,
    )
    assert sorted(k for o in outcomes for k in o.keys) == ["ct0.mha", "ct1.mha"]
    assert {o.message for o in outcomes} == {
        "the import of this upload failed: the platform's importer image gc-hub-test/no-such-importer:latest"
        " is missing on this node (build it with images/build.sh importer);"
        " upload it again or tell the platform's admins"
    }
