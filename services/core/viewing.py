"""How cases are shown: viewer configurations and hanging protocols, in grand-challenge's shapes
(its WorkstationConfig fields and its hanging-protocol JSON), each checked by a JSON Schema and
then by the rules a schema cannot say, every problem in words.

A **viewer configuration** (``VIEWER_CONFIGURATION_SCHEMA``): window presets (a width and
centre, or lower and upper percentiles) with a default among them, the default orientation and
interpolations, the overlay opacity and its segments (voxel value, name, visible), which
actions are linked between viewports, jumping to the centre of a segment, the invert tool.

A **hanging protocol** (``HANGING_PROTOCOL_SCHEMA``): a list of viewports, each with a
``viewport_name`` (grand-challenge's names: main, secondary, …), a cell ``x``, ``y``, ``w``,
``h`` of the grid, an ``orientation`` and a ``label``; one is ``main``. A study's **view
content** maps each viewport of its protocol to the socket slugs shown there.
"""

from .question_rules import VIEWPORTS
from .schemas import schema_problem_of

ORIENTATIONS = ("axial", "coronal", "sagittal")
INTERPOLATIONS = ("nearest", "trilinear", "cubic")
LINKS = ("link_images", "link_panning", "link_zooming", "link_slicing", "link_orienting", "link_windowing",
         "link_inverting", "link_flipping")  # fmt: skip
MAX_SEGMENTS = 64
MAX_VIEWPORTS = len(VIEWPORTS)

_PRESET = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 255},
        "width": {"type": "integer", "minimum": 1},
        "center": {"type": "integer"},
        "lower_percentile": {"type": "integer", "minimum": 0, "maximum": 100},
        "upper_percentile": {"type": "integer", "minimum": 0, "maximum": 100},
    },
    "required": ["title"],
    "additionalProperties": False,
    "oneOf": [
        {"required": ["width", "center"], "not": {"anyOf": [{"required": ["lower_percentile"]},
                                                            {"required": ["upper_percentile"]}]}},
        {"required": ["lower_percentile", "upper_percentile"], "not": {"anyOf": [{"required": ["width"]},
                                                                                 {"required": ["center"]}]}},
    ],
}  # fmt: skip

VIEWER_CONFIGURATION_SCHEMA = {
    "type": "object",
    "properties": {
        "window_presets": {"type": "array", "items": _PRESET},
        "default_window_preset": {"type": ["string", "null"]},
        "default_orientation": {"enum": [*ORIENTATIONS, None]},
        "default_image_interpolation": {"enum": list(INTERPOLATIONS)},
        "default_overlay_interpolation": {"enum": list(INTERPOLATIONS)},
        "default_overlay_alpha": {"type": "number", "minimum": 0, "maximum": 1},
        "overlay_segments": {
            "type": "array",
            "maxItems": MAX_SEGMENTS,
            "items": {
                "type": "object",
                "properties": {
                    "voxel_value": {"type": "integer"},
                    "name": {"type": "string"},
                    "visible": {"type": "boolean"},
                },
                "required": ["voxel_value", "name", "visible"],
                "additionalProperties": False,
            },
        },
        **{link: {"type": "boolean"} for link in LINKS},
        "auto_jump_center_of_gravity": {"type": "boolean"},
        "show_invert_tool": {"type": "boolean"},
        "default_zoom_scale": {"type": "number", "exclusiveMinimum": 0},
    },
    "additionalProperties": False,
}

# What a new configuration holds where it says nothing (grand-challenge's defaults).
VIEWER_CONFIGURATION_DEFAULTS: dict[str, object] = {
    "window_presets": [],
    "default_window_preset": None,
    "default_orientation": None,
    "default_image_interpolation": "cubic",
    "default_overlay_interpolation": "nearest",
    "default_overlay_alpha": 0.5,
    "overlay_segments": [],
    **dict.fromkeys(LINKS, True),
    "auto_jump_center_of_gravity": True,
    "show_invert_tool": True,
    "default_zoom_scale": 1,
}

