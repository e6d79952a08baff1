"""A service's processes: as many as the setting says (0: the machine's cores), each started again
when it dies, all of them stopped with the first one."""

import os
import signal
import subprocess
import sys

from runtools import wait_for

from services.core.settings import ServiceSettings
from services.launcher import is_running

SUPERVISOR = """
import os, signal, sys, time
from pathlib import Path
from services.web.processes import run_processes

def serve(index, parent):
    Path(sys.argv[1], str(os.getpid())).write_text(str(index))
    while True:
        time.sleep(1)

run_processes(int(sys.argv[2]), serve)
"""


def indexes(folder):
    """The index of each process started so far (each writes its own into a file named by its pid)."""
    return sorted(path.read_text() for path in folder.iterdir())


def test_the_number_of_processes_is_a_setting_and_0_means_the_cores(monkeypatch):
    monkeypatch.setenv("GC_SERVICE_PROCESSES", "3")
    assert ServiceSettings().service_processes == 3
    monkeypatch.setenv("GC_SERVICE_PROCESSES", "0")
    assert ServiceSettings().service_processes == len(os.sched_getaffinity(0))


def test_a_process_that_dies_is_started_again_and_a_stop_ends_them_all(tmp_path):
    first = subprocess.Popen([sys.executable, "-c", SUPERVISOR, str(tmp_path), "2"])
    try:
        assert wait_for(lambda: indexes(tmp_path) == ["0", "1"], timeout=30)
        dead = next(int(p.name) for p in tmp_path.iterdir() if p.read_text() == "0")
        os.kill(dead, signal.SIGKILL)
        assert wait_for(lambda: indexes(tmp_path) == ["0", "0", "1"], timeout=30)  # index 0 again, a new pid
        live = [int(p.name) for p in tmp_path.iterdir() if int(p.name) != dead]
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        assert not any(is_running(pid) for pid in live)
    finally:
        first.kill()
        first.wait()
