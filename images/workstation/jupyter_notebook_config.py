# gc-hub workstation: put the reading app's notebook in the user's home (a volume) at every start,
# so that each start opens the current app; the hub's workstation profile opens it by default.
import shutil
from pathlib import Path

_app, _copy = Path("/opt/gc-hub/reading.ipynb"), Path.home() / "gc-hub-reading.ipynb"
try:
    shutil.copyfile(_app, _copy)
except OSError as _error:
    print(f"gc-hub: could not copy the reading app to {_copy}: {_error}")
