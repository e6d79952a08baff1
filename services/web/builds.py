"""Algorithm image builds (served by the challenges service): an algorithm's editor hands over
files uploaded through an upload session (code, model weights) and names the entrypoint; a
worker builds an image of the training environment plus those files that runs the entrypoint
under the container contract (``services/tasks/builds.py``), and it becomes the algorithm's image.

A build is a ContainerImage row like a tarball intake; its ``tarball_path`` names the build
context folder (``builds/<uuid>``) instead of a tarball.
"""

import json
import os
import uuid
from pathlib import Path

from tornado import web

from ..api import container_images as shapes
from ..api.submissions import UploadedFileRef
from ..core.errors import GcError, InvalidValue, NotFound
from ..core.orm import ContainerImage
from ..core.orm.container_images import BUILDS_FOLDER
from ..core.paths import inside
from .base import APIHandler, endpoint
from .container_images import IntakeHandler

MAX_BUILD_FILES = 1000
MAX_BUILD_BYTES = 10 * 1024**3
# What a build context holds beside the user's files (which lie under files/).
SPEC_NAME = "build.json"


def is_build(image):
    return image.tarball_path.startswith(BUILDS_FOLDER)


def entrypoint_name(value, filenames):
    """The entrypoint, one of the files sent (the worker checks that it compiles as Python)."""
    if not isinstance(value, str) or value not in filenames:
        raise InvalidValue(
            f"'entrypoint' must be one of the files sent ({', '.join(sorted(filenames))}), not {value!r}."
        )
    return value


class BuildsHandler(IntakeHandler):
    """POST (algorithm editors): {"upload_session": id, "files": [file ids], "entrypoint": name}
    of complete uploads of mine; a worker builds the training image plus these files, running
    ``python <entrypoint>`` as user 1000, checks it and makes it the algorithm's image. 202 with
    the build to follow (GET builds/<id>)."""

    @endpoint(shapes.BuildStart, shapes.Build, 202)
    @web.authenticated
    def post(self, slug):
        algorithm = self.algorithm(slug, editor=True, doing="build its container image")
        body = self.body()
        ids = body.files
        if not isinstance(ids, list) or not ids or len(ids) > MAX_BUILD_FILES or len(set(map(repr, ids))) < len(ids):
            raise InvalidValue(
                f"'files' must be a list of 1 to {MAX_BUILD_FILES} different file ids of the upload session."
            )
        files = [self.uploaded_file(UploadedFileRef(upload_session=body.upload_session, file=id_)) for id_ in ids]
        names = {file.filename for file in files}
        entrypoint = entrypoint_name(body.entrypoint, names)
        size = sum(file.size for file in files)
        if size > MAX_BUILD_BYTES:
            raise GcError(f"The files hold {size:,} bytes; a build takes at most {MAX_BUILD_BYTES:,}.", status=413)
        data_dir = self.platform["settings"].data_dir
        relative = f"{BUILDS_FOLDER}{uuid.uuid4().hex}"
        context = Path(data_dir, relative)
        for file in files:
            target = context / "files" / inside("filename", file.filename)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(Path(data_dir, file.upload_path), target)
        spec = {"entrypoint": entrypoint, "files": sorted(names)}
        (context / SPEC_NAME).write_text(json.dumps(spec))
        image = ContainerImage(owner=self.username, algorithm=algorithm, tarball_path=relative, size=size)
        self.db.add(image)
        self.commit()
        self.platform["queue"].build(image.id)
        self.write_model(shapes.Build.of(image), 202)


class BuildHandler(APIHandler):
    """GET: one build of mine (admins: anyone's): its status, the image's digest once built, or
    why the build failed."""

    @endpoint(returns=shapes.Build)
    @web.authenticated
    def get(self, build_id):
        image = self.db.get(ContainerImage, int(build_id))
        if image is None or not is_build(image) or (image.owner != self.username and not self.user.get("admin")):
            raise NotFound(f"You have no algorithm image build {build_id}.")
        self.write_model(shapes.Build.of(image))


def routes(prefix):
    api = prefix + "api/v1/"
    return [
        (api + r"algorithms/(?P<slug>[a-z0-9][a-z0-9-]*)/builds", BuildsHandler),
        (api + r"builds/(?P<build_id>[0-9]+)", BuildHandler),
    ]
