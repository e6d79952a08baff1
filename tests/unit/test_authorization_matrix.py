"""The authorization matrix: every API endpoint of every service × six subjects → allow or deny.

The table ``MATRIX`` below is the documentation of who may do what. Each row is one endpoint
(service, method, path) with the expected outcome for each subject, in this column order:

    anon    anonymous: no user at all
    other   other-researcher: ``researcher2``, may create challenges and archives but holds no
            role on the ones below
    admin   challenge-admin: ``researcher``, admin of challenge ``lungs`` (for archives: editor of
            archives ``lungs`` and ``secret-cases``; for reader studies: editor of ``chest-reads``)
    part    participant: ``participant`` (a data scientist), joined ``lungs`` and was accepted
            (for archives: holds the ``user`` role on archive ``lungs``)
    sci     non-participant-scientist: ``datascientist``, may join challenges, holds no role
    clin    clinician: ``clinician``, holds no challenge role (for archives: ``uploader`` on
            archive ``lungs``; for reader studies: reader of ``chest-reads``)

Outcomes: ``allow`` 2xx, ``deny`` 403, ``hidden`` 404 (an object the subject may not know of),
``conflict`` 409 (the subject holds already what it asks for, or deletes what something still uses).

The world (one SQLite file for the module, both services on it): challenge ``lungs`` with a
public phase, a participants-only phase and a hidden phase, each with ground truth and an
evaluation method image; the hidden one also uses archive ``secret-cases``; reader study
``chest-reads`` with a question and the case of archive ``lungs``; the participant's first
submission, whose evaluation wrote a value and a file besides its metrics. Reads never change
it; writes get valid bodies, fresh slugs (``{uniq}``) or objects of their own (``{fresh}``), so
no row depends on another. Every allowed GET of a subject that administers nothing is searched
for the strings it must never see (``SECRETS``).

Only the hub (authentication) and Redis (the health probe) are faked.
"""

import itertools
import json
import os
import re
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

import apptools
import pytest
from apptools import fake_hub_auth, service_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.database import make_engine
from services.core.orm import (
    Algorithm,
    AlgorithmJob,
    AlgorithmModel,
    Archive,
    ArchiveItem,
    Evaluation,
    Image,
    JobStatus,
    Phase,
    Socket,
    StoredFile,
    Submission,
    UploadStatus,
    advance,
    make_value,
)
from services.web.app import SERVICE_ROUTES
from services.web.submissions import EVALUATION_FAILURE, HIDDEN_CASE_FAILURE

SUBJECTS = {  # subject → hub user (see the top of the file)
    "anonymous": None,
    "other-researcher": "researcher2",
    "challenge-admin": "researcher",
    "participant": "participant",
    "non-participant-scientist": "datascientist",
    "clinician": "clinician",
}
OUTCOMES = {"allow": range(200, 300), "deny": [403], "hidden": [404], "conflict": [409]}

CHALLENGE, ARCHIVE, HIDDEN_ARCHIVE = "lungs", "lungs", "secret-cases"
READER_STUDY = "chest-reads"
ALGORITHM = "segmenter"  # the researcher edits it, the participant uses it
PUBLIC_PHASE, MEMBERS_PHASE, HIDDEN_PHASE = "open-round", "members-round", "secret-final"
GROUND_TRUTH = {
    "method_image": "registry.example/secret-eval:3",
    "ground_truth_path": "ground-truth/{challenge}/secret-labels",
    "ground_truth_version": "gt-v7-secret",
}
PRIVATE_MESSAGE = "participant-private-note"  # the participant's join request: its admins' only
HIDDEN_CASE = "secret-case-value"  # an item of the hidden archive
UNPUBLISHED_AUTHOR = "unpublished-author"  # whose results are not published: on leaderboards for admins only
# The logs and own words of runs that read hidden data (see ``runs_with_logs``): their admins' only.
EVALUATION_LOG, EVALUATION_WORDS = "evaluation-log-of-the-ground-truth", "exited with code 57"
HIDDEN_JOB_LOG, HIDDEN_JOB_WORDS = "job-log-of-a-hidden-case", "invalid outputs: hidden-job-words"
READABLE_JOB_LOG = "job-log-of-a-readable-case"  # the participant may read that case, and its job's logs
EVALUATION_OUTPUT = "evaluation-output-of-the-ground-truth"  # what evaluation 1 wrote besides its metrics
# What no subject but the objects' admins ever sees; non-participants neither see the second.
SECRETS = [
    HIDDEN_PHASE,
    HIDDEN_ARCHIVE,
    HIDDEN_CASE,
    PRIVATE_MESSAGE,
    "secret-eval",
    "secret-labels",
    "gt-v7-secret",
    UNPUBLISHED_AUTHOR,
    EVALUATION_LOG,
    EVALUATION_WORDS,
    HIDDEN_JOB_LOG,
    HIDDEN_JOB_WORDS,
    EVALUATION_OUTPUT,
]
MEMBERS_ONLY = [MEMBERS_PHASE]

