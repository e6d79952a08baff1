"""The archives service's API for reader studies: members, questions, cases, answers (saved as
readers go), ground truth and the readers' scores against it, their progress and leaderboard; in
educational mode readers see the ground truth of each case they have answered."""

import csv
import io
import json
from itertools import count

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload
from tornado import web

from ..api import reader_studies as shapes
from ..core.answer_scores import answer_score, reader_scores
from ..core.errors import Conflict, GcError, InvalidValue, NotFound, PermissionDenied
from ..core.events import reader_study_assigned
from ..core.orm import (
    Answer,
    ArchiveItem,
    GroundTruthAnswer,
    GroundTruthReveal,
    Question,
    ReaderStudy,
    ReaderStudyCase,
    ReaderStudyMember,
    ReaderStudyRole,
    Socket,
    SocketValue,
    grant,
    make_answer,
    make_ground_truth,
    remove,
    revoke,
    save,
    set_viewing,
    usernames,
)
from ..core.study_settings import case_order, roll_over_source, settings_problems
from ..core.viewing import view_content_problems
from .archives import ArchiveAccess, sockets_by_slug
from .base import FORMAT_QUERY, APIHandler, endpoint, member_query
from .ground_truth import CellText, cell_value, read_rows

CREATE_READER_STUDIES = "custom:reader-studies:create"
# How many wrong rows of a ground-truth upload the refusal lists.
MAX_ROW_PROBLEMS = 20
# Readers see the study and answer; editors manage it and see every reader's answers.
READ = {ReaderStudyRole.EDITOR, ReaderStudyRole.READER}
ANSWER = {ReaderStudyRole.READER}
EDIT = {ReaderStudyRole.EDITOR}
# The study's fields that say how readers go through it (core/study_settings.py checks them together).
READING_SETTINGS = (
    "educational", "allow_case_navigation", "allow_answer_modification", "shuffle_case_order",
    "roll_over_answers_for_n_cases", "instant_verification", "leaderboard_accessible_to_readers",
)  # fmt: skip
ANSWER_COLUMNS = ("reader", "case", "question", "question_text", "value", "score", "answered_at")


def ranked(readers):
    """``(rank, reader)`` of ``readers`` (``scores().readers``) best first: equal scores share a
    rank (1, 1, 3); readers who answered nothing scored, or have no score, come last (sharing the
    last rank), whatever their score: a reader who has not begun is not ranked above one who has."""
    key = lambda reader: (not reader.answered or reader.score is None, -(reader.score or 0.0))  # noqa: E731
    result = []
    for position, reader in enumerate(sorted(readers, key=key), start=1):
        tied = result and key(result[-1][1]) == key(reader)
        result.append((result[-1][0] if tied else position, reader))
    return result


