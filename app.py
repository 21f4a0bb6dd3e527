"""Glossary RAG web app: chat with cited answers, browse the glossary, and `/ask` + `/search` for API and MCP.

Gradio only: layout and wiring. Everything the page says comes from the library (`Engine.ask`,
`Engine.search`, `conversation.resolve_follow_up`, `browse.filter_entries`, `feedback.FeedbackStore`) and
is turned into Markdown and chat messages by `render`; `serving` adds ZeroGPU, the queue's sizing and its
refusal message. This file places it all on the page and connects the events.

    python app.py                  # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override)
    python app.py --glossary PATH  # another glossary (or GLOSSARY_RAG_GLOSSARY_PATH=PATH)
"""

from __future__ import annotations

import os

# Before gradio is imported (so the imports below come after it): no usage analytics, no calls home.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import argparse
import dataclasses
import logging
import sys
import uuid
from pathlib import Path

import gradio as gr

from glossary_rag.browse import ALL_TOPICS, filter_entries, list_topics
from glossary_rag.conversation import Conversation, resolve_follow_up
from glossary_rag.embed import ModelLoadError
from glossary_rag.engine import Engine
from glossary_rag.feedback import Feedback, FeedbackError, FeedbackStore, feedback_path_from_env
from glossary_rag.glossary import Glossary, GlossaryError
from glossary_rag.manifest import IndexError_
from glossary_rag.render import format_entry, format_hits, format_messages
from glossary_rag.serving import CONCURRENCY_LIMIT, QUEUE_MAX_SIZE, load_space_encoder, serve
from glossary_rag.settings import Settings

log = logging.getLogger("glossary_rag.app")

EXAMPLES = [
    "What is dropout?",                                               # a question
    "What's the term for when a model memorizes its training data?",  # a reverse lookup
    "precision vs recall",                                            # a comparison
    "gradiant decent",                                                # a typo
    "what is a random forest?",                                       # not covered: said plainly
]
FOLLOW_UP_HINT = ("Follow up on the last answer with “tell me more”, “what's the opposite?” or "
                  "“compare it with dropout”.")


def show_chat(conversation: Conversation, glossary: Glossary) -> dict:
    """The Chatbot update: the messages, and each answer's thumbs as the person left them (the browser
    forgets them whenever the history is re-sent)."""
    ratings = [{"like": "Like", "dislike": "Dislike"}.get(turn.rating) for turn in conversation.turns]
    return gr.update(value=list(format_messages(conversation, glossary).messages), feedback_value=ratings)


# --- Handlers: what each event does (called directly by the tests) --------------------------------------------