NAMES = {  # the path placeholders: the world's objects, and what OpenAPI calls them
    "challenge": (CHALLENGE, "slug"),
    "archive": (ARCHIVE, "slug"),
    "socket": ("age", "slug"),  # the researcher's socket
    "hidden_archive": (HIDDEN_ARCHIVE, "slug"),
    "study": (READER_STUDY, "slug"),
    "public": (PUBLIC_PHASE, "phase"),
    "members": (MEMBERS_PHASE, "phase"),
    "hidden": (HIDDEN_PHASE, "phase"),
    "fresh": (None, "slug"),  # a new challenge of its own, made for the request (see ``fresh``)
    "request": (None, "request_id"),  # a pending join request on it
    "upload": (None, "session_id"),  # a new upload session of the researcher, made for the request
    "upload_file": (None, "file_id"),  # an empty file announced in it
    "question": ("1", "question_id"),  # the world's question
    "case": ("1", "case_id"),  # the world's reader-study case
    "new_question": (None, "question_id"),  # a new question of the reader study, made for the request
    "new_study": (None, "slug"),  # a new reader study like the world's, made for the request
    "new_archive": (None, "slug"),  # a new archive like ``lungs``, made for the request
    "new_viewing": (None, "slug"),  # a new viewer configuration and hanging protocol of the researcher
    "new_item": (None, "item_id"),  # a new case of archive ``lungs``, made for the request
    "algorithm": (ALGORITHM, "slug"),
    "job": ("1", "job_id"),  # the participant's job of the algorithm
    "new_job": (None, "job_id"),  # a new job of the participant, made for the request
    "container_image": ("1", "image_id"),  # the researcher's upload of the algorithm's image
    "submission": ("1", "submission_id"),  # the participant's submission to the public phase
    "algorithm_submission": ("2", "submission_id"),  # the participant's with jobs on a hidden and a readable case
    "new_submission": (None, "submission_id"),  # a new one like it, made for the request
    "evaluation": ("1", "evaluation_id"),  # the evaluation of submission 1
    "evaluation_file": ("predictions-csv-file", "socket"),  # the socket of the file it wrote
    "image": ("1", "image_id"),  # the researcher's image in a case of archive ``lungs``
    "build": ("2", "build_id"),  # the researcher's build of the algorithm's image (container image 2)
    "model": ("1", "model_id"),  # the researcher's upload of a model of the algorithm
    "team": ("1", "team_id"),  # the participant's team in challenge ``lungs`` (which uses teams)
    "teamed": (None, "slug"),  # a new challenge with teams and a team of ``datascientist``, made for the request
    "new_team": (None, "team_id"),  # that team
    "new_invitation": (None, "invitation_id"),  # its invitation of the participant
    "new_model": (None, "model_id"),  # a new one that a worker refused, made for the request
}


class Row(NamedTuple):
    service: str
    method: str
    path: str  # below api/v1/, with {placeholders} of NAMES and {uniq} for a new slug
    expected: dict  # subject → outcome
    body: dict | None = None


def row(service, method, path, outcomes, body=None):
    """A row from its outcomes in the column order of SUBJECTS: 'deny allow allow …'."""
    words = outcomes.split()
    assert len(words) == len(SUBJECTS) and set(words) <= set(OUTCOMES), outcomes
    return Row(service, method, path, dict(zip(SUBJECTS, words, strict=True)), body)


# Outcomes in the column order anon, other, admin, part, sci, clin (see the top of the file).
SIGNED_IN = "deny   allow  allow  allow  allow  allow"
RESEARCHERS = "deny   allow  allow  deny   deny   deny"
ADMIN_ONLY = "deny   deny   allow  deny   deny   deny"
EVERYONE = "allow  allow  allow  allow  allow  allow"
# Archives are private: who holds no role on one gets 404, not 403.
ARCHIVE_READERS = "deny   hidden allow  allow  hidden allow"
ARCHIVE_UPLOADERS = "deny   hidden allow  deny   hidden allow"
ARCHIVE_EDITORS = "deny   hidden allow  deny   hidden deny"
HIDDEN_ARCHIVE_EDITORS = "deny   hidden allow  hidden hidden hidden"
# Reader studies are private too: the researcher edits ``chest-reads``, the clinician reads it.
STUDY_READERS = "deny   hidden allow  hidden hidden allow"
STUDY_EDITORS = "deny   hidden allow  hidden hidden deny"
# Algorithms are private: the researcher edits ``segmenter``, the participant uses it.
ALGORITHM_USERS = "deny   hidden allow  allow  hidden hidden"
ALGORITHM_EDITORS = "deny   hidden allow  deny   hidden hidden"
# Upload sessions are their owner's alone: the researcher owns ``{upload}``.
UPLOAD_OWNER = "deny   hidden allow  hidden hidden hidden"

