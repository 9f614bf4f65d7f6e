/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Amazon Ion text writer of DynamoDB's ION exports (issue 17, package E). Values as
 * DynamoDB writes them: S a string, N a decimal in Ion's shortest form for its digits (the
 * unscaled digits then "." for an integer, "d<exp>" for trailing zeros, a decimal point inside
 * or "0.000…" for fractions, "d-<exp>" for tiny ones: 103. 6d2 12.5 0.05 1d-10), B a blob
 * {{base64}}, BOOL true/false, NULL null, L a list, M a struct, and the sets lists annotated
 * $dynamodb_SS::, $dynamodb_NS::, $dynamodb_BS::. Field names are identifiers where Ion allows
 * one, else quoted symbols.
 */
#include <stdio.h>
#include <string.h>

#include "base/kv_b64.h"
#include "ddb_ion.h"

/* Ion string or quoted-symbol text (quote '"' or '\''): UTF-8 kept, escapes for the quote, the
 * backslash and control bytes. */
static void put_quoted(kv_buf_t *out, kv_slice_t s, char quote)
{
    kv_buf_append_byte(out, (uint8_t)quote);
    size_t run = 0;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.p[i];
        const char *esc = NULL;
        char hex[5];
        switch (c) {
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\0':
            esc = "\\0";
            break;
        case '"':
            esc = quote == '"' ? "\\\"" : NULL;
            break;
        case '\'':
            esc = quote == '\'' ? "\\'" : NULL;
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(hex, sizeof(hex), "\\x%02x", c);
                esc = hex;
            }
        }
        if (esc == NULL)
            continue;
        kv_buf_append(out, s.p + run, i - run);
        kv_buf_append(out, esc, strlen(esc));
        run = i + 1;
    }
    kv_buf_append(out, s.p + run, s.len - run);
    kv_buf_append_byte(out, (uint8_t)quote);
}

void ddb_ion_write_symbol(kv_buf_t *out, kv_slice_t name)
{
    bool ident = name.len > 0 && !(name.p[0] >= '0' && name.p[0] <= '9');
    for (size_t i = 0; ident && i < name.len; i++) {
        uint8_t c = name.p[i];
        ident =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
    static const char *const kw[] = {"null", "true", "false", "nan"};
    for (size_t i = 0; ident && i < sizeof(kw) / sizeof(kw[0]); i++)
        ident = !kv_slice_eq_str(name, kw[i]);
    if (ident)
        kv_buf_append_slice(out, name);
    else
        put_quoted(out, name, '\'');
}

void ddb_ion_write_string(kv_buf_t *out, kv_slice_t s)
{
    put_quoted(out, s, '"');
}

void ddb_ion_write_decimal(kv_buf_t *out, const eng_num_t *n)
{
    if (n->sign == 0 || n->n_digits == 0) {
        kv_buf_append(out, "0.", 2);
        return;
    }
    if (n->sign < 0)
        kv_buf_append_byte(out, '-');
    /* value = digits * 10^e, digits the n_digits significant digits */
    int nd = n->n_digits;
    int e = n->exp - nd;
    char digits[ENG_NUM_MAX_DIGITS + 1];
    for (int i = 0; i < nd; i++)
        digits[i] = (char)('0' + n->d[i]);
    if (e == 0) {
        kv_buf_append(out, digits, (size_t)nd);
        kv_buf_append_byte(out, '.');
    } else if (e > 0) {
        kv_buf_append(out, digits, (size_t)nd);
        kv_buf_printf(out, "d%d", e);
    } else {
        int adjusted = nd - 1 + e; /* the exponent of the first digit */
        if (adjusted >= 0) {
            int whole = nd + e;
            kv_buf_append(out, digits, (size_t)whole);
            kv_buf_append_byte(out, '.');
            kv_buf_append(out, digits + whole, (size_t)(nd - whole));
        } else if (adjusted >= -6) {
            kv_buf_append(out, "0.", 2);
            for (int i = 0; i < -adjusted - 1; i++)
                kv_buf_append_byte(out, '0');
            kv_buf_append(out, digits, (size_t)nd);
        } else {
            kv_buf_append(out, digits, (size_t)nd);
            kv_buf_printf(out, "d%d", e);
        }
    }
}

static void put_number(kv_buf_t *out, kv_slice_t text)
{
    eng_num_t n;
    if (eng_num_parse(text, &n) != ENG_NUM_OK) {
        kv_buf_append(out, "0.", 2); /* stored numbers are canonical: not reached */
        return;
    }
    ddb_ion_write_decimal(out, &n);
}

static void put_blob(kv_buf_t *out, kv_slice_t b)
{
    kv_buf_append(out, "{{", 2);
    kv_b64_encode(out, b.p, b.len);
    kv_buf_append(out, "}}", 2);
}

void ddb_ion_write_av(kv_buf_t *out, const eng_av_t *v)
{
    switch (v->t) {
    case ENG_AV_S:
        ddb_ion_write_string(out, v->u.s);
        break;
    case ENG_AV_N:
        put_number(out, v->u.s);
        break;
    case ENG_AV_B:
        put_blob(out, v->u.s);
        break;
    case ENG_AV_BOOL:
        kv_buf_append_str(out, v->u.b ? "true" : "false");
        break;
    case ENG_AV_NULL:
        kv_buf_append(out, "null", 4);
        break;
    case ENG_AV_M:
        kv_buf_append_byte(out, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                kv_buf_append_byte(out, ',');
            ddb_ion_write_symbol(out, v->u.m[i].name);
            kv_buf_append_byte(out, ':');
            ddb_ion_write_av(out, v->u.m[i].v);
        }
        kv_buf_append_byte(out, '}');
        break;
    case ENG_AV_L:
        kv_buf_append_byte(out, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                kv_buf_append_byte(out, ',');
            ddb_ion_write_av(out, v->u.l[i]);
        }
        kv_buf_append_byte(out, ']');
        break;
    case ENG_AV_SS:
    case ENG_AV_NS:
    case ENG_AV_BS:
        kv_buf_append_str(out, v->t == ENG_AV_SS   ? "$dynamodb_SS::["
                               : v->t == ENG_AV_NS ? "$dynamodb_NS::["
                                                   : "$dynamodb_BS::[");
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                kv_buf_append_byte(out, ',');
            if (v->t == ENG_AV_SS)
                ddb_ion_write_string(out, v->u.set[i]);
            else if (v->t == ENG_AV_NS)
                put_number(out, v->u.set[i]);
            else
                put_blob(out, v->u.set[i]);
        }
        kv_buf_append_byte(out, ']');
        break;
    }
}

void ddb_ion_write_item(kv_buf_t *out, const eng_item_t *it)
{
    kv_buf_append_byte(out, '{');
    for (size_t i = 0; i < it->n; i++) {
        if (i)
            kv_buf_append_byte(out, ',');
        ddb_ion_write_symbol(out, it->attrs[i].name);
        kv_buf_append_byte(out, ':');
        ddb_ion_write_av(out, it->attrs[i].v);
    }
    kv_buf_append_byte(out, '}');
}
