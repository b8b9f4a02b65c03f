"""`vauth serve`: CTAPHID (CTAP 2.2 §11.2) over UDP, driven by python-fido2 2.2.1's own CTAPHID
client (`CtapHidDevice` over `UdpCtapHidConnection`), its `Fido2Client`, `ClientPin`,
`CredentialManagement` and `Ctap1`, with registrations and assertions verified by its
`Fido2Server`. Raw-socket tests check framing errors and timings the way the SoloKeys
conformance suite does. Every server listens on a free port the system picks."""
from __future__ import annotations

import hashlib
import os
import socket
import struct
import time

import pytest
from fido2.client import DefaultClientDataCollector, Fido2Client, UserInteraction
from fido2.ctap import CtapError
from fido2.ctap1 import Ctap1, ApduError
from fido2.ctap2 import ClientPin, Ctap2, CredentialManagement
from fido2.hid import CTAPHID
from fido2.server import Fido2Server
from fido2.webauthn import (PublicKeyCredentialDescriptor, PublicKeyCredentialRpEntity,
                            PublicKeyCredentialUserEntity, ResidentKeyRequirement, UserVerificationRequirement)

from ctaphid_udp import REBOOT_PACKET, VauthServe

ORIGIN = "https://example.com"
RP = PublicKeyCredentialRpEntity(id="example.com", name="Example")


class Pin(UserInteraction):
    def __init__(self, pin):
        self.pin = pin

    def request_pin(self, permissions, rp_id):
        return self.pin

    def request_uv(self, permissions, rp_id):
        return True


@pytest.fixture
def serve(vauth):
    """`vauth serve` like a security key without built-in UV (PIN only), reset allowed."""
    with VauthServe(vauth, "--uv-mode", "unsupported", "--allow-reset") as server:
        yield server


def ceremony(device, *, pin=None, uv=UserVerificationRequirement.DISCOURAGED, rk=ResidentKeyRequirement.DISCOURAGED,
             user=b"user-1"):
    """Registration and authentication through Fido2Client, both verified by Fido2Server."""
    server = Fido2Server(RP, verify_origin=lambda origin: origin == ORIGIN)
    client = Fido2Client(device, DefaultClientDataCollector(ORIGIN), user_interaction=Pin(pin))
    options, state = server.register_begin(PublicKeyCredentialUserEntity(id=user, name="alice", display_name="Alice"),
                                           user_verification=uv, resident_key_requirement=rk)
    registration = client.make_credential(options.public_key)
    auth_data = server.register_complete(state, registration)
    options, state = server.authenticate_begin([auth_data.credential_data], user_verification=uv)
    assertion = client.get_assertion(options.public_key).get_response(0)
    server.authenticate_complete(state, [auth_data.credential_data], assertion)
    return auth_data, assertion


def test_fido2client_registers_and_authenticates_without_a_pin(serve):
    auth_data, assertion = ceremony(serve.device())
    assert auth_data.is_user_present() and not auth_data.is_user_verified()
    info = Ctap2(serve.device()).info
    assert info.options["clientPin"] is False and info.options["makeCredUvNotRqd"] is True
    assert info.transports == ["usb"] and "FIDO_2_1" in info.versions and "U2F_V2" in info.versions
    log = serve.log()
    assert "CBOR makeCredential: CTAP2_OK" in log and "CBOR getAssertion: CTAP2_OK" in log


def test_fido2client_with_a_pin_verifies_the_user(serve):
    device = serve.device()
    ClientPin(Ctap2(device)).set_pin("4821")
    auth_data, assertion = ceremony(device, pin="4821", uv=UserVerificationRequirement.REQUIRED,
                                    rk=ResidentKeyRequirement.REQUIRED)
    assert auth_data.is_user_verified()
    assert Ctap2(device).info.options["clientPin"] is True
    # With a PIN set, makeCredential without a pinUvAuthParam is refused (CTAP 2.2 §6.1.2).
    with pytest.raises(CtapError) as error:
        Ctap2(device).make_credential(os.urandom(32), {"id": "example.com"}, {"id": b"u"}, [{"type": "public-key", "alg": -7}])
    assert error.value.code == CtapError.ERR.PUAT_REQUIRED


def test_builtin_uv_tokens(vauth):
    with VauthServe(vauth) as server:
        device = server.device()
        assert Ctap2(device).info.options["uv"] is True
        auth_data, _ = ceremony(device, uv=UserVerificationRequirement.REQUIRED, rk=ResidentKeyRequirement.REQUIRED)
        assert auth_data.is_user_verified()


