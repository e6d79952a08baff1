"""A plain Python client of the platform's services, for notebooks and scripts alike.

``Client()`` finds the services and the hub token from the server's environment (a kernel in a
gc-hub server has both); every method returns typed results (``results.py``) or raises one of
``errors.py``'s exceptions, whose one-line message says what to do. Long transfers take a
``progress`` factory (``progress.Progress`` in the magics; nothing by default).
"""

import json
import os
import tarfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import requests

from . import api_types
from .errors import GcError, InvalidInput, JobFailed, NotFound, NotSignedIn, ServiceUnavailable, error_for
from .progress import NoProgress
from .results import (
    AlgorithmJob,
    Build,
    Challenge,
    JoinResult,
    Leaderboard,
    Phase,
    RunResult,
    Submission,
    UploadedFile,
)

CHUNK_BYTES = 8 * 1024 * 1024  # upload chunk size (what the upload page sends, too)
DOWNLOAD_BLOCK = 1024 * 1024
PAGE = 500
TIMEOUT = (5, 120)  # connect, read (seconds)


def services_url(environ=None):
    """Where the services are, as seen from here: GC_SERVICES_URL, else GC_HUB_URL (which the
    spawner sets to the proxy as containers reach it) + services/."""
    environ = os.environ if environ is None else environ
    if environ.get("GC_SERVICES_URL"):
        return environ["GC_SERVICES_URL"].rstrip("/") + "/"
    if environ.get("GC_HUB_URL"):
        return environ["GC_HUB_URL"].rstrip("/") + "/services/"
    raise GcError(
        "This environment does not say where the platform is (GC_HUB_URL is not set).",
        "Run this in a notebook on your gc-hub server, or pass Client(url='http://<hub>/services/', token=...).",
    )


def hub_token(environ=None):
    environ = os.environ if environ is None else environ
    token = environ.get("JUPYTERHUB_API_TOKEN")
    if not token:
        raise NotSignedIn(
            "No hub token: JUPYTERHUB_API_TOKEN is not set.",
            "Run this in a notebook on your gc-hub server,"
            " or pass Client(token=...) with a token from the hub's Token page.",
        )
    return token


def split_phase(spec):
    """``"challenge/phase"`` → ("challenge", "phase"); ``"phase"`` → (None, "phase")."""
    parts = spec.strip().strip("/").split("/")
    if len(parts) == 1 and parts[0]:
        return None, parts[0]
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    raise InvalidInput(
        f"{spec!r} is not a phase.", "Write it as <challenge>/<phase>, e.g. demo-challenge/sanity-check."
    )


