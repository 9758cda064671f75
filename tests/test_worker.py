"""worker.py supervises its processes: a killed worker is logged, reaped with whatever it
left in its process group, and replaced; a crash loop stops everything."""
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from rq import SimpleWorker

import worker
from portal import queue
from portal.config import BASE_DIR
from tests.processes import portal_env


def eventually(check, timeout=10, message="timed out"):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
    return value


def alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def rq_worker_pids():
    return sorted(w.pid for w in SimpleWorker.all(connection=queue.connection()))


@pytest.fixture
def supervisor(app, database_url, redis_url, tmp_path):
    """`worker.py -n 1 --no-cron`, its log in a file; killed with its whole tree at the end."""
    env = portal_env(database_url, redis_url, tmp_path)
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, str(BASE_DIR / "worker.py"), "-n", "1", "--no-cron"],
                                   cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    process.log = log
    tree = []
    process.tree = tree  # every pid seen under the supervisor, swept at the end
    yield process
    for pid in tree:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
        process.wait()


def worker_and_scheduler(supervisor, replacing=None):
    """The RQ worker's pid once it is registered and has forked its scheduler (another
    than `replacing`: right after a kill, the dead one is still a child until reaped)."""
    def ready():
        children = psutil.Process(supervisor.pid).children()
        if len(children) != 1 or children[0].pid == replacing or rq_worker_pids() != [children[0].pid]:
            return None
        grandchildren = children[0].children()
        return grandchildren and (children[0].pid, grandchildren[0].pid)
    pids = eventually(ready, message="worker.py did not start its worker and scheduler")
    supervisor.tree.extend(pids)
    return pids


def test_a_killed_worker_is_logged_reaped_and_replaced(supervisor):
    worker_pid, scheduler_pid = worker_and_scheduler(supervisor)

    os.kill(worker_pid, signal.SIGKILL)

    new_pid, _ = worker_and_scheduler(supervisor, replacing=worker_pid)
    assert new_pid != worker_pid
    assert rq_worker_pids() == [new_pid]  # the dead one's registration is gone too
    assert not alive(worker_pid) and not psutil.pid_exists(worker_pid)  # reaped, no zombie
    eventually(lambda: not psutil.pid_exists(scheduler_pid), timeout=5,
               message="the dead worker's scheduler was left behind")
    log = supervisor.log.read_text()
    assert f"rq-worker-0 (pid {worker_pid}) was killed by SIGKILL" in log
    written = [json.loads(line) for line in log.splitlines()]  # LOG_FORMAT's default: JSON, as the web's
    assert {"worker", "rq.worker"} <= {line["logger"] for line in written}

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(10) == 0
    assert not [pid for pid in supervisor.tree if alive(pid)]


def test_a_crash_loop_is_given_up(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(worker.time, "monotonic", lambda: now[0])
    restarts = worker.RestartBudget(limit=3, window=60)
    for _ in range(3):
        assert restarts.spend()
        now[0] += 10
    assert not restarts.spend()  # a fourth death within a minute: give up
    now[0] += 61
    assert restarts.spend()  # the earlier deaths have left the window
