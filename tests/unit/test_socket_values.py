"""Socket values: each JSON kind's schema, the socket's extra schema, and which kinds take what."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from services.core import orm
from services.core.errors import InvalidValue
from services.core.schemas import SCHEMAS, SocketKind, value_problem

XYZ = [1.5, -2, 30]

# kind: (a value it takes, a value it refuses, what the refusal says)
EXAMPLES = {
    "string": ("left lung", 3, "3 is not of type 'string'"),
    "integer": (63, "abc", "'abc' is not of type 'integer'"),
    "float": (0.25, "0.25", "'0.25' is not of type 'number'"),
    "bool": (False, "no", "'no' is not of type 'boolean'"),
    "any": ({"anything": [1, None]}, float("nan"), "nan is not JSON"),
    "choice": ("high", ["high"], "['high'] is not of type 'string'"),
    "multiple-choice": (["low", "high"], ["low", "low"], "['low', 'low'] has non-unique elements"),
    "2d-bounding-box": (
        {"type": "2D bounding box", "name": "nodule", "corners": [XYZ, XYZ, XYZ, XYZ]},
        {"type": "2D bounding box", "corners": [XYZ, XYZ, XYZ]},
        "at corners: [[1.5, -2, 30], [1.5, -2, 30], [1.5, -2, 30]] is too short",
    ),
    "point": ({"type": "Point", "point": XYZ}, {"type": "Point", "point": [1, 2]}, "at point: [1, 2] is too short"),
    "multiple-points": (
        {"type": "Multiple points", "points": [{"point": XYZ, "name": "a"}, {"point": XYZ}]},
        {"type": "Multiple points", "points": [{"point": [1, 2, "z"]}]},
        "at points[0].point[2]: 'z' is not of type 'number'",
    ),
    "polygon": (
        {"type": "Polygon", "path_points": [XYZ, XYZ, XYZ]},
        {"type": "Polygon", "path_points": [XYZ, XYZ]},
        "at path_points: [[1.5, -2, 30], [1.5, -2, 30]] is too short",
    ),
    "line": (
        {"type": "Line", "points": [XYZ, XYZ]},
        {"type": "Point", "points": [XYZ, XYZ]},
        "at type: 'Line' was expected",
    ),
    "distance": (
        {"type": "Distance measurement", "start": XYZ, "end": XYZ},
        {"type": "Distance measurement", "start": XYZ},
        "'end' is a required property",
    ),
}


def socket(slug, kind, extra_schema=None):
    return orm.Socket(slug=slug, title=slug, kind=kind, extra_schema=extra_schema, created_by="ann")


def test_every_json_kind_has_a_schema_and_an_example():
    assert set(EXAMPLES) == set(SCHEMAS) == {kind for kind in SocketKind if kind.is_json}
    assert all(kind.is_image + kind.is_json + kind.is_file == 1 for kind in SocketKind)


@pytest.mark.parametrize("kind", EXAMPLES)
def test_a_json_kind_takes_a_valid_value_and_refuses_an_invalid_one(session, kind):
    valid, invalid, problem = EXAMPLES[kind]
    value = orm.make_value(session, socket("answer", kind), value=valid)
    session.commit()
    assert session.scalars(select(orm.SocketValue)).one().value == valid and value.image is None
    with pytest.raises(InvalidValue) as raised:
        orm.make_value(session, value.socket, value=invalid)
    assert raised.value.message.startswith(f"socket 'answer': {problem}")
    assert raised.value.status == 422


def test_the_message_names_the_socket_and_the_problem(session):
    with pytest.raises(InvalidValue) as raised:
        orm.make_value(session, socket("age", "integer"), value="abc")
    assert raised.value.message == "socket 'age': 'abc' is not of type 'integer'"


def test_json_null_is_a_value_of_kind_any(session):
    orm.make_value(session, socket("anything", "any"), value=None)
    session.commit()
    assert session.scalars(select(orm.SocketValue)).one().value is None
    with pytest.raises(InvalidValue, match="socket 'name': None is not of type 'string'"):
        orm.make_value(session, socket("name", "string"), value=None)


def test_the_extra_schema_applies_after_the_kind(session):
    age = socket("age", "integer", {"minimum": 0, "maximum": 130})
    assert orm.make_value(session, age, value=130).value == 130
    with pytest.raises(InvalidValue, match="socket 'age': -1 is less than the minimum of 0"):
        orm.make_value(session, age, value=-1)
    with pytest.raises(InvalidValue, match="socket 'age': 1.5 is not of type 'integer'"):
        orm.make_value(session, age, value=1.5)
    grade = socket("grade", "choice", {"enum": ["low", "high"]})
    with pytest.raises(InvalidValue, match=r"socket 'grade': 'mid' is not one of \['low', 'high'\]"):
        orm.make_value(session, grade, value="mid")
    findings = socket("findings", "multiple-choice", {"items": {"enum": ["nodule", "mass"]}})
    with pytest.raises(InvalidValue, match="socket 'findings': at \\[1\\]: 'cyst' is not one of"):
        orm.make_value(session, findings, value=["mass", "cyst"])
    named = socket("seed", "point", {"required": ["name"]})
    with pytest.raises(InvalidValue, match="socket 'seed': 'name' is a required property"):
        orm.make_value(session, named, value={"type": "Point", "point": XYZ})


def test_an_extra_schema_must_be_a_json_schema():
    with pytest.raises(InvalidValue, match="socket 'age': the extra schema is not a valid JSON Schema: at type:"):
        socket("age", "integer", {"type": "whole number"})


REMOTE = [
    "http://127.0.0.1:9/schema.json",
    "https://example.org/s.json#/x",
    "file:///etc/passwd",
    "other.json",
    "//example.org/s.json",
    "https://json-schema.org/draft/2020-12/schema",
    "urn:x:y",
]


@pytest.mark.parametrize(
    "where",
    [
        lambda ref: {"$ref": ref},
        lambda ref: {"type": "object", "properties": {"a": {"$ref": ref}}},
        lambda ref: {"type": "array", "items": {"allOf": [{"type": "number"}, {"$ref": ref}]}},
        lambda ref: {"$defs": {"x": {"anyOf": [{"$ref": ref}]}}, "$ref": "#/$defs/x"},
        lambda ref: {"$dynamicRef": ref},
        lambda ref: {"not": {"$recursiveRef": ref}},
    ],
)
@pytest.mark.parametrize("ref", REMOTE)
def test_an_extra_schema_refers_to_nothing_outside_itself(where, ref):
    with pytest.raises(InvalidValue, match="must stand alone: its .* refers outside it, and nothing is fetched"):
        socket("age", "any", where(ref))


@pytest.mark.parametrize(
    "schema, words",
    [
        (
            {"$id": "https://example.org/", "$ref": "#/$defs/x", "$defs": {"x": {}}},
            "$id 'https://example.org/' at /$id",
        ),
        ({"properties": {"a": {"$id": "s.json"}}}, "$id 's.json' at /properties/a/$id"),
        ({"$schema": "http://json-schema.org/draft-04/schema#"}, "is not https://json-schema.org/draft/2020-12/schema"),
        ({"$schema": "https://example.org/my-dialect"}, "$schema 'https://example.org/my-dialect'"),
    ],
)
def test_an_extra_schema_cannot_move_its_base_or_dialect(schema, words):
    with pytest.raises(InvalidValue) as refused:
        socket("age", "any", schema)
    assert words in refused.value.message


def test_an_extra_schema_may_refer_to_its_own_parts(session):
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"size": {"type": "number", "minimum": 0}},
        "type": "object",
        "properties": {"w": {"$ref": "#/$defs/size"}, "$ref": {"type": "string"}},
    }
    sizes = socket("sizes", "any", schema)
    assert orm.make_value(session, sizes, value={"w": 3, "$ref": "x"}).value == {"w": 3, "$ref": "x"}
    with pytest.raises(InvalidValue, match="at w: -1 is less than the minimum of 0"):
        orm.make_value(session, sizes, value={"w": -1})


def test_a_stored_schema_that_refers_elsewhere_fetches_nothing(tmp_path):
    """Stored before the check existed: the validator's registry refuses every retrieval."""
    asked = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(json.dumps({"type": "string"}).encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"enum": ["the-secret-value"]}))
    try:
        for ref in (f"http://127.0.0.1:{server.server_port}/s.json", secret.as_uri(), "file:///etc/passwd"):
            for schema in ({"$ref": ref}, {"type": "object", "properties": {"a": {"items": {"$ref": ref}}}}):
                problem = value_problem(SocketKind.ANY, {"a": [1]}, schema)
                assert problem.startswith(f"the socket's schema refers to {ref!r}, which it does not hold"), problem
                assert "the-secret-value" not in problem and "root:" not in problem
    finally:
        server.shutdown()
    assert asked == []


