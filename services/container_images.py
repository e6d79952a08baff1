"""Intake of uploaded container images: check a `docker save` tarball, and hand the engine only a
canonical copy of it; resolve the user an image runs as from its own files.

A researcher or data scientist uploads an algorithm or evaluation image as the output of
``docker save`` (``.tar``, or gzip-compressed ``.tar.gz``). :func:`inspect_image_tarball` reads
only the tarball's index and the image config (never the layers, never the whole file into
memory) and refuses, with a message the uploader can act on, anything the platform will not run:
more or fewer than one image, another platform than linux/amd64, an image that runs as root, a
tarball over the size limit (a gzip bomb is stopped while it is being decompressed), unsafe
member paths, or a config whose sha256 is not the digest the tarball names.

Both layouts ``docker save`` writes are read: the legacy one (``manifest.json`` and a
``<id>.json`` config) and the OCI one of Docker ≥ 25 (``index.json`` and ``blobs/sha256/…``
with a ``manifest.json`` beside them); an OCI layout without ``manifest.json`` is read through
``index.json``. No Docker call is made here.

A tarball can carry names (``RepoTags``, ``repositories``, index annotations, a second or a
nested ``manifest.json``) that ``docker load`` would point at its image, taking over a name such
as ``gc-hub/training:latest``. So the engine never sees the upload: :func:`canonical_tarball`
writes a fresh legacy tarball from the checked members alone (the config named by its digest,
the layers the manifest lists under new names, ``RepoTags: null``) and the image is known by
its ID from then on.

:func:`resolve_user` turns an image's ``USER`` into the numeric ``uid:gid`` it runs as, reading
the image's /etc/passwd and /etc/group through a reader that never starts the image.
"""

import contextlib
import gzip
import hashlib
import json
import posixpath
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import NamedTuple

from services.core.errors import InvalidValue

