#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# flush_drain.sh RFM - when rfm ends the flows of an interface (it went away,
# it no longer matches, its sampling rate changed), the packets already
# sampled on it, still in the ring buffer, belong to the records it ends.
#
# rfm drains the ring on a timer; drain_interval = 1 s here makes the window
# between a packet being sampled and being drained wide enough to hit on
# purpose. Each step waits for a drain (a "tick" packet on vb, port 999,
# whose event --print-events shows when it is drained), then at once sends
# its flow from prebuilt frames (traffic.py --replay starts in milliseconds),
# waits for rfm's exact counter to see it and acts. It checks that the
# flow's events were indeed not drained yet, and tries again with a new flow
# if they were (a slow machine). Sampling 1, idle_timeout 30 s: nothing ends
# by itself.
#  1. vh<N>a - vh<N>b (in B) is deleted: the records of vh<N>a egress and
#     vh<N>b ingress come out (reason 4, 30 packets each) within 3 s, with
#     sampling 1.
#  2. vh<N>b is renamed xh<N>b, no longer matching: its ingress record comes
#     out the same way (20 packets); vh<N>a's flow stays open.
#  3. vb's sampling changes 1 -> 1000 (SIGHUP): the record of a flow sent
#     before, 50 packets, comes out at sampling 1; no record at 1:1000 ever
#     holds those packets (a record never mixes rates).
# At SIGTERM, nothing more than expected comes out: no record made of
# leftover events after the interface was ended.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"

live_ns A a
live_ns B b
ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 || live_die "sysctl disable_ipv6 in B"
live_veth "$A" va "$B" vb noipv6
mac_b=$(live_mac "$B" vb)
xb=$(live_ifindex "$B" vb)
L=46 # IP length of every packet: 20 + 8 + 18

conf="$LIVE_WORK/rfm.conf"
write_conf() {
	live_config "$conf" <<-EOF
		datapath = {
			interfaces = [ "vb", "vh*" ];
			sampling = 1;
			drain_interval = 1;
			overrides = ( { match = "vb"; sampling = $1; } );
		};
		flows = {
			idle_timeout = 30;
			active_timeout = 60;
		};
	EOF
}
write_conf 1
flows="$LIVE_WORK/flows.jsonl"
rfm_start rfm "$B" -c "$conf" --print json -o "$flows" --print-events
out=$(rfm_out "$rfm")

# build PEER_MAC PORT COUNT: frames of flow 198.18.7.2:PORT -> 198.18.7.1:PORT
# to PEER_MAC, in $LIVE_WORK/flow.PORT.
build() {
	live_save "$LIVE_WORK/flow.$2" "$1" \
		"name=f,proto=udp,src=198.18.7.2,dst=198.18.7.1,sport=$2,dport=$2,count=$3,payload=18"
}
# send NS IF PORT: send the frames built for PORT on IF.
send() { live_replay "$1" "$2" "$LIVE_WORK/flow.$3" "$LIVE_WORK/sent.$3"; }
undrained() { [ "$(live_events "$out" ".src_port == $1")" -eq 0 ]; }

# after_drain: return just after rfm drained its ring buffer.
build "$mac_b" 999 1
ticks=0
_ticked() { [ "$(live_events "$out" '.src_port == 999')" -ge "$ticks" ]; }
after_drain() {
	ticks=$((ticks + 1))
	send "$A" va 999
	live_wait_for "rfm to drain tick $ticks" 5 _ticked || live_die "rfm does not drain"
}
expected=0 # records expected at the end

# expect_ended WHAT JQ_CONDITION PACKETS: one record, within 3 s, at 1:1, reason 4.
expect_ended() {
	live_wait_flows "$flows" "$2" 1 3
	expect_eq "$1: records (packets octets sampling end_reason)" "$3 $(($3 * L)) 1 4" \
		"$(live_flow "$flows" "$2" |
			jq -r '"\(.packets) \(.octets) \(.sampling) \(.end_reason)"' | xargs)"
	expected=$((expected + 1))
}

# expect_window HIT: say whether the events were still in the ring.
expect_window() {
	if [ "$1" = yes ]; then
		echo "     (the events were still in the ring buffer at that moment)"
	else
		echo "     (note: every try was drained first; the check above proves less)"
	fi
}

