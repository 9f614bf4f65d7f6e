# SPDX-License-Identifier: Apache-2.0
"""The Lambda calls deployment tools make, in their order and with the SDK's own waiters
(issue 13): what CloudFormation's AWS::Lambda resources and SAM's AutoPublishAlias do for a
template, what `sam sync --code` does for a code or layer change, and what the Serverless
Framework's `deploy function` does. CloudFormation itself is not served; these are the Lambda
requests those deploys are made of."""
import json
import unittest

from botocore.exceptions import ClientError

from stratus_fixture import Server, zip_of

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
FAST = {"Delay": 0.2, "MaxAttempts": 50}


def app(tag):
    return zip_of({"app.py": (
        "import os\n"
        "def handler(event, context):\n"
        "    import shared\n"
        f"    return {{'tag': {tag!r}, 'shared': shared.WHO, 'version': "
        "os.environ['AWS_LAMBDA_FUNCTION_VERSION'], 'env': os.environ.get('STAGE')}\n")})


def layer(who):
    return zip_of({"python/shared.py": f"WHO = {who!r}\n"})


class Deploy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.lambda_role()  # issue 15: functions need a role Lambda can assume
        cls.lam = cls.srv.client("lambda")
        cls.logs = cls.srv.client("logs")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def invoke(self, name, qual=None):
        kw = {"Qualifier": qual} if qual else {}
        r = self.lam.invoke(FunctionName=name, Payload=b"{}", **kw)
        body = json.loads(r["Payload"].read())
        self.assertNotIn("FunctionError", r, body)
        return body

    def test_template_then_sam_sync(self):
        lam = self.lam
        # CloudFormation: AWS::Lambda::LayerVersion, AWS::Lambda::Function, then SAM's
        # AutoPublishAlias (a version, an alias), a permission, a URL, a mapping's settings
        l1 = lam.publish_layer_version(LayerName="deploy-shared", Content={"ZipFile": layer("v1")},
                                       CompatibleRuntimes=["python3.11"])
        f = lam.create_function(FunctionName="deploy-fn", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": app("one")},
                                Layers=[l1["LayerVersionArn"]], Timeout=10, MemorySize=256,
                                Environment={"Variables": {"STAGE": "prod"}},
                                Tags={"lambda:createdBy": "SAM", "app": "deploy"})
        lam.get_waiter("function_active_v2").wait(FunctionName="deploy-fn", WaiterConfig=FAST)
        v = lam.publish_version(FunctionName="deploy-fn", CodeSha256=f["CodeSha256"])
        lam.get_waiter("published_version_active").wait(
            FunctionName="deploy-fn", Qualifier=v["Version"], WaiterConfig=FAST)
        a = lam.create_alias(FunctionName="deploy-fn", Name="live", FunctionVersion=v["Version"])
        lam.add_permission(FunctionName=a["AliasArn"], StatementId="api", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com")
        url = lam.create_function_url_config(FunctionName="deploy-fn", Qualifier="live",
                                             AuthType="NONE")
        self.assertIn(".lambda-url.", url["FunctionUrl"])
        lam.put_function_event_invoke_config(FunctionName="deploy-fn", Qualifier="live",
                                             MaximumRetryAttempts=0)
        self.assertEqual(self.invoke("deploy-fn", "live"),
                         {"tag": "one", "shared": "v1", "version": "1", "env": "prod"})
        self.assertIn("api", lam.get_policy(FunctionName="deploy-fn", Qualifier="live")["Policy"])

        # sam sync --code, a layer change: a new layer version, the function moved onto it,
        # the old layer version deleted
        l2 = lam.publish_layer_version(LayerName="deploy-shared", Content={"ZipFile": layer("v2")},
                                       CompatibleRuntimes=["python3.11"])
        lam.update_function_configuration(FunctionName="deploy-fn", Layers=[l2["LayerVersionArn"]])
        lam.get_waiter("function_updated_v2").wait(FunctionName="deploy-fn", WaiterConfig=FAST)
        lam.delete_layer_version(LayerName="deploy-shared", VersionNumber=l1["Version"])
        # ... and a code change: new code, a new version, the alias moved to it
        u = lam.update_function_code(FunctionName="deploy-fn", ZipFile=app("two"))
        lam.get_waiter("function_updated_v2").wait(FunctionName="deploy-fn", WaiterConfig=FAST)
        v2 = lam.publish_version(FunctionName="deploy-fn", CodeSha256=u["CodeSha256"],
                                 RevisionId=lam.get_function_configuration(
                                     FunctionName="deploy-fn")["RevisionId"])
        lam.get_waiter("published_version_active").wait(
            FunctionName="deploy-fn", Qualifier=v2["Version"], WaiterConfig=FAST)
        lam.update_alias(FunctionName="deploy-fn", Name="live", FunctionVersion=v2["Version"],
                         RevisionId=lam.get_alias(FunctionName="deploy-fn", Name="live")["RevisionId"])
        self.assertEqual(self.invoke("deploy-fn", "live"),
                         {"tag": "two", "shared": "v2", "version": "2", "env": "prod"})
        # version 1 keeps its code and its layer (deleted since, still usable by it)
        self.assertEqual(self.invoke("deploy-fn", "1")["shared"], "v1")
        tags = lam.list_tags(Resource=f["FunctionArn"])["Tags"]
        self.assertEqual(tags.get("app"), "deploy")
        # the stack's deletion: alias, versions, the function
        lam.delete_function_url_config(FunctionName="deploy-fn", Qualifier="live")
        lam.delete_alias(FunctionName="deploy-fn", Name="live")
        lam.delete_function(FunctionName="deploy-fn")
        with self.assertRaises(ClientError) as e:
            lam.get_function(FunctionName="deploy-fn")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_serverless_deploy_function(self):
        lam = self.lam
        shared = lam.publish_layer_version(LayerName="sls-shared",
                                           Content={"ZipFile": layer("sls")})
        lam.create_function(FunctionName="sls-dev-hello", Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": app("one")},
                            Layers=[shared["LayerVersionArn"]])
        lam.get_waiter("function_active_v2").wait(FunctionName="sls-dev-hello", WaiterConfig=FAST)
        # `serverless deploy function -f hello`: the function looked up, its code replaced,
        # then its configuration once the update is done; `serverless invoke` and `logs`
        got = lam.get_function(FunctionName="sls-dev-hello")
        self.assertEqual(got["Configuration"]["State"], "Active")
        lam.update_function_code(FunctionName="sls-dev-hello", ZipFile=app("two"))
        lam.get_waiter("function_updated_v2").wait(FunctionName="sls-dev-hello", WaiterConfig=FAST)
        lam.update_function_configuration(
            FunctionName="sls-dev-hello", Timeout=6, MemorySize=512, Role=ROLE,
            Environment={"Variables": {"STAGE": "dev"}}, Layers=[shared["LayerVersionArn"]])
        lam.get_waiter("function_updated_v2").wait(FunctionName="sls-dev-hello", WaiterConfig=FAST)
        cfg = lam.get_function_configuration(FunctionName="sls-dev-hello")
        self.assertEqual((cfg["Timeout"], cfg["MemorySize"], cfg["LastUpdateStatus"]),
                         (6, 512, "Successful"))
        self.assertEqual(self.invoke("sls-dev-hello"),
                         {"tag": "two", "shared": "sls", "version": "$LATEST", "env": "dev"})
        events = self.logs.filter_log_events(logGroupName="/aws/lambda/sls-dev-hello")["events"]
        self.assertTrue(any(e["message"].startswith("START") for e in events))
        lam.delete_function(FunctionName="sls-dev-hello")


if __name__ == "__main__":
    unittest.main()
