#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# reload.sh RFM TCX_QUERY - SIGHUP reloads the configuration file in place.
#
# Namespaces A and B joined by veth va - vb (IPv6 disabled, no addresses:
# every packet is one traffic.py wrote, A -> B, vb ingress). rfm in B on vb
# from a config file, --print json -o FILE (flows) and --print-events.
#
# (a) A valid change, sampling 1 -> 1000. Before: flows F (50 packets) and G
#     (20) at 1:1, every event drained. SIGHUP: rfm logs the new rate and the
#     reload; F and G, open at the change, end at once with reason 4 and
#     their exact counts at sampling 1 (a record never mixes rates); the TCX
#     links and programs are the same (ids from rfm's fdinfo, and what vb
#     runs). After: 50,000 packets of F. rfm's exact counter holds all
#     50,070; the events and F's new record (sampling 1000, ended by SIGTERM)
#     count a number of packets within the exact 99.9 % binomial interval of
#     (50000, 1/1000), and the record starts after the reload.
# (b) A broken file (an unknown setting on line 4, a wrong type on line 7,
#     and sampling 1000), in a new run at sampling 1 with idle_timeout 5 s.
#     Flow H: 40 packets before SIGHUP, 30 after. stderr lists both errors as
#     FILE:LINE; the old configuration stays: the 30 packets give 30 events,
#     the links are the same, and H is not flushed: one record of 70 packets
#     ended by its idle timeout (reason 1) at sampling 1. The stats line at
#     exit has reloads_failed 1 and reloads_ok 0.
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
tcx_query=${2:?usage: reload.sh RFM TCX_QUERY}
live_need_tcx "$tcx_query"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_b=$(live_mac "$B" vb)
ifx=$(live_ifindex "$B" vb)
src=198.18.6.2 dst=198.18.6.1
L=46 # IP length of every packet: 20 + 8 + 18

conf="$LIVE_WORK/rfm.conf"
# write_conf SAMPLING IDLE_TIMEOUT
write_conf() {
	live_config "$conf" <<-EOF
		datapath = {
			interfaces = [ "vb" ];
			sampling = $1;
		};
		flows = {
			idle_timeout = $2;
			active_timeout = 60;
		};
	EOF
}

# udp NAME SPORT COUNT [fast]: COUNT packets of flow SPORT -> 6000, A -> B.
udp() {
	live_send "$A" va "$mac_b" "$LIVE_WORK/sent" \
		"name=$1,proto=udp,src=$src,dst=$dst,sport=$2,dport=6000,count=$3,payload=18${4:+,fast=1}"
	expect_sent_flow "$LIVE_WORK/sent" "$1" "$3" $(($3 * L))
}

tcx_on() { ip netns exec "$B" "$tcx_query" vb | xargs; }
links() { live_tcx_fds "$1" | awk '$1 == "link"' | xargs; }

# record FILE JQ_CONDITION: "packets octets sampling end_reason" of the
# matching records, one line each.
record() {
	live_flow "$1" "$2" | jq -r '"\(.packets) \(.octets) \(.sampling) \(.end_reason)"'
}

echo "== (a) sampling 1 -> 1000"
write_conf 1 30
flows="$LIVE_WORK/flows-a.jsonl"
rfm_start rfm "$B" -c "$conf" --print json -o "$flows" --print-events
out=$(rfm_out "$rfm")
links0=$(links "$rfm")
tcx0=$(tcx_on)
expect_eq "TCX links of rfm" 2 "$(live_tcx_fds "$rfm" | grep -c '^link')"
udp F 5000 50
udp G 5001 20
live_wait_events "$out" true 70
expect_eq "events at 1:1 before the reload" 70 "$(live_events "$out")"

write_conf 1000 30
t_hup=$(live_now_ms)
kill -HUP "$rfm"
rfm_wait_log "$rfm" "^rfm: configuration reloaded from $conf"
expect_eq "log: the new rate of vb" 1 "$(rfm_log_count "$rfm" "^rfm: vb: sampling now 1:1000$")"
live_wait_flows "$flows" true 2
expect_eq "F, open at the change: packets octets sampling end_reason" "50 $((50 * L)) 1 4" \
	"$(record "$flows" ".src_port == 5000")"
expect_eq "G, open at the change: packets octets sampling end_reason" "20 $((20 * L)) 1 4" \
	"$(record "$flows" ".src_port == 5001")"
expect_eq "TCX links of rfm after the reload (same ids)" "$links0" "$(links "$rfm")"
expect_eq "TCX programs on vb after the reload (same ids)" "$tcx0" "$(tcx_on)"

