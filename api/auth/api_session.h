/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Temporary (session) credentials, stateless: the session token carries its format version,
 * the id of the key that sealed it, its expiry and its principal (a function's ARN and its
 * role's ARN), sealed with HMAC-SHA256 under a key derived from the server's secret. The
 * access key id (ASIA + 16 characters of AWS's base-32 alphabet) and the secret access key
 * (40 characters) are derived from the token's MAC under the same key, so a server that knows
 * its secret verifies any token it minted, across restarts, without storing anything.
 *
 * Token (base64 of): version(1) key_id(4) expiry(8, big-endian Unix seconds)
 *                    arn_len(2) arn role_len(2) role mac(32)
 */
#ifndef API_SESSION_H
#define API_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "base/kv_slice.h"

#define API_SESSION_VERSION  1
#define API_SESSION_ARN_MAX  1024 /* each of the two ARNs a token carries */
#define API_SESSION_BIN_MAX  (1 + 4 + 8 + 2 + API_SESSION_ARN_MAX + 2 + API_SESSION_ARN_MAX + 32)
#define API_SESSION_BIN_MIN  (1 + 4 + 8 + 2 + 2 + 32)
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

/** A verified token's principal (slices into the caller's bin buffer). */
typedef struct api_session_principal {
    kv_slice_t function_arn;
    kv_slice_t role_arn;
    int64_t expires;
} api_session_principal_t;

/** Derive the session keys from the server's secret access key. */
void api_session_keys(const char *secret, api_session_keys_t *out);
/** Does this access key id look like a session key's (ASIA + 16 of A-Z2-7)? */
bool api_session_is_session_key(kv_slice_t access_key);
/**
 * Mint credentials for a principal expiring at expires (Unix seconds).
 * @return 0, or -1 when an ARN is longer than API_SESSION_ARN_MAX.
 */
int api_session_mint(const api_session_keys_t *k, const char *function_arn, const char *role_arn,
                     int64_t expires, api_creds_t *out);
/**
 * Verify a token presented with access_key at time now (Unix seconds). Its length and
 * format are checked before anything is decoded; comparisons are constant-time. On
 * API_SESSION_OK and API_SESSION_EXPIRED, secret (API_SESSION_SK_LEN + 1 bytes) holds the
 * session's secret key and p (when not NULL) its principal, pointing into bin (at least
 * API_SESSION_BIN_MAX bytes).
 */
api_session_result_t api_session_verify(const api_session_keys_t *k, kv_slice_t access_key,
                                        kv_slice_t token, int64_t now, char *secret, uint8_t *bin,
                                        api_session_principal_t *p);

#endif
