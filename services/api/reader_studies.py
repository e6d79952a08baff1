"""The shapes of reader studies (archives service): studies, members, questions, cases, answers,
ground truth, the readers' scores, progress and leaderboard."""

from typing import Annotated, Any

from pydantic import ConfigDict, Field, JsonValue, WithJsonSchema

from ..core.answer_types import AnswerKind
from ..core.errors import InvalidValue
from ..core.orm import QUESTION_KINDS, ReaderStudyRole
from .archives import Value, values_of
from .common import Body, Shape, Time, page_of
from .fields import AnyString, NonEmptyString, Slug, TrueOrFalse, checked, one_of, parsed, stored


class ReaderStudy(Shape):
    """A reader study, with the caller's roles on it."""

    slug: str
    title: str
    description: str
    created_by: str
    created_at: Time
    educational: bool = Field(description="Whether readers see the ground truth of each case they have answered.")
    allow_case_navigation: bool = Field(description="Whether readers may go back and forth between cases.")
    allow_answer_modification: bool = Field(description="Whether readers may change the answers of a finished case.")
    shuffle_case_order: bool = Field(description="Whether each reader gets the cases in their own order.")
    roll_over_answers_for_n_cases: int = Field(
        description="Cases come in runs of n + 1; each but the first of a run starts with the answers of the one"
        " before it."
    )
    instant_verification: bool = Field(description="Whether readers see the ground truth as they finish each case.")
    leaderboard_accessible_to_readers: bool = Field(description="Whether readers may see the leaderboard.")
    end_of_study_text: str = Field(description="What readers read once they have answered every case.")
    viewer_configuration: str | None = Field(
        description="The slug of the viewer configuration its cases are shown with."
    )
    hanging_protocol: str | None = Field(description="The slug of the hanging protocol that lays out its viewports.")
    view_content: dict[str, list[str]] = Field(description="By viewport name: the slugs of the sockets shown there.")
    my_roles: list[ReaderStudyRole]

    @classmethod
    def of(cls, study, roles):
        return cls.from_object(
            study,
            my_roles=sorted(role.value for role in roles),
            viewer_configuration=study.viewer_configuration.slug if study.viewer_configuration else None,
            hanging_protocol=study.hanging_protocol.slug if study.hanging_protocol else None,
        )


ReaderStudyPage = page_of(ReaderStudy)


