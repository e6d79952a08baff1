"""E-mails of notifications: sent by a worker from the mail queue, never by a request.

A notification that its person chose to get by e-mail is written with a pending mail, due at
once (services/core/orm/notifications.py), in the transaction of the change that caused it. The
workers' periodic pass (``queue_due_mails``) queues every due one and moves its due time on by a
lease, so that a job lost with Redis or a worker is queued again once the lease ends. The task
sends it; when the server does not take it, the mail is due again after a wait that doubles each
time (``retry_wait``), up to a ceiling: it is tried until it is sent, so none is lost.
"""

import logging
import smtplib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urljoin

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.orm.notifications import KIND_WORDS, MailStatus, Notification
from ..core.settings import MailSettings
from ..queue import QueueUnreachable
from .resources import resources

log = logging.getLogger("gc-worker")

FIRST_WAIT_S = 5
LEASE = timedelta(minutes=5)  # a queued mail not sent by then is queued again
BATCH = 200  # mails queued at most per pass


def retry_wait(attempts, ceiling_s):
    """Seconds to wait before the next try of a mail that failed ``attempts`` times."""
    return min(ceiling_s, FIRST_WAIT_S * 2 ** max(0, attempts - 1))


def queue_due_mails(session, queue, now=None, settings=None):
    """Queue each pending mail that is due (none when no SMTP host is set); how many."""
    settings = settings or MailSettings()
    if not settings.smtp_host:
        return 0
    now = now or datetime.now(UTC)
    due = session.scalars(
        select(Notification)
        .where(Notification.mail_status == MailStatus.PENDING, Notification.mail_due_at <= now)
        .order_by(Notification.mail_due_at)
        .limit(BATCH)
    ).all()
    for notification in due:
        notification.mail_due_at = now + LEASE
    session.commit()
    queued = 0
    for notification in due:
        try:
            queue.send_mail(notification.id, notification.mail_attempts + 1)
            queued += 1
        except QueueUnreachable as error:  # due again when the lease ends
            log.warning("could not queue the mail of notification %s: %s", notification.id, error)
            break
    return queued


def message_of(notification, settings, public_url):
    """The e-mail of ``notification``."""
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = notification.mail_to
    mail["Subject"] = notification.subject
    link = urljoin(public_url, notification.url) if notification.url else ""
    mail.set_content(
        "\n\n".join(
            part
            for part in (
                notification.subject + ".",
                notification.message,
                f"Read more: {link}" if link else "",
                f"You get this e-mail because you chose e-mail for: {KIND_WORDS[notification.kind]}."
                f" Change that on {urljoin(public_url, '/services/challenges/notifications/preferences')}",
            )
            if part
        )
    )
    return mail


def deliver(mail, settings):
    """Hand ``mail`` to the SMTP server; OSError or SMTPException when it does not take it."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(mail)


def send_notification_mail(*, notification_id):
    """Send the pending mail of notification ``notification_id``; when the server does not take
    it, make it due again later."""
    platform, engine = resources().settings, resources().engine
    settings = MailSettings()
    with Session(engine) as session:
        notification = session.get(Notification, notification_id, with_for_update=True)
        if notification is None or notification.mail_status != MailStatus.PENDING:
            return "nothing to send"
        try:
            deliver(message_of(notification, settings, platform.public_url), settings)
        except (OSError, smtplib.SMTPException) as error:
            notification.mail_attempts += 1
            wait = retry_wait(notification.mail_attempts, settings.smtp_retry_max_s)
            notification.mail_due_at = datetime.now(UTC) + timedelta(seconds=wait)
            notification.mail_error = f"{type(error).__name__}: {error}"[:2000]
            session.commit()
            log.warning("mail of notification %s not sent (%s); trying again in %g s", notification_id, error, wait)
            return "retry"
        notification.mail_status, notification.mail_sent_at = MailStatus.SENT, datetime.now(UTC)
        notification.mail_attempts += 1
        notification.mail_error = None
        session.commit()
        return "sent"