def _cell(value):
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class ReaderStudyAccess(ArchiveAccess):
    """Finds reader studies and checks what the current user may do with them."""

    def study_roles(self, study):
        query = select(ReaderStudyMember.role).filter_by(object_id=study.id, username=self.username)
        return set(self.db.scalars(query))

    def study_shapes(self, studies):
        """Many reader studies with my roles on each, looked up in one query."""
        roles = {}
        query = select(ReaderStudyMember.object_id, ReaderStudyMember.role).where(
            ReaderStudyMember.username == self.username,
            ReaderStudyMember.object_id.in_([s.id for s in studies]),
        )
        for study_id, role in self.db.execute(query):
            roles.setdefault(study_id, set()).add(role)
        return [shapes.ReaderStudy.of(s, roles.get(s.id, set())) for s in studies]

    def visible_studies(self):
        """The query of the reader studies the user holds a role on (all of them for hub admins)."""
        query = select(ReaderStudy).order_by(ReaderStudy.slug)
        if self.user.get("admin"):
            return query
        return query.where(ReaderStudy.id.in_(select(ReaderStudyMember.object_id).filter_by(username=self.username)))

    def reader_study(self, slug, allowed=READ, doing="read this reader study"):
        """The reader study ``slug`` if the user holds one of ``allowed``; NotFound for those who
        may not see it at all, so that names of private studies do not leak."""
        study = self.db.scalar(select(ReaderStudy).filter_by(slug=slug))
        roles = self.study_roles(study) if study else set()
        if study is None or not (roles or self.user.get("admin")):
            raise NotFound(f"No reader study {slug!r} that you can see.")
        if not (roles & allowed or self.user.get("admin")):
            raise PermissionDenied(f"You may not {doing}: ask an editor of {slug!r} for that role.")
        return study, roles

    def sees_all_answers(self, roles):
        return bool(roles & EDIT) or bool(self.user.get("admin"))

    def study_members(self, study):
        return shapes.ReaderStudyMembers(**{role.value: usernames(self.db, study, role) for role in ReaderStudyRole})

    def add_question(self, study, fields):
        """A new question of ``fields`` (a QuestionCreate) at the end of ``study``'s questions."""
        given = fields.given()
        given.pop("default_socket", None)
        if fields.default_socket:
            given["default_socket"] = sockets_by_slug(self.db, "default_socket", [fields.default_socket])[0]
        question = Question(**{**given, "options": fields.options or {}})
        study.questions.append(question)
        self.db.flush()
        return question

    def add_archive_cases(self, study, archive_slug):
        """A case of ``study`` for each item of an archive that the user may read."""
        archive, _ = self.archive(archive_slug, doing="read this archive's cases")
        query = select(ArchiveItem).filter_by(archive_id=archive.id).order_by(ArchiveItem.id)
        items = self.db.scalars(query.options(selectinload(ArchiveItem.values))).all()
        cases = [ReaderStudyCase(values=list(item.values)) for item in items]
        study.cases.extend(cases)
        self.db.flush()
        return cases

    def answer(self, study, body):
        """The user's answer (an AnswerGive) to a question of ``study`` about one of its cases,
        replacing the one they gave before, and whether it is new; Conflict once they have seen
        the case's ground truth."""
        question = self.question(study, body.question)
        case = self.case(study, body.case)
        if self.revealed(case):
            raise Conflict(f"You have seen the ground truth of case {case.id}; answers to it can no longer change.")
        self.check_reading_order(study, case, question)
        answer = make_answer(
            self.db, question, case, body.value, reader=self.username, confirmed_empty=body.confirm_empty
        )
        created = answer in self.db.new
        self.db.flush()
        return answer, created

    def create_study(self, fields):
        """A new reader study of ``fields`` (a ReaderStudyCreate) whose creator is its editor; needs
        the hub permission to create."""
        self.require_scope(CREATE_READER_STUDIES, "create reader studies")
        study = ReaderStudy(**fields.model_dump(), created_by=self.username)
        self.check_settings(study)
        study = save(self.db, study)
        grant(self.db, study, self.username, ReaderStudyRole.EDITOR)
        self.commit()
        return study

    def change_study(self, study, fields):
        """Set the study's title, description, educational mode or reading settings from ``fields``
        (a ReaderStudyChange); InvalidValue, and nothing changed, when they do not go together."""
        given = {key: value for key, value in fields.given().items() if value is not None}
        self.change_viewing(study, given)
        current = {key: getattr(study, key) for key in READING_SETTINGS}
        problems = settings_problems({**current, **given})
        if problems:
            raise InvalidValue("The reader study was not changed: " + "; ".join(problems) + ".")
        for key, value in given.items():
            setattr(study, key, value)
        self.db.flush()

    def change_viewing(self, study, given):
        """Take the viewer configuration, hanging protocol and view content out of ``given`` and
        set them on ``study``; InvalidValue when one is unknown or the view content does not fit."""
        set_viewing(self.db, study, given)
        view_content = given.pop("view_content", study.view_content)
        layout = study.hanging_protocol.layout if study.hanging_protocol else None
        problems = view_content_problems(view_content, layout)
        unknown = {s for slugs in view_content.values() for s in slugs} - set(self.db.scalars(select(Socket.slug)))
        if unknown:
            problems.append(f"there is no socket {', '.join(sorted(unknown))}: define it first")
        if problems:
            raise InvalidValue("The reader study was not changed: " + "; ".join(problems) + ".")
        study.view_content = view_content

    @staticmethod
    def check_settings(study):
        problems = settings_problems({key: getattr(study, key) for key in READING_SETTINGS})
        if problems:
            raise InvalidValue("The reader study's settings do not go together: " + "; ".join(problems) + ".")

    def change_case(self, study, case, fields):
        """Set a case's title, order or text from ``fields`` (a CaseChange); a title is the study's
        one case of that title."""
        given = {key: value for key, value in fields.given().items() if value is not None}
        title = given.get("title", "").strip()
        if title and any(other.title == title and other.id != case.id for other in study.cases):
            raise Conflict(f"Another case of {study.slug!r} is titled {title!r}: give this one its own title.")
        for key, value in given.items():
            setattr(case, key, value.strip() if key == "title" else value)
        self.db.flush()

    def add_member(self, study, fields):
        """Give a hub user a role on ``study`` (``fields``: a ReaderStudyMemberGrant)."""
        grant(self.db, study, fields.username, fields.role)
        if fields.role == ReaderStudyRole.READER:
            reader_study_assigned(self.db, study, fields.username)

    def remove_member(self, study, username, role):
        """Take ``role`` from ``username``; Conflict if that would leave the study without editors."""
        if role == ReaderStudyRole.EDITOR and usernames(self.db, study, role) == [username]:
            raise Conflict(f"{username!r} is the last editor of {study.slug!r}: make someone else editor first.")
        revoke(self.db, study, username, role)

    def question(self, study, question_id):
        """The question ``question_id`` (its id, as text or a number) of ``study``."""
        question = self.db.get(Question, int(question_id)) if str(question_id).isdigit() else None
        if question is None or question.reader_study_id != study.id:
            raise NotFound(f"No question {question_id} in reader study {study.slug!r}.")
        return question

    def case(self, study, case_id):
        """The case ``case_id`` (its id, as text or a number) of ``study``."""
        case = self.db.get(ReaderStudyCase, int(case_id)) if str(case_id).isdigit() else None
        if case is None or case.reader_study_id != study.id:
            raise NotFound(f"No case {case_id} in reader study {study.slug!r}.")
        return case

    def move_question(self, study, question, position):
        """Put ``question`` at ``position`` (0 is first) among the study's questions."""
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < len(study.questions):
            raise InvalidValue(f"'position' must be a whole number from 0 to {len(study.questions) - 1}.")
        study.questions.remove(question)
        study.questions.insert(position, question)
        study.questions.reorder()
        self.db.flush()

    def delete_question(self, study, question):
        """Delete ``question`` with its answers and ground truth; the others close up."""
        study.questions.remove(question)
        study.questions.reorder()
        self.db.delete(question)
        self.db.flush()

    # --- ground truth and scores ----------------------------------------------------------

    def replace_ground_truth(self, study, data, csv_format):
        """Make an uploaded document (see ground_truth.py) the study's whole ground truth. Every
        row is checked first; InvalidValue naming each wrong row, and nothing written, if any is."""
        questions = {q.id: q for q in study.questions}
        by_text = {q.text.strip(): q for q in study.questions}
        cases = {c.id: c for c in study.cases}
        checked, first_row, problems = [], {}, []
        for number, row in enumerate(read_rows(data, csv_format), start=1):
            try:
                question, case, value = self._ground_truth_row(row, questions, by_text, cases)
            except InvalidValue as e:
                problems.append(f"row {number}: {e.message}")
                continue
            pair = (question.id, case.id)
            if pair in first_row:
                problems.append(
                    f"row {number}: case {case.id}, question {question.text!r} is given in row "
                    f"{first_row[pair]} already"
                )
            first_row.setdefault(pair, number)
            checked.append((question, case, value, row.get("explanation", "")))
        if problems:
            shown = "; ".join(problems[:MAX_ROW_PROBLEMS])
            more = f"; and {len(problems) - MAX_ROW_PROBLEMS} more" if len(problems) > MAX_ROW_PROBLEMS else ""
            raise InvalidValue(f"The ground truth was not saved: {len(problems)} row(s) are wrong. {shown}{more}.")
        if not checked:
            raise InvalidValue("The ground truth has no rows: give one row per case and question.")
        self.db.execute(delete(GroundTruthAnswer).where(GroundTruthAnswer.question_id.in_(questions)))
        for question, case, value, explanation in checked:
            make_ground_truth(self.db, question, case, value, created_by=self.username).explanation = explanation
        self.db.flush()
        return len(checked)

    @staticmethod
    def _ground_truth_row(row, questions, by_text, cases):
        raw_case, raw_question, value = row["case"], row["question"], row["value"]
        case = cases.get(int(raw_case)) if str(raw_case).isdigit() else None
        if case is None:
            raise InvalidValue(f"no case {raw_case!r} in this reader study (give a case id)")
        question = questions.get(int(raw_question)) if str(raw_question).isdigit() else None
        question = question or (by_text.get(raw_question.strip()) if isinstance(raw_question, str) else None)
        if question is None:
            raise InvalidValue(f"no question {raw_question!r} in this reader study (give its id or exact text)")
        if isinstance(value, CellText):
            try:
                value = cell_value(question.kind, value)
            except InvalidValue as e:
                raise InvalidValue(f"question {question.text!r}: {e.message}") from None
        return question, case, question.checked_answer(case, value, confirmed_empty=True)

    def ground_truth_query(self, study):
        query = select(GroundTruthAnswer).join(Question).where(Question.reader_study_id == study.id)
        return query.order_by(GroundTruthAnswer.case_id, Question.position)

    def scores(self, study):
        """Each reader's score against the ground truth (see core/answer_scores.py)."""
        questions = {q.id: (q.kind, q.options) for q in study.questions}
        truths = {(t.question_id, t.case_id): t.value for t in self.db.scalars(self.ground_truth_query(study))}
        answers = self.db.execute(
            select(Answer.reader, Answer.question_id, Answer.case_id, Answer.value).where(
                Answer.question_id.in_(questions)
            )
        )
        readers = usernames(self.db, study, ReaderStudyRole.READER)
        scores = reader_scores(questions, truths, answers, readers)
        readers = [shapes.ReaderScore(reader=r, **s) for r, s in sorted(scores.items())]
        return shapes.Scores(ground_truth=len(truths), readers=readers)

    def leaderboard(self, study, roles):
        """The readers ranked by score; a reader sees the others' names as 'reader 1', 'reader 2'…,
        when the study lets readers see it."""
        if not (self.sees_all_answers(roles) or study.leaderboard_accessible_to_readers):
            raise PermissionDenied("This reader study's leaderboard is for its editors: readers do not see it.")
        scores = self.scores(study)
        others = count(1)
        entries = []
        for rank, reader in ranked(scores.readers):
            name = reader.reader
            if not (self.sees_all_answers(roles) or name == self.username):
                name = f"reader {next(others)}"
            entries.append(shapes.RankedReader(rank=rank, reader=name, score=reader.score, answered=reader.answered))
        return shapes.ReaderLeaderboard(ground_truth=scores.ground_truth, readers=entries)

    # --- reading: progress and the ground truth of answered cases -------------------------

    def answered_cases(self, study, reader):
        """The ids of the cases of ``study`` whose every required question ``reader`` has answered."""
        required = {q.id for q in study.questions if q.required}
        given = {}
        query = select(Answer.case_id, Answer.question_id).where(
            Answer.reader == reader, Answer.question_id.in_(required)
        )
        for case_id, question_id in self.db.execute(query):
            given.setdefault(case_id, set()).add(question_id)
        return [c.id for c in study.cases if required <= given.get(c.id, set())]

    def progress(self, study):
        """How far the user is: the cases, those they have answered, the next one to answer."""
        case_ids = self.reading_order(study, self.username)
        answered = self.answered_cases(study, self.username)
        next_case = next((c for c in case_ids if c not in answered), None)
        finished = bool(case_ids) and next_case is None
        return shapes.Progress(
            cases=len(case_ids),
            answered=len(answered),
            next_case=next_case,
            case_ids=case_ids,
            answered_case_ids=answered,
            finished=finished,
            end_of_study_text=study.end_of_study_text if finished else "",
            rolled_over_answers=self.rolled_over_answers(study, case_ids, next_case) if next_case else {},
        )

    def reading_order(self, study, reader):
        """The ids of the study's cases in the order ``reader`` reads them."""
        return case_order([c.id for c in study.cases], reader, study.id, study.shuffle_case_order)

    def check_reading_order(self, study, case, question):
        """Conflict when the study's settings keep the user from answering ``question`` about
        ``case`` now: without case navigation only the first unfinished case of their order;
        without answer modification never again a question they answered in a finished case
        (its questions they have not answered stay open)."""
        answered = set(self.answered_cases(study, self.username))
        if case.id in answered and not study.allow_answer_modification and self.has_answered(question, case):
            raise Conflict(f"You have finished case {case.id}, and this study does not let readers change the answers"
                           " of a finished case (its questions you have not answered yet stay open).")  # fmt: skip
        if not study.allow_case_navigation and case.id not in answered:
            current = next((c for c in self.reading_order(study, self.username) if c not in answered), None)
            if case.id != current:
                raise Conflict(f"This study is read case by case in order: answer case {current} first.")

    def has_answered(self, question, case):
        """Whether the user's answer to ``question`` about ``case`` holds a value."""
        query = select(Answer.value).filter_by(question_id=question.id, case_id=case.id, reader=self.username)
        return self.db.scalar(query) is not None

    def rolled_over_answers(self, study, order, case_id):
        """The user's answers of the case whose answers roll over to ``case_id``, by question id."""
        source = roll_over_source(order, case_id, study.roll_over_answers_for_n_cases)
        if source is None:
            return {}
        query = select(Answer.question_id, Answer.value).filter_by(case_id=source, reader=self.username)
        return {question_id: value for question_id, value in self.db.execute(query) if value is not None}

    def revealed(self, case):
        query = select(GroundTruthReveal.id).filter_by(case_id=case.id, reader=self.username)
        return self.db.scalar(query) is not None

    def case_ground_truth(self, study, roles, case, reveal=False):
        """The ground truth of ``case`` beside the user's answers and their scores. Editors may
        always see it; a reader of an educational study once they have answered the case and
        ``reveal`` it (a POST), which is kept: their answers to it become final. Without
        ``reveal`` (a GET), a reader sees only a truth revealed before."""
        if not self.sees_all_answers(roles):
            if not study.educational:
                raise PermissionDenied("This reader study is not in educational mode: its ground truth is for its "
                                       "editors only.")  # fmt: skip
            if not self.revealed(case):
                if not reveal:
                    raise Conflict(
                        f"You have not revealed the ground truth of case {case.id} yet: POST to this URL"
                        " to reveal it, after which your answers to it can no longer change."
                    )
                if case.id not in self.answered_cases(study, self.username):
                    raise Conflict(f"Answer every required question of case {case.id} first.")
                self.db.add(GroundTruthReveal(case_id=case.id, reader=self.username))
        given = self.db.scalars(select(GroundTruthAnswer).filter_by(case_id=case.id)).all()
        truths = {t.question_id: t.value for t in given}
        explanations = {t.question_id: t.explanation for t in given}
        mine = {
            a.question_id: a.value
            for a in self.db.scalars(select(Answer).filter_by(case_id=case.id, reader=self.username))
        }
        answers = []
        for question in study.questions:
            scored = question.id in truths and question.id in mine
            score = answer_score(question.kind, question.options, mine.get(question.id), truths.get(question.id))
            truth = shapes.AnswerTruth(
                question=question.id,
                value=truths.get(question.id),
                explanation=explanations.get(question.id, ""),
                my_answer=mine.get(question.id),
                score=score if scored else None,
            )
            answers.append(truth)
        return shapes.CaseGroundTruth(case=case.id, answers=answers)

    def answers_query(self, study, roles):
        """The study's answers that the user may see (editors: everyone's; readers: their own)."""
        query = select(Answer).join(Question).where(Question.reader_study_id == study.id)
        return query if self.sees_all_answers(roles) else query.where(Answer.reader == self.username)

    def answers_csv(self, study, roles):
        """The answers the user may see as CSV text (ANSWER_COLUMNS), each scored where there is
        ground truth."""
        questions = {q.id: q for q in study.questions}
        truths = {(t.question_id, t.case_id): t.value for t in self.db.scalars(self.ground_truth_query(study))}
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(ANSWER_COLUMNS)
        query = self.answers_query(study, roles).order_by(Answer.reader, Answer.case_id, Question.position)
        for answer in self.db.scalars(query):
            question, pair = questions[answer.question_id], (answer.question_id, answer.case_id)
            score = answer_score(question.kind, question.options, answer.value, truths[pair]) if pair in truths else ""
            writer.writerow([_cell(answer.reader), answer.case_id, question.id, _cell(question.text),
                             json.dumps(answer.value), score, answer.created_at.isoformat()])  # fmt: skip
        return out.getvalue()