@pytest.mark.parametrize("protocol", [1, 2])
def test_wrong_pins_count_down_block_and_survive_a_restart(vauth, protocol):
    from fido2.ctap2.pin import PinProtocolV1, PinProtocolV2
    chosen = PinProtocolV1() if protocol == 1 else PinProtocolV2()
    with VauthServe(vauth, "--uv-mode", "unsupported") as server:
        pin = ClientPin(Ctap2(server.device()), chosen)
        pin.set_pin("correct horse")
        codes = []
        for _ in range(3):
            with pytest.raises(CtapError) as error:
                pin.get_pin_token("wrong horse")
            codes.append(error.value.code)
        assert codes == [CtapError.ERR.PIN_INVALID, CtapError.ERR.PIN_INVALID, CtapError.ERR.PIN_AUTH_BLOCKED]
        with pytest.raises(CtapError) as error:
            pin.get_pin_token("correct horse")
        assert error.value.code == CtapError.ERR.PIN_AUTH_BLOCKED, "blocked until a power cycle"
        assert pin.get_pin_retries() == (5, True)
        assert server.stop() == 0
    assert "stopped" in server.log()
    keystore = vauth.keystore_bytes()
    assert hashlib.sha256(b"correct horse").digest()[:16] not in keystore, "the PIN hash is sealed"
    vauth.run("check").ok()
    assert vauth.run("info").ok().json["options"]["clientPin"] is True

    with VauthServe(vauth, "--uv-mode", "unsupported") as server:
        pin = ClientPin(Ctap2(server.device()), chosen)
        assert pin.get_pin_retries()[0] == 5, "retries survive a restart of serve"
        assert Ctap2(server.device()).info.options["clientPin"] is True
        pin.get_pin_token("correct horse")
        assert pin.get_pin_retries()[0] == 8
        pin.change_pin("correct horse", "battery staple")
        with pytest.raises(CtapError) as error:
            pin.get_pin_token("correct horse")
        assert error.value.code == CtapError.ERR.PIN_INVALID
        codes = []
        for _ in range(8):
            with pytest.raises(CtapError) as error:
                pin.get_pin_token("wrong horse")
            codes.append(error.value.code)
            if error.value.code == CtapError.ERR.PIN_AUTH_BLOCKED:
                server.reboot()
        assert codes[-1] == CtapError.ERR.PIN_BLOCKED and pin.get_pin_retries()[0] == 0
        with pytest.raises(CtapError) as error:
            pin.get_pin_token("battery staple")
        assert error.value.code == CtapError.ERR.PIN_BLOCKED
    assert "CTAP2_ERR_PIN_BLOCKED" in server.log()


def test_pin_policy(serve):
    from fido2.ctap2.config import Config
    ctap = Ctap2(serve.device())
    pin = ClientPin(ctap)
    with pytest.raises(CtapError) as error:
        pin.get_pin_token("1234")
    assert error.value.code == CtapError.ERR.PIN_NOT_SET
    # A 64-byte PIN (no NUL padding left) is over the 63-byte limit; python-fido2 would not send it.
    key_agreement, shared = pin._get_shared_secret()
    pin_enc = pin.protocol.encrypt(shared, b"x" * 64)
    with pytest.raises(CtapError) as error:
        ctap.client_pin(pin.protocol.VERSION, ClientPin.CMD.SET_PIN, key_agreement=key_agreement, new_pin_enc=pin_enc,
                        pin_uv_param=pin.protocol.authenticate(shared, pin_enc))
    assert error.value.code == CtapError.ERR.PIN_POLICY_VIOLATION
    # authenticatorConfig raises the minimum (no PIN yet, so no token needed).
    Config(ctap).set_min_pin_length(min_pin_length=6)
    assert Ctap2(serve.device()).info.min_pin_length == 6
    with pytest.raises(CtapError) as error:
        pin.set_pin("12345")
    assert error.value.code == CtapError.ERR.PIN_POLICY_VIOLATION
    pin.set_pin("123456")


