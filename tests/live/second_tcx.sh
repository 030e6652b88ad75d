#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# second_tcx.sh RFM TCX_COUNTER TCX_QUERY - rfm is an observer: a second TCX
# program attached after it on the same ingress hook still sees every packet.
#
# rfm attaches to vb's TCX ingress first, tcx_counter (tcx_counter.bpf.c,
# returns TCX_NEXT) is appended after it. If rfm returned a final verdict
# (TC_ACT_OK, ...) instead of TCX_NEXT, the counter would see nothing.
# Both must count exactly the K frames A sends, with the same bytes. Then rfm
# exits: the counter stays attached and keeps counting.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
tcx_counter=${2:?usage: second_tcx.sh RFM TCX_COUNTER TCX_QUERY}
tcx_query=${3:?usage: second_tcx.sh RFM TCX_COUNTER TCX_QUERY}
live_need_tcx "$tcx_query"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_b=$(live_mac "$B" vb)

# K = 29 + 5 + 7 frames; skb->len at ingress: 60, 42, and 96 - 4 (stripped tag).
K=41
K_BYTES=$((29 * 60 + 5 * 42 + 7 * 92))
M=17 # sent after rfm has gone
M_BYTES=$((M * 60))

rfm_start rfm "$B" -i vb -d ingress --attach tcx -s 1

ip netns exec "$B" "$tcx_counter" vb >"$LIVE_WORK/counter.out" 2>"$LIVE_WORK/counter.err" &
counter=$!
LIVE_PIDS+=("$counter")
LIVE_OUTFILE[$counter]="$LIVE_WORK/counter"
live_wait_for "tcx_counter to be ready" 10 grep -q '^ready' "$LIVE_WORK/counter.out" ||
	live_die "tcx_counter did not start: $(cat "$LIVE_WORK/counter.err")"
counter_map=$(live_map_id "$counter" tcx_count_map)
[ -n "$counter_map" ] || live_die "tcx_counter holds no tcx_count_map"
counter_seen() {
	bpftool -j map lookup id "$counter_map" key 0 0 0 0 | jq '[.formatted.values[].value] | add'
}
_counter_ge() { [ "$(counter_seen)" -ge "$1" ]; }

# The order the hook runs them in: rfm first, the counter after it.
expect_eq "TCX ingress programs on vb, in order" "rfm_ingress tcx_count" \
	"$(ip netns exec "$B" "$tcx_query" vb | awk '$1 == "ingress" { print $3 }' | xargs)"

ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" va "$mac_b" udp4:29 arp:5 vlan:7 \
	>/dev/null || live_die "frames.py"
rfm_wait_counted "$rfm" $K
live_wait_for "the counter to see $K packets" 10 _counter_ge $K
expect_eq "second TCX program packets while rfm ran" $K "$(counter_seen)"
rfm_stop "$rfm"
out=$(rfm_out "$rfm")
rfm_packets=0 rfm_bytes=0
for fam in ipv4 ipv6 other; do
	rfm_packets=$((rfm_packets + $(live_counter "$out" vb ingress $fam packets)))
	rfm_bytes=$((rfm_bytes + $(live_counter "$out" vb ingress $fam bytes)))
done
expect_eq "rfm vb ingress packets" $K $rfm_packets
expect_eq "rfm vb ingress bytes" $K_BYTES $rfm_bytes

# rfm is gone; the counter must still be there and still counting.
expect_eq "TCX ingress programs on vb after rfm exited" "tcx_count" \
	"$(ip netns exec "$B" "$tcx_query" vb | awk '$1 == "ingress" { print $3 }' | xargs)"
ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" va "$mac_b" udp4:$M >/dev/null ||
	live_die "frames.py"
live_wait_for "the counter to see $((K + M)) packets" 10 _counter_ge $((K + M))

live_stop "$counter" TERM
expect_eq "tcx_counter exit status" 0 "$LIVE_RC"
expect_eq "second TCX program: packets and bytes while rfm ran, then after" \
	"count $((K + M)) $((K_BYTES + M_BYTES))" "$(grep '^count' "$LIVE_WORK/counter.out")"
expect_eq "TCX ingress programs on vb at the end" "" \
	"$(ip netns exec "$B" "$tcx_query" vb | xargs)"

live_finish
