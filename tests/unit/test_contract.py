"""Collecting a container's outputs (services/contract.py) from a real folder: good outputs are
copied into the data directory; links, hard links, pipes, sockets, huge files and odd names are
refused naming the socket's path; and no message quotes what an output held."""

import json
import os
import shutil
import socket as sockets
from types import SimpleNamespace

import pytest
import SimpleITK as sitk

from services.contract import OutputProblems, collect_outputs, new_run_folders, schema_rule_broken
from services.core import orm

SECRET = "SECRET-7f3a"
LIMIT = 1024 * 1024
OUTPUTS = {"result": ("any", "result.json"), "table": ("csv", "table.csv"), "mask": ("segmentation", "images/mask")}


@pytest.fixture
def run(tmp_path):
    """Run folders, a data directory, a host secret beside them, and good outputs in /output."""
    folders = new_run_folders(tmp_path / "runs" / "job-1")
    (tmp_path / "host-secret.txt").write_text(SECRET)
    (folders.input / "scan.mha").write_text(SECRET)
    (folders.output / "result.json").write_text('{"dice": 0.9}')
    (folders.output / "table.csv").write_text("case,dice\n1,0.9\n")
    (folders.output / "images" / "mask").mkdir(parents=True)
    sitk.WriteImage(sitk.Image([4, 4], sitk.sitkUInt8), str(folders.output / "images" / "mask" / "mask.mha"))
    return folders, tmp_path / "data"


def sockets_of(session, outputs=OUTPUTS, **extra_schemas):
    made = []
    for slug, (kind, path) in outputs.items():
        schema = extra_schemas.get(slug)
        made.append(
            orm.Socket(slug=slug, title=slug, kind=kind, relative_path=path, extra_schema=schema, created_by="ann")
        )
    session.add_all(made)
    return made


def collect(session, run, outputs=OUTPUTS, **extra_schemas):
    folders, data_dir = run
    return collect_outputs(session, sockets_of(session, outputs, **extra_schemas), folders, data_dir, owner="bob",
                           max_bytes=LIMIT)  # fmt: skip


def kept_files(data_dir):
    """The files kept in ``data_dir``, images' thumbnails left out (they go with their image)."""
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and p.suffix != ".png") if data_dir.exists() else []


def test_good_outputs_are_copied_into_the_data_directory(session, run):
    folders, data_dir = run
    values = {value.socket.slug: value for value in collect(session, run)}
    assert values["result"].value == {"dice": 0.9}
    table = data_dir / values["table"].file_path
    assert table.read_text() == "case,dice\n1,0.9\n" and values["table"].file_sha256 and values["table"].file_size == 16
    mask = values["mask"].image
    assert mask.name == "mask.mha" and mask.dimensions == [4, 4] and mask.created_by == "bob"
    assert (folders.output / "table.csv").exists(), "copied, not moved"
    assert os.stat(table).st_ino != os.stat(folders.output / "table.csv").st_ino
    assert len(kept_files(data_dir)) == 2


