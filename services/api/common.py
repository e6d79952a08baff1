"""What every API shape shares: the base classes of responses and request bodies, times, the
error, and the page envelope of lists.

A response model (``Shape``) declares every key a response may hold: the handlers write their
responses through one (``APIHandler.write_model``), so nothing leaves that it does not declare. A
request model (``Body``) reads a JSON object: first its keys (``Missing field(s): …``, ``Unknown
field(s): … Allowed: …``), then each field with its parser from fields.py, whose message reaches
the user as it is.
"""

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationError, WithJsonSchema, model_validator

from ..core.errors import GcError

# A time in a response: ISO 8601 with its time zone, as ``datetime.isoformat`` writes it.
Time = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class Shape(BaseModel):
    """A response (or a part of one): every key declared, no other accepted."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def from_object(cls, obj, **fields):
        """This shape of ``obj`` (an ORM object): ``fields`` as given, each other field the
        attribute of ``obj`` of its name."""
        return cls(**{name: getattr(obj, name) for name in cls.model_fields if name not in fields}, **fields)


class Body(Shape):
    """A request body; ``read`` checks a JSON object against it with the messages users get."""

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data):
        if not isinstance(data, dict):
            raise GcError(f"The request body must be a JSON object, not {type(data).__name__}.")
        fields = cls.model_fields
        required = [name for name, field in fields.items() if field.is_required()]
        missing = [name for name in required if name not in data]
        if missing:
            raise GcError(f"Missing field(s): {', '.join(missing)}.")
        unknown = sorted(set(data) - set(fields))
        if unknown:
            allowed = [*required, *(name for name, field in fields.items() if not field.is_required())]
            raise GcError(f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(allowed)}.")
        return data

    @classmethod
    def read(cls, data):
        """``data`` as this model, or GcError naming each field that is wrong and why."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()]
            raise GcError("; ".join(problems) + ".") from None

    def given(self):
        """The fields that the request gave, by name, as Python values (nested shapes as dicts)."""
        return self.model_dump(exclude_unset=True)


class Error(Shape):
    """What every refusal answers: the status and a message for a person."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": 404, "message": "No archive 'chest-ct' that you can see."}]}
    )

    status: int = Field(description="The HTTP status, repeated.")
    message: str = Field(description="What was wrong (which field) and what to do.")


Item = TypeVar("Item")


class Page(Shape, Generic[Item]):
    """One page of a list: ``count`` items in all, ``limit`` of them from ``offset`` on."""

    count: int = Field(ge=0, description="How many items the whole list has.")
    offset: int = Field(ge=0, description="Where this page starts (?offset=).")
    limit: int = Field(ge=1, description="The most items a page holds (?limit=).")
    results: list[Item]


@cache
def page_of(item: Any, name: str | None = None):
    """The page model of ``item`` (a model, or a union of models), named ``<Item>Page``."""
    name = name or f"{item.__name__}Page"
    return type(name, (Page[item],), {"__module__": __name__, "__doc__": f"One page of a list of {name[:-4]}."})
