"""UntrustedFolder: what a container leaves behind is read without following anything it made."""

import os
import socket

import pytest

from services.untrusted_files import UnsafeFile, UntrustedFolder


@pytest.fixture
def output(tmp_path):
    folder = tmp_path / "output"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("the admin password")
    (folder / "result.json").write_text('{"dice": 1}')
    (folder / "images" / "mask").mkdir(parents=True)
    (folder / "images" / "mask" / "mask.mha").write_bytes(b"ObjectType = Image\n")
    return folder


def test_regular_files_and_folders_are_read_and_copied(output, tmp_path):
    with UntrustedFolder(output) as folder:
        assert folder.read_bytes("result.json", max_bytes=100) == b'{"dice": 1}'
        assert folder.kind("images/mask") == "folder"
        assert folder.kind("result.json") == "file"
        assert folder.kind("missing.json") is None
        assert folder.names("images/mask") == ["mask.mha"]
        copied = folder.copy("images/mask/mask.mha", tmp_path / "kept" / "a.mha", max_bytes=100)
    assert copied.size == 19 and (tmp_path / "kept" / "a.mha").read_bytes() == b"ObjectType = Image\n"
    assert os.stat(tmp_path / "kept" / "a.mha").st_ino != os.stat(output / "images/mask/mask.mha").st_ino


@pytest.mark.parametrize("link", ["/etc/passwd", "../secret.txt", "images/../../secret.txt", "result.json"])
def test_symbolic_links_are_refused_wherever_they_point(output, link):
    os.symlink(link, output / "metrics.json")
    with UntrustedFolder(output) as folder, pytest.raises(UnsafeFile, match="/output/metrics.json is a symbolic link"):
        folder.read_bytes("metrics.json", max_bytes=1000)


def test_a_linked_folder_on_the_way_is_refused(output, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.mha").write_text("secret")
    os.symlink(outside, output / "images" / "ct")
    with UntrustedFolder(output) as folder:
        with pytest.raises(UnsafeFile, match="/output/images/ct is not a folder"):
            folder.read_bytes("images/ct/x.mha", max_bytes=100)
        with pytest.raises(UnsafeFile, match="symbolic link"):
            folder.names("images/ct")


def test_hard_links_fifos_and_sockets_are_refused(output):
    os.link(output / "result.json", output / "twin.json")
    os.mkfifo(output / "pipe.json")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(output / "sock.json"))
    with UntrustedFolder(output) as folder:
        with pytest.raises(UnsafeFile, match="hard link"):
            folder.read_bytes("twin.json", max_bytes=100)
        with pytest.raises(UnsafeFile, match="named pipe"):
            folder.read_bytes("pipe.json", max_bytes=100)  # returns at once: never blocks on the pipe
        with pytest.raises(UnsafeFile, match="socket"):
            folder.kind("sock.json")
    server.close()


def test_huge_sparse_files_are_refused_before_reading(output, tmp_path):
    with open(output / "huge.json", "wb") as f:
        f.truncate(1 << 40)
    with UntrustedFolder(output) as folder, pytest.raises(UnsafeFile, match="over the 1,000 bytes allowed"):
        folder.copy("huge.json", tmp_path / "copy", max_bytes=1000)
    assert not (tmp_path / "copy").exists()


def test_names_that_are_not_text_are_refused_without_echoing_them(output):
    os.close(os.open(os.path.join(bytes(output), b"images/mask/\xff\x1b[31m.mha"), os.O_CREAT | os.O_WRONLY))
    with UntrustedFolder(output) as folder, pytest.raises(UnsafeFile) as refused:
        folder.names("images/mask")
    assert "\x1b" not in str(refused.value) and "/output/images/mask" in str(refused.value)


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd", "images/../../secret.txt"])
def test_paths_that_leave_the_folder_are_not_asked(output, path):
    with UntrustedFolder(output) as folder, pytest.raises(ValueError):
        folder.read_bytes(path, max_bytes=100)
