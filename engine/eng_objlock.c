/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package L: S3 Object Lock in the engine. A version's retention (mode, retain-until)
 * and legal hold live in its record (eng_object.c's O_LOCK_* fields). The checks that protect
 * it run here, under the key's lock, against the record as stored:
 *   - a delete of that exact version is refused while it is held (eng_object_lock_holds),
 *     in eng_object.c's delete and install paths, so no caller can forget them;
 *   - a retention or legal-hold change is a conditional in-place update of the record: the
 *     rules below are judged against the stored record and the new one written in the same
 *     critical section, like eng_object_set_tags.
 */
#include <string.h>

#include "base/kv_time.h"
#include "eng_obj_int.h"

bool eng_object_lock_holds(const eng_object_t *o, int64_t now_ms, bool bypass_governance)
{
    if (o->delete_marker)
        return false;
    if (o->legal_hold)
        return true; /* a legal hold is lifted only by turning it OFF */
    if (o->lock_mode == ENG_LOCK_NONE || o->lock_until_ms <= now_ms)
        return false;
    return o->lock_mode == ENG_LOCK_COMPLIANCE || !bypass_governance;
}

int eng_lock_retention_check(const eng_object_t *o, eng_lock_mode_t mode, int64_t until_ms,
                             int64_t now_ms, bool bypass_governance)
{
    if (o->lock_mode == ENG_LOCK_NONE || o->lock_until_ms <= now_ms)
        return 0; /* nothing in force: any retention may be set, or none */
    /* In force: keeping or extending the date in the same or a stricter mode is always
     * allowed; COMPLIANCE can never be weakened, shortened or removed (the root included);
     * GOVERNANCE can, with the bypass. */
    bool no_weaker = mode != ENG_LOCK_NONE && until_ms >= o->lock_until_ms &&
                     (mode == ENG_LOCK_COMPLIANCE || o->lock_mode == ENG_LOCK_GOVERNANCE);
    if (no_weaker)
        return 0;
    if (o->lock_mode == ENG_LOCK_GOVERNANCE && bypass_governance)
        return 0;
    return KV_ELOCKED;
}

int eng_object_set_lock(eng_t *e, uint32_t bucket_id, kv_slice_t key, const eng_vref_t *ref,
                        const eng_lock_set_t *set, int64_t now_ms)
{
    kv_buf_t k, v;
    kv_buf_init(&k, 4 * ENG_OBJ_KEY_MAX + 16);
    kv_buf_init(&v, 64 * 1024);
    eng__obj_key(&k, bucket_id, key);
    kv_arena_t *a = kv_arena_new(1024);
    eng_found_t f;
    eng__found_init(&f);
    pthread_mutex_t *lock = eng__obj_lock(e, &k);
    pthread_mutex_lock(lock);
    int rc = eng__find_version(e, NULL, &k, key, ref, a, &f);
    if (rc == 0 && f.o->delete_marker)
        rc = KV_EINVAL; /* a delete marker has no lock to set */
    if (rc == 0 && set->retention)
        rc =
            eng_lock_retention_check(f.o, set->mode, set->until_ms, now_ms, set->bypass_governance);
    if (rc == 0) {
        if (set->retention) {
            f.o->lock_mode = set->mode;
            f.o->lock_until_ms = set->mode == ENG_LOCK_NONE ? 0 : set->until_ms;
        }
        if (set->legal_hold) {
            f.o->legal_hold = set->hold;
            f.o->legal_hold_set = true;
        }
        eng__object_encode(f.o, &v);
        eng_batch_t *b = eng_batch_new(e->rocks);
        eng_batch_put(b, ENG_CF_OBJECTS, kv_buf_slice(&f.k), kv_buf_slice(&v));
        rc = kv_buf_failed(&v) ? KV_ETOOBIG : eng__write(e, b);
        eng_batch_free(b);
    }
    pthread_mutex_unlock(lock);
    eng__found_dispose(&f);
    kv_arena_free(a);
    kv_buf_dispose(&k);
    kv_buf_dispose(&v);
    return rc;
}
