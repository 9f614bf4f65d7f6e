/* SPDX-License-Identifier: Apache-2.0 */
/* EventBridge event patterns (api_pattern.c): each operator matching and not matching (cases after
 * AWS's content-filtering examples), and the table of InvalidEventPatternException reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codec/api_json_r.h"
#include "codec/api_pattern.h"

/* 1: match, 0: no match, -1: the pattern was refused. */
static int run(const char *pattern, const char *event, unsigned opts)
{
    kv_arena_t *a = kv_arena_new(4096);
    api_pattern_t *p;
    api_json_t *ev;
    const char *err;
    int r = -1;
    if (api_pattern_compile(a, kv_slice_str(pattern), opts, &p, &err) == 0) {
        assert_int_equal(api_json_parse(a, kv_slice_str(event), &ev, &err), 0);
        r = api_pattern_match(p, ev) ? 1 : 0;
    }
    kv_arena_free(a);
    return r;
}

#define YES(p, e) assert_int_equal(run(p, e, 0), 1)
#define NO(p, e)  assert_int_equal(run(p, e, 0), 0)

static void test_exact(void **state)
{
    (void)state;
    YES("{\"source\":[\"aws.ec2\"]}", "{\"source\":\"aws.ec2\"}");
    NO("{\"source\":[\"aws.ec2\"]}", "{\"source\":\"aws.s3\"}");
    NO("{\"source\":[\"aws.ec2\"]}", "{\"other\":\"aws.ec2\"}");
    YES("{\"n\":[300]}", "{\"n\":300.0}"); /* numbers compare numerically */
    YES("{\"n\":[3e2]}", "{\"n\":300}");
    NO("{\"n\":[\"300\"]}", "{\"n\":300}");
    YES("{\"v\":[null]}", "{\"v\":null}");
    NO("{\"v\":[null]}", "{\"w\":1}");
    YES("{\"b\":[true]}", "{\"b\":true}");
    NO("{\"b\":[true]}", "{\"b\":false}");
    /* Arrays in the event: any element. */
    YES("{\"resources\":[\"arn:b\"]}", "{\"resources\":[\"arn:a\",\"arn:b\"]}");
    NO("{\"resources\":[\"arn:c\"]}", "{\"resources\":[\"arn:a\",\"arn:b\"]}");
    /* Nested objects; all fields must match. */
    YES("{\"detail\":{\"state\":[\"running\"]},\"source\":[\"aws.ec2\"]}",
        "{\"source\":\"aws.ec2\",\"detail\":{\"state\":\"running\"}}");
    NO("{\"detail\":{\"state\":[\"running\"]},\"source\":[\"aws.ec2\"]}",
       "{\"source\":\"aws.ec2\",\"detail\":{\"state\":\"stopped\"}}");
}

static void test_string_ops(void **state)
{
    (void)state;
    YES("{\"time\":[{\"prefix\":\"2017-10-02\"}]}", "{\"time\":\"2017-10-02T18:43:48Z\"}");
    NO("{\"time\":[{\"prefix\":\"2017-10-02\"}]}", "{\"time\":\"2017-10-03T18:43:48Z\"}");
    YES("{\"f\":[{\"prefix\":{\"equals-ignore-case\":\"EventB\"}}]}", "{\"f\":\"eventbridge\"}");
    NO("{\"f\":[{\"prefix\":{\"equals-ignore-case\":\"EventB\"}}]}", "{\"f\":\"event\"}");
    YES("{\"FileName\":[{\"suffix\":\".png\"}]}", "{\"FileName\":\"image.png\"}");
    NO("{\"FileName\":[{\"suffix\":\".png\"}]}", "{\"FileName\":\"image.PNG\"}");
    YES("{\"FileName\":[{\"suffix\":{\"equals-ignore-case\":\".png\"}}]}",
        "{\"FileName\":\"image.PNG\"}");
    YES("{\"name\":[{\"equals-ignore-case\":\"alice\"}]}", "{\"name\":\"ALICE\"}");
    NO("{\"name\":[{\"equals-ignore-case\":\"alice\"}]}", "{\"name\":\"alicia\"}");
    NO("{\"n\":[{\"prefix\":\"1\"}]}", "{\"n\":10}");
}

