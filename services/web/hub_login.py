"""Signing in through the hub when a service runs in several processes, and finding who asks
without blocking.

HubOAuth keeps each login in progress (the OAuth ``state``: where to go afterwards, the PKCE
verifier) in the memory of the process that sent the browser to the hub, but the browser may come
back to another one. ``SharedHubOAuth`` keeps them in the platform database instead; every
process of a service shares its cookie secret (app.py), so the cookies that one sets the others
read.
"""

import secrets
from datetime import timedelta

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from traitlets import Any, Unicode

from ..core.orm import OAuthState, utcnow


class SharedHubOAuth(HubOAuth):
    """HubOAuth with its logins in progress in the database (table ``oauth_states``)."""

    engine = Any(help="The platform database's engine.")
    service = Unicode(help="The service's name: a login is finished only by the service that started it.")

    def get_user(self, handler, *, sync=True):
        # HubAuth answers a blocking call through a thread of its own, even from its cache; a
        # handler whose user was found before without blocking (ServiceHandler.prepare) has it.
        if sync and hasattr(handler, "_cached_hub_user"):
            return handler._cached_hub_user
        return super().get_user(handler, sync=sync)

    def _alive(self):
        """The condition on the rows of logins that may still be finished."""
        return OAuthState.created_at >= utcnow() - timedelta(seconds=self.oauth_state_max_age)

    def generate_state(self, next_url=None, **extra_state):
        state_id = secrets.token_urlsafe(16)
        with Session(self.engine) as db:
            db.execute(delete(OAuthState).where(~self._alive()))  # logins that were never finished
            db.add(OAuthState(id=state_id, service=self.service, data={"next_url": next_url, **extra_state}))
            db.commit()
        return state_id

    def _decode_state(self, state_id, /):
        with Session(self.engine) as db:
            found = select(OAuthState.data).where(
                OAuthState.id == state_id, OAuthState.service == self.service, self._alive()
            )
            return db.scalar(found) or {}

    def clear_oauth_state(self, state_id):
        with Session(self.engine) as db:
            db.execute(delete(OAuthState).where(OAuthState.id == state_id))
            db.commit()


class ServiceHubAuth:
    """A handler mixin: authenticate with the service's own ``SharedHubOAuth`` (see make_app)."""

    @property
    def hub_auth(self):
        return self.settings["hub_auth"]


class OAuthCallbackHandler(ServiceHubAuth, HubOAuthCallbackHandler):
    """Where the hub sends the browser back after a login: any process of the service finishes it."""