class ReaderStudyCreate(Body):
    """A new reader study, whose creator becomes its editor."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"slug": "chest-reads", "title": "Chest reads"}]})

    slug: Slug
    title: NonEmptyString
    description: AnyString = ""
    educational: TrueOrFalse = False
    allow_case_navigation: TrueOrFalse = True
    allow_answer_modification: TrueOrFalse = True
    shuffle_case_order: TrueOrFalse = False
    roll_over_answers_for_n_cases: stored(type="integer", minimum=0) = 0
    instant_verification: TrueOrFalse = False
    leaderboard_accessible_to_readers: TrueOrFalse = True
    end_of_study_text: AnyString = ""


class ReaderStudyChange(Body):
    """New values for a reader study's title, description, educational mode or reading settings;
    a change that does not go with the other settings is refused, saying why."""

    title: NonEmptyString = None
    description: AnyString = None
    educational: TrueOrFalse = None
    allow_case_navigation: TrueOrFalse = None
    allow_answer_modification: TrueOrFalse = None
    shuffle_case_order: TrueOrFalse = None
    roll_over_answers_for_n_cases: stored(type="integer", minimum=0) = None
    instant_verification: TrueOrFalse = None
    leaderboard_accessible_to_readers: TrueOrFalse = None
    end_of_study_text: AnyString = None
    viewer_configuration: AnyString = Field(default=None, description="A viewer configuration's slug ('' for none).")
    hanging_protocol: AnyString = Field(default=None, description="A hanging protocol's slug ('' for none).")
    view_content: stored(type="object") = Field(
        default=None, description="By viewport name of the hanging protocol: the socket slugs shown there."
    )


class ReaderStudyMembers(Shape):
    """Who holds which role on a reader study."""

    editor: list[str]
    reader: list[str]


def hub_username(field, name):
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue(f"'{field}' must be a hub username.")
    return name.strip()


class ReaderStudyMemberGrant(Body):
    """Give a hub user a role on the reader study."""

    username: parsed(hub_username, str, min_length=1)
    role: one_of(ReaderStudyRole)


def question_kind(field, kind):
    try:
        return AnswerKind(kind)
    except (TypeError, ValueError):
        raise InvalidValue(f"{kind!r} is not a question kind; choose from {', '.join(QUESTION_KINDS)}") from None


QuestionKind = Annotated[
    AnswerKind, checked(question_kind), WithJsonSchema({"type": "string", "enum": [k.value for k in QUESTION_KINDS]})
]


class Choice(Shape):
    """One choice of a choice question: answers give its id."""

    id: int
    title: str
    default: bool


class Question(Shape):
    """A question that readers answer about each case."""

    id: int
    position: int = Field(description="Its place among the study's questions, 0 first.")
    text: str
    help_text: str
    kind: AnswerKind
    answer_type: str = Field(description="grand-challenge's code of the kind (its AnswerType): BOOL, CHOI, DIST…")
    options: dict[str, Any] = Field(
        description="A number's minimum, maximum and step, a text's min_length, max_length and pattern, a point's"
        " or distance's tolerance; for choice questions also 'choices', their titles in order."
    )
    choices: list[Choice] = Field(description="A choice question's options: answers give their ids.")
    required: bool
    widget: str = Field(description="How the question is shown, for the kinds that have a choice ('' otherwise).")
    viewport: str = Field(description="The viewport an annotation belongs to ('' for other questions).")
    empty_answer_confirmation: bool = Field(description="Whether the reader confirms leaving it empty.")
    empty_answer_confirmation_label: str
    default_socket: str | None = Field(description="The socket whose value in a case is the default answer.")

    @classmethod
    def of(cls, question):
        choices = [Choice.from_object(choice) for choice in question.choices]
        options = {**question.options, **({"choices": [c.title for c in choices]} if choices else {})}
        return cls.from_object(
            question,
            answer_type=question.kind.grand_challenge_code,
            options=options,
            choices=choices,
            default_socket=question.default_socket.slug if question.default_socket else None,
        )


QuestionPage = page_of(Question)


class QuestionCreate(Body):
    """A question after the others."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "Nodule?", "kind": "bool"},
                {"text": "Size (mm)?", "kind": "float", "options": {"minimum": 0, "maximum": 50, "step": 0.5}},
                {"text": "Lobe?", "kind": "choice", "options": {"choices": ["upper", "lower"]}},
                {"text": "Measure the nodule", "kind": "distance", "required": False, "viewport": "main"},
            ]
        }
    )

    text: NonEmptyString
    kind: QuestionKind
    help_text: AnyString = ""
    options: stored(type=["object", "null"]) = None
    required: TrueOrFalse = True
    widget: AnyString = ""
    viewport: AnyString = ""
    empty_answer_confirmation: TrueOrFalse = False
    empty_answer_confirmation_label: AnyString = ""
    default_socket: AnyString = Field(
        default="", description="The slug of a socket whose value in a case is the default answer."
    )


class QuestionMove(Body):
    """Where to put a question: 0 is first."""

    position: stored(type="integer", minimum=0)


