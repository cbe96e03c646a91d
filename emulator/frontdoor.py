"""The front door: how a process under test reaches https://dbc-emu-1.cloud.databricks.com and
https://accounts.cloud.databricks.com without any change to it or to name resolution.

databricks-sdk builds a workspace's URL from its `deployment_name` (`AccountClient.get_workspace_client`), so
those names must lead to the emulators. The front door is an HTTPS proxy on 127.0.0.1 (HTTP CONNECT, as corporate
proxies are): for a name it knows, it answers the CONNECT itself, terminates TLS with a certificate for
`*.cloud.databricks.com` signed by a CA made at start-up (TestCA), and forwards each request, Host header kept, to
that name's emulated server over plain HTTP. The process under test gets only `HTTPS_PROXY` and
`REQUESTS_CA_BUNDLE` (requests, and so the SDK, honour both), and `NO_PROXY` keeps 127.0.0.1 direct, so a
workspace addressed as http://127.0.0.1:PORT bypasses the door. A name it does not know gets 502 to its CONNECT,
as a proxy that cannot resolve a host answers; so does a known name whose server is down."""

from __future__ import annotations

import datetime
import http.client
import shutil
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .identity import DNS_ZONE

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length"}


class TestCA:
    """A certificate authority made at run time, and a server certificate it signs for `names`; PEM files in
    `directory`: ca.pem (what clients trust), server.pem and server.key."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, directory: Path, names: tuple[str, ...] = (f"*{DNS_ZONE}", f"accounts{DNS_ZONE}")) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)
        ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Emulator test CA (made at run time)")])
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False),
                             critical=True)
              .add_extension(ca_ski, critical=False)
              .sign(ca_key, hashes.SHA256()))
        leaf = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.directory = Path(directory)
        self.ca_pem = self.directory / "ca.pem"
        self.cert_pem = self.directory / "server.pem"
        self.key_pem = self.directory / "server.key"
        self.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        self.key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_pem, self.key_pem)
        return ctx


class FrontDoor:
    """The HTTPS proxy. `routes`: host name -> port of its emulated server on 127.0.0.1; a test may add, change or
    remove names while it runs."""

    def __init__(self, routes: dict[str, int] | None = None, directory: Path | None = None, port: int = 0) -> None:
        self.routes: dict[str, int] = dict(routes or {})
        self.port = port
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="emulator-door-"))
        self.ca = TestCA(self.directory)
        self.context = self.ca.server_context()
        self.connects: dict[str, int] = {}  # host -> CONNECTs answered, for tests to assert on
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_bundle(self) -> str:
        return str(self.ca.ca_pem)

    def env(self) -> dict[str, str]:
        """What a process needs to go through the door: both spellings, since requests prefers the lower-case
        ones and a lower-case variable left in the environment would win over an upper-case one."""
        no_proxy = "127.0.0.1,localhost,::1"
        return {"HTTPS_PROXY": self.url, "https_proxy": self.url, "NO_PROXY": no_proxy, "no_proxy": no_proxy,
                "REQUESTS_CA_BUNDLE": self.ca_bundle}

    def start(self) -> FrontDoor:
        handler = type("Door", (_Door,), {"door": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        httpd.daemon_threads = True
        self._httpd, self.port = httpd, httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="frontdoor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread:
                self._thread.join(5)
            self._httpd = None
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> FrontDoor:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _connected(self, host: str) -> None:
        with self._lock:
            self.connects[host] = self.connects.get(host, 0) + 1


class _Door(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    door: FrontDoor

    def do_CONNECT(self):
        host, _, port = self.path.rpartition(":")
        backend = self.door.routes.get(host.lower()) if port == "443" else None
        if backend is None:
            return self._refuse(f"Unknown host {host}")
        conn = http.client.HTTPConnection("127.0.0.1", backend, timeout=None)
        try:
            conn.connect()
        except OSError:
            return self._refuse(f"Cannot connect to {host}")
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        try:
            tls = self.door.context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return None  # the client gave up on the handshake, e.g. it does not trust the test CA
        self.door._connected(host.lower())
        try:
            _Tunnel(tls, self.client_address, self.server, conn)
        finally:
            tls.close()
        return None

    def _refuse(self, reason: str) -> None:
        body = reason.encode()
        self.send_response(502, "Bad Gateway")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format, *args):
        pass


class _Tunnel(BaseHTTPRequestHandler):
    """The requests inside one TLS tunnel, each forwarded to the emulated server, one at a time and on one kept-alive
    connection to it. A backend that closes without answering (an injected dropped connection) closes the tunnel
    too, so the client sees what it would see from the real host."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def __init__(self, sock, client_address, server, conn: http.client.HTTPConnection) -> None:
        self._conn: http.client.HTTPConnection | None = conn
        try:
            super().__init__(sock, client_address, server)
        finally:
            if self._conn is not None:
                self._conn.close()

    def _forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        if self._conn is None:
            self.close_connection = True
            return
        try:
            self._conn.request(self.command, self.path, body=body, headers=headers)
            resp = self._conn.getresponse()
            data = resp.read()
        except OSError:  # refused, reset, or closed without an answer (http.client.RemoteDisconnected)
            self._conn.close()
            self._conn = None
            self.close_connection = True
            return
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

    def log_message(self, format, *args):
        pass
