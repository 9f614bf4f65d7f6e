/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package C: the checksums of multipart uploads. An upload names an algorithm and a
 * type at CreateMultipartUpload; each part's checksum is verified as it streams (api_auth.c)
 * and kept with the part; completion derives the object's checksum from the parts' ones
 * without reading a byte: COMPOSITE, a checksum of the concatenated part checksums with "-N";
 * FULL_OBJECT, the CRC of the whole content by combining the part CRCs (GF(2) arithmetic).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "s3_int.h"

/* ---- CRC combination ----
 * A reflected CRC register of width w holds a polynomial over GF(2) with x^0 in its top bit.
 * Appending k zero bytes to a message multiplies its (pre-final-xor) register by x^(8k)
 * modulo P; with initial value and final xor both all ones, those terms cancel between
 * crc(A), crc(B) and crc(A || B), leaving crc(A || B) = crc(A) * x^(8 len B) mod P ^ crc(B). */

typedef struct crc_def {
    uint64_t poly;    /* reflected */
    uint64_t top;     /* the x^0 bit */
    uint64_t x2n[64]; /* x^(2^k) mod P */
} crc_def_t;

static crc_def_t crc_defs[3];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* a * b mod P (both reflected). */
static uint64_t mult_mod(const crc_def_t *d, uint64_t a, uint64_t b)
{
    uint64_t m = d->top, p = 0;
    while (m) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0)
                break;
        }
        m >>= 1;
        b = (b & 1) ? (b >> 1) ^ d->poly : b >> 1;
    }
    return p;
}

static void crc_setup(crc_def_t *d, uint64_t poly, unsigned width)
{
    d->poly = poly;
    d->top = (uint64_t)1 << (width - 1);
    d->x2n[0] = d->top >> 1; /* x^1 */
    for (int k = 1; k < 64; k++)
        d->x2n[k] = mult_mod(d, d->x2n[k - 1], d->x2n[k - 1]);
}

static void crc_init(void)
{
    crc_setup(&crc_defs[0], 0xEDB88320u, 32);           /* CRC32 */
    crc_setup(&crc_defs[1], 0x82F63B78u, 32);           /* CRC32C */
    crc_setup(&crc_defs[2], 0x9A6C9329AC4BC9B5ull, 64); /* CRC64NVME */
}

uint64_t s3_crc_combine(api_ck_algo_t algo, uint64_t crc_a, uint64_t crc_b, uint64_t len_b)
{
    int i = algo == API_CK_CRC32       ? 0
            : algo == API_CK_CRC32C    ? 1
            : algo == API_CK_CRC64NVME ? 2
                                       : -1;
    if (i < 0)
        return 0;
    pthread_once(&crc_once, crc_init);
    const crc_def_t *d = &crc_defs[i];
    /* x^(8 len_b) = product of x^(2^k) over the set bits k of 8 len_b (len_b < 2^61). */
    uint64_t p = d->top; /* x^0 */
    unsigned k = 3;
    for (uint64_t n = len_b; n && k < 64; n >>= 1, k++)
        if (n & 1)
            p = mult_mod(d, d->x2n[k], p);
    return mult_mod(d, p, crc_a) ^ crc_b;
}

/* ---- names, lengths, encodings ---- */

size_t s3_ck_len(api_ck_algo_t algo)
{
    switch (algo) {
    case API_CK_CRC32:
    case API_CK_CRC32C:
        return 4;
    case API_CK_CRC64NVME:
        return 8;
    case API_CK_SHA1:
        return 20;
    case API_CK_SHA256:
        return 32;
    default:
        return 0;
    }
}

api_ck_algo_t s3_ck_named(kv_slice_t name)
{
    static const api_ck_algo_t algos[] = {API_CK_CRC32, API_CK_CRC32C, API_CK_CRC64NVME,
                                          API_CK_SHA1, API_CK_SHA256};
    for (size_t i = 0; i < sizeof(algos) / sizeof(*algos); i++)
        if (kv_slice_eq_nocase(name, api_ck_name(algos[i])))
            return algos[i];
    return API_CK_NONE;
}

