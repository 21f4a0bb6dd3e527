"""The new answer shapes as a person sees them in Chromium: a comparison that leads with the glossary's contrast
note, cited to both entries, an example answered as a kind of its entry, an interview question that names an
entry answered from it, and a tentative answer that reads as one.

Runs against the session's live server over the house glossary; the expected sentences are read from the
glossary (ids never change, wording may), so the test checks the shape, not the editors' words.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from glossary_rag.answer import NOT_COVERED
from glossary_rag.passages import split_sentences
# The same Chromium, page and typing as the other browser tests (fixtures are found by their imported names).
from tests.test_browser import ask, browser, page  # noqa: F401

pytestmark = pytest.mark.slow  # a real `python app.py` / Chromium

PRECISION, RECALL, ACTIVATION_FUNCTION, LSTM = 40, 41, 2, 33
# Vague questions near several entries: the fitted decision answers some of them with low confidence.
VAGUE = ("why is my network slow?", "how do models see?", "what's the thing that makes training stable?",
         "how do I make my model better?", "what makes a layer deep?")


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


@pytest.mark.parametrize("question", ["What's the motivation for LSTM?",
                                      "Explain LSTM with an example, and when would you not use one?"])
def test_an_interview_question_that_names_an_entry_is_answered_from_it(page, engine, question):
    answer = last_answer_after(page, question)
    expect(answer).to_contain_text("[1]")
    expect(answer).not_to_contain_text(NOT_COVERED[:40])
    expect(page.locator("#nearest tbody tr").first).to_contain_text(engine.glossary.by_id[LSTM].term)


def test_a_tentative_answer_reads_as_tentative(page, engine):
    tentative = [(q, a) for q in VAGUE if (a := engine.ask(q)).outcome == "tentative"]
    assert tentative, "none of the vague questions was answered tentatively"
    question, expected = tentative[0]
    answer = last_answer_after(page, question)
    expect(answer).to_contain_text(f"The closest entry is {expected.citations[0].term} [1] — it may not be "
                                   "exactly what you asked.")
    expect(page.locator("#nearest")).to_contain_text("A tentative answer:")
