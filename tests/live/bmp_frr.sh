#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# bmp_frr.sh RFM - rfm's RIB fed by FRR 8.4 bgpd (-M bmp) over two BMP
# sessions at once, one in each direction, checked route by route with
# --dump-rib (SIGUSR1) after every change.
#
# Everything runs in one namespace R the test creates, on its loopback:
#   rfm agent   attached to a veth pair v0/v1 in R (it needs an interface);
#               BMP listener 127.0.0.1:$BMP_PORT (allow = [ 127.0.0.1 ]) and
#               a connect target, FRR's listener 127.0.0.1:$FRR_BMP_PORT
#   bgpd        FRR, AS64502 on 127.0.0.4, the monitored router, standalone
#               (no zebra: -Z). "bmp connect" to rfm's listener (the passive
#               session, seen by rfm as "from") and "bmp listener" that rfm
#               connects to (the active session, "to"); pre- and
#               post-policy Route Monitoring for IPv4 and IPv6 unicast;
#               originates 203.0.113.0/24 with "network"
#   gobgpd B    AS64501 on 127.0.0.3, the route injector (gobgp CLI), peering
#               with bgpd over loopback. gobgp refuses a next hop in 127/8,
#               so B's export policy rewrites IPv4 next hops to 198.18.0.3.
# Routes use documentation prefixes and ASNs only.
#
# FRR 8.4 behaviour the expectations encode (/work/shared/peers README 2b):
# pre-policy needs "soft-reconfiguration inbound" (else every pre-policy
# message is a withdrawal); the AS_PATH in Route Monitoring has bgpd's own
# AS 64502 prepended, which rfm removes (an external peer's path cannot start
# with the receiver's AS), so the RIB holds B's path as B sent it; the "network" route comes as post-policy from peer
# 0.0.0.0, AS 0, empty AS_PATH, next hop 0.0.0.0; a Peer Down for B comes
# before B's first Peer Up (B is not established when a session starts).
#
# Each change - routes added, replaced and withdrawn with the gobgp CLI, the
# BGP session between B and bgpd disabled and enabled (gobgp CLI) and reset
# (FRR's vtysh "clear bgp", through bgpd's own vty socket), bgpd stopped -
# must show in rfm's RIB exactly (view, peer, prefix, origin AS, AS path,
# next hop, BMP session, selected) for BOTH sessions within RIB_DEADLINE_MS.
# The counts are checked in rfm's exit line.
# rfm_start, live_ns set variables by name; helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
BGPD=/usr/lib/frr/bgpd
[ -x "$BGPD" ] || live_skip "FRR bgpd is not installed (apt-get install frr)"
command -v vtysh >/dev/null || live_skip "FRR vtysh is not installed (apt-get install frr)"
for c in gobgpd gobgp; do
	command -v "$c" >/dev/null || live_skip "$c is not installed (apt-get install gobgpd)"
done
live_init "${1:-}"

RIB_DEADLINE_MS=1000
BMP_PORT=24189 FRR_BMP_PORT=24190 BGP_PORT=24191 API_B=24192

live_ns R r
live_veth "$R" v0 "$R" v1 noipv6
for p in $BMP_PORT $FRR_BMP_PORT $BGP_PORT $API_B; do
	[ -z "$(ip netns exec "$R" ss -Hltn "sport = :$p")" ] || live_die "TCP port $p is in use in $R"
done

# --- configuration ---------------------------------------------------------

conf="$LIVE_WORK/rfm.conf"
live_config "$conf" <<-EOF
	datapath = { interfaces = [ "v0" ]; };
	enrich = {
		bmp = {
			listen = "127.0.0.1";
			port = $BMP_PORT;
			allow = [ "127.0.0.1" ];
			connect = ( { address = "127.0.0.1"; port = $FRR_BMP_PORT; } );
			connect_retry_max = 1;
		};
	};
EOF

