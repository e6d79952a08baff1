"""Quantities as people read them. Imports nothing: the importer image copies this module too."""


def human_bytes(n):
    """``n`` bytes in decimal units: ``999 bytes``, ``1.5 MB``, ``2.0 PB``."""
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
