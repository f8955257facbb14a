/* Keywords, hashtags, links and e-mail addresses.
 *
 * A keyword is a word of at least metadata.keyword_min_letters letters that
 * is not a stop word of the article's language (stopwords-iso, generated
 * into the tables), not a number and not part of a date. Its score is the
 * number of times it occurs, each occurrence in the first paragraph counting
 * 1 + metadata.keyword_lead_weight, plus metadata.keyword_title_weight for a
 * word of the title; ties go to the word seen first. A keyword is shown in
 * lower case, or as written when every occurrence is capitalized (a name,
 * or a German noun). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "metadata.h"
#include "pipeline/utf8.h"

struct kw {                     /* 32 bytes: the table is cleared for every article */
        double score;
        const char *key;        /* lower-cased (arena) */
        uint32_t hash;          /* the token's (never 0 in a used slot) */
        uint32_t first;         /* token */
        uint32_t shown;         /* token whose text is shown when all are capitalized */
        uint16_t key_len;
        bool all_cap;
};

static struct kw *kw_find(struct kw *table, size_t mask, const char *key, size_t len, uint32_t h, bool *ret_new) {
        size_t i = h & mask;
        while (table[i].hash) {
                if (table[i].hash == h && table[i].key_len == len && memcmp(table[i].key, key, len) == 0) {
                        *ret_new = false;
                        return &table[i];
                }
                i = (i + 1) & mask;
        }
        *ret_new = true;
        return &table[i];
}

static int cmp_kw(const void *a, const void *b) {
        const struct kw *x = *(const struct kw *const *)a, *y = *(const struct kw *const *)b;
        if (x->score != y->score)
                return x->score > y->score ? -1 : 1;
        return x->first < y->first ? -1 : x->first > y->first;
}

int md_keywords(struct md_doc *d, const char *title, struct article_metadata *m) {
        size_t words = 0;
        for (size_t i = 0; i < d->n_tok; i++)
                words += (d->tok[i].flags & (MD_T_WORD | MD_T_STOP | MD_T_NUM)) == MD_T_WORD;
        size_t size = 64;
        while (size < words * 2)
                size *= 2;
        struct kw *table = arena_calloc(d->arena, size, sizeof(*table));
        if (!table)
                return -ENOMEM;
        size_t mask = size - 1, n = 0;
        double lead_w = d->set->keyword_lead_weight;
        char low[512];

        for (uint32_t i = 0; i < d->n_tok; i++) {
                const struct md_token *t = &d->tok[i];
                if (!(t->flags & MD_T_WORD) || (t->flags & (MD_T_NUM | MD_T_STOP | MD_T_IN_DATE)) || t->stem_len >= 200)
                        continue;
                if (t->rule && (t->rule->classes[d->lang] & (MD_C_MONTH | MD_C_WEEKDAY | MD_C_REL_DAY)))
                        continue;
                const char *lw = d->lower + t->low;
                size_t ll = t->low_len;
                if ((int64_t)ll < d->set->keyword_min_letters || (int64_t)t->letters < d->set->keyword_min_letters)
                        continue;
                bool fresh;
                struct kw *k = kw_find(table, mask, lw, ll, t->hash, &fresh);
                if (fresh) {
                        *k = (struct kw){ .hash = t->hash, .key = lw, .key_len = (uint16_t)ll, .first = i, .shown = i,
                                          .all_cap = true };
                        n++;
                }
                k->score += 1.0 + (t->paragraph == 0 ? lead_w : 0.0);
                if (!(t->flags & MD_T_CAP))
                        k->all_cap = false;
                if ((d->tok[k->shown].flags & MD_T_SENT_START) && !(t->flags & MD_T_SENT_START))
                        k->shown = i;
        }
        /* title words */
        if (title && n) {
                size_t tl = strlen(title);
                for (size_t i = 0; i < tl;) {
                        size_t e = i;
                        while (e < tl && title[e] != ' ' && title[e] != ',' && title[e] != ':' && title[e] != '.')
                                e++;
                        if (e > i && e - i < 200) {
                                size_t ll = md_lower(title + i, e - i, low);
                                bool fresh;
                                struct kw *k = kw_find(table, mask, low, ll, md_word_hash(md_rules_hash(low, ll)), &fresh);
                                if (!fresh)
                                        k->score += d->set->keyword_title_weight;
                        }
                        i = e + 1;
                }
        }

        /* the best max_keywords, kept in order as the table is read: most
         * words never get past the last one kept */
        size_t cap = (size_t)d->set->max_keywords;
        struct kw **all = arena_alloc(d->arena, (cap ? cap : 1) * sizeof(*all));
        if (!all)
                return -ENOMEM;
        size_t want = 0;
        for (size_t i = 0; i < size && cap; i++) {
                if (!table[i].hash)
                        continue;
                struct kw *w = &table[i];
                if (want == cap && cmp_kw(&w, &all[want - 1]) >= 0)
                        continue;
                size_t j = want < cap ? want++ : cap - 1;
                while (j > 0 && cmp_kw(&w, &all[j - 1]) < 0) {
                        all[j] = all[j - 1];
                        j--;
                }
                all[j] = w;
        }
        (void)n;
        m->keywords = arena_calloc(d->arena, want ? want : 1, sizeof(*m->keywords));
        if (!m->keywords)
                return -ENOMEM;
        for (size_t i = 0; i < want; i++) {
                const struct kw *w = all[i];
                if (w->all_cap) {
                        const struct md_token *t = &d->tok[w->shown];
                        m->keywords[i] = arena_strndup(d->arena, d->text + t->start, t->stem_len);
                } else {
                        m->keywords[i] = w->key;
                }
                if (!m->keywords[i])
                        return -ENOMEM;
        }
        m->n_keywords = want;
        return 0;
}

