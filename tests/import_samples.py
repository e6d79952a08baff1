"""Tiny image files in every format the importers read, written with SimpleITK, and bad ones; and
``sandboxed``, the import through the real importer container that the unit tests use."""

import os
import struct
import zipfile
from functools import cache
from pathlib import Path

import SimpleITK as sitk

from services.imaging.sandbox import import_in_sandbox
from services.runner import Runner

SPACING, ORIGIN = (0.7, 0.8, 2.5), (10.0, -20.0, 30.0)


def volume(size=(16, 12, 6), pixel=sitk.sitkInt16):
    """A smooth test volume with a known geometry."""
    image = sitk.GaussianSource(pixel, size, sigma=[s / 3 for s in size], mean=[s / 2 for s in size], scale=1000)
    image.SetSpacing(SPACING[: len(size)])
    image.SetOrigin(ORIGIN[: len(size)])
    return image


def picture(size=(20, 10), rgb=False):
    gray = sitk.Cast(sitk.RescaleIntensity(volume(size)), sitk.sitkUInt8)
    return sitk.Compose(gray, gray, gray) if rgb else gray


def write(image, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(path))
    return path


def dicom_series(
    folder,
    image,
    *,
    series_uid="1.2.826.0.1.3680043.2.1125.1",
    study_uid="1.2.826.0.1.3680043.2.1125.2",
    modality="CT",
    window=("40", "400"),
    gap_at=None,
    names=None,
):
    """One DICOM file per slice of ``image`` in ``folder`` (written in reverse order, so that only
    positions order them); ``gap_at`` leaves out that slice."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    writer.SetImageIO("GDCMImageIO")  # names without .dcm, too
    depth = image.GetDepth()
    paths = []
    for z in range(depth):
        if z == gap_at:
            continue
        plane = image[:, :, z]
        x, y, zpos = image.TransformIndexToPhysicalPoint((0, 0, z))
        tags = {
            "0020|000e": series_uid,
            "0020|000d": study_uid,
            "0008|0060": modality,
            "0028|1050": window[0],
            "0028|1051": window[1],
            "0020|0032": f"{x}\\{y}\\{zpos}",
            "0020|0037": "1\\0\\0\\0\\1\\0",
            "0020|0013": str(z + 1),
            "0028|0030": f"{image.GetSpacing()[1]}\\{image.GetSpacing()[0]}",
            "0008|103e": "test series",
        }
        for key, value in tags.items():
            plane.SetMetaData(key, value)
        path = folder / (names[z] if names else f"slice{depth - z:03d}.dcm")
        writer.SetFileName(str(path))
        writer.Execute(plane)
        paths.append(path)
    return paths


def nifti2_header(path, size):
    """A NIfTI-2 file whose header claims ``size`` int16 voxels, with almost none behind it."""
    header = bytearray(544)
    struct.pack_into("<i", header, 0, 540)
    header[4:12] = b"n+2\0\r\n\032\n"
    struct.pack_into("<hh", header, 12, 4, 16)
    struct.pack_into("<8q", header, 16, len(size), *size, *[1] * (7 - len(size)))
    struct.pack_into("<8d", header, 104, *[1.0] * 8)
    struct.pack_into("<q", header, 168, 544)
    Path(path).write_bytes(bytes(header) + b"\0" * 1024)
    return Path(path)


def truncate(path, keep=0.5):
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep)])
    return Path(path)


def zip_of(path, members):
    """A zip at ``path`` of ``{name in zip: bytes or a Path}``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content.read_bytes() if isinstance(content, Path) else content)
    return Path(path)


def zip_bomb(path, size=200 * 1024 * 1024):
    """A zip of one member of ``size`` zero bytes (about 1000:1)."""
    chunk = b"\0" * (1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("scan.nii", "w", force_zip64=True) as member,
    ):
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return Path(path)


@cache
def test_runner():
    """A Runner whose containers carry this test process's own instance label."""
    return Runner(instance=f"gc-test-import-{os.getpid()}")


def sandboxed(uploads, *, folder, data_dir, limits=None):
    """The Outcomes of importing ``uploads`` (paths under ``folder``) in the importer container."""
    return import_in_sandbox(uploads, folder=folder, data_dir=data_dir, runner=test_runner(), limits=limits)


# --- the corpus: every DICOM and NIfTI file shipped in pydicom's and nibabel's test data ---------
# and what pydicom and nibabel compute from each file's own header (the test extra installs them).


def corpus():
    """``{name: path}`` of every DICOM and NIfTI file in pydicom's data folder (test files, charset
    files, palettes, DICOMDIR trees) and in nibabel's test data folders; names are relative to the
    packages' folder (``pydicom/data/test_files/CT_small.dcm``)."""
    import nibabel
    import pydicom

    packages = Path(pydicom.__file__).parents[1]
    skip = (".py", ".pyc", ".json", ".txt", ".md", ".dump", ".icc", "README")
    found = [p for p in (packages / "pydicom" / "data").rglob("*") if p.is_file() and not p.name.endswith(skip)]
    found += [
        p
        for p in Path(nibabel.__file__).parent.rglob("*")
        if p.is_file() and "tests/data" in p.as_posix() and p.name.endswith((".dcm", ".dcm.gz", ".nii", ".nii.gz"))
    ]
    return {p.relative_to(packages).as_posix(): p for p in sorted(found)}


