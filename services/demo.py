"""The demo content that `gc-hub up` puts in an empty platform: archives of synthetic scans, a
challenge that runs the example images, an algorithm to submit, and a reader study.

Made once (nothing is touched when the demo archive exists already), straight into the platform
database and data directory, with the demo users of hub_config in their roles: the researcher
edits the archives, runs the challenge and edits the reader study, the data scientists take part
(and may read the sanity-check cases), the clinician reads the demo archive, answers the reader
study and may run the demo algorithm on a case.

- ``demo-archive``: three scans (``ct-image``) with age and sex; the sanity-check cases.
- ``demo-hidden-cases``: four scans only the researcher sees; the final phase's test set.
- ``demo-challenge``: ``sanity-check`` (public, algorithms, on demo-archive), ``final``
  (participants, algorithms, after the sanity check, 3 a day, on the hidden cases) and
  ``predictions`` (participants, a zip of ``<case>.mha`` masks of the demo-archive scans). The
  example evaluation image scores each (Dice); ground truth is the example algorithm's own output.
- ``demo-otsu``: the example algorithm, edited by the first data scientist, ready to submit; the
  clinician is one of its users.
- ``demo-reading``: an educational reader study of the demo-archive scans with six questions
  (``READING_QUESTIONS``); ground truth for the yes/no, choice, number and point questions: a
  bright structure, high confidence, the example algorithm's foreground fraction, and the
  centroid of its mask (in mm; a click within 10 mm of it is right).
"""

import tempfile
from datetime import timedelta
from pathlib import Path

import SimpleITK as sitk
from sqlalchemy import select
from sqlalchemy.orm import Session

from .contract import store_image
from .core.database import make_engine
from .core.migrations import upgrade
from .core.orm import (
    Algorithm,
    AlgorithmRole,
    Archive,
    ArchiveItem,
    ArchiveRole,
    Challenge,
    ChallengeRole,
    Phase,
    Question,
    ReaderStudy,
    ReaderStudyCase,
    ReaderStudyRole,
    Socket,
    SocketKind,
    SubmissionKind,
    Visibility,
    find_interface,
    grant,
    make_ground_truth,
    make_value,
    utcnow,
)

ARCHIVE, HIDDEN_ARCHIVE = "demo-archive", "demo-hidden-cases"
CHALLENGE, ALGORITHM, READING = "demo-challenge", "demo-otsu", "demo-reading"
ALGORITHM_IMAGE, EVALUATION_IMAGE = "gc-hub/example-algorithm:latest", "gc-hub/example-evaluation:latest"
CASES = [{"age": 63, "sex": "F"}, {"age": 48, "sex": "M"}, {"age": 71, "sex": "M"}]
HIDDEN_CASES = 4
SOCKETS = {  # ct-image is grand-challenge's (services/core/catalogue.py); the others the researcher's
    "segmentation": SocketKind.SEGMENTATION,
    "foreground-fraction": SocketKind.FLOAT,
    "age": SocketKind.INTEGER,
    "sex": SocketKind.STRING,
}
READING_QUESTIONS = [  # text, kind, options, required
    ("Is there a bright structure?", SocketKind.BOOL, {}, True),
    ("How confident are you?", SocketKind.CHOICE, {"choices": ["low", "medium", "high"]}, True),
    ("Estimated foreground fraction (%)", SocketKind.FLOAT, {"minimum": 0, "maximum": 100}, True),
    ("Findings", SocketKind.STRING, {}, False),
    ("Centre of the structure", SocketKind.POINT, {"tolerance": 10}, True),
    ("Extent of the structure", SocketKind.BOUNDING_BOX_2D, {}, False),
]


def synthetic_scan(number):
    """A 64×64×32 int16 'scan': a bright blob whose place and size vary with ``number``."""
    mean = [20 + 6 * (number % 4), 24 + 3 * (number % 3), 12 + number % 5]
    sigma = [5 + number % 3, 6, 3 + number % 2]
    blob = sitk.GaussianSource(sitk.sitkFloat32, size=[64, 64, 32], sigma=sigma, mean=mean, scale=1000)
    image = sitk.Cast(blob, sitk.sitkInt16) + 40
    image.SetSpacing((0.7, 0.7, 2.0))
    return image


