"""The container contract (as on grand-challenge): how values become files in ``/input`` and
files in ``/output`` become values.

Inputs: each value lands at ``/input/<relative_path>`` of its socket (an image as the one file
inside ``/input/images/<socket>/``), and ``/input/inputs.json`` describes them all. Outputs: the
container writes ``/output/<relative_path>`` for each output socket; :func:`collect_outputs`
checks each against its socket and stores it. Paths stored in the database are relative to the
data directory.
"""

import hashlib
import json
import os
import shutil
import uuid
import zipfile
from pathlib import Path, PurePosixPath

import SimpleITK as sitk

from .core.errors import InvalidValue
from .core.orm import Image, StoredFile, make_value
from .core.orm.images import ColorSpace

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


def describe_value(value, *, file=None):
    """A socket value as ``inputs.json`` and ``predictions.json`` list it (grand-challenge's form)."""
    socket = value.socket
    return {
        "pk": value.id,
        "interface": {
            "slug": socket.slug,
            "title": socket.title,
            "kind": str(socket.kind),
            "relative_path": socket.relative_path,
        },
        "value": value.value if value.file_path is None and value.image_id is None else None,
        "file": file,
        "image": {"pk": value.image.id, "name": value.image.name} if value.image is not None else None,
    }


def write_value(value, folder, data_dir):
    """Write ``value`` under ``folder`` at its socket's relative path; the container path it has
    under ``/input`` (or None for a JSON value, which ``inputs.json`` also carries)."""
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
    return str(PurePosixPath("/input", target.relative_to(folder)))


def provision_inputs(values, input_dir, data_dir):
    """Lay out ``values`` in ``input_dir`` and write ``inputs.json``."""
    entries = [describe_value(value, file=write_value(value, input_dir, data_dir)) for value in values]
    (input_dir / "inputs.json").write_text(json.dumps(entries, indent=2))
    return entries


def new_run_folders(root):
    """Fresh ``input`` and ``output`` folders under ``root``; ``output`` is writable by the
    container's user, whoever it is."""
    if root.exists():
        shutil.rmtree(root)
    (root / "input").mkdir(parents=True)
    (root / "output").mkdir()
    os.chmod(root / "output", 0o777)
    return root / "input", root / "output"


def collect_outputs(session, sockets, output_dir, data_dir, *, owner):
    """One new value per output socket from ``output_dir``; OutputProblems lists every socket
    whose file is missing or does not fit."""
    values, problems = [], []
    for socket in sockets:
        try:
            values.append(collect_output(session, socket, output_dir, data_dir, owner=owner))
        except InvalidValue as problem:
            problems.append(str(problem))
    if problems:
        raise OutputProblems(problems)
    return values


def collect_output(session, socket, output_dir, data_dir, *, owner):
    where = f"/output/{socket.relative_path}"
    path = output_dir / socket.relative_path
    if socket.kind.is_image:
        if not path.is_dir():
            raise InvalidValue(f"output {socket.slug!r}: {where} is missing (a folder with one .mha or .tif file)")
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if len(found) != 1:
            raise InvalidValue(f"output {socket.slug!r}: {where} holds {len(found)} .mha/.tif files; write exactly one")
        return make_value(session, socket, image=store_image(session, found[0], data_dir, owner=owner))
    if not path.is_file():
        raise InvalidValue(f"output {socket.slug!r}: {where} is missing")
    if socket.kind.is_file:
        return make_value(session, socket, file=store_file(path, data_dir))
    try:
        value = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidValue(f"output {socket.slug!r}: {where} is not valid JSON ({error})") from None
    return make_value(session, socket, value=value)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_file(path, data_dir, folder="files"):
    """Move ``path`` into the data directory's ``folder``; a StoredFile with a relative path."""
    checksum = sha256_of(path)
    relative = PurePosixPath(folder, checksum[:2], f"{uuid.uuid4().hex}{path.suffix.lower()}")
    target = absolute(data_dir, relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    return StoredFile(str(relative), target.stat().st_size, checksum)


def store_image(session, path, data_dir, *, owner):
    """An Image row for the output image file ``path``, moved into the data directory's
    ``images/``; its header is read and checked before the file is kept."""
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        raise InvalidValue(f"/output/.../{path.name} is not a readable image") from None
    stored = store_file(path, data_dir, folder="images")
    image = Image(
        name=path.name,
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


def extract_zip(path, folder, *, max_bytes=50 * 1024**3, max_files=100_000):
    """Extract the zip ``path`` into ``folder``, refusing members that would land outside it,
    links, and archives that claim more than ``max_bytes`` or ``max_files`` (zip bombs)."""
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > max_files or sum(m.file_size for m in members) > max_bytes:
            raise InvalidValue(f"{path.name} unpacks to more than {max_bytes // 1024**3} GB or {max_files} files")
        root = folder.resolve()
        for member in members:
            target = (folder / member.filename).resolve()
            if not target.is_relative_to(root) or (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise InvalidValue(f"{path.name}: {member.filename!r} would land outside the folder; zip it again without it")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
