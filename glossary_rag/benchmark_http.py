"""The web app as people and programs reach it: `python app.py` in its own process, asked over HTTP.

Gradio's HTTP call API takes two requests per call: POST /gradio_api/call/<api_name> with {"data": [...]}
returns {"event_id"}, then GET /gradio_api/call/<api_name>/<event_id> streams server-sent events until
"event: complete" (data: the outputs as a JSON list) or "event: error". Everything goes to 127.0.0.1 only,
with bounded request counts and timeouts.

>>> read_events(iter([b"event: heartbeat", b"data: null", b"", b"event: complete", b'data: [{"a": 1}]', b""]))
('complete', [{'a': 1}])
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from glossary_rag.settings import PROJECT_ROOT, Settings

TIMEOUT_S = 60


class CallError(RuntimeError):
    """The server answered a call with an error event, a bad status, or not at all."""


def call(base_url: str, api_name: str, *data, timeout: float = TIMEOUT_S):
    """One call over Gradio's HTTP call API; returns the first output."""
    body = json.dumps({"data": list(data)}).encode("utf-8")
    post = urllib.request.Request(f"{base_url}/gradio_api/call/{api_name}", data=body,
                                  headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(post, timeout=timeout) as response:
        event_id = json.load(response)["event_id"]
    with urllib.request.urlopen(f"{base_url}/gradio_api/call/{api_name}/{event_id}", timeout=timeout) as stream:
        event, payload = read_events(stream)
    if event != "complete":
        raise CallError(f"/{api_name}: event {event!r}: {payload!r}")
    return payload[0]


def read_events(lines) -> tuple[str, object]:
    """The first "complete" or "error" event of a server-sent event stream, with its decoded data."""
    event = None
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("event:"):
            event = line[len("event:"):].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            text = line[len("data:"):].strip()
            try:
                return event, json.loads(text)
            except ValueError:
                return event, text
    return event or "closed", None


def measure_http(settings: Settings, questions: list[str], clients: int, questions_each: int, work: Path,
                 sequential: int = 100, ask=None, clear_cache=None) -> dict:
    """Start app.py on a free port, time sequential /ask calls, run the load test, read peak memory.

    Each timed question is new to the server, so its embedding cache never flatters a number. With `ask`
    (the in-process `Engine.ask`), each HTTP call alternates with the same question asked in process
    (cache cleared first), so `http_over_ask_ms` compares the two under the same machine load. Returns
    {"http_error": ...} instead of numbers when the app can't be started (e.g. app.py missing).
    """
    app = PROJECT_ROOT / "app.py"
    if not app.is_file():
        return {"http_error": f"{app} not found"}
    env = {"GLOSSARY_RAG_GLOSSARY_PATH": str(settings.glossary_path),
           "GLOSSARY_RAG_INDEX_DIR": str(settings.index_dir), "GLOSSARY_RAG_MODEL": settings.model}
    started = time.perf_counter()
    try:
        server, base_url = start_app(work, env, app)
    except CallError as err:
        return {"http_error": str(err)}
    ready_s = time.perf_counter() - started
    try:
        # Warm-up, as the in-process timings have: the first calls pay one-off costs.
        for text in ("what is dropout?", "precision vs recall"):
            call(base_url, "ask", text)
        timed, rest = questions[:sequential], questions[sequential:]
        latencies, in_process = [], []
        for text in timed:
            started = time.perf_counter()
            call(base_url, "ask", text)
            latencies.append((time.perf_counter() - started) * 1000)
            if ask is not None:
                clear_cache()
                started = time.perf_counter()
                ask(text)
                in_process.append((time.perf_counter() - started) * 1000)
        from glossary_rag.benchmark import percentiles

        result = {"http_ms": percentiles(latencies), "app_ready_s": round(ready_s, 1)}
        if in_process:
            result["ask_ms_beside_http"] = percentiles(in_process)
            result["http_over_ask_ms"] = round(result["http_ms"]["p50"] - result["ask_ms_beside_http"]["p50"], 2)
        result["load"] = load_test(base_url, rest or questions, clients, questions_each)
        result["rss_mb"] = peak_rss_mb(server.pid)
        return result
    finally:
        stop(server)


def load_test(base_url: str, questions: list[str], clients: int, questions_each: int) -> dict:
    """`clients` threads, each asking `questions_each` questions one after another, all at once."""
    from glossary_rag.benchmark import percentiles

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        start.wait()
        for i in range(questions_each):
            text = questions[(number * questions_each + i) % len(questions)]
            began = time.perf_counter()
            try:
                call(base_url, "ask", text)
                elapsed, error = (time.perf_counter() - began) * 1000, None
            except (OSError, CallError, ValueError, KeyError) as err:
                elapsed, error = None, f"{type(err).__name__}: {err}"
            with lock:
                if error:
                    errors.append(error)
                else:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    wall = time.perf_counter() - began
    stats = percentiles(latencies) if latencies else {"p50": None, "p95": None}
    return {"clients": clients, "questions_each": questions_each, "errors": len(errors),
            "p50_ms": stats["p50"], "p95_ms": stats["p95"],
            "requests_per_s": round(len(latencies) / wall, 1), "first_errors": errors[:3]}


def wait_until_ready(base_url: str, server: subprocess.Popen, timeout: float) -> float | None:
    """Seconds until /ask answers, or None if the process exits or the time runs out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if server.poll() is not None:
            return None
        try:
            call(base_url, "ask", "what is an epoch?", timeout=10)
            return time.perf_counter() - started
        except (OSError, CallError, ValueError, KeyError):
            time.sleep(0.5)
    return None


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a process, in MB, from /proc (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(server: subprocess.Popen) -> None:
    """Stop the app we started (its own process group), politely first."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait(timeout=20)


# --- Bursts and MCP calls against a running app (scripts/burst.py, tests/test_serving.py) ----------------------

def burst(base_url: str, queries: list[str], calls: int, k: int = 5, timeout: float = 120) -> dict:
    """`calls` threads each POST /gradio_api/call/search at the same instant, then read their answer.

    Call i asks queries[i % len(queries)]: distinct queries, so the embedding cache flatters nothing.
    Returns counts (answered, refused with 503, failed otherwise), latency percentiles of the answered
    calls (from the common start), the drain rate, and the distinct refusal messages.
    """
    from glossary_rag.benchmark import percentiles

    latencies: list[float] = []
    refusals: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(calls + 1)

    def one(query: str) -> None:
        start.wait()
        began = time.perf_counter()
        try:
            call(base_url, "search", query, k, timeout=timeout)
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            with lock:
                if err.code == 503:
                    refusals[detail] = refusals.get(detail, 0) + 1
                else:
                    failures.append(f"HTTP {err.code}: {detail[:200]}")
        except (OSError, CallError, ValueError, KeyError) as err:
            with lock:
                failures.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=one, args=(queries[i % len(queries)],), daemon=True) for i in range(calls)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=timeout + 30)
    wall = time.perf_counter() - began
    stats = percentiles(latencies) if latencies else {}
    return {"calls": calls, "answered": len(latencies), "refused": sum(refusals.values()),
            "failed": len(failures), "p50_ms": stats.get("p50"), "p95_ms": stats.get("p95"),
            "max_ms": round(max(latencies), 1) if latencies else None, "wall_s": round(wall, 2),
            "drained_per_s": round(len(latencies) / wall, 1) if wall else None,
            "refusal_messages": sorted(refusals), "first_failures": failures[:3]}


