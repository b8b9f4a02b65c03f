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

BEFORE="modules uhid-node serve-attached hidraw-node"
AFTER="sigterm-removes-device sigint-removes-device sigkill-removes-device"
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

echo "rig: flows against $DEV" > /dev/console
VAUTH_RIG_TOOL_TIMEOUT=$VAUTH_RIG_TOOL_TIMEOUT VAUTH_RIG_STEPS=$VAUTH_RIG_STEPS sh /rig/flows.sh "$DEV" > "$RESULTS"

# stops_cleanly STEP SIGNAL: the signal ends serve with status 0 ("stopped") and the device goes.
stops_cleanly() {
    name=$1 signal=$2
    begin "$name"
    if [ "$name" != sigterm-removes-device ]; then
        start_serve || { fail "$name" "vauth serve --uhid did not attach again: $(tail -n 1 "$serve_log")"; return; }
    fi
    node=$(our_hidraw)
    # A client (a browser, say) holding the node open must not keep the device alive.
    exec 3< "$node"
    kill "-$signal" "$serve_pid"
    # wait has no timeout of its own: the guest's deadline above is it.
    wait "$serve_pid"
    status=$?
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
stops_cleanly sigint-removes-device INT
stops_cleanly sigkill-removes-device KILL
finish
