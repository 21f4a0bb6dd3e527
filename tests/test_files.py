"""Damaged files: every broken glossary or index gives a message naming the file and the fix, never a traceback;
the engine refuses a wrong index or rebuilds it; and a build killed at any moment leaves a loadable index.

Real files in tmp_path, the real CLI in subprocesses, the real model and FAISS. See SECURITY.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from bench.serving import free_port
from glossary_rag.adapt import select_adapter
from glossary_rag.cli import main
from glossary_rag.embed import load_encoder
from glossary_rag.engine import Engine
from glossary_rag.glossary import GlossaryError, load_glossary
from glossary_rag.index import build_index, load_index, write_index
from glossary_rag.ivf import create_faiss_index
from glossary_rag.manifest import MANIFEST, IndexCorruptError, IndexMissingError, IndexStaleError, read_manifest
from glossary_rag.outside import OutsideVectors, concepts_outside, load_outside_concepts, outside_hash
from glossary_rag.passages import glossary_passages
from glossary_rag.settings import PROJECT_ROOT, Settings
from tests.conftest import write_entry

SETTINGS = Settings()

REBUILD = "Rebuild it with `python scripts/build_index.py`."


def write_small_glossary(folder: Path) -> Path:
    write_entry(folder, 1, "Dropout", "Dropout randomly zeroes units during training. It reduces overfitting.",
                related=[2], descriptions=["switching neurons off at random while training"])
    write_entry(folder, 2, "Overfitting", "Overfitting is fitting noise in the training data.", related=[1],
                descriptions=["memorizing the training set and failing on new data"])
    write_entry(folder, 3, "Learning Rate", "The learning rate sets the step size of each update.",
                descriptions=["how big each optimizer step is"])
    return folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, encoder) -> Path:
    """A small glossary and its freshly built index, copied by each test before it damages them."""
    root = tmp_path_factory.mktemp("pristine")
    build_index(load_glossary(write_small_glossary(root / "glossary")), encoder, root / "index", settings=SETTINGS)
    return root


def copy_of(pristine: Path, dest: Path) -> tuple[Path, Path]:
    shutil.copytree(pristine, dest)
    return dest / "glossary", dest / "index"


def index_of_another_model(glossary: Path, index: Path, encoder, *, same_identity: bool) -> None:
    """A complete, self-consistent index of 768-dimensional vectors: built by another model, or (same_identity)
    claiming our model's id and fingerprint, as a hand-copied or doctored index would."""
    loaded = load_glossary(glossary)
    passages = glossary_passages(loaded)
    vectors = np.random.default_rng(0).standard_normal((len(passages), 768)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    faiss_index = create_faiss_index(768, "flat", settings=SETTINGS)
    faiss_index.add(vectors)
    shutil.rmtree(index)
    model, fingerprint = ((encoder.model_id, encoder.fingerprint()) if same_identity else
                          ("sentence-transformers/all-mpnet-base-v2", "0123456789abcdef"))
    kept = concepts_outside(loaded, load_outside_concepts())
    outside = OutsideVectors(tuple(c.term for c in kept), np.random.default_rng(1).standard_normal(
        (2 * len(kept), 768)).astype(np.float32), outside_hash())
    write_index(index, faiss_index, passages, loaded, model=model, fingerprint=fingerprint, enriched=True,
                index_type="flat", outside=outside)


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def unreadable_faiss(glossary: Path, index: Path, encoder) -> None:
    """Garbage in the FAISS file, with the manifest's checksum updated to match: FAISS itself must refuse it."""
    manifest = read_manifest(index)
    garbage = b"not a faiss index " * 100
    (index / manifest.faiss_file).write_bytes(garbage)
    text = (index / MANIFEST).read_text().replace(manifest.faiss_sha256, hashlib.sha256(garbage).hexdigest())
    (index / MANIFEST).write_text(text)


def damage_manifest(edit):
    def damage(glossary: Path, index: Path, encoder) -> None:
        (index / MANIFEST).write_text(edit((index / MANIFEST).read_text()))
    return damage


def add_file(name: str, content: str):
    def damage(glossary: Path, index: Path, encoder) -> None:
        (glossary / name).write_text(content, encoding="utf-8")
    return damage


# name -> (damage, error the engine raises, message after "error: ", with {g}/{i} for the glossary/index paths)
DAMAGES = {
    "duplicate-id": (add_file("004.yaml", "id: 1\nterm: Epoch\ndefinition: One pass over the data.\n"),
                     GlossaryError, r"{g}/004\.yaml: entry 1, field 'id': duplicate id, also used in {g}/001\.yaml\. "
                                    r"Give each entry its own id\."),
    "missing-field": (add_file("004.yaml", "id: 4\ndefinition: One pass over the data.\n"),
                      GlossaryError, r"{g}/004\.yaml, line 1: entry 4, field 'term': Field required\. Fix that field "
                                     r"\(see glossary/README\.md for the format\)\."),
    "dangling-related": (add_file("004.yaml", "id: 4\nterm: Epoch\ndefinition: One pass.\nrelated: [42]\n"),
                         GlossaryError, r"{g}/004\.yaml: entry 4 \(Epoch\), field 'related': id 42 does not exist\. "
                                        r"Remove it or add that entry\."),
    "invalid-yaml": (add_file("004.yaml", "id: 4\nterm: [Epoch\ndefinition: One pass.\n"),
                     GlossaryError, r"{g}/004\.yaml: invalid YAML at line \d+, column \d+: .+\. Fix the syntax there\."),
    "corrupt-faiss": (lambda g, i, e: flip_a_byte(i / read_manifest(i).faiss_file),
                      IndexCorruptError, r"{i}/vectors-[0-9a-f]{{16}}\.faiss: contents do not match the manifest's "
                                         r"checksum \(corrupt or edited\)\. "),
    "unreadable-faiss": (unreadable_faiss,
                         IndexCorruptError, r"{i}/vectors-[0-9a-f]{{16}}\.faiss: FAISS cannot read it\. "),
    "corrupt-outside": (lambda g, i, e: flip_a_byte(i / read_manifest(i).outside_file),
                        IndexCorruptError, r"{i}/outside-[0-9a-f]{{16}}\.npz: contents do not match the manifest's "
                                           r"checksum \(corrupt or edited\)\. "),
    "other-outside-vocabulary": (damage_manifest(lambda text: re.sub(r'"outside_source_hash": "[0-9a-f]+"',
                                                                     '"outside_source_hash": "0123"', text)),
                                 IndexStaleError, r"{i}: built from another version of the outside-concepts "
                                                  r"vocabulary \(glossary_rag/data/outside_concepts\.jsonl, hash "
                                                  r"0123\)\. "),
    "missing-data-file": (lambda g, i, e: (i / read_manifest(i).passages_file).unlink(),
                          IndexCorruptError, r"{i}/passages-[0-9a-f]{{16}}\.jsonl: missing or unreadable "
                                             r"\(No such file or directory\)\. "),
    "truncated-manifest": (damage_manifest(lambda text: text[: len(text) // 3]),
                           IndexCorruptError, r"{i}/manifest\.json: unreadable manifest \(.+\)\. "),
    "edited-manifest": (damage_manifest(lambda text: re.sub(r'"vectors": \d+', '"vectors": 3', text)),
                        IndexCorruptError, r"{i}: counts disagree \(manifest 3 vectors of dimension 384; FAISS \d+ "
                                           r"of 384; \d+ passages\)\. "),
    "other-model": (lambda g, i, e: index_of_another_model(g, i, e, same_identity=False),
                    IndexStaleError, r"{i}: built with model 'sentence-transformers/all-mpnet-base-v2', configured "
                                     r"model is 'sentence-transformers/all-MiniLM-L6-v2(\+adapter-[0-9a-f]+)?'\. "),
    "other-dimension": (lambda g, i, e: index_of_another_model(g, i, e, same_identity=True),
                        IndexStaleError, r"{i}: vectors have dimension 768, the model makes 384\. "),
    "missing-index": (lambda g, i, e: shutil.rmtree(i),
                      IndexMissingError, r"{i}: no index here \(manifest\.json missing\)\. "),
}
INDEX_DAMAGES = [name for name, (_, error, _) in DAMAGES.items() if error is not GlossaryError]
# Through the real CLI: every glossary damage, and index damages of each kind (each run loads the model, so the
# rest of the index damages go through the same `Engine.load` in-process, with the same messages).
CLI_DAMAGES = [name for name in DAMAGES if name not in INDEX_DAMAGES] + ["corrupt-faiss", "truncated-manifest",
                                                                         "other-dimension"]


def expected_message(name: str, glossary: Path, index: Path) -> str:
    message = DAMAGES[name][2].format(g=re.escape(str(glossary)), i=re.escape(str(index)))
    if name in INDEX_DAMAGES:
        # The fix, spelled out for this glossary and index (not the default glossary/ and index/).
        message += (re.escape(f"{REBUILD} For this glossary: `python scripts/build_index.py --glossary {glossary} "
                              f"--index {index}`."))
    return message


@pytest.fixture(scope="module")
def cli_runs(pristine, tmp_path_factory, encoder) -> dict[str, tuple[Path, Path, subprocess.CompletedProcess]]:
    """Each damage in its own copy, run through the CLI's `main` (`python -m glossary_rag ... ask`) in
    process, on the session's model: the message and exit code are the point, not a fresh interpreter."""
    root = tmp_path_factory.mktemp("cli")
    cases = {}
    for name in CLI_DAMAGES:
        glossary, index = copy_of(pristine, root / name)
        DAMAGES[name][0](glossary, index, encoder)
        cases[name] = (glossary, index)

    def run(name: str) -> subprocess.CompletedProcess:
        glossary, index = cases[name]
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--glossary", str(glossary), "--index", str(index), "ask", "what is dropout?"],
                        encoder=encoder)
        return subprocess.CompletedProcess([], code, out.getvalue(), err.getvalue())

    done = {name: run(name) for name in cases}
    return {name: (*cases[name], done[name]) for name in cases}


@pytest.mark.parametrize("name", CLI_DAMAGES)
def test_the_cli_names_the_file_and_the_fix(cli_runs, name):
    glossary, index, done = cli_runs[name]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    error_line = done.stderr.strip().splitlines()[-1]
    assert re.fullmatch("error: " + expected_message(name, glossary, index), error_line), error_line


@pytest.mark.slow
def test_the_app_explains_a_broken_glossary_instead_of_serving(pristine, tmp_path, encoder):
    """`python app.py` with a glossary no rebuild can fix: the message and exit code 2, no server, no traceback."""
    glossary, index = copy_of(pristine, tmp_path / "copy")
    DAMAGES["duplicate-id"][0](glossary, index, encoder)
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(free_port()),
           "GLOSSARY_RAG_INDEX_DIR": str(index), "GLOSSARY_RAG_FEEDBACK_PATH": str(tmp_path / "feedback.sqlite3")}
    done = subprocess.run([sys.executable, "app.py", "--glossary", str(glossary)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert re.fullmatch("error: " + expected_message("duplicate-id", glossary, index),
                        done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("name", INDEX_DAMAGES)
def test_the_engine_refuses_a_wrong_index_and_rebuilds_it_when_allowed(pristine, tmp_path, encoder, name):
    glossary, index = copy_of(pristine, tmp_path / "copy")
    damage, error, _ = DAMAGES[name]
    damage(glossary, index, encoder)
    settings = dataclasses.replace(Settings(), glossary_path=glossary, index_dir=index)
    with pytest.raises(error) as refused:
        Engine.load(settings, encoder=encoder)
    assert re.fullmatch(expected_message(name, glossary, index), str(refused.value))

    engine = Engine.load(settings, rebuild=True, encoder=encoder)  # what app.py does at start-up
    answer = engine.ask("what is dropout?")
    assert answer.citations[0].term == "Dropout" and answer.kind == "definition"
    manifest = read_manifest(index)
    assert manifest.dimension == 384 and manifest.model == encoder.model_id
    # The rebuilt folder holds exactly the new index: no leftovers of the damaged one.
    assert sorted(os.listdir(index)) == sorted([MANIFEST, manifest.faiss_file, manifest.passages_file, manifest.outside_file])
    assert Engine.load(settings, encoder=encoder).index.manifest == manifest


def test_leftover_temp_and_orphan_files_do_not_break_loading_and_the_next_build_removes_them(pristine, tmp_path,
                                                                                           encoder):
    glossary, index = copy_of(pristine, tmp_path / "copy")
    manifest = read_manifest(index)
    # What a build killed mid-way leaves: half-written temp files and data files no manifest names yet.
    (index / ".vectors-1f2e3d4c5b6a7988.faiss.abc123.tmp").write_bytes(b"IxFI" + b"\x00" * 100)
    (index / f".{manifest.passages_file}.q1w2e3.tmp").write_text('{"entry_id": 1, "kind": "na')
    (index / ".manifest.json.zz9.tmp").write_text((index / MANIFEST).read_text()[:200])
    (index / "vectors-00000000deadbeef.faiss").write_bytes(b"orphan")
    (index / "passages-00000000deadbeef.jsonl").write_text("orphan\n")
    loaded = load_index(index, glossary=load_glossary(glossary), model=encoder.model_id,
                        fingerprint=encoder.fingerprint(), dimension=encoder.dimension, settings=SETTINGS)
    assert loaded.manifest == manifest
    settings = dataclasses.replace(Settings(), glossary_path=glossary, index_dir=index)
    assert Engine.load(settings, encoder=encoder).ask("what is dropout?").citations[0].term == "Dropout"

    assert build_index(load_glossary(glossary), encoder, index, settings=SETTINGS) == manifest
    assert sorted(os.listdir(index)) == sorted([MANIFEST, manifest.faiss_file, manifest.passages_file, manifest.outside_file])


# --- A build killed at any moment ------------------------------------------------------------------------------

def write_large_glossary(folder: Path, entries: int = 150) -> Path:
    """Many short entries: quick to embed, but over a thousand vectors, so the write phase takes a while."""
    for n in range(1, entries + 1):
        write_entry(folder, n, f"Term {n}", f"Term {n} is concept number {n}. It has property {n % 7}. "
                                             f"It is used in case {n % 11}.",
                    descriptions=[f"the idea numbered {n}", f"a thing with feature {n % 13}",
                                  f"something of kind {n % 17}"])
    return folder


def temp_files(index: Path) -> list[str]:
    return sorted(name for name in os.listdir(index) if name.startswith(".") and name.endswith(".tmp"))


def wait_until(process: subprocess.Popen, ready) -> bool:
    """Poll (fast: a data file takes milliseconds to write) until `ready()` or the build exits."""
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.0002)
    return False


@pytest.mark.slow
def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_index(tmp_path, encoder):
    old_glossary = load_glossary(write_small_glossary(tmp_path / "old"))
    new_glossary = load_glossary(write_large_glossary(tmp_path / "new"))
    index = tmp_path / "index"
    old = build_index(old_glossary, encoder, index, settings=SETTINGS)
    command = [sys.executable, "scripts/build_index.py", "--glossary", str(tmp_path / "new"), "--index", str(index)]
    # The build embeds a glossary the adapter was not trained on, so it uses the plain model (adapt.py).
    plain = load_encoder(Settings().model, select_adapter(Settings().adapter, new_glossary))

    def old_or_new(folder: Path) -> str:
        """Load `folder` with every check (checksums, counts, FAISS): it must be one whole index or the other."""
        manifest = load_index(folder, settings=SETTINGS).manifest
        if manifest == old:
            return "old"
        load_index(folder, settings=SETTINGS, glossary=new_glossary, model=plain.model_id,
                   fingerprint=plain.fingerprint())
        return "new"

    observed = {}
    # Killed during start-up and while loading the model: a run each.
    for delay in (0.3, 2.5):
        build = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.monotonic()
        wait_until(build, lambda: time.monotonic() - start >= delay)
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=60)
        observed[f"SIGKILL after {delay}s"] = (temp_files(index), old_or_new(index))

    # One run followed through its write phase. At each moment it is paused (SIGSTOP) and the folder copied:
    # what a kill at that instant would leave on disk. Then it is killed (SIGKILL) while writing the manifest.
    moments = {
        "writing the vectors": lambda: any(n.startswith(".vectors-") for n in temp_files(index)),
        "data files written, manifest not yet": lambda: any(n.startswith("vectors-") and n != old.faiss_file
                                                            for n in os.listdir(index)),
        "writing the manifest": lambda: any(n.startswith(".manifest.json.") for n in temp_files(index)),
    }
    def follow_the_write_phase():
        """One build, paused at each moment of its write phase and killed while writing the manifest."""
        seen, killed_at = {}, None
        build = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for n, (label, ready) in enumerate(moments.items()):
                if not wait_until(build, ready):
                    break  # the build got past this moment unseen: tried again below
                build.send_signal(signal.SIGSTOP)
                # A folder of its own per copy: a repeated run (below) must not land on an earlier run's copy.
                snapshot = Path(tempfile.mkdtemp(prefix="snapshot-", dir=tmp_path)) / "index"
                shutil.copytree(index, snapshot)
                seen[f"paused while {label}"] = (temp_files(snapshot), old_or_new(snapshot))
                if n < len(moments) - 1:
                    build.send_signal(signal.SIGCONT)
                else:
                    build.send_signal(signal.SIGKILL)  # still stopped: it dies mid-write, the manifest not swapped
                    killed_at = label
        finally:
            build.kill()
            build.send_signal(signal.SIGCONT)
            build.wait(timeout=60)
        return seen, killed_at, build

    # The manifest's write lasts microseconds and polling can miss it: a run that missed a moment is
    # repeated (from the old index again), up to five times, and the assertions below hold for the last.
    for attempt in range(5):
        seen, killed_while, build = follow_the_write_phase()
        if killed_while == "writing the manifest" and len(seen) == len(moments):
            break
        old = build_index(old_glossary, encoder, index, settings=SETTINGS)
    observed.update(seen)
    after_kill = (temp_files(index), old_or_new(index))
    print("kill moments:", observed, "after the kill:", after_kill)
    # Every moment was caught, and the kill landed inside the write phase: the manifest's temp file is still
    # there (the write never finished), and the folder loads as the old index, whole.
    assert [label for label in moments if f"paused while {label}" not in observed] == []
    assert killed_while == "writing the manifest" and build.returncode == -signal.SIGKILL
    assert any(name.startswith(".manifest.json.") for name in after_kill[0]) and after_kill[1] == "old"
    assert all(state[1] in ("old", "new") for state in observed.values())
