"""Which settings of a reader-study question go together: grand-challenge's rules, as pure
functions of the settings, each problem said in words with what to do.

- A widget must be one of its kind's (``WIDGETS``); text and one choice need one (the first
  is taken when none is given), the accept/reject widget needs a default answer.
- A number's minimum, maximum and step need the number-input or number-range widget (taken
  when none is given), number-range all three, and the maximum must exceed the minimum.
- A text's minimum and maximum length and pattern are for text questions alone, the pattern
  must compile, and the maximum may not be below the minimum.
- A tolerance is for point and distance questions (how far from the truth still counts).
- Confirming an empty answer is for optional annotation, number and text questions.
- A viewport is for annotation questions (main when none is given); a heading is never required.
- A default answer comes from a socket of a kind the question's answers take (``DEFAULT_SOCKET_KINDS``).

gc-hub keeps one difference on purpose: a yes/no question may be required (its answer is one of
two buttons, unset until pressed; grand-challenge's is a checkbox that is never unset).
"""

import re

from .answer_types import AnswerKind
from .schemas import SocketKind

K = AnswerKind

WIDGETS = {
    K.STRING: ("text-input", "text-area"),
    K.INTEGER: ("number-input", "number-range"),
    K.FLOAT: ("number-input", "number-range"),
    K.CHOICE: ("radio-select", "select"),
    K.MULTIPLE_CHOICE: ("checkbox-select-multiple", "select-multiple"),
    **{kind: ("accept-reject",) for kind in K if kind.is_multiple_annotation},
}
WIDGET_TITLES = {
    "text-input": "One line of text",
    "text-area": "Several lines of text",
    "number-input": "A number field",
    "number-range": "A slider",
    "radio-select": "Buttons",
    "select": "A drop-down list",
    "checkbox-select-multiple": "Check boxes",
    "select-multiple": "A list to pick several from",
    "accept-reject": "Accept or reject each finding of the default answer",
}
# Kinds that must show a widget (the first of theirs when none is given).
WIDGET_REQUIRED = (K.STRING, K.CHOICE)
NUMBER_OPTIONS = ("minimum", "maximum", "step")
TEXT_OPTIONS = ("min_length", "max_length", "pattern")
TOLERANCE_KINDS = (K.POINT, K.MULTIPLE_POINTS, K.DISTANCE)
EMPTY_CONFIRMATION_KINDS = frozenset({*(kind for kind in K if kind.is_annotation), K.INTEGER, K.FLOAT, K.STRING})

# grand-challenge's viewport names, in order (its ImagePort, by the names of its hanging protocols).
VIEWPORTS = (
    "main", "secondary", "tertiary", "quaternary", "quinary", "senary", "septenary", "octonary", "nonary", "denary",
    "undenary", "duodenary", "tredenary", "quattuordenary", "quindenary", "sexdenary", "septendenary",
    "octodenary", "novemdenary", "vigintenary",
)  # fmt: skip

# The socket kinds whose values can be a question's default answer.
DEFAULT_SOCKET_KINDS = {
    K.BOOL: (SocketKind.BOOL,),
    K.STRING: (SocketKind.STRING,),
    K.INTEGER: (SocketKind.INTEGER,),
    K.FLOAT: (SocketKind.FLOAT, SocketKind.INTEGER),
    K.CHOICE: (SocketKind.CHOICE,),
    K.MULTIPLE_CHOICE: (SocketKind.MULTIPLE_CHOICE,),
    K.POINT: (SocketKind.POINT,),
    K.MULTIPLE_POINTS: (SocketKind.MULTIPLE_POINTS,),
    K.BOUNDING_BOX_2D: (SocketKind.BOUNDING_BOX_2D,),
    K.DISTANCE: (SocketKind.DISTANCE,),
}


def with_defaults(kind, settings):
    """``settings`` with the widget and viewport a question of ``kind`` takes when none is given:
    the first widget of text and choice questions, number-input for a number with bounds or a
    step, the main viewport for an annotation."""
    kind = AnswerKind(kind)
    settings = dict(settings)
    options = settings.get("options") or {}
    if not settings.get("widget"):
        if kind in WIDGET_REQUIRED:
            settings["widget"] = WIDGETS[kind][0]
        elif kind in (K.INTEGER, K.FLOAT) and any(key in options for key in NUMBER_OPTIONS):
            settings["widget"] = "number-input"
    if kind.is_annotation and not settings.get("viewport"):
        settings["viewport"] = VIEWPORTS[0]
    if kind == K.HEADING:
        settings.setdefault("required", False)
    return settings