SAVE_HINT = "save it with `docker save NAME:TAG -o FILE.tar` (or `docker save NAME:TAG | gzip > FILE.tar.gz`)"
PLATFORM = ("linux", "amd64")
CHUNK = 1 << 20
MAX_TARBALL_BYTES = 20 * 1024**3
MAX_MEMBERS = 10_000  # docker save writes a few per layer; more means this is not its output
MAX_JSON_BYTES = 8 << 20  # manifests and image configs are a few kB
MAX_LINKS = 8  # links followed, in a tarball or in an image, before giving up
OTHER_COMPRESSIONS = {b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd", b"PK\x03\x04": "zip"}
IMAGE_MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


class ImageTarball(NamedTuple):
    """What the intake learnt from a valid tarball.

    ``config_digest`` is the image ID (``sha256:…`` of the config, as ``docker image inspect``
    shows it); ``size_bytes`` is the size of the uncompressed tar (what the engine loads).
    ``repo_tags`` are the names the tarball gives its image: shown, never given to the engine.
    """

    config_digest: str
    repo_tags: list
    architecture: str
    os: str
    user: str
    size_bytes: int


class _Contents(NamedTuple):
    """The members a canonical tarball is made of: the config's bytes and the layer members, in
    the manifest's order (links resolved; a layer may be listed twice)."""

    config: bytes
    layers: list


def inspect_image_tarball(path, *, max_bytes):
    """Check the `docker save` tarball at ``path``; return an :class:`ImageTarball`.

    Raises :class:`InvalidValue` saying what is wrong and what to do about it. A gzip tarball is
    decompressed to a temporary file beside it, deleted before this returns.
    """
    with _checked(path, max_bytes=max_bytes) as (found, _tar, _contents):
        return found


@contextlib.contextmanager
def canonical_tarball(path, *, max_bytes):
    """Check the tarball at ``path`` as :func:`inspect_image_tarball` does; yield ``(found,
    chunks)``: the :class:`ImageTarball` and an iterator over the bytes of a fresh legacy
    ``docker save`` tarball of the same image that holds nothing but the config (named by its
    digest), the layers its manifest lists (under new names) and a manifest with ``RepoTags:
    null``. Loading that adds the image under its ID and no name. Read ``chunks`` inside the
    ``with`` block (a gzip upload's decompressed copy is deleted when it ends)."""
    with _checked(path, max_bytes=max_bytes) as (found, tar, contents):
        yield found, _canonical_chunks(tar, found.config_digest, contents)


@contextlib.contextmanager
def _checked(path, *, max_bytes):
    """``(ImageTarball, open tar, _Contents)`` of the checked tarball at ``path``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(512)
    except OSError as error:
        raise InvalidValue(f"the image tarball cannot be read: {error.strerror or error}") from None
    if size > max_bytes:
        raise InvalidValue(
            f"the image tarball is {_megabytes(size)}, over the limit of {_megabytes(max_bytes)}: "
            "make the image smaller (a slimmer base, fewer layers, no caches) and save it again"
        )
    if head.startswith(b"\x1f\x8b"):
        with (
            _decompressed(path, max_bytes=max_bytes) as tar_path,
            _opened(tar_path, tar_path.stat().st_size, "the gzip file does not hold a tar archive") as checked,
        ):
            yield checked
        return
    for magic, name in OTHER_COMPRESSIONS.items():
        if head.startswith(magic):
            raise InvalidValue(
                f"the file is {name}-compressed; only .tar and gzip-compressed .tar.gz are accepted: {SAVE_HINT}"
            )
    with _opened(path, size, "the file is neither a tar archive nor gzip-compressed") as checked:
        yield checked


@contextlib.contextmanager
def _decompressed(path, *, max_bytes):
    """Decompress the gzip file ``path`` beside itself, stopping as soon as it exceeds ``max_bytes``."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tar", delete=False) as out:
        target = Path(out.name)
        try:
            written = 0
            with gzip.open(path, "rb") as source:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise InvalidValue(
                            f"the image tarball decompresses to more than the limit of {_megabytes(max_bytes)}: "
                            "make the image smaller (a slimmer base, fewer layers, no caches) and save it again"
                        )
                    out.write(chunk)
            out.flush()
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            target.unlink(missing_ok=True)
            raise InvalidValue(
                f"the gzip file is damaged or incomplete ({error}): upload it again, or {SAVE_HINT}"
            ) from None
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


@contextlib.contextmanager
def _opened(path, size_bytes, not_a_tar):
    """Open and check an uncompressed tar; ``not_a_tar`` starts the message when it is none."""
    with path.open("rb") as file:
        file.seek(257)
        if file.read(5) != b"ustar":
            raise InvalidValue(f"{not_a_tar}: {SAVE_HINT}")
    with _tar_errors(), tarfile.open(path, "r:") as tar:
        members = _members(tar, size_bytes)
        config_name, layer_refs, repo_tags = _image(tar, members)
        config_digest, config, config_data = _config(tar, members, config_name)
        layers = [_layer(members, name, size) for name, size in layer_refs]
        found = _check_config(config, config_digest, repo_tags, size_bytes, len(layers))
        yield found, tar, _Contents(bytes(config_data), layers)


@contextlib.contextmanager
def _tar_errors():
    try:
        yield
    except (tarfile.TarError, EOFError) as error:
        raise InvalidValue(
            f"the tar archive is damaged or incomplete ({error}): upload it again, or {SAVE_HINT}"
        ) from None


