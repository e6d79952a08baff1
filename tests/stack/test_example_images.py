"""The example algorithm and evaluation images, run as real containers in the sandbox.

The images are built by `images/build.sh examples` (`make test` builds them first). Each test lays
out `/input` as the container contract says and runs the image with the sandbox's flags.
"""

import gzip
import json
import math
import shutil
import uuid

import docker
import pytest
import SimpleITK as sitk

from services.container_images import inspect_image_tarball

pytestmark = pytest.mark.stack

ALGORITHM = "gc-hub/example-algorithm:latest"
EVALUATION = "gc-hub/example-evaluation:latest"
GROUND_TRUTH = "/opt/ml/input/data/ground_truth"

IMAGE_SOCKET = {"slug": "ct-image", "kind": "image", "relative_path": "images/image", "title": "CT image"}
SEGMENTATION_SOCKET = {
    "slug": "segmentation",
    "kind": "segmentation",
    "relative_path": "images/segmentation",
    "title": "Segmentation",
}
FRACTION_SOCKET = {
    "slug": "foreground-fraction",
    "kind": "float",
    "relative_path": "foreground-fraction.json",
    "title": "Foreground fraction",
}


@pytest.fixture(scope="module")
def client():
    """The local Docker engine, with both example images present."""
    engine = docker.from_env()
    for name in (ALGORITHM, EVALUATION):
        try:
            engine.images.get(name)
        except docker.errors.ImageNotFound:
            pytest.fail(f"{name} is not built: run `images/build.sh examples` (or `make images`)")
    yield engine
    engine.close()


