"""The archives pages: list and create archives, see an archive's cases, manage its members."""

from sqlalchemy import select
from tornado import web

from ..api import archives as shapes
from ..core.orm import ArchiveItem, grant
from .archives import CREATE_ARCHIVES, EDIT, ArchiveAccess, archive_row
from .pages import PageHandler, shown
from .uploads import upload_panel


class ArchivesPage(ArchiveAccess, PageHandler):
    """The archives I hold a role on, and a form to create one (researchers)."""

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
    """One archive: its cases, and for editors its members with a form to add one."""

    def show(self, slug, status=200, error=None):
        archive, roles = self.archive(slug)
        query = select(ArchiveItem).filter_by(archive_id=archive.id).order_by(ArchiveItem.id)
        items = [shown(shapes.ArchiveItem.of(i)) for i in self.db.scalars(query.limit(100))]
        members = shown(self.members(archive)) if roles & EDIT or self.user.get("admin") else None
        count = len(archive.items)
        self.render_page(
            "archive.html",
            status,
            error,
            archive=shown(shapes.Archive.of(archive, roles)),
            items={"count": count, "results": items},
            members=members,
            uploads=upload_panel(self, archive, roles),
        )

    @web.authenticated
    def get(self, slug):
        self.show(slug)

    @web.authenticated
    def post(self, slug):
        archive, _ = self.archive(slug, EDIT, "manage this archive's members")
        form = self.form("username", "role")

        def add():
            grant(self.db, archive, form["username"], form["role"])
            self.commit()
            return archive

        if self.submit(add, lambda e: self.show(slug, e.status, e.message)):
            self.redirect(self.request.path)


def routes(prefix):
    return [
        (prefix, ArchivesPage),
        (prefix + r"archives/(?P<slug>[a-z0-9-]+)", ArchivePage),
    ]