# fmt: off
MATRIX = [
    *(row(service, "GET", path, outcomes) for service in sorted(SERVICE_ROUTES)
      for path, outcomes in [("health", SIGNED_IN), ("me", SIGNED_IN), ("openapi.json", EVERYONE)]),
    row("archives",   "GET",    "sockets",                                   SIGNED_IN),
    row("archives",   "POST",   "sockets",                                   RESEARCHERS,
        {"slug": "s-{uniq}", "title": "S", "kind": "float"}),
    row("archives",   "GET",    "sockets/{socket}",                          SIGNED_IN),
    row("archives",   "PATCH",  "sockets/{socket}",                          ADMIN_ONLY, {"title": "Age"}),
    row("archives",   "GET",    "archives",                                  SIGNED_IN),
    row("archives",   "POST",   "archives",                                  RESEARCHERS, {"slug": "a-{uniq}", "title": "A"}),
    row("archives",   "GET",    "archives/{archive}",                        ARCHIVE_READERS),
    row("archives",   "PATCH",  "archives/{archive}",                        ARCHIVE_EDITORS, {"title": "Lung CT"}),
    row("archives",   "DELETE", "archives/{new_archive}",                    ARCHIVE_EDITORS),
    # The hidden archive is the hidden phase's test set: even its editor may not delete it.
    row("archives",   "DELETE", "archives/{hidden_archive}",                 "deny hidden conflict hidden hidden hidden"),
    row("archives",   "GET",    "archives/{hidden_archive}",                 HIDDEN_ARCHIVE_EDITORS),
    row("archives",   "PATCH",  "archives/{hidden_archive}",                 HIDDEN_ARCHIVE_EDITORS, {"title": "Secret"}),
    row("archives",   "GET",    "archives/{archive}/members",                ARCHIVE_EDITORS),
    row("archives",   "POST",   "archives/{archive}/members",                ARCHIVE_EDITORS,
        {"username": "newcomer", "role": "user"}),
    row("archives",   "DELETE", "archives/{archive}/members?username=newcomer&role=user", ARCHIVE_EDITORS),
    row("archives",   "GET",    "archives/{hidden_archive}/members",         HIDDEN_ARCHIVE_EDITORS),
    row("archives",   "GET",    "archives/{archive}/items",                  ARCHIVE_READERS),
    row("archives",   "POST",   "archives/{archive}/items",                  ARCHIVE_UPLOADERS, {"values": {"age": 40}}),
    row("archives",   "DELETE", "archives/{archive}/items/{new_item}",       ARCHIVE_EDITORS),
    row("archives",   "GET",    "archives/{hidden_archive}/items",           HIDDEN_ARCHIVE_EDITORS),
    row("archives",   "POST",   "archives/{hidden_archive}/items",           HIDDEN_ARCHIVE_EDITORS, {"values": {"age": 1}}),
    row("archives",   "GET",    "reader-studies",                            SIGNED_IN),
    row("archives",   "POST",   "reader-studies",                            RESEARCHERS, {"slug": "r-{uniq}", "title": "R"}),
    row("archives",   "GET",    "reader-studies/{study}",                    STUDY_READERS),
    row("archives",   "PATCH",  "reader-studies/{study}",                    STUDY_EDITORS, {"title": "Chest reads"}),
    row("archives",   "DELETE", "reader-studies/{new_study}",                STUDY_EDITORS),
    row("archives",   "GET",    "reader-studies/{study}/members",            STUDY_EDITORS),
    row("archives",   "POST",   "reader-studies/{study}/members",            STUDY_EDITORS,
        {"username": "newcomer", "role": "reader"}),
    row("archives",   "GET",    "reader-studies/{study}/questions",          STUDY_READERS),
    row("archives",   "POST",   "reader-studies/{study}/questions",          STUDY_EDITORS, {"text": "Q{uniq}?", "kind": "bool"}),
    row("archives",   "GET",    "reader-studies/{study}/cases",              STUDY_READERS),
    row("archives",   "POST",   "reader-studies/{study}/cases",              STUDY_EDITORS, {"archive": ARCHIVE}),
    row("archives",   "DELETE", "reader-studies/{study}/members?username=newcomer&role=reader", STUDY_EDITORS),
    row("archives",   "PATCH",  "reader-studies/{study}/questions/{question}", STUDY_EDITORS, {"position": 0}),
    row("archives",   "DELETE", "reader-studies/{study}/questions/{new_question}", STUDY_EDITORS),
    row("archives",   "GET",    "reader-studies/{study}/ground-truth",       STUDY_EDITORS),
    row("archives",   "POST",   "reader-studies/{study}/ground-truth",       STUDY_EDITORS,
        [{"case": 1, "question": 1, "value": True}]),
    row("archives",   "GET",    "reader-studies/{study}/scores",             STUDY_EDITORS),
    row("archives",   "GET",    "reader-studies/{study}/leaderboard",        STUDY_READERS),
    row("archives",   "GET",    "reader-studies/{study}/progress",           STUDY_READERS),
    # The world's study is not educational: its ground truth is for its editors only.
    row("archives",   "GET",    "reader-studies/{study}/cases/{case}",       STUDY_READERS),
    *(row("archives", method, path, outcomes, body) for kind in ("viewer-configurations", "hanging-protocols")
      for method, path, outcomes, body in [
          ("GET", kind, SIGNED_IN, None),
          ("POST", kind, RESEARCHERS, {"slug": "v-{uniq}", "title": "V",
                                       "layout": [{"viewport_name": "main"}]} if kind == "hanging-protocols"
           else {"slug": "v-{uniq}", "title": "V"}),
          ("GET", kind + "/{new_viewing}", SIGNED_IN, None),
          ("PATCH", kind + "/{new_viewing}", ADMIN_ONLY, {"title": "W"}),
          ("DELETE", kind + "/{new_viewing}", ADMIN_ONLY, None),
      ]),
    row("archives",   "PATCH",  "reader-studies/{study}/cases/{case}",       STUDY_EDITORS, {"order": 1}),
    row("archives",   "GET",    "reader-studies/{study}/cases/{case}/ground-truth", STUDY_EDITORS),
    row("archives",   "POST",   "reader-studies/{study}/cases/{case}/ground-truth", STUDY_EDITORS),
    row("archives",   "GET",    "reader-studies/{study}/answers",            STUDY_READERS),
    # Only readers answer (the world's question 1 about its case 1), editors do not.
    row("archives",   "POST",   "reader-studies/{study}/answers",            "deny hidden deny hidden hidden allow",
        {"question": 1, "case": 1, "value": True}),

    row("archives",   "GET",    "upload-sessions",                           SIGNED_IN),
    row("archives",   "POST",   "upload-sessions",                           SIGNED_IN, {}),
    row("archives",   "POST",   "upload-sessions",                           ARCHIVE_UPLOADERS, {"archive": ARCHIVE, "socket": "ct"}),
    row("archives",   "GET",    "upload-sessions/{upload}",                  UPLOAD_OWNER),
    row("archives",   "POST",   "upload-sessions/{upload}/files",            UPLOAD_OWNER, {"filename": "b-{uniq}.nii", "size": 9}),
    row("archives",   "GET",    "upload-sessions/{upload}/files/{upload_file}", UPLOAD_OWNER),
    row("archives",   "PUT",    "upload-sessions/{upload}/files/{upload_file}", UPLOAD_OWNER),
    row("archives",   "POST",   "upload-sessions/{upload}/import",           UPLOAD_OWNER),
    row("archives",   "POST",   "upload-sessions/{upload}/cancel",           UPLOAD_OWNER),
    row("archives",   "GET",    "images/{image}/file",                       ARCHIVE_READERS),
    row("archives",   "GET",    "images/{image}/thumbnail.png",              ARCHIVE_READERS),
    row("challenges", "GET",    "images/{image}/thumbnail.png",              ARCHIVE_READERS),

    row("challenges", "GET",    "challenges",                                SIGNED_IN),
    row("challenges", "POST",   "challenges",                                RESEARCHERS, {"slug": "c-{uniq}", "title": "C"}),
    row("challenges", "GET",    "challenges/{challenge}",                    SIGNED_IN),
    row("challenges", "PATCH",  "challenges/{challenge}",                    ADMIN_ONLY, {"title": "Lungs"}),
    row("challenges", "DELETE", "challenges/{fresh}",                        ADMIN_ONLY),
    row("challenges", "GET",    "challenges/{challenge}/admins",             ADMIN_ONLY),
    row("challenges", "POST",   "challenges/{challenge}/admins",             ADMIN_ONLY, {"username": "helper"}),
    row("challenges", "DELETE", "challenges/{challenge}/admins?username=helper", ADMIN_ONLY),
    row("challenges", "GET",    "challenges/{challenge}/participants",       ADMIN_ONLY),
    row("challenges", "DELETE", "challenges/{fresh}/participants?username=participant", ADMIN_ONLY),
    # Joining needs the hub permission to participate, which only data scientists hold.
    row("challenges", "POST",   "challenges/{challenge}/join",               "deny deny deny conflict allow deny",
        {"message": "let me in"}),
    row("challenges", "GET",    "challenges/{challenge}/join-requests",      ADMIN_ONLY),
    row("challenges", "POST",   "challenges/{fresh}/join-requests/{request}", ADMIN_ONLY, {"decision": "accept"}),
    row("challenges", "GET",    "challenges/{challenge}/phases",             SIGNED_IN),
    row("challenges", "POST",   "challenges/{challenge}/phases",             ADMIN_ONLY, {"slug": "p-{uniq}", "title": "P"}),
    row("challenges", "GET",    "challenges/{challenge}/phases/{public}",    SIGNED_IN),
    row("challenges", "GET",    "challenges/{challenge}/phases/{members}",   "deny hidden allow allow  hidden hidden"),
    row("challenges", "GET",    "challenges/{challenge}/phases/{hidden}",    "deny hidden allow hidden hidden hidden"),
    row("challenges", "PATCH",  "challenges/{challenge}/phases/{public}",    ADMIN_ONLY, {"title": "Open round"}),
    row("challenges", "PATCH",  "challenges/{challenge}/phases/{members}",   "deny hidden allow deny   hidden hidden",
        {"title": "Members round"}),
    row("challenges", "PATCH",  "challenges/{challenge}/phases/{hidden}",    "deny hidden allow hidden hidden hidden",
        {"title": "Secret final"}),
    row("challenges", "DELETE", "challenges/{fresh}/phases/{public}",        ADMIN_ONLY),
    # The hidden phase must be passed before the other two: even its admin may not delete it.
    row("challenges", "DELETE", "challenges/{challenge}/phases/{hidden}",    "deny hidden conflict hidden hidden hidden"),

    row("challenges", "GET",    "algorithms",                                SIGNED_IN),
    row("challenges", "POST",   "algorithms",                                "deny allow allow allow allow deny",
        {"slug": "al-{uniq}", "title": "A", "inputs": ["age"]}),
    row("challenges", "GET",    "algorithms/{algorithm}",                    ALGORITHM_USERS),
    row("challenges", "PATCH",  "algorithms/{algorithm}",                    ALGORITHM_EDITORS, {"time_limit_s": 600}),
    row("challenges", "GET",    "algorithms/{algorithm}/members",            ALGORITHM_USERS),
    row("challenges", "POST",   "algorithms/{algorithm}/members",            ALGORITHM_EDITORS,
        {"username": "newcomer", "role": "user"}),
    row("challenges", "DELETE", "algorithms/{algorithm}/members?username=newcomer&role=user", ALGORITHM_EDITORS),
    row("challenges", "GET",    "algorithms/{algorithm}/jobs",               ALGORITHM_USERS),
    row("challenges", "POST",   "algorithms/{algorithm}/jobs",               ALGORITHM_USERS, {"inputs": {"age": 3}}),
    row("challenges", "POST",   "algorithms/{algorithm}/image",              ALGORITHM_EDITORS,
        {"upload_session": "{upload}", "file": "{upload_file}"}),
    row("challenges", "GET",    "algorithms/{algorithm}/models",             ALGORITHM_USERS),
    row("challenges", "POST",   "algorithms/{algorithm}/models",             ALGORITHM_EDITORS,
        {"upload_session": "{upload}", "file": "{upload_file}"}),
    row("challenges", "GET",    "algorithms/{algorithm}/models/{model}",     ALGORITHM_USERS),
    row("challenges", "PATCH",  "algorithms/{algorithm}/models/{model}",     ALGORITHM_EDITORS, {"comment": "v1"}),
    row("challenges", "DELETE", "algorithms/{algorithm}/models/{new_model}", ALGORITHM_EDITORS),
    row("challenges", "GET",    "algorithm-jobs",                            SIGNED_IN),
    row("challenges", "GET",    "algorithm-jobs/{job}",                      ALGORITHM_USERS),
    # Its creator (the participant) or a hub admin cancels a job; the algorithm's editor does not.
    row("challenges", "POST",   "algorithm-jobs/{new_job}/cancel",           "deny hidden deny allow hidden hidden"),
    row("challenges", "POST",   "challenges/{challenge}/phases/{public}/method", ADMIN_ONLY,
        {"upload_session": "{upload}", "file": "{upload_file}"}),
    row("challenges", "GET",    "container-images/{container_image}",        "deny hidden allow hidden hidden hidden"),
    row("challenges", "POST",   "algorithms/{algorithm}/builds",             ALGORITHM_EDITORS,
        {"upload_session": "{upload}", "files": ["{upload_file}"], "entrypoint": "ct-{uniq}.mha"}),
    row("challenges", "GET",    "builds/{build}",                            "deny hidden allow hidden hidden hidden"),
    # Where a phase's cases lie, for those who may read them: the hidden phase's archive is the researcher's.
    row("challenges", "GET",    "challenges/{challenge}/phases/{hidden}/training-data", "deny hidden allow hidden hidden hidden"),

    # Submissions: participants submit (the public phase wants its hidden parent passed first, which
    # nobody did), see their own; admins see all, re-evaluate, cancel, publish, upload ground truth.
    row("challenges", "GET",    "challenges/{challenge}/phases/{public}/submissions", SIGNED_IN),
    row("challenges", "POST",   "challenges/{challenge}/phases/{public}/submissions",
        "deny deny conflict conflict deny deny", {"upload_session": "{upload}", "file": "{upload_file}"}),
    row("challenges", "POST",   "challenges/{challenge}/phases/{hidden}/submissions",
        "deny hidden allow hidden hidden hidden", {"upload_session": "{upload}", "file": "{upload_file}"}),
    row("challenges", "GET",    "challenges/{challenge}/phases/{public}/submissions/{submission}",
        "deny hidden allow allow hidden hidden"),
    row("challenges", "GET",    "challenges/{challenge}/phases/{public}/submissions/{algorithm_submission}",
        "deny hidden allow allow hidden hidden"),
    # The world's submissions have no supplementary PDF: nobody gets one (tests/unit/test_submission_metadata.py
    # serves one to those who may see its submission).
    row("challenges", "GET",    "challenges/{challenge}/phases/{public}/submissions/{submission}/supplementary.pdf",
        "deny hidden hidden hidden hidden hidden"),
    row("challenges", "PATCH",  "challenges/{challenge}/phases/{public}/submissions/{new_submission}",
        "deny hidden allow deny hidden hidden", {"is_baseline": False}),
    # Choosing the result that represents one: its creator, where the phase shows chosen ones (not the world's).
    row("challenges", "POST",   "challenges/{challenge}/phases/{public}/submissions/{new_submission}/select",
        "deny hidden deny conflict hidden hidden"),
    row("challenges", "POST",   "challenges/{challenge}/phases/{public}/submissions/{new_submission}/evaluations",
        "deny hidden allow deny hidden hidden"),
    row("challenges", "POST",   "challenges/{challenge}/phases/{public}/submissions/{new_submission}/cancel",
        "deny hidden allow deny hidden hidden"),
    row("challenges", "PATCH",  "challenges/{challenge}/phases/{public}/evaluations/{evaluation}", ADMIN_ONLY,
        {"published": True}),
    row("challenges", "GET",
        "challenges/{challenge}/phases/{public}/evaluations/{evaluation}/outputs/{evaluation_file}/file", ADMIN_ONLY),
    row("challenges", "POST",   "challenges/{challenge}/phases/{public}/ground-truth", ADMIN_ONLY,
        {"upload_session": "{upload}", "file": "{upload_file}"}),

    # Teams: anyone sees them; a participant in no team makes one, its members rename it and invite
    # participants (``newcomer`` is none: 409), admins delete; one leaves oneself, or an admin takes one out.
    row("challenges", "GET",    "challenges/{challenge}/teams",              SIGNED_IN),
    row("challenges", "POST",   "challenges/{challenge}/teams",              "deny deny deny conflict deny deny",
        {"name": "T{uniq}"}),
    row("challenges", "GET",    "challenges/{challenge}/teams/{team}",       SIGNED_IN),
    row("challenges", "PATCH",  "challenges/{challenge}/teams/{team}",       "deny deny allow allow deny deny",
        {"name": "Team lungs"}),
    row("challenges", "DELETE", "challenges/{teamed}/teams/{new_team}",      ADMIN_ONLY),
    row("challenges", "POST",   "challenges/{challenge}/teams/{team}/invitations", "deny deny conflict conflict deny deny",
        {"username": "newcomer"}),
    row("challenges", "DELETE", "challenges/{teamed}/teams/{new_team}/members?username=datascientist",
        "deny deny allow deny allow deny"),
    row("challenges", "GET",    "team-invitations",                          SIGNED_IN),
    row("challenges", "POST",   "team-invitations/{new_invitation}",         "deny hidden hidden allow hidden hidden",
        {"decision": "refuse"}),
    # Notifications are each person's own (tests/unit/test_notifications_api.py: nobody reaches another's).
    row("challenges", "GET",    "notifications",                             SIGNED_IN),
    row("challenges", "GET",    "notifications/unread",                      SIGNED_IN),
    row("challenges", "POST",   "notifications/read",                        SIGNED_IN, {"all": True}),
    row("challenges", "GET",    "notifications/preferences",                 SIGNED_IN),
    row("challenges", "PATCH",  "notifications/preferences",                 SIGNED_IN, {"deliveries": {"rank-changed": "off"}}),

    # Leaderboards follow their phase's visibility; unpublished results and the ground-truth
    # version they were evaluated against are for admins only (see ``leaderboard_results``).
    row("leaderboard", "GET",   "leaderboards/{challenge}",                  SIGNED_IN),
    row("leaderboard", "GET",   "leaderboards/{challenge}?phases={public},{hidden}", "deny hidden allow hidden hidden hidden"),
    row("leaderboard", "GET",   "leaderboards/{challenge}/{public}",         SIGNED_IN),
    row("leaderboard", "GET",   "leaderboards/{challenge}/{members}",        "deny hidden allow allow hidden hidden"),
    row("leaderboard", "GET",   "leaderboards/{challenge}/{hidden}",         "deny hidden allow hidden hidden hidden"),
    row("leaderboard", "GET",   "leaderboards/{challenge}/{public}?display=best", "deny deny allow deny deny deny"),
]
# The challenges service takes the same upload sessions, for its pages' uploads.
MATRIX += [r._replace(service="challenges") for r in MATRIX if r.service == "archives" and r.path.startswith("upload-")]
# fmt: on


