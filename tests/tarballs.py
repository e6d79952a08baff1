"""Tarballs for the tests of unpacking: good ones, and hostile ones that every place the platform
unpacks must refuse (with the words its message must hold)."""

import io
import tarfile
from pathlib import Path

SYMLINK, HARDLINK, CHAR_DEVICE, FIFO = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE


def tarball(path, members, compression="gz", mode=0o644):
    """A tarball at ``path`` (``compression``: gz, bz2, xz or "" for none) of ``members``: ``{name:
    bytes}`` for files, ``{name: (tarfile type, link target)}`` for anything else."""
    with tarfile.open(path, f"w:{compression}" if compression else "w") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.mode = mode
            if isinstance(content, bytes):
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
            else:
                info.type, info.linkname = content
                archive.addfile(info)
    return Path(path)


def tar_bomb(path, size=200 * 1024 * 1024):
    """A .tar.gz of one member of ``size`` zero bytes (about 1000:1)."""
    with tarfile.open(path, "w:gz", compresslevel=9) as archive:
        info = tarfile.TarInfo("weights.bin")
        info.size = size
        archive.addfile(info, Zeros(size))
    return Path(path)


class Zeros(io.RawIOBase):
    """``size`` zero bytes, read without holding them all."""

    def __init__(self, size):
        self.left = size

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n

    def readable(self):
        return True


# name -> (members, words the refusal says)
HOSTILE = {
    "parent-path": ({"weights/ok.bin": b"ok", "../../escape.txt": b"x"}, "a path that points outside"),
    "absolute-path": ({"/tmp/gc-hub-escape.txt": b"x"}, "a path that points outside"),
    "symlink": ({"weights/ok.bin": b"ok", "weights/passwd": (SYMLINK, "/etc/passwd")}, "holds a symbolic link"),
    "hardlink": ({"weights/ok.bin": b"ok", "weights/again": (HARDLINK, "weights/ok.bin")}, "holds a hard link"),
    "device": ({"weights/null": (CHAR_DEVICE, "")}, "holds a character device"),
    "fifo": ({"weights/pipe": (FIFO, "")}, "holds a named pipe"),
}


def damaged(path, members, how):
    """A .tar.gz of ``members`` at ``path``, cut short (``how="truncated"``) or with one byte of its
    compressed data flipped (``how="flipped"``)."""
    data = bytearray(tarball(path, members).read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    Path(path).write_bytes(bytes(data))
    return Path(path)


ATTACKS = (*sorted(HOSTILE), "bomb", "truncated")


def hostile_tarball(path, attack):
    """Write the tarball of ``attack`` (one of ATTACKS) at ``path``: the words its refusal holds."""
    if attack in HOSTILE:
        members, words = HOSTILE[attack]
        tarball(path, members)
        return words
    if attack == "bomb":
        tar_bomb(path)
        return "that is a tarball bomb, not data"
    damaged(path, {"w.bin": bytes(range(256)) * 400}, "truncated")
    return "is not a readable tarball"
