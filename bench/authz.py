#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The authorization benchmark (run by `make bench`): what evaluating an IAM user's policies costs
on the request path, against the account root (whose requests skip evaluation), in the same run
on the same server.

The user's access comes through 10 policies with conditions: an inline policy of the user (IAM
allows 2048 characters of them per user), 7 customer managed policies attached to it, and an
inline and a managed policy of a group it is in.
Every statement carries conditions over the global keys (aws:SourceIp, aws:SecureTransport,
aws:RequestedRegion, aws:CurrentTime, aws:PrincipalTag/team, aws:username), each policy also
allows actions of other services and holds a Deny whose condition does not match, so every
request evaluates all of them.

Workloads (stratus-bench, bench/stratus_bench.c): DynamoDB PutItem and S3 GET of 4 KiB at CONNS
connections (default 64), DURATION seconds each (default 5), ROUNDS interleaved rounds (default
3) of root and user, alternating which runs first; the server is pinned to core 0 and the load generator to core 1 (taskset,
when there are two cores). The stable figure is server CPU per request (utime+stime of stratusd
from /proc over the run); the goal is the user's <= 1.1x the root's. Prints each run, each round's user/root ratio
and their median (the figure judged: the server's cost drifts within a run as its memtable
fills), and the ratio of the medians.

