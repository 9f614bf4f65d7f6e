/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package W: static website hosting. The bucket's WebsiteConfiguration
 * (Put/Get/DeleteBucketWebsite, s3_website.c), x-amz-website-redirect-location on objects, and
 * the website endpoint (s3_website_ep.c): <bucket>.s3-website[-.]<region>.localhost or the path
 * form /_website/<bucket>/<key>, anonymous GET and HEAD answered as S3's website endpoints
 * answer them.
 */
#ifndef S3_WEBSITE_H
#define S3_WEBSITE_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "api_err.h"
#include "base/kv_arena.h"
#include "base/kv_buf.h"
#include "base/kv_slice.h"

#define S3_WEB_RULES_MAX    50           /* routing rules of one configuration (S3's limit) */
#define S3_WEB_REDIRECT_MAX 2048         /* bytes of an x-amz-website-redirect-location */
#define S3_WEB_PATH_FORM    "/_website/" /* the path form: "_" is never in a bucket name */

/** A routing rule's Redirect (a value is absent when its has_ flag is false). */
typedef struct s3_web_redirect {
    kv_slice_t host, protocol, replace_prefix, replace_key;
    bool has_host, has_protocol, has_replace_prefix, has_replace_key;
    unsigned code; /* HttpRedirectCode; 0: absent (301) */
} s3_web_redirect_t;

/** One RoutingRule: its Condition (none: it applies to every request) and its Redirect. */
typedef struct s3_web_rule {
    kv_slice_t prefix;   /* KeyPrefixEquals */
    bool has_prefix;     /* a key condition */
    unsigned error_code; /* HttpErrorCodeReturnedEquals (400-599); 0: no error condition */
    s3_web_redirect_t to;
} s3_web_rule_t;

/** A parsed WebsiteConfiguration. */
typedef struct s3_website {
    bool redirect_all; /* RedirectAllRequestsTo: all_host and all_protocol, nothing else */
    kv_slice_t all_host, all_protocol;
    kv_slice_t index;     /* IndexDocument Suffix (non-empty, no '/') */
    kv_slice_t error_key; /* ErrorDocument Key */
    bool has_error;
    s3_web_rule_t *rules;
    size_t n_rules;
} s3_website_t;

/** Why a WebsiteConfiguration was refused: S3's error, its message and, for InvalidArgument,
 * ArgumentName and ArgumentValue (NULL: none). */
typedef struct s3_web_err {
    api_err_t e;
    const char *msg;
    const char *arg_name, *arg_value;
} s3_web_err_t;

/**
 * Parse and validate a WebsiteConfiguration document as PutBucketWebsite does (slices point
 * into xml or arena a). @return 0, or -1 with err filled.
 */
int s3_website_parse(kv_arena_t *a, kv_slice_t xml, s3_website_t *out, s3_web_err_t *err);
/** The configuration as S3 returns it (GetBucketWebsite), also the form it is stored in. */
void s3_website_render(const s3_website_t *w, kv_buf_t *out);
/** Is v an acceptable x-amz-website-redirect-location ("/...", "http://...", "https://...",
 * at most S3_WEB_REDIRECT_MAX bytes, no control characters)? */
bool s3_website_redirect_ok(kv_slice_t v);
/** An object write's x-amz-website-redirect-location (header or form field value v; empty:
 * none) into *out; -1 with InvalidRedirectLocation set. */
int s3_website_redirect_in(api_req_t *req, api_resp_t *resp, kv_slice_t v, const char **out);

/* ---- the website endpoint (s3_website_ep.c) ---- */
/** Is the request the website endpoint's (by its Host or the path form)? s3_service's claim. */
bool s3_website_claim(api_ctx_t *ctx, const api_req_t *req);
/** The website operation of a request the endpoint claims (sets st->bucket and st->key_name),
 * or -1 when it is not one. */
int s3_website_route(api_req_t *req);
/** Is op one of the website endpoint's (its errors are HTML pages)? */
bool s3_website_op(int op);
/** The HTML error page of a website request's recorded error, with x-amz-error-* headers. */
void s3_website_error_page(api_ctx_t *ctx, api_req_t *req, api_resp_t *resp);

/* ---- typed inputs and outputs ---- */
typedef struct s3_website_in {
    kv_slice_t bucket;
    kv_slice_t doc; /* Put: the configuration as it is stored */
} s3_website_in_t;
typedef struct s3_website_out {
    kv_slice_t doc; /* Get */
} s3_website_out_t;
typedef s3_website_in_t s3_put_bucket_website_in_t;
typedef s3_website_in_t s3_get_bucket_website_in_t;
typedef s3_website_in_t s3_delete_bucket_website_in_t;
typedef s3_website_out_t s3_put_bucket_website_out_t;
typedef s3_website_out_t s3_get_bucket_website_out_t;
typedef s3_website_out_t s3_delete_bucket_website_out_t;

/** A website request: the bucket, the key as asked, and how to name it again in a Location. */
typedef struct s3_website_get_in {
    kv_slice_t bucket, key;
    kv_slice_t base; /* the path a Location starts with: "" or "/_website/<bucket>" */
    kv_slice_t host; /* the request's Host (with its port) */
    bool head;
} s3_website_get_in_t;
typedef s3_website_get_in_t s3_website_refused_in_t;

/** What a website request is answered with. */
typedef enum s3_web_answer {
    S3_WEB_OBJECT = 0, /* the object (a page or an index document) */
    S3_WEB_REDIRECT,   /* status and Location */
    S3_WEB_ERROR_DOC,  /* the custom error document, with the error's status */
    S3_WEB_ERROR,      /* S3's HTML error page */
} s3_web_answer_t;

typedef struct s3_website_get_out {
    s3_web_answer_t answer;
    struct s3_object_out *obj; /* OBJECT, ERROR_DOC */
    int status;                /* REDIRECT, ERROR_DOC */
    kv_slice_t location;       /* REDIRECT */
    api_err_t err;             /* ERROR, ERROR_DOC */
    const char *msg;           /* its message (NULL: the table's) */
    kv_slice_t key;            /* the key the error is about (x-amz-error-detail-Key) */
    kv_slice_t extra;          /* ERROR: the page's list items after Message (pre-escaped) */
} s3_website_get_out_t;
typedef s3_website_get_out_t s3_website_refused_out_t;

#endif
