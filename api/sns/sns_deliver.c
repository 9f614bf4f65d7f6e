/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "sns-deliver" job: reads the delivery outbox in order (woken by the commit that wrote
 * it), hands each record to its subscription's endpoint and deletes it only once delivered or
 * given up by the retry policy. A Lambda delivery starts the invocation and returns; the
 * runner's completion kicks the job, whose next step looks at the outcome. Records of a FIFO
 * subscription wait for the one before them.
 *
 * Also the signing key: an RSA key and a self-signed certificate made at the first start
 * (<data dir>/sns/, mode 0600), which sign notifications (SignatureVersion 1: SHA1withRSA,
 * 2: SHA256withRSA) and whose certificate SigningCertURL serves.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../api_msg.h"
#include "../lambda/lambda_int.h"
#include "../lambda/lambda_inv.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_hash.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "sns_http.h"
#include "sns_int.h"

#define SLOTS_MAX    256 /* deliveries in flight */
#define SUB_FLIGHTS  32  /* of them, to one Lambda subscription */
#define HTTP_FLIGHTS 4   /* to one HTTP(S) subscription (sns_http.c has 16 workers) */
#define SCAN_MAX     256 /* outbox records one step acts on */
#define TRIES_MAX    100015u
#define DEFER_MAX_MS 16000 /* a record put off for a busy subscription waits at most this */

/* A message as one subscription gets it: the stored message and its delivery record. */
typedef struct dlv {
    uint64_t seq; /* the delivery's */
    const char *topic, *sub_id;
    const char *msg_id;
    kv_slice_t body; /* the message for this subscription's protocol */
    const char *subject;
    const char *group, *dedup;
    uint64_t fifo_seq; /* FIFO: the message's sequence number */
    int64_t ts_ms;
    const eng_sns_attr_t *attrs;
    size_t n_attrs;
    uint8_t kind;        /* ENG_SNS_NOTIFICATION or ENG_SNS_CONFIRMATION */
    uint8_t sig_version; /* the message's (0: the topic's now) */
} dlv_t;

/* A delivery in flight: an invocation or an HTTP(S) request. Its record stays where it is in
 * the outbox meanwhile (redone after a crash); the job's scan steps over it. */
typedef struct slot {
    uint64_t seq;
    eng_sns_dlv_t rec; /* the record (rec.sub_id points at sub) */
    char sub[64];
    atomic_bool done; /* the invocation or request finished (set on another thread) */
    bool flying;
    kv_arena_t *a; /* the invocation's */
    api_invocation_t inv;
    bool http;          /* the flight is req, not inv */
    sns_http_req_t req; /* an HTTP(S) delivery */
    char url[2056];     /* its endpoint (at most 2048 bytes, Subscribe's limit) */
    sns_state_t *st;
} slot_t;

struct sns_state {
    api_ctx_t *ctx;
    EVP_PKEY *key;
    kv_buf_t cert;
    slot_t *slots[SLOTS_MAX];
    sns_http_t *http;
    atomic_bool closing; /* sns_fini: completions no longer kick the job */
    int64_t trim_at;     /* when expired deduplication entries are next deleted */
};

/* Deliveries in flight to subscription sub. */
static size_t flights_of(const sns_state_t *st, const char *sub)
{
    size_t n = 0;
    for (size_t i = 0; i < SLOTS_MAX; i++)
        if (st->slots[i] && strcmp(st->slots[i]->sub, sub) == 0)
            n++;
    return n;
}

static sns_state_t *state_of(api_ctx_t *ctx)
{
    return api_service_state(ctx, &sns_service);
}

/* ---- the signing key ---- */

static int write_private(const char *path, const char *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
    close(fd);
    return ok ? 0 : -1;
}

/* Load the key and certificate from dir, or make them. */
static int load_key(sns_state_t *st, const char *data_dir)
{
    char dir[4096], kpath[4160], cpath[4160];
    snprintf(dir, sizeof(dir), "%s/sns", data_dir);
    snprintf(kpath, sizeof(kpath), "%s/signing-key.pem", dir);
    snprintf(cpath, sizeof(cpath), "%s/signing-cert.pem", dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -1;
    FILE *f = fopen(kpath, "r");
    FILE *cf = f ? fopen(cpath, "r") : NULL;
    if (f && cf) {
        st->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        X509 *x = PEM_read_X509(cf, NULL, NULL, NULL);
        fclose(f);
        fclose(cf);
        if (st->key && x) {
            BIO *b = BIO_new(BIO_s_mem());
            PEM_write_bio_X509(b, x);
            char *p;
            long n = BIO_get_mem_data(b, &p);
            kv_buf_append(&st->cert, p, (size_t)n);
            BIO_free(b);
            X509_free(x);
            return 0;
        }
        X509_free(x);
        EVP_PKEY_free(st->key);
        st->key = NULL;
    } else {
        if (f)
            fclose(f);
    }
    /* the first start: a 2048-bit RSA key and a certificate for ten years */
    EVP_PKEY *k = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    if (k == NULL || x == NULL) {
        EVP_PKEY_free(k);
        X509_free(x);
        return -1;
    }
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(kv_now_ms() / 1000));
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400);
    X509_set_pubkey(x, k);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"sns.stratus.localhost", -1, -1, 0);
    X509_set_issuer_name(x, name);
    int rc = X509_sign(x, k, EVP_sha256()) > 0 ? 0 : -1;
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    if (rc == 0 &&
        (!PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) || !PEM_write_bio_X509(cb, x)))
        rc = -1;
    char *kp, *cp;
    long kn = BIO_get_mem_data(kb, &kp), cn = BIO_get_mem_data(cb, &cp);
    /* not kept (a full disk): this run still signs, with a key the next one replaces */
    if (rc == 0 &&
        (write_private(kpath, kp, (size_t)kn) < 0 || write_private(cpath, cp, (size_t)cn) < 0))
        KV_LOG_WARN("sns: the signing key could not be written to %s", dir);
    if (rc == 0) {
        kv_buf_append(&st->cert, cp, (size_t)cn);
        st->key = k;
    } else {
        EVP_PKEY_free(k);
    }
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    return rc;
}

