/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS (issue 16, package K): the AWS JSON 1.1 protocol (X-Amz-Target TrentService.<Op>) over
 * symmetric keys, their aliases, grants, policies and tags; what the service's files share.
 *
 * Storage (catalog kind 'J', engine/eng_kms.c; the layout after 'J' is kms_store.c's):
 *   'k' <key id>                  the key: metadata, policy, tags, rotation, sealed materials
 *   'g' <key id> '/' <grant id>   one grant of the key
 *   'a' <alias name>              an alias ("alias/..."): the key id it names, its times
 *   'r' <key id> '/' <alias name> the alias's entry in its key's index (empty value)
 * A key's material versions are 32 random bytes each, sealed under the master key with the
 * purpose "kms:<key id>" (api_seal): never stored in the clear.
 */
#ifndef KMS_INT_H
#define KMS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../api_int.h"
#include "authz/api_authz.h"
#include "codec/api_json_r.h"
#include "codec/api_jw.h"

#define KMS_TARGET_PREFIX "TrentService."
#define KMS_ID_LEN        36 /* a key id: a UUID */
#define KMS_MAT_LEN       32 /* AES-256 key material */
#define KMS_PLAIN_MAX     4096
#define KMS_RANDOM_MAX    1024
#define KMS_DESC_MAX      8192
#define KMS_POLICY_MAX    32768
#define KMS_TAGS_MAX      50
#define KMS_TAG_KEY_MAX   128
#define KMS_TAG_VALUE_MAX 256
#define KMS_ALIAS_MAX     256
#define KMS_GRANTS_MAX    1000 /* per key (AWS: 50,000; bounded here: grants are scanned) */
#define KMS_GRANT_TOKENS  10
#define KMS_CTX_MAX       8192 /* an encryption context's canonical bytes */
#define KMS_CTX_PAIRS     64
#define KMS_LIST_MAX      1000 /* ListKeys, ListAliases, ListGrants Limit */
#define KMS_MATS_MAX      100  /* material versions of one key (rotations) */
#define KMS_DAY_MS        86400000LL

#define KMS_OP_MAP(XX)                                              \
    XX(CreateKey, create_key)                                       \
    XX(DescribeKey, describe_key)                                   \
    XX(ListKeys, list_keys)                                         \
    XX(EnableKey, enable_key)                                       \
    XX(DisableKey, disable_key)                                     \
    XX(ScheduleKeyDeletion, schedule_key_deletion)                  \
    XX(CancelKeyDeletion, cancel_key_deletion)                      \
    XX(UpdateKeyDescription, update_key_description)                \
    XX(CreateAlias, create_alias)                                   \
    XX(ListAliases, list_aliases)                                   \
    XX(UpdateAlias, update_alias)                                   \
    XX(DeleteAlias, delete_alias)                                   \
    XX(Encrypt, encrypt)                                            \
    XX(Decrypt, decrypt)                                            \
    XX(ReEncrypt, re_encrypt)                                       \
    XX(GenerateDataKey, generate_data_key)                          \
    XX(GenerateDataKeyWithoutPlaintext, generate_data_key_no_plain) \
    XX(GenerateRandom, generate_random)                             \
    XX(EnableKeyRotation, enable_key_rotation)                      \
    XX(DisableKeyRotation, disable_key_rotation)                    \
    XX(GetKeyRotationStatus, get_key_rotation_status)               \
    XX(RotateKeyOnDemand, rotate_key_on_demand)                     \
    XX(ListKeyRotations, list_key_rotations)                        \
    XX(GetKeyPolicy, get_key_policy)                                \
    XX(PutKeyPolicy, put_key_policy)                                \
    XX(ListKeyPolicies, list_key_policies)                          \
    XX(CreateGrant, create_grant)                                   \
    XX(ListGrants, list_grants)                                     \
    XX(ListRetirableGrants, list_retirable_grants)                  \
    XX(RetireGrant, retire_grant)                                   \
    XX(RevokeGrant, revoke_grant)                                   \
    XX(TagResource, tag_resource)                                   \
    XX(UntagResource, untag_resource)                               \
    XX(ListResourceTags, list_resource_tags)

typedef enum {
#define XX(Name, name) KMS_OP_##name,
    KMS_OP_MAP(XX)
#undef XX
        KMS_OP__COUNT
} kms_op_t;

extern const api_service_t kms_service;

/** The service's state: one lock serializes every change of KMS records (read, modify,
 * write in one batch). */
typedef struct kms_state {
    pthread_mutex_t lock;
} kms_state_t;

kms_state_t *kms_state(api_ctx_t *ctx);

/* ---- kms_blob.c: the ciphertext blob and the encryption context (pure) ----
 * A blob: version byte 1 | key id (36 ASCII bytes) | u32 material version (big-endian) |
 * 12-byte nonce | AES-256-GCM ciphertext | 16-byte tag; the associated data is the header
 * (everything before the ciphertext) followed by the canonical encryption context. */

#define KMS_BLOB_VERSION  1
#define KMS_BLOB_HDR      (1 + KMS_ID_LEN + 4 + 12)
#define KMS_BLOB_OVERHEAD (KMS_BLOB_HDR + 16)
#define KMS_BLOB_MAX      6144 /* CiphertextBlob's length bound (KMS's model) */

/** A blob's parts (slices of the blob). */
typedef struct kms_blob {
    char key_id[KMS_ID_LEN + 1];
    uint32_t version;
    kv_slice_t header, ct;
    const uint8_t *nonce, *tag;
} kms_blob_t;

/** Split blob. @return false when it is not a blob of this format. */
bool kms_blob_parse(kv_slice_t blob, kms_blob_t *out);
/** Encrypt plain under material (version ver of key id), binding ctx_canon; appends the blob
 * to out. */
void kms_blob_seal(const uint8_t mat[KMS_MAT_LEN], const char *key_id, uint32_t ver,
                   kv_slice_t ctx_canon, kv_slice_t plain, kv_buf_t *out);
/** Decrypt a parsed blob, appending the plaintext to plain. @return 0 or -1 (forged, another
 * context or material). */
int kms_blob_open(const uint8_t mat[KMS_MAT_LEN], const kms_blob_t *b, kv_slice_t ctx_canon,
                  kv_buf_t *plain);
/** The canonical form of an encryption context (a JSON object of strings; NULL or absent:
 * none): its pairs sorted by key, each as varint length, key, varint length, value.
 * @return 0, or -1 with a reason in *why (not an object, a value not a string, too large). */
int kms_ctx_canon(kv_arena_t *a, const api_json_t *ctx, kv_buf_t *out, const char **why);
/** Is s a key id (a lower-case UUID)? */
bool kms_is_key_id(kv_slice_t s);

/* ---- kms_store.c: keys, aliases, grants ---- */

typedef enum {
    KMS_ENABLED = 0,
    KMS_DISABLED,
    KMS_PENDING_DELETION,
} kms_key_state_t;

/** One material version. */
typedef struct kms_mat {
    uint32_t v;
    int64_t ms;
    bool on_demand;    /* made by RotateKeyOnDemand (else the first, or automatic) */
    kv_slice_t sealed; /* api_seal("kms:<id>", 32 bytes) */
} kms_mat_t;

/** A key record, decoded into an arena. */
typedef struct kms_key {
    char id[KMS_ID_LEN + 1];
    const char *arn;
    const char *desc;
    int64_t created_ms;
    kms_key_state_t state;
    int64_t deletion_ms; /* KMS_PENDING_DELETION: when it goes */
    uint32_t pending_days;
    bool aws_managed; /* KeyManager AWS (alias/aws/<service>) */
    const char *policy;
    api_kv_t *tags;
    size_t n_tags;
    bool rotation;
    uint32_t rotation_days;
    int64_t next_rotation_ms;
    kms_mat_t *mats; /* ascending versions; the last is current */
    size_t n_mats;
} kms_key_t;

/** A grant. */
typedef struct kms_grant {
    const char *id, *key_id, *name, *grantee, *retiring, *issuer;
    const char **ops;
    size_t n_ops;
    const api_json_t *ctx_equals, *ctx_subset; /* constraints (objects) or NULL */
    int64_t created_ms;
} kms_grant_t;

/** The key ARN of id, in a. */
const char *kms_key_arn(api_ctx_t *ctx, kv_arena_t *a, const char *id);
/** The alias ARN of name ("alias/x"), in a. */
const char *kms_alias_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name);
/** Read key id. A key whose deletion date has passed is deleted now (KV_ENOTFOUND).
 * @return 0, KV_ENOTFOUND, KV_ECORRUPT, KV_EIO. */
