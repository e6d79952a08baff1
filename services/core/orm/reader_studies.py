"""Reader studies: cases that readers answer questions about, and the ground truth."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..answer_types import ANSWER_SCHEMAS, AnswerKind, with_version
from ..errors import Conflict, InvalidValue
from ..question_rules import question_problems, with_defaults
from ..schemas import schema_problem_of
from .base import Base, JSONData, Named, children, link_table, parent_key, utcnow
from .sockets import Socket, SocketValue
from .viewing import ShownWith

reader_study_case_values = link_table("reader_study_case_values", "reader_study_cases", "socket_values")

# Question kinds: grand-challenge's answer types (see core/answer_types.py).
QUESTION_KINDS = tuple(AnswerKind)

OPTIONS_SCHEMA = {
    "type": "object",
    "properties": {
        "choices": {
            "type": "array",
            "items": {
                "anyOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "properties": {"title": {"type": "string", "minLength": 1}, "default": {"type": "boolean"}},
                        "required": ["title"],
                        "additionalProperties": False,
                    },
                ]
            },
            "minItems": 1,
        },
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "step": {"type": "number"},
        "min_length": {"type": "integer", "minimum": 0},
        "max_length": {"type": "integer", "minimum": 0},
        "pattern": {"type": "string", "minLength": 1},
        "tolerance": {"type": "number", "exclusiveMinimum": 0},
    },
    "additionalProperties": False,
}
# Questions whose answers are points: a point within ``tolerance`` (mm) of the truth is right.
POINT_KINDS = (AnswerKind.POINT, AnswerKind.MULTIPLE_POINTS)


class ReaderStudy(ShownWith, Named, Base):
    """Cases shown to readers with ordered questions. Deleting it deletes its cases, questions
    and answers, not the values the cases show. In ``educational`` mode a reader may see the
    ground truth of a case once they have answered it, which makes their answers to it final."""

    __tablename__ = "reader_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    educational: Mapped[bool] = mapped_column(default=False)
    # How readers go through the cases (see core/study_settings.py for which go together).
    allow_case_navigation: Mapped[bool] = mapped_column(default=True)
    allow_answer_modification: Mapped[bool] = mapped_column(default=True)
    shuffle_case_order: Mapped[bool] = mapped_column(default=False)
    roll_over_answers_for_n_cases: Mapped[int] = mapped_column(default=0)
    instant_verification: Mapped[bool] = mapped_column(default=False)
    leaderboard_accessible_to_readers: Mapped[bool] = mapped_column(default=True)
    end_of_study_text: Mapped[str] = mapped_column(Text, default="")
    # Which sockets each viewport of its hanging protocol shows (core/viewing.py).
    view_content: Mapped[dict] = mapped_column(JSONData, default=dict)
    cases: Mapped[list["ReaderStudyCase"]] = children(
        "ReaderStudyCase", "reader_study", order_by=lambda: [ReaderStudyCase.order, ReaderStudyCase.id]
    )
    questions: Mapped[list["Question"]] = children(
        "Question", "reader_study", order_by="Question.position", collection_class=ordering_list("position")
    )


class ReaderStudyCase(Base):
    """One case of a reader study: a set of socket values; to show an archive item, give it the
    item's values (``ReaderStudyCase(values=list(item.values))``), which both then share."""

    __tablename__ = "reader_study_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_study_id: Mapped[int] = parent_key("reader_studies")
    reader_study: Mapped[ReaderStudy] = relationship(back_populates="cases")
    values: Mapped[list[SocketValue]] = relationship(secondary=reader_study_case_values)
    title: Mapped[str] = mapped_column(String(255), default="")
    order: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, default="")