bool sns_sign(api_ctx_t *ctx, int version, kv_slice_t canonical, kv_buf_t *out)
{
    sns_state_t *st = state_of(ctx);
    if (st == NULL || st->key == NULL)
        return false;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    uint8_t sig[1024];
    size_t n = sizeof(sig);
    bool ok =
        m &&
        EVP_DigestSignInit(m, NULL, version == 2 ? EVP_sha256() : EVP_sha1(), NULL, st->key) == 1 &&
        EVP_DigestSign(m, sig, &n, canonical.p, canonical.len) == 1;
    EVP_MD_CTX_free(m);
    if (ok)
        kv_b64_encode(out, sig, n);
    return ok;
}

kv_slice_t sns_cert_pem(api_ctx_t *ctx)
{
    sns_state_t *st = state_of(ctx);
    return st ? kv_buf_slice(&st->cert) : kv_slice("", 0);
}

int sns_init(api_ctx_t *ctx, const api_cfg_t *cfg, void **state)
{
    sns_state_t *st = kv_calloc(1, sizeof(*st));
    st->ctx = ctx;
    kv_buf_init(&st->cert, 1 << 16);
    st->http = sns_http_new();
    atomic_init(&st->closing, false);
    if (cfg->data_dir && load_key(st, cfg->data_dir) < 0)
        KV_LOG_WARN("sns: no signing key in %s/sns: notifications go unsigned", cfg->data_dir);
    *state = st;
    return 0;
}

static void slot_free(slot_t *s)
{
    if (s->http) {
        kv_buf_dispose(&s->req.headers);
        kv_buf_dispose(&s->req.body);
        s->http = false;
    }
    if (s->a) {
        kv_buf_dispose(&s->inv.result);
        kv_buf_dispose(&s->inv.log);
        kv_arena_free(s->a);
    }
    kv_free(s);
}

void sns_fini(void *state)
{
    sns_state_t *st = state;
    atomic_store(&st->closing, true);
    sns_http_free(st->http); /* every request ends (done) before it returns */
    for (size_t i = 0; i < SLOTS_MAX; i++)
        if (st->slots[i])
            slot_free(st->slots[i]);
    EVP_PKEY_free(st->key);
    kv_buf_dispose(&st->cert);
    kv_free(st);
}

/* ---- notifications ---- */

/* The server's own URL base ("http://127.0.0.1:<port>"). */
static const char *base_url(api_ctx_t *ctx, kv_arena_t *a)
{
    bool tls = false;
    int port = api_port(ctx, &tls);
    return kv_arena_printf(a, "%s://127.0.0.1:%d", tls ? "https" : "http", port);
}

static void url_escape(kv_buf_t *b, const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            kv_buf_append_byte(b, c);
        } else {
            kv_buf_append_byte(b, '%');
            kv_buf_append_byte(b, (uint8_t)hx[c >> 4]);
            kv_buf_append_byte(b, (uint8_t)hx[c & 15]);
        }
    }
}

/* What a notification carries besides the message. */
typedef struct note {
    const char *topic_arn, *sub_arn, *timestamp, *sig_version, *signature, *cert_url, *unsub_url;
} note_t;

/* Fill n for delivery d of subscription s: the URLs, and the signature over SNS's canonical
 * string of a Notification. */
static void note_fill(api_ctx_t *ctx, kv_arena_t *a, const dlv_t *d, const eng_sns_topic_t *t,
                      note_t *n)
{
    char ts[25];
    kv_time_fmt_iso(d->ts_ms, ts);
    n->timestamp = kv_arena_strndup(a, ts, strlen(ts));
    n->topic_arn = sns_topic_arn(ctx, a, d->topic);
    n->sub_arn = sns_sub_arn(ctx, a, d->topic, d->sub_id);
    n->sig_version = (d->sig_version ? d->sig_version : sns_sig_version(t)) == 2 ? "2" : "1";
    const char *base = base_url(ctx, a);
    n->cert_url = kv_arena_printf(a, "%s/sns/SimpleNotificationService-stratus.pem", base);
    kv_buf_t u;
    kv_buf_init(&u, 4096);
    kv_buf_printf(&u, "%s/sns/?Action=Unsubscribe&SubscriptionArn=", base);
    url_escape(&u, n->sub_arn);
    n->unsub_url = kv_arena_strndup(a, u.p, u.len);
    kv_buf_dispose(&u);
    kv_buf_t c, sig;
    kv_buf_init(&c, d->body.len + 4096);
    kv_buf_init(&sig, 4096);
    kv_buf_append_str(&c, "Message\n");
    kv_buf_append_slice(&c, d->body);
    kv_buf_printf(&c, "\nMessageId\n%s\n", d->msg_id);
    if (d->subject)
        kv_buf_printf(&c, "Subject\n%s\n", d->subject);
    kv_buf_printf(&c, "Timestamp\n%s\nTopicArn\n%s\nType\nNotification\n", n->timestamp,
                  n->topic_arn);
    n->signature = sns_sign(ctx, n->sig_version[0] - '0', kv_buf_slice(&c), &sig)
                       ? kv_arena_strndup(a, sig.p, sig.len)
                       : "";
    kv_buf_dispose(&c);
    kv_buf_dispose(&sig);
}

