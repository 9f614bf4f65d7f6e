/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy language (api/authz/pol.c, pol_eval.c) and the decision (api/authz/api_authz.c):
 * parse errors and IAM's messages, AWS's documented evaluation rules one row per case,
 * principals, public policies, the cache, api_decide's combinations of identity, resource,
 * boundary and session policies, the global condition keys; and a printed (not asserted)
 * timing of ten policies with conditions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "authz/api_authz.h"
#include "authz/pol.h"
#include "base/kv_arena.h"
#include "base/kv_time.h"
#include "codec/api_json_r.h"

#define ACCT        "000000000000"
#define ALICE       "arn:aws:iam::" ACCT ":user/alice"
#define BOB         "arn:aws:iam::" ACCT ":user/bob"
#define ROLE        "arn:aws:iam::" ACCT ":role/R"
#define SESSION     "arn:aws:sts::" ACCT ":assumed-role/R/s1"
#define ROOT        "arn:aws:iam::" ACCT ":root"
#define V12         "{\"Version\":\"2012-10-17\",\"Statement\":"
#define ALLOW(a, r) "{\"Effect\":\"Allow\",\"Action\":" a ",\"Resource\":" r "}"

/* ---- Parsing ---- */

typedef struct parse_case {
    pol_kind_t kind;
    const char *text;
    const char *err; /* NULL: valid; else the message's prefix */
} parse_case_t;

static const parse_case_t PARSE[] = {
    {POL_IDENTITY, "not json", "Syntax errors in policy."},
    {POL_IDENTITY, "[]", "Syntax errors in policy."},
    {POL_IDENTITY, "{\"Version\":\"2012-10-17\"}", "Missing required field Statement"},
    {POL_IDENTITY, "{\"Version\":\"2012-10-18\",\"Statement\":[]}",
     "The policy failed legacy parsing"},
    {POL_IDENTITY, V12 "[{\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "Missing required field Effect"},
    {POL_IDENTITY, V12 "[{\"Effect\":\"Allowed\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "Invalid effect: Allowed"},
    {POL_IDENTITY,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "Policy document should not specify a principal."},
    {POL_RESOURCE, V12 "[" ALLOW("\"s3:*\"", "\"*\"") "]}", "Missing required field Principal"},
    {POL_TRUST,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},"
         "\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}]}",
     "Has prohibited field Resource"},
    {POL_IDENTITY, V12 "[{\"Effect\":\"Allow\",\"Resource\":\"*\"}]}",
     "Policy statement must contain actions."},
    {POL_IDENTITY, V12 "[" ALLOW("[]", "\"*\"") "]}", "Policy statement must contain actions."},
    {POL_IDENTITY, V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}]}",
     "Policy statement must contain resources."},
    {POL_IDENTITY, V12 "[" ALLOW("\"GetObject\"", "\"*\"") "]}",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
    {POL_IDENTITY, V12 "[" ALLOW("\"s3:Get:Object\"", "\"*\"") "]}",
     "Actions/Condition can contain only one colon."},
    {POL_IDENTITY,
     V12 "[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
         "{\"Sid\":\"A\",\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "Statement IDs (SID) in a single policy must be unique."},
    {POL_IDENTITY,
     V12 "[{\"Sid\":\"a b\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "Statement IDs (SID) must be alpha-numeric."},
    {POL_IDENTITY, V12 "[{\"Effect\":\"Allow\",\"Actions\":\"s3:*\",\"Resource\":\"*\"}]}",
     "Syntax errors in policy."},
    {POL_IDENTITY, V12 "[" ALLOW("\"s3:*\"", "{\"a\":1}") "]}", "Syntax errors in policy."},
    {POL_IDENTITY, V12 "[" ALLOW("\"s3:*\"", "\"bucket\"") "]}",
     "Resource bucket must be in ARN format or \"*\"."},
    {POL_RESOURCE,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"bob\"},\"Action\":\"s3:*\","
         "\"Resource\":\"*\"}]}",
     "Invalid principal in policy: \"AWS\":\"bob\""},
    {POL_RESOURCE,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT
         ":user/*\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "Invalid principal in policy"},
    {POL_RESOURCE,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":\"someone\",\"Action\":\"s3:*\","
         "\"Resource\":\"*\"}]}",
     "Invalid principal in policy"},
    {POL_RESOURCE,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":{\"Robot\":\"x\"},\"Action\":\"s3:*\","
         "\"Resource\":\"*\"}]}",
     "Invalid principal in policy"},
    {POL_IDENTITY,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
         "{\"StringEqualz\":{\"aws:username\":\"a\"}}}]}",
     "Invalid Condition type : StringEqualz"},
    {POL_IDENTITY,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
         "{\"NullIfExists\":{\"aws:username\":\"true\"}}}]}",
     "Invalid Condition type : NullIfExists"},
    {POL_IDENTITY,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
         "{\"StringEquals\":{\"username\":\"a\"}}}]}",
     "Actions/Conditions must be prefaced by a vendor"},
    {POL_IDENTITY,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
         "{\"IpAddress\":{\"aws:SourceIp\":\"not-an-ip\"}}}]}",
     "Invalid Condition value: not-an-ip for IpAddress"},
    {POL_IDENTITY,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":"
         "{\"StringEquals\":{\"aws:username\":{\"a\":1}}}}]}",
     "Syntax errors in policy."},
    {POL_IDENTITY, "{\"Statement\":[],\"Extra\":1}", "Syntax errors in policy."},
    /* Valid documents. */
    {POL_IDENTITY, "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
     NULL},
    {POL_IDENTITY, "{\"Version\":\"2008-10-17\",\"Id\":\"x\",\"Statement\":[]}", NULL},
    {POL_RESOURCE,
     V12 "[{\"Sid\":\"public read\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
         "\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"},{\"Sid\":\"public read\","
         "\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":[\"" ACCT "\",\"" ALICE
         "\"]},\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     NULL},
    {POL_TRUST,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"lambda.amazonaws.com\"],"
         "\"AWS\":\"" ROOT "\"},\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"]}]}",
     NULL},
    {POL_IDENTITY,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{"
         "\"ForAllValues:StringLikeIfExists\":{\"s3:prefix\":[\"a*\",\"b\"]},"
         "\"NumericLessThanEquals\":{\"s3:max-keys\":10},\"Bool\":{\"aws:SecureTransport\":"
         "true},\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"},"
         "\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"2001:db8::/32\"]},"
         "\"BinaryEquals\":{\"x:bin\":\"aGVsbG8=\"},\"Null\":{\"x:n\":\"true\"},"
         "\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:*:t\"}}}]}",
     NULL},
};

static void test_parse_errors(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    for (size_t i = 0; i < sizeof(PARSE) / sizeof(PARSE[0]); i++) {
        const parse_case_t *t = &PARSE[i];
        const char *err = NULL;
        pol_t *p = pol_parse(kv_slice_str(t->text), t->kind, a, &err);
        if (!t->err) {
            if (!p)
                fail_msg("case %zu: %s: %s", i, t->text, err);
            pol_free(p);
            continue;
        }
        if (p || !err || strncmp(err, t->err, strlen(t->err)) != 0)
            fail_msg("case %zu: %s: want \"%s\", got \"%s\"", i, t->text, t->err,
                     p ? "(parsed)" : err);
    }
    /* Beyond POL_MAX_TEXT nothing is parsed. */
    size_t n = POL_MAX_TEXT + 1;
    char *big = kv_arena_alloc(a, n);
    memset(big, ' ', n);
    const char *err;
    assert_null(pol_parse(kv_slice(big, n), POL_IDENTITY, a, &err));
    assert_string_equal(err, "Syntax errors in policy.");
    kv_arena_free(a);
}

/* ---- Evaluation of one document ---- */

typedef struct eval_case {
    const char *name;
    pol_kind_t kind;
    const char *pol;
    const char *action;
    const char *res;
    const char *who;  /* NULL/"alice", "bob", "session", "anon", "svc", "root" */
    const char *keys; /* "k=v1|v2;k2=v" */
    pol_effect_t want;
} eval_case_t;

#define ID  POL_IDENTITY
#define RES POL_RESOURCE
#define S3B "arn:aws:s3:::bucket"
#define TBL "arn:aws:dynamodb:us-east-1:" ACCT ":table/orders"
#define COND(c) \
    V12 "[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":" c "}]}"
