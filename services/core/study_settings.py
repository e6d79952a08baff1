"""How readers go through a reader study: which settings go together (grand-challenge's rules),
each reader's order of the cases, and which earlier answers roll over to a case.

Rules (``settings_problems``):
- rolling answers over to the next cases is for studies read straight through: not with case
  navigation, nor with a shuffled case order (grand-challenge refuses both together);
- changing answers of a finished case needs case navigation (a reader goes back to change them);
- instant verification needs educational mode (it shows the ground truth).

Readers may see the leaderboard without educational mode here (grand-challenge asks for it): the
leaderboard already shows the other readers as "reader 1", "reader 2"….

Cases come in the study's order (a case's ``order``, then its id); with ``shuffle_case_order``
each reader gets their own permutation of it, the same every time they look (seeded by the study
and the reader's name), different from reader to reader.
"""

import random

ROLL_OVER_MAXIMUM = 100


def settings_problems(settings):
    """What is wrong with a study's ``settings`` (a dict of its reading fields): sentences."""
    problems = []
    roll_over = settings.get("roll_over_answers_for_n_cases", 0)
    if not isinstance(roll_over, int) or isinstance(roll_over, bool) or not 0 <= roll_over <= ROLL_OVER_MAXIMUM:
        problems.append(f"roll_over_answers_for_n_cases must be a whole number from 0 to {ROLL_OVER_MAXIMUM}")
    elif roll_over and settings.get("allow_case_navigation"):
        problems.append(
            "answers roll over only in a study read straight through: turn off case navigation, or set"
            " roll_over_answers_for_n_cases to 0"
        )
    elif roll_over and settings.get("shuffle_case_order"):
        problems.append(
            "answers roll over to the next case, which a shuffled order changes from reader to reader:"
            " turn off the shuffle, or set roll_over_answers_for_n_cases to 0"
        )
    if settings.get("allow_answer_modification") and not settings.get("allow_case_navigation"):
        problems.append(
            "readers change the answers of a finished case by going back to it: turn on case navigation,"
            " or turn off answer modification"
        )
    if settings.get("instant_verification") and not settings.get("educational"):
        problems.append("instant verification shows the ground truth, so it needs educational mode: turn that on first")
    return problems


def case_order(case_ids, reader, study_id, shuffle):
    """The order in which ``reader`` reads ``case_ids`` (already in the study's order)."""
    order = list(case_ids)
    if shuffle:
        random.Random(f"{study_id}:{reader}").shuffle(order)
    return order


def roll_over_source(order, case_id, n_cases):
    """The case whose answers roll over to ``case_id`` in ``order``: with ``n_cases`` = n, cases
    come in runs of n + 1 and each but the first of a run starts with the answers of the one
    before it (n = 1: case 2 starts with case 1's, case 3 anew, case 4 with case 3's)."""
    if not n_cases or case_id not in order:
        return None
    index = order.index(case_id)
    return order[index - 1] if index % (n_cases + 1) else None
