"""A workspace as Databricks Connect sees it, on this machine: one https URL that serves gRPC (a Spark Connect
server standing in for the cluster) and the REST API (the emulator).

- The certificate is self-signed for 127.0.0.1, made with openssl, trusted through REQUESTS_CA_BUNDLE (requests)
  and GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (grpc), in the client's environment and the server's (the Spark tasks
  call the REST API at the same URL).
- The front door terminates TLS and forwards by ALPN: `h2` (gRPC) to the Spark Connect server, which speaks
  plaintext HTTP/2, and anything else to the emulator.
- The Spark Connect server is pyspark's own sbin/start-connect-server.sh, in the foreground, bound to
  127.0.0.1, its Python workers on the server environment's Python 3.12.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class FrontDoor:
    """TLS on 127.0.0.1: ALPN h2 to the gRPC port, everything else to the HTTP port."""

    def __init__(self, cert: Path, key: Path, grpc_port: int, http_port: int) -> None:
        self.grpc_port, self.http_port = grpc_port, http_port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.context.set_alpn_protocols(["h2", "http/1.1"])
        self.port = 0
        self.grpc_delay = 0.0  # seconds before a gRPC connection goes through: compute slow to answer
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="front-door")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> FrontDoor:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            # Connections still piped are cancelled and awaited, so that none is left pending when the loop stops.
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
            self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        alpn = writer.get_extra_info("ssl_object").selected_alpn_protocol()
        port = self.grpc_port if alpn == "h2" else self.http_port
        if port == self.grpc_port and self.grpc_delay:
            await asyncio.sleep(self.grpc_delay)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()  # the backend is down: the client sees the connection drop
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                pass
            finally:
                try:
                    dst.close()
                except Exception:
                    pass

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


class SparkConnectServer:
    """pyspark's start-connect-server.sh in the foreground, on 127.0.0.1:port, workers on `python`."""

    def __init__(self, python: Path, port: int, env: dict[str, str], log: Path) -> None:
        self.python, self.port, self.env, self.log = python, port, env, log
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> SparkConnectServer:
        home = subprocess.run([str(self.python), "-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"],
                              capture_output=True, text=True, check=True).stdout.strip()
        env = {**self.env, "SPARK_HOME": home, "PYSPARK_PYTHON": str(self.python),
               "PYSPARK_DRIVER_PYTHON": str(self.python), "SPARK_LOG_DIR": str(self.log.parent),
               "SPARK_PID_DIR": str(self.log.parent), "SPARK_LOCAL_IP": "127.0.0.1"}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                ["bash", f"{home}/sbin/start-connect-server.sh", "--wait", "--master", "local[2]",
                 "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
                 "--conf", f"spark.connect.grpc.binding.port={self.port}",
                 "--conf", "spark.ui.enabled=false", "--conf", "spark.log.level=WARN"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Spark Connect server stopped: see {self.log}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.25)
        raise RuntimeError(f"the Spark Connect server did not listen on {self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.proc = None
