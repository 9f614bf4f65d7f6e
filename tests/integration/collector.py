# SPDX-License-Identifier: Apache-2.0
"""Lines from functions to the tests: a function instance runs in a sandbox that cannot write
the host's files, so a test that wants to see what its function saw gives it, instead of a path,
OUT=tcp:<port> of a loopback listener here, whose connections' bytes are appended to the path.
"""
import socket
import threading


def collect(path):
    """Listen on 127.0.0.1 (port 0); append whatever each connection sends to path (created by
    the first connection, as a function's first write would). Connections are served one at a
    time, in the order they came, so that a function's successive sends keep their order.
    Returns "tcp:<port>". The listener lives as long as the test process (a daemon thread)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)

    def serve():
        while True:
            c, _ = srv.accept()
            data = []
            with c:
                c.settimeout(30)  # a function sends, then closes: never hold the rest long
                try:
                    while True:
                        b = c.recv(1 << 16)
                        if not b:
                            break
                        data.append(b)
                except OSError:
                    pass
            with open(path, "ab") as f:
                f.write(b"".join(data))

    threading.Thread(target=serve, daemon=True).start()
    return "tcp:%d" % srv.getsockname()[1]


# For a Python function's code: send(text) delivers text to the collector named by the
# environment variable var (OUT by default).
SEND = '''
def send(text, var="OUT"):
    import os, socket
    with socket.create_connection(("127.0.0.1", int(os.environ[var][4:]))) as s:
        s.sendall(text.encode())
'''
