"""The workstation's reading app: my reader studies and archives, a case in the viewer, and
running an algorithm on an image of my own. ``ReadingApp().show()`` in a notebook cell."""

import os
from html import escape

import ipywidgets as w
from IPython.display import display

from ..client import Client
from ..errors import GcError
from .run import RunPanel
from .study import StudyReader
from .viewer import CaseViewer


class ReadingApp:
    """Home screen with tabs (reader studies, archives, run an algorithm); a study opens in place."""

    def __init__(self, client=None):
        self.client = client or Client()
        self.user = os.environ.get("JUPYTERHUB_USER", "")
        self.screen = w.VBox()
        self.screen.add_class("gc-reading-app")
        self.socket_kinds = {}
        self.home()

    def show(self):
        display(self.screen)

    def home(self):
        """The tabs; errors of the platform are shown, not raised, so the app stays up."""
        try:
            self.socket_kinds = self.client.socket_kinds()
            tabs = w.Tab([self.studies_tab(), self.archives_tab(), RunPanel(self.client).widget])
        except GcError as error:
            self.screen.children = [w.HTML(f"<p style='color:#b00020'>{escape(str(error))}</p>")]
            return
        for number, title in enumerate(("Reader studies", "Archives", "Run an algorithm")):
            tabs.set_title(number, title)
        header = w.HTML(
            f"<h2 style='margin:4px 0'>gc-hub workstation</h2><small>Signed in as "
            f"<b>{escape(self.user)}</b>. Your answers are saved as you go.</small>"
        )
        self.screen.children = [header, tabs]

    def studies_tab(self):
        studies = self.client.reader_studies()
        if not studies:
            return w.HTML("<p>You take part in no reader study yet: a researcher adds you as a reader.</p>")
        rows = []
        for study in studies:
            button = w.Button(description=f"Open {study['title']}", icon="folder-open", layout=w.Layout(width="auto"))
            button.add_class("gc-open-study")
            button.on_click(lambda _, slug=study["slug"]: self.open_study(slug))
            roles = ", ".join(study["my_roles"]) or "admin"
            about = escape(study["description"] or "")
            rows.append(w.HBox([button, w.HTML(f"<small>{escape(study['slug'])} · you: {roles} · {about}</small>")]))
        return w.VBox(rows)

    def open_study(self, slug):
        loading = w.HTML(f"<p>Opening {escape(slug)}…</p>")
        self.screen.children = [loading]
        try:
            reader = StudyReader(self.client, slug, self.socket_kinds, on_close=self.home)
        except GcError as error:
            loading.value = f"<p style='color:#b00020'>{escape(str(error))}</p>"
            back = w.Button(description="All studies", icon="arrow-left")
            back.on_click(lambda _: self.home())
            self.screen.children = [back, loading]
            return
        self.screen.children = [reader.widget]

    def archives_tab(self):
        archives = self.client.archives()
        if not archives:
            return w.HTML("<p>You may read no archive yet.</p>")
        choose = w.Dropdown(options=[(a["title"], a) for a in archives], description="Archive")
        cases = w.Dropdown(options=[], description="Case")
        viewer = CaseViewer(self.client)
        status = w.HTML()

        def list_cases(change=None):
            try:
                viewer.use(*self.client.viewing(choose.value))
                found = self.client.cases(choose.value["slug"])
            except GcError as error:
                status.value = f"<p style='color:#b00020'>{escape(str(error))}</p>"
                return
            cases.options = [("Choose a case", None), *((f"case {c['id']}", c) for c in found)]
            status.value = "" if found else "<p>This archive has no cases yet.</p>"

        def open_case(change):
            if change["new"]:
                viewer.show(
                    change["new"]["values"], self.socket_kinds, f"{choose.value['slug']}, case {change['new']['id']}"
                )

        choose.observe(list_cases, "value")
        cases.observe(open_case, "value")
        list_cases()
        return w.VBox([w.HBox([choose, cases]), status, viewer.widget])