@dataclasses.dataclass(frozen=True)
class Handlers:
    """Every event's function, over one engine and one feedback store. `ask` and `search` are the public API
    (and the MCP tools); the rest serve the page."""

    engine: Engine
    feedback: FeedbackStore

    @property
    def glossary(self) -> Glossary:
        return self.engine.glossary

    def ask(self, question: str) -> dict:
        """Answer a question about deep-learning terms from the glossary, with numbered citations.

        Works for definitions ("what is dropout?"), reverse lookups ("what's the term for a model that
        memorizes its training data?"), comparisons ("precision vs recall") and typos ("wat is lstm").
        The answer is built only from glossary entries. The result has "answer" (Markdown whose sentences
        end in [n] citations), "citations" (what each [n] points to: n, id, term), "hits" (the nearest
        entries: id, term, score, best first), "abstained" (true when the glossary does not cover the
        question; the answer then says so instead of guessing), "outcome" ("answer", "tentative": the
        closest entry, said to be possibly not what was asked, or "declined") and "confidence" ("high",
        "medium" or "low").

        Args:
            question: The question in plain words, e.g. "what is dropout?" or "precision vs recall".

        Returns:
            The answer, its citations, the nearest entries and whether it abstained.
        """
        return self.engine.ask(question or "").to_json()

    def search(self, query: str, k: int = 10) -> dict:
        """Find the glossary entries nearest to a query, ranked, with scores, without composing an answer.

        Use it to see which deep-learning terms match a name, a description or a misspelling. The result
        has "hits" (id, term, score; best first, higher is closer), "abstained" (true when the glossary
        does not seem to cover the query), "outcome" ("answer", "tentative" or "declined") and
        "confidence" ("high", "medium" or "low").

        Args:
            query: A term, a description or a question, e.g. "batchnorm" or "switching off random neurons".
            k: How many entries to return, from 1 to the number of entries in the glossary. Defaults to 10.

        Returns:
            The ranked hits and whether the glossary seems not to cover the query.
        """
        size = len(self.glossary.entries)
        if not 1 <= int(k) <= size:
            raise gr.Error(f"k must be between 1 and {size}, got {k}.")
        result = self.engine.search(query or "", int(k))
        return {"hits": [{"id": h.id, "term": h.term, "score": h.score} for h in result.hits],
                "abstained": result.abstained, "outcome": result.outcome, "confidence": result.confidence}

    def respond(self, message: str, conversation: Conversation) -> tuple[dict, Conversation, str, str]:
        """A chat message in; the new chat, conversation, "Nearest terms" panel and a cleared input out."""
        message = (message or "").strip()
        if not message:
            return show_chat(conversation, self.glossary), conversation, gr.skip(), ""
        follow_up = resolve_follow_up(message, conversation.focus, self.glossary,
                                      self.engine.settings.max_query_chars)
        answer = follow_up.answer or self.engine.ask(follow_up.query or message)
        rewritten = follow_up.query.text if follow_up.query else ""
        if not conversation.id:
            conversation = dataclasses.replace(conversation, id=uuid.uuid4().hex)
        conversation = conversation.add(message, answer, rewritten)
        return show_chat(conversation, self.glossary), conversation, format_hits(answer, self.glossary), ""

    def respond_to_option(self, conversation: Conversation, selected: gr.SelectData):
        """A suggestion button under the last answer ("What is Recall?") asks that question."""
        return self.respond(str(selected.value), conversation)

    def respond_to_example(self, conversation: Conversation, selected: gr.SelectData):
        """An example under the empty chat, clicked: Gradio sends the example, {"text": ...}."""
        value = selected.value
        return self.respond(str(value.get("text", "") if isinstance(value, dict) else value), conversation)

    def record_like(self, conversation: Conversation, liked: gr.LikeData) -> Conversation:
        """Store a like, a dislike or a rating taken back, with the question, the answer and its citations.

        Gradio sends liked=True for a thumb up, False for a thumb down and "" when the lit thumb is clicked
        again to take the rating back.
        """
        index = int(liked.index[0] if isinstance(liked.index, (list, tuple)) else liked.index)
        turns = format_messages(conversation, self.glossary).turns  # a turn spans several messages
        if not 0 <= index < len(turns):
            raise gr.Error("That message is no longer in this conversation, so its feedback was not saved.")
        turn_number = turns[index]
        rating = {True: "like", False: "dislike", "": "", None: ""}.get(liked.liked)
        if rating is None:
            return conversation  # a custom feedback option: this app offers none
        turn = conversation.turns[turn_number]  # ratings are keyed by turn, never by message position
        self.feedback.record(Feedback(rating or "withdrawn", turn.message, turn.answer.text,
                                      tuple(dataclasses.asdict(c) for c in turn.answer.citations),
                                      turn.answer.kind, conversation.id, turn_number))
        gr.Info("Thanks — your feedback was saved." if rating else "Your rating was taken back.")
        return conversation.rate(turn_number, rating)

    def clear(self) -> tuple[dict, Conversation, str]:
        """The chat's trash button: a new, empty conversation."""
        return show_chat(Conversation(), self.glossary), Conversation(), format_hits(None, self.glossary)

    def filter_browse(self, text: str, topic: str) -> tuple[gr.Dataset, list[int], str]:
        """The Browse list for a filter and a topic: the matching entries A–Z and how many there are."""
        entries = filter_entries(self.glossary, text or "", topic)
        count = f"{len(entries)} of {len(self.glossary.entries)} entries" if entries else "No entry matches."
        return gr.Dataset(samples=[[e.term, e.topic] for e in entries]), [e.id for e in entries], count

    def show_entry(self, entry_id: int | None) -> tuple[str, gr.Dataset, list[int]]:
        """An entry's card and its related entries (clickable)."""
        entry = self.glossary.by_id.get(entry_id) if entry_id is not None else None
        related = list(entry.related) if entry else []
        samples = [[self.glossary.by_id[r].term] for r in related]
        return format_entry(entry, self.glossary), gr.Dataset(samples=samples, visible=bool(samples)), related

    def show_listed(self, index: int | None, listed: list[int]):
        """Clicking a row in the Browse list (or a related entry) shows that entry."""
        if index is None or not 0 <= index < len(listed):
            return self.show_entry(None)
        return self.show_entry(listed[index])


# --- Layout and wiring ----------------------------------------------------------------------------------------

