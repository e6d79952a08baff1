"""Each importer on tiny generated files, run where the worker runs them (in the importer
container): voxels and geometry as written, metadata recorded."""

import pydicom
import pytest
import SimpleITK as sitk
from import_samples import ORIGIN, SPACING, dicom_series, enhanced_dicom, picture, sandboxed, volume, write

from services.imaging.conversion import Upload
from services.imaging.formats import Format, identify
from services.imaging.importers import IMPORTERS, Loaded
from services.imaging.limits import ImportLimits
from services.imaging.sandbox import conversion_limits


def one(outcomes):
    assert len(outcomes) == 1, outcomes
    assert outcomes[0].image is not None, outcomes[0].message
    return outcomes[0].image


def stored_image(data_dir, stored):
    return sitk.ReadImage(str(data_dir / stored.path))


def convert(uploads, tmp_path, limits=None):
    """Import ``uploads`` (under ``tmp_path/in``) into ``tmp_path/data`` in the importer container."""
    return sandboxed(uploads, folder=tmp_path / "in", data_dir=tmp_path / "data", limits=limits)


@pytest.mark.parametrize("name", ["ct.mha", "ct.nii", "ct.nii.gz", "ct.nrrd", "ct.mhd"])
def test_volumes_keep_voxels_and_geometry(tmp_path, name):
    image = volume()
    path = write(image, tmp_path / "in" / name)
    uploads = [Upload(str(p), p.name, p.name) for p in path.parent.iterdir()]  # .mhd brings its .raw
    outcomes = convert(uploads, tmp_path)
    stored = one(outcomes)
    assert sorted(outcomes[0].keys) == sorted(u.key for u in uploads)
    assert stored.path.startswith("images/") and stored.path.endswith(".mha")
    assert stored.dimensions == [16, 12, 6] and stored.pixel_type == "16-bit signed integer"
    assert stored.spacing == pytest.approx(SPACING, abs=1e-6) and stored.origin == pytest.approx(ORIGIN, abs=1e-6)
    assert stored.color_space == "gray" and stored.modality is None
    result = stored_image(tmp_path / "data", stored)
    assert sitk.Hash(result) == sitk.Hash(image)
    assert stored.size == (tmp_path / "data" / stored.path).stat().st_size and len(stored.sha256) == 64


@pytest.mark.parametrize(
    "name,rgb", [("photo.png", False), ("photo.png", True), ("photo.jpg", True), ("slide.tif", True)]
)
def test_pictures(tmp_path, name, rgb):
    path = write(picture(rgb=rgb), tmp_path / "in" / name)
    stored = one(convert([Upload(str(path), name, 1)], tmp_path))
    assert stored.dimensions == [20, 10] and stored.color_space == ("rgb" if rgb else "gray")
    assert stored.pixel_type.endswith("8-bit unsigned integer")


def test_a_multipage_tiff_is_a_volume(tmp_path):
    path = write(volume(), tmp_path / "in" / "stack.tiff")
    assert one(convert([Upload(str(path), "stack.tiff", 1)], tmp_path)).dimensions == [16, 12, 6]


def test_large_2d_images_are_stored_as_tiff(tmp_path):
    path = write(picture(size=(64, 64)), tmp_path / "in" / "big.png")
    stored = one(convert([Upload(str(path), "big.png", 1)], tmp_path, limits=ImportLimits(tiff_min_pixels=64 * 64)))
    assert stored.path.endswith(".tif") and stored.dimensions == [64, 64]
    assert (tmp_path / "data" / stored.path).read_bytes()[:4] in (b"II*\x00", b"MM\x00*")


