"""Image import speed: gc-hub's importer against panimg (grand-challenge's), on the same corpus.

    .venv/bin/python benchmarks/import_vs_panimg.py [--runs 3] [--volumes 4]

Builds a mixed corpus in a temporary folder: NIfTI.gz and MHA volumes of 128×256×256 int16
(smooth anatomy-like structure plus noise, as CT compresses), a DICOM series of 96 slices of
256×256, and a 2048×2048 RGB TIFF. The first run installs panimg from PyPI into its own venv
(benchmarks/results/venv-panimg, next to nothing of gc-hub's). Then, alternating, each importer
converts the whole corpus in a fresh process of its own, timed around its convert call alone
(gc-hub: ``import_in_sandbox``, what the import task runs: one importer container for the batch,
its results checked and its images copied into the data directory); the best of ``--runs`` counts.
Every image is compared between the two: voxels (SimpleITK's hash of the pixel buffer) and
geometry (size, spacing, origin, direction) must be identical.

Last line: ``import_speedup_vs_panimg=<gc-hub MB/s / panimg MB/s>`` (input bytes per second).
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PANIMG_VENV = REPO / "benchmarks" / "results" / "venv-panimg"
PANIMG_VERSION = "0.18.2"
GEOMETRY_TOLERANCE = 1e-5  # millimetres; both sides compute geometry in double precision

# Both runners print one JSON line: seconds inside convert, and every image made (hash, geometry).
DESCRIBE = """
import os, resource
import SimpleITK as sitk
def cpu_seconds():  # this process and its finished children (panimg's pool), user + system
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
def describe(path):
    image = sitk.ReadImage(str(path))
    return {"hash": sitk.Hash(image), "size": list(image.GetSize()), "spacing": list(image.GetSpacing()),
            "origin": list(image.GetOrigin()), "direction": list(image.GetDirection()),
            "pixel": image.GetPixelIDTypeAsString(), "file": str(path), "bytes": os.path.getsize(path)}
"""

GC_HUB_RUNNER = (
    DESCRIBE
    + """
import json, sys, time
from pathlib import Path
from services.imaging.conversion import Upload
from services.imaging.sandbox import import_in_sandbox
from services.runner import Runner
corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
files = sorted(p for p in corpus.rglob("*") if p.is_file())
runner = Runner(instance="gc-benchmark-import")
start, cpu = time.perf_counter(), cpu_seconds()
uploads = [Upload(str(p), str(p.relative_to(corpus)), str(p)) for p in files]
outcomes = import_in_sandbox(uploads, folder=corpus, data_dir=out, runner=runner)
seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
errors = [o.message for o in outcomes if o.image is None]
print(json.dumps({"seconds": seconds, "cpu": cpu, "errors": errors,
                  "images": [describe(out / o.image.path) for o in outcomes if o.image]}))
"""
)

PANIMG_RUNNER = (
    DESCRIBE
    + """
import json, sys, time
from pathlib import Path
from panimg import convert
corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
start, cpu = time.perf_counter(), cpu_seconds()
result = convert(input_directory=corpus, output_directory=out)
seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
files = [f.file for f in result.new_image_files]
print(json.dumps({"seconds": seconds, "cpu": cpu, "errors": [], "images": [describe(f) for f in files]}))
"""
)


def panimg_python():
    """The venv's python, with panimg installed from PyPI on first use."""
    python = PANIMG_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing panimg {PANIMG_VERSION} into {PANIMG_VENV} …", flush=True)
        venv.create(PANIMG_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"panimg=={PANIMG_VERSION}"], check=True)
    return python