def build_app(engine: Engine, feedback: FeedbackStore, queue_max_size: int = QUEUE_MAX_SIZE) -> gr.Blocks:
    """The whole page plus the `/ask` and `/search` endpoints (also the MCP tools), queued; calls past
    `queue_max_size` waiting are refused with a message."""
    handlers = Handlers(engine, feedback)
    glossary = engine.glossary
    everything = filter_entries(glossary)
    private = {"api_visibility": "private"}  # UI events are not API endpoints or MCP tools

    with gr.Blocks(title="Glossary RAG", analytics_enabled=False) as demo:
        gr.Markdown("# Glossary RAG\nAsk a deep-learning glossary in plain words. Every sentence of an answer "
                    "cites its entry; open a source to read it. When the glossary doesn't cover a question, "
                    "it says so instead of guessing.")
        conversation = gr.State(Conversation())
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Chat", height=560, elem_id="chat",
                                         examples=[{"text": e} for e in EXAMPLES],
                                         placeholder="Ask about a deep-learning term, or pick an example.")
                    question = gr.Textbox(show_label=False, placeholder="Ask a question…", submit_btn="Ask",
                                          elem_id="question", max_length=2000)
                    gr.Markdown(FOLLOW_UP_HINT)
                with gr.Column(scale=2):
                    gr.Markdown("### Nearest terms")
                    nearest = gr.Markdown(format_hits(None, glossary), elem_id="nearest")
        with gr.Tab("Browse"):
            with gr.Row():
                name_filter = gr.Textbox(label="Filter by name (typos are fine)", placeholder="e.g. dropot, lstm",
                                         elem_id="browse-filter", max_length=200)
                topic = gr.Dropdown([ALL_TOPICS, *list_topics(glossary)], value=ALL_TOPICS, label="Topic",
                                    elem_id="browse-topic")
            with gr.Row():
                with gr.Column(scale=2):
                    count = gr.Markdown(f"{len(everything)} of {len(glossary.entries)} entries")
                    listing = gr.Dataset(components=["textbox", "textbox"], headers=["Term", "Topic"],
                                         samples=[[e.term, e.topic] for e in everything], type="index",
                                         layout="table", samples_per_page=len(glossary.entries),
                                         label="Entries A–Z", elem_id="browse-list")
                    listed = gr.State([e.id for e in everything])
                with gr.Column(scale=3):
                    card = gr.Markdown(format_entry(None, glossary), elem_id="entry-card")
                    related = gr.Dataset(components=["textbox"], samples=[], type="index", layout="gallery",
                                         label="Related entries (click one to open it)", visible=False,
                                         elem_id="related")
                    related_ids = gr.State([])

        turn_outputs = [chatbot, conversation, nearest, question]
        question.submit(handlers.respond, [question, conversation], turn_outputs, **private)
        chatbot.option_select(handlers.respond_to_option, [conversation], turn_outputs, **private)
        chatbot.example_select(handlers.respond_to_example, [conversation], turn_outputs, **private)
        chatbot.like(handlers.record_like, [conversation], [conversation], **private)
        chatbot.clear(handlers.clear, None, [chatbot, conversation, nearest], **private)

        browse_outputs = [listing, listed, count]
        name_filter.change(handlers.filter_browse, [name_filter, topic], browse_outputs, **private)
        topic.change(handlers.filter_browse, [name_filter, topic], browse_outputs, **private)
        entry_outputs = [card, related, related_ids]
        listing.click(handlers.show_listed, [listing, listed], entry_outputs, **private)
        related.click(handlers.show_listed, [related, related_ids], entry_outputs, **private)

        # The two public endpoints: /ask and /search for gradio_client, and the `ask` and `search` MCP tools
        # (named after the functions, described by their docstrings). queue=False is the MCP guide's fast
        # path: a tool call runs in the server instead of looping back through gradio_client and the queue
        # (README "Serving": per call before/after). HTTP calls to /gradio_api/call/* still join the queue.
        gr.api(handlers.ask, api_name="ask", queue=False)
        gr.api(handlers.search, api_name="search", queue=False)

    demo.queue(max_size=queue_max_size, default_concurrency_limit=CONCURRENCY_LIMIT)
    return demo


def launch(demo: gr.Blocks, feedback: FeedbackStore, **options):
    """Start the server with the app's fixed settings: MCP on, no share link, the feedback file never served.

    `options` are passed to `Blocks.launch` (server_name, server_port, prevent_thread_lock, ...). Without
    server_name/server_port Gradio reads GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (0.0.0.0 on Spaces) and
    defaults to 127.0.0.1:7860.
    """
    return serve(demo, blocked=feedback.path.parent, mcp_server=True, footer_links=["api", "settings"], **options)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the Glossary RAG web app.")
    parser.add_argument("--glossary", type=Path,
                        help="glossary folder or file (default: glossary/, or GLOSSARY_RAG_GLOSSARY_PATH)")
    return parser.parse_args(argv)


def load_settings(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the environment, with --glossary on top."""
    settings = Settings.from_env(environ)
    return dataclasses.replace(settings, glossary_path=args.glossary) if args.glossary else settings


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up probes are not news
    settings = load_settings(args)
    try:
        # rebuild=True: a missing or stale index/ is rebuilt once (with a log line) instead of refusing to start.
        engine = Engine.load(settings, rebuild=True, load=load_space_encoder)
        feedback = FeedbackStore(feedback_path_from_env())
    except (GlossaryError, IndexError_, ModelLoadError, FeedbackError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    log.info("Serving %d entries from %s; feedback goes to %s.", len(engine.glossary.entries),
             settings.glossary_path, feedback.path)
    launch(build_app(engine, feedback), feedback)
    return 0


if __name__ == "__main__":
    sys.exit(main())