frr="$LIVE_WORK/frr"
mkdir -p "$frr"
cat >"$frr/bgpd.conf" <<-EOF
	frr defaults traditional
	hostname rfm-live-frr
	log file $frr/bgpd.log
	!
	router bgp 64502
	 bgp router-id 127.0.0.4
	 no bgp ebgp-requires-policy
	 no bgp network import-check
	 neighbor 127.0.0.3 remote-as 64501
	 neighbor 127.0.0.3 port $BGP_PORT
	 neighbor 127.0.0.3 update-source 127.0.0.4
	 neighbor 127.0.0.3 timers connect 1
	 !
	 address-family ipv4 unicast
	  network 203.0.113.0/24
	  neighbor 127.0.0.3 soft-reconfiguration inbound
	 exit-address-family
	 !
	 address-family ipv6 unicast
	  neighbor 127.0.0.3 activate
	  neighbor 127.0.0.3 soft-reconfiguration inbound
	 exit-address-family
	 !
	 bmp targets rfm
	  bmp monitor ipv4 unicast pre-policy
	  bmp monitor ipv4 unicast post-policy
	  bmp monitor ipv6 unicast pre-policy
	  bmp monitor ipv6 unicast post-policy
	  bmp connect 127.0.0.1 port $BMP_PORT min-retry 100 max-retry 1000
	  bmp listener 127.0.0.1 port $FRR_BMP_PORT
	 exit
	!
EOF
"$BGPD" -C -M bmp -f "$frr/bgpd.conf" -Z -S >"$frr/check.log" 2>&1 ||
	live_die "bgpd -C -M bmp: $(cat "$frr/check.log")"

cat >"$LIVE_WORK/b.toml" <<-EOF
	[global.config]
	  as = 64501
	  router-id = "127.0.0.3"
	  port = $BGP_PORT
	  local-address-list = ["127.0.0.3"]
	[[neighbors]]
	  [neighbors.config]
	    neighbor-address = "127.0.0.4"
	    peer-as = 64502
	  [neighbors.transport.config]
	    local-address = "127.0.0.3"
	    remote-port = $BGP_PORT
	  [neighbors.timers.config]
	    connect-retry = 1
	  [[neighbors.afi-safis]]
	    [neighbors.afi-safis.config]
	      afi-safi-name = "ipv4-unicast"
	  [[neighbors.afi-safis]]
	    [neighbors.afi-safis.config]
	      afi-safi-name = "ipv6-unicast"
EOF
sed "s/NEXT_HOP/198.18.0.3/" "$LIVE_HERE/gobgp-nh-policy.toml" >>"$LIVE_WORK/b.toml"
gobgpd -f "$LIVE_WORK/b.toml" -d >"$LIVE_WORK/b.check" 2>&1 ||
	live_die "gobgpd -d b.toml: $(cat "$LIVE_WORK/b.check")"

# --- helpers ---------------------------------------------------------------

# bgpd_start: FRR bgpd in R, BGP on 127.0.0.4:$BGP_PORT, no vty port; F = its pid.
bgpd_start() {
	ip netns exec "$R" "$BGPD" -M bmp -f "$frr/bgpd.conf" -i "$frr/bgpd.pid" \
		--vty_socket "$frr" -Z -S -p "$BGP_PORT" -l 127.0.0.4 -P 0 \
		>>"$frr/bgpd.stdout" 2>&1 &
	F=$!
	LIVE_PIDS+=("$F")
}
GB() { ip netns exec "$R" gobgp -p "$API_B" "$@"; }
_established() { GB neighbor 2>/dev/null | grep -q Establ; }
_not_established() { ! _established; }

dump="$LIVE_WORK/rib.jsonl"
. "$(dirname "$0")/bmp_rib.sh"

# route VIEW PEER PREFIX ORIGIN_AS PATH NEXT_HOP SELECTED SESSION: one expected line.
route() {
	echo "$1 $2 $3 origin $4 path $5 nh $6 session $8 selected $7"
}
# post_selected SESSION: true when SESSION's post-policy route is the one
# rfm selects. Both sessions carry the same routes from the same peer, so
# the tie goes to the lower session number (rib.h).
post_selected() { if [ "$1" -eq "$S_LOW" ]; then echo true; else echo false; fi; }
# from_b PREFIX PATH NEXT_HOP ORIGIN_AS: a route B announced, as both BMP
# sessions show it: pre- and post-policy, with B's AS 64501 in front (FRR 8.4
# also prepends bgpd's own 64502, which rfm removes).
from_b() {
	local s
	for s in $S_IN $S_OUT; do
		route adj-rib-in-pre 127.0.0.3 "$1" "$4" "64501,$2" "$3" false "$s"
		route adj-rib-in-post 127.0.0.3 "$1" "$4" "64501,$2" "$3" \
			"$(post_selected "$s")" "$s"
	done
}
# local_routes: bgpd's "network 203.0.113.0/24", post-policy from peer
# 0.0.0.0 with AS 0 and an empty path (origin AS 0: the header's), both sessions.
local_routes() {
	local s
	for s in $S_IN $S_OUT; do
		route adj-rib-in-post 0.0.0.0 203.0.113.0/24 0 "" 0.0.0.0 "$(post_selected "$s")" "$s"
	done
}