unsigned s3_ck_types(api_ck_algo_t algo)
{
    switch (algo) {
    case API_CK_CRC32:
    case API_CK_CRC32C:
        return S3_CKT_COMPOSITE | S3_CKT_FULL_OBJECT;
    case API_CK_CRC64NVME:
        return S3_CKT_FULL_OBJECT;
    case API_CK_SHA1:
    case API_CK_SHA256:
        return S3_CKT_COMPOSITE;
    default:
        return 0;
    }
}

bool s3_ck_decode(api_ck_algo_t algo, const char *b64, uint8_t out[API_CK_MAX])
{
    size_t want = s3_ck_len(algo);
    if (b64 == NULL || want == 0 || strlen(b64) > 64)
        return false;
    uint8_t tmp[64];
    kv_buf_t b = {tmp, 0, sizeof(tmp), sizeof(tmp), false, true};
    if (!kv_b64_decode(&b, kv_slice_str(b64)) || b.len != want)
        return false;
    memcpy(out, tmp, want);
    return true;
}

uint64_t s3_ck_crc_value(api_ck_algo_t algo, const uint8_t *digest)
{
    uint64_t v = 0;
    for (size_t i = 0; i < s3_ck_len(algo) && i < 8; i++)
        v = v << 8 | digest[i];
    return v;
}

static const char *b64_of(const uint8_t *p, size_t n, const char *suffix, kv_arena_t *a)
{
    uint8_t tmp[96];
    kv_buf_t b = {tmp, 0, sizeof(tmp), sizeof(tmp), false, true};
    kv_b64_encode(&b, p, n);
    return kv_arena_printf(a, "%.*s%s", (int)b.len, (const char *)b.p, suffix);
}

const char *s3_ck_composite(api_ck_algo_t algo, const char *const *parts, size_t n, kv_arena_t *a)
{
    if (n == 0 || !(s3_ck_types(algo) & S3_CKT_COMPOSITE))
        return NULL;
    api_ck_t ck;
    api_ck_init(&ck, algo);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        uint8_t raw[API_CK_MAX];
        ok = s3_ck_decode(algo, parts[i], raw);
        if (ok)
            api_ck_update(&ck, raw, s3_ck_len(algo));
    }
    uint8_t sum[API_CK_MAX];
    size_t len = api_ck_final(&ck, sum);
    api_ck_dispose(&ck);
    if (!ok)
        return NULL;
    char suffix[24];
    snprintf(suffix, sizeof(suffix), "-%zu", n);
    return b64_of(sum, len, suffix, a);
}

const char *s3_ck_full_object(api_ck_algo_t algo, const char *const *parts, const uint64_t *sizes,
                              size_t n, kv_arena_t *a)
{
    if (n == 0 || !(s3_ck_types(algo) & S3_CKT_FULL_OBJECT))
        return NULL;
    uint64_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t raw[API_CK_MAX];
        if (!s3_ck_decode(algo, parts[i], raw))
            return NULL;
        uint64_t c = s3_ck_crc_value(algo, raw);
        crc = i == 0 ? c : s3_crc_combine(algo, crc, c, sizes[i]);
    }
    size_t len = s3_ck_len(algo);
    uint8_t out[8];
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(crc >> (8 * (len - 1 - i)));
    return b64_of(out, len, "", a);
}

uint64_t s3_parts_hash(const uint32_t *numbers, const char *const *etags, size_t n)
{
    uint64_t h = kv_xxh3_seed(&n, sizeof(n), 0x16c0);
    for (size_t i = 0; i < n; i++) {
        uint8_t num[4] = {(uint8_t)(numbers[i] >> 24), (uint8_t)(numbers[i] >> 16),
                          (uint8_t)(numbers[i] >> 8), (uint8_t)numbers[i]};
        h = kv_xxh3_seed(num, sizeof(num), h);
        h = kv_xxh3_seed(etags[i], strlen(etags[i]) + 1, h);
    }
    return h;
}

/* ---- CreateMultipartUpload ---- */

static void fail_type(api_resp_t *resp, api_ck_algo_t algo, const char *type)
{
    api_fail(resp, API_E_S3_INVALID_REQUEST,
             "The %s checksum type cannot be used with the %s checksum algorithm.", type,
             api_ck_name(algo));
}

