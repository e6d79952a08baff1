"""Several processes of one service on one port: each listens on a socket of its own bound with
``SO_REUSEPORT``, and the kernel spreads new connections over them.

The first process (the one the hub started) binds the sockets, forks the others and watches them:
one that dies is started again, and SIGINT or SIGTERM (the hub stopping the service) is passed on
to all of them; it returns when they have all ended. A process whose parent is gone stops by
itself, so that none is left serving on the port after its service was killed.
"""

import contextlib
import logging
import os
import signal
import time

from tornado.netutil import bind_sockets

log = logging.getLogger("gc-hub")

RESTART_PAUSE_S = 1.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def listening_sockets(count, port, address):
    """``count`` lists of sockets on ``port``, one list for each process (all on the same port)."""
    return [bind_sockets(port, address, reuse_port=count > 1) for _ in range(count)]


def run_processes(count, serve):
    """Run ``serve(index, parent)`` for index 0 … count-1, each in a forked process (``parent``:
    this process's pid); return when all have ended after a stop signal. ``serve`` returns when
    its process should end."""
    children = {}
    stopping = False

    def start(index):
        parent = os.getpid()
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # until each process has its own handlers
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for signum in STOP_SIGNALS:
                    signal.signal(signum, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
                serve(index, parent)
                code = 0
            except BaseException:
                log.exception("process %d of the service failed", index)
            finally:
                os._exit(code)
        children[pid] = index
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                os.kill(pid, signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    for index in range(count):
        start(index)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, None)
        if index is None or stopping:
            continue
        log.warning("process %d of the service (pid %d) ended (status %d): starting it again", index, pid, status)
        time.sleep(RESTART_PAUSE_S)
        if not stopping:
            start(index)


def parent_is_gone(parent):
    """Whether the process that forked this one has ended (this one was then given a new parent)."""
    return os.getppid() != parent