int kms_key_load(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t id, kms_key_t **out);
/** Write a key record (and extra ops in the same batch). @return 0 or a KV_ error. */
int kms_key_store(api_ctx_t *ctx, kv_arena_t *a, const kms_key_t *k, const eng_kms_op_t *extra,
                  size_t n_extra);
/** Delete a key with its grants and aliases, in one batch (under the lock). */
int kms_key_purge(api_ctx_t *ctx, kv_arena_t *a, const char *id);
/** A new key in memory: its first material (sealed), the default policy (or policy). */
kms_key_t *kms_key_new(api_ctx_t *ctx, kv_arena_t *a, const char *policy);
/** Add a material version (rotation). */
void kms_key_add_material(api_ctx_t *ctx, kv_arena_t *a, kms_key_t *k, bool on_demand);
/** Unseal material version v of k into mat. @return 0, or -1 (no such version, or it does not
 * open: another master key). */
int kms_key_material(api_ctx_t *ctx, const kms_key_t *k, uint32_t v, uint8_t mat[KMS_MAT_LEN]);
/** The default key policy ("Enable IAM User Permissions": the account), and the policy of an
 * AWS managed key for service ("s3"), in a. */
const char *kms_default_policy(kv_arena_t *a);
const char *kms_aws_policy(api_ctx_t *ctx, kv_arena_t *a, const char *service);
/** The key id alias name names. @return 0, KV_ENOTFOUND, KV_EIO. */
int kms_alias_get(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, char id[KMS_ID_LEN + 1],
                  int64_t *created_ms, int64_t *updated_ms);