# --- the world ----------------------------------------------------------------------------


def ok(response, status=200):
    code, body = response
    assert code == status, body
    return body


def join(challenges, slug, user, message="please", decision="accept"):
    """``user`` asks to join challenge ``slug`` and its admin decides (None: leaves it pending)."""
    request = ok(challenges.call("POST", f"challenges/{slug}/join", user, {"message": message}), 201)
    if decision:
        url = f"challenges/{slug}/join-requests/{request['id']}"
        ok(challenges.call("POST", url, "researcher", {"decision": decision}))
    return request


def make_challenge(challenges, slug):
    """Challenge ``slug`` of ``researcher`` with a participant and a hidden, a participants-only and
    a public phase, each with ground truth and an evaluation method; the hidden one is the parent
    of the other two."""
    ok(challenges.call("POST", "challenges", "researcher", {"slug": slug, "title": slug.title()}), 201)
    for phase, visibility in [(HIDDEN_PHASE, "hidden"), (MEMBERS_PHASE, "participants"), (PUBLIC_PHASE, "public")]:
        truth = {**GROUND_TRUTH, "ground_truth_path": GROUND_TRUTH["ground_truth_path"].format(challenge=slug)}
        body = {"slug": phase, "title": phase.replace("-", " ").capitalize(), "visibility": visibility, **truth}
        if visibility == "hidden":
            body["archive"] = HIDDEN_ARCHIVE
        else:  # submissions must pass the hidden phase first
            body["parent"] = HIDDEN_PHASE
        ok(challenges.call("POST", f"challenges/{slug}/phases", "researcher", body), 201)
    join(challenges, slug, "participant", message=PRIVATE_MESSAGE)


