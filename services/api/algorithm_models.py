"""The shapes of algorithm models (challenges service): tarballs of an algorithm's weights, uploaded
apart from its image, unpacked once by a worker and mounted read-only at /opt/ml/model/ in its jobs."""

from pydantic import ConfigDict, Field

from ..core.status import UploadStatus
from .common import Body, Shape, Time, page_of
from .fields import Bool, LongText
from .submissions import UploadedFileRef


class AlgorithmModel(Shape):
    """A model of an algorithm: whether it was checked and unpacked, its checksum, and whether
    the algorithm's new jobs use it."""

    id: int
    algorithm: str
    filename: str
    size: int
    sha256: str | None = Field(
        description="The tarball's SHA-256 once checked: it names the model in jobs, submissions and leaderboards."
    )
    comment: str
    status: UploadStatus
    message: str = Field(description="What it holds once unpacked, or why it was refused and what to do.")
    is_active: bool = Field(description="Whether new jobs and submissions of the algorithm use it (one at most).")
    created_by: str
    created_at: Time
    completed_at: Time | None

    @classmethod
    def of(cls, model):
        return cls.from_object(model, algorithm=model.algorithm.slug)


AlgorithmModelPage = page_of(AlgorithmModel)


class AlgorithmModelUpload(UploadedFileRef):
    """A model tarball (.tar.gz, a .tar or a zip) uploaded through an upload session, and a note
    (a version, what it was trained on); it becomes the active model once it is unpacked."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"upload_session": 3, "file": 7, "comment": "fold 0, epoch 40"}]}
    )

    comment: LongText = ""


class AlgorithmModelChange(Body):
    """Make a model the active one (``is_active``: true; the others stop being active) or none
    (false), or change its comment."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"is_active": True}]})

    is_active: Bool = None
    comment: LongText = None