Usage: bench/authz.py [BUILD_DIR]
Environment: DURATION, CONNS, ROUNDS, THREADS (stratusd loop threads, default 1), PERF_DIR (record
a `perf` profile of stratusd during each workload's first run of each principal into that
directory: <workload>-<root|user>.data). Loopback only; every loop is bounded in count and time.
"""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
DURATION = float(os.environ.get("DURATION", 5))
CONNS = int(os.environ.get("CONNS", 64))
ROUNDS = int(os.environ.get("ROUNDS", 3))
THREADS = int(os.environ.get("THREADS", 1))
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
GOAL = 1.1


def log(msg):
    print(msg, flush=True)


def pin(core, args):
    return ["taskset", "-c", str(core)] + args if PINNED else args


def conditions(i):
    return {
        "IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]},
        "Bool": {"aws:SecureTransport": "false"},
        "StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "bench"},
        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        "StringLike": {"aws:username": "bench-*"},
    }


def policy(i):
    """Policy i: one statement allows the benchmark's actions (a different subset each time, so
    every policy is needed to cover them), others allow unrelated actions, a Deny never
    matches."""
    ours = [["dynamodb:PutItem", "dynamodb:GetItem"], ["dynamodb:CreateTable", "dynamodb:DescribeTable"],
            ["s3:GetObject"], ["s3:PutObject", "s3:ListBucket"]][i % 4]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Other%d" % i, "Effect": "Allow",
             "Action": ["sqs:SendMessage", "sns:Publish", "lambda:InvokeFunction"],
             "Resource": "arn:aws:sqs:us-east-1:000000000000:queue-%d" % i, "Condition": conditions(i)},
            {"Sid": "Bench%d" % i, "Effect": "Allow", "Action": ours,
             "Resource": ["arn:aws:dynamodb:us-east-1:000000000000:table/bench",
                          "arn:aws:s3:::bench-bucket", "arn:aws:s3:::bench-bucket/*"],
             "Condition": conditions(i)},
            {"Sid": "Never%d" % i, "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
        ],
    }


def parse(line):
    return {k: v for k, v in (t.split("=", 1) for t in line.split()[1:])}


def main():
    work = tempfile.mkdtemp(prefix="stratus-authz-bench-")
    port_file = os.path.join(work, "port")
    srv = subprocess.Popen(pin(0, [os.path.join(BUILD, "stratusd"), "--listen", "127.0.0.1:0",
                                   "--data-dir", os.path.join(work, "db"), "--port-file", port_file,
                                   "--threads", str(THREADS), "--log-level", "warn"]),
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "log"), "w"))
    try:
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        port = int(open(port_file).read())
        ep = "http://127.0.0.1:%d" % port
        kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
        iam = boto3.client("iam", **kw)
        boto3.client("s3", **kw).create_bucket(Bucket="bench-bucket")
        iam.create_user(UserName="bench-user", Tags=[{"Key": "team", "Value": "bench"}])
        iam.create_group(GroupName="bench-group")
        iam.add_user_to_group(GroupName="bench-group", UserName="bench-user")
        for i in range(10):
            doc = json.dumps(policy(i))
            if i < 1:
                iam.put_user_policy(UserName="bench-user", PolicyName="p%d" % i, PolicyDocument=doc)
            elif i < 8:
                arn = iam.create_policy(PolicyName="p%d" % i, PolicyDocument=doc)["Policy"]["Arn"]
                iam.attach_user_policy(UserName="bench-user", PolicyArn=arn)
            elif i == 8:
                iam.put_group_policy(GroupName="bench-group", PolicyName="p8", PolicyDocument=doc)
            else:
                arn = iam.create_policy(PolicyName="p9", PolicyDocument=doc)["Policy"]["Arn"]
                iam.attach_group_policy(GroupName="bench-group", PolicyArn=arn)
        key = iam.create_access_key(UserName="bench-user")["AccessKey"]
        who = {"root": ("test", "test"), "user": (key["AccessKeyId"], key["SecretAccessKey"])}
        log("# authorization: %d connections, %.0f s runs, %d rounds, %d server thread(s), %s"
            % (CONNS, DURATION, ROUNDS, THREADS, "pinned" if PINNED else "not pinned"))
        failed = False
        for wl, extra in (("putitem", []), ("s3get", ["--path", "/bench-bucket"])):
            cpu = {"root": [], "user": []}
            for r in range(ROUNDS):
                # Alternate who goes first: a write run leaves a fuller memtable to the next.
                for name in (("root", "user") if r % 2 == 0 else ("user", "root")):
                    ak, sk = who[name]
                    perf = None
                    if os.environ.get("PERF_DIR") and r == 0 and shutil.which("perf"):
                        perf = subprocess.Popen(
                            ["perf", "record", "-q", "-g", "-p", str(srv.pid), "-o",
                             os.path.join(os.environ["PERF_DIR"], "%s-%s.data" % (wl, name)),
                             "--", "sleep", str(DURATION)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    out = subprocess.run(
                        pin(1, [os.path.join(BUILD, "stratus-bench"), "--port", str(port),
                                "--connections", str(CONNS), "--duration", str(DURATION),
                                "--workload", wl, "--server-pid", str(srv.pid), "--label",
                                "%s-%s-r%d" % (wl, name, r), "--access-key", ak, "--secret-key", sk]
                            + extra),
                        capture_output=True, text=True, timeout=DURATION + 120)
                    if perf:
                        perf.wait(timeout=DURATION + 60)
                    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
                    log(line or ("%s %s: no result: %s" % (wl, name, out.stderr.strip()[-300:])))
                    f = parse(line) if line else {}
                    if "server_cpu_us_per_req" not in f or float(f.get("errors", 0)) > 0:
                        failed = True
                        continue
                    cpu[name].append(float(f["server_cpu_us_per_req"]))
            if cpu["root"] and cpu["user"]:
                # The server's cost drifts during a run (the memtable fills, compactions run):
                # each round's user run against the root run next to it, then the median.
                pairs = [u / r for u, r in zip(cpu["user"], cpu["root"])]
                ratio = statistics.median(pairs)
                log("  %s: per-round ratios %s; ratio of the medians %.2fx"
                    % (wl, " ".join("%.2f" % x for x in pairs),
                       statistics.median(cpu["user"]) / statistics.median(cpu["root"])))
                log("  %s: server CPU per request, user with 10 policies / root: %.2fx (goal <= %.1fx: %s)"
                    % (wl, ratio, GOAL, "met" if ratio <= GOAL else "missed"))
        return 1 if failed else 0
    finally:
        srv.terminate()
        try:
            srv.wait(timeout=20)
        except subprocess.TimeoutExpired:
            srv.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
