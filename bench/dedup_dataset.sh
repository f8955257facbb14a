#!/usr/bin/env bash
# dedup_dataset.sh [CACHE_DIR] — builds the evaluation set of bench/dedup_eval.
#
# Real text, copied the way syndication copies it. The text comes from
# packages, never from the repository (except the seed article, a fixture):
# the Debian Administrator's Handbook in eight languages and the Debian
# Reference in seven, fetched with `apt-get download` and unpacked with
# dpkg-deb (no root needed, nothing is installed).
#
# Written to CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/ingestd/dedup-eval):
#   articles.tsv  the stream, in arrival order, one article per line (below)
#   sources.txt   the package versions the set was built from
#
# How it is made (all draws from a fixed seed, so a rebuild from the same
# package versions gives the same set; see DEDUP_EVAL_SEED below):
#  - Base articles: the paragraphs of one manual page (one topic), prose
#    only, are cut into consecutive runs of 60-150 words (20 %), 200-600
#    (60 %) or 600-1200 (20 %). Several articles of one page share a topic and
#    its vocabulary but no text: they must not match. A paragraph that repeats
#    another one (same words, or half of its word 8-grams) is used once only;
#    in the translations a paragraph that is half English (untranslated) is
#    dropped. The seed article is one more base.
#  - Each base is published by an outlet of its language with the outlet's
#    header and footer lines (menus, a newsletter line, a copyright line, some
#    of them long enough to survive a short-line filter) and a headline line.
#  - Near copies (0-6 per base; wire copies in other outlets): the other
#    outlet's boilerplate, a new headline, with p=0.3 a dateline
#    ("MOSCOW (AFP) — "), with p=0.6 1-3 photo captions and credit lines
#    between paragraphs, with p=0.3 a "You may also like" block of other
#    articles' headlines, always 5-15 % of the words edited (replaced by,
#    or with inserted, a word of the same article, or deleted; in runs of
#    1-3 words), with p=0.5 a paragraph dropped and with p=0.5 truncated to
#    60-90 % of its words (at a sentence end).
#  - Exact copies: re-delivery (same id, same URL, same text, another
#    offset); re-crawl (another id, the URL with tracking parameters, host
#    case and a fragment, the same words with other quotes, dashes, spacing
#    and short menu lines); the same URL from another feed (another id, long
#    boilerplate lines changed); an aggregator copy (another id, no URL, the
#    same text, other menu lines). Near copies are themselves re-delivered
#    now and then. "Menu lines" are those that dedup leaves out with its
#    default min_line_words (fewer than five words; a Han or kana character
#    is a word).
#  - Follow-ups, which must not match: a new text of the same topic with one
#    paragraph of the base as background (a paragraph of at most a quarter of
#    the base, in a new text at least three times its length).
#  - Arrival: bases published over 48 h; copies 0-12 h later; re-deliveries
#    minutes later; event time is the rendition's publication time.
#
# articles.tsv columns, tab-separated, body last with \n, \t and \\ escaped:
#   id  url(or -)  event_ms  partition  offset  group  exact_class  topic
#   kind  transforms  lang  body
# Two articles with the same exact_class are exact duplicates; the same
# group but another exact_class, near duplicates; another group, distinct.
#
# Environment: DEDUP_EVAL_BASES (2500, at most: as many as the manuals give),
# DEDUP_EVAL_SEED (20210214), the seed of every draw; another seed gives
# another set from the same text (a held-out set: the defaults are chosen on
# the first and checked on a second one).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/ingestd/dedup-eval}
BASES=${DEDUP_EVAL_BASES:-2500}
RANDOM_SEED=${DEDUP_EVAL_SEED:-20210214}
SEED_ARTICLE=$here/tests/fixtures/articles/seed-2021-02-14.txt
PACKAGES=(debian-handbook
          debian-reference-de debian-reference-en debian-reference-es debian-reference-fr
          debian-reference-id debian-reference-it debian-reference-pt)

for tool in apt-get dpkg-deb python3; do
        command -v "$tool" >/dev/null || { echo "dedup_dataset: $tool is needed" >&2; exit 2; }
