"""The container contract (as on grand-challenge): how values become files in ``/input`` and
files in ``/output`` become values.

Inputs: each value lands at ``/input/<relative_path>`` of its socket (an image as the one file
inside ``/input/images/<socket>/``), and ``/input/inputs.json`` describes them all. Outputs: the
container writes ``/output/<relative_path>`` for each output socket; :func:`collect_outputs`
checks each against its socket and stores it. Paths stored in the database are relative to the
data directory.

What a container leaves in ``/output`` is hostile (see services/untrusted_files.py): it is read
through :class:`UntrustedFolder` only, and copied, never moved. Messages about outputs say which
socket's path was wrong and how, never what it held (the case may be hidden from the one who
reads the message): no value, no file contents, no file name the container chose.
"""

import hashlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import SimpleITK as sitk

from .core.errors import InvalidValue
from .core.orm import Image, StoredFile, make_value
from .core.orm.images import ColorSpace
from .core.schemas import SCHEMAS, UnresolvableReference, value_error
from .imaging.conversion import Upload
from .imaging.sandbox import import_in_sandbox
from .imaging.store import remove_stored
from .imaging.thumbnails import write_thumbnail
from .untrusted_files import UnsafeFile, UntrustedFolder

IMAGE_SUFFIXES = (".mha", ".tif", ".tiff")


class OutputProblems(Exception):
    """Outputs that do not fit their sockets: one line per socket, saying which and why."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def absolute(data_dir, path):
    """``path`` (relative to the data directory, or absolute) as an absolute Path."""
    return Path(data_dir, path)


def place(source, target):
    """Put ``source`` at ``target`` without copying when the file system allows (a hard link);
    the container sees inputs read-only, so sharing the inode is safe."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def describe_socket(socket):
    """A socket as grand-challenge describes it to containers (its ComponentInterfaceSerializer)."""
    return {
        "title": socket.title,
        "description": socket.description,
        "slug": socket.slug,
        "kind": socket.kind.grand_challenge_name,
        "pk": socket.id,
        "default_value": None,
        "super_kind": socket.super_kind,
        "relative_path": socket.relative_path,
        "overlay_segments": [],
        "look_up_table": None,
    }


def describe_value(value, *, file=None):
    """A socket value as ``inputs.json`` and ``predictions.json`` list it, in grand-challenge's
    shape: ``value`` for a JSON value, ``image`` (its UUID and name) for an image, ``file`` (where
    the file is in the container) for a file."""
    is_json = value.file_path is None and value.image_id is None
    return {
        "interface": describe_socket(value.socket),
        "value": value.value if is_json else None,
        "file": file if value.file_path is not None else None,
        "image": {"pk": value.image.pk, "name": value.image.name} if value.image is not None else None,
        "pk": value.id,
    }


def write_value(value, folder, data_dir, *, mounted=None):
    """Write ``value`` under ``folder`` at its socket's relative path (an image as the one file in
    that folder); the container path it has, with ``mounted`` (default: ``folder``) as ``/input``."""
    relative = value.socket.relative_path
    if value.image is not None:
        source = absolute(data_dir, value.image.path)
        target = folder / relative / (PurePosixPath(value.image.name).stem + source.suffix)
        place(source, target)
    elif value.file_path is not None:
        target = folder / relative
        place(absolute(data_dir, value.file_path), target)
    else:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value.value))
    return str(PurePosixPath("/input", target.relative_to(mounted or folder)))


def provision_inputs(values, input_dir, data_dir):
    """Lay out ``values`` in ``input_dir`` and write ``inputs.json``."""
    entries = [describe_value(value, file=write_value(value, input_dir, data_dir)) for value in values]
    (input_dir / "inputs.json").write_text(json.dumps(entries, indent=2))
    return entries


def describe_job(job, input_dir, data_dir):
    """A successful job as ``predictions.json`` lists it (grand-challenge's JobSerializer): its
    outputs laid out at ``/input/<pk>/output/<relative_path>``, its file inputs at
    ``/input/<pk>/input/<relative_path>``, so that every ``file`` it names is there."""
    folder = input_dir / job.pk

    def laid_out(value, side):
        return write_value(value, folder / side, data_dir, mounted=input_dir)

    return {
        "pk": job.pk,
        "url": None,
        "api_url": None,
        "algorithm_image": job.container_digest,
        "inputs": [describe_value(v, file=laid_out(v, "input") if v.file_path else None) for v in job.inputs],
        "outputs": [describe_value(v, file=laid_out(v, "output")) for v in job.outputs],
        "status": "Succeeded",
        "hanging_protocol": None,
        "optional_hanging_protocols": [],
        "view_content": {},
        "exec_duration": iso_duration(job.started_at, job.completed_at),
        "invoke_duration": None,
    }


def iso_duration(start, end):
    """The time from ``start`` to ``end`` as an ISO 8601 duration (``PT12.5S``), or None."""
    return None if start is None or end is None else f"PT{(end - start).total_seconds():g}S"


