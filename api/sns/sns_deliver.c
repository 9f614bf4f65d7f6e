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
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../lambda/lambda_int.h"
#include "../lambda/lambda_inv.h"
#include "base/kv_alloc.h"
#include "base/kv_b64.h"
#include "base/kv_log.h"
#include "base/kv_time.h"
#include "sns_int.h"

#define SLOTS_MAX 256 /* deliveries in flight or waiting for a retry */
#define SCAN_MAX  256 /* outbox records one step looks at */
#define TRIES_MAX 100015u

/* A delivery being worked on: in flight (an invocation) or waiting for its next attempt. */
typedef struct slot {
    uint64_t seq;
    unsigned attempts;
    int64_t next_ms;
    atomic_bool done; /* the invocation finished (set on the runner's thread) */
    bool flying;
    kv_arena_t *a; /* the invocation's */
    api_invocation_t inv;
    sns_state_t *st;
} slot_t;

struct sns_state {
    api_ctx_t *ctx;
    EVP_PKEY *key;
    kv_buf_t cert;
    slot_t *slots[SLOTS_MAX];
};

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
    if (rc == 0 &&
        (write_private(kpath, kp, (size_t)kn) < 0 || write_private(cpath, cp, (size_t)cn) < 0))
        rc = -1;
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
    if (cfg->data_dir && load_key(st, cfg->data_dir) < 0)
        KV_LOG_WARN("sns: no signing key in %s/sns: notifications go unsigned", cfg->data_dir);
    *state = st;
    return 0;
}

