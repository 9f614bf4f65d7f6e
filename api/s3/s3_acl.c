/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 ACLs and Object Ownership (issue 15, package A): the ownership of a bucket, the parsers of
 * canned ACLs, x-amz-grant-* headers and AccessControlPolicy bodies, the stored encoding of an
 * ACL (s3_acl.h), the ACLs of new buckets and objects, and s3_acl_check: what a bucket's or an
 * object's ACL grants to a principal, as S3 maps ACL permissions to actions.
 *
 * One account: the only canonical user id a grant may name is the account's (s3_owner_id);
 * an e-mail grantee cannot be resolved to it (no account here has an e-mail address), so it is
 * refused with UnresolvableGrantByEmailAddress. A grant to the account is the account's own
 * permission: it lets the root act (the root may do everything anyway) and IAM principals of
 * the account only through their identity policies, as S3 treats a grant to the bucket owner's
 * account; grants to AllUsers and AuthenticatedUsers allow by themselves.
 */
#include <string.h>

#include "s3_acl.h"
#include "s3_int.h"

#define GROUP_PRE      "http://acs.amazonaws.com/groups/"
#define URI_ALL        GROUP_PRE "global/AllUsers"
#define URI_AUTH       GROUP_PRE "global/AuthenticatedUsers"
#define URI_LOG        GROUP_PRE "s3/LogDelivery"
#define EC2_ID         "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
#define OWNERSHIP_NS   "http://s3.amazonaws.com/doc/2006-03-01/"
#define ACL_FORMAT     '1'
#define XSI_NS         "http://www.w3.org/2001/XMLSchema-instance"
#define S3_ACL_XML_MAX 200 /* Grant elements looked at (the grants are capped at 100) */

/* ---- ownership ---- */

static const char *const own_names[] = {"BucketOwnerEnforced", "BucketOwnerPreferred",
                                        "ObjectWriter"};

static const char *const own_docs[] = {
    "<OwnershipControls xmlns=\"" OWNERSHIP_NS "\"><Rule><ObjectOwnership>BucketOwnerEnforced"
    "</ObjectOwnership></Rule></OwnershipControls>",
    "<OwnershipControls xmlns=\"" OWNERSHIP_NS "\"><Rule><ObjectOwnership>BucketOwnerPreferred"
    "</ObjectOwnership></Rule></OwnershipControls>",
    "<OwnershipControls xmlns=\"" OWNERSHIP_NS "\"><Rule><ObjectOwnership>ObjectWriter"
    "</ObjectOwnership></Rule></OwnershipControls>"};

const char *s3_ownership_doc(s3_ownership_t o)
{
    return own_docs[o <= S3_OWN_WRITER ? o : 0];
}

const char *s3_ownership_name(s3_ownership_t o)
{
    return own_names[o <= S3_OWN_WRITER ? o : 0];
}

bool s3_ownership_parse(kv_slice_t v, s3_ownership_t *out)
{
    for (int i = 0; i < 3; i++)
        if (kv_slice_eq_str(v, own_names[i])) {
            *out = (s3_ownership_t)i;
            return true;
        }
    return false;
}

s3_ownership_t s3_ownership(const eng_bucket_t *b, bool *set)
{
    if (set)
        *set = true;
    kv_slice_t d = b ? b->docs[ENG_BDOC_OWNERSHIP] : KV_SLICE_NULL;
    if (d.len == 0)
        return S3_OWN_ENFORCED;
    /* Only this file writes the document: one of the names, or S3_OWNERSHIP_NONE. */
    for (int i = 0; i < 3; i++)
        if (memmem(d.p, d.len, own_names[i], strlen(own_names[i])))
            return (s3_ownership_t)i;
    if (set)
        *set = false;
    return S3_OWN_WRITER;
}

