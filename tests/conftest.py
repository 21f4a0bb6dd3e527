"""Shared fixtures: the real model and engine, loaded once per session; the session's live Gradio server
(one, on a free port, shared by test_app.py, test_browser*.py and test_serving.py) and a second one whose
queue is always full; small glossaries written into tmp_path (tests never write into the working tree)."""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.serving import free_port
from glossary_rag.adapt import select_adapter
from glossary_rag.embed import load_encoder
from glossary_rag.glossary import load_glossary
from glossary_rag.settings import PROJECT_ROOT, Settings



@pytest.fixture(scope="session")
def encoder():
    return load_encoder(Settings().model, select_adapter(Settings().adapter, load_glossary(Settings().glossary_path)))


@pytest.fixture(scope="session")
def engine(encoder):
    """The engine over the committed glossary and index, as the app serves it."""
    from glossary_rag.engine import Engine

    return Engine.load(Settings(), encoder=encoder)


@dataclass(frozen=True)
class LiveApp:
    url: str  # e.g. http://127.0.0.1:53211/
    demo: object
    feedback_path: Path


def serve_in_process(engine, folder: Path, **build_options) -> LiveApp:
    """`app.build_app` launched in this process on a free port, its feedback file in `folder`; the caller
    closes `demo`. `build_options` go to `build_app` (queue_max_size=0: every queued call is refused)."""
    from app import build_app, launch
    from glossary_rag.feedback import FeedbackStore

    feedback = FeedbackStore(folder / "feedback.sqlite3")
    demo = build_app(engine, feedback, **build_options)
    _, local_url, _ = launch(demo, feedback, server_name="127.0.0.1", server_port=free_port(),
                             prevent_thread_lock=True, quiet=True)
    return LiveApp(local_url, demo, feedback.path)


@pytest.fixture(scope="session")
def live(engine, tmp_path_factory):
    """The session's live app over the committed glossary, as `python app.py` serves it."""
    served = serve_in_process(engine, tmp_path_factory.mktemp("live-feedback"))
    yield served
    served.demo.close()


@pytest.fixture(scope="session")
def busy(engine, tmp_path_factory):
    """An app whose queue holds nothing, so it is always past its bound."""
    served = serve_in_process(engine, tmp_path_factory.mktemp("busy-feedback"), queue_max_size=0)
    yield served
    served.demo.close()


@pytest.fixture
def settings_in(tmp_path):
    """Settings whose glossary and index live in tmp_path."""
    def make(glossary: Path) -> Settings:
        return dataclasses.replace(Settings(), glossary_path=glossary, index_dir=tmp_path / "index")
    return make


def write_entry(folder: Path, entry_id: int, term: str, definition: str, **fields) -> Path:
    """Write one YAML entry file in our own format and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"id: {entry_id}", f"term: {term}", f"definition: {definition}"]
    for key, value in fields.items():
        lines.append(f"{key}: {value!r}" if not isinstance(value, (list, tuple)) else
                     f"{key}: [{', '.join(repr(v) for v in value)}]")
    path = folder / f"{entry_id:03d}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny_glossary(tmp_path) -> Path:
    """Four entries, enough to build, search and cite."""
    folder = tmp_path / "glossary"
    write_entry(folder, 1, "Dropout", "Dropout randomly zeroes units during training. It reduces overfitting.",
                aliases=["drop-out"], related=[2], descriptions=["switching neurons off at random while training"])
    write_entry(folder, 2, "Overfitting", "Overfitting is fitting noise in the training data.", related=[1],
                opposite=[3], descriptions=["memorizing the training set and failing on new data"])
    write_entry(folder, 3, "Underfitting", "Underfitting is a model too simple to capture the signal.",
                opposite=[2], descriptions=["a model too simple to learn the pattern"])
    write_entry(folder, 4, "Learning Rate", "The learning rate sets the step size of each update.",
                aliases=["lr"], descriptions=["how big each optimizer step is"])
    return folder


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()


__all__ = ["write_entry", "dedent", "serve_in_process", "LiveApp", "PROJECT_ROOT"]
