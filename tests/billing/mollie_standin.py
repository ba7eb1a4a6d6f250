"""A local stand-in for the part of Mollie's HTTP API the portal uses (create, get payment).

The official SDK talks to it over HTTP on 127.0.0.1, exactly as it talks to Mollie; a test
changes a payment's state in `payments` to play what the customer did at checkout.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class MollieStandIn:
    """The server, its payments by id, and the requests it received."""

    def __init__(self):
        self.payments: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict | None, dict]] = []
        self.down = False
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/hal+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                stand_in.requests.append(("POST", self.path, body, dict(self.headers)))
                if stand_in.down:
                    return self._answer(503, {"status": 503, "title": "Service Unavailable",
                                              "detail": "down"})
                if self.path != "/v2/payments":
                    return self._answer(404, {"status": 404, "title": "Not Found",
                                              "detail": "no such endpoint"})
                payment_id = f"tr_standin{len(stand_in.payments) + 1}"
                stand_in.payments[payment_id] = {
                    "resource": "payment", "id": payment_id, "mode": "test", "status": "open",
                    "amount": body["amount"], "description": body["description"],
                    "redirectUrl": body["redirectUrl"], "webhookUrl": body["webhookUrl"],
                    "metadata": body.get("metadata"), "locale": body.get("locale"),
                    "_links": {"checkout": {
                        "href": f"https://checkout.standin.example/{payment_id}",
                        "type": "text/html"}}}
                return self._answer(201, stand_in.payments[payment_id])

            def do_GET(self):
                stand_in.requests.append(("GET", self.path, None, dict(self.headers)))
                if stand_in.down:
                    return self._answer(503, {"status": 503, "title": "Service Unavailable",
                                              "detail": "down"})
                payment_id = self.path.split("?")[0].removeprefix("/v2/payments/")
                found = stand_in.payments.get(payment_id)
                if found is None:
                    return self._answer(404, {"status": 404, "title": "Not Found",
                                              "detail": "No payment exists with token "
                                                        f"{payment_id}."})
                return self._answer(200, found)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # Polled often, so that shutdown() returns at once (the default waits up to 0.5 s).
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,),
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def set_status(self, payment_id: str, status: str) -> None:
        self.payments[payment_id]["status"] = status
