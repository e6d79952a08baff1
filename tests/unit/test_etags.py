"""Lists and details answer with an ETag: 304 without a body while unchanged, 200 with a new ETag
once changed, and a user's ETag never stands for another user's answer."""

import gzip

import pytest
from apptools import fake_hub_auth, service_app

from services.web.base import Kept, accepts_gzip


def test_an_unchanged_list_or_detail_is_304_and_a_changed_one_200_with_a_new_etag(database_url, monkeypatch):
    with fake_hub_auth(monkeypatch), service_app("archives", database_url) as archives:
        for slug in ("ct", "mr"):
            assert archives.call("POST", "archives", "researcher", {"slug": slug, "title": slug})[0] == 201
        for path in ("api/v1/archives?limit=10", "api/v1/archives/ct"):
            first = archives.get(path, "researcher")
            assert first.code == 200 and first.headers["Cache-Control"] == "private, no-cache"
            again = archives.get(path, "researcher", {"If-None-Match": first.headers["Etag"]})
            assert again.code == 304 and again.body == b""
            assert archives.call("PATCH", "archives/ct", "researcher", {"title": f"CT {path}"})[0] == 200
            changed = archives.get(path, "researcher", {"If-None-Match": first.headers["Etag"]})
            assert changed.code == 200 and changed.headers["Etag"] != first.headers["Etag"]
            assert f"CT {path}".encode() in changed.body

        # another user's answer is another's: their ETag gets them their own list, not a 304
        mine = archives.get("api/v1/archives", "researcher")
        theirs = archives.get("api/v1/archives", "researcher2", {"If-None-Match": mine.headers["Etag"]})
        assert theirs.code == 200 and b'"count":0' in theirs.body


@pytest.mark.parametrize(
    "header, accepted",
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("gzip;q=nonsense", False),
        ("deflate, br", False),
        ("identity", False),
        ("", False),
        (None, False),
    ],
)
def test_which_clients_accept_gzip(header, accepted):
    assert accepts_gzip(header) is accepted


def test_kept_text_and_json_are_kept_compressed_too_images_and_short_answers_not():
    page = Kept.of("<p>row</p>" * 500, "text/html; charset=UTF-8")
    assert gzip.decompress(page.gzipped) == page.body and len(page.gzipped) < len(page.body) // 10
    assert Kept.of(b"[" + b"1," * 1000 + b"1]", "application/json").gzipped is not None
    assert Kept.of(b"\x89PNG" + bytes(5000), "image/png").gzipped is None  # compressed already
    assert Kept.of("{}", "application/json").gzipped is None  # a few bytes either way
    assert Kept.of(page.body, page.content_type) == page  # the same bytes: the same tag and compressed bytes