/* Write a delivery's message attributes as SNS's envelope has them: {name: {Type, Value}}. */
static void attrs_json(api_jw_t *w, const dlv_t *d)
{
    api_jw_obj_begin(w);
    for (size_t i = 0; i < d->n_attrs; i++) {
        const eng_sns_attr_t *at = &d->attrs[i];
        api_jw_key(w, at->name);
        api_jw_obj_begin(w);
        api_jw_kstr(w, "Type", at->type);
        api_jw_key(w, "Value");
        if (strncmp(at->type, "Binary", 6) == 0) {
            kv_buf_t b;
            kv_buf_init(&b, at->value.len * 2 + 8);
            kv_b64_encode(&b, at->value.p, at->value.len);
            api_jw_str(w, kv_buf_slice(&b));
            kv_buf_dispose(&b);
        } else {
            api_jw_str(w, at->value);
        }
        api_jw_obj_end(w);
    }
    api_jw_obj_end(w);
}

/* Lambda's SNS event for d. */
static void lambda_event(kv_buf_t *out, const dlv_t *d, const note_t *n)
{
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_key(&w, "Records");
    api_jw_arr_begin(&w);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "EventSource", "aws:sns");
    api_jw_kstr(&w, "EventVersion", "1.0");
    api_jw_kstr(&w, "EventSubscriptionArn", n->sub_arn);
    api_jw_key(&w, "Sns");
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "Type", "Notification");
    api_jw_kstr(&w, "MessageId", d->msg_id);
    api_jw_kstr(&w, "TopicArn", n->topic_arn);
    api_jw_key(&w, "Subject");
    if (d->subject)
        api_jw_cstr(&w, d->subject);
    else
        api_jw_null(&w);
    api_jw_key(&w, "Message");
    api_jw_str(&w, d->body);
    api_jw_kstr(&w, "Timestamp", n->timestamp);
    api_jw_kstr(&w, "SignatureVersion", n->sig_version);
    api_jw_kstr(&w, "Signature", n->signature);
    api_jw_kstr(&w, "SigningCertUrl", n->cert_url);
    api_jw_kstr(&w, "UnsubscribeUrl", n->unsub_url);
    api_jw_key(&w, "MessageAttributes");
    attrs_json(&w, d);
    api_jw_obj_end(&w);
    api_jw_obj_end(&w);
    api_jw_arr_end(&w);
    api_jw_obj_end(&w);
}

/* SNS's JSON envelope of a notification (what an SQS queue gets without raw delivery). */
static void envelope(kv_buf_t *out, const dlv_t *d, const note_t *n)
{
    api_jw_t w;
    api_jw_init(&w, out);
    api_jw_obj_begin(&w);
    api_jw_kstr(&w, "Type", "Notification");
    api_jw_kstr(&w, "MessageId", d->msg_id);
    if (d->group) {
        char seq[24];
        snprintf(seq, sizeof(seq), "%020llu", (unsigned long long)d->fifo_seq);
        api_jw_kstr(&w, "SequenceNumber", seq);
    }
    api_jw_kstr(&w, "TopicArn", n->topic_arn);
    if (d->subject)
        api_jw_kstr(&w, "Subject", d->subject);
    api_jw_key(&w, "Message");
    api_jw_str(&w, d->body);
    api_jw_kstr(&w, "Timestamp", n->timestamp);
    api_jw_kstr(&w, "SignatureVersion", n->sig_version);
    api_jw_kstr(&w, "Signature", n->signature);
    api_jw_kstr(&w, "SigningCertURL", n->cert_url);
    api_jw_kstr(&w, "UnsubscribeURL", n->unsub_url);
    if (d->n_attrs) {
        api_jw_key(&w, "MessageAttributes");
        attrs_json(&w, d);
    }
    api_jw_obj_end(&w);
}

/* Outcome of one synchronous delivery attempt. */
enum { SENT = 0, RETRY = 1, CLIENT_ERROR = 2, DENIED = 3 /* the queue's policy (issue 15) */ };

/*
 * Send d to the queue queue_arn: raw (the message with SNS's attributes as the queue's message
 * attributes) or as the envelope; extra attributes (a dead-letter's error) are added.
 */
static int to_queue(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t queue_arn, const dlv_t *d,
                    const note_t *n, bool raw, const api_msg_attr_t *extra, size_t n_extra,
                    const char **why)
{
    kv_buf_t body;
    kv_buf_init(&body, 8u << 20);
    size_t na = (raw ? d->n_attrs : 0) + n_extra;
    api_msg_attr_t *at = kv_arena_calloc(a, na + 1, sizeof(*at));
    size_t k = 0;
    if (raw) {
        kv_buf_append_slice(&body, d->body);
        for (size_t i = 0; i < d->n_attrs; i++) {
            at[k].name = kv_slice_str(d->attrs[i].name);
            at[k].data_type = kv_slice_str(d->attrs[i].type);
            at[k].value = d->attrs[i].value;
            k++;
        }
    } else {
        envelope(&body, d, n);
    }
    for (size_t i = 0; i < n_extra; i++)
        at[k++] = extra[i];
    api_msg_t m = {.body = kv_buf_slice(&body),
                   .attrs = at,
                   .n_attrs = k,
                   .group_id = d->group ? kv_slice_str(d->group) : KV_SLICE_NULL,
                   .dedup_id = d->dedup ? kv_slice_str(d->dedup) : KV_SLICE_NULL,
                   .source_arn = kv_slice_str(n->topic_arn)};
    int rc = api_sqs_send(ctx, queue_arn, &m, NULL, why);
    kv_buf_dispose(&body);
    return rc;
}