static void slot_free(slot_t *s)
{
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
static void note_fill(api_ctx_t *ctx, kv_arena_t *a, const eng_sns_dlv_t *d,
                      const eng_sns_topic_t *t, note_t *n)
{
    char ts[25];
    kv_time_fmt_iso(d->ts_ms, ts);
    n->timestamp = kv_arena_strndup(a, ts, strlen(ts));
    n->topic_arn = sns_topic_arn(ctx, a, d->topic);
    n->sub_arn = sns_sub_arn(ctx, a, d->topic, d->sub_id);
    const char *sv = t ? sns_attr(t->attrs, t->n_attrs, "SignatureVersion") : NULL;
    n->sig_version = sv && strcmp(sv, "2") == 0 ? "2" : "1";
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
static void attrs_json(api_jw_t *w, const eng_sns_dlv_t *d)
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
static void lambda_event(kv_buf_t *out, const eng_sns_dlv_t *d, const note_t *n)
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

/* ---- the job ---- */

static slot_t *slot_find(sns_state_t *st, uint64_t seq)
{
    for (size_t i = 0; i < SLOTS_MAX; i++)
        if (st->slots[i] && st->slots[i]->seq == seq)
            return st->slots[i];
    return NULL;
}

static slot_t *slot_new(sns_state_t *st, uint64_t seq)
{
    for (size_t i = 0; i < SLOTS_MAX; i++)
        if (st->slots[i] == NULL) {
            slot_t *s = kv_calloc(1, sizeof(*s));
            s->seq = seq;
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

/* Start the invocation of delivery d for subscription s. false: it could not start. */
static bool start_lambda(api_ctx_t *ctx, slot_t *sl, const eng_sns_dlv_t *d, const eng_sns_sub_t *s,
                         const eng_sns_topic_t *t)
{
    kv_slice_t fname;
    if (ctx->invoke == NULL || !lambda_arn_function(kv_slice_str(s->endpoint), &fname))
        return false;
    sl->a = kv_arena_new(d->body.len + 65536);
    const char *end = (const char *)fname.p + fname.len;
    eng_function_t *f;
    if (lambda_qual_pick(ctx, sl->a, fname, kv_slice_str(*end == ':' ? end + 1 : ""), &f) < 0 ||
        f->reserved == 0) {
        kv_arena_free(sl->a);
        sl->a = NULL;
        return false;
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
        return true;
    sl->flying = false;
    kv_buf_dispose(&sl->inv.result);
    kv_buf_dispose(&sl->inv.log);
    kv_arena_free(sl->a);
    sl->a = NULL;
    return false;
}

/* A delivery failed (attempted once more): wait for the next attempt, or give up. */
static int failed(api_ctx_t *ctx, sns_state_t *st, slot_t *sl, const eng_sns_dlv_t *d, int64_t now)
{
    sl->attempts++;
    if (sl->attempts >= TRIES_MAX) {
        KV_LOG_WARN("sns: message %s to subscription %s dropped after %u attempts", d->msg_id,
                    d->sub_id, sl->attempts);
        eng_sns_dlv_delete(ctx->eng, d->seq);
        slot_drop(st, sl);
        return 0;
    }
    sl->next_ms = now + retry_wait_ms(sl->attempts);
    return (int)(sl->next_ms - now);
}

/* Is the subscription sub_id already held by an earlier record this step (FIFO order)? */
static bool held(const char *const *h, size_t n, const char *sub_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i], sub_id) == 0)
            return true;
    return false;
}

int sns_deliver_run(api_ctx_t *ctx, void *state, unsigned budget)
{
    sns_state_t *st = state;
    kv_arena_t *a = kv_arena_new(1 << 16);
    eng_sns_dlv_t *ds;
    size_t n = 0;
    size_t max = budget < SCAN_MAX ? (budget ? budget : 1) : SCAN_MAX;
    int wait = -1;
    if (eng_sns_dlv_list(ctx->eng, 0, max, a, &ds, &n) < 0) {
        kv_arena_free(a);
        return 1000;
    }
    const char **hold = kv_arena_calloc(a, n + 1, sizeof(*hold));
    size_t nh = 0;
    int64_t now = kv_now_ms();
    bool progress = false; /* a record deleted or an invocation started */
#define WAIT(ms) (wait = wait < 0 || (ms) < wait ? (ms) : wait)
    for (size_t i = 0; i < n; i++) {
        eng_sns_dlv_t *d = &ds[i];
        bool fifo = d->group != NULL;
        if (fifo && held(hold, nh, d->sub_id))
            continue;
        slot_t *sl = slot_find(st, d->seq);
        if (sl && sl->flying) {
            if (!atomic_load(&sl->done)) {
                if (fifo)
                    hold[nh++] = d->sub_id;
                continue;
            }
            sl->flying = false;
            api_outcome_t o = sl->inv.outcome;
            kv_buf_dispose(&sl->inv.result);
            kv_buf_dispose(&sl->inv.log);
            kv_arena_free(sl->a);
            sl->a = NULL;
            if (o == API_INV_OK) {
                eng_sns_dlv_delete(ctx->eng, d->seq);
                slot_drop(st, sl);
                progress = true;
                continue;
            }
            int w = failed(ctx, st, sl, d, now);
            if (slot_find(st, d->seq)) {
                WAIT(w);
                if (fifo)
                    hold[nh++] = d->sub_id;
                if (w > 0)
                    continue;
            } else {
                continue;
            }
        }
        if (sl && sl->next_ms > now) {
            WAIT((int)(sl->next_ms - now));
            if (fifo)
                hold[nh++] = d->sub_id;
            continue;
        }
        eng_sns_sub_t *s;
        eng_sns_topic_t *t = NULL;
        if (eng_sns_sub_get(ctx->eng, kv_slice_str(d->topic), kv_slice_str(d->sub_id), a, &s) < 0) {
            /* unsubscribed (or its topic deleted): nothing to deliver to */
            eng_sns_dlv_delete(ctx->eng, d->seq);
            if (sl)
                slot_drop(st, sl);
            progress = true;
            continue;
        }
        (void)eng_sns_topic_get(ctx->eng, kv_slice_str(d->topic), a, &t);
        if (sl == NULL && (sl = slot_new(st, d->seq)) == NULL) {
            WAIT(100); /* every slot busy: later */
            break;
        }
        if (strcmp(s->protocol, "lambda") == 0) {
            if (start_lambda(ctx, sl, d, s, t)) {
                progress = true;
                if (fifo)
                    hold[nh++] = d->sub_id;
                continue;
            }
            WAIT(failed(ctx, st, sl, d, now));
            continue;
        }
        /* protocols whose delivery this build does not have (see ARCHITECTURE.md): kept for
         * a later start, never dropped */
        slot_drop(st, sl);
        if (fifo)
            hold[nh++] = d->sub_id;
    }
#undef WAIT
    kv_arena_free(a);
    if (progress && n == max)
        return 0; /* more records may follow those looked at */
    return wait < 0 ? -1 : wait;
}