/** The store ops that put alias name → id (with its index entry) and delete it. */
void kms_alias_put_ops(kv_arena_t *a, kv_slice_t name, const char *id, int64_t created_ms,
                       int64_t updated_ms, eng_kms_op_t ops[2]);
void kms_alias_del_ops(kv_arena_t *a, kv_slice_t name, const char *id, eng_kms_op_t ops[2]);
/** Whether name is one of the AWS managed aliases ("alias/aws/s3", ...). */
bool kms_aws_alias(kv_slice_t name);
/** The key id of the AWS managed key alias name names, created (with its alias) when absent.
 * @return 0 or a KV_ error. */
int kms_aws_key(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t name, char id[KMS_ID_LEN + 1]);
/** The AWS managed aliases ListAliases shows: *out, and how many. */
size_t kms_aws_aliases(const char *const **out);
/** The key id a KeyId names: a key id, a key ARN, and (aliases) "alias/<name>" or an alias ARN
 * (an AWS managed alias makes its key on first use). *alias is the alias it named (else empty).
 * A key named by id is not read here. @return 0, KV_EINVAL (not a KeyId of this account and
 * region), KV_ENOTFOUND (no such alias), KV_EIO. */
int kms_resolve(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t in, bool aliases, char id[KMS_ID_LEN + 1],
                kv_slice_t *alias);
/** Every grant of key id (at most KMS_GRANTS_MAX). */
int kms_grants_load(api_ctx_t *ctx, kv_arena_t *a, const char *id, kms_grant_t **out, size_t *n);
/** A grant's store key, in a. */
kv_slice_t kms_grant_key(kv_arena_t *a, const char *key_id, const char *grant_id);
/** A grant's stored form (JSON), in a. */
kv_slice_t kms_grant_encode(kv_arena_t *a, const kms_grant_t *g);

/* ---- kms_authz.c ---- */

/** What one authorization needs besides the principal: the action, the key (NULL: "*"), the
 * encryption context (for grants' constraints and kms:EncryptionContext:* keys) and extra
 * condition keys. */
typedef struct kms_az {
    const char *action;
    const kms_key_t *key;
    kv_slice_t resource; /* when key is NULL: the resource ARN ("*", an alias ARN) */
    const api_json_t *context;
    const char *via_service; /* kms:ViaService ("s3.us-east-1.amazonaws.com") or NULL */
    const api_ckey_t *extra;
    size_t n_extra;
    bool by_grant; /* the grant being retired allows it (its retiring principal or grantee) */
    const struct kms_grant *made; /* CreateGrant: the grant to be made (a grant allows making
                                   * only one no wider than itself) */
} kms_az_t;

/** Whether arn names the principal (a role session by its role too). */
bool kms_principal_is(const api_principal_t *p, const char *arn);

/** Authorize the request's principal as KMS does: an explicit deny anywhere refuses; a grant
 * for the principal allows its operations; otherwise the key policy must allow, naming the
 * principal or delegating to the account (and then an IAM policy must allow too).
 * @return 0 allowed, -1 refused with resp's error (the calling service's access denied). */
