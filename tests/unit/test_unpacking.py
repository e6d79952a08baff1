"""The one unpacker (services/unpacking.py) against good and hostile zips and tarballs: what a file
is comes from its bytes, nothing lands outside its folder, no bomb fills the disk, a damaged
archive says so, and nothing of a refused archive is left."""

import gzip
import os
import stat
import tarfile
from pathlib import PurePosixPath

import pytest
from import_samples import zip_bomb, zip_of
from tarballs import HOSTILE, damaged, tar_bomb, tarball

from services import unpacking
from services.imaging.limits import ImportLimits
from services.unpacking import CannotUnpack, archive_kind, made_once, unpack

WEIGHTS = bytes(range(256)) * 400  # 100 KB that compress a little


def unpacked(tmp_path, path, limits=None):
    """``{relative name: bytes}`` of what ``path`` unpacks to."""
    files = unpack(path=path, name=path.name, into=tmp_path / "out", limits=limits or ImportLimits())
    assert all(target.is_relative_to(tmp_path / "out") for _, target in files)
    return {name: target.read_bytes() for name, target in files}


def refused(tmp_path, path, words, limits=None):
    """The message of unpacking ``path``, which must fail with ``words`` and leave nothing."""
    with pytest.raises(CannotUnpack) as refusal:
        unpack(path=path, name=path.name, into=tmp_path / "out", limits=limits or ImportLimits())
    message = str(refusal.value)
    assert words in message, message
    assert not (tmp_path / "out").exists(), "nothing of a refused archive is left"
    return message


# --- what a file is -----------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_tarballs_are_known_by_their_bytes_whatever_their_name(tmp_path, compression):
    path = tarball(tmp_path / "model.bin", {"weights/a.bin": WEIGHTS}, compression)
    assert archive_kind(path) == "tar"
    assert unpacked(tmp_path, path) == {"weights/a.bin": WEIGHTS}


def test_zips_compressed_files_and_plain_files(tmp_path):
    assert archive_kind(zip_of(tmp_path / "a.tar.gz", {"x": b"x"})) == "zip"
    (tmp_path / "scan.nii.gz").write_bytes(gzip.compress(b"\x5c\x01" + bytes(600)))
    assert archive_kind(tmp_path / "scan.nii.gz") is None, "a compressed file that holds no tarball"
    (tmp_path / "zeros.raw").write_bytes(bytes(4096))
    assert archive_kind(tmp_path / "zeros.raw") is None, "a file of zeros is no (empty) tarball"
    (tmp_path / "labels.csv").write_text("case,label\n")
    assert archive_kind(tmp_path / "labels.csv") is None
    message = refused(tmp_path, tmp_path / "labels.csv", "is neither a zip nor a tarball")
    assert message.startswith("labels.csv is neither a zip nor a tarball (.tar, .tar.gz)")


# --- good tarballs ------------------------------------------------------------------------


def test_a_tarball_unpacks_into_its_folder_with_plain_names_and_plain_modes(tmp_path):
    members = {"./": (tarfile.DIRTYPE, ""), "./config.json": b"{}", "weights/": (tarfile.DIRTYPE, ""),
               "weights/./layer-1.bin": WEIGHTS, "empty/": (tarfile.DIRTYPE, "")}  # fmt: skip
    path = tarball(tmp_path / "model.tar.gz", members, mode=0o6700)  # setuid, setgid, owner only
    assert unpacked(tmp_path, path) == {"config.json": b"{}", "weights/layer-1.bin": WEIGHTS}
    assert (tmp_path / "out" / "empty").is_dir()
    mode = (tmp_path / "out" / "weights" / "layer-1.bin").stat().st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID) and mode & stat.S_IROTH, "readable by a container's user"


def test_a_tarball_member_where_a_folder_should_be_says_which(tmp_path):
    path = tarball(tmp_path / "model.tar.gz", {"weights": b"x", "weights/a.bin": b"y"})
    refused(tmp_path, path, "model.tar.gz: 'weights/a.bin' could not be unpacked (File exists)")


# --- hostile tarballs ---------------------------------------------------------------------


@pytest.mark.parametrize("attack", sorted(HOSTILE))
def test_hostile_tarballs_are_refused_and_leave_nothing(tmp_path, attack):
    members, words = HOSTILE[attack]
    path = tarball(tmp_path / "model.tar.gz", members)
    message = refused(tmp_path, path, words)
    assert message.startswith("model.tar.gz ") and "nothing of it was unpacked" in message
    assert not (tmp_path.parent / "escape.txt").exists() and not os.path.lexists("/tmp/gc-hub-escape.txt")


def test_a_windows_drive_is_no_relative_path(tmp_path):
    refused(tmp_path, tarball(tmp_path / "m.tar", {"C:/weights.bin": b"x"}, ""), "points outside the tarball's folder")