/* Deliver d to an SQS subscription. */
static int deliver_sqs(api_ctx_t *ctx, kv_arena_t *a, const dlv_t *d, const eng_sns_sub_t *s,
                       const eng_sns_topic_t *t, const char **why)
{
    note_t n;
    note_fill(ctx, a, d, t, &n);
    /* issue 15 (package L2): the queue's policy must let SNS send for this topic; a refusal is
     * a client-side error, which SNS does not retry (the dead-letter queue, or dropped) */
    if (!api_msg_deliverable(ctx, kv_slice_str(s->endpoint), "sns.amazonaws.com", "sqs:SendMessage",
                             kv_slice_str(n.topic_arn), a, why))
        return DENIED;
    const char *raw = sns_attr(s->attrs, s->n_attrs, "RawMessageDelivery");
    int rc = to_queue(ctx, a, kv_slice_str(s->endpoint), d, &n, raw && strcmp(raw, "true") == 0,
                      NULL, 0, why);
    if (rc == 0)
        return SENT;
    if (rc == KV_ENOTFOUND) {
        *why = "The queue does not exist";
        return CLIENT_ERROR;
    }
    return rc == KV_EINVAL ? CLIENT_ERROR : RETRY;
}

/*
 * Give d up: to the subscription's dead-letter queue when it has one (SNS's message with the
 * RequestID, ErrorCode and ErrorMessage attributes), else dropped as SNS drops it. The record
 * is deleted only once the dead-letter queue took it (or there is none).
 */
static bool give_up(api_ctx_t *ctx, kv_arena_t *a, const dlv_t *d, const eng_sns_sub_t *s,
                    const eng_sns_topic_t *t, const char *code, const char *msg)
{
    const char *rp = s ? sns_attr(s->attrs, s->n_attrs, "RedrivePolicy") : NULL;
    api_json_t *doc;
    const char *err;
    kv_slice_t dlq = KV_SLICE_NULL;
    if (rp && api_json_parse(a, kv_slice_str(rp), &doc, &err) == 0)
        dlq = sns_str(doc, "deadLetterTargetArn");
    if (dlq.p == NULL || dlq.len == 0) {
        KV_LOG_WARN("sns: message %s to subscription %s dropped: %s", d->msg_id, d->sub_id, msg);
        return true;
    }
    note_t n;
    note_fill(ctx, a, d, t, &n);
    char rid[37];
    kv_uuid4(rid);
    api_msg_attr_t extra[] = {
        {KV_SLICE_LIT("RequestID"), KV_SLICE_LIT("String"), kv_slice(rid, 36)},
        {KV_SLICE_LIT("ErrorCode"), KV_SLICE_LIT("String"), kv_slice_str(code)},
        {KV_SLICE_LIT("ErrorMessage"), KV_SLICE_LIT("String"), kv_slice_str(msg)},
    };
    const char *raw = sns_attr(s->attrs, s->n_attrs, "RawMessageDelivery");
    const char *why = NULL;
    /* issue 15 (package L2): the dead-letter queue's policy must let SNS send too */
    if (!api_msg_deliverable(ctx, dlq, "sns.amazonaws.com", "sqs:SendMessage",
                             kv_slice_str(n.topic_arn), a, &why)) {
        KV_LOG_WARN("sns: message %s to subscription %s dropped: its dead-letter queue refused "
                    "it (%s)",
                    d->msg_id, d->sub_id, why ? why : "access denied");
        return true;
    }
    int rc = to_queue(ctx, a, dlq, d, &n, raw && strcmp(raw, "true") == 0, extra, 3, &why);
    if (rc == KV_ENOTFOUND || rc == KV_EINVAL) {
        KV_LOG_WARN("sns: message %s to subscription %s dropped: its dead-letter queue refused "
                    "it (%s)",
                    d->msg_id, d->sub_id, why ? why : kv_err_str(rc));
        return true;
    }
    return rc == 0; /* a throttled dead-letter queue: the record stays for a later step */
}

/* ---- the job ---- */

static slot_t *slot_find(sns_state_t *st, uint64_t seq)
{
    for (size_t i = 0; i < SLOTS_MAX; i++)
        if (st->slots[i] && st->slots[i]->seq == seq)
            return st->slots[i];
    return NULL;
}

static slot_t *slot_new(sns_state_t *st, const eng_sns_dlv_t *r)
{
    for (size_t i = 0; i < SLOTS_MAX; i++)
        if (st->slots[i] == NULL) {
            slot_t *s = kv_calloc(1, sizeof(*s));
            s->seq = r->seq;
            s->rec = *r;
            snprintf(s->sub, sizeof(s->sub), "%s", r->sub_id);
            s->rec.sub_id = s->sub;
            s->st = st;
            atomic_init(&s->done, false);
            st->slots[i] = s;
            return s;
        }
    return NULL;
}

static void slot_drop(sns_state_t *st, slot_t *s)
{
    for (size_t i = 0; i < SLOTS_MAX; i++)
        if (st->slots[i] == s)
            st->slots[i] = NULL;
    slot_free(s);
}

static void on_done(api_invocation_t *inv)
{
    slot_t *s = inv->done_arg;
    api_ctx_t *ctx = s->st->ctx;
    atomic_store(&s->done, true); /* s belongs to the job from here on */
    api_sched_kick(ctx, "sns-deliver");
}

/*
 * SNS's retry policy for AWS-managed endpoints: 3 immediate retries, 2 after 1 s, 10 backing
 * off from 1 s to 20 s, then every 20 s, 100 015 attempts in all. The wait before attempt
 * number `attempt` (1: the first retry).
 */
static int64_t retry_wait_ms(unsigned attempt)
{
    if (attempt <= 3)
        return 0;
    if (attempt <= 5)
        return 1000;
    if (attempt <= 15)
        return 1000 + (int64_t)(attempt - 5) * 19000 / 10;
    return 20000;
}

/* Start the invocation of delivery d for subscription s: SENT (started), CLIENT_ERROR (no such
 * function), RETRY (the function cannot run now). */