class RunFolders(NamedTuple):
    """The folders of one container run: ``input`` and ``output`` (mounted as /input and /output)
    and ``staging``, where the worker copies the outputs it keeps before they are stored."""

    input: Path
    output: Path
    staging: Path


def new_run_folders(root):
    """Fresh run folders under ``root``; ``output`` is writable by the container's user, whoever it is."""
    if root.exists():
        shutil.rmtree(root)
    folders = RunFolders(root / "input", root / "output", root / "staging")
    for folder in folders:
        folder.mkdir(parents=True)
    os.chmod(folders.output, 0o777)
    return folders


# JSON values are kept in the database: no output value or metrics.json may be larger than this.
JSON_LIMIT_BYTES = 16 * 1024 * 1024
# The name an output image keeps when the container's own is plain enough; else the socket's.
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def collect_outputs(session, sockets, folders, data_dir, *, owner, max_bytes, runner=None):
    """One new value per output socket from ``folders.output`` (files of at most ``max_bytes``);
    OutputProblems lists every socket whose output is missing or does not fit, and then nothing
    of the run's outputs is kept in the data directory. Image outputs are staged, then converted
    together in one sandboxed importer (on ``runner``'s engine): no header a container wrote is
    parsed in this process."""
    values, problems, staged = {}, [], {}
    with UntrustedFolder(folders.output) as output:
        for socket in sockets:
            try:
                if socket.kind.is_image:
                    staged[socket.slug] = stage_image(
                        output, socket.relative_path, folders.staging / socket.slug, max_bytes=max_bytes
                    )
                else:
                    values[socket.slug] = collect_output(
                        session, socket, output, folders.staging, data_dir, max_bytes=max_bytes
                    )
            except (InvalidValue, UnsafeFile) as problem:
                problems.append(f"output {socket.slug!r}: {problem}")
    images = {}
    if staged and not problems:  # one container for all of them, and none when the run failed anyway
        images = import_images(staged, folders.staging, data_dir, owner=owner, runner=runner)
    for socket in sockets:
        if socket.slug in images:
            image = images[socket.slug]
            if isinstance(image, Image):
                session.add(image)
                values[socket.slug] = make_value(session, socket, image=image)
            else:
                problems.append(f"output {socket.slug!r}: {image}")
    kept = [values[socket.slug] for socket in sockets if socket.slug in values]
    if problems:
        discard_files(kept, data_dir)
        raise OutputProblems(problems)
    return kept


def collect_output(session, socket, output, staging, data_dir, *, max_bytes):
    """The value of the file or JSON output ``socket`` from ``output`` (an UntrustedFolder)."""
    relative = socket.relative_path
    if socket.kind.is_file:
        where = output.where(relative)
        if output.kind(relative) is None:
            raise InvalidValue(f"{where} is missing")
        staged = staging / f"{socket.slug}{PurePosixPath(relative).suffix.lower()}"
        copied = output.copy(relative, staged, max_bytes=max_bytes)
        return make_value(session, socket, file=store_file(staged, data_dir, sha256=copied.sha256))
    value = read_json(output, relative)
    problem = schema_rule_broken(socket, value)
    if problem:
        raise InvalidValue(f"{output.where(relative)} {problem}")
    return make_value(session, socket, value=value)


def import_images(staged, staging, data_dir, *, owner, runner=None):
    """``{socket slug: Image, or why there is none}`` of the image outputs ``staged``
    (``{slug: StagedImage}``, copies under ``staging``), converted in one
    sandboxed importer. A refusal says where the image was and what is needed, never what the
    importer read in it (the container chose every byte)."""
    uploads = [Upload(str(image.path), image.name, slug) for slug, image in staged.items()]
    results = {}
    for outcome in import_in_sandbox(uploads, folder=staging, data_dir=data_dir, runner=runner):
        for slug in outcome.keys:
            results[slug] = (
                image_row(outcome.image, name=staged[slug].name, owner=owner)
                if outcome.image
                else f"the image in {staged[slug].where} is not one gc-hub can read "
                "(write one .mha that holds its voxels, or a .tif)"
            )
    return results


def image_row(stored, *, name, owner):
    """An Image row (not yet added) for ``stored``, an imaging.store.StoredImage."""
    fields = {field: getattr(stored, field) for field in stored.__dataclass_fields__}
    return Image(name=name[:255], created_by=owner, **fields | {"color_space": ColorSpace(stored.color_space)})


class StagedImage(NamedTuple):
    """An output image copied out of a container's /output, not parsed yet."""

    path: Path  # the copy
    name: str  # the name to give the image
    where: str  # the folder it was in, as messages name it


