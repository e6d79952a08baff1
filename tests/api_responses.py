"""Live API responses checked against their service's OpenAPI document: a response to a documented
operation must have a documented status, and its JSON must fit that status's schema (JSON
Schema draft 2020-12); every JSON error must be the Error schema (the proxy and tornado's HTTP
layer answer some errors in HTML before a handler runs: those are not the API's). The unit-level app helper
(apptools.py) and the stack tests' HTTP calls (hubtools.py) run every response through this."""

import json
import re

from jsonschema import Draft202012Validator

PARAMETER = re.compile(r"\\\{(\w+)\\\}")


class ResponseChecker:
    """Checks the responses of one service against its OpenAPI document."""

    def __init__(self, document):
        self.document = document
        self.prefix = document["servers"][0]["url"]
        templates = sorted(document["paths"], key=lambda path: (path.count("{"), path))  # literal paths first
        self.paths = [(re.compile(PARAMETER.sub(r"[^/]+", re.escape(path))), path) for path in templates]
        self.validators = {}

    def operation(self, method, url_path):
        """The document's operation for ``method`` on ``url_path`` (None if it has none)."""
        path = url_path.split("?", 1)[0].removeprefix(self.prefix)
        template = next((template for pattern, template in self.paths if pattern.fullmatch(path)), None)
        return template and self.document["paths"][template].get(method.lower())

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self.validators:
            self.validators[key] = Draft202012Validator({**schema, "components": self.document["components"]})
        return self.validators[key]

    def check(self, method, url_path, status, content_type, body):
        """AssertionError saying what does not fit, for a response to a documented operation;
        ``body`` is the response's bytes."""
        operation = self.operation(method, url_path)
        if operation is None:
            return
        where = f"{method} {url_path} → {status}"
        declared = operation["responses"].get(str(status))
        if declared is None and status < 400:
            raise AssertionError(f"{where}: the OpenAPI document declares no {status} for this operation")
        declared = declared or operation["responses"]["default"]
        media = (content_type or "").split(";")[0].strip()
        if status >= 400 and media != "application/json":
            return
        content = declared.get("content", {})
        if not content:
            assert not body, f"{where}: declared without content, answered {body[:200]!r}"
            return
        assert media in content, f"{where}: answered {media or 'no content type'}, declared {sorted(content)}"
        if media != "application/json":
            return
        errors = sorted(self.validator(content[media]["schema"]).iter_errors(json.loads(body)), key=str)
        if errors:
            shown = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in errors[:5])
            raise AssertionError(f"{where}: the response does not fit its OpenAPI schema: {shown}")
