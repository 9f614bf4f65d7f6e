# SPDX-License-Identifier: Apache-2.0
"""Function URLs: the configuration API through boto3 (Create/Get/Update/Delete/List, AWS's
validation and errors, deletion with the function); requests through curl to
http://<url-id>.lambda-url.<region>.localhost:<port>/ and the /lambda-url/<url-id>/ path form
(payload format 2.0 events, the response mapping of status, headers, cookies and base64 bodies,
non-object results, function errors); AuthType AWS_IAM with SigV4; CORS preflights; and a
headless Chromium page fetching a function URL cross-origin."""
import base64
import http.client
import json
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from lambda_grants import public_url

import browser
from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

APP = r'''
import base64, json

def handler(event, context):
    path = event["rawPath"]
    if path.startswith("/echo"):
        return {"statusCode": 200, "headers": {"content-type": "application/json",
                "x-fn": "echo"}, "body": json.dumps(event)}
    if path == "/custom":
        return {"statusCode": 201, "headers": {"Content-Type": "text/plain", "X-Custom": "v",
                "X-Number": 7}, "cookies": ["a=1; Max-Age=60", "b=2"], "body": "created"}
    if path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "isBase64Encoded": True, "body": base64.b64encode(bytes(range(256))).decode()}
    if path == "/len":
        body = event.get("body", "")
        raw = base64.b64decode(body) if event["isBase64Encoded"] else body.encode()
        return {"length": len(raw), "base64": event["isBase64Encoded"], "head": raw[:4].decode()}
    if path == "/string":
        return "hello"
    if path == "/object":
        return {"message": "hi"}
    if path == "/list":
        return [1, 2, 3]
    if path == "/fail":
        raise ValueError("boom")
    if path == "/sleep":
        import time
        time.sleep(5)
        return "late"
    if path == "/nocontent":
        return {"statusCode": 204, "body": "dropped"}
    if path == "/informational":
        return {"statusCode": 101, "body": "x"}
    if path == "/badstatus":
        return {"statusCode": "abc"}
    if path == "/inject":
        return {"statusCode": 200, "headers": {"x-bad": "a\r\nx-evil: 1", "bad name": "x"},
                "body": "ok"}
    return {"statusCode": 404, "body": "no route " + path}
'''


def code(e):
    return e.exception.response["Error"]["Code"]


CURL = shutil.which("curl") or "/usr/bin/curl"


def curl(*args, data=None):
    """Run curl; return (status, {lower-case header: [values]}, body bytes)."""
    with tempfile.NamedTemporaryFile() as hdr:
        cmd = [CURL, "-sS", "--max-time", "30", "-D", hdr.name, "-o", "-"] + list(args)
        if data is not None:
            cmd += ["--data-binary", "@-"]
        r = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        with open(hdr.name, "rb") as f:
            lines = f.read().decode("latin-1").split("\r\n")
    while len(lines) > 1 and lines[0].split()[1].startswith("1"):  # 100 Continue
        lines = lines[lines.index("") + 1:]
    status = int(lines[0].split()[1])
    heads = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            heads.setdefault(k.strip().lower(), []).append(v.strip())
    return status, heads, r.stdout