/* --- hashtags, links, e-mail addresses --------------------------------------------------- */

struct list {
        const char **items;
        size_t n, cap;
};

static int list_add(struct md_doc *d, struct list *l, const char *s, size_t len) {
        if (l->n >= l->cap)
                return 0;
        for (size_t i = 0; i < l->n; i++)
                if (strlen(l->items[i]) == len && memcmp(l->items[i], s, len) == 0)
                        return 0;
        l->items[l->n] = arena_strndup(d->arena, s, len);
        if (!l->items[l->n])
                return -ENOMEM;
        l->n++;
        return 0;
}

static bool is_word_at(const char *s, size_t len, size_t i, size_t *ret_n) {
        uint32_t cp;
        size_t k = utf8_decode((const uint8_t *)s + i, len - i, &cp);
        *ret_n = k ? k : 1;
        if (!k)
                return false;
        if (cp == '_')
                return true;
        utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
        return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) || c == UTF8PROC_CATEGORY_ND ||
               c == UTF8PROC_CATEGORY_MN;
}

static bool is_email_local(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '%' || c == '+' || c == '-';
}

static bool is_domain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static bool is_boundary_before(const char *s, size_t i) {
        if (i == 0)
                return true;
        char c = s[i - 1];
        return c == ' ' || c == '\n' || c == '(' || c == '[' || c == '"' || c == '\'' || (unsigned char)c >= 0x80;
}

