/* SPDX-License-Identifier: Apache-2.0 */
/* until the service table lands */
/*
 * Which operations run their execute stage on the server's worker pool: those
 * that copy or scan data in proportion to their input (a function's zip, a
 * whole table, an object's bytes) rather than a bounded amount.
 */
#include "api_int.h"

bool api_offload(const api_req_t *req)
{
    const api_state_t *st = req->_st;
    if (!st)
        return false;
    switch (st->op) {
    case API_OP_LAMBDA_create_function:
    case API_OP_LAMBDA_update_function_code:
    case API_OP_DDB_restore_table_from_backup:
    case API_OP_DDB_restore_table_to_point_in_time:
    case API_OP_S3_copy_object:
    case API_OP_S3_upload_part_copy:
        return true;
    default:
        return false;
    }
}
