"""A small execution platform for tests: a real redis-server, real gc-worker processes, a SQLite
platform database and the local Docker engine; plus helpers to build test images and queue runs."""

import contextlib
import gzip
import io
import os
import shutil
import signal
import subprocess
import tarfile
import time
import uuid

import docker
from hubtools import REPO, free_port_block
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, joinedload, selectinload

from services.core.database import make_engine
from services.core.migrations import upgrade
from services.core.orm import (
    Algorithm,
    AlgorithmInterface,
    AlgorithmJob,
    ContainerImage,
    Socket,
    SocketValue,
    make_value,
)
from services.launcher import descendants
from services.queue import TaskQueue, connect

GC_WORKER = str(REPO / ".venv" / "bin" / "gc-worker")
BASE_IMAGE = os.environ.get("GC_IMAGE_PREFIX", "gc-hub") + "/base:bookworm"


def wait_for(predicate, timeout=30, every=0.05):
    """Whether ``predicate()`` became true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


class RedisServer:
    """Debian's redis-server on a free port, without persistence: a restart loses every key."""

    def __init__(self, folder):
        self.binary = shutil.which("redis-server")
        assert self.binary, "redis-server is not installed: apt-get install redis-server (.ci/run does)"
        self.folder = folder
        self.port = free_port_block(size=1)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=10), "redis-server did not start"
        return self

    def _answers(self):
        try:
            return connect(self.url).ping()
        except RedisError:  # not listening yet, or still loading
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class WorkerProcess:
    """``gc-worker`` in a session of its own, its log in a file."""

    def __init__(self, platform, queues=("cpu", "evaluation"), name="worker", reconcile_every=1):
        self.platform = platform
        self.log_path = platform.data_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        command = [
            GC_WORKER,
            "--queues",
            *queues,
            "--redis-url",
            platform.redis.url,
            "--data-dir",
            str(platform.data_dir),
            "--reconcile-every",
            str(reconcile_every),
        ]
        with open(self.log_path, "w") as log:  # the worker writes to its own copy of the descriptor
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=platform.environment, start_new_session=True
            )

    def kill_hard(self):
        """SIGKILL the worker and every process below it, as when its node dies."""
        pids = [self.process.pid, *descendants(self.process.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_hard()

    def output(self):
        return self.log_path.read_text()


class ExecutionPlatform:
    """Database, Redis and workers for running containers, with the sockets tests use."""

    def __init__(self, folder, heartbeat_s=0.5):
        self.data_dir = folder / "data"
        self.data_dir.mkdir()
        self.instance = f"gc-test-{uuid.uuid4().hex[:8]}"
        self.database_url = f"sqlite:///{self.data_dir}/gc-hub.sqlite"
        upgrade(self.database_url)
        self.engine = make_engine(self.database_url)
        self.redis = RedisServer(folder).start()
        self.environment = {
            **os.environ,
            "GC_DATA_DIR": str(self.data_dir),
            "GC_DATABASE_URL": self.database_url,
            "GC_REDIS_URL": self.redis.url,
            "GC_INSTANCE": self.instance,
            "GC_HEARTBEAT_S": str(heartbeat_s),
            "GC_LOST_AFTER_S": "8",
            "GC_OUTPUT_LIMIT_MB": "64",
        }
        self.workers = []
        self.algorithms = {}  # one algorithm per image, sockets and limits
        self.docker = docker.from_env()

    def start_worker(self, **options):
        worker = WorkerProcess(self, **options)
        self.workers.append(worker)
        return worker

    def close(self):
        for worker in self.workers:
            worker.stop()
        self.redis.stop()
        for container in self.docker.containers.list(
            all=True, filters={"label": f"org.gc-hub.instance={self.instance}"}
        ):
            container.remove(force=True)
        self.engine.dispose()

    def socket(self, session, slug, kind):
        found = session.query(Socket).filter_by(slug=slug).one_or_none()
        return found or Socket(slug=slug, title=slug, kind=kind, created_by="test")

    def queue_job(self, image, *, outputs=(("result", "any"),), inputs=(), enqueue=True, **limits):
        """A new algorithm job of ``image`` (a fresh algorithm), committed and queued; its id.
        ``inputs`` are (slug, kind, json value) triples."""
        limits = {"cpu_limit": 1.0, "memory_limit_mb": 512, "time_limit_s": 60, **limits}
        key = (image, tuple(outputs), tuple((slug, kind) for slug, kind, _ in inputs), tuple(sorted(limits.items())))
        with Session(self.engine) as session:
            algorithm = (
                session.get(Algorithm, self.algorithms[key])
                if key in self.algorithms
                else Algorithm(
                    slug=f"algorithm-{uuid.uuid4().hex[:8]}",
                    title="test",
                    created_by="test",
                    container_image=image,
                    interfaces=[
                        AlgorithmInterface(
                            inputs=[self.socket(session, slug, kind) for slug, kind, _ in inputs],
                            outputs=[self.socket(session, slug, kind) for slug, kind in outputs],
                        )
                    ],
                    **limits,
                )
            )
            job = AlgorithmJob(algorithm=algorithm, interface=algorithm.interfaces[0], creator="participant", **limits)
            job.inputs = [
                make_value(session, self.socket(session, slug, kind), value=value) for slug, kind, value in inputs
            ]
            session.add(job)
            session.commit()
            self.algorithms[key] = algorithm.id
            if enqueue:
                TaskQueue.from_url(self.redis.url).run(job)
            return job.id

    def job(self, job_id):
        with Session(self.engine, expire_on_commit=False) as session:
            # loads what tests look at before the session closes
            outputs = selectinload(AlgorithmJob.outputs)
            job = session.get(AlgorithmJob, job_id, options=[outputs.joinedload(SocketValue.image)])
            job.output_values = {value.socket.slug: value for value in job.outputs}
            return job

    def save(self, image, name, *, remove=False, compress=False):
        """``docker save`` of ``image`` into the data directory (then removed from the engine if
        ``remove``), gzip-compressed if ``compress``; its path relative to the data directory."""
        path = self.data_dir / "container-images" / name
        path.parent.mkdir(exist_ok=True)
        subprocess.run(["docker", "save", image, "-o", str(path)], check=True)
        if compress:
            with open(path, "rb") as raw, gzip.open(f"{path}.gz", "wb", compresslevel=1) as packed:
                shutil.copyfileobj(raw, packed)
            path.unlink()
            path = path.with_name(path.name + ".gz")
        if remove:
            self.docker.images.remove(image, force=True)
        return path.relative_to(self.data_dir)

    def take_in(self, tarball, timeout=120):
        """Queue the intake of ``tarball`` (relative to the data directory) for a new algorithm,
        as an upload does; the ContainerImage once it ended."""
        with Session(self.engine, expire_on_commit=False) as session:
            algorithm = Algorithm(slug=f"intake-{uuid.uuid4().hex[:8]}", title="A", created_by="d")
            intake = ContainerImage(owner="d", algorithm=algorithm, tarball_path=str(tarball), size=1)
            session.add(intake)
            session.commit()
        TaskQueue.from_url(self.redis.url).load_container_image(intake.id)

        def ended():
            with Session(self.engine) as session:
                return session.get(ContainerImage, intake.id).status.is_terminal

        assert wait_for(ended, timeout=timeout), self.workers[0].output()[-2000:]
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(ContainerImage, intake.id, options=[joinedload(ContainerImage.algorithm)])

    def wait_until_done(self, job_id, timeout=90):
        done = wait_for(lambda: self.job(job_id).status.is_terminal, timeout=timeout, every=0.1)
        job = self.job(job_id)
        assert done, f"job {job_id} is still {job.status}; worker logs:\n" + "\n".join(
            w.output()[-3000:] for w in self.workers
        )
        return job


def build_image(client, tag, dockerfile, files=None):
    """Build ``tag`` from ``dockerfile`` text (FROM the local base) and ``files`` {name: text}."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text in {"Dockerfile": dockerfile, **(files or {})}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True)
    return tag


def script_image(client, name, script, user="1000", setup=""):
    """An image that runs the Python ``script`` as ``user``, after the ``setup`` instructions."""
    dockerfile = (
        f"FROM {BASE_IMAGE}\nUSER root\n{setup}\nCOPY main.py /opt/main.py\n"
        f'USER {user}\nCMD ["python3", "/opt/main.py"]\n'
    )
    return build_image(client, f"gc-hub-test/{name}:latest", dockerfile, {"main.py": script})
