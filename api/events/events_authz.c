/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EventBridge authorization (issue 15, package L2): each operation's IAM action and resource
 * (event-bus/<name>, rule/<name> on the default bus or rule/<bus>/<name>, "*" for the List
 * operations and TestEventPattern), its condition keys (events:source and events:detail-type
 * of PutEvents entries, events:TargetArn of PutTargets, aws:RequestTag, aws:TagKeys,
 * aws:ResourceTag) and the bus's resource policy; PutPermission and RemovePermission, which
 * write that policy; api_events_policy for the senders (api_msg_permitted).
 */
#include <pthread.h>
#include <string.h>

#include "api_msg.h"
#include "api_msg_authz.h"
#include "authz/pol.h"
#include "base/kv_time.h"
#include "codec/api_jw.h"
#include "events_int.h"

#define EVENTS_POLICY_MAX 10240 /* a bus policy's characters (EventBridge's quota) */

/* A bus named by a name or an event-bus ARN (absent: the default bus); empty when it is
 * neither (the operation refuses it). */
static kv_slice_t bus_of(const api_json_t *v)
{
    if (v == NULL || events_jt(v) == API_J_NULL)
        return KV_SLICE_LIT(EVENTS_DEFAULT_BUS);
    kv_slice_t s = api_json_str(v), name = s;
    if (kv_slice_starts_with(s, "arn:")) {
        api_arn_t a;
        if (!api_arn_parse(s, &a) || !kv_slice_eq_str(a.service, "events") ||
            !api_arn_after(&a, "event-bus/", &name))
            return KV_SLICE_NULL;
    }
    return name.len <= 256 ? name : KV_SLICE_NULL;
}

/* A bus's policy text and tags (into ks when non-NULL); false when there is no such bus. */
static bool bus_facts(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t bus, kv_slice_t *policy,
                      msg_keys_t *ks)
{
    eng_evbus_t *b;
    *policy = KV_SLICE_NULL;
    if (eng_evbus_get(ctx->eng, bus, a, &b) != 0)
        return false;
    if (b->policy)
        *policy = kv_slice_str(b->policy);
    for (size_t i = 0; ks && i < b->n_tags && i < 64; i++)
        msg_keys_resource_tag(ks, kv_slice_str(b->tags[i].key), kv_slice_str(b->tags[i].value));
    return true;
}

static void rule_tags(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t bus, kv_slice_t rule,
                      msg_keys_t *ks)
{
    eng_evrule_t *r;
    if (eng_evrule_get(ctx->eng, bus, rule, a, &r) != 0)
        return;
    for (size_t i = 0; i < r->n_tags && i < 64; i++)
        msg_keys_resource_tag(ks, kv_slice_str(r->tags[i].key), kv_slice_str(r->tags[i].value));
}

/* Tags a request sets (Tags: a list of Key/Value) or removes (TagKeys). */
static void request_tags(msg_keys_t *ks, const api_json_t *in)
{
    const api_json_t *tags = api_json_get(in, "Tags");
    size_t n = events_jt(tags) == API_J_ARR ? api_json_len(tags) : 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        const api_json_t *t = api_json_at(tags, i);
        msg_keys_request_tag(ks, api_json_str(api_json_get(t, "Key")),
                             api_json_str(api_json_get(t, "Value")));
    }
    const api_json_t *keys = api_json_get(in, "TagKeys");
    n = events_jt(keys) == API_J_ARR ? api_json_len(keys) : 0;
    for (size_t i = 0; i < n && i < 64; i++)
        msg_keys_add(ks, "aws:TagKeys", api_json_str(api_json_at(keys, i)));
}

static kv_slice_t bus_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t bus)
{
    char arn[512];
    events_bus_arn(ctx, bus, arn, sizeof(arn));
    return kv_slice_str(kv_arena_strndup(a, arn, strlen(arn)));
}

static kv_slice_t rule_arn(api_ctx_t *ctx, kv_arena_t *a, kv_slice_t bus, kv_slice_t rule)
{
    char arn[640];
    events_rule_arn(ctx, bus, rule, arn, sizeof(arn));
    return kv_slice_str(kv_arena_strndup(a, arn, strlen(arn)));
}

