"""The archives service's API for reader studies: members, questions, cases and answers."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from tornado import web

from ..core.errors import InvalidValue, NotFound, PermissionDenied
from ..core.orm import (
    QUESTION_KINDS,
    Answer,
    ArchiveItem,
    Question,
    ReaderStudy,
    ReaderStudyCase,
    ReaderStudyMember,
    ReaderStudyRole,
    SocketKind,
    grant,
    make_answer,
    save,
    usernames,
)
from .archives import ArchiveAccess, value_json
from .base import APIHandler

CREATE_READER_STUDIES = "custom:reader-studies:create"
# Readers see the study and answer; editors manage it and see every reader's answers.
READ = {ReaderStudyRole.EDITOR, ReaderStudyRole.READER}
ANSWER = {ReaderStudyRole.READER}
EDIT = {ReaderStudyRole.EDITOR}


def study_json(study, roles):
    return {
        "slug": study.slug,
        "title": study.title,
        "description": study.description,
        "created_by": study.created_by,
        "created_at": study.created_at.isoformat(),
        "my_roles": sorted(role.value for role in roles),
    }


def question_json(question):
    return {
        "id": question.id,
        "position": question.position,
        "text": question.text,
        "help_text": question.help_text,
        "kind": question.kind.value,
        "options": question.options,
        "required": question.required,
    }


def case_json(case):
    return {"id": case.id, "values": {v.socket.slug: value_json(v) for v in case.values}}


def answer_json(answer):
    return {
        "id": answer.id,
        "question": answer.question_id,
        "case": answer.case_id,
        "reader": answer.reader,
        "value": answer.value,
        "created_at": answer.created_at.isoformat(),
    }


def an_id(body, key):
    """``body[key]`` if it is a whole number (an object's id)."""
    value = body[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidValue(f"{key!r} must be the id (a whole number) of a {key} of this reader study.")
    return value


class ReaderStudyAccess(ArchiveAccess):
    """Finds reader studies and checks what the current user may do with them."""

    def study_roles(self, study):
        query = select(ReaderStudyMember.role).filter_by(object_id=study.id, username=self.username)
        return set(self.db.scalars(query))

    def studies_json(self, studies):
        """Many reader studies with my roles on each, looked up in one query."""
        roles = {}
        query = select(ReaderStudyMember.object_id, ReaderStudyMember.role).where(
            ReaderStudyMember.username == self.username,
            ReaderStudyMember.object_id.in_([s.id for s in studies]),
        )
        for study_id, role in self.db.execute(query):
            roles.setdefault(study_id, set()).add(role)
        return [study_json(s, roles.get(s.id, set())) for s in studies]

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
        return {role.value: usernames(self.db, study, role) for role in ReaderStudyRole}

    def add_question(self, study, text, kind, help_text="", options=None, required=True):
        """A new question at the end of ``study``'s questions."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidValue("'text' must be a non-empty string.")
        if not isinstance(help_text, str):
            raise InvalidValue("'help_text' must be a string.")
        if not isinstance(required, bool):
            raise InvalidValue("'required' must be true or false.")
        try:
            kind = SocketKind(kind)
        except (TypeError, ValueError):
            raise InvalidValue(f"{kind!r} is not a question kind; choose from {', '.join(QUESTION_KINDS)}") from None
        question = Question(text=text, kind=kind, help_text=help_text, options=options or {}, required=required)
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
        """The user's answer to a question of ``study`` about one of its cases."""
        question = self.db.get(Question, an_id(body, "question"))
        if question is None or question.reader_study_id != study.id:
            raise NotFound(f"No question {body['question']} in reader study {study.slug!r}.")
        case = self.db.get(ReaderStudyCase, an_id(body, "case"))
        if case is None or case.reader_study_id != study.id:
            raise NotFound(f"No case {body['case']} in reader study {study.slug!r}.")
        answer = make_answer(self.db, question, case, body["value"], reader=self.username)
        self.db.flush()
        return answer


class ReaderStudyAPIHandler(ReaderStudyAccess, APIHandler):
    """An API handler about reader studies."""


class ReaderStudiesHandler(ReaderStudyAPIHandler):
    """GET: the reader studies I hold a role on (all of them for admins). POST {slug, title,
    description}: a new reader study, whose creator is its editor (researchers)."""

    @web.authenticated
    def get(self):
        query = select(ReaderStudy).order_by(ReaderStudy.slug)
        if not self.user.get("admin"):
            mine = select(ReaderStudyMember.object_id).filter_by(username=self.username)
            query = query.where(ReaderStudy.id.in_(mine))
        self.write_json(self.page(query, serialize_rows=self.studies_json))

    @web.authenticated
    def post(self):
        self.require_scope(CREATE_READER_STUDIES, "create reader studies")
        body = self.json_body(required=("slug", "title"), optional=("description",))
        study = save(self.db, ReaderStudy(**body, created_by=self.username))
        grant(self.db, study, self.username, ReaderStudyRole.EDITOR)
        self.commit()
        self.write_json(study_json(study, EDIT), status=201)


class ReaderStudyHandler(ReaderStudyAPIHandler):
    """GET: one reader study (editors and readers)."""

    @web.authenticated
    def get(self, slug):
        study, roles = self.reader_study(slug)
        self.write_json(study_json(study, roles))


class ReaderStudyMembersHandler(ReaderStudyAPIHandler):
    """GET: who holds which role (editors). POST {username, role}: grant a role (editors)."""

    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug, EDIT, "see this reader study's members")
        self.write_json(self.study_members(study))

    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "manage this reader study's members")
        body = self.json_body(required=("username", "role"))
        grant(self.db, study, body["username"], body["role"])
        self.commit()
        self.write_json(self.study_members(study), status=201)


