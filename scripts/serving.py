"""Starting a local server for the scripts (`audit.py`, `bench.py`): a free port, and waiting
until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer in time; the message ends with its log."""


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(log: Path | None, lines: int = 30) -> str:
    """The last lines of a log file ("" when there is none)."""
    if log is None:
        return ""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes], seconds: float, log: Path | None = None
) -> None:
    """Return once `url` answers with any status; raise ServerDidNotStart if `proc` exits
    first or nothing answers within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDidNotStart(
                f"{url} did not start (status {proc.returncode}):\n{tail(log)}".rstrip()
            )
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - our own local server
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise ServerDidNotStart(
        f"nothing answered on {url} within {seconds:.0f}s:\n{tail(log)}".rstrip()
    )
