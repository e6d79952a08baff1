"""Fixtures shared by the unit tests."""

import pytest
from sqlalchemy.orm import Session

from services.core import orm
from services.core.database import make_engine


@pytest.fixture
def session():
    """A session on a fresh in-memory platform database with every table."""
    engine = make_engine("sqlite://")
    orm.Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
