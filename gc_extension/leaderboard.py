"""A leaderboard as a pandas DataFrame, and as a chart (``%gc_leaderboard --plot``).

The service's JSON (``leaderboards/<challenge>/<phase>``) is turned into a table in one place,
``to_dataframe``: one row per entry in rank order, the score and each extra column under its
title.
"""

from .errors import GcError


def pandas():
    try:
        import pandas
    except ImportError:
        raise GcError(
            "pandas is not installed in this environment.", "Install it (pip install pandas) and run this again."
        ) from None
    return pandas


def column_titles(board):
    """``{path: title}`` of the scoring columns; the score is the first."""
    titles = {}
    for column in board.columns:
        title = column.get("title") or column["path"]
        titles[column["path"]] = title if title not in titles.values() else column["path"]
    return titles


def to_dataframe(board):
    """The leaderboard ``board`` (results.Leaderboard) as a DataFrame indexed by rank order."""
    titles = column_titles(board)
    rows = []
    for entry in board.entries:
        row = {"rank": entry.get("rank"), "user": entry.get("user"), "submission": entry.get("submission")}
        for path, title in titles.items():
            row[title] = (entry.get("columns") or {}).get(path)
        row["created_at"] = entry.get("created_at")
        row["notes"] = "; ".join(entry.get("notes") or ())
        rows.append(row)
    frame = pandas().DataFrame(rows, columns=["rank", "user", "submission", *titles.values(), "created_at", "notes"])
    if not frame.empty:
        frame["created_at"] = pandas().to_datetime(frame["created_at"], utc=True)
    frame.attrs.update(challenge=board.challenge, phase=board.phase, title=board.title)
    return frame


def empty_text(board):
    """What to say of a leaderboard with no entries, instead of a table with no rows."""
    phase = f"{board.challenge}/{board.phase}"
    return (
        f"The leaderboard of {board.title} ({phase}) has no results yet: none has been evaluated and"
        f" published. Submit with %gc_submit {phase} …, follow it with %gc_status, and look again."
    )


def plot(frame, board):
    """A bar chart of each entry's score, best first; the matplotlib Axes."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise GcError(
            "matplotlib is not installed in this environment.", "Install it (pip install matplotlib) to plot."
        ) from None
    score = next(iter(column_titles(board).values()), None)
    _figure, axes = plt.subplots(figsize=(max(4, 0.6 * len(frame) + 2), 3))
    if frame.empty or score is None:
        axes.text(0.5, 0.5, "no results yet", ha="center", va="center")
        axes.set_axis_off()
        return axes
    labels = [
        f"#{rank} {user} ({submission})"
        for rank, user, submission in zip(frame["rank"], frame["user"], frame["submission"], strict=True)
    ]
    axes.bar(labels, frame[score].astype(float))
    axes.set_ylabel(score)
    axes.set_title(f"{board.challenge} / {board.title}")
    axes.tick_params(axis="x", rotation=30)
    return axes
