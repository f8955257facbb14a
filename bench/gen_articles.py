#!/usr/bin/python3
"""Seed-sized benchmark articles, each one distinct.

Usage: gen_articles.py SEED N FORMAT [SEPARATOR]

SEED is a plain-text article with a header, like
tests/fixtures/articles/seed-2021-02-14.txt (" date 2021-02-14 Street ...").
Article i is the seed's body with "Article i." put in front and a few word
pairs (4) swapped at positions drawn from a RNG seeded with i, so the
articles differ in content (and content hash) but keep the seed's size and
character mix. The output is deterministic.

FORMAT:
  jsonl  one JSON object per line: {"id", "published", "body"}
  tsv    KEY<TAB>JSON per line (kcat -P -K '\\t'); the key is the id
  text   the seed's header form (" date 2021-02-14 Article i. ..."), the
         articles separated by lines equal to SEPARATOR (for
         `ingestd enrich -o enrich.text_separator=SEPARATOR`)
Writes to stdout.
"""
import json
import random
import re
import sys

SWAPS = 4


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in ("jsonl", "tsv", "text"):
        sys.exit(__doc__)
    seed_path, n, fmt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    separator = sys.argv[4] if len(sys.argv) > 4 else "%%"
    seed = open(seed_path, encoding="utf-8").read()
    m = re.match(r"\s*date\s+(\S+)\s+", seed)
    if not m:
        sys.exit(f"{seed_path}: no 'date YYYY-MM-DD' header")
    date, body = m.group(1), seed[m.end():]
    # Words as (start, end) spans inside the body, so swapping keeps the
    # paragraphs, punctuation and every byte count but the article number.
    spans = [mo.span() for mo in re.finditer(r"[^\W\d_]+", body)]

    out = sys.stdout
    for i in range(n):
        rng = random.Random(i)
        words = [body[s:e] for s, e in spans]
        for _ in range(SWAPS):
            a, b = rng.randrange(len(words)), rng.randrange(len(words))
            words[a], words[b] = words[b], words[a]
        parts, last = [], 0
        for (s, e), w in zip(spans, words):
            parts.append(body[last:s])
            parts.append(w)
            last = e
        parts.append(body[last:])
        text = f"Article {i}. " + "".join(parts)
        aid = f"bench-{i:07d}"
        if fmt == "text":
            if i:
                out.write(f"\n{separator}\n")
            out.write(f" date {date} {text}")
        else:
            line = json.dumps({"id": aid, "published": date, "body": text}, ensure_ascii=False)
            out.write(f"{aid}\t{line}\n" if fmt == "tsv" else f"{line}\n")


if __name__ == "__main__":
    main()
