"""The web app: its handlers called directly, then a live server driven through gradio_client and MCP.

Real model, real engine (the session fixtures), real server on a free port; the feedback file lives in a
temporary folder.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client

import app
from app import EXAMPLES, Handlers, load_settings, parse_args
from glossary_rag.answer import compose_answer
from glossary_rag.browse import ALL_TOPICS
from glossary_rag.conversation import Conversation
from glossary_rag.feedback import Feedback, FeedbackStore
from glossary_rag.query import parse_query
from glossary_rag.render import escape_typed, format_answer, format_hits, format_messages, format_source, match_bar
from glossary_rag.search import Hit, SearchResult
from glossary_rag.settings import PROJECT_ROOT, Settings
from bench.serving import free_port

XSS = ['<img src=x onerror=alert(1)>', "<script>alert('x')</script>", "![pixel](http://example.com/t.png)"]


@pytest.fixture
def handlers(engine, tmp_path) -> Handlers:
    return Handlers(engine, FeedbackStore(tmp_path / "feedback.sqlite3"))


@pytest.fixture(scope="session")
def client(live) -> Client:
    return Client(live.url, verbose=False)


def respond(handlers: Handlers, message: str, conversation: Conversation = Conversation()):
    """Send a chat message; returns the messages shown, the new conversation and the "Nearest terms" panel."""
    chat, conversation, nearest, cleared = handlers.respond(message, conversation)
    assert cleared == ""
    return chat["value"], conversation, nearest


def like(index: int, liked) -> gr.LikeData:
    """What Gradio passes to a `.like` handler when message `index` is liked (True) or disliked (False)."""
    return gr.LikeData(None, {"index": index, "value": "", "liked": liked})


def answer_index(conversation: Conversation, handlers: Handlers, turn: int) -> int:
    """The position of turn `turn`'s answer among the chat's messages (after its question)."""
    return format_messages(conversation, handlers.glossary).turns.index(turn) + 1


def last_answer(messages: list[dict]) -> str:
    """The last answer's text (sources, titled in their metadata, come after it)."""
    return [m for m in messages if m["role"] == "assistant" and "metadata" not in m][-1]["content"]


def roles_and_titles(messages: list[dict]) -> list[tuple[str, str | None]]:
    return [(m["role"], m.get("metadata", {}).get("title")) for m in messages]


# --- Handlers, called directly -------------------------------------------------------------------------------

def test_respond_reverse_lookup_cites_and_lists_nearest_terms(handlers, engine):
    question = "What's the term for when a model memorizes its training data?"
    messages, conversation, nearest = respond(handlers, question)
    answer = engine.ask(question)
    # The question, the answer, then one collapsed message per citation, titled "[n] Term".
    assert roles_and_titles(messages) == [("user", None), ("assistant", None)] + [
        ("assistant", f"[{c.n}] {c.term}") for c in answer.citations]
    assert messages[0]["content"] == escape_typed(question)
    assert messages[1]["content"] == format_answer(answer, engine.glossary)
    assert answer.citations[0].id == 14 and "[1]" in messages[1]["content"]
    sources = messages[2:]
    assert [m["metadata"]["status"] for m in sources] == ["done"] * len(sources)  # drawn collapsed
    assert sources[0]["content"] == format_source(engine.glossary.by_id[14], engine.glossary)
    assert engine.glossary.by_id[14].definition in sources[0]["content"]
    assert messages[-1]["options"] == [{"value": s} for s in answer.suggestions]
    assert [m for m in messages[:-1] if "options" in m] == []
    assert conversation.focus == 14 and conversation.turns[0].answer == answer
    assert nearest.splitlines()[0] == (
        "**Confidence: High** ▰▰▰ — the question names this entry or describes it closely.")
    assert "| 1 | Overfitting | ▰▰▰▰▰▰▰▰▰▰ 100% |" in nearest and "doesn't cover" not in nearest


def test_respond_says_plainly_when_it_abstains(handlers):
    messages, conversation, nearest = respond(handlers, "best pizza recipe with pineapple")
    assert "doesn't cover" in messages[1]["content"]
    assert "**The glossary doesn't cover this question.**" in nearest and "**Confidence: Low** ▰▱▱" in nearest
    assert conversation.focus is None


