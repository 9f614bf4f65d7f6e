/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's policy language: parsing and validating a policy document (AWS's grammar, sizes and
 * MalformedPolicyDocument messages), compiling it once, and evaluating it against a request
 * context. The one evaluator every protocol's authorization, IAM's simulator and the resource
 * policies (buckets, functions, queues, topics, buses, trust policies) use.
 *
 * A compiled policy is immutable and may be shared between threads; pol_cached keeps the
 * compiled form of a document text (keyed by its bytes), so a resource policy stored as text
 * is compiled once, and a changed text is simply another key.
 */
#ifndef POL_H
#define POL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kv_arena.h"
#include "base/kv_slice.h"

typedef struct pol pol_t;
typedef struct pol_set pol_set_t;

/** What a document is (its grammar differs: a resource policy and a trust policy name a
 * Principal, an identity policy must not). */
typedef enum pol_kind {
    POL_IDENTITY = 0, /* user, group, role inline policies, managed policies, boundaries,
                         session policies */
    POL_RESOURCE,     /* bucket, function, queue, topic, bus, key policies */
    POL_TRUST,        /* a role's AssumeRolePolicyDocument */
} pol_kind_t;

/** Limits AWS applies (characters, whitespace excluded where AWS excludes it). */
#define POL_MAX_MANAGED   6144  /* a managed policy version */
#define POL_MAX_USER_INL  2048  /* all inline policies of a user, together */
#define POL_MAX_ROLE_INL  10240 /* of a role */
#define POL_MAX_GROUP_INL 5120  /* of a group */
#define POL_MAX_TRUST     2048
#define POL_MAX_SESSION   2048   /* a session policy, packed */
#define POL_MAX_BUCKET    20480  /* a bucket policy (bytes) */
#define POL_MAX_TEXT      131072 /* no document text is parsed beyond this */

/**
 * Parse and validate a policy document.
 * @return the compiled policy (malloc'd; pol_free), or NULL with *err set to the message of
 *         AWS's MalformedPolicyDocument error for this kind (e.g. "Syntax errors in policy.",
 *         "Policy document should not specify a principal.", "Invalid principal in policy",
 *         "Policy statement must contain actions."), into arena a.
 */
pol_t *pol_parse(kv_slice_t text, pol_kind_t kind, kv_arena_t *a, const char **err);
void pol_free(pol_t *p);
/** The compiled policy of text, from a process-wide cache (compiled on a miss). The pointer
 * is valid for POL_CACHE_GRACE_MS after the call that returned it (entries not handed out for
 * that long are freed only while the cache is over its bounds, by pol_cached itself or
 * pol_cache_trim); use it within the request and ask again next time. When the cache is full
 * of recent entries the policy is compiled into arena a and lives as long as it. NULL when it
 * does not parse (err as pol_parse). */
const pol_t *pol_cached(kv_slice_t text, pol_kind_t kind, kv_arena_t *a, const char **err);

/** A set of policies evaluated together (a principal's identity policies). The set owns
 * nothing: its members outlive it. */
pol_set_t *pol_set_new(size_t cap);
bool pol_set_add(pol_set_t *s, const pol_t *p);
size_t pol_set_len(const pol_set_t *s);
void pol_set_free(pol_set_t *s);

/** A condition key's values in a request context. */
typedef struct pol_val {
    const char *name; /* "aws:SourceIp", "s3:prefix", "aws:PrincipalTag/team" */
    const kv_slice_t *values;
    size_t n;
} pol_val_t;

/** What a policy is evaluated against. */
typedef struct pol_ctx {
    kv_slice_t action;   /* "s3:GetObject" */
    kv_slice_t resource; /* "arn:aws:s3:::bucket/key", or "*" */
    /* The principal, for Principal/NotPrincipal of resource and trust policies. */
    kv_slice_t principal_arn;     /* arn:aws:iam::000000000000:user/ci, the role session's
                                     arn:aws:sts::...:assumed-role/R/S, or "*" (anonymous) */
    kv_slice_t principal_role;    /* a role session's role ARN (matches Principal AWS too) */
    kv_slice_t principal_service; /* "lambda.amazonaws.com" for a Service principal */
    bool anonymous;               /* only "*" principals match */
    /* Condition keys: looked up by name, case-insensitively; several lists (the global keys
     * and the request's). */
    const pol_val_t *const *vals;
    const size_t *n_vals;
    size_t n_lists;
    /* Optional scratch (pol_memo_t, on the caller's stack, memo->built false) shared by the
     * evaluations of one unchanged context: its keys hashed once, its IP, date and number
     * values parsed once. NULL: each pol_eval / pol_set_eval call uses its own. */
    struct pol_memo *memo;
} pol_ctx_t;

/** The evaluator's scratch for one context (pol_ctx_t.memo); set built = false before use and
 * never change the context's keys while it is in use. */
