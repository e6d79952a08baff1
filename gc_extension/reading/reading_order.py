"""Which cases of a reader study a reader has finished, and where to go on."""


def is_done(case, questions, answers):
    """Whether every required question about ``case`` has an answer in ``answers`` (by
    (question id, case id))."""
    return all(answers.get((q["id"], case["id"])) is not None for q in questions if q["required"])


def first_unfinished(cases, questions, answers):
    """Index of the first case with a required question unanswered (0 when all are done)."""
    return next((i for i, case in enumerate(cases) if not is_done(case, questions, answers)), 0)
