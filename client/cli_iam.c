/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `stratus iam`: shortcuts over IAM's and STS's query APIs for the common case of giving an
 * app, a CI job or a teammate a key that can do less than everything.
 *
 *   stratus iam create-user NAME [--allow ACTION[,ACTION...] --on ARN[,ARN...]]...
 *                                [--policy-file FILE]... [--attach POLICY-ARN]... [--group G]...
 *       creates the user (or reuses it), puts one inline policy "stratus-cli" made of the
 *       --allow/--on pairs, puts each policy file as an inline policy named after the file,
 *       attaches managed policies, adds the user to groups, creates an access key and prints it
 *       as shell export lines.
 *   stratus iam delete-user NAME
 *       deletes its access keys and inline policies, detaches its managed policies, removes it
 *       from its groups, then deletes it.
 *   stratus iam whoami
 *       the caller's identity (STS GetCallerIdentity).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/kv_alloc.h"
#include "cli.h"

typedef struct iam_conn {
    const cli_creds_t *cr;
    const char *host; /* to connect */
    int port;
    const char *hostport; /* the Host header */
} iam_conn_t;

/* Append name=value, form-encoded, to a query-protocol body. */
static void form_add(kv_buf_t *b, const char *name, const char *value)
{
    if (b->len)
        kv_buf_append_byte(b, '&');
    kv_buf_append_str(b, name);
    kv_buf_append_byte(b, '=');
    sigv4_uri_encode(b, kv_slice_str(value), true);
}

/* The text of the n-th <tag>...</tag> of xml (entities decoded) into out. @return false when
 * there is no such element. */
static bool xml_text(kv_slice_t xml, const char *tag, size_t n, kv_buf_t *out)
{
    char open[96], close[96];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    size_t ol = strlen(open), cl = strlen(close);
    const char *p = (const char *)xml.p, *end = p + xml.len;
    for (;;) {
        const char *s = memmem(p, (size_t)(end - p), open, ol);
        if (s == NULL)
            return false;
        s += ol;
        const char *e = memmem(s, (size_t)(end - s), close, cl);
        if (e == NULL)
            return false;
        if (n-- > 0) {
            p = e + cl;
            continue;
        }
        kv_buf_reset(out);
        static const struct {
            const char *ent;
            char c;
        } ents[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        while (s < e) {
            bool done = false;
            if (*s == '&') {
                for (size_t k = 0; k < sizeof(ents) / sizeof(*ents); k++) {
                    size_t el = strlen(ents[k].ent);
                    if ((size_t)(e - s) >= el && memcmp(s, ents[k].ent, el) == 0) {
                        kv_buf_append_byte(out, (uint8_t)ents[k].c);
                        s += el;
                        done = true;
                        break;
                    }
                }
            }
            if (!done)
                kv_buf_append_byte(out, (uint8_t)*s++);
        }
        kv_buf_append_byte(out, 0);
        out->len--;
        return true;
    }
}

/*
 * POST one query-protocol action to service ("iam" or "sts"); the response body goes into
 * body. @return the HTTP status, or -1 when the server could not be reached.
 */
static int call(const iam_conn_t *c, const char *service, const char *version, kv_buf_t *form,
                kv_buf_t *body)
{
    kv_buf_t full;
    kv_buf_init(&full, 1 << 20);
    kv_buf_append_str(&full, "Version=");
    kv_buf_append_str(&full, version);
    kv_buf_append_byte(&full, '&');
    kv_buf_append_slice(&full, kv_buf_slice(form));
    cli_req_t r;
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.host = c->hostport;
    r.service = service;
    r.payload = CLI_PAYLOAD_SIGNED;
    r.body = kv_buf_slice(&full);
    cli_req_header(&r, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    kv_buf_t req, raw;
    kv_buf_init(&req, 1 << 22);
    kv_buf_init(&raw, 1 << 24);
    int status = -1;
    int fd = -1;
    cli_resp_t resp;
    if (cli_build(c->cr, &r, &req) == 0 && (fd = cli_connect(c->host, c->port)) >= 0 &&
        cli_roundtrip(fd, kv_buf_slice(&req), false, &raw, &resp) == 0) {
        status = resp.status;
        kv_buf_reset(body);
        kv_buf_append_slice(body, resp.body);
    }
    if (fd >= 0)
        close(fd);
    kv_buf_dispose(&req);
    kv_buf_dispose(&raw);
    kv_buf_dispose(&full);
    kv_buf_reset(form);
    return status;
}

/* Print an error answer's Code and Message. */
static void print_error(const char *what, int status, kv_slice_t body)
{
    kv_buf_t code, msg;
    kv_buf_init(&code, 4096);
    kv_buf_init(&msg, 65536);
    if (status < 0)
        fprintf(stderr, "stratus iam: %s: cannot reach the server\n", what);
    else if (xml_text(body, "Code", 0, &code))
        fprintf(stderr, "stratus iam: %s: %s: %s\n", what, (const char *)code.p,
                xml_text(body, "Message", 0, &msg) ? (const char *)msg.p : "");
    else
        fprintf(stderr, "stratus iam: %s: HTTP %d\n", what, status);
    kv_buf_dispose(&code);
    kv_buf_dispose(&msg);
}

static bool ok(int status)
{
    return status >= 200 && status < 300;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    kv_buf_t b;
    kv_buf_init(&b, 1 << 20);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        kv_buf_append(&b, tmp, n);
    fclose(f);
    kv_buf_append_byte(&b, 0);
    if (kv_buf_failed(&b)) {
        kv_buf_dispose(&b);
        return NULL;
    }
    return (char *)b.p;
}

/* Append a JSON string array of the comma-separated items of list. */
static void json_list(kv_buf_t *b, const char *list)
{
    kv_buf_append_byte(b, '[');
    const char *p = list;
    bool first = true;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) {
            if (!first)
                kv_buf_append_byte(b, ',');
            first = false;
            kv_buf_append_byte(b, '"');
            for (size_t i = 0; i < n; i++) {
                if (p[i] == '"' || p[i] == '\\')
                    kv_buf_append_byte(b, '\\');
                kv_buf_append_byte(b, (uint8_t)p[i]);
            }
            kv_buf_append_byte(b, '"');
        }
        if (e == NULL)
            break;
        p = e + 1;
    }
    kv_buf_append_byte(b, ']');
}