def _check_config(config, config_digest, repo_tags, size_bytes, layer_count):
    """The ImageTarball of a config that the platform can run, whose layers the manifest lists."""
    os_name, architecture = config.get("os", ""), config.get("architecture", "")
    if (os_name, architecture) != PLATFORM:
        raise InvalidValue(
            f"the image is built for {os_name or '?'}/{architecture or '?'}, but the platform runs linux/amd64 "
            "images: build it with `docker build --platform linux/amd64 …` and save it again"
        )
    user = str((config.get("config") or {}).get("User") or "")
    if _is_root(user):
        shown = f"User is {user!r}" if user else "no User is set"
        raise InvalidValue(
            f"the image runs as root ({shown}): add `USER 1000` to the end of the Dockerfile "
            "(after the installs), build it again and save it again"
        )
    diff_ids = (config.get("rootfs") or {}).get("diff_ids")
    if not isinstance(diff_ids, list) or len(diff_ids) != layer_count:
        count = len(diff_ids) if isinstance(diff_ids, list) else "no"
        raise InvalidValue(
            f"the image config lists {count} layers but the manifest {layer_count}: the file was "
            f"damaged or edited after `docker save`; {SAVE_HINT}"
        )
    return ImageTarball(config_digest, repo_tags, architecture, os_name, user, size_bytes)


def _members(tar, size_bytes):
    """``{normalised name: TarInfo}`` of the archive, refusing unsafe paths, links that escape,
    special files, two entries of one name (``manifest.json`` and ``./manifest.json`` say), and an
    archive cut short (``size_bytes`` is its length)."""
    members = {}
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise InvalidValue(
                f"the tarball has more than {MAX_MEMBERS} entries, which `docker save` never writes: {SAVE_HINT}"
            )
        name = member.name
        if name.startswith("/") or ".." in name.split("/"):
            raise InvalidValue(
                f"the tarball has an entry with an unsafe path ({name!r}); it was not written by "
                f"`docker save`: {SAVE_HINT}"
            )
        if member.issym() or member.islnk():
            base = posixpath.dirname(name) if member.issym() else ""
            target = posixpath.normpath(posixpath.join(base, member.linkname))
            if member.linkname.startswith("/") or target == ".." or target.startswith("../"):
                raise InvalidValue(
                    f"the tarball's entry {name!r} links outside the archive ({member.linkname!r}); "
                    f"it was not written by `docker save`: {SAVE_HINT}"
                )
        elif not (member.isfile() or member.isdir()) or member.issparse():
            raise InvalidValue(
                f"the tarball's entry {name!r} is a device, pipe or sparse file, which `docker save` "
                f"never writes: {SAVE_HINT}"
            )
        name = posixpath.normpath(name)
        if name in members and not (member.isdir() and members[name].isdir()):
            raise InvalidValue(
                f"the tarball has two entries named {name!r}, which `docker save` never writes: {SAVE_HINT}"
            )
        if member.isfile() and member.offset_data + member.size > size_bytes:
            raise InvalidValue(
                f"the tar archive is incomplete: it ends inside {name!r} (an interrupted save or "
                f"upload?): upload it again, or {SAVE_HINT}"
            )
        members[name] = member
    return members


def _image(tar, members):
    """``(config member name, [(layer member name, size or None)], repo tags)`` of the tarball's one image."""
    if "manifest.json" in members:
        manifest = _json(tar, members, "manifest.json", expect=list)
        if not all(isinstance(entry, dict) for entry in manifest):
            raise InvalidValue(f"the tarball's manifest.json is not a list of images: {SAVE_HINT}")
        _exactly_one(len(manifest))
        entry = manifest[0]
        layers = entry.get("Layers") or []
        if not isinstance(layers, list) or not all(isinstance(layer, str) for layer in layers):
            raise InvalidValue(
                f"the tarball's manifest.json lists its layers by something other than names: {SAVE_HINT}"
            )
        if not isinstance(entry.get("Config"), str):
            raise InvalidValue(f"the tarball's manifest.json names no image config: {SAVE_HINT}")
        tags = entry.get("RepoTags") or []
        return (
            entry["Config"],
            [(layer, None) for layer in layers],
            [str(t) for t in tags] if isinstance(tags, list) else [],
        )
    if "index.json" in members:
        return _oci_image(tar, members)
    raise InvalidValue(
        f"the tarball has no manifest.json or index.json, so it is not the output of `docker save`: {SAVE_HINT}"
    )