int s3_ownership_xml(kv_arena_t *a, kv_slice_t xml, s3_ownership_t *out)
{
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 || strcmp(root->name, "OwnershipControls") != 0)
        return -1;
    int rules = 0;
    for (api_xnode_t *r = root->child; r; r = r->next) {
        if (strcmp(r->name, "Rule") != 0 || ++rules > 1)
            return -1;
        int n = 0;
        for (api_xnode_t *c = r->child; c; c = c->next)
            if (strcmp(c->name, "ObjectOwnership") != 0 || ++n > 1 ||
                !s3_ownership_parse(kv_slice_trim(c->text), out))
                return -1;
        if (n != 1)
            return -1;
    }
    return rules == 1 ? 0 : -1;
}

/* ---- the encoding ---- */

static bool valid_perm(char p)
{
    return p == S3_ACLP_READ || p == S3_ACLP_WRITE || p == S3_ACLP_READ_ACP ||
           p == S3_ACLP_WRITE_ACP || p == S3_ACLP_FULL;
}

static bool valid_grantee(char g)
{
    return g == S3_ACLG_OWNER || g == S3_ACLG_ALL || g == S3_ACLG_AUTH || g == S3_ACLG_LOG ||
           g == S3_ACLG_EC2;
}

static void set_default(s3_acl_t *acl)
{
    acl->n = 1;
    acl->g[0] = (s3_grant_t){S3_ACLP_FULL, S3_ACLG_OWNER};
}

int s3_acl_decode(kv_slice_t enc, s3_acl_t *out)
{
    if (enc.len == 0) {
        set_default(out);
        return 0;
    }
    out->n = 0;
    if (enc.p[0] != ACL_FORMAT || (enc.len - 1) % 2 != 0 || (enc.len - 1) / 2 > S3_ACL_GRANTS_MAX)
        return -1;
    for (size_t i = 1; i + 1 < enc.len; i += 2) {
        char p = (char)enc.p[i], g = (char)enc.p[i + 1];
        if (!valid_perm(p) || !valid_grantee(g))
            return -1;
        out->g[out->n++] = (s3_grant_t){p, g};
    }
    return 0;
}

bool s3_acl_owner_only(const s3_acl_t *acl)
{
    return acl->n == 1 && acl->g[0].perm == S3_ACLP_FULL && acl->g[0].grantee == S3_ACLG_OWNER;
}

void s3_acl_encode(const s3_acl_t *acl, kv_buf_t *out)
{
    if (s3_acl_owner_only(acl))
        return;
    kv_buf_append(out, &(char){ACL_FORMAT}, 1);
    for (size_t i = 0; i < acl->n; i++) {
        char two[2] = {acl->g[i].perm, acl->g[i].grantee};
        kv_buf_append(out, two, 2);
    }
}

bool s3_acl_is_public(const s3_acl_t *acl)
{
    for (size_t i = 0; i < acl->n; i++)
        if (acl->g[i].grantee == S3_ACLG_ALL || acl->g[i].grantee == S3_ACLG_AUTH)
            return true;
    return false;
}

/* Add a grant (an exact duplicate is kept once, as S3 lists it once). */
static api_err_t add(s3_acl_t *acl, char perm, char grantee, const char **msg)
{
    for (size_t i = 0; i < acl->n; i++)
        if (acl->g[i].perm == perm && acl->g[i].grantee == grantee)
            return API_E_NONE;
    if (acl->n == S3_ACL_GRANTS_MAX) {
        *msg = NULL;
        return API_E_S3_MALFORMED_ACL;
    }
    acl->g[acl->n++] = (s3_grant_t){perm, grantee};
    return API_E_NONE;
}

/* ---- canned ACLs ---- */