def make_teamed(challenges, slug):
    """Challenge ``slug`` (see ``make_challenge``) with teams, ``datascientist`` a participant with a
    team that invited the participant: (team id, invitation id)."""
    make_challenge(challenges, slug)
    ok(challenges.call("PATCH", f"challenges/{slug}", "researcher", {"use_teams": True}))
    join(challenges, slug, "datascientist")
    team = ok(challenges.call("POST", f"challenges/{slug}/teams", "datascientist", {"name": "Readers"}), 201)["id"]
    body = {"username": "participant"}
    invitation = ok(challenges.call("POST", f"challenges/{slug}/teams/{team}/invitations", "datascientist", body), 201)
    return team, invitation["id"]


def make_archive(archives, slug):
    """Archive ``slug`` of the researcher (participant: user, clinician: uploader) with a case."""
    ok(archives.call("POST", "archives", "researcher", {"slug": slug, "title": slug.title()}), 201)
    for user, role in [("participant", "user"), ("clinician", "uploader")]:
        ok(archives.call("POST", f"archives/{slug}/members", "researcher", {"username": user, "role": role}), 201)
    ok(archives.call("POST", f"archives/{slug}/items", "researcher", {"values": {"age": 63}}), 201)


def make_archives(archives):
    """Archive ``lungs`` (see ``make_archive``) and ``secret-cases`` (researcher alone), each with a case."""
    for slug, kind in [("age", "integer"), ("note", "string")]:
        ok(archives.call("POST", "sockets", "researcher", {"slug": slug, "title": slug, "kind": kind}), 201)
    make_archive(archives, ARCHIVE)
    ok(archives.call("POST", "archives", "researcher", {"slug": HIDDEN_ARCHIVE, "title": "Secret cases"}), 201)
    ok(archives.call("POST", f"archives/{HIDDEN_ARCHIVE}/items", "researcher", {"values": {"note": HIDDEN_CASE}}), 201)


