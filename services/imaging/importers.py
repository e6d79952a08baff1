"""One keyword-only importer per format: header read and checked, then the voxels.

Each importer returns ``Loaded`` (a SimpleITK image and its DICOM display attributes) or
``Failed`` (a message a person can act on); none raises for a bad file. Headers are read with
``ReadImageInformation`` and checked (dimensions, voxel count, spacing, and for uncompressed data
that the file holds every byte the header promises, counted in the type stored on disk) before
any voxel is read, so a forged header cannot make the worker allocate terabytes.
"""

import functools
import gzip
import math
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import SimpleITK as sitk

from ..core.units import human_bytes
from .formats import Format

HEADER_BYTES = 64 * 1024  # MetaImage and NRRD headers are text; none is near this long


@dataclass(frozen=True)
class Loaded:
    """An image read from its file(s), with the display attributes DICOM carries."""

    image: sitk.Image
    window_center: float | None = None
    window_width: float | None = None
    modality: str | None = None
    series_description: str | None = None
    rescale_slope: float | None = None  # already applied to the voxels, as DICOM readers do
    rescale_intercept: float | None = None
    note: str = ""  # said with the imported image: how its file was read


@dataclass(frozen=True)
class Failed:
    """Why a file (or a series of files) gave no image."""

    message: str


class ImportProblem(Exception):
    """Raised inside importers, returned from them as ``Failed``."""


def errors_as_data(importer):
    """Turn ImportProblem, and SimpleITK's errors while reading voxels, into ``Failed``."""

    @functools.wraps(importer)
    def wrapper(**kwargs):
        try:
            return importer(**kwargs)
        except ImportProblem as problem:
            return Failed(str(problem))
        except RuntimeError as error:
            name = kwargs.get("name") or source_names(kwargs.get("series", ()))
            reason = itk_reason(error)
            if "No such file or directory" in reason:  # in the sandbox, only the upload's own files are there
                return Failed(
                    f"{name} could not be read: its header names a data file that is not part of this upload; "
                    "upload the image as one .mha file, or the .mhd with its .raw"
                )
            return Failed(f"{name} could not be read: {reason}; it may be damaged or cut short")

    return wrapper


def source_names(headers):
    """``a.dcm`` or ``a.dcm and 41 more files``."""
    more = f" and {len(headers) - 1} more files" if len(headers) > 1 else ""
    return f"{headers[0].name}{more}" if headers else "the file"


def itk_reason(error):
    """The useful line of an ITK exception's many, without class names, addresses or paths."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if line.startswith("Description:")]
    text = (useful or lines or ["unknown error"])[-1].removeprefix("Description:").strip()
    text = re.sub(r"^ITK ERROR: \w+\(0x[0-9a-f]+\):\s*", "", text)
    return re.sub(r"/\S+/", "", text).rstrip("!. ")


def dims(size):
    return "×".join(str(s) for s in size)


def component_bytes(pixel_id, components):
    """Bytes per channel of a SimpleITK pixel type."""
    return sitk.Image([1, 1], pixel_id, components).GetSizeOfPixelComponent()


def read_header(*, path, name, imageio, title, limits):
    """A reader whose header is read and checked, voxels not yet read."""
    reader = sitk.ImageFileReader()
    reader.SetImageIO(imageio)
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as error:
        raise ImportProblem(
            f"{name}: the {title} header cannot be read ({itk_reason(error)}); the file is damaged, cut short "
            f"or not a {title} file: upload it again"
        ) from None
    check_header(
        reader.GetSize(), reader.GetNumberOfComponents(), reader.GetSpacing(), name=name, title=title, limits=limits
    )
    return reader


def check_header(size, components, spacing, *, name, title, limits, pixel_id=None):
    """ImportProblem unless the geometry a header claims is one an image can have here."""
    if not 2 <= len(size) <= 4:
        raise ImportProblem(
            f"{name}: {title} header claims {len(size)} dimensions; gc-hub imports 2D, 3D and 4D images"
        )
    if min(size) < 1:
        raise ImportProblem(f"{name}: {title} header claims {dims(size)} voxels, an empty image")
    voxels = math.prod(size) * components
    if voxels > limits.max_voxels:
        raise ImportProblem(
            f"{name}: {title} header claims {dims(size)} voxels"
            + (f" of {components} channels" if components > 1 else "")
            + f", more than the {limits.max_voxels:,} voxels one image may have here"
            " (a damaged or forged header, or an image to split)"
        )
    if components not in (1, 3, 4):
        raise ImportProblem(
            f"{name} has {components} channels per voxel; gc-hub imports gray (1), RGB (3) or RGBA (4) images"
        )
    if not all(math.isfinite(s) and s > 0 for s in spacing):
        raise ImportProblem(
            f"{name}: {title} header gives a voxel spacing of {tuple(spacing)}; every spacing must be positive"
        )


def decoded_bytes(reader):
    """The bytes of the voxels that ``reader`` will give: what the file holds when it stores them
    as read (MetaImage, NRRD; not NIfTI, whose scaling changes the type)."""
    return (
        math.prod(reader.GetSize())
        * reader.GetNumberOfComponents()
        * component_bytes(reader.GetPixelID(), reader.GetNumberOfComponents())
    )


def check_complete(*, data_path, offset, expected, name):
    """ImportProblem if an uncompressed file holds fewer than the ``expected`` bytes of voxels its
    header promises."""
    held = Path(data_path).stat().st_size - offset
    if held < expected:
        raise ImportProblem(
            f"{name} is cut short: its header promises {human_bytes(expected)} of voxels but the file holds "
            f"{human_bytes(max(held, 0))}; upload it again"
        )


def read_voxels(reader):
    return reader.Execute()


# --- MetaImage ---------------------------------------------------------------------------------


def meta_header(path, name):
    """The key = value fields of a MetaImage header (the first of each key counts, as in ITK), and
    the byte offset where its header ends."""
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
    fields, offset = {}, 0
    for line in head.split(b"\n"):
        offset += len(line) + 1
        key, sep, value = line.decode("latin-1").partition("=")
        if not sep:
            continue
        fields.setdefault(key.strip(), value.strip())
        if key.strip() == "ElementDataFile":
            return fields, offset
    raise ImportProblem(f"{name}: the MetaImage header has no ElementDataFile line (damaged, or not a MetaImage file?)")


def data_offset(fields, name, default):
    """Where a MetaImage's voxels start: at ``HeaderSize`` (-1: they end the file), else ``default``."""
    text = fields.get("HeaderSize")
    if text is None:
        return default
    try:
        size = int(text)
    except ValueError:
        size = None
    if size is None or size < -1:
        raise ImportProblem(
            f"{name}: its HeaderSize is not a number of bytes (or -1); save the image again with ITK or SimpleITK"
        )
    return 0 if size == -1 else size


