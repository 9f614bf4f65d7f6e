# SPDX-License-Identifier: Apache-2.0
"""AWS's own runtime interface client for Node (npm aws-lambda-ric 3.x, built by `make
ric-deps` into tests/ric/node_modules) as the bootstrap of a provided.al2023 function: a
`bootstrap` shell script runs node with the ric and a handler module. Invoked directly (result,
error types, context) and fed by a DynamoDB stream mapping, its handler writing derived items
back with plain signed HTTP."""
import io
import json
import os
import time
import unittest
import zipfile

from botocore.exceptions import ClientError

from stratus_fixture import Server

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
RIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../ric/node_modules/aws-lambda-ric")

BOOTSTRAP = """#!/bin/sh
# As AWS documents for a custom runtime built on the Node.js runtime interface client.
cd "$LAMBDA_TASK_ROOT"
exec node "$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/bin/index.mjs" "$_HANDLER"
"""

# A handler module: the context, errors, and derived items written with SigV4-signed HTTP (no
# SDK in the zip: only node's own modules).
HANDLER = r"""
const crypto = require('crypto');
const http = require('http');
function hmac(k, s) { return crypto.createHmac('sha256', k).update(s).digest(); }
function sha(s) { return crypto.createHash('sha256').update(s).digest('hex'); }
function ddb(target, body) {
  const url = new URL(process.env.AWS_ENDPOINT_URL);
  const region = process.env.AWS_REGION, payload = JSON.stringify(body);
  const amz = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amz.slice(0, 8), scope = `${day}/${region}/dynamodb/aws4_request`;
  const headers = { 'content-type': 'application/x-amz-json-1.0', host: url.host, 'x-amz-date': amz,
                    'x-amz-target': 'DynamoDB_20120810.' + target };
  if (process.env.AWS_SESSION_TOKEN) headers['x-amz-security-token'] = process.env.AWS_SESSION_TOKEN;
  const names = Object.keys(headers).sort();
  const canon = ['POST', '/', '', names.map((n) => `${n}:${headers[n]}\n`).join(''), names.join(';'),
                 sha(payload)].join('\n');
  const sts = ['AWS4-HMAC-SHA256', amz, scope, sha(canon)].join('\n');
  let k = hmac('AWS4' + process.env.AWS_SECRET_ACCESS_KEY, day);
  for (const p of [region, 'dynamodb', 'aws4_request']) k = hmac(k, p);
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${process.env.AWS_ACCESS_KEY_ID}/${scope}, ` +
    `SignedHeaders=${names.join(';')}, Signature=${hmac(k, sts).toString('hex')}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/', method: 'POST', headers }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(data)) : reject(new Error(data))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
exports.handler = async (event, context) => {
  if (event.Records) {
    for (const r of event.Records) {
      if (r.eventName !== 'INSERT') continue;
      const pk = r.dynamodb.NewImage.pk.S;
      await ddb('PutItem', { TableName: 'derived', Item: { pk: { S: pk }, n: { N: String(Number(r.dynamodb.NewImage.n.N) * 2) } } });
    }
    console.log('batch of', event.Records.length);
    return { batchItemFailures: [] };
  }
  if (event.fail) throw new TypeError('asked to fail');
  if (event.log) { console.info('info', event.log); console.warn('warn', event.log); }
  return { requestId: context.awsRequestId, fn: context.functionName, mem: context.memoryLimitInMB,
           arn: context.invokedFunctionArn, stream: context.logStreamName, group: context.logGroupName,
           left: context.getRemainingTimeInMillis(), echo: event };
};
"""


def ric_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = (0o100755) << 16
        z.writestr(info, BOOTSTRAP)
        z.writestr("index.js", HANDLER)
        # The ric's runtime files (its node_modules entry, without the sources it was built from).
        for sub in ("package.json", "bin/index.mjs", "dist/index.mjs", "dist/rapid-client.node"):
            info = zipfile.ZipInfo("node_modules/aws-lambda-ric/" + sub)
            info.external_attr = (0o100755 if sub.endswith(".node") else 0o100644) << 16
            with open(os.path.join(RIC, sub), "rb") as f:
                z.writestr(info, f.read())
    return buf.getvalue()


@unittest.skipUnless(os.path.exists(os.path.join(RIC, "dist/rapid-client.node")),
                     "aws-lambda-ric is not installed: run `make ric-deps`")
