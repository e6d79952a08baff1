"""The image tarball intake, on small tarballs built here in both layouts `docker save` writes; the
canonical copy the engine gets instead; and how an image's USER becomes numbers."""

import gzip
import hashlib
import io
import json
import lzma
import tarfile

import pytest

from services.container_images import ImageEntry, ImageTarball, canonical_tarball, inspect_image_tarball, resolve_user
from services.core.errors import InvalidValue

LIMIT = 10_000_000
TAG = "example/algorithm:1.0"


def image_config(*, user="1000", os="linux", architecture="amd64", layers=1):
    diff_ids = [f"sha256:{sha256(layer())}"] * layers
    return {"architecture": architecture, "os": os, "config": {"User": user, "Cmd": ["python"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids}}  # fmt: skip


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def layer():
    """A tiny layer: an uncompressed tar holding one file."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        add(tar, "hello.txt", b"hello\n")
    return buffer.getvalue()


def add(tar, name, data=b"", **fields):
    """Add a member ``name`` (a file holding ``data`` unless ``fields`` say otherwise)."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.isfile() else None)


def as_json(value):
    return json.dumps(value).encode()


def legacy_members(*, config=None, images=1, config_name=None, layers=None):
    """(name, data) of a legacy docker-archive: <id>.json config, <layer>/layer.tar, manifest.json."""
    config_data = as_json(config or image_config())
    config_name = config_name or f"{sha256(config_data)}.json"
    layer_data = layer()
    layer_name = f"{sha256(layer_data)}/layer.tar"
    entry = {"Config": config_name, "RepoTags": [TAG], "Layers": layers or [layer_name]}
    return [
        (config_name, config_data),
        (layer_name, layer_data),
        ("manifest.json", as_json([entry] * images)),
        ("repositories", as_json({"example/algorithm": {"1.0": sha256(layer_data)}})),
    ]


def oci_members(*, config=None, with_manifest_json=True, images=1):
    """(name, data) of an OCI layout as Docker >= 25 saves it (index.json, blobs/, manifest.json)."""
    config_data, layer_data = as_json(config or image_config()), layer()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": f"sha256:{sha256(config_data)}"},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{sha256(layer_data)}"}],
    }
    manifest_data = as_json(manifest)
    descriptor = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": f"sha256:{sha256(manifest_data)}",
        "annotations": {"io.containerd.image.name": f"docker.io/{TAG}"},
    }
    members = [
        ("oci-layout", as_json({"imageLayoutVersion": "1.0.0"})),
        (f"blobs/sha256/{sha256(config_data)}", config_data),
        (f"blobs/sha256/{sha256(layer_data)}", layer_data),
        (f"blobs/sha256/{sha256(manifest_data)}", manifest_data),
        ("index.json", as_json({"schemaVersion": 2, "manifests": [descriptor] * images})),
    ]
    if with_manifest_json:
        entry = {
            "Config": f"blobs/sha256/{sha256(config_data)}",
            "RepoTags": [TAG],
            "Layers": [f"blobs/sha256/{sha256(layer_data)}"],
        }
        members.append(("manifest.json", as_json([entry] * images)))
    return members


def tarball(path, members, *, compress=False, links=()):
    """Write ``members`` (and ``links``: (name, target) symlinks) as a .tar or .tar.gz at ``path``."""
    with tarfile.open(path, "w:gz" if compress else "w") as tar:
        for name, data in members:
            add(tar, name, data)
        for name, target in links:
            add(tar, name, type=tarfile.SYMTYPE, linkname=target)
    return path


def refusal(path, max_bytes=LIMIT):
    with pytest.raises(InvalidValue) as caught:
        inspect_image_tarball(path, max_bytes=max_bytes)
    return caught.value.message


def test_legacy_layout(tmp_path):
    members = legacy_members()
    path = tarball(tmp_path / "image.tar", members)
    result = inspect_image_tarball(path, max_bytes=LIMIT)
    assert result == ImageTarball(
        config_digest=f"sha256:{sha256(members[0][1])}",
        repo_tags=[TAG],
        architecture="amd64",
        os="linux",
        user="1000",
        size_bytes=path.stat().st_size,
    )


