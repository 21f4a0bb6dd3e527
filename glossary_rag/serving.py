"""How the app is served beyond Gradio's own settings: ZeroGPU, the queue's size, and its refusal said plainly.

- `load_space_encoder`: the embedding model, with index rebuilds sent through a `@spaces.GPU` function when
  the `spaces` package is present (a ZeroGPU Space refuses to start without one); unchanged elsewhere.
- `serve`: `Blocks.launch` with the settings below, idle connections held longer than clients' pools hold them.
- `BusyMessage`: ASGI middleware that turns Gradio's "Queue is full" 503 into a message saying what to do.

No Gradio import here: `spaces` brings its own, and the middleware is plain ASGI.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from starlette.middleware import Middleware

from glossary_rag.embed import Encoder, load_encoder

try:  # Present on a Hugging Face Space (and wherever `pip install spaces` ran); ZeroGPU needs it.
    import spaces
except ImportError:
    spaces = None

log = logging.getLogger("glossary_rag.serving")

# What an API caller reads past the queue bound (the page shows Gradio's own "currently busy" notice).
BUSY_MESSAGE = ("The glossary is busy: as many questions as it queues are already waiting. Try again in a few "
                "seconds (Retry-After).")
RETRY_AFTER_S = 5

# Measured with `python scripts/burst.py` (README "Serving"): on 2 cores the server drains 28-47 searches/s
# whatever the concurrency, so a waiting call's delay is about its place in line / 30 s. 400 waiting is
# ~13 s of work: a burst of 200 is all answered (p95 4-7 s), and a call past 400 is told to come back
# rather than wait longer than a person or an agent would. (Gradio's 64 refused 128 of such a burst.)
QUEUE_MAX_SIZE = 400
# Calls run at once. Each encode uses one torch thread, so 2 keep both cores busy; more only add switching.
CONCURRENCY_LIMIT = 2
# Sessions whose state Gradio keeps in memory. Every API call opens one (~70 KB), so Gradio's default of
# 10,000 let memory grow by ~0.7 GB under sustained API traffic; beyond this the least recently used go.
STATE_SESSIONS = 500
# Seconds an idle keep-alive connection stays open. uvicorn's default (5 s) equals httpx's pool expiry, so
# clients (gradio_client, our burst) reused connections the server was closing at that instant: "connection
# reset by peer". Well past any client pool's expiry instead, as servers behind proxies are advised to be.
KEEP_ALIVE_S = 75
# Gradio accepts uploads at /gradio_api/upload for any app, unlimited by default; this app takes no files.
MAX_UPLOAD_BYTES = 0


# --- ZeroGPU: a @spaces.GPU function for the one batch job, an index rebuild -----------------------------

@dataclasses.dataclass
class SpaceEncoder(Encoder):
    """The encoder, with batches (an index rebuild) sent through a `@spaces.GPU` function. Queries and the
    one-text fingerprint stay on the CPU: a 15 ms encode is cheaper than a ZeroGPU allocation, and a free
    account's GPU minutes are few."""

    encode_batch: Callable | None = dataclasses.field(default=None, repr=False)

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if len(texts) < 2 or self.encode_batch is None:
            return super().encode(texts, batch_size, show_progress)
        try:
            vectors, device = self.encode_batch(list(texts), batch_size)
        except Exception as err:  # ZeroGPU refuses with quota or scheduling errors of its own types
            log.warning("The @spaces.GPU encode failed (%s); encoding %d passages on the CPU.", err, len(texts))
            return super().encode(texts, batch_size, show_progress)
        log.info("Encoded %d passages through @spaces.GPU encode_batch on %s.", len(texts), device)
        return vectors


def load_space_encoder(model: str, adapter: str = "") -> Encoder:
    """`load_encoder(model, adapter)`, wrapped by `wrap_for_spaces`."""
    return wrap_for_spaces(load_encoder(model, adapter))


def wrap_for_spaces(encoder: Encoder) -> Encoder:
    """The encoder, wrapped for ZeroGPU when the `spaces` package is present; unchanged otherwise.

    ZeroGPU refuses to start an app without a `@spaces.GPU` function ("No @spaces.GPU function detected")
    and runs one in a forked worker that holds a GPU for the call. Off ZeroGPU the decorator returns the
    function unchanged, and with no CUDA it encodes exactly as `Encoder.encode` does.
    """
    if spaces is None:
        return encoder

    @spaces.GPU(duration=60)
    def encode_batch(texts: list[str], batch_size: int) -> tuple[np.ndarray, str]:
        import torch

        if not torch.cuda.is_available():
            return Encoder.encode(encoder, texts, batch_size), "cpu"
        vectors = encoder.model.encode(texts, batch_size=batch_size, device="cuda", normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32), "cuda"

    from spaces.config import Config

    log.info("The spaces package is present: index rebuilds encode through @spaces.GPU encode_batch (%s).",
             "on ZeroGPU" if Config.zero_gpu else "not a ZeroGPU Space, so on this machine")
    fields = {f.name: getattr(encoder, f.name) for f in dataclasses.fields(Encoder)}
    return SpaceEncoder(**fields, encode_batch=encode_batch)


def serve(demo, blocked: Path, **options):
    """`demo.launch(**options)` with the serving settings above: no share link, `blocked` never served,
    bounded sessions, no uploads, the busy message, and idle connections held `KEEP_ALIVE_S` (Gradio has no
    option for it; uvicorn reads it for each new connection). Blocks unless `prevent_thread_lock`."""
    launched = demo.launch(share=False, blocked_paths=[str(blocked)], state_session_capacity=STATE_SESSIONS,
                           max_file_size=MAX_UPLOAD_BYTES, app_kwargs={"middleware": [Middleware(BusyMessage)]},
                           **{**options, "prevent_thread_lock": True})
    demo.server.config.timeout_keep_alive = KEEP_ALIVE_S
    if not options.get("prevent_thread_lock"):
        demo.block_thread()
    return launched


# --- The queue's refusal, said so an API caller knows what to do --------------------------------------------

class BusyMessage:
    """ASGI middleware: past the queue bound Gradio answers a call with 503 {"detail": "Queue is full. Max
    size is N and size is N."}; this keeps the 503, puts BUSY_MESSAGE first and adds Retry-After."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        held: dict = {}

        async def send_clearer(message):
            if message["type"] == "http.response.start" and message["status"] == 503:
                held.update(message)  # decide once the body says why
                return
            if held and message["type"] == "http.response.body":
                try:
                    detail = str(json.loads(message.get("body") or b"{}").get("detail", ""))
                except (ValueError, AttributeError):  # not Gradio's JSON refusal: pass it on as it is
                    detail = ""
                if detail.startswith("Queue is full"):
                    body = json.dumps({"detail": f"{BUSY_MESSAGE} ({detail})"}).encode("utf-8")
                    headers = [(k, v) for k, v in held["headers"] if k.lower() != b"content-length"]
                    headers += [(b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(RETRY_AFTER_S).encode())]
                    held.update(headers=headers)
                    message = {"type": "http.response.body", "body": body}
                await send(held)
                held.clear()
            await send(message)

        await self.app(scope, receive, send_clearer)
