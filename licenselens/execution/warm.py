"""A warm worker: one long-lived local process that keeps what is slow to load (ScanCode's index) and
answers requests on a Unix socket, so that short runs (a pre-commit hook) do not load it each time.

Started on demand by the first client that finds none, keyed by whatever makes its answers valid (the
caller's key: versions, index, rules), and gone after ``idle`` seconds without a request. One server per
key: a server holds ``KEY.lock`` (flock) for its life, so a second one started by a concurrent client
exits at once, and a killed server's socket is recognised as stale and replaced. Requests are served one
at a time in the main thread (ScanCode's time limits are SIGALRM), queued by the socket's backlog.
A client that cannot get an answer (no server yet, one that died mid-request) gets None and does the
work itself: the server only ever saves time."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_HEADER = struct.Struct("!Q")
# a socket's path must fit in sockaddr_un (108 bytes on Linux) with the key's name
SOCKET_DIR_MAX = 70
CONNECT_TIMEOUT = 0.5  # seconds; a live server accepts at once (the backlog queues while it is busy)


def runtime_dir() -> Path:
    """The user's private runtime folder for sockets: $XDG_RUNTIME_DIR/licenselens, else one under /tmp."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "licenselens" if base else Path(tempfile.gettempdir()) / f"licenselens-{os.getuid()}"
    if len(str(folder)) > SOCKET_DIR_MAX:
        folder = Path("/tmp") / f"licenselens-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"{folder} must be private to this user (mode 700)")
    return folder


def _send(sock: socket.socket, message: Any) -> None:
    data = json.dumps(message).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _receive(sock: socket.socket) -> Any:
    def exactly(n: int) -> bytes:
        parts, left = [], n
        while left:
            chunk = sock.recv(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("connection closed mid-message")
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    (size,) = _HEADER.unpack(exactly(_HEADER.size))
    return json.loads(exactly(size))


def ask(key: str, request: Any) -> Any | None:
    """The server's answer to ``request``, or None when no server for ``key`` could answer."""
    try:
        path = runtime_dir() / f"{key}.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect(str(path))
            sock.settimeout(None)  # the work itself may take long; a server that dies closes the socket
            _send(sock, request)
            answer = _receive(sock)
    except (OSError, ValueError, ConnectionError):
        return None
    return answer.get("answer") if isinstance(answer, dict) else None


def start(key: str, module: str, args: Sequence[str] = ()) -> None:
    """Start ``python -m module --key KEY ARGS`` detached (its own session), unless its lock is held."""
    folder = runtime_dir()
    if _lock_is_held(folder / f"{key}.lock"):
        return
    log = open(folder / f"{key}.log", "ab")  # noqa: SIM115 - handed to the child
    with log:
        subprocess.Popen(
            [sys.executable, "-m", module, "--key", key, *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )


def _lock_is_held(path: Path) -> bool:
    try:
        with open(path, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False
    except OSError:
        return True


def serve(key: str, handle: Callable[[Any], Any], idle: float, setup: Callable[[], None] = lambda: None) -> int:
    """Serve ``handle`` on the key's socket until ``idle`` seconds pass without a request; 0 on a normal
    end, 3 when another server holds the key."""
    folder = runtime_dir()
    lock = open(folder / f"{key}.lock", "a+")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 3
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")  # who serves this key, for people and tests
    lock.flush()
    setup()  # loaded before the socket exists: until then clients do the work themselves
    path = folder / f"{key}.sock"
    path.unlink(missing_ok=True)  # a killed server's (this lock is ours, so nobody serves it)
    signal.signal(signal.SIGTERM, _stop)  # stopped by a person: leave no socket behind
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(64)
        server.settimeout(idle)
        try:
            while True:
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    break
                with conn:
                    _answer(conn, handle)
        finally:
            path.unlink(missing_ok=True)
            lock.close()
    return 0


def _stop(signum, frame):
    raise SystemExit(0)


def _answer(conn: socket.socket, handle: Callable[[Any], Any]) -> None:
    conn.settimeout(30)  # a client that connects and sends nothing must not hold the server
    try:
        request = _receive(conn)
    except (OSError, ValueError, ConnectionError):
        return
    conn.settimeout(None)
    try:
        reply = {"answer": handle(request)}
    except Exception as exc:  # the client falls back to doing the work; the server lives on
        reply = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        _send(conn, reply)
    except OSError:
        pass  # the client went away (killed commit): nothing to tell it
