# SPDX-License-Identifier: Apache-2.0
"""SNS deliveries to HTTPS endpoints: the subscription handshake and a notification over TLS to
an endpoint whose certificate chains to a CA the server trusts (OpenSSL's SSL_CERT_FILE, as for
any OpenSSL client), and nothing delivered to one whose certificate it cannot verify."""
import datetime
import http.server
import json
import os
import ssl
import tempfile
import threading
import unittest
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from stratus_fixture import Server


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_leaf(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def pem(obj):
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.cond:
            self.server.got.append((dict(self.headers), json.loads(body)))
            self.server.cond.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class ToHttps(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="stratus-https-")
        self.ca_key, self.ca = make_ca("stratus test CA")
        self.ca_file = os.path.join(self.dir, "ca.pem")
        with open(self.ca_file, "wb") as f:
            f.write(pem(self.ca))
        self.web = None

    def tearDown(self):
        if self.web:
            self.web.shutdown()
            self.web.server_close()
        self.srv.cleanup()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def endpoint(self, ca_key, ca):
        """An HTTPS endpoint on 127.0.0.1 named localhost, its certificate signed by ca."""
        key, cert = make_leaf(ca_key, ca)
        cert_file, key_file = os.path.join(self.dir, "leaf.pem"), os.path.join(self.dir, "leaf.key")
        with open(cert_file, "wb") as f:
            f.write(pem(cert))
        with open(key_file, "wb") as f:
            f.write(pem(key))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file, key_file)
        self.web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.web.socket = ctx.wrap_socket(self.web.socket, server_side=True)
        self.web.cond = threading.Condition()
        self.web.got = []
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        return "https://localhost:%d/hook" % self.web.server_address[1]

    def start(self):
        """stratusd trusting the test CA (SSL_CERT_FILE, read by OpenSSL's default paths)."""
        old = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = self.ca_file
        try:
            self.srv = Server().start()
        finally:
            if old is None:
                del os.environ["SSL_CERT_FILE"]
            else:
                os.environ["SSL_CERT_FILE"] = old
        self.sns = self.srv.client("sns")

    def posts(self, count, timeout):
        with self.web.cond:
            self.web.cond.wait_for(lambda: len(self.web.got) >= count, timeout)
            return list(self.web.got)

    def test_handshake_and_notification_over_tls(self):
        self.start()
        url = self.endpoint(self.ca_key, self.ca)
        topic = self.sns.create_topic(Name="secure")["TopicArn"]
        self.assertEqual(self.sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=url)["SubscriptionArn"],
                         "pending confirmation")
        got = self.posts(1, 20)
        self.assertEqual(len(got), 1, self.srv.read_log())
        headers, conf = got[0]
        self.assertEqual((headers["x-amz-sns-message-type"], conf["Type"]),
                         ("SubscriptionConfirmation", "SubscriptionConfirmation"))
        urllib.request.urlopen(conf["SubscribeURL"], timeout=5).read()
        mid = self.sns.publish(TopicArn=topic, Message="over tls")["MessageId"]
        got = self.posts(2, 20)
        self.assertEqual(len(got), 2, self.srv.read_log())
        headers, note = got[1]
        self.assertEqual(headers["x-amz-sns-message-type"], "Notification")
        self.assertEqual((note["MessageId"], note["Message"]), (mid, "over tls"))

    def test_unverifiable_endpoint_gets_nothing(self):
        self.start()
        other_key, other = make_ca("a CA the server does not trust")
        url = self.endpoint(other_key, other)
        topic = self.sns.create_topic(Name="untrusted")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=url)
        # the confirmation is attempted (and refused by the server's verification) at once
        self.assertEqual(self.posts(1, 3), [])
        subs = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual(subs[0]["SubscriptionArn"], "PendingConfirmation")


if __name__ == "__main__":
    unittest.main()