int s3_ck_create(api_req_t *req, api_resp_t *resp, eng_object_t *proto)
{
    kv_slice_t alg = kv_slice_trim(api_req_header(req, "x-amz-checksum-algorithm"));
    kv_slice_t typ = kv_slice_trim(api_req_header(req, "x-amz-checksum-type"));
    proto->checksum_algo = NULL;
    proto->checksum_type = NULL;
    if (alg.len == 0 && typ.len == 0)
        return 0;
    api_ck_algo_t a = s3_ck_named(alg);
    if (alg.len == 0) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "The x-amz-checksum-type header can only be used with the "
                 "x-amz-checksum-algorithm header.");
        return -1;
    }
    if (a == API_CK_NONE) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "Checksum algorithm provided is unsupported. Please try again with any of the "
                 "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
        return -1;
    }
    unsigned allowed = s3_ck_types(a);
    const char *type;
    if (typ.len == 0) /* S3's default: composite where it can be, else full object */
        type = allowed & S3_CKT_COMPOSITE ? "COMPOSITE" : "FULL_OBJECT";
    else if (kv_slice_eq_str(typ, "COMPOSITE") || kv_slice_eq_str(typ, "FULL_OBJECT"))
        type = kv_slice_eq_str(typ, "COMPOSITE") ? "COMPOSITE" : "FULL_OBJECT";
    else {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "Value for x-amz-checksum-type header is invalid.");
        return -1;
    }
    if (!(allowed & (strcmp(type, "COMPOSITE") == 0 ? S3_CKT_COMPOSITE : S3_CKT_FULL_OBJECT))) {
        fail_type(resp, a, type);
        return -1;
    }
    proto->checksum_algo = api_ck_name(a);
    proto->checksum_type = type;
    return 0;
}

/* ---- UploadPart ---- */

