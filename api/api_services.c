/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service table: the one place that lists the protocols. A new protocol is its own folder
 * exporting one api_service_t, and one row here. The order is the routing order within each
 * claiming phase (api_service.h) and the order of /metrics.
 */
#include "api_int.h"
#include "ddb/ddb_int.h"
#include "events/events_int.h" /* issue 14, package E */
#include "iam/iam_int.h"       /* issue 15, package I */
#include "kms/kms_int.h"       /* issue 16, package K */
#include "lambda/lambda_int.h"
#include "lambda/lambda_url.h"
#include "s3/s3_int.h"
#include "sns/sns_int.h" /* issue 14 */
#include "sqs/sqs_int.h"
#include "sts/sts_int.h" /* issue 15, package T */

const api_service_t *const api_services[] = {
    &api_ops_service, &ddb_service,  &streams_service,    &s3_service,
    &lambda_service,  &logs_service, &lambda_url_service, &sqs_service, /* issue 14, package Q */
    &sns_service,                                                       /* issue 14, package N */
    &events_service, /* issue 14, package E: EventBridge */
    &iam_service,    /* issue 15, package I: IAM */
    &sts_service,    /* issue 15, package T: STS */
    &kms_service,    /* issue 16, package K: KMS */
};

const size_t api_n_services = sizeof(api_services) / sizeof(api_services[0]);

int api_service_index(const api_service_t *svc)
{
    for (size_t i = 0; i < api_n_services; i++)
        if (api_services[i] == svc)
            return (int)i;
    return -1;
}

void *api_service_state(api_ctx_t *ctx, const api_service_t *svc)
{
    int i = api_service_index(svc);
    return i < 0 || ctx->svc_state == NULL ? NULL : ctx->svc_state[i];
}
