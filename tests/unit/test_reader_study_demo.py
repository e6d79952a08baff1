"""The demo's reader study: made once with the demo content, answerable by the clinician, with
ground truth at each scan's centre."""

from pathlib import Path

import SimpleITK as sitk
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.core.database import make_engine
from services.core.orm import Algorithm, GroundTruthAnswer, ReaderStudy, has_role
from services.demo import READING_QUESTIONS, otsu_mask, seed_demo


def test_the_demo_reading(tmp_path):
    url = f"sqlite:///{tmp_path}/gc.sqlite"
    made = seed_demo(url, tmp_path)
    assert "reader study demo-reading (3 cases, 6 questions, educational)" in made
    assert seed_demo(url, tmp_path) == []  # made once
    with Session(make_engine(url)) as session:
        study = session.scalar(select(ReaderStudy).filter_by(slug="demo-reading"))
        assert study.title == "Demo reading: foreground in CT" and study.educational
        assert [(q.text, q.kind, q.required) for q in study.questions] == [
            (t, k, r) for t, k, _, r in READING_QUESTIONS
        ]
        assert [q.kind for q in study.questions] == ["bool", "choice", "float", "string", "point", "2d-bounding-box"]
        assert study.questions[2].options == {"minimum": 0, "maximum": 100}
        assert len(study.cases) == 3 and all(
            {v.socket.slug for v in c.values} == {"ct-image", "age", "sex"} for c in study.cases
        )
        assert has_role(session, study, "researcher", "editor") and has_role(session, study, "clinician", "reader")
        assert has_role(session, session.scalar(select(Algorithm).filter_by(slug="demo-otsu")), "clinician", "user")
        truths = session.scalars(select(GroundTruthAnswer)).all()
        assert len(truths) == 12  # four questions of three cases
        bright, confidence, fraction, _, centre, _ = study.questions
        for case in study.cases:
            given = {t.question_id: t.value for t in truths if t.case_id == case.id}
            high = next(c.id for c in confidence.choices if c.title == "high")
            assert (given[bright.id], given[confidence.id]) == (True, high) and 0 < given[fraction.id] < 100
            image = next(v.image for v in case.values if v.image)
            scan = sitk.ReadImage(str(Path(tmp_path, image.path)))
            shape = sitk.LabelShapeStatisticsImageFilter()
            shape.Execute(otsu_mask(scan))
            expected = shape.GetCentroid(1)
            assert scan.GetSize() == (64, 64, 32) and scan.TransformPhysicalPointToIndex(expected) != (31, 31, 15)
            point = [round(c, 3) for c in expected]
            assert given[centre.id] == {"type": "Point", "point": point, "version": {"major": 1, "minor": 0}}
            assert set(given) == {bright.id, confidence.id, fraction.id, centre.id}
