"""The new answer shapes as a person sees them in Chromium: a comparison that leads with the glossary's contrast
note, cited to both entries, and an example answered as a kind of its entry.

Runs against the session's live server over the house glossary; the expected sentences are read from the
glossary (ids never change, wording may), so the test checks the shape, not the editors' words.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from glossary_rag.passages import split_sentences
# The same Chromium, page and typing as the other browser tests (fixtures are found by their imported names).
from tests.test_browser import ask, browser, page  # noqa: F401

pytestmark = pytest.mark.slow  # a real `python app.py` / Chromium

PRECISION, RECALL, ACTIVATION_FUNCTION = 40, 41, 2



def last_answer_after(page: Page, text: str):
    ask(page, text)
    return page.locator("#chat .message-row").last


def test_a_comparison_leads_with_the_contrast_note_citing_both_entries(page, engine):
    contrast = engine.glossary.contrast(PRECISION, RECALL)
    assert contrast is not None, "glossary/contrasts.yaml should contrast precision and recall"
    first_sentence = split_sentences(contrast.note)[0].rstrip(".")
    answer = last_answer_after(page, "What is the difference between precision and recall?")
    expect(answer).to_contain_text(f"{first_sentence} [1] [2].")
    expect(answer).to_contain_text(re.compile(r"Precision: .+ \[1\]\.\s*Recall: .+ \[2\]\."))
    expect(answer).not_to_contain_text("related but distinct")


def test_an_example_is_answered_as_a_kind_of_its_entry(page, engine):
    term = engine.glossary.by_id[ACTIVATION_FUNCTION].term.lower()
    answer = last_answer_after(page, "what is sigmoid?")
    expect(answer).to_contain_text(f"Sigmoid is one kind of {term} [1]:")
    expect(page.locator("#nearest")).to_contain_text(engine.glossary.by_id[ACTIVATION_FUNCTION].term)
