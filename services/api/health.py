"""The shapes that every service answers: its health, who is asking, and its OpenAPI document."""

from typing import Any, Literal

from pydantic import Field

from .common import Shape


class Health(Shape):
    """Whether the database, Redis and the workers answer (503 when one does not)."""

    status: Literal["ok", "degraded"]
    service: str
    database: str = Field(description='"ok", or "error: " and what went wrong.')
    redis: str = Field(description='"ok", or "error: " and what went wrong.')
    workers: dict[str, int] = Field(description="How many workers listen on each queue.")
    process: int = Field(description="The id of the service's process that answered (a service runs several).")


class Me(Shape):
    """The parts of the hub's user model a client may see of itself."""

    name: str
    kind: str
    admin: bool
    groups: list[str]
    scopes: list[str] = Field(description="The hub permissions of this platform (custom:…) that the user holds.")

    @classmethod
    def of(cls, model):
        return cls(
            name=model["name"],
            kind=model.get("kind", "user"),
            admin=bool(model.get("admin")),
            groups=sorted(model.get("groups") or []),
            scopes=sorted(s for s in model.get("scopes", []) if s.startswith("custom:")),
        )


class OpenAPIDocument(Shape):
    """An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."""

    openapi: str
    info: dict[str, Any]
    servers: list[dict[str, Any]]
    paths: dict[str, Any]
    components: dict[str, Any]
    security: list[dict[str, Any]]
