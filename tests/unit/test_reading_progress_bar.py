"""The reading app's progress bar: filled to the share of cases answered, the count written on it."""

from gc_extension.reading.progress_bar import progress_bar


def test_the_bar_says_how_many_cases_are_answered():
    assert "0 / 3 answered" in progress_bar(0, 3) and "#a5d6a7 0%" in progress_bar(0, 3)
    assert "1 / 3 answered" in progress_bar(1, 3) and "#a5d6a7 33%" in progress_bar(1, 3)
    assert "3 / 3 answered" in progress_bar(3, 3) and "#a5d6a7 100%" in progress_bar(3, 3)
    assert "0 / 0 answered" in progress_bar(0, 0)  # a study with no cases yet
