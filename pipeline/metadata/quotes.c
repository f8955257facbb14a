/* Quotations, their speakers, and the sources an article cites.
 *
 * A quotation is text between paired quotation marks of one style, within a
 * paragraph: “…” „…“ „…” «…» »…« "…" ”…” ‘…’ ‚…‘ 「…」 『…』. It counts
 * when it has metadata.quote_min_words words or more and either reads as
 * speech (it ends in . , ! ? … inside the marks, or holds a sentence end)
 * or has a speech verb right before it; a quoted term ("the tag “love is
 * stronger than fear”") does not.
 *
 * Its speaker is, in this order:
 * - after it, within metadata.speaker_window_tokens tokens (the rest of its
 *   sentence, or the next sentence when the quotation closed one): the
 *   person or organization next to the first speech verb ("…,” Putin said;
 *   “…,” said Volkov; … Leonid Volkov wrote on Twitter; «…», a déclaré Jean
 *   Dupont; „…“, sagte Oberbürgermeisterin Henriette Reker), or for a
 *   pronoun there ("he said", "il a ajouté") the last person named before
 *   the quotation; "according to" with a person;
 * - before it: a speech verb or a colon just before the marks ("Putin said:
 *   “…”", "Volkov: “…”");
 * - else, for a quotation that is a paragraph of its own, the speaker of the
 *   quotation before it, and otherwise the first person named in the
 *   sentence before.
 *
 * A cited source is a news agency or outlet (rules.c) named as a source:
 * after "according to", "selon", "laut", "según", "по данным", a speech
 * verb or a word such as "agency" ("according to news agency Reuters",
 * "selon l'agence France-Presse", "передает агентство ТАСС"), before
 * "reported", "mukaan" ("STT:n mukaan"), or in brackets ("(Reuters)"). */
#include <errno.h>
#include <string.h>

#include "metadata.h"

static uint32_t cls(const struct md_doc *d, const struct md_token *t) {
        return t->rule ? t->rule->classes[d->lang] : 0;
}

static bool is_word(const struct md_token *t) {
        return (t->flags & MD_T_WORD) != 0;
}

static bool is_punct(const struct md_token *t, uint32_t cp) {
        return (t->flags & MD_T_PUNCT) && t->cp == cp;
}

/* The closing mark that goes with an opening one (0: not an opener here). */
static uint32_t closer_for(const struct md_doc *d, size_t i) {
        const struct md_token *t = &d->tok[i];
        bool next_attached = i + 1 < d->n_tok && !(d->tok[i + 1].flags & MD_T_SPACE_BEFORE);
        switch (t->cp) {
        case 0x201C: return 0x201D;            /* “ … ” (or “ … “ in German: see below) */
        case 0x201E: return 0x201C;            /* „ … “ (or ”) */
        case 0xAB: return 0xBB;                /* « … » */
        case 0xBB: return next_attached ? 0xAB : 0;   /* » … « */
        case '"': return (t->flags & MD_T_SPACE_BEFORE) || i == 0 || next_attached ? '"' : 0;
        case 0x201D: return (t->flags & MD_T_SPACE_BEFORE) && next_attached ? 0x201D : 0;   /* ” … ” */
        case 0x2018: return 0x2019;
        case 0x201A: return 0x2018;
        case 0x300C: return 0x300D;
        case 0x300E: return 0x300F;
        default: return 0;
        }
}

/* „ closes with “ in German and ” in Polish or Hungarian. */
static bool closes(uint32_t want, uint32_t cp) {
        return cp == want || (want == 0x201C && cp == 0x201D);
}

static int64_t last_person_before(const struct md_doc *d, size_t before) {
        for (size_t i = before; i-- > 0;) {
                int64_t e = md_entity_at(d, i);
                if (e >= 0 && d->ents[e].type == MD_ENT_PERSON)
                        return e;
        }
        return -1;
}

static int64_t first_person_in_sentence(const struct md_doc *d, uint32_t sentence) {
        if (sentence >= d->n_sentences)
                return -1;
        for (uint32_t i = d->sentence_first[sentence]; i < d->sentence_first[sentence + 1]; i++) {
                if (d->tok[i].flags & MD_T_IN_QUOTE)
                        continue;
                int64_t e = md_entity_at(d, i);
                if (e >= 0 && d->ents[e].type == MD_ENT_PERSON)
                        return e;
        }
        return -1;
}

