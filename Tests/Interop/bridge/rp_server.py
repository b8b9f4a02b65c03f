"""A test relying party on loopback: an ordinary page that calls navigator.credentials itself,
and py_webauthn on the server side verifying what the page posts.

One server answers for several origins on one port (http://localhost:P, http://rp2.localhost:P):
the RP ID and expected origin come from the request's Host header, as a real RP's would come from
its configuration. Every posted credential is kept in `posted` for the tests to inspect.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers.structs import AttestationConveyancePreference
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

PAGE = (Path(__file__).parent / "page.html").read_text()


class RelyingParty:
    def __init__(self):
        self.lock = threading.Lock()
        self.challenges: dict[str, bytes] = {}        # host -> last challenge
        self.credentials: dict[str, dict] = {}        # credential id -> {public_key, sign_count, rp_id, user}
        self.posted: list[dict] = []                  # every JSON the page posted, with the verdict

    def handle(self, path: str, host: str, body: dict) -> dict:
        rp_id = host.split(":")[0]
        origin = f"http://{host}"
        if path == "/register/options":
            options = generate_registration_options(
                rp_id=rp_id, rp_name="vauth bridge test", user_name=body.get("username", "alice"),
                user_id=body.get("username", "alice").encode(),
                attestation=AttestationConveyancePreference(body.get("attestation", "none")),
                authenticator_selection=AuthenticatorSelectionCriteria(
                    resident_key=ResidentKeyRequirement(body.get("residentKey", "required")),
                    user_verification=UserVerificationRequirement(body.get("userVerification", "preferred"))),
                exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in body.get("exclude", [])],
                supported_pub_key_algs=[COSEAlgorithmIdentifier(a) for a in body["algorithms"]] if "algorithms" in body else None)
            with self.lock:
                self.challenges[host] = options.challenge
            return json.loads(options_to_json(options))
        if path == "/login/options":
            options = generate_authentication_options(
                rp_id=rp_id, allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in body.get("allow", [])],
                user_verification=UserVerificationRequirement(body.get("userVerification", "preferred")))
            with self.lock:
                self.challenges[host] = options.challenge
            return json.loads(options_to_json(options))
        if path == "/register/verify":
            credential = body["credential"]
            with self.lock:
                challenge = self.challenges.pop(host)
            verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                    expected_origin=origin, expected_rp_id=rp_id,
                                                    require_user_verification=False)
            record = {"public_key": verified.credential_public_key, "sign_count": verified.sign_count, "rp_id": rp_id}
            with self.lock:
                self.credentials[bytes_to_base64url(verified.credential_id)] = record
                self.posted.append({"kind": "create", "host": host, "json": credential})
            return {"verified": True, "credentialId": bytes_to_base64url(verified.credential_id),
                    "fmt": verified.fmt, "aaguid": verified.aaguid}
        if path == "/login/verify":
            credential = body["credential"]
            with self.lock:
                challenge = self.challenges.pop(host)
                record = self.credentials[credential["id"]]
            verified = verify_authentication_response(
                credential=credential, expected_challenge=challenge, expected_origin=origin, expected_rp_id=rp_id,
                credential_public_key=record["public_key"], credential_current_sign_count=record["sign_count"],
                require_user_verification=False)
            with self.lock:
                record["sign_count"] = verified.new_sign_count
                self.posted.append({"kind": "get", "host": host, "json": credential})
            return {"verified": True, "credentialId": credential["id"], "signCount": verified.new_sign_count}
        raise KeyError(path)


def start_rp(port: int = 0):
    """Starts the RP on 127.0.0.1 (Chromium reaches *.localhost there); returns (server, rp, port)."""
    rp = RelyingParty()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes, kind: str):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.split("?")[0] in ("/", "/index.html"):
                self._send(200, PAGE.encode(), "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            try:
                answer = rp.handle(self.path, self.headers["Host"], body)
                self._send(200, json.dumps(answer).encode(), "application/json")
            except Exception as error:  # the verdict goes back to the page, and to the test
                self._send(400, json.dumps({"verified": False, "error": f"{type(error).__name__}: {error}"}).encode(),
                           "application/json")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, rp, server.server_address[1]