def _oci_image(tar, members):
    """``(config blob name, [(layer blob name, size)], repo tags)`` of an OCI layout's one image,
    read through index.json."""
    descriptors, tags = _json(tar, members, "index.json", expect=dict).get("manifests") or [], []
    for _ in range(3):  # an index may point to an index (a multi-platform image)
        if not isinstance(descriptors, list) or not all(isinstance(d, dict) for d in descriptors):
            break
        _exactly_one(len(descriptors))
        descriptor = descriptors[0]
        annotations = descriptor.get("annotations") or {}
        tags = tags or [str(t) for t in (annotations.get("io.containerd.image.name"),) if t]
        document = _json(tar, members, _blob_name(descriptor.get("digest")), expect=dict)
        if descriptor.get("mediaType") in INDEX_TYPES or document.get("mediaType") in INDEX_TYPES:
            descriptors = document.get("manifests") or []
            continue
        if document.get("mediaType", IMAGE_MANIFEST_TYPES[0]) not in IMAGE_MANIFEST_TYPES:
            break
        layers = document.get("layers") or []
        if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
            break
        layer_refs = [(_blob_name(layer.get("digest")), layer.get("size")) for layer in layers]
        return _blob_name((document.get("config") or {}).get("digest")), layer_refs, tags
    raise InvalidValue(f"the tarball's index.json does not lead to an image manifest: {SAVE_HINT}")


def _exactly_one(count):
    if count != 1:
        raise InvalidValue(
            f"the tarball holds {count} images; save exactly one with `docker save NAME:TAG -o FILE.tar`"
        )


def _blob_name(digest):
    algorithm, _, value = str(digest).partition(":")
    if algorithm != "sha256" or len(value) != 64:
        raise InvalidValue(f"the tarball names a blob by {digest!r}, not by a sha256 digest: {SAVE_HINT}")
    return f"blobs/sha256/{value}"


def _layer(members, name, size):
    """The regular-file member holding layer ``name`` (links within the archive followed), whose
    size is ``size`` when the manifest says."""
    listed = name
    for _ in range(MAX_LINKS + 1):
        member = members.get(posixpath.normpath(name))
        if member is None:
            raise InvalidValue(
                f"the tarball lacks the layer {listed!r} that its manifest lists "
                f"(an interrupted save or upload?): {SAVE_HINT}"
            )
        if member.isfile():
            if size is not None and size != member.size:
                raise InvalidValue(
                    f"the tarball's layer {listed!r} holds {member.size} bytes, but its manifest says "
                    f"{size}: the file was damaged or edited after `docker save`; {SAVE_HINT}"
                )
            return member
        if not (member.issym() or member.islnk()):
            break
        base = posixpath.dirname(member.name) if member.issym() else ""
        name = posixpath.join(base, member.linkname)
    raise InvalidValue(f"the tarball's layer {listed!r} is not a file: {SAVE_HINT}")


def _config(tar, members, name):
    """``(digest, parsed config, bytes)`` of the image config ``name``, whose sha256 must match its name."""
    member = members.get(posixpath.normpath(name))
    if member is None or not member.isfile():
        raise InvalidValue(f"the tarball lacks the image config {name!r} that its manifest names: {SAVE_HINT}")
    digest, data = hashlib.sha256(), bytearray()
    with tar.extractfile(member) as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            data += chunk
            if len(data) > MAX_JSON_BYTES:
                raise InvalidValue(
                    f"the tarball's image config {name!r} is over {_megabytes(MAX_JSON_BYTES)}, "
                    f"which no image config is: {SAVE_HINT}"
                )
    computed = f"sha256:{digest.hexdigest()}"
    stem = posixpath.basename(name).removesuffix(".json")
    if len(stem) == 64 and stem != digest.hexdigest():
        raise InvalidValue(
            f"the image config's sha256 is {computed[:19]}…, but the tarball names it "
            f"{stem[:12]}…: the file was damaged or edited after `docker save`; save it again"
        )
    return computed, _parse(data, name, expect=dict), data


