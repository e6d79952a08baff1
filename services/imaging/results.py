"""What the importer container hands back, checked before anything of it is kept.

The container parsed hostile files, so its ``/output`` is hostile too. ``results.json`` is read
through ``UntrustedFolder`` (no link followed, size capped) and checked strictly: the keys and
types of every entry, every requested file accounted for exactly once, geometry that an image can
have, a pixel type from a known set, short printable messages. Each image is copied (never moved)
into ``data_dir/images/`` under a name the worker chooses and hashed on the way; then the worker's
own copy is checked: an ``.mha`` must have the header SimpleITK writes (``Key = value`` lines from
a whitelist, each once, values of the expected form, ``ElementDataFile = LOCAL`` last, and the
geometry results.json claims), a ``.tif`` must start as TIFF. So nothing a stored header says can
later point a reader at another file. Any breach refuses the whole batch (``Garbage``), with a
message that names the rule, never a value.
"""

import json
import math
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..untrusted_files import UnsafeFile
from .container import DESCRIPTION_CHARS, MESSAGE_CHARS, MODALITY_CHARS
from .store import COLOR_SPACES, StoredImage, remove_stored

RESULTS_BYTES = 1024 * 1024  # plus RESULTS_BYTES_PER_FILE for each file of the batch
RESULTS_BYTES_PER_FILE = 4096
HEADER_BYTES = 4096  # SimpleITK's MHA headers are a few hundred bytes
IMAGE_FILE = re.compile(r"images/[0-9a-f]{2}/[0-9a-f]{32}\.(mha|tif)")
IMAGE_FIELDS = {
    "file",
    "dimensions",
    "spacing",
    "origin",
    "direction",
    "pixel_type",
    "color_space",
    "window_center",
    "window_width",
    "modality",
    "series_description",
    "rescale_slope",
    "rescale_intercept",
}
CHANNELS = {name: channels for channels, name in COLOR_SPACES.items()}
SCALARS = [f"{bits}-bit {sign} integer" for bits in (8, 16, 32, 64) for sign in ("signed", "unsigned")]
SCALARS += ["32-bit float", "64-bit float"]
PIXEL_TYPES = frozenset(SCALARS + [f"vector of {scalar}" for scalar in SCALARS])
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
THUMBNAIL_BYTES = 1024 * 1024  # a 256-pixel PNG is far smaller

NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
NUMBERS = rf"{NUMBER}(?: {NUMBER})*"
# What SimpleITK writes into an MHA header, and the form of each value.
MHA_KEYS = {
    "ObjectType": "Image",
    "NDims": r"[234]",
    "BinaryData": "True",
    "BinaryDataByteOrderMSB": "True|False",
    "CompressedData": "True",
    "CompressedDataSize": r"\d+",
    "TransformMatrix": NUMBERS,
    "Offset": NUMBERS,
    "CenterOfRotation": NUMBERS,
    "AnatomicalOrientation": r"[RLAPSI?]{2,4}",
    "ElementSpacing": NUMBERS,
    "DimSize": r"\d+(?: \d+)*",
    "ElementNumberOfChannels": r"[34]",
    "ElementType": r"MET_[A-Z_]+",
    "ElementDataFile": "LOCAL",
}
MHA_LINE = re.compile(rb"([A-Za-z]+) = ([ -~]*)")
MHA_REQUIRED = ("ObjectType", "NDims", "DimSize", "ElementSpacing", "ElementType", "CompressedData", "ElementDataFile")


class Garbage(Exception):
    """The container's results are not what the importer writes; the message names the rule broken."""


