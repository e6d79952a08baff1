"""One answer field per question: the widget a reader answers with, for each kind of question.

A field holds the answer as the API takes it (None while unanswered); ``on_change`` is called
with it whenever the reader changes it, so that answers are saved as the reader goes.
Annotation fields take their value from clicks in the viewer (``click``) while they are the
field that listens (``listening``).
"""

from abc import ABC, abstractmethod
from html import escape

import ipywidgets as w

from .annotations import ANNOTATION_KINDS, ClickCollector, describe, hint

NUMBER_KINDS = ("integer", "float")
TEXT_KINDS = (*NUMBER_KINDS, "string")


def parse_number(kind, text):
    """The number typed in ``text`` (None when empty); ValueError with a reader's message."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return int(text) if kind == "integer" else float(text)
    except ValueError:
        whole = "a whole number" if kind == "integer" else "a number"
        raise ValueError(f"{text!r} is not {whole}.") from None


def number_hint(kind, options):
    low, high = options.get("minimum"), options.get("maximum")
    what = "a whole number" if kind == "integer" else "a number"
    if low is not None and high is not None:
        return f"{what} from {low:g} to {high:g}"
    if low is not None:
        return f"{what}, at least {low:g}"
    if high is not None:
        return f"{what}, at most {high:g}"
    return what


class AnswerField(ABC):
    """The question's text, its input and a status line (saved, or what was wrong)."""

    def __init__(self, question, on_change):
        self.question = question
        self.kind = question["kind"]
        self.on_change = on_change
        self._value = None
        self._quiet = False
        self.input = self.make_input()
        required = "" if question["required"] else " <small>(optional)</small>"
        title = w.HTML(f"<b>{escape(question['text'])}</b>{required}")
        help_text = w.HTML(f"<small>{escape(question['help_text'])}</small>") if question["help_text"] else None
        self.status = w.HTML()
        self.widget = w.VBox(
            [title, *([help_text] if help_text else []), self.input, self.status],
            layout=w.Layout(border="1px solid #ddd", padding="4px 8px", margin="0 0 6px 0"),
        )
        self.widget.add_class("gc-question")
        self.widget.add_class(f"gc-question-{self.kind}")

    @abstractmethod
    def make_input(self):
        """The widget the reader answers with."""

    def show(self, value):
        """Put a saved answer in the input without saving it again."""
        self._quiet = True
        try:
            self._value = value
            self.display(value)
        finally:
            self._quiet = False

    @abstractmethod
    def display(self, value):
        """Show ``value`` (an answer, or None) in the input."""

    def changed(self, value):
        """The reader gave ``value``: keep it and have it saved."""
        if self._quiet:
            return
        self._value = value
        self.on_change(self, value)

    def set_status(self, text, error=False):
        colour = "#b00020" if error else "#2e7d32"
        self.status.value = f"<small style='color:{colour}'>{escape(text)}</small>" if text else ""

    def lock(self, locked=True):
        self.input.disabled = locked


class ChoiceField(AnswerField):
    """Yes/no and single choice: one button of a row (a choice answer is its option's id)."""

    def make_input(self):
        options = [("Yes", True), ("No", False)] if self.kind == "bool" else choice_options(self.question)
        buttons = w.ToggleButtons(options=options, value=None)
        buttons.observe(lambda change: self.changed(change["new"]), "value")
        return buttons

    def display(self, value):
        self.input.value = value


class MultipleChoiceField(AnswerField):
    """Multiple choice: a checkbox per choice (the answer lists the ticked options' ids)."""

    def make_input(self):
        self.boxes = {
            choice_id: w.Checkbox(description=title, value=False, indent=False)
            for title, choice_id in choice_options(self.question)
        }
        for box in self.boxes.values():
            box.observe(lambda change: self.changed([i for i, b in self.boxes.items() if b.value]), "value")
        return w.VBox(list(self.boxes.values()))

    def display(self, value):
        for choice_id, box in self.boxes.items():
            box.value = choice_id in (value or ())

    def lock(self, locked=True):
        for box in self.boxes.values():
            box.disabled = locked


def choice_options(question):
    """A choice question's options as (title, id) pairs, in their order."""
    return [(choice["title"], choice["id"]) for choice in question["choices"]]


