"""Converting a batch of uploaded files into stored images, in parallel across processes.

``convert`` recognises each file, pairs ``.mhd`` headers with their raw data, groups DICOM files
into series, then imports and stores one image per job in a pool of processes (reading and
compressing hold Python's lock, so threads would not run them side by side). Every file ends in
exactly one Outcome: the image made of it, or the message why none was.

This parses untrusted files: it runs only inside the importer container (``container.py``), which
the worker starts through ``sandbox.import_in_sandbox``; it needs neither traitlets nor the database.
"""

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import SimpleITK as sitk

from .formats import Format, Unrecognised, identify
from .importers import IMPORTERS, Failed, ImportProblem, mhd_data_file, source_names
from .store import StoredImage, store

log = logging.getLogger("gc-import")


@dataclass(frozen=True)
class ConversionLimits:
    """What the importers may take (the worker's ``ImportLimits``, as the container receives them):
    voxels per image, the zlib level and TIFF threshold of stored files, and the processes (= CPUs)."""

    max_voxels: int
    compression_level: int
    tiff_min_pixels: int
    processes: int


@dataclass(frozen=True)
class Upload:
    """A file to import: where it is, the name people know it by, and a key of the caller's."""

    path: str
    name: str
    key: object = None


@dataclass(frozen=True)
class Outcome:
    """What became of ``keys`` (one file, or the files of a series or an .mhd with its raw):
    a stored image, or the message why there is none."""

    keys: tuple
    image: StoredImage | None = None
    message: str = ""


@dataclass(frozen=True)
class Job:
    """One image to make: the importer's arguments, and the uploads it consumes."""

    format: Format
    uploads: tuple
    series: tuple = ()

    @property
    def size(self):
        return sum(os.path.getsize(u.path) for u in self.uploads)


def plan(uploads, limits):
    """Jobs for ``uploads``, and Outcomes of the files that need no job to fail."""
    jobs, failures, raws, dicoms = [], [], {}, []
    for upload in uploads:
        try:
            fmt = identify(upload.path, upload.name)
        except Unrecognised as problem:
            failures.append(Outcome((upload.key,), message=str(problem)))
            continue
        except Exception as error:  # noqa: BLE001 (one file's surprise must not stop the batch)
            failures.append(unexpected((upload,), error))
            continue
        if fmt is Format.RAW:
            raws[str(Path(upload.path).resolve())] = upload
        elif fmt is Format.DICOM:
            dicoms.append(upload)
        elif fmt is Format.ZIP:
            failures.append(
                Outcome((upload.key,), message=f"{upload.name} is a zip inside a zip; unpack it and upload its files")
            )
        else:
            jobs.append(Job(fmt, (upload,)))
    for index, job in enumerate(jobs):  # an .mhd takes its raw data file along
        if job.format is Format.MHD:
            try:
                data_path, _ = mhd_data_file(job.uploads[0].path, job.uploads[0].name)
            except Exception:  # noqa: BLE001 (the importer says why)
                continue
            raw = raws.pop(str(data_path.resolve()), None)
            if raw:
                jobs[index] = Job(job.format, (*job.uploads, raw))
    for raw in raws.values():
        failures.append(
            Outcome((raw.key,), message=f"{raw.name} holds only voxels: upload the .mhd header that names it with it")
        )
    series_jobs, dicom_failures = plan_dicom(dicoms)
    return jobs + series_jobs, failures + dicom_failures


def plan_dicom(uploads):
    from . import dicom  # pydicom is in the importer image only; the worker imports this module too

    headers, failures = [], []
    for upload in uploads:
        try:
            headers.append(dicom.read_header(path=upload.path, name=upload.name))
        except ImportProblem as problem:
            failures.append(Outcome((upload.key,), message=str(problem)))
        except Exception as error:  # noqa: BLE001
            failures.append(unexpected((upload,), error))
    by_path = {u.path: u for u in uploads}
    jobs = [
        Job(Format.DICOM, tuple(by_path[h.path] for h in series), tuple(series))
        for series in dicom.group_series(headers)
    ]
    return jobs, failures


def unexpected(uploads, error):
    """The Outcome of files that an importer failed on in a way it did not foresee (a bug to fix)."""
    log.error("importing %s failed unexpectedly", source_names(uploads), exc_info=error)
    return Outcome(
        tuple(u.key for u in uploads),
        message=f"{source_names(uploads)} could not be imported: the importer "
        f"failed on it ({type(error).__name__}); tell the platform's admins",
    )


def run(job, data_dir, limits):
    """Import and store the image of ``job`` (in a pool process): an Outcome."""
    try:
        return import_and_store(job, data_dir, limits)
    except Exception as error:  # noqa: BLE001 (one file's surprise must not stop the batch)
        return unexpected(job.uploads, error)


def import_and_store(job, data_dir, limits):
    keys = tuple(u.key for u in job.uploads)
    main = job.uploads[0]
    if job.format is Format.DICOM:
        from . import dicom  # imported already by plan_dicom, in this process or before the fork

        loaded = dicom.import_series(series=job.series, limits=limits)
    else:
        loaded = IMPORTERS[job.format](path=main.path, name=main.name, limits=limits)
    if isinstance(loaded, Failed):
        return Outcome(keys, message=loaded.message)
    try:
        return Outcome(keys, image=store(loaded, data_dir=data_dir, limits=limits), message=loaded.note)
    except (RuntimeError, OSError) as error:
        log.exception("storing %s failed", main.name)
        return Outcome(
            keys, message=f"{main.name} was read but could not be stored ({error}); tell the platform's admins"
        )


def set_itk_threads(threads):
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(threads)
    sitk.ProcessObject.SetGlobalWarningDisplay(False)


def crashed(job):
    """The Outcome of a job whose process died (killed for memory, most likely)."""
    names = source_names(job.uploads)
    return Outcome(
        tuple(u.key for u in job.uploads),
        message=f"{names} could not be imported: reading it used up the import's memory or crashed the reader; "
        "upload it alone, or tell the platform's admins",
    )


def convert(uploads, *, data_dir, limits):
    """Outcomes of importing ``uploads`` (Upload) into ``data_dir``: each upload's key appears in
    exactly one Outcome. Largest jobs start first, each in its own process; the ``limits.processes``
    CPUs are shared out as ITK threads."""
    jobs, outcomes = plan(uploads, limits)
    jobs.sort(key=lambda job: job.size, reverse=True)
    processes = max(1, min(limits.processes, len(jobs)))
    if processes == 1:
        set_itk_threads(max(1, limits.processes))
        return outcomes + [run(job, data_dir, limits) for job in jobs]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=set_itk_threads, initargs=(max(1, limits.processes // processes),)
    ) as pool:
        futures = [pool.submit(run, job, str(data_dir), limits) for job in jobs]
        for job, future in zip(jobs, futures, strict=True):
            try:
                outcomes.append(future.result())
            except BrokenProcessPool:
                outcomes.append(crashed(job))
    return outcomes