def replace(path, make):
    """Put what ``make(path)`` makes where ``path`` was."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    make(path)


def sparse(path):
    with open(path, "wb") as f:
        f.truncate(1 << 40)


def unix_socket(path):
    server = sockets.socket(sockets.AF_UNIX)
    server.bind(str(path))  # the socket file stays when the object is collected


HOSTILE = {
    "link to /etc/passwd": ("result.json", lambda p: p.symlink_to("/etc/passwd"),
                            "output 'result': /output/result.json is a symbolic link"),
    "link to a host secret": ("table.csv", lambda p: p.symlink_to(p.parents[3] / "host-secret.txt"),
                              "output 'table': /output/table.csv is a symbolic link"),
    "relative link into /input": ("result.json", lambda p: p.symlink_to("../input/scan.mha"),
                                  "output 'result': /output/result.json is a symbolic link"),
    "linked image folder": ("images/mask", lambda p: p.symlink_to("/"),
                            "output 'mask': /output/images/mask is a symbolic link"),
    "linked folder on the way": ("images", lambda p: p.symlink_to(p.parent.parent / "input"),
                                 "output 'mask': /output/images is not a folder"),
    "hard link": ("table.csv", lambda p: os.link(p.parent / "result.json", p),
                  "output 'table': /output/table.csv is a hard link"),
    "named pipe": ("result.json", os.mkfifo, "output 'result': /output/result.json is a named pipe"),
    "unix socket": ("table.csv", unix_socket, "output 'table': /output/table.csv is a socket"),
    "sparse 1 TB file": ("table.csv", sparse, "output 'table': /output/table.csv is 1,099,511,627,776 bytes, over the"),
    "huge JSON": ("result.json", sparse, "output 'result': /output/result.json is 1,099,511,627,776 bytes, over the"),
    "a folder for a file": ("result.json", os.mkdir, "output 'result': /output/result.json is a folder, not a file"),
    "image is a link": ("images/mask/mask.mha", lambda p: p.symlink_to("/etc/passwd"),
                        "output 'mask': the .mha file in /output/images/mask/ is a symbolic link"),
    "image is a pipe": ("images/mask/mask.mha", os.mkfifo,
                        "output 'mask': the .mha file in /output/images/mask/ is a named pipe"),
    "image folder is a file": ("images/mask", lambda p: p.write_text(SECRET),
                               "output 'mask': /output/images/mask/ is a file (write a folder with one .mha"),
}  # fmt: skip


@pytest.mark.parametrize("attack", HOSTILE)
def test_hostile_outputs_are_refused_naming_the_sockets_path(session, run, attack):
    folders, data_dir = run
    path, make, words = HOSTILE[attack]
    replace(folders.output / path, make)
    with pytest.raises(OutputProblems) as refused:
        collect(session, run)
    message = str(refused.value)
    assert words in message, message
    assert SECRET not in message and "root:" not in message
    assert kept_files(data_dir) == [], "nothing of a refused run is kept"


def test_names_with_odd_bytes_are_refused_without_being_echoed(session, run):
    folders, data_dir = run
    name = b"images/mask/\x1b]0;" + SECRET.encode() + b"\xff.mha"
    os.close(os.open(os.path.join(bytes(folders.output), name), os.O_CREAT))
    with pytest.raises(OutputProblems) as refused:
        collect(session, run)
    message = str(refused.value)
    assert "output 'mask': /output/images/mask is a folder holding a file whose name is not printable text" in message
    assert SECRET not in message and "\x1b" not in message
    assert kept_files(data_dir) == []


def test_an_image_keeps_a_plain_name_only(session, run):
    folders, _data_dir = run
    (folders.output / "images" / "mask" / "mask.mha").rename(folders.output / "images" / "mask" / f"{SECRET} x.mha")
    values = collect(session, run)
    assert [v.image.name for v in values if v.image] == ["mask.mha"]


JSON_ATTACKS = {
    "invalid JSON": ("any", None, f'{{"{SECRET}": ', "/output/result.json is not valid JSON"),
    "not UTF-8": ("any", None, b"\xff" + SECRET.encode(), "is not valid JSON (it is not UTF-8 text)"),
    "NaN": ("any", None, f'{{"{SECRET}": NaN}}', "(it holds NaN or an infinite number)"),
    "infinite number": ("any", None, f'{{"{SECRET}": 1e999}}', "(it holds NaN or an infinite number)"),
    "too deep": ("any", None, "[" * 100_000, "(it is nested too deeply)"),
    "wrong type": ("integer", None, json.dumps(SECRET), 'does not fit the socket\'s schema at /: "type": "integer"'),
    "extra schema enum": ("string", {"enum": ["a", "b"]}, json.dumps(SECRET), '"enum": ["a", "b"]'),
    "a key of its own": ("any", {"type": "object", "additionalProperties": False}, json.dumps({SECRET: 1}),
                         'at /: "additionalProperties": false'),
    "deep in a key of its own": ("any", {"additionalProperties": {"type": "integer"}},
                                 json.dumps({SECRET: SECRET}), 'at /*: "type": "integer"'),
    "a false schema": ("any", {"properties": {"a": False}}, json.dumps({"a": SECRET}),
                       "the schema allows nothing there"),
    "deep in the kind's schema": ("multiple-points", None,
                                  json.dumps({"type": "Multiple points", "points": [{"point": [1, 2, SECRET]}]}),
                                  'at /points/0/point/2: "type": "number"'),
}  # fmt: skip


@pytest.mark.parametrize("attack", JSON_ATTACKS)
def test_messages_say_how_a_value_is_wrong_never_what_it_held(session, run, attack):
    folders, _data_dir = run
    kind, extra_schema, content, words = JSON_ATTACKS[attack]
    (folders.output / "result.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(OutputProblems) as refused:
        collect(session, run, {"result": (kind, "result.json")}, result=extra_schema)
    message = str(refused.value)
    assert message.startswith("output 'result': /output/result.json") and words in message, message
    assert SECRET not in message


def test_one_bad_output_keeps_none_of_the_others(session, run):
    folders, data_dir = run
    (folders.output / "result.json").write_text("{")
    (folders.output / "images" / "mask" / "extra.tif").write_text("x")
    with pytest.raises(OutputProblems) as refused:
        collect(session, run)
    assert refused.value.problems == [
        "output 'result': /output/result.json is not valid JSON",
        "output 'mask': /output/images/mask/ holds 2 .mha/.tif files; write exactly one",
    ]
    assert kept_files(data_dir) == []


def test_an_output_checked_against_a_schema_stored_with_a_remote_reference_fetches_nothing():
    """A schema stored before references were refused: the output cannot be checked, and the
    message quotes the schema (its creator's words), not the value."""
    socket = SimpleNamespace(kind="any", extra_schema={"properties": {"a": {"$ref": "http://127.0.0.1:9/x.json"}}})
    message = schema_rule_broken(socket, {"a": SECRET})
    assert message.startswith("cannot be checked: the socket's schema refers to 'http://127.0.0.1:9/x.json'")
    assert SECRET not in message
