"""Fuzzing the import with generated hostile headers (seeded, bounded: 40 files).

MetaIO and NRRD headers with random key spellings (``=``, ``:``, ``:=``, case, indentation),
duplicate and missing keys, odd sizes, dimensions, pixel types, HeaderSize and compression fields,
data files that name host secrets, another session's upload, devices, LIST and pattern forms, and
random truncations. They go through the upload API to the real worker and the importer container:
every file ends with a status and a message, no secret's bytes reach a message or an image, and
the worker keeps importing. (The worker's own checks of importer output are fuzzed in
tests/unit/test_import_results.py.)
"""

import random
from pathlib import Path

import pytest
from import_samples import volume, write
from test_hostile_import import Attacker, fragments, secret, secrets_fixture  # noqa: F401 (the `secrets` fixture)

pytestmark = pytest.mark.stack

SEED = 20261202
FILES = 40
SESSIONS = 4

SEPARATORS = [": ", " : ", ":=", "=", " =  ", "\t= "]  # besides " = "
ELEMENT_TYPES = ["MET_UCHAR", "MET_SHORT", "MET_FLOAT", "MET_DOUBLE", "MET_ULONG_LONG", "MET_FOO", ""]
NRRD_TYPES = ["uint8", "short", "float", "double", "int64", "block", "nonsense"]
ENCODINGS = ["raw", "raw", "gzip", "ascii", "hex", "bogus"]


def odd(rng, usual, *unusual, p=0.25):
    """``usual`` mostly; one of ``unusual`` with probability ``p``."""
    return rng.choice(unusual) if rng.random() < p else usual


def spelled(rng, key, p=0.25):
    """``key`` as a header line's start: ``Key = ``, or (with probability ``p`` each) its case,
    indentation or separator varied."""
    key = odd(rng, key, key.lower(), key.upper(), f"  {key}", f"{key} ", p=p)
    return key + odd(rng, " = ", *SEPARATORS, p=p)


def data_file_targets(secrets, victim_session):
    """What a header may name besides the upload's own data: secrets, another session's file, devices."""
    host = next(path for path in secrets if path.name == "secret.bin")
    data = next(path for path in secrets if path.name == "hostile-secret.bin")
    their = f"../../{victim_session}/files/theirs.raw"
    return [
        str(host),
        str(data),
        their,
        f"../../../uploads/{victim_session}/files/theirs.raw",
        "../../../hostile-secret.bin",
        str(data.parent / "secrets.json"),
        f"LIST\n{host}",
        f"{host.parent}/secret%d.bin 1 1 1",
        "",
        "/etc/passwd",
        "/proc/self/environ",
        "/dev/zero",
        "/dev/urandom",
    ]


def metaio(rng, targets, own):
    """A MetaIO header made of random, partly hostile fields, and voxels after it. ``own`` is where
    its data should be (LOCAL or its raw's name); hostile ElementDataFile lines often come first."""
    ndims = odd(rng, rng.choice([2, 3]), 1, 4, 0, 7, "x", p=0.15)
    count = ndims if isinstance(ndims, int) and 0 < ndims < 6 else rng.randint(1, 4)
    size = [odd(rng, rng.randint(1, 12), 0, -1, 10**6, 2**40, "x", "1e3", p=0.1) for _ in range(count)]
    fields = [
        ("NDims", ndims),
        ("DimSize", " ".join(map(str, size))),
        ("ElementType", odd(rng, "MET_UCHAR", *ELEMENT_TYPES)),
    ]
    optional = [
        ("HeaderSize", rng.choice([-1, 0, 7, 10**12, "abc", -9])),
        ("CompressedData", rng.choice(["True", "False", "yes"])),
        ("CompressedDataSize", rng.choice([0, 10, 10**9, -3])),
        ("ElementNumberOfChannels", rng.choice([1, 2, 3, 4, 0, 99])),
        ("ElementSpacing", " ".join(rng.choice(["1", "0.5", "0", "-1", "nan", "inf", "1e-300"]) for _ in range(count))),
        ("BinaryDataByteOrderMSB", rng.choice(["True", "False"])),
        ("ObjectType", rng.choice(["Image", "Tube", ""])),
    ]
    fields = [("ObjectType", "Image")] + fields + rng.sample(optional, odd(rng, 0, 1, 2, 3, p=0.5))
    lines = [spelled(rng, key) + str(value) for key, value in fields]
    for _ in range(rng.choice([0, 1, 1, 2])):  # ITK takes the first it understands; Python may see another
        lines.append(spelled(rng, "ElementDataFile", p=0.7) + rng.choice(targets))
    lines.append("ElementDataFile = " + odd(rng, own, *targets, p=0.2))
    voxels = odd(rng, b"\0" * 4096, b"", bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 512))), p=0.2)
    return ("\n".join(lines) + "\n").encode() + (voxels if own == "LOCAL" else b"")