def time_mcp_calls(base_url: str, calls: int, tool: str = "search", arguments: dict | None = None,
                   progress: bool = False) -> dict:
    """Latency of `calls` MCP tool calls made one after another over streamable HTTP, after one warm-up.
    With `progress`, each call asks for progress notifications (as some agents do)."""
    import asyncio

    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    from glossary_rag.benchmark import percentiles

    arguments = arguments or {"query": "dropout", "k": 5}

    async def talk() -> list[float]:
        async with streamablehttp_client(f"{base_url}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                async def on_progress(*_):
                    pass

                callback = on_progress if progress else None
                await session.call_tool(tool, arguments, progress_callback=callback)
                times = []
                for _ in range(calls):
                    began = time.perf_counter()
                    result = await session.call_tool(tool, arguments, progress_callback=callback)
                    times.append((time.perf_counter() - began) * 1000)
                    if result.isError:
                        raise CallError(f"MCP {tool}: {result.content}")
                return times

    return {"tool": tool, "calls": calls, "progress": progress, **percentiles(asyncio.run(talk()))}


def start_app(work: Path, env: dict[str, str] | None = None, app: Path | None = None,
              timeout: float = 300) -> tuple[subprocess.Popen, str]:
    """Start `python app.py` on a free loopback port (log in work/app.log); returns it and its base URL once
    /ask answers. The caller stops it with `stop`."""
    app = app or PROJECT_ROOT / "app.py"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False",
           "GLOSSARY_RAG_FEEDBACK_PATH": str(work / "feedback" / "feedback.sqlite3"), **(env or {})}
    log_path = work / "app.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([sys.executable, str(app)], cwd=PROJECT_ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    if wait_until_ready(base_url, server, timeout) is None:
        stop(server)
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise CallError(f"{app} did not answer /ask (exit code {server.poll()}): {tail}")
    return server, base_url
