"""Reading what an untrusted container left in a folder, without following anything it made.

A container's ``/output`` (and any folder a container could write) is hostile: symbolic links that
point anywhere (absolute, relative, or valid only after a move), hard links, FIFOs that block a
reader, devices, sockets, files of terabytes (sparse ones cost the container nothing), names with
odd bytes. :class:`UntrustedFolder` opens every path one component at a time, relative to the
folder's descriptor, with ``O_NOFOLLOW``; accepts regular files and folders only; checks sizes
before and while reading; and copies the bytes it keeps (a user's inode never enters the data
directory). Refusals name the path as the caller asked for it and the reason, never the contents,
nor a name the container chose.
"""

import errno
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath
from typing import NamedTuple

CHUNK = 1 << 20
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC

KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


class UnsafeFile(Exception):
    """A path that is not a plain file or folder of reasonable size; the message says which and why."""

    def __init__(self, shown, reason):
        super().__init__(f"{shown} is {reason}; write regular files and folders only")
        self.shown, self.reason = shown, reason


class Copied(NamedTuple):
    """A file copied out of an untrusted folder: its size and sha256 (hex)."""

    size: int
    sha256: str


def kind_of(mode):
    """What a (non-regular, non-folder) file is, in words."""
    for test, words in KINDS:
        if test(mode):
            return words
    return "not a regular file"


def clean_parts(relative):
    """The components of ``relative`` (a path the platform chose, e.g. a socket's), refusing ``..``,
    empty and absolute paths: they are never meant to leave the folder."""
    parts = [part for part in PurePosixPath(str(relative)).parts if part not in ("", ".")]
    if str(relative).startswith("/") or ".." in parts or any("\0" in part for part in parts):
        raise ValueError(f"{relative!r} is not a path inside the folder")
    return parts


def is_plain_name(name):
    """Whether a file name a container chose is printable text (no control characters, valid UTF-8)."""
    return name.isprintable() and not any(0xDC80 <= ord(c) <= 0xDCFF for c in name)


class UntrustedFolder:
    """A folder written by someone untrusted, opened once; use as a context manager.

    ``shown`` is how messages name the folder (``/output`` for a container's outputs)."""

    def __init__(self, path, *, shown="/output"):
        self.shown = shown
        self.fd = os.open(path, FOLDER_FLAGS)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def where(self, relative):
        return str(PurePosixPath(self.shown, *clean_parts(relative)))

    def _lstat(self, parts):
        """(descriptor of the folder holding the last part, its lstat) or FileNotFoundError;
        the caller closes the descriptor. Every folder on the way is opened without following."""
        fd = os.dup(self.fd)
        try:
            for index, part in enumerate(parts[:-1]):
                try:
                    inner = os.open(part, FOLDER_FLAGS, dir_fd=fd)
                except OSError as error:
                    if error.errno in (errno.ELOOP, errno.ENOTDIR):
                        shown = str(PurePosixPath(self.shown, *parts[: index + 1]))
                        raise UnsafeFile(shown, "not a folder (a link or a file where a folder should be)") from None
                    raise
                os.close(fd)
                fd = inner
            return fd, os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except BaseException:
            os.close(fd)
            raise

    def kind(self, relative):
        """``"file"``, ``"folder"`` or None (missing); UnsafeFile for anything else."""
        parts = clean_parts(relative)
        if not parts:
            return "folder"
        try:
            fd, info = self._lstat(parts)
        except FileNotFoundError:
            return None
        os.close(fd)
        if stat.S_ISREG(info.st_mode):
            return "file"
        if stat.S_ISDIR(info.st_mode):
            return "folder"
        raise UnsafeFile(self.where(relative), kind_of(info.st_mode))

    def names(self, relative=""):
        """The names in the folder ``relative``, sorted; UnsafeFile if one is not printable text."""
        parts = clean_parts(relative)
        fd = os.dup(self.fd) if not parts else None
        if fd is None:
            holder, info = self._lstat(parts)
            try:
                if not stat.S_ISDIR(info.st_mode):
                    reason = "a file, not a folder" if stat.S_ISREG(info.st_mode) else kind_of(info.st_mode)
                    raise UnsafeFile(self.where(relative), reason)
                fd = os.open(parts[-1], FOLDER_FLAGS, dir_fd=holder)
            finally:
                os.close(holder)
        try:
            names = os.listdir(fd)
        finally:
            os.close(fd)
        if not all(is_plain_name(name) for name in names):
            raise UnsafeFile(self.where(relative), "a folder holding a file whose name is not printable text")
        return sorted(names)

    def _open_file(self, relative, max_bytes):
        """A descriptor of the regular file ``relative`` of at most ``max_bytes``."""
        parts = clean_parts(relative)
        if not parts:
            raise UnsafeFile(self.shown, "a folder, not a file")
        holder, info = self._lstat(parts)
        try:
            shown = self.where(relative)
            if stat.S_ISDIR(info.st_mode):
                raise UnsafeFile(shown, "a folder, not a file")
            if not stat.S_ISREG(info.st_mode):
                raise UnsafeFile(shown, kind_of(info.st_mode))
            if info.st_nlink > 1:
                raise UnsafeFile(shown, "a hard link to another file")
            if info.st_size > max_bytes:
                raise UnsafeFile(shown, f"{info.st_size:,} bytes, over the {max_bytes:,} bytes allowed")
            fd = os.open(parts[-1], FILE_FLAGS, dir_fd=holder)
        finally:
            os.close(holder)
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino) or not stat.S_ISREG(opened.st_mode):
            os.close(fd)
            raise UnsafeFile(shown, "a file that changed while it was opened")
        return fd

    def read_bytes(self, relative, *, max_bytes):
        """The bytes of the regular file ``relative``, at most ``max_bytes`` of them."""
        fd = self._open_file(relative, max_bytes)
        with os.fdopen(fd, "rb") as stream:
            data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise UnsafeFile(self.where(relative), f"over the {max_bytes:,} bytes allowed")
        return data

    def copy(self, relative, target, *, max_bytes):
        """Copy the regular file ``relative`` to the new file ``target`` (never replaced);
        its size and sha256. Nothing is left at ``target`` when the copy is refused."""
        fd = self._open_file(relative, max_bytes)
        digest, size = hashlib.sha256(), 0
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(fd, "rb") as source, open(target, "xb") as sink:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise UnsafeFile(self.where(relative), f"over the {max_bytes:,} bytes allowed")
                    digest.update(chunk)
                    sink.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return Copied(size, digest.hexdigest())
