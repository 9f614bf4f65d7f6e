/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DynamoDB and Streams authorization (issue 15, package D) without IAM: a request signed with
 * the configured key is given an IAM user's principal without policies after authentication,
 * and every operation must then be refused with DynamoDB's AccessDeniedException naming the
 * action and resource AWS lists (the batch of PartiQL statements answering each statement's
 * AccessDenied); an operation the server lacks is refused as dynamodb:<name> on "*"; the root
 * is never refused; no answered request goes unchecked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api_harness_as.h"
#include "api_int.h"
#include "authz/api_authz.h"
#include "authz/pol.h"
#include "base/kv_arena.h"

#define USER_ARN "arn:aws:iam::000000000000:user/nobody"
#define USER_ID  "AIDAAAAAAAAAAAAAAAAAA"
#define TABLE    "arn:aws:dynamodb:us-east-1:000000000000:table/games"

static harness_t H;
static char g_stream[256], g_shard[128], g_iter[128], g_backup[256];

/* The principal requests run as (harness_ddb_as): an IAM user, without policies unless a test
 * gives some. */
static api_principal_t g_user;
/* Its identity policies (with_policies). */
#define MAX_POLS 4
static pol_t *g_pols[MAX_POLS];
static pol_set_t *g_set;

/* The buffer's text, NUL-terminated. */
static const char *cstr(kv_buf_t *b)
{
    kv_buf_append_byte(b, 0);
    b->len--;
    return (const char *)b->p;
}

/* A DynamoDB ("Op") or Streams ("DynamoDBStreams_20120810.Op") request, as the user or the
 * root. */
static int ddb(const char *op, const char *json, bool user, kv_buf_t *out)
{
    return harness_ddb_as(&H, op, kv_slice_str(json), user ? &g_user : NULL, out);
}

/* A root call that must succeed; its JSON answer. */
static json_t *root_ok(const char *op, const char *body)
{
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    int st = ddb(op, body, false, &out);
    if (st != 200)
        fail_msg("%s: %d %.*s", op, st, (int)out.len, (const char *)out.p);
    json_t *j = json_loadb((const char *)out.p, out.len, 0, NULL);
    kv_buf_dispose(&out);
    assert_non_null(j);
    return j;
}

static void copy_str(char *dst, size_t cap, json_t *j, const char *path_a, const char *path_b)
{
    json_t *v = json_object_get(j, path_a);
    if (path_b)
        v = json_object_get(v, path_b);
    assert_true(json_is_string(v));
    snprintf(dst, cap, "%s", json_string_value(v));
}

static int setup(void **state)
{
    (void)state;
    if (harness_open(&H, "us-east-1") != 0)
        return -1;
    g_user.kind = API_PR_USER;
    g_user.arn = KV_SLICE_LIT(USER_ARN);
    g_user.id = KV_SLICE_LIT(USER_ID);
    g_user.name = KV_SLICE_LIT("nobody");
    json_decref(root_ok(
        "CreateTable",
        "{\"TableName\":\"games\",\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"KeySchema\":[{\"AttributeName\":\"UserId\",\"KeyType\":\"HASH\"},"
        "{\"AttributeName\":\"GameTitle\",\"KeyType\":\"RANGE\"}],"
        "\"AttributeDefinitions\":[{\"AttributeName\":\"UserId\",\"AttributeType\":\"S\"},"
        "{\"AttributeName\":\"GameTitle\",\"AttributeType\":\"S\"}],"
        "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"byTitle\",\"KeySchema\":[{\"AttributeName\":"
        "\"GameTitle\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}],"
        "\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"KEYS_ONLY\"}}"));
    json_t *j = root_ok("DynamoDBStreams_20120810.ListStreams", "{\"TableName\":\"games\"}");
    snprintf(g_stream, sizeof(g_stream), "%s",
             json_string_value(
                 json_object_get(json_array_get(json_object_get(j, "Streams"), 0), "StreamArn")));
    json_decref(j);
    char body[512];
    snprintf(body, sizeof(body), "{\"StreamArn\":\"%s\"}", g_stream);
    j = root_ok("DynamoDBStreams_20120810.DescribeStream", body);
    json_t *sh =
        json_array_get(json_object_get(json_object_get(j, "StreamDescription"), "Shards"), 0);
    copy_str(g_shard, sizeof(g_shard), sh, "ShardId", NULL);
    json_decref(j);
    snprintf(body, sizeof(body),
             "{\"StreamArn\":\"%s\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
             g_stream, g_shard);
    j = root_ok("DynamoDBStreams_20120810.GetShardIterator", body);
    copy_str(g_iter, sizeof(g_iter), j, "ShardIterator", NULL);
    json_decref(j);
    j = root_ok("CreateBackup", "{\"TableName\":\"games\",\"BackupName\":\"bk1\"}");
    copy_str(g_backup, sizeof(g_backup), j, "BackupDetails", "BackupArn");
    json_decref(j);
    return 0;
}

static void with_policies(const char *const *docs);

static int teardown(void **state)
{
    (void)state;
    with_policies(NULL);
    pol_set_free(g_set);
    harness_close(&H);
    return 0;
}