/* A pronoun, or a French verb with its pronoun after it ("a-t-il", "dit-elle"). */
static bool is_pronoun(const struct md_doc *d, const struct md_token *t) {
        if (!is_word(t))
                return false;
        if (cls(d, t) & MD_C_PRONOUN)
                return true;
        const char *w = d->text + t->start;
        size_t n = t->len;
        return d->lang == MD_LANG_FR && n > 4 &&
               ((n > 3 && memcmp(w + n - 3, "-il", 3) == 0) || (n > 5 && memcmp(w + n - 5, "-elle", 5) == 0) ||
                (n > 4 && memcmp(w + n - 4, "-ils", 4) == 0) || (n > 6 && memcmp(w + n - 6, "-elles", 6) == 0));
}

static bool speaker_entity(const struct md_doc *d, int64_t e, bool org_ok) {
        return e >= 0 && (d->ents[e].type == MD_ENT_PERSON ||
                          (org_ok && d->ents[e].type == MD_ENT_ORG && !d->ents[e].agency));
}

/* The speaker next to the speech verb at v, looking between lo and hi. */
static int64_t speaker_near(const struct md_doc *d, size_t v, size_t lo, size_t hi, size_t quote_open) {
        /* right before the verb: "Putin said", "Leonid Volkov wrote", "Putin has said", "he said" */
        for (size_t i = v; i-- > lo && i + 4 >= v;) {
                int64_t e = md_entity_at(d, i);
                if (speaker_entity(d, e, true))
                        return e;
                if (is_pronoun(d, &d->tok[i]))
                        return last_person_before(d, quote_open);
                if (is_punct(&d->tok[i], ',') && i + 1 < v)
                        break;
        }
        /* after it: "said Volkov", "a déclaré le ministre de l'Énergie, Amadou Diallo", "sagte sie" */
        size_t end = v + 1;
        while (end <= hi && end < d->n_tok && !is_punct(&d->tok[end], '.') && !md_is_quote_cp(d->tok[end].cp))
                end++;
        for (size_t i = v + 1; i < end; i++) {
                if (is_pronoun(d, &d->tok[i]) && i <= v + 2)
                        return last_person_before(d, quote_open);
                int64_t e = md_entity_at(d, i);
                if (speaker_entity(d, e, false))
                        return e;
        }
        for (size_t i = v + 1; i < end; i++) {
                int64_t e = md_entity_at(d, i);
                if (speaker_entity(d, e, true))
                        return e;
        }
        /* "…», explicó." "…», a raconté le coureur.": the person named last,
         * in this paragraph or the one before */
        int64_t e = last_person_before(d, quote_open);
        for (size_t m = 0; e >= 0 && m < d->n_mentions; m++)
                if (md_entity_root(d, d->mentions[m].entity) == (uint32_t)e && d->mentions[m].first < quote_open &&
                    d->tok[d->mentions[m].first].paragraph + 1 >= d->tok[quote_open].paragraph)
                        return e;
        return -1;
}

struct span {
        size_t open, close;
};

static bool reads_as_speech(const struct md_doc *d, const struct span *q) {
        for (size_t i = q->open + 1; i < q->close; i++) {
                const struct md_token *t = &d->tok[i];
                if ((t->flags & MD_T_PUNCT) && (t->cp == '.' || t->cp == '!' || t->cp == '?' || t->cp == 0x2026))
                        return true;
        }
        const struct md_token *last = &d->tok[q->close - 1];
        return (last->flags & MD_T_PUNCT) && (last->cp == ',' || last->cp == ':' || last->cp == ';');
}

static char *quote_text(struct md_doc *d, const struct span *q) {
        const struct md_token *o = &d->tok[q->open], *c = &d->tok[q->close];
        size_t s = o->start + o->len, e = c->start;
        while (s < e && d->text[s] == ' ')
                s++;
        while (e > s && (d->text[e - 1] == ' ' || d->text[e - 1] == ','))
                e--;
        return arena_strndup(d->arena, d->text + s, e - s);
}

