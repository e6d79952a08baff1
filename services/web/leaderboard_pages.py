"""The leaderboard pages: every challenge's leaderboards I may see, a phase's leaderboard
(sortable by any column in the browser, each entry linking to its details in the challenges
service) and a challenge's leaderboard over several phases. What they show is the API's
(``LeaderboardAccess``), so the pages and the API never disagree."""

from sqlalchemy import select
from tornado import web

from ..core.orm import Challenge
from ..ranking import DISPLAYS, METHODS
from .leaderboard import RESPONSES_KEPT, LeaderboardAccess
from .pages import PageHandler, page_routes, shown
from .versioned_cache import VersionedCache


class LeaderboardPage(LeaderboardAccess, PageHandler):
    """A page that shows leaderboards."""

    def write_page(self, phases, admin, template, board, title, **values):
        """The page of ``board()``: its main part rendered with ``template`` once for every viewer
        who sees the same (``admin`` or not) while ``phases``' results are the same, put into the
        page of each viewer (it names them, with the count of their unread notifications on the
        bell at its top), which is kept for them while both are the same. ``title(board)`` is the
        page's title."""
        parts = self.platform.setdefault("leaderboard_parts", VersionedCache(RESPONSES_KEPT))
        key = (self.request.uri, admin, tuple(phase.id for phase in phases))
        unread = self.unread_notifications()

        def part():
            document = board()
            return title(document), self.render_string(template, error=None, form={}, board=document, **values)

        def make():
            page_title, main = parts.get(key, tuple(phase.results_version for phase in phases), part)
            return self.render_string(
                "kept_page.html", title=page_title, main=main, error=None, unread_notifications=lambda: unread
            )

        self.write_leaderboard(phases, (admin, self.username), make, "text/html; charset=UTF-8", shows=(unread,))


class LeaderboardsPage(LeaderboardAccess, PageHandler):
    """Each challenge with the leaderboards of the phases I may see."""

    landing = True

    @web.authenticated
    def get(self):
        challenges = []
        for challenge in self.db.scalars(select(Challenge).order_by(Challenge.id)):
            phases = list(self.db.scalars(self.visible_phases(challenge)))
            challenges.append(
                {
                    "slug": challenge.slug,
                    "title": challenge.title,
                    "phases": [{"slug": p.slug, "title": p.title, "visibility": p.visibility} for p in phases],
                }
            )
        self.render_page("leaderboards.html", challenges=challenges)


class PhaseLeaderboardPage(LeaderboardPage):
    """A phase's leaderboard, a page of entries at a time; admins may re-rank it here."""

    @web.authenticated
    def get(self, slug, phase):
        seen = self.seen_phase(slug, phase)
        self.write_page(
            [seen],
            seen.admin,
            "leaderboard.html",
            lambda: shown(self.phase_leaderboard(*self.seen_objects(seen), seen.admin)),
            lambda board: f"{board['title']} leaderboard",
            displays=DISPLAYS,
            methods=METHODS,
            query=self.request.query,
        )


class CombinedLeaderboardPage(LeaderboardPage):
    """A challenge's leaderboard over ?phases=a,b (default: every phase I may see)."""

    @web.authenticated
    def get(self, slug):
        challenge = self.challenge(slug)
        phases, admin = self.combined_phases(challenge), self.is_admin(challenge)
        self.write_page(
            phases,
            admin,
            "leaderboard_combined.html",
            lambda: shown(self.combined_leaderboard(challenge, phases, admin)),
            lambda board: f"{board['challenge']} leaderboard",
        )


def routes(prefix):
    challenge = prefix + r"leaderboards/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return page_routes(
        prefix,
        [
            (prefix, LeaderboardsPage),
            (challenge, CombinedLeaderboardPage),
            (challenge + r"/(?P<phase>[a-z0-9][a-z0-9-]*)", PhaseLeaderboardPage),
        ],
    )
