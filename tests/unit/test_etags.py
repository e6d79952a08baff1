"""Lists and details answer with an ETag: 304 without a body while unchanged, 200 with a new ETag
once changed, and a user's ETag never stands for another user's answer."""

from apptools import fake_hub_auth, service_app


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
