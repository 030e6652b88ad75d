#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# prometheus.sh RFM - a real Prometheus (Debian's prometheus 2.42, scrape
# interval 1 s) scraping rfm's /metrics, and the dashboard's queries on it.
#
# Namespaces A and B joined by veth va - vb, IPv6 off on both ends and no
# address, so every packet on the link is one traffic.py wrote. Everything
# else runs in B, on B's loopback: rfm on vb (sampling 1, idle timeout 1 s,
# every rollup label), Prometheus, gobgpd (AS64500, BMP to rfm, Loc-RIB
# routes added with the gobgp CLI), an "IPFIX collector" that is a UDP socket
# this test binds (python, reads and discards), and MMDB files built here by
# tests/fixtures/mmdb/mkmmdb.pl (documentation ASNs, made-up places).
#
# Phase 1 (max_series 10000), checked through Prometheus' HTTP API:
#   1. the target is up (api/v1/targets);
#   3. a UDP flow to 198.18.4.1 sent in 3 bursts, each ended by the idle
#      timeout before the next (rfm_flows_expired_total{reason="idle"} seen
#      to rise): its series equals the bytes sent so far after every burst
#      and eviction, resets() over the run is 0, and every sample of a range
#      query is >= the one before;
#   4. a steady UDP stream to 198.18.3.1 (traffic.py --replay batches every
#      0.2 s for 12 s, each batch's time and IP octets logged): rate() and
#      increase() over a 8 s window inside the stream within 10 % of the
#      bytes sent in that window; after it, the series equals the total sent;
#   6. promtool check metrics is clean on a raw scrape taken during it, whose
#      families are exactly the names of dashboards/metrics.txt;
#   2. every expression of dashboards/rfm.json (check.py --exprs, instance
#      and interface of this lab) returns a non-empty result. No exception:
#      BMP, MMDB and export panels have their session, files and collector;
#      the ASN pair panel shows the RIB's origin AS for 198.18.2.0/24 (AS64510,
#      where the MMDB says AS64497), the city panel the MMDB's "Zürich".
# Phase 2: rfm restarted with max_series 5, ten UDP flows to ten /24s of ten
#   MMDB ASNs: at most 6 series of rfm_flow_packets_total (5 + "other"),
#   rfm_flow_series_overflow_total > 0, and their packets add up to all sent.
# rfm_start and live_ns set variables by name; helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
PROMETHEUS=$(command -v prometheus) || live_skip "prometheus is not installed (Debian: prometheus)"
PROMTOOL=$(command -v promtool) || live_skip "promtool is not installed (Debian: prometheus)"
for c in curl gobgpd gobgp perl; do
	command -v $c >/dev/null || live_skip "$c is not installed"
done
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
	live_skip "perl has no MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl)"
live_init "${1:-}"
ROOT=$(cd "$LIVE_HERE/../.." && pwd)

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_a=$(live_mac "$A" va)
mac_b=$(live_mac "$B" vb)

# free_port VAR START tcp|udp: the first port from START nothing in B uses.
free_port() {
	local p=$2 flag=-Htln
	[ "$3" = udp ] && flag=-Huln
	while [ -n "$(ip netns exec "$B" ss $flag "sport = :$p")" ] || [[ " $USED " == *" $p "* ]]; do
		p=$((p + 1))
	done
	USED+=" $p"
	printf -v "$1" %s "$p"
}
USED=
free_port MPORT 19670 tcp   # rfm /metrics
free_port PPORT 19690 tcp   # Prometheus
free_port BMP_PORT 24190 tcp
free_port API_PORT 24195 tcp # gobgpd's gRPC API
free_port COLL_PORT 24200 udp
PROM=http://127.0.0.1:$PPORT
INSTANCE=127.0.0.1:$MPORT

# --- enrichment data and the collector --------------------------------------

