"""HTML to paragraphs, for the dataset builders (bench/lang_dataset.sh,
bench/dedup_dataset.sh): the text of the block elements a predicate
selects, with <pre>, <script> and <style> left out and whitespace folded."""
import html.parser
import re

SKIP_TAGS = {"pre", "script", "style"}


class Paragraphs(html.parser.HTMLParser):
    """Text of the block elements that `is_block(tag, attrs)` selects."""

    def __init__(self, is_block):
        super().__init__(convert_charrefs=True)
        self.is_block = is_block
        self.stack = []          # open tags; True where a block starts
        self.skip = 0
        self.buf = None
        self.depth = 0           # open blocks
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "meta", "link", "hr", "input"):
            return
        block = self.is_block(tag, dict(attrs))
        self.stack.append((tag, block))
        if tag in SKIP_TAGS:
            self.skip += 1
        if block:
            if self.depth == 0:
                self.buf = []
            self.depth += 1

    def handle_endtag(self, tag):
        while self.stack:
            t, block = self.stack.pop()
            if t in SKIP_TAGS:
                self.skip -= 1
            if block:
                self.depth -= 1
                if self.depth == 0:
                    self.out.append(re.sub(r"\s+", " ", "".join(self.buf)).strip())
                    self.buf = None
            if t == tag:
                break

    def handle_data(self, data):
        if self.buf is not None and not self.skip:
            self.buf.append(data)


def paragraphs_of(path, is_block):
    p = Paragraphs(is_block)
    with open(path, encoding="utf-8", errors="replace") as f:
        p.feed(f.read())
    return p.out