def test_credential_management_enumerates_updates_and_deletes(serve):
    device = serve.device()
    ClientPin(Ctap2(device)).set_pin("4821")
    ids = {}
    for user in (b"user-1", b"user-2"):
        auth_data, _ = ceremony(device, pin="4821", uv=UserVerificationRequirement.REQUIRED,
                                rk=ResidentKeyRequirement.REQUIRED, user=user)
        ids[user] = auth_data.credential_data.credential_id
    ctap = Ctap2(device)
    client_pin = ClientPin(ctap)
    token = client_pin.get_pin_token("4821", ClientPin.PERMISSION.CREDENTIAL_MGMT)
    manager = CredentialManagement(ctap, client_pin.protocol, token)
    assert manager.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 2
    rps = manager.enumerate_rps()
    assert [rp[CredentialManagement.RESULT.RP]["id"] for rp in rps] == ["example.com"]
    assert rps[0][CredentialManagement.RESULT.RP_ID_HASH] == hashlib.sha256(b"example.com").digest()
    creds = manager.enumerate_creds(hashlib.sha256(b"example.com").digest())
    assert {c[CredentialManagement.RESULT.CREDENTIAL_ID]["id"] for c in creds} == set(ids.values())
    assert all(c[CredentialManagement.RESULT.PUBLIC_KEY][3] == -7 for c in creds)
    descriptor = PublicKeyCredentialDescriptor(type="public-key", id=ids[b"user-1"])
    manager.update_user_info(descriptor, PublicKeyCredentialUserEntity(id=b"user-1", name="renamed", display_name="R"))
    users = {c[CredentialManagement.RESULT.USER]["id"]: c[CredentialManagement.RESULT.USER] for c in
             manager.enumerate_creds(hashlib.sha256(b"example.com").digest())}
    assert users[b"user-1"]["name"] == "renamed"
    manager.delete_cred(descriptor)
    assert manager.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 1
    with pytest.raises(CtapError) as error:
        manager.delete_cred(descriptor)
    assert error.value.code == CtapError.ERR.NO_CREDENTIALS
    listed = vauth_list(serve)
    assert len(listed) == 1


def vauth_list(serve):
    """`vauth list` while serve holds the keystore's lock would wait: stop serve first."""
    serve.stop()
    return serve.cli.run("list").ok().json


def test_reset_is_refused_without_allow_reset(vauth):
    with VauthServe(vauth, "--uv-mode", "unsupported") as server:
        ceremony(server.device())
        with pytest.raises(CtapError) as error:
            Ctap2(server.device()).reset()
        assert error.value.code == CtapError.ERR.OPERATION_DENIED
    assert len(vauth.run("list").ok().json) == 1


def test_reset_with_allow_reset_wipes_credentials_and_pin(serve):
    device = serve.device()
    ceremony(device)
    ClientPin(Ctap2(device)).set_pin("4821")
    Ctap2(device).reset()
    assert Ctap2(device).info.options["clientPin"] is False
    assert vauth_list(serve) == []


def test_u2f_register_and_authenticate_over_msg(serve):
    device = serve.device()
    ctap1 = Ctap1(device)
    assert ctap1.get_version() == "U2F_V2"
    app, challenge = hashlib.sha256(b"https://example.com").digest(), os.urandom(32)
    registration = ctap1.register(challenge, app)
    registration.verify(app, challenge)
    signature = ctap1.authenticate(challenge, app, registration.key_handle)
    signature.verify(app, challenge, registration.public_key)
    assert signature.counter == 1
    with pytest.raises(ApduError) as error:
        ctap1.authenticate(challenge, app, registration.key_handle, check_only=True)
    assert error.value.code == 0x6985
    with pytest.raises(ApduError) as error:
        ctap1.authenticate(challenge, hashlib.sha256(b"other").digest(), registration.key_handle)
    assert error.value.code == 0x6A80


def test_reboot_drops_the_pin_token_and_keeps_credentials_and_channels(serve):
    device = serve.device()
    ctap = Ctap2(device)
    client_pin = ClientPin(ctap)
    client_pin.set_pin("4821")
    token = client_pin.get_pin_token("4821", ClientPin.PERMISSION.CREDENTIAL_MGMT)
    CredentialManagement(ctap, client_pin.protocol, token).get_metadata()
    serve.reboot()
    # The same channel still works; the token does not.
    with pytest.raises(CtapError) as error:
        CredentialManagement(ctap, client_pin.protocol, token).get_metadata()
    assert error.value.code == CtapError.ERR.PIN_AUTH_INVALID
    assert client_pin.get_pin_retries()[0] == 8
    assert "reboot: power cycle" in serve.log()


# --- raw reports, as the SoloKeys suite sends them ------------------------------------------------

class Raw:
    def __init__(self, serve):
        self.conn = serve.connection(timeout=2)
        self.cid = self.init(b"\xff\xff\xff\xff")

    def send(self, data: bytes, cid: bytes | None = None, pad=True):
        packet = (cid or self.cid) + data
        self.conn.write_packet(packet.ljust(64, b"\0") if pad else packet)

    def recv(self):
        packet = self.conn.read_packet()
        return packet[:4], packet[4], packet[7:7 + struct.unpack(">H", packet[5:7])[0]]

    def init(self, cid):
        nonce = os.urandom(8)
        self.send(b"\x86\x00\x08" + nonce, cid)
        _, command, payload = self.recv()
        assert command == 0x86 and payload[:8] == nonce
        return payload[8:12]

    def error(self):
        cid, command, payload = self.recv()
        assert command == 0xBF, f"expected ERROR, got {command:#x}"
        return payload[0]

    def ping(self, data=b"still serving"):
        self.send(b"\x81" + struct.pack(">H", len(data)) + data)
        cid, command, payload = self.recv()
        assert command == 0x81 and payload == data