static void test_wildcard(void **state)
{
    (void)state;
    const char *p = "{\"EventBusArn\":[{\"wildcard\":\"arn:aws:events:us-east-1:*:event-bus/*\"}]}";
    YES(p, "{\"EventBusArn\":\"arn:aws:events:us-east-1:123456789012:event-bus/default\"}");
    NO(p, "{\"EventBusArn\":\"arn:aws:events:us-west-2:123456789012:event-bus/default\"}");
    YES("{\"f\":[{\"wildcard\":\"dir/*.png\"}]}", "{\"f\":\"dir/a/b.png\"}");
    NO("{\"f\":[{\"wildcard\":\"dir/*.png\"}]}", "{\"f\":\"dir/a/b.jpg\"}");
    YES("{\"f\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"f\":\"a*b\"}"); /* escaped star */
    NO("{\"f\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"f\":\"axxb\"}");
    YES("{\"f\":[{\"wildcard\":\"*\"}]}", "{\"f\":\"\"}");
    assert_int_equal(run("{\"f\":[{\"wildcard\":\"a**b\"}]}", "{}", 0), -1);
}

static void test_anything_but(void **state)
{
    (void)state;
    NO("{\"state\":[{\"anything-but\":\"initializing\"}]}", "{\"state\":\"initializing\"}");
    YES("{\"state\":[{\"anything-but\":\"initializing\"}]}", "{\"state\":\"running\"}");
    NO("{\"state\":[{\"anything-but\":\"initializing\"}]}", "{\"other\":1}"); /* must exist */
    NO("{\"x\":[{\"anything-but\":[100,200,300]}]}", "{\"x\":200}");
    YES("{\"x\":[{\"anything-but\":[100,200,300]}]}", "{\"x\":201}");
    NO("{\"s\":[{\"anything-but\":{\"prefix\":\"init\"}}]}", "{\"s\":\"initializing\"}");
    YES("{\"s\":[{\"anything-but\":{\"prefix\":\"init\"}}]}", "{\"s\":\"running\"}");
    NO("{\"s\":[{\"anything-but\":{\"suffix\":\".txt\"}}]}", "{\"s\":\"a.txt\"}");
    YES("{\"s\":[{\"anything-but\":{\"suffix\":\".txt\"}}]}", "{\"s\":\"a.png\"}");
    NO("{\"s\":[{\"anything-but\":{\"equals-ignore-case\":\"Stop\"}}]}", "{\"s\":\"STOP\"}");
    YES("{\"s\":[{\"anything-but\":{\"equals-ignore-case\":\"Stop\"}}]}", "{\"s\":\"go\"}");
    NO("{\"s\":[{\"anything-but\":{\"wildcard\":\"*/lib/*\"}}]}", "{\"s\":\"/usr/lib/x\"}");
    YES("{\"s\":[{\"anything-but\":{\"wildcard\":\"*/lib/*\"}}]}", "{\"s\":\"/usr/bin/x\"}");
    /* Only leaves match: an object, or an array nested in an array, is not a value. */
    NO("{\"s\":[{\"anything-but\":\"x\"}]}", "{\"s\":{\"y\":1}}");
    NO("{\"s\":[{\"anything-but\":\"x\"}]}", "{\"s\":[[\"y\"]]}");
}

