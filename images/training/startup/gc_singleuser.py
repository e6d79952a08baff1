"""jupyterhub-singleuser, without running the hub's own database and page modules it never uses.

The single-user server imports ``jupyterhub.log`` for its request log. That module imports the
hub's page handlers (for one ``isinstance`` check: a request to the hub's health check is logged
quietly) and the hub's metrics module, and both import the hub's ORM: SQLAlchemy's ORM layer,
Alembic, Mako and Pygments, about 0.3 s of CPU on every spawn that ``jupyter lab`` never pays.
Here those two modules are *deferred*: registered before the server starts, their code runs the
first time one of their names is used, which a single-user server does not do. The hub's
authentication of the server (``jupyterhub.services.auth``, HubOAuth) is imported and runs as
shipped. jupyterhub is pinned to the hub's version, and the image tests check this module against it.
"""

import importlib.machinery
import importlib.util
import sys
import types


class HubHealthCheckHandler:
    """Stands for the hub's health-check handler, which no single-user server serves: the request
    log's ``isinstance`` check against it is false, as it is for every request here."""


# module -> the names other modules import from it while the server starts
DEFERRED = {
    "jupyterhub.orm": {},
    "jupyterhub.handlers.pages": {"HealthCheckHandler": HubHealthCheckHandler},
}


class DeferredModule(types.ModuleType):
    """A module whose code runs when one of its names is first looked up."""

    def __getattr__(self, name):
        if name == "__path__":  # asked by the import system; a plain module has none, run or not
            raise AttributeError(name)
        self.__class__ = types.ModuleType
        self.__spec__.loader.exec_module(self)
        return getattr(self, name)


def spec_without_parents(name):
    """The module's spec, found without running its parent packages (``find_spec`` runs them)."""
    parts = name.split(".")
    spec = importlib.machinery.PathFinder.find_spec(parts[0])
    for depth in range(2, len(parts) + 1):
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:depth]), spec.submodule_search_locations)
    return spec


def defer_hub_only_modules():
    """Register the modules of ``DEFERRED``; call before anything imports jupyterhub.log."""
    for name, known in DEFERRED.items():
        module = importlib.util.module_from_spec(spec_without_parents(name))
        module.__dict__.update(known)
        module.__class__ = DeferredModule
        sys.modules[name] = module


if __name__ == "__main__":
    defer_hub_only_modules()
    from jupyterhub.singleuser import main

    sys.exit(main())
