# SPDX-License-Identifier: Apache-2.0
"""Issue 16, package R: RequestPayment (with Requester Pays on object requests), Accelerate, and
the Intelligent-Tiering, Inventory, Analytics and Metrics configurations, through boto3 and the
AWS CLI v2: put, get, list with pagination, delete, and S3's validation errors."""
import http.client
import json
import os
import subprocess
import unittest

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from stratus_fixture import Server

AWS_V2 = "/usr/bin/aws"  # Debian's AWS CLI v2 (the one on the PATH may be v1)


def err(e):
    r = e.exception.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def inventory(id_, bucket="arn:aws:s3:::dest", fmt="CSV", freq="Daily", versions="Current", **extra):
    cfg = {"Id": id_, "IsEnabled": True, "IncludedObjectVersions": versions,
           "Destination": {"S3BucketDestination": {"Bucket": bucket, "Format": fmt}},
           "Schedule": {"Frequency": freq}}
    cfg.update(extra)
    return cfg


class S3Configs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.s3 = cls.srv.client("s3", s3={"addressing_style": "path"})
        cls.s3.create_bucket(Bucket="cfg")
        cls.s3.create_bucket(Bucket="dest")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def cli(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.srv.access_key,
                   AWS_SECRET_ACCESS_KEY=self.srv.secret_key, AWS_DEFAULT_REGION=self.srv.region,
                   AWS_PAGER="", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        r = subprocess.run([AWS_V2, "--endpoint-url", self.srv.endpoint, "--output", "json"] + list(args),
                           capture_output=True, text=True, env=env, timeout=120)
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr

    # ---- RequestPayment ----

    def test_request_payment(self):
        s3 = self.s3
        s3.create_bucket(Bucket="payer")
        self.assertEqual(s3.get_bucket_request_payment(Bucket="payer")["Payer"], "BucketOwner")
        s3.put_object(Bucket="payer", Key="k", Body=b"data")
        r = s3.get_object(Bucket="payer", Key="k", RequestPayer="requester")
        self.assertNotIn("RequestCharged", r)  # the bucket owner pays: nothing is charged
        # Anonymous reads through a public policy work until the bucket is Requester Pays.
        s3.delete_public_access_block(Bucket="payer")
        s3.put_bucket_policy(Bucket="payer", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::payer/*"}]}))
        anon = boto3.client("s3", endpoint_url=self.srv.endpoint, region_name="us-east-1",
                            config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}))
        self.assertEqual(anon.get_object(Bucket="payer", Key="k")["Body"].read(), b"data")

        s3.put_bucket_request_payment(Bucket="payer", RequestPaymentConfiguration={"Payer": "Requester"})
        self.assertEqual(s3.get_bucket_request_payment(Bucket="payer")["Payer"], "Requester")
        r = s3.get_object(Bucket="payer", Key="k", RequestPayer="requester")
        self.assertEqual(r["RequestCharged"], "requester")
        self.assertEqual(r["Body"].read(), b"data")
        r = s3.put_object(Bucket="payer", Key="k2", Body=b"x", RequestPayer="requester")
        self.assertEqual(r["RequestCharged"], "requester")
        self.assertEqual(s3.head_object(Bucket="payer", Key="k2", RequestPayer="requester")["RequestCharged"],
                         "requester")
        self.assertNotIn("RequestCharged", s3.head_object(Bucket="payer", Key="k2"))
        with self.assertRaises(ClientError) as e:
            anon.get_object(Bucket="payer", Key="k")
        self.assertEqual(err(e), ("AccessDenied", 403))

        with self.assertRaises(ClientError) as e:
            s3.put_bucket_request_payment(Bucket="payer", RequestPaymentConfiguration={"Payer": "Nobody"})
        self.assertEqual(err(e), ("MalformedXML", 400))
        s3.put_bucket_request_payment(Bucket="payer", RequestPaymentConfiguration={"Payer": "BucketOwner"})
        self.assertEqual(s3.get_bucket_request_payment(Bucket="payer")["Payer"], "BucketOwner")
        self.assertEqual(anon.get_object(Bucket="payer", Key="k")["Body"].read(), b"data")
        with self.assertRaises(ClientError) as e:
            s3.get_bucket_request_payment(Bucket="no-such-bucket-r")
        self.assertEqual(err(e), ("NoSuchBucket", 404))

        rc, out, errs = self.cli("s3api", "put-bucket-request-payment", "--bucket", "payer",
                                 "--request-payment-configuration", "Payer=Requester")
        self.assertEqual(rc, 0, errs)
        rc, out, errs = self.cli("s3api", "get-bucket-request-payment", "--bucket", "payer")
        self.assertEqual((rc, out), (0, {"Payer": "Requester"}), errs)

    # ---- Accelerate ----

    def test_accelerate(self):
        s3 = self.s3
        s3.create_bucket(Bucket="accel")
        r = s3.get_bucket_accelerate_configuration(Bucket="accel")
        self.assertNotIn("Status", r)  # never set: an empty configuration
        for status in ("Enabled", "Suspended"):
            s3.put_bucket_accelerate_configuration(Bucket="accel", AccelerateConfiguration={"Status": status})
            self.assertEqual(s3.get_bucket_accelerate_configuration(Bucket="accel")["Status"], status)
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_accelerate_configuration(Bucket="accel", AccelerateConfiguration={"Status": "On"})
        self.assertEqual(err(e), ("MalformedXML", 400))
        s3.create_bucket(Bucket="with.dots")
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_accelerate_configuration(Bucket="with.dots",
                                                   AccelerateConfiguration={"Status": "Enabled"})
        self.assertEqual(err(e), ("InvalidRequest", 400))
        self.assertIn("periods", e.exception.response["Error"]["Message"])
        rc, _, errs = self.cli("s3api", "put-bucket-accelerate-configuration", "--bucket", "accel",
                               "--accelerate-configuration", "Status=Enabled")
        self.assertEqual(rc, 0, errs)
        rc, out, errs = self.cli("s3api", "get-bucket-accelerate-configuration", "--bucket", "accel")
        self.assertEqual((rc, out), (0, {"Status": "Enabled"}), errs)

    # ---- Inventory ----

    def test_inventory(self):
        s3 = self.s3
        self.assertNotIn("InventoryConfigurationList", s3.list_bucket_inventory_configurations(Bucket="cfg"))
        with self.assertRaises(ClientError) as e:
            s3.get_bucket_inventory_configuration(Bucket="cfg", Id="nope")
        self.assertEqual(err(e), ("NoSuchConfiguration", 404))
        cfg = inventory("daily-report", Filter={"Prefix": "logs/"},
                        OptionalFields=["Size", "ETag", "LastModifiedDate"])
        cfg["Destination"]["S3BucketDestination"].update(
            {"Prefix": "inv", "AccountId": "000000000000", "Encryption": {"SSES3": {}}})
        s3.put_bucket_inventory_configuration(Bucket="cfg", Id="daily-report", InventoryConfiguration=cfg)
        got = s3.get_bucket_inventory_configuration(Bucket="cfg", Id="daily-report")["InventoryConfiguration"]
        self.assertEqual(got, cfg)
        # A put under the same id replaces it.
        cfg2 = inventory("daily-report", freq="Weekly", versions="All")
        s3.put_bucket_inventory_configuration(Bucket="cfg", Id="daily-report", InventoryConfiguration=cfg2)
        got = s3.get_bucket_inventory_configuration(Bucket="cfg", Id="daily-report")["InventoryConfiguration"]
        self.assertEqual(got, cfg2)

        # Validation, as S3 answers it.
        bad = [
            (inventory("x", fmt="JSON"), ("MalformedXML", 400)),
            (inventory("x", freq="Hourly"), ("MalformedXML", 400)),
            (inventory("x", versions="CURRENT"), ("MalformedXML", 400)),
            (inventory("x", OptionalFields=["Colour"]), ("MalformedXML", 400)),
            (inventory("x", bucket="dest"), ("InvalidS3DestinationBucket", 400)),
            (inventory("x", bucket="arn:aws:s3:::Bad_Name"), ("InvalidS3DestinationBucket", 400)),
            (inventory("y"), ("IdMismatch", 400)),
        ]
        for doc, want in bad:
            with self.subTest(doc=doc):
                with self.assertRaises(ClientError) as e:
                    s3.put_bucket_inventory_configuration(Bucket="cfg", Id="x", InventoryConfiguration=doc)
                self.assertEqual(err(e), want)
        for bad_id in ("has space", "a" * 65, "sl/ash"):
            with self.assertRaises(ClientError) as e:
                s3.put_bucket_inventory_configuration(Bucket="cfg", Id=bad_id,
                                                      InventoryConfiguration=inventory(bad_id))
            self.assertEqual(err(e), ("InvalidConfigurationId", 400), bad_id)
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_inventory_configuration(Bucket="no-such-bucket-r", Id="x",
                                                  InventoryConfiguration=inventory("x"))
        self.assertEqual(err(e), ("NoSuchBucket", 404))

        # Pagination: 100 a page, in id order, resumed from NextContinuationToken.
        for i in range(104):
            s3.put_bucket_inventory_configuration(Bucket="cfg", Id=f"inv-{i:03d}",
                                                  InventoryConfiguration=inventory(f"inv-{i:03d}"))
        page = s3.list_bucket_inventory_configurations(Bucket="cfg")
        self.assertTrue(page["IsTruncated"])
        ids = [c["Id"] for c in page["InventoryConfigurationList"]]
        self.assertEqual(len(ids), 100)
        self.assertEqual(ids, sorted(ids))
        page2 = s3.list_bucket_inventory_configurations(Bucket="cfg",
                                                        ContinuationToken=page["NextContinuationToken"])
        self.assertFalse(page2["IsTruncated"])
        self.assertEqual(page2["ContinuationToken"], page["NextContinuationToken"])
        ids += [c["Id"] for c in page2["InventoryConfigurationList"]]
        self.assertEqual(ids, sorted([f"inv-{i:03d}" for i in range(104)] + ["daily-report"]))
        with self.assertRaises(ClientError) as e:
            s3.list_bucket_inventory_configurations(Bucket="cfg", ContinuationToken="!!garbage!!")
        self.assertEqual(err(e), ("MalformedContinuationToken", 400))

        for i in range(104):
            s3.delete_bucket_inventory_configuration(Bucket="cfg", Id=f"inv-{i:03d}")
        with self.assertRaises(ClientError) as e:
            s3.delete_bucket_inventory_configuration(Bucket="cfg", Id="inv-000")
        self.assertEqual(err(e), ("NoSuchConfiguration", 404))
        left = s3.list_bucket_inventory_configurations(Bucket="cfg")["InventoryConfigurationList"]
        self.assertEqual([c["Id"] for c in left], ["daily-report"])

    def test_inventory_cli_v2(self):
        doc = json.dumps(inventory("cli-inv"))
        rc, _, errs = self.cli("s3api", "put-bucket-inventory-configuration", "--bucket", "cfg", "--id",
                               "cli-inv", "--inventory-configuration", doc)
        self.assertEqual(rc, 0, errs)
        rc, out, errs = self.cli("s3api", "get-bucket-inventory-configuration", "--bucket", "cfg",
                                 "--id", "cli-inv")
        self.assertEqual(rc, 0, errs)
        self.assertEqual(out["InventoryConfiguration"], json.loads(doc))
        rc, out, errs = self.cli("s3api", "list-bucket-inventory-configurations", "--bucket", "cfg")
        self.assertEqual(rc, 0, errs)
        self.assertIn("cli-inv", [c["Id"] for c in out["InventoryConfigurationList"]])
        rc, _, errs = self.cli("s3api", "delete-bucket-inventory-configuration", "--bucket", "cfg",
                               "--id", "cli-inv")
        self.assertEqual(rc, 0, errs)
        rc, _, errs = self.cli("s3api", "get-bucket-inventory-configuration", "--bucket", "cfg",
                               "--id", "cli-inv")
        self.assertNotEqual(rc, 0)
        self.assertIn("NoSuchConfiguration", errs)

    # ---- Intelligent-Tiering ----

    def test_intelligent_tiering(self):
        s3 = self.s3

        def put(id_, tierings, filt=None, status="Enabled"):
            cfg = {"Id": id_, "Status": status, "Tierings": tierings}
            if filt is not None:
                cfg["Filter"] = filt
            s3.put_bucket_intelligent_tiering_configuration(Bucket="cfg", Id=id_,
                                                            IntelligentTieringConfiguration=cfg)
            return cfg

        cfg = put("archive", [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"},
                              {"Days": 730, "AccessTier": "DEEP_ARCHIVE_ACCESS"}],
                  {"And": {"Prefix": "cold/", "Tags": [{"Key": "tier", "Value": "cold"},
                                                       {"Key": "team", "Value": "data"}]}})
        got = s3.get_bucket_intelligent_tiering_configuration(Bucket="cfg", Id="archive")
        self.assertEqual(got["IntelligentTieringConfiguration"], cfg)
        put("tagged", [{"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}], {"Tag": {"Key": "k", "Value": "v"}},
            status="Disabled")
        lst = s3.list_bucket_intelligent_tiering_configurations(Bucket="cfg")
        self.assertFalse(lst["IsTruncated"])
        self.assertEqual([c["Id"] for c in lst["IntelligentTieringConfigurationList"]], ["archive", "tagged"])
        bad = [
            ([{"Days": 89, "AccessTier": "ARCHIVE_ACCESS"}], None, ("InvalidArgument", 400)),
            ([{"Days": 731, "AccessTier": "ARCHIVE_ACCESS"}], None, ("InvalidArgument", 400)),
            ([{"Days": 179, "AccessTier": "DEEP_ARCHIVE_ACCESS"}], None, ("InvalidArgument", 400)),
            ([{"Days": 100, "AccessTier": "ARCHIVE_ACCESS"}, {"Days": 200, "AccessTier": "ARCHIVE_ACCESS"}],
             None, ("InvalidArgument", 400)),
            ([{"Days": 100, "AccessTier": "GLACIER"}], None, ("MalformedXML", 400)),
            ([], None, ("MalformedXML", 400)),
            ([{"Days": 100, "AccessTier": "ARCHIVE_ACCESS"}],
             {"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}}, ("MalformedXML", 400)),
        ]
        for tierings, filt, want in bad:
            with self.subTest(tierings=tierings, filt=filt):
                with self.assertRaises(ClientError) as e:
                    put("bad", tierings, filt)
                self.assertEqual(err(e), want)
        s3.delete_bucket_intelligent_tiering_configuration(Bucket="cfg", Id="tagged")
        with self.assertRaises(ClientError) as e:
            s3.get_bucket_intelligent_tiering_configuration(Bucket="cfg", Id="tagged")
        self.assertEqual(err(e), ("NoSuchConfiguration", 404))
        rc, out, errs = self.cli("s3api", "list-bucket-intelligent-tiering-configurations", "--bucket", "cfg")
        self.assertEqual(rc, 0, errs)
        self.assertEqual([c["Id"] for c in out["IntelligentTieringConfigurationList"]], ["archive"])

    # ---- Analytics ----

    def test_analytics(self):
        s3 = self.s3
        export = {"OutputSchemaVersion": "V_1", "Destination": {"S3BucketDestination": {
            "Format": "CSV", "BucketAccountId": "000000000000", "Bucket": "arn:aws:s3:::dest",
            "Prefix": "analytics/"}}}
        cfg = {"Id": "sca", "Filter": {"Prefix": "photos/"}, "StorageClassAnalysis": {"DataExport": export}}
        s3.put_bucket_analytics_configuration(Bucket="cfg", Id="sca", AnalyticsConfiguration=cfg)
        got = s3.get_bucket_analytics_configuration(Bucket="cfg", Id="sca")["AnalyticsConfiguration"]
        self.assertEqual(got, cfg)
        plain = {"Id": "plain", "StorageClassAnalysis": {}}
        s3.put_bucket_analytics_configuration(Bucket="cfg", Id="plain", AnalyticsConfiguration=plain)
        lst = s3.list_bucket_analytics_configurations(Bucket="cfg")
        self.assertEqual([c["Id"] for c in lst["AnalyticsConfigurationList"]], ["plain", "sca"])
        bad_format = json.loads(json.dumps(cfg))
        bad_format["StorageClassAnalysis"]["DataExport"]["Destination"]["S3BucketDestination"]["Format"] = "ORC"
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_analytics_configuration(Bucket="cfg", Id="sca", AnalyticsConfiguration=bad_format)
        self.assertEqual(err(e), ("MalformedXML", 400))
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_analytics_configuration(Bucket="cfg", Id="other", AnalyticsConfiguration=plain)
        self.assertEqual(err(e), ("MalformedXML", 400))  # the document's Id is not the id
        s3.delete_bucket_analytics_configuration(Bucket="cfg", Id="plain")
        s3.delete_bucket_analytics_configuration(Bucket="cfg", Id="sca")
        self.assertNotIn("AnalyticsConfigurationList", s3.list_bucket_analytics_configurations(Bucket="cfg"))

    # ---- Metrics, and the 1,000-configuration limit ----

    def test_metrics_and_limit(self):
        s3 = self.s3
        s3.create_bucket(Bucket="metrics")
        filters = [None, {"Prefix": "p/"}, {"Tag": {"Key": "k", "Value": "v"}},
                   {"AccessPointArn": "arn:aws:s3:us-east-1:000000000000:accesspoint/ap"},
                   {"And": {"Prefix": "p/", "Tags": [{"Key": "a", "Value": "b"}]}}]
        for i, f in enumerate(filters):
            cfg = {"Id": f"m{i}"}
            if f:
                cfg["Filter"] = f
            s3.put_bucket_metrics_configuration(Bucket="metrics", Id=f"m{i}", MetricsConfiguration=cfg)
            self.assertEqual(s3.get_bucket_metrics_configuration(Bucket="metrics", Id=f"m{i}")[
                "MetricsConfiguration"], cfg)
        for i in range(len(filters), 1000):
            s3.put_bucket_metrics_configuration(Bucket="metrics", Id=f"m{i}", MetricsConfiguration={"Id": f"m{i}"})
        with self.assertRaises(ClientError) as e:
            s3.put_bucket_metrics_configuration(Bucket="metrics", Id="one-more",
                                                MetricsConfiguration={"Id": "one-more"})
        self.assertEqual(err(e), ("TooManyConfigurations", 400))
        # Replacing one of the thousand is still allowed.
        s3.put_bucket_metrics_configuration(Bucket="metrics", Id="m7", MetricsConfiguration={"Id": "m7"})
        seen, token, pages = [], None, 0
        while pages < 20:
            kw = {"ContinuationToken": token} if token else {}
            page = s3.list_bucket_metrics_configurations(Bucket="metrics", **kw)
            seen += [c["Id"] for c in page["MetricsConfigurationList"]]
            pages += 1
            if not page["IsTruncated"]:
                break
            token = page["NextContinuationToken"]
        self.assertEqual(pages, 10)
        self.assertEqual(sorted(seen), sorted(f"m{i}" for i in range(1000)))
        self.assertEqual(len(set(seen)), 1000)

    def test_concurrent_puts_lose_nothing(self):
        """Puts of different ids at once each read, change and swap the one document: none is
        lost (a lost race reads again)."""
        from concurrent.futures import ThreadPoolExecutor
        self.s3.create_bucket(Bucket="racing")
        clients = [self.srv.client("s3", s3={"addressing_style": "path"}) for _ in range(8)]

        def put(i):
            clients[i % 8].put_bucket_metrics_configuration(Bucket="racing", Id=f"r{i:02d}",
                                                            MetricsConfiguration={"Id": f"r{i:02d}"})

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(put, range(48), timeout=120))
        got = self.s3.list_bucket_metrics_configurations(Bucket="racing")["MetricsConfigurationList"]
        self.assertEqual([c["Id"] for c in got], [f"r{i:02d}" for i in range(48)])

        def delete(i):
            clients[i % 8].delete_bucket_metrics_configuration(Bucket="racing", Id=f"r{i:02d}")

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(delete, range(0, 48, 2), timeout=120))
        got = self.s3.list_bucket_metrics_configurations(Bucket="racing")["MetricsConfigurationList"]
        self.assertEqual([c["Id"] for c in got], [f"r{i:02d}" for i in range(1, 48, 2)])

    def test_raw_listing_by_empty_id_and_xml_errors(self):
        """GET ?inventory&id= lists (as S3 answers it); a body that is not XML is MalformedXML."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials

        def signed(method, path, body=b""):
            req = botocore.awsrequest.AWSRequest(method=method, url=self.srv.endpoint + path, data=body)
            botocore.auth.S3SigV4Auth(botocore.credentials.Credentials("test", "test"), "s3",
                                      "us-east-1").add_auth(req)
            c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
            c.request(method, path, body=body, headers=dict(req.headers))
            r = c.getresponse()
            out = r.status, r.read()
            c.close()
            return out

        st, body = signed("GET", "/cfg?metrics&id=")
        self.assertEqual(st, 200, body)
        self.assertIn(b"<ListMetricsConfigurationsResult", body)
        st, body = signed("PUT", "/cfg?metrics&id=z", b"<MetricsConfiguration><Id>z</Id>")
        self.assertEqual(st, 400)
        self.assertIn(b"MalformedXML", body)
        st, body = signed("PUT", "/cfg?metrics&id=z", b"<MetricsConfiguration><Id>z</Id><Colour/>"
                                                      b"</MetricsConfiguration>")
        self.assertEqual(st, 400)
        self.assertIn(b"MalformedXML", body)
        st, body = signed("PUT", "/cfg?metrics", b"<MetricsConfiguration><Id>z</Id></MetricsConfiguration>")
        self.assertEqual(st, 400)
        self.assertIn(b"InvalidConfigurationId", body)


if __name__ == "__main__":
    unittest.main()
