"""The Rasa NLU server, run from the bot's environment as a subprocess.

`serve` replaces the current process by the server (`python -m bot nlu
serve`); `start_server` starts it in the background and waits until a parse
works (`python -m bot run`, tests and benchmarks). Both serve the current
model, trained first when missing (bot/nlu/tooling.py). Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from bot.nlu.tooling import Log, Project, ToolingError, ensure_model, log_to_stderr

PROBE_TEXT = "сәлеметсіз бе"


def server_command(project: Project, model: Path, port: int, host: str) -> list[str]:
    return [
        str(project.rasa),
        "run",
        "--enable-api",
        "-i",
        host,
        "-p",
        str(port),
        "--model",
        str(model),
    ]


def serve(
    port: int = 5005,
    host: str = "127.0.0.1",
    project: Project | None = None,
    log: Log = log_to_stderr,
) -> None:
    """Replace this process by the Rasa server for the current model (trained first if needed)."""
    project = project or Project()
    model = ensure_model(project, log=log)
    log(f"serving {model.name} on http://{host}:{port} (POST /model/parse)")
    command = server_command(project, model, port, host)
    os.chdir(project.root)
    os.execve(command[0], command, project.rasa_env())


@dataclass
class NLUServer:
    """A Rasa server started by `start_server`; stop it with `stop()` or `with`."""

    process: subprocess.Popen[bytes]
    url: str
    model: Path
    log_path: Path
    _log_file: IO[bytes] | None = None

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the server's process group, killing it if it does not exit in time."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> NLUServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(  # noqa: PLR0913 - keyword-only options with defaults
    port: int = 5005,
    host: str = "127.0.0.1",
    *,
    project: Project | None = None,
    model: Path | None = None,
    timeout: float = 180.0,
    log: Log = log_to_stderr,
) -> NLUServer:
    """Start the Rasa server in the background and return once a parse works.

    The server runs in its own process group so `stop()` ends Rasa's children
    too. Its output goes to a log file named in the error if it fails to start.
    """
    project = project or Project()
    model = model or ensure_model(project, log=log)
    logs = project.cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"nlu-server-{port}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        server_command(project, model, port, host),
        cwd=project.root,
        env=project.rasa_env(),
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = NLUServer(process, f"http://{host}:{port}", model, log_path, log_file)
    try:
        _wait_until_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: NLUServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ToolingError(
                f"the NLU server exited with code {server.process.returncode}; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        if _parse_works(server.url):
            return
        time.sleep(0.5)
    raise ToolingError(
        f"the NLU server did not answer within {timeout:.0f} s; "
        f"log {server.log_path}:\n{server.log_tail()}"
    )


def _parse_works(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=2) as resp:
            status_body: dict[str, Any] = json.load(resp)
        if not status_body.get("model_file"):
            return False
        request = urllib.request.Request(
            f"{url}/model/parse",
            data=json.dumps({"text": PROBE_TEXT}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as resp:
            parsed: dict[str, Any] = json.load(resp)
        return "intent" in parsed
    except (OSError, ValueError, urllib.error.URLError):
        return False
