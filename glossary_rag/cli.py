"""Command line: `python -m glossary_rag ask|search|build|check|export|evaluate ...`.

Every command prints a clear message and exits non-zero on bad input or broken files, instead of a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from glossary_rag.embed import ModelLoadError
from glossary_rag.glossary import GlossaryError, load_glossary
from glossary_rag.manifest import IndexError_
from glossary_rag.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m glossary_rag", description=__doc__)
    parser.add_argument("--glossary", type=Path, help="glossary: a folder of YAML entries, or a Markdown, CSV/TSV, "
                        "JSON/JSONL, YAML or plain-text glossary file (default: glossary/)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/ for glossary/, "
                        "indexes/<name>-<hash>/ for any other glossary)")
    parser.add_argument("--model", help="embedding model id or folder (default: bundled all-MiniLM-L6-v2)")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the JSON contract instead of text")
    search = commands.add_parser("search", help="ranked nearest entries with scores")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10)
    search.add_argument("--json", action="store_true")
    build = commands.add_parser("build", help="embed the glossary into the FAISS index")
    build.add_argument("--check", action="store_true", help="exit 1 if the index is stale, build nothing")
    build.add_argument("--no-enrichment", action="store_true",
                       help="index names and definitions only, not descriptions/questions")
    commands.add_parser("check", help="validate the glossary files (and report what an import found)")
    export = commands.add_parser("export", help="convert the glossary: print it as JSON, or write our YAML files")
    export_to = export.add_mutually_exclusive_group(required=True)
    export_to.add_argument("--json", action="store_true", help="print {entries, warnings} as JSON")
    export_to.add_argument("--to", type=Path, metavar="DIR", help="write DIR/entries/*.yaml (DIR new or empty)")
    evaluate = commands.add_parser("evaluate", help="measure retrieval on a query file")
    evaluate.add_argument("--queries", type=Path, required=True)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--per-query", type=Path)
    evaluate.add_argument("--baselines", action="store_true")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides = {"glossary_path": args.glossary, "index_dir": args.index, "model": args.model}
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})


def main(argv: list[str] | None = None, encoder=None) -> int:
    """Run one command; `encoder` (an already loaded model) spares tests and callers a reload."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    settings = settings_from(args)
    try:
        return run(args, settings, encoder)
    except (GlossaryError, IndexError_, ModelLoadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace, settings: Settings, encoder=None) -> int:
    if args.command == "check":
        glossary = load_glossary(settings.glossary_path)
        if glossary.warnings:
            print(glossary.render_report(), file=sys.stderr)
        print(f"{settings.glossary_path}: {len(glossary.entries)} entries, valid.")
        return 0
    if args.command == "export":
        return export_command(load_glossary(settings.glossary_path), args.to)
    if args.command == "build":
        from glossary_rag.build import build_command

        return build_command(settings, check=args.check, enriched=not args.no_enrichment, encoder=encoder)
    if args.command == "evaluate":
        from glossary_rag.evaluation import evaluate_command

        return evaluate_command(settings, args.queries, as_json=args.json, per_query=args.per_query,
                                baselines=args.baselines)
    from glossary_rag.engine import Engine

    engine = Engine.load(settings, encoder=encoder)
    if args.command == "ask":
        answer = engine.ask(args.question)
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
        return 0
    result = engine.search(args.query, args.k)
    payload = {"hits": [{"id": h.id, "term": h.term, "score": h.score} for h in result.hits],
               "abstained": result.abstained, "outcome": result.outcome, "confidence": result.confidence}
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for rank, hit in enumerate(result.hits, 1):
            print(f"{rank:>3}. {hit.score:6.3f}  [{hit.id}] {hit.term}")
        if result.abstained:
            print("(the glossary does not seem to cover this: low confidence)")
    return 0


def export_command(glossary, folder: Path | None) -> int:
    """`export --json` (folder None) prints the entries and warnings; `export --to DIR` writes our YAML."""
    from glossary_rag.importers.export import export_json, write_yaml_folder

    if folder is None:
        print(json.dumps(export_json(glossary), ensure_ascii=False, indent=2))
        return 0
    try:
        files = write_yaml_folder(glossary, folder)
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if glossary.warnings:
        print(glossary.render_report(), file=sys.stderr)
    print(f"Wrote {len(files)} entries to {folder / 'entries'}. Edit them there, and use `--glossary {folder}`.")
    return 0


def format_answer(answer) -> str:
    """Plain-text rendering for the terminal: the answer, then its sources."""
    lines = [answer.text.replace("**", ""), ""]
    lines += [f"[{c.n}] {c.term} (entry {c.id})" for c in answer.citations]
    return "\n".join(lines)


def with_command(argv: list[str], command: str) -> list[str]:
    """Put global options (--glossary/--index/--model) before `command`, so scripts accept them anywhere.

    >>> with_command(["--check", "--index", "x"], "build")
    ['--index', 'x', 'build', '--check']
    """
    global_opts, command_opts, rest = [], [], list(argv)
    while rest:
        arg = rest.pop(0)
        if arg.split("=", 1)[0] in ("--glossary", "--index", "--model"):
            global_opts.append(arg)
            if "=" not in arg and rest:
                global_opts.append(rest.pop(0))
        else:
            command_opts.append(arg)
    return [*global_opts, command, *command_opts]
