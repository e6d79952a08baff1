"""Intake of uploaded container images: check a `docker save` tarball before the engine loads it.

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
"""

import contextlib
import io
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
MAX_MEMBERS = 10_000  # docker save writes a few per layer; more means this is not its output
MAX_JSON_BYTES = 8 << 20  # manifests and image configs are a few kB
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
    """

    config_digest: str
    repo_tags: list
    architecture: str
    os: str
    user: str
    size_bytes: int


def inspect_image_tarball(path, *, max_bytes):
    """Check the `docker save` tarball at ``path``; return an :class:`ImageTarball`.

    Raises :class:`InvalidValue` saying what is wrong and what to do about it. A gzip tarball is
    decompressed to a temporary file beside it, deleted before this returns.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(512)
    except OSError as error:
        raise InvalidValue(f"the image tarball cannot be read: {error.strerror or error}") from None
    if size > max_bytes:
        raise InvalidValue(f"the image tarball is {_megabytes(size)}, over the limit of {_megabytes(max_bytes)}: "
                           "make the image smaller (a slimmer base, fewer layers, no caches) and save it again")
    if head.startswith(b"\x1f\x8b"):
        with _decompressed(path, max_bytes=max_bytes) as tar_path:
            return _inspect_tar(tar_path, tar_path.stat().st_size, "the gzip file does not hold a tar archive")
    for magic, name in OTHER_COMPRESSIONS.items():
        if head.startswith(magic):
            raise InvalidValue(f"the file is {name}-compressed; only .tar and gzip-compressed .tar.gz are accepted: "
                               f"{SAVE_HINT}")
    return _inspect_tar(path, size, "the file is neither a tar archive nor gzip-compressed")


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
            raise InvalidValue(f"the gzip file is damaged or incomplete ({error}): upload it again, "
                               f"or {SAVE_HINT}") from None
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def _inspect_tar(path, size_bytes, not_a_tar):
    """Inspect an uncompressed tar; ``not_a_tar`` starts the message when it is none."""
    with path.open("rb") as file:
        file.seek(257)
        if file.read(5) != b"ustar":
            raise InvalidValue(f"{not_a_tar}: {SAVE_HINT}")
    try:
        with tarfile.open(path, "r:") as tar:
            members = _members(tar, size_bytes)
            config_name, repo_tags = _image(tar, members)
            config_digest, config = _config(tar, members, config_name)
    except (tarfile.TarError, EOFError) as error:
        raise InvalidValue(
            f"the tar archive is damaged or incomplete ({error}): upload it again, or {SAVE_HINT}"
        ) from None
    os_name, architecture = config.get("os", ""), config.get("architecture", "")
    if (os_name, architecture) != PLATFORM:
        raise InvalidValue(
            f"the image is built for {os_name or '?'}/{architecture or '?'}, but the platform runs linux/amd64 "
            "images: build it with `docker build --platform linux/amd64 …` and save it again"
        )
    user = str((config.get("config") or {}).get("User") or "")
    if _is_root(user):
        shown = f"User is {user!r}" if user else "no User is set"
        raise InvalidValue(f"the image runs as root ({shown}): add `USER 1000` to the end of the Dockerfile "
                           "(after the installs), build it again and save it again")
    return ImageTarball(config_digest, repo_tags, architecture, os_name, user, size_bytes)


def _members(tar, size_bytes):
    """``{name: TarInfo}`` of the archive, refusing unsafe paths, links that escape, special files,
    and an archive cut short (``size_bytes`` is its length)."""
    members = {}
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise InvalidValue(f"the tarball has more than {MAX_MEMBERS} entries, which `docker save` never writes: "
                               f"{SAVE_HINT}")
        name = member.name
        if name.startswith("/") or ".." in name.split("/"):
            raise InvalidValue(f"the tarball has an entry with an unsafe path ({name!r}); it was not written by "
                               f"`docker save`: {SAVE_HINT}")
        if member.issym() or member.islnk():
            base = posixpath.dirname(name) if member.issym() else ""
            target = posixpath.normpath(posixpath.join(base, member.linkname))
            if member.linkname.startswith("/") or target == ".." or target.startswith("../"):
                raise InvalidValue(f"the tarball's entry {name!r} links outside the archive ({member.linkname!r}); "
                                   f"it was not written by `docker save`: {SAVE_HINT}")
        elif not (member.isfile() or member.isdir()):
            raise InvalidValue(f"the tarball's entry {name!r} is a device or pipe, which `docker save` never writes: "
                               f"{SAVE_HINT}")
        while name.startswith("./"):
            name = name[2:]
        if name in members and not member.isdir():
            raise InvalidValue(f"the tarball has two entries named {name!r}, which `docker save` never writes: "
                               f"{SAVE_HINT}")
        if member.isfile() and member.offset_data + member.size > size_bytes:
            raise InvalidValue(f"the tar archive is incomplete: it ends inside {name!r} (an interrupted save or "
                               f"upload?): upload it again, or {SAVE_HINT}")
        members[name] = member
    return members


