"""The data model on a real SQLite file: every kind of object, immutable values, status moves,
roles, slugs and what a delete takes with it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from services.core import errors, orm
from services.core.database import make_engine
from services.core.orm import base
from services.core.status import JobStatus, JoinRequestStatus, UploadStatus, advance

SHA = "ab" * 32


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/gc.sqlite")
    orm.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


def socket(session, slug, kind, **fields):
    return orm.save(session, orm.Socket(slug=slug, title=slug.title(), kind=kind, created_by="ann", **fields))


def image(name="ct.mha"):
    return orm.Image(
        name=name, path=f"images/{name}", size=1024, sha256=SHA, dimensions=[4, 4, 2], spacing=[0.5, 0.5, 2.0],
        origin=[0.0, 0.0, 0.0], direction=[1, 0, 0, 0, 1, 0, 0, 0, 1], pixel_type="int16", created_by="ann",
    )  # fmt: skip


def named(model, slug, **fields):
    return model(slug=slug, title=f"The {slug}", created_by="ann", **fields)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_every_kind_of_object_is_stored_and_read_back(engine, session):
    ct, age, report = (
        socket(session, "ct", "image"),
        socket(session, "age", "integer"),
        socket(session, "report", "pdf"),
    )
    mask = socket(session, "mask", "segmentation")
    segmenting = orm.AlgorithmInterface(inputs=[ct], outputs=[mask])
    scan = image()
    ct_value, age_value = orm.make_value(session, ct, image=scan), orm.make_value(session, age, value=63)
    report_value = orm.make_value(session, report, file=orm.StoredFile("files/report.pdf", 10, SHA))

    upload = orm.UploadSession(owner="ann", files=[orm.UploadFile(filename="ct.mha", image=scan)])
    archive = orm.save(session, named(orm.Archive, "lungs", items=[orm.ArchiveItem(values=[ct_value, age_value])]))
    upload.archive, upload.socket = archive, ct
    algorithm = orm.save(session, named(orm.Algorithm, "segmenter", container_image="seg:1", interfaces=[segmenting]))
    job = orm.AlgorithmJob(
        algorithm=algorithm, interface=segmenting, creator="bob", inputs=[ct_value], container_digest="sha256:1"
    )
    session.add(job)
    job.outputs.append(orm.make_value(session, mask, image=image("mask.mha")))

    challenge = orm.save(session, named(orm.Challenge, "lung-seg"))
    check = orm.Phase(challenge=challenge, slug="sanity-check", title="Sanity check", archive=archive)
    session.add(check)
    final = orm.Phase(
        challenge=challenge, slug="final", title="Final", submission_kind="algorithm", parent=check,
        algorithm_interfaces=[segmenting], opens_at=datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    submission = orm.Submission(phase=final, creator="bob", algorithm=algorithm)
    evaluation = orm.Evaluation(submission=submission, algorithm_jobs=[job], metrics={"aggregates": {"dice": 0.9}})
    predictions = orm.Submission(phase=check, creator="bob", predictions_path="predictions/1/out.zip")
    session.add_all([final, submission, evaluation, predictions])

    study = orm.save(
        session, named(orm.ReaderStudy, "nodules", cases=[orm.ReaderStudyCase(values=[ct_value, report_value])])
    )
    study.questions.append(orm.Question(text="Nodule?", kind="bool"))
    study.questions.append(orm.Question(text="Where?", kind="point", required=False))
    orm.grant(session, archive, "ann", "editor")
    session.add_all([upload, orm.JoinRequest(challenge=challenge, username="carl")])
    session.flush()
    orm.make_answer(session, study.questions[0], study.cases[0], True, reader="dan")
    orm.make_ground_truth(session, study.questions[0], study.cases[0], False, created_by="ann")
    session.commit()

    with Session(engine) as fresh:
        stored = fresh.scalars(select(orm.Phase).filter_by(slug="final")).one()
        assert stored.challenge.slug == "lung-seg" and stored.parent.slug == "sanity-check"
        assert [s.slug for s in stored.algorithm_inputs] == ["ct"] and stored.visibility == orm.Visibility.HIDDEN
        assert stored.opens_at == datetime(2030, 1, 1, tzinfo=UTC) and stored.extra_results_columns == []
        run = stored.submissions[0].evaluations[0]
        assert run.status == JobStatus.QUEUED and run.metrics == {"aggregates": {"dice": 0.9}}
        assert run.algorithm_jobs[0].outputs[0].image.name == "mask.mha"
        assert run.created_at.tzinfo == UTC and datetime.now(UTC) - run.created_at < timedelta(minutes=1)
        item = fresh.scalars(select(orm.Archive)).one().items[0]
        assert sorted((v.socket.slug, v.value, v.image and v.image.name) for v in item.values) == [
            ("age", 63, None),
            ("ct", None, "ct.mha"),
        ]
        case = fresh.scalars(select(orm.ReaderStudy)).one().cases[0]
        assert {v.socket.slug: v.file for v in case.values}["report"] == ("files/report.pdf", 10, SHA)
        assert fresh.scalars(select(orm.Answer)).one().value is True
        assert fresh.scalars(select(orm.UploadSession)).one().files[0].image.sha256 == SHA
        assert [q.position for q in fresh.scalars(select(orm.ReaderStudy)).one().questions] == [0, 1]
        assert orm.has_role(fresh, fresh.get(orm.Archive, archive.id), "ann", "editor")


def test_a_stored_value_cannot_change(session):
    age = socket(session, "age", "integer")
    value = orm.make_value(session, age, value=63)
    value.value = 64  # not stored yet: still a draft
    session.commit()
    for field, new in [("value", 65), ("socket", socket(session, "weight", "integer")), ("file_path", "x.pdf")]:
        with pytest.raises(errors.Conflict, match=rf"socket value {value.id} is stored and cannot change \({field}\)"):
            setattr(value, field, new)
    session.rollback()
    assert session.get(orm.SocketValue, value.id).value == 64


def test_the_database_refuses_a_value_with_none_or_two_contents(session):
    report = socket(session, "report", "pdf")
    session.add(orm.SocketValue(socket=report))
    with pytest.raises(IntegrityError, match="one_of_value_image_file|CHECK constraint"):
        session.flush()
    session.rollback()
    session.add(orm.SocketValue(socket=socket(session, "any", "any"), value=1, file_path="a.pdf"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_advance_moves_forward_and_stamps_start_and_end(session):
    job = orm.AlgorithmJob(algorithm=named(orm.Algorithm, "algo"), creator="bob")
    session.add(job)
    session.flush()
    assert job.status == JobStatus.QUEUED and job.started_at is None
    advance(job, JobStatus.PROVISIONING)
    advance(job, "executing")
    assert job.status == JobStatus.EXECUTING and job.started_at is not None and job.completed_at is None
    advance(job, JobStatus.SUCCEEDED)
    session.commit()
    assert job.completed_at >= job.started_at


@pytest.mark.parametrize(
    ("make", "moves", "refused", "message"),
    [
        (lambda: orm.Evaluation(), ["provisioning", "executing", "succeeded"], "executing",
         "evaluation {id} is succeeded; it cannot become executing"),
        (lambda: orm.Evaluation(), ["provisioning"], "queued",
         "evaluation {id} is provisioning; it cannot become queued"),
        (lambda: orm.Evaluation(), ["cancelled"], "failed", "evaluation {id} is cancelled; it cannot become failed"),
        (lambda: orm.UploadSession(owner="ann"), ["importing", "failed"], "importing",
         "upload session {id} is failed; it cannot become importing"),
        (lambda: orm.JoinRequest(username="carl"), ["rejected"], "accepted",
         "join request {id} is rejected; it cannot become accepted"),
    ],
)  # fmt: skip
def test_advance_refuses_backward_and_terminal_moves(session, make, moves, refused, message):
    obj = make()
    if isinstance(obj, orm.Evaluation):
        phase = orm.Phase(challenge=named(orm.Challenge, "c"), slug="p", title="P")
        obj.submission = orm.Submission(phase=phase, creator="bob", predictions_path="p.csv")
    elif isinstance(obj, orm.JoinRequest):
        obj.challenge = named(orm.Challenge, "c")
    session.add(obj)
    session.flush()
    for status in moves:
        advance(obj, status)
    with pytest.raises(errors.InvalidTransition) as raised:
        advance(obj, refused)
    assert raised.value.message == message.format(id=obj.id) and raised.value.status == 409
    assert obj.status == moves[-1]


def test_advance_names_unknown_statuses_and_new_rows():
    with pytest.raises(
        errors.InvalidTransition, match="'done' is not a status of the new algorithm job; choose from queued"
    ):
        advance(orm.AlgorithmJob(), "done")
    with pytest.raises(errors.InvalidTransition, match="the new algorithm job is queued; it cannot become succeeded"):
        advance(orm.AlgorithmJob(), "succeeded")


@pytest.mark.parametrize("kind", [JobStatus, UploadStatus, JoinRequestStatus])
def test_statuses_move_forward_only_and_terminal_ones_not_at_all(kind):
    order = list(kind)
    for status in kind:
        assert all(order.index(new) > order.index(status) for new in kind if status.can_become(new))
    assert {s for s in kind if s.is_terminal} == {s for s in kind if not kind.__moves__.get(s)}
    assert JobStatus.SUCCEEDED.is_terminal and not JobStatus.EXECUTING.is_terminal


def test_roles_are_granted_checked_and_revoked_per_object(session):
    one, other = orm.save(session, named(orm.Archive, "one")), orm.save(session, named(orm.Archive, "other"))
    orm.grant(session, one, "ann", "uploader")
    orm.grant(session, one, "ann", orm.ArchiveRole.UPLOADER)  # twice: still one row
    orm.grant(session, one, "bob", "user")
    session.flush()
    assert orm.has_role(session, one, "ann", "uploader") and not orm.has_role(session, other, "ann", "uploader")
    assert not orm.has_role(session, one, "ann", "editor") and count(session, orm.ArchiveMember) == 2
    assert orm.usernames(session, one, "uploader") == ["ann"]
    orm.revoke(session, one, "ann", "uploader")
    assert not orm.has_role(session, one, "ann", "uploader") and orm.has_role(session, one, "bob", "user")
    with pytest.raises(
        errors.InvalidValue, match="'admin' is not a role on an archive; choose from editor, uploader, user"
    ):
        orm.grant(session, one, "ann", "admin")
    study = named(orm.ReaderStudy, "study")
    session.add(study)
    orm.grant(session, study, "dan", "reader")  # flushes the new study to learn its id
    algorithm = orm.save(session, named(orm.Algorithm, "algo"))
    orm.grant(session, algorithm, "eve", "editor")
    assert orm.has_role(session, study, "dan", "reader") and orm.has_role(session, algorithm, "eve", "editor")


def test_a_join_request_is_decided_once(session):
    challenge = orm.save(session, named(orm.Challenge, "lung-seg"))
    request = orm.JoinRequest(challenge=challenge, username="carl", message="I work on lungs")
    session.add(request)
    session.flush()
    orm.decide(session, request, accept=True, decided_by="ann")
    assert request.status == JoinRequestStatus.ACCEPTED and request.decided_by == "ann" and request.decided_at
    assert orm.has_role(session, challenge, "carl", orm.ChallengeRole.PARTICIPANT)
    with pytest.raises(
        errors.InvalidTransition, match=f"join request {request.id} is accepted; it cannot become rejected"
    ):
        orm.decide(session, request, accept=False, decided_by="ann")


def test_a_taken_slug_is_a_conflict(session):
    orm.save(session, named(orm.Archive, "x"))
    with pytest.raises(errors.Conflict) as raised:
        orm.save(session, named(orm.Archive, "x"))
    assert (
        raised.value.message == "an archive with slug 'x' exists already; choose another slug"
        and raised.value.status == 409
    )
    assert count(session, orm.Archive) == 0  # the transaction is rolled back

    challenge = orm.save(session, named(orm.Challenge, "x"))  # another model: the slug is free
    other = orm.save(session, named(orm.Challenge, "y"))
    orm.save(session, orm.Phase(challenge=challenge, slug="final", title="Final"))
    session.commit()
    orm.save(session, orm.Phase(challenge=other, slug="final", title="Final"))
    with pytest.raises(errors.Conflict, match="a phase with slug 'final' in challenge 'x' exists already"):
        orm.save(session, orm.Phase(challenge=challenge, slug="final", title="Final"))
    assert count(session, orm.Phase) == 1


def test_a_slug_taken_by_a_transaction_that_commits_meanwhile_is_a_conflict(engine, session, monkeypatch):
    with Session(engine) as other:
        orm.save(other, named(orm.Algorithm, "x"))
        other.commit()
    checks = iter([False, True])  # the check before the INSERT did not see it yet
    monkeypatch.setattr(base, "_slug_taken", lambda *_: next(checks))
    with pytest.raises(errors.Conflict, match="an algorithm with slug 'x' exists already"):
        orm.save(session, named(orm.Algorithm, "x"))


@pytest.mark.parametrize("slug", ["", "Lung", "lung seg", "-lung", "lung_seg", "a" * 65, None])
def test_a_slug_is_lowercase_letters_digits_and_hyphens(slug):
    with pytest.raises(
        errors.InvalidValue, match="is not a valid slug: use 1 to 64 lowercase letters, digits and hyphens"
    ):
        named(orm.Archive, slug)
    assert named(orm.Archive, "lung-ct-2").slug == "lung-ct-2"


def test_times_must_carry_a_time_zone(session):
    challenge = orm.save(session, named(orm.Challenge, "c"))
    session.add(orm.Phase(challenge=challenge, slug="p", title="P", closes_at=datetime(2030, 1, 1)))
    with pytest.raises(StatementError, match="the time 2030-01-01T00:00:00 has no time zone"):
        session.flush()


def test_a_choice_column_refuses_a_value_outside_its_enum(session):
    challenge = orm.save(session, named(orm.Challenge, "c"))
    session.add(orm.Phase(challenge=challenge, slug="p", title="P", visibility="secret"))
    with pytest.raises(StatementError, match="'secret' is not among the defined enum values"):
        session.flush()


def test_deleting_an_archive_keeps_values_and_images_used_elsewhere(session):
    ct = socket(session, "ct", "image")
    shared = orm.make_value(session, ct, image=image())
    archive = orm.save(session, named(orm.Archive, "a", items=[orm.ArchiveItem(values=[shared])]))
    study = orm.save(session, named(orm.ReaderStudy, "s", cases=[orm.ReaderStudyCase(values=[shared])]))
    orm.grant(session, archive, "ann", "editor")
    session.add(orm.UploadSession(owner="ann", archive=archive))
    session.commit()

    session.delete(archive)
    session.commit()
    assert count(session, orm.ArchiveItem) == 0 and count(session, orm.ArchiveMember) == 0
    assert count(session, orm.SocketValue) == 1 and count(session, orm.Image) == 1
    assert study.cases[0].values == [shared]
    assert session.scalars(select(orm.UploadSession)).one().archive is None


def test_values_and_images_in_use_cannot_be_deleted(session):
    value = orm.make_value(session, socket(session, "ct", "image"), image=image())
    orm.save(session, named(orm.Archive, "a", items=[orm.ArchiveItem(values=[value])]))
    session.commit()
    for row in (value, value.image):
        session.delete(row)
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            session.flush()
        session.rollback()


def test_deleting_an_image_keeps_the_upload_result_that_made_it(session):
    scan = image()
    session.add(orm.UploadSession(owner="ann", files=[orm.UploadFile(filename="ct.mha", image=scan)]))
    session.commit()
    session.delete(scan)
    session.commit()
    assert session.scalars(select(orm.UploadFile)).one().image is None


def test_deleting_a_challenge_takes_its_phases_submissions_evaluations_and_roles(session):
    challenge = orm.save(session, named(orm.Challenge, "c"))
    phase = orm.Phase(challenge=challenge, slug="p", title="P")
    orm.Evaluation(submission=orm.Submission(phase=phase, creator="bob", predictions_path="p.csv"))
    session.add(phase)
    orm.grant(session, challenge, "ann", "admin")
    session.add(orm.JoinRequest(challenge=challenge, username="carl"))
    session.commit()
    session.delete(challenge)
    session.commit()
    for model in (orm.Phase, orm.Submission, orm.Evaluation, orm.ChallengeMember, orm.JoinRequest):
        assert count(session, model) == 0, model


def test_a_submitted_algorithm_cannot_be_deleted_and_its_jobs_go_with_it_otherwise(session):
    used, unused = orm.save(session, named(orm.Algorithm, "used")), orm.save(session, named(orm.Algorithm, "unused"))
    phase = orm.Phase(challenge=orm.save(session, named(orm.Challenge, "c")), slug="p", title="P")
    session.add_all(
        [orm.Submission(phase=phase, creator="bob", algorithm=used), orm.AlgorithmJob(algorithm=unused, creator="b")]
    )
    session.commit()
    session.delete(unused)
    session.commit()
    assert count(session, orm.AlgorithmJob) == 0
    session.delete(used)
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_submission_is_a_predictions_file_or_an_algorithm(session):
    phase = orm.Phase(challenge=orm.save(session, named(orm.Challenge, "c")), slug="p", title="P")
    session.add(orm.Submission(phase=phase, creator="bob"))
    with pytest.raises(IntegrityError, match="predictions_or_algorithm|CHECK constraint"):
        session.flush()


def test_sockets_get_paths_that_fit_their_kind(session):
    assert socket(session, "ct", "image").relative_path == "images/ct"
    assert socket(session, "age", "integer").relative_path == "age.json"
    assert socket(session, "table", "csv").relative_path == "table.csv"
    assert socket(session, "meta", "json-file").relative_path == "meta.json"
    assert socket(session, "mask", "segmentation", relative_path="images/mask-out").relative_path == "images/mask-out"
    with pytest.raises(
        errors.InvalidValue, match="'x.json' does not fit an image socket: an image's path is a folder under images/"
    ):
        socket(session, "x", "image", relative_path="x.json")
    with pytest.raises(errors.InvalidValue, match="'../x.json' leads outside its folder"):
        socket(session, "y", "integer", relative_path="../x.json")
    with pytest.raises(errors.InvalidValue, match="'volume' is not a socket kind; choose from image, segmentation"):
        socket(session, "z", "volume")


def test_questions_keep_their_order_and_check_answers(session):
    study = orm.save(session, named(orm.ReaderStudy, "s", cases=[orm.ReaderStudyCase()]))
    other = orm.save(session, named(orm.ReaderStudy, "t", cases=[orm.ReaderStudyCase()]))
    size = orm.Question(text="Size (mm)?", kind="float", options={"minimum": 0, "maximum": 50})
    grade = orm.Question(text="Grade?", kind="choice", options={"choices": ["low", "high"]})
    study.questions.extend([grade, size])
    study.questions.insert(0, orm.Question(text="Nodule?", kind="bool"))
    session.flush()
    case = study.cases[0]
    assert [(q.text, q.position) for q in study.questions] == [("Nodule?", 0), ("Grade?", 1), ("Size (mm)?", 2)]

    first = orm.make_answer(session, grade, case, "low", reader="dan")
    session.flush()
    assert orm.make_answer(session, grade, case, "high", reader="dan") is first  # a new value, the same answer
    low, high = (choice.id for choice in grade.choices)
    assert first.value == high  # a choice is kept by its option's id
    assert orm.make_answer(session, grade, case, low, reader="dan").value == low
    orm.make_answer(session, grade, case, "high", reader="eve")
    orm.make_ground_truth(session, grade, case, "high", created_by="ann")
    with pytest.raises(errors.Conflict, match="the ground truth is given for question 'Grade\\?'"):
        orm.make_ground_truth(session, grade, case, "low", created_by="ann")
    with pytest.raises(
        errors.InvalidValue, match=r"question 'Grade\?': 'medium' is not one of its choices \('low', 'high'\)"
    ):
        orm.make_answer(session, grade, case, "medium", reader="fay")
    with pytest.raises(errors.InvalidValue, match="question 'Size \\(mm\\)\\?': 51 is greater than the maximum of 50"):
        orm.make_answer(session, size, case, 51, reader="fay")
    with pytest.raises(errors.InvalidValue, match=f"case {other.cases[0].id} is not in the reader study of question"):
        orm.make_answer(session, size, other.cases[0], 5, reader="fay")
    with pytest.raises(errors.InvalidValue, match="question 'Nodule\\?' must be answered: it cannot be cleared"):
        orm.make_answer(session, study.questions[0], case, None, reader="fay")
    size.required = False
    assert orm.make_answer(session, size, case, None, reader="fay").value is None
    session.commit()


def test_questions_have_a_known_kind_and_options_that_fit_it():
    with pytest.raises(errors.InvalidValue, match="'mask' is not a question kind; choose from heading, bool"):
        orm.Question(text="Outline?", kind="mask")
    with pytest.raises(errors.InvalidValue, match="question 'Grade\\?': a choice question needs its choices"):
        orm.Question(text="Grade?", kind="choice")
    with pytest.raises(errors.InvalidValue, match="options of question 'Size\\?': at minimum: 'zero' is not of type"):
        orm.Question(text="Size?", kind="float", options={"minimum": "zero"})


def test_errors_carry_a_message_and_a_status():
    statuses = {errors.GcError: 400, errors.NotFound: 404, errors.PermissionDenied: 403, errors.Conflict: 409}
    statuses |= {errors.InvalidValue: 422, errors.InvalidTransition: 409}
    for kind, status in statuses.items():
        error = kind("what went wrong")
        assert isinstance(error, errors.GcError) and error.message == str(error) == "what went wrong"
        assert error.status == status
    assert errors.NotFound("gone", status=410).status == 410
    assert errors.noun(orm.ReaderStudyCase) == "reader study case"


def test_an_algorithm_has_at_most_one_active_model_and_keeps_those_its_runs_used(session):
    algorithm = orm.save(session, named(orm.Algorithm, "segmenter"))
    first, second, failed = (
        orm.AlgorithmModel(algorithm=algorithm, filename=f"{n}.tar.gz", tarball_path=n, created_by="ann", status=s)
        for n, s in (("a", UploadStatus.SUCCEEDED), ("b", UploadStatus.SUCCEEDED), ("c", UploadStatus.FAILED))
    )
    session.add_all([first, second, failed])
    orm.activate(session, second)
    orm.activate(session, first)  # an older one, activated again
    assert (first.is_active, second.is_active) == (True, False)
    assert orm.active_model(session, algorithm) is first
    with pytest.raises(errors.Conflict, match="Model 3 of algorithm 'segmenter' is failed: only a model that was"):
        orm.activate(session, failed)
    session.commit()
    second.is_active = True  # around activate(): the database refuses a second active model
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()

    used = orm.AlgorithmModel(algorithm=algorithm, filename="u.tar.gz", tarball_path="u", created_by="ann")
    session.add(orm.AlgorithmJob(algorithm=algorithm, creator="bob", algorithm_model=used))
    session.commit()
    with pytest.raises(errors.Conflict, match="still used elsewhere"):
        orm.remove(session, used)
    session.delete(algorithm)  # with its jobs and models
    session.commit()
    assert count(session, orm.AlgorithmModel) == count(session, orm.AlgorithmJob) == 0
