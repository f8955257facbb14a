/* The fingerprint's wire format, as produced to the fingerprints topic.
 *
 * Version 1, all integers little-endian; "varint" is LEB128 (7 bits a byte,
 * low first, at most 10 bytes), "zigzag" maps signed to unsigned
 * (0, -1, 1, -2 … → 0, 1, 2, 3 …):
 *
 *   u8       version = 1
 *   u8       flags: bit 0 has_url, bit 1 has a source position,
 *            bits 2-3 status (0 unique, 1 duplicate, 2 near_duplicate);
 *            the other bits are zero
 *   16 B     content hash, low 64 bits then high 64 bits
 *   16 B     URL hash, the same way (when has_url)
 *   varint   zigzag event time, milliseconds since 1970
 *   varint   id length (1-256), then the id (UTF-8, no NUL)
 *   when a source position:
 *     varint topic length (1-250), then the topic; varint zigzag
 *     partition (32-bit); varint zigzag offset
 *   when not unique:
 *     varint duplicate_of length (0-256), then it; 4 B similarity
 *     (IEEE 754 binary32, 0-1)
 *   varint   distinct shingles
 *   u8       band keys (0-64), then each as 4 B (a key is below 2^32)
 *   varint   signature bytes (0-512), then the signature
 *
 * Nothing may follow. A unique article's fingerprint carries no
 * duplicate_of and no similarity. An article too short for near-duplicate
 * matching has no band keys and no signature. The largest fingerprint is
 * about 1,600 bytes, within DEDUP_FINGERPRINT_MAX_BYTES.
 *
 * decode checks every length against what is left, every count against its
 * limit and every flag bit; any other version is rejected (a reader of
 * version N may accept N-1, but 1 is the first). */
#include <errno.h>
#include <string.h>

#include "dedup.h"
#include "minhash.h"

#define FP_VERSION 1
#define F_URL 0x01
#define F_POSITION 0x02
#define F_STATUS_SHIFT 2
#define F_STATUS_MASK 0x0c
#define F_KNOWN (F_URL | F_POSITION | F_STATUS_MASK)

struct wbuf {
        uint8_t *p;
        size_t len, cap;
        bool overflow;
};

static void w_bytes(struct wbuf *w, const void *s, size_t n) {
        if (w->overflow || n > w->cap - w->len) {
                w->overflow = true;
                return;
        }
        memcpy(w->p + w->len, s, n);
        w->len += n;
}

static void w_u8(struct wbuf *w, uint8_t v) {
        w_bytes(w, &v, 1);
}

static void w_u32(struct wbuf *w, uint32_t v) {
        uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
        w_bytes(w, b, 4);
}

static void w_u64(struct wbuf *w, uint64_t v) {
        w_u32(w, (uint32_t)v);
        w_u32(w, (uint32_t)(v >> 32));
}

static void w_varint(struct wbuf *w, uint64_t v) {
        uint8_t b[10];
        size_t n = 0;
        do {
                b[n] = (uint8_t)(v & 0x7f);
                v >>= 7;
                if (v)
                        b[n] |= 0x80;
                n++;
        } while (v);
        w_bytes(w, b, n);
}

static uint64_t zigzag(int64_t v) {
        return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v) {
        return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void w_str(struct wbuf *w, const char *s, size_t n) {
        w_varint(w, n);
        w_bytes(w, s, n);
}

size_t dedup_fingerprint_encode(const struct dedup_fingerprint *fp, uint8_t *buf, size_t cap) {
        size_t id_len = strnlen(fp->id, sizeof(fp->id));
        size_t topic_len = strnlen(fp->topic, sizeof(fp->topic));
        size_t dup_len = strnlen(fp->duplicate_of, sizeof(fp->duplicate_of));
        if (id_len == 0 || id_len > DEDUP_MAX_ID || topic_len > DEDUP_MAX_TOPIC || dup_len > DEDUP_MAX_ID ||
            fp->n_bands > DEDUP_MAX_BANDS || fp->n_minhash > DEDUP_MAX_SIG_BYTES ||
            (unsigned)fp->status > DEDUP_NEAR_DUPLICATE)
                return 0;
        struct wbuf w = { buf, 0, cap, false };
        uint8_t flags = (uint8_t)((fp->has_url ? F_URL : 0) | (topic_len ? F_POSITION : 0) |
                                  ((unsigned)fp->status << F_STATUS_SHIFT));
        w_u8(&w, FP_VERSION);
        w_u8(&w, flags);
        w_u64(&w, fp->content_hash[0]);
        w_u64(&w, fp->content_hash[1]);
        if (fp->has_url) {
                w_u64(&w, fp->url_hash[0]);
                w_u64(&w, fp->url_hash[1]);
        }
        w_varint(&w, zigzag(fp->event_time_ms));
        w_str(&w, fp->id, id_len);
        if (topic_len) {
                w_str(&w, fp->topic, topic_len);
                w_varint(&w, zigzag(fp->partition));
                w_varint(&w, zigzag(fp->offset));
        }
        if (fp->status != DEDUP_UNIQUE) {
                w_str(&w, fp->duplicate_of, dup_len);
                float s = fp->similarity;
                uint32_t bits;
                memcpy(&bits, &s, 4);
                w_u32(&w, bits);
        }
        w_varint(&w, fp->shingles);
        w_u8(&w, (uint8_t)fp->n_bands);
        for (uint32_t i = 0; i < fp->n_bands; i++)
                w_u32(&w, (uint32_t)fp->band_keys[i]);
        w_varint(&w, fp->n_minhash);
        w_bytes(&w, fp->minhash, fp->n_minhash);
        return w.overflow ? 0 : w.len;
}

struct rbuf {
        const uint8_t *p;
        size_t len, pos;
};

static int r_bytes(struct rbuf *r, void *out, size_t n) {
        if (n > r->len - r->pos)
                return -EINVAL;
        if (n)
                memcpy(out, r->p + r->pos, n);
        r->pos += n;
        return 0;
}

static int r_u8(struct rbuf *r, uint8_t *v) {
        return r_bytes(r, v, 1);
}

static int r_u32(struct rbuf *r, uint32_t *v) {
        uint8_t b[4];
        if (r_bytes(r, b, 4) < 0)
                return -EINVAL;
        *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        return 0;
}

static int r_u64(struct rbuf *r, uint64_t *v) {
        uint32_t lo, hi;
        if (r_u32(r, &lo) < 0 || r_u32(r, &hi) < 0)
                return -EINVAL;
        *v = (uint64_t)hi << 32 | lo;
        return 0;
}

static int r_varint(struct rbuf *r, uint64_t *v) {
        uint64_t x = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
                uint8_t b;
                if (r_u8(r, &b) < 0)
                        return -EINVAL;
                if (shift == 63 && (b & 0x7e))
                        return -EINVAL;      /* more than 64 bits */
                x |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *v = x;
                        return 0;
                }
        }
        return -EINVAL;
}