def test_gzip_is_detected_by_content_and_its_temporary_file_removed(tmp_path):
    members = legacy_members()
    path = tarball(tmp_path / "image.bin", members, compress=True)
    result = inspect_image_tarball(path, max_bytes=LIMIT)
    assert result.config_digest == f"sha256:{sha256(members[0][1])}"
    with gzip.open(path) as file:
        assert result.size_bytes == len(file.read())
    assert [p.name for p in tmp_path.iterdir()] == ["image.bin"]


@pytest.mark.parametrize("with_manifest_json", [True, False], ids=["docker-25", "oci-only"])
def test_oci_layout(tmp_path, with_manifest_json):
    members = oci_members(with_manifest_json=with_manifest_json)
    # Docker >= 25 also keeps the legacy <id>/layer.tar names, as symlinks into blobs/.
    links = [("legacy/layer.tar", f"../{members[2][0]}")]
    path = tarball(tmp_path / "image.tar", members, links=links)
    result = inspect_image_tarball(path, max_bytes=LIMIT)
    assert result.config_digest == f"sha256:{sha256(members[1][1])}"
    assert result.repo_tags == ([TAG] if with_manifest_json else [f"docker.io/{TAG}"])
    assert (result.os, result.architecture, result.user) == ("linux", "amd64", "1000")


@pytest.mark.parametrize("user", ["1000", "jovyan", "1000:100", "algorithm:users"])
def test_non_root_users_are_accepted(tmp_path, user):
    path = tarball(tmp_path / "image.tar", legacy_members(config=image_config(user=user)))
    assert inspect_image_tarball(path, max_bytes=LIMIT).user == user


@pytest.mark.parametrize("user", ["", "root", "0", "0:0", "root:root", " root ", "00:1000"])
def test_root_is_refused(tmp_path, user):
    path = tarball(tmp_path / "image.tar", legacy_members(config=image_config(user=user)))
    message = refusal(path)
    assert message.startswith("the image runs as root")
    assert "add `USER 1000` to the end of the Dockerfile" in message


@pytest.mark.parametrize("layout", [legacy_members, oci_members])
def test_two_images_are_refused(tmp_path, layout):
    path = tarball(tmp_path / "image.tar", layout(images=2))
    assert refusal(path) == "the tarball holds 2 images; save exactly one with `docker save NAME:TAG -o FILE.tar`"


def test_oci_index_of_two_images_is_refused(tmp_path):
    path = tarball(tmp_path / "image.tar", oci_members(with_manifest_json=False, images=2))
    assert refusal(path).startswith("the tarball holds 2 images")


@pytest.mark.parametrize(("os", "architecture"), [("linux", "arm64"), ("windows", "amd64")])
def test_other_platforms_are_refused(tmp_path, os, architecture):
    path = tarball(tmp_path / "image.tar", legacy_members(config=image_config(os=os, architecture=architecture)))
    message = refusal(path)
    assert f"built for {os}/{architecture}" in message and "--platform linux/amd64" in message


def test_not_a_tarball(tmp_path):
    path = tmp_path / "image.tar"
    path.write_bytes(b"FROM python:3.11\n" * 100)
    assert refusal(path).startswith("the file is neither a tar archive nor gzip-compressed: save it with `docker save")


def test_other_compressions_are_named(tmp_path):
    path = tmp_path / "image.tar.xz"
    path.write_bytes(lzma.compress(b"x" * 1000))
    assert refusal(path).startswith("the file is xz-compressed; only .tar and gzip-compressed .tar.gz are accepted")


def test_gzip_of_something_else(tmp_path):
    path = tmp_path / "image.tar.gz"
    path.write_bytes(gzip.compress(b"not a tar\n" * 100))
    assert refusal(path).startswith("the gzip file does not hold a tar archive")


def test_damaged_gzip(tmp_path):
    data = tarball(tmp_path / "good.tar.gz", legacy_members(), compress=True).read_bytes()
    path = tmp_path / "image.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    assert refusal(path).startswith("the gzip file is damaged or incomplete")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.tar.gz", "image.tar.gz"]


@pytest.mark.parametrize("keep", [0.3, 0.6])
def test_cut_short_tar(tmp_path, keep):
    """Cut inside a header or inside the last entry's data (the layer): both are refused."""
    members = legacy_members()
    data = tarball(tmp_path / "good.tar", [*members, ("big-layer.tar", bytes(30_000))]).read_bytes()
    path = tmp_path / "image.tar"
    path.write_bytes(data[: int(len(data) * keep)])
    assert "incomplete" in refusal(path)


