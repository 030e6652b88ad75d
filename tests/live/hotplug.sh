#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# hotplug.sh RFM TCX_QUERY - interfaces that appear, go away and are renamed
# while `rfm agent -i 'vh*'` runs.
#
# Namespace B, IPv6 disabled for every new device (no DAD, MLD or router
# solicitation: every packet is one the test wrote). rfm starts with no
# matching interface. Then, each veth pair with both ends in B:
#  1. vh0a - vh0b appears: both ends are attached within 1 s of `ip link
#     add` (a real deadline, polled every 20 ms); frames written on vh0a are
#     counted exactly at vh0a egress and vh0b ingress (rfm's live counters,
#     through its rfm_if_array map).
#  2. vh1a - vh1b appears, attached within 1 s as well.
#  3. vh0a is deleted (its peer with it): rfm logs that both are gone and
#     keeps running; vh1 still counts exactly.
#  4. vh1b is renamed xh1b, which no longer matches: detached (no TCX program
#     left on it, no counter slot); renamed back: attached again within 1 s,
#     counting from zero.
# Then: one "attached" line per appearance, one rfm program per TCX hook,
# rfm holds exactly the 4 TCX links of vh1a and vh1b, no warning or error on
# stderr, exit 0 on SIGTERM with the exact counters, nothing left attached.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
tcx_query=${2:?usage: hotplug.sh RFM TCX_QUERY}
live_need_tcx "$tcx_query"

live_ns B b
ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 || live_die "sysctl disable_ipv6 in B"

# tcx_on IF: the TCX programs on IF as "DIRECTION NAME ...", one line.
tcx_on() { ip netns exec "$B" "$tcx_query" "$1" | awk '{ print $1, $3 }' | xargs; }

# veth_add A B: create the pair in B; prints the Unix ms time before the
# command, the start of the 1 s attach deadline.
T_ADD=
veth_add() {
	T_ADD=$(live_now_ms)
	ip -n "$B" link add "$1" type veth peer name "$2" || live_die "veth $1 - $2"
}

