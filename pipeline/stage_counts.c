/* counts: words, sentences, paragraphs and reading time, by Unicode
 * character classes (utf8proc), so that Cyrillic, Greek or accented Latin
 * text counts like English.
 *
 * A word is a run of letters, marks and digits, joined across an apostrophe
 * or hyphen between two such characters ("Navalny's", "well-known"). In
 * scripts written without spaces (Han, Hiragana, Katakana) each character
 * counts as a word. A sentence ends at . ! ? … and their CJK, Arabic and
 * Devanagari forms when followed by a space, a closing quote or the end of a
 * paragraph, except after a known abbreviation or a single-letter initial; a
 * paragraph's last words form a sentence even without a full stop. A
 * paragraph is a block of text between blank lines. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "stage.h"
#include "utf8.h"

struct counts_state {
        int64_t words_per_minute;
};

static const struct config_key counts_keys[] = {
        { "counts", "words_per_minute", CONFIG_INT, "238",
          "Reading speed used for metadata.reading_time_seconds (238 is the mean silent reading rate for adult non-fiction).",
          .min = 1, .max = 10000 },
        CONFIG_KEY_END,
};

static int counts_init(const struct config *cfg, void **ret_state, char **ret_error) {
        (void)ret_error;
        struct counts_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->words_per_minute = config_get_int(cfg, "counts", "words_per_minute");
        *ret_state = s;
        return 0;
}

static void counts_fini(void *state) {
        free(state);
}

static bool is_word_cp(uint32_t cp) {
        switch (utf8proc_category((utf8proc_int32_t)cp)) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
                return true;
        default:
                return false;
        }
}

static bool is_unspaced_script(uint32_t cp) {
        return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
               (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

static bool is_joiner(uint32_t cp) {
        return cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010 || cp == 0x2011;
}

static bool is_terminator(uint32_t cp) {
        return cp == '.' || cp == '!' || cp == '?' || cp == 0x2026 || cp == 0x203C || cp == 0x2047 || cp == 0x2048 ||
               cp == 0x2049 || cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F || cp == 0xFF0E || cp == 0x061F ||
               cp == 0x06D4 || cp == 0x0964 || cp == 0x0965;
}

static bool is_closer(uint32_t cp) {
        return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x201D || cp == 0x2019 || cp == 0xBB ||
               cp == 0x203A || cp == 0x300D || cp == 0x300F;
}

static bool is_greek_start(const uint8_t *w, size_t len) {
        uint32_t cp;
        return utf8_decode(w, len, &cp) && ((cp >= 0x370 && cp <= 0x3FF) || (cp >= 0x1F00 && cp <= 0x1FFF));
}

/* Abbreviations after which a full stop does not end a sentence. */
static bool is_abbreviation(const char *w, size_t len) {
        static const char *const abbrev[] = { "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "vs", "etc", "Inc",
                                              "Ltd", "Co", "Corp", "No", "Gen", "Sen", "Rep", "Gov", "Lt", "Col", "Sgt",
                                              "Capt", "Mt", "Fig", "approx", "e.g", "i.e", "Jan", "Feb", "Mar", "Apr",
                                              "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Hr", "Fr", "Hrn",
                                              "Dipl", "bzw", "z.B", "Sra", "Sr", "Mme", "Mlle", "M", NULL };
        if (len == 0)
                return false;
        for (size_t i = 0; abbrev[i]; i++)
                if (strlen(abbrev[i]) == len && memcmp(abbrev[i], w, len) == 0)
                        return true;
        return false;
}

static enum stage_verdict counts_process(void *state, struct article *a) {
        struct counts_state *s = state;
        const uint8_t *t = (const uint8_t *)a->body;
        size_t len = a->body_len;
        struct article_counts c = { 0 };

        bool in_word = false;
        size_t word_start = 0, last_word_start = 0, last_word_len = 0;
        uint32_t last_word_cps = 0, word_cps = 0;
        bool words_in_sentence = false, words_in_paragraph = false;
        size_t newlines = 0;

        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode(t + i, len - i, &cp);
                if (n == 0) {
                        i++;
                        continue;
                }
                if (cp == '\n') {
                        newlines++;
                } else if (newlines) {
                        if (newlines >= 2 && words_in_paragraph) {
                                c.paragraphs++;
                                if (words_in_sentence)
                                        c.sentences++;
                                words_in_sentence = false;
                                words_in_paragraph = false;
                        }
                        newlines = 0;
                }

                if (is_word_cp(cp)) {
                        if (is_unspaced_script(cp)) {
                                c.words++;
                                in_word = false;
                        } else if (!in_word) {
                                c.words++;
                                in_word = true;
                                word_start = i;
                                word_cps = 0;
                        }
                        word_cps++;
                        words_in_sentence = words_in_paragraph = true;
                        i += n;
                        continue;
                }
                if (in_word && is_joiner(cp) && i + n < len) {
                        uint32_t next;
                        size_t nn = utf8_decode(t + i + n, len - i - n, &next);
                        if (nn && is_word_cp(next) && !is_unspaced_script(next)) {
                                i += n;
                                continue;
                        }
                }
                if (in_word) {
                        last_word_start = word_start;
                        last_word_len = i - word_start;
                        last_word_cps = word_cps;
                }
                in_word = false;

                /* Under NFC the Greek question mark (U+037E) is ';'. */
                bool greek_question = cp == ';' && last_word_len && is_greek_start(t + last_word_start, last_word_len);
                if ((is_terminator(cp) || greek_question) && words_in_sentence) {
                        /* Skip further terminators and closing quotes, then look
                         * at what follows. */
                        size_t j = i + n;
                        uint32_t nx = 0;
                        size_t nn = 0;
                        while (j < len && (nn = utf8_decode(t + j, len - j, &nx)) && (is_terminator(nx) || is_closer(nx)))
                                j += nn;
                        bool at_end = j >= len;
                        bool space_follows = !at_end && (nx == ' ' || nx == '\n');
                        bool full_stop = cp == '.';
                        bool abbreviation = full_stop && j == i + n &&
                                            (last_word_cps == 1 ||
                                             is_abbreviation((const char *)t + last_word_start, last_word_len));
                        bool cjk = cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F;
                        if ((at_end || space_follows || cjk) && !abbreviation) {
                                c.sentences++;
                                words_in_sentence = false;
                        }
                        i = j;
                        continue;
                }
                i += n;
        }
        if (words_in_paragraph) {
                c.paragraphs++;
                if (words_in_sentence)
                        c.sentences++;
        }
        c.reading_time_seconds = (uint32_t)(((uint64_t)c.words * 60 + (uint64_t)s->words_per_minute - 1) /
                                            (uint64_t)s->words_per_minute);
        a->counts = c;
        return STAGE_CONTINUE;
}

const struct stage stage_counts = {
        .name = "counts",
        .config_keys = counts_keys,
        .init = counts_init,
        .process = counts_process,
        .fini = counts_fini,
};