def make_viewing(archives, slug):
    """A viewer configuration and a hanging protocol ``slug`` of the researcher."""
    layout = [{"viewport_name": "main", "x": 0, "y": 0, "w": 1, "h": 1}]
    ok(archives.call("POST", "viewer-configurations", "researcher", {"slug": slug, "title": "V"}), 201)
    ok(archives.call("POST", "hanging-protocols", "researcher", {"slug": slug, "title": "H", "layout": layout}), 201)
    return slug


def make_reader_study(archives, slug=READER_STUDY):
    """Reader study ``chest-reads`` (clinician: reader) with question 1 about case 1, the item of
    archive ``lungs``."""
    ok(archives.call("POST", "reader-studies", "researcher", {"slug": slug, "title": "Chest reads"}), 201)
    members, body = f"reader-studies/{slug}/members", {"username": "clinician", "role": "reader"}
    ok(archives.call("POST", members, "researcher", body), 201)
    question = {"text": "Nodule?", "kind": "bool"}
    ok(archives.call("POST", f"reader-studies/{slug}/questions", "researcher", question), 201)
    ok(archives.call("POST", f"reader-studies/{slug}/cases", "researcher", {"archive": ARCHIVE}), 201)


def make_upload(archives, uniq):
    """A new upload session of ``researcher`` with an empty file announced: (session id, file id)."""
    session = ok(archives.call("POST", "upload-sessions", "researcher", {}), 201)
    body = {"filename": f"ct-{uniq}.mha", "size": 0}
    file = ok(archives.call("POST", f"upload-sessions/{session['id']}/files", "researcher", body), 201)["id"]
    ok(archives.call("PUT", f"upload-sessions/{session['id']}/files/{file}", "researcher", raw=b""))
    return session["id"], file


def make_algorithm(apps):
    """Algorithm ``segmenter`` of the researcher, used by the participant, with an uploaded image
    (container image 1, loaded as if by a worker) and job 1 of the participant."""
    challenges = apps["challenges"]
    body = {"slug": ALGORITHM, "title": "Segmenter", "inputs": ["age"], "outputs": ["note"]}
    ok(challenges.call("POST", "algorithms", "researcher", body), 201)
    members = {"username": "participant", "role": "user"}
    ok(challenges.call("POST", f"algorithms/{ALGORITHM}/members", "researcher", members), 201)
    session, file = make_upload(apps["archives"], "algorithm")
    upload = {"upload_session": session, "file": file}
    ok(challenges.call("POST", f"algorithms/{ALGORITHM}/image", "researcher", upload), 202)
    with Session(make_engine(challenges.database_url)) as db:
        algorithm = db.scalar(select(Algorithm).filter_by(slug=ALGORITHM))
        algorithm.container_image = algorithm.container_digest = "sha256:" + "0" * 64
        db.commit()
    build = {"upload_session": session, "files": [file], "entrypoint": "ct-algorithm.mha"}
    ok(challenges.call("POST", f"algorithms/{ALGORITHM}/builds", "researcher", build), 202)  # container image 2
    ok(challenges.call("POST", f"algorithms/{ALGORITHM}/models", "researcher", upload), 202)  # model 1
    return new_job(challenges)


def new_model(apps, uniq):
    """A new model of the algorithm that a worker refused (so that it may be deleted): its id."""
    session, file = make_upload(apps["archives"], uniq)
    upload = {"upload_session": session, "file": file}
    model = ok(apps["challenges"].call("POST", f"algorithms/{ALGORITHM}/models", "researcher", upload), 202)
    with Session(make_engine(apps["challenges"].database_url)) as db:
        advance(db.get(AlgorithmModel, model["id"]), UploadStatus.FAILED)
        db.commit()
    return model["id"]


def make_image(archives):
    """Image 1: a scan of the researcher's in a new case of archive ``lungs`` (a file in the data dir)."""
    with Session(make_engine(archives.database_url)) as db:
        archive = db.scalar(select(Archive).filter_by(slug=ARCHIVE))
        socket = db.scalar(select(Socket).filter_by(slug="ct"))
        image = Image(
            name="scan.mha",
            path="images/scan.mha",
            size=6,
            sha256="0" * 64,
            dimensions=[1, 1],
            spacing=[1, 1],
            origin=[0, 0],
            direction=[1, 0, 0, 1],
            pixel_type="8-bit unsigned integer",
            created_by="researcher",
        )
        db.add(ArchiveItem(archive=archive, values=[make_value(db, socket, image=image)]))
        db.commit()
    path = Path(os.environ["GC_DATA_DIR"], "images/scan.mha")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'"scan"')  # bytes that happen to be JSON: ServiceApp.call decodes every answer
    path.with_suffix(".png").write_bytes(b'"thumbnail"')  # its thumbnail, the same way