/* The algorithm the part's body carries a checksum of (header or trailer), if any. */
static api_ck_algo_t sent_algo(const api_state_t *st)
{
    if (st->ck_algo)
        return st->ck_algo;
    if (st->chunked_on && st->chunked)
        return st->chunked->trailer_algo;
    return API_CK_NONE;
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

int s3_ck_part_begin(api_req_t *req, api_resp_t *resp, const eng_object_t *proto)
{
    api_state_t *st = req->_st;
    api_ck_algo_t want =
        proto->checksum_algo ? s3_ck_named(kv_slice_str(proto->checksum_algo)) : API_CK_NONE;
    api_ck_algo_t got = sent_algo(st);
    if (want == API_CK_NONE || got == want)
        return 0; /* no algorithm: a part's own checksum is verified, not kept */
    if (got == API_CK_NONE && proto->checksum_type &&
        strcmp(proto->checksum_type, "FULL_OBJECT") == 0) {
        /* S3 computes a full-object upload's part CRC itself when the client sends none. */
        api_ck_init(&st->s3_ck, want);
        st->s3_ck_on = true;
        return 0;
    }
    char w[16], g[16];
    snprintf(w, sizeof(w), "%s", api_ck_name(want));
    snprintf(g, sizeof(g), "%s", got ? api_ck_name(got) : "null");
    lower(w);
    lower(g);
    api_fail(resp, API_E_S3_INVALID_REQUEST,
             "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: "
             "%s",
             w, g);
    return -1;
}

const char *s3_ck_part_value(api_req_t *req, const eng_object_t *proto, const eng_object_t *part)
{
    api_state_t *st = req->_st;
    if (proto->checksum_algo == NULL)
        return NULL;
    if (part->checksum_algo && strcmp(part->checksum_algo, proto->checksum_algo) == 0)
        return part->checksum_value;
    if (!st->s3_ck_on)
        return NULL;
    uint8_t d[API_CK_MAX];
    size_t n = api_ck_final(&st->s3_ck, d);
    st->s3_ck_on = false;
    return b64_of(d, n, "", req->arena);
}

/* ---- responses ---- */

void s3_ck_headers(api_resp_t *resp, const char *algo, const char *value, const char *type)
{
    if (algo == NULL || value == NULL)
        return;
    char name[40];
    snprintf(name, sizeof(name), "x-amz-checksum-%s", algo);
    lower(name);
    /* Response header names must outlive this call: keep them in the arena. */
    api_resp_header(resp, kv_arena_strndup(resp->_arena, name, strlen(name)), kv_slice_str(value));
    if (type)
        api_resp_header(resp, "x-amz-checksum-type", kv_slice_str(type));
}

void s3_ck_xml(api_xw_t *w, const char *algo, const char *value)
{
    if (algo == NULL || value == NULL)
        return;
    char tag[40];
    snprintf(tag, sizeof(tag), "Checksum%s", algo);
    api_xw_elem_str(w, tag, value);
}

/* ---- CompleteMultipartUpload ---- */

int s3_ck_complete_part(api_req_t *req, api_resp_t *resp, const api_xnode_t *part, s3_mpu_in_t *in,
                        size_t i)
{
    if (in->ck_algos == NULL) {
        in->ck_algos = kv_arena_calloc(req->arena, in->n, sizeof(*in->ck_algos));
        in->cks = kv_arena_calloc(req->arena, in->n, sizeof(*in->cks));
    }
    for (const api_xnode_t *c = part->child; c; c = c->next) {
        if (strncmp(c->name, "Checksum", 8) != 0)
            continue;
        api_ck_algo_t a = s3_ck_named(kv_slice_str(c->name + 8));
        if (a == API_CK_NONE || in->ck_algos[i] != API_CK_NONE) {
            api_fail(resp, API_E_S3_MALFORMED_XML, NULL);
            return -1;
        }
        kv_slice_t v = kv_slice_trim(c->text);
        in->ck_algos[i] = a;
        in->cks[i] = kv_arena_strndup(req->arena, v.p, v.len);
    }
    return 0;
}

/* The stored part numbered `number` (parts ascending), or NULL. */
static const eng_part_t *find_part(const eng_part_t *parts, size_t n, uint32_t number)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (parts[mid].number == number)
            return &parts[mid];
        if (parts[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Every stored part of the upload, ascending (at most ENG_MPU_MAX_PARTS). */
static int all_parts(api_ctx_t *ctx, api_req_t *req, uint64_t upload_id, eng_part_t **out,
                     size_t *n)
{
    *n = 0;
    *out = NULL;
    size_t cap = 0;
    uint32_t after = 0;
    for (int batch = 0; batch < ENG_MPU_MAX_PARTS / 1000 + 1; batch++) {
        eng_part_t *got;
        size_t k;
        bool more;
        int rc = eng_upload_parts(ctx->eng, upload_id, after, 1000, req->arena, &got, &k, &more);
        if (rc < 0)
            return rc;
        if (batch == 0 && !more) { /* nearly always: one batch, used as it is */
            *out = got;
            *n = k;
            return 0;
        }
        if (*n + k > cap) {
            size_t ncap = cap ? 2 * cap : 2000;
            while (ncap < *n + k)
                ncap *= 2;
            eng_part_t *grown = kv_arena_calloc(req->arena, ncap, sizeof(*grown));
            if (*n)
                memcpy(grown, *out, *n * sizeof(*grown));
            *out = grown;
            cap = ncap;
        }
        memcpy(*out + *n, got, k * sizeof(*got));
        *n += k;
        if (!more || k == 0)
            break;
        after = got[k - 1].number;
    }
    return 0;
}

/* The x-amz-checksum-<algo> header of the request (the whole object's checksum), if one. */
static int object_header(api_req_t *req, api_resp_t *resp, api_ck_algo_t *algo, kv_slice_t *v)
{
    *algo = API_CK_NONE;
    for (size_t i = 0; i < req->n_hdrs; i++) {
        api_ck_algo_t a = api_ck_from_header(req->hdrs[i].name);
        if (a == API_CK_NONE)
            continue;
        if (*algo) {
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
                     "allowed.");
            return -1;
        }
        *algo = a;
        *v = kv_slice_trim(req->hdrs[i].value);
    }
    return 0;
}

int s3_ck_complete(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_object_t *proto,
                   const s3_mpu_in_t *in, eng_object_t *o)
{
    /* (proto may be o itself: read it before o changes) */
    api_ck_algo_t algo =
        proto->checksum_algo ? s3_ck_named(kv_slice_str(proto->checksum_algo)) : API_CK_NONE;
    const char *type = proto->checksum_type ? proto->checksum_type : "COMPOSITE";
    o->upload_id = in->upload_id;
    o->parts_hash = s3_parts_hash(in->numbers, in->etags, in->n);
    o->checksum_algo = o->checksum_value = NULL;
    o->checksum_type = NULL;
    kv_slice_t typ = kv_slice_trim(api_req_header(req, "x-amz-checksum-type"));
    if (typ.len && (algo == API_CK_NONE || !kv_slice_eq_str(typ, type))) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "The upload was created using the %s checksum mode. The complete request must "
                 "use the same checksum mode.",
                 algo ? type : "null");
        return -1;
    }
    api_ck_algo_t halgo;
    kv_slice_t hval = KV_SLICE_NULL;
    if (object_header(req, resp, &halgo, &hval) < 0)
        return -1;
    if (halgo && halgo != algo) {
        char w[16], g[16];
        snprintf(w, sizeof(w), "%s", algo ? api_ck_name(algo) : "null");
        snprintf(g, sizeof(g), "%s", api_ck_name(halgo));
        lower(w);
        lower(g);
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum "
                 "Type: %s",
                 w, g);
        return -1;
    }
    eng_part_t *parts;
    size_t n_parts;
    int rc = all_parts(ctx, req, in->upload_id, &parts, &n_parts);
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    const char **vals = kv_arena_calloc(req->arena, in->n, sizeof(*vals));
    uint64_t *sizes = kv_arena_calloc(req->arena, in->n, sizeof(*sizes));
    for (size_t i = 0; i < in->n; i++) {
        const eng_part_t *p = find_part(parts, n_parts, in->numbers[i]);
        api_ck_algo_t sent = in->ck_algos ? in->ck_algos[i] : API_CK_NONE;
        if (p == NULL || strcmp(p->etag, in->etags[i]) != 0)
            continue; /* the engine answers InvalidPart for it */
        if (sent && (sent != algo || p->checksum == NULL || strcmp(p->checksum, in->cks[i]) != 0)) {
            api_fail(resp, API_E_S3_INVALID_PART, NULL);
            return -1;
        }
        if (!sent && algo && strcmp(type, "COMPOSITE") == 0) {
            char w[16];
            snprintf(w, sizeof(w), "%s", api_ck_name(algo));
            lower(w);
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "The upload was created using a %s checksum. The complete request must "
                     "include the checksum for each part. It was missing for part %u in the "
                     "request.",
                     w, (unsigned)in->numbers[i]);
            return -1;
        }
        vals[i] = p->checksum;
        sizes[i] = p->size;
    }
    if (algo == API_CK_NONE)
        return 0;
    bool all = true;
    for (size_t i = 0; i < in->n; i++)
        all &= vals[i] != NULL;
    if (!all)
        return 0; /* a part is missing or wrong: the engine refuses the completion */
    const char *v = strcmp(type, "COMPOSITE") == 0
                        ? s3_ck_composite(algo, vals, in->n, req->arena)
                        : s3_ck_full_object(algo, vals, sizes, in->n, req->arena);
    if (v == NULL)
        return 0; /* a part predating its checksum: the object has none */
    if (halgo) {
        /* The whole object's checksum the client computed: a composite one without "-N". */
        size_t cmp = strlen(v);
        const char *dash = strrchr(v, '-');
        if (strcmp(type, "COMPOSITE") == 0 && dash)
            cmp = (size_t)(dash - v);
        kv_slice_t hv = hval;
        const uint8_t *hd = memchr(hv.p, '-', hv.len);
        if (hd && strcmp(type, "COMPOSITE") == 0)
            hv.len = (size_t)(hd - hv.p);
        if (hv.len != cmp || memcmp(hv.p, v, cmp) != 0) {
            api_fail(resp, API_E_S3_BAD_DIGEST,
                     "The %s you specified did not match the calculated checksum.",
                     api_ck_name(algo));
            return -1;
        }
    }
    o->checksum_algo = api_ck_name(algo);
    o->checksum_value = v;
    o->checksum_type = strcmp(type, "COMPOSITE") == 0 ? "COMPOSITE" : "FULL_OBJECT";
    return 0;
}