@pytest.mark.parametrize("kind", ["image", "segmentation", "heat-map", "csv", "zip", "pdf", "png", "json-file"])
def test_image_and_file_kinds_refuse_a_json_value(session, kind):
    wanted = "an image" if SocketKind(kind).is_image else "a file"
    with pytest.raises(InvalidValue, match=f"socket 'out' takes {wanted} \\({kind}\\), not a JSON value"):
        orm.make_value(session, socket("out", kind), value={"a": 1})


def test_json_kinds_refuse_images_and_files(session):
    age = socket("age", "integer")
    with pytest.raises(InvalidValue, match=r"socket 'age' takes a JSON value \(integer\), not an image"):
        orm.make_value(session, age, image=orm.Image(name="ct.mha"))
    with pytest.raises(InvalidValue, match=r"socket 'age' takes a JSON value \(integer\), not a file"):
        orm.make_value(session, age, file=orm.StoredFile("a.json", 2, "0" * 64))
    with pytest.raises(InvalidValue, match="socket 'age' takes a JSON value \\(integer\\), not nothing"):
        orm.make_value(session, age)
    with pytest.raises(InvalidValue, match="not a JSON value and an image"):
        orm.make_value(session, age, value=1, image=orm.Image(name="ct.mha"))


def test_image_kinds_take_an_image_and_file_kinds_a_file_with_their_extension(session):
    ct = orm.make_value(session, socket("ct", "image"), image=orm.Image(name="ct.mha"))
    assert ct.image.name == "ct.mha" and ct.value is None and ct.file is None
    with pytest.raises(InvalidValue, match="socket 'ct' takes an image \\(image\\), not a file"):
        orm.make_value(session, ct.socket, file=("ct.mha", 1, "0" * 64))
    with pytest.raises(InvalidValue, match="socket 'mask': 'ct.mha' is not an image"):
        orm.make_value(session, socket("mask", "segmentation"), image="ct.mha")

    report = socket("report", "pdf")
    stored = orm.make_value(session, report, file=("reports/1/Report.PDF", 2048, "0" * 64))
    assert stored.file == orm.StoredFile("reports/1/Report.PDF", 2048, "0" * 64)
    with pytest.raises(InvalidValue, match="socket 'report': 'report.docx' is not a .pdf file"):
        orm.make_value(session, report, file=("reports/report.docx", 1, "0" * 64))
    with pytest.raises(InvalidValue, match="socket 'report': -1 is not a file size"):
        orm.make_value(session, report, file=("report.pdf", -1, "0" * 64))
    with pytest.raises(InvalidValue, match="socket 'report': 'ABC' is not a SHA-256 in lowercase hex"):
        orm.make_value(session, report, file=("report.pdf", 1, "ABC"))