def test_malformed_packets_get_protocol_errors_and_serving_goes_on(serve):
    raw = Raw(serve)
    raw.send(b"\x86\x00\x08" + b"\x11" * 8, cid=b"\0\0\0\0")
    assert raw.error() == 0x0B  # INIT on channel 0: ERR_INVALID_CHANNEL
    raw.send(b"\x81\x00\x08" + b"\x11" * 8, cid=b"\xff\xff\xff\xff")
    assert raw.error() == 0x0B  # PING on the broadcast channel
    raw.send(b"\xe6\x00\x00")
    assert raw.error() == 0x01  # command 0x66: ERR_INVALID_CMD
    raw.send(b"\x81\x1d\xba\x00")
    assert raw.error() == 0x03  # BCNT 7610: ERR_INVALID_LEN
    raw.send(b"\x90\x00\x00")
    assert raw.error() == 0x03  # empty CBOR message
    raw.send(b"\x81\x00\x01\x00" + b"\0" * 60, pad=False)
    assert raw.error() == 0x03  # a 68-byte datagram
    raw.send(b"\x81\x04\x90")
    raw.send(b"\x00")
    raw.send(b"\x01")
    raw.send(b"\x03")
    assert raw.error() == 0x04  # skipped sequence number: ERR_INVALID_SEQ
    raw.send(b"\x81\x04\x00")
    raw.send(b"\x00")
    raw.send(b"\x81\x10\x00")
    assert raw.error() == 0x04  # a new init packet mid-message
    raw.send(b"\x90\x00\x03\x01\xa1\x01")  # truncated CBOR: the CTAP status, not a framing error
    _, command, payload = raw.recv()
    assert command == 0x90 and payload == bytes([0x12])  # CTAP2_ERR_INVALID_CBOR
    raw.send(b"\x90\x00\x01\x55")
    _, command, payload = raw.recv()
    assert command == 0x90 and payload == bytes([0x01])  # CTAP1_ERR_INVALID_COMMAND
    raw.ping()
    ceremony(serve.device())


def test_timings(serve):
    raw = Raw(serve)
    data = os.urandom(1000)
    started = time.monotonic()
    raw.send(b"\x81" + struct.pack(">H", len(data)) + data[:57])
    for seq, offset in enumerate(range(57, 1000, 59)):
        raw.send(bytes([seq]) + data[offset:offset + 59])
    received = b""
    _, command, received = raw.recv()
    while len(received) < 1000:
        received += raw.conn.read_packet()[5:]
    assert received[:1000] == data and time.monotonic() - started < 0.555

    # An unfinished message: ERR_MSG_TIMEOUT after 400–1000 ms.
    started = time.monotonic()
    raw.send(b"\x81\x04\x00")
    raw.send(b"\x00")
    assert raw.error() == 0x05
    assert 0.4 < time.monotonic() - started < 1.0

    # Another channel interrupting a message: ERR_CHANNEL_BUSY within 100 ms; INIT still answered;
    # then the first message times out.
    started = time.monotonic()
    raw.send(b"\x81\x04\x00")
    raw.send(b"\x81\x04\x00", cid=b"\x11\x22\x33\x44")
    cid, command, payload = raw.recv()
    assert (cid, command, payload[0]) == (b"\x11\x22\x33\x44", 0xBF, 0x06)
    assert time.monotonic() - started < 0.1
    raw.init(b"\x11\x22\x33\x44")
    cid, command, payload = raw.recv()
    assert (cid, command, payload[0]) == (raw.cid, 0xBF, 0x05)
    raw.ping()


def test_serve_refuses_bad_addresses(vauth):
    result = vauth.run("serve", "--udp", "nonsense")
    assert result.code == 2 and result.stderr.startswith("vauth: error: --udp wants host:port")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = vauth.run("serve", "--udp", f"127.0.0.1:{port}")
    assert result.code == 1 and f"vauth: error: cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.skipif(os.path.exists("/dev/uhid"), reason="a real /dev/uhid would create a device")
def test_serve_uhid_without_the_module_says_so(vauth):
    result = vauth.run("serve", "--uhid")
    assert result.code == 1
    assert result.stderr.startswith("vauth: error: cannot open /dev/uhid: No such file or directory (load the uhid kernel module")


def test_sigint_stops_serve_cleanly(vauth):
    import signal
    server = VauthServe(vauth, "--uv-mode", "unsupported")
    ceremony(server.device())
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(20) == 0
    time.sleep(0.05)
    assert server.log().rstrip().endswith("vauth: serve: stopped")
    assert len(vauth.run("list").ok().json) == 1