def test_a_tarball_bomb_is_refused_before_its_bytes_are_written(tmp_path):
    path = tar_bomb(tmp_path / "bomb.tar.gz")
    message = refused(tmp_path, path, "unpacks to 209.7 MB from")
    assert "that is a tarball bomb, not data" in message


def test_a_tarball_over_the_size_limit_is_refused(tmp_path):
    path = tarball(tmp_path / "big.tar", {"a.bin": WEIGHTS, "b.bin": WEIGHTS}, "")
    limits = ImportLimits(max_extracted_bytes=150_000)
    refused(tmp_path, path, "big.tar unpacks to 204.8 KB, more than the 150.0 KB one tarball may unpack to", limits)


def test_too_many_members_are_refused_while_reading(tmp_path):
    path = tarball(tmp_path / "many.tar.gz", {f"w/{i}.bin": b"x" for i in range(11)})
    refused(tmp_path, path, "more than the 10 files and folders one tarball may hold", ImportLimits(max_zip_members=10))


@pytest.mark.parametrize("how", ["truncated", "flipped"])
def test_a_damaged_tarball_says_so(tmp_path, how):
    members = {f"weights/{i}.bin": WEIGHTS[i:] + WEIGHTS[:i] for i in range(5)}
    path = damaged(tmp_path / "model.tar.gz", members, how)
    message = refused(tmp_path, path, "model.tar.gz is not a readable tarball (")
    assert message.endswith("it may be cut short or damaged: upload it again")


def test_a_compressed_file_whose_start_is_damaged_counts_as_a_tarball(tmp_path):
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 100)
    assert archive_kind(path) == "tar"
    refused(tmp_path, path, "is not a readable tarball")


# --- zips ---------------------------------------------------------------------------------


def test_a_good_zip_unpacks_into_its_folder(tmp_path):
    path = zip_of(tmp_path / "ok.zip", {"scans/ct.nii.gz": b"ct", "scans/./b/ct2.nii.gz": b"ct2"})
    assert unpacked(tmp_path, path) == {"scans/ct.nii.gz": b"ct", "scans/b/ct2.nii.gz": b"ct2"}


@pytest.mark.parametrize("member", ["../../escape.txt", "/etc/cron.d/x"])
def test_zip_members_outside_its_folder_are_refused(tmp_path, member):
    path = zip_of(tmp_path / "evil.zip", {"ok.nii.gz": b"ok", member: b"x"})
    refused(tmp_path, path, f"holds {member!r}, a path that points outside the zip's folder")
    assert not (tmp_path.parent / "escape.txt").exists()


def test_zip_bomb_is_refused_from_its_directory(tmp_path):
    path = zip_bomb(tmp_path / "bomb.zip")
    refused(tmp_path, path, "says it unpacks to 209.7 MB from")


def test_zip_bomb_is_stopped_while_unpacking_when_the_directory_lies(tmp_path, monkeypatch):
    path = zip_bomb(tmp_path / "bomb.zip", size=20 * 1024 * 1024)
    # a directory that lies about sizes passes its check; the bytes are counted while unpacking
    monkeypatch.setattr(
        unpacking, "_zip_members", lambda archive, *_: [(i, PurePosixPath(i.filename)) for i in archive.infolist()]
    )
    limits = ImportLimits(max_zip_ratio=1000, max_extracted_bytes=5 * 1024 * 1024)
    refused(tmp_path, path, "MB, more than the 5.2 MB one zip may unpack to; nothing of it was unpacked", limits)


def test_not_a_readable_zip(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    refused(tmp_path, path, "broken.zip is not a readable zip")


# --- made once ----------------------------------------------------------------------------


def test_a_folder_is_made_once_and_never_half(tmp_path):
    target = tmp_path / "models" / "abc"

    def make(folder):
        folder.mkdir(parents=True)
        (folder / "a").write_text("first")

    made_once(target, make, by="model-1")
    made_once(target, lambda folder: pytest.fail("made again"), by="model-2")
    assert (target / "a").read_text() == "first"

    def broken(folder):
        make(folder)
        raise CannotUnpack("no")

    with pytest.raises(CannotUnpack):
        made_once(tmp_path / "models" / "def", broken, by="model-3")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["abc"], "no partial folder is left"


def test_what_an_attempt_that_died_left_half_made_is_removed(tmp_path):
    target = tmp_path / "models" / "abc"
    left = tmp_path / "models" / "abc.partial-model-1"
    left.mkdir(parents=True)
    (left / "half").write_text("x")
    made_once(target, lambda folder: (folder.mkdir(), (folder / "a").write_text("whole")), by="model-1")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["abc"]
    assert [p.name for p in target.iterdir()] == ["a"]