def participant_submission(apps):
    """A new predictions submission of the participant to the public phase, with a queued
    evaluation (made in the database: the participant has not passed the hidden parent phase)."""
    with Session(make_engine(apps["challenges"].database_url)) as db:
        phase = db.scalar(select(Phase).where(Phase.slug == PUBLIC_PHASE, Phase.challenge.has(slug=CHALLENGE)))
        submission = Submission(phase=phase, creator="participant", predictions_path="submissions/p.csv")
        db.add(Evaluation(submission=submission))
        db.commit()
        return submission.id


def runs_with_logs(apps, submission_id):
    """Submission ``submission_id``'s evaluation failed after its container ran, with logs; and
    the participant's algorithm submission 2 to the public phase, whose jobs failed with logs on
    a case of archive ``lungs`` (which the participant may read) and on the hidden archive's."""
    with Session(make_engine(apps["challenges"].database_url)) as db:
        evaluation = db.scalar(select(Evaluation).filter_by(submission_id=submission_id))
        run_ended(evaluation, 57, f"the container {EVALUATION_WORDS}; the end of its stderr says why", EVALUATION_LOG)
        phase = evaluation.submission.phase
        algorithm = db.scalar(select(Algorithm).filter_by(slug=ALGORITHM))
        submission = Submission(phase=phase, creator="participant", algorithm=algorithm)
        db.add(submission)
        db.flush()
        for slug, words, log in [(ARCHIVE, "exited with code 1", READABLE_JOB_LOG),
                                 (HIDDEN_ARCHIVE, HIDDEN_JOB_WORDS, HIDDEN_JOB_LOG)]:  # fmt: skip
            item = db.scalar(select(ArchiveItem).where(ArchiveItem.archive.has(slug=slug)))
            job = AlgorithmJob(
                algorithm=algorithm, creator="participant", archive_item=item, submission_id=submission.id
            )
            run_ended(job, 1, words, log)
            db.add(job)
        db.commit()
        assert submission.id == int(NAMES["algorithm_submission"][0])


def evaluation_outputs(apps, submission_id):
    """What submission ``submission_id``'s evaluation wrote besides its metrics: a JSON value
    holding ``EVALUATION_OUTPUT`` and a file (bytes that happen to be JSON, as ``make_image``'s)."""
    path = Path(os.environ["GC_DATA_DIR"], "files/output.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f'"{EVALUATION_OUTPUT}"'.encode())
    file = StoredFile("files/output.csv", path.stat().st_size, "0" * 64)
    with Session(make_engine(apps["challenges"].database_url)) as db:
        evaluation = db.scalar(select(Evaluation).filter_by(submission_id=submission_id))
        sockets = {s.slug: s for s in db.scalars(select(Socket).where(Socket.slug.like("%-file")))}
        evaluation.outputs = [
            make_value(db, sockets["results-json-file"], value={"truth": EVALUATION_OUTPUT}),
            make_value(db, sockets["predictions-csv-file"], file=file),
        ]
        db.commit()


def run_ended(run, exit_code, message, log):
    """``run`` failed after its container exited with ``exit_code``, with ``log`` in both tails."""
    for step in (JobStatus.PROVISIONING, JobStatus.EXECUTING, JobStatus.FAILED):
        advance(run, step)
    run.exit_code, run.error_message = exit_code, message
    run.stdout_tail, run.stderr_tail = f"stdout: {log}", f"stderr: {log}"


def leaderboard_results(apps):
    """Evaluated submissions on the leaderboards: in the public and participants-only phases a
    published result of the participant, in every phase an unpublished one of
    ``UNPUBLISHED_AUTHOR``; all pinned to the phase's secret ground-truth version."""
    with Session(make_engine(apps["challenges"].database_url)) as db:
        for phase in db.scalars(select(Phase).where(Phase.challenge.has(slug=CHALLENGE))):
            authors = [(UNPUBLISHED_AUTHOR, False)] + ([("participant", True)] if phase.slug != HIDDEN_PHASE else [])
            for creator, published in authors:
                submission = Submission(phase=phase, creator=creator, predictions_path="submissions/r.csv")
                db.add(
                    Evaluation(
                        submission=submission,
                        status=JobStatus.SUCCEEDED,
                        published=published,
                        metrics={"aggregates": {"score": 0.5}},
                        method_digest="sha256:" + "1" * 64,
                        ground_truth_version=GROUND_TRUTH["ground_truth_version"],
                    )
                )
        db.commit()


def new_job(challenges):
    return ok(challenges.call("POST", f"algorithms/{ALGORITHM}/jobs", "participant", {"inputs": {"age": 1}}), 201)["id"]


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """Both services on one migrated SQLite file holding the world described at the top."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('matrix')}/gc.sqlite"
    with pytest.MonkeyPatch.context() as monkeypatch, ExitStack() as stack:
        monkeypatch.setitem(apptools.USERS, "participant", apptools.USERS["datascientist"])
        for researcher in ("researcher", "researcher2"):  # researchers create reader studies on the hub
            user = apptools.USERS[researcher]
            scopes = [*user["scopes"], "custom:reader-studies:create"]
            monkeypatch.setitem(apptools.USERS, researcher, {**user, "scopes": scopes})
        monkeypatch.setenv("GC_DATA_DIR", str(tmp_path_factory.mktemp("matrix-data")))  # uploads land here
        stack.enter_context(fake_hub_auth(monkeypatch))
        running = {name: stack.enter_context(service_app(name, database_url)) for name in sorted(SERVICE_ROUTES)}
        make_archives(running["archives"])
        make_reader_study(running["archives"])
        make_challenge(running["challenges"], CHALLENGE)
        ok(running["challenges"].call("PATCH", f"challenges/{CHALLENGE}", "researcher", {"use_teams": True}))
        body = {"name": "Team lungs"}
        ok(running["challenges"].call("POST", f"challenges/{CHALLENGE}/teams", "participant", body), 201)
        make_algorithm(running)
        submission_id = participant_submission(running)
        runs_with_logs(running, submission_id)
        evaluation_outputs(running, submission_id)
        leaderboard_results(running)
        ok(
            running["archives"].call(
                "POST",
                "sockets",
                "researcher",
                {"slug": "ct", "title": "CT", "kind": "image", "relative_path": "images/lung-ct"},
            ),
            201,
        )
        make_image(running["archives"])
        yield running


# --- the matrix ---------------------------------------------------------------------------

unique = itertools.count()


def fill(apps, path):
    """``path`` with its placeholders filled; ``{fresh}`` and ``{request}`` are made now."""
    uniq = str(next(unique))
    values = {name: value for name, (value, _) in NAMES.items()} | {"uniq": uniq}
    if "{upload}" in path:
        values["upload"], values["upload_file"] = make_upload(apps["archives"], uniq)
    if "{new_viewing}" in path:
        values["new_viewing"] = make_viewing(apps["archives"], f"viewing-{uniq}")
    if "{new_archive}" in path:
        values["new_archive"] = f"archive-{uniq}"
        make_archive(apps["archives"], values["new_archive"])
    if "{new_item}" in path:
        item = {"values": {"age": 1}}
        values["new_item"] = ok(apps["archives"].call("POST", f"archives/{ARCHIVE}/items", "researcher", item), 201)[
            "id"
        ]
    if "{new_study}" in path:
        values["new_study"] = f"study-{uniq}"
        make_reader_study(apps["archives"], values["new_study"])
    if "{new_question}" in path:
        question = {"text": f"Q{uniq}?", "kind": "bool"}
        values["new_question"] = ok(
            apps["archives"].call("POST", f"reader-studies/{READER_STUDY}/questions", "researcher", question), 201
        )["id"]
    if "{new_submission}" in path:
        values["new_submission"] = participant_submission(apps)
    if "{new_job}" in path:
        values["new_job"] = new_job(apps["challenges"])
    if "{new_model}" in path:
        values["new_model"] = new_model(apps, uniq)
    if "{teamed}" in path or "{new_invitation}" in path:
        values["teamed"] = f"teamed-{uniq}"
        values["new_team"], values["new_invitation"] = make_teamed(apps["challenges"], values["teamed"])
    if "{fresh}" in path:
        values["fresh"] = f"fresh-{uniq}"
        make_challenge(apps["challenges"], values["fresh"])
        values["request"] = join(apps["challenges"], values["fresh"], "datascientist", decision=None)["id"]
    return path.format(**values), uniq


def fill_body(apps, body, uniq):
    """The row's body with ``{uniq}``, and an upload made for it, filled in."""
    body = body.replace("{uniq}", uniq)
    if "{upload}" in body:
        session, file = make_upload(apps["archives"], uniq)
        body = body.replace('"{upload}"', str(session)).replace('"{upload_file}"', str(file))
    return body


def outcome(status):
    return next((name for name, statuses in OUTCOMES.items() if status in statuses), f"status {status}")


def leaks(body, subject):
    """The secrets that ``body`` shows ``subject``."""
    secrets = SECRETS + (MEMBERS_ONLY if subject != "participant" else [])
    text = json.dumps(body)
    return [secret for secret in secrets if secret in text]


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda r: f"{r.service}:{r.method}:{r.path}")
def test_authorization_matrix(apps, row, subject):
    path, uniq = fill(apps, row.path)
    body = json.loads(fill_body(apps, json.dumps(row.body), uniq))
    status, answer = apps[row.service].call(row.method, path, SUBJECTS[subject], body)
    expected = row.expected[subject]
    assert outcome(status) == expected, f"{row.method} {path} as {subject}: expected {expected}, got {status} {answer}"
    if row.method == "GET" and expected == "allow" and subject != "challenge-admin":
        assert not leaks(answer, subject), f"GET {path} shows {subject} {leaks(answer, subject)}: {answer}"


