"""A case of a reader study on a page of its own, for the study's editors: its images as
thumbnails, its other values as text, and where to open it in the workstation's reading app."""

from tornado import web

from ..core.errors import NotFound
from ..core.orm import ReaderStudyCase
from .archive_pages import READING_APP, case_values
from .pages import PageHandler
from .reader_studies import EDIT, ReaderStudyAccess


class ReaderStudyCasePage(ReaderStudyAccess, PageHandler):
    """One case of a reader study, numbered as readers see it (its position in the study)."""

    @web.authenticated
    def get(self, slug, case_id):
        study, _ = self.reader_study(slug, EDIT, "see this reader study's cases on their own pages")
        positions = {case.id: number for number, case in enumerate(study.cases, start=1)}
        case = self.db.get(ReaderStudyCase, int(case_id))
        if case is None or case.id not in positions:
            raise NotFound(f"Reader study {slug!r} has no case {case_id}: its cases are listed on its page.")
        self.render_page(
            "reader_study_case.html",
            study={"slug": study.slug, "title": study.title, "case_count": len(positions)},
            case={"id": case.id, "position": positions[case.id], "values": case_values(case)},
            reading_app=READING_APP,
        )


def routes(prefix):
    return [(prefix + r"reader-studies/(?P<slug>[a-z0-9-]+)/cases/(?P<case_id>[0-9]+)", ReaderStudyCasePage)]
