/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Temporary (session) credentials, stateless (issue 15, version 2): the session token carries
 * its format version, the id of the key that sealed it, its issue and expiry times and the
 * whole principal it stands for (a role session: the role's ARN and id, the session name, the
 * source identity, the session policy and policy ARNs, the session tags and the transitive tag
 * keys; a GetSessionToken session: the user's name, or the root), sealed with HMAC-SHA256
 * under a key derived from the server's secret. The access key id (ASIA + 16 characters of
 * AWS's base-32 alphabet) and the secret access key (40 characters) are derived from the
 * token's MAC under the same key, so a server that knows its secret verifies any token it
 * minted, across restarts, without storing anything. Tokens of version 1 are refused.
 *
 * Token (base64 of): version(1)=2 key_id(4) kind(1) flags(1) issued(8) expires(8)
 *   role_arn role_id name source_identity function_arn policy (each: len(2, big-endian) bytes)
 *   n_arns(1) {len(2) arn}  n_tags(1) {klen(2) key vlen(2) value}  n_trans(1) {len(2) key}
 *   mac(32)
 * Everything after function_arn is the packed part: its size, with its length fields, is
 * bounded by API_SESSION_PACKED_MAX (AssumeRole's PackedPolicySize is its percentage).
 */
#ifndef API_SESSION_H
#define API_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kv_slice.h"

#define API_SESSION_VERSION    2
#define API_SESSION_ARN_MAX    1024 /* a role's ARN, a function's ARN */
#define API_SESSION_ID_MAX     128  /* a role's id (AROA...) */
#define API_SESSION_NAME_MAX   64   /* a session name, a user name, a source identity */
#define API_SESSION_ARNS_MAX   10   /* PolicyArns */
#define API_SESSION_TAGS_MAX   50   /* session tags, transitive tag keys */
#define API_SESSION_PACKED_MAX 4096 /* policy, policy ARNs, tags, transitive keys, packed */
#define API_SESSION_HEAD       (1 + 4 + 1 + 1 + 8 + 8)
#define API_SESSION_BIN_MAX                                                        \
    (API_SESSION_HEAD + 2 * (2 + API_SESSION_ARN_MAX) + (2 + API_SESSION_ID_MAX) + \
     2 * (2 + API_SESSION_NAME_MAX) + API_SESSION_PACKED_MAX + 32)
#define API_SESSION_BIN_MIN  (API_SESSION_HEAD + 5 * 2 + 2 + 3 + 32)
#define API_SESSION_TEXT_MAX (((API_SESSION_BIN_MAX + 2) / 3) * 4)
#define API_SESSION_AKID_LEN 20
#define API_SESSION_SK_LEN   40

/** The keys derived from a server's secret. */
typedef struct api_session_keys {
    uint8_t mac[32];   /* seals tokens and derives their keys */
    uint8_t key_id[4]; /* names the secret the keys came from */
} api_session_keys_t;

/** A minted set of temporary credentials. */
typedef struct api_creds {
    char access_key[API_SESSION_AKID_LEN + 1];
    char secret_key[API_SESSION_SK_LEN + 1];
    char token[API_SESSION_TEXT_MAX + 1];
    int64_t expires; /* Unix seconds */
} api_creds_t;

typedef enum api_session_result {
    API_SESSION_OK = 0,
    API_SESSION_INVALID, /* malformed, forged, another key's, or not this access key's */
    API_SESSION_EXPIRED, /* genuine, but past its expiry */
} api_session_result_t;

/** Whose session a token is. */
typedef enum api_session_kind {
    API_SESSION_ROLE = 1, /* AssumeRole, or a function's execution role */
    API_SESSION_USER = 2, /* GetSessionToken of an IAM user */
    API_SESSION_ROOT = 3, /* GetSessionToken of the root */
} api_session_kind_t;

enum {
    API_SESSION_F_CHAINED = 1u << 0, /* a role session minted with role session credentials
                                        (role chaining: one hour at most) */
};

/** A session tag. */
typedef struct api_session_tag {
    kv_slice_t key, value;
} api_session_tag_t;

/** A session's principal, as minted and as a verified token gives it back (slices into the
 * caller's bin buffer then). */
typedef struct api_session_principal {
    api_session_kind_t kind;
    uint8_t flags;              /* API_SESSION_F_* */
    int64_t issued, expires;    /* Unix seconds */
    kv_slice_t role_arn;        /* ROLE: arn:aws:iam::000000000000:role/path/name */
    kv_slice_t role_id;         /* ROLE: the role's AROA... id */
    kv_slice_t name;            /* ROLE: the session name; USER: the user's name */
    kv_slice_t source_identity; /* AssumeRole's SourceIdentity (may be empty) */
    kv_slice_t function_arn;    /* a function instance's session: its function (else empty) */
    kv_slice_t policy;          /* the session policy's text (may be empty) */
    kv_slice_t policy_arns[API_SESSION_ARNS_MAX];
    size_t n_policy_arns;
    api_session_tag_t tags[API_SESSION_TAGS_MAX];
    size_t n_tags;
    kv_slice_t transitive[API_SESSION_TAGS_MAX]; /* transitive tag keys */
    size_t n_transitive;
} api_session_principal_t;

/** Derive the session keys from the server's secret access key. */
void api_session_keys(const char *secret, api_session_keys_t *out);
/** Does this access key id look like a session key's (ASIA + 16 of A-Z2-7)? */
bool api_session_is_session_key(kv_slice_t access_key);
/** The packed size of p's session policy, policy ARNs, tags and transitive keys (bytes; at
 * most API_SESSION_PACKED_MAX fit a token). */
size_t api_session_packed_size(const api_session_principal_t *p);
/**
 * Mint credentials for principal p (its issue and expiry times included).
 * @return 0; -1 when a field is longer than its limit above (or a count over its maximum),
 *         -2 when the packed part exceeds API_SESSION_PACKED_MAX.
 */
int api_session_mint(const api_session_keys_t *k, const api_session_principal_t *p,
                     api_creds_t *out);
/**
 * Verify a token presented with access_key at time now (Unix seconds). Its length and
 * format are checked before anything is decoded, its MAC before its fields are read;
 * comparisons are constant-time. On API_SESSION_OK and API_SESSION_EXPIRED, secret
 * (API_SESSION_SK_LEN + 1 bytes) holds the session's secret key and p (when not NULL) its
 * principal, pointing into bin (at least API_SESSION_BIN_MAX bytes).
 */
api_session_result_t api_session_verify(const api_session_keys_t *k, kv_slice_t access_key,
                                        kv_slice_t token, int64_t now, char *secret, uint8_t *bin,
                                        api_session_principal_t *p);
/**
 * Read the fields of a token's binary form (after its MAC is checked; exposed for the fuzz
 * target), bin[0..n) including the MAC. Every length is checked against what remains and its
 * limit. @return true with p filled (slices into bin), false when malformed.
 */
bool api_session_decode(const uint8_t *bin, size_t n, api_session_principal_t *p);

#endif
