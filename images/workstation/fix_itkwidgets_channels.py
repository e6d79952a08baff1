"""Give itkwidgets 0.32.6's ``Viewer.channels`` the ``[]`` default it had under traitlets 4.

Under traitlets 5, ``List(default_value=None)`` stays None; the viewer's JavaScript throws on it
and skips the rest of its set-up (collapsed controls, events back to Python).
"""

from pathlib import Path

import itkwidgets.widget_viewer as viewer

BROKEN = "channels = List(\n        default_value=None,"
FIXED = "channels = List(\n        default_value=[],"

module = Path(viewer.__file__)
source = module.read_text()
assert BROKEN in source, "itkwidgets changed: check whether the channels fix is still needed"
module.write_text(source.replace(BROKEN, FIXED))