bool s3_acl_canned(kv_slice_t name, s3_acl_t *out)
{
    set_default(out);
    if (kv_slice_eq_str(name, "private") || kv_slice_eq_str(name, "bucket-owner-read") ||
        kv_slice_eq_str(name, "bucket-owner-full-control"))
        return true; /* the object's writer is the bucket's owner: its full control alone */
    if (kv_slice_eq_str(name, "public-read")) {
        out->g[out->n++] = (s3_grant_t){S3_ACLP_READ, S3_ACLG_ALL};
    } else if (kv_slice_eq_str(name, "public-read-write")) {
        out->g[out->n++] = (s3_grant_t){S3_ACLP_READ, S3_ACLG_ALL};
        out->g[out->n++] = (s3_grant_t){S3_ACLP_WRITE, S3_ACLG_ALL};
    } else if (kv_slice_eq_str(name, "authenticated-read")) {
        out->g[out->n++] = (s3_grant_t){S3_ACLP_READ, S3_ACLG_AUTH};
    } else if (kv_slice_eq_str(name, "aws-exec-read")) {
        out->g[out->n++] = (s3_grant_t){S3_ACLP_READ, S3_ACLG_EC2};
    } else if (kv_slice_eq_str(name, "log-delivery-write")) {
        out->g[out->n++] = (s3_grant_t){S3_ACLP_WRITE, S3_ACLG_LOG};
        out->g[out->n++] = (s3_grant_t){S3_ACLP_READ_ACP, S3_ACLG_LOG};
    } else {
        return false;
    }
    return true;
}

/* ---- grantees ---- */

static api_err_t grantee_id(kv_slice_t id, const char *owner, char *g, const char **msg)
{
    if (kv_slice_eq_str(id, owner)) {
        *g = S3_ACLG_OWNER;
        return API_E_NONE;
    }
    if (kv_slice_eq_str(id, EC2_ID)) {
        *g = S3_ACLG_EC2;
        return API_E_NONE;
    }
    *msg = "Invalid id";
    return API_E_S3_INVALID_ARGUMENT;
}

static api_err_t grantee_uri(kv_slice_t uri, char *g, const char **msg)
{
    if (kv_slice_eq_str(uri, URI_ALL))
        *g = S3_ACLG_ALL;
    else if (kv_slice_eq_str(uri, URI_AUTH))
        *g = S3_ACLG_AUTH;
    else if (kv_slice_eq_str(uri, URI_LOG))
        *g = S3_ACLG_LOG;
    else {
        *msg = "Invalid group uri";
        return API_E_S3_INVALID_ARGUMENT;
    }
    return API_E_NONE;
}

static api_err_t grantee_email(const char **msg)
{
    /* No account here has an e-mail address: none can be resolved. */
    *msg = NULL;
    return API_E_S3_UNRESOLVABLE_EMAIL;
}

/* ---- x-amz-grant-* headers ---- */

api_err_t s3_acl_grant_header(kv_slice_t value, char perm, const char *owner, s3_acl_t *acl,
                              const char **msg)
{
    *msg = NULL;
    size_t i = 0, n = value.len;
    const uint8_t *p = value.p;
    bool any = false;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t ns = i;
        while (i < n && p[i] != '=' && p[i] != ',')
            i++;
        if (i == n || p[i] != '=') {
            *msg = "Argument format not recognized";
            return API_E_S3_INVALID_ARGUMENT;
        }
        kv_slice_t name = kv_slice_trim(kv_slice(p + ns, i - ns));
        i++; /* '=' */
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        kv_slice_t v;
        if (i < n && p[i] == '"') {
            size_t vs = ++i;
            while (i < n && p[i] != '"')
                i++;
            if (i == n) {
                *msg = "Argument format not recognized";
                return API_E_S3_INVALID_ARGUMENT;
            }
            v = kv_slice(p + vs, i - vs);
            i++;
        } else {
            size_t vs = i;
            while (i < n && p[i] != ',')
                i++;
            v = kv_slice_trim(kv_slice(p + vs, i - vs));
        }
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i < n && p[i] != ',') {
            *msg = "Argument format not recognized";
            return API_E_S3_INVALID_ARGUMENT;
        }
        if (i < n)
            i++; /* ',' */
        char g = 0;
        api_err_t e;
        if (kv_slice_eq_nocase(name, "id"))
            e = grantee_id(v, owner, &g, msg);
        else if (kv_slice_eq_nocase(name, "uri"))
            e = grantee_uri(v, &g, msg);
        else if (kv_slice_eq_nocase(name, "emailAddress"))
            e = grantee_email(msg);
        else {
            *msg = "Argument format not recognized";
            e = API_E_S3_INVALID_ARGUMENT;
        }
        if (e == API_E_NONE)
            e = add(acl, perm, g, msg);
        if (e != API_E_NONE)
            return e;
        any = true;
    }
    if (!any) {
        *msg = "Argument format not recognized";
        return API_E_S3_INVALID_ARGUMENT;
    }
    return API_E_NONE;
}

