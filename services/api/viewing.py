"""The shapes of viewer configurations and hanging protocols (archives service); their JSON
documents follow grand-challenge's shapes, checked by core/viewing.py."""

from typing import Any

from pydantic import ConfigDict, Field

from .common import Body, Shape, Time, page_of
from .fields import AnyString, NonEmptyString, Slug, stored


class _Named(Shape):
    slug: str
    title: str
    description: str
    created_by: str
    created_at: Time


class ViewerConfiguration(_Named):
    """How a viewer shows cases: window presets, orientation, links between viewports, overlays."""

    settings: dict[str, Any] = Field(description="grand-challenge's WorkstationConfig fields (every one filled in).")


ViewerConfigurationPage = page_of(ViewerConfiguration)


class ViewerConfigurationCreate(Body):
    """A new viewer configuration; settings left out take grand-challenge's defaults."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "ct-lung",
                    "title": "CT lung",
                    "settings": {
                        "window_presets": [{"title": "Lung", "width": 1500, "center": -600}],
                        "default_window_preset": "Lung",
                        "default_orientation": "axial",
                        "link_zooming": False,
                    },
                }
            ]
        }
    )

    slug: Slug
    title: NonEmptyString
    description: AnyString = ""
    settings: stored(type="object") = Field(default_factory=dict)


class ViewerConfigurationChange(Body):
    """New values for a viewer configuration (its creator)."""

    title: NonEmptyString = None
    description: AnyString = None
    settings: stored(type="object") = None


class HangingProtocol(_Named):
    """A grid of viewports that cases are shown in."""

    layout: list[dict[str, Any]] = Field(description="The viewports: viewport_name, x, y, w, h, orientation, label…")


HangingProtocolPage = page_of(HangingProtocol)


class HangingProtocolCreate(Body):
    """A new hanging protocol."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "axial-coronal",
                    "title": "Axial and coronal",
                    "layout": [
                        {"viewport_name": "main", "x": 0, "y": 0, "w": 1, "h": 1, "orientation": "axial"},
                        {"viewport_name": "secondary", "x": 1, "y": 0, "w": 1, "h": 1, "orientation": "coronal"},
                    ],
                }
            ]
        }
    )

    slug: Slug
    title: NonEmptyString
    description: AnyString = ""
    layout: stored(type="array")


class HangingProtocolChange(Body):
    """New values for a hanging protocol (its creator)."""

    title: NonEmptyString = None
    description: AnyString = None
    layout: stored(type="array") = None
