"""Importing untrusted image files inside the sandbox, never in the worker's own process.

Image headers can name other files (MetaIO's ``ElementDataFile``, NRRD's ``data file``, DICOM and
TIFF oddities), and no check in Python can be trusted to parse them as ITK does. So the worker does
not read them at all: ``import_in_sandbox`` starts one importer container per batch
(``<GC_IMAGE_PREFIX>/importer``, ``container.py``) with no network, a read-only root, non-root,
CPU, memory, time and output limits, the batch's own folder read-only at ``/input`` and a scratch
``/output``. Whatever a header names, the reader sees only the batch's files and the image's own.
The worker then takes back only what ``results.py`` accepts, copied into the data directory.
"""

import dataclasses
import json
import logging
import os
import shutil
import stat
import uuid
from pathlib import Path

from docker.errors import DockerException, ImageNotFound
from requests import RequestException

from ..core.settings import ExecutionSettings
from ..runner import ImageMissing, ImageRefused, Runner, RunSpec, Sandbox
from ..untrusted_files import UnsafeFile, UntrustedFolder
from .conversion import ConversionLimits, Outcome
from .limits import ImportLimits
from .results import RESULTS_BYTES, RESULTS_BYTES_PER_FILE, Garbage, keep, parse

log = logging.getLogger("gc-import")


def import_in_sandbox(uploads, *, folder, data_dir, runner=None, limits=None, label=None, cancelled=lambda: False):
    """Outcomes of importing ``uploads`` (``conversion.Upload``, paths under ``folder``) in one
    sandboxed importer container; each upload's key is in exactly one Outcome. Images are stored
    under ``data_dir/images/``. ``folder`` is mounted read-only as ``/input``: put nothing in it
    that the uploader may not read (a folder reached through a link is refused). ``label`` names
    the container (``<instance>-<label>``) and its scratch folder (``data_dir/imports/<label>``):
    a rerun with the same label first removes what an earlier attempt left. ``cancelled()`` is
    asked while it runs. A batch the container fails on gets one message for all of its files."""
    uploads = list(uploads)
    if not uploads:
        return []
    limits = limits or ImportLimits()
    if runner is None:
        settings = ExecutionSettings()
        runner = Runner(instance=settings.instance, api_version=settings.docker_api_version)
    folder, data_dir = Path(os.path.abspath(folder)), Path(os.path.abspath(data_dir))
    if os.path.realpath(folder) != str(folder):  # Docker would mount where the link points
        return failed(uploads, f"the folder {folder.name} is reached through a symbolic link")
    retry, label = label is not None, label or f"import-{uuid.uuid4().hex[:12]}"
    work = data_dir / "imports" / label
    shutil.rmtree(work, ignore_errors=True)  # what an earlier attempt left
    work.mkdir(parents=True)
    try:
        request = write_request(uploads, folder, work / "request", limits)
        output = work / "output"
        output.mkdir()
        os.chmod(output, 0o777)  # the importer's non-root user writes here
        problem = run_importer(runner, limits, folder, request, output, f"{runner.instance}-{label}", retry, cancelled)
        if problem:
            return failed(uploads, problem)
        with UntrustedFolder(output, shown="/output") as returned:
            files = len(uploads)
            try:
                data = returned.read_bytes("results.json", max_bytes=RESULTS_BYTES + RESULTS_BYTES_PER_FILE * files)
                entries = parse(data, files=files, max_voxels=limits.max_voxels)
                kept = keep(
                    returned,
                    entries,
                    data_dir=data_dir,
                    max_bytes=limits.output_limit_mb * 1024 * 1024,
                    threads=limits.processes,
                )
            except FileNotFoundError:
                return failed(uploads, "the importer wrote no results")
            except (Garbage, UnsafeFile) as garbage:
                log.warning("importer results refused: %s", garbage)
                return failed(uploads, f"the importer's results were refused ({garbage})")
        return [Outcome(tuple(uploads[i].key for i in keys), image, message) for keys, image, message in kept]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_request(uploads, folder, request_dir, limits):
    """``request_dir/request.json`` for ``uploads`` (keys are their indexes); the files made
    readable for the importer's user. The folder to mount at /request."""
    files = []
    for index, upload in enumerate(uploads):
        path = Path(os.path.abspath(upload.path))
        if not path.is_relative_to(folder):
            raise ValueError(f"{upload.path} is not inside {folder}, the folder mounted as /input")
        make_readable(path, folder)
        files.append({"key": index, "path": path.relative_to(folder).as_posix(), "name": upload.name})
    request_dir.mkdir()
    request = {"limits": dataclasses.asdict(conversion_limits(limits)), "files": files}
    (request_dir / "request.json").write_text(json.dumps(request))
    os.chmod(request_dir, 0o755)
    os.chmod(request_dir / "request.json", 0o644)
    return request_dir


