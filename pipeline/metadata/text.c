/* Tokens, sentences and paragraphs of the body, for the metadata stage.
 *
 * A word is a run of letters, marks and digits, joined across an apostrophe
 * or a hyphen between two such characters ("Navalny's", "Presse-Agentur");
 * in French and Italian an elided article or preposition ("l'", "d'", "qu'")
 * is a word of its own. Every other character that is not a space is a
 * punctuation token. A sentence ends at . ! ? … (after closing quotes and
 * brackets) before a space or the end, but not after a known abbreviation or
 * a one-letter initial, and at every line break; a paragraph at a blank
 * line. Each word is looked up once among the rule words and stop words. */
#include <errno.h>
#include <string.h>
#include <utf8proc.h>

#include "metadata.h"
#include "pipeline/utf8.h"

static bool is_ascii_alnum(uint32_t cp) {
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
}

static bool is_word_cp(uint32_t cp) {
        if (cp < 0x80)
                return is_ascii_alnum(cp);
        switch (utf8proc_category((utf8proc_int32_t)cp)) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        case UTF8PROC_CATEGORY_ND:
                return true;
        default:
                return false;
        }
}

static bool is_upper_cp(uint32_t cp) {
        if (cp < 0x80)
                return cp >= 'A' && cp <= 'Z';
        utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
        return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
}

static bool is_letter_cp(uint32_t cp) {
        if (cp < 0x80)
                return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
        utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
        return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

/* ASCII classes for the per-byte loops: a table lookup instead of three
 * range tests. UPPER is 1 so that (class & UPPER) << 5 lower-cases. */
enum { A_UPPER = 1, A_LOWER = 2, A_DIGIT = 4 };
static const uint8_t ascii_class[256] = { ['0' ... '9'] = A_DIGIT, ['A' ... 'Z'] = A_UPPER, ['a' ... 'z'] = A_LOWER };

static bool is_apostrophe(uint32_t cp) {
        return cp == '\'' || cp == 0x2019;
}

static bool is_joiner(uint32_t cp) {
        return is_apostrophe(cp) || cp == '-' || cp == 0x2010 || cp == 0x2011;
}

bool md_is_quote_cp(uint32_t cp) {
        return cp == '"' || cp == 0x201C || cp == 0x201D || cp == 0x201E || cp == 0xAB || cp == 0xBB ||
               cp == 0x2018 || cp == 0x2019 || cp == 0x201A || cp == 0x2039 || cp == 0x203A || cp == 0x300C ||
               cp == 0x300D || cp == 0x300E || cp == 0x300F;
}

static bool is_terminator(uint32_t cp) {
        return cp == '.' || cp == '!' || cp == '?' || cp == 0x2026 || cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F;
}

static bool is_closer(uint32_t cp) {
        return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x201D || cp == 0x2019 || cp == 0xBB ||
               cp == 0x203A || cp == 0x300D || cp == 0x300F || cp == 0x201C;
}

size_t md_lower(const char *s, size_t len, char *out) {
        size_t o = 0;
        for (size_t i = 0; i < len;) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x80) {
                        out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                        i++;
                        continue;
                }
                uint32_t cp;
                size_t n = utf8_decode((const uint8_t *)s + i, len - i, &cp);
                if (n == 0) {
                        i++;
                        continue;
                }
                i += n;
                if (cp == 0x2019) {
                        out[o++] = '\'';
                        continue;
                }
                o += utf8_encode((uint32_t)utf8proc_tolower((utf8proc_int32_t)cp), out + o);
        }
        out[o] = '\0';
        return o;
}

static bool in_set(uint32_t cp, const uint32_t *set) {
        for (; *set; set++)
                if (*set == cp)
                        return true;
        return false;
}

