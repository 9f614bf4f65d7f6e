/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled form of a policy document, shared by the parser (pol.c) and the evaluator
 * (pol_eval.c). Everything lives in the policy's own arena and is never written after
 * pol_parse returns, so threads share a compiled policy without locks.
 */
#ifndef POL_INT_H
#define POL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "authz/pol.h"

/* A pattern's properties, found once when it is compiled. */
enum {
    POL_PAT_STAR = 1u << 0, /* exactly "*": matches everything */
    POL_PAT_WILD = 1u << 1, /* holds '*' or '?' */
    POL_PAT_VAR = 1u << 2,  /* holds a policy variable (Version 2012-10-17 only) */
};

#define POL_ARN_SEGS 6 /* arn:partition:service:region:account:resource */

/** An action or resource pattern, or an ARN condition value. */
typedef struct pol_pat {
    kv_slice_t s;
    uint8_t flags;
    uint8_t nseg;                   /* ARN segments (resources without variables), 0: not split */
    uint32_t lit;                   /* length of the literal prefix (before any wildcard or
                                       variable): a value not starting with it cannot match */
    uint32_t seg_off[POL_ARN_SEGS]; /* offsets and lengths of the segments in s */
    uint32_t seg_len[POL_ARN_SEGS];
} pol_pat_t;

/** What a Principal entry names. */
typedef enum pol_pr_type {
    POL_PR_ANY = 0,   /* "*" or {"AWS":"*"}: everyone, anonymous included */
    POL_PR_ARN,       /* an IAM user, role or role session ARN */
    POL_PR_ACCOUNT,   /* an account: "123456789012" or arn:aws:iam::123456789012:root */
    POL_PR_SERVICE,   /* {"Service": "lambda.amazonaws.com"} */
    POL_PR_FEDERATED, /* {"Federated": ...}: no such principal exists here */
    POL_PR_CANONICAL, /* {"CanonicalUser": ...}: S3's canonical id */
} pol_pr_type_t;

typedef struct pol_prin {
    uint8_t type; /* pol_pr_type_t */
    kv_slice_t v; /* the ARN, account id, service name, id */
} pol_prin_t;

/** The base comparison of a condition operator. */
typedef enum pol_cmp_type {
    POL_C_STR = 0, /* StringEquals / NotEquals */
    POL_C_STRI,    /* ...IgnoreCase */
    POL_C_LIKE,    /* StringLike / NotLike */
    POL_C_NUM,
    POL_C_DATE,
    POL_C_BOOL,
    POL_C_BIN,
    POL_C_IP,
    POL_C_ARN, /* ArnEquals, ArnLike (both segment-aware wildcard matches) */
    POL_C_NULL,
} pol_cmp_type_t;

typedef enum pol_rel {
    POL_R_EQ = 0,
    POL_R_LT,
    POL_R_LE,
    POL_R_GT,
    POL_R_GE,
} pol_rel_t;

typedef enum pol_setop {
    POL_SET_NONE = 0,
    POL_SET_ALL, /* ForAllValues: */
    POL_SET_ANY, /* ForAnyValue: */
} pol_setop_t;

/** One condition value, pre-parsed for its operator (unless it holds a variable: then it is
 * expanded and parsed at evaluation). */
typedef struct pol_cval {
    pol_pat_t pat; /* the text (a pattern for Like and Arn operators) */
    bool ok;       /* parsed (false only when it holds a variable) */
    double num;
    int64_t date_ms;
    bool b;
    uint8_t ip[16]; /* IPv4 as ::ffff:a.b.c.d */
    uint8_t ip_bits;
    kv_slice_t bin; /* decoded base64 */
} pol_cval_t;

typedef struct pol_cond {
    uint8_t type; /* pol_cmp_type_t */
    uint8_t rel;  /* pol_rel_t */
    uint8_t set;  /* pol_setop_t */
    bool negated; /* StringNotEquals, NotIpAddress, ...: true when no value matches */
    bool if_exists;
    kv_slice_t op;  /* the operator as written */
    kv_slice_t key; /* "aws:SourceIp" */
    uint32_t key_h; /* pol__key_hash of key */
    pol_cval_t *vals;
    uint32_t n_vals;
} pol_cond_t;

typedef struct pol_stmt {
    kv_slice_t sid;
    bool deny;
    bool not_action, not_resource, not_principal;
    bool has_resource, has_principal;
    bool is_public; /* an Allow to everyone without a condition that fixes the caller */
    pol_pat_t *act;
    uint32_t n_act;
    pol_pat_t *res;
    uint32_t n_res;
    pol_prin_t *prin;
    uint32_t n_prin;
    pol_cond_t *cond;
    uint32_t n_cond;
} pol_stmt_t;

struct pol {
    kv_arena_t *arena; /* owns everything below */
    pol_kind_t kind;
    bool vars; /* Version 2012-10-17: policy variables are substituted */
    bool is_public;
    bool obj_tags; /* pol_mentions_obj_tags */
    pol_stmt_t *stmt;
    size_t n_stmt;
    size_t mem; /* bytes held (for the cache's bound) */
};

struct pol_set {
    const pol_t **v;
    size_t n, cap;
};

/* Evaluation helpers shared with the parser. */

/** Split an ARN (or ARN pattern) into its six segments (the last takes the rest); returns the
 * number found (1 when s holds no ':'). */
unsigned pol__arn_split(kv_slice_t s, uint32_t off[POL_ARN_SEGS], uint32_t len[POL_ARN_SEGS]);
/** Parse an IP address or CIDR ("10.0.0.0/8", "2001:db8::/32", "1.2.3.4") into a 16-byte
 * address (IPv4 mapped into ::ffff:0:0/96) and a prefix length. */
bool pol__ip_parse(kv_slice_t s, bool cidr, uint8_t out[16], uint8_t *bits);
/** Parse a date: ISO 8601 ("2026-12-04", "2026-12-04T13:55:00Z", with fractions or an offset)
 * or epoch seconds, into milliseconds since the epoch. */
bool pol__date_parse(kv_slice_t s, int64_t *ms);
/** Parse a decimal number (the whole slice). */
bool pol__num_parse(kv_slice_t s, double *out);
/** The case-insensitive hash condition keys are looked up by (FNV-1a of the lowered bytes). */
uint32_t pol__key_hash(const uint8_t *p, size_t n);
/** Fill v's parsed fields for the operator's type from its text; false when it does not parse. */
bool pol__cval_parse(pol_cval_t *v, uint8_t type, kv_arena_t *a);

#endif
