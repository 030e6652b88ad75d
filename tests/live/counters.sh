#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# counters.sh RFM - exact interface counters and sampled events on a veth.
#
# Namespaces A and B joined by veth va - vb, IPv6 disabled on both ends and
# no IPv4 address, so the kernel sends nothing by itself: every packet on the
# link is one this test wrote. rfm runs in B on vb with -s 1 --print-events.
#
# Phase 1, hand-built frames (frames.py, AF_PACKET):
#   A -> B (B ingress): IPv4 UDP, IPv6 UDP, ARP, 802.1Q VLAN 100 IPv4,
#                       QinQ (802.1ad 200 outside, 802.1Q 300 inside) IPv4
#   B -> A (B egress):  the same kinds in other numbers
# Phase 2, the real stack: IPv4 addresses and permanent neighbour entries
# (no ARP), 20 pings A -> B: 20 requests at B ingress, 20 replies at B egress.
#
# What skb->len is at the TC hooks (checked here, exactly):
# - Ingress: the whole frame as it arrived, Ethernet header included (the
#   kernel pulled it with eth_type_trans() but TC/TCX ingress pushes
#   mac_len back before running the program), minus 4 bytes for the outer
#   VLAN tag: __netif_receive_skb_core() strips an outer 802.1Q *or* 802.1ad
#   tag into skb->vlan_tci (skb_vlan_untag) before TC ingress, even without
#   the 8021q module. Inner tags stay in the frame. veth adds no padding to
#   60 bytes and no FCS, so a 42-byte ARP frame counts 42.
# - Egress of an AF_PACKET send: the frame exactly as written, tags in place
#   (nothing moves a tag into vlan_tci on that path). For the real stack,
#   Ethernet header + IP packet (a 56-byte ping: 14 + 20 + 8 + 56 = 98).
# The event's octets is the IP length (header + payload) in all cases.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_a=$(live_mac "$A" va)
mac_b=$(live_mac "$B" vb)

# Frame lengths as sent (frames.py's docstring gives the layout).
L_UDP4=60 L_UDP6=72 L_ARP=42 L_VLAN=96 L_QINQ=150
# IP lengths (what an event's octets counts).
O_UDP4=46 O_UDP6=58 O_VLAN=78 O_QINQ=128

# Distinct counts per kind, so a packet counted in the wrong family shows.
I_UDP4=37 I_UDP6=23 I_ARP=11 I_VLAN=13 I_QINQ=7 # A -> B, B ingress
E_UDP4=17 E_UDP6=19 E_ARP=5 E_VLAN=9 E_QINQ=3   # B -> A, B egress

# expect_sent FILE KIND COUNT LEN: frames.py reports what it sent.
expect_sent() {
	expect_eq "sent $2 (count, frame length)" "$3 $4" \
		"$(awk -v k="$2" '$1 == k { print $2, $3 }' "$1")"
}

echo "== phase 1: hand-built frames, rfm -s 1 on vb"
rfm_start rfm "$B" -i vb -s 1 --print-events
ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" va "$mac_b" arp:$I_ARP udp4:$I_UDP4 \
	udp6:$I_UDP6 vlan:$I_VLAN qinq:$I_QINQ >"$LIVE_WORK/sent-in" || live_die "frames.py in A"
ip netns exec "$B" "$LIVE_PY" "$LIVE_HERE/frames.py" vb "$mac_a" arp:$E_ARP udp4:$E_UDP4 \
	udp6:$E_UDP6 vlan:$E_VLAN qinq:$E_QINQ >"$LIVE_WORK/sent-out" || live_die "frames.py in B"