/* The policy name of a file: its base name without ".json". */
static void file_policy_name(const char *path, char *out, size_t cap)
{
    const char *s = strrchr(path, '/');
    snprintf(out, cap, "%s", s ? s + 1 : path);
    size_t n = strlen(out);
    if (n > 5 && strcmp(out + n - 5, ".json") == 0)
        out[n - 5] = 0;
}

static int create_user(const iam_conn_t *c, int argc, char **argv)
{
    if (argc < 1)
        return 2;
    const char *name = argv[0];
    kv_buf_t form, body, stmts, v;
    kv_buf_init(&form, 1 << 20);
    kv_buf_init(&body, 1 << 24);
    kv_buf_init(&stmts, 1 << 20);
    kv_buf_init(&v, 1 << 20);
    int rc = 1;
    const char *allow = NULL;
    /* Check the arguments before changing anything. */
    for (int i = 1; i < argc; i += 2) {
        const char *o = argv[i];
        if (i + 1 >= argc || (strcmp(o, "--allow") != 0 && strcmp(o, "--on") != 0 &&
                              strcmp(o, "--policy-file") != 0 && strcmp(o, "--attach") != 0 &&
                              strcmp(o, "--group") != 0)) {
            rc = 2;
            goto out;
        }
        if (strcmp(o, "--allow") == 0) {
            if (allow) {
                fprintf(stderr, "stratus iam: --allow %s needs --on RESOURCES\n", allow);
                rc = 2;
                goto out;
            }
            allow = argv[i + 1];
        } else if (strcmp(o, "--on") == 0) {
            if (!allow) {
                fprintf(stderr, "stratus iam: --on without --allow\n");
                rc = 2;
                goto out;
            }
            kv_buf_append_str(&stmts, stmts.len ? "," : "");
            kv_buf_append_str(&stmts, "{\"Effect\":\"Allow\",\"Action\":");
            json_list(&stmts, allow);
            kv_buf_append_str(&stmts, ",\"Resource\":");
            json_list(&stmts, argv[i + 1]);
            kv_buf_append_byte(&stmts, '}');
            allow = NULL;
        }
    }
    if (allow) {
        fprintf(stderr, "stratus iam: --allow %s needs --on RESOURCES\n", allow);
        rc = 2;
        goto out;
    }

    form_add(&form, "Action", "CreateUser");
    form_add(&form, "UserName", name);
    int st = call(c, "iam", "2010-05-08", &form, &body);
    if (!ok(st)) {
        if (!(xml_text(kv_buf_slice(&body), "Code", 0, &v) &&
              strcmp((const char *)v.p, "EntityAlreadyExists") == 0)) {
            print_error("CreateUser", st, kv_buf_slice(&body));
            goto out;
        }
        fprintf(stderr, "stratus iam: user %s exists; adding to it\n", name);
    }
    if (stmts.len) {
        kv_buf_t doc;
        kv_buf_init(&doc, 1 << 20);
        kv_buf_append_str(&doc, "{\"Version\":\"2012-10-17\",\"Statement\":[");
        kv_buf_append_slice(&doc, kv_buf_slice(&stmts));
        kv_buf_append_str(&doc, "]}");
        kv_buf_append_byte(&doc, 0);
        form_add(&form, "Action", "PutUserPolicy");
        form_add(&form, "UserName", name);
        form_add(&form, "PolicyName", "stratus-cli");
        form_add(&form, "PolicyDocument", (const char *)doc.p);
        kv_buf_dispose(&doc);
        st = call(c, "iam", "2010-05-08", &form, &body);
        if (!ok(st)) {
            print_error("PutUserPolicy", st, kv_buf_slice(&body));
            goto out;
        }
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *val = argv[i + 1];
        const char *what = NULL;
        if (strcmp(o, "--policy-file") == 0) {
            char *text = read_all(val);
            if (text == NULL) {
                perror(val);
                goto out;
            }
            char pname[128];
            file_policy_name(val, pname, sizeof(pname));
            form_add(&form, "Action", "PutUserPolicy");
            form_add(&form, "UserName", name);
            form_add(&form, "PolicyName", pname);
            form_add(&form, "PolicyDocument", text);
            kv_free(text);
            what = "PutUserPolicy";
        } else if (strcmp(o, "--attach") == 0) {
            form_add(&form, "Action", "AttachUserPolicy");
            form_add(&form, "UserName", name);
            form_add(&form, "PolicyArn", val);
            what = "AttachUserPolicy";
        } else if (strcmp(o, "--group") == 0) {
            form_add(&form, "Action", "AddUserToGroup");
            form_add(&form, "UserName", name);
            form_add(&form, "GroupName", val);
            what = "AddUserToGroup";
        } else {
            continue;
        }
        st = call(c, "iam", "2010-05-08", &form, &body);
        if (!ok(st)) {
            print_error(what, st, kv_buf_slice(&body));
            goto out;
        }
    }
    form_add(&form, "Action", "CreateAccessKey");
    form_add(&form, "UserName", name);
    st = call(c, "iam", "2010-05-08", &form, &body);
    if (!ok(st)) {
        print_error("CreateAccessKey", st, kv_buf_slice(&body));
        goto out;
    }
    kv_buf_t sk;
    kv_buf_init(&sk, 4096);
    if (xml_text(kv_buf_slice(&body), "AccessKeyId", 0, &v) &&
        xml_text(kv_buf_slice(&body), "SecretAccessKey", 0, &sk)) {
        printf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n", (const char *)v.p,
               (const char *)sk.p);
        rc = 0;
    } else {
        fprintf(stderr, "stratus iam: CreateAccessKey: unexpected answer\n");
    }
    kv_buf_dispose(&sk);
