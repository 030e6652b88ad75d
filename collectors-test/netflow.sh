#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# collectors-test/netflow.sh - the NetFlow v9 and v5 encoders (src/netflow.c)
# against real collectors: nfcapd + nfdump 1.7.1, pmacct nfacctd 1.7.7 (print
# plugin, JSON lines, nfacctd_renormalize: true) and tshark 4.0 (cflow
# dissector on a loopback capture).
#
# tests/tools/nf_emit encodes a fixed set of six records (TCP, UDP, ICMP over
# IPv4 and IPv6, with and without enrichment) and sends them over UDP to
# 127.0.0.1; it prints the records as JSON lines, the truth each collector's
# decoding is compared with: addresses, ports, protocol, packets, octets,
# start/end ms, interfaces, AS numbers, masks. Scenarios, one observation
# domain each (v9 source id; v5 engine type/id 1/N), all sent to each collector:
#   0x101 v9, live clock, unsampled      0x104 v5, unsampled
#   0x102 v9, replay clock (boot moves)   0x105 v5, 1-in-10
#   0x103 v9, 1-in-10 on ifindex 2 and    0x106 v5, 1-in-20000 (above 14 bits:
#         1-in-100 on ifindex 3                 sent as estimates, interval 1)
#                                         0x107 v5, 1-in-10 and 1-in-100
# With sampling, nfdump's and nfacctd's totals must be packets * N of each
# record (nfcapd 1.7.1 keeps the first v5 rate of an exporter: 0x107 is only
# reported for it). tshark shows the raw counts and exact times.
#
# Usage: bash collectors-test/netflow.sh BUILD_DIR
#   exit 0 all passed, 1 something failed, 77 skipped (a tool is missing).
#   NF_PORT=N picks the first UDP port tried (default 39555; busy ports are
#   skipped); KEEP=1 keeps the scratch directory.
set -u
BUILD=${1:?usage: netflow.sh BUILD_DIR}
EMIT=$BUILD/tests/tools/nf_emit
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip() { echo "SKIP $*"; exit 77; }
[ -x "$EMIT" ] || skip "nf_emit is not built ($EMIT): cmake --build $BUILD --target nf_emit"
[ -x "$PY" ] || skip "$PY is missing"
for t in nfcapd nfdump nfacctd tshark ss; do
	command -v $t >/dev/null || skip "$t is not installed"
done

RUN=$(mktemp -d "${TMPDIR:-/tmp}/rfm-netflow.XXXXXX")
export TZ=UTC
PIDS=()
NFACCTD_PID=