def run_sandboxed(client, image, folder, *, ground_truth=None):
    """Run ``image`` on ``folder``/input with the sandbox's flags, writing ``folder``/output;
    return (exit code, stdout, stderr)."""
    input_dir, output_dir = folder / "input", folder / "output"
    output_dir.mkdir(parents=True, exist_ok=True)
    output_dir.chmod(0o777)
    volumes = {str(input_dir): {"bind": "/input", "mode": "ro"}, str(output_dir): {"bind": "/output", "mode": "rw"}}
    if ground_truth is not None:
        volumes[str(ground_truth)] = {"bind": GROUND_TRUTH, "mode": "ro"}
    container = client.containers.run(
        image,
        detach=True,
        network_mode="none",
        read_only=True,
        tmpfs={"/tmp": "rw,size=64m"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        pids_limit=128,
        mem_limit="1g",
        memswap_limit="1g",
        environment={"OMP_NUM_THREADS": "1", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS": "1", "HOME": "/tmp"},
        volumes=volumes,
    )
    try:
        exit_code = container.wait(timeout=120)["StatusCode"]
        stdout = container.logs(stdout=True, stderr=False).decode()
        stderr = container.logs(stdout=False, stderr=True).decode()
    finally:
        container.remove(force=True)
    return exit_code, stdout, stderr


def synthetic_volume(path):
    """A small 3D float volume (a bright blob on a dark background) with non-trivial geometry."""
    image = sitk.GaussianSource(sitk.sitkFloat32, [40, 32, 12], sigma=[8, 6, 3], mean=[20, 16, 6], scale=1000)
    image.SetSpacing([0.8, 0.6, 2.5])
    image.SetOrigin([-12.0, 4.5, 30.0])
    image.SetDirection([0, -1, 0, 1, 0, 0, 0, 0, 1])
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(path))
    return image


def socket_value(pk, interface, *, image_name=None, value=None):
    """One entry of inputs.json / a job's inputs or outputs in predictions.json."""
    file = None
    if image_name is not None:
        file = f"/input/{interface['relative_path']}/{image_name}"
    return {
        "pk": pk,
        "interface": interface,
        "value": value,
        "file": file,
        "image": {"pk": str(uuid.uuid4()), "name": image_name} if image_name else None,
    }


def algorithm_input(folder, name):
    """An algorithm job's /input for one synthetic image called ``name``; returns the image."""
    image = synthetic_volume(folder / IMAGE_SOCKET["relative_path"] / name)
    (folder / "inputs.json").write_text(json.dumps([socket_value(1, IMAGE_SOCKET, image_name=name)]))
    return image


@pytest.fixture(scope="module")
def algorithm_run(client, tmp_path_factory):
    """The example algorithm run once on case-001.mha: (input image, /output folder, exit, stdout, stderr)."""
    folder = tmp_path_factory.mktemp("algorithm")
    image = algorithm_input(folder / "input", "case-001.mha")
    result = run_sandboxed(client, ALGORITHM, folder)
    return (image, folder / "output", *result)


def the_segmentation(output_dir):
    """The one file in the segmentation socket's folder."""
    files = list((output_dir / SEGMENTATION_SOCKET["relative_path"]).iterdir())
    assert len(files) == 1, files
    return files[0]


def test_algorithm_writes_segmentation_and_fraction(algorithm_run):
    image, output_dir, exit_code, stdout, stderr = algorithm_run
    assert exit_code == 0, stderr
    assert len(stdout.strip().splitlines()) == 1 and "case-001.mha" in stdout

    path = the_segmentation(output_dir)
    assert path.suffix == ".mha"
    assert "CompressedData = True" in path.read_bytes()[:2000].decode(errors="replace")
    labels = sitk.ReadImage(str(path))
    assert labels.GetPixelID() == sitk.sitkUInt8
    assert labels.GetSize() == image.GetSize()
    for got, want in (
        (labels.GetSpacing(), image.GetSpacing()),
        (labels.GetOrigin(), image.GetOrigin()),
        (labels.GetDirection(), image.GetDirection()),
    ):
        assert got == pytest.approx(want)
    statistics = sitk.StatisticsImageFilter()
    statistics.Execute(labels)
    assert (statistics.GetMinimum(), statistics.GetMaximum()) == (0, 1)

    fraction = json.loads((output_dir / FRACTION_SOCKET["relative_path"]).read_text())
    assert isinstance(fraction, float) and 0 < fraction < 1
    assert fraction == pytest.approx(statistics.GetMean())


def test_algorithm_refuses_input_without_an_image(client, tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "inputs.json").write_text(json.dumps([socket_value(1, FRACTION_SOCKET, value=0.5)]))
    exit_code, _, stderr = run_sandboxed(client, ALGORITHM, tmp_path)
    assert exit_code == 1
    assert "has no input of kind 'image' (kinds found: float)" in stderr
    assert "Traceback" not in stderr


def test_algorithm_refuses_an_unreadable_image(client, tmp_path):
    folder = tmp_path / "input" / IMAGE_SOCKET["relative_path"]
    folder.mkdir(parents=True)
    (folder / "case-001.mha").write_text("not an image\n")
    inputs = [socket_value(1, IMAGE_SOCKET, image_name="case-001.mha")]
    (tmp_path / "input" / "inputs.json").write_text(json.dumps(inputs))
    exit_code, _, stderr = run_sandboxed(client, ALGORITHM, tmp_path)
    assert exit_code == 1
    assert "case-001.mha cannot be read as an image" in stderr


def ground_truth_of(algorithm_run, folder, *, extra_case=None):
    """Ground truth equal to the algorithm's own output for case-001 (plus ``extra_case``)."""
    folder.mkdir()
    segmentation = the_segmentation(algorithm_run[1]).read_bytes()
    (folder / "case-001.mha").write_bytes(segmentation)
    if extra_case:
        (folder / f"{extra_case}.mha").write_bytes(segmentation)
    return folder


def test_evaluation_of_an_algorithm_phase(client, algorithm_run, tmp_path):
    """predictions.json + /input/<pk>/output/...; a case without a job is missing (dice 0)."""
    outputs = tmp_path / "input" / "42" / "output"
    segmentation = outputs / SEGMENTATION_SOCKET["relative_path"] / "result.mha"
    segmentation.parent.mkdir(parents=True)
    segmentation.write_bytes(the_segmentation(algorithm_run[1]).read_bytes())
    fraction = json.loads((algorithm_run[1] / FRACTION_SOCKET["relative_path"]).read_text())
    (outputs / FRACTION_SOCKET["relative_path"]).write_text(json.dumps(fraction))
    job = {
        "pk": 42,
        "status": "succeeded",
        "inputs": [socket_value(1, IMAGE_SOCKET, image_name="case-001.mha")],
        "outputs": [
            socket_value(2, SEGMENTATION_SOCKET, image_name="result.mha"),
            socket_value(3, FRACTION_SOCKET, value=fraction),
        ],
    }
    (tmp_path / "input" / "predictions.json").write_text(json.dumps([job]))
    truth = ground_truth_of(algorithm_run, tmp_path / "ground_truth", extra_case="case-002")

    exit_code, stdout, stderr = run_sandboxed(client, EVALUATION, tmp_path, ground_truth=truth)
    assert exit_code == 0, stderr
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert metrics["case"]["case-001"] == {"dice": 1.0, "volume_difference": 0}
    assert metrics["case"]["case-002"]["dice"] == 0.0
    aggregates = metrics["aggregates"]
    assert aggregates["missing"] == ["case-002"]
    assert aggregates["score"] == aggregates["dice"]["mean"] == 0.5
    assert aggregates["dice"]["std"] == pytest.approx(0.5)
    assert math.isfinite(aggregates["volume_difference"]["mean"])
    assert "mean dice 0.5000" in stdout


def test_evaluation_of_a_predictions_phase(client, algorithm_run, tmp_path):
    """No predictions.json: segmentations named <case>.mha under /input, here in a subfolder."""
    (tmp_path / "input" / "submission").mkdir(parents=True)
    (tmp_path / "input" / "submission" / "case-001.mha").write_bytes(the_segmentation(algorithm_run[1]).read_bytes())
    truth = ground_truth_of(algorithm_run, tmp_path / "ground_truth")

    exit_code, _, stderr = run_sandboxed(client, EVALUATION, tmp_path, ground_truth=truth)
    assert exit_code == 0, stderr
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert metrics["case"] == {"case-001": {"dice": 1.0, "volume_difference": 0}}
    assert metrics["aggregates"]["score"] == 1.0 and metrics["aggregates"]["missing"] == []


def test_evaluation_refuses_an_empty_submission(client, algorithm_run, tmp_path):
    (tmp_path / "input").mkdir()
    truth = ground_truth_of(algorithm_run, tmp_path / "ground_truth")
    exit_code, _, stderr = run_sandboxed(client, EVALUATION, tmp_path, ground_truth=truth)
    assert exit_code == 1
    assert "holds no predictions: expected segmentations named <case>.mha" in stderr


def test_saved_example_image_passes_the_intake(client, tmp_path):
    """`docker save` of the example algorithm, as .tar and .tar.gz: the digest is the engine's image ID."""
    image = client.images.get(ALGORITHM)
    plain = tmp_path / "algorithm.tar"
    with plain.open("wb") as file:
        for chunk in image.save(named=True):
            file.write(chunk)
    compressed = tmp_path / "algorithm.tar.gz"
    with plain.open("rb") as source, gzip.open(compressed, "wb", compresslevel=1) as target:
        shutil.copyfileobj(source, target, 1 << 20)

    for path in (plain, compressed):
        result = inspect_image_tarball(path, max_bytes=2_000_000_000)
        assert result.config_digest == image.id
        assert ALGORITHM in result.repo_tags
        assert (result.os, result.architecture, result.user) == ("linux", "amd64", "1000")
        assert result.size_bytes == plain.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["algorithm.tar", "algorithm.tar.gz"]