#define KEY "{\"UserId\":{\"S\":\"u\"},\"GameTitle\":{\"S\":\"g\"}}"

/* One operation refused: its action on its resource. */
static void refused(const char *op, const char *body, const char *action, const char *resource)
{
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    int st = ddb(op, body, true, &out);
    json_t *j = json_loadb((const char *)out.p, out.len, 0, NULL);
    if (st != 400 || j == NULL)
        fail_msg("%s: %d %.*s", op, st, (int)out.len, (const char *)out.p);
    const char *type = json_string_value(json_object_get(j, "__type"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (msg == NULL)
        msg = json_string_value(json_object_get(j, "Message"));
    char want[1024];
    snprintf(want, sizeof(want),
             "User: " USER_ARN " is not authorized to perform: %s on resource: %s because no "
             "identity-based policy allows the %s action",
             action, resource, action);
    if (type == NULL || strstr(type, "AccessDeniedException") == NULL || msg == NULL ||
        strcmp(msg, want) != 0)
        fail_msg("%s: %.*s\nwanted %s", op, (int)out.len, (const char *)out.p, want);
    json_decref(j);
    /* The root is not refused the same request. */
    kv_buf_reset(&out);
    ddb(op, body, false, &out);
    if (strstr(cstr(&out), "AccessDenied") != NULL)
        fail_msg("%s refused to the root: %.*s", op, (int)out.len, (const char *)out.p);
    kv_buf_dispose(&out);
}

static void test_every_operation_refused(void **state)
{
    (void)state;
    char b[1024];
    refused("PutItem", "{\"TableName\":\"games\",\"Item\":" KEY "}", "dynamodb:PutItem", TABLE);
    refused("GetItem", "{\"TableName\":\"games\",\"Key\":" KEY "}", "dynamodb:GetItem", TABLE);
    refused("UpdateItem",
            "{\"TableName\":\"games\",\"Key\":" KEY ",\"UpdateExpression\":\"SET w = :w\","
            "\"ExpressionAttributeValues\":{\":w\":{\"N\":\"1\"}}}",
            "dynamodb:UpdateItem", TABLE);
    refused("DeleteItem", "{\"TableName\":\"games\",\"Key\":" KEY "}", "dynamodb:DeleteItem",
            TABLE);
    refused("Query",
            "{\"TableName\":\"games\",\"KeyConditionExpression\":\"UserId = :u\","
            "\"ExpressionAttributeValues\":{\":u\":{\"S\":\"u\"}}}",
            "dynamodb:Query", TABLE);
    refused("Query",
            "{\"TableName\":\"games\",\"IndexName\":\"byTitle\",\"KeyConditionExpression\":"
            "\"GameTitle = :g\",\"ExpressionAttributeValues\":{\":g\":{\"S\":\"g\"}}}",
            "dynamodb:Query", TABLE "/index/byTitle");
    refused("Scan", "{\"TableName\":\"games\"}", "dynamodb:Scan", TABLE);
    refused("Scan", "{\"TableName\":\"games\",\"IndexName\":\"byTitle\"}", "dynamodb:Scan",
            TABLE "/index/byTitle");
    refused("BatchGetItem", "{\"RequestItems\":{\"games\":{\"Keys\":[" KEY "]}}}",
            "dynamodb:BatchGetItem", TABLE);
    refused("BatchWriteItem",
            "{\"RequestItems\":{\"games\":[{\"PutRequest\":{\"Item\":" KEY "}}]}}",
            "dynamodb:BatchWriteItem", TABLE);
    refused("TransactGetItems",
            "{\"TransactItems\":[{\"Get\":{\"TableName\":\"games\",\"Key\":" KEY "}}]}",
            "dynamodb:GetItem", TABLE);
    refused("TransactWriteItems",
            "{\"TransactItems\":[{\"ConditionCheck\":{\"TableName\":\"games\",\"Key\":" KEY
            ",\"ConditionExpression\":\"attribute_exists(UserId)\"}}]}",
            "dynamodb:ConditionCheckItem", TABLE);
    refused("TransactWriteItems",
            "{\"TransactItems\":[{\"Update\":{\"TableName\":\"games\",\"Key\":" KEY
            ",\"UpdateExpression\":\"SET w = :w\",\"ExpressionAttributeValues\":{\":w\":{\"N\":"
            "\"1\"}}}}]}",
            "dynamodb:UpdateItem", TABLE);
    refused("ExecuteStatement", "{\"Statement\":\"SELECT * FROM \\\"games\\\" WHERE UserId='u'\"}",
            "dynamodb:PartiQLSelect", TABLE);
    refused("ExecuteStatement", "{\"Statement\":\"SELECT * FROM \\\"games\\\".\\\"byTitle\\\"\"}",
            "dynamodb:PartiQLSelect", TABLE "/index/byTitle");
    refused("ExecuteStatement",
            "{\"Statement\":\"UPDATE \\\"games\\\" SET w = 1 WHERE UserId='u' AND GameTitle='g'\"}",
            "dynamodb:PartiQLUpdate", TABLE);
    refused("ExecuteStatement",
            "{\"Statement\":\"DELETE FROM \\\"games\\\" WHERE UserId='u' AND GameTitle='g'\"}",
            "dynamodb:PartiQLDelete", TABLE);
    refused("ExecuteTransaction",
            "{\"TransactStatements\":[{\"Statement\":\"INSERT INTO \\\"games\\\" VALUE "
            "{'UserId':'u','GameTitle':'g'}\"}]}",
            "dynamodb:PartiQLInsert", TABLE);
    refused("CreateTable",
            "{\"TableName\":\"newt\",\"BillingMode\":\"PAY_PER_REQUEST\",\"KeySchema\":[{"
            "\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
            "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}",
            "dynamodb:CreateTable", "arn:aws:dynamodb:us-east-1:000000000000:table/newt");
    refused("DescribeTable", "{\"TableName\":\"games\"}", "dynamodb:DescribeTable", TABLE);
    refused("DescribeTable", "{\"TableName\":\"" TABLE "\"}", "dynamodb:DescribeTable", TABLE);
    refused("UpdateTable", "{\"TableName\":\"games\",\"BillingMode\":\"PAY_PER_REQUEST\"}",
            "dynamodb:UpdateTable", TABLE);
    refused("ListTables", "{}", "dynamodb:ListTables", "*");
    refused("DescribeLimits", "{}", "dynamodb:DescribeLimits", "*");
    refused("DescribeEndpoints", "{}", "dynamodb:DescribeEndpoints", "*");
    refused("TagResource",
            "{\"ResourceArn\":\"" TABLE "\",\"Tags\":[{\"Key\":\"a\",\"Value\":\"b\"}]}",
            "dynamodb:TagResource", TABLE);
    refused("UntagResource", "{\"ResourceArn\":\"" TABLE "\",\"TagKeys\":[\"a\"]}",
            "dynamodb:UntagResource", TABLE);
    refused("ListTagsOfResource", "{\"ResourceArn\":\"" TABLE "\"}", "dynamodb:ListTagsOfResource",
            TABLE);
    refused("DescribeTimeToLive", "{\"TableName\":\"games\"}", "dynamodb:DescribeTimeToLive",
            TABLE);
    refused("UpdateTimeToLive",
            "{\"TableName\":\"games\",\"TimeToLiveSpecification\":{\"Enabled\":true,"
            "\"AttributeName\":\"ttl\"}}",
            "dynamodb:UpdateTimeToLive", TABLE);
    refused("DescribeContinuousBackups", "{\"TableName\":\"games\"}",
            "dynamodb:DescribeContinuousBackups", TABLE);
    refused("UpdateContinuousBackups",
            "{\"TableName\":\"games\",\"PointInTimeRecoverySpecification\":{"
            "\"PointInTimeRecoveryEnabled\":true}}",
            "dynamodb:UpdateContinuousBackups", TABLE);
    refused("CreateBackup", "{\"TableName\":\"games\",\"BackupName\":\"bk2\"}",
            "dynamodb:CreateBackup", TABLE);
    refused("ListBackups", "{}", "dynamodb:ListBackups", "*");
    snprintf(b, sizeof(b), "{\"BackupArn\":\"%s\"}", g_backup);
    refused("DescribeBackup", b, "dynamodb:DescribeBackup", g_backup);
    snprintf(b, sizeof(b), "{\"BackupArn\":\"%s\",\"TargetTableName\":\"restored\"}", g_backup);
    refused("RestoreTableFromBackup", b, "dynamodb:RestoreTableFromBackup", g_backup);
    refused("RestoreTableToPointInTime",
            "{\"SourceTableName\":\"games\",\"TargetTableName\":\"rtwo\","
            "\"UseLatestRestorableTime\":true}",
            "dynamodb:RestoreTableToPointInTime", TABLE);
    /* issue 17, package E: the exports */
    refused("ExportTableToPointInTime", "{\"TableArn\":\"" TABLE "\",\"S3Bucket\":\"bkt\"}",
            "dynamodb:ExportTableToPointInTime", TABLE);
    refused("DescribeExport", "{\"ExportArn\":\"" TABLE "/export/01234567890123-0123abcd\"}",
            "dynamodb:DescribeExport", TABLE "/export/01234567890123-0123abcd");
    refused("ListExports", "{}", "dynamodb:ListExports", "*");
    refused("DynamoDBStreams_20120810.ListStreams", "{}", "dynamodb:ListStreams", "*");
    snprintf(b, sizeof(b), "{\"StreamArn\":\"%s\"}", g_stream);
    refused("DynamoDBStreams_20120810.DescribeStream", b, "dynamodb:DescribeStream", g_stream);
    snprintf(b, sizeof(b),
             "{\"StreamArn\":\"%s\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"LATEST\"}", g_stream,
             g_shard);
    refused("DynamoDBStreams_20120810.GetShardIterator", b, "dynamodb:GetShardIterator", g_stream);
    snprintf(b, sizeof(b), "{\"ShardIterator\":\"%s\"}", g_iter);
    refused("DynamoDBStreams_20120810.GetRecords", b, "dynamodb:GetRecords", g_stream);
    /* issue 17, package I: imports */
    refused("ImportTable",
            "{\"ClientToken\":\"t\",\"S3BucketSource\":{\"S3Bucket\":\"src\"},"
            "\"InputFormat\":\"CSV\",\"TableCreationParameters\":{\"TableName\":\"impt\","
            "\"BillingMode\":\"PAY_PER_REQUEST\",\"KeySchema\":[{\"AttributeName\":\"pk\","
            "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
            "\"AttributeType\":\"S\"}]}}",
            "dynamodb:ImportTable", "arn:aws:dynamodb:us-east-1:000000000000:table/impt");
    refused("DescribeImport", "{\"ImportArn\":\"" TABLE "/import/01234567890123-0badf00d\"}",
            "dynamodb:DescribeImport", TABLE "/import/01234567890123-0badf00d");
    refused("ListImports", "{}", "dynamodb:ListImports", "*");
    /* issue 17, package S: global tables, replica auto scaling, contributor insights and
     * Kinesis streaming destinations. */
#define GT "arn:aws:dynamodb::000000000000:global-table/games"
    refused("CreateGlobalTable",
            "{\"GlobalTableName\":\"games\",\"ReplicationGroup\":[{\"RegionName\":"
            "\"us-east-1\"}]}",
            "dynamodb:CreateGlobalTable", GT);
    refused("DescribeGlobalTable", "{\"GlobalTableName\":\"games\"}",
            "dynamodb:DescribeGlobalTable", GT);
    refused("DescribeGlobalTableSettings", "{\"GlobalTableName\":\"games\"}",
            "dynamodb:DescribeGlobalTableSettings", GT);
    refused("UpdateGlobalTable", "{\"GlobalTableName\":\"games\",\"ReplicaUpdates\":[]}",
            "dynamodb:UpdateGlobalTable", GT);
    refused("UpdateGlobalTableSettings", "{\"GlobalTableName\":\"games\"}",
            "dynamodb:UpdateGlobalTableSettings", GT);
#undef GT
    refused("ListGlobalTables", "{}", "dynamodb:ListGlobalTables", "*");
    refused("DescribeTableReplicaAutoScaling", "{\"TableName\":\"games\"}",
            "dynamodb:DescribeTableReplicaAutoScaling", TABLE);
    refused("UpdateTableReplicaAutoScaling", "{\"TableName\":\"games\"}",
            "dynamodb:UpdateTableReplicaAutoScaling", TABLE);
    refused("DescribeContributorInsights", "{\"TableName\":\"games\"}",
            "dynamodb:DescribeContributorInsights", TABLE);
    refused("DescribeContributorInsights", "{\"TableName\":\"games\",\"IndexName\":\"byTitle\"}",
            "dynamodb:DescribeContributorInsights", TABLE "/index/byTitle");
    refused("UpdateContributorInsights",
            "{\"TableName\":\"games\",\"ContributorInsightsAction\":\"ENABLE\"}",
            "dynamodb:UpdateContributorInsights", TABLE);
    refused("ListContributorInsights", "{}", "dynamodb:ListContributorInsights", "*");
    refused("DescribeKinesisStreamingDestination", "{\"TableName\":\"games\"}",
            "dynamodb:DescribeKinesisStreamingDestination", TABLE);
#define KARN "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
    refused("EnableKinesisStreamingDestination",
            "{\"TableName\":\"games\",\"StreamArn\":\"" KARN "\"}",
            "dynamodb:EnableKinesisStreamingDestination", TABLE);
    refused("DisableKinesisStreamingDestination",
            "{\"TableName\":\"games\",\"StreamArn\":\"" KARN "\"}",
            "dynamodb:DisableKinesisStreamingDestination", TABLE);
    refused("UpdateKinesisStreamingDestination",
            "{\"TableName\":\"games\",\"StreamArn\":\"" KARN "\"}",
            "dynamodb:UpdateKinesisStreamingDestination", TABLE);
#undef KARN
    /* An operation this server does not have. */
    refused("NoSuchOperation", "{}", "dynamodb:NoSuchOperation",
            "*"); /* issue 17: ImportTable exists now */
    refused("DynamoDBStreams_20120810.Nope", "{}", "dynamodb:Nope", "*");
    /* The destructive ones last: the root's run of them changes the table. */
    snprintf(b, sizeof(b), "{\"BackupArn\":\"%s\"}", g_backup);
    refused("DeleteBackup", b, "dynamodb:DeleteBackup", g_backup);
    refused("DeleteTable", "{\"TableName\":\"games\"}", "dynamodb:DeleteTable", TABLE);
    assert_int_equal(atomic_load(&H.ctx->m.authz_unchecked), 0);
}

/* A batch of statements answers each refused statement with its own AccessDenied. */
static void test_batch_statement_refusals(void **state)
{
    (void)state;
    json_decref(root_ok(
        "CreateTable", "{\"TableName\":\"bat\",\"BillingMode\":\"PAY_PER_REQUEST\",\"KeySchema\":[{"
                       "\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
                       "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":"
                       "\"S\"}]}"));
    json_decref(root_ok("PutItem", "{\"TableName\":\"bat\",\"Item\":{\"pk\":{\"S\":\"x\"}}}"));
    const char *body =
        "{\"Statements\":[{\"Statement\":\"SELECT * FROM \\\"bat\\\" WHERE pk='x'\"},"
        "{\"Statement\":\"SELEKT nothing\"}]}";
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    assert_int_equal(ddb("BatchExecuteStatement", body, true, &out), 200);
    json_t *j = json_loadb((const char *)out.p, out.len, 0, NULL);
    json_t *r = json_object_get(j, "Responses");
    assert_int_equal(json_array_size(r), 2);
    json_t *e0 = json_object_get(json_array_get(r, 0), "Error");
    assert_string_equal(json_string_value(json_object_get(e0, "Code")), "AccessDenied");
    assert_non_null(strstr(json_string_value(json_object_get(e0, "Message")),
                           "dynamodb:PartiQLSelect on resource: "
                           "arn:aws:dynamodb:us-east-1:000000000000:table/bat"));
    json_t *e1 = json_object_get(json_array_get(r, 1), "Error");
    assert_string_equal(json_string_value(json_object_get(e1, "Code")), "ValidationError");
    json_decref(j);
    /* The root reads the item. */
    kv_buf_reset(&out);
    assert_int_equal(ddb("BatchExecuteStatement", body, false, &out), 200);
    j = json_loadb((const char *)out.p, out.len, 0, NULL);
    r = json_object_get(j, "Responses");
    assert_non_null(json_object_get(json_array_get(r, 0), "Item"));
    json_decref(j);
    kv_buf_dispose(&out);
    assert_int_equal(atomic_load(&H.ctx->m.authz_unchecked), 0);
}

/* A shard iterator this server did not make names no stream: the same ValidationException as
 * for the root, never a read. */
static void test_bad_iterator(void **state)
{
    (void)state;
    kv_buf_t out;
    kv_buf_init(&out, 1u << 16);
    assert_int_equal(
        ddb("DynamoDBStreams_20120810.GetRecords", "{\"ShardIterator\":\"zzzz\"}", true, &out),
        400);
    assert_non_null(strstr(cstr(&out), "Invalid ShardIterator"));
    kv_buf_dispose(&out);
}

/* ---- fine-grained access against real identity policies (pol.h) ---- */

/* Give the user exactly these identity policies (NULL-terminated JSON texts). */
static void with_policies(const char *const *docs)
{
    if (g_set)
        pol_set_free(g_set);
    for (size_t i = 0; i < MAX_POLS; i++) {
        pol_free(g_pols[i]);
        g_pols[i] = NULL;
    }
    g_set = pol_set_new(MAX_POLS);
    kv_arena_t *a = kv_arena_new(4096);
    for (size_t i = 0; docs && docs[i]; i++) {
        const char *err = NULL;
        assert_true(i < MAX_POLS);
        g_pols[i] = pol_parse(kv_slice_str(docs[i]), POL_IDENTITY, a, &err);
        if (g_pols[i] == NULL)
            fail_msg("policy %zu: %s", i, err);
        assert_true(pol_set_add(g_set, g_pols[i]));
    }
    kv_arena_free(a);
    g_user.identity = g_set;
}

/* One request as the user: its status, and (for 400) that the error is want's type. */
static void expect(const char *op, const char *body, int status, const char *want)
{
    kv_buf_t out;
    kv_buf_init(&out, 1u << 20);
    int st = ddb(op, body, true, &out);
    if (st != status || (want && strstr(cstr(&out), want) == NULL))
        fail_msg("%s %s: %d %s (wanted %d %s)", op, body, st, cstr(&out), status, want ? want : "");
    kv_buf_dispose(&out);
}

/* Whether the root sees an item under key (a JSON Key). */
static bool root_has(const char *table, const char *key)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"TableName\":\"%s\",\"Key\":%s,\"ConsistentRead\":true}", table,
             key);
    json_t *j = root_ok("GetItem", body);
    bool has = json_object_get(j, "Item") != NULL;
    json_decref(j);
    return has;
}