def test_did_you_mean_offers_both_as_clickable_options(handlers, engine):
    """Two entries about as likely, neither named: the answer asks which, and each is a button that asks it.
    The ranking is given (the real one moves with every refit); what is tested is what the page does with it."""
    hits = (Hit(8, "Gradient Descent", 0.70, dense=0.6), Hit(75, "Gradient Clipping", 0.69, dense=0.6))
    answer = compose_answer(SearchResult(parse_query("what is gradient"), hits, False, "medium", ambiguous=True), engine.glossary,
                            engine.settings)
    assert answer.kind == "did_you_mean"
    assert answer.text.startswith("Did you mean **Gradient Descent** [1] or **Gradient Clipping** [2]?")
    assert answer.suggestions == ("What is Gradient Descent?", "What is Gradient Clipping?")
    conversation = Conversation(id="c").add("what is gradient", answer)
    messages = list(format_messages(conversation, engine.glossary).messages)
    assert [m["metadata"]["title"] for m in messages[2:]] == ["[1] Gradient Descent", "[2] Gradient Clipping"]
    assert messages[-1]["options"] == [{"value": "What is Gradient Descent?"}, {"value": "What is Gradient Clipping?"}]
    picked = handlers.respond_to_option(conversation, gr.SelectData(None, {"index": 1, "value":
                                                                           "What is Gradient Clipping?"}))
    assert last_answer(picked[0]["value"]).startswith("**Gradient Clipping** — ")
    assert picked[1].focus == 75 and conversation.focus is None  # a question, not an answer: no focus yet


def test_examples_cover_question_reverse_comparison_typo_and_a_question_not_covered(handlers):
    def pick(index: int):  # what Gradio sends when the Chatbot's example `index` is clicked
        return gr.SelectData(None, {"index": index, "value": {"text": EXAMPLES[index]}})

    kinds = [handlers.respond_to_example(Conversation(), pick(i))[1].turns[0].answer.kind
             for i in range(len(EXAMPLES))]
    assert kinds == ["definition", "reverse", "compare", "definition", "abstain"]
    chat, conversation, _, cleared = handlers.respond_to_example(Conversation(), pick(2))
    assert conversation.turns[0].message == "precision vs recall" and cleared == ""


def test_follow_ups_resolve_against_the_last_cited_entry(handlers):
    _, conversation, _ = respond(handlers, "what is overfitting?")
    messages, conversation, nearest = respond(handlers, "what's the opposite?", conversation)
    assert last_answer(messages).startswith("The opposite of **Overfitting** [1] is **Underfitting** [2].")
    assert "no search was needed" in nearest and conversation.focus == 15
    messages, conversation, _ = respond(handlers, "tell me more", conversation)
    more = last_answer(messages)
    assert more.startswith("**Underfitting** — ") and "In plain words [1]:" in more
    assert messages[-1]["metadata"]["title"] == "[1] Underfitting"
    messages, conversation, _ = respond(handlers, "compare it with dropout", conversation)
    assert last_answer(messages).startswith(
        "_Read as: “Underfitting vs dropout”_\n\n**Underfitting** vs **Dropout**")
    assert [m["role"] for m in messages if "metadata" not in m] == ["user", "assistant"] * 4
    assert format_messages(conversation, handlers.glossary).turns == tuple(
        n for n, turn in enumerate(conversation.turns) for _ in range(2 + len(turn.answer.citations)))


@pytest.mark.parametrize("text", XSS)
def test_user_text_is_shown_as_text_never_as_html(handlers, text):
    messages, _, _ = respond(handlers, text)
    assert messages[0]["content"] == escape_typed(text)
    assert "<img" not in messages[0]["content"] and "<script" not in messages[0]["content"]
    _, conversation, _ = respond(handlers, "what is dropout")
    messages, _, _ = respond(handlers, f"compare it with {text}", conversation)
    assert "<img" not in messages[-1]["content"] and "<script" not in messages[-1]["content"]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_blank_message_changes_nothing(handlers, text):
    chat, conversation, nearest, cleared = handlers.respond(text, Conversation())
    assert (chat["value"], conversation, nearest, cleared) == ([], Conversation(), gr.skip(), "")


@pytest.mark.parametrize("text", ["🧠🤖 what is dropout 🔥", "what is dropout? " * 300, "x" * 5000],
                         ids=["emoji", "repeated", "huge"])
