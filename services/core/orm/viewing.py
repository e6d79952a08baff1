"""Viewer configurations and hanging protocols: how a reader study (or anyone reading cases)
shows them; shapes and rules in core/viewing.py. Anyone may use them; their creator changes them."""

from sqlalchemy.orm import Mapped, mapped_column, validates

from ..errors import InvalidValue
from ..viewing import VIEWER_CONFIGURATION_DEFAULTS, hanging_protocol_problems, viewer_configuration_problems
from .base import Base, JSONData, Named


class ViewerConfiguration(Named, Base):
    """grand-challenge's WorkstationConfig: window presets, orientation, links, overlays…"""

    __tablename__ = "viewer_configurations"

    id: Mapped[int] = mapped_column(primary_key=True)
    settings: Mapped[dict] = mapped_column(JSONData, default=dict)

    @validates("settings")
    def _validate_settings(self, _key, settings):
        settings = {**VIEWER_CONFIGURATION_DEFAULTS, **(settings or {})}
        problems = viewer_configuration_problems(settings)
        if problems:
            raise InvalidValue(f"viewer configuration {self.slug!r}: " + "; ".join(problems) + ".")
        return settings


class HangingProtocol(Named, Base):
    """grand-challenge's HangingProtocol: a grid of viewports, each with a cell and orientation."""

    __tablename__ = "hanging_protocols"

    id: Mapped[int] = mapped_column(primary_key=True)
    layout: Mapped[list] = mapped_column(JSONData)

    @validates("layout")
    def _validate_layout(self, _key, layout):
        problems = hanging_protocol_problems(layout)
        if problems:
            raise InvalidValue(f"hanging protocol {self.slug!r}: " + "; ".join(problems) + ".")
        return layout