class TextField(AnswerField):
    """Numbers and free text, saved when the reader presses Enter or leaves the field."""

    def make_input(self):
        if self.kind in NUMBER_KINDS:
            box = w.Text(placeholder=number_hint(self.kind, self.question["options"]), continuous_update=False)
        else:
            box = w.Textarea(placeholder="Your answer", continuous_update=False, layout=w.Layout(width="95%"))
        box.observe(lambda change: self.typed(change["new"]), "value")
        return box

    def typed(self, text):
        if self._quiet:
            return
        if self.kind not in NUMBER_KINDS:
            return self.changed(text if text.strip() else None)
        try:
            number = parse_number(self.kind, text)
        except ValueError as error:
            return self.set_status(f"{error} Type {number_hint(self.kind, self.question['options'])}.", error=True)
        self.changed(number)

    def display(self, value):
        self.input.value = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


class AnnotationField(AnswerField):
    """Points, boxes, distances, lines, polygons, angles and ellipses: clicks on a slice of the
    viewer while this field listens (*Finish* ends a line or polygon)."""

    def make_input(self):
        self.collector = ClickCollector(self.kind)
        self.listen_button = w.ToggleButton(value=False, description="Pick in viewer", icon="crosshairs")
        self.listen_button.add_class("gc-pick")
        self.finish_button = w.Button(description="Finish", icon="check")
        self.finish_button.add_class("gc-finish")
        self.finish_button.on_click(lambda _: self.finish())
        self.finish_button.layout.display = None if self.collector.tool.is_path else "none"
        self.clear_button = w.Button(description="Clear", icon="times")
        self.clear_button.on_click(lambda _: self.clear())
        self.shown = w.HTML()
        self.shown.add_class("gc-annotation")
        self.hint = w.HTML()
        self.show_hint()
        buttons = w.HBox([self.listen_button, self.finish_button, self.clear_button])
        return w.VBox([buttons, self.shown, self.hint])

    @property
    def value(self):
        return self._value

    @property
    def pending(self):
        """The clicks of a shape not finished yet."""
        return self.collector.pending

    @property
    def listening(self):
        return self.listen_button.value

    def listen(self, on=True):
        self.listen_button.value = on

    def show_hint(self, text=None):
        self.hint.value = f"<small>{escape(text or hint(self.kind, len(self.pending)))}</small>"

    def click(self, position):
        self.take(self.collector.click(self._value, position))

    def finish(self):
        try:
            answer = self.collector.finish(self._value)
        except ValueError as problem:
            return self.show_hint(str(problem))
        self.take(answer)

    def take(self, answer):
        """Show and save ``answer`` once a shape is complete (None: it waits for more clicks)."""
        self.show_hint()
        if answer is not None:
            self.display(answer)
            self.changed(answer)

    def clear(self):
        self.collector.cancel()
        self.show_hint()
        self.display(None)
        self.changed(None)

    def show(self, value):
        self.collector.cancel()  # clicks of another case's shape
        self.show_hint()
        super().show(value)

    def display(self, value):
        self.shown.value = f"<code>{escape(describe(self.question, value))}</code>"

    def lock(self, locked=True):
        self.listen_button.disabled = self.clear_button.disabled = self.finish_button.disabled = locked
        if locked:
            self.listen(False)


class HeadingField:
    """A heading between questions: words only, nothing to answer."""

    def __init__(self, question):
        self.question = question
        self.widget = w.HTML(f"<h4 style='margin:10px 0 4px 0'>{escape(question['text'])}</h4>")


class NotHereField(AnswerField):
    """A kind of question this app does not know (a newer platform's): said plainly, never
    answered with something else."""

    def make_input(self):
        return w.HTML(
            f"<small>This question asks for a kind of answer ({escape(self.question['answer_type'])}) that this "
            "version of the reading app cannot give; leave it for now.</small>"
        )

    def display(self, value):
        self.set_status("" if value is None else f"Saved earlier: {describe(self.question, value)}")

    def lock(self, locked=True):
        pass


def answer_field(question, on_change):
    """The field for ``question`` (a question as the API gives it, not a heading)."""
    kind = question["kind"]
    if kind in ("bool", "choice"):
        return ChoiceField(question, on_change)
    if kind == "multiple-choice":
        return MultipleChoiceField(question, on_change)
    if kind in ANNOTATION_KINDS:
        return AnnotationField(question, on_change)
    if kind in TEXT_KINDS:
        return TextField(question, on_change)
    return NotHereField(question, on_change)