/* ---- AccessControlPolicy ---- */

static bool perm_name(kv_slice_t v, char *out)
{
    static const struct {
        const char *name;
        char perm;
    } perms[] = {{"READ", S3_ACLP_READ},
                 {"WRITE", S3_ACLP_WRITE},
                 {"READ_ACP", S3_ACLP_READ_ACP},
                 {"WRITE_ACP", S3_ACLP_WRITE_ACP},
                 {"FULL_CONTROL", S3_ACLP_FULL}};
    for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++)
        if (kv_slice_eq_str(v, perms[i].name)) {
            *out = perms[i].perm;
            return true;
        }
    return false;
}

api_err_t s3_acl_xml(kv_arena_t *a, kv_slice_t xml, const char *owner, s3_acl_t *acl,
                     const char **msg)
{
    *msg = NULL;
    acl->n = 0;
    api_xnode_t *root;
    if (api_xml_parse(a, xml, &root) < 0 || strcmp(root->name, "AccessControlPolicy") != 0)
        return API_E_S3_MALFORMED_ACL;
    api_xnode_t *own = api_xml_child(root, "Owner");
    api_xnode_t *own_id = own ? api_xml_child(own, "ID") : NULL;
    if (own_id == NULL)
        return API_E_S3_MALFORMED_ACL;
    if (!kv_slice_eq_str(kv_slice_trim(own_id->text), owner)) {
        *msg = "Invalid id";
        return API_E_S3_INVALID_ARGUMENT;
    }
    api_xnode_t *list = api_xml_child(root, "AccessControlList");
    size_t seen = 0;
    for (api_xnode_t *gr = list ? list->child : NULL; gr; gr = gr->next) {
        if (strcmp(gr->name, "Grant") != 0 || ++seen > S3_ACL_XML_MAX)
            return API_E_S3_MALFORMED_ACL;
        api_xnode_t *who = api_xml_child(gr, "Grantee");
        api_xnode_t *perm = api_xml_child(gr, "Permission");
        char p;
        if (who == NULL || perm == NULL || !perm_name(kv_slice_trim(perm->text), &p))
            return API_E_S3_MALFORMED_ACL;
        /* The grantee's kind (xsi:type) shows in which of ID, URI, EmailAddress it has. */
        api_xnode_t *id = api_xml_child(who, "ID"), *uri = api_xml_child(who, "URI");
        api_xnode_t *mail = api_xml_child(who, "EmailAddress");
        if ((id != NULL) + (uri != NULL) + (mail != NULL) != 1)
            return API_E_S3_MALFORMED_ACL;
        char g = 0;
        api_err_t e = id    ? grantee_id(kv_slice_trim(id->text), owner, &g, msg)
                      : uri ? grantee_uri(kv_slice_trim(uri->text), &g, msg)
                            : grantee_email(msg);
        if (e == API_E_NONE)
            e = add(acl, p, g, msg);
        if (e != API_E_NONE)
            return e;
    }
    return API_E_NONE;
}

/* ---- requests ---- */