class Case(Shape):
    """A case of a reader study (grand-challenge's display set): the values that readers look at,
    by socket slug, its title, order and text, and the answers its questions start with."""

    id: int
    title: str = Field(description="Its title ('' when it has none).")
    order: int = Field(description="Where it comes among the study's cases (smaller first, then by id).")
    text: str = Field(description="What readers read beside it.")
    values: dict[str, Value]
    default_answers: dict[int, JsonValue] = Field(
        description="By question id: the answer a question starts with, from the case's value of its default socket."
    )

    @classmethod
    def of(cls, case, questions=()):
        defaults = {q.id: q.default_answer(case) for q in questions if q.default_socket_id is not None}
        return cls.from_object(
            case,
            values=values_of(case.values),
            default_answers={q: v for q, v in defaults.items() if v is not None},
        )


CasePage = page_of(Case)


class CaseChange(Body):
    """New values for a case's title, order or text (editors)."""

    title: AnyString = None
    order: stored(type="integer", minimum=0) = None
    text: AnyString = None


class CasesAdd(Body):
    """Add a case for each item of an archive that you may read."""

    archive: stored(type="string")


class CasesAdded(Shape):
    added: int
    cases: list[Case]


def object_id(field, value):
    """``value`` if it is a whole number (the id of a question or case)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidValue(f"{field!r} must be the id (a whole number) of a {field} of this reader study.")
    return value


class AnswerGive(Body):
    """An answer to a question about a case, or a changed one; null clears an optional one."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"question": 1, "case": 1, "value": True}]})

    question: parsed(object_id, int)
    case: parsed(object_id, int)
    value: stored(description="A value of the question's kind (a choice by its id), or null.")
    confirm_empty: TrueOrFalse = Field(
        default=False, description="The reader confirmed an empty answer (for questions that ask them to)."
    )


class Answer(Shape):
    id: int
    question: int
    case: int
    reader: str
    value: JsonValue
    created_at: Time

    @classmethod
    def of(cls, answer):
        return cls.from_object(answer, question=answer.question_id, case=answer.case_id)


AnswerPage = page_of(Answer)


class GroundTruth(Shape):
    """The right answer to a question about a case."""

    question: int
    case: int
    value: JsonValue
    created_by: str

    @classmethod
    def of(cls, truth):
        return cls.from_object(truth, question=truth.question_id, case=truth.case_id)


GroundTruthPage = page_of(GroundTruth)


class GroundTruthRow(Shape):
    """A row of an uploaded ground truth (JSON; a CSV has the same columns)."""

    case: int
    question: int | str = Field(description="A question's id or its exact text.")
    value: JsonValue
    explanation: str = Field(default="", description="Why this is the right answer (shown to readers with it).")


class GroundTruthSaved(Shape):
    saved: int = Field(description="How many rows were saved.")


class AnswerTruth(Shape):
    """The ground truth of one question beside my answer and its score."""

    question: int
    value: JsonValue
    explanation: str = Field(description="Why it is the right answer, as the editor wrote it.")
    my_answer: JsonValue
    score: float | None


class CaseGroundTruth(Shape):
    case: int
    answers: list[AnswerTruth]


class ReaderScore(Shape):
    reader: str
    score: float | None = Field(description="The mean score over every case and question with ground truth.")
    answered: int
    scored: int
    per_question: dict[int, float]


class Scores(Shape):
    ground_truth: int = Field(description="How many answers of ground truth there are.")
    readers: list[ReaderScore]


class RankedReader(Shape):
    rank: int
    reader: str = Field(description="The reader's name, or 'reader 1', 'reader 2'… for others than editors.")
    score: float | None
    answered: int


class ReaderLeaderboard(Shape):
    ground_truth: int
    readers: list[RankedReader]


class Progress(Shape):
    """How far I am: a case is answered when each of its required questions is."""

    cases: int
    answered: int
    next_case: int | None
    case_ids: list[int] = Field(description="The cases in the order I read them (my own when the study shuffles).")
    answered_case_ids: list[int]
    finished: bool = Field(description="Whether I have answered every case.")
    end_of_study_text: str = Field(description="The study's closing text, once I have finished ('' before).")
    rolled_over_answers: dict[int, JsonValue] = Field(
        description="By question id: my answers of the case before the next one, which it starts with (roll-over)."
    )
