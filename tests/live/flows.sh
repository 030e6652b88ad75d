#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# flows.sh RFM - flow records of known size from `rfm agent -c FILE --print
# json -o FILE`, ended by the idle timeout and by TCP FIN.
#
# Namespaces A and B joined by veth va - vb, IPv6 disabled and no addresses,
# so every packet on the link is one traffic.py wrote (AF_PACKET: IPv6 frames
# pass TC although the stack drops them). rfm runs in B on vb from a config
# file: sampling 1, idle_timeout 2 s, active_timeout 60 s, tcp_end_grace 0.5 s.
#
# Run 1, sampling 1. A -> B (vb ingress):
#   udp4  198.18.1.2:5000 -> 198.18.1.1:6000, 37 packets, payload 10 + 3i,
#         DSCP 46 on the first packet and 10 on the others
#   tcp   198.18.1.2:40000 -> 198.18.1.1:80, SYN, 21 x PSH|ACK, FIN|ACK (23)
#   echo  ICMP echo request 198.18.1.2 -> 198.18.1.1, 11 packets
#   unr   ICMP type 3 code 1 198.18.1.2 -> 198.18.1.1, 5 packets
#   udp6  [2001:db8:1::2]:5001 -> [2001:db8:1::1]:6001, 13 packets
# B -> A (vb egress): udp4e 198.18.1.1:7000 -> 198.18.1.2:8000, 17 packets.
# Every flow is one record: packets and octets (the IP lengths traffic.py
# wrote) exact, the key, ICMP type/code, the OR of the TCP flags, DSCP of the
# first packet, end reason 1 (idle) or 3 (the TCP flow, after its FIN),
# start <= end within the wall-clock window of the sending, ifindex of vb.
# Nothing else: no other record, at the end of the run either.
#
# Run 2, sampling 10: 20,000 identical UDP packets, all counted by rfm's
# exact counter (and the kernel's); the record's packets (sampled, not
# scaled) lies in the exact 99.9 % binomial interval of (20000, 1/10).
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_a=$(live_mac "$A" va)
mac_b=$(live_mac "$B" vb)
ifx=$(live_ifindex "$B" vb)

# IP header + L4 header sizes.
H_UDP4=28 H_TCP4=40 H_ICMP4=28 H_UDP6=48
N_UDP=37 N_TCP=23 N_ECHO=11 N_UNR=5 N_UDP6=13 N_UDPE=17
# udp4: payload 10 + 3i; tcp: 100 bytes; echo: 56; unr: 28; udp6: 20; udp4e: 30.
O_UDP=$((N_UDP * (H_UDP4 + 10) + 3 * N_UDP * (N_UDP - 1) / 2))
O_TCP=$((N_TCP * (H_TCP4 + 100)))
O_ECHO=$((N_ECHO * (H_ICMP4 + 56)))
O_UNR=$((N_UNR * (H_ICMP4 + 28)))
O_UDP6=$((N_UDP6 * (H_UDP6 + 20)))
O_UDPE=$((N_UDPE * (H_UDP4 + 30)))
FLOWS=6

conf="$LIVE_WORK/rfm.conf"
write_conf() {
	live_config "$conf" <<-EOF
		datapath = {
			interfaces = [ "vb" ];
			sampling = $1;
		};
		flows = {
			idle_timeout = 2;
			active_timeout = 60;
			tcp_end_grace = 0.5;
		};
	EOF
}

# expect_flow WHAT JQ_CONDITION FIELD=VALUE...: exactly one record matches
# the condition, and its fields have these values.
expect_flow() {
	local what=$1 cond=$2 rec kv
	shift 2
	rec=$(live_flow "$flows" "$cond")
	expect_eq "$what: records" 1 "$(grep -c . <<<"$rec")"
	for kv in "$@"; do
		expect_eq "$what: ${kv%%=*}" "${kv#*=}" "$(jq -r ".${kv%%=*}" <<<"$rec" | head -n 1)"
	done
	# The time fields: start <= end, both within the sending window.
	expect_eq "$what: $t0 <= start_ms <= end_ms <= $t1" yes \
		"$(jq -r --argjson t0 "$t0" --argjson t1 "$t1" \
			'if $t0 <= .start_ms and .start_ms <= .end_ms and .end_ms <= $t1
			 then "yes" else "no: \(.start_ms) \(.end_ms)" end' <<<"$rec" | head -n 1)"
}

