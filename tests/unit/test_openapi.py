"""Every service serves a valid OpenAPI document that lists each of its API routes."""

import pytest
from apptools import service_app
from openapi_spec_validator import validate

from services.web.app import SERVICE_ROUTES
from services.web.openapi import GROUP


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
