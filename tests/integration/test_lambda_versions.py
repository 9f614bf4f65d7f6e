# SPDX-License-Identifier: Apache-2.0
"""Lambda versions, qualifiers, aliases with routing weights, layers (API and /opt), resource
policies, tags and GetAccountSettings, through boto3 and the AWS CLI (issue 13)."""
import json
import os
import shutil
import subprocess
import time
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server, zip_of

AWS = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def code(e):
    return e.exception.response["Error"]["Code"]


def py(tag):
    """A Python handler answering with its tag, version and invoked ARN."""
    return zip_of({"app.py": (
        "import os\n"
        "def handler(event, context):\n"
        f"    return {{'tag': {tag!r}, 'env': os.environ['AWS_LAMBDA_FUNCTION_VERSION'],\n"
        "            'arn': context.invoked_function_arn}\n")})


class Versions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def create(self, name, zipb, **kw):
        return self.lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                        Handler="app.handler", Code={"ZipFile": zipb}, **kw)

    def invoke(self, name, qual=None):
        kw = {"Qualifier": qual} if qual else {}
        r = self.lam.invoke(FunctionName=name, Payload=b"{}", **kw)
        self.assertNotIn("FunctionError", r, r["Payload"].read() if "FunctionError" in r else "")
        return r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-executed-version"), \
            json.loads(r["Payload"].read())

    def test_publish_invoke_and_delete_versions(self):
        c = self.create("ver-fn", py("one"))
        v1 = self.lam.publish_version(FunctionName="ver-fn", Description="first")
        self.assertEqual(v1["Version"], "1")
        self.assertTrue(v1["FunctionArn"].endswith(":function:ver-fn:1"))
        self.assertEqual(v1["Description"], "first")
        self.assertEqual(v1["CodeSha256"], c["CodeSha256"])
        # unchanged code and configuration: the same version
        self.assertEqual(self.lam.publish_version(FunctionName="ver-fn")["Version"], "1")
        # preconditions
        with self.assertRaises(ClientError) as e:
            self.lam.publish_version(FunctionName="ver-fn", CodeSha256="nope")
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.lam.publish_version(FunctionName="ver-fn", RevisionId="nope")
        self.assertEqual(code(e), "PreconditionFailedException")
        # new code, published with the update
        u = self.lam.update_function_code(FunctionName="ver-fn", ZipFile=py("two"), Publish=True)
        self.assertEqual(u["Version"], "2")
        self.lam.update_function_code(FunctionName="ver-fn", ZipFile=py("three"))
        # each version runs its own code, and says which
        self.assertEqual(self.invoke("ver-fn", "1"),
                         ("1", {"tag": "one", "env": "1",
                                "arn": v1["FunctionArn"]}))
        self.assertEqual(self.invoke("ver-fn:2")[1]["tag"], "two")
        ver, out = self.invoke("ver-fn")
        self.assertEqual((ver, out["tag"], out["env"]), ("$LATEST", "three", "$LATEST"))
        self.assertFalse(out["arn"].endswith(":$LATEST"))
        self.assertEqual(self.invoke("ver-fn", "$LATEST")[1]["arn"][-8:], ":$LATEST")
        # qualified reads
        g = self.lam.get_function(FunctionName="ver-fn", Qualifier="1")
        self.assertEqual(g["Configuration"]["Version"], "1")
        g = self.lam.get_function_configuration(FunctionName=v1["FunctionArn"])
        self.assertEqual(g["Description"], "first")
        with self.assertRaises(ClientError) as e:
            self.lam.get_function(FunctionName="ver-fn", Qualifier="9")
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            self.lam.get_function(FunctionName="ver-fn:1", Qualifier="2")
        self.assertEqual(code(e), "InvalidParameterValueException")
        # listing, paged
        vs = [v["Version"] for v in self.lam.list_versions_by_function(
            FunctionName="ver-fn")["Versions"]]
        self.assertEqual(vs, ["$LATEST", "1", "2"])
        pages = [v["Version"] for p in self.lam.get_paginator("list_versions_by_function")
                 .paginate(FunctionName="ver-fn", PaginationConfig={"PageSize": 1}) for v in p["Versions"]]
        self.assertEqual(pages, ["$LATEST", "1", "2"])
        # deleting a version; $LATEST cannot be deleted that way
        self.lam.delete_function(FunctionName="ver-fn", Qualifier="1")
        with self.assertRaises(ClientError) as e:
            self.invoke("ver-fn", "1")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual(self.invoke("ver-fn", "2")[1]["tag"], "two")  # its code is still there
        with self.assertRaises(ClientError) as e:
            self.lam.delete_function(FunctionName="ver-fn", Qualifier="$LATEST")
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.lam.delete_function(FunctionName="ver-fn")
        with self.assertRaises(ClientError):
            self.lam.get_function(FunctionName="ver-fn", Qualifier="2")

    def test_version_log_streams(self):
        """A published version's instances write streams named with it ("[1]"), as Lambda's;
        AWS_LAMBDA_LOG_STREAM_NAME and the context say that name, and the Logs API reads it."""
        src = zip_of({"app.py": (
            "import os\n"
            "def handler(event, context):\n"
            "    print('hello from', os.environ['AWS_LAMBDA_FUNCTION_VERSION'])\n"
            "    return {'env': os.environ['AWS_LAMBDA_LOG_STREAM_NAME'],\n"
            "            'ctx': context.log_stream_name}\n")})
        self.create("logv-fn", src)
        self.lam.publish_version(FunctionName="logv-fn")
        _, out = self.invoke("logv-fn", "1")
        self.assertEqual(out["env"], out["ctx"])
        self.assertRegex(out["env"], r"^\d{4}/\d{2}/\d{2}/\[1\][0-9a-f]{32}$")
        _, latest = self.invoke("logv-fn")
        self.assertRegex(latest["env"], r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")
        logs = self.srv.client("logs")
        names = [s["logStreamName"] for s in logs.describe_log_streams(
            logGroupName="/aws/lambda/logv-fn")["logStreams"]]
        self.assertIn(out["env"], names)
        self.assertIn(latest["env"], names)
        deadline = time.time() + 10
        while True:
            msgs = [e["message"] for e in logs.get_log_events(
                logGroupName="/aws/lambda/logv-fn", logStreamName=out["env"])["events"]]
            if any(m.startswith("REPORT") for m in msgs) or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertTrue(any(m.startswith("START") and "Version: 1" in m for m in msgs), msgs)
        self.assertIn("hello from 1", msgs)
        self.lam.delete_function(FunctionName="logv-fn")

    def test_reserved_environment_keys_refused(self):
        """Lambda's own variables cannot be set by a function's Environment (AWS's message,
        naming each reserved key used); PATH, TZ and the like can."""
        with self.assertRaises(ClientError) as e:
            self.create("env-fn", py("x"), Environment={"Variables": {
                "OK_ONE": "1", "AWS_ACCESS_KEY_ID": "a", "AWS_REGION": "b"}})
        self.assertEqual(code(e), "InvalidParameterValueException")
        self.assertIn("Reserved keys used in this request: AWS_ACCESS_KEY_ID, AWS_REGION",
                      e.exception.response["Error"]["Message"])
        src = zip_of({"app.py": (
            "import os\n"
            "def handler(event, context):\n"
            "    return [os.environ.get(k) for k in ('TZ', 'PATH', 'LANG', 'MINE')]\n")})
        self.create("env-fn", src, Environment={"Variables": {
            "TZ": "America/New_York", "PATH": "/bin:/usr/bin", "MINE": "1"}})
        r = self.lam.invoke(FunctionName="env-fn", Payload=b"{}")
        # the function's own values replace Lambda's defaults; the others stay
        self.assertEqual(json.loads(r["Payload"].read()),
                         ["America/New_York", "/bin:/usr/bin", "C.UTF-8", "1"])
        with self.assertRaises(ClientError) as e:
            self.lam.update_function_configuration(
                FunctionName="env-fn", Environment={"Variables": {"AWS_SESSION_TOKEN": "t"}})
        self.assertIn("AWS_SESSION_TOKEN", e.exception.response["Error"]["Message"])
        self.lam.delete_function(FunctionName="env-fn")

    def test_aliases_and_weights(self):
        self.create("al-fn", py("a"))
        self.lam.publish_version(FunctionName="al-fn")
        self.lam.update_function_code(FunctionName="al-fn", ZipFile=py("b"), Publish=True)
        a = self.lam.create_alias(FunctionName="al-fn", Name="live", FunctionVersion="1",
                                  Description="d")
        self.assertTrue(a["AliasArn"].endswith(":function:al-fn:live"))
        with self.assertRaises(ClientError) as e:
            self.lam.create_alias(FunctionName="al-fn", Name="live", FunctionVersion="1")
        self.assertEqual(code(e), "ResourceConflictException")
        with self.assertRaises(ClientError) as e:
            self.lam.create_alias(FunctionName="al-fn", Name="x", FunctionVersion="7")
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            self.lam.create_alias(FunctionName="al-fn", Name="123", FunctionVersion="1")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.lam.update_alias(FunctionName="al-fn", Name="live",
                                  RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}})
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            self.lam.update_alias(FunctionName="al-fn", Name="live", RevisionId="stale",
                                  FunctionVersion="2")
        self.assertEqual(code(e), "PreconditionFailedException")
        ver, out = self.invoke("al-fn", "live")
        self.assertEqual((ver, out["tag"]), ("1", "a"))
        self.assertTrue(out["arn"].endswith(":function:al-fn:live"))
        u = self.lam.update_alias(FunctionName="al-fn", Name="live",
                                  RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
        self.assertEqual(u["RoutingConfig"]["AdditionalVersionWeights"], {"2": 0.3})
        self.assertEqual(self.lam.get_alias(FunctionName="al-fn", Name="live")["FunctionVersion"],
                         "1")
        # 1 000 invocations land within 5 points of the weights
        t0 = time.monotonic()
        counts = {"1": 0, "2": 0}
        for _ in range(1000):
            r = self.lam.invoke(FunctionName="al-fn:live", Payload=b"{}")
            counts[r["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"]] += 1
            r["Payload"].read()
        took = time.monotonic() - t0
        print(f"alias weights: {counts} in {took:.1f} s")
        self.assertLess(abs(counts["2"] / 1000 - 0.3), 0.05, counts)
        # a version an alias routes to cannot be deleted
        with self.assertRaises(ClientError) as e:
            self.lam.delete_function(FunctionName="al-fn", Qualifier="2")
        self.assertEqual(code(e), "ResourceConflictException")
        names = [x["Name"] for x in self.lam.list_aliases(FunctionName="al-fn")["Aliases"]]
        self.assertEqual(names, ["live"])
        self.assertEqual(self.lam.list_aliases(FunctionName="al-fn", FunctionVersion="2")
                         ["Aliases"][0]["Name"], "live")
        self.lam.delete_alias(FunctionName="al-fn", Name="live")
        with self.assertRaises(ClientError) as e:
            self.lam.get_alias(FunctionName="al-fn", Name="live")
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.lam.delete_function(FunctionName="al-fn", Qualifier="2")

    def test_permissions(self):
        self.create("pol-fn", py("p"))
        with self.assertRaises(ClientError) as e:
            self.lam.get_policy(FunctionName="pol-fn")
        self.assertEqual(code(e), "ResourceNotFoundException")
        r = self.lam.add_permission(FunctionName="pol-fn", StatementId="s3",
                                    Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                                    SourceArn="arn:aws:s3:::bkt", SourceAccount="000000000000")
        st = json.loads(r["Statement"])
        self.assertEqual(st["Principal"], {"Service": "s3.amazonaws.com"})
        self.assertEqual(st["Condition"]["ArnLike"]["AWS:SourceArn"], "arn:aws:s3:::bkt")
        self.assertEqual(st["Condition"]["StringEquals"]["AWS:SourceAccount"], "000000000000")
        with self.assertRaises(ClientError) as e:
            self.lam.add_permission(FunctionName="pol-fn", StatementId="s3",
                                    Action="lambda:InvokeFunction", Principal="*")
        self.assertEqual(code(e), "ResourceConflictException")
        self.lam.add_permission(FunctionName="pol-fn", StatementId="acct", Action="lambda:*",
                                Principal="123456789012")
        doc = json.loads(self.lam.get_policy(FunctionName="pol-fn")["Policy"])
        self.assertEqual([s["Sid"] for s in doc["Statement"]], ["s3", "acct"])
        self.assertEqual(doc["Statement"][1]["Principal"], {"AWS": "arn:aws:iam::123456789012:root"})
        # per qualifier
        self.lam.publish_version(FunctionName="pol-fn")
        self.lam.add_permission(FunctionName="pol-fn", Qualifier="1", StatementId="v1",
                                Action="lambda:InvokeFunction", Principal="*")
        d1 = json.loads(self.lam.get_policy(FunctionName="pol-fn", Qualifier="1")["Policy"])
        self.assertTrue(d1["Statement"][0]["Resource"].endswith(":function:pol-fn:1"))
        self.lam.remove_permission(FunctionName="pol-fn", StatementId="s3")
        with self.assertRaises(ClientError) as e:
            self.lam.remove_permission(FunctionName="pol-fn", StatementId="s3")
        self.assertEqual(code(e), "ResourceNotFoundException")
        # 20 KB limit
        with self.assertRaises(ClientError) as e:
            for i in range(200):
                self.lam.add_permission(FunctionName="pol-fn", StatementId=f"big{i}",
                                        Action="lambda:InvokeFunction", Principal="*",
                                        SourceArn="arn:aws:s3:::" + "b" * 60)
        self.assertEqual(code(e), "PolicyLengthExceededException")

    def test_tags_and_account_settings(self):
        before = self.lam.get_account_settings()
        c = self.create("tag-fn", py("t"), Tags={"team": "data"})
        arn = c["FunctionArn"]
        self.assertEqual(self.lam.list_tags(Resource=arn)["Tags"], {"team": "data"})
        self.lam.tag_resource(Resource=arn, Tags={"env": "prod"})
        self.lam.untag_resource(Resource=arn, TagKeys=["team"])
        self.assertEqual(self.lam.list_tags(Resource=arn)["Tags"], {"env": "prod"})
        self.assertEqual(self.lam.get_function(FunctionName="tag-fn")["Tags"], {"env": "prod"})
        with self.assertRaises(ClientError) as e:
            self.lam.tag_resource(Resource=arn, Tags={"aws:x": "y"})
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(51)})
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.lam.tag_resource(Resource=arn, Tags={"k" * 129: "v"})
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError) as e:
            self.lam.list_tags(Resource=arn.replace("tag-fn", "nope"))
        self.assertEqual(code(e), "ResourceNotFoundException")
        after = self.lam.get_account_settings()
        self.assertEqual(after["AccountUsage"]["FunctionCount"],
                         before["AccountUsage"]["FunctionCount"] + 1)
        self.assertEqual(after["AccountUsage"]["TotalCodeSize"],
                         before["AccountUsage"]["TotalCodeSize"] + c["CodeSize"])
        self.assertEqual(after["AccountLimit"]["CodeSizeUnzipped"], 262144000)
        self.assertEqual(after["AccountLimit"]["ConcurrentExecutions"], 1000)
        # the AWS CLI answers the same
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        for args, key, want in ((["list-tags", "--resource", arn], "Tags", {"env": "prod"}),
                                (["publish-version", "--function-name", "tag-fn"], "Version", "1"),
                                (["get-account-settings"], "AccountUsage", None)):
            p = subprocess.run([AWS, "--endpoint-url", self.srv.endpoint, "--output", "json",
                                "lambda", *args], env=env, capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            if want is not None:
                self.assertEqual(json.loads(p.stdout)[key], want)

    def test_layers(self):
        one = zip_of({"python/shared.py": "WHO = 'layer-one'\nONE = 1\n",
                      "nodejs/node_modules/greet/index.js": "exports.who = 'node-layer';\n"})
        two = zip_of({"python/shared.py": "WHO = 'layer-two'\n"})
        l1 = self.lam.publish_layer_version(LayerName="lib", Content={"ZipFile": one},
                                            CompatibleRuntimes=["python3.11", "nodejs20.x"],
                                            CompatibleArchitectures=["x86_64"],
                                            LicenseInfo="MIT", Description="first")
        self.assertEqual(l1["Version"], 1)
        self.assertTrue(l1["LayerVersionArn"].endswith(":layer:lib:1"))
        self.assertEqual(l1["Content"]["CodeSize"], len(one))
        # from Stratus's own S3
        s3 = self.srv.client("s3")
        s3.create_bucket(Bucket="layers")
        s3.put_object(Bucket="layers", Key="two.zip", Body=two)
        l2 = self.lam.publish_layer_version(LayerName="lib2",
                                            Content={"S3Bucket": "layers", "S3Key": "two.zip"})
        g = self.lam.get_layer_version_by_arn(Arn=l1["LayerVersionArn"])
        self.assertEqual((g["LicenseInfo"], g["Description"]), ("MIT", "first"))
        self.assertEqual(self.lam.get_layer_version(LayerName="lib", VersionNumber=1)["Version"], 1)
        names = [x["LayerName"] for x in self.lam.list_layers()["Layers"]]
        self.assertEqual(names, ["lib", "lib2"])
        self.assertEqual([x["LayerName"] for x in
                          self.lam.list_layers(CompatibleRuntime="nodejs20.x")["Layers"]], ["lib"])
        self.assertEqual(len(self.lam.list_layer_versions(LayerName="lib")["LayerVersions"]), 1)
        # permissions
        p = self.lam.add_layer_version_permission(LayerName="lib", VersionNumber=1,
                                                  StatementId="all", Action="lambda:GetLayerVersion",
                                                  Principal="*")
        self.assertEqual(json.loads(p["Statement"])["Action"], "lambda:GetLayerVersion")
        pol = json.loads(self.lam.get_layer_version_policy(LayerName="lib", VersionNumber=1)["Policy"])
        self.assertEqual(pol["Statement"][0]["Sid"], "all")
        self.lam.remove_layer_version_permission(LayerName="lib", VersionNumber=1, StatementId="all")
        # a function's layers: validated, shown, unpacked in order under /opt
        with self.assertRaises(ClientError) as e:
            self.create("lay-bad", py("x"), Layers=[l1["LayerVersionArn"][:-1] + "9"])
        self.assertEqual(code(e), "InvalidParameterValueException")
        with self.assertRaises(ClientError):
            self.create("lay-bad", py("x"), Layers=[l1["LayerVersionArn"]] * 6)
        src = zip_of({"app.py": "import shared\n"
                      "def handler(e, c):\n    return {'who': shared.WHO,"
                      " 'one': getattr(shared, 'ONE', None)}\n"})
        c = self.create("lay-py", src, Layers=[l1["LayerVersionArn"]])
        self.assertEqual(c["Layers"], [{"Arn": l1["LayerVersionArn"], "CodeSize": len(one)}])
        self.assertEqual(self.invoke("lay-py")[1], {"who": "layer-one", "one": 1})
        self.lam.update_function_configuration(
            FunctionName="lay-py", Layers=[l1["LayerVersionArn"], l2["LayerVersionArn"]])
        self.assertEqual(self.invoke("lay-py")[1], {"who": "layer-two", "one": None})
        node = zip_of({"index.js": "const g = require('greet');\n"
                       "exports.handler = async () => ({who: g.who});\n"})
        self.lam.create_function(FunctionName="lay-node", Runtime="nodejs20.x", Role=ROLE,
                                 Handler="index.handler", Code={"ZipFile": node},
                                 Layers=[l1["LayerVersionArn"]])
        self.assertEqual(self.invoke("lay-node")[1], {"who": "node-layer"})
        # deleted: gone from the API, still there for the functions that use it
        self.lam.delete_layer_version(LayerName="lib", VersionNumber=1)
        with self.assertRaises(ClientError) as e:
            self.lam.get_layer_version(LayerName="lib", VersionNumber=1)
        self.assertEqual(code(e), "ResourceNotFoundException")
        self.assertEqual(self.invoke("lay-node")[1], {"who": "node-layer"})
        self.assertEqual(self.lam.publish_layer_version(LayerName="lib",
                                                        Content={"ZipFile": one})["Version"], 2)


if __name__ == "__main__":
    unittest.main()