def build_corpus(folder, volumes):
    """The mixed corpus; returns its size in bytes."""
    sys.path.insert(0, str(REPO / "tests"))
    import SimpleITK as sitk
    from import_samples import dicom_series

    def anatomy(size, seed):
        body = sitk.GaussianSource(
            sitk.sitkFloat32, size, sigma=[s / 4 for s in size], mean=[s / 2 for s in size], scale=1400
        )
        noisy = sitk.AdditiveGaussianNoise(body - 1000, standardDeviation=15, seed=seed)
        image = sitk.Cast(noisy, sitk.sitkInt16)
        image.SetSpacing((0.78, 0.78, 1.25))
        image.SetOrigin((-100.0, -120.0, -80.0 - seed))
        return image

    folder.mkdir(parents=True)
    size = (256, 256, 128)  # x, y, z: 128×256×256 voxels
    for i in range(volumes):
        sitk.WriteImage(anatomy(size, i), str(folder / f"ct{i}.nii.gz"))
    sitk.WriteImage(anatomy(size, 10), str(folder / "mr0.mha"), True)
    sitk.WriteImage(anatomy(size, 11), str(folder / "mr1.mha"), False)
    dicom_series(folder / "dicom", anatomy((256, 256, 96), 20))
    photo = sitk.Cast(sitk.RescaleIntensity(anatomy((2048, 2048), 30)), sitk.sitkUInt8)
    sitk.WriteImage(sitk.Compose(photo, sitk.InvertIntensity(photo), photo), str(folder / "slide.tif"))
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(python, runner, corpus, out, env):
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    done = subprocess.run(
        [str(python), "-c", runner, str(corpus), str(out)], capture_output=True, text=True, env=env, cwd=REPO
    )
    if done.returncode:
        raise SystemExit(f"{runner[:40]!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def close(a, b):
    return len(a) == len(b) and all(abs(x - y) <= GEOMETRY_TOLERANCE for x, y in zip(a, b, strict=True))


def compare(ours, theirs):
    """Lines describing each image pair; SystemExit if any differs."""
    by_hash = {image["hash"]: image for image in theirs["images"]}
    if ours["errors"] or len(ours["images"]) != len(theirs["images"]):
        raise SystemExit(f"gc-hub made {len(ours['images'])} images ({ours['errors']}), panimg {len(theirs['images'])}")
    lines = []
    for image in ours["images"]:
        other = by_hash.get(image["hash"])
        if other is None:
            raise SystemExit(f"no panimg image has the voxels of {image['file']} ({image['size']})")
        for field in ("size", "spacing", "origin", "direction"):
            if not close(image[field], other[field]):
                raise SystemExit(f"{field} differs: gc-hub {image[field]} vs panimg {other[field]} ({image['size']})")
        if image["pixel"] != other["pixel"]:
            raise SystemExit(f"pixel type differs: {image['pixel']} vs {other['pixel']}")
        lines.append(f"  identical: {'×'.join(map(str, image['size']))} {image['pixel']}, voxels and geometry")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each importer; the best counts")
    parser.add_argument("--volumes", type=int, default=4, help="NIfTI.gz volumes in the corpus")
    args = parser.parse_args()
    panimg = panimg_python()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory(prefix="gc-import-bench-") as tmp:
        tmp = Path(tmp)
        corpus_bytes = build_corpus(tmp / "corpus", args.volumes)
        files = sum(1 for p in (tmp / "corpus").rglob("*") if p.is_file())
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        machine = f"{platform.node()}, {os.cpu_count()} cores, load {load}"
        print(f"corpus: {files} files, {corpus_bytes / 1e6:.1f} MB; {machine}", flush=True)
        times, cpu = {"gc-hub": [], "panimg": []}, {"gc-hub": [], "panimg": []}
        for i in range(args.runs):
            ours = run(sys.executable, GC_HUB_RUNNER, tmp / "corpus", tmp / "out-gc-hub", env)
            theirs = run(panimg, PANIMG_RUNNER, tmp / "corpus", tmp / "out-panimg", env)
            times["gc-hub"].append(ours["seconds"])
            times["panimg"].append(theirs["seconds"])
            cpu["gc-hub"].append(ours["cpu"])
            cpu["panimg"].append(theirs["cpu"])
            print(
                f"run {i + 1}: gc-hub {ours['seconds']:.2f} s ({ours['cpu']:.2f} s of CPU outside its container), "
                f"panimg {theirs['seconds']:.2f} s ({theirs['cpu']:.2f} s of CPU)",
                flush=True,
            )
        print("\n".join(compare(ours, theirs)))
        stored = {
            name: sum(image["bytes"] for image in run["images"]) / 1e6
            for name, run in (("gc-hub", ours), ("panimg", theirs))
        }
        print(f"stored: gc-hub {stored['gc-hub']:.1f} MB, panimg {stored['panimg']:.1f} MB")
    speeds = {name: corpus_bytes / 1e6 / min(seconds) for name, seconds in times.items()}
    for name, speed in speeds.items():
        where = " (the worker's side only: the importer container's CPU is not counted)" if name == "gc-hub" else ""
        print(f"{name}: best {min(times[name]):.2f} s, {speed:.1f} MB/s; least CPU {min(cpu[name]):.2f} s{where}")
    print(f"import_speedup_vs_panimg={speeds['gc-hub'] / speeds['panimg']:.2f}")


if __name__ == "__main__":
    main()