static const struct {
    const char *header;
    char perm;
} grant_headers[] = {
    {"x-amz-grant-read", S3_ACLP_READ},         {"x-amz-grant-write", S3_ACLP_WRITE},
    {"x-amz-grant-read-acp", S3_ACLP_READ_ACP}, {"x-amz-grant-write-acp", S3_ACLP_WRITE_ACP},
    {"x-amz-grant-full-control", S3_ACLP_FULL},
};
#define N_GRANT_HEADERS (sizeof(grant_headers) / sizeof(grant_headers[0]))

int s3_acl_from_request(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, s3_acl_t *acl, bool *has)
{
    *has = false;
    acl->n = 0;
    bool grants = false;
    for (size_t i = 0; i < N_GRANT_HEADERS; i++)
        grants |= api_req_has_header(req, grant_headers[i].header);
    if (api_req_has_header(req, "x-amz-acl")) {
        if (grants) {
            api_fail(resp, API_E_S3_INVALID_REQUEST,
                     "Specifying both Canned ACLs and Header Grants is not allowed");
            return -1;
        }
        if (!s3_acl_canned(kv_slice_trim(api_req_header(req, "x-amz-acl")), acl)) {
            api_fail(resp, API_E_S3_INVALID_ARGUMENT, NULL);
            return -1;
        }
        *has = true;
        return 0;
    }
    if (!grants)
        return 0;
    char owner[65];
    s3_owner_id(ctx, owner);
    for (size_t i = 0; i < N_GRANT_HEADERS; i++) {
        /* A repeated header is one list (the HTTP layer keeps each occurrence). */
        for (size_t h = 0; h < req->n_hdrs; h++) {
            if (!kv_slice_eq_nocase(req->hdrs[h].name, grant_headers[i].header))
                continue;
            const char *msg;
            api_err_t e =
                s3_acl_grant_header(req->hdrs[h].value, grant_headers[i].perm, owner, acl, &msg);
            if (e != API_E_NONE) {
                if (msg)
                    api_fail(resp, e, "%s", msg);
                else
                    api_fail(resp, e, NULL);
                return -1;
            }
        }
    }
    *has = true;
    return 0;
}

/* BlockPublicAcls: a public ACL is refused (403 AccessDenied, as S3 answers). */
static int block_public(api_ctx_t *ctx, api_resp_t *resp, const eng_bucket_t *b,
                        const s3_acl_t *acl)
{
    if (!s3_acl_is_public(acl))
        return 0;
    s3_pab_t pab;
    s3_pab_effective(ctx, b, &pab);
    if (!pab.block_public_acls)
        return 0;
    api_fail(resp, API_E_S3_ACCESS_DENIED, NULL);
    return -1;
}

/* A new object's ACL acl against b's ownership and Block Public Access; *out its encoding. */
static int object_acl(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                      const s3_acl_t *acl, kv_slice_t *out)
{
    if (s3_ownership(b, NULL) == S3_OWN_ENFORCED) {
        if (!s3_acl_owner_only(acl)) {
            api_fail(resp, API_E_S3_ACL_NOT_SUPPORTED, NULL);
            return -1;
        }
        return 0; /* ACLs disabled: nothing is stored */
    }
    if (block_public(ctx, resp, b, acl) < 0)
        return -1;
    kv_buf_t enc;
    kv_buf_init(&enc, 1 + 2 * acl->n);
    s3_acl_encode(acl, &enc);
    *out = kv_arena_dup(req->arena, kv_buf_slice(&enc));
    kv_buf_dispose(&enc);
    return 0;
}

int s3_acl_for_object(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                      kv_slice_t *out)
{
    *out = KV_SLICE_NULL;
    s3_acl_t *acl = kv_arena_alloc(req->arena, sizeof(*acl));
    bool has;
    if (s3_acl_from_request(ctx, req, resp, acl, &has) < 0)
        return -1;
    return has ? object_acl(ctx, req, resp, b, acl, out) : 0;
}