echo "== run 1: sampling 1, flows of known size"
write_conf 1
flows="$LIVE_WORK/flows1.jsonl"
rfm_start rfm "$B" -c "$conf" --print json -o "$flows"
expect_match "rfm attached vb from the config file" "attached vb \(ifindex $ifx\).*sampling 1:1 " \
	"$(cat "$(rfm_err "$rfm")")"

src=198.18.1.2 dst=198.18.1.1
t0=$(live_now_ms)
live_send "$A" va "$mac_b" "$LIVE_WORK/sent-in" \
	"name=udp4,proto=udp,src=$src,dst=$dst,sport=5000,dport=6000,count=$N_UDP,payload=10+3,dscp=46/10" \
	"name=tcp,proto=tcp,src=$src,dst=$dst,sport=40000,dport=80,count=$N_TCP,payload=100,tcp=syn-data-fin" \
	"name=echo,proto=icmp,src=$src,dst=$dst,type=8,code=0,count=$N_ECHO,payload=56" \
	"name=unr,proto=icmp,src=$src,dst=$dst,type=3,code=1,count=$N_UNR,payload=28" \
	"name=udp6,proto=udp,src=2001:db8:1::2,dst=2001:db8:1::1,sport=5001,dport=6001,count=$N_UDP6,payload=20"
live_send "$B" vb "$mac_a" "$LIVE_WORK/sent-out" \
	"name=udp4e,proto=udp,src=$dst,dst=$src,sport=7000,dport=8000,count=$N_UDPE,payload=30"
t1=$(($(live_now_ms) + 1))
expect_sent_flow "$LIVE_WORK/sent-in" udp4 $N_UDP $O_UDP
expect_sent_flow "$LIVE_WORK/sent-in" tcp $N_TCP $O_TCP
expect_sent_flow "$LIVE_WORK/sent-in" echo $N_ECHO $O_ECHO
expect_sent_flow "$LIVE_WORK/sent-in" unr $N_UNR $O_UNR
expect_sent_flow "$LIVE_WORK/sent-in" udp6 $N_UDP6 $O_UDP6
expect_sent_flow "$LIVE_WORK/sent-out" udp4e $N_UDPE $O_UDPE

total=$((N_UDP + N_TCP + N_ECHO + N_UNR + N_UDP6 + N_UDPE))
rfm_wait_counted "$rfm" $total
# The TCP flow ends 0.5 s after its FIN, the others 2 s after their last packet.
live_wait_flows "$flows" true $FLOWS
expect_eq "records before the end of the run" $FLOWS "$(live_flows "$flows")"

in4=".ifindex == $ifx and .direction == \"ingress\" and .ip_version == 4 and
	.src_addr == \"$src\" and .dst_addr == \"$dst\""
common=(ifindex="$ifx" sampling=1 vlan_id=0 other_ifindex=0 next_hop=null)
expect_flow "udp4" "$in4 and .protocol == 17" "${common[@]}" direction=ingress ip_version=4 \
	src_port=5000 dst_port=6000 icmp_type=0 icmp_code=0 tcp_flags=0 dscp=46 \
	packets=$N_UDP octets=$O_UDP end_reason=1
# SYN 0x02 | PSH 0x08 | ACK 0x10 | FIN 0x01 = 27.
expect_flow "tcp" "$in4 and .protocol == 6" "${common[@]}" src_port=40000 dst_port=80 \
	icmp_type=0 icmp_code=0 tcp_flags=27 dscp=0 packets=$N_TCP octets=$O_TCP end_reason=3
expect_flow "icmp echo" "$in4 and .protocol == 1 and .icmp_type == 8" "${common[@]}" \
	src_port=0 dst_port=0 icmp_code=0 tcp_flags=0 packets=$N_ECHO octets=$O_ECHO end_reason=1