def test_emoji_and_huge_messages_are_answered_like_the_engine_does(handlers, engine, text):
    messages, conversation, _ = respond(handlers, text)
    assert conversation.turns[0].answer == engine.ask(text.strip())
    assert messages[0]["content"] == escape_typed(text.strip())
    assert len(text) < 1000 or messages[1]["content"].startswith("_Your message was long, so only its first")


def test_emoji_around_a_question_still_finds_the_entry(handlers):
    _, conversation, _ = respond(handlers, "🧠🤖 what is dropout 🔥")
    assert conversation.turns[0].answer.citations[0].term == "Dropout"


def test_like_and_dislike_are_stored_with_question_answer_and_citations(handlers):
    _, conversation, _ = respond(handlers, "precision vs recall")
    _, conversation, _ = respond(handlers, "what is dropout?", conversation)
    conversation = handlers.record_like(conversation, like(answer_index(conversation, handlers, 1), True))
    conversation = handlers.record_like(conversation, like(answer_index(conversation, handlers, 0), False))
    rows = [row.feedback for row in handlers.feedback.read_all()]
    dropout, comparison = conversation.turns[1].answer, conversation.turns[0].answer
    assert rows == [
        Feedback("like", "what is dropout?", dropout.text, ({"n": 1, "id": 17, "term": "Dropout"},), "definition",
                 conversation.id, 1),
        Feedback("dislike", "precision vs recall", comparison.text,
                 ({"n": 1, "id": 40, "term": "Precision"}, {"n": 2, "id": 41, "term": "Recall"}), "compare",
                 conversation.id, 0),
    ]
    assert len(conversation.id) == 32 and [t.rating for t in conversation.turns] == ["dislike", "like"]


def test_a_rating_survives_the_next_message_and_can_be_taken_back(handlers):
    _, conversation, _ = respond(handlers, "what is dropout?")
    conversation = handlers.record_like(conversation, like(1, True))
    chat, conversation, _, _ = handlers.respond("what is recall?", conversation)
    assert chat["feedback_value"] == ["Like", None]  # the browser forgets thumbs when the history is re-sent
    conversation = handlers.record_like(conversation, like(1, ""))  # the lit thumb, clicked again
    second = answer_index(conversation, handlers, 1)
    conversation = handlers.record_like(conversation, like(second, False))
    conversation = handlers.record_like(conversation, like(second + 1, True))  # its source: the same turn
    assert [(r.feedback.rating, r.feedback.turn) for r in handlers.feedback.read_all()] == [
        ("like", 0), ("withdrawn", 0), ("dislike", 1), ("like", 1)]
    assert handlers.respond("tell me more", conversation)[0]["feedback_value"] == [None, "Like", None]
    with pytest.raises(gr.Error, match="no longer in this conversation"):
        handlers.record_like(Conversation(), like(1, True))


def test_clear_resets_the_conversation(handlers):
    chat, conversation, nearest = handlers.clear()
    assert (chat["value"], conversation, nearest) == ([], Conversation(), format_hits(None, handlers.glossary))


def test_browse_lists_all_entries_a_to_z_and_filters(handlers, engine):
    listing, ids, count = handlers.filter_browse("", ALL_TOPICS)
    terms = [row[0] for row in listing.raw_samples]
    assert len(ids) == 128 and count == "128 of 128 entries"
    assert terms == sorted(terms, key=str.casefold) and terms[0] == "Accuracy"
    listing, ids, count = handlers.filter_browse("dropot", ALL_TOPICS)
    assert (listing.raw_samples, ids, count) == ([["Dropout", "regularization"]], [17], "1 of 128 entries")
    _, ids, _ = handlers.filter_browse("", "regularization")
    assert {engine.glossary.by_id[i].topic for i in ids} == {"regularization"} and 17 in ids
    listing, ids, count = handlers.filter_browse("<script>", ALL_TOPICS)
    assert (listing.raw_samples, ids, count) == ([], [], "No entry matches.")


def test_show_entry_and_follow_a_related_link(handlers, engine):
    card, related, related_ids = handlers.show_listed(0, [17])
    assert card.startswith("### Dropout\n*regularization* · entry 17")
    assert "**Also called:** drop-out" in card
    assert related_ids == list(engine.glossary.by_id[17].related) and related.visible is True
    assert related.raw_samples == [[engine.glossary.by_id[r].term] for r in related_ids]
    overfitting = related_ids.index(14)
    card, _, _ = handlers.show_listed(overfitting, related_ids)
    assert card.startswith("### Overfitting") and "**Opposite:** Underfitting" in card
    assert handlers.show_listed(None, [])[0] == "_Pick an entry on the left to read it._"


