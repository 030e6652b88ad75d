#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# term_flush.sh RFM TCX_QUERY - flows still open at SIGTERM come out, each
# with end reason 4 (forced end) and its exact counts, and rfm exits 0
# with nothing left attached.
#
# Namespaces A and B joined by veth va - vb (IPv6 disabled, no addresses:
# every packet is one traffic.py wrote). rfm in B on vb from a config file:
# sampling 1, idle_timeout 60 s, active_timeout 120 s, tcp_end_grace 60 s
# (a TCP flow that saw its FIN is still open too), and drain_interval 1 s,
# so the last events are likely still in the ring buffer at SIGTERM: the
# shutdown must drain the ring before it ends the flows.
# Seven flows, ingress and egress, IPv4 and IPv6, UDP, TCP and ICMP, with
# distinct packet counts; SIGTERM as soon as rfm's exact counters have seen
# every packet. Each flow: one record, end reason 4, packets and octets exact.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
tcx_query=${2:?usage: term_flush.sh RFM TCX_QUERY}
live_need_tcx "$tcx_query"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_a=$(live_mac "$A" va)
mac_b=$(live_mac "$B" vb)
ifx=$(live_ifindex "$B" vb)

conf="$LIVE_WORK/rfm.conf"
live_config "$conf" <<-EOF
	datapath = {
		interfaces = [ "vb" ];
		sampling = 1;
		drain_interval = 1;
	};
	flows = {
		idle_timeout = 60;
		active_timeout = 120;
		tcp_end_grace = 60;
	};
EOF
flows="$LIVE_WORK/flows.jsonl"
rfm_start rfm "$B" -c "$conf" --print json -o "$flows" --print-events
live_tcx_fds "$rfm" | awk '$1 == "link" { print "link", $2; print "prog", $3 }' |
	sort -u >"$LIVE_WORK/ids"
expect_eq "TCX links of rfm" 2 "$(grep -c '^link' "$LIVE_WORK/ids")"

src=198.18.4.2 dst=198.18.4.1
# name count payload: IP octets = count * (headers + payload).
live_send "$A" va "$mac_b" "$LIVE_WORK/sent-in" \
	"name=u0,proto=udp,src=$src,dst=$dst,sport=5000,dport=6000,count=7,payload=10" \
	"name=u1,proto=udp,src=$src,dst=$dst,sport=5001,dport=6000,count=11,payload=20" \
	"name=u2,proto=udp,src=$src,dst=$dst,sport=5002,dport=6000,count=13,payload=30" \
	"name=t,proto=tcp,src=$src,dst=$dst,sport=40000,dport=443,count=9,payload=40" \
	"name=tf,proto=tcp,src=$src,dst=$dst,sport=40001,dport=443,count=6,payload=0,tcp=syn-data-fin" \
	"name=e,proto=icmp,src=$src,dst=$dst,count=5,payload=56" \
	"name=u6,proto=udp,src=2001:db8:4::2,dst=2001:db8:4::1,sport=5003,dport=6003,count=19,payload=8"
live_send "$B" vb "$mac_a" "$LIVE_WORK/sent-out" \
	"name=ue,proto=udp,src=$dst,dst=$src,sport=7000,dport=8000,count=23,payload=4"
# "name packets octets JQ_CONDITION" per flow.
in4=".direction == \"ingress\" and .ip_version == 4"
plan=(
	"u0 7 $((7 * 38)) $in4 and .src_port == 5000"
	"u1 11 $((11 * 48)) $in4 and .src_port == 5001"
	"u2 13 $((13 * 58)) $in4 and .src_port == 5002"
	"t 9 $((9 * 80)) $in4 and .src_port == 40000 and .tcp_flags == 24"
	"tf 6 $((6 * 40)) $in4 and .src_port == 40001 and .tcp_flags == 27"
	"e 5 $((5 * 84)) $in4 and .protocol == 1 and .icmp_type == 8"
	"u6 19 $((19 * 56)) .direction == \"ingress\" and .ip_version == 6 and .dst_port == 6003"
	"ue 23 $((23 * 32)) .direction == \"egress\" and .src_port == 7000 and .dst_port == 8000"
)
total=0
for p in "${plan[@]}"; do
	read -r name n o _ <<<"$p"
	[ "$name" = ue ] && f=sent-out || f=sent-in
	expect_sent_flow "$LIVE_WORK/$f" "$name" "$n" "$o"
	total=$((total + n))
done

rfm_wait_counted "$rfm" $total
before=$(live_flows "$flows")
drained=$(live_events "$(rfm_out "$rfm")")
rfm_stop "$rfm"
expect_eq "flow records before SIGTERM" 0 "$before"
echo "     (events drained before SIGTERM: $drained of $total; the rest by the shutdown)"
out=$(rfm_out "$rfm")

expect_eq "flow records after SIGTERM" ${#plan[@]} "$(live_flows "$flows")"
expect_eq "records with end_reason 4" ${#plan[@]} "$(live_flows "$flows" '.end_reason == 4')"
for p in "${plan[@]}"; do
	read -r name n o cond <<<"$p"
	rec=$(live_flow "$flows" ".ifindex == $ifx and $cond")
	expect_eq "$name: records" 1 "$(grep -c . <<<"$rec")"
	expect_eq "$name: packets octets end_reason sampling" "$n $o 4 1" \
		"$(jq -r '"\(.packets) \(.octets) \(.end_reason) \(.sampling)"' <<<"$rec" | head -n 1)"
done
expect_eq "stats flows_created" ${#plan[@]} "$(live_stat "$out" flows_created)"
expect_eq "stats flows_active after the flush" 0 "$(live_stat "$out" flows_active)"
expect_eq "stats events_drained" $total "$(live_stat "$out" events_drained)"
expect_eq "stats ringbuf_full" 0 "$(live_stat "$out" ringbuf_full)"
expect_eq "events printed" $total "$(live_events "$out")"

# Nothing left attached: no TCX program on vb, rfm's links and programs gone.
expect_eq "TCX programs on vb after exit" "" "$(ip netns exec "$B" "$tcx_query" vb | xargs)"
_gone() { ! bpftool "$1" show id "$2" >/dev/null 2>&1; }
while read -r kind id; do
	live_wait_for "$kind $id to go away" 10 _gone "$kind" "$id"
	expect_eq "$kind $id of rfm exists after exit" no \
		"$(bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo yes || echo no)"
done <"$LIVE_WORK/ids"
expect_match "rfm logged its exit" "^rfm: detached, exiting" "$(cat "$(rfm_err "$rfm")")"

live_finish