class ReaderStudyAPIHandler(ReaderStudyAccess, APIHandler):
    """An API handler about reader studies."""


class ReaderStudiesHandler(ReaderStudyAPIHandler):
    """GET: the reader studies I hold a role on (all of them for admins). POST {slug, title,
    description, educational}: a new reader study, whose creator is its editor (researchers)."""

    @endpoint(returns=shapes.ReaderStudyPage)
    @web.authenticated
    def get(self):
        self.write_model(self.page(self.visible_studies(), serialize_rows=self.study_shapes))

    @endpoint(shapes.ReaderStudyCreate, shapes.ReaderStudy, 201)
    @web.authenticated
    def post(self):
        self.require_scope(CREATE_READER_STUDIES, "create reader studies")  # before the body is read
        study = self.create_study(self.body())
        self.write_model(shapes.ReaderStudy.of(study, EDIT), 201)


class ReaderStudyHandler(ReaderStudyAPIHandler):
    """GET: one reader study (editors and readers). PATCH {title, description, educational}:
    change it (editors). DELETE: delete it with its cases, questions, answers and ground truth
    (editors); the archive items its cases show stay."""

    @endpoint(returns=shapes.ReaderStudy)
    @web.authenticated
    def get(self, slug):
        study, roles = self.reader_study(slug)
        self.write_model(shapes.ReaderStudy.of(study, roles))

    @endpoint(shapes.ReaderStudyChange, shapes.ReaderStudy)
    @web.authenticated
    def patch(self, slug):
        study, roles = self.reader_study(slug, EDIT, "change this reader study")
        self.change_study(study, self.body())
        self.commit()
        self.write_model(shapes.ReaderStudy.of(study, roles))

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug):
        study, _ = self.reader_study(slug, EDIT, "delete this reader study")
        remove(self.db, study)
        self.commit()
        self.write_no_content()