def _json(tar, members, name, *, expect):
    """The JSON value in member ``name``, which must be an ``expect`` (dict or list)."""
    member = members.get(name)
    if member is None or not member.isfile():
        raise InvalidValue(f"the tarball lacks {name!r}, which its index refers to: {SAVE_HINT}")
    with tar.extractfile(member) as file:
        data = file.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise InvalidValue(f"the tarball's {name!r} is over {_megabytes(MAX_JSON_BYTES)}: {SAVE_HINT}")
    return _parse(data, name, expect=expect)


def _parse(data, name, *, expect):
    try:
        value = json.loads(data)
    except ValueError as error:
        raise InvalidValue(f"the tarball's {name!r} is not valid JSON ({error}): {SAVE_HINT}") from None
    if not isinstance(value, expect):
        shape = "a JSON object" if expect is dict else "a JSON list"
        raise InvalidValue(f"the tarball's {name!r} is not {shape}: {SAVE_HINT}")
    return value


def _canonical_chunks(tar, config_digest, contents):
    """The bytes of a legacy ``docker save`` tarball of ``contents`` and nothing else."""
    config_name = f"{config_digest.removeprefix('sha256:')}.json"
    sources = {}  # canonical name of each distinct layer member
    for member in contents.layers:
        sources.setdefault(member.name, (f"layer-{len(sources)}.tar", member))
    names = [sources[member.name][0] for member in contents.layers]
    manifest = json.dumps([{"Config": config_name, "RepoTags": None, "Layers": names}]).encode()
    yield _header(config_name, len(contents.config)) + _padded(contents.config)
    for name, member in sources.values():
        yield _header(name, member.size)
        copied = 0
        with _tar_errors(), tar.extractfile(member) as file:
            while chunk := file.read(CHUNK):
                copied += len(chunk)
                yield chunk
        if copied != member.size:
            raise InvalidValue(
                f"the tarball's layer {member.name!r} ends after {copied} of its {member.size} bytes: "
                f"upload it again, or {SAVE_HINT}"
            )
        yield bytes(-member.size % tarfile.BLOCKSIZE)
    yield _header("manifest.json", len(manifest)) + _padded(manifest)
    yield bytes(2 * tarfile.BLOCKSIZE)


def _header(name, size):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    return info.tobuf(tarfile.PAX_FORMAT)


def _padded(data):
    return data + bytes(-len(data) % tarfile.BLOCKSIZE)


def _is_root(user):
    """Whether a config's ``User`` ("", "root", "0", "0:0", "root:staff", …) runs as root."""
    name = user.strip().split(":", 1)[0]
    return name in ("", "root") or _number(name) == 0


def _number(text):
    """``text`` as a non-negative integer if it is one in ASCII digits, else None."""
    return int(text) if text.isascii() and text.isdigit() else None


def _megabytes(n):
    return f"{n / 1e6:,.1f} MB"


# --- The user an image runs as -------------------------------------------------------------------

MAX_USER_FILE_BYTES = 1 << 20  # an image's /etc/passwd or /etc/group is a few kB
MAX_ID = 2**31 - 1
NUMERIC_HINT = "set a numeric user and group in its Dockerfile instead, such as `USER 1000:1000`"


class ImageEntry(NamedTuple):
    """One path of an image's filesystem, as a reader that does not start the image saw it:
    ``kind`` is "file" (``data`` holds its bytes unless ``size`` is over MAX_USER_FILE_BYTES),
    "link" (``target`` as written in the link), "other" (a folder, a device, …) or "unreadable"
    (the reader could not tell: links in a loop, say)."""

    kind: str
    data: bytes = b""
    target: str = ""
    size: int = 0


