"""How much an import may take: voxels per image, zip sizes, compression, parallelism, and the
sandbox that the importer container runs in (``sandbox.py``)."""

import os

from traitlets import Float, Integer, Unicode, default, validate

from ..core.settings import EnvironmentSettings, ExecutionSettings, env

GIB = 1024**3


class ImportLimits(EnvironmentSettings):
    """Limits and knobs of image import, read by the worker (``GC_IMPORT_*`` variables)."""

    max_voxels = Integer(
        2**31,
        config=True,
        help="""Most voxels (times channels) one image may have. A header that claims more is
        refused before any voxel is read, so a forged header cannot exhaust the worker's memory
        (GC_IMPORT_MAX_VOXELS; default 2**31, e.g. 1290³ or a 46k×46k RGB slide).""",
    ).tag(**env("GC_IMPORT_MAX_VOXELS"))

    max_extracted_bytes = Integer(
        64 * GIB,
        config=True,
        help="""Most bytes one uploaded zip or tarball may unpack to (GC_IMPORT_MAX_EXTRACTED_BYTES;
        default 64 GiB). Checked against a zip's directory before extraction and again while
        extracting, since a zip's directory can lie; a tarball's, member by member as it is read.""",
    ).tag(**env("GC_IMPORT_MAX_EXTRACTED_BYTES"))

    max_zip_ratio = Integer(
        200,
        config=True,
        help="""Largest ratio of unpacked to packed size of a zip or tarball (GC_IMPORT_MAX_ZIP_RATIO;
        default 200). Medical images rarely compress better than 20:1; a zip bomb compresses 1000:1.""",
    ).tag(**env("GC_IMPORT_MAX_ZIP_RATIO"))

    max_zip_members = Integer(
        100_000,
        config=True,
        help="""Most files one zip, or files and folders one tarball, may hold (GC_IMPORT_MAX_ZIP_MEMBERS;
        default 100000).""",
    ).tag(**env("GC_IMPORT_MAX_ZIP_MEMBERS"))

    compression_level = Integer(
        2,
        config=True,
        min=0,
        max=3,
        help="""Deflate level of the stored images, 0 (fast) to 3 (small) (GC_IMPORT_COMPRESSION_LEVEL;
        default 2). MHA voxels are deflated by ISA-L: level 2 makes CT volumes as small as zlib's
        level 1 in a third of its time; the platform reads images far more often than it writes
        them. Large 2D pictures (TIFF) are deflated by ITK at the same level.""",
    ).tag(**env("GC_IMPORT_COMPRESSION_LEVEL"))

    tiff_min_pixels = Integer(
        8192 * 8192,
        config=True,
        help="""2D images with at least this many pixels are stored as compressed TIFF
        instead of MHA, as viewers of large slides expect (GC_IMPORT_TIFF_MIN_PIXELS; default
        8192×8192).""",
    ).tag(**env("GC_IMPORT_TIFF_MIN_PIXELS"))

    processes = Integer(
        config=True,
        help="""Processes that import files side by side inside the importer container, which gets
        as many CPUs (GC_IMPORT_PROCESSES; default, or 0: the machine's cores). Reading and
        compressing hold Python's lock, so threads would not help.""",
    ).tag(**env("GC_IMPORT_PROCESSES"))

    @default("processes")
    def _default_processes(self):
        return len(os.sched_getaffinity(0))

    @validate("processes")
    def _cores_for_zero(self, proposal):
        return proposal["value"] or len(os.sched_getaffinity(0))

    image = Unicode(
        config=True,
        help="""The importer image that parses uploaded files in the sandbox (GC_IMPORT_IMAGE;
        default <GC_IMAGE_PREFIX>/importer:latest, as images/build.sh builds it).""",
    ).tag(**env("GC_IMPORT_IMAGE"))

    @default("image")
    def _default_image(self):
        return f"{ExecutionSettings().image_prefix}/importer:latest"

    memory_limit_mb = Integer(
        8192,
        config=True,
        help="""Memory (swap included) of one importer container, in MiB, shared by its processes
        (GC_IMPORT_MEMORY_LIMIT_MB; default 8192). A batch that needs more fails with a message
        for each of its files; the worker and other batches are not affected.""",
    ).tag(**env("GC_IMPORT_MEMORY_LIMIT_MB"))

    time_limit_s = Float(
        7200,
        config=True,
        help="""Seconds one importer container may run before it is stopped and its batch fails
        (GC_IMPORT_TIME_LIMIT_S; default 7200, under the import queue's 6 hours per session).""",
    ).tag(**env("GC_IMPORT_TIME_LIMIT_S"))

    output_limit_mb = Integer(
        64 * 1024,
        config=True,
        help="""Most MiB of converted images one importer container may write; it is stopped past
        that and its batch fails (GC_IMPORT_OUTPUT_LIMIT_MB; default 65536). Also the largest one
        image file may be.""",
    ).tag(**env("GC_IMPORT_OUTPUT_LIMIT_MB"))
