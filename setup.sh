#!/usr/bin/env bash
# Sets up vauth on a Debian 12 machine: system libraries and tools (apt), the Python verifiers the
# tests use (a git-ignored venv in .venv), a release build, and `vauth` on the PATH.
#
#   ./setup.sh            everything
#   ./setup.sh --deps     only apt packages and the venv (what ./test.sh needs)
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(libcbor-dev libssl-dev libidn2-dev libpsl-dev pkg-config publicsuffix fido2-tools python3-venv ca-certificates chromium chromium-driver firefox-esr
              libcurl4-openssl-dev time strace util-linux)  # libcurl-dev: the services' HTTP (CLibCurl);
                                                            # GNU time: `vauth bench` measures peak RSS with it;
                                                            # strace, unshare: the keystore's crash and read-only tests;
                                                            # firefox-esr: `vauth attach --bidi`'s browser tests

say() { printf 'setup: %s\n' "$*" >&2; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "need root or sudo to install: ${APT_PACKAGES[*]}"; exit 1; }
    sudo_cmd=(sudo)
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    # Two set-ups at once (two clones, two CI jobs on one machine) would fail on apt's lock at
    # once; this waits for the other one instead (dpkg's own lock wait covers other apt users).
    apt_get=("${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
    command -v flock >/dev/null && apt_get=(flock --timeout 1200 /tmp/.vauth-setup-apt.lock "${apt_get[@]}")
    "${apt_get[@]}" update -qq
    "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || [ -x /opt/swift/usr/bin/swift ] || {
    say "Swift 6 is not installed: get it from https://www.swift.org/install/linux/ (Debian 12)"; exit 1; }
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

# The Python side of the tests: py_webauthn, python-fido2, pytest. Reinstalled when the pins change.
requirements=Tests/Interop/requirements.txt
stamp=.venv/.requirements.sha256
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    say "creating the Python test venv in .venv"
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
fi

[ "${1:-}" = "--deps" ] && exit 0

# --static-swift-stdlib: the Swift runtime inside the binary instead of a dozen shared libraries
# the dynamic linker would resolve on every start (`vauth get` is a process per sign-in).
# vauth-services holds the networked commands (register, signin, demo); vauth runs it for them.
say "building vauth and vauth-services (release, Swift runtime linked statically)"
for product in vauth vauth-services; do
    swift build -c release --static-swift-stdlib --product "$product" 2>&1 \
        | grep -E 'error|warning: unre|Compiling vauth|Build of product' >&2 || true
done
binary="$PWD/.build/release/vauth"
[ -x "$binary" ] && [ -x "$PWD/.build/release/vauth-services" ] || { say "build failed"; exit 1; }

# On the PATH: /usr/local/bin when we may write there, else ~/.local/bin.
if [ -w /usr/local/bin ] || [ "$(id -u)" -eq 0 ]; then
    target=/usr/local/bin/vauth
else
    mkdir -p "$HOME/.local/bin"
    target="$HOME/.local/bin/vauth"
    case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) say "add $HOME/.local/bin to your PATH";; esac
fi
ln -sf "$binary" "$target"
say "installed $target -> $binary"
