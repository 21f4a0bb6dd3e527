"""Train the glossary-adapted encoder: a LoRA adapter over the bundled MiniLM, on the glossary's own texts.

Usage: python scripts/train_adapter.py [--glossary glossary/] [--out adapter/] [--epochs 3] [--seed 0]

Then rebuild the index (`python scripts/build_index.py`) and refit the decision
(`python scripts/fit_decision.py`): both depend on the encoder. Seeded: the same glossary gives the same adapter.
"""

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from glossary_rag.adapt import TrainingConfig, train_adapter  # noqa: E402
from glossary_rag.embed import resolve_model_path  # noqa: E402
from glossary_rag.glossary import load_glossary  # noqa: E402
from glossary_rag.settings import Settings  # noqa: E402


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--glossary", type=Path, default=settings.glossary_path)
    parser.add_argument("--out", type=Path, default=Path(settings.adapter))
    parser.add_argument("--epochs", type=int, default=TrainingConfig.epochs)
    parser.add_argument("--seed", type=int, default=TrainingConfig.seed)
    parser.add_argument("--max-steps", type=int, default=0)
    args = parser.parse_args()
    config = dataclasses.replace(TrainingConfig(), epochs=args.epochs, seed=args.seed, max_steps=args.max_steps)
    record = train_adapter(load_glossary(args.glossary), resolve_model_path(settings.model), args.out, config)
    print(f"wrote {args.out}: {record['pairs']} pairs, {record['steps']} steps in {record['seconds']} s, "
          f"final loss {record['final_loss']}")


if __name__ == "__main__":
    main()
