"""HTML or text: telling them apart, the links a body contains, and HTML as plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_HTML_TAG = re.compile(
    r"<\s*/?\s*(html|body|head|p|div|a|br|hr|table|tr|td|span|h[1-6]|ul|ol|li|strong|em|b|i|"
    r"img|center|font|section)\b[^>]*>",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\"*"


def body_is_html(source: str) -> bool:
    """True when a template (or rendered body) contains HTML tags."""
    return bool(_HTML_TAG.search(source or ""))


def extract_links(body: str, *, is_html: bool | None = None) -> list[str]:
    """The absolute http(s) URLs a rendered body contains, in order, without repeats: the
    href of every link in HTML (unescaped) and every URL written out in the text."""
    if is_html is None:
        is_html = body_is_html(body)
    if is_html:
        parser = _LinkParser()
        parser.feed(body)
        parser.close()
        found = parser.links
    else:
        found = _text_urls(body)
    return list(dict.fromkeys(url for url in found if _is_absolute_http(url)))


def _text_urls(text: str) -> list[str]:
    urls = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_URL_TRAILING)
        # A closing bracket belongs to the URL only when the URL opened it.
        for opening, closing in ("()", "[]", "{}"):
            while url.endswith(closing) and url.count(closing) > url.count(opening):
                url = url[:-1].rstrip(_URL_TRAILING)
        urls.append(url)
    return urls


def _is_absolute_http(url: str) -> bool:
    return bool(re.match(r"https?://[^/\s]+", url, re.IGNORECASE))


class _LinkCollector(HTMLParser):
    """Collects the links of an HTML body: every a/area href and every URL written out in
    the text, in order (cooperative: another parser's handlers still run)."""

    def __init__(self) -> None:
        super().__init__()  # HTMLParser converts character references by default
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("a", "area"):
            href = dict(attrs).get("href")
            if href:
                self.links.append(href.strip())
        super().handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.links.extend(_text_urls(data))
        super().handle_data(data)


class _LinkParser(_LinkCollector):
    """The links alone."""


def html_to_text(body: str) -> str:
    """A plain-text version of an HTML body (the text/plain part of an e-mail): block tags
    become line breaks and a link shows its URL after its text."""
    parser = _TextParser()
    parser.feed(body)
    parser.close()
    return _joined_text(parser.parts)


def html_links_and_text(body: str) -> tuple[list[str], str]:
    """extract_links(body, is_html=True) and html_to_text(body) from one pass of the HTML
    parser: the sender needs both for every message, and parsing is most of their cost."""
    parser = _LinksAndTextParser()
    parser.feed(body)
    parser.close()
    links = list(dict.fromkeys(url for url in parser.links if _is_absolute_http(url)))
    return links, _joined_text(parser.parts)


def _joined_text(parts: list[str]) -> str:
    lines = [" ".join(line.split()) for line in "".join(parts).splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


_BLANK_LINES = re.compile(r"\n{3,}")


class _TextParser(HTMLParser):
    BLOCKS = {"p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}
    SKIP = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str | None] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self.hrefs.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.hrefs:
            href = self.hrefs.pop()
            if href and _is_absolute_http(href):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


class _LinksAndTextParser(_LinkCollector, _TextParser):
    """_TextParser that also collects the links, in the same pass."""
