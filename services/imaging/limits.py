"""How much an import may take: voxels per image, zip sizes, compression and parallelism."""

import os

from traitlets import Integer, default
from traitlets.config import Configurable

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
        help="""zlib level of the stored MHA files, 1 (fast) to 9 (small) (GC_IMPORT_COMPRESSION_LEVEL;
        default 1). Level 1 writes CT volumes about 1.5× faster than zlib's default 6, for files
        about a third larger; the platform reads images far more often than it writes them.""",
    )

    @default("compression_level")
    def _default_compression_level(self):
        return int(os.environ.get("GC_IMPORT_COMPRESSION_LEVEL", 1))

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
        help="""Processes that import files side by side (GC_IMPORT_PROCESSES; default: the
        machine's cores). Reading and compressing hold Python's lock, so threads would not help.""",
    )

    @default("processes")
    def _default_processes(self):
        return int(os.environ.get("GC_IMPORT_PROCESSES", 0)) or len(os.sched_getaffinity(0))
