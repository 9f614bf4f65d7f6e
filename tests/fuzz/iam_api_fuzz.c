/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's query-protocol operations through the api layer (issue 15, package I): the first byte
 * picks an operation's form (naming a user, group, role and policy the setup made), the rest is
 * appended to it, so names, paths, tags, policy documents, markers, versions, simulator inputs
 * and context entries go through the query decoder, IAM's validation, its store and pol.h on a
 * temporary engine. No input may crash or answer a 5xx.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"

#define V    "&Version=2010-05-08"
#define PARN "arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Ffzp"
#define UARN "arn%3Aaws%3Aiam%3A%3A000000000000%3Auser%2Ffzu"
#define DOC                                                                                    \
    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22" \
    "%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"

static const char *const forms[] = {
    "Action=CreateUser" V "&",
    "Action=CreateUser" V "&UserName=fz2&Path=",
    "Action=GetUser" V "&UserName=",
    "Action=ListUsers" V "&PathPrefix=/&",
    "Action=ListUsers" V "&MaxItems=1&Marker=",
    "Action=UpdateUser" V "&UserName=fzu&",
    "Action=TagUser" V "&UserName=fzu&",
    "Action=UntagUser" V "&UserName=fzu&",
    "Action=CreateGroup" V "&",
    "Action=AddUserToGroup" V "&UserName=fzu&GroupName=",
    "Action=CreateRole" V "&RoleName=fzr2&AssumeRolePolicyDocument=",
    "Action=UpdateRole" V "&RoleName=fzr&",
    "Action=UpdateAssumeRolePolicy" V "&RoleName=fzr&PolicyDocument=",
    "Action=PutUserPolicy" V "&UserName=fzu&PolicyName=p&PolicyDocument=",
    "Action=PutRolePolicy" V "&RoleName=fzr&PolicyName=p&PolicyDocument=",
    "Action=CreatePolicy" V "&PolicyName=fzp2&PolicyDocument=",
    "Action=CreatePolicyVersion" V "&PolicyArn=" PARN "&PolicyDocument=",
    "Action=GetPolicyVersion" V "&PolicyArn=" PARN "&VersionId=",
    "Action=AttachUserPolicy" V "&UserName=fzu&PolicyArn=",
    "Action=ListPolicies" V "&",
    "Action=ListEntitiesForPolicy" V "&PolicyArn=" PARN "&",
    "Action=CreateAccessKey" V "&",
    "Action=UpdateAccessKey" V "&UserName=fzu&Status=Inactive&AccessKeyId=",
    "Action=GetAccountAuthorizationDetails" V "&",
    "Action=SimulateCustomPolicy" V "&PolicyInputList.member.1=" DOC "&",
    "Action=SimulatePrincipalPolicy" V "&PolicySourceArn=" UARN "&ActionNames.member.1=s3%3AGet&",
    "Action=SimulateCustomPolicy" V "&ActionNames.member.1=s3%3AGet&PolicyInputList.member.1=",
    "Action=PutUserPermissionsBoundary" V "&UserName=fzu&PermissionsBoundary=",
    "Action=",
};

static harness_t h;

static int form(const char *s)
{
    return harness_form(&h, "iam", kv_slice_str(s), NULL);
}

static void setup(void)
{
    if (harness_open(&h, "us-east-1") != 0)
        abort();
    int u = form("Action=CreateUser" V "&UserName=fzu");
    int g = form("Action=CreateGroup" V "&GroupName=fzg");
    int r = form("Action=CreateRole" V "&RoleName=fzr&AssumeRolePolicyDocument="
                 "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A"
                 "%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22"
                 "%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D");
    int p = form("Action=CreatePolicy" V "&PolicyName=fzp&PolicyDocument=" DOC);
    int a = form("Action=AttachUserPolicy" V "&UserName=fzu&PolicyArn=" PARN);
    if (u != 200 || g != 200 || r != 200 || p != 200 || a != 200) {
        fprintf(stderr, "setup: %d %d %d %d %d\n", u, g, r, p, a);
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
    const char *f = forms[data[0] % (sizeof(forms) / sizeof(forms[0]))];
    kv_buf_t body;
    kv_buf_init(&body, size + 1024);
    kv_buf_append_str(&body, f);
    kv_buf_append(&body, data + 1, size - 1);
    int st = harness_form(&h, "iam", kv_buf_slice(&body), NULL);
    kv_buf_dispose(&body);
    if (st >= 500) {
        fprintf(stderr, "%s: %d\n", f, st);
        abort();
    }
    return 0;
}