class ReaderStudyMembersHandler(ReaderStudyAPIHandler):
    """GET: who holds which role (editors). POST {username, role}: grant a role (editors).
    DELETE ?username=&role=: take a role away (editors; a study keeps at least one editor)."""

    @endpoint(returns=shapes.ReaderStudyMembers)
    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug, EDIT, "see this reader study's members")
        self.write_model(self.study_members(study))

    @endpoint(shapes.ReaderStudyMemberGrant, shapes.ReaderStudyMembers, 201)
    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "manage this reader study's members")
        self.add_member(study, self.body())
        self.commit()
        self.write_model(self.study_members(study), 201)

    @endpoint(status=204, query=member_query(ReaderStudyRole))
    @web.authenticated
    def delete(self, slug):
        study, _ = self.reader_study(slug, EDIT, "manage this reader study's members")
        self.remove_member(study, self.get_argument("username"), self.get_argument("role"))
        self.commit()
        self.write_no_content()


class QuestionsHandler(ReaderStudyAPIHandler):
    """GET: the questions in order. POST {text, kind, help_text, options, required}: a question
    after the others (editors); options hold the choices, or a number's minimum and maximum."""

    @endpoint(returns=shapes.QuestionPage)
    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug)
        query = select(Question).filter_by(reader_study_id=study.id).order_by(Question.position)
        self.write_model(self.page(query, shapes.Question.of))

    @endpoint(shapes.QuestionCreate, shapes.Question, 201)
    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "add questions to this reader study")
        question = self.add_question(study, self.body())
        self.commit()
        self.write_model(shapes.Question.of(question), 201)