static int start_lambda(api_ctx_t *ctx, slot_t *sl, const dlv_t *d, const eng_sns_sub_t *s,
                        const eng_sns_topic_t *t)
{
    kv_slice_t fname;
    if (!lambda_arn_function(kv_slice_str(s->endpoint), &fname) ||
        !lambda_sns_may_invoke(ctx, s->endpoint, t->name)) /* the function policy (issue 15) */
        return CLIENT_ERROR;
    if (ctx->invoke == NULL)
        return RETRY;
    sl->a = kv_arena_new(d->body.len + 65536);
    const char *end = (const char *)fname.p + fname.len;
    eng_function_t *f;
    int rc = lambda_qual_pick(ctx, sl->a, fname, kv_slice_str(*end == ':' ? end + 1 : ""), &f);
    if (rc < 0 || f->reserved == 0) { /* gone, or throttled by a reserved concurrency of 0 */
        kv_arena_free(sl->a);
        sl->a = NULL;
        return rc == KV_ENOTFOUND ? CLIENT_ERROR : RETRY;
    }
    note_t n;
    note_fill(ctx, sl->a, d, t, &n);
    kv_buf_t ev;
    kv_buf_init(&ev, 8u << 20);
    lambda_event(&ev, d, &n);
    lambda_inv_fill(ctx, f, kv_buf_slice(&ev), NULL, sl->a, &sl->inv);
    if (*end == ':')
        sl->inv.invoked_arn = kv_arena_strndup(sl->a, s->endpoint, strlen(s->endpoint));
    kv_buf_dispose(&ev);
    sl->inv.done = on_done;
    sl->inv.done_arg = sl;
    atomic_store(&sl->done, false);
    sl->flying = true;
    if (ctx->invoke(ctx->runner, &sl->inv) == 0)
        return SENT;
    sl->flying = false;
    kv_buf_dispose(&sl->inv.result);
    kv_buf_dispose(&sl->inv.log);
    kv_arena_free(sl->a);
    sl->a = NULL;
    return RETRY;
}

/* ---- HTTP(S) endpoints ---- */

/* An HTTP delivery policy's healthyRetryPolicy. */
typedef struct policy {
    unsigned retries, no_delay, min_n, max_n;
    double min_s, max_s;
    char backoff; /* 'l'inear, 'a'rithmetic, 'g'eometric, 'e'xponential */
} policy_t;

static void policy_read(const api_json_t *p, policy_t *out)
{
    int64_t v;
    double dv;
#define INT_OF(k, f)                                                \
    if (api_json_int(api_json_get(p, k), &v) && v >= 0 && v <= 100) \
        out->f = (unsigned)v;
    INT_OF("numRetries", retries);
    INT_OF("numNoDelayRetries", no_delay);
    INT_OF("numMinDelayRetries", min_n);
    INT_OF("numMaxDelayRetries", max_n);
#undef INT_OF
    if (api_json_num(api_json_get(p, "minDelayTarget"), &dv) && dv >= 0 && dv <= 3600)
        out->min_s = dv;
    if (api_json_num(api_json_get(p, "maxDelayTarget"), &dv) && dv >= 0 && dv <= 3600)
        out->max_s = dv;
    kv_slice_t b = sns_str(p, "backoffFunction");
    if (b.len)
        out->backoff = (char)b.p[0];
}

/* The retry policy of an HTTP(S) subscription: SNS's default (3 retries 20 s apart), the
 * topic's DeliveryPolicy http.defaultHealthyRetryPolicy, and the subscription's own
 * healthyRetryPolicy unless the topic disables overrides. */
static void http_policy(kv_arena_t *a, const eng_sns_sub_t *s, const eng_sns_topic_t *t,
                        policy_t *p)
{
    *p = (policy_t){.retries = 3, .min_s = 20, .max_s = 20, .backoff = 'l'};
    const char *tp = t ? sns_attr(t->attrs, t->n_attrs, "DeliveryPolicy") : NULL;
    api_json_t *doc;
    const char *err;
    bool overrides = true;
    if (tp && tp[0] && api_json_parse(a, kv_slice_str(tp), &doc, &err) == 0) {
        const api_json_t *h = api_json_get(doc, "http");
        if (h) {
            const api_json_t *d = api_json_get(h, "defaultHealthyRetryPolicy");
            if (d)
                policy_read(d, p);
            const api_json_t *dis = api_json_get(h, "disableSubscriptionOverrides");
            overrides = !(dis && api_json_bool(dis));
        }
    }
    const char *sp = sns_attr(s->attrs, s->n_attrs, "DeliveryPolicy");
    if (overrides && sp && sp[0] && api_json_parse(a, kv_slice_str(sp), &doc, &err) == 0) {
        const api_json_t *h = api_json_get(doc, "healthyRetryPolicy");
        if (h)
            policy_read(h, p);
    }
    if (p->max_s < p->min_s)
        p->max_s = p->min_s;
}

/* The wait before retry number k (1: the first): no-delay retries, minimum-delay retries, the
 * backoff phase from minDelayTarget to maxDelayTarget, then maximum-delay retries. */
static int64_t policy_wait_ms(const policy_t *p, unsigned k)
{
    if (k <= p->no_delay)
        return 0;
    if (k <= p->no_delay + p->min_n)
        return (int64_t)(p->min_s * 1000);
    unsigned fixed = p->no_delay + p->min_n + p->max_n;
    unsigned nb = p->retries > fixed ? p->retries - fixed : 0;
    if (k > p->no_delay + p->min_n + nb)
        return (int64_t)(p->max_s * 1000);
    double f = nb > 1 ? (double)(k - p->no_delay - p->min_n - 1) / (nb - 1) : 1.0;
    double lo = p->min_s, hi = p->max_s, w;
    switch (p->backoff) {
    case 'a':
        w = lo + (hi - lo) * f * f;
        break;
    case 'g':
    case 'e':
        w = lo > 0 ? lo * pow(hi / lo, f) : hi * f;
        break;
    default:
        w = lo + (hi - lo) * f;
    }
    return (int64_t)(w * 1000);
}

