"""How much an import may take: voxels per image, zip sizes, compression, parallelism, and the
sandbox that the importer container runs in (``sandbox.py``)."""

import os

from traitlets import Float, Integer, Unicode, default
from traitlets.config import Configurable

from ..core.settings import ExecutionSettings

GIB = 1024**3


class ImportLimits(Configurable):
    """Limits and knobs of image import, read by the worker (``GC_IMPORT_*`` variables)."""

    max_voxels = Integer(
        config=True,
        help="""Most voxels (times channels) one image may have. A header that claims more is
        refused before any voxel is read, so a forged header cannot exhaust the worker's memory
        (GC_IMPORT_MAX_VOXELS; default 2**31, e.g. 1290³ or a 46k×46k RGB slide).""",
    )

    @default("max_voxels")
    def _default_max_voxels(self):
        return int(os.environ.get("GC_IMPORT_MAX_VOXELS", 2**31))

    max_extracted_bytes = Integer(
        config=True,
        help="""Most bytes one uploaded zip may unpack to (GC_IMPORT_MAX_EXTRACTED_BYTES; default
        64 GiB). Checked against the zip's directory before extraction and again while extracting,
        since a zip's directory can lie.""",
    )

    @default("max_extracted_bytes")
    def _default_max_extracted_bytes(self):
        return int(os.environ.get("GC_IMPORT_MAX_EXTRACTED_BYTES", 64 * GIB))

    max_zip_ratio = Integer(
        config=True,
        help="""Largest ratio of unpacked to packed size of a zip (GC_IMPORT_MAX_ZIP_RATIO; default
        200). Medical images rarely compress better than 20:1; a zip bomb compresses 1000:1.""",
    )

    @default("max_zip_ratio")
    def _default_max_zip_ratio(self):
        return int(os.environ.get("GC_IMPORT_MAX_ZIP_RATIO", 200))

    max_zip_members = Integer(
        config=True,
        help="Most files one zip may hold (GC_IMPORT_MAX_ZIP_MEMBERS; default 100000).",
    )

    @default("max_zip_members")
    def _default_max_zip_members(self):
        return int(os.environ.get("GC_IMPORT_MAX_ZIP_MEMBERS", 100_000))

    compression_level = Integer(
        config=True,
        min=0,
        max=3,
        help="""Deflate level of the stored images, 0 (fast) to 3 (small) (GC_IMPORT_COMPRESSION_LEVEL;
        default 2). MHA voxels are deflated by ISA-L: level 2 makes CT volumes as small as zlib's
        level 1 in a third of its time; the platform reads images far more often than it writes
        them. Large 2D pictures (TIFF) are deflated by ITK at the same level.""",
    )

    @default("compression_level")
    def _default_compression_level(self):
        return int(os.environ.get("GC_IMPORT_COMPRESSION_LEVEL", 2))

    tiff_min_pixels = Integer(
        config=True,
        help="""2D images with at least this many pixels are stored as compressed TIFF
        instead of MHA, as viewers of large slides expect (GC_IMPORT_TIFF_MIN_PIXELS; default
        8192×8192).""",
    )

    @default("tiff_min_pixels")
    def _default_tiff_min_pixels(self):
        return int(os.environ.get("GC_IMPORT_TIFF_MIN_PIXELS", 8192 * 8192))

    processes = Integer(
        config=True,
        help="""Processes that import files side by side inside the importer container, which gets
        as many CPUs (GC_IMPORT_PROCESSES; default: the machine's cores). Reading and compressing
        hold Python's lock, so threads would not help.""",
    )

    @default("processes")
    def _default_processes(self):
        return int(os.environ.get("GC_IMPORT_PROCESSES", 0)) or len(os.sched_getaffinity(0))

    image = Unicode(
        config=True,
        help="""The importer image that parses uploaded files in the sandbox (GC_IMPORT_IMAGE;
        default <GC_IMAGE_PREFIX>/importer:latest, as images/build.sh builds it).""",
    )

    @default("image")
    def _default_image(self):
        return os.environ.get("GC_IMPORT_IMAGE") or f"{ExecutionSettings().image_prefix}/importer:latest"

    memory_limit_mb = Integer(
        config=True,
        help="""Memory (swap included) of one importer container, in MiB, shared by its processes
        (GC_IMPORT_MEMORY_LIMIT_MB; default 8192). A batch that needs more fails with a message
        for each of its files; the worker and other batches are not affected.""",
    )

    @default("memory_limit_mb")
    def _default_memory_limit_mb(self):
        return int(os.environ.get("GC_IMPORT_MEMORY_LIMIT_MB", 8192))

    time_limit_s = Float(
        config=True,
        help="""Seconds one importer container may run before it is stopped and its batch fails
        (GC_IMPORT_TIME_LIMIT_S; default 7200, under the import queue's 6 hours per session).""",
    )

    @default("time_limit_s")
    def _default_time_limit_s(self):
        return float(os.environ.get("GC_IMPORT_TIME_LIMIT_S", 7200))

    output_limit_mb = Integer(
        config=True,
        help="""Most MiB of converted images one importer container may write; it is stopped past
        that and its batch fails (GC_IMPORT_OUTPUT_LIMIT_MB; default 65536). Also the largest one
        image file may be.""",
    )

    @default("output_limit_mb")
    def _default_output_limit_mb(self):
        return int(os.environ.get("GC_IMPORT_OUTPUT_LIMIT_MB", 64 * 1024))
