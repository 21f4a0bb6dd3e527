"""Adapt the embedding model to a glossary: a small LoRA adapter (PEFT) trained on the glossary's own texts.

Pairs come only from the glossary — each description, question, alias, example and later definition sentence
paired with its entry's "term: definition" — never from evaluation queries. The loss is the in-batch
negatives ranking loss (each text must be closer to its own entry than to the other entries in the batch),
with batches that never hold one entry twice. Training is seeded, so the same glossary gives the same adapter.

At load time (`glossary_rag.embed`) the adapter is merged into the model's weights, so queries cost what
they cost without it.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from glossary_rag.glossary import Glossary
from glossary_rag.passages import split_sentences

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
TRAINING_FILE = "training.json"


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters, recorded beside the adapter. Set once by hand on the tune set (see README Quality)."""

    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 2e-4
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.1
    scale: float = 20.0       # cosine similarities are multiplied by this before the softmax
    seed: int = 0
    max_steps: int = 0        # 0: no limit (tests use a few steps)


def training_pairs(glossary: Glossary) -> list[tuple[str, str, int]]:
    """(text, entry text, entry id) for every retrieval text, alias, example and later definition sentence.

    >>> from glossary_rag.glossary import Entry
    >>> g = Glossary((Entry(id=1, term="Epoch", aliases=("epochs",), definition="One pass. It repeats.",
    ...                     descriptions=("a full sweep",)),))
    >>> [p[0] for p in training_pairs(g)]
    ['epochs', 'It repeats.', 'a full sweep']
    """
    pairs = []
    for entry in glossary.entries:
        # The entry's name and plain first sentence: short, so a training step costs a fifth of what the
        # whole definition would (~4 s instead of ~20 s for a batch of 32 on 2 cores).
        target = f"{entry.term}: {split_sentences(entry.definition)[0]}"
        texts = [*entry.aliases, *entry.examples, *split_sentences(entry.definition)[1:],
                 *entry.descriptions, *entry.questions]
        pairs += [(text, target, entry.id) for text in dict.fromkeys(texts)]
    return pairs


def _batches(pairs, batch_size: int, rng: random.Random):
    """Shuffled batches in which no entry appears twice (a second copy would be a false negative)."""
    pending = pairs[:]
    rng.shuffle(pending)
    while pending:
        batch, seen, rest = [], set(), []
        for pair in pending:
            if len(batch) < batch_size and pair[2] not in seen:
                batch.append(pair)
                seen.add(pair[2])
            else:
                rest.append(pair)
        pending = rest
        if len(batch) > 1:
            yield batch


def train_adapter(glossary: Glossary, model_path: str, out_dir: Path, config: TrainingConfig = TrainingConfig(),
                  log=print) -> dict:
    """Train a LoRA adapter for `model_path` on `glossary`'s texts and save it in `out_dir` (atomically)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import SentenceTransformer

    random.seed(config.seed)
    torch.manual_seed(config.seed)
    model = SentenceTransformer(model_path, device="cpu")
    transformer = model[0]
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=["query", "key", "value", "dense"])
    # `Transformer.auto_model` is a read-only view of `.model`: the wrapper must replace `.model` itself.
    peft_model = get_peft_model(transformer.model, lora)
    transformer.model = peft_model
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate)
    pairs = training_pairs(glossary)
    rng = random.Random(config.seed)
    model.train()
    started, step, losses = time.perf_counter(), 0, []
    for epoch in range(config.epochs):
        for batch in _batches(pairs, config.batch_size, rng):
            anchors = model(model.tokenize([a for a, _, _ in batch]))["sentence_embedding"]
            targets = model(model.tokenize([t for _, t, _ in batch]))["sentence_embedding"]
            anchors = torch.nn.functional.normalize(anchors, dim=1)
            targets = torch.nn.functional.normalize(targets, dim=1)
            logits = config.scale * anchors @ targets.T
            labels = torch.arange(len(batch))
            loss = (torch.nn.functional.cross_entropy(logits, labels)
                    + torch.nn.functional.cross_entropy(logits.T, labels)) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 10 == 0:
                log(f"step {step}: loss {sum(losses[-10:]) / 10:.4f} ({time.perf_counter() - started:.0f} s)")
            if config.max_steps and step >= config.max_steps:
                break
        log(f"epoch {epoch + 1}: mean loss {sum(losses[-50:]) / max(1, len(losses[-50:])):.4f} ({step} steps)")
        if config.max_steps and step >= config.max_steps:
            break
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        for child in tmp.iterdir():
            child.unlink()
    peft_model.save_pretrained(str(tmp))
    record = {"config": asdict(config), "pairs": len(pairs), "steps": step,
              "seconds": round(time.perf_counter() - started, 1), "glossary_hash": glossary.content_hash,
              "final_loss": round(sum(losses[-20:]) / max(1, len(losses[-20:])), 4)}
    (tmp / TRAINING_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    if not (tmp / ADAPTER_WEIGHTS).is_file():
        raise RuntimeError(f"{tmp}: PEFT wrote no {ADAPTER_WEIGHTS}; nothing was saved in {out_dir}.")
    for extra in tmp.iterdir():
        if extra.name not in (ADAPTER_CONFIG, ADAPTER_WEIGHTS, TRAINING_FILE) and extra.is_file():
            extra.unlink()  # PEFT's generated README
    if out_dir.exists():
        for child in out_dir.iterdir():
            child.unlink()
        out_dir.rmdir()
    tmp.rename(out_dir)
    return record


def adapter_glossary_hash(adapter_dir: str | Path) -> str | None:
    """The content hash of the glossary the adapter in `adapter_dir` was trained on; None when there is none."""
    record = Path(adapter_dir) / TRAINING_FILE
    if not adapter_dir or not (Path(adapter_dir) / ADAPTER_WEIGHTS).is_file() or not record.is_file():
        return None
    try:
        return json.loads(record.read_text(encoding="utf-8")).get("glossary_hash")
    except (OSError, ValueError):
        return None


def select_adapter(adapter_dir: str | Path, glossary: Glossary) -> str:
    """`adapter_dir` when its adapter was trained on exactly this glossary, else "" (the plain model).

    An adapter is fitted to one glossary's texts: another glossary (one someone brings, or ours after an
    edit) gets the plain model, and `build --check` says the adapter needs retraining.
    """
    return str(adapter_dir) if adapter_glossary_hash(adapter_dir) == glossary.content_hash else ""


def adapter_digest(adapter_dir: Path) -> str:
    """Short sha256 of the adapter's weights: part of the model id, so an index built without it (or with
    another adapter) is stale."""
    return hashlib.sha256((Path(adapter_dir) / ADAPTER_WEIGHTS).read_bytes()).hexdigest()[:12]


def merge_adapter(st_model, adapter_dir: Path) -> None:
    """Load the LoRA adapter into `st_model` and fold it into the base weights (no per-query cost)."""
    from peft import PeftModel

    transformer = st_model[0]
    peft_model = PeftModel.from_pretrained(transformer.model, str(adapter_dir))
    transformer.model = peft_model.merge_and_unload()
    st_model.eval()
