"""Paths that people name (a phase's ground truth, an uploaded file's name, a socket's relative
path): each must be written plainly and lie inside the folder it is meant for.

A path is read as grand-challenge and the container contract write it: relative, with ``/``
between its parts. It is normalised first and checked after, so that no spelling
(``mine/..``, ``mine/./x``, ``mine//x``, ``mine\\..\\other``, ``/etc``) can name another place
than the one it seems to; a spelling that normalises to something else is refused rather than
rewritten, so what is stored is what was checked. Given the folder on disk, links are followed
too: a symbolic link inside the folder cannot lead out of it.
"""

import posixpath
from pathlib import Path

from .errors import InvalidValue

MAX_PATH = 1024


class UnsafePath(InvalidValue):
    """A path that is not written plainly, or that names something outside its folder."""

    status = 400


def inside(field, path, folder="", root=None):
    """``path`` without a trailing ``/``, if it is a plain relative path strictly inside
    ``folder`` (relative too; "" for any relative path); UnsafePath saying what is wrong
    otherwise. With ``root`` (the folder on disk that both are relative to), ``path`` must also
    stay inside ``folder`` once symbolic links on disk are followed."""
    place = f"{posixpath.normpath(folder)}/" if folder else "its folder"
    if not isinstance(path, str) or not path.strip():
        raise UnsafePath(f"{field} must be a path inside {place}, not {path!r}.")
    if len(path) > MAX_PATH or any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise UnsafePath(f"{field} must be at most {MAX_PATH} characters without control characters.")
    if "\\" in path:
        raise UnsafePath(f"{field} {path!r}: separate folders with '/', not '\\'.")
    if path.startswith("/"):
        raise UnsafePath(f"{field} {path!r} is absolute; give a relative path inside {place}.")
    plain = path[:-1] if path.endswith("/") else path
    normal = posixpath.normpath(plain)
    base = posixpath.normpath(folder) if folder else "."
    if normal == base:
        raise UnsafePath(f"{field} {path!r} names {place} itself; give a path inside it.")
    if normal == ".." or normal.startswith("../") or (base != "." and not normal.startswith(base + "/")):
        raise UnsafePath(f"{field} {path!r} leads outside {place}; give a path inside it.")
    if normal != plain:
        raise UnsafePath(f"{field} {path!r} is not written plainly (no '.', '..' or empty parts); write {normal!r}.")
    if root is not None:
        resolved, allowed = Path(root, normal).resolve(), Path(root, base).resolve()
        if resolved == allowed or not resolved.is_relative_to(allowed):
            raise UnsafePath(f"{field} {path!r} leads outside {place} through a link on disk; give a path inside it.")
    return normal


def ground_truth_folder(challenge_slug):
    """Where a challenge's ground truth lies in the data directory: its own folder, so that no
    challenge's evaluations can be pointed at another's ground truth (or anyone's uploads)."""
    return f"ground-truth/{challenge_slug}/"


def ground_truth_handover(challenge_slug, phase_slug, upload_file_id):
    """Where a phase's ground truth is unpacked to (a folder), and where upload file
    ``upload_file_id``, handed over as its new ground truth, waits meanwhile (an archive); both
    relative to the data directory."""
    folder = f"{ground_truth_folder(challenge_slug)}{phase_slug}"
    return folder, f"{folder}/incoming-{upload_file_id}"


def check_ground_truth_path(path, challenge_slug, data_dir):
    """``path`` if it names something inside the challenge's ground-truth folder, links on disk
    followed; UnsafePath (400) otherwise, so that no organiser reaches another's ground truth.
    Checked when a phase is saved and again when an evaluation mounts it."""
    folder = ground_truth_folder(challenge_slug)
    try:
        return inside("ground_truth_path", path, folder, root=data_dir)
    except UnsafePath as unsafe:
        raise UnsafePath(
            f"{unsafe.message} Challenge {challenge_slug!r} keeps its ground truth inside {folder};"
            " upload it (POST …/phases/<phase>/ground-truth) and it is put there."
        ) from None