@pytest.mark.parametrize("typed, shown", [
    ("<b>x</b> & y", "&lt;b&gt;x&lt;/b&gt; &amp; y"),
    ("**not bold** _nor italic_", r"\*\*not bold\*\* \_nor italic\_"),
    ("![pixel](http://example.com/t.png)", r"\!\[pixel\]\(http://example\.com/t\.png\)"),
    ("$$x^2$$ # not a heading", r"\$\$x^2\$\$ \# not a heading"),
    ("🧠 plain words", "🧠 plain words"),
])
def test_typed_text_is_escaped_for_html_and_markdown(typed, shown):
    assert escape_typed(typed) == shown


def test_format_answer_escapes_html_in_glossary_text_too(engine):
    answer = engine.ask("what is dropout?")
    shown = format_answer(answer, engine.glossary, rewritten="<b>x</b>")
    assert shown.startswith("_Read as: “&lt;b&gt;x&lt;/b&gt;”_")


def test_ask_and_search_handlers_keep_the_json_contract(handlers, engine):
    assert handlers.ask("what is dropout?") == engine.ask("what is dropout?").to_json()
    result = engine.search("batchnorm", 3)
    assert handlers.search("batchnorm", 3) == {
        "hits": [{"id": h.id, "term": h.term, "score": h.score} for h in result.hits], "abstained": False,
        "outcome": result.outcome, "confidence": result.confidence}
    with pytest.raises(gr.Error, match="k must be between 1 and 128, got 0"):
        handlers.search("batchnorm", 0)


def test_glossary_flag_and_env_reach_settings(tmp_path):
    assert load_settings(parse_args(["--glossary", str(tmp_path)]), {}) == Settings(glossary_path=tmp_path)
    from_env = load_settings(parse_args([]), {"GLOSSARY_RAG_GLOSSARY_PATH": str(tmp_path)})
    assert from_env.glossary_path == tmp_path
    assert load_settings(parse_args([]), {}) == Settings()


# --- The live server ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", [
    "what is dropout?", "What's the term for when a model memorizes its training data?", "precision vs recall",
    "wat is lstm", "what is gradient", "best pizza recipe", "", "🧠 " * 10, XSS[0],
])
def test_ask_endpoint_returns_the_cli_json_contract(client, engine, question):
    payload = client.predict(question, api_name="/ask")
    assert payload == engine.ask(question).to_json()
    assert set(payload) == {"answer", "citations", "hits", "abstained", "outcome", "confidence"}


def test_search_endpoint_contract(client, engine):
    payload = client.predict("batchnorm", 12, api_name="/search")
    result = engine.search("batchnorm", 12)
    assert payload == {"hits": [{"id": h.id, "term": h.term, "score": h.score} for h in result.hits],
                       "abstained": False, "outcome": result.outcome, "confidence": result.confidence}
    assert len(payload["hits"]) == 12 and payload["hits"][0]["id"] == 18
    assert len(client.predict("batchnorm", api_name="/search")["hits"]) == 10
    assert client.predict("pizza recipe", 3, api_name="/search")["abstained"] is True


@pytest.mark.parametrize("k", [0, -1, 129])
def test_search_endpoint_rejects_a_bad_k_with_a_message(client, k):
    with pytest.raises(Exception, match=f"k must be between 1 and 128, got {k}"):
        client.predict("dropout", k, api_name="/search")


def test_only_ask_and_search_are_api_endpoints(client, live):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/ask", "/search"}
    config = live.demo.config
    assert config["analytics_enabled"] is False
    # MCP tool calls take Gradio's fast path (no loopback through the queue); the page's events queue.
    public = {fn.api_name: fn.queue for fn in live.demo.fns.values() if fn.api_visibility == "public"}
    assert public == {"ask": False, "search": False}
    assert all(fn.queue for fn in live.demo.fns.values() if fn.api_visibility == "private")