def _image(tar, members):
    """``(config member name, repo tags)`` of the tarball's one image."""
    if "manifest.json" in members:
        manifest = _json(tar, members, "manifest.json", expect=list)
        if not all(isinstance(entry, dict) for entry in manifest):
            raise InvalidValue(f"the tarball's manifest.json is not a list of images: {SAVE_HINT}")
        _exactly_one(len(manifest))
        entry = manifest[0]
        for layer in entry.get("Layers") or []:
            if layer not in members:
                raise InvalidValue(f"the tarball lacks the layer {layer!r} that its manifest.json lists "
                                   f"(an interrupted save or upload?): {SAVE_HINT}")
        if not isinstance(entry.get("Config"), str):
            raise InvalidValue(f"the tarball's manifest.json names no image config: {SAVE_HINT}")
        return entry["Config"], list(entry.get("RepoTags") or [])
    if "index.json" in members:
        return _oci_image(tar, members)
    raise InvalidValue(f"the tarball has no manifest.json or index.json, so it is not the output of `docker save`: "
                       f"{SAVE_HINT}")


def _oci_image(tar, members):
    """``(config blob name, repo tags)`` of an OCI layout's one image, read through index.json."""
    descriptors, tags = _json(tar, members, "index.json", expect=dict).get("manifests") or [], []
    for _ in range(3):  # an index may point to an index (a multi-platform image)
        _exactly_one(len(descriptors))
        descriptor = descriptors[0]
        annotations = descriptor.get("annotations") or {}
        tags = tags or [t for t in (annotations.get("io.containerd.image.name"),) if t]
        document = _json(tar, members, _blob_name(descriptor.get("digest")), expect=dict)
        if descriptor.get("mediaType") in INDEX_TYPES or document.get("mediaType") in INDEX_TYPES:
            descriptors = document.get("manifests") or []
            continue
        if document.get("mediaType", IMAGE_MANIFEST_TYPES[0]) not in IMAGE_MANIFEST_TYPES:
            break
        return _blob_name((document.get("config") or {}).get("digest")), tags
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


def _config(tar, members, name):
    """``(digest, parsed config)`` of the image config ``name``, whose sha256 must match its name."""
    if name not in members:
        raise InvalidValue(f"the tarball lacks the image config {name!r} that its manifest names: {SAVE_HINT}")
    digest, data = hashlib.sha256(), bytearray()
    with tar.extractfile(members[name]) as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            data += chunk
            if len(data) > MAX_JSON_BYTES:
                raise InvalidValue(f"the tarball's image config {name!r} is over {_megabytes(MAX_JSON_BYTES)}, "
                                   f"which no image config is: {SAVE_HINT}")
    computed = f"sha256:{digest.hexdigest()}"
    stem = posixpath.basename(name).removesuffix(".json")
    if len(stem) == 64 and stem != digest.hexdigest():
        raise InvalidValue(f"the image config's sha256 is {computed[:19]}…, but the tarball names it "
                           f"{stem[:12]}…: the file was damaged or edited after `docker save`; save it again")
    return computed, _parse(data, name, expect=dict)


def _json(tar, members, name, *, expect):
    """The JSON value in member ``name``, which must be an ``expect`` (dict or list)."""
    if name not in members:
        raise InvalidValue(f"the tarball lacks {name!r}, which its index refers to: {SAVE_HINT}")
    with tar.extractfile(members[name]) as file:
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


def _is_root(user):
    """Whether a config's ``User`` ("", "root", "0", "0:0", "root:staff", …) runs as root."""
    name = user.strip().split(":", 1)[0]
    return name in ("", "root") or (name.isdigit() and int(name) == 0)


def _megabytes(n):
    return f"{n / 1e6:,.1f} MB"


# Names an image carries inside a tarball: docker load would point these tags at it.
TAG_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


def write_untagged(source, sink):
    """Copy the checked tarball ``source`` (.tar or .tar.gz) to the open file ``sink`` as a plain
    tar without the names it gives its image. Loading it then adds an image but moves no tag:
    an upload must never take over a name (``gc-hub/training:latest``, say) that others run."""
    with tarfile.open(source, "r:*") as tar, tarfile.open(fileobj=sink, mode="w") as out:
        for member in tar:
            if member.name == "repositories":
                continue
            data = tar.extractfile(member) if member.isfile() else None
            if member.name in ("manifest.json", "index.json"):
                document = json.loads(data.read())
                for entry in document if isinstance(document, list) else document.get("manifests") or []:
                    entry.pop("RepoTags", None)
                    for name in TAG_ANNOTATIONS:
                        (entry.get("annotations") or {}).pop(name, None)
                payload = json.dumps(document).encode()
                member.size = len(payload)
                data = io.BytesIO(payload)
            out.addfile(member, data)
