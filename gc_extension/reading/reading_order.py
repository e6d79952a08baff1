"""Which cases of a reader study a reader has finished, where to go on, and what the study's
settings let them do with a case (the API enforces them; the app follows them)."""


def is_done(case, questions, answers):
    """Whether every required question about ``case`` has an answer in ``answers`` (by
    (question id, case id))."""
    return all(answers.get((q["id"], case["id"])) is not None for q in questions if q["required"])


def first_unfinished(cases, questions, answers):
    """Index of the first case with a required question unanswered (0 when all are done)."""
    return next((i for i, case in enumerate(cases) if not is_done(case, questions, answers)), 0)


def in_my_order(cases, case_ids):
    """``cases`` in the order the API gives me (my progress's ``case_ids``, shuffled per reader
    when the study says so); a case it does not list comes last."""
    place = {case_id: n for n, case_id in enumerate(case_ids)}
    return sorted(cases, key=lambda case: place.get(case["id"], len(place)))


def starting_case(cases, questions, answers, navigation):
    """Where a reader starts: the first unfinished case; once all are done, the first case, or
    the last one when the study is read forward only (its end text then follows)."""
    if navigation or not all(is_done(c, questions, answers) for c in cases):
        return first_unfinished(cases, questions, answers)
    return len(cases) - 1


def may_go_on(index, cases, questions, answers, navigation):
    """Whether *Next case* leads on from case ``index``: forward only, without case navigation,
    once that case is done."""
    last = index >= len(cases) - 1
    return not last and (navigation or is_done(cases[index], questions, answers))


def why_locked(study, case, questions, answers, revealed):
    """Why the reader may no longer change the answers of ``case`` ('' when they may)."""
    if case["id"] in revealed:
        return "You have seen the ground truth of this case: your answers to it are final."
    if not study["allow_answer_modification"] and is_done(case, questions, answers):
        return "This study does not let readers change the answers of a finished case."
    return ""


def final_questions(study, case, questions, answers, revealed):
    """The ids of the questions about ``case`` whose answers the reader may no longer change: all
    of them once they have seen its ground truth; those they answered, once the case is finished
    in a study without answer modification (the others stay open)."""
    if case["id"] in revealed:
        return {q["id"] for q in questions}
    if not why_locked(study, case, questions, answers, revealed):
        return set()
    return {q["id"] for q in questions if answers.get((q["id"], case["id"])) is not None}


def rolled_over(progress, case_id, answers):
    """The answers (by question id) that ``case_id`` starts with from the case before it, when
    the study rolls answers over and I have not answered this case yet."""
    if progress["next_case"] != case_id or any(key[1] == case_id for key in answers):
        return {}
    return {int(question): value for question, value in progress["rolled_over_answers"].items()}