done

mkdir -p "$CACHE/debs" "$CACHE/root"
cd "$CACHE/debs"
for p in "${PACKAGES[@]}"; do
        if ! compgen -G "${p}_*.deb" >/dev/null; then
                echo "dedup_dataset: fetching $p" >&2
                apt-get download -qq "$p" 2> >(grep -v 'Download is performed unsandboxed' >&2) ||
                        { echo "dedup_dataset: apt-get download $p failed (run apt-get update?)" >&2; exit 1; }
        fi
done
: >"$CACHE/sources.txt"
for deb in ./*.deb; do
        dpkg-deb -x "$deb" "$CACHE/root"
        dpkg-deb -f "$deb" Package Version | sed 's/^[A-Za-z]*: //' | paste -sd' ' >>"$CACHE/sources.txt"
done
echo "seed $(basename "$SEED_ARTICLE")" >>"$CACHE/sources.txt"

BENCH_DIR="$here/bench" python3 - "$CACHE" "$BASES" "$SEED_ARTICLE" "$RANDOM_SEED" <<'PYEOF'
import hashlib
import os
import random
import re
import sys

cache, n_bases, seed_path, random_seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
root = os.path.join(cache, "root")
rng = random.Random(random_seed)

WORD = re.compile(r"\w+", re.UNICODE)
LETTERS3 = re.compile(r"[^\W\d_]{3,}")
# The HTML extractor both dataset builders share (bench/html_paragraphs.py).
sys.path.insert(0, os.environ["BENCH_DIR"])
from html_paragraphs import paragraphs_of  # noqa: E402


def is_prose(p):
    """Prose, not commands: long enough, mostly letters and spaces."""
    if len(p) < 120:
        return False
    letters = sum(c.isalpha() or c.isspace() for c in p)
    return letters >= 0.9 * len(p) and not re.search(r"[{}<>$=|\\]", p)


def words(text):
    return WORD.findall(text.lower())


# --- the manuals: (lang, topic, [paragraphs]) per page ---------------------------------

pages = []
hb = os.path.join(root, "usr/share/doc/debian-handbook/html")
HANDBOOK = {"en-US": "en", "fr-FR": "fr", "de-DE": "de", "es-ES": "es", "it-IT": "it", "pt-BR": "pt",
            "ru-RU": "ru", "ja-JP": "ja"}
for d, lang in HANDBOOK.items():
    for f in sorted(os.listdir(os.path.join(hb, d))):
        if f.endswith(".html"):
            ps = paragraphs_of(os.path.join(hb, d, f),
                               lambda tag, a: tag == "div" and a.get("class") == "para")
            pages.append((lang, f"handbook/{d}/{f}", ps))
dr = os.path.join(root, "usr/share/debian-reference")
for f in sorted(os.listdir(dr)):
    m = re.search(r"\.([a-z]{2})\.html$", f)
    if m:
        pages.append((m.group(1), f"reference/{f}", paragraphs_of(os.path.join(dr, f), lambda tag, a: tag == "p")))

english = set()
for lang, topic, ps in pages:
    if lang == "en":
        for p in ps:
            english.update(w.lower() for w in LETTERS3.findall(p))

seen_text, seen_grams = set(), set()


def fresh(p, lang):
    """Prose, translated, and not a repeat of a paragraph already taken."""
    if not is_prose(p):
        return False
    ws = words(p)
    if lang != "ja" and len(ws) < 20:
        return False
    if lang != "en":
        lw = [w.lower() for w in LETTERS3.findall(p)]
        if lw and sum(w in english for w in lw) >= 0.5 * len(lw):
            return False
    key = " ".join(ws)
    if lang == "ja":
        ws = [c for c in "".join(ws)]
    grams = {hash(tuple(ws[i:i + 8])) for i in range(max(1, len(ws) - 7))}
    if key in seen_text or len(grams & seen_grams) >= 0.5 * len(grams):
        return False
    seen_text.add(key)
    seen_grams.update(grams)
    return True


def nwords(p, lang):
    return len(p) // 3 if lang == "ja" else len(words(p))


def target_words():
    r = rng.random()
    if r < 0.2:
        return rng.randint(60, 150)
    if r < 0.8:
        return rng.randint(200, 600)
    return rng.randint(600, 1200)


rng.shuffle(pages)
bases, spare = [], []      # (lang, topic, [paragraphs])
for lang, topic, ps in pages:
    ps = [p for p in ps if fresh(p, lang)]
    cur, n, want = [], 0, target_words()
    for p in ps:
        cur.append(p)
        n += nwords(p, lang)
        if n >= want:
            bases.append((lang, topic, cur))
            cur, n, want = [], 0, target_words()
    if cur and n >= 60:
        spare.append((lang, topic, cur))

# Whole topics, so that an article's neighbours of the same page are in too.
by_topic = {}
for b in bases:
    by_topic.setdefault(b[1], []).append(b)
topics = sorted(by_topic)
rng.shuffle(topics)
chosen = []
for t in topics:
    if len(chosen) >= n_bases:
        break
    chosen += by_topic[t]
spare_by_topic = {}
for s in spare:
    spare_by_topic.setdefault(s[1], []).append(s)

with open(seed_path, encoding="utf-8") as f:
    seed = f.read()
seed = re.sub(r"^\s*date \S+\s*", "", seed)
chosen.append(("en", "seed", [p.strip() for p in seed.split("\n\n") if p.strip()]))

# --- outlets, boilerplate, captions ---------------------------------------------------

NAMES = ["Anna Petrova", "John Smith", "Maria Garcia", "Yuri Maltsev", "Li Wei", "Sophie Martin", "Ahmed Khan",
         "Elena Rossi", "Jonas Berg", "Kenji Sato", "Paulo Silva", "Olga Ivanova", "Tom Baker", "Nadia Haddad"]
AGENCIES = ["Reuters", "AP", "AFP", "EPA", "Getty Images", "dpa", "ANSA", "Lehtikuva", "Shutterstock"]
CITIES = ["Moscow", "Paris", "Berlin", "Madrid", "Rome", "Lisbon", "Tokyo", "Jakarta", "Helsinki", "London"]
BOILER = {
    "en": (["Skip to content", "Menu", "Accessibility links", "Home | World | Business | Tech | Opinion",
            "Sign up for the {o} morning briefing and get the top stories in your inbox every day",
            "Breaking news and analysis from {o}, updated around the clock"],
           ["Share this article", "Advertisement", "© 2021 {o}. All rights reserved.",
            "Follow {o} on Twitter and Facebook for more news from around the world",
            "Our journalism depends on readers like you: subscribe today to support independent reporting",
            "Comments are closed for this story"]),
    "fr": (["Aller au contenu", "Menu", "Accueil | Monde | Économie | Culture",
            "Inscrivez-vous à la lettre d'information de {o} pour recevoir l'essentiel de l'actualité chaque matin"],
           ["Partager cet article", "Publicité", "© 2021 {o}. Tous droits réservés.",
            "Suivez {o} sur Twitter et Facebook pour ne rien manquer de l'actualité internationale"]),
    "de": (["Zum Inhalt springen", "Menü", "Startseite | Politik | Wirtschaft | Kultur",
            "Abonnieren Sie den Newsletter von {o} und erhalten Sie jeden Morgen die wichtigsten Nachrichten"],
           ["Artikel teilen", "Anzeige", "© 2021 {o}. Alle Rechte vorbehalten.",
            "Folgen Sie {o} auf Twitter und Facebook für weitere Nachrichten aus aller Welt"]),
    "es": (["Ir al contenido", "Menú", "Inicio | Mundo | Economía | Cultura",
            "Suscríbase al boletín de {o} y reciba cada mañana las noticias más importantes del día"],
           ["Compartir este artículo", "Publicidad", "© 2021 {o}. Todos los derechos reservados.",
            "Siga a {o} en Twitter y Facebook para más noticias de todo el mundo"]),
    "it": (["Vai al contenuto", "Menu", "Home | Mondo | Economia | Cultura",
            "Iscriviti alla newsletter di {o} per ricevere ogni mattina le notizie più importanti della giornata"],
           ["Condividi questo articolo", "Pubblicità", "© 2021 {o}. Tutti i diritti riservati.",
            "Segui {o} su Twitter e Facebook per altre notizie da tutto il mondo"]),
    "pt": (["Pular para o conteúdo", "Menu", "Início | Mundo | Economia | Cultura",
            "Assine a newsletter de {o} e receba todas as manhãs as notícias mais importantes do dia"],
           ["Compartilhar este artigo", "Publicidade", "© 2021 {o}. Todos os direitos reservados.",
            "Siga {o} no Twitter e no Facebook para mais notícias de todo o mundo"]),
    "id": (["Langsung ke konten", "Menu", "Beranda | Dunia | Ekonomi | Budaya",
            "Berlangganan buletin {o} dan dapatkan berita terpenting setiap pagi langsung di kotak masuk Anda"],
           ["Bagikan artikel ini", "Iklan", "© 2021 {o}. Hak cipta dilindungi.",
            "Ikuti {o} di Twitter dan Facebook untuk berita lainnya dari seluruh dunia"]),
    "ru": (["Перейти к содержанию", "Меню", "Главная | Мир | Экономика | Культура",
            "Подпишитесь на рассылку {o} и получайте главные новости дня каждое утро"],
           ["Поделиться статьей", "Реклама", "© 2021 {o}. Все права защищены.",
            "Следите за {o} в Twitter и Facebook, чтобы не пропустить новости со всего мира"]),
    "ja": (["コンテンツへスキップ", "メニュー", "ホーム | 国際 | 経済 | 文化",
            "{o}のニュースレターに登録して毎朝主要なニュースを受け取りましょう"],
           ["この記事を共有", "広告", "© 2021 {o}. All rights reserved.",
            "{o}をTwitterとFacebookでフォローして世界のニュースをチェック"]),
}
OUTLET_NAMES = ["Daily Courier", "Morning Post", "Evening Herald", "Global Times", "City Gazette", "Tribune",
                "Observer", "Chronicle", "Sentinel", "Dispatch", "Ledger", "Monitor"]
outlets = {}
for lang in BOILER:
    outlets[lang] = []
    for i, name in enumerate(rng.sample(OUTLET_NAMES, 6)):
        head, foot = BOILER[lang]
        o = f"The {name}" if lang == "en" else name
        outlets[lang].append({
            "name": o,
            "host": re.sub(r"\W+", "", name.lower()) + f"-{lang}.example",
            "header": [h.format(o=o) for h in rng.sample(head, rng.randint(1, min(3, len(head))))],
            "footer": [h.format(o=o) for h in rng.sample(foot, rng.randint(2, min(4, len(foot))))],
        })

CAPTION = {
    "en": "{n} speaks to reporters in {c} on {d} {m}.",
    "fr": "{n} s'adresse à la presse à {c} le {d} {m}.",
    "de": "{n} spricht am {d}. {m} in {c} mit Journalisten.",
    "es": "{n} habla con la prensa en {c} el {d} de {m}.",
    "it": "{n} parla con i giornalisti a {c} il {d} {m}.",
    "pt": "{n} fala com jornalistas em {c} no dia {d} de {m}.",
    "id": "{n} berbicara kepada wartawan di {c} pada {d} {m}.",
    "ru": "{n} выступает перед журналистами в городе {c} {d} {m}.",
    "ja": "{c}で{m}{d}日、記者団に話す{n}氏。",
}
MONTHS = ["January", "February", "March", "April", "May", "June"]


def caption(lang):
    text = CAPTION[lang].format(n=rng.choice(NAMES), c=rng.choice(CITIES), d=rng.randint(1, 28), m=rng.choice(MONTHS))
    credit = rng.choice(["Photo: {n}/{a}", "Image: {a}", "{a} via Getty Images", "Photo: {a} / {n}"]).format(
        n=rng.choice(NAMES), a=rng.choice(AGENCIES))
    return [text, credit] if rng.random() < 0.7 else [credit]


SENT = re.compile(r"(?<=[.!?。])\s*")


def sentences(p):
    return [s for s in SENT.split(p) if s.strip()]


def headline(paras, lang):
    s = rng.choice(sentences(rng.choice(paras[:3])))
    if lang == "ja":
        return s[:rng.randint(12, 30)]
    ws = s.split()
    n = rng.randint(6, 12)
    start = rng.randint(0, max(0, len(ws) - n))
    h = " ".join(ws[start:start + n]).strip(" ,;:.")
    return h[:1].upper() + h[1:]


def render(outlet, head, paras, lang, extra_head=(), extra_foot=()):
    lines = list(outlet["header"]) + list(extra_head) + [head] + [""]
    body = "\n\n".join(paras)
    tail = list(extra_foot) + list(outlet["footer"])
    return "\n".join(lines) + body + "\n\n" + "\n".join(tail)


CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def menu_line(line):
    """A line that dedup's boilerplate rule leaves out (min_line_words 5):
    fewer than five words, a character of a script without spaces counting
    as one word, as pipeline/dedup/text_norm.c counts them."""
    n = 0
    for w in re.findall(r"[^\W_]+", line):
        n += len(CJK_CHAR.findall(w)) + len([r for r in CJK_CHAR.split(w) if r])
    return n < 5


def slug(text):
    s = re.sub(r"\W+", "-", text.lower()).strip("-")
    return s[:60] or "article"


# --- transformations ---------------------------------------------------------------

TOKEN = re.compile(r"\w+|\W+", re.UNICODE)


def edit_words(paras, frac, lang):
    """Edits `frac` of the words: replaced, deleted, or a word inserted after,
    in runs of 1-3; the replacement and inserted words come from the article."""
    if lang == "ja":
        # No spaces: edit characters in runs instead.
        text = "\n\n".join(paras)
        chars = list(text)
        pool = [c for c in chars if c.strip()]
        idx = [i for i, c in enumerate(chars) if c.strip()]
        n_edits = int(frac * len(idx))
        for i in rng.sample(idx, n_edits):
            chars[i] = rng.choice(pool)
        return "".join(chars).split("\n\n")
    vocab = [w for w in words(" ".join(paras)) if len(w) >= 3] or ["the"]
    out = []
    toks = [TOKEN.findall(p) for p in paras]
    positions = [(pi, ti) for pi, ts in enumerate(toks) for ti, t in enumerate(ts) if t[0].isalnum() or t[0] == "_"]
    n_edits = int(round(frac * len(positions)))
    done = 0
    while done < n_edits and positions:
        run = rng.choices([1, 2, 3], [0.6, 0.25, 0.15])[0]
        k = rng.randrange(len(positions))
        for pi, ti in positions[k:k + run]:
            op = rng.random()
            w = toks[pi][ti]
            if op < 0.6:
                toks[pi][ti] = rng.choice(vocab)
            elif op < 0.8:
                toks[pi][ti] = ""
            else:
                toks[pi][ti] = w + " " + rng.choice(vocab)
            done += 1
        del positions[k:k + run]
    for ts in toks:
        p = re.sub(r" {2,}", " ", "".join(ts)).strip()
        if p:
            out.append(p)
    return out


def truncate(paras, frac, lang):
    total = sum(nwords(p, lang) for p in paras)
    want = frac * total
    out, n = [], 0
    for p in paras:
        w = nwords(p, lang)
        if n + w <= want:
            out.append(p)
            n += w
            continue
        # Cut this paragraph at the sentence end closest to the target.
        best, acc, cut = None, n, []
        for s in sentences(p):
            acc += nwords(s, lang)
            cut.append(s)
            d = abs(acc - want)
            if best is None or d < best[0]:
                best = (d, list(cut))
        if best and best[1] and abs(n - want) > best[0]:
            out.append(" ".join(best[1]))
        break
    return out or paras[:1]


def near_copy(base_paras, lang, others):
    t = []
    paras = list(base_paras)
    if len(paras) >= 3 and rng.random() < 0.5:
        del paras[rng.randrange(1, len(paras))]
        t.append("drop")
    if rng.random() < 0.5:
        f = rng.uniform(0.6, 0.9)
        paras = truncate(paras, f, lang)
        t.append(f"trunc={f:.2f}")
    e = rng.uniform(0.05, 0.15)
    paras = edit_words(paras, e, lang)
    t.append(f"edit={e:.2f}")
    if rng.random() < 0.3:
        sep = "、" if lang == "ja" else " — "
        paras[0] = f"{rng.choice(CITIES).upper()} ({rng.choice(AGENCIES)}){sep}{paras[0]}"
        t.append("dateline")
    if rng.random() < 0.6:
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(1, len(paras))
            paras[at:at] = caption(lang)
        t.append("captions")
    foot = []
    if rng.random() < 0.3 and others:
        foot = [{"en": "You may also like", "fr": "À lire aussi", "de": "Das könnte Sie auch interessieren",
                 "es": "También le puede interesar", "it": "Potrebbe interessarti anche", "pt": "Leia também",
                 "id": "Baca juga", "ru": "Читайте также", "ja": "あわせて読みたい"}[lang]]
        foot += [headline(o, lang) for o in rng.sample(others, min(3, len(others)))]
        t.append("related")
    return paras, foot, t


def recrawl_variant(text):
    """The same words, other typography."""
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').replace("\u2014", "-")
    text = re.sub(r"(?<=\w) (?=\w)", lambda m: "  " if rng.random() < 0.05 else " ", text)
    return text


# --- the stream ----------------------------------------------------------------------

HOUR = 3600 * 1000
T0 = 1613260800000        # 2021-02-14T00:00:00Z
items = []                # dicts
n_ids = 0


def new_id(outlet):
    global n_ids
    n_ids += 1
    h = hashlib.sha1(f"{outlet['host']}/{n_ids}".encode()).hexdigest()[:20]
    return f"{outlet['host'].split('-')[0]}-{h}"


def add(body, lang, outlet, url, group, eclass, topic, kind, t, event, arrival, aid=None):
    aid = aid or new_id(outlet)
    items.append(dict(id=aid, url=url or "-", event=event, arrival=arrival, group=group, eclass=eclass,
                      topic=topic, kind=kind, t=",".join(t) or "-", lang=lang, body=body))
    return items[-1]


paras_by_lang = {}
for b in chosen:
    paras_by_lang.setdefault(b[0], []).append(b[2])
n_eclass = 0


def eclass():
    global n_eclass
    n_eclass += 1
    return n_eclass


for g, (lang, topic, paras) in enumerate(chosen):
    outs = outlets[lang]
    o = rng.choice(outs)
    head = headline(paras, lang)
    pub = T0 + rng.randrange(48 * HOUR)
    url = f"https://www.{o['host']}/news/{slug(head)}-{g}"
    body = render(o, head, paras, lang)
    ec = eclass()
    orig = add(body, lang, o, url, g, ec, topic, "original", [], pub, pub + rng.randrange(10 * 60000))

    r = rng.random()
    if r < 0.15:      # re-delivery
        add(body, lang, o, url, g, ec, topic, "exact-redelivery", [], pub,
            orig["arrival"] + rng.randrange(1, 60 * 60000), aid=orig["id"])
    elif r < 0.25:    # re-crawl: other id, tracking parameters, other typography and menus
        q = rng.choice(["?utm_source=twitter&utm_medium=social", "?fbclid=IwAR0x" + str(g), "?gclid=abc&utm_campaign=x"])
        u2 = url.replace("https://www.", "https://WWW.").replace(".example/", ".example:443/") + q + "#comments"
        o2 = dict(o)
        o2["header"] = [h for h in o["header"] if not menu_line(h)] + ["Menu", "Home"]
        o2["footer"] = o["footer"]
        b2 = recrawl_variant(render(o2, head, paras, lang))
        add(b2, lang, o, u2, g, ec, topic, "exact-recrawl", [], pub, orig["arrival"] + rng.randrange(1, 6 * HOUR))
    elif r < 0.30:    # the same URL from another feed: long boilerplate lines differ
        o2 = dict(o)
        o2["footer"] = o["footer"][:1] + [BOILER[lang][1][-1].format(o=o["name"])]
        add(render(o2, head, paras, lang), lang, o, url + "#top", g, ec, topic, "exact-url", [], pub,
            orig["arrival"] + rng.randrange(1, 6 * HOUR))
    elif r < 0.35:    # aggregator: the text alone, no URL
        o2 = dict(o)
        o2["header"] = ["Home", "Top stories"] + [h for h in o["header"] if not menu_line(h)]
        add(recrawl_variant(render(o2, head, paras, lang)), lang, rng.choice(outs), None, g, ec,
            topic, "exact-nourl", [], pub, orig["arrival"] + rng.randrange(1, 6 * HOUR))

    n_copies = rng.choices([0, 1, 2, 3, 4, 5, 6], [0.40, 0.25, 0.15, 0.10, 0.04, 0.03, 0.03])[0]
    if topic == "seed":
        n_copies = 6
    for n_copy in range(n_copies):
        o2 = rng.choice([x for x in outs if x is not o] or outs)
        others = [p for p in rng.sample(paras_by_lang[lang], 4) if p is not paras]
        cp, foot, t = near_copy(paras, lang, others)
        h2 = headline(paras, lang)
        cpub = pub + rng.randrange(12 * HOUR)
        c = add(render(o2, h2, cp, lang, extra_foot=foot), lang, o2,
                f"https://{o2['host']}/{slug(h2)}-{g}-{n_copy}", g,
                eclass(), topic, "near", t, cpub, cpub + rng.randrange(10 * 60000))
        if rng.random() < 0.08:
            add(c["body"], lang, o2, c["url"], g, c["eclass"], topic, "exact-redelivery", [], cpub,
                c["arrival"] + rng.randrange(1, 60 * 60000), aid=c["id"])

    # A follow-up: new text of the same topic with one of the base's paragraphs.
    spares = spare_by_topic.get(topic)
    total = sum(nwords(p, lang) for p in paras)
    background = [p for p in paras if nwords(p, lang) <= 0.25 * total]
    if spares and background and rng.random() < 0.3:
        _, _, sp = spares.pop()
        fp = list(sp)
        bg = rng.choice(background)
        if sum(nwords(p, lang) for p in fp) < 3 * nwords(bg, lang):
            spares.append((lang, topic, sp))
            continue
        fp.insert(rng.randint(1, len(fp)), bg)
        o2 = rng.choice(outs)
        fh = headline(sp, lang)
        fpub = pub + rng.randrange(2 * HOUR, 24 * HOUR)
        add(render(o2, fh, fp, lang), lang, o2, f"https://{o2['host']}/{slug(fh)}-f{g}", len(chosen) + g, eclass(),
            topic, "followup", [], fpub, fpub + rng.randrange(10 * 60000))

items.sort(key=lambda x: (x["arrival"], x["id"]))
offsets = [0] * 6
with open(os.path.join(cache, "articles.tsv"), "w", encoding="utf-8") as f:
    for it in items:
        part = int(hashlib.md5(it["id"].encode()).hexdigest(), 16) % 6
        off = offsets[part]
        offsets[part] += 1
        body = it["body"].replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        f.write("\t".join(str(x) for x in (it["id"], it["url"], it["event"], part, off, it["group"], it["eclass"],
                                           it["topic"], it["kind"], it["t"], it["lang"], body)) + "\n")

kinds = {}
for it in items:
    kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
langs = {}
for b in chosen:
    langs[b[0]] = langs.get(b[0], 0) + 1
print(f"dedup_dataset: {len(items)} articles from {len(chosen)} bases in {len(set(b[1] for b in chosen))} topics "
      f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}; bases by language: "
      f"{', '.join(f'{k} {v}' for k, v in sorted(langs.items()))}) in {cache}/articles.tsv", file=sys.stderr)
PYEOF
