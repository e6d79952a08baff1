"""The one check of paths that people name (services/core/paths.py): normalised, then held
inside their folder, links on disk followed."""

import pytest

from services.core.paths import UnsafePath, check_ground_truth_path, inside

FOLDER = "ground-truth/mine/"


@pytest.mark.parametrize(
    "path, stored",
    [
        ("ground-truth/mine/final", "ground-truth/mine/final"),
        ("ground-truth/mine/final/", "ground-truth/mine/final"),
        ("ground-truth/mine/a b/ünïcode.mha", "ground-truth/mine/a b/ünïcode.mha"),
        ("ground-truth/mine/...", "ground-truth/mine/..."),  # a name, not a step up
    ],
)
def test_plain_paths_inside_the_folder_are_taken(path, stored):
    assert inside("ground_truth_path", path, FOLDER) == stored


@pytest.mark.parametrize(
    "path, words",
    [
        ("ground-truth/mine/..", "leads outside ground-truth/mine/"),
        ("ground-truth/mine/final/../..", "leads outside"),
        ("ground-truth/mine/final/../../other/final", "leads outside"),
        ("ground-truth/mine/../other/final", "leads outside"),
        ("ground-truth/other/final", "leads outside"),
        ("ground-truth/mine-2/final", "leads outside"),
        ("uploads/3/files/a.mha", "leads outside"),
        ("..", "leads outside"),
        ("../../etc/passwd", "leads outside"),
        ("ground-truth/mine", "names ground-truth/mine/ itself"),
        ("ground-truth/mine/", "names ground-truth/mine/ itself"),
        ("ground-truth/mine/.", "names ground-truth/mine/ itself"),
        ("ground-truth/mine/final/..", "names ground-truth/mine/ itself"),
        ("./ground-truth/mine/final", "not written plainly"),
        ("ground-truth/mine/./final", "not written plainly"),
        ("ground-truth/mine//final", "not written plainly"),
        ("ground-truth/mine/final//", "not written plainly"),
        ("ground-truth/mine/a/../final", "not written plainly"),
        ("/etc", "is absolute"),
        ("/data/ground-truth/mine/final", "is absolute"),
        ("//ground-truth/mine/final", "is absolute"),
        ("ground-truth\\mine\\final", "not '\\'"),
        ("ground-truth/mine\\..\\other", "not '\\'"),
        ("ground-truth/mine/fi\x00nal", "control characters"),
        ("ground-truth/mine/fi\nnal", "control characters"),
        ("ground-truth/mine/" + "x" * 1100, "at most 1024 characters"),
        ("", "must be a path inside"),
        ("  ", "must be a path inside"),
        (None, "must be a path inside"),
        (["ground-truth", "mine"], "must be a path inside"),
    ],
)
def test_every_other_spelling_is_refused_with_what_is_wrong(path, words):
    with pytest.raises(UnsafePath) as refused:
        inside("ground_truth_path", path, FOLDER)
    assert refused.value.status == 400 and refused.value.message.startswith("ground_truth_path")
    assert words in refused.value.message


def test_without_a_folder_any_plain_relative_path_is_taken():
    assert inside("filename", "series/1.dcm") == "series/1.dcm"
    for path in ("../x", "a/../../x", ".", "/x", "a//b", "a/./b"):
        with pytest.raises(UnsafePath):
            inside("filename", path)


def test_links_on_disk_cannot_lead_out_of_the_folder(tmp_path):
    (tmp_path / "ground-truth" / "other" / "final").mkdir(parents=True)
    mine = tmp_path / "ground-truth" / "mine"
    (mine / "final").mkdir(parents=True)
    (mine / "theirs").symlink_to(tmp_path / "ground-truth" / "other")
    (mine / "up").symlink_to("..")
    (mine / "root").symlink_to("/")
    (mine / "itself").symlink_to(".")
    (mine / "alias").symlink_to("final")
    assert inside("p", "ground-truth/mine/final", FOLDER, root=tmp_path) == "ground-truth/mine/final"
    assert inside("p", "ground-truth/mine/alias", FOLDER, root=tmp_path) == "ground-truth/mine/alias"  # stays inside
    assert inside("p", "ground-truth/mine/new", FOLDER, root=tmp_path) == "ground-truth/mine/new"  # need not exist
    for path in ("theirs", "theirs/final", "up/other", "root/etc", "itself"):
        with pytest.raises(UnsafePath, match="through a link on disk"):
            inside("p", f"ground-truth/mine/{path}", FOLDER, root=tmp_path)


def test_a_ground_truth_folder_swapped_for_a_link_after_saving_is_refused_when_mounted(tmp_path):
    """The worker checks a phase's ground truth again when it mounts it: a folder that became a
    link to another challenge's ground truth after the phase was saved is not mounted."""
    (tmp_path / "ground-truth/theirs/final").mkdir(parents=True)
    mine = tmp_path / "ground-truth/mine/final"
    mine.mkdir(parents=True)
    assert check_ground_truth_path("ground-truth/mine/final", "mine", tmp_path) == "ground-truth/mine/final"
    mine.rmdir()
    mine.symlink_to(tmp_path / "ground-truth/theirs/final")
    with pytest.raises(UnsafePath, match="through a link on disk"):
        check_ground_truth_path("ground-truth/mine/final", "mine", tmp_path)
