"""The messages of test_hostile_input.sh and what must become of each.

    hostile_messages.py DIR ROUND

writes DIR/NAME.value (and DIR/NAME.key when the key is not "h-NAME-ROUND")
for every message, DIR/manifest.tsv (KEY-ARGUMENT<TAB>VALUE-FILE, in the
order to produce, as `ktopic produce` takes them) and DIR/expect.json:

    {NAME: {"outcome": "enriched" | "deadletter", "marker": TEXT or null,
            "error": CODE, "stage": STAGE, "size": BYTES, ...checks}}

A message is found again on the output by its key (h-NAME-ROUND), or, when
its key is itself under test, by the marker in its body. Every round's
texts differ (they carry the round), so that no message of a later round
is a duplicate of an earlier one. The expectations
are those of the shipped defaults (docs/limits.md): messages up to
parse.max_message_bytes (4 MiB), bodies up to normalize.max_body_bytes
(512 KiB), JSON up to 64 deep and 10,000 values, up to 1% of bytes in broken
UTF-8 sequences, up to 5% control characters; a dead letter over the
producer's message.max.bytes (1,000,000) goes out without its value."""
import json
import os
import random
import sys
import unicodedata

PRODUCER_MAX = 1000000

# Well-formed text with a multi-byte character (so that it is never taken for
# a legacy 8-bit encoding), about 1.3 kB.
def prose(round_):
    return f"Café society met at the station before the morning train of round {round_}. " * 20


# Every class of ill-formed UTF-8 (Unicode 15, table 3-7).
BROKEN = {
    "overlong-2": b"\xc0\xaf",
    "overlong-3": b"\xe0\x80\xaf",
    "overlong-4": b"\xf0\x80\x80\xaf",
    "overlong-nul": b"\xc0\x80",
    "surrogate-high": b"\xed\xa0\x80",
    "surrogate-low": b"\xed\xbf\xbf",
    "surrogate-pair": b"\xed\xa0\xbd\xed\xb8\x80",   # CESU-8 for U+1F600
    "truncated-2": b"\xc3",
    "truncated-3": b"\xe2\x82",
    "truncated-4": b"\xf0\x9f\x98",
    "lone-continuation": b"\x80\xbf",
    "fe-ff": b"\xfe\xff",
    "above-10ffff": b"\xf4\x90\x80\x80",
    "f5-lead": b"\xf5\x80\x80\x80",
}

# What normalize makes of one line of clean text: the zero-width space, word
# joiner, BOM and soft hyphens out (the zero-width joiners U+200C/U+200D
# stay), then NFC.
def normalized(text):
    for c in "\u200b\u2060\ufeff\u00ad":
        text = text.replace(c, "")
    return unicodedata.normalize("NFC", text)