class QuestionsHandler(ReaderStudyAPIHandler):
    """GET: the questions in order. POST {text, kind, help_text, options, required}: a question
    after the others (editors); options hold the choices, or a number's minimum and maximum."""

    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug)
        query = select(Question).filter_by(reader_study_id=study.id).order_by(Question.position)
        self.write_json(self.page(query, question_json))

    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "add questions to this reader study")
        body = self.json_body(required=("text", "kind"), optional=("help_text", "options", "required"))
        question = self.add_question(study, **body)
        self.commit()
        self.write_json(question_json(question), status=201)


class CasesHandler(ReaderStudyAPIHandler):
    """GET: the study's cases. POST {archive}: a case for each item of an archive you may read
    (editors)."""

    @web.authenticated
    def get(self, slug):
        study, _ = self.reader_study(slug)
        query = select(ReaderStudyCase).filter_by(reader_study_id=study.id).order_by(ReaderStudyCase.id)
        self.write_json(self.page(query, case_json))

    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "add cases to this reader study")
        body = self.json_body(required=("archive",))
        cases = self.add_archive_cases(study, body["archive"])
        self.commit()
        self.write_json({"added": len(cases), "cases": [case_json(c) for c in cases]}, status=201)


class AnswersHandler(ReaderStudyAPIHandler):
    """GET: the answers (editors: everyone's; readers: their own). POST {question, case, value}:
    answer a question about a case, once (readers)."""

    @web.authenticated
    def get(self, slug):
        study, roles = self.reader_study(slug)
        query = select(Answer).join(Question).where(Question.reader_study_id == study.id).order_by(Answer.id)
        if not self.sees_all_answers(roles):
            query = query.where(Answer.reader == self.username)
        self.write_json(self.page(query, answer_json))

    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, ANSWER, "answer questions in this reader study")
        answer = self.answer(study, self.json_body(required=("question", "case", "value")))
        self.commit()
        self.write_json(answer_json(answer), status=201)


def routes(prefix):
    api = prefix + "api/v1/reader-studies"
    slug = r"(?P<slug>[a-z0-9-]+)"
    return [
        (api, ReaderStudiesHandler),
        (api + f"/{slug}", ReaderStudyHandler),
        (api + f"/{slug}/members", ReaderStudyMembersHandler),
        (api + f"/{slug}/questions", QuestionsHandler),
        (api + f"/{slug}/cases", CasesHandler),
        (api + f"/{slug}/answers", AnswersHandler),
    ]
