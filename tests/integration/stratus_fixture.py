# SPDX-License-Identifier: Apache-2.0
"""Start a real stratusd on 127.0.0.1 with port 0 and a temporary data dir."""
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import zipfile

import boto3
from botocore.config import Config

STRATUSD = os.environ.get("STRATUSD", os.path.join(os.path.dirname(__file__), "../../build/stratusd"))
STRATUS_CLI = os.environ.get("STRATUS_CLI", os.path.join(os.path.dirname(STRATUSD), "stratus"))
AK, SK = "test", "test"
AWS_CLI = os.environ.get("AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"


class Server:
    def __init__(self, *extra, data_dir=None, region="us-east-1", access_key=AK, secret_key=SK):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="stratus-it-")
        self.extra = list(extra)
        self.region = region
        self.access_key, self.secret_key = access_key, secret_key
        self.proc = None
        self.port = None
        self.log_path = os.path.join(tempfile.gettempdir(), f"stratusd-{os.getpid()}-{id(self)}.log")

    def start(self, timeout=15):
        port_file = os.path.join(self.data_dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        args = [STRATUSD, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(self.data_dir, "db"),
                "--port-file", port_file, "--threads", "2", "--region", self.region,
                "--access-key", self.access_key, "--secret-key", self.secret_key] + self.extra
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("stratusd exited: " + self.read_log())
            time.sleep(0.02)
        raise RuntimeError("stratusd did not start: " + self.read_log())

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    @property
    def endpoint(self):
        scheme = "https" if "--tls-cert" in self.extra else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def finish(self):
        """Stop the server and remove its files; fail unless it exited 0 (a sanitizer report or a
        crash would not): for tearDownClass."""
        rc = self.stop()
        log = self.read_log()
        self.cleanup()
        assert rc == 0, "stratusd exited with %s: %s" % (rc, log[-3000:])

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        running = self.proc is not None and self.proc.poll() is None
        rc = self.stop()
        if running and rc != 0:
            # A clean SIGTERM exits 0; anything else (a sanitizer report, a crash) fails the test.
            raise AssertionError(f"stratusd exited with {rc}: {self.read_log()}")
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    def client(self, service, secret=None, access=None, region=None, **cfg):
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=region or self.region,
            aws_access_key_id=access or self.access_key,
            aws_secret_access_key=secret or self.secret_key,
            verify=cfg.pop("verify", True),
            config=Config(retries={"max_attempts": 1}, **cfg))

    def lambda_role(self, name="lambda-role", policy=None):
        """Create (idempotently) the IAM role name trusting lambda.amazonaws.com, with an inline
        policy (a document; default: allow everything) as its permissions; its ARN. Functions
        need an existing role Lambda can assume (issue 15)."""
        iam = self.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        try:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        doc = policy or {"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_role_policy(RoleName=name, PolicyName="lambda-role", PolicyDocument=json.dumps(doc))
        return arn

    def resource(self, service):
        return boto3.resource(service, endpoint_url=self.endpoint, region_name=self.region,
                              aws_access_key_id=self.access_key,
                              aws_secret_access_key=self.secret_key)

    def cli(self, *args, check=False):
        """Run the C `stratus` client against this server."""
        cmd = [STRATUS_CLI, "--endpoint", self.endpoint, "--access-key", self.access_key,
               "--secret-key", self.secret_key, "--region", self.region] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=30)

    def aws(self, *args, timeout=120):
        """Run the AWS CLI (AWS_CLI, else aws on the PATH) against this server with its keys and
        region, no configuration files and JSON output; the CompletedProcess (text)."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key,
                   AWS_DEFAULT_REGION=self.region, AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        return subprocess.run([AWS_CLI, "--endpoint-url", self.endpoint, "--output", "json"] + list(args),
                              env=env, capture_output=True, text=True, timeout=timeout)

    def raw(self, data: bytes, timeout=5.0, shut=True):
        """Send raw bytes on one connection; return everything read until close."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except socket.timeout:
            pass
        s.close()
        return out


def zip_of(files):
    """A zip (bytes) of files: {name: data}, as function code and layers are uploaded."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()