for f in sent-in sent-out; do
	[ $f = sent-in ] && c=(I_ARP I_UDP4 I_UDP6 I_VLAN I_QINQ) || c=(E_ARP E_UDP4 E_UDP6 E_VLAN E_QINQ)
	expect_sent "$LIVE_WORK/$f" arp "${!c[0]}" $L_ARP
	expect_sent "$LIVE_WORK/$f" udp4 "${!c[1]}" $L_UDP4
	expect_sent "$LIVE_WORK/$f" udp6 "${!c[2]}" $L_UDP6
	expect_sent "$LIVE_WORK/$f" vlan "${!c[3]}" $L_VLAN
	expect_sent "$LIVE_WORK/$f" qinq "${!c[4]}" $L_QINQ
done
total=$((I_UDP4 + I_UDP6 + I_ARP + I_VLAN + I_QINQ + E_UDP4 + E_UDP6 + E_ARP + E_VLAN + E_QINQ))
rfm_wait_counted "$rfm" $total
rfm_stop "$rfm"
out=$(rfm_out "$rfm")

# Ingress: the outer tag was stripped into vlan_tci, 4 bytes fewer each.
expect_eq "vb ingress ipv4 packets" $((I_UDP4 + I_VLAN + I_QINQ)) \
	"$(live_counter "$out" vb ingress ipv4 packets)"
expect_eq "vb ingress ipv4 bytes" \
	$((I_UDP4 * L_UDP4 + I_VLAN * (L_VLAN - 4) + I_QINQ * (L_QINQ - 4))) \
	"$(live_counter "$out" vb ingress ipv4 bytes)"
expect_eq "vb ingress ipv6 packets" $I_UDP6 "$(live_counter "$out" vb ingress ipv6 packets)"
expect_eq "vb ingress ipv6 bytes" $((I_UDP6 * L_UDP6)) \
	"$(live_counter "$out" vb ingress ipv6 bytes)"
expect_eq "vb ingress other packets" $I_ARP "$(live_counter "$out" vb ingress other packets)"
expect_eq "vb ingress other bytes" $((I_ARP * L_ARP)) \
	"$(live_counter "$out" vb ingress other bytes)"

# Egress: the frames as written, tags in the frame.
expect_eq "vb egress ipv4 packets" $((E_UDP4 + E_VLAN + E_QINQ)) \
	"$(live_counter "$out" vb egress ipv4 packets)"
expect_eq "vb egress ipv4 bytes" $((E_UDP4 * L_UDP4 + E_VLAN * L_VLAN + E_QINQ * L_QINQ)) \
	"$(live_counter "$out" vb egress ipv4 bytes)"
expect_eq "vb egress ipv6 packets" $E_UDP6 "$(live_counter "$out" vb egress ipv6 packets)"
expect_eq "vb egress ipv6 bytes" $((E_UDP6 * L_UDP6)) \
	"$(live_counter "$out" vb egress ipv6 bytes)"
expect_eq "vb egress other packets" $E_ARP "$(live_counter "$out" vb egress other packets)"
expect_eq "vb egress other bytes" $((E_ARP * L_ARP)) "$(live_counter "$out" vb egress other bytes)"

# Events: one per IP packet at sampling 1, none for ARP.
expect_eq "ingress events" $((I_UDP4 + I_UDP6 + I_VLAN + I_QINQ)) \
	"$(live_events "$out" '.direction == "ingress"')"
expect_eq "egress events" $((E_UDP4 + E_UDP6 + E_VLAN + E_QINQ)) \
	"$(live_events "$out" '.direction == "egress"')"