static void test_numeric_exists_cidr(void **state)
{
    (void)state;
    const char *p = "{\"c-count\":[{\"numeric\":[\">\",0,\"<=\",5]}]}";
    YES(p, "{\"c-count\":5}");
    NO(p, "{\"c-count\":0}");
    NO(p, "{\"c-count\":\"5\"}"); /* strings are not numbers for EventBridge... */
    assert_int_equal(run(p, "{\"c-count\":\"5\"}", API_PAT_NUMSTR),
                     1); /* ...but are for DynamoDB */
    YES("{\"x\":[{\"numeric\":[\"=\",3.0e2]}]}", "{\"x\":300}");
    YES("{\"x\":[{\"numeric\":[\">=\",10]}]}", "{\"x\":10}");
    NO("{\"x\":[{\"numeric\":[\"<\",10]}]}", "{\"x\":10}");
    YES("{\"detail\":{\"state\":[{\"exists\":true}]}}", "{\"detail\":{\"state\":\"on\"}}");
    NO("{\"detail\":{\"state\":[{\"exists\":true}]}}", "{\"detail\":{\"other\":\"on\"}}");
    YES("{\"detail\":{\"state\":[{\"exists\":false}]}}", "{\"detail\":{\"other\":\"on\"}}");
    NO("{\"detail\":{\"state\":[{\"exists\":false}]}}", "{\"detail\":{\"state\":\"on\"}}");
    YES("{\"detail\":{\"state\":[{\"exists\":false}]}}", "{\"source\":\"x\"}");
    YES("{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"10.0.0.255\"}");
    NO("{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"10.0.1.0\"}");
    YES("{\"ip\":[{\"cidr\":\"2001:db8::/33\"}]}", "{\"ip\":\"2001:db8:7fff::1\"}");
    NO("{\"ip\":[{\"cidr\":\"2001:db8::/33\"}]}", "{\"ip\":\"2001:db8:8000::1\"}");
    NO("{\"ip\":[{\"cidr\":\"10.0.0.0/8\"}]}", "{\"ip\":\"not-an-ip\"}");
}

static void test_or(void **state)
{
    (void)state;
    const char *p = "{\"source\":[\"aws.ec2\"],\"$or\":[{\"c-count\":[{\"numeric\":[\">\",0]}]},"
                    "{\"d-count\":[{\"numeric\":[\"<\",10]}]}]}";
    YES(p, "{\"source\":\"aws.ec2\",\"c-count\":1}");
    YES(p, "{\"source\":\"aws.ec2\",\"d-count\":5}");
    NO(p, "{\"source\":\"aws.ec2\",\"c-count\":0,\"d-count\":50}");
    NO(p, "{\"source\":\"aws.s3\",\"c-count\":1}");
    const char *q = "{\"detail\":{\"$or\":[{\"a\":[\"1\"]},{\"b\":[\"2\"]}]}}";
    YES(q, "{\"detail\":{\"b\":\"2\"}}");
    NO(q, "{\"detail\":{\"b\":\"3\"}}");
}