class FunctionUrls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")
        for name in ("urlfn", "urlfn-iam", "urlfn-closed", "urlfn-browser"):
            cls.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                    Handler="app.handler", Timeout=10,
                                    Code={"ZipFile": zip_of({"app.py": APP})})
            public_url(cls.lam, name)
        cls.url = cls.lam.create_function_url_config(
            FunctionName="urlfn", AuthType="NONE",
            Cors={"AllowOrigins": ["http://127.0.0.1:1"], "AllowMethods": ["GET", "POST"],
                  "AllowHeaders": ["x-test", "content-type"], "ExposeHeaders": ["x-fn"],
                  "MaxAge": 300})["FunctionUrl"]
        cls.url_id = cls.url.split("//")[1].split(".")[0]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    # ---- the configuration API ----

    def test_config_api(self):
        lam = self.lam
        r = lam.get_function_url_config(FunctionName="urlfn")
        self.assertEqual(r["FunctionUrl"], self.url)
        self.assertRegex(self.url, r"^http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:%d/$"
                         % self.srv.port)
        self.assertEqual(r["AuthType"], "NONE")
        self.assertEqual(r["InvokeMode"], "BUFFERED")
        self.assertEqual(r["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:urlfn")
        self.assertEqual(r["Cors"]["AllowMethods"], ["GET", "POST"])
        self.assertEqual(r["Cors"]["MaxAge"], 300)
        self.assertIn("LastModifiedTime", r)
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn", AuthType="NONE")
        self.assertEqual(code(e), "ResourceConflictException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="nosuchfn", AuthType="NONE")
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="NONE",
                                           Qualifier="live")
        self.assertEqual(code(e), "ResourceNotFoundException")  # no such alias
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="NONE",
                                           Qualifier="123")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="OPEN")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="NONE",
                                           Cors={"AllowMethods": ["FETCH"]})
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="NONE",
                                           Cors={"MaxAge": 86401})
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="NONE",
                                           Cors={"AllowOrigins": ["*"] * 101})
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="NONE",
                                           InvokeMode="STREAMING")
        self.assertEqual(code(e), "ValidationException")
        # a URL of its own, listed, updated, deleted; the same URL when created again
        lam.create_function(FunctionName="urlfn-tmp", Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": zip_of({"app.py": APP})})
        with self.assertRaises(ClientError) as e:
            lam.get_function_url_config(FunctionName="urlfn-tmp")
        self.assertEqual(code(e), "ResourceNotFoundException")
        c = lam.create_function_url_config(FunctionName="urlfn-tmp", AuthType="AWS_IAM",
                                           InvokeMode="RESPONSE_STREAM")
        self.assertEqual(c["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual((c["AuthType"], c["InvokeMode"]), ("AWS_IAM", "RESPONSE_STREAM"))
        self.assertNotEqual(c["FunctionUrl"], self.url)
        ls = lam.list_function_url_configs(FunctionName="urlfn-tmp")["FunctionUrlConfigs"]
        self.assertEqual([x["FunctionUrl"] for x in ls], [c["FunctionUrl"]])
        p = lam.list_function_url_configs(FunctionName="urlfn-tmp", MaxItems=1)
        self.assertNotIn("NextMarker", p)
        with self.assertRaises(ClientError) as e:
            lam.list_function_url_configs(FunctionName="urlfn-tmp", MaxItems=51)
        self.assertEqual(code(e), "ValidationException")
        u = lam.update_function_url_config(FunctionName="urlfn-tmp", AuthType="NONE",
                                           Cors={"AllowOrigins": ["*"]})
        self.assertEqual((u["AuthType"], u["Cors"]), ("NONE", {"AllowOrigins": ["*"]}))
        self.assertEqual(u["InvokeMode"], "RESPONSE_STREAM")  # kept
        d = lam.delete_function_url_config(FunctionName="urlfn-tmp")
        self.assertEqual(d["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError) as e:
            lam.delete_function_url_config(FunctionName="urlfn-tmp")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual(lam.list_function_url_configs(FunctionName="urlfn-tmp")["FunctionUrlConfigs"], [])
        again = lam.create_function_url_config(FunctionName="urlfn-tmp", AuthType="NONE")
        self.assertEqual(again["FunctionUrl"], c["FunctionUrl"])  # stable for the function
        # deleted with its function
        lam.delete_function(FunctionName="urlfn-tmp")
        st, _, body = curl(again["FunctionUrl"] + "echo")
        self.assertEqual((st, json.loads(body)), (403, {"Message": "Forbidden"}))
        lam.create_function(FunctionName="urlfn-tmp", Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": zip_of({"app.py": APP})})
        with self.assertRaises(ClientError) as e:
            lam.get_function_url_config(FunctionName="urlfn-tmp")
        self.assertEqual(code(e), "ResourceNotFoundException")
        lam.delete_function(FunctionName="urlfn-tmp")

    # ---- requests ----

    def test_event_through_curl(self):
        st, h, body = curl(self.url + "echo/a%20b?x=1&y=two&x=3&e=%2Fz",
                           "-H", "Cookie: c1=v1; c2=v2", "-H", "X-Multi: one",
                           "-H", "X-Multi: two", "-H", "User-Agent: url-test",
                           "-H", "Authorization: Bearer app-token",
                           "-H", "Content-Type: application/json", data=b'{"k": "v"}')
        self.assertEqual(st, 200, body)
        self.assertEqual(h["x-fn"], ["echo"])
        self.assertTrue(h["x-amzn-requestid"][0])
        ev = json.loads(body)
        self.assertEqual((ev["version"], ev["routeKey"]), ("2.0", "$default"))
        self.assertEqual(ev["rawPath"], "/echo/a%20b")
        self.assertEqual(ev["rawQueryString"], "x=1&y=two&x=3&e=%2Fz")
        self.assertEqual(ev["queryStringParameters"], {"x": "1,3", "y": "two", "e": "/z"})
        self.assertEqual(ev["cookies"], ["c1=v1", "c2=v2"])
        self.assertNotIn("cookie", ev["headers"])
        self.assertEqual(ev["headers"]["x-multi"], "one,two")
        self.assertEqual(ev["headers"]["authorization"], "Bearer app-token")  # not SigV4's
        self.assertTrue(all(k == k.lower() for k in ev["headers"]))
        self.assertEqual(ev["body"], '{"k": "v"}')
        self.assertFalse(ev["isBase64Encoded"])
        self.assertIsNone(ev["pathParameters"])
        rc = ev["requestContext"]
        self.assertEqual(rc["accountId"], "anonymous")
        self.assertEqual((rc["apiId"], rc["domainPrefix"]), (self.url_id, self.url_id))
        self.assertEqual(rc["domainName"], f"{self.url_id}.lambda-url.us-east-1.localhost")
        self.assertEqual(rc["http"], {"method": "POST", "path": "/echo/a b", "protocol": "HTTP/1.1",
                                      "sourceIp": "127.0.0.1", "userAgent": "url-test"})
        self.assertEqual((rc["routeKey"], rc["stage"]), ("$default", "$default"))
        self.assertEqual(rc["requestId"], h["x-amzn-requestid"][0])
        self.assertRegex(rc["time"], r"^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$")
        self.assertIsInstance(rc["timeEpoch"], int)
        self.assertNotIn("authorizer", rc)

    def test_binary_body_and_host_forms(self):
        blob = bytes(range(256)) * 4
        port = self.srv.port
        host = f"{self.url_id}.lambda-url.us-east-1.localhost:{port}"
        # curl -H Host: to 127.0.0.1, and --resolve
        st, _, body = curl(f"http://127.0.0.1:{port}/echo", "-H", f"Host: {host}",
                           "-H", "Content-Type: application/octet-stream", data=blob)
        ev = json.loads(body)
        self.assertEqual(st, 200)
        self.assertTrue(ev["isBase64Encoded"])
        self.assertEqual(base64.b64decode(ev["body"]), blob)
        st, _, body = curl(f"http://{host}/echo", "--resolve", f"{host}:127.0.0.1")
        self.assertEqual((st, json.loads(body)["rawPath"]), (200, "/echo"))
        # the path form: /lambda-url/<url-id>/<path>
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", f"/lambda-url/{self.url_id}/echo/deep?q=1")
        r = c.getresponse()
        ev = json.loads(r.read())
        self.assertEqual((r.status, ev["rawPath"], ev["rawQueryString"]), (200, "/echo/deep", "q=1"))
        self.assertNotIn("body", ev)
        # the path form names only URLs that exist: a bucket named lambda-url keeps its keys
        s3 = self.srv.client("s3", s3={"addressing_style": "path"})
        s3.create_bucket(Bucket="lambda-url")
        key = "b" * 32 + "/k"
        s3.put_object(Bucket="lambda-url", Key=key, Body=b"an object")
        self.assertEqual(s3.get_object(Bucket="lambda-url", Key=key)["Body"].read(), b"an object")
        # an unknown url-id of the right shape in a Host is Lambda's 403, not an S3 bucket
        c.request("GET", "/x", headers={"Host": "a" * 32 + f".lambda-url.us-east-1.localhost:{port}"})
        r = c.getresponse()
        self.assertEqual((r.status, json.loads(r.read())), (403, {"Message": "Forbidden"}))
        c.close()

    def test_response_mapping(self):
        st, h, body = curl(self.url + "custom")
        self.assertEqual((st, body), (201, b"created"))
        self.assertEqual(h["content-type"], ["text/plain"])
        self.assertEqual((h["x-custom"], h["x-number"]), (["v"], ["7"]))
        self.assertEqual(h["set-cookie"], ["a=1; Max-Age=60", "b=2"])
        st, h, body = curl(self.url + "binary")
        self.assertEqual((st, body), (200, bytes(range(256))))
        self.assertEqual(h["content-type"], ["application/octet-stream"])
        for path, want in (("string", b'"hello"'), ("object", None), ("list", None)):
            st, h, body = curl(self.url + path)
            self.assertEqual((st, h["content-type"]), (200, ["application/json"]), path)
            if want:
                self.assertEqual(body, want)
        self.assertEqual(json.loads(curl(self.url + "object")[2]), {"message": "hi"})
        self.assertEqual(json.loads(curl(self.url + "list")[2]), [1, 2, 3])
        st, _, body = curl(self.url + "nothing-here")
        self.assertEqual((st, body), (404, b"no route /nothing-here"))
        st, _, body = curl(self.url + "nocontent")
        self.assertEqual((st, body), (204, b""))
        for bad in ("fail", "badstatus", "informational"):
            st, _, body = curl(self.url + bad)
            self.assertEqual((st, body), (502, b"Internal Server Error"), bad)
        st, h, body = curl(self.url + "inject")
        self.assertEqual((st, body), (200, b"ok"))
        self.assertNotIn("x-evil", h)
        self.assertNotIn("x-bad", h)

    def test_timeout_and_throttle(self):
        lam = self.lam
        lam.create_function(FunctionName="urlfn-slow", Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Timeout=1,
                            Code={"ZipFile": zip_of({"app.py": APP})})
        u = lam.create_function_url_config(FunctionName="urlfn-slow", AuthType="NONE")["FunctionUrl"]
        public_url(lam, "urlfn-slow")
        st, _, body = curl(u + "sleep")
        self.assertEqual((st, body), (502, b"Internal Server Error"))
        st, _, body = curl(u + "string")  # a new instance answers after the timeout
        self.assertEqual((st, body), (200, b'"hello"'))
        lam.put_function_concurrency(FunctionName="urlfn-slow", ReservedConcurrentExecutions=0)
        st, _, body = curl(u + "string")
        self.assertEqual((st, json.loads(body)), (429, {"Message": "Rate Exceeded."}))
        lam.delete_function(FunctionName="urlfn-slow")

    def test_odd_requests(self):
        host = f"{self.url_id}.lambda-url.us-east-1.localhost:{self.srv.port}"
        q = "&".join("k%d=%d&k%d=x" % (i % 50, i, i % 50) for i in range(400))
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=60)
        c.putrequest("GET", "/echo/%zz/%E2%82?" + q + "&bad=%zz&=empty", skip_host=True)
        c.putheader("Host", host)
        for i in range(40):
            c.putheader("X-Rep", str(i))
        c.putheader("Cookie", ";;  ; c=1;")
        c.putheader("Content-Type", "text/plain")
        c.putheader("Content-Length", "3")
        c.endheaders(b"\xff\xfe\x00")  # not UTF-8: sent in base64
        r = c.getresponse()
        ev = json.loads(r.read())
        self.assertEqual(r.status, 200)
        self.assertEqual(ev["rawPath"], "/echo/%zz/%E2%82")
        self.assertEqual(ev["headers"]["x-rep"], ",".join(str(i) for i in range(40)))
        self.assertEqual(ev["cookies"], ["c=1"])
        self.assertEqual(ev["queryStringParameters"]["k7"], ",".join(
            v for i in range(400) if i % 50 == 7 for v in (str(i), "x")))
        self.assertEqual(ev["queryStringParameters"]["bad"], "%zz")
        self.assertNotIn("", ev["queryStringParameters"])
        self.assertTrue(ev["isBase64Encoded"])
        self.assertEqual(base64.b64decode(ev["body"]), b"\xff\xfe\x00")
        for bad_host in (host.upper(), "x" * 32 + ".lambda-url..localhost", host + ":1:2",
                         self.url_id + ".lambda-url.us-east-1.localhost.evil"):
            c.request("GET", "/echo", headers={"Host": bad_host})
            r = c.getresponse()
            r.read()
            self.assertIn(r.status, (200, 400, 403, 404), bad_host)
        c.close()
        self.assertEqual(curl(self.url + "string")[0], 200)  # still serving

    def test_too_large(self):
        for n, ct, b64 in ((5 << 20, "application/octet-stream", True),
                           (6291456, "text/plain", False)):
            st, _, body = curl(self.url + "len", "-H", "Content-Type: " + ct, data=b"abcd" * (n // 4))
            self.assertEqual(st, 200, body[:300])
            self.assertEqual(json.loads(body), {"length": n, "base64": b64, "head": "abcd"})
        st, _, body = curl(self.url + "echo", "-H", "Content-Type: text/plain",
                           data=b"x" * (6291456 + 1))
        self.assertEqual(st, 413, body)
        self.assertIn(b"6291456", body)

    def test_aws_iam(self):
        try:
            u = self.lam.create_function_url_config(FunctionName="urlfn-iam", AuthType="AWS_IAM")
        except ClientError:
            u = self.lam.get_function_url_config(FunctionName="urlfn-iam")
        url = u["FunctionUrl"] + "echo?who=iam"
        st, _, body = curl(url)
        self.assertEqual((st, json.loads(body)), (403, {"Message": "Forbidden"}))

        def signed(secret, service="lambda"):
            req = AWSRequest(method="POST", url=url, data=b'{"signed": true}',
                             headers={"Content-Type": "application/json"})
            SigV4Auth(Credentials(self.srv.access_key, secret), service, "us-east-1").add_auth(req)
            p = urllib.parse.urlsplit(url)
            heads = dict(req.headers.items())
            heads["Host"] = p.netloc  # signed with it; the connection goes to 127.0.0.1
            c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
            c.request("POST", p.path + "?" + p.query, body=req.body, headers=heads)
            r = c.getresponse()
            out = (r.status, r.read())
            c.close()
            return out

        st, body = signed(self.srv.secret_key)
        self.assertEqual(st, 200, body)
        ev = json.loads(body)
        self.assertEqual(ev["body"], '{"signed": true}')
        iam = ev["requestContext"]["authorizer"]["iam"]
        self.assertEqual(iam["accessKey"], self.srv.access_key)
        self.assertEqual(ev["requestContext"]["accountId"], "000000000000")
        st, body = signed("wrong-secret")
        self.assertEqual((st, json.loads(body)), (403, {"Message": "Forbidden"}))
        st, body = signed(self.srv.secret_key, service="s3")
        self.assertEqual((st, json.loads(body)), (403, {"Message": "Forbidden"}))

    def test_cors(self):
        origin = "http://127.0.0.1:1"
        st, h, body = curl("-X", "OPTIONS", self.url + "echo", "-H", f"Origin: {origin}",
                           "-H", "Access-Control-Request-Method: POST",
                           "-H", "Access-Control-Request-Headers: x-test")
        self.assertEqual((st, body), (200, b""))  # answered without the function
        self.assertEqual(h["access-control-allow-origin"], [origin])
        self.assertEqual(h["access-control-allow-methods"], ["GET,POST"])
        self.assertEqual(h["access-control-allow-headers"], ["x-test,content-type"])
        self.assertEqual(h["access-control-max-age"], ["300"])
        self.assertNotIn("access-control-allow-credentials", h)
        st, h, body = curl("-X", "OPTIONS", self.url + "echo", "-H", "Origin: http://evil.example",
                           "-H", "Access-Control-Request-Method: POST")
        self.assertEqual(st, 200)
        self.assertNotIn("access-control-allow-origin", h)
        st, h, _ = curl(self.url + "echo", "-H", f"Origin: {origin}")
        self.assertEqual(st, 200)
        self.assertEqual(h["access-control-allow-origin"], [origin])
        self.assertEqual(h["access-control-expose-headers"], ["x-fn"])
        st, h, _ = curl(self.url + "echo", "-H", "Origin: http://evil.example")
        self.assertEqual(st, 200)  # served; the browser withholds it
        self.assertNotIn("access-control-allow-origin", h)

    def test_browser_page(self):
        self.assertIsNotNone(browser.CHROMIUM, "chromium is installed by `make deps`")
        with browser.page_server(PAGE.encode()) as origin:
            opened = self.lam.create_function_url_config(
                FunctionName="urlfn-browser", AuthType="NONE",
                Cors={"AllowOrigins": [origin], "AllowMethods": ["POST"],
                      "AllowHeaders": ["x-test", "content-type"], "ExposeHeaders": ["x-fn"],
                      "MaxAge": 60})["FunctionUrl"]
            try:
                closed = self.lam.create_function_url_config(
                    FunctionName="urlfn-closed", AuthType="NONE",
                    Cors={"AllowOrigins": ["http://elsewhere.example"], "AllowMethods": ["*"],
                          "AllowHeaders": ["*"]})["FunctionUrl"]
            except ClientError:
                closed = self.lam.get_function_url_config(FunctionName="urlfn-closed")["FunctionUrl"]
            cfg = {"open": opened + "echo/browser", "closed": closed + "echo/browser"}
            res, out = browser.run_page(origin, cfg)
            self.assertIsNotNone(res, out)
            self.assertEqual(res.get("status"), 200, res)
            self.assertEqual(res["fn"], "echo")  # an exposed header
            self.assertEqual(res["header"], "from-browser")  # the custom header reached the function
            self.assertEqual(res["method"], "POST")
            self.assertEqual(res["origin"], origin)
            self.assertEqual(res["closed"], "blocked", res)


PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
(async () => {
  const cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const out = {};
  try {
    const r = await fetch(cfg.open, {method: "POST", headers: {"X-Test": "from-browser",
      "Content-Type": "application/json"}, body: JSON.stringify({from: "page"})});
    out.status = r.status;
    out.fn = r.headers.get("x-fn");
    const ev = await r.json();
    out.header = ev.headers["x-test"];
    out.method = ev.requestContext.http.method;
    out.origin = ev.headers["origin"];
  } catch (e) { out.error = String(e); }
  try {
    await fetch(cfg.closed, {method: "POST", headers: {"X-Test": "x"}, body: "{}"});
    out.closed = "allowed";
  } catch (e) { out.closed = "blocked"; }
  document.getElementById("out").textContent = JSON.stringify(out);
})();
</script></body></html>"""


if __name__ == "__main__":
    unittest.main()
