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