def test_too_many_entries(tmp_path):
    path = tarball(tmp_path / "image.tar", [*legacy_members(), *((f"f/{n}", b"") for n in range(10_000))])
    assert refusal(path).startswith("the tarball has more than 10000 entries")


def test_no_manifest(tmp_path):
    path = tarball(tmp_path / "image.tar", [("hello.txt", b"hi")])
    assert refusal(path).startswith("the tarball has no manifest.json or index.json")


def test_file_over_the_limit(tmp_path):
    path = tarball(tmp_path / "image.tar", legacy_members())
    message = refusal(path, max_bytes=1000)
    assert message.startswith(f"the image tarball is {path.stat().st_size / 1e6:,.1f} MB, over the limit of 0.0 MB")


def test_gzip_bomb_is_stopped_while_decompressing(tmp_path):
    """50 MB of zeros compress to about 50 kB: refused once 5 MB are out, and nothing is left behind."""
    path = tarball(tmp_path / "bomb.tar.gz", [("zeros", bytes(50_000_000)), *legacy_members()], compress=True)
    assert path.stat().st_size < 200_000
    message = refusal(path, max_bytes=5_000_000)
    assert message.startswith("the image tarball decompresses to more than the limit of 5.0 MB")
    assert [p.name for p in tmp_path.iterdir()] == ["bomb.tar.gz"]


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside", "blobs/../../outside"])
def test_unsafe_paths_are_refused(tmp_path, name):
    path = tarball(tmp_path / "image.tar", [*legacy_members(), (name, b"x")])
    assert refusal(path).startswith(f"the tarball has an entry with an unsafe path ({name!r})")


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside"])
def test_links_out_of_the_archive_are_refused(tmp_path, target):
    path = tarball(tmp_path / "image.tar", legacy_members(), links=[("layer/layer.tar", target)])
    assert refusal(path).startswith(f"the tarball's entry 'layer/layer.tar' links outside the archive ({target!r})")


def test_duplicate_entries_are_refused(tmp_path):
    members = legacy_members()
    path = tarball(tmp_path / "image.tar", [*members, ("manifest.json", as_json([]))])
    assert refusal(path).startswith("the tarball has two entries named 'manifest.json'")


def test_devices_are_refused(tmp_path):
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w") as tar:
        add(tar, "dev/null", type=tarfile.CHRTYPE)
    assert refusal(path).startswith("the tarball's entry 'dev/null' is a device, pipe or sparse file")


def test_config_digest_is_verified(tmp_path):
    members = legacy_members(config_name=f"{'ab' * 32}.json")
    path = tarball(tmp_path / "image.tar", members)
    message = refusal(path)
    assert message.startswith(f"the image config's sha256 is sha256:{sha256(members[0][1])[:12]}…, ")
    assert "but the tarball names it abababababab…" in message
    assert "damaged or edited" in message


def test_missing_layer_is_refused(tmp_path):
    path = tarball(tmp_path / "image.tar", legacy_members(layers=["missing/layer.tar"]))
    assert refusal(path).startswith("the tarball lacks the layer 'missing/layer.tar' that its manifest lists")


def test_missing_file(tmp_path):
    assert refusal(tmp_path / "absent.tar").startswith("the image tarball cannot be read: No such file or directory")


def test_two_entries_that_name_one_path_are_refused(tmp_path):
    members = legacy_members()
    path = tarball(tmp_path / "image.tar", [*members, ("./manifest.json", as_json([]))])
    assert refusal(path).startswith("the tarball has two entries named 'manifest.json'")


def test_sparse_entries_are_refused(tmp_path):
    path = tmp_path / "image.tar"
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        add(tar, "layer.tar", type=tarfile.GNUTYPE_SPARSE)
    assert "is a device, pipe or sparse file" in refusal(path)


def test_layers_the_config_does_not_list_are_refused(tmp_path):
    path = tarball(tmp_path / "image.tar", legacy_members(config=image_config(layers=2)))
    assert refusal(path).startswith("the image config lists 2 layers but the manifest 1")


