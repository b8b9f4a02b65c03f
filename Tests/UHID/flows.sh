#!/bin/sh
# The libfido2 flows of the uhid rig: libfido2's own tools (fido2-token, fido2-cred, fido2-assert)
# drive one FIDO2 authenticator and check what it answers with libfido2's verifiers. The same
# script runs in the QEMU guest against `vauth serve --uhid` through the kernel's hidraw node, and
# on the host against `vauth serve --udp` (device "udp:HOST:PORT", through the libfido2-udp.c
# shim), so a step that fails only in the guest points at the transport.
#
#   flows.sh --plan          the step names, one a line (the test parametrizes over them)
#   flows.sh DEVICE          run every step; one result line per step on stdout:
#                              VAUTH-RIG ok STEP MS
#                              VAUTH-RIG fail STEP REASON
#                            the tools' messages go to stderr
#
# POSIX sh: the guest runs it with busybox ash, the host with dash. The authenticator must be
# fresh (no PIN, no credentials), PIN-only (`--uv-mode unsupported`) and allow reset.

CREDENTIAL_STEPS=""
for alg in es256 eddsa rs256; do
    CREDENTIAL_STEPS="$CREDENTIAL_STEPS credential-$alg-nonresident credential-$alg-resident"
done
STEPS="list info ctaphid-ping $CREDENTIAL_STEPS hmac-secret pin-set pin-credential pin-required wrong-pin-counted
       credman-metadata credman-rps credman-credentials credman-public-key credman-delete pin-change reset"

if [ "${1:-}" = "--plan" ]; then
    for step in $STEPS; do echo "$step"; done
    exit 0
fi