N=50000
udp F 5000 $N fast
rfm_wait_if_counted "$rfm" "$ifx" ingress $((70 + N))
expect_eq "exact counter across the reload: vb ingress packets" $((70 + N)) \
	"$(rfm_if_counted "$rfm" "$ifx" ingress)"
expect_eq "TCX links of rfm at the end (same ids)" "$links0" "$(links "$rfm")"
rfm_stop "$rfm"
read -r lo hi < <(live_binomial $N 0.001)
expect_in "events after the reload (of $N packets)" "$lo" "$hi" $(($(live_events "$out") - 70))
expect_eq "records of F" 2 "$(live_flows "$flows" ".src_port == 5000")"
rec=$(live_flow "$flows" ".src_port == 5000 and .sampling == 1000")
sampled=$(jq -r .packets <<<"$rec")
expect_in "F after the reload: sampled packets (of $N)" "$lo" "$hi" "$sampled"
expect_eq "F after the reload: octets sampling end_reason" "$((sampled * L)) 1000 4" \
	"$(jq -r '"\(.octets) \(.sampling) \(.end_reason)"' <<<"$rec")"
expect_eq "F after the reload: events = record packets" "$sampled" \
	"$(($(live_events "$out" '.src_port == 5000') - 50))"
expect_eq "records at 1:1000 start after the reload" yes \
	"$(live_flow "$flows" '.sampling == 1000' |
		jq -s -r --argjson t "$t_hup" 'if all(.start_ms >= $t) then "yes" else "no" end')"
expect_eq "records at 1:1 end before the reload" yes \
	"$(live_flow "$flows" '.sampling == 1' |
		jq -s -r --argjson t "$t_hup" 'if all(.end_ms <= $t) then "yes" else "no" end')"
expect_eq "vb ingress ipv4 packets at exit" $((70 + N)) \
	"$(live_counter "$out" vb ingress ipv4 packets)"
expect_eq "stats reloads_ok" 1 "$(live_stat "$out" reloads_ok)"
expect_eq "stats reloads_failed" 0 "$(live_stat "$out" reloads_failed)"
expect_no_match "(a) no warning or error on stderr" "^rfm: (warning|error)" \
	"$(cat "$(rfm_err "$rfm")")"

echo "== (b) a broken file"
write_conf 1 5
flows="$LIVE_WORK/flows-b.jsonl"
rfm_start rfm "$B" -c "$conf" --print json -o "$flows" --print-events
out=$(rfm_out "$rfm")
links0=$(links "$rfm")
udp H1 5002 40
live_wait_events "$out" true 40
# Line 4: an unknown setting; line 7: a string where seconds are expected.
cat >"$conf" <<-EOF
	datapath = {
		interfaces = [ "vb" ];
		sampling = 1000;
		samplng = 10;
	};
	flows = {
		idle_timeout = "5";
		active_timeout = 60;
	};
EOF
kill -HUP "$rfm"
rfm_wait_log "$rfm" "^rfm: warning: reload failed"
err=$(cat "$(rfm_err "$rfm")")
expect_match "stderr: the unknown setting, FILE:LINE" \
	"^$conf:4: datapath\.samplng: unknown setting" "$err"
expect_match "stderr: the wrong type, FILE:LINE" "^$conf:7: flows\.idle_timeout: wrong type" "$err"
expect_eq "no reload" 0 "$(rfm_log_count "$rfm" "configuration reloaded|sampling now")"
expect_eq "TCX links of rfm after the failed reload (same ids)" "$links0" "$(links "$rfm")"
udp H2 5002 30
live_wait_events "$out" true 70
expect_eq "events after the failed reload (still 1:1)" 70 "$(live_events "$out")"
expect_eq "no record yet: H was not flushed" 0 "$(live_flows "$flows")"
# H ends 5 s after its last packet.
live_wait_flows "$flows" true 1 15
expect_eq "H: packets octets sampling end_reason (idle)" "70 $((70 * L)) 1 1" \
	"$(record "$flows" ".src_port == 5002")"
rfm_stop "$rfm"
expect_eq "records in all" 1 "$(live_flows "$flows")"
expect_eq "vb ingress ipv4 packets at exit" 70 "$(live_counter "$out" vb ingress ipv4 packets)"
expect_eq "stats reloads_failed" 1 "$(live_stat "$out" reloads_failed)"
expect_eq "stats reloads_ok" 0 "$(live_stat "$out" reloads_ok)"

live_finish
