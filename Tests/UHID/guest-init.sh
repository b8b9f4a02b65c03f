#!/bin/sh
# /init of the uhid rig's QEMU guest (busybox ash, PID 1). It loads Debian's hid, uhid and
# hid-generic modules, starts `vauth serve --uhid` on a throwaway keystore, runs flows.sh against
# the hidraw node the kernel made for it, then checks that SIGTERM, SIGINT and SIGKILL each take
# the device away again. Result lines go to the second serial port (/dev/ttyS1, a file on the
# host); everything else, the tools' and vauth's messages included, to the console (ttyS0).
#
#   guest-init.sh --plan     the step names the guest reports, one a line
#
# The guest powers itself off when done, or after VAUTH_RIG_LIMIT seconds whatever happens.

BEFORE="modules uhid-node serve-attached hidraw-node udev-fido-id"
AFTER="sigterm-removes-device unprivileged-user sigint-removes-device sigkill-removes-device"
if [ "${1:-}" = "--plan" ]; then
    for step in $BEFORE; do echo "$step"; done
    sh "$(dirname "$0")/flows.sh" --plan
    for step in $AFTER; do echo "$step"; done
    exit 0
fi

/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/sbin
/bin/busybox --install -s
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
. /rig/config

RESULTS=/dev/ttyS1
stty -F "$RESULTS" raw -echo 2>/dev/null
report() { echo "VAUTH-RIG $*" > "$RESULTS"; }
uptime_ms() {  # /proc/uptime is "SECONDS.CC ..."; a fraction of 08 is no octal number
    read -r up _ < /proc/uptime
    fraction=${up#*.}
    echo $(( ${up%.*} * 1000 + ${fraction#0} * 10 ))
}

# The guest's own deadline: report it and power off, whatever is still running.
( sleep "$VAUTH_RIG_LIMIT"; report "timeout $VAUTH_RIG_LIMIT"; echo "rig: guest timeout" > /dev/console; poweroff -f ) &

finish() {
    for log in /tmp/serve.*.log; do echo "rig: $log:"; sed 's/^/  /' "$log"; done 2>/dev/null
    report "end $(uptime_ms)"
    sync
    poweroff -f
}

# within STEP SECONDS COMMAND...: wait (polling) until COMMAND succeeds; fail the step after SECONDS.
within() {
    seconds=$1; shift
    deadline=$(( $(uptime_ms) + seconds * 1000 ))
    until "$@"; do
        [ "$(uptime_ms)" -lt "$deadline" ] || return 1
        usleep 20000
    done
}

report "boot $(uptime_ms)"

step_started=0
begin() { step_started=$(uptime_ms); echo "rig: $1" > /dev/console; }
pass() { report "ok $1 $(( $(uptime_ms) - step_started ))"; }
fail() { report "fail $1 $2"; echo "rig: $1 failed: $2" > /dev/console; }

begin modules
for module in hid uhid hid-generic; do
    insmod "/rig/modules/$module.ko" || { fail modules "insmod $module.ko failed"; finish; }
done
pass modules

begin uhid-node
if within 5 test -c /dev/uhid; then pass uhid-node; else fail uhid-node "no /dev/uhid after insmod uhid.ko"; finish; fi

mkdir -p /tmp/keystore
head -c 32 /dev/urandom > /tmp/keystore/key
export VAUTH_KEYSTORE=/tmp/keystore/keystore.vauth VAUTH_KEY_FILE=/tmp/keystore/key

# The hidraw node of our device (USB bus 0003, pid.codes' 1209:0001), once the kernel made it.
our_hidraw() {
    for dir in /sys/bus/hid/devices/0003:1209:0001.*/hidraw/hidraw*; do
        [ -e "$dir" ] && [ -c "/dev/${dir##*/}" ] && { echo "/dev/${dir##*/}"; return 0; }
    done
    return 1
}
no_device() { ! ls -d /sys/bus/hid/devices/0003:1209:0001.* > /dev/null 2>&1; }
attached() { grep -q "attached as a uhid USB security key" "$serve_log"; }

# One `vauth serve --uhid` at a time, each with its own log; PIN-only, reset allowed (flows.sh).
serves=0
start_serve() {
    serves=$((serves + 1))
    serve_log=/tmp/serve.$serves.log
    vauth serve --uhid --uv-mode unsupported --allow-reset 2> "$serve_log" &
    serve_pid=$!
    within 60 attached && within 10 our_hidraw > /dev/null
}

begin serve-attached
if start_serve; then pass serve-attached; else fail serve-attached "vauth serve --uhid did not attach: $(tail -n 1 "$serve_log")"; finish; fi

begin hidraw-node
DEV=$(our_hidraw)
uevent=$(cat /sys/bus/hid/devices/0003:1209:0001.*/uevent 2>/dev/null | tr '\n' ' ')
case $uevent in
    *"HID_NAME=vauth virtual FIDO2 authenticator"*) pass hidraw-node ;;
    *) fail hidraw-node "$DEV: unexpected uevent: $uevent" ;;
esac

# systemd's own test (Debian's udev package: 60-fido-id.rules runs fido_id on every hidraw node):
# vauth's report descriptor makes it a FIDO security key, which 70-uaccess.rules then opens to
# the user at the seat; this is why browsers on a desktop see it without a rule of ours.
begin udev-fido-id
tags=$(/lib/udev/fido_id "$(readlink -f "/sys/class/hidraw/${DEV#/dev/}")" 2>&1)
case $tags in
    *ID_FIDO_TOKEN=1*ID_SECURITY_TOKEN=1*) pass udev-fido-id ;;
    *) fail udev-fido-id "fido_id did not tag $DEV a FIDO token: $(echo "$tags" | tr '\n' '|')" ;;
esac

echo "rig: flows against $DEV" > /dev/console
VAUTH_RIG_TOOL_TIMEOUT=$VAUTH_RIG_TOOL_TIMEOUT VAUTH_RIG_STEPS=$VAUTH_RIG_STEPS sh /rig/flows.sh "$DEV" > "$RESULTS"

# stops_cleanly STEP SIGNAL: the signal ends the running serve with status 0 ("stopped"), or 137
# for SIGKILL, and the device goes, though a client holds its hidraw node open.
stops_cleanly() {
    name=$1 signal=$2
    begin "$name"
    if [ -z "$serve_pid" ] || ! kill -0 "$serve_pid" 2>/dev/null; then fail "$name" "no vauth serve running to stop"; return; fi
    node=$(our_hidraw)
    # A client (a browser, say) holding the node open must not keep the device alive.
    exec 3< "$node"
    kill "-$signal" "$serve_pid"
    # wait has no timeout of its own: the guest's deadline above is it.
    wait "$serve_pid"
    status=$?
    serve_pid=""
    exec 3<&-
    if [ "$signal" = KILL ]; then
        [ $status -eq 137 ] || { fail "$name" "serve exited $status after SIGKILL"; return; }
    else
        [ $status -eq 0 ] || { fail "$name" "serve exited $status after SIG$signal: $(tail -n 1 "$serve_log")"; return; }
        grep -q "serve: stopped" "$serve_log" || { fail "$name" "no 'serve: stopped' after SIG$signal"; return; }
    fi
    within 5 no_device || { fail "$name" "the HID device is still there after SIG$signal"; return; }
    [ ! -e "$node" ] || { fail "$name" "$node is still there after SIG$signal"; return; }
    fido2-token -L > /tmp/list 2>&1
    grep -q "vendor=0x1209" /tmp/list && { fail "$name" "fido2-token -L still lists it: $(cat /tmp/list)"; return; }
    pass "$name"
}

stops_cleanly sigterm-removes-device TERM

# A user who is not root, with what the README's udev rules give: /dev/uhid and the key's hidraw
# node through a group. serve works and says that it reads /dev/uhid at normal priority, and the
# user's own libfido2 tools make and use credentials. SIGINT then stops this serve.
unprivileged() {
    begin unprivileged-user
    chgrp 1000 /dev/uhid && chmod 0660 /dev/uhid
    mkdir -p /tmp/user/keystore && head -c 32 /dev/urandom > /tmp/user/keystore/key
    chown -R 1000:1000 /tmp/user && chmod -R go-rwx /tmp/user
    serves=$((serves + 1))
    serve_log=/tmp/serve.$serves.log
    VAUTH_KEYSTORE=/tmp/user/keystore/keystore.vauth VAUTH_KEY_FILE=/tmp/user/keystore/key \
        su -p -s /bin/sh rig -c "exec vauth serve --uhid --uv-mode unsupported" 2> "$serve_log" &
    serve_pid=$!
    within 60 attached && within 10 our_hidraw > /dev/null || { fail unprivileged-user "serve did not attach as uid 1000: $(tail -n 1 "$serve_log")"; return; }
    [ "$(stat -c %u "/proc/$serve_pid")" = 1000 ] || { fail unprivileged-user "serve does not run as uid 1000"; return; }
    grep -q "read at normal priority" "$serve_log" || { fail unprivileged-user "no warning about the reader's priority: $(cat "$serve_log")"; return; }
    node=$(our_hidraw)
    chgrp 1000 "$node" && chmod 0660 "$node"
    TMPDIR=/tmp/user VAUTH_RIG_STEPS="list info credential-es256-nonresident" \
        su -p -s /bin/sh rig -c "sh /rig/flows.sh $node" > /tmp/user/results 2> /dev/console
    if grep -q "VAUTH-RIG fail" /tmp/user/results || [ "$(grep -c "VAUTH-RIG ok" /tmp/user/results)" -ne 3 ]; then
        fail unprivileged-user "flows as uid 1000: $(grep -v "VAUTH-RIG ok" /tmp/user/results | tr '\n' '|' | cut -c 1-300)"
        return
    fi
    pass unprivileged-user
}
unprivileged
stops_cleanly sigint-removes-device INT

begin sigkill-removes-device
if start_serve; then
    stops_cleanly sigkill-removes-device KILL
else
    fail sigkill-removes-device "vauth serve --uhid did not attach again: $(tail -n 1 "$serve_log")"
fi
finish
