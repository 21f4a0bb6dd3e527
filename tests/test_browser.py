"""The page in Debian's Chromium, as a person uses it: ask, read the cited entry, like, browse, filter.

Assertions use Playwright's retrying `expect` (it waits until the page shows the text), never sleeps.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from glossary_rag.feedback import FeedbackStore

pytestmark = pytest.mark.slow  # a real `python app.py` / Chromium

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REVERSE_LOOKUP = "What's the term for when a model memorizes its training data?"

# The first answer on a fresh server waits for the queue to warm up; later ones take milliseconds.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # any alert() would mean user text ran as code
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live.url)
    yield page
    context.close()


def ask(page: Page, text: str) -> None:
    box = page.locator("#question textarea")
    box.fill(text)
    box.press("Enter")


def test_reverse_lookup_cites_an_entry_that_opens_and_can_be_liked(page, live, engine):
    ask(page, REVERSE_LOOKUP)
    answer = page.locator("#chat .message-row").last
    expect(answer).to_contain_text("The term you're looking for is probably Overfitting [1].")

    # The source is Gradio's own collapsed message, titled "[1] Overfitting"; a click opens the entry.
    entry = engine.glossary.by_id[14]
    title = answer.get_by_role("button", name="[1] Overfitting", exact=True)
    expect(title).to_be_visible()
    card = answer.get_by_text(f"{entry.topic} · entry 14", exact=True)  # the source's first line
    expect(card).to_be_hidden()
    expect(answer.get_by_text("Also called:")).to_be_hidden()
    title.click()
    expect(card).to_be_visible()
    expect(answer.get_by_text("Also called:")).to_be_visible()
    expect(answer).to_contain_text(f"Also called: {', '.join(entry.aliases)}")
    expect(answer).to_contain_text("Related:")

    page.get_by_role("button", name="Like", exact=True).last.click()
    expect(page.get_by_text("Thanks — your feedback was saved.")).to_be_visible()
    stored = [row.feedback for row in FeedbackStore(live.feedback_path).read_all()
              if row.feedback.question == REVERSE_LOOKUP]
    assert len(stored) == 1 and stored[0].rating == "like"
    assert stored[0].answer == engine.ask(REVERSE_LOOKUP).text
    assert stored[0].citations[0] == {"n": 1, "id": 14, "term": "Overfitting"}


def test_nearest_terms_read_as_words_and_bars_not_raw_scores(page, engine):
    ask(page, "precision vs recall")
    nearest = page.locator("#nearest")
    expect(nearest).to_contain_text("Confidence: High")
    expect(nearest).to_contain_text("the question names this entry or describes it closely")
    first = nearest.locator("tbody tr").first
    expect(first).to_contain_text("Precision")
    expect(first).to_contain_text("▰▰▰▰▰▰▰▰▰▰ 100%")
    expect(nearest.locator("thead")).to_contain_text("Match")
    expect(nearest.locator("tbody tr")).to_have_count(len(engine.ask("precision vs recall").hits))
    expect(nearest).not_to_contain_text(re.compile(r"\b\d\.\d{3}\b"))  # no fused score like 1.071


def test_examples_sit_in_the_empty_chat_and_ask_when_clicked(page):
    chat = page.locator("#chat")
    expect(chat.get_by_role("button", name=re.compile("^Select example"))).to_have_count(5)
    chat.get_by_role("button", name="Select example 3: precision vs recall").click()
    expect(chat.locator(".message-row").first).to_contain_text("precision vs recall")
    expect(chat.locator(".message-row").last).to_contain_text("Precision vs Recall")
    expect(chat.locator(".message-row").last.get_by_role("button", name="[2] Recall")).to_be_visible()
    expect(chat.get_by_role("button", name=re.compile("^Select example"))).to_have_count(0)


def test_a_like_survives_the_next_message_and_clicking_it_again_takes_it_back(page, live):
    ask(page, "what is dropout?")
    expect(page.locator("#nearest")).to_contain_text("Dropout")
    page.locator("#chat").get_by_role("button", name="Like", exact=True).click()
    expect(page.get_by_text("Thanks — your feedback was saved.")).to_be_visible()
    ask(page, "what is recall?")
    expect(page.locator("#nearest")).to_contain_text("Recall")
    liked = page.locator("#chat").get_by_role("button", name="Liked", exact=True)
    expect(liked).to_have_count(1)
    liked.click()
    expect(page.get_by_text("Your rating was taken back.")).to_be_visible()
    expect(liked).to_have_count(0)
    rows = [row.feedback for row in FeedbackStore(live.feedback_path).read_all()
            if row.feedback.question == "what is dropout?"]
    assert [(r.rating, r.turn) for r in rows] == [("like", 0), ("withdrawn", 0)]


def test_suggestions_and_follow_ups(page):
    # "Did you mean A or B?" buttons are tested on a given ranking (tests/test_app.py); here the related
    # questions under an answer, which work the same way.
    page.get_by_role("button", name="Select example 1: What is dropout?", exact=True).click()
    expect(page.locator("#chat")).to_contain_text("Dropout —")
    page.locator("#chat").get_by_role("button", name="What is Early Stopping?").click()
    expect(page.locator("#chat .message-row").last).to_contain_text("Early Stopping —")
    ask(page, "tell me more")
    expect(page.locator("#chat .message-row").last).to_contain_text("In plain words [1]:")
    expect(page.locator("#nearest")).to_contain_text("no search was needed")


def test_abstention_is_said_plainly(page):
    ask(page, "best pizza recipe with pineapple")
    expect(page.locator("#chat .message-row").last).to_contain_text("The glossary doesn't cover that")
    expect(page.locator("#nearest")).to_contain_text("The glossary doesn't cover this question.")
    expect(page.locator("#nearest")).to_contain_text("Confidence: Low")


@pytest.mark.parametrize("text", ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>",
                                  "**not bold** ![pixel](x)"])
def test_user_html_shows_as_text(page, text):
    ask(page, text)
    expect(page.locator("#nearest")).to_contain_text("Confidence:")
    expect(page.locator("#chat .message-row").first).to_contain_text(text)
    expect(page.locator("#chat img[src='x']")).to_have_count(0)
    expect(page.locator("#chat .message-row").first.locator("strong")).to_have_count(0)
    expect(page.locator("#chat script")).to_have_count(0)
    assert page.dialogs == []


def test_browse_filters_and_follows_related_links(page, engine):
    page.get_by_role("tab", name="Browse").click()
    listing = page.locator("#browse-list")
    expect(page.get_by_text("128 of 128 entries")).to_be_visible()
    expect(listing.locator("tbody tr").first).to_contain_text("Accuracy")

    page.locator("#browse-filter textarea, #browse-filter input").first.fill("dropot")
    expect(page.get_by_text("1 of 128 entries")).to_be_visible()
    listing.get_by_text("Dropout", exact=True).click()
    card = page.locator("#entry-card")
    expect(card).to_contain_text(engine.glossary.by_id[17].definition[:60])
    expect(card).to_contain_text("Also called: drop-out")

    page.locator("#related").get_by_text("Overfitting", exact=True).click()
    expect(card.get_by_role("heading", name="Overfitting")).to_be_visible()
    expect(card).to_contain_text(engine.glossary.by_id[14].definition[:60])

    page.locator("#browse-filter textarea, #browse-filter input").first.fill("")
    page.locator("#browse-topic input").click()
    page.get_by_role("option", name="regularization", exact=True).click()
    count = sum(e.topic == "regularization" for e in engine.glossary.entries)
    expect(page.get_by_text(f"{count} of 128 entries")).to_be_visible()
    expect(listing.locator("tbody tr")).to_have_count(count)
    expect(listing).not_to_contain_text(re.compile("Activation Function"))


def test_past_the_queue_bound_the_page_says_it_is_busy(browser, busy):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(busy.url)
        ask(page, "what is dropout?")
        expect(page.get_by_text("This application is currently busy. Please try again.")).to_be_visible()
        expect(page.locator("#chat .message-row")).to_have_count(0)
    finally:
        context.close()