size_t md_stem(char *w, size_t len) {
        static const uint32_t cyr_vowels[] = { 0x430, 0x435, 0x451, 0x438, 0x43E, 0x443, 0x44B, 0x44D, 0x44E, 0x44F,
                                               0x439, 0x44C, 0x456, 0x457, 0x454, 0 };
        static const uint32_t grk_vowels[] = { 0x3B1, 0x3B5, 0x3B7, 0x3B9, 0x3BF, 0x3C5, 0x3C9, 0x3AC, 0x3AD, 0x3AE,
                                               0x3AF, 0x3CC, 0x3CD, 0x3CE, 0x3CA, 0x3CB, 0x390, 0x3B0, 0 };
        /* Code points and their byte offsets (names are short). */
        uint32_t cps[64];
        size_t offs[65], n = 0;
        for (size_t i = 0; i < len && n < 64;) {
                uint32_t cp;
                size_t k = utf8_decode((const uint8_t *)w + i, len - i, &cp);
                if (!k)
                        return len;
                offs[n] = i;
                cps[n++] = cp;
                i += k;
        }
        if (n == 64 || n == 0)
                return len;
        offs[n] = len;
        int script = 0;
        for (size_t i = 0; i < n && !script; i++) {
                if (cps[i] >= 0x400 && cps[i] <= 0x52F)
                        script = 1;
                else if ((cps[i] >= 0x370 && cps[i] <= 0x3FF) || (cps[i] >= 0x1F00 && cps[i] <= 0x1FFF))
                        script = 2;
                else if (is_letter_cp(cps[i]))
                        script = 3;
        }
        if (script == 1) {
                if (n > 4 && (cps[n - 1] == 0x43C || cps[n - 1] == 0x445) && in_set(cps[n - 2], cyr_vowels))
                        n--;
                while (n > 3 && in_set(cps[n - 1], cyr_vowels))
                        n--;
        } else if (script == 2) {
                if (n > 3 && cps[n - 1] == 0x3C2)
                        n--;
                if (n > 4 && cps[n - 1] == 0x3BD && in_set(cps[n - 2], grk_vowels))
                        n--;
                while (n > 3 && in_set(cps[n - 1], grk_vowels))
                        n--;
        }
        w[offs[n]] = '\0';
        return offs[n];
}

size_t md_span_lower(const struct md_doc *d, uint32_t first, uint32_t last, char *out) {
        size_t o = 0;
        for (uint32_t i = first; i <= last; i++) {
                const struct md_token *t = &d->tok[i];
                if (i > first && (t->flags & MD_T_SPACE_BEFORE))
                        out[o++] = ' ';
                else if (i > first && (t->flags & MD_T_AFTER_ELISION))
                        out[o++] = '\'';   /* "l'équipe" (md_lower() writes ’ as ') */
                if ((t->flags & MD_T_WORD) && (i == last || t->stem_len == t->len)) {
                        memcpy(out + o, d->lower + t->low, t->low_len);
                        o += t->low_len;
                } else {
                        o += md_lower(d->text + t->start, t->len, out + o);
                }
        }
        out[o] = '\0';
        return o;
}

/* French and Italian elisions: l' d' j' n' s' c' m' t' qu' jusqu' lorsqu' puisqu'. */
static bool is_elision(const char *w, size_t len) {
        static const char *const el[] = { "l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu",
                                          "dell", "all", "dall", "nell", "sull", "un", NULL };
        char low[8];
        if (len >= sizeof(low))
                return false;
        for (size_t i = 0; i < len; i++)
                low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
        for (size_t i = 0; el[i]; i++)
                if (strlen(el[i]) == len && memcmp(el[i], low, len) == 0)
                        return true;
        return false;
}