mkdir -p "$LIVE_WORK/mmdb"
{
	echo '198.18.1.0/24 asn=64496 org="Example Net One" city=Amsterdam country=NL'
	echo '198.18.2.0/24 asn=64497 org="Example Net Two" city="Zürich" country=CH'
	echo '198.18.3.0/24 asn=64498 org="Stream Net" city=Oslo country=NO'
	echo '198.18.4.0/24 asn=64499 org="Burst Net" city=Lisbon country=PT'
	for i in $(seq 0 9); do
		echo "198.18.$((10 + i)).0/24 asn=$((64500 + i)) country=JP"
	done
	echo '2001:db8:1::/48 asn=64496 org="Example Net One" city=Amsterdam country=NL'
	echo '2001:db8:2::/48 asn=64497 org="Example Net Two" city="Zürich" country=CH'
} >"$LIVE_WORK/mmdb.txt"
perl "$ROOT/tests/fixtures/mmdb/mkmmdb.pl" --data "$LIVE_WORK/mmdb.txt" "$LIVE_WORK/mmdb" ||
	live_die "mkmmdb.pl"

ip netns exec "$B" "$LIVE_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True)
while True:
    s.recv(65536)
' "$COLL_PORT" >"$LIVE_WORK/collector.out" 2>&1 &
LIVE_PIDS+=($!)
live_wait_for "the UDP collector to be bound" 10 grep -q bound "$LIVE_WORK/collector.out" ||
	live_die "collector"

conf=$LIVE_WORK/rfm.conf
# write_conf MAX_SERIES
write_conf() {
	live_config "$conf" <<-EOF
		datapath = { interfaces = [ "vb" ]; sampling = 1; };
		flows = { idle_timeout = 1; active_timeout = 60; };
		enrich = {
			bmp = { listen = "127.0.0.1"; port = $BMP_PORT; allow = [ "127.0.0.1" ]; };
			mmdb = { asn = "$LIVE_WORK/mmdb/asn.mmdb"; city = "$LIVE_WORK/mmdb/city.mmdb"; };
		};
		ipfix = { collectors = ( { address = "127.0.0.1"; port = $COLL_PORT; protocol = "ipfix"; } ); };
		prometheus = {
			listen = "127.0.0.1"; port = $MPORT; max_series = $1;
			labels = [ "src_asn", "dst_asn", "src_country", "dst_country", "src_city", "dst_city" ];
		};
	EOF
}

# --- helpers: /metrics and the Prometheus API --------------------------------

# scrape FILE: rfm's /metrics into FILE (curl in B).
scrape() {
	ip netns exec "$B" curl -sf --max-time 5 -o "$1" "http://$INSTANCE/metrics"
}
# metric FILE NAME_WITH_LABELS: a sample's value in FILE (0 if absent).
metric() {
	local v
	v=$(awk -v k="$2" '$1 == k { print $2 }' "$1")
	echo "${v:-0}"
}
# pq QUERY [TIME]: the result array of an instant query (jq -c), "error: ..." on failure.
pq() {
	local args=(--data-urlencode "query=$1")
	[ -n "${2:-}" ] && args+=(--data-urlencode "time=$2")
	ip netns exec "$B" curl -s --max-time 10 "$PROM/api/v1/query" "${args[@]}" |
		jq -c 'if .status == "success" then .data.result else "error: \(.error)" end' 2>/dev/null ||
		echo '"error: no answer"'
}
# pv QUERY [TIME]: the value of the first result of an instant query ("none" if empty).
pv() { pq "$@" | jq -r '.[0].value[1] // "none"' 2>/dev/null || echo none; }
_pq_nonempty() { [ "$(pq "$1" | jq 'if type == "array" then length else 0 end')" -gt 0 ]; }
_pv_is() { [ "$(pv "$1")" = "$2" ]; }
_prom_ready() { ip netns exec "$B" curl -sf --max-time 2 "$PROM/-/ready" >/dev/null; }
_target_up() {
	[ "$(ip netns exec "$B" curl -s --max-time 2 "$PROM/api/v1/targets" |
		jq -r '.data.activeTargets[] | select(.labels.job == "rfm") | .health')" = up ]
}
# sent_octets REPORT NAME: IP octets traffic.py reported for flow NAME.
sent_octets() { awk -v k="$2" '$1 == k { print $3 }' "$1"; }
# fsel DST_ASN: the selector of the ingress UDP series from 198.18.1.2 to that AS.
fsel() {
	echo "{interface=\"vb\",direction=\"ingress\",protocol=\"udp\",src_asn=\"64496\",dst_asn=\"$1\"}"
}

