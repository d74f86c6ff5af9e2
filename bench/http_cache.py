"""Time license lookups for 1,000 components: cold (a registry on 127.0.0.1), then with the
HTTP cache warm, online and offline. Run by hand::

    python bench/http_cache.py [--components 1000] [--latency 0.05]

The local registry answers PyPI's JSON API after ``--latency`` seconds per request, so the
cold figure shows what the bounded concurrency buys; the warm figures are what a scheduled
audit pays once the cache is filled (target: under a second for 1,000 components).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from audit.components import package_component
from audit.http import Endpoints, HttpClient
from audit.licenses.resolve import resolve
from audit.model import Evidence


class Registry(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    latency = 0.0
    hits = 0


class Handler(BaseHTTPRequestHandler):
    server: Registry

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self.server.hits += 1
        time.sleep(self.server.latency)
        if self.path.startswith("/pypi/"):
            body = json.dumps({"info": {"license_expression": "MIT", "classifiers": []}})
            status = 200
        else:
            body, status = "{}", 404
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--components", type=int, default=1000)
    p.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    args = p.parse_args(argv)
    server = Registry(("127.0.0.1", 0), Handler)
    server.latency = args.latency
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    endpoints = Endpoints(pypi=f"{base}/pypi", depsdev=f"{base}/v3", clearlydefined=f"{base}/cd")
    ev = (Evidence("requirements.txt", 1, "x", "bench"),)
    components = [
        package_component("pypi", f"pkg{i:05d}", "1.0", ev, {}) for i in range(args.components)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "http.sqlite"
        rows = []
        for label, offline in (("cold", False), ("warm", False), ("warm, --offline", True)):
            server.hits = 0
            with HttpClient(cache, endpoints=endpoints, token="", offline=offline) as client:
                start = time.perf_counter()
                found = resolve(components, client=client, offline=offline)
                wall = time.perf_counter() - start
            known = sum(1 for info in found.licenses.values() if info.expression == "MIT")
            rows.append((label, wall, server.hits, known))
    print(f"{args.components} pypi components, registry latency {args.latency * 1000:.0f} ms")
    print(f"  {'run':18} {'wall s':>8} {'requests':>9} {'resolved':>9}")
    for label, wall, hits, known in rows:
        print(f"  {label:18} {wall:8.2f} {hits:9d} {known:9d}")
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
