/* SPDX-License-Identifier: Apache-2.0 */
/* Names and texts for the kv_err codes, generated from KV_ERR_MAP. */
#include "kv_err.h"

const char *kv_err_name(int err)
{
    switch (err) {
    case 0:
        return "KV_OK";
#define XX(name, val, msg) \
    case val:              \
        return "KV_" #name;
        KV_ERR_MAP(XX)
#undef XX
    default:
        return "KV_EUNKNOWN";
    }
}

const char *kv_err_str(int err)
{
    switch (err) {
    case 0:
        return "success";
#define XX(name, val, msg) \
    case val:              \
        return msg;
        KV_ERR_MAP(XX)
#undef XX
    default:
        return "unknown error";
    }
}