/* PutEvents: events:PutEvents on each entry's bus, with its source and detail type. */
static int authorize_put_events(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const api_json_t *in)
{
    const api_json_t *list = api_json_get(in, "Entries");
    size_t n = events_jt(list) == API_J_ARR ? api_json_len(list) : 0;
    if (n > EVENTS_MAX_ENTRIES)
        return 0; /* refused by the operation */
    size_t asked = 0;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *e = api_json_at(list, i);
        kv_slice_t bus = bus_of(api_json_get(e, "EventBusName"));
        if (bus.len == 0)
            continue; /* the entry fails on its own (PutEvents reads EventBusName as bus_of) */
        asked++;
        msg_keys_t ks = {.a = req->arena};
        msg_keys_add(&ks, "events:source", api_json_str(api_json_get(e, "Source")));
        msg_keys_add(&ks, "events:detail-type", api_json_str(api_json_get(e, "DetailType")));
        kv_slice_t policy;
        bus_facts(ctx, req->arena, bus, &policy, &ks);
        if (msg_authorize(ctx, req, resp, NULL, bus_arn(ctx, req->arena, bus), policy, &ks) < 0)
            return -1;
    }
    if (asked == 0) /* no entry names a bus: never answered unchecked */
        return msg_authorize(ctx, req, resp, NULL,
                             bus_arn(ctx, req->arena, KV_SLICE_LIT(EVENTS_DEFAULT_BUS)),
                             KV_SLICE_NULL, NULL);
    return 0;
}

int events_authorize(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, int op, const api_json_t *in)
{
    if (msg_root(req))
        return msg_authorize_root(ctx, req, resp);
    kv_arena_t *a = req->arena;
    kv_slice_t bus = KV_SLICE_NULL, rule = KV_SLICE_NULL;
    switch ((events_op_t)op) {
    case EVENTS_OP_list_event_buses:
    case EVENTS_OP_list_rules:
    case EVENTS_OP_list_rule_names_by_target:
    case EVENTS_OP_test_event_pattern:
        return msg_authorize(ctx, req, resp, NULL, KV_SLICE_LIT("*"), KV_SLICE_NULL, NULL);
    case EVENTS_OP_put_events:
        return authorize_put_events(ctx, req, resp, in);
    case EVENTS_OP_create_event_bus:
    case EVENTS_OP_describe_event_bus:
    case EVENTS_OP_delete_event_bus:
        bus = bus_of(api_json_get(in, "Name"));
        break;
    case EVENTS_OP_put_permission:
    case EVENTS_OP_remove_permission:
        bus = bus_of(api_json_get(in, "EventBusName"));
        break;
    case EVENTS_OP_put_rule:
    case EVENTS_OP_describe_rule:
    case EVENTS_OP_delete_rule:
    case EVENTS_OP_enable_rule:
    case EVENTS_OP_disable_rule:
    case EVENTS_OP_list_targets_by_rule:
        bus = bus_of(api_json_get(in, "EventBusName"));
        rule = api_json_str(api_json_get(in, "Name"));
        if (op == EVENTS_OP_list_targets_by_rule)
            rule = api_json_str(api_json_get(in, "Rule"));
        break;
    case EVENTS_OP_put_targets:
    case EVENTS_OP_remove_targets:
        bus = bus_of(api_json_get(in, "EventBusName"));
        rule = api_json_str(api_json_get(in, "Rule"));
        break;
    case EVENTS_OP_tag_resource:
    case EVENTS_OP_untag_resource:
    case EVENTS_OP_list_tags_for_resource: {
        api_arn_t parts;
        kv_slice_t rest;
        if (!api_arn_parse(api_json_str(api_json_get(in, "ResourceARN")), &parts) ||
            !kv_slice_eq_str(parts.service, "events"))
            return 0;
        if (api_arn_after(&parts, "event-bus/", &rest)) {
            bus = rest;
        } else if (api_arn_after(&parts, "rule/", &rest)) {
            const uint8_t *slash = memchr(rest.p, '/', rest.len);
            bus = slash ? kv_slice(rest.p, (size_t)(slash - rest.p))
                        : KV_SLICE_LIT(EVENTS_DEFAULT_BUS);
            rule = slash ? kv_slice(slash + 1, rest.len - bus.len - 1) : rest;
            if (rule.len == 0)
                return 0;
        } else {
            return 0;
        }
        break;
    }
    default:
        return 0; /* refused as an unknown operation */
    }
    if (bus.len == 0 || bus.len > 256 || (rule.p && (rule.len == 0 || rule.len > 64)))
        return 0; /* names nothing: the operation refuses it */
    msg_keys_t ks = {.a = a};
    kv_slice_t policy;
    bus_facts(ctx, a, bus, &policy, rule.len ? NULL : &ks);
    if (rule.len)
        rule_tags(ctx, a, bus, rule, &ks);
    if (op == EVENTS_OP_create_event_bus || op == EVENTS_OP_put_rule ||
        op == EVENTS_OP_tag_resource || op == EVENTS_OP_untag_resource)
        request_tags(&ks, in);
    if (op == EVENTS_OP_put_targets) {
        const api_json_t *ts = api_json_get(in, "Targets");
        size_t n = events_jt(ts) == API_J_ARR ? api_json_len(ts) : 0;
        for (size_t i = 0; i < n && i < 100; i++)
            msg_keys_add(&ks, "events:TargetArn",
                         api_json_str(api_json_get(api_json_at(ts, i), "Arn")));
    }
    kv_slice_t arn = rule.len ? rule_arn(ctx, a, bus, rule) : bus_arn(ctx, a, bus);
    return msg_authorize(ctx, req, resp, NULL, arn, policy, &ks);
}

