"""A local HTTP server on 127.0.0.1 that serves shared/ files in PhysioNet's ``/files/<slug>/<version>/`` layout.

It honours ``Range`` requests (as PhysioNet does) and can be told to corrupt a file or to cut the first
transfer of a file halfway, so the fetcher's checksum and resume paths are exercised for real.
"""
from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def sha256sums(root: Path) -> str:
    lines = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "SHA256SUMS.txt":
            lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()} {p.relative_to(root).as_posix()}")
    return "\n".join(lines) + "\n"


class PhysioNetMirror:
    def __init__(self, datasets: dict[str, tuple[str, Path, str | None]]):
        """``datasets``: slug -> (version, folder, SHA256SUMS text or None to use the folder's own file)."""
        self.datasets = datasets
        self.corrupt: set[str] = set()  # "slug/relpath" served with one byte flipped
        self.interrupt: set[str] = set()  # first transfer cut halfway
        self.redirect: dict[str, str] = {}  # "slug/relpath" -> Location of a 302
        self.endless: set[str] = set()  # streamed without Content-Length, up to 64 MiB or a closed connection
        self.requests: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                rng = self.headers.get("Range")
                with mirror._lock:
                    mirror.requests.append((self.path, rng))
                name = mirror._name(self.path)
                if name in mirror.redirect:
                    self.send_response(302)
                    self.send_header("Location", mirror.redirect[name])
                    self.end_headers()
                    return
                if name in mirror.endless:  # bounded: stops at 64 MiB or when the client hangs up
                    self.send_response(200)
                    self.end_headers()
                    try:
                        for _ in range(1024):
                            self.wfile.write(b"\0" * 65536)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return
                body = mirror._content(self.path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(body):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                chunk = body[start:]
                self.send_header("Content-Length", str(len(chunk)))
                self.end_headers()
                if name in mirror.interrupt and not rng:
                    with mirror._lock:
                        mirror.interrupt.discard(name)
                    self.wfile.write(chunk[: len(chunk) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(chunk)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/files"

    def _name(self, url_path: str) -> str:
        parts = url_path.split("/files/", 1)[-1].split("/", 2)
        return f"{parts[0]}/{parts[2]}" if len(parts) == 3 else url_path

    def _content(self, url_path: str) -> bytes | None:
        parts = url_path.split("/files/", 1)[-1].split("/", 2)
        if len(parts) != 3 or parts[0] not in self.datasets:
            return None
        slug, version, rel = parts
        want_version, root, sums = self.datasets[slug]
        if version != want_version or ".." in rel.split("/"):
            return None
        if rel == "SHA256SUMS.txt" and sums is not None:
            return sums.encode()
        f = root / rel
        if not f.is_file():
            return None
        data = f.read_bytes()
        if f"{slug}/{rel}" in self.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        return data

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