static void http_done(sns_http_req_t *r)
{
    slot_t *sl = r->arg;
    sns_state_t *st = sl->st;
    bool closing = atomic_load(&st->closing);
    atomic_store(&sl->done, true); /* sl belongs to the job from here on */
    if (!closing)
        api_sched_kick(st->ctx, "sns-deliver");
}

/* Post d to an HTTP(S) subscription: a SubscriptionConfirmation or a Notification (the
 * envelope, or the raw message), signed, with SNS's headers. SENT or RETRY. */
static int start_http(api_ctx_t *ctx, sns_state_t *st, slot_t *sl, kv_arena_t *a, const dlv_t *d,
                      const eng_sns_sub_t *s, const eng_sns_topic_t *t)
{
    note_t n;
    note_fill(ctx, a, d, t, &n);
    memset(&sl->req, 0, sizeof(sl->req));
    kv_buf_init(&sl->req.headers, 64 << 10);
    kv_buf_init(&sl->req.body, 8u << 20);
    snprintf(sl->url, sizeof(sl->url), "%s", s->endpoint);
    sl->req.url = sl->url;
    bool confirm = d->kind == ENG_SNS_CONFIRMATION;
    const char *raw = sns_attr(s->attrs, s->n_attrs, "RawMessageDelivery");
    kv_buf_printf(&sl->req.headers,
                  "Content-Type: text/plain; charset=UTF-8\r\nx-amz-sns-message-type: %s\r\n"
                  "x-amz-sns-message-id: %s\r\nx-amz-sns-topic-arn: %s\r\n",
                  confirm ? "SubscriptionConfirmation" : "Notification", d->msg_id, n.topic_arn);
    if (!confirm)
        kv_buf_printf(&sl->req.headers, "x-amz-sns-subscription-arn: %s\r\n", n.sub_arn);
    if (confirm) {
        /* SubscribeURL: this server's ConfirmSubscription link, served without credentials */
        kv_buf_t u, c, sig;
        kv_buf_init(&u, 8192);
        kv_buf_printf(&u, "%s/sns/?Action=ConfirmSubscription&TopicArn=", base_url(ctx, a));
        url_escape(&u, n.topic_arn);
        kv_buf_append_str(&u, "&Token=");
        url_escape(&u, s->token ? s->token : "");
        kv_buf_init(&c, d->body.len + 16384);
        kv_buf_append_str(&c, "Message\n");
        kv_buf_append_slice(&c, d->body);
        kv_buf_printf(&c, "\nMessageId\n%s\nSubscribeURL\n", d->msg_id);
        kv_buf_append_slice(&c, kv_buf_slice(&u));
        kv_buf_printf(&c,
                      "\nTimestamp\n%s\nToken\n%s\nTopicArn\n%s\nType\nSubscriptionConfirmation\n",
                      n.timestamp, s->token ? s->token : "", n.topic_arn);
        kv_buf_init(&sig, 4096);
        sns_sign(ctx, n.sig_version[0] - '0', kv_buf_slice(&c), &sig);
        api_jw_t w;
        api_jw_init(&w, &sl->req.body);
        api_jw_obj_begin(&w);
        api_jw_kstr(&w, "Type", "SubscriptionConfirmation");
        api_jw_kstr(&w, "MessageId", d->msg_id);
        api_jw_kstr(&w, "Token", s->token ? s->token : "");
        api_jw_kstr(&w, "TopicArn", n.topic_arn);
        api_jw_key(&w, "Message");
        api_jw_str(&w, d->body);
        api_jw_key(&w, "SubscribeURL");
        api_jw_str(&w, kv_buf_slice(&u));
        api_jw_kstr(&w, "Timestamp", n.timestamp);
        api_jw_kstr(&w, "SignatureVersion", n.sig_version);
        api_jw_key(&w, "Signature");
        api_jw_str(&w, kv_buf_slice(&sig));
        api_jw_kstr(&w, "SigningCertURL", n.cert_url);
        api_jw_obj_end(&w);
        kv_buf_dispose(&u);
        kv_buf_dispose(&c);
        kv_buf_dispose(&sig);
    } else if (raw && strcmp(raw, "true") == 0) {
        kv_buf_append_str(&sl->req.headers, "x-amz-sns-rawdelivery: true\r\n");
        kv_buf_append_slice(&sl->req.body, d->body);
    } else {
        envelope(&sl->req.body, d, &n);
    }
    sl->req.done = http_done;
    sl->req.arg = sl;
    sl->http = true;
    atomic_store(&sl->done, false);
    sl->flying = true;
    if (sns_http_post(st->http, &sl->req) == 0)
        return SENT;
    sl->flying = false;
    kv_buf_dispose(&sl->req.headers);
    kv_buf_dispose(&sl->req.body);
    sl->http = false;
    return RETRY;
}

#define LAMBDA_TRIES 3 /* a function's own errors: Lambda's asynchronous 1 + 2 retries */

/* One step of the job: what it saw and decided. */
typedef struct step {
    api_ctx_t *ctx;
    sns_state_t *st;
    kv_arena_t *a;
    int64_t now;
    int wait;      /* ms until the job should run again (-1: no timer) */
    bool progress; /* a record finished, moved or started */
    struct {
        uint64_t seq;
        eng_sns_msg_t *m;
        api_json_t *doc; /* MessageStructure json: parsed */
    } msgs[16];          /* the messages read this step, the last few */
    size_t n_msgs;
} step_t;

static void step_wait(step_t *p, int64_t ms)
{
    int w = ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
    if (p->wait < 0 || w < p->wait)
        p->wait = w;
}