def test_dicom_series_is_ordered_by_position_with_window_and_modality(tmp_path):
    image = volume()
    files = dicom_series(tmp_path / "in" / "series", image)
    uploads = [Upload(str(p), f"series/{p.name}", p.name) for p in files]
    outcomes = convert(uploads, tmp_path)
    stored = one(outcomes)
    assert len(outcomes[0].keys) == 6
    assert stored.dimensions == [16, 12, 6] and stored.modality == "CT"
    assert (stored.window_center, stored.window_width) == (40.0, 400.0)
    assert stored.spacing == pytest.approx(SPACING, abs=1e-4) and stored.origin == pytest.approx(ORIGIN, abs=1e-4)
    assert sitk.Hash(stored_image(tmp_path / "data", stored)) == sitk.Hash(image)


def test_two_series_and_a_single_slice_become_three_images(tmp_path):
    a = dicom_series(tmp_path / "in" / "a", volume(), series_uid="1.2.3.1")
    b = dicom_series(tmp_path / "in" / "b", volume((8, 8, 4)), series_uid="1.2.3.2", modality="MR")
    single = dicom_series(tmp_path / "in" / "c", volume((10, 10, 1)), series_uid="1.2.3.3", modality="US")
    uploads = [Upload(str(p), str(p.relative_to(tmp_path)), str(p)) for p in a + b + single]
    outcomes = convert(uploads, tmp_path)
    images = sorted((o.image.modality, o.image.dimensions) for o in outcomes)
    assert images == [("CT", [16, 12, 6]), ("MR", [8, 8, 4]), ("US", [10, 10, 1])]
    (us,) = [o.image for o in outcomes if o.image.modality == "US"]
    assert us.origin == pytest.approx(ORIGIN, abs=1e-4), "a single slice keeps its place in the patient"


def test_a_single_oblique_slice_keeps_its_position_and_direction_as_written(tmp_path):
    path = dicom_series(tmp_path / "in", volume((10, 8, 1)))[0]
    row, column = (0.8, 0.6, 0.0), (0.0, 0.28, 0.96)  # not quite orthogonal: kept as the file gives them
    ds = pydicom.dcmread(path)
    ds.ImageOrientationPatient = [*row, *column]
    ds.ImagePositionPatient = [-12.5, 7.25, 101.0]
    ds.SliceThickness, ds.PatientName, ds.PatientID = 3.0, "Doe^Jane", "P-123"
    ds.save_as(path)
    stored = one(convert([Upload(str(path), "oblique.dcm", 1)], tmp_path))
    n = (
        row[1] * column[2] - row[2] * column[1],
        row[2] * column[0] - row[0] * column[2],
        row[0] * column[1] - row[1] * column[0],
    )
    assert stored.dimensions == [10, 8, 1] and stored.origin == pytest.approx([-12.5, 7.25, 101.0])
    assert stored.spacing == pytest.approx([0.7, 0.8, 3.0], abs=1e-6)
    assert stored.direction == pytest.approx([v for axis in zip(row, column, n, strict=True) for v in axis])
    assert stored.series_description == "test series" and (stored.window_center, stored.window_width) == (40, 400)
    header = (tmp_path / "data" / stored.path).read_bytes()[:4096]
    assert b"Doe" not in header and b"P-123" not in header, "DICOM patient tags are not copied"


def test_a_multiframe_file_is_placed_by_its_frames_positions(tmp_path):
    frames = [(5.0, 6.0, 7.0 + 2.0 * k) for k in (2, 0, 3, 1)]  # stored out of order
    path = enhanced_dicom(tmp_path / "in" / "enhanced.dcm", positions=frames)
    stored = one(convert([Upload(str(path), "enhanced.dcm", 1)], tmp_path))
    assert stored.dimensions == [6, 5, 4] and stored.spacing == pytest.approx([0.5, 0.75, 2.0])
    assert stored.origin == pytest.approx([5.0, 6.0, 7.0]) and stored.series_description == "enhanced test"
    voxels = sitk.GetArrayFromImage(stored_image(tmp_path / "data", stored))
    assert [int(voxels[z, 0, 0]) for z in range(4)] == [1, 3, 0, 2], "frames ordered along the normal"


