"""Errors on pages name fields as the forms do, not by their setting names."""

import pytest

from services.web.field_words import in_words


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("closes_at must be later than opens_at.", "The closing date must be later than the opening date."),
        ("Missing field(s): slug, title.", "Fill in the short name, the title."),
        (
            "slug must be at most 50 characters long, not 60.",
            "The short name must be at most 50 characters long, not 60.",
        ),
        (
            "cpu_limit must be a finite number greater than 0, not -1.",
            "The number of CPUs must be a finite number greater than 0, not -1.",
        ),
        ("'memory_limit_mb' must be at most 4096.", "The memory (MiB) must be at most 4096."),
        (
            "A phase with slug 'masks' exists already; choose another slug.",
            "A phase with the short name 'masks' exists already; choose another short name.",
        ),
        # words of prose and names of objects stay as they are
        ("The title of the phase is taken.", "The title of the phase is taken."),
        ("No archive 'lungs' that you can see.", "No archive 'lungs' that you can see."),
        (
            "aggregates.volume_difference.mean is not in metrics.json",
            "aggregates.volume_difference.mean is not in metrics.json",
        ),
    ],
)
def test_fields_are_named_as_the_forms_name_them(message, words):
    assert in_words(message) == words