class QuestionHandler(ReaderStudyAPIHandler):
    """PATCH {position}: move a question (0 is first; editors). DELETE: delete it with its
    answers and ground truth (editors)."""

    @endpoint(shapes.QuestionMove, shapes.Question)
    @web.authenticated
    def patch(self, slug, question_id):
        study, _ = self.reader_study(slug, EDIT, "change this reader study's questions")
        question = self.question(study, question_id)
        self.move_question(study, question, self.body().position)
        self.commit()
        self.write_model(shapes.Question.of(question))

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug, question_id):
        study, _ = self.reader_study(slug, EDIT, "delete this reader study's questions")
        self.delete_question(study, self.question(study, question_id))
        self.commit()
        self.write_no_content()


class CasesHandler(ReaderStudyAPIHandler):
    """GET: the study's cases. POST {archive}: a case for each item of an archive you may read
    (editors)."""

    @endpoint(returns=shapes.CasePage)
    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug)
        query = select(ReaderStudyCase).filter_by(reader_study_id=study.id)
        query = query.order_by(ReaderStudyCase.order, ReaderStudyCase.id)
        values = selectinload(ReaderStudyCase.values).joinedload(SocketValue.socket)  # not one query per case
        questions = study.questions
        self.write_model(self.page(query.options(values), lambda case: shapes.Case.of(case, questions)))

    @endpoint(shapes.CasesAdd, shapes.CasesAdded, 201)
    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "add cases to this reader study")
        cases = self.add_archive_cases(study, self.body().archive)
        self.commit()
        self.write_model(shapes.CasesAdded(added=len(cases), cases=[shapes.Case.of(c) for c in cases]), 201)