int api_events_policy(api_ctx_t *ctx, kv_slice_t bus_arn_s, kv_arena_t *a, kv_slice_t *policy)
{
    api_arn_t parts;
    kv_slice_t bus;
    *policy = KV_SLICE_NULL;
    if (!api_arn_parse(bus_arn_s, &parts) || !kv_slice_eq_str(parts.service, "events") ||
        !kv_slice_eq_str(parts.account, API_ACCOUNT_ID) ||
        !api_arn_after(&parts, "event-bus/", &bus))
        return KV_ENOTFOUND;
    return bus_facts(ctx, a, bus, policy, NULL) ? 0 : KV_ENOTFOUND;
}

/* ---- PutPermission, RemovePermission ---- */

static pthread_mutex_t perm_lock = PTHREAD_MUTEX_INITIALIZER; /* read, change, write a policy */

static bool chars_in(kv_slice_t s, const char *extra)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c)))
            return false;
    }
    return true;
}

static int validation(api_resp_t *resp, const char *field, kv_slice_t v, const char *what)
{
    return api_refuse(resp, API_E_EVENTS_VALIDATION,
                      "1 validation error detected: Value '%.*s' at '%s' failed to satisfy "
                      "constraint: Member must %s",
                      (int)(v.len > 256 ? 256 : v.len), (const char *)v.p, field, what);
}

/* Write one statement as it was stored. */
static void copy_one(api_jw_t *w, const api_json_t *st)
{
    kv_buf_t b;
    kv_buf_init(&b, 1024);
    if (api_json_dump(st, &b))
        api_jw_raw(w, kv_buf_slice(&b));
    kv_buf_dispose(&b);
}

/* Write the statements of old (a parsed policy; may be NULL) but the one whose Sid is drop,
 * as they were, into w. @return whether drop was among them. */
static bool copy_statements(api_jw_t *w, const api_json_t *old, kv_slice_t drop)
{
    const api_json_t *st = api_json_get(old, "Statement");
    bool found = false;
    if (events_jt(st) == API_J_OBJ) {
        if (kv_slice_eq(api_json_str(api_json_get(st, "Sid")), drop))
            return true;
        copy_one(w, st);
        return false;
    }
    size_t n = events_jt(st) == API_J_ARR ? api_json_len(st) : 0;
    for (size_t i = 0; i < n; i++) {
        const api_json_t *s = api_json_at(st, i);
        if (kv_slice_eq(api_json_str(api_json_get(s, "Sid")), drop)) {
            found = true;
            continue;
        }
        copy_one(w, s);
    }
    return found;
}

