#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The import benchmark (run by `make bench`, issue 17, package I): ImportTable of ITEMS items
(default 1 000 000) from one gzip DYNAMODB_JSON object in a Stratus bucket, timed from the
request to COMPLETED, against the PutItem rate of the same items (stratus-bench's putitem
workload writes items of exactly this shape) at CONNS connections (default 64) for DURATION
seconds (default 10). Prints items/s of each and the ratio import / PutItem.

Usage: bench/import.py [BUILD_DIR]
Environment: ITEMS, CONNS, DURATION, THREADS (stratusd loop threads, default 1).
Loopback only; every loop is bounded in count and time.
"""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
ITEMS = int(os.environ.get("ITEMS", 1000000))
CONNS = int(os.environ.get("CONNS", 64))
DURATION = float(os.environ.get("DURATION", 10))
THREADS = int(os.environ.get("THREADS", 1))
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def log(msg):
    print(msg, flush=True)


def pin(core, args):
    return ["taskset", "-c", str(core)] + args if PINNED else args


def item_line(i):
    # stratus-bench's PutItem item (bench/stratus_bench.c, item_json)
    return ('{"Item":{"pk":{"S":"user-%08x"},"sk":{"N":"%d"},"name":{"S":"benchmark-item-%06d"},'
            '"count":{"N":"%d"},"flag":{"BOOL":true},"pad":{"S":"0123456789abcdef0123"}}}\n'
            % ((i * 2654435761) & 0xffffffff, i, i, i * 7))


def main():
    work = tempfile.mkdtemp(prefix="stratus-import-bench-")
    port_file = os.path.join(work, "port")
    srv = subprocess.Popen(pin(0, [os.path.join(BUILD, "stratusd"), "--listen", "127.0.0.1:0",
                                   "--data-dir", os.path.join(work, "db"), "--port-file", port_file,
                                   "--threads", str(THREADS), "--log-level", "warn"]),
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "log"), "w"))
    ok = False
    try:
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = int(open(port_file).read())
        kw = dict(endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))
        s3, ddb = boto3.client("s3", **kw), boto3.client("dynamodb", **kw)
        s3.create_bucket(Bucket="bench-import")
        src = os.path.join(work, "items.json.gz")
        t0 = time.monotonic()
        with gzip.open(src, "wt", compresslevel=1) as f:
            for i in range(ITEMS):
                f.write(item_line(i))
        log("# import of %d items (gzip DYNAMODB_JSON, %.1f MB; generated in %.1f s), %s"
            % (ITEMS, os.path.getsize(src) / 1e6, time.monotonic() - t0,
               "pinned" if PINNED else "not pinned"))
        with open(src, "rb") as f:
            s3.put_object(Bucket="bench-import", Key="data/items.json.gz", Body=f)
        t0 = time.monotonic()
        d = ddb.import_table(
            S3BucketSource={"S3Bucket": "bench-import", "S3KeyPrefix": "data/"},
            InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
            TableCreationParameters={
                "TableName": "imported", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"}]})
        arn = d["ImportTableDescription"]["ImportArn"]
        desc = None
        for _ in range(36000):  # at most an hour
            desc = ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
            if desc["ImportStatus"] != "IN_PROGRESS":
                break
            time.sleep(0.1)
        secs = time.monotonic() - t0
        if desc["ImportStatus"] != "COMPLETED" or desc["ImportedItemCount"] != ITEMS:
            log("  import: failed: %r" % desc)
            return 1
        imp_rate = ITEMS / secs
        log("  import items=%d seconds=%.2f items_per_s=%.0f" % (ITEMS, secs, imp_rate))
        out = subprocess.run(
            pin(1, [os.path.join(BUILD, "stratus-bench"), "--port", str(port), "--connections",
                    str(CONNS), "--duration", str(DURATION), "--workload", "putitem",
                    "--server-pid", str(srv.pid), "--label", "putitem"]),
            capture_output=True, text=True, timeout=DURATION + 300)
        line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
        log("  " + (line or "putitem: no result: %s" % out.stderr.strip()[-300:]))
        f = {k: v for k, v in (t.split("=", 1) for t in line.split()[1:])} if line else {}
        if "rps" not in f:
            return 1
        put_rate = float(f["rps"])
        log("  import / PutItem (%d connections): %.0f / %.0f items/s = %.2fx"
            % (CONNS, imp_rate, put_rate, imp_rate / put_rate))
        ok = True
    finally:
        srv.terminate()
        try:
            srv.wait(timeout=60)
        except subprocess.TimeoutExpired:
            srv.kill()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
