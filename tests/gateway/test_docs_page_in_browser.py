"""The ``/docs`` page in a real browser (the system's Chromium, through Playwright): the filter
hides the headings of groups it empties, and the argument tables fit their cards at 1280 and 390
pixels wide. Screenshots at both widths are saved to ``build/screenshots/`` for review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from plivo_blocks.catalog import BLOCKS
from plivo_blocks.gateway import GatewaySettings, create_app
from support.browser import PageFactory
from support.live_server import LiveServer

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}

#: Each ``<h2>`` group heading, whether it shows, and whether any block of its group shows. The
#: blocks of a group are the cards after its heading, up to the next heading (in document order,
#: so this holds whether or not the page wraps each group in an element of its own).
_GROUPS_SCRIPT = """() => {
  const headings = [...document.querySelectorAll('main h2')];
  const cards = [...document.querySelectorAll('details[data-name]')];
  const after = (a, b) => a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING;
  return headings.map((h, i) => {
    const next = headings[i + 1];
    const mine = cards.filter((c) => after(h, c) && (!next || after(c, next)));
    return {
      group: h.textContent,
      shown: h.checkVisibility(),
      blocks: mine.map((c) => c.dataset.name),
      shownBlocks: mine.filter((c) => c.checkVisibility()).map((c) => c.dataset.name),
    };
  });
}"""

#: Every card opened, then for each: its box, its tables' boxes, and whether anything in it is
#: wider than the card (scrollWidth beyond clientWidth means content sticks out of it).
_LAYOUT_SCRIPT = """() => {
  for (const card of document.querySelectorAll('details[data-name]')) card.open = true;
  const box = (el) => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right}; };
  return {
    viewport: window.innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    cards: [...document.querySelectorAll('details[data-name]')].map((card) => ({
      name: card.dataset.name,
      card: box(card),
      overflowing: card.scrollWidth > card.clientWidth,
      tables: [...card.querySelectorAll('table')].map(box),
    })),
  };
}"""

#: Sub-pixel rounding in layout, nothing more.
_TOLERANCE_PX = 1.0


@pytest.fixture(scope="module")
def docs_url() -> Iterator[str]:
    # The page is static: the upstream is never called, so it points nowhere.
    app = create_app(GatewaySettings(api_url="http://127.0.0.1:9", max_retries=0, timeout=1))
    with LiveServer(app) as server:
        yield server.url + "/docs"


def _groups(page: Page) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = page.evaluate(_GROUPS_SCRIPT)
    return groups


def test_every_block_sits_under_its_groups_heading(page: Page, docs_url: str) -> None:
    page.goto(docs_url)
    groups = _groups(page)
    expected: dict[str, list[str]] = {}
    for block in BLOCKS:
        expected.setdefault(block.group, []).append(block.name)
    assert {g["group"]: g["blocks"] for g in groups} == expected
    assert all(g["shown"] and g["shownBlocks"] == g["blocks"] for g in groups)


@pytest.mark.parametrize("query", ["message", "MUTE", "recording", "delete"])
def test_filter_hides_the_headings_of_groups_it_empties(page: Page, docs_url: str, query: str) -> None:
    page.goto(docs_url)
    page.fill("#filter", query)
    groups = _groups(page)
    for group in groups:
        assert group["shown"] == bool(group["shownBlocks"]), group
    emptied = [g["group"] for g in groups if not g["shown"]]
    kept = [g["group"] for g in groups if g["shown"]]
    assert emptied and kept, (query, emptied, kept)  # the query leaves some groups and empties others


def test_filter_matching_nothing_hides_every_heading_and_clearing_it_shows_them(
    page: Page, docs_url: str
) -> None:
    page.goto(docs_url)
    page.fill("#filter", "no block is called this")
    assert not any(g["shown"] or g["shownBlocks"] for g in _groups(page))
    assert page.get_by_text("No block matches").is_visible()
    page.fill("#filter", "")
    assert all(g["shown"] and g["shownBlocks"] == g["blocks"] for g in _groups(page))
    assert not page.get_by_text("No block matches").is_visible()


@pytest.mark.parametrize("device", list(WIDTHS))
def test_argument_tables_fit_their_cards(
    open_page: PageFactory, docs_url: str, screenshots: Path, device: str
) -> None:
    width, height = WIDTHS[device]
    page = open_page(width, height)
    page.goto(docs_url)
    layout = page.evaluate(_LAYOUT_SCRIPT)
    assert layout["viewport"] == width
    assert len(layout["cards"]) == len(BLOCKS)
    misfits = []
    for card in layout["cards"]:
        edges = card["card"]
        for table in card["tables"]:
            if (
                table["left"] < edges["left"] - _TOLERANCE_PX
                or table["right"] > edges["right"] + _TOLERANCE_PX
            ):
                misfits.append((card["name"], "table", table, edges))
        if card["overflowing"]:
            misfits.append((card["name"], "content wider than the card"))
    assert not misfits, misfits[:5]
    assert layout["pageWidth"] <= width, "the page scrolls sideways"

    # For review: the top of the page (its first cards open), and the largest card, makeCall.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / f"docs-{device}-{width}px.png")
    page.locator("details[data-name=makeCall]").screenshot(path=screenshots / f"docs-makeCall-{width}px.png")
    assert (screenshots / f"docs-{device}-{width}px.png").stat().st_size > 0