static bool made_by(const eng_object_t *o, const s3_mpu_in_t *in, uint64_t hash)
{
    return o && !o->delete_marker && o->upload_id == in->upload_id && o->parts_hash == hash &&
           kv_slice_eq(o->key, in->key);
}

#define S3_REPEAT_VERSIONS 1000 /* versions of a key searched for a repeated completion */

int s3_ck_completed(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, uint32_t bucket_id,
                    bool versioned, const s3_mpu_in_t *in, eng_object_t **out)
{
    uint64_t hash = s3_parts_hash(in->numbers, in->etags, in->n);
    eng_object_t *cur;
    int rc = eng_object_open(ctx->eng, bucket_id, in->key, NULL, req->arena, &cur, NULL);
    if (rc == 0 && made_by(cur, in, hash)) {
        *out = cur;
        return 1;
    }
    if (rc < 0 && rc != KV_ENOTFOUND)
        return s3_engine_fail(resp, rc);
    if (!versioned)
        return 0;
    /* The key's versions, newest first: the one this upload made may be noncurrent now. */
    eng_obj_iter_t *it = eng_obj_iter_new(ctx->eng, bucket_id, in->key, true);
    int found = 0;
    for (int i = 0; i < S3_REPEAT_VERSIONS && found == 0; i++) {
        eng_object_t *v;
        rc = eng_obj_iter_next(it, req->arena, &v);
        if (rc <= 0 || !kv_slice_eq(v->key, in->key))
            break;
        if (made_by(v, in, hash)) {
            *out = v;
            found = 1;
        }
    }
    eng_obj_iter_free(it);
    if (rc < 0)
        return s3_engine_fail(resp, rc);
    return found;
}

