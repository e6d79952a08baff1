"""What an evaluation wrote besides its metrics (the values of its phase's evaluation additional
outputs), for the challenge's admins only: they may hold the hidden ground truth. The API lists
them with the evaluation (``EvaluationAdmin.outputs``); a file among them is downloaded here."""

from pathlib import Path, PurePosixPath

from tornado import web

from ..core.errors import NotFound
from .base import endpoint
from .image_files import stream_download
from .submissions import SubmissionHandler


def output_file_path(prefix, challenge, phase, evaluation_id, socket):
    """Where a file that an evaluation wrote for ``socket`` is downloaded (EvaluationOutputFileHandler)."""
    return f"{prefix}api/v1/challenges/{challenge}/phases/{phase}/evaluations/{evaluation_id}/outputs/{socket}/file"


class EvaluationOutputFileHandler(SubmissionHandler):
    """GET (challenge admins): the file an evaluation wrote for one of its phase's additional
    outputs, as a download."""

    @endpoint(file_types=("application/octet-stream",))
    @web.authenticated
    async def get(self, slug, phase, evaluation_id, socket):
        evaluation = self.admin_evaluation(slug, phase, evaluation_id)
        value = next((v for v in evaluation.outputs if v.socket.slug == socket and v.file_path), None)
        if value is None:
            raise NotFound(f"Evaluation {evaluation.id} wrote no file for {socket!r}.")
        path = Path(self.platform["settings"].data_dir, value.file_path)
        if not path.is_file():
            raise NotFound(f"The file of {socket!r} is missing on the server; tell the platform's admins.")
        name = f"evaluation-{evaluation.id}-{socket}{PurePosixPath(value.file_path).suffix}"
        await stream_download(self, path, name)


def routes(prefix):
    phase = prefix + r"api/v1/challenges/(?P<slug>[a-z0-9][a-z0-9-]*)/phases/(?P<phase>[a-z0-9][a-z0-9-]*)"
    output = r"/evaluations/(?P<evaluation_id>[0-9]+)/outputs/(?P<socket>[a-z0-9][a-z0-9-]*)/file"
    return [(phase + output, EvaluationOutputFileHandler)]