def functional(ds, keyword, sequence, frame=0):
    """``keyword`` of ``ds``, or of its shared or per-frame functional group ``sequence``."""
    if keyword in ds:
        return ds[keyword].value
    for groups, index in (("SharedFunctionalGroupsSequence", 0), ("PerFrameFunctionalGroupsSequence", frame)):
        items = ds.get(groups) or []
        if len(items) > index and sequence in items[index] and keyword in items[index][sequence][0]:
            return items[index][sequence][0][keyword].value
    return None


def dicom_reference(paths):
    """Size, spacing, origin and direction of the image that the DICOM files ``paths`` (a series of
    single frames, or one file) make, computed from their headers with pydicom and NumPy."""
    import numpy as np
    import pydicom

    sets = [pydicom.dcmread(p, stop_before_pixels=True, force=True) for p in paths]
    ds = sets[0]
    frames = int(ds.get("NumberOfFrames") or 1)
    spacing = functional(ds, "PixelSpacing", "PixelMeasuresSequence") or ds.get("ImagerPixelSpacing") or (1, 1)
    iop = np.array(functional(ds, "ImageOrientationPatient", "PlaneOrientationSequence") or (1, 0, 0, 0, 1, 0), float)
    row, column = iop[:3], iop[3:]
    n = np.cross(row, column)
    if len(sets) > 1:
        positions = [s.get("ImagePositionPatient") for s in sets]
    elif ds.get("PerFrameFunctionalGroupsSequence"):
        positions = [functional(ds, "ImagePositionPatient", "PlanePositionSequence", i) for i in range(frames)]
    elif ds.get("GridFrameOffsetVector") and frames > 1:
        offsets = np.array(ds.GridFrameOffsetVector, float)
        positions = [np.array(ds.ImagePositionPatient, float) + (o - offsets[0]) * n for o in offsets]
    else:
        positions = [ds.get("ImagePositionPatient")]
    if all(p is not None for p in positions):
        depths = sorted(float(np.dot(np.array(p, float), n)) for p in positions)
        origin = min((np.array(p, float) for p in positions), key=lambda p: np.dot(p, n))
    else:
        depths, origin = [], np.zeros(3)
    if len(depths) > 1:
        z = (depths[-1] - depths[0]) / (len(depths) - 1)
    else:
        thickness = functional(ds, "SpacingBetweenSlices", "PixelMeasuresSequence") or functional(
            ds, "SliceThickness", "PixelMeasuresSequence"
        )
        z = float(thickness) if thickness and float(thickness) > 0 else 1.0
    return {
        "size": [int(ds.Columns), int(ds.Rows), max(len(sets), frames)],
        "spacing": [float(spacing[1]), float(spacing[0]), z],
        "origin": [float(v) for v in origin],
        "direction": [float(v) for v in np.column_stack([row, column, n]).ravel()],
    }


def nifti_reference(path):
    """Size, spacing, origin and direction of a NIfTI image as nibabel computes them from its header
    (its best affine, RAS turned into the LPS of ITK)."""
    import nibabel
    import numpy as np

    image = nibabel.load(path)
    affine = np.diag([-1.0, -1.0, 1.0]) @ image.affine[:3]
    spacing = np.linalg.norm(affine[:, :3], axis=0)
    extra = len(image.shape) - 3
    direction = np.eye(3 + extra)
    direction[:3, :3] = affine[:, :3] / spacing
    return {
        "size": list(image.shape),
        "spacing": list(spacing) + [float(image.header["pixdim"][4])] * extra,
        "origin": list(affine[:, 3]) + [0.0] * extra,
        "direction": list(direction.ravel()),
    }


def enhanced_dicom(path, *, positions, orientation=(1, 0, 0, 0, 1, 0), size=(6, 5), spacing=(0.5, 0.75)):
    """A multi-frame MR file (written with pydicom) of one frame per position in ``positions``, each
    placed by its own Plane Position, all in ``orientation``; frame k holds the value k."""
    import numpy as np
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = pydicom.uid.EnhancedMRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.SeriesInstanceUID, ds.StudyInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName, ds.SeriesDescription = "MR", "Doe^Jane", "enhanced test"
    ds.Rows, ds.Columns, ds.NumberOfFrames = size[1], size[0], len(positions)
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([Dataset()])
    shared.PixelMeasuresSequence[0].PixelSpacing = [spacing[1], spacing[0]]
    shared.PlaneOrientationSequence = Sequence([Dataset()])
    shared.PlaneOrientationSequence[0].ImageOrientationPatient = list(orientation)
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for position in positions:
        frame = Dataset()
        frame.PlanePositionSequence = Sequence([Dataset()])
        frame.PlanePositionSequence[0].ImagePositionPatient = list(position)
        frames.append(frame)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    voxels = np.stack([np.full((size[1], size[0]), k, np.uint16) for k in range(len(positions))])
    ds.PixelData = voxels.tobytes()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return Path(path)
