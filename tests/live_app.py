"""Live Gradio servers for the whole test session, shared by test_app.py, test_browser.py and test_serving.py.

A session fixture defined in one module and imported into two would start two servers, so the fixtures in
both modules call `start_live_app`, which starts the server once (the session's engine, a feedback file in
the session's temporary folder, a free port) and registers a single shutdown at the end of the session.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class LiveApp:
    url: str  # e.g. http://127.0.0.1:53211/
    demo: object
    feedback_path: Path


_LIVE: dict[str, LiveApp] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_live_app(request: pytest.FixtureRequest, engine, tmp_path_factory, name: str = "app",
                   **build_options) -> LiveApp:
    """The session's live app called `name`, started on first use and closed when the session ends.

    `build_options` go to `build_app`: e.g. name="busy", queue_max_size=0 is an app whose queue is always
    past its bound, so every queued call is refused."""
    if name not in _LIVE:
        from app import build_app, launch
        from glossary_rag.feedback import FeedbackStore

        feedback = FeedbackStore(tmp_path_factory.mktemp(f"live-{name}-feedback") / "feedback.sqlite3")
        demo = build_app(engine, feedback, **build_options)
        _, local_url, _ = launch(demo, feedback, server_name="127.0.0.1", server_port=free_port(),
                                 prevent_thread_lock=True, quiet=True)
        _LIVE[name] = LiveApp(local_url, demo, feedback.path)

        def close():
            _LIVE.pop(name).demo.close()

        request.session.config.add_cleanup(close)
    return _LIVE[name]
