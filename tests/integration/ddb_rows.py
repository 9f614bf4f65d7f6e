# SPDX-License-Identifier: Apache-2.0
"""The DynamoDB validation table's row type and the context every row runs in.

Each check DynamoDB makes is one Row in a ddb_rows_<package>.py module (ROWS = [...]): the
request, the error type and AWS's exact message, and where the message comes from.
test_ddb_validation.py runs every row against a running stratusd.

A row sends `op` with `params` through boto3 with client-side validation off (so requests
boto3 would refuse still reach the server), or runs `call(ctx)` for what boto3 cannot send
(raw bodies, signatures, headers) and compares what it returns. `setup(ctx)` runs first.
"""
import dataclasses
import json
import re
import typing
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


@dataclasses.dataclass
class Row:
    id: str                      # "<package>-<n>", unique: "V1-003"
    check: str                   # what DynamoDB checks, in a few words
    error: str                   # the error type ("ValidationException")
    message: typing.Union[str, typing.Pattern, None]  # exact text, or re.compile(...) for a
                                 # message with variable parts (times, ids); None: any message
    op: str = ""                 # wire name ("PutItem"); empty when call is given
    params: typing.Any = None    # dict, or callable(ctx) -> dict
    service: str = "dynamodb"    # or "dynamodbstreams"
    call: typing.Optional[typing.Callable] = None  # call(ctx) -> (error type, message)
    setup: typing.Optional[typing.Callable] = None
    source: str = ""             # where the message is documented or observed
    status: int = 400            # HTTP status


# Tables every row may use (created once per run):
#   v_hash  — pk (S) HASH
#   v_range — pk (S) HASH, sk (N) RANGE; LSI "lsi" (pk, lsk S, ALL);
#             GSI "gsi" (gk S HASH, gs N RANGE, KEYS_ONLY); GSI "gsi_inc" (gk S, INCLUDE [x])
#   v_bin   — pk (B) HASH
#   v_stream — pk (S) HASH, stream NEW_AND_OLD_IMAGES
# A rows module may add its own: TABLES = [create_table kwargs, ...].
STD_TABLES = [
    dict(TableName="v_hash", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
         BillingMode="PAY_PER_REQUEST"),
    dict(TableName="v_range",
         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                               {"AttributeName": "sk", "AttributeType": "N"},
                               {"AttributeName": "lsk", "AttributeType": "S"},
                               {"AttributeName": "gk", "AttributeType": "S"},
                               {"AttributeName": "gs", "AttributeType": "N"}],
         LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [
             {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}],
         GlobalSecondaryIndexes=[
             {"IndexName": "gsi", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"},
                                                {"AttributeName": "gs", "KeyType": "RANGE"}],
              "Projection": {"ProjectionType": "KEYS_ONLY"}},
             {"IndexName": "gsi_inc", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
              "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
         BillingMode="PAY_PER_REQUEST"),
    dict(TableName="v_bin", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "B"}],
         BillingMode="PAY_PER_REQUEST"),
    dict(TableName="v_stream", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
         BillingMode="PAY_PER_REQUEST",
         StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}),
]


class Ctx:
    """What a row's params, setup and call functions get."""

    def __init__(self, srv):
        self.srv = srv
        self.ddb = srv.client("dynamodb", parameter_validation=False)
        self.streams = srv.client("dynamodbstreams", parameter_validation=False)
        self.endpoint = srv.endpoint
        self.region = srv.region
        self.creds = Credentials(srv.access_key, srv.secret_key)
        self.vars = {}  # rows may keep values here (a stream ARN, ...)

    def client(self, service):
        return self.ddb if service == "dynamodb" else self.streams

    def post(self, target, body, headers=None, sign=True, service="dynamodb", amz_date=None):
        """POST a raw body (bytes or a JSON-able object) with X-Amz-Target `target` ("DynamoDB_20120810.PutItem");
        signed with SigV4 unless sign is False (amz_date: sign as of that time, "20200101T000000Z").
        Returns (status, headers dict with lower-case names, body bytes)."""
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target}
        h.update(headers or {})
        req = AWSRequest(method="POST", url=self.endpoint + "/", data=body, headers=h)
        if sign:
            auth = SigV4Auth(self.creds, "dynamodb", self.region)
            if amz_date:
                import datetime
                from unittest import mock
                fixed = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
                with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
                    auth.add_auth(req)
            else:
                auth.add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(prepared.url, data=body, method="POST", headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    @staticmethod
    def error_of(body):
        """(type, message) of a DynamoDB JSON error body."""
        doc = json.loads(body)
        t = doc.get("__type", "")
        return t.rsplit("#", 1)[-1], doc.get("message", doc.get("Message"))


def run_row(ctx, row):
    """Run one row: (status, error type, message) the server answered; (None, None, None) if it succeeded."""
    if row.setup:
        row.setup(ctx)
    if row.call:
        got = row.call(ctx)
        if got is None:
            return None, None, None
        if len(got) == 2:
            return row.status, got[0], got[1]
        return got
    params = row.params(ctx) if callable(row.params) else (row.params or {})
    try:
        ctx.client(row.service)._make_api_call(row.op, params)
    except ClientError as e:
        return (e.response["ResponseMetadata"].get("HTTPStatusCode"), e.response["Error"]["Code"],
                e.response["Error"].get("Message"))
    return None, None, None


def message_matches(expected, got):
    if expected is None:
        return True
    if isinstance(expected, re.Pattern):
        return got is not None and expected.fullmatch(got) is not None
    return expected == got
