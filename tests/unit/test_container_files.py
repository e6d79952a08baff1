"""``inputs.json`` and ``predictions.json`` (services/contract.py) in grand-challenge's shape, as its
serializers write them and grand-challenge-forge's example containers read them: a job's and an
image's ``pk`` a UUID string, each value's ``interface`` with grand-challenge's kind name and ``super_kind``, ``value``,
``file`` and ``image`` filled as there; and every ``file`` path names a file that is there."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import pytest

from services.contract import describe_job, provision_inputs, store_file
from services.core import orm

# The keys grand-challenge's serializers give (ComponentInterfaceValueSerializer, ComponentInterfaceSerializer,
# JobSerializer), in their order.
VALUE_KEYS = ["interface", "value", "file", "image", "pk"]
INTERFACE_KEYS = ["title", "description", "slug", "kind", "pk", "default_value", "super_kind", "relative_path",
                  "overlay_segments", "look_up_table"]  # fmt: skip
JOB_KEYS = ["pk", "url", "api_url", "algorithm_image", "inputs", "outputs", "status", "hanging_protocol",
            "optional_hanging_protocols", "view_content", "exec_duration", "invoke_duration"]  # fmt: skip


@pytest.fixture
def values(session, tmp_path):
    """A value of each super kind: an image, a CSV file, an integer; stored in a data directory."""
    data_dir = tmp_path / "data"
    image_file = tmp_path / "scan.mha"
    image_file.write_bytes(b"not parsed here")
    stored_image = store_file(image_file, data_dir, "images")
    image = orm.Image(name="case-7.mha", path=stored_image.path, size=stored_image.size, sha256=stored_image.sha256,
                      dimensions=[2, 2], spacing=[1, 1], origin=[0, 0], direction=[1, 0, 0, 1], pixel_type="8-bit "
                      "unsigned integer", created_by="ann")  # fmt: skip
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    sockets = {
        slug: orm.Socket(slug=slug, title=slug.title(), kind=kind, created_by="ann")
        for slug, kind in [("chest-ct", "image"), ("table", "csv"), ("age", "integer"), ("mask", "segmentation")]
    }
    made = {
        "chest-ct": orm.make_value(session, sockets["chest-ct"], image=image),
        "table": orm.make_value(session, sockets["table"], file=store_file(table, data_dir)),
        "age": orm.make_value(session, sockets["age"], value=63),
    }
    session.flush()
    return made, data_dir


def test_inputs_json_has_grand_challenges_shape_and_true_paths(values, tmp_path):
    made, data_dir = values
    input_dir = tmp_path / "input"
    provision_inputs(list(made.values()), input_dir, data_dir)
    entries = {entry["interface"]["slug"]: entry for entry in json.loads((input_dir / "inputs.json").read_text())}
    for entry in entries.values():
        assert list(entry) == VALUE_KEYS and list(entry["interface"]) == INTERFACE_KEYS
        assert isinstance(entry["pk"], int) and isinstance(entry["interface"]["pk"], int)
    image, table, age = entries["chest-ct"], entries["table"], entries["age"]
    assert image["interface"] | {"pk": 0} == {
        "title": "Chest-Ct", "description": "", "slug": "chest-ct", "kind": "Image", "pk": 0, "default_value": None,
        "super_kind": "Image", "relative_path": "images/chest-ct", "overlay_segments": [], "look_up_table": None,
    }  # fmt: skip
    assert image["image"] == {"pk": made["chest-ct"].image.pk, "name": "case-7.mha"}
    assert str(uuid.UUID(image["image"]["pk"])) == image["image"]["pk"], "a UUID, as grand-challenge names images"
    assert image["value"] is None and image["file"] is None
    assert (input_dir / "images/chest-ct/case-7.mha").read_bytes() == b"not parsed here"
    assert (table["interface"]["kind"], table["interface"]["super_kind"]) == ("CSV file", "File")
    assert table["file"] == "/input/table.csv" and table["value"] is None and table["image"] is None
    assert (input_dir / "table.csv").read_text() == "a,b\n1,2\n"
    assert (age["interface"]["kind"], age["interface"]["super_kind"], age["value"]) == ("Integer", "Value", 63)
    assert age["file"] is None and json.loads((input_dir / "age.json").read_text()) == 63


def test_predictions_json_names_jobs_by_uuid_and_every_file_is_where_it_says(values, session, tmp_path):
    made, data_dir = values
    started = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    job = orm.AlgorithmJob(
        pk=str(uuid.uuid4()), creator="bob", container_digest="sha256:" + "a" * 64, status=orm.JobStatus.SUCCEEDED,
        started_at=started, completed_at=started + timedelta(seconds=12.5),
        inputs=[made["chest-ct"], made["table"]], outputs=[made["age"]],
    )  # fmt: skip
    input_dir = tmp_path / "input"
    entry = describe_job(job, input_dir, data_dir)
    assert list(entry) == JOB_KEYS
    assert uuid.UUID(entry["pk"]) and entry["status"] == "Succeeded" and entry["exec_duration"] == "PT12.5S"
    inputs = {value["interface"]["slug"]: value for value in entry["inputs"]}
    assert inputs["table"]["file"] == f"/input/{job.pk}/input/table.csv"
    assert inputs["chest-ct"]["image"]["name"] == "case-7.mha" and inputs["chest-ct"]["file"] is None
    (output,) = entry["outputs"]
    assert output["value"] == 63 and output["file"] is None
    # grand-challenge's containers find an output at /input/<pk>/output/<relative path>.
    assert json.loads((input_dir / job.pk / "output" / output["interface"]["relative_path"]).read_text()) == 63
    for value in entry["inputs"] + entry["outputs"]:
        if value["file"]:
            assert Path(input_dir, PurePosixPath(value["file"]).relative_to("/input")).is_file()
