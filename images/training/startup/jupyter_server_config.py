# gc-hub: put the tutorial in the user's home (a volume) when it is not there yet; an edited copy
# is never overwritten. Delete ~/gc-hub-tutorial.ipynb to get a fresh one at the next start.
import shutil
from pathlib import Path

_tutorial, _copy = Path("/opt/gc-hub/tutorial.ipynb"), Path.home() / "gc-hub-tutorial.ipynb"
try:
    if _tutorial.is_file() and not _copy.exists():
        shutil.copyfile(_tutorial, _copy)
except OSError as _error:  # a full or read-only home must not stop the server
    print(f"gc-hub: could not copy the tutorial to {_copy}: {_error}")