int kms_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const kms_az_t *az);

/* ---- kms_req.c: what the operations share ---- */

/** One KMS request being answered (the operations' context). */
typedef struct kms_rq {
    api_ctx_t *ctx;
    api_req_t *req;
    api_resp_t *resp;
    const api_json_t *in;
    api_jw_t *w;
    kv_arena_t *a;
    kms_state_t *s;
} kms_rq_t;

/** A value's type, API_J_NULL for an absent one. */
static inline api_json_type_t kms_jt(const api_json_t *v)
{
    return v ? api_json_type(v) : API_J_NULL;
}
/** A KMS "day" in ms: 86400000, or STRATUS_KMS_DAY_MS (tests: deletion and rotation dates). */
int64_t kms_day_ms(void);
/** A string member of o as a NUL-terminated copy in a ("" when absent). */
const char *kms_jstr(kv_arena_t *a, const api_json_t *o, const char *k);
/** A string member: absent (not required: *out empty, 0), or a string of min..max bytes.
 * @return 0, or -1 refused (ValidationException, SerializationException). */
int kms_arg_str(kms_rq_t *o, const char *name, bool required, size_t min, size_t max,
                kv_slice_t *out);
/** An integer member in lo..hi (absent: def). @return 0 or -1 refused. */
int kms_arg_int(kms_rq_t *o, const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *out);
/** A blob member (base64 in JSON) decoded into out: min..max bytes. @return 0 or -1. */
int kms_arg_blob(kms_rq_t *o, const char *name, bool required, size_t min, size_t max,
                 kv_buf_t *out);
/** Limit (1..1000, default 100) and Marker. @return 0 or -1. */
int kms_arg_page(kms_rq_t *o, int64_t *limit, kv_slice_t *marker);
/** The key a member names (KeyId, ...), resolved and read; aliases only where the operation
 * takes them. @return 0, or -1 refused (NotFoundException). */
int kms_arg_key(kms_rq_t *o, const char *name, bool aliases, kms_key_t **out);
/** An encryption context member: parsed, and its canonical form. @return 0 or -1. */
int kms_arg_context(kms_rq_t *o, const char *name, const api_json_t **ctx, kv_buf_t *canon);
/** GrantTokens (accepted: grants take effect at once here). @return 0 or -1. */
int kms_arg_grant_tokens(kms_rq_t *o);
/** An encryption algorithm member: SYMMETRIC_DEFAULT only. @return 0 or -1. */
int kms_arg_algorithm(kms_rq_t *o, const char *name);
/** A blob member written as base64. */
void kms_jw_b64(api_jw_t *w, const char *key, const uint8_t *p, size_t n);
/** Refuse with KMSInternalException naming rc. @return -1. */
int kms_internal(kms_rq_t *o, int rc);
/** Authorize action on k (NULL: "*") with the context's condition keys. @return 0 or -1. */
int kms_authz_op(kms_rq_t *o, const char *action, const kms_key_t *k, const api_json_t *context);
/** Refuse a key pending deletion and, with enabled, a disabled one. @return 0 or -1. */
int kms_need_state(kms_rq_t *o, const kms_key_t *k, bool enabled);
/** Refuse an AWS managed key (its state, policy, tags and rotation are AWS's). @return 0 or -1. */
int kms_not_aws(kms_rq_t *o, const kms_key_t *k);

/* ---- the operations of kms_alias.c, kms_crypto.c, kms_grants.c ---- */

void kms_op_create_alias(kms_rq_t *o);
void kms_op_update_alias(kms_rq_t *o);
void kms_op_delete_alias(kms_rq_t *o);
void kms_op_list_aliases(kms_rq_t *o);
void kms_op_encrypt(kms_rq_t *o);
void kms_op_decrypt(kms_rq_t *o);
void kms_op_re_encrypt(kms_rq_t *o);
/** GenerateDataKey, and (with_plain false) GenerateDataKeyWithoutPlaintext. */
void kms_op_generate_data_key(kms_rq_t *o, bool with_plain);
void kms_op_generate_random(kms_rq_t *o);
void kms_op_create_grant(kms_rq_t *o);
void kms_op_list_grants(kms_rq_t *o);
void kms_op_list_retirable(kms_rq_t *o);
/** RetireGrant (retire) and RevokeGrant. */
void kms_op_end_grant(kms_rq_t *o, bool retire);

#endif
