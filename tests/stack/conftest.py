"""Every test in this folder runs against the real stack: it carries the ``stack`` marker, so that
``pytest -m "not stack"`` runs the unit tests alone."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.stack)
