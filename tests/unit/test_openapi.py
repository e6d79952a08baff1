"""Every service serves a valid OpenAPI 3.1 document that lists each of its API routes, each
operation with the real schemas of its request body and of each response; live responses are
checked against these (api_responses.py, used by apptools and hubtools)."""

import json

import pytest
from api_responses import ResponseChecker
from apptools import service_app
from openapi_spec_validator import validate

from services.api.common import Body
from services.core.settings import ServiceSettings
from services.web.app import SERVICE_ROUTES, make_app
from services.web.openapi import GROUP


def documents():
    settings = ServiceSettings(database_url="sqlite://")
    return {name: make_app(name, settings, f"/services/{name}/").settings["openapi"] for name in SERVICE_ROUTES}


DOCUMENTS = documents()


def schemas_in(node):
    """Every schema an operation gives (bodies and responses), found under "schema" keys."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema":
                yield value
            else:
                yield from schemas_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from schemas_in(value)


def resolved(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@pytest.mark.parametrize("name", sorted(SERVICE_ROUTES))
def test_openapi_document_is_valid_and_complete(name, tmp_path):
    with service_app(name, f"sqlite:///{tmp_path}/gc.sqlite") as app:
        status, document = app.call("GET", "openapi.json")  # public: no user
    assert status == 200
    validate(document)
    assert document["servers"] == [{"url": f"/services/{name}"}]
    prefix = f"/services/{name}/"
    expected = {
        "/" + GROUP.sub(lambda m: "{" + m["name"] + "}", pattern.removeprefix(prefix))
        for pattern, _ in SERVICE_ROUTES[name](prefix)
    }
    assert expected | {"/api/v1/health", "/api/v1/me"} <= set(document["paths"])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"] and operation["summary"] != method.upper(), (path, method)


@pytest.mark.parametrize("name", sorted(SERVICE_ROUTES))
def test_every_operation_has_real_schemas_for_its_body_and_each_response(name):
    document = DOCUMENTS[name]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            assert responses["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, where
            assert [status for status in responses if status != "default"], f"{where}: no success response"
            if method == "delete" and "204" in responses:
                assert "content" not in responses["204"], where
            if method == "post" and "201" in responses:
                assert "200" not in responses or path.endswith("/answers"), where  # an answer may be a change
            for schema in schemas_in({"body": operation.get("requestBody"), "responses": responses}):
                shown = resolved(document, schema)
                assert shown not in ({}, {"type": "object"}), f"{where}: a placeholder schema {schema}"
                if shown.get("type") == "object":
                    assert shown.get("properties") or shown.get("additionalProperties"), f"{where}: {shown}"
            if method in ("post", "patch", "put") and "requestBody" in operation:
                assert operation["requestBody"]["content"], where


@pytest.mark.parametrize("name", sorted(SERVICE_ROUTES))
def test_request_models_refuse_unknown_fields_and_lists_are_paged(name):
    document = DOCUMENTS[name]
    schemas = document["components"]["schemas"]
    for model in Body.__subclasses__():
        if model.__name__ in schemas:
            assert schemas[model.__name__]["additionalProperties"] is False, model.__name__
    for schema_name, schema in schemas.items():
        if schema_name.endswith("Page"):
            assert set(schema["required"]) == {"count", "offset", "limit", "results"}, schema_name
            assert schema["properties"]["results"]["type"] == "array", schema_name


def test_enums_and_examples_are_in_the_documents():
    challenges = DOCUMENTS["challenges"]["components"]["schemas"]
    assert challenges["Visibility"]["enum"] == ["public", "participants", "hidden"]
    assert set(challenges["JobStatus"]["enum"]) >= {"queued", "succeeded", "failed", "cancelled"}
    assert challenges["PhaseCreate"]["examples"] and challenges["Error"]["examples"]
    assert challenges["PhaseCreate"]["required"] == ["slug", "title"]
    phase = challenges["PhaseAdmin"]["properties"]
    assert {"archive", "ground_truth_path", "method_image"} <= set(phase)
    assert not {"archive", "ground_truth_path", "method_image"} & set(challenges["Phase"]["properties"])


def test_the_checker_refuses_what_the_document_does_not_declare():
    checker = ResponseChecker(DOCUMENTS["archives"])
    json_type = "application/json; charset=UTF-8"
    archive = {"slug": "a", "title": "A", "description": "", "created_by": "x", "created_at": "2030-01-01T00:00:00Z",
               "viewer_configuration": None, "hanging_protocol": None}  # fmt: skip
    checker.check(
        "GET", "/services/archives/api/v1/archives/a", 200, json_type, json.dumps({**archive, "my_roles": []})
    )
    with pytest.raises(AssertionError, match="my_roles"):
        checker.check("GET", "/services/archives/api/v1/archives/a", 200, json_type, json.dumps(archive))
    with pytest.raises(AssertionError, match="Additional properties"):
        body = json.dumps({**archive, "my_roles": [], "secret": 1})
        checker.check("GET", "/services/archives/api/v1/archives/a", 200, json_type, body)
    with pytest.raises(AssertionError, match="declares no 201"):
        checker.check("GET", "/services/archives/api/v1/archives/a", 201, json_type, b"{}")
    with pytest.raises(AssertionError, match="message"):
        checker.check("GET", "/services/archives/api/v1/archives/a", 404, json_type, json.dumps({"status": 404}))
    checker.check("GET", "/services/archives/not-the-api", 200, "text/html", b"<p>")  # undocumented: not checked