/* The table of refusals: each reason EventBridge gives, and a pattern that draws it. */
static void test_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *reason;
    } bad[] = {
        {"[1]", "Filter is not an object"},
        {"{", "Filter is not valid JSON: "},
        {"{\"a\":\"x\"}", "\"a\" must be an object or an array"},
        {"{\"a\":{}}", "Empty objects are not allowed"},
        {"{\"a\":[]}", "Empty arrays are not allowed"},
        {"{\"a\":[[1]]}", "Match value must be String, number, true, false, or null"},
        {"{\"a\":[{\"prefixx\":\"x\"}]}", "Unrecognized match type prefixx"},
        {"{\"a\":[{\"prefix\":\"x\",\"suffix\":\"y\"}]}",
         "Only one key allowed in match expression"},
        {"{\"a\":[{\"prefix\":1}]}", "prefix match pattern must be a string"},
        {"{\"a\":[{\"suffix\":true}]}", "suffix match pattern must be a string"},
        {"{\"a\":[{\"equals-ignore-case\":1}]}",
         "equals-ignore-case match pattern must be a string"},
        {"{\"a\":[{\"wildcard\":1}]}", "wildcard match pattern must be a string"},
        {"{\"a\":[{\"wildcard\":\"a**\"}]}", "Consecutive wildcard characters at pos 2"},
        {"{\"a\":[{\"wildcard\":\"a\\\\b\"}]}", "Invalid escape character at pos 1"},
        {"{\"a\":[{\"exists\":1}]}", "exists match pattern must be either true or false."},
        {"{\"a\":[{\"numeric\":5}]}", "Value of numeric must be an array."},
        {"{\"a\":[{\"numeric\":[\"!\",5]}]}", "Unrecognized numeric range operator: !"},
        {"{\"a\":[{\"numeric\":[\">\",\"5\"]}]}", "Value of > must be numeric"},
        {"{\"a\":[{\"numeric\":[\">\",5,\">\",6]}]}", "Bad numeric range operator: >"},
        {"{\"a\":[{\"numeric\":[5]}]}", "Invalid member in numeric match: 5"},
        {"{\"a\":[{\"numeric\":[\">\",1,\"<\",5,\"<\",6]}]}",
         "Too many terms in numeric range expression"},
        {"{\"a\":[{\"numeric\":[\">\",5,\"<\",1]}]}", "Bottom must be less than top"},
        {"{\"a\":[{\"cidr\":\"10.0.0.0/33\"}]}", "Nonsensical CIDR IP argument: \"10.0.0.0/33\""},
        {"{\"a\":[{\"cidr\":\"10.0.0.0\"}]}", "Malformed CIDR, one '/' required"},
        {"{\"a\":[{\"anything-but\":[null]}]}",
         "Inside anything but list, start|null|boolean is not supported."},
        {"{\"a\":[{\"anything-but\":[\"x\",1]}]}",
         "Inside anything but list, either all values are number or string, mixed type is not "
         "supported"},
        {"{\"a\":[{\"anything-but\":true}]}",
         "Inside anything-but list, start|null|boolean is not supported."},
        {"{\"a\":[{\"anything-but\":{\"prefix\":1}}]}",
         "prefix/suffix match pattern must be a string"},
        {"{\"a\":[{\"anything-but\":{\"prefix\":\"\"}}]}", "Null prefix/suffix not allowed"},
        {"{\"a\":[{\"prefix\":{\"wildcard\":\"x\"}}]}", "Unsupported prefix pattern: wildcard"},
        {"{\"a\":[{\"cidr\":1}]}", "prefix match pattern must be a string"},
        {"{\"$or\":{\"a\":[1]}}", "It must be an Array followed with $or."},
        {"{\"$or\":[{\"a\":[1]},2]}", "Only JSON object is allowed in array of $or relationship."},
        {"{\"a\":[{\"anything-but\":{\"exists\":true}}]}",
         "Unsupported anything-but pattern: exists"},
        {"{\"$or\":[{\"a\":[1]}]}", "There must have at least 2 Objects in $or relationship."},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kv_arena_t *a = kv_arena_new(4096);
        api_pattern_t *p;
        const char *err = NULL;
        assert_int_not_equal(api_pattern_compile(a, kv_slice_str(bad[i].pattern), 0, &p, &err), 0);
        const char *pre = "Event pattern is not valid. Reason: ";
        assert_non_null(err);
        assert_memory_equal(err, pre, strlen(pre));
        if (strncmp(err + strlen(pre), bad[i].reason, strlen(bad[i].reason)) != 0)
            fail_msg("pattern %s: got \"%s\", want \"%s\"", bad[i].pattern, err, bad[i].reason);
        kv_arena_free(a);
    }
}

static void test_limits(void **state)
{
    (void)state;
    /* Too long: refused before parsing. */
    char big[API_PAT_MAX_LEN + 16];
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = 0;
    assert_int_equal(run(big, "{}", 0), -1);
    /* Too deep. */
    char deep[400] = "";
    for (int i = 0; i < API_PAT_MAX_DEPTH + 2; i++)
        strcat(deep, "{\"a\":");
    strcat(deep, "[1]");
    for (int i = 0; i < API_PAT_MAX_DEPTH + 2; i++)
        strcat(deep, "}");
    assert_int_equal(run(deep, "{}", 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_string_ops),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_anything_but),
        cmocka_unit_test(test_numeric_exists_cidr),
        cmocka_unit_test(test_or),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