out:
    kv_buf_dispose(&form);
    kv_buf_dispose(&body);
    kv_buf_dispose(&stmts);
    kv_buf_dispose(&v);
    return rc;
}

/* Undo one kind of attachment: list with list_action, then for each <tag> value call
 * del_action with param set to it. @return 0 or 1. */
static int undo_each(const iam_conn_t *c, const char *user, const char *list_action,
                     const char *tag, const char *del_action, const char *param)
{
    kv_buf_t form, body, v;
    kv_buf_init(&form, 1 << 20);
    kv_buf_init(&body, 1 << 24);
    kv_buf_init(&v, 1 << 20);
    int rc = 1;
    /* Each pass removes what one listing page showed: bounded by the IAM limits. */
    for (int pass = 0; pass < 100; pass++) {
        form_add(&form, "Action", list_action);
        form_add(&form, "UserName", user);
        int st = call(c, "iam", "2010-05-08", &form, &body);
        if (!ok(st)) {
            print_error(list_action, st, kv_buf_slice(&body));
            goto out;
        }
        kv_buf_t list;
        kv_buf_init(&list, 1 << 24);
        kv_buf_append_slice(&list, kv_buf_slice(&body));
        size_t n = 0;
        for (; xml_text(kv_buf_slice(&list), tag, n, &v); n++) {
            form_add(&form, "Action", del_action);
            form_add(&form, "UserName", user);
            form_add(&form, param, (const char *)v.p);
            st = call(c, "iam", "2010-05-08", &form, &body);
            if (!ok(st)) {
                print_error(del_action, st, kv_buf_slice(&body));
                kv_buf_dispose(&list);
                goto out;
            }
        }
        kv_buf_dispose(&list);
        if (n == 0) {
            rc = 0;
            break;
        }
    }
out:
    kv_buf_dispose(&form);
    kv_buf_dispose(&body);
    kv_buf_dispose(&v);
    return rc;
}