HANGING_PROTOCOL_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_VIEWPORTS,
    "items": {
        "type": "object",
        "properties": {
            "viewport_name": {"enum": list(VIEWPORTS)},
            "x": {"type": "integer", "minimum": 0},
            "y": {"type": "integer", "minimum": 0},
            "w": {"type": "integer", "minimum": 1},
            "h": {"type": "integer", "minimum": 1},
            "orientation": {"enum": list(ORIENTATIONS)},
            "label": {"type": "string", "pattern": "^[a-zA-Z0-9 -]*$"},
            "parent_id": {"enum": list(VIEWPORTS)},
            "linkable": {"type": "boolean"},
            "show_current_slice": {"type": "boolean"},
            "show_mouse_coordinate": {"type": "boolean"},
            "show_mouse_voxel_value": {"type": "boolean"},
            "opacity": {"type": "number", "minimum": 0, "maximum": 1},
            "relative_start_position": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["viewport_name"],
        "additionalProperties": False,
    },
}

VIEW_CONTENT_SCHEMA = {
    "type": "object",
    "propertyNames": {"enum": list(VIEWPORTS)},
    "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
}


def viewer_configuration_problems(settings):
    """What is wrong with a viewer configuration's ``settings``: sentences, empty when nothing is."""
    problem = schema_problem_of(settings, VIEWER_CONFIGURATION_SCHEMA)
    if problem:
        return [f"the configuration does not fit its schema: {problem}"]
    problems = []
    titles = [preset["title"] for preset in settings.get("window_presets", [])]
    if len(set(titles)) < len(titles):
        problems.append("two window presets have the same title: give each its own")
    for preset in settings.get("window_presets", []):
        if "upper_percentile" in preset and preset["upper_percentile"] <= preset["lower_percentile"]:
            problems.append(f"window preset {preset['title']!r}: the upper percentile must be above the lower one")
    default = settings.get("default_window_preset")
    if default is not None and default not in titles:
        problems.append(f"the default window preset {default!r} is not one of the presets; add it or choose another")
    values = [segment["voxel_value"] for segment in settings.get("overlay_segments", [])]
    if len(set(values)) < len(values):
        problems.append("two overlay segments have the same voxel value: give each value one segment")
    return problems


def hanging_protocol_problems(layout):
    """What is wrong with a hanging protocol's ``layout`` (its list of viewports)."""
    problem = schema_problem_of(layout, HANGING_PROTOCOL_SCHEMA)
    if problem:
        return [f"the layout does not fit its schema: {problem}"]
    problems = []
    names = [viewport["viewport_name"] for viewport in layout]
    if "main" not in names:
        problems.append("a hanging protocol needs a viewport named main")
    if len(set(names)) < len(names):
        problems.append("two viewports have the same name: each name once")
    for viewport in layout:
        parent = viewport.get("parent_id")
        if parent is not None and (parent not in names or parent == viewport["viewport_name"]):
            problems.append(
                f"viewport {viewport['viewport_name']!r} is drawn over {parent!r}, which is not another viewport"
            )
    cells = {}
    for viewport in layout:
        if "parent_id" in viewport or not all(key in viewport for key in "xywh"):
            continue
        x, y, w, h = (viewport[key] for key in "xywh")
        for cell in ((i, j) for i in range(x, x + w) for j in range(y, y + h)):
            if cell in cells:
                problems.append(f"viewports {cells[cell]!r} and {viewport['viewport_name']!r} overlap at column"
                                f" {cell[0]}, row {cell[1]}: move one")  # fmt: skip
                break
            cells[cell] = viewport["viewport_name"]
    return problems


def view_content_problems(view_content, layout):
    """What is wrong with a study's ``view_content`` for the protocol ``layout`` (or None)."""
    problem = schema_problem_of(view_content, VIEW_CONTENT_SCHEMA)
    if problem:
        return [f"the view content does not fit its schema: {problem}"]
    if layout is None:
        return []
    names = {viewport["viewport_name"] for viewport in layout}
    extra = sorted(set(view_content) - names)
    return (
        [f"the hanging protocol has no viewport {', '.join(extra)}: choose among {', '.join(sorted(names))}"]
        if extra
        else []
    )
