"""The archives service's API: sockets, archives, their members and their cases (items)."""

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload
from tornado import web

from ..api import archives as shapes
from ..core.errors import Conflict, GcError, InvalidValue, NotFound, PermissionDenied
from ..core.orm import (
    Archive,
    ArchiveItem,
    ArchiveMember,
    ArchiveRole,
    Challenge,
    HangingProtocol,
    Phase,
    Socket,
    SocketValue,
    ViewerConfiguration,
    grant,
    make_value,
    remove,
    revoke,
    save,
    set_viewing,
    usernames,
    version,
)
from .base import APIHandler, Kept, endpoint, member_query
from .versioned_cache import VersionedCache

CREATE_ARCHIVES = "custom:archives:create"
# What each role may do, from least to most: users read, uploaders add cases, editors manage.
READ = {ArchiveRole.USER, ArchiveRole.UPLOADER, ArchiveRole.EDITOR}
UPLOAD = {ArchiveRole.UPLOADER, ArchiveRole.EDITOR}
EDIT = {ArchiveRole.EDITOR}

# The statements that every archive request runs, built once (building one costs more than
# running it); the current user is their ``username`` parameter.
_MEMBER = ArchiveMember.username == bindparam("username")
_MINE = select(ArchiveMember.object_id).where(_MEMBER)
MY_ROLES = (  # the user's roles on each archive of a query, comma-separated (None: no role)
    select(func.aggregate_strings(ArchiveMember.role, ","))
    .where(_MEMBER, ArchiveMember.object_id == Archive.id)
    .scalar_subquery()
    .label("my_roles")
)
ARCHIVE_BY_SLUG = select(Archive, MY_ROLES).where(Archive.slug == bindparam("slug"))
COUNT_MINE = select(func.count(ArchiveMember.object_id.distinct())).where(_MEMBER)
ALL_ARCHIVES = select(Archive).order_by(Archive.slug)
# A user's archives by slug: found from their memberships, which is faster for a few; or by
# walking every archive in slug order and keeping those with a role, which is faster for many
# (a page then needs about a page of rows).
FEW_OF_MINE = ALL_ARCHIVES.where(Archive.id.in_(_MINE))
MANY_OF_MINE = ALL_ARCHIVES.where(_MINE.where(ArchiveMember.object_id == Archive.id).exists())
MANY_ARCHIVES = 1000  # from how many on a user has "many"
# What each process keeps while the archives' version is the same (services/core/orm/versions.py):
COUNTS_KEPT = 1024  # users' counts of their visible archives
PAGES_KEPT = 128  # pages of the list (JSON), by user and query
# What a list of archives shows of each (see ``archive_row``): columns, not ORM objects.
ARCHIVE_COLUMNS = (
    Archive.slug,
    Archive.title,
    Archive.description,
    Archive.created_by,
    Archive.created_at,
    *(
        select(model.slug).where(model.id == key).scalar_subquery().label(name)
        for name, model, key in (
            ("viewer_configuration", ViewerConfiguration, Archive.viewer_configuration_id),
            ("hanging_protocol", HangingProtocol, Archive.hanging_protocol_id),
        )
    ),
)


def sockets_by_slug(db, field, slugs):
    """The sockets named by ``slugs`` (a request's ``field``), in their order; 422 naming each
    slug that no socket has."""
    found = {socket.slug: socket for socket in db.scalars(select(Socket).where(Socket.slug.in_(slugs)))}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise InvalidValue(
            f"{field}: there is no socket {', '.join(map(repr, missing))}; define it first"
            " (POST /api/v1/sockets of the archives service)."
        )
    return [found[slug] for slug in slugs]


def archive_row(row):
    """The Archive of a row of ARCHIVE_COLUMNS and ``my_roles`` (comma-separated, or None)."""
    return shapes.Archive.of(row, row.my_roles.split(",") if row.my_roles else ())


