"""The leaderboard pages: every challenge's leaderboards I may see, a phase's leaderboard
(sortable by any column in the browser, each entry linking to its details in the challenges
service) and a challenge's leaderboard over several phases. What they show is the API's
(``LeaderboardAccess``), so the pages and the API never disagree."""

from sqlalchemy import select
from tornado import web

from ..core.orm import Challenge
from ..ranking import DISPLAYS, METHODS
from .leaderboard import LeaderboardAccess
from .pages import PageHandler, shown

CHALLENGE_PAGES = "/services/challenges/challenges/"


class LeaderboardsPage(LeaderboardAccess, PageHandler):
    """Each challenge with the leaderboards of the phases I may see."""

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
        self.render_page("leaderboards.html", challenges=challenges, challenge_pages=CHALLENGE_PAGES)


class PhaseLeaderboardPage(LeaderboardAccess, PageHandler):
    """A phase's leaderboard, a page of entries at a time; admins may re-rank it here."""

    @web.authenticated
    def get(self, slug, phase):
        board = self.phase_leaderboard(slug, phase)
        self.render_page(
            "leaderboard.html",
            board=shown(board),
            displays=DISPLAYS,
            methods=METHODS,
            challenge_pages=CHALLENGE_PAGES,
            query=self.request.query,
        )


class CombinedLeaderboardPage(LeaderboardAccess, PageHandler):
    """A challenge's leaderboard over ?phases=a,b (default: every phase I may see)."""

    @web.authenticated
    def get(self, slug):
        self.render_page(
            "leaderboard_combined.html", board=shown(self.combined_leaderboard(slug)), challenge_pages=CHALLENGE_PAGES
        )


def routes(prefix):
    challenge = prefix + r"leaderboards/(?P<slug>[a-z0-9][a-z0-9-]*)"
    return [
        (prefix, LeaderboardsPage),
        (challenge, CombinedLeaderboardPage),
        (challenge + r"/(?P<phase>[a-z0-9][a-z0-9-]*)", PhaseLeaderboardPage),
    ]
