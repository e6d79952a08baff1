"""The one way the platform unpacks a zip (predictions, ground truth, image uploads): no member
lands outside its folder, no zip bomb fills the disk, and nothing is left behind when it fails.

The zip's directory is checked first (member names, count, total size, ratio); while extracting,
bytes are counted again, since a directory can lie about sizes. Limits are the platform's
(``ImportLimits``: ``GC_IMPORT_MAX_EXTRACTED_BYTES``, ``GC_IMPORT_MAX_ZIP_RATIO``,
``GC_IMPORT_MAX_ZIP_MEMBERS``). Unpacking is slow work for a worker, never for a request handler.
"""

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .core.units import human_bytes

CHUNK = 1024 * 1024


class UnsafeZip(Exception):
    """The zip cannot be unpacked safely; nothing of it is kept. The message says why."""


def member_path(info, name):
    """The clean relative path of a zip member, or UnsafeZip if it would escape its folder."""
    raw = info.filename.replace("\\", "/")
    parts = PurePosixPath(raw).parts
    if raw.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise UnsafeZip(
            f"{name} holds {info.filename!r}, a path that points outside the zip's folder; "
            "nothing of this zip was unpacked: zip the files again without '..' or absolute paths"
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeZip(f"{name} holds a symbolic link ({info.filename!r}); nothing of this zip was unpacked")
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def check_directory(archive, name, packed_size, limits):
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > limits.max_zip_members:
        raise UnsafeZip(
            f"{name} holds {len(members):,} files, more than the {limits.max_zip_members:,} one zip may hold; split it"
        )
    total = sum(info.file_size for info in members)
    check_total(total, name, packed_size, limits, claimed=True)
    return members


def check_total(total, name, packed_size, limits, claimed=False):
    says = "says it unpacks" if claimed else "unpacks"
    if total > limits.max_extracted_bytes:
        raise UnsafeZip(
            f"{name} {says} to {human_bytes(total)}, more than the {human_bytes(limits.max_extracted_bytes)} "
            "one zip may unpack to; nothing of it was unpacked: send its files in several zips"
        )
    if total > limits.max_zip_ratio * max(packed_size, 1) and total > 10 * CHUNK:
        raise UnsafeZip(
            f"{name} {says} to {human_bytes(total)} from {human_bytes(packed_size)}, over "
            f"{limits.max_zip_ratio}× its size: that is a zip bomb, not data; nothing of it was unpacked"
        )


def extract(*, path, name, into, limits):
    """Unpack the zip at ``path`` (shown as ``name``) into ``into``, a folder of its own (made
    fresh: what an earlier attempt left there is removed first): a list of (relative name, Path)
    of its files. UnsafeZip, and no ``into`` left, if it is not safe or not a zip."""
    into = Path(into)
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    try:
        return _extract(Path(path), name, into, limits)
    except BaseException:
        shutil.rmtree(into, ignore_errors=True)
        raise


def _extract(path, name, into, limits):
    packed_size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            members = check_directory(archive, name, packed_size, limits)
            paths = [(member, member_path(member, name)) for member in members]
            extracted, total = [], 0
            for info, relative in paths:
                target = into / relative
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as source, open(target, "wb") as sink:
                        while chunk := source.read(CHUNK):
                            total += len(chunk)
                            check_total(total, name, packed_size, limits)
                            sink.write(chunk)
                except OSError as error:  # a file where a folder should be, a name too long, a full disk
                    problem = f"{info.filename!r} could not be unpacked ({error.strerror})"
                    raise UnsafeZip(f"{name}: {problem}; nothing of it was unpacked") from None
                extracted.append((relative.as_posix(), target))
            return extracted
    except zipfile.BadZipFile as error:
        raise UnsafeZip(f"{name} is not a readable zip ({error}); it may be cut short: upload it again") from None
    except (NotImplementedError, RuntimeError, EOFError) as error:  # encrypted, an unknown compression, cut short
        raise UnsafeZip(f"{name} cannot be unpacked ({error}); zip it again without a password, with deflate") from None
