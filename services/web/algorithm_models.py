"""An algorithm's models (served by the challenges service), as on grand-challenge: tarballs of its
weights, uploaded apart from its image, so that its editors swap weights without uploading the
image again. A worker checks and unpacks each (services/tasks/algorithm_models.py); the newest
that succeeds becomes the active one, which every new job of the algorithm finds read-only at
/opt/ml/model/ and every new submission of it is pinned to.

Editors upload, activate and delete models; users of the algorithm see the list. A model that a
job or a submission used is kept (its row and files), so that their results stay traceable.
"""

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import func, select
from tornado import web

from ..api import algorithm_models as shapes
from ..core.errors import Conflict, NotFound
from ..core.orm import AlgorithmJob, AlgorithmModel, Submission, activate, remove
from ..core.orm.algorithm_models import MODELS_FOLDER
from ..core.status import UPLOAD_OPEN
from .algorithms import AlgorithmAccess
from .base import APIHandler, endpoint
from .container_images import UploadedFileAccess


class AlgorithmModelAccess(UploadedFileAccess, AlgorithmAccess):
    """Finding, taking in, changing and deleting an algorithm's models."""

    def algorithm_model(self, algorithm, model_id):
        model = self.db.get(AlgorithmModel, int(model_id))
        if model is None or model.algorithm_id != algorithm.id:
            raise NotFound(f"Algorithm {algorithm.slug!r} has no model {model_id}.")
        return model

    def take_model(self, algorithm, file, comment):
        """A pending model of ``file`` (hard-linked out of its upload session), queued."""
        data_dir = self.platform["settings"].data_dir
        relative = f"{MODELS_FOLDER}/{algorithm.id}/uploads/{uuid.uuid4().hex}"
        Path(data_dir, relative).parent.mkdir(parents=True, exist_ok=True)
        os.link(Path(data_dir, file.upload_path), Path(data_dir, relative))
        model = AlgorithmModel(
            algorithm=algorithm,
            filename=file.filename,
            tarball_path=relative,
            size=file.size,
            comment=comment,
            created_by=self.username,
        )
        self.db.add(model)
        self.commit()
        self.platform["queue"].unpack_algorithm_model(model.id)
        return model

    def change_model(self, model, body):
        given = body.given()
        if "comment" in given:
            model.comment = body.comment
        if given.get("is_active") is True:
            activate(self.db, model)
        elif given.get("is_active") is False:
            model.is_active = False
        self.commit()
        return model

    def delete_model(self, model):
        """Delete ``model`` and its files, unless it is being unpacked or a run used it."""
        described = f"Model {model.id} of algorithm {model.algorithm.slug!r}"
        if model.status in UPLOAD_OPEN:
            raise Conflict(f"{described} is still being checked; delete it once it has succeeded or failed.")
        jobs = self.db.scalar(select(func.count(AlgorithmJob.id)).filter_by(algorithm_model_id=model.id))
        submissions = self.db.scalar(select(func.count(Submission.id)).filter_by(algorithm_model_id=model.id))
        if jobs or submissions:
            raise Conflict(
                f"{described} was used by {jobs} job(s) and {submissions} submission(s); it is kept so that their"
                ' results stay traceable. Stop new jobs using it with {"is_active": false}, or activate another.'
            )
        files = [Path(self.platform["settings"].data_dir, path) for path in (model.tarball_path, model.folder) if path]
        remove(self.db, model)  # Conflict if a job took it meanwhile
        self.commit()
        for path in files:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


class AlgorithmModelHandler(AlgorithmModelAccess, APIHandler):
    pass


class AlgorithmModelsHandler(AlgorithmModelHandler):
    """GET (editors and users): the algorithm's models, newest first. POST (editors):
    {"upload_session": id, "file": id, "comment": text} of an uploaded model tarball (.tar.gz);
    202: a worker checks and unpacks it, then makes it the active model (follow its status at
    ``algorithms/<slug>/models/<id>``)."""

    @endpoint(returns=shapes.AlgorithmModelPage)
    @web.authenticated
    def get(self, slug):
        algorithm = self.algorithm(slug)
        query = select(AlgorithmModel).filter_by(algorithm_id=algorithm.id).order_by(AlgorithmModel.id.desc())
        self.write_model(self.page(query, shapes.AlgorithmModel.of))

    @endpoint(shapes.AlgorithmModelUpload, shapes.AlgorithmModel, 202)
    @web.authenticated
    def post(self, slug):
        algorithm = self.algorithm(slug, editor=True, doing="upload its models")
        body = self.body()
        model = self.take_model(algorithm, self.uploaded_file(body), body.comment)
        self.write_model(shapes.AlgorithmModel.of(model), 202)


class AlgorithmModelDetailHandler(AlgorithmModelHandler):
    """GET (editors and users): one model. PATCH (editors): {"is_active": true} makes it the
    active model (the others stop being active; false leaves none), or a new "comment". DELETE
    (editors): a model no job or submission used, with its files."""

    @endpoint(returns=shapes.AlgorithmModel)
    @web.authenticated
    def get(self, slug, model_id):
        self.write_model(shapes.AlgorithmModel.of(self.algorithm_model(self.algorithm(slug), model_id)))

    @endpoint(shapes.AlgorithmModelChange, shapes.AlgorithmModel)
    @web.authenticated
    def patch(self, slug, model_id):
        algorithm = self.algorithm(slug, editor=True, doing="change its models")
        model = self.change_model(self.algorithm_model(algorithm, model_id), self.body())
        self.write_model(shapes.AlgorithmModel.of(model))

    @endpoint(status=204)
    @web.authenticated
    def delete(self, slug, model_id):
        algorithm = self.algorithm(slug, editor=True, doing="delete its models")
        self.delete_model(self.algorithm_model(algorithm, model_id))
        self.write_no_content()


def routes(prefix):
    models = prefix + r"api/v1/algorithms/(?P<slug>[a-z0-9][a-z0-9-]*)/models"
    return [
        (models, AlgorithmModelsHandler),
        (models + r"/(?P<model_id>[0-9]+)", AlgorithmModelDetailHandler),
    ]
