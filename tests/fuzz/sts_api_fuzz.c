/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STS (issue 15, package T): the first byte picks an operation, the rest is appended to its
 * form (AssumeRole of a role whose trust policy tests sts:ExternalId, session tags and source
 * identity; GetSessionToken; GetAccessKeyInfo; GetCallerIdentity), so Policy, PolicyArns,
 * Tags, TransitiveTagKeys and the other members go through the query decoder and STS's checks
 * and a session token is minted. A first byte from 240 on instead reads the rest as a session
 * token's binary form (api_session_decode): every length is checked against what remains.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"
#include "auth/api_session.h"

#define V    "&Version=2011-06-15"
#define ROLE "arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Ffz"

static const char *const forms[] = {
    "Action=AssumeRole" V "&RoleArn=" ROLE "&RoleSessionName=s&",
    "Action=AssumeRole" V "&RoleArn=" ROLE "&RoleSessionName=s&ExternalId=ext-1&",
    "Action=AssumeRole" V "&RoleArn=" ROLE "&",
    "Action=GetSessionToken" V "&",
    "Action=GetAccessKeyInfo" V "&",
    "Action=GetCallerIdentity" V "&",
    "Version=2011-06-15&",
};

static harness_t h;

static void setup(void)
{
    if (harness_open(&h, "us-east-1") != 0)
        abort();
    /* {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":
     * "arn:aws:iam::000000000000:root"},"Action":["sts:AssumeRole","sts:TagSession",
     * "sts:SetSourceIdentity"]}]} */
    int r = harness_form(
        &h, "iam",
        KV_SLICE_LIT("Action=CreateRole&Version=2010-05-08&RoleName=fz&AssumeRolePolicyDocument="
                     "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22"
                     "%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A"
                     "000000000000%3Aroot%22%7D%2C%22Action%22%3A%5B%22sts%3AAssumeRole%22%2C%22"
                     "sts%3ATagSession%22%2C%22sts%3ASetSourceIdentity%22%5D%7D%5D%7D"),
        NULL);
    if (r != 200) {
        fprintf(stderr, "CreateRole: %d\n", r);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1)
        return 0;
    if (data[0] >= 240) {
        api_session_principal_t p;
        if (api_session_decode(data + 1, size - 1, &p)) {
            /* whatever it read lies inside the input */
            const uint8_t *end = data + size;
            if (p.role_arn.len && (p.role_arn.p < data || p.role_arn.p + p.role_arn.len > end))
                abort();
            if (p.n_tags > API_SESSION_TAGS_MAX || p.n_policy_arns > API_SESSION_ARNS_MAX ||
                p.n_transitive > API_SESSION_TAGS_MAX)
                abort();
        }
        return 0;
    }
    const char *f = forms[data[0] % (sizeof(forms) / sizeof(forms[0]))];
    size_t fl = strlen(f);
    char *body = malloc(fl + size);
    memcpy(body, f, fl);
    memcpy(body + fl, data + 1, size - 1);
    kv_buf_t out;
    kv_buf_init(&out, 1 << 20);
    int st = harness_form(&h, "sts", kv_slice(body, fl + size - 1), &out);
    if (st >= 500) {
        fprintf(stderr, "status %d: %.*s\n", st, (int)out.len, (const char *)out.p);
        abort();
    }
    kv_buf_dispose(&out);
    free(body);
    return 0;
}