#define POL_MEMO_SLOTS  128 /* a power of two; more keys than 3/4 of it: looked up linearly */
#define POL_MEMO_PARSED 8
typedef struct pol_memo {
    bool built, linear;
    struct {
        const pol_val_t *v;
        uint32_t h;
    } slot[POL_MEMO_SLOTS];
    struct {
        const kv_slice_t *s; /* the value (its address in the context) */
        uint8_t type;        /* the operator type it was parsed for */
        bool ok;
        double num;
        int64_t date_ms;
        uint8_t ip[16];
    } parsed[POL_MEMO_PARSED];
    unsigned n_parsed;
} pol_memo_t;

/** What one document, or a set, says about a context. */
typedef enum pol_effect {
    POL_NONE = 0, /* no statement applies */
    POL_ALLOW,    /* an Allow statement applies, no Deny */
    POL_DENY,     /* a Deny statement applies */
} pol_effect_t;

pol_effect_t pol_eval(const pol_t *p, const pol_ctx_t *c);
pol_effect_t pol_set_eval(const pol_set_t *s, const pol_ctx_t *c);

/** Does a value match an IAM wildcard pattern ('*' any run, '?' one character)? Case-sensitive
 * (resources) or not (actions). */
bool pol_match(kv_slice_t pattern, kv_slice_t value, bool nocase);

/** The statement ids (Sid) and effect of the statement that decided, for the simulator: the
 * first Deny that applies, else the first Allow. */
typedef struct pol_match_info {
    pol_effect_t effect;
    int statement; /* its index, or -1 */
    kv_slice_t sid;
} pol_match_info_t;
pol_effect_t pol_eval_info(const pol_t *p, const pol_ctx_t *c, pol_match_info_t *info);

/** The condition keys a document tests (for SimulatePrincipalPolicy's MissingContextValues):
 * calls take(arg, name) once per distinct key. */
void pol_keys_each(const pol_t *p, void (*take)(void *arg, kv_slice_t name), void *arg);

/** Does the document grant anything to everyone (S3's PolicyStatus IsPublic, Block Public
 * Access)? A grant to "*" or {"AWS":"*"} without a condition that fixes the caller (aws:SourceIp
 * ranges, aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID, aws:PrincipalAccount, ...) is
 * public, as AWS defines it. */
bool pol_is_public(const pol_t *p);

/* ---- Added by issue 15, package P ---- */

/** How long a pointer pol_cached returned stays valid after the call that returned it: an
 * entry is freed only when the cache is over its bounds and no pol_cached call has handed it
 * out for this long. Callers use the pointer within the request (or job step) that asked for
 * it and ask again next time (a hit is one hash lookup); they never keep it. */
#define POL_CACHE_GRACE_MS 60000

/** Characters of a document as IAM counts them for its limits (UTF-8 code points; with
 * skip_space, spaces, tabs and line breaks are not counted, as for managed policies). */
size_t pol_chars(kv_slice_t text, bool skip_space);

/** Free cached entries not handed out for POL_CACHE_GRACE_MS: while the cache is over its
 * bounds, or all of them (all_old). pol_cached trims by itself when full; the services
 * thread may call this at a quiet point. @return how many were freed. */
size_t pol_cache_trim(bool all_old);
/** Bounds of the cache (defaults: 4096 entries, 64 MB, POL_CACHE_GRACE_MS); for tests. When
 * every entry is recent and the cache is full, pol_cached compiles into the caller's arena
 * (freed with it) instead of growing. */
void pol_cache_limits(size_t max_entries, size_t max_bytes, int64_t grace_ms);
void pol_cache_stats(size_t *entries, size_t *bytes);

/** Who an applying Allow of a resource or trust policy names (pol_eval_by's *by, bits). */
enum {
    POL_BY_SELF = 1u << 0,    /* the principal itself: its ARN, a session's ARN, its service,
                                 or everyone ("*") */
    POL_BY_ACCOUNT = 1u << 1, /* only its account (the root ARN, the account id): the account
                                 delegates to its identity policies, which must allow too */
    POL_BY_PUBLIC = 1u << 2,  /* the Allow is public (pol_is_public's definition) */
    POL_BY_ROLE = 1u << 3,    /* a role session by its role's ARN: allowed, within the session
                                 policies and the boundary */
};
/** pol_eval, telling in *by (POL_BY_* bits) how the principal was named by the Allow
 * statements that apply (identity policies name nobody: POL_BY_SELF). */
pol_effect_t pol_eval_by(const pol_t *p, const pol_ctx_t *c, unsigned *by);
/** The policy's kind as parsed. */
pol_kind_t pol_kind(const pol_t *p);
/** Could the document test an object's tags (s3:ExistingObjectTag/<k>, as a condition key or a
 * policy variable)? S3 reads an object for its authorization only when a policy it evaluates
 * could. NULL: false. */
bool pol_mentions_obj_tags(const pol_t *p);
bool pol_set_mentions_obj_tags(const pol_set_t *s);
/** The account id every principal here belongs to (principal matching of account ARNs). */
#define POL_ACCOUNT "000000000000"

#endif