class Client:
    """The platform's archives, challenges and leaderboard services, as this notebook's user."""

    def __init__(self, url=None, token=None, *, session=None, poll_s=1.0, sleep=time.sleep):
        self.url = (url.rstrip("/") + "/") if url else services_url()
        self.http = session or requests.Session()
        self.http.headers["Authorization"] = f"token {token or hub_token()}"
        self.poll_s = poll_s
        self.sleep = sleep

    # --- HTTP -------------------------------------------------------------------------------

    def request(self, method, service, path, *, stream=False, **kwargs):
        """The response of ``method`` on ``<service>/api/v1/<path>``; an exception for errors."""
        url = f"{self.url}{service}/api/v1/{path}"
        try:
            response = self.http.request(method, url, timeout=TIMEOUT, stream=stream, **kwargs)
        except requests.ConnectionError:
            raise ServiceUnavailable(f"The {service} service cannot be reached at {self.url}{service}/.") from None
        except requests.Timeout:
            raise ServiceUnavailable(f"The {service} service did not answer in time.") from None
        if response.status_code >= 400:
            raise error_for(response.status_code, self.message_of(response), service)
        return response

    @staticmethod
    def message_of(response):
        try:
            return str(response.json().get("message") or response.reason)
        except (ValueError, AttributeError):
            return response.reason or f"HTTP {response.status_code}"

    def get(self, service, path, **params):
        return self.request("GET", service, path, params=params or None).json()

    def post(self, service, path, body=None):
        return self.request("POST", service, path, json=body if body is not None else {}).json()

    def pages(self, service, path, **params):
        """Every result of a paged list."""
        offset, results = 0, []
        while True:
            page = self.get(service, path, offset=offset, limit=PAGE, **params)
            results += page["results"]
            offset += len(page["results"])
            if not page["results"] or offset >= page["count"]:
                return results

    def wait(self, read, done, on_change=None, timeout_s=None):
        """Call ``read()`` until ``done(result)``; ``on_change(result)`` sees each new state."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            result = read()
            if on_change is not None:
                on_change(result)
            if done(result):
                return result
            if deadline is not None and time.monotonic() > deadline:
                raise GcError(f"Still not done after {timeout_s:.0f} s.", "Follow it later with %gc_status.")
            self.sleep(self.poll_s)

    # --- challenges and phases ----------------------------------------------------------------

    def challenge(self, slug, with_limits=False):
        data = self.get("challenges", f"challenges/{quote(slug)}")
        phases = [Phase.from_json(p) for p in data.get("phases", ())]
        if with_limits and ("participant" in data["my_roles"] or "admin" in data["my_roles"]):
            phases = [self.with_submissions_left(phase) for phase in phases]
        return Challenge.from_json(data, phases)

    def challenges(self, with_limits=True):
        """Every challenge with the phases I may see; for those I joined, submissions left."""
        return [self.challenge(c["slug"], with_limits) for c in self.pages("challenges", "challenges")]

    def with_submissions_left(self, phase):
        if phase.submissions_limit is None:
            return phase
        since = None
        if phase.submissions_period_days:
            since = datetime.now(UTC) - timedelta(days=phase.submissions_period_days)
        counted = 0
        for data in self.pages("challenges", f"challenges/{phase.challenge}/phases/{phase.slug}/submissions"):
            created = datetime.fromisoformat(data["created_at"])
            if (since is None or created >= since) and data["status"] not in ("failed", "cancelled"):
                counted += 1
        return Phase(**{**phase.__dict__, "submissions_left": max(0, phase.submissions_limit - counted)})

    def join(self, challenge, message=""):
        """Join ``challenge`` (a request its admins decide); who I am there afterwards."""
        try:
            data = self.post("challenges", f"challenges/{quote(challenge)}/join", {"message": message})
        except GcError as error:
            if error.status == 409 and "already" in error.message and "take part" in error.message:
                return JoinResult(challenge, "participant", f"You take part in {challenge} already.")
            raise
        status = data["status"]
        text = {
            "pending": f"Asked to join {challenge}: its admins decide; %gc_challenges shows when you are in.",
            "accepted": f"You joined {challenge}.",
        }.get(status, f"Join request to {challenge}: {status}.")
        return JoinResult(challenge, status, text)

    def phase(self, spec):
        """The phase named ``challenge/phase``, or ``phase`` alone when only one challenge I take
        part in (or administer) has a phase of that name, or else only one that I can see."""
        challenge_slug, phase_slug = split_phase(spec)
        if challenge_slug:
            try:
                data = self.get("challenges", f"challenges/{quote(challenge_slug)}/phases/{quote(phase_slug)}")
            except NotFound as missing:
                raise NotFound(missing.message, self.outsider_hint(challenge_slug)) from None
            return Phase.from_json(data)
        unique = self.phases_named(phase_slug, ("participant", "admin")) or self.phases_named(phase_slug)
        if len(unique) == 1:
            return next(iter(unique.values()))
        if not unique:
            raise NotFound(
                f"No challenge you can see has a phase {phase_slug!r}.",
                "Write <challenge>/<phase>; %gc_challenges lists them.",
            )
        raise InvalidInput(
            f"Several challenges have a phase {phase_slug!r}: {', '.join(sorted(unique))}.",
            "Write <challenge>/<phase>.",
        )

    def phases_named(self, slug, roles=(None,)):
        """``{name: Phase}`` of the phases called ``slug`` in the challenges where I hold one of
        ``roles`` (None: in every challenge), as far as I may see them."""
        found = []
        for role in roles:
            for data in self.pages("challenges", "challenges", **({"role": role} if role else {})):
                detail = self.get("challenges", f"challenges/{data['slug']}")
                found += [Phase.from_json(p) for p in detail["phases"] if p["slug"] == slug]
        return {phase.name: phase for phase in found}

    def outsider_hint(self, challenge):
        """What to do about a phase of ``challenge`` that I cannot see: join it if I am not in it."""
        try:
            joined = self.challenge(challenge).joined
        except NotFound:
            return NotFound.hint
        if joined:
            return NotFound.hint
        return f"Its participants may see more of its phases: join it with %gc_join {challenge}, then try again."

    # --- training data ------------------------------------------------------------------------

    def training_archive(self, challenge, phase=None):
        """The archive with ``challenge``'s training data: of ``phase``, or of its first phase
        whose cases I may read."""
        phases = [phase] if phase else [p.slug for p in self.challenge(challenge).phases]
        for slug in phases:
            try:
                return self.get("challenges", f"challenges/{quote(challenge)}/phases/{quote(slug)}/training-data")[
                    "archive"
                ]
            except NotFound:
                if phase:
                    raise
        raise NotFound(
            f"Challenge {challenge!r} has no training data that you may download.",
            "Join it first (%gc_join), or ask its admins where the training data is.",
        )

    def cases(self, archive) -> list[api_types.ArchiveItem]:
        """The cases of an archive I may read: ``[{"id", "values": {socket: value}}]``."""
        return self.pages("archives", f"archives/{quote(archive)}/items")

    def download_image(self, image_id, folder, progress=NoProgress):
        """Save image ``image_id``'s file in ``folder`` under its own name (skipped when it is
        there with the right size already); its path."""
        response = self.request("GET", "archives", f"images/{image_id}/file", stream=True)
        target = Path(folder) / self.image_name(response.headers, image_id)
        size = int(response.headers.get("Content-Length", 0))
        if target.is_file() and target.stat().st_size == size:
            response.close()
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with progress(target.name, size) as bar, open(partial, "wb") as sink:
            for block in response.iter_content(DOWNLOAD_BLOCK):
                sink.write(block)
                bar.update(len(block))
        partial.replace(target)
        return target

    @staticmethod
    def image_name(response_headers, image_id):
        disposition = response_headers.get("Content-Disposition", "")
        name = disposition.split("filename=", 1)[-1].strip('"') if "filename=" in disposition else ""
        return PurePosixPath(name).name or f"image-{image_id}.mha"

    def download(self, challenge, phase=None, to=None, progress=NoProgress):
        """Download the training cases of ``challenge`` into ``to`` (default ``data/<challenge>``):
        each image as ``<socket>/<file>``, and ``cases.json`` with every case's values (images
        by their saved paths). The saved files, in case order."""
        archive = self.training_archive(challenge, phase)
        folder = Path(to or Path("data") / challenge)
        cases = self.cases(archive)
        images = [
            (case, socket, value["image"])
            for case in cases
            for socket, value in case["values"].items()
            if isinstance(value, dict) and "image" in value
        ]
        saved, listing = [], []
        with progress(f"{challenge}: {len(images)} images", len(images), unit="images") as overall:
            paths = {}
            for case, socket, image_id in images:
                paths[(case["id"], socket)] = self.download_image(image_id, folder / socket)
                saved.append(paths[(case["id"], socket)])
                overall.update(1)
        for case in cases:
            values = {
                socket: str(paths[(case["id"], socket)].relative_to(folder)) if (case["id"], socket) in paths else value
                for socket, value in case["values"].items()
            }
            listing.append({"case": case["id"], "values": values})
        (folder / "cases.json").write_text(
            json.dumps({"challenge": challenge, "archive": archive, "cases": listing}, indent=2)
        )
        return saved

    # --- uploads ------------------------------------------------------------------------------

    def upload(self, paths, progress=NoProgress, **target):
        """Upload files in chunks into a new upload session (``archive=``, ``socket=`` to add
        them as cases of an archive); the uploaded files, each with its session and id."""
        paths = [Path(p) for p in paths]
        for path in paths:
            if not path.is_file():
                raise InvalidInput(
                    f"No file {str(path)!r} here.", "Give the path of an existing file (relative to the notebook)."
                )
        session = self.post("archives", "upload-sessions", target)["id"]
        uploaded = []
        for path in paths:
            size = path.stat().st_size
            file = self.post("archives", f"upload-sessions/{session}/files", {"filename": path.name, "size": size})[
                "id"
            ]
            self.put_file(session, file, path, size, progress)
            uploaded.append(UploadedFile(session, file, path.name, size))
        return uploaded

    def put_file(self, session, file, path, size, progress):
        url = f"upload-sessions/{session}/files/{file}"
        with progress(f"uploading {path.name}", size) as bar, open(path, "rb") as stream:
            if size == 0:
                self.request("PUT", "archives", url, data=b"")
            first = 0
            while first < size:
                chunk = stream.read(CHUNK_BYTES)
                last = first + len(chunk) - 1
                headers = {"Content-Range": f"bytes {first}-{last}/{size}"}
                self.request("PUT", "archives", url, data=chunk, headers=headers)
                first = last + 1
                bar.update(len(chunk))

    def import_images(self, paths, progress=NoProgress):
        """Upload image files and import them; image ids by path, or JobFailed with each file's reason."""
        uploaded = self.upload(paths, progress)
        session = uploaded[0].session
        self.post("archives", f"upload-sessions/{session}/import")
        result: api_types.UploadSession = self.wait(
            lambda: self.get("archives", f"upload-sessions/{session}"),
            lambda s: s["status"] not in ("pending", "importing"),
        )
        by_name = {f["filename"]: f for f in result["files"]}
        failed = [
            f"{f['filename']}: {f['message']}"
            for f in result["files"]
            if f["status"] != "succeeded" and not f.get("extracted_from")
        ]
        if failed or result["status"] != "succeeded":
            reasons = "; ".join(failed) or result.get("message") or result["status"]
            raise InvalidInput(
                f"The platform could not import your file(s): {reasons}.",
                "Give images in a format it reads (.mha, .mhd, .nii.gz, .nrrd, .tif, DICOM…).",
            )
        return {Path(p): by_name[Path(p).name]["image"] for p in paths}

    # --- submissions --------------------------------------------------------------------------

    def submissions_path(self, phase):
        return f"challenges/{phase.challenge}/phases/{phase.slug}/submissions"

    def described(self, said, supplementary, progress=NoProgress):
        """What a submission says of its method: ``said`` (method_name, method_description, url,
        comment; empty ones left out), and the PDF at ``supplementary`` uploaded."""
        body = {field: text for field, text in (said or {}).items() if text}
        if supplementary:
            pdf = self.upload([Path(supplementary)], progress)[0]
            body["supplementary_file"] = {"upload_session": pdf.session, "file": pdf.file}
        return body

    def submit_predictions(self, phase, path, progress=NoProgress, said=None, supplementary=None):
        """Submit a predictions file to ``phase`` (a Phase or its name), with what it says of its
        method (``said``, ``supplementary``: see ``described``) as the phase asks."""
        phase = phase if isinstance(phase, Phase) else self.phase(phase)
        path = Path(path)
        if phase.submission_kind == "algorithm":
            raise InvalidInput(
                f"Phase {phase.name} takes algorithms, not predictions files.",
                f"Submit one with %gc_submit {phase.name} --algorithm <name>.",
            )
        if path.suffix.lower() == ".zip" and path.is_file() and not zipfile.is_zipfile(path):
            raise InvalidInput(
                f"{path.name} is not a zip file.", "Zip your predictions again (e.g. with zipfile.ZipFile)."
            )
        self.check_open(phase)
        described = self.described(said, supplementary, progress)
        file = self.upload([path], progress)[0]
        body = {"upload_session": file.session, "file": file.file, **described}
        return Submission.from_json(self.post("challenges", self.submissions_path(phase), body))

    def submit_algorithm(self, phase, algorithm, said=None, supplementary=None):
        phase = phase if isinstance(phase, Phase) else self.phase(phase)
        if phase.submission_kind != "algorithm":
            raise InvalidInput(
                f"Phase {phase.name} takes a predictions file, not an algorithm.",
                f"Submit one with %gc_submit {phase.name} <predictions file>.",
            )
        body = {"algorithm": algorithm, **self.described(said, supplementary)}
        return Submission.from_json(self.post("challenges", self.submissions_path(phase), body))

    def check_open(self, phase):
        if not phase.is_open():
            when = (
                f"opens at {phase.opens_at:%Y-%m-%d %H:%M} UTC"
                if phase.opens_at and phase.opens_at > datetime.now(UTC)
                else f"closed at {phase.closes_at:%Y-%m-%d %H:%M} UTC"
            )
            raise GcError(f"Phase {phase.name} {when}.", "%gc_challenges shows which phases are open.")

    def submission(self, phase, submission_id):
        phase = phase if isinstance(phase, Phase) else self.phase(phase)
        return Submission.from_json(self.get("challenges", f"{self.submissions_path(phase)}/{submission_id}"))

    def my_submissions(self):
        """``(Phase, submission summary)`` of every submission of mine, newest first."""
        found = []
        for data in self.pages("challenges", "challenges", role="participant"):
            for phase in self.challenge(data["slug"]).phases:
                found += [(phase, s) for s in self.pages("challenges", self.submissions_path(phase))]
        return sorted(found, key=lambda pair: pair[1]["id"], reverse=True)

    def find_submission(self, submission_id=None):
        """My submission ``submission_id`` (default: my newest), found among my phases; given an
        id, also anyone's in the challenges I administer."""
        for phase, data in self.my_submissions():
            if submission_id is None or data["id"] == int(submission_id):
                return self.submission(phase, data["id"])
        if submission_id is None:
            raise NotFound(
                "You have no submissions yet.", "Submit with %gc_submit <phase> <file> or --algorithm <name>."
            )
        for data in self.pages("challenges", "challenges", role="admin"):
            for phase in self.challenge(data["slug"]).phases:
                try:
                    return self.submission(phase, submission_id)
                except NotFound:
                    continue
        raise NotFound(f"You have no submission {submission_id}.", "Your newest one: %gc_status without an id.")

    def wait_submission(self, submission, on_change=None, timeout_s=None):
        phase = self.phase(f"{submission.challenge}/{submission.phase}")
        return self.wait(lambda: self.submission(phase, submission.id), lambda s: s.done, on_change, timeout_s)

    # --- algorithms, builds, jobs -------------------------------------------------------------

    def algorithm(self, slug) -> api_types.Algorithm:
        return self.get("challenges", f"algorithms/{quote(slug)}")

    def create_algorithm(self, slug, title=None, inputs=(), outputs=(), **limits) -> api_types.Algorithm:
        body = {"slug": slug, "title": title or slug, "inputs": list(inputs), "outputs": list(outputs), **limits}
        return self.post("challenges", "algorithms", body)

    def ensure_algorithm(self, slug, inputs=(), outputs=()) -> api_types.Algorithm:
        """Algorithm ``slug``, created with ``inputs`` and ``outputs`` (socket slugs) if it is new."""
        try:
            return self.algorithm(slug)
        except NotFound:
            if not inputs or not outputs:
                raise InvalidInput(
                    f"There is no algorithm {slug!r} of yours yet.",
                    "To create it, say what it takes and makes: --inputs ct-image --outputs segmentation.",
                ) from None
            return self.create_algorithm(slug, inputs=inputs, outputs=outputs)

    def build_algorithm(self, slug, entrypoint, files=(), progress=NoProgress, inputs=(), outputs=()):
        """Build ``slug``'s image on the platform: this training image plus ``files`` (the
        entrypoint among them), running ``python <entrypoint>``. The build, queued."""
        self.ensure_algorithm(slug, inputs, outputs)
        paths = list(dict.fromkeys(Path(f) for f in [entrypoint, *files]))
        names = [p.name for p in paths]
        if len(set(names)) != len(names):
            raise InvalidInput("Two of the files have the same name.", "Give each file a different name.")
        uploaded = self.upload(paths, progress)
        body = {
            "upload_session": uploaded[0].session,
            "files": [f.file for f in uploaded],
            "entrypoint": Path(entrypoint).name,
        }
        return Build.from_json(self.post("challenges", f"algorithms/{quote(slug)}/builds", body))

    def build(self, build_id):
        return Build.from_json(self.get("challenges", f"builds/{build_id}"))

    def wait_build(self, build, on_change=None, timeout_s=None):
        done = self.wait(lambda: self.build(build.id), lambda b: b.done, on_change, timeout_s)
        if done.status != "succeeded":
            raise JobFailed(
                f"The build of {done.algorithm} failed: {done.error_message or done.status}",
                "Fix the files and build again.",
            )
        return done

    def job(self, job_id):
        return AlgorithmJob.from_json(self.get("challenges", f"algorithm-jobs/{job_id}"))

    def start_job(self, algorithm, inputs):
        return AlgorithmJob.from_json(
            self.post("challenges", f"algorithms/{quote(algorithm)}/jobs", {"inputs": inputs})
        )

    def run(self, algorithm, paths, to=None, progress=NoProgress, on_change=None, timeout_s=None):
        """Run ``algorithm`` on each of my image files (one job each) and save the outputs under
        ``to`` (default ``outputs/<algorithm>``)/<input name>/."""
        spec = self.algorithm(algorithm)
        if len(spec["inputs"]) != 1:
            raise InvalidInput(
                f"Algorithm {algorithm} takes {len(spec['inputs'])} inputs ({', '.join(spec['inputs'])}).",
                "%gc_run runs algorithms with one image input; use Client.start_job for others.",
            )
        socket = spec["inputs"][0]
        images = self.import_images(paths, progress)
        jobs = {path: self.start_job(algorithm, {socket: {"image": image}}) for path, image in images.items()}
        folder = Path(to or Path("outputs") / algorithm)
        results = []
        for path, job in jobs.items():
            job = self.wait(lambda job=job: self.job(job.id), lambda j: j.done, on_change, timeout_s)
            if job.status != "succeeded":
                raise JobFailed(
                    f"Job {job.id} on {path.name} {job.status}: {job.error_message or job.stderr_tail[-300:]}",
                    f"Look at its logs with %gc_status --job {job.id}.",
                )
            results.append(RunResult(path, job, self.save_outputs(job, folder / path.name.split(".")[0])))
        return results

    def save_outputs(self, job, folder):
        saved = {}
        for socket, value in job.outputs.items():
            if isinstance(value, dict) and "image" in value:
                saved[socket] = self.download_image(value["image"], folder / socket)
            else:
                saved[socket] = folder / f"{socket}.json"
                saved[socket].parent.mkdir(parents=True, exist_ok=True)
                saved[socket].write_text(json.dumps(value))
        return saved

    # --- teams ------------------------------------------------------------------------------

    def teams(self, challenge) -> list[api_types.Team]:
        return self.pages("challenges", f"challenges/{quote(challenge)}/teams")

    def my_team(self, challenge) -> api_types.Team | None:
        """My team in ``challenge``, or None."""
        me = self.get("challenges", "me")["name"]
        return next((team for team in self.teams(challenge) if me in team["members"]), None)

    def create_team(self, challenge, name) -> api_types.Team:
        return self.post("challenges", f"challenges/{quote(challenge)}/teams", {"name": name})

    def invite(self, challenge, username) -> api_types.TeamInvitation:
        """Invite ``username`` into my team of ``challenge``."""
        team = self.my_team(challenge)
        if team is None:
            raise GcError(f"You are in no team of {challenge}.", f"Make one first: %gc_team {challenge} create <name>.")
        return self.post(
            "challenges", f"challenges/{quote(challenge)}/teams/{team['id']}/invitations", {"username": username}
        )

    def team_invitations(self, pending_only=True) -> list[api_types.TeamInvitation]:
        return self.pages("challenges", "team-invitations", **({"status": "pending"} if pending_only else {}))

    def answer_invitation(self, invitation_id, accept) -> api_types.TeamInvitation:
        decision = "accept" if accept else "refuse"
        return self.post("challenges", f"team-invitations/{int(invitation_id)}", {"decision": decision})

    def leave_team(self, challenge):
        """Leave my team of ``challenge``; its name."""
        team = self.my_team(challenge)
        if team is None:
            raise GcError(f"You are in no team of {challenge}.", "Nothing to leave.")
        me = self.get("challenges", "me")["name"]
        path = f"challenges/{quote(challenge)}/teams/{team['id']}/members"
        self.request("DELETE", "challenges", path, params={"username": me})
        return team["name"]

    # --- notifications ------------------------------------------------------------------------

    def notifications(self, unread_only=False, limit=20) -> list[api_types.Notification]:
        """My newest notifications (only the unread ones when ``unread_only``)."""
        return self.get("challenges", "notifications", unread=str(unread_only).lower(), limit=limit)["results"]

    def unread_count(self) -> int:
        return self.get("challenges", "notifications/unread")["unread"]

    def mark_read(self, ids=None) -> api_types.Marked:
        """Mark my notifications ``ids`` read (all of them when None)."""
        return self.post("challenges", "notifications/read", {"all": True} if ids is None else {"ids": list(ids)})

    # --- algorithm models -------------------------------------------------------------------

    def models_path(self, algorithm, model_id=None):
        path = f"algorithms/{quote(algorithm)}/models"
        return path if model_id is None else f"{path}/{model_id}"

    def algorithm_models(self, algorithm) -> list[api_types.AlgorithmModel]:
        """The models of ``algorithm``, newest first (the active one marked ``is_active``)."""
        return self.pages("challenges", self.models_path(algorithm))

    def algorithm_model(self, algorithm, model_id) -> api_types.AlgorithmModel:
        return self.get("challenges", self.models_path(algorithm, model_id))

    def upload_model(self, algorithm, path, comment="", progress=NoProgress) -> api_types.AlgorithmModel:
        """Upload the model tarball at ``path`` for ``algorithm`` (of which I am an editor): the
        model, pending; a worker checks and unpacks it, then it becomes the active model."""
        path = Path(path)
        if path.is_file() and not (tarfile.is_tarfile(path) or zipfile.is_zipfile(path)):
            raise InvalidInput(
                f"{path.name} is not a tarball (.tar.gz) or a zip.",
                "Pack the model's files into one: tar -czf model.tar.gz -C <folder of the files> .",
            )
        self.algorithm(algorithm)  # an unknown algorithm says so before a long upload
        file = self.upload([path], progress)[0]
        body = {"upload_session": file.session, "file": file.file, "comment": comment}
        return self.post("challenges", self.models_path(algorithm), body)

    def wait_model(self, model, on_change=None, timeout_s=None) -> api_types.AlgorithmModel:
        """``model`` once a worker has checked it; JobFailed with the reason if it was refused."""
        done = self.wait(
            lambda: self.algorithm_model(model["algorithm"], model["id"]),
            lambda m: m["status"] not in ("pending", "importing"),
            on_change,
            timeout_s,
        )
        if done["status"] != "succeeded":
            raise JobFailed(
                f"Model {done['id']} of {done['algorithm']} was refused: {done['message']}",
                "Pack the model's files again (tar -czf model.tar.gz -C <folder> .) and upload that.",
            )
        return done

    def activate_model(self, algorithm, model_id, active=True) -> api_types.AlgorithmModel:
        """Make model ``model_id`` the active model of ``algorithm`` (or, with ``active`` false, none)."""
        path = self.models_path(algorithm, model_id)
        return self.request("PATCH", "challenges", path, json={"is_active": active}).json()

    # --- reading: archives, reader studies, answers ------------------------------------------

    def archives(self) -> list[api_types.Archive]:
        """The archives I hold a role on."""
        return self.pages("archives", "archives")

    def socket_kinds(self):
        """Every socket's kind by its slug (``{"ct-image": "image", ...}``)."""
        return {s["slug"]: s["kind"] for s in self.pages("archives", "sockets")}

    def reader_studies(self) -> list[api_types.ReaderStudy]:
        """The reader studies I hold a role on."""
        return self.pages("archives", "reader-studies")

    def reader_study(self, slug):
        """One reader study with its ordered questions and its cases."""
        path = f"reader-studies/{quote(slug)}"
        study = self.get("archives", path)
        study["questions"] = self.pages("archives", f"{path}/questions")
        study["cases"] = self.pages("archives", f"{path}/cases")
        return study

    def my_answers(self, study):
        """My answers in ``study``, by (question id, case id)."""
        answers = self.pages("archives", f"reader-studies/{quote(study)}/answers")
        return {(a["question"], a["case"]): a["value"] for a in answers}

    def reading_progress(self, study) -> api_types.Progress:
        """How far I am in ``study``: my order of its cases, those I have finished, the answers the
        next one starts with (roll-over) and, once I have finished, its end text."""
        return self.get("archives", f"reader-studies/{quote(study)}/progress")

    def save_answer(self, study, question, case, value) -> api_types.Answer:
        """Give (or change) my answer to ``question`` about ``case``."""
        body = {"question": question, "case": case, "value": value}
        return self.post("archives", f"reader-studies/{quote(study)}/answers", body)

    def reveal_ground_truth(self, study, case) -> api_types.CaseGroundTruth:
        """Reveal to me the ground truth of a case I answered, in an educational reader study; my
        answers to it are final from then on. Revealing it again shows it again."""
        return self.post("archives", f"reader-studies/{quote(study)}/cases/{case}/ground-truth")

    def reader_leaderboard(self, study) -> api_types.ReaderLeaderboard:
        """The readers of ``study`` ranked by score (the others' names hidden from a reader)."""
        return self.get("archives", f"reader-studies/{quote(study)}/leaderboard")

    def viewing(self, shown) -> tuple[dict, list | None]:
        """How the cases of ``shown`` (a reader study or archive as the API gives it) are shown: its
        viewer configuration's settings ({} without one) and its hanging protocol's layout (None
        without one)."""
        configuration, protocol = shown.get("viewer_configuration"), shown.get("hanging_protocol")
        settings = (
            self.get("archives", f"viewer-configurations/{quote(configuration)}")["settings"] if configuration else {}
        )
        layout = self.get("archives", f"hanging-protocols/{quote(protocol)}")["layout"] if protocol else None
        return settings, layout

    def algorithms(self) -> list[api_types.Algorithm]:
        """The algorithms I may see (those I may run among them)."""
        return self.pages("challenges", "algorithms")

    # --- leaderboards -------------------------------------------------------------------------

    def leaderboard(self, phase):
        """The whole ranked leaderboard of ``phase`` (a Phase or its name)."""
        phase = phase if isinstance(phase, Phase) else self.phase(phase)
        path = f"leaderboards/{phase.challenge}/{phase.slug}"
        first = self.get("leaderboard", path, bootstrap="false", limit=PAGE)
        entries = list(first["results"])
        while len(entries) < first["count"]:
            page = self.get("leaderboard", path, bootstrap="false", limit=PAGE, offset=len(entries))
            if not page["results"]:
                break
            entries += page["results"]
        return Leaderboard.from_json(first, entries)