def resolve_user(spec, read_entry):
    """The numeric ``(uid, gid)`` that an image whose config says ``USER spec`` runs as, picked as
    Docker picks them: a name from the image's /etc/passwd (its primary group unless ``spec``
    names one), a group name from its /etc/group, and for a bare numeric uid the group of that
    uid in /etc/passwd, else 0. Files are read only when a name needs them.

    ``read_entry(path)`` gives an :class:`ImageEntry` of the image, or None where it has none;
    links are followed here, inside the image's root, at most MAX_LINKS times. Raises
    :class:`InvalidValue` with what follows "the container image … " in a message: for uid 0,
    and for a user or group that cannot be looked up."""
    spec = spec.strip()
    if _is_root(spec):
        why = f"its USER is {spec!r}" if spec else "no USER is set"
        raise InvalidValue(f"runs as root ({why}); add `USER 1000` (any non-root user) to its Dockerfile")
    user, _, group = spec.partition(":")
    uid, gid = _number(user), _number(group)
    if uid is None or not group:
        passwd = _image_file("/etc/passwd", read_entry, spec)
        by_uid, by_name = (lambda f: int(f[2]) == uid), (lambda f: f[0] == user)
        fields = _entry(passwd, by_name if uid is None else by_uid, ids=(2, 3))
        if fields is None and uid is None:
            place = "its /etc/passwd has no user" if passwd is not None else "it has no /etc/passwd to look up"
            raise InvalidValue(f"has USER {spec!r}, but {place} {user!r}: {NUMERIC_HINT}")
        if uid is None:
            uid = int(fields[2])
            if uid == 0:
                raise InvalidValue(
                    f"runs as root (its USER {user!r} has uid 0 in its /etc/passwd); "
                    "add `USER 1000` (any non-root user) to its Dockerfile"
                )
        if not group:
            gid = int(fields[3]) if fields else 0
    if gid is None:
        groups = _image_file("/etc/group", read_entry, spec)
        fields = _entry(groups, lambda f: f[0] == group, ids=(2,))
        if fields is None:
            place = "its /etc/group has no group" if groups is not None else "it has no /etc/group to look up"
            raise InvalidValue(f"has USER {spec!r}, but {place} {group!r}: {NUMERIC_HINT}")
        gid = int(fields[2])
    if max(uid, gid) > MAX_ID:
        raise InvalidValue(f"has USER {spec!r}, which is beyond the ids Linux gives (0 to {MAX_ID}): {NUMERIC_HINT}")
    return uid, gid


def _image_file(path, read_entry, spec):
    """The text of the image's file ``path`` (links followed inside the image), or None if it has none."""
    asked = path
    for _ in range(MAX_LINKS + 1):
        entry = read_entry(path)
        if entry is None:
            return None
        if entry.kind == "link":
            path = _within_root(posixpath.join(posixpath.dirname(path), entry.target))
            continue
        if entry.kind == "unreadable":
            raise InvalidValue(f"has USER {spec!r}, but its {asked} cannot be read (links in a loop?): {NUMERIC_HINT}")
        if entry.kind != "file":
            raise InvalidValue(f"has USER {spec!r}, but its {asked} is not a file: {NUMERIC_HINT}")
        if entry.size > MAX_USER_FILE_BYTES:
            raise InvalidValue(
                f"has USER {spec!r}, but its {asked} is over {_megabytes(MAX_USER_FILE_BYTES)}: {NUMERIC_HINT}"
            )
        return entry.data.decode("utf-8", errors="replace")
    raise InvalidValue(f"has USER {spec!r}, but its {asked} is a chain of more than {MAX_LINKS} links: {NUMERIC_HINT}")


def _within_root(path):
    """``path`` made absolute and normalised as the image's root sees it: ``..`` stops at ``/``."""
    return "/" + posixpath.normpath("/" + path).lstrip("/")


def _entry(text, matches, *, ids):
    """The fields of the first line of a passwd or group file ``text`` that ``matches``; lines
    whose id fields (columns ``ids``) are not numbers are skipped, as the C library skips them."""
    for line in (text or "").splitlines():
        fields = line.split(":")
        if len(fields) > max(ids) and all(_number(fields[i]) is not None for i in ids) and matches(fields):
            return fields
    return None
