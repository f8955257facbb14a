/* language: the body's language, by CLD2 (language_cld2.h).
 *
 * The verdict (article->language) is the language with the largest share of
 * the text, its confidence, whether the detector calls it reliable, and the
 * other languages it found with their shares, so that an article with a
 * long quotation in another language shows both.
 *
 * - Bounded cost: the detector's time grows with the bytes it reads, so a
 *   body longer than sample_head_bytes + sample_slices × sample_slice_bytes
 *   is sampled: its first sample_head_bytes, then sample_slices slices of
 *   sample_slice_bytes centred at even intervals over the rest, each cut at
 *   spaces so that no word is split.
 * - Too little text: fewer than min_letters letters (Unicode category L) in
 *   what the detector would read gives "und" (undetermined), reliable false,
 *   confidence 0, without asking the detector. Digits, punctuation and emoji
 *   are not letters.
 * - Confidence is the top language's share of the text; a verdict that the
 *   detector does not call reliable (or that is a best-effort guess) gets at
 *   most unreliable_confidence.
 * - The language the input claims (article->language_hint, from the JSON
 *   field or the text header) is passed to the detector as a prior when
 *   use_hint is on; the text decides. Whether the detected language is the
 *   claimed one is recorded (article->language.hint). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "language_cld2.h"
#include "stage.h"
#include "utf8.h"

#define LANGUAGE_UNDETERMINED "und"
#define LANGUAGE_UNDETERMINED_NAME "Undetermined"

struct language_state {
        int64_t min_letters;
        int64_t sample_head_bytes;
        int64_t sample_slices;
        int64_t sample_slice_bytes;
        bool use_hint;
        bool best_effort;
        double unreliable_confidence;
};

static const struct config_key language_keys[] = {
        { "language", "min_letters", CONFIG_INT, "20",
          "Text with fewer letters than this (in what the detector reads) gets code \"und\", reliable false: too little to tell.",
          .min = 1, .max = 1000000 },
        { "language", "sample_head_bytes", CONFIG_INT, "256",
          "Bodies longer than sample_head_bytes + sample_slices × sample_slice_bytes are sampled: the detector reads their first sample_head_bytes and the slices; 0 reads every body whole.",
          .min = 0, .max = 1073741824 },
        { "language", "sample_slices", CONFIG_INT, "2",
          "Slices of a sampled body, spread evenly over the text after its head (for languages further in).",
          .min = 0, .max = 1000 },
        { "language", "sample_slice_bytes", CONFIG_INT, "96",
          "Bytes per slice of a sampled body (cut at spaces, so a little less).",
          .min = 1, .max = 1048576 },
        { "language", "use_hint", CONFIG_BOOL, "true",
          "Give the language the input claims (JSON field or header) to the detector as a prior; the text still decides." },
        { "language", "best_effort", CONFIG_BOOL, "true",
          "Guess a language for text the detector finds too short or unclear (reliable false) rather than answer \"und\"." },
        { "language", "unreliable_confidence", CONFIG_DOUBLE, "0.5",
          "Upper bound of the confidence of a verdict the detector does not call reliable.",
          .min = 0, .max = 1 },
        CONFIG_KEY_END,
};

static int language_init(const struct config *cfg, void **ret_state, char **ret_error) {
        (void)ret_error;
        struct language_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->min_letters = config_get_int(cfg, "language", "min_letters");
        s->sample_head_bytes = config_get_int(cfg, "language", "sample_head_bytes");
        s->sample_slices = config_get_int(cfg, "language", "sample_slices");
        s->sample_slice_bytes = config_get_int(cfg, "language", "sample_slice_bytes");
        s->use_hint = config_get_bool(cfg, "language", "use_hint");
        s->best_effort = config_get_bool(cfg, "language", "best_effort");
        s->unreliable_confidence = config_get_double(cfg, "language", "unreliable_confidence");
        *ret_state = s;
        return 0;
}

static void language_fini(void *state) {
        free(state);
}

static bool is_utf8_continuation(char c) {
        return ((unsigned char)c & 0xC0) == 0x80;
}

static bool is_space(char c) {
        return c == ' ' || c == '\n';
}

/* The end of a piece that may reach `limit` (< len): the last space in its
 * second half, else the start of the character at `limit`. */
static size_t piece_end(const char *t, size_t start, size_t limit) {
        size_t half = start + (limit - start) / 2;
        for (size_t i = limit; i > half; i--)
                if (is_space(t[i]))
                        return i;
        while (limit > start && is_utf8_continuation(t[limit]))
                limit--;
        return limit;
}