#define DENIED    "AccessDeniedException"
#define MINE(t)   "{\"UserId\":{\"S\":\"" USER_ID "\"},\"GameTitle\":{\"S\":\"" t "\"}}"
#define THEIRS(t) "{\"UserId\":{\"S\":\"bob\"},\"GameTitle\":{\"S\":\"" t "\"}}"

static void test_leading_keys(void **state)
{
    (void)state;
    static const char *const pols[] = {
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
        "\"dynamodb:GetItem\",\"dynamodb:BatchGetItem\",\"dynamodb:Query\",\"dynamodb:PutItem\","
        "\"dynamodb:UpdateItem\",\"dynamodb:DeleteItem\",\"dynamodb:BatchWriteItem\","
        "\"dynamodb:ConditionCheckItem\",\"dynamodb:PartiQLSelect\",\"dynamodb:PartiQLInsert\"],"
        "\"Resource\":\"" TABLE "\",\"Condition\":{\"ForAllValues:StringEquals\":{"
        "\"dynamodb:LeadingKeys\":[\"${aws:userid}\"]}}},"
        "{\"Effect\":\"Deny\",\"Action\":\"dynamodb:PartiQLSelect\",\"Resource\":\"*\","
        "\"Condition\":{\"Bool\":{\"dynamodb:FullTableScan\":\"true\"}}}]}",
        NULL};
    with_policies(pols);
    json_decref(root_ok("PutItem", "{\"TableName\":\"games\",\"Item\":" THEIRS("g") "}"));
    expect("PutItem", "{\"TableName\":\"games\",\"Item\":" MINE("g") "}", 200, NULL);
    expect("PutItem", "{\"TableName\":\"games\",\"Item\":" THEIRS("g2") "}", 400, DENIED);
    assert_false(root_has("games", THEIRS("g2")));
    expect("GetItem", "{\"TableName\":\"games\",\"Key\":" MINE("g") "}", 200, NULL);
    expect("GetItem", "{\"TableName\":\"games\",\"Key\":" THEIRS("g") "}", 400, DENIED);
    expect("UpdateItem",
           "{\"TableName\":\"games\",\"Key\":" MINE(
               "g") ",\"UpdateExpression\":\"SET w = :w\","
                    "\"ExpressionAttributeValues\":{\":w\":{\"N\":\"1\"}}}",
           200, NULL);
    expect("UpdateItem",
           "{\"TableName\":\"games\",\"Key\":" THEIRS(
               "g") ",\"UpdateExpression\":\"SET w = :w\","
                    "\"ExpressionAttributeValues\":{\":w\":{\"N\":\"1\"}}}",
           400, DENIED);
    expect("Query",
           "{\"TableName\":\"games\",\"KeyConditionExpression\":\"UserId = :u\","
           "\"ExpressionAttributeValues\":{\":u\":{\"S\":\"" USER_ID "\"}}}",
           200, NULL);
    expect("Query",
           "{\"TableName\":\"games\",\"KeyConditionExpression\":\"#u = :u AND GameTitle > :g\","
           "\"ExpressionAttributeNames\":{\"#u\":\"UserId\"},\"ExpressionAttributeValues\":{"
           "\":u\":{\"S\":\"bob\"},\":g\":{\"S\":\"a\"}}}",
           400, DENIED);
    expect("Query",
           "{\"TableName\":\"games\",\"KeyConditions\":{\"UserId\":{\"ComparisonOperator\":\"EQ\","
           "\"AttributeValueList\":[{\"S\":\"bob\"}]}}}",
           400, DENIED);
    expect("Scan", "{\"TableName\":\"games\"}", 400, DENIED);
    expect("BatchGetItem", "{\"RequestItems\":{\"games\":{\"Keys\":[" MINE("g") "]}}}", 200, NULL);
    expect("BatchGetItem",
           "{\"RequestItems\":{\"games\":{\"Keys\":[" MINE("g") "," THEIRS("g") "]}}}", 400,
           DENIED);
    expect("BatchWriteItem",
           "{\"RequestItems\":{\"games\":[{\"PutRequest\":{\"Item\":" MINE(
               "b") "}},"
                    "{\"DeleteRequest\":{\"Key\":" THEIRS("g") "}}]}}",
           400, DENIED);
    assert_false(root_has("games", MINE("b")));
    assert_true(root_has("games", THEIRS("g")));
    expect("TransactWriteItems",
           "{\"TransactItems\":[{\"Put\":{\"TableName\":\"games\",\"Item\":" MINE(
               "t") "}},"
                    "{\"ConditionCheck\":{\"TableName\":\"games\",\"Key\":" THEIRS(
                        "g") ","
                             "\"ConditionExpression\":\"attribute_exists(UserId)\"}}]}",
           400, DENIED);
    assert_false(root_has("games", MINE("t")));
    expect("TransactWriteItems",
           "{\"TransactItems\":[{\"Put\":{\"TableName\":\"games\",\"Item\":" MINE("t") "}}]}", 200,
           NULL);
    assert_true(root_has("games", MINE("t")));
    expect("ExecuteStatement",
           "{\"Statement\":\"SELECT * FROM \\\"games\\\" WHERE UserId = ?\",\"Parameters\":[{\"S\":"
           "\"" USER_ID "\"}]}",
           200, NULL);
    expect("ExecuteStatement", "{\"Statement\":\"SELECT * FROM \\\"games\\\" WHERE UserId='bob'\"}",
           400, DENIED);
    /* A scan names no partition: the explicit deny of dynamodb:FullTableScan refuses it. */
    expect("ExecuteStatement", "{\"Statement\":\"SELECT * FROM \\\"games\\\"\"}", 400,
           "with an explicit deny in an identity-based policy");
    expect("ExecuteStatement",
           "{\"Statement\":\"INSERT INTO \\\"games\\\" VALUE {'UserId':'" USER_ID
           "','GameTitle':'p'}\"}",
           200, NULL);
    expect("ExecuteStatement",
           "{\"Statement\":\"INSERT INTO \\\"games\\\" VALUE {'UserId':'bob','GameTitle':'p'}\"}",
           400, DENIED);
    expect("DeleteItem", "{\"TableName\":\"games\",\"Key\":" THEIRS("g") "}", 400, DENIED);
    expect("DeleteItem", "{\"TableName\":\"games\",\"Key\":" MINE("g") "}", 200, NULL);
    assert_true(root_has("games", THEIRS("g")));
    with_policies(NULL);
    assert_int_equal(atomic_load(&H.ctx->m.authz_unchecked), 0);
}

