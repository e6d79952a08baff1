"""The archives service's API for viewer configurations and hanging protocols: anyone signed in
reads them (a study's readers need them); researchers create them; their creator (or a hub
admin) changes or deletes them; a study that used a deleted one shows its cases plainly."""

from sqlalchemy import select
from tornado import web

from ..api import viewing as shapes
from ..core.errors import NotFound, PermissionDenied
from ..core.orm import HangingProtocol, ViewerConfiguration, remove, save
from .base import APIHandler, endpoint
from .reader_studies import CREATE_READER_STUDIES


class ViewingAccess:
    """Finds a viewer configuration or hanging protocol and checks who may change it."""

    model: type
    noun: str

    def found(self, slug):
        thing = self.db.scalar(select(self.model).filter_by(slug=slug))
        if thing is None:
            raise NotFound(f"No {self.noun} {slug!r}.")
        return thing

    def may_change(self, thing):
        """Whether the current user created ``thing`` or is a hub admin."""
        return thing.created_by == self.username or bool(self.user.get("admin"))

    def changeable(self, slug):
        thing = self.found(slug)
        if not self.may_change(thing):
            raise PermissionDenied(f"Only {thing.created_by!r}, who created {self.noun} {slug!r}, may change it.")
        return thing


def handlers(model, noun, shape, page, create, change):
    """The two handlers of a kind (``model``): its list and one of it."""

    class ListHandler(ViewingAccess, APIHandler):
        __doc__ = f"""GET: every {noun}. POST: a new one (researchers)."""

        @endpoint(returns=page)
        @web.authenticated
        def get(self):
            self.write_model(self.page(select(model).order_by(model.slug), shape.from_object))

        @endpoint(create, shape, 201)
        @web.authenticated
        def post(self):
            self.require_scope(CREATE_READER_STUDIES, f"create {noun}s")
            thing = save(self.db, model(**self.body().given(), created_by=self.username))
            self.commit()
            self.write_model(shape.from_object(thing), 201)

    class OneHandler(ViewingAccess, APIHandler):
        __doc__ = f"""GET: one {noun}. PATCH, DELETE: its creator (or a hub admin)."""

        @endpoint(returns=shape)
        @web.authenticated
        def get(self, slug):
            self.write_model(shape.from_object(self.found(slug)))

        @endpoint(change, shape)
        @web.authenticated
        def patch(self, slug):
            thing = self.changeable(slug)
            for key, value in self.body().given().items():
                if value is not None:
                    setattr(thing, key, value)
            self.commit()
            self.write_model(shape.from_object(thing))

        @endpoint(status=204)
        @web.authenticated
        def delete(self, slug):
            remove(self.db, self.changeable(slug))
            self.commit()
            self.write_no_content()

    for handler in (ListHandler, OneHandler):
        handler.model, handler.noun = model, noun
        handler.__name__ = handler.__qualname__ = model.__name__ + handler.__name__
    return ListHandler, OneHandler


ViewerConfigurationsHandler, ViewerConfigurationHandler = handlers(
    ViewerConfiguration,
    "viewer configuration",
    shapes.ViewerConfiguration,
    shapes.ViewerConfigurationPage,
    shapes.ViewerConfigurationCreate,
    shapes.ViewerConfigurationChange,
)
HangingProtocolsHandler, HangingProtocolHandler = handlers(
    HangingProtocol,
    "hanging protocol",
    shapes.HangingProtocol,
    shapes.HangingProtocolPage,
    shapes.HangingProtocolCreate,
    shapes.HangingProtocolChange,
)


def routes(prefix):
    api = prefix + "api/v1/"
    slug = r"/(?P<slug>[a-z0-9-]+)"
    return [
        (api + "viewer-configurations", ViewerConfigurationsHandler),
        (api + "viewer-configurations" + slug, ViewerConfigurationHandler),
        (api + "hanging-protocols", HangingProtocolsHandler),
        (api + "hanging-protocols" + slug, HangingProtocolHandler),
    ]
