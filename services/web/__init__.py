"""The tornado services behind the hub: archives, challenges, leaderboard."""