const char *s3_ck_type(const eng_object_t *o)
{
    if (o->checksum_type)
        return o->checksum_type;
    return o->n_segs || o->upload_id || o->etag == NULL || o->etag[0] == '\0' ||
                   strchr(o->etag, '-')
               ? "COMPOSITE"
               : "FULL_OBJECT";
}

const char *s3_ck_of_reader(api_req_t *req, eng_object_reader_t *r, uint64_t len,
                            api_ck_algo_t algo)
{
    api_ck_t ck;
    api_ck_init(&ck, algo);
    uint8_t *buf = kv_arena_alloc(req->arena, ENG_BLOB_CHUNK);
    uint64_t done = 0;
    while (done < len) {
        uint64_t want = len - done < ENG_BLOB_CHUNK ? len - done : ENG_BLOB_CHUNK;
        int64_t n = eng_object_read(r, done, buf, (size_t)want);
        if (n <= 0)
            break;
        api_ck_update(&ck, buf, (size_t)n);
        done += (uint64_t)n;
    }
    uint8_t d[API_CK_MAX];
    size_t dn = api_ck_final(&ck, d);
    api_ck_dispose(&ck);
    return done == len ? b64_of(d, dn, "", req->arena) : NULL;
}

int s3_ck_copy_algo(api_req_t *req, api_resp_t *resp, const eng_object_t *src, api_ck_algo_t *algo)
{
    *algo = API_CK_NONE;
    kv_slice_t v = kv_slice_trim(api_req_header(req, "x-amz-checksum-algorithm"));
    if (v.len == 0)
        return 0;
    api_ck_algo_t a = s3_ck_named(v);
    if (a == API_CK_NONE) {
        api_fail(resp, API_E_S3_INVALID_REQUEST,
                 "Checksum algorithm provided is unsupported. Please try again with any of the "
                 "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
        return -1;
    }
    /* The source's own whole-object checksum of that algorithm stays as it is. */
    bool whole =
        src->n_segs == 0 || (src->checksum_type && strcmp(src->checksum_type, "FULL_OBJECT") == 0);
    if (whole && src->checksum_algo && strcmp(src->checksum_algo, api_ck_name(a)) == 0)
        return 0;
    *algo = a;
    return 0;
}

static void xml_escaped(kv_buf_t *b, kv_slice_t v)
{
    for (size_t i = 0; i < v.len && i < 256; i++) {
        uint8_t c = v.p[i];
        if (c == '&')
            kv_buf_append_str(b, "&amp;");
        else if (c == '<')
            kv_buf_append_str(b, "&lt;");
        else if (c == '>')
            kv_buf_append_str(b, "&gt;");
        else if (c < 0x20 || c >= 0x7f)
            kv_buf_append_byte(b, '?');
        else
            kv_buf_append_byte(b, c);
    }
}

void s3_ck_part_extra(api_req_t *req, const char *n1, kv_slice_t v1, const char *n2, kv_slice_t v2)
{
    kv_buf_t b;
    kv_buf_init(&b, 256);
    kv_buf_append_slice(&b, req->_st->s3_extra);
    kv_buf_printf(&b, "<%s>", n1);
    xml_escaped(&b, v1);
    kv_buf_printf(&b, "</%s><%s>", n1, n2);
    xml_escaped(&b, v2);
    kv_buf_printf(&b, "</%s>", n2);
    req->_st->s3_extra = kv_arena_dup(req->arena, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

/* ---- GetObjectAttributes ---- */

int s3_ck_attr_decode(api_req_t *req, api_resp_t *resp, s3_get_object_attributes_in_t *in)
{
    in->max_parts = 1000;
    in->part_marker = 0;
    kv_slice_t v = kv_slice_trim(api_req_header(req, "x-amz-max-parts"));
    uint64_t n;
    if (v.len) {
        if (!kv_slice_to_u64(v, &n) || n > INT32_MAX) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Provided max-parts not an integer or within integer range");
            return -1;
        }
        in->max_parts = n < 1000 ? (size_t)n : 1000;
    }
    v = kv_slice_trim(api_req_header(req, "x-amz-part-number-marker"));
    if (v.len) {
        if (!kv_slice_to_u64(v, &n) || n > INT32_MAX) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT,
                     "Provided part-number-marker not an integer or within integer range");
            return -1;
        }
        in->part_marker = n > ENG_MPU_MAX_PARTS ? ENG_MPU_MAX_PARTS : (uint32_t)n;
    }
    return 0;
}