def conversion_limits(limits):
    """The ConversionLimits of ``limits`` (ImportLimits): what the importers inside get to know."""
    return ConversionLimits(
        **{field.name: getattr(limits, field.name) for field in dataclasses.fields(ConversionLimits)}
    )


def make_readable(path, folder):
    """Let anyone read ``path`` and pass through the folders from ``folder`` down to it (regular
    files and folders only; links are left alone)."""
    while True:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            info = None
        if info and (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            wanted = 0o005 if stat.S_ISDIR(info.st_mode) else 0o004
            if info.st_mode & wanted != wanted:
                os.chmod(path, stat.S_IMODE(info.st_mode) | wanted)
        if path == folder:
            return
        path = path.parent


def sandbox(limits):
    """The importer's limits: one CPU per import process, and room for their threads."""
    return Sandbox(
        cpu_limit=float(limits.processes),
        memory_limit_mb=limits.memory_limit_mb,
        time_limit_s=limits.time_limit_s,
        pids_limit=64 + 16 * limits.processes,
        tmp_size_mb=64,
        output_limit_mb=limits.output_limit_mb,
    )


def run_importer(runner, limits, folder, request, output, name, retry, cancelled):
    """Run the importer container ``name`` (first removing one that an earlier attempt left, if
    ``retry``); None when it finished, else why it did not, in words."""
    image = limits.image
    try:
        runner.pull_platform_image(image, ExecutionSettings().registry)  # a node of a cluster may lack it
        spec = RunSpec(
            image=image,
            sandbox=sandbox(limits),
            input_dir=folder,
            output_dir=output,
            name=name,
            read_only_mounts={"/request": request},
            retry=retry,
        )
        outcome = runner.run(spec, cancelled=cancelled)
    except (ImageNotFound, ImageMissing):
        return f"the platform's importer image {image} is missing on this node (build it with images/build.sh importer)"
    except ImageRefused as refused:
        log.error("the importer image was refused: %s", refused)
        return f"the platform's importer image {image} cannot run here; tell the platform's admins"
    except (DockerException, RequestException) as error:
        log.exception("the importer container could not run")
        return f"the platform could not start its importer ({type(error).__name__})"
    if outcome.exit_code or outcome.stopped_because:
        log.warning(
            "importer %s: exit %s, stopped: %s; stderr ends:\n%s",
            spec.name,
            outcome.exit_code,
            outcome.stopped_because,
            outcome.stderr_tail[-2000:],
        )
    return stop_reason(outcome, spec.sandbox)


def stop_reason(outcome, limits):
    """Why the importer (run with the Sandbox ``limits``) gave no results, in words; None if it finished."""
    if outcome.stopped_because == "cancelled":
        return "the import was cancelled"
    if outcome.stopped_because == "time limit":
        return f"it took longer than the {limits.time_limit_s / 60:g} minutes an import may take"
    if outcome.stopped_because == "output limit":
        return f"its images came to more than the {limits.output_limit_mb:,} MB an import may write"
    if outcome.oom_killed or outcome.exit_code == 137:
        return f"it needed more than the {limits.memory_limit_mb / 1024:g} GB of memory an import may use"
    if outcome.exit_code:
        return f"the importer stopped with exit code {outcome.exit_code}"
    return None


def failed(uploads, reason):
    """One Outcome per upload, each with the message of a batch whose import failed."""
    message = f"the import of this upload failed: {reason}; upload it again or tell the platform's admins"
    return [Outcome((upload.key,), message=message) for upload in uploads]