# --- phase 1 -------------------------------------------------------------------

echo "== phase 1: rfm, gobgpd and Prometheus in B (metrics $INSTANCE, Prometheus :$PPORT)"
write_conf 10000
rfm_start rfm "$B" -c "$conf"

cat >"$LIVE_WORK/gobgpd.toml" <<EOF
[global.config]
  as = 64500
  router-id = "198.18.1.1"
  port = -1
[[bmp-servers]]
  [bmp-servers.config]
    address = "127.0.0.1"
    port = $BMP_PORT
    route-monitoring-policy = "local-rib"
EOF
ip netns exec "$B" gobgpd -f "$LIVE_WORK/gobgpd.toml" -p --api-hosts "127.0.0.1:$API_PORT" \
	--pprof-disable >"$LIVE_WORK/gobgpd.log" 2>&1 &
LIVE_PIDS+=($!)
rfm_wait_log "$rfm" 'BMP session .* open' || live_die "no BMP session from gobgpd"
_gobgp_ready() { ip netns exec "$B" gobgp -p "$API_PORT" global >/dev/null 2>&1; }
live_wait_for "gobgpd's API" 10 _gobgp_ready || live_die "gobgpd API"
ip netns exec "$B" gobgp -p "$API_PORT" global rib add 198.18.2.0/24 origin igp \
	aspath "64501 64510" nexthop 198.18.1.2 || live_die "gobgp rib add"

mkdir -p "$LIVE_WORK/prom"
cat >"$LIVE_WORK/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: rfm
    static_configs: [ { targets: [ "$INSTANCE" ] } ]
EOF
"$PROMTOOL" check config "$LIVE_WORK/prometheus.yml" >/dev/null 2>&1 || live_die "promtool check config"
ip netns exec "$B" "$PROMETHEUS" --config.file="$LIVE_WORK/prometheus.yml" \
	--storage.tsdb.path="$LIVE_WORK/prom" --web.listen-address="127.0.0.1:$PPORT" \
	>"$LIVE_WORK/prometheus.log" 2>&1 &
LIVE_PIDS+=($!)
LIVE_OUTFILE[$!]=$LIVE_WORK/prometheus
ln -s prometheus.log "$LIVE_WORK/prometheus.err"
live_wait_for "Prometheus to be ready" 30 _prom_ready || live_die "Prometheus not ready"
live_wait_for "the rfm target to be up" 15 _target_up
expect_eq "1. target health" up "$(ip netns exec "$B" curl -s "$PROM/api/v1/targets" |
	jq -r '.data.activeTargets[] | select(.labels.job == "rfm") | .health')"
expect_eq "up{job=rfm}" 1 "$(pv 'up{job="rfm"}')"

echo "== traffic of every kind (ingress TCP, ICMP, UDP, UDP/IPv6; egress UDP)"
src=198.18.1.2
live_send "$A" va "$mac_b" "$LIVE_WORK/sent-mix" \
	"name=tcp,proto=tcp,src=$src,dst=198.18.2.1,sport=40000,dport=80,count=9,payload=100,tcp=syn-data-fin" \
	"name=icmp,proto=icmp,src=$src,dst=198.18.2.1,count=5,payload=56" \
	"name=udp,proto=udp,src=$src,dst=198.18.2.1,sport=5000,dport=53,count=7,payload=40" \
	"name=udp6,proto=udp,src=2001:db8:1::2,dst=2001:db8:2::1,sport=5001,dport=53,count=6,payload=20"
live_send "$B" vb "$mac_a" "$LIVE_WORK/sent-out" \
	"name=udpe,proto=udp,src=198.18.2.1,dst=$src,sport=53,dport=5000,count=4,payload=60"

echo "== 3. a series across flow evictions: 3 bursts to 198.18.4.1, idle timeout 1 s"
BSEL=$(fsel 64499)
live_save "$LIVE_WORK/burst.bin" "$mac_b" \
	"name=burst,proto=udp,src=$src,dst=198.18.4.1,sport=6000,dport=6001,count=15,payload=50+7"
