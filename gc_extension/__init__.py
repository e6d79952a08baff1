"""gc-hub's in-container extension: the services' client, notebook magics and viewer helpers."""

__version__ = "0.1.0"
