"""The worker's checks of what the importer container hands back (pure logic on files made here):
results.json taken apart strictly, stored headers that must be exactly what SimpleITK writes; and
both fuzzed with seeded random mutations."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import SimpleITK as sitk
from import_samples import volume

from services.imaging.results import Garbage, check_mha_header, keep, parse
from services.untrusted_files import UntrustedFolder

FILE = "images/ab/" + "c" * 32 + ".mha"


def image_fields(**changes):
    fields = {
        "file": FILE,
        "dimensions": [16, 12, 6],
        "spacing": [0.7, 0.8, 2.5],
        "origin": [10.0, -20.0, 30.0],
        "direction": [1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0],
        "pixel_type": "16-bit signed integer",
        "color_space": "gray",
        "window_center": None,
        "window_width": None,
        "modality": None,
        "series_description": None,
        "rescale_slope": None,
        "rescale_intercept": None,
    }
    return fields | changes


def results(*outcomes):
    return json.dumps({"outcomes": list(outcomes)}).encode()


def outcome(keys=(0,), message="", image=None):
    return {"keys": list(keys), "message": message, "image": image}


def test_a_well_formed_result_is_taken_apart():
    data = results(outcome([0, 2], image=image_fields()), outcome([1], message="b.txt is not an image file"))
    entries = parse(data, files=3, max_voxels=10**6)
    assert entries == [((0, 2), image_fields(), ""), ((1,), None, "b.txt is not an image file")]


@pytest.mark.parametrize(
    "data,rule",
    [
        (b"[1, 2", "is not JSON"),
        (b'{"outcomes": [], "extra": 1}', "only an 'outcomes' list"),
        (results(outcome([0], message="x"), outcome([0], message="y")), "names a file that another outcome"),
        (results(outcome([0, 0], message="x")), "names a file that another outcome"),
        (results(outcome([True], message="x")), "'keys' must be a non-empty list"),
        (results(outcome([5], message="x")), "'keys' must be a non-empty list"),
        (results(outcome([], message="x")), "'keys' must be a non-empty list"),
        (results(outcome([0], message="x")), "accounts for 1 of the 2 files"),
        (results(outcome([0, 1])), "neither an image nor a message"),
        (results(outcome([0, 1], message="a\nb")), "'message' must be printable text"),
        (results(outcome([0, 1], message="x" * 1001)), "'message' must be printable text"),
        (results({"keys": [0, 1], "message": "x"}), "must have exactly 'keys', 'message' and 'image'"),
        (results(outcome([0, 1], image=image_fields(extra=1))), "'image' must have exactly the fields"),
        (results(outcome([0, 1], image=image_fields(file="/etc/passwd"))), "'file' must be images/"),
        (results(outcome([0, 1], image=image_fields(file="images/ab/../../x.mha"))), "'file' must be images/"),
        (results(outcome([0, 1], image=image_fields(dimensions=[1, 2, 3, 4, 5]))), "'dimensions' must list 2 to 4"),
        (results(outcome([0, 1], image=image_fields(dimensions=[16, 0, 6]))), "'dimensions' must be a list of 3"),
        (results(outcome([0, 1], image=image_fields(dimensions=[16, 12.5, 6]))), "'dimensions' must be a list of 3"),
        (results(outcome([0, 1], image=image_fields(spacing=[0.7, -1, 2.5]))), "'spacing' must be a list of 3"),
        (results(outcome([0, 1], image=image_fields(spacing=[0.7, 0.8]))), "'spacing' must be a list of 3"),
        (results(outcome([0, 1], image=image_fields(direction=[1, 0, 0]))), "'direction' must be a list of 9"),
        (results(outcome([0, 1], image=image_fields(origin=["0", 0, 0]))), "'origin' must be a list of 3"),
        (results(outcome([0, 1], image=image_fields(pixel_type="complex of 64-bit float"))), "'pixel_type' is not one"),
        (results(outcome([0, 1], image=image_fields(color_space="rgb"))), "'color_space' does not fit"),
        (results(outcome([0, 1], image=image_fields(dimensions=[1000, 1000, 1000]))), "exceed the 1,000,000 voxels"),
        (results(outcome([0, 1], image=image_fields(file=FILE[:-4] + ".tif"))), "only 2D images are stored as .tif"),
        (results(outcome([0, 1], image=image_fields(window_width="400"))), "'window_width' must be a number or null"),
        (results(outcome([0, 1], image=image_fields(modality="C" * 17))), "'modality' must be null or printable"),
        (
            results(outcome([0, 1], image=image_fields(series_description="a\tb"))),
            "'series_description' must be null or printable",
        ),
        (results(outcome([0, 1], image=image_fields(rescale_slope="1"))), "'rescale_slope' must be a number or null"),
        (
            results(outcome([0], image=image_fields()), outcome([1], image=image_fields())),
            "names an image file that another",
        ),
        (results(outcome([0, 1], image=image_fields())).replace(b"0.7", b"NaN"), "holds NaN"),
        (results(outcome([0, 1], image=image_fields())).replace(b"0.7", b"1e999"), "'spacing' must be a list of 3"),
    ],
)
def test_results_that_break_a_rule_are_refused_naming_the_rule(data, rule):
    with pytest.raises(Garbage, match=rule):
        parse(data, files=2, max_voxels=10**6)


def written(tmp_path, image, name="x.mha"):
    path = tmp_path / name
    sitk.WriteImage(image, str(path), True, 1)
    return path


def geometry(image):
    channels = image.GetNumberOfComponentsPerPixel()
    return image_fields(dimensions=list(image.GetSize()), color_space={1: "gray", 3: "rgb", 4: "rgba"}[channels])


@pytest.mark.parametrize(
    "image",
    [
        volume(),
        volume((20, 10)),
        sitk.Image([4, 5, 3, 2], sitk.sitkFloat32),
        sitk.Compose(*[sitk.Cast(volume((8, 8)), sitk.sitkUInt8)] * 3),
        sitk.Compose(*[volume((8, 8, 2), pixel=sitk.sitkFloat64)] * 4),
    ],
)
def test_headers_that_simpleitk_writes_pass(tmp_path, image):
    if image.GetDimension() == 3:
        image.SetDirection([0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    image.SetOrigin([-1.5e-7] * image.GetDimension())
    check_mha_header(written(tmp_path, image), geometry(image), "/output/x.mha")


def forged(tmp_path, header, data=b"\0" * 64):
    path = tmp_path / "forged.mha"
    path.write_bytes(header.encode() + data)
    return path


CANONICAL = (
    "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\nCompressedData = True\n"
    "CompressedDataSize = 64\nTransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = 10 -20 30\nElementSpacing = 0.7 0.8 2.5\n"
    "DimSize = 16 12 6\nElementType = MET_SHORT\nElementDataFile = LOCAL\n"
)


@pytest.mark.parametrize(
    "header,rule",
    [
        (CANONICAL.replace("= LOCAL", "= /etc/passwd"), "line 12 is not one SimpleITK writes"),
        (
            CANONICAL.replace("ElementDataFile = LOCAL", "ElementDataFile: /etc/passwd\nElementDataFile = LOCAL"),
            "line 12 is not 'Key = value'",
        ),
        (CANONICAL.replace("ObjectType = Image\n", "ElementDataFile = x.raw\n"), "line 1 is not one SimpleITK writes"),
        (CANONICAL.replace("NDims = 3\n", "NDims = 3\nNDims = 3\n"), "NDims appears twice"),
        (CANONICAL.replace("NDims = 3\n", "HeaderSize = -1\n"), "line 2 is not one SimpleITK writes"),
        (CANONICAL.replace("NDims = 3\n", "NDims = 3\r\n"), "line 2 is not 'Key = value'"),
        (
            CANONICAL.replace("ElementType = MET_SHORT\n", "ElementType = MET_SHORT\nElementDataFile = LIST\n"),
            "line 12 is not one",
        ),
        (CANONICAL.replace("= LOCAL", "= LOCAL "), "line 12 is not one SimpleITK writes"),
        (CANONICAL.replace("CompressedData = True", "CompressedData = False"), "line 5 is not one SimpleITK writes"),
        (CANONICAL.replace("ElementDataFile = LOCAL\n", ""), "does not end with 'ElementDataFile = LOCAL'"),
        (CANONICAL.replace("DimSize = 16 12 6", "DimSize = 16 12 7"), "dimensions or channels differ"),
        (CANONICAL.replace("ElementSpacing = 0.7 0.8 2.5\n", ""), "the header lacks ElementSpacing"),
        ("ObjectType = Image\n" * 300, "ObjectType appears twice"),
    ],
)
def test_headers_that_simpleitk_would_not_write_are_refused(tmp_path, header, rule):
    check_mha_header(forged(tmp_path, CANONICAL), image_fields(), "/output/x.mha")  # the canonical one passes
    with pytest.raises(Garbage, match=rule):
        check_mha_header(forged(tmp_path, header), image_fields(), "/output/x.mha")


def test_keep_copies_checked_images_and_leaves_nothing_when_one_is_refused(tmp_path):
    output, data = tmp_path / "output", tmp_path / "data"
    (output / "images" / "ab").mkdir(parents=True)
    good = written(output / "images" / "ab", volume(), "a" * 32 + ".mha")
    entries = [((0,), image_fields(file=f"images/ab/{good.name}"), ""), ((1,), None, "no image")]
    with UntrustedFolder(output) as folder:
        kept = keep(folder, entries, data_dir=data, max_bytes=10**6)
    stored = kept[0][1]
    assert stored.path.startswith("images/") and stored.path != entries[0][1]["file"]  # the worker names its copy
    assert (data / stored.path).read_bytes() == good.read_bytes() and not os.path.samefile(data / stored.path, good)
    assert kept[1] == ((1,), None, "no image")

    os.symlink("/etc/passwd", output / "images" / "ab" / ("b" * 32 + ".mha"))
    os.link(written(tmp_path, volume()), output / "images" / "ab" / ("d" * 32 + ".mha"))
    (output / "images" / "ab" / ("9" * 32 + ".mha")).write_bytes(CANONICAL.replace("= LOCAL", "= /etc/passwd").encode())
    before = sorted(data.rglob("*.mha"))
    for name, rule in (
        ("b" * 32, "is a symbolic link"),
        ("d" * 32, "is a hard link"),
        ("e" * 32, "is missing"),
        ("9" * 32, "line 12 is not one SimpleITK writes"),
    ):
        bad = [
            ((0,), image_fields(file=f"images/ab/{good.name}"), ""),
            ((1,), image_fields(file=f"images/ab/{name}.mha"), ""),
        ]
        with UntrustedFolder(output) as folder, pytest.raises(Garbage, match=rule):
            keep(folder, bad, data_dir=data, max_bytes=10**6)
        assert sorted(data.rglob("*.mha")) == before, "the copies made before the refusal are removed"


def mutated(rng, text):
    """``text`` with a few random edits: bytes replaced, inserted, deleted, lines duplicated."""
    data = bytearray(text)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        position = rng.randrange(len(data) + 1)
        if choice < 0.3 and data:
            data[min(position, len(data) - 1)] = rng.choice(b"=: \n\r\0\x7fLOCAL/.%-9eE" + bytes([rng.getrandbits(8)]))
        elif choice < 0.55:
            data[position:position] = rng.choice(
                [b"\n", b":", b"/etc/passwd", b"ElementDataFile = x.raw\n", b"HeaderSize = -1\n", b" "]
            )
        elif choice < 0.8 and data:
            del data[position : position + rng.randint(1, 8)]
        else:
            lines = data.split(b"\n")
            line = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[line])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def test_the_workers_checks_refuse_mutations_with_garbage_only(tmp_path):
    """Mutated headers pass the header check only if they still end their header with
    'ElementDataFile = LOCAL' and name no other file; mutated results.json raise Garbage or parse."""
    rng = random.Random(20261202)
    path = tmp_path / "x.mha"
    for _ in range(2000):
        data = mutated(rng, CANONICAL.encode() + b"\0" * 64)
        path.write_bytes(data)
        try:
            check_mha_header(path, image_fields(), "/output/x.mha")
        except Garbage:
            continue
        header = data[: data.index(b"ElementDataFile = LOCAL\n")].decode("ascii")
        assert "ElementDataFile" not in header and ":" not in header and "HeaderSize" not in header, header
    valid = results(outcome([0, 1], image=image_fields()), outcome([2], message="c.txt is not an image"))
    for _ in range(2000):
        try:
            entries = parse(mutated(rng, valid), files=3, max_voxels=10**6)
        except Garbage:
            continue
        assert sorted(key for keys, _, _ in entries for key in keys) == [0, 1, 2]
        assert all(image is None or image["file"].startswith("images/") for _, image, _ in entries)
        json.dumps(entries)  # plain data only


def test_the_worker_never_loads_the_dicom_or_nifti_2_readers():
    """pydicom and nibabel parse untrusted files: they are in the importer image, not the worker's."""
    code = "import sys; sys.modules['pydicom'] = sys.modules['nibabel'] = None; import services.worker"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