def is_compressed(fields):
    return fields.get("CompressedData", "False").lower() == "true"


@errors_as_data
def import_mha(*, path, name, limits):
    """A MetaImage ``.mha`` with its voxels inside (``ElementDataFile = LOCAL``)."""
    fields, offset = meta_header(path, name)
    if fields["ElementDataFile"] != "LOCAL":
        raise ImportProblem(
            f"{name} keeps its voxels in another file ({fields['ElementDataFile']}); "
            "name it .mhd and upload it with that file"
        )
    reader = read_header(path=path, name=name, imageio="MetaImageIO", title="MetaImage", limits=limits)
    if not is_compressed(fields):
        check_complete(
            data_path=path, offset=data_offset(fields, name, offset), expected=decoded_bytes(reader), name=name
        )
    return Loaded(read_voxels(reader))


def mhd_data_file(path, name):
    """The raw data file that the ``.mhd`` at ``path`` names: a file beside it, nothing else."""
    fields, _ = meta_header(path, name)
    data_file = fields["ElementDataFile"]
    if data_file == "LOCAL":
        raise ImportProblem(f"{name} holds its voxels itself; name it .mha and upload it again")
    if data_file.startswith("LIST") or "%" in data_file or " " in data_file:
        raise ImportProblem(f"{name} spreads its voxels over many files; gc-hub imports an .mhd with one .raw file")
    if "/" in data_file or "\\" in data_file or data_file in (".", ".."):
        raise ImportProblem(
            f"{name} names its data file {data_file!r}; it must be a file name, uploaded beside the .mhd"
        )
    return Path(path).with_name(data_file), fields


@errors_as_data
def import_mhd(*, path, name, limits):
    """A MetaImage header ``.mhd`` and the ``.raw`` (or ``.zraw``) it names, uploaded together."""
    data_path, fields = mhd_data_file(path, name)
    if not data_path.is_file():
        raise ImportProblem(
            f"{name} keeps its voxels in {data_path.name}, which is not in this upload; upload both together"
        )
    reader = read_header(path=path, name=name, imageio="MetaImageIO", title="MetaImage", limits=limits)
    if not is_compressed(fields):
        check_complete(
            data_path=data_path,
            offset=data_offset(fields, name, 0),
            expected=decoded_bytes(reader),
            name=f"{name} (with {data_path.name})",
        )
    return Loaded(read_voxels(reader))


# --- NIfTI and NRRD ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NiftiHeader:
    """What the checks need of a NIfTI header: version, dimensions, where the voxels start, how many
    bits each voxel takes on disk (before any scaling) and the intent (CIFTI-2 has its own)."""

    version: int
    size: list
    offset: int
    bitpix: int
    intent: int

    @property
    def data_bytes(self):
        return math.prod(self.size) * self.bitpix // 8


CIFTI_INTENTS = range(3000, 3100)  # NIFTI_INTENT_CONNECTIVITY_*: CIFTI-2 matrices


