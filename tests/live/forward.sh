#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# forward.sh RFM - a router namespace: the FIB lookup at ingress (egress
# interface and next hop) and the ingress interface seen at egress.
#
#   H1 h1 ---- r1 R r2 ---- h2 H2        198.19.0.1/32 and 2001:db8:99::1/128
#   198.18.1.2/30  198.18.2.1/30  198.18.2.2/30     on H2's lo; R routes
#   2001:db8:1::2/64 .. ::1   2001:db8:2::1/64 .. ::2  198.19.0.0/24 and
#   198.18.1.1/30                                    2001:db8:99::/64 via H2
#
# rfm in R on r1 and r2, -s 1 --print-events, FIB lookup on (the default).
# Pings from H1 to a destination behind H2 and to H2 itself, IPv4 and IPv6:
# - echo requests at r1 ingress: other_ifindex = r2, next_hop = 198.18.2.2
#   (2001:db8:2::2), the gateway; for the directly connected H2, next_hop is
#   the destination itself;
# - the same requests at r2 egress: other_ifindex = r1 (where they came in);
# - the replies at r2 ingress: other_ifindex = r1, next_hop = H1 (connected);
#   at r1 egress: other_ifindex = r2.
# A ping to R's own r1 address is not forwarded: no next hop at r1 ingress,
# and the locally generated reply has other_ifindex 0 at r1 egress.
# Every count is exact: 5 echo requests and 5 replies per destination.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"

live_ns H1 h1
live_ns R r
live_ns H2 h2
for ns in "$H1" "$R" "$H2"; do
	# Addresses usable at once: no duplicate address detection delay.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 || live_die "sysctl accept_dad in $ns"
done
live_veth "$H1" h1 "$R" r1
live_veth "$R" r2 "$H2" h2
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
	live_die "forwarding on R"

run() { "$@" || live_die "$*"; }
run ip -n "$H1" addr add 198.18.1.2/30 dev h1
run ip -n "$H1" addr add 2001:db8:1::2/64 dev h1 nodad
run ip -n "$H1" route add default via 198.18.1.1
run ip -n "$H1" -6 route add default via 2001:db8:1::1
run ip -n "$R" addr add 198.18.1.1/30 dev r1
run ip -n "$R" addr add 2001:db8:1::1/64 dev r1 nodad
run ip -n "$R" addr add 198.18.2.1/30 dev r2
run ip -n "$R" addr add 2001:db8:2::1/64 dev r2 nodad
run ip -n "$R" route add 198.19.0.0/24 via 198.18.2.2
run ip -n "$R" -6 route add 2001:db8:99::/64 via 2001:db8:2::2
run ip -n "$H2" addr add 198.18.2.2/30 dev h2
run ip -n "$H2" addr add 2001:db8:2::2/64 dev h2 nodad
run ip -n "$H2" addr add 198.19.0.1/32 dev lo
run ip -n "$H2" addr add 2001:db8:99::1/128 dev lo
run ip -n "$H2" route add default via 198.18.2.1
run ip -n "$H2" -6 route add default via 2001:db8:2::1
no_tentative() {
	local ns
	for ns in "$H1" "$R" "$H2"; do
		[ -z "$(ip -n "$ns" -6 addr show tentative)" ] || return 1
	done
}
live_wait_for "IPv6 addresses to leave the tentative state" 10 no_tentative ||
	live_die "IPv6 addresses stay tentative"

r1=$(live_ifindex "$R" r1)
r2=$(live_ifindex "$R" r2)
rfm_start rfm "$R" -i r1 -i r2 -s 1 --print-events
out=$(rfm_out "$rfm")

# Destinations: "address gateway-from-R echo-request-type echo-reply-type".
cases=(
	"198.19.0.1 198.18.2.2 8 0"
	"198.18.2.2 198.18.2.2 8 0"
	"2001:db8:99::1 2001:db8:2::2 128 129"
	"2001:db8:2::2 2001:db8:2::2 128 129"
)
N=5
for c in "${cases[@]}"; do
	read -r dst _ req rep <<<"$c"
	ip netns exec "$H1" ping -q -c $N -i 0.05 -W 2 "$dst" >"$LIVE_WORK/ping" 2>&1
	expect_eq "ping H1 -> $dst exit status" 0 $?
	# Each reply passes r2 ingress and then r1 egress: wait for the last hook.
	live_wait_events "$out" ".ifindex == $r1 and .direction == \"egress\" and
		.src_addr == \"$dst\" and .icmp_type == $rep" $N
done
ip netns exec "$H1" ping -q -c $N -i 0.05 -W 2 198.18.1.1 >"$LIVE_WORK/ping" 2>&1
expect_eq "ping H1 -> R (198.18.1.1) exit status" 0 $?
live_wait_events "$out" ".ifindex == $r1 and .direction == \"egress\" and
	.src_addr == \"198.18.1.1\" and .icmp_type == 0" $N
rfm_stop "$rfm"

for c in "${cases[@]}"; do
	read -r dst gw req rep <<<"$c"
	[ "${dst#*:}" != "$dst" ] && h1addr=2001:db8:1::2 || h1addr=198.18.1.2
	at() { echo ".ifindex == $1 and .direction == \"$2\""; }
	request=".src_addr == \"$h1addr\" and .dst_addr == \"$dst\" and .icmp_type == $req"
	reply=".src_addr == \"$dst\" and .dst_addr == \"$h1addr\" and .icmp_type == $rep"
	expect_eq "$dst: echo requests at r1 ingress" $N \
		"$(live_events "$out" "$(at "$r1" ingress) and $request")"
	expect_eq "$dst: ... with other_ifindex r2 ($r2), next_hop $gw" $N \
		"$(live_events "$out" "$(at "$r1" ingress) and $request and
		.other_ifindex == $r2 and .next_hop == \"$gw\"")"
	expect_eq "$dst: echo requests at r2 egress with other_ifindex r1 ($r1)" $N \
		"$(live_events "$out" "$(at "$r2" egress) and $request and .other_ifindex == $r1 and
		.next_hop == null")"
	expect_eq "$dst: echo replies at r2 ingress with other_ifindex r1, next_hop $h1addr" $N \
		"$(live_events "$out" "$(at "$r2" ingress) and $reply and .other_ifindex == $r1 and
		.next_hop == \"$h1addr\"")"
	expect_eq "$dst: echo replies at r1 egress with other_ifindex r2" $N \
		"$(live_events "$out" "$(at "$r1" egress) and $reply and .other_ifindex == $r2")"
	expect_eq "$dst: echo requests and replies seen anywhere" $((4 * N)) \
		"$(live_events "$out" "($request) or ($reply)")"
done
expect_eq "198.18.1.1 (R itself): echo requests at r1 ingress, no next hop" $N \
	"$(live_events "$out" ".ifindex == $r1 and .direction == \"ingress\" and
	.dst_addr == \"198.18.1.1\" and .icmp_type == 8 and .next_hop == null and
	.other_ifindex == 0")"
expect_eq "198.18.1.1 (R itself): replies at r1 egress, locally generated" $N \
	"$(live_events "$out" ".ifindex == $r1 and .direction == \"egress\" and
	.src_addr == \"198.18.1.1\" and .icmp_type == 0 and .other_ifindex == 0")"
expect_eq "stats fib_error" 0 "$(live_stat "$out" fib_error)"

live_finish