class CaseHandler(ReaderStudyAPIHandler):
    """GET: one case with the answers its questions start with. PATCH {title, order, text}:
    change its title, place or text (editors)."""

    @endpoint(returns=shapes.Case)
    @web.authenticated
    def get(self, slug, case_id):
        study, _ = self.reader_study(slug)
        self.write_model(shapes.Case.of(self.case(study, case_id), study.questions))

    @endpoint(shapes.CaseChange, shapes.Case)
    @web.authenticated
    def patch(self, slug, case_id):
        study, _ = self.reader_study(slug, EDIT, "change this reader study's cases")
        case = self.case(study, case_id)
        self.change_case(study, case, self.body())
        self.commit()
        self.write_model(shapes.Case.of(case, study.questions))


class AnswersHandler(ReaderStudyAPIHandler):
    """GET: the answers (editors: everyone's; readers: their own); ?format=csv gives them all as
    CSV, scored where there is ground truth. POST {question, case, value}: answer a question
    about a case, or change the answer (readers); a value of null clears an optional one."""

    @endpoint(returns=shapes.AnswerPage, file_types=("text/csv",), query=FORMAT_QUERY)
    @web.authenticated
    def get(self, slug):
        study, roles = self.reader_study(slug)
        fmt = self.get_argument("format", "json")
        if fmt not in ("json", "csv"):
            raise GcError(f"?format= must be json or csv, not {fmt!r}.")
        if fmt == "json":
            self.write_model(self.page(self.answers_query(study, roles).order_by(Answer.id), shapes.Answer.of))
            return
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{slug}-answers.csv"')
        self.finish(self.answers_csv(study, roles))

    @endpoint(shapes.AnswerGive, {201: shapes.Answer, 200: shapes.Answer})
    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, ANSWER, "answer questions in this reader study")
        answer, created = self.answer(study, self.body())
        self.commit()
        self.write_model(shapes.Answer.of(answer), 201 if created else 200)