def test_a_multiframe_file_with_uneven_frames_says_where(tmp_path):
    path = enhanced_dicom(tmp_path / "in" / "uneven.dcm", positions=[(0, 0, 0), (0, 0, 2), (0, 0, 4), (0, 0, 9)])
    (outcome,) = convert([Upload(str(path), "uneven.dcm", 1)], tmp_path)
    assert outcome.image is None
    assert outcome.message == (
        "uneven.dcm: frames are 2 mm apart but 5 mm between frame 3 and frame 4; "
        "gc-hub imports multi-frame files whose frames are evenly spaced"
    )


def test_a_multiframe_dicom_file_is_a_volume(tmp_path):
    image = volume((16, 12, 5))
    image.SetMetaData("0008|0060", "MR")
    path = write(image, tmp_path / "in" / "multiframe.dcm")
    stored = one(convert([Upload(str(path), "multiframe.dcm", 1)], tmp_path))
    assert stored.dimensions == [16, 12, 5] and stored.modality == "MR"


def test_dicom_without_extension_is_recognised_by_content(tmp_path):
    files = dicom_series(tmp_path / "in", volume(), names=[f"IM{i}" for i in range(6)])
    assert identify(files[0]) is Format.DICOM
    assert one(convert([Upload(str(p), p.name, p.name) for p in files], tmp_path)).dimensions == [16, 12, 6]


def test_an_old_dicom_file_without_preamble_meta_header_or_extension_is_recognised(tmp_path):
    ds = pydicom.dcmread(dicom_series(tmp_path / "written", volume((10, 8, 1)))[0])
    ds.preamble = None
    del ds.file_meta
    path = tmp_path / "in" / "IM0001"
    path.parent.mkdir()
    ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert identify(path) is Format.DICOM
    outcomes = convert([Upload(str(path), "IM0001", 1)], tmp_path)
    stored = one(outcomes)
    assert stored.dimensions == [10, 8, 1] and stored.origin == pytest.approx(ORIGIN, abs=1e-4)
    # said with the image, and so on the uploaded file's line
    assert outcomes[0].message == "IM0001 is a DICOM file without a file meta header, read as implicit VR little endian"


def test_stored_files_carry_no_dicom_header_tags(tmp_path):
    files = dicom_series(tmp_path / "in", volume())
    stored = one(convert([Upload(str(p), p.name, p.name) for p in files], tmp_path))
    assert b"0020|000e" not in (tmp_path / "data" / stored.path).read_bytes()[:4096]


def test_importers_are_keyword_only_and_return_data(tmp_path):
    path = write(volume(), tmp_path / "ct.mha")
    limits = conversion_limits(ImportLimits())
    with pytest.raises(TypeError):
        IMPORTERS[Format.MHA](str(path), "ct.mha", limits)
    assert isinstance(IMPORTERS[Format.MHA](path=path, name="ct.mha", limits=limits), Loaded)


def test_files_import_in_parallel_processes(tmp_path):
    paths = [write(volume(), tmp_path / "in" / f"ct{i}.nii.gz") for i in range(4)]
    outcomes = convert([Upload(str(p), p.name, p.name) for p in paths], tmp_path, limits=ImportLimits(processes=2))
    assert sorted(k for o in outcomes for k in o.keys) == sorted(p.name for p in paths)
    assert all(o.image for o in outcomes)


def test_files_only_their_owner_may_read_are_made_readable_for_the_importer(tmp_path):
    path = write(volume(), tmp_path / "in" / "private" / "ct.mha")
    path.chmod(0o600)
    path.parent.chmod(0o700)
    (tmp_path / "in").chmod(0o700)
    assert one(convert([Upload(str(path), "ct.mha", 1)], tmp_path)).dimensions == [16, 12, 6]
    assert path.stat().st_mode & 0o777 == 0o604 and path.parent.stat().st_mode & 0o777 == 0o705