class Ric(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")
        cls.lam.create_function(FunctionName="ric", Runtime="provided.al2023", Role=ROLE, Handler="index.handler",
                                Code={"ZipFile": ric_zip()}, Timeout=30, MemorySize=256)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_invoke_result_context_and_errors(self):
        r = self.lam.invoke(FunctionName="ric", Payload=json.dumps({"hello": "ric"}))
        self.assertNotIn("FunctionError", r)
        out = json.loads(r["Payload"].read())
        rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        self.assertEqual(out["echo"], {"hello": "ric"})
        self.assertEqual(out["requestId"], rid)
        self.assertEqual(out["fn"], "ric")
        self.assertEqual(str(out["mem"]), "256")
        self.assertEqual(out["arn"], "arn:aws:lambda:us-east-1:000000000000:function:ric")
        self.assertEqual(out["group"], "/aws/lambda/ric")
        self.assertRegex(out["stream"], r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
        self.assertTrue(0 < out["left"] <= 30000, out["left"])
        r = self.lam.invoke(FunctionName="ric", Payload=json.dumps({"fail": True}))
        self.assertEqual(r["FunctionError"], "Unhandled")
        err = json.loads(r["Payload"].read())
        self.assertEqual((err["errorType"], err["errorMessage"]), ("TypeError", "asked to fail"))
        self.assertIsInstance(err["trace"], list)  # the ric's own error shape
        # Its log: Lambda's START/END/REPORT around the ric's own lines.
        logs = self.srv.client("logs")
        deadline, msgs = time.time() + 10, []
        while time.time() < deadline:
            msgs = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/ric")["events"]]
            if sum(m.startswith("REPORT") for m in msgs) >= 2:
                break
            time.sleep(0.1)
        self.assertTrue(any(m.startswith("START RequestId: " + rid) for m in msgs), msgs)
        self.assertTrue(any("Invoke Error" in m and "asked to fail" in m for m in msgs), msgs)

    def test_unknown_handler(self):
        self.lam.create_function(FunctionName="ric-missing", Runtime="provided.al2023", Role=ROLE,
                                 Handler="nothere.handler", Code={"ZipFile": ric_zip()}, Timeout=30)
        r = self.lam.invoke(FunctionName="ric-missing", Payload=b"{}")
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(r["Payload"].read())["errorType"], "Runtime.ImportModuleError")

    def test_logging_config_json(self):
        """LoggingConfig JSON reaches the ric (AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL): its own
        JSON records, filtered by level, between Stratus's JSON platform records."""
        self.lam.create_function(FunctionName="ric-json", Runtime="provided.al2023", Role=ROLE,
                                 Handler="index.handler", Code={"ZipFile": ric_zip()}, Timeout=30,
                                 LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN",
                                                "LogGroup": "/ric/json"})
        r = self.lam.invoke(FunctionName="ric-json", Payload=json.dumps({"log": "x1"}))
        rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        self.assertEqual(json.loads(r["Payload"].read())["group"], "/ric/json")
        logs = self.srv.client("logs")
        deadline, msgs = time.time() + 10, []
        while time.time() < deadline:
            msgs = [e["message"] for e in logs.filter_log_events(logGroupName="/ric/json")["events"]]
            if any("platform.report" in m for m in msgs):
                break
            time.sleep(0.1)
        recs = [json.loads(m) for m in msgs if m.startswith("{")]
        app = [x for x in recs if "level" in x]
        self.assertEqual([(x["level"], x["message"], x["requestId"]) for x in app], [("WARN", "warn x1", rid)])
        self.assertEqual([x["type"] for x in recs if "type" in x],
                         ["platform.initStart", "platform.start", "platform.report"])

    def test_stream_mapping(self):
        ddb = self.srv.client("dynamodb")
        stream = ddb.create_table(
            TableName="source", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]
        ddb.create_table(TableName="derived", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        self.lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="ric", StartingPosition="TRIM_HORIZON",
                                             BatchSize=25, FunctionResponseTypes=["ReportBatchItemFailures"])
        for i in range(60):
            ddb.put_item(TableName="source", Item={"pk": {"S": "k%02d" % i}, "n": {"N": str(i)}})
        deadline, count = time.time() + 60, 0
        while time.time() < deadline:
            count = ddb.scan(TableName="derived", Select="COUNT")["Count"]
            if count == 60:
                break
            time.sleep(0.2)
        self.assertEqual(count, 60)
        item = ddb.get_item(TableName="derived", Key={"pk": {"S": "k21"}})["Item"]
        self.assertEqual(item["n"]["N"], "42")


if __name__ == "__main__":
    unittest.main()
