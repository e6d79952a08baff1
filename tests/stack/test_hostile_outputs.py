"""What containers leave behind, against the real worker and Docker: algorithm and evaluation
containers that leave links (absolute, relative, into /input, via a linked folder), hard links,
named pipes, sockets, sparse files and odd names in /output, evaluations that leave a phase's
additional output missing or malformed, and predictions zips that escape or explode. Each run
fails with a message that names the socket's path and why, no byte of a host file is kept in the
data directory, the worker keeps running, and a normal job succeeds after."""

import uuid
import zipfile
from pathlib import Path

import pytest
from import_samples import zip_bomb
from runtools import ExecutionPlatform, script_image, wait_for
from sqlalchemy.orm import Session, joinedload, selectinload

from services.core.events import EVALUATION_FAILURE, evaluation_message
from services.core.orm import Challenge, Evaluation, Phase, SocketValue, Submission
from services.queue import TaskQueue

pytestmark = pytest.mark.stack

HOST_SECRET = f"host-secret-{uuid.uuid4().hex}"
PREFIX = "gc-hub-test"  # the worker takes these images as the platform's own (evaluation methods by name)

UNREADABLE_IMAGE = "output 'mask': the image in /output/images/mask/ is not one gc-hub can read"


def mha(data_file, sep="="):
    """A container action writing /output/images/mask/mask.mha whose header names ``data_file``."""
    header = "ObjectType = Image\\nNDims = 3\\nDimSize = 4 4 1\\nElementType = MET_UCHAR\\n"
    header += f"ElementDataFile {sep} {data_file}\\n"
    return f"os.makedirs(O + 'images/mask'); open(O + 'images/mask/mask.mha', 'w').write('{header}')"


# name: (output sockets, what the container does to /output, the words its job's message holds)
ALGORITHMS = {
    "link-to-passwd": ([("result", "any")], "os.symlink('/etc/passwd', O + 'result.json')",
                       "output 'result': /output/result.json is a symbolic link"),
    "link-to-host-secret": ([("result", "any")], "os.symlink('{secret}', O + 'result.json')",
                            "output 'result': /output/result.json is a symbolic link"),
    "file-output-linked-to-host-secret": ([("table", "csv")], "os.symlink('{secret}', O + 'table.csv')",
                                          "output 'table': /output/table.csv is a symbolic link"),
    "relative-link-into-input": ([("result", "any")], "os.symlink('../input/inputs.json', O + 'result.json')",
                                 "output 'result': /output/result.json is a symbolic link"),
    "linked-image-folder": ([("mask", "segmentation")], "os.mkdir(O + 'images'); os.symlink('/', O + 'images/mask')",
                            "output 'mask': /output/images/mask is a symbolic link"),
    "linked-folder-on-the-way": ([("mask", "segmentation")], "os.symlink('/etc', O + 'images')",
                                 "output 'mask': /output/images is not a folder"),
    "image-file-is-a-link": ([("mask", "segmentation")],
                             "os.makedirs(O + 'images/mask'); os.symlink('/etc/passwd', O + 'images/mask/x.mha')",
                             "output 'mask': the .mha file in /output/images/mask/ is a symbolic link"),
    "hard-link": ([("result", "any")],
                  "open(O + 'result.json', 'w').write('1'); os.link(O + 'result.json', O + 'twin')",
                  "output 'result': /output/result.json is a hard link to another file"),
    "named-pipe": ([("result", "any")], "os.mkfifo(O + 'result.json')",
                   "output 'result': /output/result.json is a named pipe"),
    "unix-socket": ([("result", "any")], "socket.socket(socket.AF_UNIX).bind(O + 'result.json')",
                    "output 'result': /output/result.json is a socket"),
    # One file cannot pass the output limit (the sandbox's file size limit: "File too large")...
    "sparse-1-tb": ([("result", "any")], "open(O + 'result.json', 'w').truncate(1 << 40)",
                    "the container exited with code 1"),
    # ... but many sparse files can add up to a terabyte: counted once the container ended.
    "sparse-files-of-1-tb": ([("result", "any")],
                             "for i in range(16400): open(O + f'part{i}', 'w').truncate((64 << 20) - 1)",
                             "the container wrote more than the 64 MB allowed in /output"),
    "sparse-json-over-its-limit": ([("result", "any")], "open(O + 'result.json', 'w').truncate(17 << 20)",
                                   "output 'result': /output/result.json is 17,825,792 bytes, over the 16,777,216"),
    "odd-bytes-in-a-name": ([("mask", "segmentation")],
                            "os.makedirs(O + 'images/mask'); open(b'/output/images/mask/\\xff\\x1b[31m.mha', 'w')",
                            "output 'mask': /output/images/mask is a folder holding a file whose name is not"),
    # Image headers that name other files: parsed only in the sandboxed importer, which sees the
    # one staged image file and nothing of the host.
    "image-header-names-a-host-file": ([("mask", "segmentation")], mha("{secret}"), UNREADABLE_IMAGE),
    "image-header-names-passwd-with-a-colon": ([("mask", "segmentation")], mha("/etc/passwd", sep=":"),
                                               UNREADABLE_IMAGE),
    "image-header-names-a-file-beside-it": (
        [("mask", "segmentation")],
        mha("mask.raw") + "; open(O + 'images/mask/mask.raw', 'wb').write(bytes(16))",
        UNREADABLE_IMAGE,
    ),
}  # fmt: skip

