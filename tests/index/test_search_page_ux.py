"""The search page as a person sees it, in real Chromium at desktop and phone widths, on the
demo programme: nonsense finds nothing and says what to do next, whole words are highlighted,
results are counted and can be narrowed to a course."""

from __future__ import annotations

import pytest

from index.views import highlight, query_words
from tests.browser_demo import WIDTHS, chromium, demo_server

LSTM_ERRATUM = "lstm_forward: expected a[4][3][6]"


def test_highlight_marks_whole_query_words_only() -> None:
    words = query_words("lstm_forward")
    html = highlight("rnn_forward calls lstm_forward; forward pass", words)
    assert html == "rnn_forward calls <mark>lstm_forward</mark>; forward pass"
    # Typed as two words, the identifier made of exactly those words is marked too.
    html = highlight("lstm_forward and rnn_forward", query_words("LSTM forward"))
    assert html == "<mark>lstm_forward</mark> and rnn_forward"
    escaped = highlight("<b>x</b> the", query_words("x the"))
    assert escaped == "&lt;b&gt;<mark>x</mark>&lt;/b&gt; the"


@pytest.mark.browser
@pytest.mark.model
def test_search_page_no_results_highlights_count_and_course_filter(
    test_env: dict[str, str], db: None
) -> None:
    with demo_server(test_env) as server, chromium() as browser:
        for viewport in WIDTHS:
            page = browser.new_page(viewport=viewport)
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))

            # Off-topic and gibberish queries: a clear empty state, not confident results.
            for q in ("kubernetes helm chart deployment", "qwxzv"):
                page.goto(f"{server.url}/search?q={q.replace(' ', '+')}")
                assert page.locator(".search-hit").count() == 0
                empty = page.locator(".no-results")
                assert empty.is_visible()
                assert f"No results for “{q}”" in empty.inner_text()
                ask = empty.get_by_role("link", name="Ask Checkfirst")
                assert ask.get_attribute("href").startswith("/ask?q=")  # type: ignore[union-attr]
                new = empty.get_by_role("link", name="Post a new question")
                assert new.get_attribute("href").startswith("/threads/new?title=")  # type: ignore[union-attr]
                assert new.is_visible() and ask.is_visible()

            # An identifier: the erratum about it comes first, only the whole word is marked.
            page.goto(server.url + "/search")
            page.fill(".search-form input[name=q]", "lstm_forward")
            button = page.get_by_role("button", name="Search")
            assert button.evaluate("b => getComputedStyle(b).backgroundColor") != "rgba(0, 0, 0, 0)"
            button.click()
            page.wait_for_selector(".search-hit")
            n = page.locator(".search-hit").count()
            assert page.locator(".result-count").inner_text().endswith("for “lstm_forward”")
            assert str(n) in page.locator(".result-count").inner_text()
            assert LSTM_ERRATUM in page.locator(".search-hit-title").first.inner_text()
            marked = {m.lower() for m in page.locator(".search-hit mark").all_inner_texts()}
            assert marked == {"lstm_forward"}

            # The course filter: narrowed to a course without LSTMs, the LSTM erratum goes.
            course_menu = page.locator(".search-form select[name=course]")
            course_menu.select_option(label="Convolutional Neural Networks")
            page.get_by_role("button", name="Search").click()
            page.wait_for_load_state()
            assert "course=" in page.url
            assert page.locator("select[name=course] option:checked").inner_text() == (
                "Convolutional Neural Networks"
            )
            titles = " ".join(page.locator(".search-hit-title").all_inner_texts())
            assert LSTM_ERRATUM not in titles
            assert errors == []
            page.close()
