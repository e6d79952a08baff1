"""Reading a reader study case by case: the case in the viewer beside its questions, answers saved
as the reader goes, progress, and (in educational mode) the ground truth once a case is answered.
The study's settings are followed: case navigation, answer modification, the reader's own case
order, answers rolled over, instant verification, readers' leaderboard and end text."""

from html import escape

import ipywidgets as w

from ..errors import GcError
from .annotations import ANNOTATION_KINDS, describe, handles, outlines
from .fields import AnnotationField, AnswerField, HeadingField, answer_field
from .progress_bar import progress_bar
from .reading_order import (
    final_questions,
    in_my_order,
    is_done,
    may_go_on,
    rolled_over,
    starting_case,
    why_locked,
)
from .viewer import CaseViewer, Marks

# How answers are drawn on the slices: the reader's, the clicks of a shape not finished yet, and
# (in educational mode) the ground truth.
ANSWERS, CLICKS, TRUTH = (1.0, 0.8, 0.0), (1.0, 0.4, 0.0), (0.2, 0.85, 0.3)


def editors_text(text):
    """An editor's text (a case's, the end of the study's) as HTML: escaped, its lines kept."""
    return f"<p style='white-space:pre-wrap'>{escape(text)}</p>" if text else ""


class StudyReader:
    """One reader study, as its reader sees it; ``on_close`` goes back to the list of studies."""

    def __init__(self, client, slug, socket_kinds, on_close):
        self.client, self.slug, self.socket_kinds = client, slug, socket_kinds
        self.study = client.reader_study(slug)
        self.questions = self.study["questions"]
        self.cases = in_my_order(self.study["cases"], client.reading_progress(slug)["case_ids"])
        self.navigation = self.study["allow_case_navigation"]
        self.answers = client.my_answers(slug)
        self.revealed = set()
        self.truth_marks = None  # the ground truth of the case shown, once revealed
        self.viewer = CaseViewer(client, on_click=self.clicked)
        self.viewer.use(*client.viewing(self.study), self.study.get("view_content"))
        rows = [HeadingField(q) if q["kind"] == "heading" else answer_field(q, self.save) for q in self.questions]
        self.fields = [row for row in rows if isinstance(row, AnswerField)]
        for field in self.fields:
            if isinstance(field, AnnotationField):
                field.listen_button.observe(lambda change, f=field: change["new"] and self.only_listener(f), "value")

        back = w.Button(description="All studies", icon="arrow-left")
        back.on_click(lambda _: on_close())
        self.previous = w.Button(description="Previous case", icon="chevron-left")
        self.previous.on_click(lambda _: self.open(self.index - 1))
        self.next = w.Button(description="Next case", icon="chevron-right")
        self.next.add_class("gc-next-case")
        self.next.on_click(lambda _: self.open(self.index + 1))
        self.bar = w.HTML()
        self.bar.add_class("gc-progress-bar")
        self.progress = w.HTML()
        self.progress.add_class("gc-progress")
        self.message = w.HTML()
        self.reveal = w.Button(
            description="Show the ground truth", icon="eye", disabled=True, layout=w.Layout(width="auto")
        )
        self.reveal.on_click(lambda _: self.show_ground_truth())
        self.truth = w.HTML()
        self.about, self.locked, self.end = w.HTML(), w.HTML(), w.HTML()
        self.about.add_class("gc-case-text")
        self.locked.add_class("gc-locked")
        self.end.add_class("gc-end-of-study")
        ranks = w.Button(description="Leaderboard", icon="trophy")
        ranks.on_click(lambda _: self.show_leaderboard())
        ranks.layout.display = None if self.readers_see_ranks() else "none"
        self.ranking = w.HTML()
        mode = " <small>(educational: the ground truth is shown once you have answered a case)</small>"
        title = w.HTML(
            f"<h3 style='margin:4px 0'>{escape(self.study['title'])}</h3>"
            + (mode if self.study.get("educational") else "")
        )
        educational = [self.reveal, self.truth] if self.study.get("educational") else []
        questions = w.VBox(
            [
                self.end,
                self.about,
                *(row.widget for row in rows),
                self.locked,
                *educational,
                self.message,
                ranks,
                self.ranking,
            ],
            layout=w.Layout(width="34%", padding="0 0 0 8px"),
        )
        questions.add_class("gc-questions")
        self.viewer.widget.layout.width = "66%"
        self.widget = w.VBox(
            [
                w.HBox([back, title]),
                w.HBox([*([self.previous] if self.navigation else []), self.next, self.bar, self.progress]),
                w.HBox([self.viewer.widget, questions]),
            ]
        )
        self.widget.add_class("gc-study")
        self.index = 0
        if self.cases:
            self.open(starting_case(self.cases, self.questions, self.answers, self.navigation))
        else:
            self.message.value = "<p>This reader study has no cases yet: ask its editors to add some.</p>"

    @property
    def case(self):
        return self.cases[self.index]

    @property
    def case_title(self):
        return self.case["title"] or f"Case {self.case['id']}"

    def readers_see_ranks(self):
        """Whether the leaderboard is for me: for a reader, when the study lets readers see it."""
        return self.study["leaderboard_accessible_to_readers"] or self.study["my_roles"] != ["reader"]

    def open(self, index):
        """Show case number ``index`` with my saved answers to it."""
        self.index = max(0, min(index, len(self.cases) - 1))
        self.message.value = self.truth.value = ""
        self.truth_marks = None
        self.about.value = editors_text(self.case["text"])
        for field in self.fields:
            field.show(self.answers.get((field.question["id"], self.case["id"])))
            field.set_status("")
        self.roll_over()
        final = self.lock_if_final()
        listeners = [f for f in self.fields if isinstance(f, AnnotationField) and f.question["id"] not in final]
        if listeners:
            listeners[0].listen()
        self.update_progress()
        try:
            self.viewer.show(self.case["values"], self.socket_kinds, self.case_title, marks=self.marks())
        except (GcError, RuntimeError, OSError) as error:
            self.message.value = f"<p style='color:#b00020'>This case could not be shown: {escape(str(error))}</p>"

    def update_progress(self):
        done = sum(is_done(c, self.questions, self.answers) for c in self.cases)
        self.bar.value = progress_bar(done, len(self.cases))
        self.progress.value = (
            f"Case {self.index + 1} of {len(self.cases)}: <b class='gc-case-title'>{escape(self.case_title)}</b> · "
            f"<span class='gc-done'>{done}</span> of {len(self.cases)} cases answered"
        )
        self.previous.disabled = self.index == 0
        self.next.disabled = not may_go_on(self.index, self.cases, self.questions, self.answers, self.navigation)
        self.reveal.disabled = not is_done(self.case, self.questions, self.answers) or self.case["id"] in self.revealed
        if done == len(self.cases) and not self.end.value:
            self.show_end()

    def show_end(self):
        """The study's end text, once every case is answered (the editor's words, shown as text)."""
        try:
            text = self.client.reading_progress(self.slug)["end_of_study_text"]
        except GcError as error:
            text = error.message
        self.end.value = (
            "<div style='border:1px solid #a5d6a7;padding:4px 8px'><b>You have answered every case.</b>"
            f"{editors_text(text)}</div>"
        )

    def roll_over(self):
        """Start the case with my answers of the case before it, when the study rolls them over
        (optional questions first: answering the last required one finishes the case)."""
        if not self.study["roll_over_answers_for_n_cases"]:
            return
        carried = rolled_over(self.client.reading_progress(self.slug), self.case["id"], self.answers)
        for field in sorted(self.fields, key=lambda f: f.question["required"]):
            value = carried.get(field.question["id"])
            if value is not None:
                field.show(value)
                if self.save(field, value):
                    field.set_status("Carried over from the previous case")

    def lock_if_final(self):
        """Lock the answers the reader may no longer change, saying why; the ids of their questions."""
        final = final_questions(self.study, self.case, self.questions, self.answers, self.revealed)
        for field in self.fields:
            field.lock(field.question["id"] in final)
        reason = why_locked(self.study, self.case, self.questions, self.answers, self.revealed) if final else ""
        self.locked.value = f"<p><small>{escape(reason)}</small></p>" if reason else ""
        return final

    def save(self, field, value):
        """Save the reader's answer to ``field``'s question about the case shown; whether it was."""
        key = (field.question["id"], self.case["id"])
        try:
            self.client.save_answer(self.slug, *key, value)
        except GcError as error:
            field.set_status(f"Not saved: {error.message}", error=True)
            return False
        self.answers[key] = value
        field.set_status("Saved" if value is not None else "Cleared")
        if isinstance(field, AnnotationField):
            self.viewer.draw(self.marks())
        self.update_progress()
        if is_done(self.case, self.questions, self.answers):
            if self.study["instant_verification"] and self.case["id"] not in self.revealed:
                self.show_ground_truth()
            self.lock_if_final()
        return True

    def only_listener(self, listening):
        for field in self.fields:
            if isinstance(field, AnnotationField) and field is not listening:
                field.listen(False)

    def clicked(self, position):
        listening = [f for f in self.fields if isinstance(f, AnnotationField) and f.listening]
        if listening:
            listening[0].click(position)
            self.viewer.draw(self.marks())
        elif any(isinstance(f, AnnotationField) for f in self.fields):
            self.message.value = (
                "<p><small>Press <b>Pick in viewer</b> on a question to answer it with a click.</small></p>"
            )

    def show_ground_truth(self):
        case = self.case["id"]
        try:
            truth = self.client.reveal_ground_truth(self.slug, case)
        except GcError as error:
            self.truth.value = f"<p style='color:#b00020'>{escape(error.message)}</p>"
            return
        self.revealed.add(case)
        self.lock_if_final()
        questions = {q["id"]: q for q in self.questions}
        rows = "".join(
            f"<tr><td>{escape(questions[a['question']]['text'])}</td>"
            f"<td>{escape(describe(questions[a['question']], a['my_answer']))}</td>"
            f"<td>{escape(describe(questions[a['question']], a['value']))}</td>"
            f"<td>{'' if a['score'] is None else format(a['score'], '.2f')}</td>"
            f"<td>{escape(a['explanation'])}</td></tr>"
            for a in truth["answers"]
            if a["question"] in questions
        )
        self.truth.value = (
            f"<table class='gc-truth' style='border-spacing:8px 2px'><tr><th>Question</th><th>You</th>"
            f"<th>Ground truth</th><th>Score</th><th>Why</th></tr>{rows}</table>"
            if rows
            else "<p>This case has no ground truth.</p>"
        )
        drawn = [
            (questions[a["question"]]["kind"], a["value"])
            for a in truth["answers"]
            if questions.get(a["question"], {}).get("kind") in ANNOTATION_KINDS and a["value"]
        ]
        if drawn:  # the right shapes on the image, in the viewer again, opened on the first of them
            paths = [path for kind, value in drawn for path in outlines(kind, value)]
            points = [point for kind, value in drawn for point in handles(kind, value)]
            self.truth_marks = Marks(paths, points, TRUTH)
            title = f"{self.case_title}: ground truth"
            self.viewer.show(self.case["values"], self.socket_kinds, title, points[0], self.marks())
        self.update_progress()

    def marks(self):
        """What to draw on the slices: my answers to the case's annotation questions, the clicks
        of a shape not finished yet, and the ground truth once revealed."""
        drawing = [f for f in self.fields if isinstance(f, AnnotationField)]
        pending = [f.pending for f in drawing if f.pending]
        return [
            Marks(
                [path for f in drawing for path in outlines(f.kind, f.value)],
                [point for f in drawing for point in handles(f.kind, f.value)],
                ANSWERS,
            ),
            Marks([clicks for clicks in pending if len(clicks) > 1], [p for clicks in pending for p in clicks], CLICKS),
            *([self.truth_marks] if self.truth_marks else []),
        ]

    def show_leaderboard(self):
        """The readers ranked by their score against the ground truth."""
        try:
            board = self.client.reader_leaderboard(self.slug)
        except GcError as error:
            self.ranking.value = f"<p style='color:#b00020'>{escape(error.message)}</p>"
            return
        if not board["ground_truth"]:
            self.ranking.value = "<p>No ground truth yet: the leaderboard starts once the editors give it.</p>"
            return
        rows = "".join(
            f"<tr><td>{r['rank']}</td><td>{escape(r['reader'])}</td>"
            f"<td>{'—' if r['score'] is None else format(r['score'], '.2f')}</td></tr>"
            for r in board["readers"]
        )
        self.ranking.value = (
            f"<table class='gc-leaderboard'><tr><th>Rank</th><th>Reader</th><th>Score</th></tr>{rows}</table>"
        )
