#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# live.sh RFM - the live agent exporting IPFIX to a real nfcapd, which is
# killed and restarted mid-run.
#
# Namespaces A and B joined by veth va - vb; rfm runs in B on vb (sampling
# 1, idle timeout 1 s, template refresh 2 s) and exports IPFIX over UDP to
# nfcapd on B's loopback; --print json gives rfm's own records.
#   phase 1: flows from A; every record rfm wrote is in nfcapd's files,
#            field by field (nfdump), then nfcapd is stopped (SIGTERM);
#   down:    flows while no collector listens: rfm keeps running, its
#            send errors are counted (no stall: the next phase still works);
#   phase 2: nfcapd restarted (new directory, no templates): after one
#            template refresh the records of new flows decode, field by
#            field.
# collectors.py (compare-nfdump) reads nfdump -o json and compares.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/../tests/live/lib.sh"
live_init "${1:-}"
HERE=$(cd "$(dirname "$0")" && pwd)
for c in nfcapd nfdump; do
	command -v "$c" >/dev/null || live_skip "$c is not installed (scripts/bootstrap installs nfdump)"
done

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_b=$(live_mac "$B" vb)
ip -n "$B" link set lo up

port=$("$LIVE_PY" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NF_PID=
nf_start() { # DIR: nfcapd in B on 127.0.0.1:$port
	mkdir -p "$1"
	ip netns exec "$B" nfcapd -w "$1" -b 127.0.0.1 -p "$port" -t 3600 -I rfm >"$1.log" 2>&1 &
	NF_PID=$!
	LIVE_PIDS+=("$NF_PID")
	live_wait_for "nfcapd listening on udp $port" 10 _udp_bound || live_die "nfcapd did not start"
}
_udp_bound() { ip netns exec "$B" ss -Hlun "sport = :$port" | grep -q .; }
_after() { [ "$(live_now_ms)" -ge "$1" ]; }

conf="$LIVE_WORK/rfm.conf"
live_config "$conf" <<EOF
datapath = { interfaces = [ "vb" ]; sampling = 1; };
flows = { idle_timeout = 1; active_timeout = 60; tcp_end_grace = 0.5; };
ipfix = {
	collectors = ( { address = "127.0.0.1"; port = $port; protocol = "ipfix"; } );
	template_refresh = 2;
};
EOF

# send PHASE N: N UDP flows of 5 packets from A (source port per phase)
send() {
	local flows=() i
	for ((i = 0; i < $2; i++)); do
		flows+=("name=$1$i,proto=udp,src=198.18.1.2,dst=198.18.1.1,sport=$((1000 * $3 + i)),dport=53,count=5,payload=$((20 + i))")
	done
	live_send "$A" va "$mac_b" "$LIVE_WORK/sent-$1" "${flows[@]}"
}

json="$LIVE_WORK/flows.jsonl"
nf_start "$LIVE_WORK/nf1"
rfm_start rfm "$B" -c "$conf" --print json -o "$json"

echo "== phase 1: nfcapd up"
t1=$(live_now_ms)
send p1 20 11
live_wait_flows "$json" ".src_port >= 11000 and .src_port < 12000" 20
# nfcapd gets the records within a drain tick; give it the records' own deadline
sleep_until_ms=$(($(live_now_ms) + 1000))
live_wait_for "the export of phase 1 to leave" 5 _after "$sleep_until_ms"
live_stop "$NF_PID" TERM
expect_eq "nfcapd (phase 1) exit status" 0 "$LIVE_RC"
t1e=$(live_now_ms)
"$LIVE_PY" "$HERE/collectors.py" compare-nfdump "$LIVE_WORK/nf1" "$json" "$t1" "$t1e" ||
	LIVE_FAILS=$((LIVE_FAILS + 1))

echo "== collector down"
send dn 10 12
live_wait_flows "$json" ".src_port >= 12000 and .src_port < 13000" 10
expect_eq "rfm still running with the collector down" yes "$(live_running "$rfm" && echo yes)"

echo "== phase 2: nfcapd restarted"
nf_start "$LIVE_WORK/nf2"
t2=$(live_now_ms)
# one template refresh (2 s) later every new record decodes
live_wait_for "one template refresh after the restart" 5 _after $((t2 + 2100))
t2s=$(live_now_ms)
send p2 20 13
live_wait_flows "$json" ".src_port >= 13000" 20
live_wait_for "the export of phase 2 to leave" 5 _after $(($(live_now_ms) + 1000))
rfm_stop "$rfm"
live_stop "$NF_PID" TERM
expect_eq "nfcapd (phase 2) exit status" 0 "$LIVE_RC"
"$LIVE_PY" "$HERE/collectors.py" compare-nfdump "$LIVE_WORK/nf2" "$json" "$t2s" ||
	LIVE_FAILS=$((LIVE_FAILS + 1))
stats=$(jq -R -c 'fromjson? | select(.type == "export")' "$(rfm_out "$rfm")" | head -n 1)
echo "rfm export stats: $stats"
expect_eq "send errors counted while nfcapd was down" yes \
	"$(jq -r 'if .send_errors > 0 then "yes" else "no: \(.send_errors)" end' <<<"$stats")"
live_finish