# A sentence in each script (and a few hard cases of Unicode).
SCRIPTS = {
    "latin": "Zażółć gęślą jaźń; Ærøskøbing; İstanbul; Ðakovo.",
    "greek": "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "cyrillic": "Москва — столица России.",
    "armenian": "Երևանը Հայաստանի մայրաքաղաքն է։",
    "georgian": "თბილისი საქართველოს დედაქალაქია.",
    "hebrew": "ירושלים היא עיר עתיקה.",
    "arabic": "القاهرة هي عاصمة مصر.",
    "syriac": "ܐܠܦ ܒܝܬ ܓܡܠ ܕܠܬ",
    "thaana": "މާލެ އަކީ ދިވެހިރާއްޖޭގެ ވެރިރަށް.",
    "devanagari": "नई दिल्ली भारत की राजधानी है।",
    "bengali": "ঢাকা বাংলাদেশের রাজধানী।",
    "gurmukhi": "ਚੰਡੀਗੜ੍ਹ ਪੰਜਾਬ ਦੀ ਰਾਜਧਾਨੀ ਹੈ।",
    "tamil": "சென்னை தமிழ்நாட்டின் தலைநகரம்.",
    "telugu": "హైదరాబాద్ తెలంగాణ రాజధాని.",
    "sinhala": "කොළඹ ශ්‍රී ලංකාවේ නගරයකි.",
    "thai": "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
    "lao": "ວຽງຈັນເປັນນະຄອນຫຼວງຂອງລາວ",
    "khmer": "ភ្នំពេញជារាជធានីនៃកម្ពុជា",
    "myanmar": "နေပြည်တော်သည် မြန်မာနိုင်ငံ၏ မြို့တော်ဖြစ်သည်။",
    "tibetan": "ལྷ་ས་ནི་བོད་ཀྱི་རྒྱལ་ས་ཡིན།",
    "ethiopic": "አዲስ አበባ የኢትዮጵያ ዋና ከተማ ናት።",
    "cherokee": "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
    "han": "北京是中华人民共和国的首都。",
    "japanese": "東京は日本の首都です。ひらがなとカタカナ。",
    "hangul": "서울은 대한민국의 수도이다.",
    "mongolian": "ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ",
    "canadian-syllabics": "ᐃᓄᒃᑎᑐᑦ ᑎᑎᕋᐅᓯᖅ",
    "emoji": "Breaking news 📰🔥👩🏽‍💻🏳️‍🌈 at 10:00 🇫🇮.",
    "math-astral": "𝐇𝐞𝐥𝐥𝐨 𝔀𝓸𝓻𝓵𝓭 𝟙𝟚𝟛 and 𐍈 Gothic.",
    "combining": "Z̴̢̛a̷͍͐l̶̳̾g̸̣̈́o̵̩͂ text, e\u0301 and n\u0303 decomposed.",
    "bidi": "Price \u202b\u05de\u05d7\u05d9\u05e8\u202c is 10\u20ac, \u2067\u0627\u0644\u0639\u0631\u0628\u064a\u0629\u2069 here.",
}


class Messages:
    def __init__(self, out, round_):
        self.out = out
        self.round = round_
        self.manifest = []
        self.expect = {}

    def add(self, name, value, outcome, key=None, marker=None, **checks):
        path = os.path.join(self.out, name + ".value")
        with open(path, "wb") as f:
            f.write(value)
        if key is None:
            key_arg = f"h-{name}-{self.round}"
        else:
            kpath = os.path.join(self.out, name + ".key")
            with open(kpath, "wb") as f:
                f.write(key)
            key_arg = "@" + kpath
        self.manifest.append((key_arg, path))
        e = {"outcome": outcome, "marker": marker, "size": len(value)}
        e.update({k: v for k, v in checks.items() if v is not None})
        if outcome == "deadletter":
            e["omitted"] = len(value) > PRODUCER_MAX
        self.expect[name] = e

    def enriched(self, name, value, **checks):
        self.add(name, value, "enriched", **checks)

    def dead(self, name, value, error, stage, **kw):
        self.add(name, value, "deadletter", error=error, stage=stage, **kw)

    def write(self):
        with open(os.path.join(self.out, "manifest.tsv"), "w") as f:
            for k, p in self.manifest:
                f.write(f"{k}\t{p}\n")
        with open(os.path.join(self.out, "expect.json"), "w") as f:
            json.dump(self.expect, f, indent=1)


