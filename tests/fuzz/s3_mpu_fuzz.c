/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 16, package C: multipart checksums through the api layer. The input is split at
 * newlines: line 1 is CreateMultipartUpload's x-amz-checksum-algorithm, line 2 its
 * x-amz-checksum-type (also sent on the completion), line 3 a checksum value (UploadPart's
 * x-amz-checksum-<algorithm> header, a part's Checksum element and the completion's whole-object
 * header), line 4 a number (a GET's partNumber, GetObjectAttributes' x-amz-max-parts and
 * x-amz-part-number-marker), the rest a CompleteMultipartUpload body. Nothing may answer 5xx
 * (but 501) or crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "base/kv_buf.h"

static harness_t h;

static kv_slice_t next_line(kv_slice_t *in)
{
    const uint8_t *nl = in->len ? memchr(in->p, '\n', in->len) : NULL;
    size_t n = nl ? (size_t)(nl - in->p) : in->len;
    kv_slice_t line = kv_slice(in->p, n);
    *in = nl ? kv_slice(nl + 1, in->len - n - 1) : KV_SLICE_NULL;
    return line;
}

/* Header values go through the signing client: keep them printable. */
static char *printable(kv_slice_t s, char *buf, size_t cap)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? (char)s.p[i] : 'x';
    buf[n] = '\0';
    return buf;
}

static void check(int st)
{
    if (st == -2 || (st >= 500 && st != 501)) {
        fprintf(stderr, "s3_mpu_fuzz: status %d\n", st);
        abort();
    }
}

/* The upload id in a CreateMultipartUpload answer, or 0. */
static int upload_id(kv_buf_t *out, char id[17])
{
    kv_buf_append(out, "", 1);
    const char *p = strstr((const char *)out->p, "<UploadId>");
    if (p == NULL || strlen(p) < 26)
        return 0;
    memcpy(id, p + 10, 16);
    id[16] = '\0';
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    char id[17], q[128];
    kv_buf_t out;
    kv_buf_init(&out, 1 << 14);
    if (!ready) {
        if (harness_open(&h, "us-east-1") != 0)
            abort();
        check(harness_s3(&h, "PUT", "/fuzz-mpu", NULL, KV_SLICE_NULL, NULL));
        /* A completed CRC32 composite object of one part, for the reads. */
        const char *ca[] = {"x-amz-checksum-algorithm", "CRC32", NULL};
        check(harness_s3_hdrs(&h, "POST", "/fuzz-mpu/mp", "uploads", KV_SLICE_NULL, ca, &out));
        if (!upload_id(&out, id))
            abort();
        snprintf(q, sizeof(q), "partNumber=1&uploadId=%s", id);
        const char *ck[] = {"x-amz-checksum-crc32", "NhCmhg==", NULL}; /* crc32("hello") */
        check(harness_s3_hdrs(&h, "PUT", "/fuzz-mpu/mp", q, KV_SLICE_LIT("hello"), ck, NULL));
        snprintf(q, sizeof(q), "uploadId=%s", id);
        check(harness_s3(&h, "POST", "/fuzz-mpu/mp", q,
                         KV_SLICE_LIT("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                                      "<ETag>5d41402abc4b2a76b9719d911017c592</ETag>"
                                      "<ChecksumCRC32>NhCmhg==</ChecksumCRC32></Part>"
                                      "</CompleteMultipartUpload>"),
                         NULL));
        ready = 1;
    }
    kv_slice_t in = kv_slice(data, size);
    char algo[64], type[64], value[128], num[64], hname[96];
    printable(next_line(&in), algo, sizeof(algo));
    printable(next_line(&in), type, sizeof(type));
    printable(next_line(&in), value, sizeof(value));
    printable(next_line(&in), num, sizeof(num));
    kv_slice_t body = in;

    /* An upload with the fuzzed algorithm and type. */
    kv_buf_reset(&out);
    const char *create[] = {"x-amz-checksum-algorithm", algo, "x-amz-checksum-type", type, NULL};
    int st = harness_s3_hdrs(&h, "POST", "/fuzz-mpu/k", "uploads", KV_SLICE_NULL, create, &out);
    check(st);
    if (st == 200 && upload_id(&out, id)) {
        /* A part with the fuzzed value as its checksum of the named algorithm. */
        snprintf(hname, sizeof(hname), "x-amz-checksum-%s", algo[0] ? algo : "crc32");
        for (char *c = hname; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c + 32);
        const char *part[] = {hname, value, NULL};
        snprintf(q, sizeof(q), "partNumber=1&uploadId=%s", id);
        check(harness_s3_hdrs(&h, "PUT", "/fuzz-mpu/k", q, KV_SLICE_LIT("hello"), part, NULL));
        check(harness_s3(&h, "PUT", "/fuzz-mpu/k", q, KV_SLICE_LIT("hello"), NULL));
        snprintf(q, sizeof(q), "uploadId=%s", id);
        const char *done[] = {"x-amz-checksum-type", type, hname, value, NULL};
        /* The fuzzed body, then a well-formed one carrying the fuzzed part checksum. */
        check(harness_s3_hdrs(&h, "POST", "/fuzz-mpu/k", q, body, done, NULL));
        kv_buf_t b;
        kv_buf_init(&b, 512);
        kv_buf_printf(&b,
                      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                      "<ETag>\"5d41402abc4b2a76b9719d911017c592\"</ETag><Checksum%s>%s</Checksum%s>"
                      "</Part></CompleteMultipartUpload>",
                      algo[0] && !strpbrk(algo, "<>&/ ") ? algo : "CRC32",
                      strpbrk(value, "<&") ? "" : value,
                      algo[0] && !strpbrk(algo, "<>&/ ") ? algo : "CRC32");
        check(harness_s3_hdrs(&h, "POST", "/fuzz-mpu/k", q, kv_buf_slice(&b), done, NULL));
        check(harness_s3_hdrs(&h, "POST", "/fuzz-mpu/k", q, kv_buf_slice(&b), done, NULL));
        kv_buf_dispose(&b);
        check(harness_s3(&h, "DELETE", "/fuzz-mpu/k", q, KV_SLICE_NULL, NULL));
    }
    /* Reads: partNumber, the attributes' page. */
    snprintf(q, sizeof(q), "partNumber=%s", num);
    const char *mode[] = {"x-amz-checksum-mode", "ENABLED", NULL};
    check(harness_s3_hdrs(&h, "GET", "/fuzz-mpu/mp", strchr(num, '&') ? NULL : q, KV_SLICE_NULL,
                          mode, NULL));
    check(harness_s3_hdrs(&h, "HEAD", "/fuzz-mpu/k", strchr(num, '&') ? NULL : q, KV_SLICE_NULL,
                          mode, NULL));
    const char *attrs[] = {"x-amz-object-attributes",
                           "Checksum,ObjectParts,ETag",
                           "x-amz-max-parts",
                           num,
                           "x-amz-part-number-marker",
                           num,
                           NULL};
    check(harness_s3_hdrs(&h, "GET", "/fuzz-mpu/mp", "attributes", KV_SLICE_NULL, attrs, NULL));
    check(harness_s3_hdrs(&h, "GET", "/fuzz-mpu/k", "attributes", KV_SLICE_NULL, attrs, NULL));
    kv_buf_dispose(&out);
    return 0;
}