# --- run -------------------------------------------------------------------

rfm_start rfm "$R" -c "$conf" --dump-rib "$dump"
err=$(rfm_err "$rfm")
expect_eq "rfm's RIB at start" "" "$(rib_now)"

ip netns exec "$R" gobgpd -f "$LIVE_WORK/b.toml" -p --api-hosts "127.0.0.1:$API_B" \
	--pprof-disable >>"$LIVE_WORK/b.log" 2>&1 &
B=$!
LIVE_PIDS+=("$B")
bgpd_start
re_in='^rfm: BMP session ([0-9]+) from 127\.0\.0\.1 port [0-9]+: open$'
re_out="^rfm: BMP session ([0-9]+) to 127\.0\.0\.1 port $FRR_BMP_PORT: open\$"
rfm_wait_log "$rfm" "$re_in" || live_die "bgpd did not open a BMP session to rfm (bmp connect)"
rfm_wait_log "$rfm" "$re_out" || live_die "rfm did not connect to bgpd's BMP listener"
S_IN=$(sed -nE "s/$re_in/\\1/p" "$err" | head -n 1)
S_OUT=$(sed -nE "s/$re_out/\\1/p" "$err" | head -n 1)
S_LOW=$((S_IN < S_OUT ? S_IN : S_OUT))
echo "BMP session $S_IN: bgpd connected to rfm; session $S_OUT: rfm connected to bgpd"
expect_rib "both sessions open (bgpd's own network route)" "$(live_now_ms)" "$(local_routes)"
live_wait_for "BGP between B and bgpd" 30 _established || live_die "B and bgpd did not establish"

echo "== routes added, replaced and withdrawn with the gobgp CLI"
t0=$(live_now_ms)
GB global rib add 192.0.2.0/24 origin igp aspath "64510 64496" nexthop 127.0.0.3 ||
	live_die "gobgp rib add"
r1=$(from_b 192.0.2.0/24 64510,64496 198.18.0.3 64496)
expect_rib "B adds 192.0.2.0/24" "$t0" "$(local_routes)"$'\n'"$r1"

t0=$(live_now_ms)
GB global rib add 198.51.100.0/24 aspath "64511 65551" nexthop 127.0.0.3 ||
	live_die "gobgp rib add"
r2=$(from_b 198.51.100.0/24 64511,65551 198.18.0.3 65551)
expect_rib "B adds 198.51.100.0/24 (4-octet origin AS)" "$t0" \
	"$(local_routes)"$'\n'"$r1"$'\n'"$r2"

t0=$(live_now_ms)
GB global rib add -a ipv6 2001:db8::/32 aspath "64509 65536" nexthop 2001:db8:ffff::3 ||
	live_die "gobgp rib add"
r3=$(from_b 2001:db8::/32 64509,65536 2001:db8:ffff::3 65536)
expect_rib "B adds 2001:db8::/32" "$t0" "$(local_routes)"$'\n'"$r1"$'\n'"$r2"$'\n'"$r3"

t0=$(live_now_ms)
GB global rib add 192.0.2.0/24 origin igp aspath "64510 64505 64496" nexthop 127.0.0.3 ||
	live_die "gobgp rib add"
r1=$(from_b 192.0.2.0/24 64510,64505,64496 198.18.0.3 64496)
expect_rib "B replaces 192.0.2.0/24 (longer path)" "$t0" \
	"$(local_routes)"$'\n'"$r1"$'\n'"$r2"$'\n'"$r3"

t0=$(live_now_ms)
GB global rib del 198.51.100.0/24 || live_die "gobgp rib del"
want="$(local_routes)"$'\n'"$r1"$'\n'"$r3"
expect_rib "B withdraws 198.51.100.0/24" "$t0" "$want"