/* A string of min-max bytes without NUL, NUL-terminated into out. */
static int r_str(struct rbuf *r, char *out, size_t min, size_t max) {
        uint64_t n;
        if (r_varint(r, &n) < 0 || n < min || n > max)
                return -EINVAL;
        if (r_bytes(r, out, (size_t)n) < 0 || memchr(out, '\0', (size_t)n))
                return -EINVAL;
        out[n] = '\0';
        return 0;
}

int dedup_fingerprint_decode(const uint8_t *buf, size_t len, struct dedup_fingerprint *ret) {
        struct rbuf r = { buf, buf ? len : 0, 0 };
        struct dedup_fingerprint *fp = ret;
        uint8_t version, flags;
        uint64_t v;
        memset(fp, 0, sizeof(*fp));
        if (r_u8(&r, &version) < 0 || version != FP_VERSION)
                goto bad;
        if (r_u8(&r, &flags) < 0 || (flags & ~F_KNOWN))
                goto bad;
        unsigned status = (flags & F_STATUS_MASK) >> F_STATUS_SHIFT;
        if (status > DEDUP_NEAR_DUPLICATE)
                goto bad;
        fp->status = (enum dedup_status)status;
        fp->has_url = flags & F_URL;
        if (r_u64(&r, &fp->content_hash[0]) < 0 || r_u64(&r, &fp->content_hash[1]) < 0)
                goto bad;
        if (fp->has_url && (r_u64(&r, &fp->url_hash[0]) < 0 || r_u64(&r, &fp->url_hash[1]) < 0))
                goto bad;
        if (r_varint(&r, &v) < 0)
                goto bad;
        fp->event_time_ms = unzigzag(v);
        if (r_str(&r, fp->id, 1, DEDUP_MAX_ID) < 0)
                goto bad;
        if (flags & F_POSITION) {
                if (r_str(&r, fp->topic, 1, DEDUP_MAX_TOPIC) < 0 || r_varint(&r, &v) < 0)
                        goto bad;
                int64_t part = unzigzag(v);
                if (part < INT32_MIN || part > INT32_MAX)
                        goto bad;
                fp->partition = (int32_t)part;
                if (r_varint(&r, &v) < 0)
                        goto bad;
                fp->offset = unzigzag(v);
        }
        if (fp->status != DEDUP_UNIQUE) {
                uint32_t bits;
                float s;
                if (r_str(&r, fp->duplicate_of, 0, DEDUP_MAX_ID) < 0 || r_u32(&r, &bits) < 0)
                        goto bad;
                memcpy(&s, &bits, 4);
                if (!(s >= 0.0f && s <= 1.0f))
                        goto bad;
                fp->similarity = s;
        }
        if (r_varint(&r, &v) < 0 || v > UINT32_MAX)
                goto bad;
        fp->shingles = (uint32_t)v;
        uint8_t n_bands;
        if (r_u8(&r, &n_bands) < 0 || n_bands > DEDUP_MAX_BANDS)
                goto bad;
        fp->n_bands = n_bands;
        for (uint32_t i = 0; i < n_bands; i++) {
                uint32_t k;
                if (r_u32(&r, &k) < 0)
                        goto bad;
                fp->band_keys[i] = k;
        }
        if (r_varint(&r, &v) < 0 || v > DEDUP_MAX_SIG_BYTES)
                goto bad;
        fp->n_minhash = (uint32_t)v;
        if (r_bytes(&r, fp->minhash, fp->n_minhash) < 0)
                goto bad;
        if (r.pos != r.len)
                goto bad;
        return 0;
bad:
        memset(fp, 0, sizeof(*fp));
        return -EINVAL;
}