# Stop what this script started, by PID; nfacctd stops on SIGINT only.
cleanup() {
	local p
	if [ -n "$NFACCTD_PID" ]; then
		kill -INT "$NFACCTD_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$NFACCTD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$NFACCTD_PID" 2>/dev/null
	fi
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "scratch kept in $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT

udp_busy() { ss -Hlun "sport = :$1" | grep -q .; }
# A free UDP port from NF_PORT up, not one already taken by this script.
NEXT_PORT=${NF_PORT:-39555}
pick_port() {
	while udp_busy $NEXT_PORT; do NEXT_PORT=$((NEXT_PORT + 1)); done
	echo $NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
}
wait_udp() {
	for _ in $(seq 100); do udp_busy "$1" && return 0; sleep 0.1; done
	echo "FAIL nothing listens on udp/$1"
	exit 1
}

# emit_all PORT TAG: every scenario to 127.0.0.1:PORT; truth in $RUN/truth-TAG.json
emit_all() {
	local port=$1 out=$RUN/truth-$2.json
	: >"$out"
	"$EMIT" -v 9 -p "$port" -d 0x101 >>"$out" &&
		"$EMIT" -v 9 -p "$port" -d 0x102 --replay >>"$out" &&
		"$EMIT" -v 9 -p "$port" -d 0x103 -s 10:100 >>"$out" &&
		"$EMIT" -v 5 -p "$port" -d 0x104 >>"$out" &&
		"$EMIT" -v 5 -p "$port" -d 0x105 -s 10 >>"$out" &&
		"$EMIT" -v 5 -p "$port" -d 0x106 -s 20000 >>"$out" &&
		"$EMIT" -v 5 -p "$port" -d 0x107 -s 10:100 >>"$out" ||
		{ echo "FAIL nf_emit to port $port"; exit 1; }
}

# --- nfcapd + nfdump ---------------------------------------------------------------
P=$(pick_port)
mkdir -p "$RUN/nfcapd"
nfcapd -w "$RUN/nfcapd" -b 127.0.0.1 -p "$P" -t 3600 -I rfm >"$RUN/nfcapd.log" 2>&1 &
NFCAPD=$!
PIDS+=($NFCAPD)
wait_udp "$P"
emit_all "$P" nfdump 2>>"$RUN/emit.log"
sleep 0.5
kill "$NFCAPD"
wait "$NFCAPD" 2>/dev/null # SIGTERM: nfcapd writes and renames its file
nfdump -R "$RUN/nfcapd" -q -N \
	-o 'fmt:%ts %te %pr %sa %sp %da %dp %pkt %byt %in %out %sas %das %smk %dmk %eng' \
	>"$RUN/nfdump.txt" 2>"$RUN/nfdump.err" || echo "FAIL nfdump could not read $RUN/nfcapd"

# --- nfacctd -----------------------------------------------------------------------
P=$(pick_port)
cat >"$RUN/nfacctd.conf" <<EOF
daemonize: false
logfile: $RUN/nfacctd.log
nfacctd_ip: 127.0.0.1
nfacctd_port: $P
nfacctd_renormalize: true
nfacctd_as: netflow
nfacctd_net: netflow
plugins: print[out]
aggregate[out]: export_proto_version, export_proto_sysid, src_host, dst_host, src_port, dst_port, proto, timestamp_start, timestamp_end, in_iface, out_iface, src_as, dst_as, src_mask, dst_mask
print_output[out]: json
print_output_file[out]: $RUN/nfacctd.json
print_output_file_append[out]: true
print_refresh_time[out]: 1
EOF
nfacctd -f "$RUN/nfacctd.conf" >"$RUN/nfacctd.out" 2>&1 &
NFACCTD_PID=$!
wait_udp "$P"
emit_all "$P" nfacctd 2>>"$RUN/emit.log"
sleep 2.5 # more than print_refresh_time
kill -INT "$NFACCTD_PID"
for _ in $(seq 50); do kill -0 "$NFACCTD_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$NFACCTD_PID" 2>/dev/null; then
	echo "FAIL nfacctd $NFACCTD_PID did not exit on SIGINT"
	exit 1
fi
NFACCTD_PID=
touch "$RUN/nfacctd.json"

# --- tshark on lo ------------------------------------------------------------------
P=$(pick_port)
tshark -q -i lo -f "udp port $P" -w "$RUN/cflow.pcap" >"$RUN/tshark.log" 2>&1 &
TSHARK=$!
PIDS+=($TSHARK)
# a sink on the port, so that nothing answers with ICMP port unreachable
$PY -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(8)
try:
    while True: s.recv(65535)
except socket.timeout: pass' "$P" &
SINK=$!
PIDS+=($SINK)
wait_udp "$P"
for _ in $(seq 150); do grep -q 'Capture started' "$RUN/tshark.log" && break; sleep 0.1; done
sleep 1 # dumpcap really captures a little after it says so
emit_all "$P" tshark 2>>"$RUN/emit.log"
sleep 1
kill "$TSHARK"
wait "$TSHARK" 2>/dev/null
tshark -r "$RUN/cflow.pcap" -d "udp.port==$P,cflow" -Y cflow -T json >"$RUN/tshark.json" 2>"$RUN/tshark.err" ||
	echo "FAIL tshark could not decode $RUN/cflow.pcap"

# --- compare -----------------------------------------------------------------------
$PY "$HERE/netflow_check.py" "$RUN"
rc=$?
[ $rc = 0 ] && echo "PASS netflow: nfdump, nfacctd and tshark decoded what rfm encoded" ||
	echo "FAIL netflow: see the FAIL lines above (run with KEEP=1 to keep the scratch directory)"
exit $((rc != 0))