def otsu_mask(image):
    """What the example algorithm makes of ``image``: the demo's ground truth."""
    otsu = sitk.OtsuThresholdImageFilter()
    otsu.SetInsideValue(0)
    otsu.SetOutsideValue(1)
    mask = sitk.Cast(otsu.Execute(image), sitk.sitkUInt8)
    mask.CopyInformation(image)
    return mask


def add_scans(session, archive, sockets, names, data_dir, owner, metadata=None):
    """A case of ``archive`` per name, with a stored synthetic scan; their images."""
    images = {}
    with tempfile.TemporaryDirectory() as folder:
        for number, name in enumerate(names):
            path = Path(folder, f"{name}.mha")
            sitk.WriteImage(synthetic_scan(number + len(archive.slug)), str(path), True)
            image = store_image(session, path, data_dir, owner=owner)
            item = ArchiveItem(archive=archive, values=[make_value(session, sockets["ct-image"], image=image)])
            for slug, value in (metadata[number] if metadata else {}).items():
                item.values.append(make_value(session, sockets[slug], value=value))
            session.add(item)
            images[name] = image
    return images


def write_ground_truth(images, data_dir, relative):
    """Masks of ``images`` as ``<case>.mha`` in ``relative`` (in the data directory)."""
    folder = Path(data_dir, relative)
    folder.mkdir(parents=True, exist_ok=True)
    for name, image in images.items():
        sitk.WriteImage(otsu_mask(sitk.ReadImage(str(Path(data_dir, image.path)))), str(folder / f"{name}.mha"), True)
    return relative


def scan_truth(image, data_dir):
    """The demo reading's ground truth of a stored scan, by question text."""
    scan = sitk.ReadImage(str(Path(data_dir, image.path)))
    mask = otsu_mask(scan)
    statistics = sitk.StatisticsImageFilter()
    statistics.Execute(mask)
    shape = sitk.LabelShapeStatisticsImageFilter()
    shape.Execute(mask)
    centre = shape.GetCentroid(1)  # of the bright structure, in mm
    return {
        "Is there a bright structure?": True,
        "How confident are you?": "high",
        "Estimated foreground fraction (%)": round(100 * statistics.GetMean(), 1),
        "Centre of the structure": {"type": "Point", "point": [round(c, 3) for c in centre]},
    }


def add_reading(session, archive, data_dir, editor, reader):
    """The demo reader study: a case per item of ``archive``, its questions and ground truth."""
    study = ReaderStudy(
        slug=READING,
        title="Demo reading: foreground in CT",
        created_by=editor,
        educational=True,
        description="Look at each scan and say what you see; then compare with the ground truth.",
    )
    study.questions.extend(Question(text=text, kind=kind, options=options, required=required)
                           for text, kind, options, required in READING_QUESTIONS)  # fmt: skip
    study.cases.extend(ReaderStudyCase(values=list(item.values)) for item in archive.items)
    session.add(study)
    session.flush()
    questions = {q.text: q for q in study.questions}
    for case, item in zip(study.cases, archive.items, strict=True):
        image = next(value.image for value in item.values if value.image)
        for text, value in scan_truth(image, data_dir).items():
            make_ground_truth(session, questions[text], case, value, created_by=editor)
    grant(session, study, editor, ReaderStudyRole.EDITOR)
    grant(session, study, reader, ReaderStudyRole.READER)


