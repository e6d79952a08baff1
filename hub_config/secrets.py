"""Secrets the platform generates on first start and keeps in the data directory."""

import json
import os
import secrets
from pathlib import Path

SECRETS_FILE = "secrets.json"


def load_or_create_secrets(data_dir):
    """Return the demo passwords, creating ``<data_dir>/secrets.json`` (mode 600) on first use."""
    path = Path(data_dir) / SECRETS_FILE
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {
        "user_password": secrets.token_urlsafe(12),
        "admin_password": secrets.token_urlsafe(32),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(values, f, indent=2)
    return values
