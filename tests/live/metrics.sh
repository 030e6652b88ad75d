#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# metrics.sh RFM - the Prometheus endpoint of a running agent.
#
# Namespaces A and B joined by veth va - vb, IPv6 off on both ends and no
# address, so every packet on the link is one this test wrote. rfm runs in B
# on vb (sampling 1) with prometheus.listen 127.0.0.1 on a free port of B.
#
# Phase 1, plain HTTP: hand-built frames A -> B (frames.py), then
# /metrics polled (curl in B, with a deadline) until the ingress counters
# show them; every interface counter of vb must equal what was sent,
# exactly; promtool check metrics is clean; Content-Type is 0.0.4;
# /healthz says ok; another path is 404; POST is 405.
# Phase 2, SIGHUP with tls (a self-signed certificate made here with
# openssl) and basic_auth: the server restarts with HTTPS; 401 without or
# with a wrong password, 200 with the right one (curl --cacert); /healthz
# needs none; rfm_config_reloads_total counts the reload.
# Phase 3, SIGHUP with the same file: the server is not restarted.
# rfm_start and live_ns set variables by name.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
for c in curl openssl; do
	command -v $c >/dev/null || live_skip "$c is not installed"
done
PROMTOOL=$(command -v promtool) || live_skip "promtool is not installed (Debian: prometheus)"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
mac_b=$(live_mac "$B" vb)

# A port that nothing in B listens on (B is new, but check all the same).
PORT=19669
while ip netns exec "$B" ss -Htln "sport = :$PORT" | grep -q .; do
	PORT=$((PORT + 1))
done
URL=http://127.0.0.1:$PORT
N_UDP4=37 N_UDP6=23 N_ARP=11
L_UDP4=60 L_UDP6=72 L_ARP=42

conf=$LIVE_WORK/rfm.conf
live_config "$conf" <<EOC
datapath = { interfaces = [ "vb" ]; sampling = 1; };
prometheus = { listen = "127.0.0.1"; port = $PORT; };
EOC

# get NS_ARGS... : curl in B; prints "CODE" and leaves the body in $LIVE_WORK/body.
get() {
	ip netns exec "$B" curl -s -o "$LIVE_WORK/body" -D "$LIVE_WORK/headers" -w '%{http_code}' \
		--max-time 5 "$@"
}
# sample NAME_WITH_LABELS: its value in the last /metrics body ("missing" if absent).
sample() {
	local v
	v=$(awk -v k="$1" '$1 == k { print $2 }' "$LIVE_WORK/metrics")
	echo "${v:-missing}"
}
_ingress_counted() {
	[ "$(get "$URL/metrics")" = 200 ] || return 1
	cp "$LIVE_WORK/body" "$LIVE_WORK/metrics"
	[ "$(sample 'rfm_interface_packets_total{interface="vb",direction="ingress",family="ipv4"}')" = "$N_UDP4" ] &&
		[ "$(sample 'rfm_interface_packets_total{interface="vb",direction="ingress",family="ipv6"}')" = "$N_UDP6" ] &&
		[ "$(sample 'rfm_interface_packets_total{interface="vb",direction="ingress",family="other"}')" = "$N_ARP" ]
}

echo "== phase 1: plain HTTP on 127.0.0.1:$PORT in B"
rfm_start rfm "$B" -c "$conf"
ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" va "$mac_b" arp:$N_ARP udp4:$N_UDP4 \
	udp6:$N_UDP6 >"$LIVE_WORK/sent" || live_die "frames.py in A"
expect_eq "frames sent (kind count length)" "arp $N_ARP $L_ARP udp4 $N_UDP4 $L_UDP4 udp6 $N_UDP6 $L_UDP6" \
	"$(tr '\n' ' ' <"$LIVE_WORK/sent" | sed 's/ $//')"
live_wait_for "/metrics to show the frames sent" 10 _ingress_counted ||
	grep '^rfm_interface_packets_total' "$LIVE_WORK/metrics"
m() { sample "$1"; }
for f in ipv4:$N_UDP4:$L_UDP4 ipv6:$N_UDP6:$L_UDP6 other:$N_ARP:$L_ARP; do
	IFS=: read -r fam n len <<<"$f"
	expect_eq "vb ingress $fam packets" "$n" \
		"$(m "rfm_interface_packets_total{interface=\"vb\",direction=\"ingress\",family=\"$fam\"}")"
	expect_eq "vb ingress $fam bytes" $((n * len)) \
		"$(m "rfm_interface_bytes_total{interface=\"vb\",direction=\"ingress\",family=\"$fam\"}")"
	expect_eq "vb egress $fam packets" 0 \
		"$(m "rfm_interface_packets_total{interface=\"vb\",direction=\"egress\",family=\"$fam\"}")"
done
expect_eq "rfm_interfaces_attached" 1 "$(m rfm_interfaces_attached)"
expect_eq "rfm_interface_attached vb tcx" 1 "$(m 'rfm_interface_attached{interface="vb",mode="tcx"}')"
expect_eq "sampled (every packet)" $((N_UDP4 + N_UDP6 + N_ARP)) \
	"$(m 'rfm_datapath_events_total{outcome="sampled"}')"
