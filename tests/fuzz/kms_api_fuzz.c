/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KMS's JSON operations (issue 16, package K): the first byte picks an operation of the
 * service table, the rest is its body, run through the api layer on a temporary engine with a
 * key (aliased alias/fz, with a grant) already there. Nothing may answer 5xx or crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static harness_t h;
    static const api_service_t *kms;
    static int ready;
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        for (size_t i = 0; i < api_n_services; i++)
            if (strcmp(api_services[i]->name, "kms") == 0)
                kms = api_services[i];
        if (kms == NULL || kms->n_ops == 0)
            abort();
        kv_buf_t out;
        kv_buf_init(&out, 1 << 16);
        int st = harness_json(&h, "kms", "POST", "/", NULL, "TrentService.CreateKey",
                              KV_SLICE_LIT("{\"Description\":\"fz\"}"), &out);
        kv_buf_append_byte(&out, 0);
        const char *p = strstr((const char *)out.p, "\"KeyId\":\"");
        if (st != 200 || p == NULL)
            abort();
        char body[256];
        snprintf(body, sizeof(body), "{\"AliasName\":\"alias/fz\",\"TargetKeyId\":\"%.36s\"}",
                 p + 9);
        st = harness_json(&h, "kms", "POST", "/", NULL, "TrentService.CreateAlias",
                          kv_slice_str(body), NULL);
        snprintf(body, sizeof(body),
                 "{\"KeyId\":\"%.36s\",\"GranteePrincipal\":\"arn:aws:iam::000000000000:user/u\","
                 "\"Operations\":[\"Decrypt\"]}",
                 p + 9);
        int st2 = harness_json(&h, "kms", "POST", "/", NULL, "TrentService.CreateGrant",
                               kv_slice_str(body), NULL);
        kv_buf_dispose(&out);
        if (st != 200 || st2 != 200)
            abort();
        ready = 1;
    }
    if (size < 1)
        return 0;
    char target[96];
    snprintf(target, sizeof(target), "%s%s", kms->target_prefix,
             kms->ops[data[0] % kms->n_ops].name);
    int st = harness_json(&h, "kms", "POST", "/", NULL, target, kv_slice(data + 1, size - 1), NULL);
    if (st >= 500) {
        fprintf(stderr, "%s: %d\n", target, st);
        abort();
    }
    api_sched_step(h.ctx);
    return 0;
}
