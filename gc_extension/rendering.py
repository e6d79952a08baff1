"""Text that the magics show: challenges and phases, live status of submissions, builds, jobs and
algorithm models.

Pure functions of typed results (``results.py``), so that what a person reads is unit-tested.
"""

from collections import Counter
from datetime import UTC, datetime

LOG_LINES = 15


def when(moment, now=None):
    """``2026-12-01 12:00 UTC (in 3 days)`` / ``(2 hours ago)``."""
    if moment is None:
        return "-"
    now = now or datetime.now(UTC)
    seconds = (moment - now).total_seconds()
    span = abs(seconds)
    amount = (
        f"{span / 86400:.0f} days"
        if span >= 2 * 86400
        else f"{span / 3600:.0f} hours"
        if span >= 7200
        else f"{span / 60:.0f} minutes"
    )
    relative = f"in {amount}" if seconds >= 0 else f"{amount} ago"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({relative})"


def notifications_text(notifications, unread, now=None):
    """My unread notifications, newest first (``unread``: how many in all), and where to read them."""
    if not unread:
        return "No unread notifications."
    lines = [f"{unread} unread notification{'' if unread == 1 else 's'}:"]
    for notification in notifications:
        created = datetime.fromisoformat(notification["created_at"])
        lines.append(f"  • {notification['subject']} — {when(created, now)}")
    if unread > len(notifications):
        lines.append(f"  … and {unread - len(notifications)} more")
    lines.append("Read them on the platform's notifications page (the bell), or with %gc_status --read.")
    return "\n".join(lines)


def teams_text(challenge, teams, invitations):
    """A challenge's teams with their members, and my pending invitations into them."""
    lines = [f"Teams of {challenge}:" if teams else f"{challenge} has no teams yet."]
    lines += [f"  {team['name']}: {', '.join(team['members'])}" for team in teams]
    for invitation in invitations:
        lines.append(
            f"Invitation {invitation['id']}: {invitation['invited_by']} invites you into {invitation['team_name']!r}"
            f" — %gc_team {challenge} accept {invitation['id']} (or refuse {invitation['id']})"
        )
    return "\n".join(lines)


def phase_line(phase, now=None):
    """One phase: its name, what it takes, whether it is open, the deadline and submissions left."""
    now = now or datetime.now(UTC)
    if phase.opens_at and now < phase.opens_at:
        state = f"opens {when(phase.opens_at, now)}"
    elif phase.closes_at and now >= phase.closes_at:
        state = f"closed {when(phase.closes_at, now)}"
    else:
        state = f"open, closes {when(phase.closes_at, now)}" if phase.closes_at else "open"
    left = ""
    if phase.submissions_limit is not None:
        period = f" per {phase.submissions_period_days} day(s)" if phase.submissions_period_days else ""
        known = f"{phase.submissions_left} of " if phase.submissions_left is not None else ""
        left = f"; {known}{phase.submissions_limit} submissions left{period}"
    after = f"; after {phase.parent}" if phase.parent else ""
    return f"  {phase.name:<34} {phase.submission_kind:<11} {state}{left}{after}"


def challenges_text(challenges, now=None):
    if not challenges:
        return "No challenges yet."
    lines = []
    for challenge in challenges:
        if challenge.joined:
            status = ", ".join(challenge.my_roles)
        elif challenge.join_request == "pending":
            status = "join request pending"
        else:
            status = f"not joined: %gc_join {challenge.slug}"
        lines.append(f"{challenge.slug} — {challenge.title} [{status}]")
        lines += [phase_line(phase, now) for phase in challenge.phases] or ["  (no phases you may see yet)"]
    return "\n".join(lines)


def limits_text(limits):
    if not limits:
        return "-"
    parts = [
        f"{limits.get('cpus', '?')} CPU",
        f"{limits.get('memory_mb', '?')} MB memory",
        f"{limits.get('time_limit_s', '?')} s",
        "GPU" if limits.get("gpu") else "no GPU",
        f"network {limits.get('network', 'none')}",
    ]
    return ", ".join(parts)


def log_tail(text, lines=LOG_LINES):
    return "\n".join("    " + line for line in text.rstrip().splitlines()[-lines:])


def failure_logs(what, stdout, stderr):
    """The end of a failed run's logs as lines (its stderr, or its stdout when stderr is empty);
    none when the reader was given none."""
    text = stderr if stderr.strip() else stdout
    return [f"  logs of {what}:\n{log_tail(text)}"] if text.strip() else []


