"""Reader studies: cases that readers answer questions about, and the ground truth."""

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..errors import Conflict, InvalidValue
from ..schemas import SocketKind, value_problem
from .base import Base, JSONData, Named, children, link_table, parent_key, utcnow
from .sockets import SocketValue

reader_study_case_values = link_table("reader_study_case_values", "reader_study_cases", "socket_values")

# Question kinds are the JSON kinds of sockets: yes/no, single and multiple choice, a number
# (with bounds), text, and the annotations.
QUESTION_KINDS = (
    SocketKind.BOOL,
    SocketKind.CHOICE,
    SocketKind.MULTIPLE_CHOICE,
    SocketKind.INTEGER,
    SocketKind.FLOAT,
    SocketKind.STRING,
    SocketKind.POINT,
    SocketKind.MULTIPLE_POINTS,
    SocketKind.BOUNDING_BOX_2D,
)

OPTIONS_SCHEMA = {
    "type": "object",
    "properties": {
        "choices": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "tolerance": {"type": "number", "exclusiveMinimum": 0},
    },
    "additionalProperties": False,
}
# Questions whose answers are points: a point within ``tolerance`` (mm) of the truth is right.
POINT_KINDS = (SocketKind.POINT, SocketKind.MULTIPLE_POINTS)


class ReaderStudy(Named, Base):
    """Cases shown to readers with ordered questions. Deleting it deletes its cases, questions
    and answers, not the values the cases show. In ``educational`` mode a reader may see the
    ground truth of a case once they have answered it, which makes their answers to it final."""

    __tablename__ = "reader_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    educational: Mapped[bool] = mapped_column(default=False)
    cases: Mapped[list["ReaderStudyCase"]] = children("ReaderStudyCase", "reader_study")
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


class Question(Base):
    """A question of a reader study, at ``position`` in ``reader_study.questions`` (add it there).
    ``options`` holds the ``choices`` of a choice question, the ``minimum`` and ``maximum`` of a
    number, the ``tolerance`` (in mm) of a point question."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_study_id: Mapped[int] = parent_key("reader_studies")
    reader_study: Mapped[ReaderStudy] = relationship(back_populates="questions")
    position: Mapped[int]  # set by ``reader_study.questions``, an ordering list
    text: Mapped[str] = mapped_column(Text)
    help_text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[SocketKind]
    options: Mapped[dict] = mapped_column(JSONData, default=dict)
    required: Mapped[bool] = mapped_column(default=True)

    def __init__(self, **kwargs):
        """Like every model; a choice question needs its choices."""
        super().__init__(**kwargs)
        if self.kind in (SocketKind.CHOICE, SocketKind.MULTIPLE_CHOICE) and "choices" not in self.options:
            raise InvalidValue(f"the {self.kind} question {self.text!r} needs options {{'choices': [...]}}")
        if "tolerance" in self.options and self.kind not in POINT_KINDS:
            raise InvalidValue(f"only point questions take a tolerance, not the {self.kind} question {self.text!r}")

    @validates("kind")
    def _validate_kind(self, _key, kind):
        if kind not in QUESTION_KINDS:
            raise InvalidValue(f"{kind!r} is not a question kind; choose from {', '.join(QUESTION_KINDS)}")
        return SocketKind(kind)

    @validates("options")
    def _validate_options(self, _key, options):
        problem = value_problem(SocketKind.ANY, options, OPTIONS_SCHEMA)
        if problem:
            raise InvalidValue(f"options of question {self.text!r}: {problem}")
        return options

    def answer_schema(self):
        """The schema an answer must fit besides its kind's: the choices, the bounds."""
        if self.kind == SocketKind.CHOICE:
            return {"enum": self.options["choices"]}
        if self.kind == SocketKind.MULTIPLE_CHOICE:
            return {"items": {"enum": self.options["choices"]}}
        return {key: self.options[key] for key in ("minimum", "maximum") if key in self.options}

    def check_answer(self, case, value):
        """Raise InvalidValue unless ``value`` answers this question about ``case``."""
        if case.reader_study_id != self.reader_study_id:
            raise InvalidValue(f"case {case.id} is not in the reader study of question {self.id}")
        if value is None and not self.required:
            return
        if value is None:
            raise InvalidValue(f"question {self.text!r} must be answered: it cannot be cleared, only changed")
        problem = value_problem(self.kind, value, self.answer_schema())
        if problem:
            raise InvalidValue(f"question {self.text!r}: {problem}")


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


class GroundTruthReveal(Base):
    """A reader saw the ground truth of a case (educational mode): one per reader and case."""

    __tablename__ = "ground_truth_reveals"
    __table_args__ = (UniqueConstraint("case_id", "reader"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = parent_key("reader_study_cases")
    reader: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def make_answer(session, question, case, value, *, reader):
    """A reader's answer to a stored question about a stored case, checked against the
    question: their earlier answer given the new value, or a new one added to ``session``."""
    question.check_answer(case, value)
    answer = session.scalar(select(Answer).filter_by(question_id=question.id, case_id=case.id, reader=reader))
    if answer is None:
        answer = Answer(reader=reader, question_id=question.id, case_id=case.id)
        session.add(answer)
    answer.value, answer.created_at = value, utcnow()
    return answer


def make_ground_truth(session, question, case, value, *, created_by):
    """The ground-truth answer to a stored question about a stored case, checked and added to
    ``session``; Conflict if there is one already."""
    question.check_answer(case, value)
    given = select(GroundTruthAnswer.id).filter_by(question_id=question.id, case_id=case.id)
    if session.scalar(given) is not None:
        raise Conflict(f"the ground truth is given for question {question.text!r} about case {case.id} already")
    truth = GroundTruthAnswer(question_id=question.id, case_id=case.id, value=value, created_by=created_by)
    session.add(truth)
    return truth
