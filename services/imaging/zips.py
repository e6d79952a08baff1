"""Unpacking uploaded zips safely: no member lands outside its folder, no zip bomb fills the disk.

The zip's directory is checked first (member names, count, total size, ratio); while extracting,
bytes are counted again, since a directory can lie about sizes.
"""

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .importers import human_bytes

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
            "nothing of this zip was imported: zip the files again without '..' or absolute paths"
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeZip(f"{name} holds a symbolic link ({info.filename!r}); nothing of this zip was imported")
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def check_directory(archive, name, packed_size, limits):
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > limits.max_zip_members:
        raise UnsafeZip(f"{name} holds {len(members):,} files, more than the {limits.max_zip_members:,} one zip may hold; split it")
    total = sum(info.file_size for info in members)
    check_total(total, name, packed_size, limits, claimed=True)
    return members


def check_total(total, name, packed_size, limits, claimed=False):
    says = "says it unpacks" if claimed else "unpacks"
    if total > limits.max_extracted_bytes:
        raise UnsafeZip(
            f"{name} {says} to {human_bytes(total)}, more than the {human_bytes(limits.max_extracted_bytes)} "
            "one zip may unpack to; nothing of it was imported: upload its files in several zips"
        )
    if total > limits.max_zip_ratio * max(packed_size, 1) and total > 10 * CHUNK:
        raise UnsafeZip(
            f"{name} {says} to {human_bytes(total)} from {human_bytes(packed_size)}, over "
            f"{limits.max_zip_ratio}× its size: that is a zip bomb, not images; nothing of it was imported"
        )


def extract(*, path, name, into, limits):
    """Unpack the zip at ``path`` into the folder ``into``: a list of (relative name, Path) of
    its files. UnsafeZip (and nothing left in ``into``) if it is not safe or not a zip."""
    into = Path(into)
    packed_size = Path(path).stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            members = check_directory(archive, name, packed_size, limits)
            paths = [(member, member_path(member, name)) for member in members]
            extracted, total = [], 0
            for info, relative in paths:
                target = into / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as sink:
                    while chunk := source.read(CHUNK):
                        total += len(chunk)
                        check_total(total, name, packed_size, limits)
                        sink.write(chunk)
                extracted.append((relative.as_posix(), target))
            return extracted
    except zipfile.BadZipFile as error:
        shutil.rmtree(into, ignore_errors=True)
        raise UnsafeZip(f"{name} is not a readable zip ({error}); it may be cut short: upload it again") from None
    except UnsafeZip:
        shutil.rmtree(into, ignore_errors=True)
        raise
    except (NotImplementedError, RuntimeError) as error:  # encrypted, or an unknown compression
        shutil.rmtree(into, ignore_errors=True)
        raise UnsafeZip(f"{name} cannot be unpacked ({error}); zip it again without a password, with deflate") from None
