/* SPDX-License-Identifier: Apache-2.0 */
/* The account questions SDKs ask DynamoDB: DescribeLimits and DescribeEndpoints. */
#include <string.h>

#include "ddb_int.h"

int ddb_decode_describe_limits(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    (void)in;
    memset(out, 0, sizeof(*out));
    return ddb_dec_finish(d);
}

int ddb_decode_describe_endpoints(ddb_dec_t *d, const api_json_t *in, ddb_meta_in_t *out)
{
    (void)in;
    memset(out, 0, sizeof(*out));
    return ddb_dec_finish(d);
}

int ddb_exec_describe_limits(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                             const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)in, (void)out;
    return 0;
}

int ddb_exec_describe_endpoints(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp,
                                const ddb_meta_in_t *in, ddb_meta_out_t *out)
{
    (void)ctx, (void)req, (void)resp, (void)in, (void)out;
    return 0;
}

/* The account limits DynamoDB reports for a new account (on-demand quotas). */
void ddb_encode_describe_limits(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                                api_jw_t *w)
{
    (void)ctx, (void)req, (void)out;
    api_jw_obj_begin(w);
    api_jw_ku64(w, "AccountMaxReadCapacityUnits", 80000);
    api_jw_ku64(w, "AccountMaxWriteCapacityUnits", 80000);
    api_jw_ku64(w, "TableMaxReadCapacityUnits", 40000);
    api_jw_ku64(w, "TableMaxWriteCapacityUnits", 40000);
    api_jw_obj_end(w);
}

/* The endpoint is the one the request came to. */
void ddb_encode_describe_endpoints(api_ctx_t *ctx, api_req_t *req, const ddb_meta_out_t *out,
                                   api_jw_t *w)
{
    (void)ctx, (void)out;
    api_jw_obj_begin(w);
    api_jw_key(w, "Endpoints");
    api_jw_arr_begin(w);
    api_jw_obj_begin(w);
    api_jw_key(w, "Address");
    api_jw_str(w, api_req_header(req, "host"));
    api_jw_ku64(w, "CachePeriodInMinutes", 1440);
    api_jw_obj_end(w);
    api_jw_arr_end(w);
    api_jw_obj_end(w);
}