def submission_text(submission):
    """What a submission's live status shows: state, cases, limits, evaluation, and the logs of
    failed runs where the reader may see them (the services send only those: a participant's jobs
    on cases they may read; every job and evaluation to the challenge's admins)."""
    what = f"algorithm {submission.algorithm}" if submission.algorithm else f"predictions {submission.predictions_file}"
    lines = [f"Submission {submission.id} to {submission.challenge}/{submission.phase} ({what}): {submission.status}"]
    if submission.kind == "algorithm":
        lines.append(f"  cases: {submission.cases_done} of {submission.cases_total} done")
    if submission.jobs:
        counts = Counter(job.get("status") for job in submission.jobs)
        lines.append("  jobs: " + ", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    lines.append(f"  limits: {limits_text(submission.limits)}")
    for job in submission.jobs:
        if job.get("status") != "succeeded" or job.get("error_message"):
            error = f" — {job['error_message']}" if job.get("error_message") else ""
            lines.append(f"  job {job['id']} (case {job.get('case')}): {job['status']}{error}")
        if job.get("status") == "failed":
            lines += failure_logs(f"job {job['id']}", job.get("stdout_tail", ""), job.get("stderr_tail", ""))
    for evaluation in submission.evaluations:
        line = f"  evaluation {evaluation.id}: {evaluation.status}"
        if evaluation.error_message:
            line += f" — {evaluation.error_message}"
        elif evaluation.status == "succeeded" and not evaluation.published:
            line += " (result not published yet)"
        lines.append(line)
        if evaluation.status == "failed":
            lines += failure_logs(f"evaluation {evaluation.id}", evaluation.stdout_tail, evaluation.stderr_tail)
    metrics = submission.metrics
    if metrics:
        aggregates = metrics.get("aggregates", metrics) if isinstance(metrics, dict) else metrics
        lines.append(f"  result: {compact(aggregates)}")
    return "\n".join(lines)


def compact(value, limit=300):
    """A short one-line form of a metrics document."""
    if isinstance(value, dict):
        parts = []
        for key, inner in value.items():
            if isinstance(inner, dict) and "mean" in inner:
                inner = inner["mean"]
            parts.append(f"{key}={inner:.4g}" if isinstance(inner, float) else f"{key}={compact(inner, 80)}")
        text = ", ".join(parts)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def job_text(job):
    """An algorithm job's live status: state, queue position, limits, errors and logs."""
    state = job.status + (
        f" (position {job.queue_position + 1} in the queue)" if job.queue_position is not None else ""
    )
    lines = [f"Job {job.id} of {job.algorithm}: {state}", f"  limits: {limits_text(job.limits)}"]
    if job.error_message:
        lines.append(f"  error: {job.error_message}")
    if job.done and job.stdout_tail.strip():
        lines.append(f"  stdout:\n{log_tail(job.stdout_tail)}")
    if job.done and job.stderr_tail.strip():
        lines.append(f"  stderr:\n{log_tail(job.stderr_tail)}")
    return "\n".join(lines)


def build_text(build):
    states = {
        "pending": "queued",
        "importing": "building",
        "succeeded": "built",
        "failed": "failed",
        "cancelled": "cancelled",
    }
    line = f"Build {build.id} of algorithm {build.algorithm}: {states.get(build.status, build.status)}"
    if build.digest and build.status == "succeeded":
        line += f" ({build.digest[:19]})"
    if build.error_message:
        line += "\n" + log_tail(build.error_message, 40)
    return line


MODEL_STATES = {"pending": "queued", "importing": "being checked and unpacked"}


def model_text(model):
    """An algorithm model's state: checked and active (with its checksum), or why it was refused."""
    state = MODEL_STATES.get(model["status"], model["status"])
    if model["status"] == "succeeded":
        state += ", active" if model["is_active"] else ", not active"
    line = f"Model {model['id']} of {model['algorithm']} ({model['filename']}): {state}"
    details = [f"sha256 {model['sha256']}" if model["sha256"] else "", model["message"], model["comment"]]
    return "\n".join([line, *(f"  {detail}" for detail in details if detail)])


def models_text(algorithm, models):
    """An algorithm's models, newest first, the active one marked."""
    if not models:
        return (
            f"Algorithm {algorithm} has no models yet: upload one with %gc_algorithm model {algorithm} weights.tar.gz."
        )
    lines = [f"Models of {algorithm} (* active; its jobs read it at /opt/ml/model/):"]
    for model in models:
        mark = "*" if model["is_active"] else " "
        digest = (model["sha256"] or "")[:12] or MODEL_STATES.get(model["status"], model["status"])
        made = model["created_at"][:16].replace("T", " ")
        comment = f" — {model['comment']}" if model["comment"] else ""
        lines.append(f" {mark} {model['id']:>4}  {digest:<12}  {made}  {model['filename']}{comment}")
    return "\n".join(lines)
