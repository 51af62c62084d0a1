"""Starting local servers for the scripts (`audit.py`, `bench/`, `attack.py`): processes
stopped on the way out, a free port, gunicorn's flags, the shop's environment, the Stripe
sandbox, and waiting until a server answers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer in time; the message ends with its log."""


class CommandFailed(RuntimeError):
    """A command run to the end exited with a non-zero status."""


class Processes:
    """Every process a script starts, each in its own process group, stopped on the way out."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen[bytes]] = []

    def start(
        self, args: Sequence[str], log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start `args` with stdout and stderr going to `log`."""
        with log.open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own fixed commands
                list(args), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self._running.append(proc)
        return proc

    def run(self, args: Sequence[str], timeout: float) -> str:
        """Run `args` to the end and return its stdout (stderr is shown)."""
        proc = subprocess.Popen(  # noqa: S603 - our own fixed commands
            list(args), cwd=ROOT, stdout=subprocess.PIPE, start_new_session=True
        )
        self._running.append(proc)
        try:
            out, _ = proc.communicate(timeout=timeout)
        finally:
            self.stop(proc)
        if proc.returncode != 0:
            raise CommandFailed(f"{args[0]} exited with status {proc.returncode}")
        return out.decode()

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop a process and everything it started (its process group)."""
        if proc in self._running:
            self._running.remove(proc)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # Workers left behind by a master that died first.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        """Stop every process still running, newest first."""
        for proc in reversed(list(self._running)):
            self.stop(proc)


def process_env(settings: dict[str, str]) -> dict[str, str]:
    """This environment without the shop's own settings, then `settings`."""
    own = ("STRIPE_", "SHOP_", "MAIL_", "CACHE_", "REDIS_URL", "DATABASE_URL", "SECRET_KEY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(settings)
    return env


def gunicorn_args(port: int, app: str, workers: int, extra: Sequence[str] = ()) -> list[str]:
    """The one set of gunicorn flags both the shop and hello world are served with."""
    return [
        str(VENV_BIN / "gunicorn"),
        "--no-control-socket",
        f"--workers={workers}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        *extra,
        app,
    ]


@contextlib.contextmanager
def interrupts_as_keyboard() -> Iterator[None]:
    """Let SIGTERM unwind like Ctrl-C, so every `finally` stops what it started."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def start_stripe_sandbox(procs: Processes, log: Path, webhook_url: str, secret: str) -> str:
    """Start the Stripe sandbox (`python -m stripe_sandbox`, from the repository root) on a free
    port, posting signed webhooks to `webhook_url`; return its URL once it answers."""
    port = free_port()
    proc = procs.start(
        [
            str(VENV_BIN / "python"),
            "-m",
            "stripe_sandbox",
            f"--port={port}",
            f"--webhook-url={webhook_url}",
            f"--webhook-secret={secret}",
            "--quiet",
        ],
        log,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/_sandbox/webhooks", proc, 60, log)
    return url


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
    url: str,
    proc: subprocess.Popen[bytes],
    seconds: float,
    log: Path | None = None,
    context: ssl.SSLContext | None = None,
) -> None:
    """Return once `url` answers with any status; raise ServerDidNotStart if `proc` exits
    first or nothing answers within `seconds` (`context`: how to trust an HTTPS server)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDidNotStart(
                f"{url} did not start (status {proc.returncode}):\n{tail(log)}".rstrip()
            )
        try:
            with urllib.request.urlopen(url, timeout=5, context=context):  # noqa: S310 - our own local server
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise ServerDidNotStart(
        f"nothing answered on {url} within {seconds:.0f}s:\n{tail(log)}".rstrip()
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """`rows` under `header` as a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()
) -> str:
    """`rows` under `header` as aligned plain text; the columns in `right` flush right."""
    cells = [header, *rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    out = []
    for n, line in enumerate(cells):
        parts = [
            c.rjust(widths[i]) if i in right and n else c.ljust(widths[i])
            for i, c in enumerate(line)
        ]
        out.append("  ".join(parts).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def replace_between(path: Path, start: str, end: str, text: str) -> None:
    """Put `text` between the marker lines `start` and `end` of the file at `path`."""
    content = path.read_text()
    if start not in content or end not in content:
        raise ValueError(f"{path.name} has no {start} ... {end} block")
    head, rest = content.split(start, 1)
    path.write_text(f"{head}{start}\n{text}\n{end}{rest.split(end, 1)[1]}")