DEV=${1:?usage: flows.sh DEVICE | --plan}
STEPS=${VAUTH_RIG_STEPS:-$STEPS}  # a developer's subset (the later steps build on the earlier ones)
PIN=${VAUTH_RIG_PIN:-48213}
NEW_PIN=${VAUTH_RIG_NEW_PIN:-93712}
TOOL_TIMEOUT=${VAUTH_RIG_TOOL_TIMEOUT:-120}
W=$(mktemp -d "${TMPDIR:-/tmp}/vauth-flows.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

# --- helpers --------------------------------------------------------------------------------

now_ms() {  # /proc/uptime is "SECONDS.CC ..."; a fraction of 08 is no octal number
    read -r uptime _ < /proc/uptime
    fraction=${uptime#*.}
    echo $(( ${uptime%.*} * 1000 + ${fraction#0} * 10 ))
}
b64() { base64 | tr -d '\n'; }
new_cdh() { head -c 32 /dev/urandom | b64; }

# Within a step: stop it with a reason (the step runs in a subshell).
die() { echo "$*" > "$W/reason"; echo "flows: $STEP: $*" >&2; exit 1; }

# attempt LABEL [--stdin TEXT] CMD ARGS...: a libfido2 tool within its timeout; stdout in $W/out,
# stderr in $W/err (and on our stderr), its status in $status, the command (without the stdin,
# which carries PINs) in $ran.
attempt() {
    label=$1; shift
    input=""
    if [ "$1" = "--stdin" ]; then input=$2; shift 2; fi
    ran="$*"
    printf '%s\n' "$input" | timeout "$TOOL_TIMEOUT" "$@" > "$W/out" 2> "$W/err"
    status=$?
    awk -v tool="$1$label" '{ print "  " tool ": " $0 }' "$W/err" >&2
}

# tool [--stdin TEXT] CMD ARGS...: the tool must succeed. Secrets (PINs) only ever go through stdin.
tool() {
    attempt "" "$@"
    [ $status -eq 0 ] || die "$ran exited $status: $(tail -n 1 "$W/err")"
}

# refused CODE [--stdin TEXT] CMD ARGS...: the tool must fail, naming libfido2's error CODE.
refused() {
    code=$1; shift
    attempt " (to be refused)" "$@"
    [ $status -ne 0 ] || die "$ran succeeded; expected $code"
    [ $status -ne 124 ] || die "$ran timed out; expected $code"
    grep -q "$code" "$W/err" || die "$ran failed without $code: $(tail -n 1 "$W/err")"
}

expect() {  # expect FILE FIXED-STRING WHY
    grep -qF -- "$2" "$1" || die "$3: no '$2' in: $(tr '\n' '|' < "$1" | cut -c 1-300)"
}

reject() {  # reject FILE FIXED-STRING WHY
    if grep -qF -- "$2" "$1"; then die "$3: '$2' in: $(tr '\n' '|' < "$1" | cut -c 1-300)"; fi
}

# make_credential NAME ALG RESIDENT(yes|no) [PIN]: fido2-cred -M, checked by fido2-cred -V.
# Leaves $W/NAME.cred (the attestation), NAME.id (credential id), NAME.pem (public key), NAME.rp.
make_credential() {
    name=$1 alg=$2 resident=$3 pin=${4:-}
    rp="$name.rig.example"
    user="user-$name"
    printf '%s\n%s\n%s\n%s\n' "$(new_cdh)" "$rp" "$user" "$(printf '%s' "$user" | b64)" > "$W/$name.cred.in"
    echo "$rp" > "$W/$name.rp"
    flags=""
    [ "$resident" = yes ] && flags="-r"
    tool --stdin "$pin" fido2-cred -M $flags -i "$W/$name.cred.in" -o "$W/$name.cred" "$DEV" "$alg"
    # -V checks the packed attestation signature over authData ‖ clientDataHash; -v the UV flag.
    vflags=""
    [ -n "$pin" ] && vflags="-v"
    tool fido2-cred -V $vflags -i "$W/$name.cred" -o "$W/$name.pub" "$alg"
    head -n 1 "$W/$name.pub" > "$W/$name.id"
    tail -n +2 "$W/$name.pub" > "$W/$name.pem"
    expect "$W/$name.pem" "BEGIN PUBLIC KEY" "fido2-cred -V gave no public key"
}

# get_assertion NAME ALG RESIDENT [PIN]: fido2-assert -G (by credential id, or discoverable),
# checked by fido2-assert -V with the key fido2-cred -V gave; a tampered copy must be refused.
get_assertion() {
    name=$1 alg=$2 resident=$3 pin=${4:-}
    printf '%s\n%s\n' "$(new_cdh)" "$(cat "$W/$name.rp")" > "$W/$name.assert.in"
    gflags="-p"
    if [ "$resident" = yes ]; then gflags="$gflags -r"; else cat "$W/$name.id" >> "$W/$name.assert.in"; fi
    vflags="-p"
    [ -n "$pin" ] && { gflags="$gflags -v"; vflags="$vflags -v"; }
    tool --stdin "$pin" fido2-assert -G $gflags -i "$W/$name.assert.in" -o "$W/$name.assert" "$DEV"
    if [ "$resident" = yes ]; then
        [ "$(wc -l < "$W/$name.assert")" -eq 5 ] || die "one discoverable assertion expected: $(wc -l < "$W/$name.assert") lines"
        [ "$(sed -n 5p "$W/$name.assert")" = "$(printf '%s' "user-$name" | b64)" ] || die "the assertion's user id is not user-$name"
    fi
    tool fido2-assert -V $vflags -i "$W/$name.assert" "$W/$name.pem" "$alg"
    # The verifier must notice another client data hash (it really checked the signature).
    { new_cdh; echo; sed 1d "$W/$name.assert"; } > "$W/$name.assert.tampered"
    refused "FIDO_ERR_INVALID_SIG" fido2-assert -V $vflags -i "$W/$name.assert.tampered" "$W/$name.pem" "$alg"
}

# info_field LABEL: the value fido2-token -I printed for LABEL.
info() { tool fido2-token -I "$DEV"; cp "$W/out" "$W/info"; }
info_field() { sed -n "s/^$1: //p" "$W/info"; }

# --- the steps ------------------------------------------------------------------------------

step_list() {
    tool fido2-token -L
    expect "$W/out" "$DEV: " "fido2-token -L does not list $DEV"
}

step_info() {
    info
    expect "$W/info" "FIDO_2_1" "versions"
    expect "$W/info" "algorithms: es256 (public-key), eddsa (public-key), rs256 (public-key)" "algorithms"
    expect "$W/info" "noclientPin" "a fresh authenticator has no PIN"
    expect "$W/info" "credMgmt" "credential management"
    [ "$(info_field 'pin retries')" = 8 ] || die "pin retries: $(info_field 'pin retries'), expected 8"
}

step_ctaphid_ping() {
    # Messages of every length class up to CTAPHID's largest (CTAP 2.2 §11.2.4: 57 bytes in the
    # initialization packet, 59 in each of up to 128 continuation packets), echoed exactly,
    # three of the largest back to back: nothing may be lost in the kernel's queues.
    timeout "$TOOL_TIMEOUT" "${VAUTH_RIG_PING:-ctaphid-ping}" "$DEV" 0 1 57 58 116 117 1024 4096 7609 7609 7609 > "$W/out" 2> "$W/err"
    status=$?
    sed 's/^/  ctaphid-ping: /' "$W/out" "$W/err" >&2
    [ $status -eq 0 ] || die "ctaphid-ping exited $status: $(grep -v ' ok ' "$W/out" "$W/err" | head -n 3 | tr '\n' '|')"
}

step_credential() {  # credential-ALG-KIND
    alg=${STEP#credential-}; alg=${alg%%-*}
    resident=no
    [ "${STEP##*-}" = resident ] && resident=yes
    make_credential "$alg-${STEP##*-}" "$alg" "$resident"
    get_assertion "$alg-${STEP##*-}" "$alg" "$resident"
}

step_hmac_secret() {
    # hmac-secret (CTAP 2.2 §12.5, what WebAuthn's prf rides on): one salt gives one secret.
    name=hmac rp="hmac.rig.example"
    echo "$rp" > "$W/$name.rp"
    printf '%s\n%s\n%s\n%s\n' "$(new_cdh)" "$rp" "hmac-user" "$(printf hmac-user | b64)" > "$W/$name.cred.in"
    tool fido2-cred -M -h -i "$W/$name.cred.in" -o "$W/$name.cred" "$DEV" es256
    tool fido2-cred -V -h -i "$W/$name.cred" -o "$W/$name.pub" es256
    salt=$(head -c 32 /dev/urandom | b64)
    for round in 1 2 3; do
        [ $round -eq 3 ] && salt=$(head -c 32 /dev/urandom | b64)
        printf '%s\n%s\n%s\n%s\n' "$(new_cdh)" "$rp" "$(head -n 1 "$W/$name.pub")" "$salt" > "$W/$name.assert.in"
        tool fido2-assert -G -h -i "$W/$name.assert.in" -o "$W/$name.assert" "$DEV"
        tail -n +2 "$W/$name.pub" > "$W/$name.pem"
        tool fido2-assert -V -h -i "$W/$name.assert" "$W/$name.pem" es256
        sed -n 5p "$W/$name.assert" > "$W/$name.secret.$round"
        [ "$(wc -c < "$W/$name.secret.$round")" -gt 40 ] || die "no hmac-secret output in round $round"
    done
    cmp -s "$W/$name.secret.1" "$W/$name.secret.2" || die "the same salt gave two secrets"
    if cmp -s "$W/$name.secret.1" "$W/$name.secret.3"; then die "two salts gave one secret"; fi
}

step_pin_set() {
    tool --stdin "$(printf '%s\n%s' "$PIN" "$PIN")" fido2-token -S "$DEV"
    info
    expect "$W/info" ", clientPin" "the PIN is set"
    [ "$(info_field 'pin retries')" = 8 ] || die "pin retries: $(info_field 'pin retries'), expected 8"
}

step_pin_credential() {
    # The tool asks for the PIN when makeCredential says PIN_REQUIRED (CTAP 2.2 §6.1.2 step 7).
    make_credential es256-pin es256 yes "$PIN"
    get_assertion es256-pin es256 yes "$PIN"
    # By credential id too, with the PIN (UV), and without it (UP only, allowed for this one).
    get_assertion es256-pin es256 no "$PIN"
    get_assertion es256-pin es256 no
}

step_pin_required() {
    # With a PIN set, a makeCredential without one is refused (the tool does not ask: -q).
    printf '%s\n%s\n%s\n%s\n' "$(new_cdh)" "nopin.rig.example" "nopin" "$(printf nopin | b64)" > "$W/nopin.in"
    refused "FIDO_ERR_PIN_REQUIRED" fido2-cred -M -q -r -i "$W/nopin.in" "$DEV" es256
}

step_wrong_pin_counted() {
    refused "FIDO_ERR_PIN_INVALID" --stdin 1111111 fido2-token -I -c "$DEV"
    info
    [ "$(info_field 'pin retries')" = 7 ] || die "pin retries after a wrong PIN: $(info_field 'pin retries'), expected 7"
    refused "FIDO_ERR_PIN_INVALID" --stdin 2222222 fido2-token -I -c "$DEV"
    info
    [ "$(info_field 'pin retries')" = 6 ] || die "pin retries after two wrong PINs: $(info_field 'pin retries'), expected 6"
    # The right PIN restores the counter (CTAP 2.2 §6.5.5.7).
    tool --stdin "$PIN" fido2-token -I -c "$DEV"
    info
    [ "$(info_field 'pin retries')" = 8 ] || die "pin retries after the right PIN: $(info_field 'pin retries'), expected 8"
}

RESIDENT_NAMES="es256-resident eddsa-resident rs256-resident es256-pin"

step_credman_metadata() {
    tool --stdin "$PIN" fido2-token -I -c "$DEV"
    expect "$W/out" "existing rk(s): 4" "four discoverable credentials were made"
}

step_credman_rps() {
    tool --stdin "$PIN" fido2-token -L -r "$DEV"
    for name in $RESIDENT_NAMES; do expect "$W/out" " $(cat "$W/$name.rp")" "relying party of $name"; done
    reject "$W/out" "es256-nonresident" "a non-discoverable credential is not listed"
    [ "$(wc -l < "$W/out")" -eq 4 ] || die "four relying parties expected"
}

step_credman_credentials() {
    for name in $RESIDENT_NAMES; do
        tool --stdin "$PIN" fido2-token -L -k "$(cat "$W/$name.rp")" "$DEV"
        expect "$W/out" "$(cat "$W/$name.id") " "credential of $name"
        expect "$W/out" "$(printf '%s' "user-$name" | b64)" "user id of $name"
    done
}

step_credman_public_key() {
    for name in $RESIDENT_NAMES; do
        tool --stdin "$PIN" fido2-token -I -k "$(cat "$W/$name.rp")" -i "$(cat "$W/$name.id")" "$DEV"
        tail -n +2 "$W/out" > "$W/$name.credman.pem"
        cmp -s "$W/$name.credman.pem" "$W/$name.pem" || die "credential management's public key of $name differs from the attested one"
    done
}

step_credman_delete() {
    tool --stdin "$PIN" fido2-token -D -i "$(cat "$W/rs256-resident.id")" "$DEV"
    tool --stdin "$PIN" fido2-token -I -c "$DEV"
    expect "$W/out" "existing rk(s): 3" "one credential fewer"
    tool --stdin "$PIN" fido2-token -L -r "$DEV"
    reject "$W/out" "rs256-resident.rig.example" "the deleted credential's relying party is gone"
    printf '%s\n%s\n%s\n' "$(new_cdh)" "$(cat "$W/rs256-resident.rp")" "$(cat "$W/rs256-resident.id")" > "$W/deleted.in"
    refused "FIDO_ERR_NO_CREDENTIALS" fido2-assert -G -i "$W/deleted.in" "$DEV"
    # Deleting it again: the credential is not there (CTAP 2.2 §6.8.5).
    refused "FIDO_ERR_NO_CREDENTIALS" --stdin "$PIN" fido2-token -D -i "$(cat "$W/rs256-resident.id")" "$DEV"
}

step_pin_change() {
    tool --stdin "$(printf '%s\n%s\n%s' "$PIN" "$NEW_PIN" "$NEW_PIN")" fido2-token -C "$DEV"
    refused "FIDO_ERR_PIN_INVALID" --stdin "$PIN" fido2-token -I -c "$DEV"
    tool --stdin "$NEW_PIN" fido2-token -I -c "$DEV"
    expect "$W/out" "existing rk(s): 3" "credentials survive a PIN change"
}

step_reset() {
    tool fido2-token -R "$DEV"
    info
    expect "$W/info" "noclientPin" "reset removes the PIN"
    [ "$(info_field 'pin retries')" = 8 ] || die "pin retries after reset: $(info_field 'pin retries'), expected 8"
    printf '%s\n%s\n%s\n' "$(new_cdh)" "$(cat "$W/es256-nonresident.rp")" "$(cat "$W/es256-nonresident.id")" > "$W/reset.in"
    refused "FIDO_ERR_NO_CREDENTIALS" fido2-assert -G -i "$W/reset.in" "$DEV"
    printf '%s\n%s\n' "$(new_cdh)" "$(cat "$W/es256-resident.rp")" > "$W/reset-rk.in"
    refused "FIDO_ERR_NO_CREDENTIALS" fido2-assert -G -r -i "$W/reset-rk.in" "$DEV"
    # And the authenticator works after it.
    make_credential after-reset es256 yes
    get_assertion after-reset es256 yes
}

# --- run ------------------------------------------------------------------------------------

for STEP in $STEPS; do
    rm -f "$W/reason"
    started=$(now_ms)
    case $STEP in
        credential-*-*) function=step_credential ;;
        *) function=step_$(echo "$STEP" | tr '-' '_') ;;
    esac
    echo "flows: $STEP" >&2
    if ( $function ); then
        echo "VAUTH-RIG ok $STEP $(( $(now_ms) - started ))"
    else
        echo "VAUTH-RIG fail $STEP $(cat "$W/reason" 2>/dev/null || echo "exited without a reason")"
    fi
done
