"""A throwaway PostgreSQL cluster for tests: Debian's server, in a temporary folder, on a free port."""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest

INSTALL_HINT = "PostgreSQL's server is not installed: apt-get install postgresql"


def _bin_dir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if not found:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return os.path.dirname(found[-1])


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_postgres(*, address="127.0.0.1", network=None, password=None):
    """Start a cluster and yield the SQLAlchemy URL of its ``postgres`` database; stop and remove
    it afterwards. As root, the server runs as the ``postgres`` user (it refuses to run as root).

    ``address`` is where it listens (and what the URL names); with ``network`` (a CIDR) and
    ``password``, hosts of that network may log in with the password (other nodes of a cluster)."""
    bin_dir = _bin_dir()
    folder = tempfile.mkdtemp(prefix="gc-hub-postgres-")
    as_user = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(folder, "data"), _free_port()

    def run(*command):
        result = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    listen = ",".join(dict.fromkeys(["127.0.0.1", address]))
    options = f"-p {port} -k {folder} -c listen_addresses={listen} -c fsync=off"
    try:
        run(f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        if network and password:
            with open(os.path.join(data, "pg_hba.conf"), "a") as hba:
                hba.write(f"host all all {network} scram-sha-256\n")
        run(f"{bin_dir}/pg_ctl", "-D", data, "-l", os.path.join(folder, "server.log"), "-o", options, "-w", "start")
        try:
            login = "postgres"
            if password:
                run(f"{bin_dir}/psql", "-h", folder, "-p", str(port), "-U", "postgres", "-c",
                    f"ALTER USER postgres PASSWORD '{password}'")  # fmt: skip
                login = f"postgres:{password}"
            yield f"postgresql+psycopg2://{login}@{address}:{port}/postgres"
        finally:
            run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