EVALUATIONS = {
    "metrics-link-to-passwd": ("os.symlink('/etc/passwd', O + 'metrics.json')",
                               "/output/metrics.json is a symbolic link"),
    "metrics-relative-link": ("os.symlink('../input/p.json', O + 'metrics.json')",
                              "/output/metrics.json is a symbolic link"),
    "metrics-named-pipe": ("os.mkfifo(O + 'metrics.json')", "/output/metrics.json is a named pipe"),
    "metrics-hard-link": ("open(O + 'm', 'w').write('{}'); os.link(O + 'm', O + 'metrics.json')",
                          "/output/metrics.json is a hard link"),
    "metrics-socket": ("socket.socket(socket.AF_UNIX).bind(O + 'metrics.json')", "/output/metrics.json is a socket"),
}  # fmt: skip

# A phase's additional evaluation outputs (slug, kind), and what a well-behaved evaluation writes for each.
EVALUATION_OUTPUTS = (("eval-overlay", "image"), ("eval-table", "csv"), ("eval-confidence", "float"))
WRITES = {
    "eval-overlay": "os.makedirs(O + 'images/eval-overlay'); open(O + 'images/eval-overlay/o.mha', 'wb').write("
    "b'ObjectType = Image\\nNDims = 2\\nDimSize = 4 2\\nElementType = MET_UCHAR\\n"
    "ElementDataFile = LOCAL\\n' + bytes(range(8)))",
    "eval-table": "open(O + 'eval-table.csv', 'w').write('case,score\\n1,0.5\\n')",
    "eval-confidence": "open(O + 'eval-confidence.json', 'w').write('0.25')",
}
# name: (what the evaluation writes besides its metrics, the words of its failure; None: it succeeds)
OUTPUTS_WRITTEN = {
    "all-outputs": (WRITES, None),
    "image-missing": (WRITES | {"eval-overlay": ""},
                      "output 'eval-overlay': /output/images/eval-overlay/ is missing"),
    "value-malformed": (WRITES | {"eval-confidence": "open(O + 'eval-confidence.json', 'w').write('\"high\"')"},
                        "output 'eval-confidence': /output/eval-confidence.json does not fit the socket's schema"),
    "file-linked": (WRITES | {"eval-table": "os.symlink('/etc/passwd', O + 'eval-table.csv')"},
                    "output 'eval-table': /output/eval-table.csv is a symbolic link"),
}  # fmt: skip

WELL_BEHAVED = "open(O + 'result.json', 'w').write('{\"ok\": true}')"
GOOD_METRICS = "open(O + 'metrics.json', 'w').write('{\"aggregates\": {\"score\": 1}}')"


