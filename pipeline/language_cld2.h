/* language_cld2: the CLD2 language detector behind a C interface.
 *
 * CLD2 (Compact Language Detector 2) comes from Debian's libcld2, the
 * 83-language build; its API is C++, and language_cld2.cc is the one C++
 * file that calls it. CLD2 scores letter quadgrams (CJK: single characters)
 * of lowercased text with a naive Bayes model; it ignores digits and
 * punctuation, and its cost grows with the bytes it is given (40-50 µs per KB
 * on the benchmark machine, see docs/benchmarks.md), so callers bound the
 * text they pass.
 *
 * Codes are ISO 639-1, or ISO 639-3 where a language has no two-letter code.
 * CLD2's own codes are mapped: iw → he, jw → jv, no → nb (CLD2's NORWEGIAN
 * is Bokmål; Nynorsk is its nn), zh-Hant → zh (both Chinese scripts are zh),
 * sr-ME → cnr. Names are English ("Norwegian Bokmål", "Chinese").
 *
 * There is no state: the functions may be called from any thread. CLD2
 * allocates about 172 KB of scratch on each call and frees it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CLD2 reports three languages per text: the top one and two others. */
#define LANGUAGE_CLD2_MAX 3

struct language_cld2_language {
        const char *code;       /* static string */
        const char *name;       /* static string */
        int percent;            /* share of the text's letters, 0-100 */
};

struct language_cld2_result {
        /* By share of the text, largest first; n == 0 when CLD2 could not
         * tell (no letters, or too little text without best_effort). */
        struct language_cld2_language languages[LANGUAGE_CLD2_MAX];
        size_t n;
        bool reliable;          /* CLD2's verdict on languages[0] */
        bool best_effort;       /* languages[0] is a best-effort guess on text
                                 * that CLD2 found too short or unclear */
};

/* Detects the languages of `len` bytes of valid UTF-8 plain text. `hint`
 * (may be NULL) is a language the text is claimed to be in, as an ISO 639-1
 * code, a BCP 47 tag ("pt-BR") or an English name; it raises that
 * language's prior but does not override the text. With `best_effort`,
 * text that CLD2 would leave undetermined gets a guess, flagged
 * result->best_effort and never reliable. Returns 0, -EINVAL when the text is
 * not valid UTF-8 or longer than CLD2 takes (2 GiB), -ENOMEM. */
int language_cld2_detect(const char *text, size_t len, const char *hint, bool best_effort,
                         struct language_cld2_result *ret);

/* The code this module would report for a language given as a code, BCP 47
 * tag or English name ("en-GB" → "en", "iw" → "he", "no" → "nb",
 * "Swedish" → "sv"), or NULL when CLD2 does not know it. */
const char *language_cld2_canonical_code(const char *code_or_name);

/* CLD2's version and table date, e.g. "V2.0 - 20141016". */
const char *language_cld2_version(void);

#ifdef __cplusplus
}
#endif