echo "== 1: an interface is deleted"
hit=no
for n in 1 2 3; do
	ip -n "$B" link add "vh${n}a" type veth peer name "vh${n}b" || live_die "veth vh$n"
	rfm_wait_log "$rfm" "^rfm: attached vh${n}b \("
	rfm_wait_log "$rfm" "^rfm: attached vh${n}a \("
	ip -n "$B" link set "vh${n}a" up || live_die "up vh${n}a"
	ip -n "$B" link set "vh${n}b" up || live_die "up vh${n}b"
	xa=$(live_ifindex "$B" "vh${n}a") xbb=$(live_ifindex "$B" "vh${n}b")
	build "$(live_mac "$B" "vh${n}b")" $((1000 + n)) 30
	after_drain
	send "$B" "vh${n}a" $((1000 + n))
	rfm_wait_if_counted "$rfm" "$xbb" ingress 30
	undrained $((1000 + n)) && hit=yes
	ip -n "$B" link del "vh${n}a" || live_die "link del vh${n}a"
	rfm_wait_log "$rfm" "^rfm: vh${n}b \(ifindex $xbb\) is gone"
	expect_ended "vh${n}a egress, deleted" ".ifindex == $xa and .direction == \"egress\"" 30
	expect_ended "vh${n}b ingress, deleted" ".ifindex == $xbb and .direction == \"ingress\"" 30
	[ $hit = yes ] && break
done
expect_window $hit

echo "== 2: an interface is renamed out of the selection"
hit=no
for n in 4 5 6; do
	ip -n "$B" link add "vh${n}a" type veth peer name "vh${n}b" || live_die "veth vh$n"
	rfm_wait_log "$rfm" "^rfm: attached vh${n}b \("
	rfm_wait_log "$rfm" "^rfm: attached vh${n}a \("
	ip -n "$B" link set "vh${n}a" up || live_die "up vh${n}a"
	ip -n "$B" link set "vh${n}b" up || live_die "up vh${n}b"
	xbb=$(live_ifindex "$B" "vh${n}b")
	build "$(live_mac "$B" "vh${n}b")" $((1000 + n)) 20
	after_drain
	send "$B" "vh${n}a" $((1000 + n))
	rfm_wait_if_counted "$rfm" "$xbb" ingress 20
	undrained $((1000 + n)) && hit=yes
	ip -n "$B" link set "vh${n}b" down || live_die "vh${n}b down"
	ip -n "$B" link set "vh${n}b" name "xh${n}b" || live_die "rename vh${n}b"
	rfm_wait_log "$rfm" "^rfm: detached vh${n}b \(ifindex $xbb\)"
	expect_ended "vh${n}b ingress, renamed" ".ifindex == $xbb and .direction == \"ingress\"" 20
	expected=$((expected + 1)) # vh<N>a egress: open until SIGTERM
	[ $hit = yes ] && break
done
expect_window $hit

echo "== 3: vb's sampling changes 1 -> 1000"
hit=no
write_conf 1000 # read at SIGHUP only
for n in 1 2 3; do
	build "$mac_b" $((5000 + n)) 50
	after_drain
	send "$A" va $((5000 + n))
	rfm_wait_if_counted "$rfm" "$xb" ingress $((ticks + 50 * n))
	undrained $((5000 + n)) && hit=yes && break
done
kill -HUP "$rfm"
rfm_wait_log "$rfm" "^rfm: vb: sampling now 1:1000"
for ((i = 1; i <= n; i++)); do
	expect_ended "vb flow $i, open at the change" ".ifindex == $xb and .src_port == $((5000 + i))" 50
done
expect_window $hit

expect_ended "vb ticks, open at the change" ".ifindex == $xb and .src_port == 999" $ticks

rfm_stop "$rfm"
expect_eq "records at 1:1000 (no packet was sent after the change)" 0 \
	"$(live_flows "$flows" '.sampling == 1000')"
expect_eq "records in all after SIGTERM" $expected "$(live_flows "$flows")"
expect_eq "events drained = packets in the records" "$(live_stat "$out" events_drained)" \
	"$(jq -R -s '[split("\n")[] | fromjson? | .packets] | add' "$flows")"

live_finish