class Question(Base):
    """A question of a reader study, at ``position`` in ``reader_study.questions`` (add it there).
    ``kind`` is an AnswerKind; ``options`` holds a number's ``minimum``, ``maximum`` and ``step``,
    a text's ``min_length``, ``max_length`` and ``pattern``, a point's or distance's
    ``tolerance`` (mm); a choice question's options are ``choices`` (rows, whose ids its answers
    hold). Which settings go together: core/question_rules.py, checked by ``check``."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_study_id: Mapped[int] = parent_key("reader_studies")
    reader_study: Mapped[ReaderStudy] = relationship(back_populates="questions")
    position: Mapped[int]  # set by ``reader_study.questions``, an ordering list
    text: Mapped[str] = mapped_column(Text)
    help_text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[AnswerKind]
    options: Mapped[dict] = mapped_column(JSONData, default=dict)
    required: Mapped[bool] = mapped_column(default=True)
    widget: Mapped[str] = mapped_column(String(32), default="")
    viewport: Mapped[str] = mapped_column(String(32), default="")
    empty_answer_confirmation: Mapped[bool] = mapped_column(default=False)
    empty_answer_confirmation_label: Mapped[str] = mapped_column(Text, default="")
    default_socket_id: Mapped[int | None] = mapped_column(ForeignKey("sockets.id", ondelete="RESTRICT"), index=True)
    default_socket: Mapped[Socket | None] = relationship()
    choices: Mapped[list["QuestionOption"]] = children(
        "QuestionOption", "question", order_by="QuestionOption.position", collection_class=ordering_list("position")
    )

    def __init__(self, **kwargs):
        """Like every model; ``options`` may hold ``choices`` (titles, or ``{"title", "default"}``),
        which become the question's option rows; the widget and viewport default (see
        question_rules.with_defaults) and the settings are checked."""
        options = dict(kwargs.pop("options", None) or {})
        choices = options.pop("choices", [])
        kind = AnswerKind(self._validate_kind("kind", kwargs.pop("kind", None)))
        kwargs = with_defaults(kind, {**kwargs, "options": options})
        super().__init__(kind=kind, **kwargs)
        self.choices = [QuestionOption.of(choice) for choice in choices]
        self.check()

    def check(self):
        """Raise InvalidValue naming every setting that does not go with the others."""
        problems = question_problems(
            self.kind,
            {
                "options": self.options,
                "widget": self.widget,
                "required": self.required,
                "empty_answer_confirmation": self.empty_answer_confirmation,
                "viewport": self.viewport,
                "choices": len(self.choices),
                "default_socket_kind": self.default_socket.kind if self.default_socket else None,
            },
        )
        titles = [choice.title for choice in self.choices]
        if len(set(titles)) < len(titles):
            problems.append("two choices have the same title: give each its own")
        if problems:
            raise InvalidValue(f"question {self.text!r}: " + "; ".join(problems) + ".")

    @validates("kind")
    def _validate_kind(self, _key, kind):
        try:
            return AnswerKind(kind)
        except ValueError:
            raise InvalidValue(f"{kind!r} is not a question kind; choose from {', '.join(QUESTION_KINDS)}") from None

    @validates("options")
    def _validate_options(self, _key, options):
        problem = schema_problem_of(options, OPTIONS_SCHEMA)
        if problem:
            raise InvalidValue(f"options of question {self.text!r}: {problem}")
        return options

    def option_ids(self):
        return {choice.id: choice.title for choice in self.choices}

    def answer_schema(self):
        """The schema an answer must fit besides its kind's: the choices, bounds, lengths, pattern."""
        ids = sorted(choice.id for choice in self.choices)
        if self.kind == AnswerKind.CHOICE:
            return {"enum": ids}
        if self.kind == AnswerKind.MULTIPLE_CHOICE:
            return {"items": {"enum": ids}}
        names = {"minimum": "minimum", "maximum": "maximum", "min_length": "minLength", "max_length": "maxLength",
                 "pattern": "pattern"}  # fmt: skip
        return {names[key]: value for key, value in self.options.items() if key in names}

    def _by_title(self, value):
        """A choice given by its option's exact title (clients written before option ids) as its id."""
        ids = {choice.title: choice.id for choice in self.choices}
        given = [value] if self.kind == AnswerKind.CHOICE else value if self.kind == AnswerKind.MULTIPLE_CHOICE else []
        for item in given if isinstance(given, list) else []:
            if isinstance(item, str) and item not in ids:
                titles = ", ".join(repr(title) for title in ids)
                raise InvalidValue(f"question {self.text!r}: {item!r} is not one of its choices ({titles})")
        if self.kind == AnswerKind.CHOICE and isinstance(value, str):
            return ids[value]
        if self.kind == AnswerKind.MULTIPLE_CHOICE and isinstance(value, list):
            return [ids[item] if isinstance(item, str) else item for item in value]
        return value

    def checked_answer(self, case, value, confirmed_empty=False):
        """``value`` as the answer to this question about ``case`` is kept: a choice by its
        option's id, an annotation with its ``version``, null as the kind's empty answer;
        InvalidValue saying why when it cannot be one."""
        if case.reader_study_id != self.reader_study_id:
            raise InvalidValue(f"case {case.id} is not in the reader study of question {self.id}")
        if self.kind == AnswerKind.HEADING:
            raise InvalidValue(f"{self.text!r} is a heading: it asks nothing, so it takes no answer")
        if value is None or value == self.kind.empty_value:
            if self.required:
                raise InvalidValue(f"question {self.text!r} must be answered: it cannot be cleared, only changed")
            if self.empty_answer_confirmation and not confirmed_empty:
                label = self.empty_answer_confirmation_label or "Leave it empty?"
                raise InvalidValue(f"question {self.text!r} asks the reader to confirm an empty answer ({label!r}):"
                                   " ask them, then send it again with confirm_empty true")  # fmt: skip
            return self.kind.empty_value
        value = with_version(self.kind, self._by_title(value))
        problem = schema_problem_of(value, ANSWER_SCHEMAS[self.kind], self.answer_schema()) or self._step_problem(value)
        if problem:
            raise InvalidValue(f"question {self.text!r}: {problem}")
        return value

    def default_answer(self, case):
        """The answer this question starts with for ``case``: the case's value of its default
        socket, as an answer (None when there is none, or when the value cannot be one)."""
        if self.default_socket_id is None:
            return None
        value = next((v.value for v in case.values if v.socket_id == self.default_socket_id), None)
        try:
            return None if value is None else self.checked_answer(case, value, confirmed_empty=True)
        except InvalidValue:
            return None

    def _step_problem(self, value):
        step = self.options.get("step")
        if not step:
            return None
        steps = (value - self.options.get("minimum", 0)) / step
        if abs(steps - round(steps)) > 1e-9:
            return f"{value} is not a step of {step} from {self.options.get('minimum', 0)}"
        return None