void s3_ck_attr_checksum(api_xw_t *w, const eng_object_t *o)
{
    if (o->checksum_algo == NULL || o->checksum_value == NULL)
        return;
    /* A composite checksum is given here without its "-N" (the part count is ObjectParts'). */
    const char *v = o->checksum_value, *dash = strrchr(v, '-');
    char tag[40];
    snprintf(tag, sizeof(tag), "Checksum%s", o->checksum_algo);
    api_xw_open(w, "Checksum");
    if (dash)
        api_xw_elem(w, tag, kv_slice(v, (size_t)(dash - v)));
    else
        api_xw_elem_str(w, tag, v);
    api_xw_elem_str(w, "ChecksumType", s3_ck_type(o));
    api_xw_close(w, "Checksum");
}

void s3_ck_attr_parts(api_xw_t *w, const s3_get_object_attributes_in_t *in, const eng_object_t *o)
{
    if (o->n_segs == 0)
        return; /* one PUT: no parts */
    api_xw_open(w, "ObjectParts");
    api_xw_elem_u64(w, "PartsCount", o->n_segs);
    /* The parts are listed only when the object has checksums (S3's rule). */
    bool listed = o->checksum_algo != NULL;
    if (listed) {
        size_t i = 0;
        while (i < o->n_segs && o->segs[i].part <= in->part_marker)
            i++;
        size_t end = i + in->max_parts < o->n_segs ? i + in->max_parts : o->n_segs;
        api_xw_elem_u64(w, "PartNumberMarker", in->part_marker);
        if (end > i)
            api_xw_elem_u64(w, "NextPartNumberMarker", o->segs[end - 1].part);
        api_xw_elem_u64(w, "MaxParts", in->max_parts);
        api_xw_elem_str(w, "IsTruncated", end < o->n_segs ? "true" : "false");
        for (; i < end; i++) {
            api_xw_open(w, "Part");
            api_xw_elem_u64(w, "PartNumber", o->segs[i].part);
            api_xw_elem_u64(w, "Size", o->segs[i].size);
            s3_ck_xml(w, o->checksum_algo, o->segs[i].checksum);
            api_xw_close(w, "Part");
        }
    }
    api_xw_close(w, "ObjectParts");
}

bool s3_ck_cond_conflict(api_ctx_t *ctx, api_req_t *req, uint32_t bucket_id, kv_slice_t key,
                         int64_t initiated_ms)
{
    eng_object_t *cur;
    int rc = eng_object_open(ctx->eng, bucket_id, key, NULL, req->arena, &cur, NULL);
    return rc == 0 && cur->delete_marker && cur->mtime_ms >= initiated_ms;
}
