# SPDX-License-Identifier: Apache-2.0
"""Validation-table rows of package H (issue 17): compressed request bodies.

DynamoDB accepts a body sent with `Content-Encoding: gzip` (members may be concatenated) or
`deflate` (one zlib stream) and answers every other coding, and every stream it cannot
decompress, with HTTP 500 InternalServerError — observed against DynamoDB by ScyllaDB's
Alternator test suite (test/alternator/test_compressed_request.py, which runs against AWS), and
documented for the SDKs at https://docs.aws.amazon.com/sdkref/latest/guide/feature-compression.html.
The message of that 500 is not recorded anywhere we could find: the rows accept any message.
A decompressed body over the 16 MB request limit is refused with 413 (DynamoDB fixed its
decompression bomb in 2026, scylladb/scylladb#28820) with the message the uncompressed limit has.
"""
import gzip
import re
import zlib

from ddb_rows import Row

def _body(item_pk):
    import json
    return json.dumps({"TableName": "v_hash", "Item": {"pk": {"S": item_pk}, "v": {"S": "x"}}}).encode()


def _send(encoding, data, _n=[0]):
    """A signed PutItem whose body is `data` sent with Content-Encoding `encoding`; the row
    passes only if the error came back AND nothing was written."""
    def call(ctx):
        _n[0] += 1
        pk = "h-row-" + str(_n[0])
        st, _, body = ctx.post("DynamoDB_20120810.PutItem", data(pk) if callable(data) else data,
                               headers={"Content-Encoding": encoding})
        if st == 200:
            return None
        got = ctx.ddb.get_item(TableName="v_hash", Key={"pk": {"S": pk}}, ConsistentRead=True)
        if "Item" in got:
            return st, "ItemWritten", repr(got["Item"])
        return (st,) + ctx.error_of(body)
    return call


def _bomb(pk):
    # 20 MiB of blanks inside a valid PutItem: about 20 KiB once compressed.
    raw = _body(pk)
    return gzip.compress(raw[:-1] + b" " * (20 << 20) + raw[-1:], 9)


_SRC = ("observed DynamoDB behaviour: ScyllaDB Alternator's test_compressed_request.py, run "
        "against DynamoDB")
_INTERNAL = "InternalServerError"

ROWS = [
    Row("H-001", "Content-Encoding names a coding DynamoDB does not have (br)", _INTERNAL, None,
        call=_send("br", lambda pk: _body(pk)), status=500,
        source=_SRC + " (test_garbage_content_encoding); the SDK guide lists gzip only"),
    Row("H-002", "Content-Encoding lists more than one coding (gzip, br)", _INTERNAL, None,
        call=_send("gzip, br", lambda pk: gzip.compress(_body(pk))), status=500,
        source=_SRC + " (test_garbage_content_encoding: any value other than gzip or deflate)"),
    Row("H-003", "Content-Encoding is not a coding at all", _INTERNAL, None,
        call=_send("garbage", lambda pk: _body(pk)), status=500,
        source=_SRC + " (test_garbage_content_encoding)"),
    Row("H-004", "Content-Encoding gzip on a body that is not gzip", _INTERNAL, None,
        call=_send("gzip", lambda pk: _body(pk)), status=500,
        source=_SRC + " (test_broken_gzip_content)"),
    Row("H-005", "a gzip body cut short by one byte", _INTERNAL, None,
        call=_send("gzip", lambda pk: gzip.compress(_body(pk))[:-1]), status=500,
        source=_SRC + " (test_gzip_request_with_missing_character)"),
    Row("H-006", "an empty body sent as gzip", _INTERNAL, None,
        call=_send("gzip", b""), status=500, source=_SRC + " (test_gzip_request_empty)"),
    Row("H-007", "bytes after the gzip stream that start no gzip member", _INTERNAL, None,
        call=_send("gzip", lambda pk: gzip.compress(_body(pk)) + b"junk"), status=500,
        source="Stratus refuses what it cannot decompress; DynamoDB was observed to ignore such "
               "bytes (Alternator's test_gzip_request_with_extra_junk, marked as a DynamoDB bug)"),
    Row("H-008", "Content-Encoding deflate on a body that is not deflate", _INTERNAL, None,
        call=_send("deflate", lambda pk: _body(pk)), status=500,
        source=_SRC + " (test_deflate_request_not_deflated)"),
    Row("H-009", "an empty body sent as deflate", _INTERNAL, None,
        call=_send("deflate", b""), status=500, source=_SRC + " (test_deflate_request_empty)"),
    Row("H-010", "two deflate streams back to back (deflate is one zlib stream)", _INTERNAL, None,
        call=_send("deflate", lambda pk: zlib.compress(_body(pk)[:10]) + zlib.compress(_body(pk)[10:])),
        status=500, source=_SRC + " (test_deflate_request_two_deflates fails on DynamoDB)"),
    Row("H-011", "a gzip body whose CRC-32 does not match", _INTERNAL, None,
        call=_send("gzip", lambda pk: (lambda g: g[:-8] + bytes([g[-8] ^ 0xFF]) + g[-7:])(gzip.compress(_body(pk)))),
        status=500, source=_SRC + " (test_broken_gzip_content: a stream that does not decompress)"),
    Row("H-012", "a gzip body that decompresses past the 16 MB request limit (a bomb)",
        "RequestEntityTooLarge", re.compile(r"Request size exceeded 16777216 bytes"),
        call=_send("gzip", _bomb), status=413,
        source="DynamoDB's 16 MB request limit applied to the decompressed body "
               "(scylladb/scylladb#28820: DynamoDB now refuses such a request); the message is "
               "the one the uncompressed limit answers"),
]