def seed_demo(database_url, data_dir, *, image_ids=None, researcher="researcher",
              scientists=("datascientist", "datascientist2"), clinician="clinician"):  # fmt: skip
    """Create the demo content unless it exists; what was made, in words. ``image_ids`` maps the
    example images' names to their IDs on the engine (the demo algorithm is pinned to it)."""
    upgrade(database_url)
    image_ids = image_ids or {}
    with Session(make_engine(database_url)) as session:
        if session.scalar(select(Archive).filter_by(slug=ARCHIVE)):
            return []
        sockets = {"ct-image": session.scalar(select(Socket).filter_by(slug="ct-image"))}
        for slug, kind in SOCKETS.items():
            sockets[slug] = session.scalar(select(Socket).filter_by(slug=slug)) or Socket(
                slug=slug, title=slug.replace("-", " ").capitalize(), kind=kind, created_by=researcher
            )
        # Phases ask for the segmentation; the demo algorithm also writes the foreground fraction.
        segmenting = find_interface(session, [sockets["ct-image"]], [sockets["segmentation"]])
        interface = find_interface(
            session, [sockets["ct-image"]], [sockets["segmentation"], sockets["foreground-fraction"]]
        )
        archive = Archive(slug=ARCHIVE, title="Demo archive", created_by=researcher,
                          description="Synthetic scans to try the platform with; the sanity-check cases.")  # fmt: skip
        hidden = Archive(slug=HIDDEN_ARCHIVE, title="Demo hidden cases", created_by=researcher,
                         description="The final phase's test set: only its editors see it.")  # fmt: skip
        session.add_all([archive, hidden])
        public_scans = add_scans(
            session, archive, sockets, [f"case-{i + 1}" for i in range(len(CASES))], data_dir, researcher, CASES
        )
        hidden_scans = add_scans(
            session, hidden, sockets, [f"hidden-{i + 1}" for i in range(HIDDEN_CASES)], data_dir, researcher
        )
        session.flush()
        truth = f"ground-truth/{CHALLENGE}"
        public_truth = write_ground_truth(public_scans, data_dir, f"{truth}/sanity-check/v1")
        hidden_truth = write_ground_truth(hidden_scans, data_dir, f"{truth}/final/v1")

        challenge = Challenge(slug=CHALLENGE, title="Demo challenge", created_by=researcher,
                              description="Segment the bright blob in each scan.")  # fmt: skip
        now = utcnow()
        common = {
            "challenge": challenge, "opens_at": now, "closes_at": now + timedelta(days=90),
            "method_image": EVALUATION_IMAGE, "method_digest": image_ids.get(EVALUATION_IMAGE),
            "score_jsonpath": "aggregates.dice.mean",
            "extra_results_columns": [{"path": "aggregates.volume_difference.mean", "title": "Volume difference",
                                       "ascending": True}],
            "cpu_limit": 1.0, "memory_limit_mb": 1024, "time_limit_s": 300,
        }  # fmt: skip
        algorithms = {"submission_kind": SubmissionKind.ALGORITHM, "algorithm_interfaces": [segmenting]}  # fmt: skip
        sanity = Phase(slug="sanity-check", title="Sanity check", visibility=Visibility.PUBLIC, archive=archive,
                       ground_truth_path=public_truth, ground_truth_version="v1", **common, **algorithms)  # fmt: skip
        final = Phase(slug="final", title="Final test", parent=sanity, visibility=Visibility.PARTICIPANTS,
                      archive=hidden, ground_truth_path=hidden_truth, ground_truth_version="v1",
                      submissions_limit=3, submissions_period_days=1, **common, **algorithms)  # fmt: skip
        predictions = Phase(
            slug="predictions",
            title="Predictions",
            visibility=Visibility.PARTICIPANTS,
            submission_kind=SubmissionKind.PREDICTIONS,
            ground_truth_path=public_truth,
            ground_truth_version="v1",
            submissions_limit=5,
            submissions_period_days=1,
            **common,
        )
        algorithm = Algorithm(
            slug=ALGORITHM,
            title="Otsu threshold (example)",
            created_by=scientists[0],
            description="The example algorithm: segments the brighter part of an image.",
            container_image=ALGORITHM_IMAGE,
            container_digest=image_ids.get(ALGORITHM_IMAGE),
            interfaces=[interface],
            cpu_limit=1.0,
            memory_limit_mb=1024,
            time_limit_s=300,
        )
        session.add_all([challenge, sanity, final, predictions, algorithm])
        session.flush()
        grant(session, archive, researcher, ArchiveRole.EDITOR)
        grant(session, hidden, researcher, ArchiveRole.EDITOR)
        grant(session, archive, clinician, ArchiveRole.USER)
        grant(session, challenge, researcher, ChallengeRole.ADMIN)
        for scientist in scientists:
            grant(session, archive, scientist, ArchiveRole.USER)
            grant(session, challenge, scientist, ChallengeRole.PARTICIPANT)
        grant(session, algorithm, scientists[0], AlgorithmRole.EDITOR)
        grant(session, algorithm, clinician, AlgorithmRole.USER)
        add_reading(session, archive, data_dir, researcher, clinician)
        session.commit()
    return [
        f"archive {ARCHIVE} ({len(CASES)} scans) and {HIDDEN_ARCHIVE} ({HIDDEN_CASES}, hidden)",
        f"challenge {CHALLENGE} (phases sanity-check, final, predictions)",
        f"algorithm {ALGORITHM} ({ALGORITHM_IMAGE}, ready to submit)",
        f"reader study {READING} ({len(CASES)} cases, {len(READING_QUESTIONS)} questions, educational)",
    ]