/* The message of record r (cached for the step). KV_ENOTFOUND: gone. */
static int msg_of(step_t *p, const eng_sns_dlv_t *r, eng_sns_msg_t **m, api_json_t **doc)
{
    size_t n = p->n_msgs < 16 ? p->n_msgs : 16;
    for (size_t i = 0; i < n; i++)
        if (p->msgs[i].seq == r->msg_seq) {
            *m = p->msgs[i].m;
            *doc = p->msgs[i].doc;
            return 0;
        }
    int rc = eng_sns_msg_get(p->ctx->eng, r->msg_seq, p->a, m);
    if (rc < 0)
        return rc;
    const char *err;
    *doc = NULL;
    if ((*m)->structure && api_json_parse(p->a, (*m)->body, doc, &err) < 0)
        *doc = NULL;
    size_t k = p->n_msgs++ % 16;
    p->msgs[k].seq = r->msg_seq;
    p->msgs[k].m = *m;
    p->msgs[k].doc = *doc;
    return 0;
}

/* The delivery of m by record r for subscription s, as the senders take it. */
static void dlv_fill(dlv_t *d, const eng_sns_msg_t *m, const api_json_t *doc,
                     const eng_sns_dlv_t *r, const eng_sns_sub_t *s)
{
    kv_slice_t body = m->body;
    if (m->structure && doc) { /* MessageStructure json: the protocol's key or "default" */
        const api_json_t *v = api_json_get(doc, s->protocol);
        if (v == NULL || api_json_type(v) != API_J_STR)
            v = api_json_get(doc, "default");
        body = api_json_str(v);
    }
    *d = (dlv_t){.seq = r->seq,
                 .topic = m->topic,
                 .sub_id = r->sub_id,
                 .msg_id = m->msg_id,
                 .body = body,
                 .subject = m->subject,
                 .group = m->group,
                 .dedup = m->dedup,
                 .fifo_seq = m->seq,
                 .ts_ms = m->ts_ms,
                 .attrs = m->attrs,
                 .n_attrs = m->n_attrs,
                 .kind = m->kind,
                 .sig_version = m->sig_version};
}

/* Record r is finished (delivered or given up). */
static void finish(step_t *p, const eng_sns_dlv_t *r, bool unblock)
{
    if (eng_sns_dlv_done(p->ctx->eng, r, unblock) < 0)
        step_wait(p, 1000); /* stays: done again later (at least once) */
    p->progress = true;
}

/* Move r to p->now + ms (fifo: its subscription's later records wait behind it). */
static void move(step_t *p, eng_sns_dlv_t *r, int64_t ms, bool fifo)
{
    if (eng_sns_dlv_move(p->ctx->eng, r, p->now + ms, fifo) < 0) {
        step_wait(p, 1000);
        return;
    }
    step_wait(p, ms);
    p->progress = true;
}

/*
 * An attempt of r failed: move it to its next attempt, or (after max attempts, or the HTTP
 * policy's) give it up to the subscription's dead-letter queue.
 */
static void failed(step_t *p, eng_sns_dlv_t *r, const dlv_t *d, const eng_sns_sub_t *s,
                   const eng_sns_topic_t *t, unsigned max, const char *code, const char *msg)
{
    const policy_t *pol = NULL;
    policy_t hp;
    if (s && (strcmp(s->protocol, "http") == 0 || strcmp(s->protocol, "https") == 0)) {
        http_policy(p->a, s, t, &hp);
        pol = &hp;
        max = hp.retries + 1;
    }
    bool fifo = d->group != NULL;
    r->attempts++;
    if (r->attempts < max) {
        move(p, r, pol ? policy_wait_ms(pol, r->attempts) : retry_wait_ms(r->attempts), fifo);
        return;
    }
    if (!give_up(p->ctx, p->a, d, s, t, code, msg)) {
        r->attempts--; /* the dead-letter queue is throttled: given up again in a second */
        move(p, r, 1000, fifo);
        return;
    }
    finish(p, r, false);
}

/* A flight ended: its outcome. The slot is dropped. */
static void landed(step_t *p, slot_t *sl)
{
    api_ctx_t *ctx = p->ctx;
    sl->flying = false;
    api_outcome_t o;
    if (sl->http) {
        o = sl->req.status >= 200 && sl->req.status < 300 ? API_INV_OK : API_INV_FAILED;
        kv_buf_dispose(&sl->req.headers);
        kv_buf_dispose(&sl->req.body);
        sl->http = false;
    } else {
        o = sl->inv.outcome;
        kv_buf_dispose(&sl->inv.result);
        kv_buf_dispose(&sl->inv.log);
        kv_arena_free(sl->a);
        sl->a = NULL;
    }
    eng_sns_dlv_t r = sl->rec;
    r.sub_id = kv_arena_strndup(p->a, sl->sub, strlen(sl->sub));
    slot_drop(p->st, sl);
    if (o == API_INV_OK) {
        finish(p, &r, false);
        return;
    }
    eng_sns_msg_t *m;
    api_json_t *doc;
    eng_sns_sub_t *s;
    eng_sns_topic_t *t = NULL;
    if (msg_of(p, &r, &m, &doc) < 0 ||
        eng_sns_sub_get(ctx->eng, kv_slice_str(m->topic), kv_slice_str(r.sub_id), p->a, &s) < 0) {
        finish(p, &r, false); /* unsubscribed meanwhile */
        return;
    }
    (void)eng_sns_topic_get(ctx->eng, kv_slice_str(m->topic), p->a, &t);
    dlv_t d;
    dlv_fill(&d, m, doc, &r, s);
    bool fn = o == API_INV_FN_ERROR, web = strcmp(s->protocol, "lambda") != 0;
    failed(p, &r, &d, s, t, fn ? LAMBDA_TRIES : TRIES_MAX,
           fn    ? "FunctionError"
           : web ? "EndpointUnavailable"
                 : "ServiceUnavailable",
           fn    ? "The function returned an error"
           : web ? "The endpoint did not answer with a 2xx status"
                 : "The function could not run");
}