def test_a_runs_logs_and_own_words_reach_only_those_who_may_read_them(apps):
    """The challenge's admin reads every run's logs and the worker's words; the participant reads
    their job's on a case they may read, and for the evaluation and the hidden case only what
    failed and what to do (see ``runs_with_logs``)."""
    submissions = f"challenges/{CHALLENGE}/phases/{PUBLIC_PHASE}/submissions"
    shown = {
        who: [ok(apps["challenges"].call("GET", f"{submissions}/{number}", who)) for number in (1, 2)]
        for who in ("researcher", "participant")
    }
    [evaluation] = shown["researcher"][0]["evaluations"]
    assert EVALUATION_LOG in evaluation["stdout_tail"] and EVALUATION_LOG in evaluation["stderr_tail"]
    assert EVALUATION_WORDS in evaluation["error_message"]
    assert all(HIDDEN_JOB_LOG in job["stdout_tail"] or READABLE_JOB_LOG in job["stdout_tail"]
               for job in shown["researcher"][1]["jobs"])  # fmt: skip

    [evaluation] = shown["participant"][0]["evaluations"]
    assert "stderr_tail" not in evaluation and "stdout_tail" not in evaluation
    assert evaluation["error_message"] == EVALUATION_FAILURE
    readable, hidden = sorted(shown["participant"][1]["jobs"], key=lambda job: "stdout_tail" not in job)
    assert READABLE_JOB_LOG in readable["stderr_tail"] and readable["error_message"] == "exited with code 1"
    assert "stderr_tail" not in hidden and hidden["error_message"] == HIDDEN_CASE_FAILURE.format(status="failed")
    # No message sends the participant to logs they are not given: those that name logs say whose they are.
    for run in [evaluation, hidden]:
        assert re.search(r"\b(logs?|stderr|stdout)\b", run["error_message"]) and "admins" in run["error_message"]


def openapi_path(template):
    """``challenges/{challenge}/phases/{hidden}?x=y`` → ``/api/v1/challenges/{slug}/phases/{phase}``."""
    path = re.sub(r"\{(\w+)\}", lambda m: "{" + NAMES[m[1]][1] + "}", template.split("?")[0])
    return f"/api/v1/{path}"


@pytest.mark.parametrize("service", sorted(SERVICE_ROUTES))
def test_matrix_has_a_row_for_every_endpoint(apps, service):
    document = ok(apps[service].call("GET", "openapi.json"))
    documented = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    in_matrix = {(openapi_path(r.path), r.method) for r in MATRIX if r.service == service}
    assert documented - in_matrix == set(), "endpoints without a row in MATRIX"
    assert in_matrix - documented == {("/api/v1/openapi.json", "GET")}, "rows of endpoints that do not exist"