class ProgressHandler(ReaderStudyAPIHandler):
    """GET: my progress: {cases, answered, next_case, case_ids, answered_case_ids}; a case is
    answered when each of its required questions is (readers and editors)."""

    @endpoint(returns=shapes.Progress)
    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug)
        self.write_model(self.progress(study))


class CaseGroundTruthHandler(ReaderStudyAPIHandler):
    """GET: a case's ground truth beside my answers and their scores: {case, answers: [{question,
    value, my_answer, score}]} (editors; readers of an educational study once they revealed it;
    409 before). POST: reveal it to me, a reader of an educational study who has answered every
    required question of the case; my answers to it cannot change after that."""

    @endpoint(returns=shapes.CaseGroundTruth)
    @web.authenticated
    def get(self, slug, case_id):
        study, roles = self.reader_study(slug)
        self.write_model(self.case_ground_truth(study, roles, self.case(study, case_id)))

    @endpoint(returns=shapes.CaseGroundTruth)
    @web.authenticated
    def post(self, slug, case_id):
        study, roles = self.reader_study(slug)
        truth = self.case_ground_truth(study, roles, self.case(study, case_id), reveal=True)
        self.commit()
        self.write_model(truth)


class GroundTruthHandler(ReaderStudyAPIHandler):
    """GET: the ground truth (editors). POST: replace it with a CSV (``Content-Type: text/csv``,
    columns case, question, value) or a JSON list of {case, question, value} (editors); every
    row is checked against its question, and a wrong row writes nothing."""

    @endpoint(returns=shapes.GroundTruthPage)
    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug, EDIT, "see this reader study's ground truth")
        self.write_model(self.page(self.ground_truth_query(study), shapes.GroundTruth.of))

    @endpoint(list[shapes.GroundTruthRow], shapes.GroundTruthSaved, 201, body_types=("application/json", "text/csv"))
    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "give this reader study's ground truth")
        csv_format = self.request.headers.get("Content-Type", "").startswith("text/csv")
        saved = self.replace_ground_truth(study, self.request.body, csv_format)
        self.commit()
        self.write_model(shapes.GroundTruthSaved(saved=saved), 201)


