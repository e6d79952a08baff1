"""Logins in progress: what a service keeps of a login it sent to the hub, until the browser comes back."""

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONData, utcnow


class OAuthState(Base):
    """A service's login in progress, under the random OAuth ``state`` that the hub sends back
    with the browser: where to go afterwards and the PKCE verifier (``data``). Kept in the
    database so that any process of the service may finish the login; deleted then, or once
    older than a login may take."""

    __tablename__ = "oauth_states"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    data: Mapped[Any] = mapped_column(JSONData)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
