"""Take the README's screenshot of the real page: start the app on a free port, ask a question in Debian's
Chromium, open the first cited source (a collapsed "[1] Term" message), save a PNG.

Usage: python scripts/screenshot.py [--out docs/screenshot.png] [--question "..."]
Feedback from this run goes to a temporary file, so the project's feedback database is never touched.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import build_app, launch, load_settings  # noqa: E402  (sets GRADIO_ANALYTICS_ENABLED first)
from glossary_rag.engine import Engine  # noqa: E402
from glossary_rag.feedback import FeedbackStore  # noqa: E402
from glossary_rag.settings import PROJECT_ROOT  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def take_screenshot(url: str, out: Path, question: str, chromium: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
        page.goto(url)
        box = page.locator("#question textarea")
        box.fill(question)
        box.press("Enter")
        answer = page.locator("#chat .message-row").last
        first_source = answer.get_by_role("button", name=re.compile(r"^\[1\] "))  # Gradio's collapsed message
        expect(first_source).to_be_visible(timeout=60_000)
        first_source.click()
        expect(answer.get_by_text("Also called:")).to_be_visible()
        expect(page.locator("#nearest")).to_contain_text("Confidence:")
        page.wait_for_timeout(1500)  # the source's accordion slides open; a picture, not a test, so wait it out
        page.locator("#chat [role='log']").evaluate("log => log.scrollTop = 0")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshot.png")
    parser.add_argument("--question", default="What's the term for when a model memorizes its training data?")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--glossary", type=Path)
    args = parser.parse_args(argv)
    engine = Engine.load(load_settings(argparse.Namespace(glossary=args.glossary)))
    with tempfile.TemporaryDirectory() as scratch:
        feedback = FeedbackStore(Path(scratch) / "feedback.sqlite3")
        demo = build_app(engine, feedback)
        _, url, _ = launch(demo, feedback, server_name="127.0.0.1", server_port=free_port(),
                           prevent_thread_lock=True, quiet=True)
        try:
            take_screenshot(url, args.out, args.question, args.chromium)
        finally:
            demo.close()
    print(f"Saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