def nifti_header(path, name):
    """The NiftiHeader of a NIfTI-1 or NIfTI-2 file, read by hand: ITK's reader refuses some forged
    headers with a less useful message, and reads no NIfTI-2."""
    opener = gzip.open if name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(544)
    except (OSError, EOFError, zlib.error) as error:
        raise ImportProblem(f"{name}: the NIfTI header cannot be read ({error}); upload the file again") from None
    for order in "<>":
        if len(head) >= 348 and struct.unpack(order + "i", head[:4])[0] == 348:
            ndim, *size = struct.unpack(order + "8h", head[40:56])
            intent, _, bitpix = struct.unpack(order + "3h", head[68:74])
            offset = int(struct.unpack(order + "f", head[108:112])[0])
            return NiftiHeader(1, size[: max(ndim, 0)], offset, bitpix, intent)
        if len(head) >= 540 and struct.unpack(order + "i", head[:4])[0] == 540:
            ndim, *size = struct.unpack(order + "8q", head[16:80])
            (bitpix,) = struct.unpack(order + "h", head[14:16])
            (offset,) = struct.unpack(order + "q", head[168:176])
            (intent,) = struct.unpack(order + "i", head[504:508])
            return NiftiHeader(2, size[: max(ndim, 0)], offset, bitpix, intent)
    raise ImportProblem(f"{name} is not a NIfTI file: its header is too short or of another kind")


@errors_as_data
def import_nifti(*, path, name, limits):
    """A NIfTI-1 or NIfTI-2 image, ``.nii`` or gzip-compressed ``.nii.gz`` (NIfTI-2 read by nibabel)."""
    header = nifti_header(path, name)
    if header.intent in CIFTI_INTENTS:
        raise ImportProblem(
            f"{name} is a CIFTI-2 file (a matrix of brain data on surfaces and parcels, not an image on a grid): "
            "nothing to import"
        )
    check_header(header.size, 1, (1,) * len(header.size), name=name, title="NIfTI", limits=limits)
    if not name.lower().endswith(".gz"):
        check_complete(data_path=path, offset=header.offset, expected=header.data_bytes, name=name)
    if header.version == 2:
        from . import nifti2  # nibabel is in the importer image only; the worker imports this module too

        try:
            return Loaded(nifti2.read(path, name))
        except nifti2.Unreadable as problem:
            raise ImportProblem(str(problem)) from None
        except Exception as error:  # noqa: BLE001 (nibabel raises many kinds on a damaged file)
            raise ImportProblem(
                f"{name}: nibabel cannot read this NIfTI-2 file ({error}); it may be damaged or cut short"
            ) from None
    reader = read_header(path=path, name=name, imageio="NiftiImageIO", title="NIfTI", limits=limits)
    return Loaded(read_voxels(reader))


def nrrd_header(path, name):
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
    end = head.find(b"\n\n")
    if end < 0:
        raise ImportProblem(f"{name}: the NRRD header does not end (damaged, or not an NRRD file?)")
    fields = {}
    for line in head[:end].decode("latin-1").splitlines()[1:]:
        key, sep, value = line.partition(":")
        if sep and not line.startswith("#"):
            fields[key.strip().lower()] = value.strip().lstrip("=").strip()
    return fields, end + 2


@errors_as_data
def import_nrrd(*, path, name, limits):
    """An NRRD image with its voxels inside (detached headers are refused: they name any file)."""
    fields, offset = nrrd_header(path, name)
    if "data file" in fields or "datafile" in fields:
        raise ImportProblem(f"{name} is a detached NRRD header; save the image as one .nrrd file and upload that")
    reader = read_header(path=path, name=name, imageio="NrrdImageIO", title="NRRD", limits=limits)
    if fields.get("encoding", "raw") == "raw":
        check_complete(data_path=path, offset=offset, expected=decoded_bytes(reader), name=name)
    return Loaded(read_voxels(reader))


# --- pictures: TIFF, PNG, JPEG --------------------------------------------------------------------


def import_picture(*, path, name, limits, imageio, title):
    reader = read_header(path=path, name=name, imageio=imageio, title=title, limits=limits)
    return Loaded(read_voxels(reader))


@errors_as_data
def import_tiff(*, path, name, limits):
    """A TIFF image; a multi-page TIFF becomes a volume."""
    return import_picture(path=path, name=name, limits=limits, imageio="TIFFImageIO", title="TIFF")


@errors_as_data
def import_png(*, path, name, limits):
    """A PNG picture, gray or colour."""
    return import_picture(path=path, name=name, limits=limits, imageio="PNGImageIO", title="PNG")


@errors_as_data
def import_jpeg(*, path, name, limits):
    """A JPEG picture, gray or colour."""
    return import_picture(path=path, name=name, limits=limits, imageio="JPEGImageIO", title="JPEG")


# The importer of each format that is one file; DICOM series are read by ``dicom.import_series``.
IMPORTERS = {
    Format.MHA: import_mha,
    Format.MHD: import_mhd,
    Format.NIFTI: import_nifti,
    Format.NRRD: import_nrrd,
    Format.TIFF: import_tiff,
    Format.PNG: import_png,
    Format.JPEG: import_jpeg,
}
