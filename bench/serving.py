"""The app as people and programs reach it, for measuring: a free loopback port, `python app.py` started and
stopped, one HTTP client for Gradio's call API, a process's memory, and percentiles.

Gradio's HTTP call API takes two requests per call: POST /gradio_api/call/<api_name> with {"data": [...]}
returns {"event_id"}, then GET /gradio_api/call/<api_name>/<event_id> streams server-sent events until
"event: complete" (data: the outputs as a JSON list) or "event: error". Everything goes to 127.0.0.1.
The benchmark (bench/benchmark.py, bench/load.py), the soak (bench/soak.py), the burst (scripts/burst.py)
and the tests' live server (tests/conftest.py) all use this module; nothing else opens ports or reads /proc.

>>> read_events(["event: heartbeat", "data: null", "", "event: complete", 'data: [{"a": 1}]', ""])
('complete', [{'a': 1}])
>>> percentiles([3.0, 1.0, 2.0, 10.0])
{'p50': 2.5, 'p95': 8.95}
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60.0

Outcome = Literal["complete", "error", "http-4xx", "http-5xx", "unanswered"]


class CallError(RuntimeError):
    """The server answered a call with an error event, a bad status, or not at all."""


@dataclass(frozen=True)
class Reply:
    """How one call ended: `payload` is the outputs list for "complete", otherwise what went wrong."""

    outcome: Outcome
    payload: object
    status: int | None = None  # the HTTP status of the refusing request, for http-4xx / http-5xx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentiles(values_ms: Iterable[float]) -> dict[str, float]:
    """p50 and p95 of a list of timings, rounded to 0.01 (linear interpolation, numpy's default)."""
    values = np.asarray(list(values_ms), dtype=np.float64)
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}


def memory_mb(pid: int, field: Literal["VmRSS", "VmHWM"] = "VmRSS") -> float | None:
    """Resident memory now (VmRSS) or at its peak (VmHWM) of process `pid`, in MB, from /proc (Linux);
    None when the process or the field is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _kept(lines: Iterable[str], seen: list[str], keep: int = 8) -> Iterator[str]:
    """`lines`, remembering the last `keep` of them in `seen` (a failed call reports where its stream stopped)."""
    for line in lines:
        seen.append(line)
        del seen[:-keep]
        yield line


def read_events(lines: Iterable[str]) -> tuple[str, object]:
    """The first "complete" or "error" event of a server-sent event stream, with its decoded data."""
    event = None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line.startswith("event:"):
            event = line[len("event:"):].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            text = line[len("data:"):].strip()
            try:
                return event, json.loads(text)
            except ValueError:
                return event, text
    return event or "closed", None


class AppClient:
    """Calls over Gradio's HTTP call API (httpx; safe to share between threads).

    `connections=None` sets no pool limit, so a burst of N threads really opens N connections at once.
    """

    def __init__(self, base_url: str, timeout: float = TIMEOUT_S, connections: int | None = 100):
        self.base_url = base_url.rstrip("/")
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, limits=limits)

    def send(self, api_name: str, *data) -> Reply:
        """One call; never raises for what the server or the network did (soak and burst count outcomes).

        A call that fails says how: which request (the POST, or the GET of its event stream), after how
        long, the exception's type, the HTTP status and the first bytes of the body or the stream's last lines.
        """
        began = time.perf_counter()
        step, seen = "POST", []
        try:
            # json.dumps escapes lone surrogates (\ud800) as any client would; httpx's json= would fail on them.
            posted = self._http.post(f"/gradio_api/call/{api_name}", content=json.dumps({"data": list(data)}),
                                     headers={"Content-Type": "application/json"})
            if posted.status_code != 200:
                kind = "http-5xx" if posted.status_code >= 500 else "http-4xx"
                return Reply(kind, posted.text[:2000], posted.status_code)
            event_id = posted.json()["event_id"]
            step = f"GET stream of event {event_id}"
            with self._http.stream("GET", f"/gradio_api/call/{api_name}/{event_id}") as stream:
                if stream.status_code != 200:
                    kind = "http-5xx" if stream.status_code >= 500 else "http-4xx"
                    return Reply(kind, f"{step}: HTTP {stream.status_code}: {stream.read()[:300]!r}",
                                 stream.status_code)
                event, payload = read_events(_kept(stream.iter_lines(), seen))
        except (httpx.HTTPError, ValueError, KeyError) as err:
            return Reply("unanswered", f"{step}, {time.perf_counter() - began:.1f} s in: {type(err).__name__}: "
                                       f"{err}; stream so far: {seen[-4:]!r:.300}")
        if event in ("complete", "error"):
            return Reply(event, payload)
        return Reply("unanswered", f"{step}, {time.perf_counter() - began:.1f} s in: the stream ended with "
                                   f"{event!r} before complete/error; its last lines: {seen[-4:]!r:.300}")

    def call(self, api_name: str, *data):
        """One call; returns its first output or raises `CallError` saying how it failed."""
        reply = self.send(api_name, *data)
        if reply.outcome != "complete":
            raise CallError(f"/{api_name}: {reply.outcome}: {reply.payload!r:.500}")
        return reply.payload[0]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "AppClient":
        return self

    def __exit__(self, *_) -> None:
        self.close()


@dataclass(frozen=True)
class RunningApp:
    """A `python app.py` we started (its own process group) and where it answers."""

    process: subprocess.Popen
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Stop it politely (SIGTERM to its group), then firmly; a no-op once it has exited."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=20)

    def __enter__(self) -> "RunningApp":
        return self

    def __exit__(self, *_) -> None:
        self.stop()


def start_app(work: Path, env: dict[str, str] | None = None, app: Path | None = None,
              timeout: float = 300) -> RunningApp:
    """Start `python app.py` on a free loopback port, its log in work/app.log and its feedback in work/;
    returns once /ask answers (raises `CallError` with the log's tail if it exits or never answers).
    `env` adds to (and overrides) this process's environment, e.g. GLOSSARY_RAG_INDEX_DIR."""
    app = Path(app or PROJECT_ROOT / "app.py")
    if not app.is_file():
        raise CallError(f"{app} not found")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
           "GLOSSARY_RAG_FEEDBACK_PATH": str(Path(work) / "feedback" / "feedback.sqlite3"), **(env or {})}
    log_path = Path(work) / "app.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, str(app)], cwd=PROJECT_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    running = RunningApp(process, base_url, log_path)
    if not _wait_until_ready(running, timeout):
        running.stop()
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise CallError(f"{app} did not answer /ask (exit code {process.poll()}): {tail}")
    return running


def _wait_until_ready(running: RunningApp, timeout: float) -> bool:
    """True once /ask answers; False if the process exits or `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    with AppClient(running.base_url, timeout=10) as client:
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                return False
            if client.send("ask", "what is an epoch?").outcome == "complete":
                return True
            time.sleep(0.5)
    return False


def pair(stats: dict) -> str:
    """ "12.3 ms p50, 20.1 ms p95" for a percentiles() dict."""
    return f"{stats['p50']:.1f} ms p50, {stats['p95']:.1f} ms p95"


def ms_since(started: float) -> float:
    """Milliseconds since a time.perf_counter() reading."""
    return (time.perf_counter() - started) * 1000


def load_avg() -> list[float]:
    """The 1/5/15-minute load averages, or [] where the OS has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []
