"""The archives' version changes in the same transaction as each change to what a list of
archives shows (archives, their roles, the viewing they are shown with), whether through the
unit of work or an ORM statement, and with nothing else."""

from sqlalchemy import delete, insert, update

from services.core import orm


def changes(session, change):
    """Whether ``change(session)``, committed, gives the archives a new version."""
    before = orm.version(session, "archives")
    change(session)
    session.commit()
    return orm.version(session, "archives") != before


def an_archive(session):
    archive = orm.Archive(slug="chest", title="Chest", created_by="ann")
    session.add(archive)
    session.flush()
    return archive


def test_it_changes_with_each_archive_and_role_written_through_the_unit_of_work(session):
    assert changes(session, an_archive)
    archive = session.get(orm.Archive, 1)
    assert changes(session, lambda s: orm.grant(s, archive, "bob", orm.ArchiveRole.USER))
    assert changes(session, lambda s: orm.revoke(s, archive, "bob", orm.ArchiveRole.USER))  # a statement
    assert changes(session, lambda s: setattr(archive, "title", "Chest CT"))
    configuration = orm.ViewerConfiguration(slug="soft", title="Soft", created_by="ann")
    assert changes(session, lambda s: setattr(archive, "viewer_configuration", configuration))
    assert changes(session, lambda s: orm.remove(s, configuration))  # the database empties the archive's
    assert changes(session, lambda s: orm.remove(s, archive))


def test_it_changes_with_statements_that_write_archives_or_roles(session):
    rows = [{"slug": "a", "title": "A", "created_by": "ann", "created_at": orm.utcnow()}]
    assert changes(session, lambda s: s.execute(insert(orm.Archive), rows))
    member = {"object_id": 1, "username": "bob", "role": orm.ArchiveRole.USER}
    assert changes(session, lambda s: s.execute(insert(orm.ArchiveMember), [member]))
    assert changes(session, lambda s: s.execute(update(orm.Archive).values(title="B")))
    assert changes(session, lambda s: s.execute(delete(orm.ArchiveMember)))


def test_it_stays_while_only_other_things_change_or_nothing_does(session):
    an_archive(session)
    session.commit()
    assert not changes(session, lambda s: s.add(orm.Challenge(slug="c", title="C", created_by="ann")))
    assert not changes(session, lambda s: s.execute(update(orm.Challenge).values(title="D")))
    assert not changes(session, lambda s: s.get(orm.Archive, 1))