for dir in ingress egress; do
	[ $dir = ingress ] && p=I || p=E
	n_udp4=${p}_UDP4 n_udp6=${p}_UDP6 n_vlan=${p}_VLAN n_qinq=${p}_QINQ
	d=".direction == \"$dir\""
	v4='.ip_version == 4 and .protocol == 17 and .src_addr == "198.18.0.1" and .dst_addr == "198.18.0.2"'
	expect_eq "$dir events IPv4 UDP untagged" "${!n_udp4}" "$(live_events "$out" "$d and $v4 and
		.src_port == 1000 and .dst_port == 2000 and .octets == $O_UDP4 and .packets == 1 and
		.vlan_id == null and .vlan_inner == null")"
	expect_eq "$dir events IPv6 UDP" "${!n_udp6}" "$(live_events "$out" "$d and .ip_version == 6
		and .protocol == 17 and .src_addr == \"2001:db8::1\" and .dst_addr == \"2001:db8::2\" and
		.src_port == 1001 and .dst_port == 2001 and .octets == $O_UDP6 and .vlan_id == null")"
	expect_eq "$dir events VLAN 100" "${!n_vlan}" "$(live_events "$out" "$d and $v4 and
		.src_port == 1002 and .dst_port == 2002 and .octets == $O_VLAN and .vlan_id == 100 and
		.vlan_inner == null")"
	expect_eq "$dir events QinQ 200/300" "${!n_qinq}" "$(live_events "$out" "$d and $v4 and
		.src_port == 1003 and .dst_port == 2003 and .octets == $O_QINQ and .vlan_id == 200 and
		.vlan_inner == 300")"
done
expect_eq "stats not_ip (ARP sampled, no event)" $((I_ARP + E_ARP)) "$(live_stat "$out" not_ip)"
expect_eq "stats events = events_drained" "$(live_stat "$out" events)" \
	"$(live_stat "$out" events_drained)"
for s in ringbuf_full truncated bad_header unknown_if slot_invalid; do
	expect_eq "stats $s" 0 "$(live_stat "$out" $s)"
done

echo "== phase 2: the real stack, 20 pings A -> B"
ip -n "$A" addr add 198.18.0.1/30 dev va || live_die "address on va"
ip -n "$B" addr add 198.18.0.2/30 dev vb || live_die "address on vb"
ip -n "$A" neigh replace 198.18.0.2 lladdr "$mac_b" dev va nud permanent || live_die "neigh A"
ip -n "$B" neigh replace 198.18.0.1 lladdr "$mac_a" dev vb nud permanent || live_die "neigh B"
rfm_start rfm "$B" -i vb -s 1 --print-events
ip netns exec "$A" ping -q -c 20 -i 0.01 -W 2 198.18.0.2 >"$LIVE_WORK/ping" 2>&1
expect_eq "ping A -> B exit status (20 replies)" 0 $?
rfm_wait_counted "$rfm" 40
rfm_stop "$rfm"
out=$(rfm_out "$rfm")
# ping's default 56 data bytes: ICMP 64, IP 84, frame 98.
expect_eq "vb ingress ipv4 packets (echo requests)" 20 "$(live_counter "$out" vb ingress ipv4 packets)"
expect_eq "vb ingress ipv4 bytes" $((20 * 98)) "$(live_counter "$out" vb ingress ipv4 bytes)"
expect_eq "vb egress ipv4 packets (echo replies)" 20 "$(live_counter "$out" vb egress ipv4 packets)"
expect_eq "vb egress ipv4 bytes" $((20 * 98)) "$(live_counter "$out" vb egress ipv4 bytes)"
for dir in ingress egress; do
	for fam in ipv6 other; do
		expect_eq "vb $dir $fam packets (no ARP, no IPv6)" 0 \
			"$(live_counter "$out" vb $dir $fam packets)"
	done
done
expect_eq "ingress echo request events" 20 "$(live_events "$out" '.direction == "ingress" and
	.protocol == 1 and .icmp_type == 8 and .icmp_code == 0 and .src_addr == "198.18.0.1" and
	.dst_addr == "198.18.0.2" and .octets == 84')"
expect_eq "egress echo reply events (locally generated: other_ifindex 0)" 20 \
	"$(live_events "$out" '.direction == "egress" and .protocol == 1 and .icmp_type == 0 and
	.src_addr == "198.18.0.2" and .dst_addr == "198.18.0.1" and .octets == 84 and
	.other_ifindex == 0')"
expect_eq "events in all" 40 "$(live_events "$out")"

live_finish
