#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets, tests/fuzz/corpus/<target>/,
from the test fixtures and a few hand-made inputs (each a small file).

    tests/fuzz/make_corpus.py        (from anywhere; rewrites every seed)

The seeds are committed; run this again after changing the fixtures or the
fingerprint format. A fuzz run works on a copy (scripts/fuzz.sh), so the
seeds stay as written here."""
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def read(*path):
    with open(os.path.join(FIX, *path), "rb") as f:
        return f.read()


def json_lines(*path):
    return [l for l in read(*path).split(b"\n") if l.strip()]


TEXTS = {
    "seed.txt": read("articles", "seed-2021-02-14.txt"),
    "el.txt": read("unit", "article-el.txt"),
    "ru.txt": read("unit", "article-ru.txt"),
    "headers.txt": b"id a-1\nurl https://example.org/a\ntitle A title\nsource Wire\nlanguage en\n"
                   b"date 2021-02-14\nBody.\n\nSecond paragraph.",
    "month.txt": b" date 2021-03 Body on the same line.",
    "bom.txt": b"\xef\xbb\xbf date 2021-02-14\r\nBody with CRLF.\r\n\r\nNext.",
    "latin1.txt": b"Le caf\xe9 de la gare a rouvert apr\xe8s des ann\xe9es de travaux.",
    "broken-utf8.txt": b"Valid text \xc3\xa9 with \xff one \xed\xa0\x80 surrogate and \xf0\x9f\x98 a cut.",
    "controls.txt": b"Tab\there,\x00NUL,\x1b escape,\xc2\x85 NEL,\xe2\x80\x8b ZWSP,\xe2\x80\xa8 LS,\xef\xbb\xbf BOM.",
    "nfd.txt": b"Cafe\xcc\x81 \xe1\x84\x80\xe1\x85\xa1 A\xcc\x8a \xef\xac\xac",
    "scripts.txt": "Latin, Ελληνικά, Кириллица, עברית, العربية, हिन्दी, ไทย, 中文, 日本語, 한국어, 😀."
                   .encode(),
}
# Scraped-page debris for the clean stage, and facts for the metadata stage.
CLEAN = {
    "boilerplate.txt": "Skip to content\nAccessibility links\n\nPresident Ann Smith said on Monday that talks "
                       "would resume.\n\nImage: Yuri Maltsev/REUTERS\n\nAdvertisement\n\nYou may also like\n"
                       "1. Markets fall again\n2. Storm hits coast\n\n| Team | Won | Lost |\n| A | 3 | 1 |\n\n"
                       "Published 14 February 2021\n\nPresident Ann Smith said on Monday that talks would resume.\n"
                       .encode(),
    "mojibake.txt": "CafÃ© â€œquotedâ€\u009d and Ã¼ber â€” dash. Ð\u009fÑ\u0080Ð¸Ð²ÐµÑ\u0082".encode(),
    "tweet.txt": b"Text before.\n\npic.twitter.com/abc123 \xe2\x80\x94 Name (@handle) March 23, 2021\n\nText after.",
}
FACTS = ("WASHINGTON, 14 February 2021 (Reuters) - \u201cWe will not back down,\u201d said Senator Jane Doe of "
         "the Democratic Party on Thursday. The United Nations and the World Health Organization met in Geneva, "
         "Switzerland, and Paris in August. \"Talks resume next week,\" Doe told Reuters. #news #politics "
         "https://example.org/a and mailto:press@example.org on 3 March 2021 and in 2019.\n\n"
         "Jane Doe later spoke to the BBC in London.")

JSONS = {f"multilingual-{i}.json": l for i, l in enumerate(json_lines("articles", "multilingual.jsonl"))}
JSONS.update({f"articles-{i}.json": l for i, l in enumerate(json_lines("unit", "articles.jsonl"))})
JSONS.update({
    "fields.json": json.dumps({"id": 7, "link": "https://example.org/x", "headline": "H", "content": "C.",
                               "published": 1613296800123, "publisher": {"name": "P"},
                               "author": [{"name": "A"}, "B", None, 3], "lang": "en"}).encode(),
    "escapes.json": b'{"id":"e","body":"a\\u0000b \\ud83d\\ude00 \\u00e9\\n\\n\\"q\\"","date":"2021-02-14T10:00:00+02:00"}',
    "nested.json": b'{"body":"x","meta":{"a":[1,[2,[3,{"b":null}]]],"c":true}}',
    "bom.json": b'\xef\xbb\xbf {"body":"With a byte order mark."}',
    "not-object.json": b'["body", "x"]',
    "broken.json": b'{"id": "b", "body": "caf\xe9 \xff"}',
})

UTF8 = {
    "ascii": b"plain ASCII",
    "ru": read("unit", "article-ru.txt")[:200],
    "el": read("unit", "article-el.txt")[:200],
    "edges": b"\x00\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\xef\xbf\xbf"
             b"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
    "overlong": b"\xc0\x80\xc1\xbf\xe0\x80\x80\xe0\x9f\xbf\xf0\x80\x80\x80\xf0\x8f\xbf\xbf",
    "surrogates": b"\xed\xa0\x80\xed\xbf\xbf\xed\xa0\x80\xed\xb0\x80",
    "truncated": b"\xc3 \xe2\x82 \xf0\x9f\x98 \xc3\x41\xe2\x82\x41\xf0\x9f\x98\x41",
    "out-of-range": b"\xf4\x90\x80\x80\xf5\x80\x80\x80\xfe\xff\x80\xbf",
}

DATES = [b"2021", b"2021-02", b"2021-02-14", b"2021-02-14T10:00:00Z", b"2021-02-14T10:00:00+02:00",
         b"2021-02-14 10:00:00.123456-0530", b"2021-02-14T10:00", b"2020-02-29", b"2016-12-31T23:59:60Z",
         b"Sun, 14 Feb 2021 10:00:00 +0000", b"14 Feb 2021 10:00 GMT", b"Mon, 01 Mar 2021 07:30:00 UT",
         b" 2021-02-14 ", b"1000-01-01T00:30:00+01:00", b"9999-12-31T23:59:59-01:00",
         b"\x00\x90\x9f\x6e\x77\x01\x00\x00"]   # 1613296800000 ms, little-endian, for iso_date_from_unix_ms

CONFIGS = {
    "shipped.conf": open(os.path.join(ROOT, "config", "ingestd.conf"), "rb").read(),
    "small.conf": b"[parse]\nformat = json\nmax_message_bytes = 1MiB\nbody_fields = text, body\n\n"
                  b"[normalize]\nmax_invalid_utf8_ratio = 0.5\nfallback_encoding = ISO-8859-2\n",
    "override.conf": b"parse.max_json_depth=8\n[kafka.consumer]\nsession.timeout.ms = 6000\n"
                     b"[ingestd]\nlog_level = debug\ninstance = \" spaced \"\n",
    "errors.conf": b"key = outside\n[nosuch]\nx = 1\n[parse]\nmax_message_bytes = 12 furlongs\n",
}


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def zigzag(v):
    return (v << 1) if v >= 0 else ((-v << 1) - 1)


def fingerprint(id, url=False, position=None, status=0, dup=b"", similarity=1.0, shingles=0, bands=0, sig=0):
    """A fingerprint in the documented wire format, version 1 (pipeline/dedup/fingerprint.c)."""
    flags = (1 if url else 0) | (2 if position else 0) | (status << 2)
    out = bytes([1, flags]) + bytes(range(16)) + (bytes(range(16, 32)) if url else b"")
    out += varint(zigzag(1613296800000)) + varint(len(id)) + id
    if position:
        topic, partition, offset = position
        out += varint(len(topic)) + topic + varint(zigzag(partition)) + varint(zigzag(offset))
    if status:
        out += varint(len(dup)) + dup + struct.pack("<f", similarity)
    out += varint(shingles) + bytes([bands]) + b"".join(struct.pack("<I", 0x9E3779B1 * i & 0xFFFFFFFF)
                                                          for i in range(bands))
    return out + varint(sig) + bytes((i * 37) & 0xFF for i in range(sig))


FINGERPRINTS = {
    "unique-short": fingerprint(b"a-1"),
    "unique-full": fingerprint(b"seed-1", url=True, position=(b"articles.raw", 2, 123456), shingles=400,
                               bands=16, sig=64),
    "duplicate": fingerprint(b"a-2", position=(b"articles.raw", 0, 7), status=1, dup=b"a-1"),
    "near-duplicate": fingerprint(b"a-3", url=True, status=2, dup=b"seed-1", similarity=0.91, shingles=380,
                                  bands=64, sig=1024),
}


def pipeline_seed(body, key=None, ts_index=3):
    """The fuzz_pipeline framing: key length (255: none), timestamp index, key, message."""
    if key is None:
        return bytes([255, ts_index]) + body
    return bytes([len(key), ts_index]) + key + body


def write(target, files):
    d = os.path.join(OUT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    write("parse_text", TEXTS)
    write("parse_json", JSONS)
    write("normalize", TEXTS)
    write("utf8", UTF8)
    write("iso_date", {f"date-{i}": d for i, d in enumerate(DATES)})
    write("config", CONFIGS)
    write("clean", {**TEXTS, **CLEAN})
    metadata = {name: bytes([i % 10, i % 6]) + body for i, (name, body) in enumerate(sorted({**TEXTS, **CLEAN}.items()))}
    for i in range(10):
        metadata[f"facts-{i}.txt"] = bytes([i, i % 6]) + FACTS.encode()
    write("metadata", metadata)
    write("dedup_fingerprint", FINGERPRINTS)
    seeds = {}
    for i, (name, body) in enumerate(sorted({**TEXTS, **JSONS}.items())):
        key = None if i % 3 == 0 else (b"\xff\x00binary" if i % 3 == 1 else name.encode())
        seeds[name] = pipeline_seed(body, key, i % 11)
    write("pipeline", seeds)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"{OUT}: {sum(len(fs) for _, _, fs in os.walk(OUT))} seeds, {total} bytes")


if __name__ == "__main__":
    main()
