"""The pages of viewer configurations and hanging protocols: a list of both, and a form for each
that builds grand-challenge's JSON in the browser and sends it to the API (viewing.py), showing
the API's message when it refuses. Researchers create them; their creator (or a hub admin)
changes or deletes them; everyone else sees them read-only."""

from sqlalchemy import select
from tornado import web

from ..api import viewing as shapes
from ..core.orm import HangingProtocol, ViewerConfiguration
from ..core.question_rules import VIEWPORTS
from ..core.viewing import ORIENTATIONS, VIEWER_CONFIGURATION_DEFAULTS
from .pages import PageHandler, shown
from .reader_studies import CREATE_READER_STUDIES
from .viewing import ViewingAccess

# What a viewer configuration may link between viewports, in words.
LINK_WORDS = {
    "link_images": "Link the viewports at all (off: none of the links below apply)",
    "link_slicing": "Scrolling through the slices",
    "link_panning": "Panning",
    "link_windowing": "Changing the window (brightness and contrast)",
    "link_orienting": "Changing the orientation",
    "link_zooming": "Zooming",
    "link_inverting": "Inverting the grey values",
    "link_flipping": "Flipping the image",
}
INTERPOLATION_WORDS = {
    "nearest": "nearest voxel (blocky; the true values)",
    "trilinear": "trilinear (smooth)",
    "cubic": "cubic (smoothest)",
}


def preset_words(preset):
    """A window preset in words: 'Lung: width 1500, centre -600' or 'Auto: 1st to 99th percentile'."""
    if "width" in preset:
        return f"{preset['title']}: width {preset['width']}, centre {preset['center']}"
    lower, upper = ordinal(preset["lower_percentile"]), ordinal(preset["upper_percentile"])
    return f"{preset['title']}: {lower} to {upper} percentile"


def ordinal(number):
    """1 → '1st', 2 → '2nd', 11 → '11th', 23 → '23rd'."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def grid_size(layout):
    """``(rows, columns)`` that a layout's placed viewports cover (viewports drawn over another,
    without a cell of their own, take none)."""
    placed = [v for v in layout if all(key in v for key in "xywh")]
    return max((v["y"] + v["h"] for v in placed), default=1), max((v["x"] + v["w"] for v in placed), default=1)


def layout_words(layout):
    """A hanging protocol in words: '2 viewports in 1 row × 2 columns: main (axial), secondary (coronal)'."""
    rows, columns = grid_size(layout)
    named = ", ".join(
        " ".join(filter(None, [v["viewport_name"], f"“{v['label']}”" if v.get("label") else ""]))
        + (f" ({v['orientation']})" if v.get("orientation") else "")
        for v in layout
    )
    count = f"{len(layout)} viewport{'' if len(layout) == 1 else 's'}"
    return f"{count} in {rows} row{'' if rows == 1 else 's'} × {columns} column{'' if columns == 1 else 's'}: {named}"


class ViewingPage(PageHandler):
    """Every viewer configuration and hanging protocol, with links to make new ones (researchers)."""

    landing = True

    @web.authenticated
    def get(self):
        def listed(model, shape):
            return [shown(shape.from_object(thing)) for thing in self.db.scalars(select(model).order_by(model.title))]

        self.render_page(
            "viewing.html",
            configurations=listed(ViewerConfiguration, shapes.ViewerConfiguration),
            protocols=listed(HangingProtocol, shapes.HangingProtocol),
            may_create=self.has_scope(CREATE_READER_STUDIES),
            preset_words=preset_words,
            layout_words=layout_words,
        )


class ViewingFormPage(ViewingAccess, PageHandler):
    """The form of one viewer configuration or hanging protocol (``slug``), or of a new one
    (without a slug: researchers only); read-only for all but its creator and hub admins."""

    shape: type
    template: str
    api: str  # the API's path of the kind, after api/v1/
    document: str  # the name of the JSON document the form edits
    blank: object  # the document of a new one
    choices: dict  # what the form's dropdowns and boxes offer

    @web.authenticated
    def get(self, slug=None):
        if slug is None:
            self.require_scope(CREATE_READER_STUDIES, f"create {self.noun}s")
            thing, editable, document = None, True, self.blank
        else:
            found = self.found(slug)
            thing, editable = shown(self.shape.from_object(found)), self.may_change(found)
            document = thing[self.document]
        self.render_page(
            self.template,
            thing=thing,
            editable=editable,
            noun=self.noun,
            api=f"{self.service_prefix}api/v1/{self.api}",
            document_key=self.document,
            document=document,
            **self.choices,
        )


class ViewerConfigurationPage(ViewingFormPage):
    model, shape, noun = ViewerConfiguration, shapes.ViewerConfiguration, "viewer configuration"
    template, api, document = "viewer_configuration.html", "viewer-configurations", "settings"
    blank = VIEWER_CONFIGURATION_DEFAULTS
    choices = {"orientations": ORIENTATIONS, "interpolations": INTERPOLATION_WORDS, "links": LINK_WORDS}


class HangingProtocolPage(ViewingFormPage):
    model, shape, noun = HangingProtocol, shapes.HangingProtocol, "hanging protocol"
    template, api, document = "hanging_protocol.html", "hanging-protocols", "layout"
    blank = [{"viewport_name": "main", "x": 0, "y": 0, "w": 1, "h": 1, "orientation": "axial"}]
    choices = {"orientations": ORIENTATIONS, "viewports": VIEWPORTS}


def routes(prefix):
    viewing = prefix + "viewing"
    slug = r"(?:/(?P<slug>[a-z0-9-]+))?"
    return [
        (viewing, ViewingPage),
        (viewing + "/viewer-configuration" + slug, ViewerConfigurationPage),
        (viewing + "/hanging-protocol" + slug, HangingProtocolPage),
    ]