static void test_attributes_select_return_values(void **state)
{
    (void)state;
    static const char *const pols[] = {
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
        "\"dynamodb:GetItem\",\"dynamodb:PutItem\",\"dynamodb:UpdateItem\",\"dynamodb:Query\"],"
        "\"Resource\":\"" TABLE "\",\"Condition\":{\"ForAllValues:StringEquals\":{"
        "\"dynamodb:Attributes\":[\"UserId\",\"GameTitle\",\"Wins\"]},\"StringEqualsIfExists\":{"
        "\"dynamodb:Select\":\"SPECIFIC_ATTRIBUTES\",\"dynamodb:ReturnValues\":[\"NONE\","
        "\"UPDATED_OLD\",\"UPDATED_NEW\"]}}}]}",
        NULL};
    json_decref(root_ok("PutItem", "{\"TableName\":\"games\",\"Item\":{\"UserId\":{\"S\":\"a\"},"
                                   "\"GameTitle\":{\"S\":\"x\"},\"Wins\":{\"N\":\"1\"},"
                                   "\"Secret\":{\"S\":\"s\"}}}"));
    with_policies(pols);
#define AKEY "{\"UserId\":{\"S\":\"a\"},\"GameTitle\":{\"S\":\"x\"}}"
    expect("GetItem",
           "{\"TableName\":\"games\",\"Key\":" AKEY ",\"ProjectionExpression\":\"Wins\"}", 200,
           NULL);
    expect("GetItem", "{\"TableName\":\"games\",\"Key\":" AKEY ",\"AttributesToGet\":[\"Wins\"]}",
           200, NULL);
    expect("GetItem",
           "{\"TableName\":\"games\",\"Key\":" AKEY ",\"ProjectionExpression\":\"Wins, #s\","
           "\"ExpressionAttributeNames\":{\"#s\":\"Secret\"}}",
           400, DENIED);
    /* No projection: every attribute is asked for (dynamodb:Select ALL_ATTRIBUTES). */
    expect("GetItem", "{\"TableName\":\"games\",\"Key\":" AKEY "}", 400, DENIED);
    expect(
        "PutItem",
        "{\"TableName\":\"games\",\"Item\":{\"UserId\":{\"S\":\"b\"},\"GameTitle\":{\"S\":\"x\"},"
        "\"Wins\":{\"N\":\"2\"}}}",
        200, NULL);
    expect(
        "PutItem",
        "{\"TableName\":\"games\",\"Item\":{\"UserId\":{\"S\":\"c\"},\"GameTitle\":{\"S\":\"x\"},"
        "\"Secret\":{\"S\":\"2\"}}}",
        400, DENIED);
    expect(
        "UpdateItem",
        "{\"TableName\":\"games\",\"Key\":" AKEY ",\"UpdateExpression\":\"ADD Wins :one\","
        "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}},\"ReturnValues\":\"UPDATED_NEW\"}",
        200, NULL);
    expect("UpdateItem",
           "{\"TableName\":\"games\",\"Key\":" AKEY ",\"UpdateExpression\":\"ADD Wins :one\","
           "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}},\"ReturnValues\":\"ALL_NEW\"}",
           400, DENIED);
    expect("UpdateItem",
           "{\"TableName\":\"games\",\"Key\":" AKEY ",\"UpdateExpression\":\"REMOVE Secret\"}", 400,
           DENIED);
    expect("UpdateItem",
           "{\"TableName\":\"games\",\"Key\":" AKEY ",\"AttributeUpdates\":{\"Secret\":{\"Action\":"
           "\"DELETE\"}}}",
           400, DENIED);
    expect("UpdateItem",
           "{\"TableName\":\"games\",\"Key\":" AKEY ",\"UpdateExpression\":\"SET Wins = :w\","
           "\"ConditionExpression\":\"Secret = :s\",\"ExpressionAttributeValues\":{\":w\":{\"N\":"
           "\"0\"},\":s\":{\"S\":\"s\"}}}",
           400, DENIED);
    assert_true(root_has("games", AKEY));
    expect(
        "Query",
        "{\"TableName\":\"games\",\"KeyConditionExpression\":\"UserId = :u\","
        "\"ExpressionAttributeValues\":{\":u\":{\"S\":\"a\"}},\"Select\":\"SPECIFIC_ATTRIBUTES\","
        "\"ProjectionExpression\":\"UserId, Wins\"}",
        200, NULL);
    expect("Query",
           "{\"TableName\":\"games\",\"KeyConditionExpression\":\"UserId = :u\","
           "\"ExpressionAttributeValues\":{\":u\":{\"S\":\"a\"}}}",
           400, DENIED);
    with_policies(NULL);
}

