"""gc-hub example algorithm: segment one image with Otsu's threshold (SimpleITK).

The container contract (the same as grand-challenge.org's):

- ``/input/inputs.json`` lists the job's socket values, each ``{"pk", "interface": {"slug",
  "kind", "relative_path", "title"}, "value", "file", "image"}``. The first value whose
  interface kind is "image" is segmented; its file is the one ``.mha``/``.tif`` inside
  ``/input/<relative_path>/``.
- Outputs: ``/output/images/segmentation/<name>.mha`` (uint8 labels, 1 = brighter than Otsu's
  threshold, the input's geometry, compressed) and ``/output/foreground-fraction.json`` (a bare
  JSON number: the fraction of voxels labelled 1).

Usage: ``python algorithm.py [INPUT_DIR [OUTPUT_DIR]]`` (defaults ``/input`` and ``/output``).
Exits 1 with a message on stderr when the input is not what the contract says.
"""

import json
import sys
from pathlib import Path

import SimpleITK as sitk

IMAGE_SUFFIXES = (".mha", ".tif", ".tiff")
SEGMENTATION_DIR = "images/segmentation"
FRACTION_FILE = "foreground-fraction.json"


class BadInput(Exception):
    """The input does not follow the contract; the message says what was found."""


def image_value(input_dir):
    """The first socket value in ``inputs.json`` whose interface kind is "image"."""
    path = input_dir / "inputs.json"
    try:
        values = json.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"{path} is missing: the platform writes it for every job") from None
    except json.JSONDecodeError as error:
        raise BadInput(f"{path} is not valid JSON ({error})") from None
    if not isinstance(values, list):
        raise BadInput(f"{path} must hold a list of socket values, not {type(values).__name__}")
    for value in values:
        interface = value.get("interface") if isinstance(value, dict) else None
        if isinstance(interface, dict) and str(interface.get("kind", "")).lower() == "image":
            return value
    kinds = sorted({str((v.get("interface") or {}).get("kind")) for v in values if isinstance(v, dict)})
    raise BadInput(f"{path} has no input of kind 'image' (kinds found: {', '.join(kinds) or 'none'})")


def image_file(input_dir, value):
    """The single image file inside ``/input/<relative_path>/`` of ``value``'s socket."""
    relative_path = value["interface"].get("relative_path") or ""
    folder = (input_dir / relative_path).resolve()
    if input_dir.resolve() not in folder.parents:
        raise BadInput(f"the image socket's relative_path {relative_path!r} is not inside {input_dir}")
    if not folder.is_dir():
        raise BadInput(f"{folder} is missing: the image socket's folder should hold one .mha or .tif")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if len(files) != 1:
        found = ", ".join(p.name for p in files) or "none"
        raise BadInput(f"{folder} should hold exactly one .mha or .tif file; found: {found}")
    return files[0]


def segment(image):
    """Otsu's threshold: uint8 labels, 1 above the threshold, 0 below; and the threshold."""
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise BadInput(
            f"the image has {image.GetNumberOfComponentsPerPixel()} components per voxel; "
            "this algorithm segments grey-level (single-component) images"
        )
    otsu = sitk.OtsuThresholdImageFilter()
    otsu.SetInsideValue(0)
    otsu.SetOutsideValue(1)
    labels = sitk.Cast(otsu.Execute(image), sitk.sitkUInt8)
    labels.CopyInformation(image)
    return labels, otsu.GetThreshold()


def foreground_fraction(labels):
    """The fraction of voxels labelled 1 (the mean of a 0/1 image)."""
    statistics = sitk.StatisticsImageFilter()
    statistics.Execute(labels)
    return float(statistics.GetMean())


def run(input_dir, output_dir):
    """Segment the first image input and write both output sockets; return a summary line."""
    source = image_file(input_dir, image_value(input_dir))
    try:
        image = sitk.ReadImage(str(source))
    except RuntimeError as error:
        raise BadInput(f"{source} cannot be read as an image: {str(error).strip().splitlines()[-1]}") from None
    labels, threshold = segment(image)
    fraction = foreground_fraction(labels)

    target = output_dir / SEGMENTATION_DIR / (source.stem + ".mha")
    target.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(labels, str(target), useCompression=True)
    (output_dir / FRACTION_FILE).write_text(json.dumps(fraction))
    size = "x".join(str(n) for n in image.GetSize())
    return (
        f"example-algorithm: segmented {source.name} ({size}, Otsu threshold {threshold:g}): "
        f"{fraction:.1%} foreground -> {target}"
    )


def main(argv):
    input_dir = Path(argv[1] if len(argv) > 1 else "/input")
    output_dir = Path(argv[2] if len(argv) > 2 else "/output")
    try:
        print(run(input_dir, output_dir), flush=True)
    except BadInput as error:
        print(f"example-algorithm: error: {error}", file=sys.stderr)
        return 1
    except PermissionError as error:
        print(
            f"example-algorithm: error: cannot write {error.filename}: {output_dir} must be writable "
            "for the container's user (uid 1000)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
