"""The one way the platform unpacks an archive, a zip or a tarball (.tar, .tar.gz or .tgz, .tar.bz2,
.tar.xz), for predictions, ground truth, image uploads and algorithm models: no member lands
outside its folder, no bomb fills the disk, and nothing is left behind when it fails.

What a file is comes from its first bytes, never from its name (``archive_kind``). A zip's
directory is checked first (member names, count, total size, ratio); while extracting, bytes are
counted again, since a directory can lie. A tarball has no directory: it is read once, as a
stream, and each member is checked before any of its bytes are written: a plain relative name, a
regular file or a folder (never a link, hard link, device or FIFO), and the count, total and ratio
so far, counted from its header (tarfile's "data" filter checks each member too, as a second line
of defence). The compressed stream is read to its end, so a damaged one fails its checksum.
Limits are the platform's (``ImportLimits``: ``GC_IMPORT_MAX_EXTRACTED_BYTES``,
``GC_IMPORT_MAX_ZIP_RATIO``, ``GC_IMPORT_MAX_ZIP_MEMBERS``). Unpacking is slow work for a worker,
never for a request handler.
"""

import bz2
import gzip
import lzma
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .core.units import human_bytes

CHUNK = 1024 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# The first bytes of a compressed stream, and how to read it (each checks its own checksum at the end).
COMPRESSED = {b"\x1f\x8b": gzip.open, b"BZh": bz2.open, b"\xfd7zXZ\x00": lzma.open}
# What reading a damaged compressed stream or tarball raises (bz2 and gzip raise OSError).
UNREADABLE = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError)
NOT_FILES = {
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a named pipe (FIFO)",
}
NOTHING_KEPT = "nothing of it was unpacked"


class CannotUnpack(Exception):
    """The archive cannot be unpacked safely; nothing of it is kept. The message says why and
    what to do."""


def archive_kind(path):
    """``"zip"``, ``"tar"`` (plain or compressed) or None (any other file), from the first bytes
    of the file at ``path``. A compressed file that holds no tarball (a ``.nii.gz``) is None; one
    whose start cannot even be decompressed counts as a tarball, so that unpacking it says what
    is wrong with it."""
    with open(path, "rb") as stream:
        head = stream.read(tarfile.BLOCKSIZE)
    if head[:4] in ZIP_MAGIC:
        return "zip"
    for magic, opener in COMPRESSED.items():
        if head.startswith(magic):
            try:
                with opener(path) as stream:
                    head = stream.read(tarfile.BLOCKSIZE)
            except UNREADABLE:
                return "tar"
            break
    return "tar" if _is_tar_header(head) else None


def _is_tar_header(block):
    """Whether ``block`` is a tar header with a valid checksum (a block of zeros is not: a file of
    zeros is no archive)."""
    try:
        tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
    except tarfile.HeaderError:  # too short, all zeros, a bad checksum
        return False
    return True


def unpack(*, path, name, into, limits):
    """Unpack the zip or tarball at ``path`` (shown as ``name``) into ``into``, a folder of its own
    (made fresh: what an earlier attempt left there is removed first): a list of (relative name,
    Path) of its files, in the archive's order. CannotUnpack, and no ``into`` left, if it is not
    safe, cannot be read, or is no archive."""
    path, into = Path(path), Path(into)
    kind = archive_kind(path)
    if kind is None:
        raise CannotUnpack(
            f"{name} is neither a zip nor a tarball (.tar, .tar.gz); pack its files into one and upload that"
        )
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    try:
        return (_unpack_zip if kind == "zip" else _unpack_tar)(path, name, into, limits)
    except BaseException:
        shutil.rmtree(into, ignore_errors=True)
        raise


