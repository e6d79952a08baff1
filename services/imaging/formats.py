"""What an uploaded file is: its format, from its name and from its first bytes.

A file whose name and content disagree is refused with both named (a PNG called ``scan.nii``),
and a file without a known extension is recognised by its content (DICOM files often have none,
and older ones have no preamble either).
"""

import gzip
import struct
import zlib
from enum import StrEnum
from pathlib import Path


class Format(StrEnum):
    """The formats that the importers read, plus the zip that carries them and MHD's raw data."""

    MHA = "mha"
    MHD = "mhd"
    RAW = "raw"
    NIFTI = "nifti"
    NRRD = "nrrd"
    DICOM = "dicom"
    TIFF = "tiff"
    PNG = "png"
    JPEG = "jpeg"
    ZIP = "zip"

    @property
    def title(self):
        return TITLES[self]


TITLES = {
    Format.MHA: "MetaImage (.mha)",
    Format.MHD: "MetaImage header (.mhd)",
    Format.RAW: "MetaImage raw data (.raw)",
    Format.NIFTI: "NIfTI",
    Format.NRRD: "NRRD",
    Format.DICOM: "DICOM",
    Format.TIFF: "TIFF",
    Format.PNG: "PNG",
    Format.JPEG: "JPEG",
    Format.ZIP: "zip",
}

# Longest first, so that ``.nii.gz`` wins over ``.gz``.
EXTENSIONS = {
    ".nii.gz": Format.NIFTI,
    ".nii": Format.NIFTI,
    ".mha": Format.MHA,
    ".mhd": Format.MHD,
    ".raw": Format.RAW,
    ".zraw": Format.RAW,
    ".nrrd": Format.NRRD,
    ".dcm": Format.DICOM,
    ".dicom": Format.DICOM,
    ".ima": Format.DICOM,
    ".tif": Format.TIFF,
    ".tiff": Format.TIFF,
    ".png": Format.PNG,
    ".jpg": Format.JPEG,
    ".jpeg": Format.JPEG,
    ".zip": Format.ZIP,
}
SUPPORTED = "MHA/MHD, NIfTI (.nii, .nii.gz), NRRD, DICOM, TIFF, PNG, JPEG, or a zip of these"
# The extension to suggest for content recognised by its bytes.
SUGGESTED = {
    Format.MHA: ".mha",
    Format.NIFTI: ".nii",
    Format.NRRD: ".nrrd",
    Format.DICOM: ".dcm",
    Format.TIFF: ".tif",
    Format.PNG: ".png",
    Format.JPEG: ".jpg",
    Format.ZIP: ".zip",
}
# Formats whose magic bytes are reliable: a file with their extension but not their bytes is not one.
MAGIC_REQUIRED = {Format.MHA, Format.MHD, Format.NIFTI, Format.NRRD, Format.TIFF, Format.PNG, Format.JPEG, Format.ZIP}
SNIFF_BYTES = 1024


class Unrecognised(Exception):
    """The file is not one the importers can read; the message says what to do."""


def by_extension(name):
    """The format that the file name ``name`` claims, or None."""
    lower = name.lower()
    return next((fmt for ext, fmt in EXTENSIONS.items() if lower.endswith(ext)), None)


def sniff(head):
    """The format that the first bytes ``head`` of a file show, or None (MHA stands for both
    MetaImage kinds; gzip-compressed NIfTI must be unpacked by the caller)."""
    if head[128:132] == b"DICM":
        return Format.DICOM
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Format.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return Format.JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Format.TIFF
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return Format.ZIP
    if head.startswith(b"NRRD000"):
        return Format.NRRD
    if _is_nifti(head):
        return Format.NIFTI
    if _is_bare_dicom(head):
        return Format.DICOM
    text = head[:SNIFF_BYTES].lstrip()
    if text.startswith((b"ObjectType", b"NDims")) or b"\nNDims" in text or b"\nElementType" in text:
        return Format.MHA
    return None


def _is_nifti(head):
    if len(head) < 348:
        return False
    for order in "<>":
        (size,) = struct.unpack(order + "i", head[:4])
        if size == 348 and head[344:347] == b"n+1":
            return True
        if size == 540 and head[4:7] == b"n+2":
            return True
    return False


def _is_bare_dicom(head):
    """Whether ``head`` starts a DICOM data set written without preamble and file meta header, as
    older files are: with an element of group 0002 or 0008, its VR spelled out or a short length."""
    for order in "<>":
        if len(head) >= 8 and head[:2] in (struct.pack(order + "H", 2), struct.pack(order + "H", 8)):
            (element,) = struct.unpack(order + "H", head[2:4])
            explicit = head[4:6].isalpha() and head[4:6].isupper()
            return element <= 0x0020 and (explicit or struct.unpack(order + "I", head[4:8])[0] < 1024)
    return False


def read_head(path, name):
    """The first bytes of ``path``; of its unpacked content for a gzip-compressed NIfTI."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head[:2] == b"\x1f\x8b" and name.lower().endswith(".gz"):
        try:
            with gzip.open(path, "rb") as f:
                return f.read(SNIFF_BYTES)
        except (OSError, EOFError, zlib.error):
            raise Unrecognised(
                f"{name} is not a complete gzip file: it is damaged or was cut short; upload it again"
            ) from None
    return head


def identify(path, name=None):
    """The Format of the file at ``path`` (shown to people as ``name``), or Unrecognised with a
    message that says what is wrong and what to do."""
    path = Path(path)
    name = name or path.name
    size = path.stat().st_size
    if size == 0:
        raise Unrecognised(f"{name} is empty (0 bytes): upload it again")
    claimed = by_extension(name)
    if claimed is Format.RAW:
        return claimed
    found = sniff(read_head(path, name))
    if found is Format.MHA and claimed is Format.MHD:
        return claimed
    if claimed and found and claimed != found:
        raise Unrecognised(
            f"{name} is named like a {claimed.title} file but holds a {found.title} file: "
            f"rename it to end in {SUGGESTED[found]} and upload it again"
        )
    if claimed in MAGIC_REQUIRED and found is None:
        raise Unrecognised(
            f"{name} is not a {claimed.title} file: it does not start like one (damaged, or another format?)"
        )
    if claimed is None and found is None:
        raise Unrecognised(f"{name} is not an image file that gc-hub can import; supported: {SUPPORTED}")
    return claimed or found