expect_flow "icmp unreachable" "$in4 and .protocol == 1 and .icmp_type == 3" "${common[@]}" \
	src_port=0 dst_port=0 icmp_code=1 packets=$N_UNR octets=$O_UNR end_reason=1
expect_flow "udp6" ".ifindex == $ifx and .ip_version == 6" "${common[@]}" direction=ingress \
	protocol=17 src_addr=2001:db8:1::2 dst_addr=2001:db8:1::1 src_port=5001 dst_port=6001 \
	packets=$N_UDP6 octets=$O_UDP6 end_reason=1
# Egress of a frame written on B: no ingress interface, no FIB lookup.
expect_flow "udp4 egress" ".direction == \"egress\"" "${common[@]}" ip_version=4 protocol=17 \
	src_addr=$dst dst_addr=$src src_port=7000 dst_port=8000 packets=$N_UDPE octets=$O_UDPE \
	end_reason=1
# The TCP record ended first: 0.5 s after its FIN, the others 2 s after their last packet.
expect_eq "first record written: the TCP flow (end reason 3)" 3 \
	"$(jq -R -r 'fromjson? | .end_reason' "$flows" | head -n 1)"

rfm_stop "$rfm"
out=$(rfm_out "$rfm")
expect_eq "records after SIGTERM (nothing left to flush)" $FLOWS "$(live_flows "$flows")"
expect_eq "stats flows_created" $FLOWS "$(live_stat "$out" flows_created)"
expect_eq "stats events_drained" $total "$(live_stat "$out" events_drained)"
expect_eq "vb ingress packets" $((total - N_UDPE)) \
	"$(($(live_counter "$out" vb ingress ipv4 packets) + $(live_counter "$out" vb ingress ipv6 packets)))"
expect_eq "vb egress ipv4 packets" $N_UDPE "$(live_counter "$out" vb egress ipv4 packets)"

echo "== run 2: sampling 10, 20000 packets"
N=20000 L=$((H_UDP4 + 18))
write_conf 10
flows="$LIVE_WORK/flows2.jsonl"
rx0=$(ip -n "$B" -j -s link show dev vb | jq '.[0].stats64.rx.packets')
rfm_start rfm "$B" -c "$conf" --print json -o "$flows"
live_send "$A" va "$mac_b" "$LIVE_WORK/sent-fast" \
	"name=fast,proto=udp,src=$src,dst=$dst,sport=5555,dport=6666,count=$N,payload=18,fast=1"
expect_sent_flow "$LIVE_WORK/sent-fast" fast $N $((N * L))
rfm_wait_if_counted "$rfm" "$ifx" ingress $N
expect_eq "rfm's exact counter: vb ingress packets" $N "$(rfm_if_counted "$rfm" "$ifx" ingress)"
expect_eq "the kernel's count: vb rx packets" $N \
	"$(($(ip -n "$B" -j -s link show dev vb | jq '.[0].stats64.rx.packets') - rx0))"
live_wait_flows "$flows" true 1
rfm_stop "$rfm"
read -r lo hi < <(live_binomial $N 0.1)
rec=$(live_flow "$flows" ".dst_port == 6666")
expect_eq "1:10 records" 1 "$(grep -c . <<<"$rec")"
sampled=$(jq -r .packets <<<"$rec")
expect_in "1:10 record packets (of $N)" "$lo" "$hi" "$sampled"
expect_eq "1:10 record octets" $((sampled * L)) "$(jq -r .octets <<<"$rec")"
expect_eq "1:10 record sampling" 10 "$(jq -r .sampling <<<"$rec")"
expect_eq "1:10 record end_reason (idle)" 1 "$(jq -r .end_reason <<<"$rec")"
expect_eq "1:10 events drained = record packets" "$sampled" \
	"$(live_stat "$(rfm_out "$rfm")" events_drained)"
expect_eq "1:10 vb ingress ipv4 packets at exit" $N \
	"$(live_counter "$(rfm_out "$rfm")" vb ingress ipv4 packets)"

live_finish