int s3_acl_for_post(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, const eng_bucket_t *b,
                    kv_slice_t canned, kv_slice_t *out)
{
    *out = KV_SLICE_NULL;
    s3_acl_t *acl = kv_arena_alloc(req->arena, sizeof(*acl));
    if (!s3_acl_canned(kv_slice_trim(canned), acl)) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, NULL);
        return -1;
    }
    return object_acl(ctx, req, resp, b, acl, out);
}

int s3_acl_create_bucket(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp, eng_bucket_t *b)
{
    s3_ownership_t own = S3_OWN_ENFORCED;
    kv_slice_t oh = kv_slice_trim(api_req_header(req, "x-amz-object-ownership"));
    if (api_req_has_header(req, "x-amz-object-ownership") && !s3_ownership_parse(oh, &own)) {
        api_fail(resp, API_E_S3_INVALID_ARGUMENT, "Invalid x-amz-object-ownership header: %.*s",
                 (int)(oh.len > 64 ? 64 : oh.len), (const char *)oh.p);
        return -1;
    }
    if (own != S3_OWN_ENFORCED)
        b->docs[ENG_BDOC_OWNERSHIP] = kv_slice_str(own_docs[own]);
    s3_acl_t *acl = kv_arena_alloc(req->arena, sizeof(*acl));
    bool has;
    if (s3_acl_from_request(ctx, req, resp, acl, &has) < 0)
        return -1;
    if (!has || s3_acl_owner_only(acl))
        return 0;
    if (own == S3_OWN_ENFORCED) {
        api_fail(resp, API_E_S3_ACL_OWNERSHIP, NULL);
        return -1;
    }
    /* A new bucket's Block Public Access is on: a public ACL cannot come with it. */
    if (s3_acl_is_public(acl)) {
        api_fail(resp, API_E_S3_ACL_BLOCKED, NULL);
        return -1;
    }
    kv_buf_t enc;
    kv_buf_init(&enc, 1 + 2 * acl->n);
    s3_acl_encode(acl, &enc);
    b->docs[ENG_BDOC_ACL] = kv_arena_dup(req->arena, kv_buf_slice(&enc));
    kv_buf_dispose(&enc);
    return 0;
}

/* ---- Get*Acl ---- */

static const char *perm_wire(char p)
{
    switch (p) {
    case S3_ACLP_READ:
        return "READ";
    case S3_ACLP_WRITE:
        return "WRITE";
    case S3_ACLP_READ_ACP:
        return "READ_ACP";
    case S3_ACLP_WRITE_ACP:
        return "WRITE_ACP";
    default:
        return "FULL_CONTROL";
    }
}

void s3_acl_render(api_ctx_t *ctx, api_resp_t *resp, const s3_acl_t *acl)
{
    s3_acl_t def;
    if (acl == NULL) {
        set_default(&def);
        acl = &def;
    }
    char owner[65];
    s3_owner_id(ctx, owner);
    api_xw_t w;
    api_xw_begin(&w, &resp->body, "AccessControlPolicy", true);
    s3_xml_owner(&w, "Owner", owner);
    api_xw_open(&w, "AccessControlList");
    for (size_t i = 0; i < acl->n; i++) {
        char g = acl->g[i].grantee;
        bool user = g == S3_ACLG_OWNER || g == S3_ACLG_EC2;
        api_xw_open(&w, "Grant");
        kv_buf_append_str(&resp->body, "<Grantee xmlns:xsi=\"" XSI_NS "\" xsi:type=\"");
        kv_buf_append_str(&resp->body, user ? "CanonicalUser\">" : "Group\">");
        if (g == S3_ACLG_OWNER) {
            api_xw_elem_str(&w, "ID", owner);
            api_xw_elem_str(&w, "DisplayName", "stratus");
        } else if (g == S3_ACLG_EC2) {
            api_xw_elem_str(&w, "ID", EC2_ID);
        } else {
            api_xw_elem_str(&w, "URI",
                            g == S3_ACLG_ALL    ? URI_ALL
                            : g == S3_ACLG_AUTH ? URI_AUTH
                                                : URI_LOG);
        }
        kv_buf_append_str(&resp->body, "</Grantee>");
        api_xw_elem_str(&w, "Permission", perm_wire(acl->g[i].perm));
        api_xw_close(&w, "Grant");
    }
    api_xw_close(&w, "AccessControlList");
    api_xw_close(&w, "AccessControlPolicy");
    api_resp_header(resp, "Content-Type", KV_SLICE_LIT("application/xml"));
}

