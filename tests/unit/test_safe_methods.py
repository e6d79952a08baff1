"""A GET never changes state: the handlers' one way to write (``commit``) refuses during a GET,
whatever a handler did before; nothing it added is kept. (The reveal of a reader study's ground
truth, once a GET, is a POST: tests/unit/test_reader_study_reading.py.)"""

from sqlalchemy import func, select
from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application

from services.core import orm
from services.core.database import make_engine
from services.web.base import ServiceHandler


class Writer(ServiceHandler):
    """A handler that writes on every method, as a careless one might."""

    async def prepare(self):  # no hub to ask who this is
        pass

    def get_current_user(self):
        return {"name": "ann"}

    def check_xsrf_cookie(self):
        pass

    def write_something(self):
        self.db.add(orm.Challenge(slug=f"c-{self.request.method.lower()}", title="C", created_by="ann"))
        self.commit()
        self.finish("written")

    get = post = write_something


class GetNeverWrites(AsyncHTTPTestCase):
    def get_app(self):
        self.engine = make_engine("sqlite://")
        orm.Base.metadata.create_all(self.engine)
        return Application([("/", Writer)], platform={"engine": self.engine})

    def challenges(self):
        with self.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(orm.Challenge))

    def test_a_get_that_tries_to_commit_fails_and_writes_nothing(self):
        assert self.fetch("/").code == 500
        assert self.challenges() == 0

    def test_a_post_writes(self):
        assert self.fetch("/", method="POST", body=b"").code == 200
        assert self.challenges() == 1