def question_problems(kind, settings):
    """What is wrong with a question of ``kind`` with ``settings`` (its ``widget``, ``options``,
    ``required``, ``empty_answer_confirmation``, ``viewport``, ``default_socket_kind`` and
    ``choices``, the number of its options): a list of sentences, empty when nothing is."""
    kind = AnswerKind(kind)
    options = settings.get("options") or {}
    problems = [
        *_widget_problems(kind, settings.get("widget") or "", settings.get("default_socket_kind")),
        *_number_problems(kind, settings.get("widget") or "", options),
        *_text_problems(kind, options),
    ]
    if "tolerance" in options and kind not in TOLERANCE_KINDS:
        problems.append(f"only point and distance questions take a tolerance, not a {kind} question")
    if kind == K.HEADING and settings.get("required"):
        problems.append("a heading asks nothing, so it cannot be required: leave 'required' off")
    if settings.get("empty_answer_confirmation"):
        if settings.get("required", True):
            problems.append(
                "confirming an empty answer is for optional questions: turn off 'required' or the confirmation"
            )
        if kind not in EMPTY_CONFIRMATION_KINDS:
            problems.append(
                f"a {kind} question cannot confirm an empty answer (annotations, numbers and text can);"
                " for choices add a choice that says 'none' and make the question required"
            )
    viewport = settings.get("viewport") or ""
    if viewport and not kind.is_annotation:
        problems.append(f"only annotation questions belong to a viewport, not a {kind} question: leave 'viewport' out")
    if viewport and viewport not in VIEWPORTS:
        problems.append(f"{viewport!r} is not a viewport; choose from {', '.join(VIEWPORTS)}")
    if kind in (K.CHOICE, K.MULTIPLE_CHOICE) and not settings.get("choices"):
        problems.append(f"a {kind} question needs its choices: give at least one")
    if kind not in (K.CHOICE, K.MULTIPLE_CHOICE) and settings.get("choices"):
        problems.append(f"only choice questions have choices, not a {kind} question")
    socket_kind = settings.get("default_socket_kind")
    if socket_kind and SocketKind(socket_kind) not in DEFAULT_SOCKET_KINDS.get(kind, ()):
        allowed = ", ".join(DEFAULT_SOCKET_KINDS.get(kind, ())) or "none"
        problems.append(
            f"a {kind} question cannot take its default answer from a {socket_kind} socket (allowed: {allowed})"
        )
    return problems


def _widget_problems(kind, widget, socket_kind):
    allowed = WIDGETS.get(kind, ())
    if widget and widget not in allowed:
        choices = ", ".join(allowed) if allowed else "none: leave 'widget' out"
        return [f"a {kind} question cannot use the {widget!r} widget; its widgets: {choices}"]
    if not widget and kind in WIDGET_REQUIRED:
        return [f"a {kind} question needs a widget: one of {', '.join(allowed)}"]
    if widget == "accept-reject" and not socket_kind:
        return ["the accept-reject widget needs a default answer: choose the socket of the case that holds it"]
    return []


def _number_problems(kind, widget, options):
    given = [key for key in NUMBER_OPTIONS if key in options]
    if given and not (kind in (K.INTEGER, K.FLOAT) and widget in ("number-input", "number-range")):
        return [f"{', '.join(given)} are for number questions with the number-input or number-range widget"]
    problems = []
    if widget == "number-range" and len(given) < len(NUMBER_OPTIONS):
        problems.append("the number-range widget (a slider) needs a minimum, a maximum and a step")
    if "minimum" in options and "maximum" in options and options["maximum"] <= options["minimum"]:
        problems.append("the maximum must be more than the minimum")
    if "step" in options and not options["step"] > 0:
        problems.append("the step must be more than 0")
    return problems


def _text_problems(kind, options):
    given = [key for key in TEXT_OPTIONS if key in options]
    if given and kind != K.STRING:
        return [f"{', '.join(given)} are for text questions alone"]
    problems = []
    if "min_length" in options and "max_length" in options and options["max_length"] < options["min_length"]:
        problems.append("the maximum length may not be below the minimum length")
    if "pattern" in options:
        try:
            re.compile(options["pattern"])
        except (re.error, TypeError) as error:
            problems.append(f"the pattern is not a regular expression ({error}): fix it or leave it out")
    return problems