#define DCOND(c) \
    V12 "[{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":" c "}]}"
#define RPOL(pr) \
    V12 "[{\"Effect\":\"Allow\",\"Principal\":" pr ",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"

static const eval_case_t EVAL[] = {
    /* Actions: case-insensitive, wildcards. */
    {"exact action", ID, V12 "[" ALLOW("\"s3:GetObject\"", "\"*\"") "]}", "s3:GetObject", S3B, NULL,
     NULL, POL_ALLOW},
    {"action ignores case", ID, V12 "[" ALLOW("\"S3:getobject\"", "\"*\"") "]}", "s3:GetObject",
     S3B, NULL, NULL, POL_ALLOW},
    {"action prefix", ID, V12 "[" ALLOW("\"s3:Get*\"", "\"*\"") "]}", "s3:GetObjectAcl", S3B, NULL,
     NULL, POL_ALLOW},
    {"other action", ID, V12 "[" ALLOW("\"s3:Put*\"", "\"*\"") "]}", "s3:GetObject", S3B, NULL,
     NULL, POL_NONE},
    {"action ?", ID, V12 "[" ALLOW("\"sqs:?eceiveMessage\"", "\"*\"") "]}", "sqs:ReceiveMessage",
     "*", NULL, NULL, POL_ALLOW},
    {"other service", ID, V12 "[" ALLOW("\"s3:*\"", "\"*\"") "]}", "sqs:SendMessage", "*", NULL,
     NULL, POL_NONE},
    /* Deny wins. */
    {"deny wins", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"*\"") ",{\"Effect\":\"Deny\",\"Action\":\"s3:DeleteObject\","
                                        "\"Resource\":\"*\"}]}",
     "s3:DeleteObject", S3B "/k", NULL, NULL, POL_DENY},
    {"deny elsewhere", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"*\"") ",{\"Effect\":\"Deny\",\"Action\":\"s3:DeleteObject\","
                                        "\"Resource\":\"*\"}]}",
     "s3:GetObject", S3B "/k", NULL, NULL, POL_ALLOW},
    /* NotAction, NotResource. */
    {"NotAction allow", ID,
     V12 "[{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}]}", "s3:GetObject",
     S3B, NULL, NULL, POL_ALLOW},
    {"NotAction allow excluded", ID,
     V12 "[{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}]}", "iam:CreateUser",
     "*", NULL, NULL, POL_NONE},
    {"NotAction deny", ID,
     V12 "[" ALLOW("\"*\"",
                   "\"*\"") ",{\"Effect\":\"Deny\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}]}",
     "s3:GetObject", S3B, NULL, NULL, POL_DENY},
    {"NotAction deny spares", ID,
     V12 "[" ALLOW("\"*\"",
                   "\"*\"") ",{\"Effect\":\"Deny\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}]}",
     "iam:ListUsers", "*", NULL, NULL, POL_ALLOW},
    {"NotResource", ID,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotResource\":\"" S3B "/secret/*\"}]}",
     "s3:GetObject", S3B "/secret/k", NULL, NULL, POL_NONE},
    {"NotResource other", ID,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotResource\":\"" S3B "/secret/*\"}]}",
     "s3:GetObject", S3B "/public/k", NULL, NULL, POL_ALLOW},
    /* Resources: case-sensitive, segment-aware. */
    {"resource case", ID, V12 "[" ALLOW("\"s3:*\"", "\"arn:aws:s3:::Bucket/*\"") "]}",
     "s3:GetObject", S3B "/k", NULL, NULL, POL_NONE},
    {"resource wildcard account", ID,
     V12 "[" ALLOW("\"dynamodb:*\"", "\"arn:aws:dynamodb:*:*:table/orders\"") "]}",
     "dynamodb:GetItem", TBL, NULL, NULL, POL_ALLOW},
    {"resource region prefix", ID,
     V12 "[" ALLOW("\"dynamodb:*\"", "\"arn:aws:dynamodb:us-*:" ACCT ":table/ord*\"") "]}",
     "dynamodb:GetItem", TBL, NULL, NULL, POL_ALLOW},
    {"resource rest crosses /", ID,
     V12 "[" ALLOW("\"dynamodb:*\"", "\"arn:aws:dynamodb:us-east-1:" ACCT ":table/orders*\"") "]}",
     "dynamodb:Query", TBL "/index/byDate", NULL, NULL, POL_ALLOW},
    {"segment * stays in its segment", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"arn:aws:s3:*:bucket\"") "]}", "s3:ListBucket", S3B, NULL, NULL,
     POL_NONE},
    {"resource * only for *", ID, V12 "[" ALLOW("\"s3:*\"", "\"arn:aws:s3:::*\"") "]}",
     "s3:ListAllMyBuckets", "*", NULL, NULL, POL_NONE},
    {"resource list", ID, V12 "[" ALLOW("\"s3:*\"", "[\"arn:aws:s3:::other\",\"" S3B "\"]") "]}",
     "s3:ListBucket", S3B, NULL, NULL, POL_ALLOW},
    /* Conditions: strings. */
    {"StringEquals", ID, COND("{\"StringEquals\":{\"aws:username\":\"alice\"}}"), "s3:GetObject",
     S3B, NULL, "aws:username=alice", POL_ALLOW},
    {"StringEquals other", ID, COND("{\"StringEquals\":{\"aws:username\":\"alice\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=bob", POL_NONE},
    {"StringEquals missing key", ID, COND("{\"StringEquals\":{\"aws:username\":\"alice\"}}"),
     "s3:GetObject", S3B, NULL, NULL, POL_NONE},
    {"StringEquals values case", ID, COND("{\"StringEquals\":{\"aws:username\":\"Alice\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=alice", POL_NONE},
    {"key names ignore case", ID, COND("{\"StringEquals\":{\"AWS:UserName\":\"alice\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=alice", POL_ALLOW},
    {"values OR'd", ID, COND("{\"StringEquals\":{\"aws:username\":[\"bob\",\"alice\"]}}"),
     "s3:GetObject", S3B, NULL, "aws:username=alice", POL_ALLOW},
    {"keys AND'd", ID, COND("{\"StringEquals\":{\"aws:username\":\"alice\",\"s3:prefix\":\"a\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=alice;s3:prefix=b", POL_NONE},
    {"operators AND'd", ID,
     COND("{\"StringEquals\":{\"aws:username\":\"alice\"},\"StringLike\":{\"s3:prefix\":\"a*\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=alice;s3:prefix=abc", POL_ALLOW},
    {"StringNotEquals missing key", ID, COND("{\"StringNotEquals\":{\"aws:username\":\"alice\"}}"),
     "s3:GetObject", S3B, NULL, NULL, POL_ALLOW},
    {"StringNotEquals match", ID, COND("{\"StringNotEquals\":{\"aws:username\":\"alice\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=alice", POL_NONE},
    {"IfExists missing", ID, COND("{\"StringEqualsIfExists\":{\"aws:username\":\"alice\"}}"),
     "s3:GetObject", S3B, NULL, NULL, POL_ALLOW},
    {"IfExists present", ID, COND("{\"StringEqualsIfExists\":{\"aws:username\":\"alice\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=bob", POL_NONE},
    {"IgnoreCase", ID, COND("{\"StringEqualsIgnoreCase\":{\"aws:username\":\"ALICE\"}}"),
     "s3:GetObject", S3B, NULL, "aws:username=alice", POL_ALLOW},
    {"NotEqualsIgnoreCase", ID,
     COND("{\"StringNotEqualsIgnoreCase\":{\"aws:username\":\"ALICE\"}}"), "s3:GetObject", S3B,
     NULL, "aws:username=alice", POL_NONE},
    {"StringLike", ID, COND("{\"StringLike\":{\"s3:prefix\":\"home/?/*\"}}"), "s3:ListBucket", S3B,
     NULL, "s3:prefix=home/a/docs", POL_ALLOW},
    {"StringNotLike", ID, COND("{\"StringNotLike\":{\"s3:prefix\":\"home/*\"}}"), "s3:ListBucket",
     S3B, NULL, "s3:prefix=home/a", POL_NONE},
    /* Numbers, dates, booleans, binary. */
    {"NumericLessThan", ID, COND("{\"NumericLessThan\":{\"s3:max-keys\":\"10\"}}"), "s3:ListBucket",
     S3B, NULL, "s3:max-keys=5", POL_ALLOW},
    {"NumericLessThan not", ID, COND("{\"NumericLessThan\":{\"s3:max-keys\":10}}"), "s3:ListBucket",
     S3B, NULL, "s3:max-keys=20", POL_NONE},
    {"Numeric junk", ID, COND("{\"NumericLessThan\":{\"s3:max-keys\":10}}"), "s3:ListBucket", S3B,
     NULL, "s3:max-keys=abc", POL_NONE},
    {"NumericGreaterThanEquals", ID, COND("{\"NumericGreaterThanEquals\":{\"s3:max-keys\":1.5}}"),
     "s3:ListBucket", S3B, NULL, "s3:max-keys=1.5", POL_ALLOW},
    {"NumericNotEquals", ID, COND("{\"NumericNotEquals\":{\"s3:max-keys\":[1,2]}}"),
     "s3:ListBucket", S3B, NULL, "s3:max-keys=2.0", POL_NONE},
    {"DateGreaterThan", ID,
     COND("{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}"), "s3:GetObject",
     S3B, NULL, "aws:CurrentTime=2026-12-04T13:55:00Z", POL_ALLOW},
    {"DateLessThan", ID, COND("{\"DateLessThan\":{\"aws:CurrentTime\":\"2020-01-01\"}}"),
     "s3:GetObject", S3B, NULL, "aws:CurrentTime=2026-12-04T13:55:00Z", POL_NONE},
    {"Date epoch", ID, COND("{\"DateLessThanEquals\":{\"aws:EpochTime\":\"1577836800\"}}"),
     "s3:GetObject", S3B, NULL, "aws:EpochTime=2019-12-31T23:00:00-01:00", POL_ALLOW},
    {"Bool deny insecure", ID, DCOND("{\"Bool\":{\"aws:SecureTransport\":false}}"), "s3:GetObject",
     S3B, NULL, "aws:SecureTransport=false", POL_DENY},
    {"Bool secure", ID, DCOND("{\"Bool\":{\"aws:SecureTransport\":\"false\"}}"), "s3:GetObject",
     S3B, NULL, "aws:SecureTransport=true", POL_NONE},
    {"BinaryEquals", ID, COND("{\"BinaryEquals\":{\"x:bin\":\"aGVsbG8=\"}}"), "s3:GetObject", S3B,
     NULL, "x:bin=hello", POL_ALLOW},
    {"BinaryEquals other", ID, COND("{\"BinaryEquals\":{\"x:bin\":\"aGVsbG8=\"}}"), "s3:GetObject",
     S3B, NULL, "x:bin=hellO", POL_NONE},
    /* IP ranges. */
    {"IpAddress", ID, COND("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}"), "s3:GetObject",
     S3B, NULL, "aws:SourceIp=10.1.2.3", POL_ALLOW},
    {"IpAddress outside", ID, COND("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceIp=11.0.0.1", POL_NONE},
    {"IpAddress mapped peer", ID, COND("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceIp=::ffff:10.1.2.3", POL_ALLOW},
    {"IpAddress v6", ID, COND("{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceIp=2001:db8:1::5", POL_ALLOW},
    {"IpAddress /23", ID, COND("{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/23\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceIp=192.0.4.1", POL_NONE},
    {"IpAddress single", ID, COND("{\"IpAddress\":{\"aws:SourceIp\":\"127.0.0.1\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceIp=127.0.0.1", POL_ALLOW},
    {"NotIpAddress deny", ID, DCOND("{\"NotIpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceIp=203.0.113.1", POL_DENY},
    {"NotIpAddress inside", ID, DCOND("{\"NotIpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceIp=192.0.2.5", POL_NONE},
    /* ARNs, Null. */
    {"ArnLike", ID, COND("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:" ACCT ":topic-*\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceArn=arn:aws:sns:us-east-1:" ACCT ":topic-a", POL_ALLOW},
    {"ArnLike other account", ID,
     COND("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:sns:*:" ACCT ":topic-*\"}}"), "s3:GetObject",
     S3B, NULL, "aws:SourceArn=arn:aws:sns:us-east-1:111111111111:topic-a", POL_NONE},
    {"ArnNotEquals", ID,
     COND("{\"ArnNotEquals\":{\"aws:SourceArn\":\"arn:aws:sns:us-east-1:" ACCT ":t\"}}"),
     "s3:GetObject", S3B, NULL, "aws:SourceArn=arn:aws:sns:us-east-1:" ACCT ":t", POL_NONE},
    {"Null true, absent", ID, COND("{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}"), "s3:GetObject",
     S3B, NULL, NULL, POL_ALLOW},
    {"Null true, present", ID, COND("{\"Null\":{\"aws:TokenIssueTime\":\"true\"}}"), "s3:GetObject",
     S3B, NULL, "aws:TokenIssueTime=2026-01-01T00:00:00Z", POL_NONE},
    {"Null false, present", ID, COND("{\"Null\":{\"aws:TokenIssueTime\":false}}"), "s3:GetObject",
     S3B, NULL, "aws:TokenIssueTime=2026-01-01T00:00:00Z", POL_ALLOW},
    /* Multivalued keys. */
    {"ForAllValues subset", ID,
     COND("{\"ForAllValues:StringEquals\":{\"dynamodb:Attributes\":[\"a\",\"b\"]}}"),
     "dynamodb:GetItem", TBL, NULL, "dynamodb:Attributes=a", POL_ALLOW},
    {"ForAllValues extra", ID,
     COND("{\"ForAllValues:StringEquals\":{\"dynamodb:Attributes\":[\"a\",\"b\"]}}"),
     "dynamodb:GetItem", TBL, NULL, "dynamodb:Attributes=a|c", POL_NONE},
    {"ForAllValues absent", ID,
     COND("{\"ForAllValues:StringEquals\":{\"dynamodb:Attributes\":[\"a\",\"b\"]}}"),
     "dynamodb:GetItem", TBL, NULL, NULL, POL_ALLOW},
    {"ForAnyValue one", ID, COND("{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"env\"]}}"),
     "s3:PutObjectTagging", S3B, NULL, "aws:TagKeys=team|env", POL_ALLOW},
    {"ForAnyValue none", ID, COND("{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"env\"]}}"),
     "s3:PutObjectTagging", S3B, NULL, "aws:TagKeys=team", POL_NONE},
    {"ForAnyValue absent", ID, COND("{\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"env\"]}}"),
     "s3:PutObjectTagging", S3B, NULL, NULL, POL_NONE},
    {"ForAnyValue IfExists absent", ID,
     COND("{\"ForAnyValue:StringEqualsIfExists\":{\"aws:TagKeys\":[\"env\"]}}"),
     "s3:PutObjectTagging", S3B, NULL, NULL, POL_ALLOW},
    {"ForAllValues negated", ID,
     COND("{\"ForAllValues:StringNotLike\":{\"aws:TagKeys\":[\"aws:*\"]}}"), "s3:PutObjectTagging",
     S3B, NULL, "aws:TagKeys=team|aws:x", POL_NONE},
    /* Variables. */
    {"variable in resource", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/home/${aws:username}/*\"") "]}", "s3:GetObject",
     S3B "/home/alice/x", NULL, "aws:username=alice", POL_ALLOW},
    {"variable, other user", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/home/${aws:username}/*\"") "]}", "s3:GetObject",
     S3B "/home/bob/x", NULL, "aws:username=alice", POL_NONE},
    {"variable missing", ID, V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/home/${aws:username}/*\"") "]}",
     "s3:GetObject", S3B "/home/alice/x", NULL, NULL, POL_NONE},
    {"variable missing in deny", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"*\"") ",{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":"
                                        "\"" S3B "/${aws:username}\"}]}",
     "s3:GetObject", S3B "/x", NULL, NULL, POL_ALLOW},
    {"no variables in 2008", ID,
     "{\"Statement\":[" ALLOW("\"s3:*\"", "\"" S3B "/home/${aws:username}/*\"") "]}",
     "s3:GetObject", S3B "/home/alice/x", NULL, "aws:username=alice", POL_NONE},
    {"variable default", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/${aws:PrincipalTag/team, 'none'}/*\"") "]}",
     "s3:GetObject", S3B "/none/x", NULL, NULL, POL_ALLOW},
    {"variable tag", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/${aws:PrincipalTag/team, 'none'}/*\"") "]}",
     "s3:GetObject", S3B "/red/x", NULL, "aws:PrincipalTag/team=red", POL_ALLOW},
    {"escape ${*} is literal", ID, V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/${*}\"") "]}",
     "s3:GetObject", S3B "/x", NULL, NULL, POL_NONE},
    {"escape ${*} matches *", ID, V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/${*}\"") "]}",
     "s3:GetObject", S3B "/*", NULL, NULL, POL_ALLOW},
    {"variable value is literal", ID,
     V12 "[" ALLOW("\"s3:*\"", "\"" S3B "/${aws:username}/*\"") "]}", "s3:GetObject", S3B "/ab/x",
     NULL, "aws:username=a*", POL_NONE},
    {"variable in condition", ID,
     COND("{\"StringLike\":{\"s3:prefix\":[\"\",\"home/${aws:username}/*\"]}}"), "s3:ListBucket",
     S3B, NULL, "aws:username=alice;s3:prefix=home/alice/docs", POL_ALLOW},
    {"variable in condition, other", ID,
     COND("{\"StringLike\":{\"s3:prefix\":[\"home/${aws:username}/*\"]}}"), "s3:ListBucket", S3B,
     NULL, "aws:username=alice;s3:prefix=home/bob/docs", POL_NONE},
    {"variable in StringEquals", ID,
     COND("{\"StringEquals\":{\"aws:PrincipalTag/team\":\"${aws:ResourceTag/team}\"}}"),
     "s3:GetObject", S3B, NULL, "aws:PrincipalTag/team=red;aws:ResourceTag/team=red", POL_ALLOW},
    /* Principals of resource policies. */
    {"principal user", RES, RPOL("{\"AWS\":\"" ALICE "\"}"), "s3:GetObject", S3B, "alice", NULL,
     POL_ALLOW},
    {"principal other user", RES, RPOL("{\"AWS\":\"" ALICE "\"}"), "s3:GetObject", S3B, "bob", NULL,
     POL_NONE},
    {"principal user, anonymous", RES, RPOL("{\"AWS\":\"" ALICE "\"}"), "s3:GetObject", S3B, "anon",
     NULL, POL_NONE},
    {"principal *", RES, RPOL("\"*\""), "s3:GetObject", S3B, "anon", NULL, POL_ALLOW},
    {"principal AWS *", RES, RPOL("{\"AWS\":\"*\"}"), "s3:GetObject", S3B, "anon", NULL, POL_ALLOW},
    {"principal account id", RES, RPOL("{\"AWS\":\"" ACCT "\"}"), "s3:GetObject", S3B, "bob", NULL,
     POL_ALLOW},
    {"principal account root", RES, RPOL("{\"AWS\":\"" ROOT "\"}"), "s3:GetObject", S3B, "session",
     NULL, POL_ALLOW},
    {"principal account, anonymous", RES, RPOL("{\"AWS\":\"" ROOT "\"}"), "s3:GetObject", S3B,
     "anon", NULL, POL_NONE},
    {"principal other account", RES, RPOL("{\"AWS\":\"111111111111\"}"), "s3:GetObject", S3B,
     "alice", NULL, POL_NONE},
    {"principal session arn", RES, RPOL("{\"AWS\":\"" SESSION "\"}"), "s3:GetObject", S3B,
     "session", NULL, POL_ALLOW},
    {"principal role arn", RES, RPOL("{\"AWS\":[\"" BOB "\",\"" ROLE "\"]}"), "s3:GetObject", S3B,
     "session", NULL, POL_ALLOW},
    {"principal service", RES, RPOL("{\"Service\":\"lambda.amazonaws.com\"}"), "s3:GetObject", S3B,
     "svc", NULL, POL_ALLOW},
    {"principal service, user", RES, RPOL("{\"Service\":\"lambda.amazonaws.com\"}"), "s3:GetObject",
     S3B, "alice", NULL, POL_NONE},
    {"NotPrincipal spares", RES,
     V12 "[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"s3:*\","
         "\"Resource\":\"*\"}]}",
     "s3:GetObject", S3B, "alice", NULL, POL_NONE},
    {"NotPrincipal denies others", RES,
     V12 "[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"s3:*\","
         "\"Resource\":\"*\"}]}",
     "s3:GetObject", S3B, "bob", NULL, POL_DENY},
    {"NotPrincipal denies anonymous", RES,
     V12 "[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"s3:*\","
         "\"Resource\":\"*\"}]}",
     "s3:GetObject", S3B, "anon", NULL, POL_DENY},
    {"NotPrincipal account spares only root", RES,
     V12 "[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ACCT "\"},\"Action\":\"s3:*\","
         "\"Resource\":\"*\"}]}",
     "s3:GetObject", S3B, "alice", NULL, POL_DENY},
    {"NotPrincipal role spares session", RES,
     V12 "[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":[\"" ROLE "\",\"" SESSION "\"]},"
         "\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     "s3:GetObject", S3B, "session", NULL, POL_NONE},
    {"trust policy service", POL_TRUST,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},"
         "\"Action\":\"sts:AssumeRole\"}]}",
     "sts:AssumeRole", "*", "svc", NULL, POL_ALLOW},
    {"trust policy other action", POL_TRUST,
     V12 "[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},"
         "\"Action\":\"sts:AssumeRole\"}]}",
     "sts:TagSession", "*", "svc", NULL, POL_NONE},
};

typedef struct ctx_store {
    pol_val_t v[16];
    kv_slice_t s[64];
    const pol_val_t *lists[1];
    size_t lens[1];
} ctx_store_t;

/* "k=v1|v2;k2=v" into st (names and values in arena a). */
static void keys_parse(const char *spec, ctx_store_t *st, kv_arena_t *a, size_t *n)
{
    *n = 0;
    size_t ns = 0;
    if (!spec)
        return;
    char *dup = kv_arena_strndup(a, spec, strlen(spec));
    char *save = NULL;
    for (char *kv = strtok_r(dup, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        assert_non_null(eq);
        *eq = 0;
        pol_val_t *v = &st->v[(*n)++];
        v->name = kv;
        v->values = &st->s[ns];
        v->n = 0;
        char *save2 = NULL;
        for (char *x = strtok_r(eq + 1, "|", &save2); x; x = strtok_r(NULL, "|", &save2)) {
            st->s[ns++] = kv_slice_str(x);
            v->n++;
        }
    }
}

static void ctx_who(pol_ctx_t *c, const char *who)
{
    if (!who || !strcmp(who, "alice"))
        c->principal_arn = kv_slice_str(ALICE);
    else if (!strcmp(who, "bob"))
        c->principal_arn = kv_slice_str(BOB);
    else if (!strcmp(who, "session")) {
        c->principal_arn = kv_slice_str(SESSION);
        c->principal_role = kv_slice_str(ROLE);
    } else if (!strcmp(who, "anon")) {
        c->principal_arn = kv_slice_str("*");
        c->anonymous = true;
    } else if (!strcmp(who, "svc"))
        c->principal_service = kv_slice_str("lambda.amazonaws.com");
    else if (!strcmp(who, "root"))
        c->principal_arn = kv_slice_str(ROOT);
}

static void test_eval_table(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    for (size_t i = 0; i < sizeof(EVAL) / sizeof(EVAL[0]); i++) {
        const eval_case_t *t = &EVAL[i];
        const char *err;
        pol_t *p = pol_parse(kv_slice_str(t->pol), t->kind, a, &err);
        if (!p)
            fail_msg("%s: does not parse: %s", t->name, err);
        ctx_store_t st;
        size_t n;
        keys_parse(t->keys, &st, a, &n);
        st.lists[0] = st.v;
        st.lens[0] = n;
        pol_ctx_t c = {.action = kv_slice_str(t->action),
                       .resource = kv_slice_str(t->res),
                       .vals = st.lists,
                       .n_vals = st.lens,
                       .n_lists = 1};
        ctx_who(&c, t->who);
        pol_effect_t got = pol_eval(p, &c);
        if (got != t->want)
            fail_msg("%s: want %d, got %d", t->name, t->want, got);
        /* The set of one, and the simulator's view, agree. */
        pol_set_t *s = pol_set_new(1);
        assert_true(pol_set_add(s, p));
        assert_int_equal(pol_set_eval(s, &c), t->want);
        pol_match_info_t info;
        assert_int_equal(pol_eval_info(p, &c, &info), t->want);
        assert_int_equal(info.effect, t->want);
        assert_true((info.statement >= 0) == (t->want != POL_NONE));
        pol_set_free(s);
        pol_free(p);
    }
    kv_arena_free(a);
}

static void take(void *arg, kv_slice_t name)
{
    char *buf = *(char **)arg;
    strncat(buf, (const char *)name.p, name.len);
    strcat(buf, ",");
}

static void test_eval_info_and_keys(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    const char *err;
    pol_t *p = pol_parse(
        kv_slice_str(V12 "[{\"Sid\":\"Read\",\"Effect\":\"Allow\",\"Action\":\"s3:Get*\","
                         "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"s3:prefix\":"
                         "\"a\",\"AWS:username\":\"x\"},\"Bool\":{\"aws:username\":\"true\"}}},"
                         "{\"Sid\":\"NoDelete\",\"Effect\":\"Deny\",\"Action\":\"s3:Delete*\","
                         "\"Resource\":\"*\"},{\"Sid\":\"All\",\"Effect\":\"Allow\",\"Action\":"
                         "\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{"
                         "\"aws:SourceIp\":\"10.0.0.0/8\"}}}]}"),
        POL_IDENTITY, a, &err);
    assert_non_null(p);
    pol_ctx_t c = {.action = kv_slice_str("s3:DeleteObject"), .resource = kv_slice_str(S3B)};
    pol_match_info_t info;
    assert_int_equal(pol_eval_info(p, &c, &info), POL_DENY);
    assert_int_equal(info.statement, 1);
    assert_true(kv_slice_eq_str(info.sid, "NoDelete"));
    c.action = kv_slice_str("s3:PutObject");
    assert_int_equal(pol_eval_info(p, &c, &info), POL_NONE);
    assert_int_equal(info.statement, -1);
    /* Distinct keys, without regard to case, in order of appearance. */
    char seen[256] = "";
    struct acc {
        char *buf;
    } acc = {seen};
    pol_keys_each(p, take, &acc);
    assert_string_equal(seen, "s3:prefix,AWS:username,aws:SourceIp,");
    pol_free(p);
    kv_arena_free(a);
}

static void test_match_and_chars(void **state)
{
    (void)state;
    assert_true(pol_match(kv_slice_str("s3:Get*"), kv_slice_str("S3:GETOBJECT"), true));
    assert_false(pol_match(kv_slice_str("s3:Get*"), kv_slice_str("S3:GETOBJECT"), false));
    assert_true(pol_match(kv_slice_str("a*b*c"), kv_slice_str("aXXbYYbc"), false));
    assert_false(pol_match(kv_slice_str("a*b?c"), kv_slice_str("abc"), false));
    assert_true(pol_match(kv_slice_str("*"), kv_slice_str(""), false));
    assert_true(pol_match(kv_slice_str(""), kv_slice_str(""), false));
    assert_false(pol_match(kv_slice_str(""), kv_slice_str("x"), false));
    /* IAM's count: code points, whitespace left out where IAM leaves it out. */
    assert_int_equal(pol_chars(kv_slice_str("{ \"a\": \"\xc3\xa9\" }\n"), false), 13);
    assert_int_equal(pol_chars(kv_slice_str("{ \"a\": \"\xc3\xa9\" }\n"), true), 9);
}

/* ---- Public policies (S3's definition) ---- */

typedef struct pub_case {
    const char *pol;
    bool want;
} pub_case_t;

#define PUB(pr, cond)                                                                           \
    V12 "[{\"Effect\":\"Allow\",\"Principal\":" pr ",\"Action\":\"s3:GetObject\",\"Resource\":" \
        "\"" S3B "/*\"" cond "}]}"

static const pub_case_t PUBLIC[] = {
    {PUB("\"*\"", ""), true},
    {PUB("{\"AWS\":\"*\"}", ""), true},
    {PUB("{\"AWS\":\"" ALICE "\"}", ""), false},
    {PUB("{\"Service\":\"lambda.amazonaws.com\"}", ""), false},
    {PUB("\"*\"", ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}"), false},
    {PUB("\"*\"", ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/0\"}}"), true},
    {PUB("\"*\"", ",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}"), true},
    {PUB("\"*\"", ",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"" ACCT "\"}}"), false},
    {PUB("\"*\"", ",\"Condition\":{\"StringLike\":{\"aws:SourceAccount\":\"0000*\"}}"), true},
    {PUB("\"*\"",
         ",\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:sns:us-east-1:" ACCT ":t\"}}"),
     false},
    {PUB("\"*\"", ",\"Condition\":{\"StringEquals\":{\"aws:userid\":\"AROAEXAMPLE:*\"}}"), true},
    {PUB("\"*\"", ",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-123\"}}"), false},
    {PUB("\"*\"", ",\"Condition\":{\"StringEquals\":{\"s3:prefix\":\"a\"}}"), true},
    {V12 "[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     false},
    {V12 "[{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"" ALICE
         "\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
     true},
};

static void test_public(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    for (size_t i = 0; i < sizeof(PUBLIC) / sizeof(PUBLIC[0]); i++) {
        const char *err;
        pol_t *p = pol_parse(kv_slice_str(PUBLIC[i].pol), POL_RESOURCE, a, &err);
        if (!p)
            fail_msg("case %zu: %s", i, err);
        if (pol_is_public(p) != PUBLIC[i].want)
            fail_msg("case %zu: %s: want %d", i, PUBLIC[i].pol, PUBLIC[i].want);
        pol_free(p);
    }
    kv_arena_free(a);
}

/* ---- The cache ---- */

static void test_cache(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    const char *err;
    const char *doc = V12 "[" ALLOW("\"s3:*\"", "\"*\"") "]}";
    const pol_t *p1 = pol_cached(kv_slice_str(doc), POL_IDENTITY, a, &err);
    const pol_t *p2 = pol_cached(kv_slice_str(doc), POL_IDENTITY, a, &err);
    assert_non_null(p1);
    assert_ptr_equal(p1, p2);
    /* The kind is part of the key: this text is not a valid resource policy. */
    assert_null(pol_cached(kv_slice_str(doc), POL_RESOURCE, a, &err));
    assert_string_equal(err, "Missing required field Principal");
    assert_null(pol_cached(kv_slice_str("{"), POL_IDENTITY, a, &err));
    assert_string_equal(err, "Syntax errors in policy.");

    /* Bounded: with room for two entries and no grace, old ones are freed to make room; when
     * everything is recent the new one lives in the caller's arena. */
    assert_int_equal(pol_cache_trim(true), 0); /* all recent: nothing freed */
    pol_cache_limits(2, 64u << 20, 0);
    pol_cache_trim(true);
    size_t n, bytes;
    pol_cache_stats(&n, &bytes);
    assert_int_equal(n, 0);
    char text[256];
    const pol_t *got[5];
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof(text), V12 "[" ALLOW("\"s3:Get%d\"", "\"*\"") "]}", i);
        got[i] = pol_cached(kv_slice_str(text), POL_IDENTITY, a, &err);
        assert_non_null(got[i]);
        pol_ctx_t c = {.action = kv_slice_str("s3:get3"), .resource = kv_slice_str("*")};
        assert_int_equal(pol_eval(got[i], &c), i == 3 ? POL_ALLOW : POL_NONE);
        pol_cache_stats(&n, &bytes);
        assert_true(n <= 2);
    }
    pol_cache_limits(4096, 64u << 20, POL_CACHE_GRACE_MS);
    pol_cache_trim(true);
    kv_arena_free(a); /* frees the ones compiled into it */
}

/* ---- api_decide ---- */

typedef struct decide_case {
    const char *name;
    api_pr_kind_t kind;
    const char *identity; /* one identity policy, or NULL */
    const char *boundary;
    const char *session;
    const char *resource; /* the resource's policy */
    api_acl_verdict_t acl;
    uint32_t flags;
    const char *source_ip;
    api_decision_t want;
} decide_case_t;

#define IDP(eff, act) V12 "[{\"Effect\":\"" eff "\",\"Action\":\"" act "\",\"Resource\":\"*\"}]}"
#define RESP(eff, pr)                                                                \
    V12 "[{\"Effect\":\"" eff "\",\"Principal\":" pr ",\"Action\":\"s3:GetObject\"," \
        "\"Resource\":\"" S3B "/*\"}]}"

static const decide_case_t DECIDE[] = {
    {"identity allows", API_PR_USER, IDP("Allow", "s3:Get*"), NULL, NULL, NULL, 0, 0, NULL,
     API_ALLOW},
    {"nothing allows", API_PR_USER, IDP("Allow", "s3:Put*"), NULL, NULL, NULL, 0, 0, NULL,
     API_DENY_IMPLICIT},
    {"no policies", API_PR_USER, NULL, NULL, NULL, NULL, 0, 0, NULL, API_DENY_IMPLICIT},
    {"identity deny", API_PR_USER,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
         "\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}",
     NULL, NULL, RESP("Allow", "{\"AWS\":\"" ALICE "\"}"), 0, 0, NULL, API_DENY_EXPLICIT_ID},
    {"resource names user", API_PR_USER, NULL, NULL, NULL, RESP("Allow", "{\"AWS\":\"" ALICE "\"}"),
     0, 0, NULL, API_ALLOW},
    {"resource names another user", API_PR_USER, NULL, NULL, NULL,
     RESP("Allow", "{\"AWS\":\"" BOB "\"}"), 0, 0, NULL, API_DENY_IMPLICIT},
    {"resource names account only", API_PR_USER, NULL, NULL, NULL,
     RESP("Allow", "{\"AWS\":\"" ROOT "\"}"), 0, 0, NULL, API_DENY_IMPLICIT},
    {"resource names account, identity allows", API_PR_USER, IDP("Allow", "s3:GetObject"), NULL,
     NULL, RESP("Allow", "{\"AWS\":\"" ROOT "\"}"), 0, 0, NULL, API_ALLOW},
    {"resource deny", API_PR_USER, IDP("Allow", "s3:*"), NULL, NULL, RESP("Deny", "\"*\""), 0, 0,
     NULL, API_DENY_EXPLICIT_RES},
    {"boundary limits", API_PR_USER, IDP("Allow", "s3:*"), IDP("Allow", "sqs:*"), NULL, NULL, 0, 0,
     NULL, API_DENY_BOUNDARY},
    {"boundary allows", API_PR_USER, IDP("Allow", "s3:*"), IDP("Allow", "s3:Get*"), NULL, NULL, 0,
     0, NULL, API_ALLOW},
    {"boundary alone grants nothing", API_PR_USER, NULL, IDP("Allow", "s3:*"), NULL, NULL, 0, 0,
     NULL, API_DENY_IMPLICIT},
    {"boundary deny", API_PR_USER, IDP("Allow", "s3:*"), IDP("Deny", "s3:GetObject"), NULL, NULL, 0,
     0, NULL, API_DENY_EXPLICIT_BOUNDARY},
    {"resource naming the user passes the boundary", API_PR_USER, NULL, IDP("Allow", "sqs:*"), NULL,
     RESP("Allow", "{\"AWS\":\"" ALICE "\"}"), 0, 0, NULL, API_ALLOW},
    {"session policy limits", API_PR_ROLE, IDP("Allow", "s3:*"), NULL, IDP("Allow", "sqs:*"), NULL,
     0, 0, NULL, API_DENY_SESSION},
    {"session policy allows", API_PR_ROLE, IDP("Allow", "s3:*"), NULL, IDP("Allow", "s3:Get*"),
     NULL, 0, 0, NULL, API_ALLOW},
    {"session policy deny", API_PR_ROLE, IDP("Allow", "s3:*"), NULL, IDP("Deny", "s3:*"), NULL, 0,
     0, NULL, API_DENY_EXPLICIT_SESSION},
    {"resource naming the session passes", API_PR_ROLE, NULL, NULL, IDP("Allow", "sqs:*"),
     RESP("Allow", "{\"AWS\":\"" SESSION "\"}"), 0, 0, NULL, API_ALLOW},
    {"resource naming the role is limited", API_PR_ROLE, NULL, NULL, IDP("Allow", "sqs:*"),
     RESP("Allow", "{\"AWS\":\"" ROLE "\"}"), 0, 0, NULL, API_DENY_SESSION},
    {"resource naming the role, no session policy", API_PR_ROLE, NULL, NULL, NULL,
     RESP("Allow", "{\"AWS\":\"" ROLE "\"}"), 0, 0, NULL, API_ALLOW},
    {"service principal", API_PR_SERVICE, NULL, NULL, NULL,
     RESP("Allow", "{\"Service\":\"s3.amazonaws.com\"}"), 0, 0, NULL, API_ALLOW},
    {"service principal, not named", API_PR_SERVICE, NULL, NULL, NULL,
     RESP("Allow", "{\"AWS\":\"" ROOT "\"}"), 0, 0, NULL, API_DENY_IMPLICIT},
    {"anonymous, public", API_PR_ANON, NULL, NULL, NULL, RESP("Allow", "\"*\""), 0, 0, NULL,
     API_ALLOW},
    {"anonymous, nothing", API_PR_ANON, NULL, NULL, NULL, NULL, 0, 0, NULL, API_DENY_IMPLICIT},
    {"anonymous, RestrictPublicBuckets", API_PR_ANON, NULL, NULL, NULL, RESP("Allow", "\"*\""), 0,
     API_AZ_RESTRICT_PUBLIC, NULL, API_DENY_IMPLICIT},
    {"user, RestrictPublicBuckets", API_PR_USER, NULL, NULL, NULL, RESP("Allow", "\"*\""), 0,
     API_AZ_RESTRICT_PUBLIC, NULL, API_ALLOW},
    {"anonymous, ACL", API_PR_ANON, NULL, NULL, NULL, NULL, API_ACL_ALLOW, 0, NULL, API_ALLOW},
    {"anonymous, ACL and deny", API_PR_ANON, NULL, NULL, NULL, RESP("Deny", "\"*\""), API_ACL_ALLOW,
     0, NULL, API_DENY_EXPLICIT_RES},
    {"root ignores policies", API_PR_ROOT, NULL, NULL, NULL, RESP("Deny", "\"*\""), 0, 0, NULL,
     API_ALLOW},
    {"source ip allowed", API_PR_USER,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{"
         "\"IpAddress\":{\"aws:SourceIp\":\"127.0.0.0/8\"}}}]}",
     NULL, NULL, NULL, 0, 0, "127.0.0.1", API_ALLOW},
    {"source ip refused", API_PR_USER,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{"
         "\"IpAddress\":{\"aws:SourceIp\":\"127.0.0.0/8\"}}}]}",
     NULL, NULL, NULL, 0, 0, "10.0.0.1", API_DENY_IMPLICIT},
    {"username variable", API_PR_USER,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"" S3B "/${aws:username}/*\"}]}",
     NULL, NULL, NULL, 0, 0, NULL, API_ALLOW},
    {"principal tag", API_PR_USER,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{"
         "\"StringEquals\":{\"aws:PrincipalTag/team\":\"red\",\"s3:prefix\":\"p\"}}}]}",
     NULL, NULL, NULL, 0, 0, NULL, API_ALLOW},
    {"request key", API_PR_USER,
     V12 "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{"
         "\"StringEquals\":{\"s3:prefix\":\"q\"}}}]}",
     NULL, NULL, NULL, 0, 0, NULL, API_DENY_IMPLICIT},
};

static pol_set_t *set_of(const char *text, kv_arena_t *a, pol_t **keep)
{
    const char *err;
    *keep = pol_parse(kv_slice_str(text), POL_IDENTITY, a, &err);
    if (!*keep)
        fail_msg("%s: %s", text, err);
    pol_set_t *s = pol_set_new(2);
    pol_set_add(s, *keep);
    return s;
}

static void principal_of(api_principal_t *p, api_pr_kind_t kind)
{
    static const api_kv_t tags[] = {{KV_SLICE_LIT("team"), KV_SLICE_LIT("red")}};
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    switch (kind) {
    case API_PR_USER:
        p->arn = kv_slice_str(ALICE);
        p->id = kv_slice_str("AIDAALICE");
        p->name = kv_slice_str("alice");
        p->tags = tags;
        p->n_tags = 1;
        break;
    case API_PR_ROLE:
        p->arn = kv_slice_str(SESSION);
        p->role_arn = kv_slice_str(ROLE);
        p->id = kv_slice_str("AROAR:s1");
        p->name = kv_slice_str("s1");
        break;
    case API_PR_SERVICE:
        p->service = kv_slice_str("s3.amazonaws.com");
        break;
    case API_PR_ROOT:
        p->arn = kv_slice_str(ROOT);
        p->id = kv_slice_str(ACCT);
        break;
    default:
        break;
    }
}

static void test_decide_table(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    for (size_t i = 0; i < sizeof(DECIDE) / sizeof(DECIDE[0]); i++) {
        const decide_case_t *t = &DECIDE[i];
        api_principal_t p;
        principal_of(&p, t->kind);
        pol_t *ip = NULL, *bp = NULL, *sp = NULL, *rp = NULL;
        pol_set_t *ids = NULL, *sess = NULL;
        const char *err;
        if (t->identity)
            p.identity = ids = set_of(t->identity, a, &ip);
        if (t->boundary)
            p.boundary = bp = pol_parse(kv_slice_str(t->boundary), POL_IDENTITY, a, &err);
        if (t->session)
            p.session = sess = set_of(t->session, a, &sp);
        api_authz_t az = {.action = "s3:GetObject",
                          .resource = kv_slice_str(S3B "/alice/k"),
                          .acl = t->acl,
                          .flags = t->flags};
        static const kv_slice_t prefix[] = {KV_SLICE_LIT("p")};
        api_ckey_t keys[] = {{"s3:prefix", prefix, 1}};
        az.keys = keys;
        az.n_keys = 1;
        if (t->resource) {
            rp = pol_parse(kv_slice_str(t->resource), POL_RESOURCE, a, &err);
            if (!rp)
                fail_msg("%s: %s", t->name, err);
            az.res.policy = rp;
        }
        const char *msg = NULL;
        api_decision_t d = api_decide(NULL, &p, &az, kv_slice_str(t->source_ip ? t->source_ip : ""),
                                      true, a, &msg);
        if (d != t->want)
            fail_msg("%s: want %d, got %d (%s)", t->name, t->want, d, msg ? msg : "");
        assert_true((msg != NULL) == (d != API_ALLOW));
        pol_set_free(ids);
        pol_set_free(sess);
        pol_free(ip);
        pol_free(sp);
        pol_free(bp);
        pol_free(rp);
    }
    kv_arena_free(a);
}

static void test_denied_messages(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    api_principal_t p;
    principal_of(&p, API_PR_USER);
    kv_slice_t r = kv_slice_str(S3B "/k");
    assert_string_equal(api_denied_msg(a, &p, "s3:GetObject", r, API_DENY_IMPLICIT),
                        "User: " ALICE
                        " is not authorized to perform: s3:GetObject on resource: " S3B
                        "/k because no identity-based policy allows the s3:GetObject action");
    assert_string_equal(api_denied_msg(a, &p, "s3:GetObject", r, API_DENY_EXPLICIT_RES),
                        "User: " ALICE
                        " is not authorized to perform: s3:GetObject on resource: " S3B
                        "/k with an explicit deny in a resource-based policy");
    assert_string_equal(api_denied_msg(a, &p, "s3:GetObject", r, API_DENY_BOUNDARY),
                        "User: " ALICE
                        " is not authorized to perform: s3:GetObject on resource: " S3B
                        "/k because no permissions boundary allows the s3:GetObject action");
    assert_string_equal(api_denied_msg(a, &p, "s3:GetObject", r, API_DENY_SESSION),
                        "User: " ALICE
                        " is not authorized to perform: s3:GetObject on resource: " S3B
                        "/k because no session policy allows the s3:GetObject action");
    /* api_decide hands the message of its decision. */
    pol_t *keep;
    pol_set_t *ids = set_of(IDP("Deny", "s3:*"), a, &keep);
    p.identity = ids;
    api_authz_t az = {.action = "s3:GetObject", .resource = r};
    const char *msg;
    assert_int_equal(api_decide(NULL, &p, &az, KV_SLICE_NULL, false, a, &msg),
                     API_DENY_EXPLICIT_ID);
    assert_string_equal(msg, "User: " ALICE " is not authorized to perform: s3:GetObject on "
                             "resource: " S3B "/k with an explicit deny in an identity-based "
                             "policy");
    pol_set_free(ids);
    pol_free(keep);
    kv_arena_free(a);
}

static const kv_slice_t *key_of(const pol_val_t *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return v[i].n ? &v[i].values[0] : NULL;
    return NULL;
}

static void test_pol_global_keys(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(4096);
    api_principal_t p;
    const pol_val_t *v;
    principal_of(&p, API_PR_USER);
    size_t n = api_authz_global_keys(NULL, &p, kv_slice_str("127.0.0.1"), true, a, &v);
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:SourceIp"), "127.0.0.1"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:SecureTransport"), "true"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:username"), "alice"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:userid"), "AIDAALICE"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:PrincipalArn"), ALICE));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:PrincipalType"), "User"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:PrincipalAccount"), ACCT));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:PrincipalTag/team"), "red"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:RequestedRegion"), "us-east-1"));
    assert_null(key_of(v, n, "aws:MultiFactorAuthPresent"));
    const kv_slice_t *now = key_of(v, n, "aws:CurrentTime");
    assert_non_null(now);
    assert_int_equal(now->len, 20); /* 2026-12-04T13:55:00Z */
    const kv_slice_t *epoch = key_of(v, n, "aws:EpochTime");
    uint64_t e;
    assert_true(kv_slice_to_u64(*epoch, &e));
    int64_t diff = (int64_t)e - kv_now_ms() / 1000;
    assert_true(diff >= -2 && diff <= 2);

    principal_of(&p, API_PR_ROLE);
    n = api_authz_global_keys(NULL, &p, KV_SLICE_NULL, false, a, &v);
    assert_null(key_of(v, n, "aws:SourceIp"));
    assert_null(key_of(v, n, "aws:username"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:PrincipalArn"), ROLE));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:PrincipalType"), "AssumedRole"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:MultiFactorAuthPresent"), "false"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:SecureTransport"), "false"));

    principal_of(&p, API_PR_ANON);
    n = api_authz_global_keys(NULL, &p, KV_SLICE_NULL, false, a, &v);
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:PrincipalType"), "Anonymous"));
    assert_true(kv_slice_eq_str(*key_of(v, n, "aws:userid"), "anonymous"));
    assert_null(key_of(v, n, "aws:PrincipalArn"));
    kv_arena_free(a);
}

/* Ten identity policies with conditions, evaluated as api_decide does: printed, not asserted. */
static void test_timing(void **state)
{
    (void)state;
    kv_arena_t *a = kv_arena_new(1 << 16);
    pol_t *ps[10];
    pol_set_t *s = pol_set_new(10);
    char text[1024];
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof(text),
                 V12 "[{\"Sid\":\"S%d\",\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\",\"s3:List*\","
                     "\"dynamodb:Query\"],\"Resource\":[\"arn:aws:s3:::b%d/*\",\"arn:aws:s3:::"
                     "b%d/${aws:username}/*\"],\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":"
                     "\"10.0.0.0/8\"},\"StringEquals\":{\"aws:PrincipalTag/team\":\"red\"}}},"
                     "{\"Effect\":\"Deny\",\"Action\":\"s3:Delete*\",\"Resource\":\"*\","
                     "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}",
                 i, i, i);
        const char *err;
        ps[i] = pol_parse(kv_slice_str(text), POL_IDENTITY, a, &err);
        assert_non_null(ps[i]);
        pol_set_add(s, ps[i]);
    }
    api_principal_t p;
    principal_of(&p, API_PR_USER);
    p.identity = s;
    api_authz_t az = {.action = "s3:GetObject", .resource = kv_slice_str("arn:aws:s3:::b9/x")};
    const int N = 100000;
    uint64_t t0 = kv_now_mono_ns();
    int allowed = 0;
    for (int i = 0; i < N; i++) {
        kv_arena_reset(a);
        allowed += api_decide(NULL, &p, &az, kv_slice_str("10.1.2.3"), true, a, NULL) == API_ALLOW;
    }
    uint64_t t1 = kv_now_mono_ns();
    assert_int_equal(allowed, N);
    printf("api_decide, 10 policies with conditions: %.0f ns per decision\n",
           (double)(t1 - t0) / N);
    pol_set_free(s);
    for (int i = 0; i < 10; i++)
        pol_free(ps[i]);
    kv_arena_free(a);
}

int main(void)
{
    api_json_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_eval_table),
        cmocka_unit_test(test_eval_info_and_keys),
        cmocka_unit_test(test_match_and_chars),
        cmocka_unit_test(test_public),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_denied_messages),
        cmocka_unit_test(test_pol_global_keys),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