def made_once(target, make, *, by):
    """Make the folder ``target`` with ``make(folder)`` unless it exists already (made earlier from
    the same bytes): ``make`` fills a fresh folder beside it, renamed to ``target`` once whole, so
    that ``target`` is never seen half made; of two makers (``by`` names each) at once, one folder
    stays. What an earlier attempt of the same maker left half made (its worker died) is removed."""
    target = Path(target)
    if target.exists():
        return
    staging = target.with_name(f"{target.name}{staging_suffix(by)}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        make(staging)
        staging.rename(target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def staging_suffix(by):
    """How the half-made folders of maker ``by`` end (see :func:`made_once`)."""
    return f".partial-{by}"


def remove_half_made(folder, by):
    """Remove the folders that maker ``by`` left half made in ``folder`` (see :func:`made_once`)."""
    for staging in Path(folder).glob(f"*{staging_suffix(by)}"):
        shutil.rmtree(staging, ignore_errors=True)


# --- members ------------------------------------------------------------------------------


def member_path(raw, name, what):
    """The clean relative path of member ``raw`` of the ``what`` (zip or tarball) ``name``, or
    CannotUnpack if it would land outside the archive's folder."""
    text = raw.replace("\\", "/")
    parts = PurePosixPath(text).parts
    if text.startswith("/") or (parts and ":" in parts[0]) or ".." in parts:
        raise CannotUnpack(
            f"{name} holds {raw!r}, a path that points outside the {what}'s folder; {NOTHING_KEPT}:"
            f" pack the files again without '..' or absolute paths"
        )
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def check_total(total, name, packed_size, limits, what, claimed=False):
    """CannotUnpack if ``total`` unpacked bytes are more than one archive may unpack to, or more
    than its ratio allows from ``packed_size`` (past the first 10 MB)."""
    says = "says it unpacks" if claimed else "unpacks"
    if total > limits.max_extracted_bytes:
        raise CannotUnpack(
            f"{name} {says} to {human_bytes(total)}, more than the {human_bytes(limits.max_extracted_bytes)} "
            f"one {what} may unpack to; {NOTHING_KEPT}: send its files in several {what}s"
        )
    if total > limits.max_zip_ratio * max(packed_size, 1) and total > 10 * CHUNK:
        raise CannotUnpack(
            f"{name} {says} to {human_bytes(total)} from {human_bytes(packed_size)}, over "
            f"{limits.max_zip_ratio}× its size: that is a {what} bomb, not data; {NOTHING_KEPT}"
        )


def check_count(count, name, limits, what):
    if count > limits.max_zip_members:
        raise CannotUnpack(
            f"{name} holds more than the {limits.max_zip_members:,} files and folders one {what} may hold;"
            f" {NOTHING_KEPT}: split it"
        )


def write_member(read, target, name, member, counted=None):
    """Write the bytes that ``read(size)`` gives to the new file ``target`` (``counted(n)`` is
    told of each chunk); CannotUnpack if the file cannot be written (a file where a folder should
    be, a name too long, a full disk). Errors of reading pass through."""

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sink = open(target, "wb")  # noqa: SIM115 (closed below; errors of reading must not look like ours)
    except OSError as error:
        raise cannot_write(name, member, error) from None
    with sink:
        while chunk := read(CHUNK):
            if counted is not None:
                counted(len(chunk))
            try:
                sink.write(chunk)
            except OSError as error:
                raise cannot_write(name, member, error) from None


def write_folder(target, name, member):
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise cannot_write(name, member, error) from None


def cannot_write(name, member, error):
    return CannotUnpack(f"{name}: {member!r} could not be unpacked ({error.strerror}); {NOTHING_KEPT}")


# --- zips ---------------------------------------------------------------------------------


def _zip_members(archive, name, packed_size, limits):
    """The zip's files with their clean paths, once its directory passed the checks."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    check_count(len(members), name, limits, "zip")
    check_total(sum(info.file_size for info in members), name, packed_size, limits, "zip", claimed=True)
    paths = []
    for info in members:
        relative = member_path(info.filename, name, "zip")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise CannotUnpack(f"{name} holds a symbolic link ({info.filename!r}); {NOTHING_KEPT}")
        paths.append((info, relative))
    return paths


def _unpack_zip(path, name, into, limits):
    packed_size = path.stat().st_size
    total = 0

    def counted(size):
        nonlocal total
        total += size
        check_total(total, name, packed_size, limits, "zip")

    try:
        with zipfile.ZipFile(path) as archive:
            extracted = []
            for info, relative in _zip_members(archive, name, packed_size, limits):
                target = into / relative
                with archive.open(info) as source:
                    write_member(source.read, target, name, info.filename, counted)
                extracted.append((relative.as_posix(), target))
            return extracted
    except zipfile.BadZipFile as error:
        raise CannotUnpack(f"{name} is not a readable zip ({error}); it may be cut short: upload it again") from None
    except (NotImplementedError, RuntimeError, EOFError, zlib.error) as error:  # encrypted, unknown, cut, damaged
        raise CannotUnpack(
            f"{name} cannot be unpacked ({error}); zip it again without a password, with deflate"
        ) from None


# --- tarballs -----------------------------------------------------------------------------


def _open_stream(path):
    """The file at ``path``, decompressed if it is compressed."""
    with open(path, "rb") as stream:
        head = stream.read(8)
    opener = next((opener for magic, opener in COMPRESSED.items() if head.startswith(magic)), open)
    return opener(path, "rb")


def _checked_tar_member(member, name, into):
    """The clean relative path of a tarball's member, if it is a regular file or folder whose
    name stays inside ``into``; CannotUnpack otherwise."""
    relative = member_path(member.name, name, "tarball")
    if not (member.isfile() or member.isdir()):
        kind = NOT_FILES.get(member.type, "a special file")
        hint = " (tar --dereference stores what links point to)" if member.issym() or member.islnk() else ""
        raise CannotUnpack(f"{name} holds {kind} ({member.name!r}); {NOTHING_KEPT}: pack only files and folders{hint}")
    if member.isfile() and not relative.parts:
        raise CannotUnpack(f"{name} holds a file without a name; {NOTHING_KEPT}: pack the files again")
    try:
        tarfile.data_filter(member, str(into))  # the second line of defence; ours refuses first
    except tarfile.FilterError as error:
        raise CannotUnpack(f"{name}: {member.name!r} is refused ({error}); {NOTHING_KEPT}") from None
    return relative


def _unpack_tar(path, name, into, limits):
    packed_size = path.stat().st_size
    extracted, count, total = [], 0, 0
    try:
        with _open_stream(path) as stream:
            with tarfile.open(fileobj=stream, mode="r|") as archive:
                for member in archive:
                    relative = _checked_tar_member(member, name, into)
                    count += 1
                    check_count(count, name, limits, "tarball")
                    target = into / relative
                    if member.isdir():
                        write_folder(target, name, member.name)
                        continue
                    total += member.size  # what its header says is what tarfile reads for it
                    check_total(total, name, packed_size, limits, "tarball")
                    write_member(archive.extractfile(member).read, target, name, member.name)
                    extracted.append((relative.as_posix(), target))
            while stream.read(CHUNK):  # to the end, so that the stream's checksum is checked
                pass
    except UNREADABLE as error:
        raise CannotUnpack(
            f"{name} is not a readable tarball ({error}); it may be cut short or damaged: upload it again"
        ) from None
    return extracted