/* ---- what an ACL grants ---- */

/* The permission an action needs, and whether it is the object's ACL that answers. */
static char needed(const char *action, bool *object)
{
    static const struct {
        const char *action;
        char perm;
        bool object;
    } map[] = {
        {"s3:ListBucket", S3_ACLP_READ, false},
        {"s3:ListBucketVersions", S3_ACLP_READ, false},
        {"s3:ListBucketMultipartUploads", S3_ACLP_READ, false},
        {"s3:PutObject", S3_ACLP_WRITE, false},
        {"s3:DeleteObject", S3_ACLP_WRITE, false},
        {"s3:GetBucketAcl", S3_ACLP_READ_ACP, false},
        {"s3:PutBucketAcl", S3_ACLP_WRITE_ACP, false},
        {"s3:GetObject", S3_ACLP_READ, true},
        {"s3:GetObjectVersion", S3_ACLP_READ, true},
        {"s3:GetObjectAcl", S3_ACLP_READ_ACP, true},
        {"s3:GetObjectVersionAcl", S3_ACLP_READ_ACP, true},
        {"s3:PutObjectAcl", S3_ACLP_WRITE_ACP, true},
        {"s3:PutObjectVersionAcl", S3_ACLP_WRITE_ACP, true},
    };
    for (size_t i = 0; action && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(action, map[i].action) == 0) {
            *object = map[i].object;
            return map[i].perm;
        }
    return 0;
}

static bool grantee_is(char g, const api_principal_t *p, bool ignore_public)
{
    switch (g) {
    case S3_ACLG_ALL:
        return !ignore_public;
    case S3_ACLG_AUTH:
        return !ignore_public && p->kind != API_PR_ANON;
    case S3_ACLG_OWNER:
        /* The account itself; its IAM principals act only through their own policies. */
        return p->kind == API_PR_ROOT || p->kind == API_PR_ROOT_SESSION;
    case S3_ACLG_LOG:
        return p->kind == API_PR_SERVICE && kv_slice_eq_str(p->service, "logging.s3.amazonaws.com");
    default:
        return false; /* EC2 acts nowhere here */
    }
}

bool s3_acl_wants_object(const eng_bucket_t *b, const char *action)
{
    if (b == NULL || s3_ownership(b, NULL) == S3_OWN_ENFORCED)
        return false;
    bool object = false;
    return needed(action, &object) != 0 && object;
}

api_acl_verdict_t s3_acl_check(api_ctx_t *ctx, const eng_bucket_t *b, const eng_object_t *o,
                               const api_principal_t *p, const char *action, bool ignore_public)
{
    (void)ctx;
    if (b == NULL || p == NULL || s3_ownership(b, NULL) == S3_OWN_ENFORCED)
        return API_ACL_NONE;
    bool object = false;
    char need = needed(action, &object);
    if (need == 0 || (object && o == NULL))
        return API_ACL_NONE;
    s3_acl_t acl;
    if (s3_acl_decode(object ? o->acl : b->docs[ENG_BDOC_ACL], &acl) < 0)
        return API_ACL_NONE; /* unreadable: grants nothing (fail closed) */
    for (size_t i = 0; i < acl.n; i++)
        if ((acl.g[i].perm == need || acl.g[i].perm == S3_ACLP_FULL) &&
            grantee_is(acl.g[i].grantee, p, ignore_public))
            return API_ACL_ALLOW;
    return API_ACL_NONE;
}
