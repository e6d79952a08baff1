"""What a submission says of its method, as the phase asks for it (grand-challenge's
``*_choice`` fields of a phase): a comment, the method's name and description, and a publication
or code URL, each required, optional or off per phase. One rule: ``check_metadata``."""

from enum import StrEnum
from urllib.parse import urlparse

from .errors import InvalidValue


class MetadataChoice(StrEnum):
    """Whether a phase asks for one piece of a submission's metadata."""

    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


# Each piece: the submission's fields, the phase's choice that governs them, words, most characters.
PIECES = {
    "comment": ("comment_choice", "a comment", 10_000),
    "method_name": ("method_choice", "the method's name", 255),
    "method_description": ("method_choice", "the method's description", 100_000),
    "url": ("url_choice", "a publication or code URL", 1024),
}


SUPPLEMENTARY_MAX_BYTES = 20 * 1024 * 1024  # a supplementary PDF (a paper, a method sheet)
PDF_MAGIC = b"%PDF-"


def check_supplementary(phase, given, first_bytes, size):
    """Whether a supplementary PDF fits the phase: ``given`` says whether one was sent, with
    its ``size`` and ``first_bytes`` (at least 5); InvalidValue says what is wrong."""
    choice = MetadataChoice(phase.supplementary_file_choice)
    if choice == MetadataChoice.OFF and given:
        raise InvalidValue(f"Phase {phase.slug!r} does not take a supplementary file: leave supplementary_file out.")
    if choice == MetadataChoice.REQUIRED and not given:
        raise InvalidValue(
            f"Phase {phase.slug!r} needs a supplementary PDF with each submission: upload it and give"
            ' supplementary_file {"upload_session": id, "file": id}.'
        )
    if given and size > SUPPLEMENTARY_MAX_BYTES:
        raise InvalidValue(f"The supplementary file is {size:,} bytes; at most {SUPPLEMENTARY_MAX_BYTES:,} are taken.")
    if given and not first_bytes.startswith(PDF_MAGIC):
        raise InvalidValue("The supplementary file is not a PDF (it does not start with %PDF-): export it as a PDF.")


def check_url(url):
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in url):
        raise InvalidValue(f"url {url!r} is not a web address: give one that starts with https://")
    return url


def check_metadata(phase, given):
    """``{field: text}`` of a new submission to ``phase`` from ``given`` (the request's fields),
    each checked against the phase's choice: a required one must be there, one that is off must
    not; InvalidValue says which and what to do."""
    values = {}
    for field, (choice_field, words, longest) in PIECES.items():
        choice = MetadataChoice(getattr(phase, choice_field))
        text = given.get(field)
        text = text.strip() if isinstance(text, str) else text
        if text is not None and not isinstance(text, str):
            raise InvalidValue(f"{field} must be text, not {text!r}.")
        if choice == MetadataChoice.OFF and text:
            raise InvalidValue(f"Phase {phase.slug!r} does not take {words}: leave {field} out.")
        if choice == MetadataChoice.REQUIRED and not text:
            raise InvalidValue(f"Phase {phase.slug!r} needs {words} with each submission: give {field}.")
        if text and len(text) > longest:
            raise InvalidValue(f"{field} must be at most {longest:,} characters, not {len(text):,}.")
        values[field] = check_url(text) if field == "url" and text else (text or "")
    return values
