"""gc-hub example evaluation: Dice and volume difference per case (SimpleITK).

Ground truth: one segmentation per case, ``<case>.mha``, in ``/opt/ml/input/data/ground_truth/``.
Predictions, in either of the contract's two forms:

- algorithm phase: ``/input/predictions.json`` lists the algorithm jobs ``{"pk", "status",
  "inputs", "outputs"}``; a job's segmentation is the one ``.mha``/``.tif`` in
  ``/input/<pk>/output/<relative_path>/`` of its "segmentation" output, and its case is the name of
  its image input (``image.name`` without the extension);
- predictions phase (no ``predictions.json``): segmentations named ``<case>.mha`` anywhere under
  ``/input/`` (an uploaded zip is extracted there).

Writes ``/output/metrics.json``::

    {"case": {"<case>": {"dice": 0.93, "volume_difference": 120}, ...},
     "aggregates": {"dice": {"mean": .., "std": ..}, "volume_difference": {"mean": ..},
                    "score": <mean dice>, "missing": ["<case>", ...]}}

Labels are compared as foreground (non-zero) against background, voxel by voxel; the volume
difference is the absolute difference of the foreground voxel counts. A ground-truth case without
a prediction scores dice 0 (as an empty prediction would), and is listed in ``missing``.

Usage: ``python evaluation.py [INPUT_DIR [OUTPUT_DIR [GROUND_TRUTH_DIR]]]``.
Exits 1 with a message on stderr when the input is not what the contract says.
"""

import json
import statistics
import sys
from pathlib import Path

import SimpleITK as sitk

IMAGE_SUFFIXES = (".mha", ".tif", ".tiff")
SEGMENTATION_KINDS = ("segmentation",)


class BadInput(Exception):
    """The input does not follow the contract; the message says what was found."""


def case_name(file_name):
    """ "case-001.mha" -> "case-001"."""
    return Path(file_name).stem if Path(file_name).suffix.lower() in IMAGE_SUFFIXES else file_name


def images_in(folder, *, recursive=False):
    """The image files in ``folder`` (hidden files and macOS zip leftovers are skipped)."""
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p
        for p in candidates
        if p.is_file()
        and p.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(folder).parts)
    )


def by_case(files, where):
    """``{case: file}``, refusing two files that name the same case."""
    cases = {}
    for path in files:
        case = case_name(path.name)
        if case in cases:
            raise BadInput(f"{where} holds two files for case {case!r}: {cases[case]} and {path}")
        cases[case] = path
    return cases


def ground_truth(folder):
    """``{case: file}`` of the ground truth."""
    if not folder.is_dir():
        raise BadInput(f"the ground truth folder {folder} is missing: the phase's ground truth is mounted there")
    cases = by_case(images_in(folder), folder)
    if not cases:
        raise BadInput(f"{folder} holds no ground truth (expected one <case>.mha per case)")
    return cases


def job_prediction(input_dir, job):
    """``(case, file)`` of one algorithm job listed in predictions.json."""
    pk = job.get("pk")
    images = [v["image"] for v in job.get("inputs") or [] if isinstance(v, dict) and v.get("image")]
    if not images or not images[0].get("name"):
        raise BadInput(f"job {pk} in predictions.json has no image input, so its case is unknown")
    outputs = [
        v
        for v in job.get("outputs") or []
        if isinstance(v, dict) and str((v.get("interface") or {}).get("kind", "")).lower() in SEGMENTATION_KINDS
    ]
    if not outputs:
        raise BadInput(f"job {pk} in predictions.json has no output of kind 'segmentation'")
    relative_path = outputs[0]["interface"].get("relative_path")
    if not relative_path:
        raise BadInput(f"job {pk}'s segmentation output in predictions.json has no relative_path")
    folder = input_dir / str(pk) / "output" / relative_path
    files = images_in(folder) if folder.is_dir() else []
    if len(files) != 1:
        raise BadInput(f"{folder} should hold exactly one .mha or .tif file; found {len(files)}")
    return case_name(images[0]["name"]), files[0]


