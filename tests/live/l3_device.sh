#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# l3_device.sh RFM - a device without a link-layer header (tun, the same
# path as WireGuard, GRE, PPP): rfm sees ARPHRD_NONE, sets RFM_IF_L3 and
# parses the packet from its first byte.
#
# Namespace T with tun rt0 (198.18.5.1/24, IPv6 disabled so the kernel sends
# nothing of its own, forwarding off so the injected packets, addressed to
# 198.18.5.9, are dropped without an ICMP error). tun_inject.py writes raw
# IPv4 and IPv6 UDP packets into rt0 (IFF_TUN | IFF_NO_PI): they pass TC
# ingress as bare IP packets, skb->len = the IP length. While rt0 is still
# open, 5 pings to 198.18.5.2 leave through rt0: TC egress, again bare IP
# (84 bytes each); nothing answers them.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
[ -c /dev/net/tun ] || live_skip "no /dev/net/tun"

live_ns T t
ip -n "$T" tuntap add dev rt0 mode tun 2>/dev/null || live_skip "cannot create a tun device"
ip netns exec "$T" sysctl -qw net.ipv6.conf.rt0.disable_ipv6=1 net.ipv4.ip_forward=0 ||
	live_die "sysctl"
ip -n "$T" addr add 198.18.5.1/24 dev rt0 || live_die "address on rt0"
ip -n "$T" link set rt0 up || live_die "rt0 up"
expect_eq "rt0 link type" none "$(ip -n "$T" -j link show dev rt0 | jq -r '.[0].link_type')"

N4=31 N6=17 NP=5
L4=60 L6=64 LP=84 # IP lengths: 20+8+32, 40+8+16, 20+8+56
rfm_start rfm "$T" -i rt0 -s 1 --print-events
ip netns exec "$T" "$LIVE_PY" "$LIVE_HERE/tun_inject.py" rt0 udp4:$N4 udp6:$N6 -- \
	ping -q -c $NP -i 0.05 -W 1 198.18.5.2 >"$LIVE_WORK/inject" 2>&1
expect_eq "ping through rt0 exit status (1: no replies)" 1 $?
expect_eq "tun_inject.py wrote" "udp4 $N4 $L4 udp6 $N6 $L6" \
	"$(grep -E '^udp[46] ' "$LIVE_WORK/inject" | xargs)"
rfm_wait_counted "$rfm" $((N4 + N6 + NP))
rfm_stop "$rfm"
out=$(rfm_out "$rfm")

ifindex=$(live_ifindex "$T" rt0)
c() { echo "$(live_counter "$out" rt0 "$1" "$2" packets) $(live_counter "$out" rt0 "$1" "$2" bytes)"; }
expect_eq "rt0 ingress ipv4 packets bytes" "$N4 $((N4 * L4))" "$(c ingress ipv4)"
expect_eq "rt0 ingress ipv6 packets bytes" "$N6 $((N6 * L6))" "$(c ingress ipv6)"
expect_eq "rt0 ingress other packets bytes" "0 0" "$(c ingress other)"
expect_eq "rt0 egress ipv4 packets bytes" "$NP $((NP * LP))" "$(c egress ipv4)"
expect_eq "rt0 egress ipv6 packets bytes" "0 0" "$(c egress ipv6)"
expect_eq "rt0 egress other packets bytes" "0 0" "$(c egress other)"

expect_eq "ingress IPv4 UDP events" $N4 "$(live_events "$out" ".ifindex == $ifindex and
	.direction == \"ingress\" and .ip_version == 4 and .protocol == 17 and
	.src_addr == \"198.18.5.2\" and .dst_addr == \"198.18.5.9\" and .src_port == 4000 and
	.dst_port == 5000 and .octets == $L4 and .vlan_id == null")"
expect_eq "ingress IPv6 UDP events" $N6 "$(live_events "$out" ".ifindex == $ifindex and
	.direction == \"ingress\" and .ip_version == 6 and .protocol == 17 and
	.src_addr == \"2001:db8:5::2\" and .dst_addr == \"2001:db8:5::9\" and .src_port == 4001 and
	.dst_port == 5001 and .octets == $L6")"
expect_eq "egress ICMP echo request events" $NP "$(live_events "$out" ".ifindex == $ifindex and
	.direction == \"egress\" and .ip_version == 4 and .protocol == 1 and .icmp_type == 8 and
	.src_addr == \"198.18.5.1\" and .dst_addr == \"198.18.5.2\" and .octets == $LP")"
expect_eq "events in all" $((N4 + N6 + NP)) "$(live_events "$out")"
for s in not_ip truncated bad_header; do
	expect_eq "stats $s" 0 "$(live_stat "$out" $s)"
done

live_finish