/* Fills in a word token's flags, stem length, lower-cased form and rule. */
static void finish_word(struct md_doc *d, struct md_token *t, size_t *lower_used, bool ascii) {
        const char *w = d->text + t->start;
        char *low = d->lower + *lower_used;
        size_t o = 0, stem = t->len;
        /* possessive 's ’s, and s' */
        if (t->len > 3 && w[t->len - 1] == 's' && w[t->len - 2] == '\'') {
                stem = t->len - 2;
                t->flags |= MD_T_POSSESSIVE;
        } else if (t->len > 5 && w[t->len - 1] == 's' && memcmp(w + t->len - 4, "\xE2\x80\x99", 3) == 0) {
                stem = t->len - 4;
                t->flags |= MD_T_POSSESSIVE;
        }
        t->stem_len = (uint32_t)stem;
        uint32_t cp = (unsigned char)w[0];
        size_t n = ascii ? 1 : utf8_decode((const uint8_t *)w, t->len, &cp);
        bool digits = true, upper = true;
        size_t letters = 0;
        if (n && is_upper_cp(cp))
                t->flags |= MD_T_CAP;
        if (n && cp >= 0x400 && cp <= 0x52F)
                t->flags |= MD_T_CYRILLIC;
        else if (n && ((cp >= 0x370 && cp <= 0x3FF) || (cp >= 0x1F00 && cp <= 0x1FFF)))
                t->flags |= MD_T_GREEK;
        /* one pass: the flags, and the lower-cased stem (as md_lower() writes it) */
        size_t i = 0;
        if (ascii) {
                /* the common case, without a branch per class: every byte is
                 * lower-cased, and the stem's end cut where it ends */
                unsigned any = 0, all = A_DIGIT;
                for (; i < t->len; i++) {
                        unsigned char b = (unsigned char)w[i];
                        unsigned c = ascii_class[b];
                        low[i] = (char)(b + ((c & A_UPPER) << 5));
                        any |= c;
                        all &= c;
                        letters += (c & (A_UPPER | A_LOWER)) != 0;
                }
                o = stem;
                digits = all != 0;
                upper = !(any & A_LOWER);
        }
        for (; i < t->len;) {
                unsigned char b = (unsigned char)w[i];
                if (b < 0x80) {
                        if (i < stem)
                                low[o++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
                        i++;
                        if (b < '0' || b > '9')
                                digits = false;
                        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) {
                                letters++;
                                if (b >= 'a')
                                        upper = false;
                        }
                        continue;
                }
                size_t k = utf8_decode((const uint8_t *)w + i, t->len - i, &cp);
                if (!k) {
                        i++;
                        continue;
                }
                if (i < stem)
                        o += cp == 0x2019 ? (low[o] = '\'', 1)
                                          : utf8_encode((uint32_t)utf8proc_tolower((utf8proc_int32_t)cp), low + o);
                i += k;
                digits = false;
                if (is_letter_cp(cp)) {
                        letters++;
                        if (!is_upper_cp(cp))
                                upper = false;
                }
        }
        low[o] = '\0';
        if (digits)
                t->flags |= MD_T_NUM;
        if (upper && letters >= 2)
                t->flags |= MD_T_UPPER;
        t->low = (uint32_t)*lower_used;
        t->low_len = (uint32_t)o;
        *lower_used += o + 1;
        /* the stem's letters: a possessive's s is not one of them */
        t->letters = (uint32_t)letters - ((t->flags & MD_T_POSSESSIVE) && letters > 0);
        if (!digits) {
                uint64_t stop, h = md_rules_hash(low, o);
                t->hash = md_word_hash(h);
                t->rule = md_rules_lookup_hashed(d->rules, low, o, h, &stop);
                if (stop & d->stop_bit)
                        t->flags |= MD_T_STOP;
        }
}

static bool is_abbreviation(const struct md_doc *d, const struct md_token *t) {
        if (!(t->flags & MD_T_WORD))
                return false;
        uint32_t cp;
        size_t n = utf8_decode((const uint8_t *)d->text + t->start, t->len, &cp);
        if (n == t->len && is_upper_cp(cp))
                return true;      /* an initial: "J." */
        return t->rule && (t->rule->classes[MD_LANG_OTHER] & MD_C_ABBREV);
}

