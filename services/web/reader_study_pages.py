"""The reader-study pages: list and create reader studies; manage one (cases from an archive,
ordered questions, readers and editors, ground truth, educational mode) and see the answers per
reader and case with the readers' leaderboard; readers see their own answers and progress.
Finding studies, checking roles and making changes is ``ReaderStudyAccess``'s, shared with the
API (reader_studies.py); the pages read form fields through the API's request models."""

from sqlalchemy import select
from tornado import web

from ..api import reader_studies as shapes
from ..core.answer_types import TITLES, AnswerKind
from ..core.errors import GcError
from ..core.orm import POINT_KINDS, Answer, Question, remove, viewing_choices
from .pages import PageHandler, shown
from .reader_studies import CREATE_READER_STUDIES, EDIT, ReaderStudyAccess

# What the question form calls each kind, and which settings each kind takes.
KIND_LABELS = TITLES
CHOICE_KINDS = {AnswerKind.CHOICE, AnswerKind.MULTIPLE_CHOICE}
NUMBER_KINDS = {AnswerKind.INTEGER: int, AnswerKind.FLOAT: float}
QUESTION_FORM = ("text", "kind", "help_text", "choices", "minimum", "maximum", "tolerance", "required")
MAX_CASES_SHOWN = 100
# The reading settings the page switches on and off, in words.
READING_SWITCHES = (
    ("allow_case_navigation", "Readers may go back and forth between cases"),
    ("allow_answer_modification", "Readers may change the answers of a case they have finished"),
    ("shuffle_case_order", "Each reader gets the cases in their own order"),
    ("instant_verification", "Readers see the ground truth as they finish each case (educational mode)"),
    ("leaderboard_accessible_to_readers", "Readers may see the leaderboard"),
)


def question_options(form):
    """The ``options`` of the question form's fields: choices (one per line) for choice kinds,
    the bounds for numbers, the tolerance for points; fields that do not apply to the kind are
    ignored."""
    kind = form["kind"]
    if kind in CHOICE_KINDS:
        choices = [line.strip() for line in form["choices"].splitlines() if line.strip()]
        return {"choices": choices} if choices else {}
    options = {}
    if kind in POINT_KINDS and form["tolerance"]:
        try:
            options["tolerance"] = float(form["tolerance"])
        except ValueError:
            raise GcError(
                f"The tolerance of a point question must be a distance in mm, not {form['tolerance']!r}."
            ) from None
    if kind in NUMBER_KINDS:
        for bound in ("minimum", "maximum"):
            if form[bound]:
                try:
                    options[bound] = NUMBER_KINDS[kind](form[bound])
                except ValueError:
                    raise GcError(
                        f"The {bound} of a {KIND_LABELS[AnswerKind(kind)]} question must be one, not {form[bound]!r}."
                    ) from None
    return options


def readable(value):
    """An answer as people write it: yes / no, numbers plainly, choices joined, a point as
    (x, y, z), a box by two opposite corners, no answer as —."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return format(value, ".6g")
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    if isinstance(value, dict) and "point" in value:
        return "(" + readable(value["point"]) + ")"
    if isinstance(value, dict) and "points" in value:
        return "; ".join(readable(p) for p in value["points"])
    if isinstance(value, dict) and "corners" in value:
        xs, ys = [c[0] for c in value["corners"]], [c[1] for c in value["corners"]]
        return f"({readable(min(xs))}, {readable(min(ys))}) to ({readable(max(xs))}, {readable(max(ys))})"
    return str(value)


def with_titles(titles, value):
    """A choice answer with its options' titles for their ids (``titles``: id → title, or None)."""
    if not titles or value is None:
        return value
    return [titles.get(v, v) for v in value] if isinstance(value, list) else titles.get(value, value)


def answer_grids(answers):
    """``{name: {(case_id, question_id): value}}`` of ``(name, case_id, question_id, value)`` rows."""
    grids = {}
    for name, case_id, question_id, value in answers:
        grids.setdefault(name, {})[case_id, question_id] = value
    return grids


class ReaderStudiesPage(ReaderStudyAccess, PageHandler):
    """The reader studies I hold a role on, and a form to create one (researchers)."""

    landing = True

    def show(self, status=200, error=None, form=None):
        studies = [shown(study) for study in self.study_shapes(list(self.db.scalars(self.visible_studies())))]
        self.render_page(
            "reader_studies.html",
            status,
            error,
            form,
            studies=studies,
            may_create=self.has_scope(CREATE_READER_STUDIES),
        )

    @web.authenticated
    def get(self):
        self.show()

    @web.authenticated
    def post(self):
        form = self.form("slug", "title", "description")
        study = self.submit(
            lambda: self.create_study(shapes.ReaderStudyCreate.read(form)),
            lambda e: self.show(e.status, e.message, form),
        )
        if study:
            self.redirect(f"reader-studies/{study.slug}")