/* The wait of a record put off because its subscription (or every slot) is busy. */
static int64_t defer_ms(uint32_t deferrals)
{
    int64_t ms = 250LL << (deferrals < 6 ? deferrals : 6);
    return ms < DEFER_MAX_MS ? ms : DEFER_MAX_MS;
}

/* Act on record r (due now, not in flight). */
static void work(step_t *p, eng_sns_dlv_t *r)
{
    api_ctx_t *ctx = p->ctx;
    sns_state_t *st = p->st;
    eng_sns_msg_t *m;
    api_json_t *doc;
    int rc = msg_of(p, r, &m, &doc);
    if (rc < 0) {
        if (rc == KV_ENOTFOUND)
            finish(p, r, false); /* nothing to deliver */
        else
            step_wait(p, 1000);
        return;
    }
    eng_sns_sub_t *s;
    eng_sns_topic_t *t = NULL;
    if (eng_sns_sub_get(ctx->eng, kv_slice_str(m->topic), kv_slice_str(r->sub_id), p->a, &s) < 0) {
        finish(p, r, false); /* unsubscribed (or its topic deleted): nothing to deliver to */
        return;
    }
    (void)eng_sns_topic_get(ctx->eng, kv_slice_str(m->topic), p->a, &t);
    dlv_t d;
    dlv_fill(&d, m, doc, r, s);
    bool fifo = d.group != NULL, unblock = false;
    if (fifo) { /* one record of a FIFO subscription at a time, in order */
        int64_t until;
        if (eng_sns_block_get(ctx->eng, r->sub_id, &until) < 0) {
            step_wait(p, 1000);
            return;
        }
        if (until > r->due_ms) { /* an earlier record waits for its retry: behind it */
            r->deferrals++;
            move(p, r, until - p->now, false);
            return;
        }
        unblock = until != 0;
    }
    bool lambda = strcmp(s->protocol, "lambda") == 0;
    bool web = strcmp(s->protocol, "http") == 0 || strcmp(s->protocol, "https") == 0;
    if (lambda || web) {
        slot_t *sl = NULL;
        if (web && d.kind == ENG_SNS_CONFIRMATION && !s->pending) {
            finish(p, r, false); /* confirmed meanwhile */
            return;
        }
        /* a busy subscription (or every slot in use) puts off only its own records */
        if (flights_of(st, r->sub_id) >= (lambda ? SUB_FLIGHTS : HTTP_FLIGHTS) ||
            (sl = slot_new(st, r)) == NULL) {
            int64_t w = defer_ms(r->deferrals);
            r->deferrals++;
            move(p, r, w, false);
            return;
        }
        int res =
            lambda ? start_lambda(ctx, sl, &d, s, t) : start_http(ctx, st, sl, p->a, &d, s, t);
        if (res == SENT) {
            p->progress = true;
            return;
        }
        slot_drop(st, sl);
        failed(p, r, &d, s, t, res == CLIENT_ERROR ? 1 : TRIES_MAX,
               res == CLIENT_ERROR ? "NotFound" : "ServiceUnavailable",
               !lambda               ? "The HTTP client is stopping"
               : res == CLIENT_ERROR ? "The function does not exist"
                                     : "The function cannot run now");
        return;
    }
    if (strcmp(s->protocol, "sqs") == 0) {
        const char *why = NULL;
        int res = deliver_sqs(ctx, p->a, &d, s, t, &why);
        if (res == SENT) {
            finish(p, r, unblock);
            return;
        }
        /* SNS does not retry client-side errors: the dead-letter queue, or dropped */
        failed(p, r, &d, s, t, res == CLIENT_ERROR || res == DENIED ? 1 : TRIES_MAX,
               res == DENIED         ? "AccessDenied"
               : res == CLIENT_ERROR ? "NotFound"
                                     : "ServiceUnavailable",
               why ? why : "Delivery failed");
        return;
    }
    finish(p, r, false); /* a protocol Subscribe refuses: nothing delivers it */
}

int sns_deliver_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    sns_state_t *st = state;
    step_t p = {.ctx = ctx, .st = st, .a = kv_arena_new(1 << 16), .now = kv_now_ms(), .wait = -1};
    /* the flights that ended */
    size_t flying = 0;
    for (size_t i = 0; i < SLOTS_MAX; i++) {
        slot_t *sl = st->slots[i];
        if (sl && sl->flying && atomic_load(&sl->done))
            landed(&p, sl);
        else if (sl)
            flying++;
    }
    /* the records due: those in flight are stepped over (at most SLOTS_MAX of them), every
     * other one is acted on — delivered, started, or moved to its next attempt */
    size_t act = budget < SCAN_MAX ? (budget ? budget : 1) : SCAN_MAX;
    eng_sns_dlv_t *ds;
    size_t n = 0, acted = 0;
    int64_t next_due = -1;
    if (eng_sns_dlv_due(ctx->eng, p.now, 0, 0, act + flying, p.a, &ds, &n, &next_due) < 0) {
        kv_arena_free(p.a);
        return 1000;
    }
    if (next_due >= 0)
        step_wait(&p, next_due - p.now);
    for (size_t i = 0; i < n && acted < act; i++) {
        slot_t *sl = slot_find(st, ds[i].seq);
        if (sl)
            continue; /* in flight */
        acted++;
        work(&p, &ds[i]);
    }
    kv_arena_free(p.a);
    /* expired FIFO deduplication entries, once a minute */
    if (p.now >= st->trim_at) {
        bool more = false;
        (void)eng_sns_dedup_trim(ctx->eng, p.now, 1000, &more);
        st->trim_at = more ? p.now : p.now + 60000;
    }
    step_wait(&p, st->trim_at - p.now);
    /* commits wake the job only while the outbox holds records: a publish kicks it */
    api_sched_listen(ctx, "sns-deliver", n > 0 || next_due >= 0 || flying > 0);
    if (p.progress && n == act + flying)
        return 0; /* more records may follow those looked at */
    return p.wait;
}