def test_an_oci_layer_of_another_size_than_its_descriptor_is_refused(tmp_path):
    members = oci_members(with_manifest_json=False)
    manifest_name, manifest = members[3]
    document = json.loads(manifest)
    document["layers"][0]["size"] = 3
    members[3] = (f"blobs/sha256/{sha256(as_json(document))}", as_json(document))
    index = json.loads(members[4][1])
    index["manifests"][0]["digest"] = f"sha256:{sha256(as_json(document))}"
    members[4] = ("index.json", as_json(index))
    assert "holds 10240 bytes, but its manifest says 3" in refusal(tarball(tmp_path / "image.tar", members))


def canonical(path):
    """``(ImageTarball, {name: bytes})`` of the canonical copy of the tarball at ``path``."""
    buffer = io.BytesIO()
    with canonical_tarball(path, max_bytes=LIMIT) as (found, chunks):
        for chunk in chunks:
            buffer.write(chunk)
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as tar:
        return found, {member.name: tar.extractfile(member).read() for member in tar}


def assert_canonical(found, members, config, layers):
    digest = found.config_digest.removeprefix("sha256:")
    distinct = sorted(set(layers), key=layers.index)  # each layer once, in the order of first use
    names = [f"layer-{n}.tar" for n in range(len(distinct))]
    assert sorted(members) == sorted([f"{digest}.json", "manifest.json", *names])
    manifest = {"Config": f"{digest}.json", "RepoTags": None, "Layers": [names[distinct.index(x)] for x in layers]}
    assert json.loads(members["manifest.json"]) == [manifest]
    assert members[f"{digest}.json"] == config and sha256(config) == digest
    assert [members[name] for name in names] == distinct


def test_the_canonical_copy_of_a_legacy_tarball_holds_no_name(tmp_path):
    members = legacy_members()
    nested = ("sub/manifest.json", as_json([{"Config": members[0][0], "RepoTags": ["gc-hub/training:latest"],
                                              "Layers": [members[1][0]]}]))  # fmt: skip
    path = tarball(tmp_path / "image.tar", [*members, nested, ("notes.txt", b"not an image file")])
    found, copy = canonical(path)
    assert found.repo_tags == [TAG]
    assert_canonical(found, copy, members[0][1], [layer()])


@pytest.mark.parametrize("with_manifest_json", [True, False], ids=["docker-25", "oci-only"])
def test_the_canonical_copy_of_an_oci_tarball_holds_no_name(tmp_path, with_manifest_json):
    members = oci_members(with_manifest_json=with_manifest_json)
    links = [("legacy/layer.tar", f"../{members[2][0]}")]
    found, copy = canonical(tarball(tmp_path / "image.tar", members, links=links))
    assert_canonical(found, copy, members[1][1], [layer()])


def test_a_canonical_copy_keeps_a_layer_listed_twice_and_follows_links_to_it(tmp_path):
    config = image_config(layers=2)
    members = legacy_members(config=config, layers=["a/layer.tar", "b/layer.tar"])
    members[1] = ("a/layer.tar", members[1][1])
    path = tarball(
        tmp_path / "image.tar", members, links=[("b/layer.tar", "../c/layer.tar"), ("c/layer.tar", "../a/layer.tar")]
    )
    found, copy = canonical(path)
    assert_canonical(found, copy, as_json(config), [layer(), layer()])
    assert json.loads(copy["manifest.json"])[0]["Layers"] == ["layer-0.tar", "layer-0.tar"]


def test_a_layer_that_links_in_a_loop_is_refused(tmp_path):
    members = legacy_members(layers=["a/layer.tar"])
    loop = [("a/layer.tar", "../b/layer.tar"), ("b/layer.tar", "../a/layer.tar")]
    path = tarball(tmp_path / "image.tar", members[:1] + members[2:], links=loop)
    assert refusal(path).startswith("the tarball's layer 'a/layer.tar' is not a file")


def test_the_canonical_copy_of_a_gzip_tarball_leaves_nothing_behind(tmp_path):
    members = legacy_members()
    found, copy = canonical(tarball(tmp_path / "image.tar.gz", members, compress=True))
    assert_canonical(found, copy, members[0][1], [layer()])
    assert [p.name for p in tmp_path.iterdir()] == ["image.tar.gz"]


PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\njovyan:x:1000:100::/home/jovyan:/bin/bash\n"
    "bad:x:x:1\nnobody:x:65534:65534::/:/bin/false\n"
)
GROUP = "root:x:0:\nusers:x:100:\nstaff:x:50:jovyan\n"


def reader(files):
    """An image's filesystem: path -> text (a file), ("link", target), or ImageEntry; asked paths are kept."""
    asked = []

    def read_entry(path):
        asked.append(path)
        value = files.get(path)
        if value is None or isinstance(value, ImageEntry):
            return value
        if isinstance(value, tuple):
            return ImageEntry("link", target=value[1])
        return ImageEntry("file", data=value.encode(), size=len(value))

    read_entry.asked = asked
    return read_entry


@pytest.mark.parametrize(("spec", "expected"), [
    ("1000:100", (1000, 100)), ("jovyan", (1000, 100)), ("1000", (1000, 100)), (" jovyan:staff ", (1000, 50)),
    ("jovyan:2000", (1000, 2000)), ("4321", (4321, 0)), ("nobody:users", (65534, 100)),
])  # fmt: skip
def test_users_resolve_to_numbers_as_docker_picks_them(spec, expected):
    assert resolve_user(spec, reader({"/etc/passwd": PASSWD, "/etc/group": GROUP})) == expected


def test_numbers_need_no_files():
    read_entry = reader({})
    assert resolve_user("1000:1000", read_entry) == (1000, 1000)
    assert read_entry.asked == []


def unresolved(spec, files):
    with pytest.raises(InvalidValue) as caught:
        resolve_user(spec, reader(files))
    return caught.value.message


@pytest.mark.parametrize(("spec", "files"), [
    ("", {}), ("root", {}), ("0:1000", {}), ("toor", {"/etc/passwd": "toor:x:0:0::/:/bin/sh\n"}),
    ("svc:svc", {"/etc/passwd": "svc:x:00:1000::/:/bin/sh\n", "/etc/group": "svc:x:1000:\n"}),
    ("algo", {"/etc/passwd": ("link", "../opt/users"), "/opt/users": "algo:x:0:0::/:/bin/sh\n"}),
])  # fmt: skip
def test_uid_0_by_any_name_is_root(spec, files):
    message = unresolved(spec, files)
    assert message.startswith("runs as root (") and message.endswith(
        "add `USER 1000` (any non-root user) to its Dockerfile"
    )


def test_links_are_followed_inside_the_image_root():
    files = {"/etc/passwd": ("link", "/../../../../host/passwd"), "/host/passwd": ("link", "../opt/./users"),
             "/opt/users": "algo:x:1234:2345::/:/bin/sh\n"}  # fmt: skip
    read_entry = reader(files)
    assert resolve_user("algo", read_entry) == (1234, 2345)
    assert read_entry.asked == ["/etc/passwd", "/host/passwd", "/opt/users"]


@pytest.mark.parametrize(("spec", "files", "why"), [
    ("algo", {}, "it has no /etc/passwd to look up 'algo'"),
    ("algo", {"/etc/passwd": PASSWD}, "its /etc/passwd has no user 'algo'"),
    ("jovyan:wheel", {"/etc/passwd": PASSWD, "/etc/group": GROUP}, "its /etc/group has no group 'wheel'"),
    ("algo", {"/etc/passwd": ("link", "passwd")}, "its /etc/passwd is a chain of more than 8 links"),
    ("algo", {"/etc/passwd": ImageEntry("other")}, "its /etc/passwd is not a file"),
    ("algo", {"/etc/passwd": ImageEntry("unreadable")}, "its /etc/passwd cannot be read (links in a loop?)"),
    ("algo", {"/etc/passwd": ImageEntry("file", size=2 << 20)}, "its /etc/passwd is over 1.0 MB"),
    ("1000:²", {}, "its /etc/group has no group '²'"),
])  # fmt: skip
def test_users_that_cannot_be_looked_up_are_refused_with_what_to_do(spec, files, why):
    message = unresolved(spec, {"/etc/group": GROUP, **files})
    assert message == (
        f"has USER {spec!r}, but {why}: set a numeric user and group in its Dockerfile instead,"
        " such as `USER 1000:1000`"
    )
