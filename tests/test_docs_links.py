"""The documentation's links hold: every relative link of README.md and docs/ points to a file that exists, and each
#anchor to a heading of its page (GitHub's anchors); the README links every page of docs/ and stays short."""

import re
from pathlib import Path

import pytest

from tests.harness import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
README_MAX_LINES = 150

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:…


def prose_lines(path: Path) -> list[str]:
    """The page's lines outside fenced code blocks, inline code replaced by its text (no link hides in code)."""
    lines, fenced = [], False
    for line in path.read_text().splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def links(path: Path) -> list[str]:
    found = []
    for line in prose_lines(path):
        plain = CODE_SPAN.sub(lambda match: "code", line)
        found += INLINE_LINK.findall(plain)
        found += REFERENCE_LINK.findall(plain)
    return found


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: its text lower-cased, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        anchor = github_anchor(match.group(2))
        unique, n = anchor, 0
        while unique in found:  # GitHub numbers repeated headings: name, name-1, name-2…
            n += 1
            unique = f"{anchor}-{n}"
        found.add(unique)
    return found


def relative_links() -> list[tuple[str, str]]:
    return [
        (str(page.relative_to(ROOT)), target)
        for page in PAGES
        for target in links(page)
        if not EXTERNAL.match(target) and not target.startswith("//")
    ]


def test_the_pages_are_parsed():
    # A broken parser must not make the test below pass on nothing.
    assert (ROOT / "docs" / "setup.md") in PAGES
    assert len(relative_links()) > 50
    assert github_anchor("Reminders: `process_subscription_notifications` (daily, 09:00)") == (
        "reminders-process_subscription_notifications-daily-0900"
    )
    assert github_anchor("2. Environment") == "2-environment"


@pytest.mark.parametrize(("page", "target"), relative_links())
def test_relative_link_resolves(page, target):
    path_part, _, anchor = target.partition("#")
    source = ROOT / page
    resolved = (source.parent / path_part).resolve() if path_part else source
    assert resolved.exists(), f"{page}: link to {target}: {resolved.relative_to(ROOT)} does not exist"
    assert resolved.is_relative_to(ROOT), f"{page}: link to {target} leaves the repository"
    if anchor and resolved.suffix == ".md":
        assert anchor in anchors(resolved), f"{page}: link to {target}: no heading #{anchor} in {resolved.name}"


def test_readme_links_every_docs_page():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(ROOT / "README.md")}
    missing = [str(page.relative_to(ROOT)) for page in PAGES[1:] if page.resolve() not in linked]
    assert not missing, f"README.md does not link {missing}"


def test_readme_is_short():
    readme = (ROOT / "README.md").read_text()
    lines = len(readme.splitlines())
    assert lines < README_MAX_LINES, f"README.md has {lines} lines; the rest belongs in docs/"
