"""The archives pages: list and create archives, see an archive's cases (with thumbnails of their
images) and each case on a page of its own, manage its members."""

import json

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from tornado import web

from ..api import archives as shapes
from ..core.errors import NotFound
from ..core.orm import VIEWING, ArchiveItem, SocketValue, grant, viewing_choices
from .archives import CREATE_ARCHIVES, EDIT, ArchiveAccess, archive_row
from .pages import PageHandler, shown
from .uploads import upload_panel

# Where the workstation's reading app opens (hub_config/profiles.py READING_APP), through the hub.
READING_APP = "/hub/user-redirect/notebooks/gc-hub-reading.ipynb"


def shown_value(value):
    """How a page shows one stored value: ``{"socket", "title", "kind", ...}`` with ``image`` (an
    image id, for its thumbnail), ``file`` (a name and size), ``text`` (a plain value) or
    ``rows`` (a JSON object or list, as (path, value) rows of a table)."""
    shown = {"socket": value.socket.slug, "title": value.socket.title}
    if value.image_id is not None:
        return {**shown, "kind": "image", "image": value.image_id}
    if value.file_path is not None:
        return {**shown, "kind": "file", "file": value.file_path.rsplit("/", 1)[-1], "size": value.file_size}
    if isinstance(value.value, dict | list) and value.value:
        return {**shown, "kind": "table", "rows": flattened(value.value)}
    return {**shown, "kind": "text", "text": as_text(value.value)}


def flattened(data, path=""):
    """The leaves of JSON ``data`` as (dotted path, text) pairs: ``{"dice": {"mean": 0.9}}`` →
    ``[("dice.mean", "0.9")]``."""
    if isinstance(data, dict) and data:
        items = data.items()
    elif isinstance(data, list) and data:
        items = ((f"[{i}]", v) for i, v in enumerate(data))
    else:
        return [(path or "value", as_text(data))]
    rows = []
    for key, item in items:
        rows += flattened(item, f"{path}{key}" if key.startswith("[") or not path else f"{path}.{key}")
    return rows


def as_text(value):
    """A plain JSON value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, str) else json.dumps(value)


def case_values(item):
    return [shown_value(v) for v in sorted(item.values, key=lambda v: v.socket.slug)]


class ArchivesPage(ArchiveAccess, PageHandler):
    """The archives I hold a role on, and a form to create one (researchers)."""

    landing = True

    def show(self, status=200, error=None, form=None):
        archives = [shown(archive_row(row)) for row in self.db.execute(self.visible_archives(rows=True))]
        self.render_page(
            "archives.html", status, error, form, archives=archives, may_create=self.has_scope(CREATE_ARCHIVES)
        )

    @web.authenticated
    def get(self):
        self.show()

    @web.authenticated
    def post(self):
        form = self.form("slug", "title", "description")
        archive = self.submit(
            lambda: self.create_archive(shapes.ArchiveCreate.read(form)), lambda e: self.show(e.status, e.message, form)
        )
        if archive:
            self.redirect(f"archives/{archive.slug}")


class ArchivePage(ArchiveAccess, PageHandler):
    """One archive: its cases, and for editors its members with a form to add one, and how its
    cases are shown (a viewer configuration and a hanging protocol)."""

    def show(self, slug, status=200, error=None):
        archive, roles = self.archive(slug)
        query = (
            select(ArchiveItem)
            .filter_by(archive_id=archive.id)
            .order_by(ArchiveItem.id)
            .options(selectinload(ArchiveItem.values).selectinload(SocketValue.socket))
        )
        items = [
            {"id": i.id, "created_at": i.created_at.isoformat(), "values": case_values(i)}
            for i in self.db.scalars(query.limit(100))
        ]
        editor = roles & EDIT or self.user.get("admin")
        members = shown(self.members(archive)) if editor else None
        count = len(archive.items)
        self.render_page(
            "archive.html",
            status,
            error,
            archive=shown(shapes.Archive.of(archive, roles)),
            items={"count": count, "results": items},
            members=members,
            uploads=upload_panel(self, archive, roles),
            viewing=viewing_choices(self.db) if editor else None,
        )

    @web.authenticated
    def get(self, slug):
        self.show(slug)

    @web.authenticated
    def post(self, slug):
        archive, _ = self.archive(slug, EDIT, "manage this archive")
        form = self.form("action", "username", "role", *VIEWING)

        def save():
            if form["action"] == "viewing":
                self.change_archive(archive, shapes.ArchiveChange.read({key: form[key] for key in VIEWING}))
            elif form["action"] == "remove-member":
                self.remove_member(archive, form["username"], form["role"])
            else:
                grant(self.db, archive, form["username"], form["role"])
            self.commit()
            return archive

        if self.submit(save, lambda e: self.show(slug, e.status, e.message)):
            self.redirect(self.request.path)


class CasePage(ArchiveAccess, PageHandler):
    """One case of an archive: its values as text, images as thumbnails, JSON as tables, and where
    to open it in the workstation's reading app."""

    @web.authenticated
    def get(self, slug, case_id):
        archive, roles = self.archive(slug)
        item = self.db.get(ArchiveItem, int(case_id))
        if item is None or item.archive_id != archive.id:
            raise NotFound(f"Archive {slug!r} has no case {case_id}.")
        self.render_page(
            "case.html",
            archive=shown(shapes.Archive.of(archive, roles)),
            case={"id": item.id, "created_at": item.created_at.isoformat(), "values": case_values(item)},
            reading_app=READING_APP,
        )


def routes(prefix):
    archive = prefix + r"archives/(?P<slug>[a-z0-9-]+)"
    return [
        (prefix, ArchivesPage),
        (archive, ArchivePage),
        (archive + r"/cases/(?P<case_id>[0-9]+)", CasePage),
    ]