/* Store policy (NULL: none) on the bus. */
static int store_policy(api_ctx_t *ctx, api_resp_t *resp, eng_evbus_t *b, const char *policy)
{
    b->policy = policy;
    b->modified_ms = kv_now_ms();
    int rc = eng_evbus_put(ctx->eng, b, ENG_FN_UPDATE);
    if (rc == KV_ENOTFOUND)
        return api_refuse(resp, API_E_EVENTS_NOT_FOUND, "Event bus %s does not exist.", b->name);
    if (rc == KV_ENOSPACE)
        return api_refuse(resp, API_E_EVENTS_THROTTLING, "Rate exceeded");
    if (rc < 0)
        return api_refuse(resp, API_E_EVENTS_INTERNAL, "%s", kv_err_str(rc));
    resp->durable = true;
    return 0;
}

void events_op_permission(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const api_json_t *in,
                          api_jw_t *w, bool add)
{
    kv_arena_t *a = req->arena;
    const api_json_t *bn = api_json_get(in, "EventBusName");
    kv_slice_t bus = bus_of(bn);
    if (bus.len == 0 || !chars_in(bus, ".-_")) {
        validation(resp, "eventBusName", api_json_str(bn),
                   "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
        return;
    }
    kv_slice_t sid = api_json_str(api_json_get(in, "StatementId"));
    bool has_sid = api_json_get(in, "StatementId") != NULL;
    if (has_sid && (sid.len < 1 || sid.len > 64 || !chars_in(sid, "-_"))) {
        validation(resp, "statementId", sid,
                   sid.len > 64 ? "have length less than or equal to 64"
                                : "satisfy regular expression pattern: [a-zA-Z0-9-_]+");
        return;
    }
    kv_slice_t policy_in = api_json_str(api_json_get(in, "Policy"));
    kv_slice_t action = api_json_str(api_json_get(in, "Action"));
    kv_slice_t principal = api_json_str(api_json_get(in, "Principal"));
    const api_json_t *cond = api_json_get(in, "Condition");
    bool remove_all = api_json_bool(api_json_get(in, "RemoveAllPermissions"));
    char barn[512];
    events_bus_arn(ctx, bus, barn, sizeof(barn));
    kv_buf_t out;
    kv_buf_init(&out, 4096);
    pthread_mutex_lock(&perm_lock);
    eng_evbus_t *b;
    int rc = eng_evbus_get(ctx->eng, bus, a, &b);
    if (rc == KV_ENOTFOUND) {
        api_refuse(resp, API_E_EVENTS_NOT_FOUND, "Event bus %.*s does not exist.", (int)bus.len,
                   (const char *)bus.p);
        goto out;
    }
    if (rc < 0) {
        api_refuse(resp, API_E_EVENTS_INTERNAL, "%s", kv_err_str(rc));
        goto out;
    }
    api_json_t *old = NULL;
    const char *jerr;
    if (b->policy)
        api_json_parse(a, kv_slice_str(b->policy), &old, &jerr);
    const char *stored = NULL;
    if (add && policy_in.p) {
        /* a whole document replaces the policy */
        if (policy_in.len > EVENTS_POLICY_MAX) {
            api_refuse(resp, API_E_EVENTS_POLICY_LENGTH, "Policy length exceeded.");
            goto out;
        }
        const char *err = NULL;
        pol_t *p = pol_parse(policy_in, POL_RESOURCE, a, &err);
        if (p == NULL) {
            api_refuse(resp, API_E_EVENTS_VALIDATION, "%s", err ? err : "Invalid policy.");
            goto out;
        }
        pol_free(p);
        stored = kv_arena_strndup(a, policy_in.p, policy_in.len);
    } else if (add) {
        if (!has_sid) {
            validation(resp, "statementId", KV_SLICE_LIT("null"), "not be null");
            goto out;
        }
        if (action.len < 1 || action.len > 64 || !kv_slice_starts_with(action, "events:") ||
            action.len == 7 || !chars_in(kv_slice(action.p + 7, action.len - 7), "")) {
            validation(resp, "action", action,
                       "satisfy regular expression pattern: events:[a-zA-Z]+");
            goto out;
        }
        bool star = kv_slice_eq_str(principal, "*");
        bool digits = principal.len == 12;
        for (size_t i = 0; digits && i < 12; i++)
            digits = principal.p[i] >= '0' && principal.p[i] <= '9';
        if (!star && !digits) {
            validation(resp, "principal", principal,
                       "satisfy regular expression pattern: (\\d{12}|\\*)");
            goto out;
        }
        kv_slice_t ct = api_json_str(api_json_get(cond, "Type")),
                   ck = api_json_str(api_json_get(cond, "Key")),
                   cv = api_json_str(api_json_get(cond, "Value"));
        if (cond && (!kv_slice_eq_str(ct, "StringEquals") ||
                     !kv_slice_eq_nocase(ck, "aws:PrincipalOrgID") || cv.len == 0)) {
            api_refuse(resp, API_E_EVENTS_VALIDATION,
                       "Condition Type must be StringEquals and Key must be aws:PrincipalOrgID.");
            goto out;
        }
        api_jw_t w2;
        api_jw_init(&w2, &out);
        api_jw_obj_begin(&w2);
        api_jw_kstr(&w2, "Version", "2012-10-17");
        api_jw_key(&w2, "Statement");
        api_jw_arr_begin(&w2);
        if (copy_statements(&w2, old, sid)) {
            api_refuse(resp, API_E_EVENTS_EXISTS, "Statement with the provided id already exists.");
            goto out;
        }
        api_jw_obj_begin(&w2);
        api_jw_key(&w2, "Sid");
        api_jw_str(&w2, sid);
        api_jw_kstr(&w2, "Effect", "Allow");
        api_jw_key(&w2, "Principal");
        if (star) {
            api_jw_cstr(&w2, "*");
        } else {
            api_jw_obj_begin(&w2);
            api_jw_kstr(
                &w2, "AWS",
                kv_arena_printf(a, "arn:aws:iam::%.*s:root", 12, (const char *)principal.p));
            api_jw_obj_end(&w2);
        }
        api_jw_key(&w2, "Action");
        api_jw_str(&w2, action);
        api_jw_kstr(&w2, "Resource", barn);
        if (cond) {
            api_jw_key(&w2, "Condition");
            api_jw_obj_begin(&w2);
            api_jw_key(&w2, "StringEquals");
            api_jw_obj_begin(&w2);
            api_jw_kstr(&w2, "aws:PrincipalOrgID", kv_arena_strndup(a, cv.p, cv.len));
            api_jw_obj_end(&w2);
            api_jw_obj_end(&w2);
        }
        api_jw_obj_end(&w2);
        api_jw_arr_end(&w2);
        api_jw_obj_end(&w2);
        if (!api_jw_ok(&w2) || out.len > EVENTS_POLICY_MAX) {
            api_refuse(resp, API_E_EVENTS_POLICY_LENGTH, "Policy length exceeded.");
            goto out;
        }
        stored = kv_arena_strndup(a, out.p, out.len);
    } else if (!remove_all) {
        if (!has_sid) {
            validation(resp, "statementId", KV_SLICE_LIT("null"), "not be null");
            goto out;
        }
        api_jw_t w2;
        api_jw_init(&w2, &out);
        api_jw_obj_begin(&w2);
        api_jw_kstr(&w2, "Version", "2012-10-17");
        api_jw_key(&w2, "Statement");
        api_jw_arr_begin(&w2);
        bool found = copy_statements(&w2, old, sid);
        api_jw_arr_end(&w2);
        api_jw_obj_end(&w2);
        if (!found) {
            api_refuse(resp, API_E_EVENTS_NOT_FOUND,
                       "Statement with the provided id does not exist.");
            goto out;
        }
        /* the last statement gone: no policy at all */
        const api_json_t *left = NULL;
        api_json_t *doc;
        if (api_json_parse(a, kv_buf_slice(&out), &doc, &jerr) == 0)
            left = api_json_get(doc, "Statement");
        stored = api_json_len(left) ? kv_arena_strndup(a, out.p, out.len) : NULL;
    } else if (b->policy == NULL) {
        api_refuse(resp, API_E_EVENTS_NOT_FOUND, "EventBus does not have a policy.");
        goto out;
    }
    if (store_policy(ctx, resp, b, stored) == 0) {
        api_jw_obj_begin(w);
        api_jw_obj_end(w);
    }
out:
    pthread_mutex_unlock(&perm_lock);
    kv_buf_dispose(&out);
}