static int delete_user(const iam_conn_t *c, int argc, char **argv)
{
    if (argc != 1)
        return 2;
    const char *name = argv[0];
    /* ListUserPolicies answers <PolicyNames><member>name</member>...; the others name their
     * elements. */
    if (undo_each(c, name, "ListAccessKeys", "AccessKeyId", "DeleteAccessKey", "AccessKeyId") ||
        undo_each(c, name, "ListUserPolicies", "member", "DeleteUserPolicy", "PolicyName") ||
        undo_each(c, name, "ListAttachedUserPolicies", "PolicyArn", "DetachUserPolicy",
                  "PolicyArn") ||
        undo_each(c, name, "ListGroupsForUser", "GroupName", "RemoveUserFromGroup", "GroupName"))
        return 1;
    kv_buf_t form, body;
    kv_buf_init(&form, 1 << 20);
    kv_buf_init(&body, 1 << 24);
    form_add(&form, "Action", "DeleteUser");
    form_add(&form, "UserName", name);
    int st = call(c, "iam", "2010-05-08", &form, &body);
    int rc = ok(st) ? 0 : 1;
    if (rc)
        print_error("DeleteUser", st, kv_buf_slice(&body));
    kv_buf_dispose(&form);
    kv_buf_dispose(&body);
    return rc;
}

static int whoami(const iam_conn_t *c)
{
    kv_buf_t form, body, v;
    kv_buf_init(&form, 4096);
    kv_buf_init(&body, 1 << 20);
    kv_buf_init(&v, 4096);
    form_add(&form, "Action", "GetCallerIdentity");
    int st = call(c, "sts", "2011-06-15", &form, &body);
    int rc = 1;
    if (ok(st) && xml_text(kv_buf_slice(&body), "Arn", 0, &v)) {
        printf("%s\n", (const char *)v.p);
        rc = 0;
    } else {
        print_error("GetCallerIdentity", st, kv_buf_slice(&body));
    }
    kv_buf_dispose(&form);
    kv_buf_dispose(&body);
    kv_buf_dispose(&v);
    return rc;
}

int cli_iam_main(const cli_creds_t *cr, const char *host, int port, const char *hostport, int argc,
                 char **argv)
{
    iam_conn_t c = {cr, host, port, hostport};
    if (argc >= 1 && strcmp(argv[0], "create-user") == 0)
        return create_user(&c, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "delete-user") == 0)
        return delete_user(&c, argc - 1, argv + 1);
    if (argc == 1 && strcmp(argv[0], "whoami") == 0)
        return whoami(&c);
    return 2;
}
