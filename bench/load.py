"""The app over HTTP, under load: sequential `/ask` timings beside the in-process path, many clients at once,
a burst of simultaneous calls against the queue's bound, and MCP tool calls (bench/serving.py does the
starting, stopping and calling)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.serving import AppClient, CallError, Reply, memory_mb, percentiles, start_app
from glossary_rag.settings import Settings


def measure_http(settings: Settings, questions: list[str], clients: int, questions_each: int, work: Path,
                 sequential: int = 100, ask: Callable[[str], object] | None = None) -> dict:
    """Start app.py on a free port, time sequential /ask calls, run the load test, read peak memory.

    Each timed question is new to the server, so its embedding cache never flatters a number. With `ask`
    (an in-process, uncached `Engine.ask`), each HTTP call alternates with the same question asked in
    process, so `http_over_ask_ms` compares the two under the same machine load. Returns
    {"http_error": ...} instead of numbers when the app can't be started (e.g. app.py missing).
    """
    env = {"GLOSSARY_RAG_GLOSSARY_PATH": str(settings.glossary_path),
           "GLOSSARY_RAG_INDEX_DIR": str(settings.index_dir), "GLOSSARY_RAG_MODEL": settings.model}
    started = time.perf_counter()
    try:
        app = start_app(work, env)
    except CallError as err:
        return {"http_error": str(err)}
    ready_s = time.perf_counter() - started
    with app, AppClient(app.base_url) as client:
        # Warm-up, as the in-process timings have: the first calls pay one-off costs.
        for text in ("what is dropout?", "precision vs recall"):
            client.call("ask", text)
        timed, rest = questions[:sequential], questions[sequential:]
        latencies, in_process = [], []
        for text in timed:
            began = time.perf_counter()
            client.call("ask", text)
            latencies.append(_ms(began))
            if ask is not None:
                began = time.perf_counter()
                ask(text)
                in_process.append(_ms(began))
        result = {"http_ms": percentiles(latencies), "app_ready_s": round(ready_s, 1)}
        if in_process:
            result["ask_ms_beside_http"] = percentiles(in_process)
            result["http_over_ask_ms"] = round(result["http_ms"]["p50"] - result["ask_ms_beside_http"]["p50"], 2)
        result["load"] = load_test(client, rest or questions, clients, questions_each)
        result["rss_mb"] = memory_mb(app.pid, "VmHWM")
        return result


def load_test(client: AppClient, questions: list[str], clients: int, questions_each: int) -> dict:
    """`clients` threads, each asking `questions_each` questions one after another, all at once."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def one_client(number: int) -> None:
        start.wait()
        for i in range(questions_each):
            text = questions[(number * questions_each + i) % len(questions)]
            began = time.perf_counter()
            reply = client.send("ask", text)
            with lock:
                if reply.outcome == "complete":
                    latencies.append(_ms(began))
                else:
                    errors.append(f"{reply.outcome}: {reply.payload!r:.300}")

    wall = _run_together(one_client, clients, start, timeout=600)
    with lock:
        unfinished = clients * questions_each - len(latencies) - len(errors)
        if unfinished:  # a client still waiting when the deadline passed: an error too, said as such
            errors.append(f"{unfinished} calls had no reply when the load test's deadline (600 s) passed")
    stats = percentiles(latencies) if latencies else {"p50": None, "p95": None}
    return {"clients": clients, "questions_each": questions_each, "errors": len(errors),
            "p50_ms": stats["p50"], "p95_ms": stats["p95"],
            "requests_per_s": round(len(latencies) / wall, 1), "first_errors": errors[:3]}


def burst(base_url: str, queries: list[str], calls: int, k: int = 5, timeout: float = 120) -> dict:
    """`calls` threads each POST /gradio_api/call/search at the same instant, then read their answer.

    Call i asks queries[i % len(queries)]: distinct queries, so the embedding cache flatters nothing.
    `timeout` bounds each request's silences (httpx) and the whole burst. Returns counts (answered, refused
    with 503, failed otherwise: an error event, another status, a broken or silent stream, or no reply
    before the burst's deadline), latency percentiles of the answered calls (from the common start), the
    drain rate, the distinct refusal messages, and every failure: its call, question, when it ended and why.
    """
    latencies: list[float] = []
    refusals: dict[str, int] = {}
    failures: dict[int, str] = {}
    lock = threading.Lock()
    start = threading.Barrier(calls + 1)
    # A client per caller, as a burst of separate people would be: 200 threads sharing one httpx pool lost a
    # call to the pool itself (a socket closed under a reader: "ReadError: [Errno 9] Bad file descriptor").
    clients = [AppClient(base_url, timeout=timeout, connections=1) for _ in range(calls)]
    try:
        def one(number: int) -> None:
            start.wait()
            began = time.perf_counter()
            query = queries[number % len(queries)]
            try:
                reply = clients[number].send("search", query, k)
            except Exception as err:  # anything send() did not expect must still be counted, and say what
                reply = Reply("unanswered", f"{type(err).__name__} in the client: {err}")
            with lock:
                if reply.outcome == "complete":
                    latencies.append(_ms(began))
                elif reply.status == 503:
                    refusals[str(reply.payload)] = refusals.get(str(reply.payload), 0) + 1
                else:
                    failures[number] = (f"call {number} ({query!r}) after {_ms(began) / 1000:.1f} s: {reply.outcome}"
                                        f" (HTTP {reply.status or '-'}): {reply.payload!r:.400}")

        wall = _run_together(one, calls, start, timeout=timeout + 30)
    finally:
        for client in clients:
            client.close()
    with lock:
        answered, refused = len(latencies), sum(refusals.values())
        unfinished = calls - answered - refused - len(failures)
        if unfinished:
            failures[-1] = f"{unfinished} calls had no reply when the burst's deadline ({timeout + 30:.0f} s) passed"
    stats = percentiles(latencies) if latencies else {}
    return {"calls": calls, "answered": answered, "refused": refused,
            "failed": calls - answered - refused, "p50_ms": stats.get("p50"), "p95_ms": stats.get("p95"),
            "max_ms": round(max(latencies), 1) if latencies else None, "wall_s": round(wall, 2),
            "drained_per_s": round(answered / wall, 1) if wall else None,
            "refusal_messages": sorted(refusals), "failures": [failures[n] for n in sorted(failures)]}


def time_mcp_calls(base_url: str, calls: int, tool: str = "search", arguments: dict | None = None,
                   progress: bool = False) -> dict:
    """Latency of `calls` MCP tool calls made one after another over streamable HTTP, after one warm-up.
    With `progress`, each call asks for progress notifications (as some agents do)."""
    import asyncio

    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    arguments = arguments or {"query": "dropout", "k": 5}

    async def on_progress(*_) -> None:
        pass

    async def talk() -> list[float]:
        async with streamablehttp_client(f"{base_url}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                callback = on_progress if progress else None
                await session.call_tool(tool, arguments, progress_callback=callback)
                times = []
                for _ in range(calls):
                    began = time.perf_counter()
                    result = await session.call_tool(tool, arguments, progress_callback=callback)
                    times.append(_ms(began))
                    if result.isError:
                        raise CallError(f"MCP {tool}: {result.content}")
                return times

    return {"tool": tool, "calls": calls, "progress": progress, **percentiles(asyncio.run(talk()))}


def _run_together(target: Callable[[int], None], count: int, start: threading.Barrier, timeout: float) -> float:
    """Run `target(0..count-1)` in threads released together by `start`; the wall time until all end."""
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    deadline = began + timeout  # one deadline for all: joining each thread for `timeout` could wait count times
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    return time.perf_counter() - began


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