/* The start of a piece that may begin at `from`: after the first space in
 * the next `span` bytes, else at the next character. */
static size_t piece_start(const char *t, size_t len, size_t from, size_t span) {
        for (size_t i = from; i < len && i < from + span; i++)
                if (is_space(t[i]))
                        return i + 1;
        while (from < len && is_utf8_continuation(t[from]))
                from++;
        return from;
}

/* The text the detector reads: the body, or for a long body its head and
 * slices joined by newlines, in the arena. Returns NULL when out of memory. */
static const char *language_sample(const struct language_state *s, struct article *a, size_t *ret_len, bool *ret_sampled) {
        size_t head = (size_t)s->sample_head_bytes, slices = (size_t)s->sample_slices;
        size_t slice = (size_t)s->sample_slice_bytes;
        const char *t = a->body;
        size_t len = a->body_len;
        *ret_sampled = false;
        *ret_len = len;
        if (head == 0 || len <= head + slices * slice)
                return t;

        char *out = arena_alloc(a->arena, head + slices * (slice + 1) + 1);
        if (!out)
                return NULL;
        size_t head_end = piece_end(t, 0, head);
        memcpy(out, t, head_end);
        size_t n = head_end;
        size_t rest = len - head_end;
        for (size_t i = 0; i < slices; i++) {
                size_t centre = head_end + rest * (2 * i + 1) / (2 * slices);
                size_t from = centre > head_end + slice / 2 ? centre - slice / 2 : head_end;
                size_t start = piece_start(t, len, from, slice / 2);
                size_t limit = start + slice < len ? start + slice : len;
                size_t end = limit < len ? piece_end(t, start, limit) : len;
                if (end <= start)
                        continue;
                out[n++] = '\n';
                memcpy(out + n, t + start, end - start);
                n += end - start;
        }
        out[n] = '\0';
        *ret_len = n;
        *ret_sampled = true;
        return out;
}

/* Whether t holds at least `min` letters; stops counting there. */
static bool has_letters(const char *t, size_t len, int64_t min) {
        int64_t letters = 0;
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode((const uint8_t *)t + i, len - i, &cp);
                if (n == 0) {
                        i++;
                        continue;
                }
                i += n;
                switch (utf8proc_category((utf8proc_int32_t)cp)) {
                case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
                case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
                        if (++letters >= min)
                                return true;
                        break;
                default:
                        break;
                }
        }
        return false;
}

static enum stage_verdict language_process(void *state, struct article *a) {
        const struct language_state *s = state;
        struct article_language *out = &a->language;
        *out = (struct article_language){ .code = LANGUAGE_UNDETERMINED, .name = LANGUAGE_UNDETERMINED_NAME };
        if (!a->body)
                return STAGE_CONTINUE;

        size_t len;
        const char *text = language_sample(s, a, &len, &out->sampled);
        if (!text)
                return article_reject(a, "out_of_memory", "cannot sample the body for language detection");
        if (!has_letters(text, len, s->min_letters))
                return STAGE_CONTINUE;

        struct language_cld2_result r;
        int ret = language_cld2_detect(text, len, s->use_hint ? a->language_hint : NULL, s->best_effort, &r);
        if (ret == -ENOMEM)
                return article_reject(a, "out_of_memory", "language detection ran out of memory");
        if (ret < 0 || r.n == 0)
                return STAGE_CONTINUE;      /* undetermined; the text was valid UTF-8 after normalize */

        out->code = r.languages[0].code;
        out->name = r.languages[0].name;
        out->reliable = r.reliable;
        out->confidence = r.languages[0].percent / 100.0;
        if (!r.reliable && out->confidence > s->unreliable_confidence)
                out->confidence = s->unreliable_confidence;
        for (size_t i = 1; i < r.n && out->n_alternatives < ARTICLE_LANGUAGE_ALTERNATIVES; i++) {
                out->alternatives[out->n_alternatives].code = r.languages[i].code;
                out->alternatives[out->n_alternatives].percent = (uint8_t)r.languages[i].percent;
                out->n_alternatives++;
        }
        if (a->language_hint) {
                const char *claimed = language_cld2_canonical_code(a->language_hint);
                out->hint = claimed && strcmp(claimed, out->code) == 0 ? ARTICLE_LANGUAGE_HINT_AGREES
                                                                        : ARTICLE_LANGUAGE_HINT_DISAGREES;
        }
        return STAGE_CONTINUE;
}

const struct stage stage_language = {
        .name = "language",
        .config_keys = language_keys,
        .init = language_init,
        .process = language_process,
        .fini = language_fini,
};