def main():
    out, round_ = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    m = Messages(out, round_)
    rnd = random.Random(2021)
    r = round_
    prose_text = prose(r)

    # Empty, and keys that are not text.
    m.dead("empty", b"", "empty", "parse")
    for name, key in (("key-empty", b""), ("key-nul", b"\0\0\0"),
                      ("key-binary", bytes(rnd.randrange(256) for _ in range(512)))):
        marker = f"marker-{name}-{r}"
        m.enriched(name, f"{marker} {prose_text}".encode(), key=key, marker=marker,
                   source_key=key.decode() if name == "key-empty" else None,
                   source_key_hex=key.hex() if name != "key-empty" else None)

    # Size: over every limit, and a long word under them.
    words = b"news " * (10 * 1000 * 1000 // 5)
    m.dead("text-10mb", words, "too_large", "parse")
    m.dead("word-5mb", b"a" * (5 * 1000 * 1000), "too_large", "parse")
    m.dead("word-3mb", b"b" * (3 * 1000 * 1000), "body_too_large", "normalize")
    m.enriched("word-400k", b"c" * 400000 + r.encode(), word_count=1)

    # Binary data.
    noise = bytes(rnd.randrange(256) for _ in range(65536))
    m.dead("binary", b"x" + noise, "invalid_utf8", "normalize")
    m.dead("binary-json", b"{" + noise, "invalid_utf8", "parse")
    m.dead("binary-controls", bytes(rnd.randrange(32) for _ in range(4096)), "binary", "normalize")

    # Ill-formed UTF-8, each class: a little is repaired, a lot is refused.
    for cls, seq in BROKEN.items():
        m.enriched(f"utf8-{cls}", f"marker-utf8-{cls} ".encode() + prose_text.encode() + seq + b" end.",
                   replaced=True)
        m.dead(f"utf8-{cls}-mostly", "Café ".encode() + seq * 300, "invalid_utf8", "normalize")
    m.enriched("utf8-in-json", b'{"body": "' + prose_text.encode() + b"\xc0\xaf\xed\xa0\x80" + b'"}', replaced=True)
    m.dead("utf8-in-json-mostly", b'{"body": "caf\xc3\xa9 ' + b"\xed\xa0\x80" * 300 + b'"}', "invalid_utf8", "parse")

    # JSON shapes.
    m.dead("json-deep-10000", b'{"body": "x", "a": ' + b"[" * 10000 + b"]" * 10000 + b"}", "too_deep", "parse")
    m.dead("json-deep-objects", b'{"a": ' * 10000 + b"1" + b"}" * 10000, "too_deep", "parse")
    keys = b",".join(b'"k%d": %d' % (i, i) for i in range(100000))
    m.dead("json-100k-keys", b'{"body": "x", ' + keys + b"}", "too_many_values", "parse")
    m.dead("json-array-1m", b'{"body": "x", "a": [' + b",".join([b"0"] * 1000000) + b"]}", "too_many_values", "parse")
    m.enriched("json-deep-64", b'{"body": "Nested but within the limit, round %s.", "a": ' % r.encode() +
               b"[" * 63 + b"]" * 63 + b"}")
    m.dead("json-deep-65", b'{"body": "One level too deep.", "a": ' + b"[" * 64 + b"]" * 64 + b"}", "too_deep", "parse")

    # NUL bytes.
    m.enriched("nul-sprinkled", prose_text.encode().replace(b"station", b"sta\0tion"), body=prose_text.strip())
    m.dead("nul-mostly", b"\0" * 4000 + b" a little text", "binary", "normalize")
    m.enriched("nul-json-escape", b'{"body": "Before\\u0000after the NUL escape of round %s."}' % r.encode(),
               body=f"Beforeafter the NUL escape of round {r}.")

    # Only whitespace.
    m.dead("whitespace", b"   \n\n\t  \r\n  ", "empty_body", "normalize")
    m.dead("whitespace-unicode", "\u3000\u00a0\u2003\u200b\ufeff\u2028\u00ad\n".encode(), "empty_body", "normalize")
    m.dead("whitespace-json", b'{"body": " \\n\\t \\u00a0 "}', "empty_body", "normalize")

    # Text in every script, one message each and all in one.
    for script, text in SCRIPTS.items():
        text = f"{r}: {text}"
        m.enriched(f"script-{script}", text.encode(), body=normalized(text))
    m.enriched("script-all", "\n\n".join(f"{r}: {t}" for t in SCRIPTS.values()).encode())
    m.write()


if __name__ == "__main__":
    main()