# _idle_gt N: rfm has ended more than N flows by the idle timeout (/metrics).
_idle_gt() {
	scrape "$LIVE_WORK/m" &&
		[ "$(metric "$LIVE_WORK/m" 'rfm_flows_expired_total{reason="idle"}')" -gt "$1" ]
}
# _scraped_after S: Prometheus has a sample of the burst series newer than second S + 1.
_scraped_after() {
	[ "$(pv "timestamp(rfm_flow_bytes_total$BSEL)" | cut -d. -f1)" -gt $(($1 + 1)) ] 2>/dev/null
}
burst_total=0
t_burst0=$(live_now_ms)
for k in 1 2 3; do
	scrape "$LIVE_WORK/m" || live_die "scrape"
	idle0=$(metric "$LIVE_WORK/m" 'rfm_flows_expired_total{reason="idle"}')
	live_replay "$A" va "$LIVE_WORK/burst.bin" "$LIVE_WORK/sent-burst"
	burst_total=$((burst_total + $(sent_octets "$LIVE_WORK/sent-burst" burst)))
	live_wait_for "Prometheus to show burst $k" 10 _pv_is "rfm_flow_bytes_total$BSEL" "$burst_total"
	expect_eq "burst $k: series = bytes sent so far" "$burst_total" \
		"$(pv "rfm_flow_bytes_total$BSEL")"
	live_wait_for "the burst's flow to end (idle)" 10 _idle_gt "$idle0"
	expect_eq "burst $k: the flow ended (rfm_flows_expired_total{reason=\"idle\"} rose)" yes \
		"$([ "$(metric "$LIVE_WORK/m" 'rfm_flows_expired_total{reason="idle"}')" -gt "$idle0" ] && echo yes)"
	# A scrape by Prometheus after the eviction: still the same value.
	t_ev=$(live_now_ms)
	live_wait_for "a scrape after the eviction" 10 _scraped_after $((t_ev / 1000))
	expect_eq "burst $k: series after the flow ended (not reset)" "$burst_total" \
		"$(pv "rfm_flow_bytes_total$BSEL")"
done
span=$((($(live_now_ms) - t_burst0) / 1000 + 5))
expect_eq "resets(rfm_flow_bytes_total of the burst series[${span}s])" 0 \
	"$(pv "resets(rfm_flow_bytes_total${BSEL}[${span}s])")"
expect_eq "sum of resets() over every flow series [${span}s]" 0 \
	"$(pv "sum(resets(rfm_flow_bytes_total[${span}s]) + resets(rfm_flow_packets_total[${span}s]))")"
now_s=$(($(live_now_ms) / 1000))
ip netns exec "$B" curl -s "$PROM/api/v1/query_range" --data-urlencode "query=rfm_flow_bytes_total$BSEL" \
	--data-urlencode "start=$((t_burst0 / 1000))" --data-urlencode "end=$now_s" \
	--data-urlencode step=1 >"$LIVE_WORK/range.json"
expect_eq "range query: samples that are below the one before" 0 \
	"$(jq '[.data.result[0].values | map(.[1] | tonumber) as $v | range(1; $v | length) |
		select($v[.] < $v[. - 1])] | length' "$LIVE_WORK/range.json")"
expect_eq "range query: at least 6 samples, the last one = all bursts" "yes $burst_total" \
	"$(jq -r '.data.result[0].values | "\(if length >= 6 then "yes" else "no (\(length))" end) \(.[-1][1])"' \
		"$LIVE_WORK/range.json")"

echo "== 4. a steady stream to 198.18.3.1 for 12 s (batches of 10 every 0.2 s)"
SSEL=$(fsel 64498)
live_save "$LIVE_WORK/stream.bin" "$mac_b" \
	"name=stream,proto=udp,src=$src,dst=198.18.3.1,sport=7000,dport=7001,count=10,payload=100"