class ArchiveAccess:
    """Finds archives and checks what the current user may do with them (API and pages)."""

    def visible_archives(self, *, many=False, rows=False):
        """The query of the archives the user holds a role on (every archive for hub admins), by
        slug. ``many``: the user holds roles on more than MANY_ARCHIVES (``count_visible_archives``).
        ``rows``: select the columns that ``archive_row`` shows instead of ORM objects."""
        query = ALL_ARCHIVES if self.user.get("admin") else MANY_OF_MINE if many else FEW_OF_MINE
        if rows:
            query = query.with_only_columns(*ARCHIVE_COLUMNS, MY_ROLES)
        return query.params(username=self.username)

    def count_visible_archives(self):
        """How many archives ``visible_archives`` holds: as counted before while the archives'
        version is the same, else from the memberships alone."""
        admin = bool(self.user.get("admin"))

        def count():  # read after the version: never older than it
            if admin:
                return self.db.scalar(select(func.count()).select_from(Archive))
            return self.db.scalar(COUNT_MINE, {"username": self.username})

        counts = self.platform.setdefault("archive_counts", VersionedCache(COUNTS_KEPT))
        return counts.get((self.username, admin), version(self.db, "archives"), count)

    def archive(self, slug, allowed=READ, doing="read this archive"):
        """The archive ``slug`` if the user holds one of ``allowed``; NotFound for those who may
        not see it at all, so that names of private archives do not leak."""
        found = self.db.execute(ARCHIVE_BY_SLUG, {"slug": slug, "username": self.username}).first()
        archive, roles = found or (None, "")
        roles = {ArchiveRole(role) for role in roles.split(",")} if roles else set()
        if archive is None or not (roles or self.user.get("admin")):
            raise NotFound(f"No archive {slug!r} that you can see.")
        if not (roles & allowed or self.user.get("admin")):
            raise PermissionDenied(f"You may not {doing}: ask an editor of {slug!r} for that role.")
        return archive, roles

    def remove_member(self, archive, username, role):
        """Take ``role`` from ``username``; refused if that would leave the archive without editors."""
        if role == ArchiveRole.EDITOR and usernames(self.db, archive, ArchiveRole.EDITOR) == [username]:
            who = "You are" if username == self.username else f"{username!r} is"
            raise GcError(f"{who} the last editor of this archive: make someone else editor first.")
        revoke(self.db, archive, username, role)

    def create_archive(self, fields):
        """A new archive of ``fields`` (an ArchiveCreate) whose creator is its editor; needs the hub
        permission to create."""
        self.require_scope(CREATE_ARCHIVES, "create archives")
        archive = Archive(**fields.given(), created_by=self.username)
        save(self.db, archive)
        grant(self.db, archive, self.username, ArchiveRole.EDITOR)
        self.commit()
        return archive

    def change_archive(self, archive, fields):
        """Set an archive's title, description, viewer configuration or hanging protocol from
        ``fields`` (an ArchiveChange)."""
        given = {key: value for key, value in fields.given().items() if value is not None}
        set_viewing(self.db, archive, given)
        for key, value in given.items():
            setattr(archive, key, value)
        self.db.flush()

    def members(self, archive):
        return shapes.ArchiveMembers(**{role.value: usernames(self.db, archive, role) for role in ArchiveRole})

    def delete_archive(self, archive):
        """Delete an archive with its items (not the values and images they hold); Conflict if a
        challenge phase uses it as its hidden test set."""
        query = select(Challenge.slug, Phase.slug).join(Phase.challenge).where(Phase.archive_id == archive.id)
        users = [f"phase {phase!r} of challenge {challenge!r}" for challenge, phase in self.db.execute(query)]
        if users:
            raise Conflict(
                f"Archive {archive.slug!r} is the hidden test set of {', '.join(users)}: give that phase "
                "another archive (or none) first."
            )
        remove(self.db, archive)


class ArchiveAPIHandler(ArchiveAccess, APIHandler):
    """An API handler about archives."""


class ArchivesHandler(ArchiveAPIHandler):
    """GET: the archives I hold a role on (all of them for admins). POST: a new archive."""

    @endpoint(returns=shapes.ArchivePage)
    @web.authenticated
    def get(self):
        def make():  # read after the version: never older than it
            count = self.count_visible_archives()
            query = self.visible_archives(many=count > MANY_ARCHIVES, rows=True)
            return Kept.of(self.model_json(self.page(query, archive_row, count=count)), "application/json")

        pages = self.platform.setdefault("archive_pages", VersionedCache(PAGES_KEPT))
        key = (self.request.uri, self.username, bool(self.user.get("admin")))
        self.write_kept(pages.get(key, version(self.db, "archives"), make))

    @endpoint(shapes.ArchiveCreate, shapes.Archive, 201)
    @web.authenticated
    def post(self):
        self.require_scope(CREATE_ARCHIVES, "create archives")
        archive = self.create_archive(self.body())
        self.write_model(shapes.Archive.of(archive, {ArchiveRole.EDITOR}), 201)