def test_mcp_schema_lists_ask_and_search_with_their_docstrings(live):
    with urllib.request.urlopen(live.url + "gradio_api/mcp/schema", timeout=30) as response:
        tools = {tool["name"]: tool for tool in json.load(response)}
    assert set(tools) == {"ask", "search"}
    assert tools["ask"]["description"].startswith("Answer a question about deep-learning terms")
    assert tools["ask"]["inputSchema"]["properties"]["question"]["description"].startswith("The question in")
    assert tools["search"]["inputSchema"]["properties"]["k"] == {
        "type": "integer", "default": 10,
        "description": "How many entries to return, from 1 to the number of entries in the glossary. Defaults to 10."}


def test_mcp_client_lists_and_calls_the_tools(live, engine):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def talk():
        async with streamablehttp_client(live.url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = {tool.name for tool in (await session.list_tools()).tools}
                result = await session.call_tool("ask", {"question": "precision vs recall"})
                return names, result

    names, result = asyncio.run(talk())
    assert names == {"ask", "search"}
    assert not result.isError
    # Gradio's MCP bridge sends a returned dict as its Python repr, which agents read as readily as JSON.
    assert ast.literal_eval(result.content[0].text) == engine.ask("precision vs recall").to_json()


def test_the_feedback_file_is_never_served(live):
    FeedbackStore(live.feedback_path).record(Feedback("like", "q", "a"))
    for path in (str(live.feedback_path), "feedback/feedback.sqlite3", str(live.feedback_path.parent)):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{live.url}gradio_api/file={path}", timeout=30)
        assert refused.value.code in (403, 404)


def test_the_page_is_served(live):
    with urllib.request.urlopen(live.url, timeout=30) as response:
        assert response.status == 200 and "Glossary RAG" in response.read().decode("utf-8")


def run_app_py(glossary, tmp_path, extra_env: dict[str, str] | None = None) -> str:
    """`python app.py --glossary PATH` on GRADIO_SERVER_PORT, asked once over the API; returns its log."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GLOSSARY_RAG_INDEX_DIR": str(tmp_path / "index"),
           "GLOSSARY_RAG_FEEDBACK_PATH": str(tmp_path / "feedback" / "feedback.sqlite3"), **(extra_env or {})}
    process = subprocess.Popen([sys.executable, "app.py", "--glossary", str(glossary)], cwd=PROJECT_ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        while not any(f"http://127.0.0.1:{port}" in line for line in output):
            assert process.poll() is None, "".join(output)
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.2)
        payload = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("what is dropout?", api_name="/ask")
        assert payload["citations"][0] == {"n": 1, "id": 1, "term": "Dropout"}
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
    return "".join(output)


@pytest.mark.slow
def test_app_py_starts_rebuilds_a_missing_index_once_and_serves_on_the_env_port(tiny_glossary, tmp_path):
    """The flag reaches Settings, the missing index is rebuilt with a log line, and the server binds
    GRADIO_SERVER_NAME:GRADIO_SERVER_PORT. `spaces` is installed here (requirements-dev.txt), as on a Space:
    the rebuild's batches go through the @spaces.GPU function, which off ZeroGPU runs on this CPU."""
    import spaces  # noqa: F401  (the point of this test: the package is present)

    log = run_app_py(tiny_glossary, tmp_path)
    assert log.count("rebuilding") == 1 and (tmp_path / "index" / "manifest.json").exists()
    assert f"Serving 4 entries from {tiny_glossary}" in log
    assert "index rebuilds encode through @spaces.GPU encode_batch (not a ZeroGPU Space" in log
    assert re.search(r"Encoded \d+ passages through @spaces.GPU encode_batch on cpu\.", log), log
    assert (tmp_path / "feedback" / "feedback.sqlite3").exists()


@pytest.mark.slow
def test_app_py_without_the_spaces_package_runs_as_before(tiny_glossary, tmp_path):
    """A laptop or a paid CPU Space without `spaces`: a shadow package that fails to import stands in for its
    absence (Gradio and the app both treat a failed import as "not there")."""
    shadow = tmp_path / "no-spaces" / "spaces"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('spaces is not installed here')\n")
    log = run_app_py(tiny_glossary, tmp_path, {"PYTHONPATH": str(shadow.parent)})
    assert log.count("rebuilding") == 1 and f"Serving 4 entries from {tiny_glossary}" in log
    assert "@spaces.GPU" not in log


def test_the_spaces_wrapper_encodes_exactly_like_the_plain_encoder(encoder):
    from glossary_rag.serving import SpaceEncoder, wrap_for_spaces

    wrapped = wrap_for_spaces(encoder)
    assert isinstance(wrapped, SpaceEncoder) and wrapped.encode_batch is not None
    texts = ["Dropout randomly zeroes units.", "Overfitting is fitting noise.", "🧠 emoji", "x" * 3000]
    assert np.array_equal(wrapped.encode(texts), encoder.encode(texts))
    assert wrapped.fingerprint() == encoder.fingerprint()
    assert np.array_equal(wrapped.encode_query("what is dropout?"), encoder.encode_query("what is dropout?"))


@pytest.mark.parametrize("score, best, shown", [
    (1.0715, 1.0715, "▰▰▰▰▰▰▰▰▰▰ 100%"), (0.289, 1.0715, "▰▰▰▱▱▱▱▱▱▱ 27%"), (0.0, 1.0, "▱▱▱▱▱▱▱▱▱▱ 0%"),
    (-0.3, 1.0, "▱▱▱▱▱▱▱▱▱▱ 0%"), (0.5, 0.0, "▱▱▱▱▱▱▱▱▱▱ 0%"), (2.0, 1.0, "▰▰▰▰▰▰▰▰▰▰ 100%"),
])
def test_match_bar_shows_a_share_of_the_best_match(score, best, shown):
    assert match_bar(score, best) == shown


@pytest.mark.parametrize("question", ["precision vs recall", "what is gradient", "best pizza recipe", "lstm"])
def test_nearest_terms_show_words_and_bars_while_the_api_keeps_the_scores(handlers, engine, question):
    answer = engine.ask(question)
    panel = format_hits(answer, engine.glossary)
    word = {"high": "High", "medium": "Medium", "low": "Low"}[answer.confidence]
    assert panel.startswith(f"**Confidence: {word}** ")
    for hit in answer.hits:
        assert f"{hit.score:.3f}" not in panel and f"{hit.score:.2f}" not in panel  # no raw fused score
        assert f"| {hit.term} | {match_bar(hit.score, answer.hits[0].score)} |" in panel
    assert handlers.ask(question)["hits"] == [{"id": h.id, "term": h.term, "score": h.score} for h in answer.hits]


# --- Space configuration ---------------------------------------------------------------------------------------

def test_readme_front_matter_configures_the_space():
    import re

    import yaml

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("---\n")
    front, body = readme[4:].split("\n---\n", 1)
    config = yaml.safe_load(front)
    pinned = re.search(r"^gradio\[mcp\]==(\S+)$", (PROJECT_ROOT / "requirements.txt").read_text(), re.M).group(1)
    # ZeroGPU (the hardware a free account can run a Gradio Space on) takes the Gradio SDK only.
    free_form = ("emoji", "colorFrom", "colorTo", "short_description")  # checked by value below
    assert {k: v for k, v in config.items() if k not in free_form} == {
        "title": "Glossary RAG", "sdk": "gradio", "sdk_version": pinned, "python_version": "3.11",
        "app_file": "app.py", "suggested_hardware": "zero-a10g", "license": "mit"}
    assert set(free_form) <= set(config)
    # The Hub accepts only these colours, and one emoji (a non-ASCII character) for the card.
    hub_colours = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
    assert {config["colorFrom"], config["colorTo"]} <= hub_colours
    assert isinstance(config["emoji"], str) and 1 <= len(config["emoji"]) <= 2 and not config["emoji"].isascii()
    assert isinstance(config["short_description"], str) and config["short_description"].strip()
    dev = (PROJECT_ROOT / "requirements-dev.txt").read_text()
    assert re.search(r"^spaces==\S+$", dev, re.M), "the tests run the app with `spaces` installed, as on a Space"
    assert pinned == gr.__version__ and len(config["short_description"]) <= 60
    assert body.lstrip("\n").startswith("# Glossary RAG\n")
    assert "--flavor zero-a10g" in body and "--hardware cpu-upgrade" in body  # free account first, then paid
    for section in ("## Web app", "## Deploy to a Hugging Face Space", "## Call the API from Python",
                    "## Use it as an MCP server", "## The two commands", "## How it works"):
        assert f"\n{section}\n" in body
    assert (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert (PROJECT_ROOT / "docs" / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
