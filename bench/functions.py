#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark set-up and cold starts for functions (run by bench/run.sh).

  functions.py ENDPOINT create   -- create `benchfn`, a warm-able `provided` function whose
                                    bootstrap keeps one Runtime API connection open
  functions.py ENDPOINT cold N   -- N fresh `provided` functions, each invoked once: prints
                                    the first invoke's latency (p50, max) in milliseconds
"""
import io
import statistics
import sys
import time
import zipfile

import boto3
from botocore.config import Config

BOOTSTRAP = """#!/usr/bin/env python3
import http.client, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
c = http.client.HTTPConnection(host, int(port))
while True:
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    body = r.read()
    c.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, body)
    c.getresponse().read()
"""


def code():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        z.writestr(info, BOOTSTRAP)
    return buf.getvalue()


def main():
    endpoint, what = sys.argv[1], sys.argv[2]
    lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"max_attempts": 1}))
    role = "arn:aws:iam::000000000000:role/bench"
    if what == "create":
        lam.create_function(FunctionName="benchfn", Runtime="provided.al2023", Role=role,
                            Handler="x", Code={"ZipFile": code()})
        lam.invoke(FunctionName="benchfn", Payload=b"{}")  # warm it
        return
    times = []
    for i in range(int(sys.argv[3])):
        name = "cold%d" % i
        lam.create_function(FunctionName=name, Runtime="provided.al2023", Role=role,
                            Handler="x", Code={"ZipFile": code()})
        t = time.perf_counter()
        lam.invoke(FunctionName=name, Payload=b"{}")
        first = time.perf_counter() - t
        t = time.perf_counter()
        lam.invoke(FunctionName=name, Payload=b"{}")
        warm = time.perf_counter() - t
        times.append((first, warm))
    firsts = [f for f, _ in times]
    starts = [f - w for f, w in times]
    print("cold-start first_invoke_p50_ms=%.1f first_invoke_max_ms=%.1f start_over_warm_p50_ms=%.1f"
          % (statistics.median(firsts) * 1000, max(firsts) * 1000, statistics.median(starts) * 1000))


if __name__ == "__main__":
    main()
