"""Viewer configurations and hanging protocols: how a reader study (or anyone reading cases)
shows them; shapes and rules in core/viewing.py. Anyone may use them; their creator changes them."""

from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship, validates

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


class ShownWith:
    """What shows its cases with a viewer configuration and a hanging protocol (a reader study, an
    archive); none: the viewer's defaults in one viewport."""

    viewer_configuration_id: Mapped[int | None] = mapped_column(
        ForeignKey("viewer_configurations.id", ondelete="SET NULL"), index=True
    )
    hanging_protocol_id: Mapped[int | None] = mapped_column(
        ForeignKey("hanging_protocols.id", ondelete="SET NULL"), index=True
    )

    @declared_attr
    def viewer_configuration(cls) -> Mapped[ViewerConfiguration | None]:
        return relationship(ViewerConfiguration)

    @declared_attr
    def hanging_protocol(cls) -> Mapped[HangingProtocol | None]:
        return relationship(HangingProtocol)


# What a reader study or an archive is shown with, by the name of its attribute.
VIEWING = {"viewer_configuration": ViewerConfiguration, "hanging_protocol": HangingProtocol}


def set_viewing(db, owner, given):
    """Take the viewer configuration and hanging protocol (slugs, '' for none) out of ``given``
    and set them on ``owner`` (a reader study or an archive); InvalidValue naming an unknown one."""
    for key, model in VIEWING.items():
        if key in given:
            slug = given.pop(key)
            found = db.scalar(select(model).filter_by(slug=slug)) if slug else None
            if slug and found is None:
                raise InvalidValue(f"{key}: there is no {key.replace('_', ' ')} {slug!r}; create it first.")
            setattr(owner, key, found)


def viewing_choices(db):
    """What a reader study or an archive may be shown with: ``{attribute: [(slug, title)]}``, by title."""
    return {
        key: list(db.execute(select(model.slug, model.title).order_by(model.title))) for key, model in VIEWING.items()
    }