def stage_image(output, relative, staging, *, max_bytes):
    """Copy the one .mha/.tif file in the folder ``relative`` of ``output`` into the new folder
    ``staging``: its StagedImage."""
    shown = f"{output.where(relative)}/"
    kind = output.kind(relative)
    if kind != "folder":
        state = "is missing" if kind is None else "is a file"
        raise InvalidValue(f"{shown} {state} (write a folder with one .mha or .tif file)")
    found = [name for name in output.names(relative) if PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES]
    if len(found) != 1:
        raise InvalidValue(f"{shown} holds {len(found)} .mha/.tif files; write exactly one")
    suffix = PurePosixPath(found[0]).suffix.lower()
    staged = Path(staging, f"image{suffix}")
    try:
        output.copy(str(PurePosixPath(relative, found[0])), staged, max_bytes=max_bytes)
    except UnsafeFile as refused:  # named by its folder: the file's own name is the container's
        raise UnsafeFile(f"the {suffix} file in {shown}", refused.reason) from None
    name = found[0] if PLAIN_NAME.fullmatch(found[0]) else f"{PurePosixPath(relative).name or 'image'}{suffix}"
    return StagedImage(staged, name, shown)


class NotFinite(ValueError):
    """NaN or an infinite number: Python's json reads them, JSON has none."""


def _finite(text):
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise NotFinite(text)
    return number


def _not_a_number(text):
    raise NotFinite(text)


def read_json(output, relative):
    """The JSON value in the file ``relative`` of ``output``; InvalidValue saying how it is not
    one (never quoting it: a parser's message can)."""
    where = output.where(relative)
    if output.kind(relative) is None:
        raise InvalidValue(f"{where} is missing")
    data = output.read_bytes(relative, max_bytes=JSON_LIMIT_BYTES)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_not_a_number, parse_float=_finite)
    except UnicodeDecodeError:
        raise InvalidValue(f"{where} is not valid JSON (it is not UTF-8 text)") from None
    except NotFinite:
        raise InvalidValue(f"{where} is not valid JSON (it holds NaN or an infinite number)") from None
    except RecursionError:
        raise InvalidValue(f"{where} is not valid JSON (it is nested too deeply)") from None
    except ValueError:
        raise InvalidValue(f"{where} is not valid JSON") from None


def property_names(schema):
    """Every property name a schema declares (under ``properties``, at any depth)."""
    if isinstance(schema, list):
        return set().union(*map(property_names, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    names = set(schema["properties"]) if isinstance(schema.get("properties"), dict) else set()
    return names.union(*map(property_names, schema.values()))


def schema_rule_broken(socket, value):
    """How ``value`` breaks the schemas of JSON ``socket``, in words that never quote the value: where
    (a JSON pointer; keys the schemas do not name are ``*``) and the schema's rule; None if it fits."""
    try:
        error = value_error(socket.kind, value, socket.extra_schema)
    except UnresolvableReference as unresolvable:  # the schema's words, not the value's
        return f"cannot be checked: {unresolvable}"
    if error is None:
        return None
    named = property_names(SCHEMAS[socket.kind]) | property_names(socket.extra_schema)
    steps = [str(p) if isinstance(p, int) or p in named else "*" for p in error.absolute_path]
    pointer = "".join("/" + step.replace("~", "~0").replace("/", "~1") for step in steps) or "/"
    if error.validator is None:  # a ``false`` schema
        return f"does not fit the socket's schema at {pointer}: the schema allows nothing there"
    rule = json.dumps(error.validator_value)
    rule = rule if len(rule) <= 120 else rule[:119] + "…"
    return f"does not fit the socket's schema at {pointer}: {json.dumps(error.validator)}: {rule}"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_file(path, data_dir, folder="files", *, sha256=None):
    """Move ``path`` (a file the platform made or copied: never a container's own) into the data
    directory's ``folder``; a StoredFile with a relative path."""
    checksum = sha256 or sha256_of(path)
    relative = PurePosixPath(folder, checksum[:2], f"{uuid.uuid4().hex}{path.suffix.lower()}")
    target = absolute(data_dir, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    return StoredFile(str(relative), target.stat().st_size, checksum)


def store_image(session, path, data_dir, *, owner, name=None):
    """An Image row for the image file ``path``, moved into the data directory's ``images/``.
    Only for the platform's own files (the demo's, the tests'): its header is read here, so a
    file that a user or a container made goes through :func:`import_images` instead."""
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        raise InvalidValue(f"{path.name} is not a readable image") from None
    stored = store_file(path, data_dir, folder="images")
    kept = absolute(data_dir, stored.path)
    write_thumbnail(sitk.ReadImage(str(kept)), kept.with_suffix(".png"))  # the platform's own file
    image = Image(
        name=name or path.name,
        path=stored.path,
        size=stored.size,
        sha256=stored.sha256,
        dimensions=list(reader.GetSize()),
        spacing=list(reader.GetSpacing()),
        origin=list(reader.GetOrigin()),
        direction=list(reader.GetDirection()),
        pixel_type=sitk.GetPixelIDValueAsString(reader.GetPixelID()),
        color_space=ColorSpace.RGB if reader.GetNumberOfComponents() == 3 else ColorSpace.GRAY,
        created_by=owner,
    )
    session.add(image)
    return image


def discard_files(values, data_dir):
    """Remove the files of ``values`` (stored, then not kept after all) from the data directory,
    an image's thumbnail with it."""
    for value in values:
        if value.image is not None:
            remove_stored(absolute(data_dir, value.image.path))
        elif value.file_path is not None:
            absolute(data_dir, value.file_path).unlink(missing_ok=True)
