#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# tc_mode.sh RFM TCX_QUERY TCX_COUNTER_OBJ - rfm --attach tc: the legacy
# clsact + direct-action filter path (the fallback for kernels before 6.6).
#
# While rfm runs on vb: `tc filter show` lists its bpf filters (handle
# 0x52464d "RFM", pref 0xc0de = 49374) on ingress and egress and nothing is
# attached through TCX; the counters are exact; a foreign bpf filter placed
# after rfm's (tcx_counter_bpf.o loaded by tc, pref 50000) still sees every
# packet, because rfm returns TC_ACT_UNSPEC (continue with the next filter).
# After rfm exits its filters are gone and the foreign filter is untouched.
# rfm leaves the clsact qdisc itself in place (other filters may use it).
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
tcx_query=${2:?usage: tc_mode.sh RFM TCX_QUERY TCX_COUNTER_OBJ}
counter_obj=${3:?usage: tc_mode.sh RFM TCX_QUERY TCX_COUNTER_OBJ}
[ -r "$counter_obj" ] || live_die "$counter_obj missing"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_a=$(live_mac "$A" va)
mac_b=$(live_mac "$B" vb)

filters() { tc -n "$B" filter show dev vb "$1"; }

# The foreign filter, after the place rfm's will take.
tc -n "$B" qdisc add dev vb clsact || live_skip "no clsact qdisc (sch_ingress) in this kernel"
tc -n "$B" filter add dev vb ingress pref 50000 handle 0x77 bpf obj "$counter_obj" sec tc da ||
	live_skip "tc cannot load a bpf filter (cls_bpf missing?)"
foreign_id=$(filters ingress | sed -n 's/.* id \([0-9]*\) name tcx_count .*/\1/p')
foreign_map=$(bpftool -j prog show id "$foreign_id" | jq -r '.map_ids[]' | while read -r m; do
	[ "$(bpftool -j map show id "$m" | jq -r .name)" = tcx_count_map ] && echo "$m"
done)
[ -n "$foreign_map" ] || live_die "cannot find the map of the foreign filter (prog $foreign_id)"
foreign_seen() {
	bpftool -j map lookup id "$foreign_map" key 0 0 0 0 | jq '[.formatted.values[].value] | add'
}

rfm_start rfm "$B" -i vb --attach tc -s 1 --print-events
expect_match "rfm says it attached via tc" '^rfm: attached vb \(ifindex [0-9]+\) ingress\+egress via tc' \
	"$(cat "$(rfm_err "$rfm")")"
expect_match "tc ingress filters list rfm_ingress" \
	'pref 49374 bpf .*handle 0x52464d rfm_ingress.* direct-action' "$(filters ingress)"
expect_match "tc egress filters list rfm_egress" \
	'pref 49374 bpf .*handle 0x52464d rfm_egress.* direct-action' "$(filters egress)"
expect_match "the foreign ingress filter is still there" 'pref 50000 bpf .*name tcx_count' \
	"$(filters ingress)"
if tcx=$(ip netns exec "$B" "$tcx_query" vb 2>/dev/null); then
	expect_eq "TCX programs on vb (tc mode uses none)" "" "$(xargs <<<"$tcx")"
fi

# Ingress 23 + 11 + 3 (skb->len 60, 72, 42); egress 13 + 5 (60, 96 with the tag).
ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" va "$mac_b" udp4:23 udp6:11 arp:3 \
	>/dev/null || live_die "frames.py in A"
ip netns exec "$B" "$LIVE_PY" "$LIVE_HERE/frames.py" vb "$mac_a" udp4:13 vlan:5 \
	>/dev/null || live_die "frames.py in B"
rfm_wait_counted "$rfm" $((23 + 11 + 3 + 13 + 5))
_foreign_ge() { [ "$(foreign_seen)" -ge "$1" ]; }
live_wait_for "the foreign filter to see 37 packets" 10 _foreign_ge 37
expect_eq "foreign filter after rfm's: packets seen" 37 "$(foreign_seen)"
rfm_stop "$rfm"
out=$(rfm_out "$rfm")
expect_eq "vb ingress ipv4 packets/bytes" "23 $((23 * 60))" \
	"$(live_counter "$out" vb ingress ipv4 packets) $(live_counter "$out" vb ingress ipv4 bytes)"
expect_eq "vb ingress ipv6 packets/bytes" "11 $((11 * 72))" \
	"$(live_counter "$out" vb ingress ipv6 packets) $(live_counter "$out" vb ingress ipv6 bytes)"
expect_eq "vb ingress other packets/bytes" "3 $((3 * 42))" \
	"$(live_counter "$out" vb ingress other packets) $(live_counter "$out" vb ingress other bytes)"
expect_eq "vb egress ipv4 packets/bytes" "18 $((13 * 60 + 5 * 96))" \
	"$(live_counter "$out" vb egress ipv4 packets) $(live_counter "$out" vb egress ipv4 bytes)"
expect_eq "vb egress ipv6 packets" 0 "$(live_counter "$out" vb egress ipv6 packets)"
expect_eq "vb egress other packets" 0 "$(live_counter "$out" vb egress other packets)"
expect_eq "events (IP packets)" $((23 + 11 + 13 + 5)) "$(live_events "$out")"
expect_eq "egress events with VLAN 100" 5 "$(live_events "$out" '.direction == "egress" and
	.vlan_id == 100 and .dst_port == 2002')"

# rfm is gone: none of its filters is left, the foreign one is.
expect_no_match "no rfm filter on ingress after exit" 'rfm_|0x52464d|pref 49374' "$(filters ingress)"
expect_no_match "no filter at all on egress after exit" 'bpf|filter' "$(filters egress)"
expect_match "the foreign filter survives rfm" 'pref 50000 bpf .*handle 0x77 .*name tcx_count' \
	"$(filters ingress)"
tc -n "$B" filter del dev vb ingress pref 50000 || live_die "removing the foreign filter"
expect_eq "no bpf filter left on ingress" "" "$(filters ingress)"

live_finish