class ReaderStudyPage(ReaderStudyAccess, PageHandler):
    """One reader study: its questions and cases, and the answers (editors: everyone's, with the
    readers' leaderboard; readers: their own, with their progress); for editors also forms to add
    questions, cases, members and the ground truth, and to turn educational mode on or off."""

    def show(self, slug, status=200, error=None, form=None):
        study, roles = self.reader_study(slug)
        editor = self.sees_all_answers(roles)
        questions = [shown(shapes.Question.of(q)) for q in study.questions]
        cases = [shown(shapes.Case.of(c)) for c in study.cases[:MAX_CASES_SHOWN]]
        query = select(Answer.reader, Answer.case_id, Answer.question_id, Answer.value).join(Question)
        query = query.where(Question.reader_study_id == study.id)
        if not editor:
            query = query.where(Answer.reader == self.username)
        titles = {q.id: {choice.id: choice.title for choice in q.choices} for q in study.questions if q.choices}
        rows = self.db.execute(query.order_by(Answer.reader))
        answers = answer_grids((r, c, q, with_titles(titles.get(q), value)) for r, c, q, value in rows)
        truth = leaderboard = members = progress = None
        if editor:
            given = self.db.scalars(self.ground_truth_query(study))
            truth = {(t.case_id, t.question_id): with_titles(titles.get(t.question_id), t.value) for t in given}
            leaderboard = shown(self.leaderboard(study, roles))
            members = shown(self.study_members(study))
        else:
            progress = shown(self.progress(study))
        self.render_page(
            "reader_study.html",
            status,
            error,
            {"required": "on", **(form or {})},
            study=dict(shown(self.study_shapes([study])[0]), case_count=len(study.cases)),
            editor=editor,
            questions=questions,
            cases=cases,
            answers=answers,
            truth=truth,
            leaderboard=leaderboard,
            members=members,
            progress=progress,
            readable=readable,
            archives=[a.slug for a in self.db.scalars(self.visible_archives())] if editor else [],
            kinds=KIND_LABELS,
            reading_switches=READING_SWITCHES,
            viewing=viewing_choices(self.db) if editor else None,
        )

    @web.authenticated
    def get(self, slug):
        self.show(slug)

    @web.authenticated
    def post(self, slug):
        study, _ = self.reader_study(slug, EDIT, "manage this reader study")
        action = self.get_body_argument("action", "")
        form = self.form(*QUESTION_FORM) if action == "question" else {}
        member = self.form("username", "role")
        actions = {
            "question": lambda: self._add_question(study, form),
            "cases": lambda: self.add_archive_cases(study, self.get_body_argument("archive", "")),
            "member": lambda: self.add_member(study, shapes.ReaderStudyMemberGrant.read(member)),
            "remove-member": lambda: self.remove_member(study, member["username"], member["role"]),
            "move": lambda: self.move_question(study, self._question(study), self._position()),
            "delete-question": lambda: self.delete_question(study, self._question(study)),
            "ground-truth": lambda: self._upload_ground_truth(study),
            "educational": lambda: self.change_study(
                study, shapes.ReaderStudyChange.read({"educational": self.get_body_argument("educational", "") == "on"})
            ),
            "reading": lambda: self.change_study(study, shapes.ReaderStudyChange.read(self._reading_form())),
            "delete": lambda: remove(self.db, study),
        }
        if action not in actions:
            raise GcError(f"Unknown action {action!r}.")

        def act():
            actions[action]()
            self.commit()
            return True

        if self.submit(act, lambda e: self.show(slug, e.status, e.message, form)):
            self.redirect("../reader-studies" if action == "delete" else self.request.path)

    def _reading_form(self):
        """The reading-settings form as a ReaderStudyChange's fields (an unticked box is off)."""
        fields = {name: self.get_body_argument(name, "") == "on" for name, _ in READING_SWITCHES}
        roll_over = self.get_body_argument("roll_over_answers_for_n_cases", "0").strip() or "0"
        if not roll_over.isdigit():
            raise GcError(f"The number of cases answers carry over to must be a whole number, not {roll_over!r}.")
        fields["roll_over_answers_for_n_cases"] = int(roll_over)
        for name in ("end_of_study_text", "viewer_configuration", "hanging_protocol"):
            fields[name] = self.get_body_argument(name, "")
        return fields

    def _question(self, study):
        return self.question(study, self.get_body_argument("question", ""))

    def _position(self):
        """The form's ``position``, or -1 (which ``move_question`` refuses with a message)."""
        position = self.get_body_argument("position", "")
        return int(position) if position.isdigit() else -1

    def _add_question(self, study, form):
        fields = {
            "text": form["text"],
            "kind": form["kind"],
            "help_text": form["help_text"],
            "options": question_options(form),
            "required": form["required"] == "on",
        }
        return self.add_question(study, shapes.QuestionCreate.read(fields))

    def _upload_ground_truth(self, study):
        files = self.request.files.get("ground_truth")
        if not files:
            raise GcError("Choose a CSV or JSON file of ground truth to upload.")
        upload = files[0]
        is_csv = upload.filename.lower().endswith(".csv") or upload.content_type.startswith("text/csv")
        return self.replace_ground_truth(study, upload.body, is_csv)


def routes(prefix):
    studies = prefix + "reader-studies"
    return [
        (studies, ReaderStudiesPage),
        (studies + r"/(?P<slug>[a-z0-9-]+)", ReaderStudyPage),
    ]