int md_links(struct md_doc *d, struct article_metadata *m) {
        struct list tags = { .cap = (size_t)d->set->max_hashtags }, urls = { .cap = (size_t)d->set->max_urls },
                    mails = { .cap = (size_t)d->set->max_emails };
        tags.items = arena_calloc(d->arena, tags.cap + 1, sizeof(char *));
        urls.items = arena_calloc(d->arena, urls.cap + 1, sizeof(char *));
        mails.items = arena_calloc(d->arena, mails.cap + 1, sizeof(char *));
        if (!tags.items || !urls.items || !mails.items)
                return -ENOMEM;
        const char *s = d->text;
        size_t len = d->len;
        size_t url_end = 0;
        /* most articles have none of these: look at the tokens first */
        bool any = false;
        for (size_t i = 0; i < d->n_tok && !any; i++) {
                const struct md_token *t = &d->tok[i];
                if (t->flags & MD_T_PUNCT)
                        any = t->cp == '#' || t->cp == '@';
                else if (t->low_len >= 3 && t->low_len <= 5 && i + 1 < d->n_tok && (d->tok[i + 1].flags & MD_T_PUNCT))
                        any = (d->tok[i + 1].cp == ':' && memcmp(d->lower + t->low, "http", 4) == 0) ||
                              (d->tok[i + 1].cp == '.' && memcmp(d->lower + t->low, "www", 3) == 0);
        }
        if (!any) {
                m->hashtags = tags.items;
                m->urls = urls.items;
                m->emails = mails.items;
                return 0;
        }
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if ((c == 'h' || c == 'w') && is_boundary_before(s, i) &&
                    ((len - i > 8 && (memcmp(s + i, "https://", 8) == 0 || memcmp(s + i, "http://", 7) == 0)) ||
                     (len - i > 4 && memcmp(s + i, "www.", 4) == 0))) {
                        size_t e = i;
                        while (e < len && s[e] != ' ' && s[e] != '\n' && s[e] != '"' && s[e] != '<' && s[e] != '>')
                                e++;
                        /* trailing punctuation, and a closing bracket without an opening one */
                        for (;;) {
                                char t = s[e - 1];
                                if (t == '.' || t == ',' || t == ';' || t == ':' || t == '!' || t == '?' || t == '\'') {
                                        e--;
                                        continue;
                                }
                                if (t == ')' && !memchr(s + i, '(', e - i)) {
                                        e--;
                                        continue;
                                }
                                /* closing quotes and guillemets (UTF-8) */
                                if (e - i > 3 && (unsigned char)t >= 0x80) {
                                        size_t b = e - 1;
                                        while (b > i && ((unsigned char)s[b] & 0xC0) == 0x80)
                                                b--;
                                        uint32_t cp;
                                        if (utf8_decode((const uint8_t *)s + b, e - b, &cp) && md_is_quote_cp(cp)) {
                                                e = b;
                                                continue;
                                        }
                                }
                                break;
                        }
                        int r = list_add(d, &urls, s + i, e - i);
                        if (r < 0)
                                return r;
                        url_end = e;
                        i = e;
                        continue;
                }
                if (c == '#' && i + 1 < len && is_boundary_before(s, i) && i >= url_end) {
                        size_t e = i + 1, k;
                        bool letter = false;
                        while (e < len && is_word_at(s, len, e, &k)) {
                                letter |= !(s[e] >= '0' && s[e] <= '9');
                                e += k;
                        }
                        if (e > i + 1 && letter) {
                                int r = list_add(d, &tags, s + i, e - i);
                                if (r < 0)
                                        return r;
                        }
                        i = e - 1;
                        continue;
                }
                if (c == '@' && i > 0 && i >= url_end && is_email_local(s[i - 1])) {
                        size_t a = i;
                        while (a > 0 && is_email_local(s[a - 1]))
                                a--;
                        size_t e = i + 1;
                        while (e < len && is_domain(s[e]))
                                e++;
                        while (e > i + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
                                e--;
                        const char *dot = memrchr(s + i + 1, '.', e - i - 1);
                        if (a < i && dot && (size_t)(s + e - dot) >= 3 && s[a] != '.') {
                                int r = list_add(d, &mails, s + a, e - a);
                                if (r < 0)
                                        return r;
                        }
                        i = e > i ? e - 1 : i;
                }
        }
        m->hashtags = tags.items;
        m->n_hashtags = tags.n;
        m->urls = urls.items;
        m->n_urls = urls.n;
        m->emails = mails.items;
        m->n_emails = mails.n;
        return 0;
}
