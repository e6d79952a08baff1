"""The client's types come from the services' response models: the checked-in
gc_extension/api_types.py is what the generator writes now, the client's results read their fields
by those types, and gc_extension imports neither the services nor pydantic (it runs in the user
images)."""

import ast
import dataclasses
import typing
from pathlib import Path

import pytest

from gc_extension import api_types, results
from services.api import client_types

GC_EXTENSION = Path(__file__).resolve().parents[2] / "gc_extension"
RESULTS = [
    cls
    for cls in vars(results).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and "SHAPE" in vars(cls)
]


def test_the_checked_in_client_types_are_what_the_generator_writes():
    assert (GC_EXTENSION / "api_types.py").read_text(encoding="utf-8") == client_types.source(), (
        "gc_extension/api_types.py is out of date: run python -m services.api.client_types > gc_extension/api_types.py"
    )


@pytest.mark.parametrize("path", sorted(GC_EXTENSION.rglob("*.py")), ids=lambda p: str(p.relative_to(GC_EXTENSION)))
def test_gc_extension_imports_neither_the_services_nor_pydantic(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        assert not [n for n in names if n.split(".")[0] in ("services", "pydantic")], (path, names)


@pytest.mark.parametrize("cls", RESULTS, ids=lambda cls: cls.__name__)
def test_each_result_reads_the_fields_its_response_type_declares(cls):
    declared = set(typing.get_type_hints(cls.SHAPE))
    own = {f.name for f in dataclasses.fields(cls)} - set(cls.CLIENT_ONLY)
    assert own <= declared, f"{cls.__name__} reads {own - declared}, which {cls.SHAPE.__name__} does not have"
    assert not set(cls.CLIENT_ONLY) & declared, cls.__name__


def test_results_read_times_and_lists_by_the_types():
    phase = results.Phase.from_json(
        {
            "challenge": "demo",
            "slug": "final",
            "title": "Final",
            "submission_kind": "predictions",
            "visibility": "public",
            "opens_at": "2030-01-01T00:00:00+00:00",
            "closes_at": None,
            "algorithm_inputs": ["ct"],
        }
    )
    assert phase.opens_at.year == 2030 and phase.closes_at is None and phase.algorithm_inputs == ("ct",)
    assert typing.get_type_hints(api_types.Phase)["opens_at"] == api_types.Time | None