static void test_index_tags_enclosing_binary(void **state)
{
    (void)state;
    /* The index's partition key (GameTitle) is the leading key of a Query on it. */
    static const char *const ix[] = {
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
        "\"dynamodb:Query\",\"Resource\":\"" TABLE "/index/byTitle\",\"Condition\":{"
        "\"ForAllValues:StringEquals\":{\"dynamodb:LeadingKeys\":[\"x\"]}}}]}",
        NULL};
    with_policies(ix);
    expect("Query",
           "{\"TableName\":\"games\",\"IndexName\":\"byTitle\",\"KeyConditionExpression\":"
           "\"GameTitle = :g\",\"ExpressionAttributeValues\":{\":g\":{\"S\":\"x\"}}}",
           200, NULL);
    expect("Query",
           "{\"TableName\":\"games\",\"IndexName\":\"byTitle\",\"KeyConditionExpression\":"
           "\"GameTitle = :g\",\"ExpressionAttributeValues\":{\":g\":{\"S\":\"y\"}}}",
           400, DENIED);
    expect("Query",
           "{\"TableName\":\"games\",\"KeyConditionExpression\":\"UserId = :u\","
           "\"ExpressionAttributeValues\":{\":u\":{\"S\":\"x\"}}}",
           400, DENIED);
    /* aws:ResourceTag from the table's tags. */
    static const char *const tags[] = {
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
        "\"dynamodb:DescribeTable\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{"
        "\"aws:ResourceTag/team\":\"blue\"}}},{\"Effect\":\"Allow\",\"Action\":"
        "\"dynamodb:TagResource\",\"Resource\":\"*\",\"Condition\":{\"ForAllValues:StringEquals\":"
        "{\"aws:TagKeys\":[\"team\"]},\"StringEquals\":{\"aws:RequestTag/team\":\"blue\"}}}]}",
        NULL};
    with_policies(tags);
    expect("DescribeTable", "{\"TableName\":\"games\"}", 400, DENIED);
    expect("TagResource",
           "{\"ResourceArn\":\"" TABLE "\",\"Tags\":[{\"Key\":\"team\",\"Value\":\"red\"}]}", 400,
           DENIED);
    expect("TagResource",
           "{\"ResourceArn\":\"" TABLE "\",\"Tags\":[{\"Key\":\"team\",\"Value\":\"blue\"},"
           "{\"Key\":\"x\",\"Value\":\"blue\"}]}",
           400, DENIED);
    expect("TagResource",
           "{\"ResourceArn\":\"" TABLE "\",\"Tags\":[{\"Key\":\"team\",\"Value\":\"blue\"}]}", 200,
           NULL);
    expect("DescribeTable", "{\"TableName\":\"games\"}", 200, NULL);
    /* dynamodb:EnclosingOperation: statements allowed only inside ExecuteTransaction. */
    static const char *const enc[] = {
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
        "\"dynamodb:PartiQLInsert\",\"Resource\":\"" TABLE "\",\"Condition\":{\"StringEquals\":{"
        "\"dynamodb:EnclosingOperation\":\"ExecuteTransaction\"}}}]}",
        NULL};
    with_policies(enc);
    expect("ExecuteStatement",
           "{\"Statement\":\"INSERT INTO \\\"games\\\" VALUE {'UserId':'e','GameTitle':'1'}\"}",
           400, DENIED);
    expect("ExecuteTransaction",
           "{\"TransactStatements\":[{\"Statement\":\"INSERT INTO \\\"games\\\" VALUE "
           "{'UserId':'e','GameTitle':'1'}\"}]}",
           200, NULL);
    /* A binary partition key is compared as its base64 text. */
    json_decref(root_ok(
        "CreateTable", "{\"TableName\":\"bin\",\"BillingMode\":\"PAY_PER_REQUEST\",\"KeySchema\":[{"
                       "\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
                       "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":"
                       "\"B\"}]}"));
    static const char *const bin[] = {
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
        "\"dynamodb:PutItem\",\"Resource\":\"arn:aws:dynamodb:us-east-1:000000000000:table/bin\","
        "\"Condition\":{\"ForAllValues:StringEquals\":{\"dynamodb:LeadingKeys\":[\"AQID\"]}}}]}",
        NULL};
    with_policies(bin);
    expect("PutItem", "{\"TableName\":\"bin\",\"Item\":{\"pk\":{\"B\":\"AQID\"}}}", 200, NULL);
    expect("PutItem", "{\"TableName\":\"bin\",\"Item\":{\"pk\":{\"B\":\"BAUG\"}}}", 400, DENIED);
    with_policies(NULL);
    assert_int_equal(atomic_load(&H.ctx->m.authz_unchecked), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_statement_refusals),
        cmocka_unit_test(test_bad_iterator),
        cmocka_unit_test(test_leading_keys),
        cmocka_unit_test(test_attributes_select_return_values),
        cmocka_unit_test(test_index_tags_enclosing_binary),
        cmocka_unit_test(test_every_operation_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
