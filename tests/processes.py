"""What the tests that start the portal's own processes (worker.py, gunicorn) share."""
import os
import signal
import subprocess

TEST_SECRET_KEY = "test-secret-key-not-for-production"


def portal_env(database_url, redis_url, var_dir, **settings):
    """The environment of a process a test starts: the test's database and Redis, a
    throwaway var/ and `settings` on top."""
    return dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, PORTAL_ENV="test",
                SECRET_KEY=TEST_SECRET_KEY, PORTAL_VAR_DIR=str(var_dir), **settings)


def stop(process, grace=15, group=False):
    """SIGTERM (a worker finishes its job), then SIGKILL — to its process group when it
    was started in a session of its own — after `grace` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
        process.wait()