def script(action):
    return f"import os, socket\nO = '/output/'\n{action}\n"


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-outputs")
    secret = folder / "secret.txt"  # a host file outside the data directory, as a real secret would be
    secret.write_text(HOST_SECRET)
    platform = ExecutionPlatform(folder)
    platform.secret = secret

    def build(name, action):
        return script_image(platform.docker, f"hostile-{name}", script(action.replace("{secret}", str(secret))))

    platform.images = {name: build(name, action) for name, (_, action, _) in ALGORITHMS.items()}
    platform.images |= {name: build(name, action) for name, (action, _) in EVALUATIONS.items()}
    platform.images["well-behaved"] = build("well-behaved", WELL_BEHAVED)
    platform.images["good-metrics"] = build("good-metrics", GOOD_METRICS)
    for name, (writes, _) in OUTPUTS_WRITTEN.items():
        platform.images[f"outputs-{name}"] = build(f"outputs-{name}", "\n".join([GOOD_METRICS, *writes.values()]))
    platform.environment["GC_IMAGE_PREFIX"] = PREFIX
    platform.environment["GC_IMPORT_IMAGE"] = "gc-hub/importer:latest"  # output images are converted by it
    platform.start_worker()
    yield platform
    platform.close()


def run_job(platform, name, outputs=(("result", "any"),)):
    return platform.wait_until_done(platform.queue_job(platform.images[name], outputs=tuple(outputs)))


def run_evaluation(platform, image, predictions_name="predictions.json", predictions=b"[]", outputs=()):
    """An evaluation of a predictions file with ``image`` in a phase whose additional outputs are
    ``outputs`` ((slug, kind) pairs), run to its end: the Evaluation row, with its outputs."""
    relative = f"submissions/{uuid.uuid4().hex}/{predictions_name}"
    Path(platform.data_dir, relative).parent.mkdir(parents=True)
    Path(platform.data_dir, relative).write_bytes(predictions)
    with Session(platform.engine, expire_on_commit=False) as session:
        slug = f"c-{uuid.uuid4().hex[:8]}"
        phase = Phase(challenge=Challenge(slug=slug, title=slug, created_by="researcher"), slug="final", title="Final",
                      method_image=image)  # fmt: skip
        phase.evaluation_additional_outputs = [platform.socket(session, slug, kind) for slug, kind in outputs]
        evaluation = Evaluation(submission=Submission(phase=phase, creator="participant", predictions_path=relative),
                                cpu_limit=1, memory_limit_mb=512, time_limit_s=60)  # fmt: skip
        session.add(evaluation)
        session.commit()
        TaskQueue.from_url(platform.redis.url).run(evaluation)

    def ended():
        with Session(platform.engine) as session:
            return session.get(Evaluation, evaluation.id).status.is_terminal

    log = platform.workers[0].output
    assert wait_for(ended, timeout=90), "the evaluation did not end; worker log:\n" + log()[-3000:]
    with Session(platform.engine, expire_on_commit=False) as session:
        kept = selectinload(Evaluation.outputs).options(joinedload(SocketValue.socket), joinedload(SocketValue.image))
        return session.get(Evaluation, evaluation.id, options=[kept])


def stored_files(platform):
    """The files that values keep in the data directory (``files/`` and ``images/``, thumbnails too)."""
    return {
        path for folder in ("files", "images") for path in (platform.data_dir / folder).rglob("*") if path.is_file()
    }


@pytest.mark.parametrize("name", ALGORITHMS)
def test_a_hostile_output_fails_its_job_naming_the_path(platform, name):
    outputs, _action, words = ALGORITHMS[name]
    job = run_job(platform, name, outputs)
    assert job.status == "failed", job.stderr_tail
    assert words in job.error_message, job.error_message
    assert job.outputs == []