class ArchiveHandler(ArchiveAPIHandler):
    """GET: one archive. PATCH: change its title, description, viewer configuration or hanging
    protocol (editors). DELETE: delete it with
    its items (editors); refused while a challenge phase uses it as its hidden test set."""

    @endpoint(returns=shapes.Archive)
    @web.authenticated
    def get(self, slug):
        archive, roles = self.archive(slug)
        self.write_model(shapes.Archive.of(archive, roles))

    @endpoint(shapes.ArchiveChange, shapes.Archive)
    @web.authenticated
    def patch(self, slug):
        archive, roles = self.archive(slug, EDIT, "change this archive")
        self.change_archive(archive, self.body())
        self.commit()
        self.write_model(shapes.Archive.of(archive, roles))

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug):
        archive, _ = self.archive(slug, EDIT, "delete this archive")
        self.delete_archive(archive)
        self.commit()
        self.write_no_content()


class MembersHandler(ArchiveAPIHandler):
    """GET: who holds which role. POST {username, role}: grant. DELETE ?username=&role=: revoke."""

    @endpoint(returns=shapes.ArchiveMembers)
    @web.authenticated
    def get(self, slug):
        archive, _ = self.archive(slug, EDIT, "see this archive's members")
        self.write_model(self.members(archive))

    @endpoint(shapes.MemberGrant, shapes.ArchiveMembers, 201)
    @web.authenticated
    def post(self, slug):
        archive, _ = self.archive(slug, EDIT, "manage this archive's members")
        body = self.body()
        grant(self.db, archive, body.username, body.role)
        self.commit()
        self.write_model(self.members(archive), 201)

    @endpoint(status=204, query=member_query(ArchiveRole))
    @web.authenticated
    def delete(self, slug):
        archive, _ = self.archive(slug, EDIT, "manage this archive's members")
        self.remove_member(archive, self.get_argument("username"), self.get_argument("role"))
        self.commit()
        self.write_no_content()


class ItemsHandler(ArchiveAPIHandler):
    """GET: the archive's cases. POST {values: {socket: value}}: add a case of JSON values."""

    @endpoint(returns=shapes.ArchiveItemPage)
    @web.authenticated
    def get(self, slug):
        archive, _ = self.archive(slug)
        query = select(ArchiveItem).filter_by(archive_id=archive.id).order_by(ArchiveItem.id)
        values = selectinload(ArchiveItem.values).joinedload(SocketValue.socket)  # not one query per item
        self.write_model(self.page(query.options(values), shapes.ArchiveItem.of))

    @endpoint(shapes.ArchiveItemCreate, shapes.ArchiveItem, 201)
    @web.authenticated
    def post(self, slug):
        archive, _ = self.archive(slug, UPLOAD, "add cases to this archive")
        values = self.body().values
        sockets = {s.slug: s for s in self.db.scalars(select(Socket).where(Socket.slug.in_(values)))}
        unknown = sorted(set(values) - set(sockets))
        if unknown:
            raise NotFound(f"No socket(s) {', '.join(map(repr, unknown))}: define them first (POST sockets).")
        item = ArchiveItem(archive=archive)
        for slug_, value in values.items():
            socket = sockets[slug_]
            if not socket.kind.is_json:
                raise InvalidValue(f"socket {slug_!r} holds {socket.kind.value} files: upload them instead.")
            item.values.append(make_value(self.db, socket, value=value))
        self.db.add(item)
        self.db.flush()
        self.commit()
        self.write_model(shapes.ArchiveItem.of(item), 201)


class ItemHandler(ArchiveAPIHandler):
    """DELETE: delete one case of the archive (editors); its values stay for whoever shares them."""

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug, item_id):
        archive, _ = self.archive(slug, EDIT, "delete this archive's cases")
        item = self.db.scalar(select(ArchiveItem).filter_by(archive_id=archive.id, id=int(item_id)))
        if item is None:
            raise NotFound(f"Archive {slug!r} has no case {item_id}.")
        remove(self.db, item)
        self.commit()
        self.write_no_content()


def routes(prefix):
    api = prefix + "api/v1/"
    slug = r"(?P<slug>[a-z0-9-]+)"
    return [
        (api + "archives", ArchivesHandler),
        (api + f"archives/{slug}", ArchiveHandler),
        (api + f"archives/{slug}/members", MembersHandler),
        (api + f"archives/{slug}/items", ItemsHandler),
        (api + f"archives/{slug}/items/(?P<item_id>[0-9]+)", ItemHandler),
    ]