t0=$(live_now_ms)
GB global rib del -a ipv6 2001:db8::/32 || live_die "gobgp rib del"
expect_rib "B withdraws 2001:db8::/32" "$t0" "$(local_routes)"$'\n'"$r1"
t0=$(live_now_ms)
GB global rib add -a ipv6 2001:db8::/32 aspath "64509 65536" nexthop 2001:db8:ffff::3 ||
	live_die "gobgp rib add"
expect_rib "B adds 2001:db8::/32 again" "$t0" "$want"

echo "== the BGP session between B and bgpd goes down and comes back"
t0=$(live_now_ms)
GB neighbor 127.0.0.4 disable || live_die "gobgp neighbor disable"
expect_rib "B disables the session (Peer Down)" "$t0" "$(local_routes)"
live_wait_for "B to leave Established" 10 _not_established || live_die "B still established"
GB neighbor 127.0.0.4 enable || live_die "gobgp neighbor enable"
live_wait_for "BGP between B and bgpd again" 30 _established || live_die "B did not come back"
expect_rib "B enables the session again (Peer Up, routes sent again)" "$(live_now_ms)" "$want"

# A reset from bgpd's side (vtysh "clear bgp", Cease/Administrative Reset):
# down and up again faster than a dump can be polled, so the end state is
# checked once B has logged one more Peer Up than before.
peer_ups() { grep -c 'msg="Peer Up"' "$LIVE_WORK/b.log"; }
_peer_ups_gt() { [ "$(peer_ups)" -gt "$1" ] && _established; }
ups=$(peer_ups)
ip netns exec "$R" vtysh --vty_socket "$frr" -d bgpd -c "clear bgp 127.0.0.3" >/dev/null ||
	live_die "vtysh clear bgp 127.0.0.3"
live_wait_for "BGP between B and bgpd after the reset" 30 _peer_ups_gt "$ups" ||
	live_die "B did not come back after the reset"
expect_rib "bgpd resets the BGP session (clear bgp)" "$(live_now_ms)" "$want"

echo "== bgpd stops: both BMP sessions end, all they taught goes"
t0=$(live_now_ms)
live_stop "$F" TERM
expect_rib "bgpd stopped" "$t0" ""
rfm_wait_log "$rfm" "^rfm: BMP session $S_IN from 127\.0\.0\.1 port [0-9]+ \(.*\): closed \((eof|error)" ||
	true
expect_eq "rfm's log of the two session ends" 2 \
	"$(grep -cE "^rfm: BMP session ($S_IN|$S_OUT) (from|to) 127\.0\.0\.1 port [0-9]+ \(rfm-live-frr\): closed \((eof|error)" "$err")"

live_stop "$B" TERM
rfm_stop "$rfm"
out=$(rfm_out "$rfm")
bmp_stat() { jq -R -r --arg k "$1" 'fromjson? | select(.type == "bmp") | .[$k]' "$out"; }
expect_eq "BMP sessions accepted, open at exit, refused" "1 0 0 0" \
	"$(bmp_stat accepted) $(bmp_stat sessions_open) $(bmp_stat refused_allow) \
$(bmp_stat refused_limit)"
expect_eq "BMP sessions closed malformed" 0 "$(bmp_stat closed_malformed)"
expect_eq "routes held at exit" 0 "$(bmp_stat routes)"
# Per session one Peer Up per establishment (3). Peer Downs: one per
# disable and reset at least; bgpd 8.4 also sends one for every failed
# attempt to connect to B, so their number varies.
expect_eq "Peer Up messages (3 establishments x 2 sessions)" 6 \
	"$(jq -R -r 'fromjson? | select(.type == "bmp") | .messages[3]' "$out")"
expect_match "Peer Down messages (at least 2 x 2)" '^([4-9]|[1-9][0-9]+)$' \
	"$(jq -R -r 'fromjson? | select(.type == "bmp") | .messages[2]' "$out")"

if [ "$LIVE_FAILS" -ne 0 ]; then
	echo "--- bgpd log (last lines):"
	tail -n 20 "$frr/bgpd.log"
	echo "--- gobgpd B log (last lines):"
	tail -n 10 "$LIVE_WORK/b.log"
fi
live_finish
