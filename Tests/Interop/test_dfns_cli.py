"""`vauth dfns register | sign | recover` offline: the bodies vauth prints, checked with the
stand-in's independent verifiers (pyca/cryptography over OpenSSL, py_webauthn) and the Python
implementation of the SDK's recovery-key algorithm, never with vauth itself; and the contract's
bad inputs: one error line, the right exit status, the keystore byte for byte unchanged."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from standins.dfns import (TEST_ORIGIN, TEST_RP_ID, VerificationError, b64url, decrypt_recovery_key,
                           encrypt_recovery_key, generate_recovery_code, public_pem, verify_fido2_assertion,
                           verify_fido2_credential, verify_key_assertion, verify_key_credential,
                           verify_recovery_signature)

USERNAME = "Alice@Example.com"
CODE_PATTERN = re.compile(r"D1-[A-Z2-9]{6}(?:-[A-Z2-9]{5}){4}-[A-Z2-9]{6}")


def registration_challenge(first_factor=("Fido2", "Key"), exclude=(), recovery=None, challenge=None) -> dict:
    document = {
        "user": {"id": "us-3v1ag-lq0ob-9p1s8pkm6e1o0cb5", "displayName": "Alice", "name": USERNAME},
        "temporaryAuthenticationToken": "tmp-token",
        "challenge": challenge or b64url(b"registration challenge " + bytes(range(8))),
        "rp": {"id": TEST_RP_ID, "name": "Example"},
        "supportedCredentialKinds": {"firstFactor": list(first_factor), "secondFactor": []},
        "authenticatorSelection": {"residentKey": "required", "userVerification": "required"},
        "attestation": "direct",
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "excludeCredentials": [{"type": "public-key", "id": i, "transports": []} for i in exclude],
    }
    if recovery is not None:
        document["allowedRecoveryCredentials"] = recovery
    return document


def action_challenge(key=(), webauthn=()) -> dict:
    return {"challenge": b64url(b"action challenge"), "challengeIdentifier": "ch-123",
            "allowCredentials": {"key": [{"type": "Key", "id": i} for i in key],
                                 "webauthn": [{"type": "public-key", "id": i} for i in webauthn]},
            "userVerification": "required"}


def dfns(vauth, command, challenge, *flags):
    """`--code C` is passed as $VAUTH_DFNS_RECOVERY_CODE: on the command line vauth warns (other
    local users could read it there; test_secret_inputs)."""
    flags, env = list(flags), {}
    if "--code" in flags:
        at = flags.index("--code")
        env["VAUTH_DFNS_RECOVERY_CODE"] = flags[at + 1]
        del flags[at:at + 2]
    return vauth.run("dfns", command, "--origin", TEST_ORIGIN, *flags, input=json.dumps(challenge), env=vauth.env(**env))


def assert_fails(result, status: int, message: str):
    assert result.code == status, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vauth: error:"), result.stderr
    assert message in lines[0], lines[0]
    assert result.stdout == ""


@pytest.fixture
def trusted_root(vauth):
    return [vauth.run("attestation-ca").ok().stdout.encode()]


# ---------------------------------------------------------------- registration

@pytest.mark.parametrize("algorithm", ["es256", "eddsa", "rs256"])
def test_key_credential_verifies_against_its_pem(vauth, algorithm):
    challenge = registration_challenge()
    body = dfns(vauth, "register", challenge, "--algorithm", algorithm).ok().json
    first = body["firstFactorCredential"]
    assert first["credentialKind"] == "Key" and "recoveryCredential" not in body
    info = first["credentialInfo"]
    pem, key = verify_key_credential(info, challenge["challenge"], TEST_ORIGIN)
    client_data = json.loads(base64.urlsafe_b64decode(info["clientData"] + "=="))
    assert client_data == {"type": "key.create", "challenge": challenge["challenge"], "origin": TEST_ORIGIN,
                           "crossOrigin": False}
    assert len(base64.urlsafe_b64decode(info["credId"] + "==")) == 32
    rows = vauth.run("list", "--compact").ok().json
    assert [(r["credentialId"], r["kind"], r["algorithm"], r["userName"]) for r in rows] == \
        [(info["credId"], "key", algorithm, USERNAME)]
    # A tampered fingerprint signature does not verify with the same verifier.
    attestation = json.loads(base64.urlsafe_b64decode(info["attestationData"] + "=="))
    attestation["signature"] = attestation["signature"][:-2] + ("00" if attestation["signature"][-2:] != "00" else "01")
    tampered = dict(info, attestationData=b64url(json.dumps(attestation).encode()))
    with pytest.raises(VerificationError):
        verify_key_credential(tampered, challenge["challenge"], TEST_ORIGIN)


def test_key_fingerprint_signature_verifies_with_openssl_cli(vauth, tmp_path):
    challenge = registration_challenge()
    info = dfns(vauth, "register", challenge).ok().json["firstFactorCredential"]["credentialInfo"]
    client_data = base64.urlsafe_b64decode(info["clientData"] + "==")
    attestation = json.loads(base64.urlsafe_b64decode(info["attestationData"] + "=="))
    fingerprint = json.dumps({"clientDataHash": hashlib.sha256(client_data).hexdigest(),
                              "publicKey": attestation["publicKey"]}, separators=(",", ":")).encode()
    (tmp_path / "pub.pem").write_text(attestation["publicKey"])
    (tmp_path / "msg").write_bytes(fingerprint)
    (tmp_path / "sig").write_bytes(bytes.fromhex(attestation["signature"]))
    verified = subprocess.run(["openssl", "dgst", "-sha256", "-verify", tmp_path / "pub.pem", "-signature", tmp_path / "sig",
                               tmp_path / "msg"], capture_output=True, text=True)
    assert verified.returncode == 0 and "Verified OK" in verified.stdout, verified.stdout + verified.stderr


def test_fido2_credential_verifies_with_py_webauthn(vauth, trusted_root):
    challenge = registration_challenge()
    body = dfns(vauth, "register", challenge, "--kind", "fido2").ok().json
    first = body["firstFactorCredential"]
    assert first["credentialKind"] == "Fido2"
    verified = verify_fido2_credential(first["credentialInfo"], challenge["challenge"], TEST_ORIGIN, TEST_RP_ID, trusted_root)
    assert verified.user_verified
    rows = vauth.run("list", "--compact").ok().json
    assert [(r["rpId"], r["kind"], r["userHandle"]) for r in rows] == \
        [(TEST_RP_ID, "webauthn", b64url(challenge["user"]["id"].encode()))]


def test_recovery_key_decrypts_with_the_code_shown_once(vauth):
    challenge = registration_challenge()
    result = dfns(vauth, "register", challenge, "--recovery").ok()
    codes = CODE_PATTERN.findall(result.stderr)
    assert len(codes) == 1 and codes[0] not in result.stdout
    recovery = result.json["recoveryCredential"]
    assert recovery["credentialKind"] == "RecoveryKey"
    pem, public_key = verify_key_credential(recovery["credentialInfo"], challenge["challenge"], TEST_ORIGIN)
    # The SDK's algorithm, in Python: the username is trimmed and lower-cased for the salt.
    private_key = decrypt_recovery_key(recovery["encryptedPrivateKey"], codes[0], "  alice@example.COM ")
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    assert public_pem(private_key.public_key()) == pem
    envelope = json.loads(base64.b64decode(recovery["encryptedPrivateKey"]))
    assert set(envelope) == {"key", "iv"} and len(base64.b64decode(envelope["iv"])) == 16
    with pytest.raises(VerificationError):
        decrypt_recovery_key(recovery["encryptedPrivateKey"], generate_recovery_code(), USERNAME)
    with pytest.raises(VerificationError):
        decrypt_recovery_key(recovery["encryptedPrivateKey"], codes[0], "bob@example.com")
    kinds = sorted(r["kind"] for r in vauth.run("list", "--compact").ok().json)
    assert kinds == ["key", "recoveryKey"]


# ---------------------------------------------------------------- signing

def test_sign_action_with_key_credential(vauth):
    challenge = registration_challenge()
    info = dfns(vauth, "register", challenge).ok().json["firstFactorCredential"]["credentialInfo"]
    _, public_key = verify_key_credential(info, challenge["challenge"], TEST_ORIGIN)
    action = action_challenge(key=["AAAA", info["credId"]])
    before = vauth.state()
    body = dfns(vauth, "sign", action).ok().json
    assert body["challengeIdentifier"] == "ch-123" and body["firstFactor"]["kind"] == "Key"
    assertion = body["firstFactor"]["credentialAssertion"]
    assert assertion["credId"] == info["credId"]
    verify_key_assertion(assertion, public_key, action["challenge"], TEST_ORIGIN)
    with pytest.raises(VerificationError):
        verify_key_assertion(assertion, public_key, "another challenge", TEST_ORIGIN)
    assert vauth.state() == before  # a Key credential has no counter to write


def test_sign_action_with_fido2_credential(vauth):
    challenge = registration_challenge()
    info = dfns(vauth, "register", challenge, "--kind", "fido2").ok().json["firstFactorCredential"]["credentialInfo"]
    verified = verify_fido2_credential(info, challenge["challenge"], TEST_ORIGIN, TEST_RP_ID)
    action = action_challenge(webauthn=[info["credId"]])
    body = dfns(vauth, "sign", action).ok().json
    assert body["firstFactor"]["kind"] == "Fido2"
    assertion = body["firstFactor"]["credentialAssertion"]
    result = verify_fido2_assertion(assertion, verified.credential_public_key, verified.sign_count, action["challenge"],
                                    TEST_ORIGIN, TEST_RP_ID, require_uv=True)
    assert result.new_sign_count == 1
    assert assertion["userHandle"] == b64url(challenge["user"]["id"].encode())
    # The counter was committed: the next assertion counts on.
    again = dfns(vauth, "sign", action).ok().json["firstFactor"]["credentialAssertion"]
    assert verify_fido2_assertion(again, verified.credential_public_key, 1, action["challenge"], TEST_ORIGIN, TEST_RP_ID,
                                  require_uv=True).new_sign_count == 2


# ---------------------------------------------------------------- recovery

def python_recovery_credential(code: str, username: str = USERNAME):
    key = ec.generate_private_key(ec.SECP256R1())
    cred_id = b64url(b"old-recovery-credential-id-00001")
    return key, {"id": cred_id, "encryptedRecoveryKey": encrypt_recovery_key(key, code, username)}


def test_recover_with_a_key_encrypted_by_the_python_sdk_algorithm(vauth):
    code = generate_recovery_code()
    old_key, allowed = python_recovery_credential(code)
    challenge = registration_challenge(recovery=[allowed])
    result = dfns(vauth, "recover", challenge, "--code", code, "--recovery")
    body = result.ok().json
    assert body["recovery"]["kind"] == "RecoveryKey"
    assert body["recovery"]["credentialAssertion"]["credId"] == allowed["id"]
    signed = verify_recovery_signature(body, old_key.public_key(), TEST_ORIGIN)
    assert signed == body["newCredentials"]
    new = body["newCredentials"]
    verify_key_credential(new["firstFactorCredential"]["credentialInfo"], challenge["challenge"], TEST_ORIGIN)
    new_pem, _ = verify_key_credential(new["recoveryCredential"]["credentialInfo"], challenge["challenge"], TEST_ORIGIN)
    new_codes = CODE_PATTERN.findall(result.stderr)
    assert len(new_codes) == 1 and new_codes[0] != code
    assert public_pem(decrypt_recovery_key(new["recoveryCredential"]["encryptedPrivateKey"], new_codes[0],
                                           USERNAME).public_key()) == new_pem
    # The old recovery key was used in memory only: not in the keystore, not in an export.
    rows = vauth.run("list", "--compact").ok().json
    assert allowed["id"] not in {r["credentialId"] for r in rows}
    assert sorted(r["kind"] for r in rows) == ["key", "recoveryKey"]
    exported = vauth.run("export").ok().stdout
    old_pkcs8 = old_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    assert b64url(old_pkcs8) not in exported and base64.b64encode(old_pkcs8).decode() not in exported


def test_recover_on_another_machine_from_a_vauth_registration(vauth, tmp_path):
    from vauthcli import VauthCLI
    challenge = registration_challenge()
    registered = dfns(vauth, "register", challenge, "--recovery").ok()
    code = CODE_PATTERN.findall(registered.stderr)[0]
    recovery = registered.json["recoveryCredential"]
    _, recovery_public = verify_key_credential(recovery["credentialInfo"], challenge["challenge"], TEST_ORIGIN)
    (tmp_path / "other").mkdir()
    other = VauthCLI(tmp_path / "other")
    recover = registration_challenge(challenge=b64url(b"recover challenge"),
                                     recovery=[{"id": recovery["credentialInfo"]["credId"],
                                                "encryptedRecoveryKey": recovery["encryptedPrivateKey"]}])
    body = dfns(other, "recover", recover, "--code", code.lower(), "--kind", "fido2").ok().json
    verify_recovery_signature(body, recovery_public, TEST_ORIGIN)
    verify_fido2_credential(body["newCredentials"]["firstFactorCredential"]["credentialInfo"], recover["challenge"],
                            TEST_ORIGIN, TEST_RP_ID)
    assert "recoveryCredential" not in body["newCredentials"]
    assert [r["kind"] for r in other.run("list", "--compact").ok().json] == ["webauthn"]


# ---------------------------------------------------------------- export / import

def test_export_and_import_carry_the_kinds(vauth, tmp_path):
    from vauthcli import VauthCLI
    challenge = registration_challenge()
    info = dfns(vauth, "register", challenge, "--recovery").ok().json["firstFactorCredential"]["credentialInfo"]
    _, public_key = verify_key_credential(info, challenge["challenge"], TEST_ORIGIN)
    exported = vauth.run("export").ok().stdout
    assert sorted(c.get("kind") for c in json.loads(exported)["credentials"]) == ["key", "recoveryKey"]
    (tmp_path / "b").mkdir()
    other = VauthCLI(tmp_path / "b")
    other.run("import", input=exported).ok()
    assert sorted(r["kind"] for r in other.run("list", "--compact").ok().json) == ["key", "recoveryKey"]
    action = action_challenge(key=[info["credId"]])
    assertion = dfns(other, "sign", action).ok().json["firstFactor"]["credentialAssertion"]
    verify_key_assertion(assertion, public_key, action["challenge"], TEST_ORIGIN)
    before = vauth.state()
    assert_fails(vauth.run("export", "--format", "cdp"), 2, "cannot carry")
    assert vauth.state() == before


# ---------------------------------------------------------------- bad input

@pytest.fixture
def enrolled(vauth):
    """A keystore with a Key, a RecoveryKey and a Fido2 credential, and their ids."""
    key = dfns(vauth, "register", registration_challenge(), "--recovery").ok().json
    fido2 = dfns(vauth, "register", registration_challenge(), "--kind", "fido2").ok().json
    return {"key": key["firstFactorCredential"]["credentialInfo"]["credId"],
            "recovery": key["recoveryCredential"]["credentialInfo"]["credId"],
            "fido2": fido2["firstFactorCredential"]["credentialInfo"]["credId"]}


def test_unsupported_kind_is_refused(vauth, enrolled):
    before = vauth.state()
    assert_fails(dfns(vauth, "register", registration_challenge(first_factor=["Fido2"])), 1,
                 "supportedCredentialKinds.firstFactor (Fido2) does not include Key")
    assert_fails(dfns(vauth, "register", registration_challenge(first_factor=["Key"]), "--kind", "fido2", "--recovery"), 1,
                 "does not include Fido2")
    assert vauth.state() == before


def test_excluded_credential_is_refused(vauth, enrolled):
    before = vauth.state()
    assert_fails(dfns(vauth, "register", registration_challenge(exclude=[enrolled["fido2"]]), "--kind", "fido2", "--recovery"),
                 1, "InvalidStateError")
    assert_fails(dfns(vauth, "register", registration_challenge(exclude=[enrolled["key"]]), "--recovery"), 1,
                 f"excludes credential {enrolled['key']}")
    assert vauth.state() == before


def test_action_allowing_no_stored_credential_is_refused(vauth, enrolled):
    before = vauth.state()
    unknown = b64url(b"not in this keystore")
    assert_fails(dfns(vauth, "sign", action_challenge(key=[unknown], webauthn=[unknown])), 1,
                 "none of the credentials the challenge allows (1 key, 1 webauthn) is in this keystore")
    # A recovery key is not a first factor.
    assert_fails(dfns(vauth, "sign", action_challenge(key=[enrolled["recovery"]])), 1, "none of the credentials")
    assert vauth.state() == before


@pytest.mark.parametrize("command", ["register", "recover"])
@pytest.mark.parametrize("challenge, message", [
    ("not json", "is not JSON"),
    ([], "challenge must be a JSON object"),
    ({"challenge": "abc"}, "challenge.user is missing"),
    ({**registration_challenge(), "challenge": ""}, "challenge.challenge is empty"),
    ({**registration_challenge(), "supportedCredentialKinds": {"firstFactor": "Key"}},
     "challenge.supportedCredentialKinds.firstFactor must be an array"),
    ({**registration_challenge(), "excludeCredentials": [{"type": "public-key", "id": "not base64url!"}]},
     "challenge.excludeCredentials[0].id is not a base64url credential id"),
])
def test_malformed_challenge(vauth, enrolled, command, challenge, message):
    before = vauth.state()
    code = {"VAUTH_DFNS_RECOVERY_CODE": generate_recovery_code()} if command == "recover" else {}
    result = vauth.run("dfns", command, "--origin", TEST_ORIGIN, env=vauth.env(**code),
                       input=challenge if isinstance(challenge, str) else json.dumps(challenge))
    assert_fails(result, 2, message)
    assert vauth.state() == before


def test_malformed_action_challenge(vauth, enrolled):
    before = vauth.state()
    assert_fails(dfns(vauth, "sign", {"challenge": "abc", "allowCredentials": {}}), 2, "challenge.challengeIdentifier is missing")
    assert_fails(dfns(vauth, "sign", {"challenge": "abc", "challengeIdentifier": "x"}), 2, "challenge.allowCredentials is missing")
    assert vauth.state() == before


def test_wrong_code_username_or_tampered_key_is_refused(vauth, enrolled):
    code = generate_recovery_code()
    _, allowed = python_recovery_credential(code)
    before = vauth.state()
    reason = "do not decrypt the recovery key"
    assert_fails(dfns(vauth, "recover", registration_challenge(recovery=[allowed]), "--code", generate_recovery_code()), 2, reason)
    assert_fails(dfns(vauth, "recover", registration_challenge(recovery=[allowed]), "--code", code, "--username", "bob@example.com"),
                 2, reason)
    envelope = json.loads(base64.b64decode(allowed["encryptedRecoveryKey"]))
    sealed = bytearray(base64.b64decode(envelope["key"]))
    sealed[10] ^= 1
    envelope["key"] = base64.b64encode(bytes(sealed)).decode()
    tampered = dict(allowed, encryptedRecoveryKey=base64.b64encode(json.dumps(envelope).encode()).decode())
    assert_fails(dfns(vauth, "recover", registration_challenge(recovery=[tampered]), "--code", code), 2, reason)
    assert_fails(dfns(vauth, "recover", registration_challenge(recovery=[dict(allowed, encryptedRecoveryKey="bm90IGpzb24")]),
                      "--code", code), 2, "encryptedRecoveryKey is not base64 of")
    assert_fails(dfns(vauth, "recover", registration_challenge(recovery=[allowed]), "--code", "D1-ABC"), 2,
                 "the recovery code is not of the form")
    assert_fails(dfns(vauth, "recover", registration_challenge(), "--code", code), 2, "not a recover-user challenge")
    assert vauth.state() == before


def test_no_keystore_to_sign_with(vauth):
    assert_fails(dfns(vauth, "sign", action_challenge(key=["AAAA"])), 1, "there is no keystore")
    assert vauth.keystore_bytes() is None


def test_failed_first_registration_creates_no_keystore(vauth):
    assert_fails(dfns(vauth, "register", registration_challenge(first_factor=["Fido2"])), 1, "does not include Key")
    assert vauth.keystore_bytes() is None


def test_webauthn_ceremonies_never_use_a_dfns_key(vauth, enrolled):
    """Key and RecoveryKey credentials sit under the app origin as their rpId, which no WebAuthn RP
    ID can equal: `vauth get` with their ids in allowCredentials finds nothing to sign with."""
    before = vauth.state()
    options = {"challenge": b64url(b"webauthn challenge"), "rpId": "app.example.com",
               "allowCredentials": [{"type": "public-key", "id": enrolled["key"]},
                                    {"type": "public-key", "id": enrolled["recovery"]}]}
    result = vauth.get(options, TEST_ORIGIN)
    assert result.code == 1 and "NotAllowedError" in result.stderr, result.stderr
    assert vauth.state() == before
    rows = vauth.run("list", "--rp-id", TEST_ORIGIN, "--compact").ok().json
    assert sorted(r["kind"] for r in rows) == ["key", "recoveryKey"]


@pytest.mark.parametrize("attestation", ["direct", "none"])
def test_fido2_without_rp_uses_the_origin_host(vauth, attestation):
    challenge = registration_challenge()
    del challenge["rp"]
    challenge["attestation"] = attestation
    info = dfns(vauth, "register", challenge, "--kind", "fido2").ok().json["firstFactorCredential"]["credentialInfo"]
    verified = verify_fido2_credential(info, challenge["challenge"], TEST_ORIGIN, "app.example.com")
    action = action_challenge(webauthn=[info["credId"]])
    assertion = dfns(vauth, "sign", action).ok().json["firstFactor"]["credentialAssertion"]
    verify_fido2_assertion(assertion, verified.credential_public_key, 0, action["challenge"], TEST_ORIGIN,
                           "app.example.com", require_uv=True)


def test_readme_dfns_commands_run(vauth, tmp_path):
    """The offline commands of the README's Dfns section, with the challenges they name."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("## Dfns user credentials")[1].split("```sh\n")[1].split("```")[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("vauth dfns")]
    assert [c.split()[2] for c in commands] == ["register", "sign", "recover"]
    challenge = registration_challenge(challenge=b64url(b"readme"))
    (tmp_path / "challenge.json").write_text(json.dumps(challenge))
    env = vauth.env()

    def run(command):
        args = shlex.split(command)
        out = None
        if ">" in args:
            out = tmp_path / args[args.index(">") + 1]
            args = args[:args.index(">")]
        done = subprocess.run([vauth.binary, *args[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (command, done.stderr)
        if out:
            out.write_text(done.stdout)
        return done

    registered = run(commands[0])
    code = CODE_PATTERN.findall(registered.stderr)[0]
    (tmp_path / "recovery-code.txt").write_text(code + "\n")  # what the user saved when it was shown
    body = json.loads((tmp_path / "registration.json").read_text())
    verify_key_credential(body["firstFactorCredential"]["credentialInfo"], challenge["challenge"], TEST_ORIGIN)
    key_id = body["firstFactorCredential"]["credentialInfo"]["credId"]
    (tmp_path / "action-challenge.json").write_text(json.dumps(action_challenge(key=[key_id])))
    assert json.loads(run(commands[1]).stdout)["firstFactor"]["credentialAssertion"]["credId"] == key_id
    recovery = body["recoveryCredential"]
    (tmp_path / "recover-challenge.json").write_text(json.dumps(registration_challenge(
        recovery=[{"id": recovery["credentialInfo"]["credId"], "encryptedRecoveryKey": recovery["encryptedPrivateKey"]}])))
    _, recovery_key = verify_key_credential(recovery["credentialInfo"], challenge["challenge"], TEST_ORIGIN)
    verify_recovery_signature(json.loads(run(commands[2]).stdout), recovery_key, TEST_ORIGIN)


def test_import_refuses_a_dfns_key_outside_an_origin(vauth, enrolled):
    exported = json.loads(vauth.run("export").ok().stdout)
    key = next(c for c in exported["credentials"] if c.get("kind") == "key")
    before = vauth.state()
    document = {**exported, "credentials": [{**key, "credentialId": b64url(b"new id"), "rpId": "example.com"}]}
    assert_fails(vauth.run("import", input=json.dumps(document)), 2, "must be the app origin of a Dfns key credential")
    document = {**exported, "credentials": [{**key, "credentialId": b64url(b"new id"), "kind": "passkey"}]}
    assert_fails(vauth.run("import", input=json.dumps(document)), 2,
                 "kind must be one of webauthn, key, recoveryKey, passwordProtectedKey, totp, password")
    # A kind that holds no key cannot carry one.
    document = {**exported, "credentials": [{**key, "credentialId": b64url(b"new id"), "kind": "password"}]}
    assert_fails(vauth.run("import", input=json.dumps(document)), 2, "algorithm does not belong to a password credential")
    assert vauth.state() == before