int md_tokenize(struct md_doc *d) {
        const char *s = d->text;
        size_t len = d->len;
        /* News text has a token per 4-6 bytes; a denser text gets the upper
         * bound (a token per byte) when the first guess runs out. */
        size_t cap = len / 3 + 16;
        d->tok = arena_alloc(d->arena, cap * sizeof(*d->tok));
        d->lower = arena_alloc(d->arena, 2 * len + 64);
        size_t lower_used = 0;
        if (!d->tok || !d->lower)
                return -ENOMEM;
        size_t n = 0;
        uint32_t sentence = 0, paragraph = 0;
        bool new_sentence = true, new_paragraph = true, new_line = true, space = false, elided = false;
        bool elide = d->lang == MD_LANG_FR || d->lang == MD_LANG_IT;

        for (size_t i = 0; i < len;) {
                uint32_t cp;
                unsigned char b0 = (unsigned char)s[i];
                size_t k = b0 < 0x80 ? (cp = b0, 1) : utf8_decode((const uint8_t *)s + i, len - i, &cp);
                if (!k) {
                        i++;
                        continue;
                }
                if (cp == ' ' || cp == '\t') {
                        space = true;
                        i += k;
                        continue;
                }
                if (cp == '\n') {
                        if (i + 1 < len && s[i + 1] == '\n')
                                new_paragraph = true;
                        new_line = true;
                        if (n && !new_sentence) {
                                sentence++;
                                new_sentence = true;
                        }
                        space = true;
                        i += k;
                        continue;
                }
                if (new_paragraph && n)
                        paragraph++;
                if (n + 8 >= cap) {
                        size_t ncap = len + 16;
                        struct md_token *nt = cap < ncap ? arena_alloc(d->arena, ncap * sizeof(*nt)) : NULL;
                        if (!nt)
                                return -ENOMEM;
                        memcpy(nt, d->tok, n * sizeof(*nt));
                        d->tok = nt;
                        cap = ncap;
                }
                struct md_token *t = &d->tok[n];
                *t = (struct md_token){ .start = (uint32_t)i, .sentence = sentence, .paragraph = paragraph, .mention = -1 };
                if (space || n == 0)
                        t->flags |= MD_T_SPACE_BEFORE;
                if (new_paragraph)
                        t->flags |= MD_T_PARA_START;
                if (new_line)
                        t->flags |= MD_T_LINE_START;
                if (elided && !space)
                        t->flags |= MD_T_AFTER_ELISION;
                new_paragraph = new_line = space = elided = false;

                if (is_word_cp(cp)) {
                        size_t e = i + k;
                        bool ascii = cp < 0x80;
                        for (;;) {
                                uint32_t c2;
                                while (e < len && ascii_class[(unsigned char)s[e]])
                                        e++;
                                if (e < len && (unsigned char)s[e] >= 0x80)
                                        ascii = false;
                                size_t k2 = e >= len                       ? 0
                                            : (unsigned char)s[e] < 0x80 ? (c2 = (unsigned char)s[e], 1)
                                                                         : utf8_decode((const uint8_t *)s + e, len - e, &c2);
                                if (!k2)
                                        break;
                                if (is_word_cp(c2)) {
                                        e += k2;
                                        continue;
                                }
                                if (is_joiner(c2) && e + k2 < len) {
                                        uint32_t c3;
                                        size_t k3 = utf8_decode((const uint8_t *)s + e + k2, len - e - k2, &c3);
                                        if (k3 && is_word_cp(c3)) {
                                                if (elide && is_apostrophe(c2) && is_elision(s + i, e - i)) {
                                                        break;
                                                }
                                                e += k2;
                                                continue;
                                        }
                                }
                                break;
                        }
                        t->len = (uint32_t)(e - i);
                        t->flags |= MD_T_WORD;
                        if (new_sentence)
                                t->flags |= MD_T_SENT_START;
                        new_sentence = false;
                        finish_word(d, t, &lower_used, ascii);
                        n++;
                        i = e;
                        /* skip the apostrophe of an elision */
                        uint32_t c2;
                        size_t k2 = elide && i < len ? utf8_decode((const uint8_t *)s + i, len - i, &c2) : 0;
                        if (k2 && is_apostrophe(c2) && is_elision(s + t->start, t->len)) {
                                i += k2;
                                elided = true;
                        }
                        continue;
                }

                t->len = (uint32_t)k;
                t->stem_len = t->len;
                t->flags |= MD_T_PUNCT;
                t->cp = cp;
                n++;
                i += k;
                if (is_terminator(cp) && !new_sentence) {
                        /* further terminators and closers stay in this sentence */
                        size_t e = i;
                        for (;;) {
                                uint32_t c2;
                                size_t k2 = e < len ? utf8_decode((const uint8_t *)s + e, len - e, &c2) : 0;
                                if (!k2 || !(is_terminator(c2) || is_closer(c2)) || n + 2 >= cap)
                                        break;
                                d->tok[n++] = (struct md_token){ .start = (uint32_t)e, .len = (uint32_t)k2,
                                                                 .stem_len = (uint32_t)k2, .sentence = sentence,
                                                                 .paragraph = paragraph, .flags = MD_T_PUNCT,
                                                                 .cp = c2, .mention = -1 };
                                e += k2;
                        }
                        i = e;
                        bool boundary = i >= len || s[i] == ' ' || s[i] == '\n';
                        /* the word just before this terminator */
                        const struct md_token *pw = NULL;
                        for (size_t j = n; j-- > 0;) {
                                if (d->tok[j].start < t->start && (d->tok[j].flags & MD_T_WORD)) {
                                        pw = &d->tok[j];
                                        break;
                                }
                                if (d->tok[j].start < t->start)
                                        break;
                        }
                        if (cp == '.' && pw && pw->start + pw->len == t->start && is_abbreviation(d, pw) &&
                            d->tok[n - 1].start == t->start)
                                boundary = false;
                        if (boundary) {
                                sentence++;
                                new_sentence = true;
                        }
                }
        }
        d->n_tok = n;
        d->n_sentences = n ? d->tok[n - 1].sentence + 1 : 0;
        d->sentence_first = arena_alloc(d->arena, (d->n_sentences + 1) * sizeof(*d->sentence_first));
        if (!d->sentence_first)
                return -ENOMEM;
        for (size_t i = n; i-- > 0;)
                d->sentence_first[d->tok[i].sentence] = (uint32_t)i;
        d->sentence_first[d->n_sentences] = (uint32_t)n;
        return 0;
}
