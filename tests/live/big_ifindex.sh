#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# big_ifindex.sh RFM - an interface with ifindex >= 4096 takes the hash-map
# path of the classifier (rfm_if_config), the array (rfm_if_array) covering
# only ifindex < 4096 (RFM_IF_ARRAY_MAX).
#
# Namespaces A and B: veth vbig (ifindex 5000, in B) - vpeer (5001, in A),
# and veth va - vb (small ifindexes) alongside, so one rfm serves both paths.
# IPv6 disabled and no addresses: every packet is one frames.py wrote.
# rfm in B, -i vbig -i vb -s 1 --print-events. The configuration of vbig is
# in the hash (both directions, a counter slot each) and not in the array;
# vb's is in the array. Frames of each family both ways on vbig, a few on
# vb: exact counters per direction and family (packets and bytes), one event
# per IP packet with the right ifindex, no packet on an unknown interface.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"

live_ns A a
live_ns B b
ip -n "$B" link add name vbig index 5000 type veth peer name vpeer index 5001 netns "$A" ||
	live_skip "cannot create a veth with a chosen ifindex (ip link add ... index)"
ip netns exec "$B" sysctl -qw net.ipv6.conf.vbig.disable_ipv6=1 || live_die "sysctl vbig"
ip netns exec "$A" sysctl -qw net.ipv6.conf.vpeer.disable_ipv6=1 || live_die "sysctl vpeer"
ip -n "$B" link set vbig up || live_die "vbig up"
ip -n "$A" link set vpeer up || live_die "vpeer up"
live_veth "$A" va "$B" vb noipv6
expect_eq "ifindex of vbig" 5000 "$(live_ifindex "$B" vbig)"
expect_eq "ifindex of vpeer" 5001 "$(live_ifindex "$A" vpeer)"
xb=$(live_ifindex "$B" vb)
mac_big=$(live_mac "$B" vbig)
mac_peer=$(live_mac "$A" vpeer)
mac_b=$(live_mac "$B" vb)

# Frame lengths (frames.py): udp4 60, udp6 72, arp 42; IP lengths 46 and 58.
I4=19 I6=11 IA=5 # vpeer -> vbig, vbig ingress
E4=7 E6=13 EA=3  # vbig -> vpeer, vbig egress
S4=9             # va -> vb, vb ingress

rfm_start rfm "$B" -i vbig -i vb -s 1 --print-events

echo "== where the classifier finds each interface's configuration"
hash_id=$(live_map_id "$rfm" rfm_if_config)
expect_eq "rfm_if_config (hash) keys: vbig ingress and egress" "5000 0 5000 1" \
	"$(bpftool -j map dump id "$hash_id" |
		jq -r '[.[].formatted.key | "\(.ifindex) \(.direction)"] | sort | join(" ")')"
for d in ingress egress; do
	s=$(rfm_if_slot "$rfm" 5000 $d)
	expect_eq "vbig $d has a counter slot (hash entry)" yes "$([ "$s" -gt 0 ] && echo yes || echo no)"
	s=$(rfm_if_slot "$rfm" "$xb" $d)
	expect_eq "vb $d has a counter slot (array entry)" yes "$([ "$s" -gt 0 ] && echo yes || echo no)"
done
expect_eq "the slots are distinct" 4 "$(for x in 5000 "$xb"; do
	for d in ingress egress; do rfm_if_slot "$rfm" "$x" $d; done
done | sort -u | wc -l)"

echo "== traffic"
ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" vpeer "$mac_big" udp4:$I4 udp6:$I6 arp:$IA \
	>"$LIVE_WORK/sent-in" || live_die "frames.py on vpeer"
ip netns exec "$B" "$LIVE_PY" "$LIVE_HERE/frames.py" vbig "$mac_peer" udp4:$E4 udp6:$E6 arp:$EA \
	>"$LIVE_WORK/sent-out" || live_die "frames.py on vbig"
ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" va "$mac_b" udp4:$S4 \
	>"$LIVE_WORK/sent-small" || live_die "frames.py on va"
expect_eq "sent on vpeer" "udp4 $I4 60 udp6 $I6 72 arp $IA 42" "$(xargs <"$LIVE_WORK/sent-in")"
expect_eq "sent on vbig" "udp4 $E4 60 udp6 $E6 72 arp $EA 42" "$(xargs <"$LIVE_WORK/sent-out")"
total=$((I4 + I6 + IA + E4 + E6 + EA + S4))
rfm_wait_counted "$rfm" $total
expect_eq "vbig ingress live counter (hash path)" $((I4 + I6 + IA)) \
	"$(rfm_if_counted "$rfm" 5000 ingress)"
expect_eq "vbig egress live counter (hash path)" $((E4 + E6 + EA)) \
	"$(rfm_if_counted "$rfm" 5000 egress)"
rfm_stop "$rfm"
out=$(rfm_out "$rfm")

for f in "ingress ipv4 $I4 60" "ingress ipv6 $I6 72" "ingress other $IA 42" \
	"egress ipv4 $E4 60" "egress ipv6 $E6 72" "egress other $EA 42"; do
	read -r d fam n len <<<"$f"
	expect_eq "vbig $d $fam packets bytes" "$n $((n * len))" \
		"$(live_counter "$out" vbig "$d" "$fam" packets) $(live_counter "$out" vbig "$d" "$fam" bytes)"
done
expect_eq "vbig counter lines carry ifindex 5000" 6 \
	"$(jq -R -c 'fromjson? | select(.type == "counter" and .ifname == "vbig" and .ifindex == 5000)' \
		"$out" | wc -l)"
expect_eq "vb ingress ipv4 packets (array path)" $S4 "$(live_counter "$out" vb ingress ipv4 packets)"
for d in ingress egress; do
	[ $d = ingress ] && n4=$I4 n6=$I6 || n4=$E4 n6=$E6
	expect_eq "vbig $d IPv4 UDP events" "$n4" "$(live_events "$out" ".ifindex == 5000 and
		.direction == \"$d\" and .ip_version == 4 and .protocol == 17 and .octets == 46")"
	expect_eq "vbig $d IPv6 UDP events" "$n6" "$(live_events "$out" ".ifindex == 5000 and
		.direction == \"$d\" and .ip_version == 6 and .protocol == 17 and .octets == 58")"
done
expect_eq "vb events" $S4 "$(live_events "$out" ".ifindex == $xb")"
expect_eq "events in all" $((I4 + I6 + E4 + E6 + S4)) "$(live_events "$out")"
expect_eq "stats not_ip (ARP)" $((IA + EA)) "$(live_stat "$out" not_ip)"
for s in unknown_if slot_invalid ringbuf_full; do
	expect_eq "stats $s" 0 "$(live_stat "$out" $s)"
done

live_finish
