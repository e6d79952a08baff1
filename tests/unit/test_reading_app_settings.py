"""The reading app follows a reader study's settings: its reader's case order, forward-only
reading without case navigation, answers locked without answer modification, roll-over."""

import pytest

from gc_extension.reading.reading_order import (
    final_questions,
    in_my_order,
    may_go_on,
    rolled_over,
    starting_case,
    why_locked,
)

QUESTIONS = [{"id": 1, "required": True}, {"id": 2, "required": False}]
CASES = [{"id": 10}, {"id": 11}, {"id": 12}]
FIRST_DONE = {(1, 10): True}
ALL_DONE = {(1, c["id"]): True for c in CASES}


def test_cases_come_in_the_order_the_api_gives_the_reader():
    assert [c["id"] for c in in_my_order(CASES, [12, 10, 11])] == [12, 10, 11]
    assert [c["id"] for c in in_my_order(CASES, [11])] == [11, 10, 12]  # unlisted ones last


@pytest.mark.parametrize(
    ("index", "answers", "navigation", "goes_on"),
    [
        (0, {}, True, True),  # with navigation: forward and back at will
        (0, {}, False, False),  # forward only, once the case is done
        (0, FIRST_DONE, False, True),
        (2, ALL_DONE, True, False),  # nothing after the last case
        (2, ALL_DONE, False, False),
    ],
)
def test_next_case_without_navigation_waits_for_the_case_to_be_done(index, answers, navigation, goes_on):
    assert may_go_on(index, CASES, QUESTIONS, answers, navigation) is goes_on


def test_a_finished_forward_only_study_opens_at_its_last_case():
    assert starting_case(CASES, QUESTIONS, FIRST_DONE, navigation=False) == 1
    assert starting_case(CASES, QUESTIONS, ALL_DONE, navigation=False) == 2
    assert starting_case(CASES, QUESTIONS, ALL_DONE, navigation=True) == 0


def test_answers_lock_when_modification_is_off_or_the_truth_was_seen():
    changing = {"allow_answer_modification": True}
    fixed = {"allow_answer_modification": False}
    assert why_locked(changing, CASES[0], QUESTIONS, FIRST_DONE, set()) == ""
    assert why_locked(fixed, CASES[1], QUESTIONS, FIRST_DONE, set()) == ""  # not finished yet
    assert "does not let readers change" in why_locked(fixed, CASES[0], QUESTIONS, FIRST_DONE, set())
    assert "ground truth" in why_locked(changing, CASES[0], QUESTIONS, FIRST_DONE, {10})


def test_without_modification_only_the_answered_questions_of_a_finished_case_are_final():
    changing, fixed = {"allow_answer_modification": True}, {"allow_answer_modification": False}
    assert final_questions(fixed, CASES[0], QUESTIONS, FIRST_DONE, set()) == {1}  # the optional one stays open
    assert final_questions(fixed, CASES[0], QUESTIONS, {**FIRST_DONE, (2, 10): "x"}, set()) == {1, 2}
    assert final_questions(fixed, CASES[1], QUESTIONS, {(2, 11): "x"}, set()) == set()  # not finished yet
    assert final_questions(changing, CASES[0], QUESTIONS, FIRST_DONE, set()) == set()
    assert final_questions(changing, CASES[1], QUESTIONS, {}, {11}) == {1, 2}  # the truth was seen


def test_rolled_over_answers_fill_only_the_next_case_while_unanswered():
    progress = {"next_case": 11, "rolled_over_answers": {"1": True, "2": "as before"}}
    assert rolled_over(progress, 11, FIRST_DONE) == {1: True, 2: "as before"}  # JSON keys become ids
    assert rolled_over(progress, 12, FIRST_DONE) == {}
    assert rolled_over(progress, 11, {**FIRST_DONE, (2, 11): "mine"}) == {}