def parse(data, *, files, max_voxels):
    """The entries of results.json ``data`` (bytes) for a batch of ``files`` files: a list of
    (keys, image fields or None, message), every key in ``range(files)`` exactly once."""
    try:
        results = json.loads(data, parse_constant=refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Garbage(
            f"results.json is not JSON ({type(error).__name__} at byte {getattr(error, 'pos', '?')})"
        ) from None
    if not isinstance(results, dict) or set(results) != {"outcomes"} or not isinstance(results["outcomes"], list):
        raise Garbage("results.json must be an object with only an 'outcomes' list")
    seen, entries, image_files = set(), [], set()
    for index, outcome in enumerate(results["outcomes"]):
        where = f"results.json outcome {index}"
        if not isinstance(outcome, dict) or set(outcome) != {"keys", "message", "image"}:
            raise Garbage(f"{where} must have exactly 'keys', 'message' and 'image'")
        keys = outcome["keys"]
        if not isinstance(keys, list) or not keys or not all(is_int(k) and 0 <= k < files for k in keys):
            raise Garbage(f"{where}: 'keys' must be a non-empty list of the request's keys")
        if seen.intersection(keys) or len(set(keys)) != len(keys):
            raise Garbage(f"{where} names a file that another outcome (or itself) names already")
        seen.update(keys)
        message, image = outcome["message"], outcome["image"]
        if not isinstance(message, str) or len(message) > MESSAGE_CHARS or not message.isprintable():
            raise Garbage(f"{where}: 'message' must be printable text of at most {MESSAGE_CHARS} characters")
        if image is None and not message:
            raise Garbage(f"{where} has neither an image nor a message")
        if image is not None:
            check_image(image, where, max_voxels)
            if image["file"] in image_files:
                raise Garbage(f"{where} names an image file that another outcome names already")
            image_files.add(image["file"])
        entries.append((tuple(keys), image, message))
    if len(seen) != files:
        raise Garbage(f"results.json accounts for {len(seen)} of the {files} files it was given")
    return entries


def refuse_constant(name):
    raise Garbage(f"results.json holds {name}, which is not a JSON number")


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def numbers(value, count, where, name, test=is_number):
    if not isinstance(value, list) or len(value) != count or not all(test(v) for v in value):
        raise Garbage(f"{where}: '{name}' must be a list of {count} valid numbers")


def check_image(image, where, max_voxels):
    """Garbage unless ``image`` (the fields of one image in results.json) is one the importer writes."""
    if not isinstance(image, dict) or set(image) != IMAGE_FIELDS:
        raise Garbage(f"{where}: 'image' must have exactly the fields {', '.join(sorted(IMAGE_FIELDS))}")
    if not isinstance(image["file"], str) or not IMAGE_FILE.fullmatch(image["file"]):
        raise Garbage(f"{where}: 'file' must be images/<2 hex>/<32 hex>.mha or .tif")
    size = image["dimensions"]
    if not isinstance(size, list) or not 2 <= len(size) <= 4:
        raise Garbage(f"{where}: 'dimensions' must list 2 to 4 sizes")
    n = len(size)
    numbers(size, n, where, "dimensions", test=lambda v: is_int(v) and v >= 1)
    numbers(image["spacing"], n, where, "spacing", test=lambda v: is_number(v) and v > 0)
    numbers(image["origin"], n, where, "origin")
    numbers(image["direction"], n * n, where, "direction")
    if image["pixel_type"] not in PIXEL_TYPES:
        raise Garbage(f"{where}: 'pixel_type' is not one of the pixel types the importers make")
    if image["color_space"] not in CHANNELS:
        raise Garbage(f"{where}: 'color_space' must be one of {', '.join(CHANNELS)}")
    channels = CHANNELS[image["color_space"]]
    if (channels > 1) != image["pixel_type"].startswith("vector of "):
        raise Garbage(f"{where}: 'color_space' does not fit 'pixel_type'")
    if math.prod(size) * channels > max_voxels:
        raise Garbage(f"{where}: 'dimensions' exceed the {max_voxels:,} voxels an image may have")
    if image["file"].endswith(".tif") and n != 2:
        raise Garbage(f"{where}: only 2D images are stored as .tif")
    for name in ("window_center", "window_width", "rescale_slope", "rescale_intercept"):
        if image[name] is not None and not is_number(image[name]):
            raise Garbage(f"{where}: '{name}' must be a number or null")
    for name, limit in (("modality", MODALITY_CHARS), ("series_description", DESCRIPTION_CHARS)):
        value = image[name]
        if value is not None and not (isinstance(value, str) and len(value) <= limit and value.isprintable()):
            raise Garbage(f"{where}: '{name}' must be null or printable text of at most {limit} characters")


def check_mha_header(path, image, shown):
    """Garbage unless the MHA file at ``path`` (the worker's own copy) has the header SimpleITK
    writes, with the geometry of ``image``: its voxels can only be in the file itself."""
    with open(path, "rb") as f:
        head = f.read(HEADER_BYTES)
    fields = {}
    for number, line in enumerate(head.split(b"\n")[:-1], start=1):
        match = MHA_LINE.fullmatch(line)
        if not match:
            raise Garbage(f"{shown}: header line {number} is not 'Key = value' in plain ASCII")
        key, value = match.group(1).decode(), match.group(2).decode()
        if key not in MHA_KEYS or not re.fullmatch(MHA_KEYS[key], value):
            raise Garbage(f"{shown}: header line {number} is not one SimpleITK writes")
        if key in fields:
            raise Garbage(f"{shown}: header key {key} appears twice")
        fields[key] = value
        if key == "ElementDataFile":
            break
    else:
        raise Garbage(f"{shown}: the header does not end with 'ElementDataFile = LOCAL' within {HEADER_BYTES} bytes")
    missing = [key for key in MHA_REQUIRED if key not in fields]
    if missing:
        raise Garbage(f"{shown}: the header lacks {', '.join(missing)}")
    size = image["dimensions"]
    channels = int(fields.get("ElementNumberOfChannels", 1))
    if (int(fields["NDims"]), [int(s) for s in fields["DimSize"].split()], channels) != (
        len(size),
        size,
        CHANNELS[image["color_space"]],
    ):
        raise Garbage(f"{shown}: the header's dimensions or channels differ from results.json")


def check_tiff(path, shown):
    with open(path, "rb") as f:
        if f.read(4) not in TIFF_MAGIC:
            raise Garbage(f"{shown} does not start as a TIFF file")


def keep_image(folder, image, *, data_dir, max_bytes):
    """Copy the image file ``image`` names out of ``folder`` into ``data_dir/images/``, check the
    copy and describe it; Garbage (and no copy left) if it is not what the importer writes."""
    suffix = Path(image["file"]).suffix
    name = uuid.uuid4().hex
    relative = Path("images", name[:2], name + suffix)
    target = Path(data_dir, relative)
    shown = folder.where(image["file"])
    try:
        copied = folder.copy(image["file"], target, max_bytes=max_bytes)
    except FileNotFoundError:
        raise Garbage(f"{shown} is missing") from None
    except UnsafeFile as unsafe:
        raise Garbage(str(unsafe)) from None
    try:
        if suffix == ".mha":
            check_mha_header(target, image, shown)
        else:
            check_tiff(target, shown)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    keep_thumbnail(folder, image["file"], target, shown)
    fields = {k: v for k, v in image.items() if k != "file"}
    return StoredImage(path=relative.as_posix(), size=copied.size, sha256=copied.sha256, **fields)


def keep_thumbnail(folder, image_file, target, shown):
    """Copy the PNG thumbnail beside ``image_file`` (if the importer made one) beside ``target``;
    Garbage (and the image's copy removed) if it is there but no small PNG."""
    thumbnail = Path(image_file).with_suffix(".png").as_posix()
    kept = target.with_suffix(".png")
    try:
        folder.copy(thumbnail, kept, max_bytes=THUMBNAIL_BYTES)
        with open(kept, "rb") as f:
            if f.read(len(PNG_MAGIC)) != PNG_MAGIC:
                raise Garbage(f"{shown}'s thumbnail is not a PNG file")
    except FileNotFoundError:
        return  # none made: its pages show "no preview"
    except (UnsafeFile, Garbage) as bad:
        kept.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise Garbage(str(bad)) from None


def keep(folder, entries, *, data_dir, max_bytes, threads=1):
    """The entries of results.json with each image copied out of ``folder`` (an UntrustedFolder
    of the container's /output) by ``keep_image``, ``threads`` at a time (hashing and copying
    release Python's lock): a list of (keys, StoredImage or None, message). Garbage, with every
    copy removed, if any image is amiss."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        futures = [
            image and pool.submit(keep_image, folder, image, data_dir=data_dir, max_bytes=max_bytes)
            for _, image, _ in entries
        ]
        stored, problems = [], []
        for future in futures:
            try:
                stored.append(future.result() if future else None)
            except Exception as problem:  # noqa: BLE001 (raised below, once every copy is accounted for)
                stored.append(None)
                problems.append(problem)
    if problems:
        for image in stored:
            if image is not None:
                remove_stored(Path(data_dir, image.path))
        raise problems[0]
    return [(keys, image, message) for (keys, _, message), image in zip(entries, stored, strict=True)]