def nrrd(rng, targets):
    """An NRRD header with random fields, sometimes detached (``data file``/``datafile`` spelled variously)."""
    dimension = odd(rng, rng.choice([2, 3]), 1, 4, 9)
    lines = [
        odd(rng, "NRRD0004", "NRRD0005", "NRRD0001", "NRRD000x", p=0.1),
        f"type: {odd(rng, 'uint8', *NRRD_TYPES)}",
        f"dimension: {dimension}",
        f"sizes: {' '.join(str(odd(rng, rng.randint(1, 12), 0, -4, 2**40, p=0.1)) for _ in range(dimension))}",
        f"encoding: {odd(rng, 'raw', *ENCODINGS)}",
    ]
    for _ in range(odd(rng, 0, 1, 2, p=0.4)):
        key = rng.choice(["data file", "datafile", "DATA FILE", " data file", "data  file", "Data File"])
        lines.append(f"{key}{rng.choice([': ', ':=', ' : '])}{rng.choice(targets)}")
    lines[1:] = rng.sample(lines[1:], len(lines) - 1)
    return ("\n".join(lines) + odd(rng, "\n\n", "\n", "\r\n\r\n", p=0.1)).encode() + odd(rng, b"\0" * 4096, b"", p=0.1)


def generated(rng, targets):
    """``FILES`` files (name → bytes): MetaIO and NRRD headers, the raws of .mhd files, truncations."""
    files = {}
    while len(files) < FILES:
        stem = f"fuzz{len(files):02d}"
        kind = rng.choice(["mha", "mha", "mhd", "nrrd"])
        data = (
            nrrd(rng, targets) if kind == "nrrd" else metaio(rng, targets, "LOCAL" if kind == "mha" else f"{stem}.raw")
        )
        if rng.random() < 0.15:
            data = data[: rng.randint(0, len(data))]
        files[f"{stem}.{kind}"] = data
        if kind == "mhd" and len(files) < FILES:
            files[f"{stem}.raw"] = odd(rng, b"\0" * 4096, b"", b"\0" * 5, p=0.2)
    return files


def test_generated_hostile_headers_through_the_upload_api(hub, secrets, tmp_path):
    rng = random.Random(SEED)
    victim, attacker = Attacker(hub, "researcher"), Attacker(hub, "clinician")
    theirs = secret("FUZZ-OTHER-SESSION")
    victim_session, _ = victim.upload({"theirs.raw": theirs}, start=False)
    files = generated(rng, data_file_targets(secrets, victim_session))
    pieces = fragments(secrets) + [theirs[:24]]
    data_dir = Path(hub.env["GC_DATA_DIR"])
    for batch in range(SESSIONS):  # fuzzNN.mhd and fuzzNN.raw go together
        _, body = attacker.upload({name: data for name, data in files.items() if int(name[4:6]) % SESSIONS == batch})
        assert body["status"] in ("succeeded", "failed"), body
        for file in body["files"]:
            message = file["message"] or ""
            assert file["status"] in ("succeeded", "failed") and message, file
            assert not any(piece.decode() in message for piece in pieces), file
        for image_id in body["images"]:
            voxels = attacker.voxels(image_id, tmp_path)
            assert not any(piece in voxels for piece in pieces), f"image {image_id} holds a secret's bytes"
    assert (data_dir / "uploads" / str(victim_session) / "files" / "theirs.raw").read_bytes() == theirs
    assert all(path.read_bytes() == data for path, data in secrets.items())
    ct = write(volume((20, 16, 8)), tmp_path / "ct.mha").read_bytes()
    _, body = victim.upload({"ct.mha": ct})
    assert body["status"] == "succeeded", "the worker still imports ordinary uploads"
