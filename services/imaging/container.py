"""The importer container's program: ``python -I -m services.imaging.container``.

It runs in the sandbox that ``sandbox.import_in_sandbox`` sets up: the files of one upload (or of
one run's outputs) read-only at ``/input``, the request at ``/request/request.json``, and a scratch
``/output``. The request is ``{"limits": {…ConversionLimits…}, "files": [{"key": 0, "path":
"files/ct.mha", "name": "ct.mha"}, …]}`` with paths relative to ``/input``. The program converts
every file (``conversion.convert``, in parallel processes) and writes the images under
``/output/images/`` and ``/output/results.json``::

    {"outcomes": [{"keys": [0, 3], "message": "", "image": {"file": "images/ab/<hex>.mha",
                   "dimensions": […], "spacing": […], …}}, …]}

The worker trusts none of it: it checks results.json and every image before keeping anything.
"""

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from .conversion import ConversionLimits, Upload, convert

INPUT, OUTPUT, REQUEST = Path("/input"), Path("/output"), Path("/request/request.json")
MESSAGE_CHARS = 1000  # the worker refuses longer messages
MODALITY_CHARS = 16  # what the Image row holds
DESCRIPTION_CHARS = 64  # a DICOM LO value, and the Image row's column


def printable(text, limit):
    """``text`` with anything unprintable replaced, cut to ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(outcome):
    """The JSON of one Outcome: its keys, its message, and its image's file and fields."""
    image = None
    if outcome.image is not None:
        fields = asdict(outcome.image)
        image = {"file": fields.pop("path"), **{k: v for k, v in fields.items() if k not in ("size", "sha256")}}
        for key, limit in (("modality", MODALITY_CHARS), ("series_description", DESCRIPTION_CHARS)):
            if image[key] is not None:
                image[key] = printable(image[key], limit)
    return {"keys": list(outcome.keys), "message": printable(outcome.message, MESSAGE_CHARS), "image": image}


def main():
    request = json.loads(REQUEST.read_text())
    limits = ConversionLimits(**request["limits"])
    uploads = [Upload(str(INPUT / file["path"]), file["name"], file["key"]) for file in request["files"]]
    outcomes = convert(uploads, data_dir=OUTPUT, limits=limits)
    partial = OUTPUT / "results.json.partial"
    partial.write_text(json.dumps({"outcomes": [describe(outcome) for outcome in outcomes]}))
    os.replace(partial, OUTPUT / "results.json")
    print(f"importer: {len(uploads)} files, {sum(1 for o in outcomes if o.image)} images", file=sys.stderr)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # results.json is closed: skip the interpreter's teardown, a tenth of a second per batch