int md_quotes(struct md_doc *d, struct article_metadata *m) {
        size_t cap = (size_t)d->set->max_quotes;
        struct article_quote *quotes = arena_calloc(d->arena, cap ? cap : 1, sizeof(*quotes));
        struct span *spans = arena_calloc(d->arena, cap ? cap : 1, sizeof(*spans));
        int64_t *speakers = arena_calloc(d->arena, cap ? cap : 1, sizeof(*speakers));
        if (!quotes || !spans || !speakers)
                return -ENOMEM;
        size_t n = 0;
        size_t window = (size_t)d->set->speaker_window_tokens;

        for (size_t i = 0; i < d->n_tok && n < cap; i++) {
                const struct md_token *t = &d->tok[i];
                if (!(t->flags & MD_T_PUNCT))
                        continue;
                uint32_t want = closer_for(d, i);
                if (!want)
                        continue;
                size_t j = i + 1;
                while (j < d->n_tok && d->tok[j].paragraph == t->paragraph &&
                       !((d->tok[j].flags & MD_T_PUNCT) && closes(want, d->tok[j].cp)))
                        j++;
                if (j >= d->n_tok || d->tok[j].paragraph != t->paragraph)
                        continue;
                struct span q = { i, j };
                size_t words = 0;
                for (size_t k = i + 1; k < j; k++)
                        words += is_word(&d->tok[k]);
                for (size_t k = i; k <= j; k++)
                        d->tok[k].flags |= MD_T_IN_QUOTE;
                size_t o = i;   /* the opening mark */
                i = j;
                if ((int64_t)words < d->set->quote_min_words)
                        continue;

                /* after */
                int64_t speaker = -1;
                bool verb = false;
                uint32_t s0 = j + 1 < d->n_tok ? d->tok[j + 1].sentence : 0;
                size_t hi = j + window;
                for (size_t k = j + 1; k < d->n_tok && k <= hi; k++) {
                        const struct md_token *u = &d->tok[k];
                        if (u->paragraph != t->paragraph || u->sentence > s0 ||
                            ((u->flags & MD_T_PUNCT) && md_is_quote_cp(u->cp) && closer_for(d, k)))
                                break;
                        uint32_t c = is_word(u) ? cls(d, u) : 0;
                        if (c & MD_C_SPEECH) {
                                verb = true;
                                speaker = speaker_near(d, k, j + 1, hi, o);
                                break;
                        }
                        if (c & MD_C_ACCORDING) {
                                /* "according to X": X a person; an agency is a source */
                                for (size_t x = k + 1; x <= hi && x < d->n_tok; x++) {
                                        int64_t e = md_entity_at(d, x);
                                        if (e >= 0) {
                                                if (d->ents[e].type == MD_ENT_PERSON) {
                                                        verb = true;
                                                        speaker = e;
                                                }
                                                break;
                                        }
                                }
                                if (speaker >= 0)
                                        break;
                        }
                }
                /* before: "Putin said: “…”", "Volkov: “…”"; further back after
                 * "that": "a assuré au journal Le Parisien que « … »" */
                if (speaker < 0 && o > 0) {
                        bool that = is_word(&d->tok[o - 1]) && (cls(d, &d->tok[o - 1]) & MD_C_THAT);
                        size_t back = that ? 12 : 5;
                        size_t lo = o > back ? o - back : 0;
                        for (size_t k = o; k-- > lo;) {
                                const struct md_token *u = &d->tok[k];
                                if (u->sentence != t->sentence)
                                        break;
                                if (is_word(u) && (cls(d, u) & MD_C_SPEECH)) {
                                        verb = true;
                                        size_t from = d->sentence_first[t->sentence];
                                        speaker = speaker_near(d, k, from, o - 1, o);
                                        break;
                                }
                                if ((is_punct(u, ':') || is_punct(u, ',')) && k + 1 == o) {
                                        /* "Volkov: “…”", "Kommentatorin Lena Wolf lobte beide Mannschaften: „…“",
                                         * "Pour la consultante Hélène Petit, « … »" */
                                        bool named = false;
                                        for (size_t x = d->sentence_first[t->sentence]; x < k; x++) {
                                                int64_t e = md_entity_at(d, x);
                                                named |= e >= 0 && !(d->tok[x].flags & MD_T_IN_QUOTE);
                                                if (e >= 0 && d->ents[e].type == MD_ENT_PERSON && !(d->tok[x].flags & MD_T_IN_QUOTE)) {
                                                        verb = true;
                                                        speaker = e;
                                                        break;
                                                }
                                        }
                                        if (speaker >= 0)
                                                break;
                                        /* "Selon lui, « … »", "По его словам, «…»": the person named last */
                                        for (size_t x = k > 3 ? k - 3 : 0; !named && x < k; x++) {
                                                if (is_word(&d->tok[x]) && (cls(d, &d->tok[x]) & MD_C_ACCORDING) &&
                                                    d->tok[x].sentence == t->sentence) {
                                                        verb = true;
                                                        speaker = last_person_before(d, o);
                                                        break;
                                                }
                                        }
                                        if (speaker >= 0)
                                                break;
                                        /* "футболист сказал: «…»": on to the verb */
                                        continue;
                                }
                        }
                }
                /* "«…», contó.": a comma or dash and a lower-case word after the marks */
                if (!verb && j + 2 < d->n_tok && (is_punct(&d->tok[j + 1], ',') || is_punct(&d->tok[j + 1], 0x2014)) &&
                    is_word(&d->tok[j + 2]) && !(d->tok[j + 2].flags & MD_T_CAP) && d->tok[j + 2].paragraph == t->paragraph) {
                        verb = true;
                        speaker = speaker_near(d, j + 2, j + 1, j + window, o);
                }
                if (!verb && !reads_as_speech(d, &q))
                        continue;
                /* a paragraph of its own: the speaker before it, or of the sentence before */
                if (speaker < 0 && (t->flags & MD_T_PARA_START) && n > 0 && speakers[n - 1] >= 0 &&
                    d->tok[spans[n - 1].close].paragraph + 1 >= t->paragraph)
                        speaker = speakers[n - 1];
                if (speaker < 0 && !verb && t->sentence > 0)
                        speaker = first_person_in_sentence(d, t->sentence - 1);

                char *text = quote_text(d, &q);
                if (!text)
                        return -ENOMEM;
                spans[n] = q;
                speakers[n] = speaker;
                quotes[n].text = text;
                quotes[n].speaker = speaker >= 0 ? md_entity_shown(&d->ents[md_entity_root(d, (uint32_t)speaker)]) : NULL;
                n++;
        }
        m->quotes = quotes;
        m->n_quotes = n;

        /* Cited sources. */
        size_t n_src = 0, cap_src = 16;
        const char **src = arena_calloc(d->arena, cap_src, sizeof(*src));
        if (!src)
                return -ENOMEM;
        for (size_t k = 0; k < d->n_mentions; k++) {
                const struct md_mention *mm = &d->mentions[k];
                uint32_t e = md_entity_root(d, mm->entity);
                if (d->ents[e].type != MD_ENT_ORG || !d->ents[e].agency)
                        continue;
                bool cited = false;
                /* "according to news agency Reuters", "sagte seine Sprecherin Maria Hahn der Deutschen Presse-Agentur" */
                for (size_t x = mm->first, steps = 0; x-- > 0 && steps < 6 && !cited; steps++) {
                        const struct md_token *u = &d->tok[x];
                        if (u->sentence != d->tok[mm->first].sentence)
                                break;
                        if (is_punct(u, '('))
                                cited = true;
                        else if (is_word(u) && ((cls(d, u) & (MD_C_ACCORDING | MD_C_SPEECH)) ||
                                                (u->rule && (u->rule->classes[MD_LANG_OTHER] & MD_C_AGENCY_CUE))))
                                cited = true;
                }
                for (size_t x = mm->last + 1; x < d->n_tok && x <= mm->last + 3 && !cited; x++) {
                        const struct md_token *u = &d->tok[x];
                        if (is_punct(u, ')') && x == mm->last + 1)
                                cited = true;
                        else if (is_word(u) && (cls(d, u) & (MD_C_ACCORDING | MD_C_SPEECH)))
                                cited = true;
                        else if (is_word(u) && !(u->flags & MD_T_CAP) && x > mm->last + 1 && !(u->len <= 2))
                                break;
                }
                if (!cited)
                        continue;
                d->ents[e].cited = true;
                bool dup = false;
                for (size_t s = 0; s < n_src && !dup; s++)
                        dup = strcmp(src[s], d->ents[e].name) == 0;
                if (dup)
                        continue;
                if (n_src == cap_src) {
                        const char **ns = arena_calloc(d->arena, cap_src * 2, sizeof(*ns));
                        if (!ns)
                                return -ENOMEM;
                        memcpy(ns, src, n_src * sizeof(*src));
                        src = ns;
                        cap_src *= 2;
                }
                src[n_src++] = d->ents[e].name;
        }
        m->cited_sources = src;
        m->n_cited_sources = n_src;
        return 0;
}