expect_eq "not_ip (ARP)" $N_ARP "$(m 'rfm_datapath_events_total{outcome="not_ip"}')"
expect_eq "ring events (IP packets)" $((N_UDP4 + N_UDP6)) "$(m rfm_ring_events_total)"
expect_eq "ring drops" 0 "$(m rfm_ring_drops_total)"
expect_eq "rfm_config_last_reload_successful" 1 "$(m rfm_config_last_reload_successful)"
expect_eq "rfm_build_info present" 1 "$(grep -c '^rfm_build_info{version="[^"]*"} 1$' "$LIVE_WORK/metrics")"
"$PROMTOOL" check metrics <"$LIVE_WORK/metrics" >"$LIVE_WORK/promtool" 2>&1
expect_eq "promtool check metrics exit status" 0 $?
expect_eq "promtool check metrics output" "" "$(cat "$LIVE_WORK/promtool")"
expect_eq "Content-Type" "text/plain; version=0.0.4; charset=utf-8" \
	"$(awk -F': ' 'tolower($1) == "content-type" { sub(/\r$/, "", $2); print $2 }' "$LIVE_WORK/headers")"
# The second scrape reports the first one's size, render time > 0.
get "$URL/metrics" >/dev/null
cp "$LIVE_WORK/body" "$LIVE_WORK/metrics2"
prev=$(wc -c <"$LIVE_WORK/metrics")
expect_eq "rfm_scrape_bytes = size of the previous body" "$prev" \
	"$(awk '$1 == "rfm_scrape_bytes" { print $2 }' "$LIVE_WORK/metrics2")"
expect_eq "/healthz" "200 ok" "$(get "$URL/healthz") $(cat "$LIVE_WORK/body")"
expect_eq "/nope" 404 "$(get "$URL/nope")"
expect_eq "/metrics/x" 404 "$(get "$URL/metrics/x")"
expect_eq "POST /metrics" 405 "$(get -X POST "$URL/metrics")"
expect_eq "HEAD /metrics" 200 "$(get -I "$URL/metrics")"

echo "== phase 2: SIGHUP to HTTPS with basic auth"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$LIVE_WORK/key.pem" \
	-out "$LIVE_WORK/cert.pem" >/dev/null 2>&1 || live_die "openssl req"
printf 's3cret-\\"x\n' >"$LIVE_WORK/password"
live_config "$conf" <<EOC
datapath = { interfaces = [ "vb" ]; sampling = 1; };
prometheus = { listen = "127.0.0.1"; port = $PORT;
  tls = { certificate = "$LIVE_WORK/cert.pem"; key = "$LIVE_WORK/key.pem"; };
  basic_auth = { username = "prom"; password_file = "$LIVE_WORK/password"; }; };
EOC
kill -HUP "$rfm"
rfm_wait_log "$rfm" 'prometheus: serving /metrics .* \(https\)'
S=https://127.0.0.1:$PORT
CA=(--cacert "$LIVE_WORK/cert.pem")
expect_eq "https without credentials" 401 "$(get "${CA[@]}" "$S/metrics")"
expect_eq "https wrong password" 401 "$(get "${CA[@]}" -u 'prom:s3cret-' "$S/metrics")"
expect_eq "https wrong user" 401 "$(get "${CA[@]}" -u 'prometheus:s3cret-\"x' "$S/metrics")"
expect_eq "https /healthz without credentials" 200 "$(get "${CA[@]}" "$S/healthz")"
expect_eq "https with credentials" 200 "$(get "${CA[@]}" -u 'prom:s3cret-\"x' "$S/metrics")"
cp "$LIVE_WORK/body" "$LIVE_WORK/metrics"
expect_eq "reloads success" 1 "$(m 'rfm_config_reloads_total{result="success"}')"
expect_eq "ingress ipv4 still counted" $N_UDP4 \
	"$(m 'rfm_interface_packets_total{interface="vb",direction="ingress",family="ipv4"}')"
expect_eq "certificate not trusted without --cacert" 000 "$(get -u 'prom:s3cret-\"x' "$S/metrics")"
expect_eq "plain HTTP refused on the HTTPS port" 000 "$(get "$URL/healthz")"

echo "== phase 3: SIGHUP, same file: the server stays"
kill -HUP "$rfm"
rfm_wait_log "$rfm" 'configuration reloaded' 2
expect_eq "servers started (not restarted by an unchanged reload)" 2 \
	"$(rfm_log_count "$rfm" 'prometheus: serving /metrics')"
expect_eq "https with credentials after reload" 200 "$(get "${CA[@]}" -u 'prom:s3cret-\"x' "$S/metrics")"
cp "$LIVE_WORK/body" "$LIVE_WORK/metrics"
expect_eq "reloads success" 2 "$(m 'rfm_config_reloads_total{result="success"}')"
rfm_stop "$rfm"
live_finish