: >"$LIVE_WORK/stream.log"
t_s0=$(live_now_ms)
next=$t_s0
raw_taken=
while [ "$(live_now_ms)" -lt $((t_s0 + 12000)) ]; do
	b0=$(live_now_ms)
	live_replay "$A" va "$LIVE_WORK/stream.bin" "$LIVE_WORK/sent-stream"
	b1=$(live_now_ms)
	echo "$(((b0 + b1) / 2)) $(sent_octets "$LIVE_WORK/sent-stream" stream)" >>"$LIVE_WORK/stream.log"
	if [ -z "$raw_taken" ] && [ "$b1" -gt $((t_s0 + 6000)) ]; then
		scrape "$LIVE_WORK/raw-during-traffic" && raw_taken=yes
	fi
	next=$((next + 200))
	# Pacing of the traffic (not synchronisation): the next batch 200 ms later.
	w=$((next - $(live_now_ms)))
	[ "$w" -gt 0 ] && sleep "$(printf '0.%03d' "$w")"
done
t_s1=$(live_now_ms)
stream_total=$(awk '{ s += $2 } END { print s }' "$LIVE_WORK/stream.log")
echo "   sent $(wc -l <"$LIVE_WORK/stream.log") batches, $stream_total IP octets in $((t_s1 - t_s0)) ms"
live_wait_for "Prometheus to show the whole stream" 10 _pv_is "rfm_flow_bytes_total$SSEL" "$stream_total"
expect_eq "stream series = IP octets sent (sampling 1)" "$stream_total" "$(pv "rfm_flow_bytes_total$SSEL")"
# The window: 8 s ending 1 s before the last batch, wholly inside the stream.
w_end=$((t_s1 - 1000)) w_len=8
w_start=$((w_end - w_len * 1000))
in_window=$(awk -v a="$w_start" -v b="$w_end" '$1 > a && $1 <= b { s += $2 } END { print s + 0 }' \
	"$LIVE_WORK/stream.log")
at=$(printf '%d.%03d' $((w_end / 1000)) $((w_end % 1000)))
rate=$(pv "rate(rfm_flow_bytes_total${SSEL}[${w_len}s])" "$at")
inc=$(pv "increase(rfm_flow_bytes_total${SSEL}[${w_len}s])" "$at")
sent_rate=$((in_window / w_len))
echo "   window of ${w_len}s ending at $at: sent $in_window octets ($sent_rate/s); rate() $rate, increase() $inc"
pct() { awk -v g="$1" -v w="$2" 'BEGIN { if (g == "none" || w == 0) print 9999; else { d = (g - w) / w * 100; if (d < 0) d = -d; printf "%d\n", d } }'; }
expect_in "4. rate() vs sent rate: deviation %" 0 10 "$(pct "$rate" "$sent_rate")"
expect_in "4. increase() vs octets sent in the window: deviation %" 0 10 "$(pct "$inc" "$in_window")"

echo "== 6. promtool check metrics on a scrape taken during the stream"
expect_eq "raw scrape during traffic taken" yes "$raw_taken"
expect_match "the raw scrape holds the stream's series" \
	"^rfm_flow_bytes_total\{[^}]*dst_asn=\"64498\"" "$(cat "$LIVE_WORK/raw-during-traffic")"
"$PROMTOOL" check metrics <"$LIVE_WORK/raw-during-traffic" >"$LIVE_WORK/promtool" 2>&1
expect_eq "promtool check metrics exit status" 0 $?
expect_eq "promtool check metrics output" "" "$(cat "$LIVE_WORK/promtool")"

# The families served are the names agreed in issue #6, no more, no fewer.
grep -v '^#' "$ROOT/dashboards/metrics.txt" | awk 'NF { print $1 }' | sort >"$LIVE_WORK/names-agreed"
awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$LIVE_WORK/raw-during-traffic" | sort >"$LIVE_WORK/names-served"
expect_eq "families served but not in dashboards/metrics.txt" "" \
	"$(comm -13 "$LIVE_WORK/names-agreed" "$LIVE_WORK/names-served" | tr '\n' ' ')"
expect_eq "names in dashboards/metrics.txt not served" "" \
	"$(comm -23 "$LIVE_WORK/names-agreed" "$LIVE_WORK/names-served" | tr '\n' ' ')"