def predictions(input_dir):
    """``{case: file}`` of the predictions, from predictions.json or the files under /input."""
    listing = input_dir / "predictions.json"
    if not listing.exists():
        cases = by_case(images_in(input_dir, recursive=True), input_dir)
        if not cases:
            raise BadInput(f"{input_dir} holds no predictions: expected segmentations named <case>.mha")
        return cases
    try:
        jobs = json.loads(listing.read_text())
    except json.JSONDecodeError as error:
        raise BadInput(f"{listing} is not valid JSON ({error})") from None
    if not isinstance(jobs, list):
        raise BadInput(f"{listing} must hold a list of jobs, not {type(jobs).__name__}")
    cases = {}
    for job in jobs:
        if not isinstance(job, dict):
            raise BadInput(f"{listing} must hold a list of jobs (objects), found {json.dumps(job)[:40]}")
        if str(job.get("status", "succeeded")).lower() not in ("succeeded", "success"):
            print(f"example-evaluation: skipping job {job.get('pk')} (status {job.get('status')})")
            continue
        case, path = job_prediction(input_dir, job)
        if case in cases:
            raise BadInput(f"two jobs in {listing} predict case {case!r}: {cases[case]} and {path}")
        cases[case] = path
    return cases


def foreground(path):
    """The image at ``path`` as a 0/1 uint8 mask (non-zero is foreground)."""
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as error:
        raise BadInput(f"{path} cannot be read as an image: {str(error).strip().splitlines()[-1]}") from None
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise BadInput(f"{path} has {image.GetNumberOfComponentsPerPixel()} components per voxel; expected labels")
    return sitk.Cast(sitk.NotEqual(image, 0), sitk.sitkUInt8)


def voxel_count(mask):
    """How many voxels of a 0/1 mask are 1."""
    statistics_filter = sitk.StatisticsImageFilter()
    statistics_filter.Execute(mask)
    return int(round(statistics_filter.GetSum()))


def compare(case, truth_path, prediction_path):
    """``{"dice", "volume_difference"}`` of one case."""
    truth, prediction = foreground(truth_path), foreground(prediction_path)
    if truth.GetSize() != prediction.GetSize():
        raise BadInput(
            f"the prediction for case {case!r} has size {prediction.GetSize()}, "
            f"the ground truth {truth.GetSize()}: a segmentation must have its image's size"
        )
    prediction.CopyInformation(truth)
    truth_volume, predicted_volume = voxel_count(truth), voxel_count(prediction)
    overlap = voxel_count(sitk.And(truth, prediction))
    total = truth_volume + predicted_volume
    dice = 2.0 * overlap / total if total else 1.0
    return {"dice": dice, "volume_difference": abs(predicted_volume - truth_volume)}


def evaluate(input_dir, ground_truth_dir):
    """The metrics document for the predictions in ``input_dir``."""
    truth = ground_truth(ground_truth_dir)
    predicted = predictions(input_dir)
    for case in sorted(set(predicted) - set(truth)):
        print(f"example-evaluation: ignoring {predicted[case]}: no ground truth for case {case!r}")
    cases, missing = {}, []
    for case, truth_path in sorted(truth.items()):
        if case in predicted:
            cases[case] = compare(case, truth_path, predicted[case])
        else:
            missing.append(case)
            cases[case] = {"dice": 0.0, "volume_difference": voxel_count(foreground(truth_path))}
        print(f"example-evaluation: {case}: dice {cases[case]['dice']:.4f}" + (" (missing)" if case in missing else ""))
    dice = [c["dice"] for c in cases.values()]
    volume = [c["volume_difference"] for c in cases.values()]
    aggregates = {
        "dice": {"mean": statistics.fmean(dice), "std": statistics.pstdev(dice)},
        "volume_difference": {"mean": statistics.fmean(volume)},
        "score": statistics.fmean(dice),
        "missing": missing,
    }
    return {"case": cases, "aggregates": aggregates}


def main(argv):
    input_dir = Path(argv[1] if len(argv) > 1 else "/input")
    output_dir = Path(argv[2] if len(argv) > 2 else "/output")
    ground_truth_dir = Path(argv[3] if len(argv) > 3 else "/opt/ml/input/data/ground_truth")
    try:
        metrics = evaluate(input_dir, ground_truth_dir)
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    except BadInput as error:
        print(f"example-evaluation: error: {error}", file=sys.stderr)
        return 1
    except PermissionError as error:
        print(
            f"example-evaluation: error: cannot write {error.filename}: {output_dir} must be writable "
            "for the container's user (uid 1000)",
            file=sys.stderr,
        )
        return 1
    summary = metrics["aggregates"]
    print(
        f"example-evaluation: {len(metrics['case'])} cases, mean dice {summary['score']:.4f}, "
        f"{len(summary['missing'])} missing -> {output_dir / 'metrics.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