class QuestionOption(Base):
    """One choice of a choice question (grand-challenge's CategoricalOption): answers hold its id."""

    __tablename__ = "question_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = parent_key("questions")
    question: Mapped[Question] = relationship(back_populates="choices")
    position: Mapped[int]  # set by ``question.choices``, an ordering list
    title: Mapped[str] = mapped_column(Text)
    default: Mapped[bool] = mapped_column(default=False)

    @classmethod
    def of(cls, choice):
        """An option from a title or ``{"title", "default"}``."""
        return cls(title=choice, default=False) if isinstance(choice, str) else cls(**choice)


class _AnswerFields:
    """A value given to a question about a case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = parent_key("questions")
    case_id: Mapped[int] = parent_key("reader_study_cases")
    value: Mapped[Any] = mapped_column(JSONData)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Answer(_AnswerFields, Base):
    """A reader's answer: one per reader, question and case; ``created_at`` is when its value
    was given last."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("question_id", "case_id", "reader"),)

    reader: Mapped[str] = mapped_column(String(255), index=True)


class GroundTruthAnswer(_AnswerFields, Base):
    """The right answer to a question about a case, as an editor gave it: one per question and case."""

    __tablename__ = "ground_truth_answers"
    __table_args__ = (UniqueConstraint("question_id", "case_id"),)

    created_by: Mapped[str] = mapped_column(String(255))
    explanation: Mapped[str] = mapped_column(Text, default="")


class GroundTruthReveal(Base):
    """A reader saw the ground truth of a case (educational mode): one per reader and case."""

    __tablename__ = "ground_truth_reveals"
    __table_args__ = (UniqueConstraint("case_id", "reader"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = parent_key("reader_study_cases")
    reader: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def make_answer(session, question, case, value, *, reader, confirmed_empty=False):
    """A reader's answer to a stored question about a stored case, checked against the
    question: their earlier answer given the new value, or a new one added to ``session``."""
    value = question.checked_answer(case, value, confirmed_empty)
    answer = session.scalar(select(Answer).filter_by(question_id=question.id, case_id=case.id, reader=reader))
    if answer is None:
        answer = Answer(reader=reader, question_id=question.id, case_id=case.id)
        session.add(answer)
    answer.value, answer.created_at = value, utcnow()
    return answer


def make_ground_truth(session, question, case, value, *, created_by):
    """The ground-truth answer to a stored question about a stored case, checked and added to
    ``session``; Conflict if there is one already."""
    value = question.checked_answer(case, value, confirmed_empty=True)
    given = select(GroundTruthAnswer.id).filter_by(question_id=question.id, case_id=case.id)
    if session.scalar(given) is not None:
        raise Conflict(f"the ground truth is given for question {question.text!r} about case {case.id} already")
    truth = GroundTruthAnswer(question_id=question.id, case_id=case.id, value=value, created_by=created_by)
    session.add(truth)
    return truth