echo "== 2. every expression of dashboards/rfm.json returns data"
"$LIVE_PY" "$ROOT/dashboards/check.py" --exprs --json --instance "$INSTANCE" --interface vb \
	>"$LIVE_WORK/exprs.json" || live_die "check.py --exprs"
n_exprs=$(jq length "$LIVE_WORK/exprs.json")
[ "$n_exprs" -gt 50 ] || live_die "check.py --exprs gave only $n_exprs expressions"
# Sanity: the lab's gauges that the BMP and MMDB panels need.
live_wait_for "rfm_bmp_routes in Prometheus" 10 _pq_nonempty 'rfm_bmp_routes > 0'
empty=0
for ((i = 0; i < n_exprs; i++)); do
	where=$(jq -r ".[$i].where" "$LIVE_WORK/exprs.json")
	expr=$(jq -r ".[$i].expr" "$LIVE_WORK/exprs.json")
	res=$(pq "$expr")
	if [ "$(jq 'if type == "array" then length else 0 end' <<<"$res")" -eq 0 ]; then
		echo "  empty: $where: $expr -> $res"
		empty=$((empty + 1))
	fi
done
expect_eq "dashboard expressions with an empty result (of $n_exprs)" 0 "$empty"
# Not just present: the enrichment reached the labels the panels group by.
expect_match "ASN pairs panel: AS64496 -> AS64510 (dst from the RIB, not the MMDB's 64497)" \
	'"dst_asn":"64510","src_asn":"64496"' \
	"$(pq 'sum by (src_asn, dst_asn) (rfm_flow_bytes_total{direction="ingress"})')"
expect_match "city panel: Zürich, CH" '"dst_city":"Zürich","dst_country":"CH"' \
	"$(pq 'sum by (dst_country, dst_city) (rfm_flow_bytes_total{direction="ingress"})')"
expect_eq "export records to the UDP collector > 0" yes \
	"$(pq 'sum(rfm_export_records_total) > 0' | jq -r 'if length > 0 then "yes" else "no" end')"

# --- phase 2 -------------------------------------------------------------------

echo "== 5. phase 2: rfm restarted with max_series 5, ten label sets"
rfm_stop "$rfm"
write_conf 5
rfm_start rfm "$B" -c "$conf"
flows=()
for i in $(seq 0 9); do
	flows+=("name=f$i,proto=udp,src=$src,dst=198.18.$((10 + i)).1,sport=9000,dport=9001,count=$((3 + i)),payload=10")
done
live_send "$A" va "$mac_b" "$LIVE_WORK/sent-many" "${flows[@]}"
sent_pkts=$(awk '{ s += $2 } END { print s }' "$LIVE_WORK/sent-many")
live_wait_for "Prometheus to show all $sent_pkts packets" 15 _pv_is 'sum(rfm_flow_packets_total)' "$sent_pkts"
expect_eq "sum of rfm_flow_packets_total = packets sent" "$sent_pkts" "$(pv 'sum(rfm_flow_packets_total)')"
expect_in "series of rfm_flow_packets_total (max_series 5 + other)" 1 6 \
	"$(pv 'count(rfm_flow_packets_total)')"
expect_eq "series of rfm_flow_packets_total" 6 "$(pv 'count(rfm_flow_packets_total)')"
expect_eq "rfm_flow_series" 5 "$(pv "rfm_flow_series{instance=\"$INSTANCE\"}")"
expect_eq "rfm_flow_series_limit" 5 "$(pv "rfm_flow_series_limit{instance=\"$INSTANCE\"}")"
expect_eq "rfm_flow_series_overflow_total > 0" yes \
	"$(pq 'rfm_flow_series_overflow_total > 0' | jq -r 'if length > 0 then "yes" else "no" end')"
expect_eq "the other series has interface=\"other\" and packets > 0" yes \
	"$(pq 'rfm_flow_packets_total{interface="other",direction="other",protocol="other",dst_asn="other"} > 0' |
		jq -r 'if length > 0 then "yes" else "no" end')"
rfm_stop "$rfm"
live_finish