class ScoresHandler(ReaderStudyAPIHandler):
    """GET: each reader's score against the ground truth, overall and per question (editors)."""

    @endpoint(returns=shapes.Scores)
    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug, EDIT, "see the readers' scores")
        self.write_model(self.scores(study))


class LeaderboardHandler(ReaderStudyAPIHandler):
    """GET: the readers ranked by score, {ground_truth, readers: [{rank, reader, score,
    answered}]}; equal scores share a rank. Editors see every name, a reader their own and the
    others as 'reader 1', 'reader 2'… (readers and editors)."""

    @endpoint(returns=shapes.ReaderLeaderboard)
    @web.authenticated
    def get(self, slug):
        study, roles = self.reader_study(slug)
        self.write_model(self.leaderboard(study, roles))


def routes(prefix):
    api = prefix + "api/v1/reader-studies"
    slug = r"(?P<slug>[a-z0-9-]+)"
    return [
        (api, ReaderStudiesHandler),
        (api + f"/{slug}", ReaderStudyHandler),
        (api + f"/{slug}/members", ReaderStudyMembersHandler),
        (api + f"/{slug}/questions", QuestionsHandler),
        (api + f"/{slug}/questions/(?P<question_id>[0-9]+)", QuestionHandler),
        (api + f"/{slug}/cases", CasesHandler),
        (api + f"/{slug}/cases/(?P<case_id>[0-9]+)", CaseHandler),
        (api + f"/{slug}/cases/(?P<case_id>[0-9]+)/ground-truth", CaseGroundTruthHandler),
        (api + f"/{slug}/answers", AnswersHandler),
        (api + f"/{slug}/progress", ProgressHandler),
        (api + f"/{slug}/ground-truth", GroundTruthHandler),
        (api + f"/{slug}/scores", ScoresHandler),
        (api + f"/{slug}/leaderboard", LeaderboardHandler),
    ]
