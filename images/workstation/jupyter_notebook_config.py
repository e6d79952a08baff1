# gc-hub workstation: put the reading app's notebook in the user's home (a volume) at every start,
# so that each start opens the current app; the hub's workstation profile opens it by default.
import shutil
from pathlib import Path

_app, _copy = Path("/opt/gc-hub/reading.ipynb"), Path.home() / "gc-hub-reading.ipynb"
try:
    shutil.copyfile(_app, _copy)
except OSError as _error:
    print(f"gc-hub: could not copy the reading app to {_copy}: {_error}")

# Widget messages carry whole images (an upload to the reading app, a volume to the viewer):
# take websocket messages up to 256 MiB, as the hub's proxy does, instead of tornado's 10 MiB.
c.NotebookApp.tornado_settings = {"websocket_max_message_size": 256 * 1024 * 1024}  # noqa: F821
