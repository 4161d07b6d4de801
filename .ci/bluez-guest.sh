#!/bin/bash
# Runs inside the BlueZ VM (.ci/bluez), chrooted into the host's root (read-only; tmpfs on
# /tmp, /run, /var/lib). Argument: the kernel command line with sg.* parameters.
set -euo pipefail
arg() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
repo="$(arg "$1" sg.repo)"
out="$(arg "$1" sg.out)"
bluetoothd="$(arg "$1" sg.bluetoothd)"
bluetoothctl="$(dirname "$(dirname "$(dirname "$bluetoothd")")")/bin/bluetoothctl"
export PATH=$(dirname "$bluetoothctl"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TERM=dumb COLUMNS=160 NO_COLOR=1
cd "$repo"
sg=(.venv/bin/stretchguard)
py=.venv/bin/python
t0=$(date +%s.%N)
stamp() { python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):6.1f}s')" "$t0"; }
step() { echo "$1" >"$out/step"; echo "guest: $(stamp) $1"; }
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

step dbus
dbus-daemon --session --fork --nopidfile --print-address=3 3>"$out/dbus.addr" >/dev/null
export DBUS_SYSTEM_BUS_ADDRESS="$(head -1 "$out/dbus.addr")"

step bluetoothd
"$(dirname "$bluetoothctl")/btmon" -w "$out/btmon.snoop" >/dev/null 2>&1 &
pids+=($!)
"$bluetoothd" -n >"$out/bluetoothd.log" 2>&1 &
pids+=($!)

step "virtual sensors on vhci"
rate=25
"$py" -m sensors.virtual.vhci --rate-hz $rate --drop right_thigh --drop-when "$out/drop.now" \
    --ready "$out/served.ready" --stats "$out/served.json" >"$out/served.log" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 1 600); do
    [ -s "$out/served.ready" ] && break
    kill -0 $server 2>/dev/null || { cat "$out/served.log"; exit 1; }
    sleep 0.1
done
[ -s "$out/served.ready" ] || { echo "guest: the sensors never served"; exit 1; }

step "adapter on"
for _ in $(seq 1 100); do
    "$bluetoothctl" power on 2>&1 | grep -q "succeeded" && break
    sleep 0.2
done
"$bluetoothctl" show >"$out/adapter.txt" 2>&1 || true
grep -q "Powered: yes" "$out/adapter.txt" || { cat "$out/adapter.txt" "$out/bluetoothd.log"; exit 1; }

step scan
"${sg[@]}" scan --timeout-s 6 --json >"$out/scan.json" 2>"$out/scan.err" || {
    cat "$out/scan.err"; exit 1; }
cat "$out/scan.json"

step live
names="$(cat "$out/served.ready")"
name() { "$py" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$names" "$1"; }
# the thigh sensor drops 6 s into the recording (once the CSV exists), then re-advertises
( for _ in $(seq 1 3000); do [ -s "$out/session.csv" ] && break; sleep 0.2; done
  sleep 6; touch "$out/drop.now" ) &
pids+=($!)
"${sg[@]}" -v live --no-display --rate-hz $rate --duration-s 60 --stand-s 4 --move-s 8 --connect-timeout-s 20 \
    --sensor "$(name pelvis)=pelvis" --sensor "$(name right_thigh)=right_thigh" \
    --sensor "$(name right_shank)=right_shank" --sensor "$(name right_foot)=right_foot" \
    --out "$out/session.csv" >"$out/live.txt" 2>"$out/live.err" || {
    cat "$out/live.txt" "$out/live.err"; exit 1; }
cat "$out/live.txt"

step "stop the sensors"
kill -TERM $server
for _ in $(seq 1 300); do
    kill -0 $server 2>/dev/null || break
    sleep 0.1
done
[ -s "$out/served.json" ] || { cat "$out/served.log"; exit 1; }
step done