@pytest.mark.parametrize("name", EVALUATIONS)
def test_a_hostile_metrics_json_fails_its_evaluation_naming_the_path(platform, name):
    _action, words = EVALUATIONS[name]
    evaluation = run_evaluation(platform, platform.images[name])
    assert evaluation.status == "failed", evaluation.stderr_tail
    assert evaluation.error_message.startswith("invalid outputs: ") and words in evaluation.error_message
    assert evaluation.metrics is None


@pytest.mark.parametrize("name", OUTPUTS_WRITTEN)
def test_an_evaluation_keeps_the_phases_additional_outputs_only_when_each_fits(platform, name):
    _writes, words = OUTPUTS_WRITTEN[name]
    before = stored_files(platform)
    evaluation = run_evaluation(platform, platform.images[f"outputs-{name}"], outputs=EVALUATION_OUTPUTS)
    if words is None:
        assert evaluation.status == "succeeded", evaluation.error_message
        kept = {value.socket.slug: value for value in evaluation.outputs}
        assert kept["eval-confidence"].value == 0.25 and kept["eval-overlay"].image.dimensions == [4, 2]
        assert Path(platform.data_dir, kept["eval-table"].file_path).read_text() == "case,score\n1,0.5\n"
        return
    assert evaluation.status == "failed", evaluation.stderr_tail
    assert evaluation.error_message.startswith("invalid outputs: "), evaluation.error_message
    assert words in evaluation.error_message, evaluation.error_message
    assert evaluation_message(evaluation, admin=False) == EVALUATION_FAILURE  # the participant: not the socket
    assert evaluation.outputs == [] and evaluation.metrics is None
    assert stored_files(platform) == before, "nothing of its outputs is kept"


def zipped(folder, members):
    path = folder / f"{uuid.uuid4().hex}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path.read_bytes()


@pytest.mark.parametrize(("predictions", "words"), [
    (lambda folder: zip_bomb(folder / "bomb.zip").read_bytes(), "that is a zip bomb"),
    (lambda folder: zipped(folder, {"../../escape.json": "{}"}), "a path that points outside the zip's folder"),
    (lambda folder: zipped(folder, {"a": "1", "a/b": "2"}), "could not be unpacked"),
    (lambda folder: b"PK\x03\x04 cut short", "is not a readable zip"),
])  # fmt: skip
def test_a_predictions_zip_that_cannot_be_unpacked_fails_its_evaluation(platform, tmp_path, predictions, words):
    evaluation = run_evaluation(platform, platform.images["good-metrics"], "predictions.zip", predictions(tmp_path))
    assert evaluation.status == "failed" and "the predictions archive" in evaluation.error_message
    assert words in evaluation.error_message, evaluation.error_message
    assert not (platform.data_dir.parent / "escape.json").exists() and not (platform.data_dir / "escape.json").exists()


def test_a_good_predictions_zip_is_unpacked_into_input(platform, tmp_path):
    predictions = zipped(tmp_path, {"a.json": "1"})
    evaluation = run_evaluation(platform, platform.images["good-metrics"], "predictions.zip", predictions)
    assert evaluation.status == "succeeded", evaluation.error_message
    assert evaluation.metrics == {"aggregates": {"score": 1}}


def test_afterwards_the_worker_runs_a_normal_job_and_no_host_bytes_were_kept(platform):
    job = run_job(platform, "well-behaved")
    assert job.status == "succeeded", job.error_message
    assert job.output_values["result"].value == {"ok": True}
    assert platform.workers[0].process.poll() is None
    assert run_evaluation(platform, platform.images["good-metrics"]).status == "succeeded"
    runs = platform.data_dir / "runs"  # each removed by its worker just after the run's end is committed
    assert wait_for(lambda: not runs.exists() or not any(runs.iterdir()), timeout=30), "run folders are removed"
    host_passwd = Path("/etc/passwd").read_bytes().splitlines()[0]
    for path in platform.data_dir.rglob("*"):
        assert not path.is_symlink(), f"{path} is a link in the data directory"
        if path.is_file():
            data = path.read_bytes()
            assert HOST_SECRET.encode() not in data and host_passwd not in data, path