_attached_both() {
	[ "$(rfm_log_count "$rfm" "^rfm: attached $1 \(")" -ge "$3" ] &&
		[ "$(rfm_log_count "$rfm" "^rfm: attached $2 \(")" -ge "$3" ]
}

# expect_attached_in_1s A B N: the Nth "attached" line of both A and B was
# logged less than 1 s after T_ADD.
expect_attached_in_1s() {
	local ok=yes
	live_wait_until "$1 and $2 attached" $((T_ADD + 1000)) _attached_both "$1" "$2" "$3" ||
		ok=no
	expect_eq "$1 and $2 attached within 1 s (took $(($(live_now_ms) - T_ADD)) ms or less)" \
		yes $ok
}

# up IF...: bring the interfaces up.
up() {
	local i
	for i in "$@"; do
		ip -n "$B" link set "$i" up || live_die "$i up"
	done
}

# send FROM TO COUNT PORT: COUNT UDP frames (payload 18: 60-byte frames,
# 46-byte IP packets) written on FROM to TO's address.
send() {
	live_send "$B" "$1" "$(live_mac "$B" "$2")" "$LIVE_WORK/sent" \
		"name=u,proto=udp,src=198.18.3.1,dst=198.18.3.2,sport=$4,dport=$4,count=$3,payload=18"
	expect_sent_flow "$LIVE_WORK/sent" u "$3" $(($3 * 46))
}

# expect_counted WHAT IFINDEX DIRECTION PACKETS: rfm's live counter, exactly
# (waiting for the last packets first), and bytes = 60 per packet.
expect_counted() {
	[ "$4" -gt 0 ] && rfm_wait_if_counted "$rfm" "$2" "$3" "$4"
	expect_eq "$1 packets" "$4" "$(rfm_if_counted "$rfm" "$2" "$3")"
	expect_eq "$1 bytes" $(($4 * 60)) "$(rfm_if_counted "$rfm" "$2" "$3" bytes)"
}

rfm_start rfm "$B" -i 'vh*' -s 1
expect_match "rfm waits for a matching interface" "no interface matches yet" \
	"$(cat "$(rfm_err "$rfm")")"

echo "== 1: vh0a - vh0b appears"
veth_add vh0a vh0b
expect_attached_in_1s vh0a vh0b 1
up vh0a vh0b
x0a=$(live_ifindex "$B" vh0a) x0b=$(live_ifindex "$B" vh0b)
expect_eq "IPv6 on the new veth (disabled: nothing but the test's frames)" 1 \
	"$(ip netns exec "$B" sysctl -n net.ipv6.conf.vh0a.disable_ipv6)"
K0=29
send vh0a vh0b $K0 1000
expect_counted "vh0a egress" "$x0a" egress $K0
expect_counted "vh0b ingress" "$x0b" ingress $K0
expect_counted "vh0a ingress" "$x0a" ingress 0
expect_counted "vh0b egress" "$x0b" egress 0

echo "== 2: vh1a - vh1b appears"
veth_add vh1a vh1b
expect_attached_in_1s vh1a vh1b 1
up vh1a vh1b
x1a=$(live_ifindex "$B" vh1a) x1b=$(live_ifindex "$B" vh1b)
K1=13
send vh1a vh1b $K1 1001
expect_counted "vh1b ingress" "$x1b" ingress $K1

echo "== 3: vh0a is deleted, and vh0b with it"
ip -n "$B" link del vh0a || live_die "link del vh0a"
rfm_wait_log "$rfm" "^rfm: vh0a \(ifindex $x0a\) is gone"
rfm_wait_log "$rfm" "^rfm: vh0b \(ifindex $x0b\) is gone"
expect_eq "rfm logs vh0a gone" 1 "$(rfm_log_count "$rfm" "^rfm: vh0a \(ifindex $x0a\) is gone")"
expect_eq "rfm logs vh0b gone" 1 "$(rfm_log_count "$rfm" "^rfm: vh0b \(ifindex $x0b\) is gone")"
expect_eq "rfm still running" yes "$(live_running "$rfm" && echo yes || echo no)"
expect_eq "no counter slot left for vh0a" -1 "$(rfm_if_counted "$rfm" "$x0a" egress)"
K2=17
send vh1a vh1b $K2 1002
expect_counted "vh1b ingress after the delete" "$x1b" ingress $((K1 + K2))
expect_counted "vh1a egress after the delete" "$x1a" egress $((K1 + K2))

echo "== 4: vh1b renamed xh1b (not matching), then back"
ip -n "$B" link set vh1b down || live_die "vh1b down"
ip -n "$B" link set vh1b name xh1b || live_die "rename vh1b xh1b"
rfm_wait_log "$rfm" "^rfm: detached vh1b \(ifindex $x1b\): no longer selected"
up xh1b
expect_eq "TCX programs on xh1b" "" "$(tcx_on xh1b)"
expect_eq "no counter slot for xh1b" -1 "$(rfm_if_counted "$rfm" "$x1b" ingress)"
K3=7
send vh1a xh1b $K3 1003
expect_counted "vh1a egress while the peer is not attached" "$x1a" egress $((K1 + K2 + K3))
ip -n "$B" link set xh1b down || live_die "xh1b down"
T_ADD=$(live_now_ms)
ip -n "$B" link set xh1b name vh1b || live_die "rename xh1b vh1b"
live_wait_until "vh1b attached again" $((T_ADD + 1000)) _log_ge "$rfm" "^rfm: attached vh1b \(" 2
expect_eq "vh1b attached again within 1 s" 2 "$(rfm_log_count "$rfm" "^rfm: attached vh1b \(")"
up vh1b
K4=11
send vh1a vh1b $K4 1004
expect_counted "vh1b ingress since it came back (a new slot)" "$x1b" ingress $K4
expect_counted "vh1a egress" "$x1a" egress $((K1 + K2 + K3 + K4))

echo "== 5: one attachment per appearance, one program per hook"
for i in vh0a vh0b vh1a; do
	expect_eq "\"attached $i\" lines" 1 "$(rfm_log_count "$rfm" "^rfm: attached $i \(")"
done
expect_eq "\"attached vh1b\" lines (before and after the rename)" 2 \
	"$(rfm_log_count "$rfm" "^rfm: attached vh1b \(")"
expect_eq "\"detached\" lines" 1 "$(rfm_log_count "$rfm" "^rfm: detached ")"
for i in vh1a vh1b; do
	expect_eq "TCX programs on $i" "ingress rfm_ingress egress rfm_egress" "$(tcx_on "$i")"
done
expect_eq "TCX links rfm holds (ifindex, attach type)" \
	"$(printf '%s\n' "$x1a 46" "$x1a 47" "$x1b 46" "$x1b 47" | sort | xargs)" \
	"$(live_tcx_fds "$rfm" | awk '$1 == "link" { print $4, $5 }' | sort | xargs)"

rfm_stop "$rfm"
out=$(rfm_out "$rfm")
err=$(cat "$(rfm_err "$rfm")")
expect_eq "vh1a egress ipv4 packets at exit" $((K1 + K2 + K3 + K4)) \
	"$(live_counter "$out" vh1a egress ipv4 packets)"
expect_eq "vh1b ingress ipv4 packets at exit" $K4 "$(live_counter "$out" vh1b ingress ipv4 packets)"
expect_eq "no counters at exit for vh0a" missing "$(live_counter "$out" vh0a egress ipv4 packets)"
expect_no_match "no warning or error on stderr" "^rfm: (warning|error)|libbpf" "$err"
for i in vh1a vh1b; do
	expect_eq "TCX programs on $i after exit" "" "$(tcx_on "$i")"
done

live_finish
