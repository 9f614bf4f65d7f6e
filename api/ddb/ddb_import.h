/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operation types of ImportTable, DescribeImport and ListImports (issue 17, package I),
 * included by ddb_int.h before the operations' prototypes (which need them).
 */
#ifndef DDB_IMPORT_H
#define DDB_IMPORT_H

/* An import is a record under catalog kind 'E', key 'I' + its id. */
typedef struct ddb_imp_rec {
    const char *id;     /* "<14-digit ms>-<8 hex>" */
    const char *table;  /* the table it creates */
    const char *status; /* IN_PROGRESS, COMPLETED, FAILED */
    const char *token, *bucket, *prefix, *owner, *format, *comp;
    const char *delim;    /* CSV: NULL when InputFormatOptions gave none */
    const char **headers; /* CSV HeaderList (NULL: none) */
    size_t n_headers;
    bool has_csv;         /* InputFormatOptions.Csv was given */
    kv_slice_t tcp;       /* TableCreationParameters as JSON text */
    const char *table_id; /* the table's TableId */
    uint32_t tid;         /* its engine id */
    int64_t start_ms, end_ms;
    uint64_t processed, psize, imported, errors;
    const char *obj; /* the object being read ("": none yet) */
    uint64_t off;    /* its uncompressed offset of the next record */
    uint64_t index;  /* records of it read before off */
    bool obj_done;   /* obj is finished: the next object follows it */
    bool s3_denied;  /* its caller may not read the source: it fails (S3AccessDenied) */
    const char *fcode, *fmsg;
} ddb_imp_rec_t;

typedef struct ddb_import_table_in {
    kv_slice_t token, bucket, prefix, owner, format, comp, delim;
    kv_slice_t *headers;
    size_t n_headers;
    bool has_csv;
    ddb_create_table_in_t ct;
    kv_slice_t tcp;
    bool s3_denied; /* the caller may not s3:ListBucket / s3:GetObject the source */
} ddb_import_table_in_t;
typedef struct ddb_import_out {
    ddb_imp_rec_t *r;
} ddb_import_out_t;
typedef ddb_import_out_t ddb_import_table_out_t;
typedef struct ddb_describe_import_in {
    kv_slice_t arn, id;
} ddb_describe_import_in_t;
typedef ddb_import_out_t ddb_describe_import_out_t;
typedef struct ddb_list_imports_in {
    kv_slice_t table_arn, table, next;
    size_t page;
} ddb_list_imports_in_t;
typedef struct ddb_list_imports_out {
    ddb_imp_rec_t *list;
    size_t n;
    const char *next;
} ddb_list_imports_out_t;

#endif
