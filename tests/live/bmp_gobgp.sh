#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# bmp_gobgp.sh RFM - rfm's BMP listener fed by a real router, gobgpd, and
# rfm's RIB (--dump-rib, SIGUSR1) checked route by route after every change.
#
# Everything runs in one namespace R the test creates, on its loopback:
#   rfm agent   attached to a veth pair v0/v1 in R (it needs an interface),
#               BMP listener 127.0.0.1:$BMP_PORT, allow = [ 127.0.0.1 ]
#   gobgpd A    AS64500 on 127.0.0.2, the monitored router: BMP to rfm,
#               route-monitoring-policy "all" (Adj-RIB-In pre and post, Loc-RIB)
#   gobgpd B    AS64501 on 127.0.0.3, the route injector (gobgp CLI), peering
#               with A over loopback. gobgp refuses a next hop in 127/8, so B's
#               export policy rewrites IPv4 next hops to 198.18.0.3.
# Routes use documentation prefixes and ASNs only.
#
# Each change (a route added or withdrawn with the gobgp CLI, B stopped, B
# back, A killed) must show in rfm's RIB exactly - view, peer, prefix, origin
# AS, AS path, next hop, BMP session, selected - within RIB_DEADLINE_MS of
# the command. Also: a BMP stream that turns malformed (python) closes only
# its own session, whose route goes, while gobgpd's routes stay; it is logged
# with the router address and the error and counted. A connection from an
# address not in allow is refused, logged and counted. SIGHUP moves the
# listener to another port. The counts are checked in rfm's exit line.
# And the agent enriches flow records from this RIB: a UDP flow inside
# 2001:db8::/32 (sent on v1, seen at v0 ingress, sampling 1, idle timeout
# 1 s) is exported with that route's origin AS, neighbour AS, BGP next hop
# and prefix length for both addresses.
# rfm_start, live_ns set variables by name; helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2001,SC2154,SC2317
. "$(dirname "$0")/lib.sh"
for c in gobgpd gobgp; do
	command -v "$c" >/dev/null || live_skip "$c is not installed (apt-get install gobgpd)"
done
live_init "${1:-}"

RIB_DEADLINE_MS=1000
BMP_PORT=24179 BMP_PORT2=24183 BGP_PORT=24180 API_A=24181 API_B=24182

live_ns R r
live_veth "$R" v0 "$R" v1 noipv6
for p in $BMP_PORT $BMP_PORT2 $BGP_PORT $API_A $API_B; do
	[ -z "$(ip netns exec "$R" ss -Hltn "sport = :$p")" ] || live_die "TCP port $p is in use in $R"
done

# --- configuration ---------------------------------------------------------

conf="$LIVE_WORK/rfm.conf"
# write_conf BMP_PORT
write_conf() {
	live_config "$conf" <<-EOF
		datapath = { interfaces = [ "v0" ]; sampling = 1; };
		flows = { idle_timeout = 1; };
		enrich = {
			bmp = {
				listen = "127.0.0.1";
				port = $1;
				allow = [ "127.0.0.1" ];
			};
		};
	EOF
}

# gobgp_conf AS ADDRESS PEER_ADDRESS PEER_AS: the common part of A and B.
gobgp_conf() {
	cat <<-EOF
		[global.config]
		  as = $1
		  router-id = "$2"
		  port = $BGP_PORT
		  local-address-list = ["$2"]
		[[neighbors]]
		  [neighbors.config]
		    neighbor-address = "$3"
		    peer-as = $4
		  [neighbors.transport.config]
		    local-address = "$2"
		    remote-port = $BGP_PORT
		  [[neighbors.afi-safis]]
		    [neighbors.afi-safis.config]
		      afi-safi-name = "ipv4-unicast"
		  [[neighbors.afi-safis]]
		    [neighbors.afi-safis.config]
		      afi-safi-name = "ipv6-unicast"
	EOF
}

{
	gobgp_conf 64500 127.0.0.2 127.0.0.3 64501
	cat <<-EOF
		[[bmp-servers]]
		  [bmp-servers.config]
		    address = "127.0.0.1"
		    port = $BMP_PORT
		    route-monitoring-policy = "all"
	EOF
} >"$LIVE_WORK/a.toml"
{
	gobgp_conf 64501 127.0.0.3 127.0.0.2 64500
	sed "s/NEXT_HOP/198.18.0.3/" "$LIVE_HERE/gobgp-nh-policy.toml"
} >"$LIVE_WORK/b.toml"
for r in a b; do
	gobgpd -f "$LIVE_WORK/$r.toml" -d >"$LIVE_WORK/$r.check" 2>&1 ||
		live_die "gobgpd -d $r.toml: $(cat "$LIVE_WORK/$r.check")"
done

# --- helpers ---------------------------------------------------------------

# gobgpd_start VAR NAME API_PORT: gobgpd with NAME.toml in R; VAR = its pid.
gobgpd_start() {
	ip netns exec "$R" gobgpd -f "$LIVE_WORK/$2.toml" -p --api-hosts "127.0.0.1:$3" \
		--pprof-disable >>"$LIVE_WORK/$2.log" 2>&1 &
	LIVE_PIDS+=("$!")
	printf -v "$1" %s "$!"
}
GA() { ip netns exec "$R" gobgp -p "$API_A" "$@"; }
GB() { ip netns exec "$R" gobgp -p "$API_B" "$@"; }
_established() { GB neighbor 2>/dev/null | grep -q Establ; }

dump="$LIVE_WORK/rib.jsonl"
. "$(dirname "$0")/bmp_rib.sh"

# route VIEW PEER PREFIX ORIGIN_AS PATH NEXT_HOP SELECTED [SESSION]: one expected line.
route() {
	echo "$1 $2 $3 origin $4 path $5 nh $6 session ${8:-$S} selected $7"
}
# from_b PREFIX PATH NEXT_HOP ORIGIN_AS: a route B announced, as A's three
# views show it (B's AS prepended); Loc-RIB is the one selected.
from_b() {
	route adj-rib-in-pre 127.0.0.3 "$1" "$4" "64501,$2" "$3" false
	route adj-rib-in-post 127.0.0.3 "$1" "$4" "64501,$2" "$3" false
	route loc-rib 0.0.0.0 "$1" "$4" "64501,$2" "$3" true
}

# bmp_client ARGS...: a python (stdlib) BMP client in R, see its usage line.
bmp_client() { ip netns exec "$R" "$LIVE_PY" "$LIVE_WORK/bmp_client.py" "$@"; }
cat >"$LIVE_WORK/bmp_client.py" <<-'EOF'
		# bmp_client malformed PORT GO_FILE | probe SOURCE PORT
		import os, socket, struct, sys, time
		def bmp(mtype, body):  # RFC 7854 4.1 common header
		    return struct.pack("!BIB", 3, 6 + len(body), mtype) + body
		def bgp(marker, body):  # RFC 4271 4.1, UPDATE
		    return marker + struct.pack("!HB", 19 + len(body), 2) + body
		def wait_closed(s, secs):
		    s.settimeout(secs)
		    try:
		        return s.recv(1) == b""
		    except ConnectionResetError:
		        return True
		    except socket.timeout:
		        return False
		if sys.argv[1] == "probe":
		    s = socket.socket()
		    s.bind((sys.argv[2], 0))
		    try:
		        s.connect(("127.0.0.1", int(sys.argv[3])))
		    except ConnectionRefusedError:
		        print("refused")
		        sys.exit(0)
		    print("closed" if wait_closed(s, 2) else "open")
		    sys.exit(0)
		port, go = int(sys.argv[2]), sys.argv[3]
		# Per-peer header (RFC 7854 4.2): global peer 198.18.0.9 AS64505, pre-policy.
		peer = (struct.pack("!BBQ", 0, 0, 0) + bytes(12) + socket.inet_aton("198.18.0.9")
		        + struct.pack("!IIII", 64505, 0xC6120009, 0, 0))
		attrs = (bytes([0x40, 1, 1, 0])                                   # ORIGIN IGP
		         + bytes([0x40, 2, 10, 2, 2]) + struct.pack("!II", 64505, 64508)  # AS_PATH
		         + bytes([0x40, 3, 4]) + socket.inet_aton("198.18.0.9"))   # NEXT_HOP
		update = struct.pack("!HH", 0, len(attrs)) + attrs + bytes([25, 203, 0, 113, 128])
		name = b"rfm-live-malformed"
		s = socket.create_connection(("127.0.0.1", port))
		s.sendall(bmp(4, struct.pack("!HH", 2, len(name)) + name)      # Initiation, sysName
		          + bmp(0, peer + bgp(b"\xff" * 16, update)))          # Route Monitoring
		for _ in range(1000):
		    if os.path.exists(go):
		        break
		    time.sleep(0.01)
		s.sendall(bmp(0, peer + bgp(b"\x00" * 16, update)))            # bad BGP marker
		print("closed by rfm" if wait_closed(s, 5) else "still open")
	EOF

# --- run -------------------------------------------------------------------

write_conf "$BMP_PORT"
flows="$LIVE_WORK/flows.jsonl"
rfm_start rfm "$R" -c "$conf" --dump-rib "$dump" --print json -o "$flows"
err=$(rfm_err "$rfm")
expect_eq "rfm's RIB at start" "" "$(rib_now)"

gobgpd_start A a "$API_A"
gobgpd_start B b "$API_B"
rfm_wait_log "$rfm" '^rfm: BMP session [0-9]+ from 127\.0\.0\.1 port [0-9]+: open$' ||
	live_die "gobgpd A did not open a BMP session"
S=$(sed -nE 's/^rfm: BMP session ([0-9]+) from 127\.0\.0\.1 .*: open$/\1/p' "$err" | head -n 1)
live_wait_for "BGP between A and B" 30 _established || live_die "A and B did not establish"

echo "== routes added and withdrawn with the gobgp CLI (BMP session $S)"
t0=$(live_now_ms)
GB global rib add 192.0.2.0/24 origin igp aspath "64510 64496" nexthop 127.0.0.3 \
	community 64501:100 || live_die "gobgp rib add"
want=$(from_b 192.0.2.0/24 64510,64496 198.18.0.3 64496)
expect_rib "B adds 192.0.2.0/24" "$t0" "$want"

t0=$(live_now_ms)
GB global rib add 198.51.100.0/24 aspath "64511 65551" nexthop 127.0.0.3 ||
	live_die "gobgp rib add"
expect_rib "B adds 198.51.100.0/24 (4-octet origin AS)" "$t0" \
	"$want"$'\n'"$(from_b 198.51.100.0/24 64511,65551 198.18.0.3 65551)"

t0=$(live_now_ms)
GB global rib add -a ipv6 2001:db8::/32 aspath "64509 65536" nexthop 2001:db8:ffff::3 ||
	live_die "gobgp rib add"
want+=$'\n'$(from_b 2001:db8::/32 64509,65536 2001:db8:ffff::3 65536)
expect_rib "B adds 2001:db8::/32" "$t0" \
	"$want"$'\n'"$(from_b 198.51.100.0/24 64511,65551 198.18.0.3 65551)"

# Ends (idle) while 2001:db8::/32 is in the RIB; checked before B stops.
live_send "$R" v1 "$(live_mac "$R" v0)" "$LIVE_WORK/sent" \
	"name=F,proto=udp,src=2001:db8::7,dst=2001:db8::1,sport=4000,dport=5000,count=3,payload=10"
expect_sent_flow "$LIVE_WORK/sent" F 3 $((3 * 58))

t0=$(live_now_ms)
GA global rib add 203.0.113.0/24 aspath 64499 nexthop 127.0.0.2 || live_die "gobgp rib add"
local_route=$(route loc-rib 0.0.0.0 203.0.113.0/24 64499 64499 127.0.0.2 true)
want+=$'\n'$local_route
expect_rib "A originates 203.0.113.0/24 (Loc-RIB only)" "$t0" \
	"$want"$'\n'"$(from_b 198.51.100.0/24 64511,65551 198.18.0.3 65551)"

t0=$(live_now_ms)
GB global rib del 198.51.100.0/24 || live_die "gobgp rib del"
expect_rib "B withdraws 198.51.100.0/24" "$t0" "$want"

echo "== a BMP stream that turns malformed closes only its own session"
M=$((S + 1))
go="$LIVE_WORK/go"
t0=$(live_now_ms)
# Not through bmp_client: $! must be python's own pid (ip netns exec execs it).
ip netns exec "$R" "$LIVE_PY" "$LIVE_WORK/bmp_client.py" malformed "$BMP_PORT" "$go" \
	>"$LIVE_WORK/malformed.out" 2>&1 &
client=$!
LIVE_PIDS+=("$client")
expect_rib "a second session announces 203.0.113.128/25" "$t0" \
	"$want"$'\n'"$(route adj-rib-in-pre 198.18.0.9 203.0.113.128/25 64508 64505,64508 \
		198.18.0.9 true "$M")"
t0=$(live_now_ms)
touch "$go"
wait "$client"
live_forget "$client"
expect_eq "the malformed session, as its client saw it" "closed by rfm" \
	"$(cat "$LIVE_WORK/malformed.out")"
expect_rib "the malformed session closed" "$t0" "$want"
expect_match "rfm's log of the malformed message" \
	"^rfm: warning: BMP session $M from 127\.0\.0\.1 port [0-9]+ \(rfm-live-malformed\): malformed message, session closed, 1 routes dropped: .*marker" \
	"$(cat "$err")"
expect_eq "sessions closed other than the malformed one" 0 \
	"$(grep -cE '^rfm: BMP session [0-9]+ .*: closed \(' "$err")"

echo "== a router not in allow is refused"
expect_eq "connection from 127.0.0.5" closed "$(bmp_client probe 127.0.0.5 "$BMP_PORT")"
rfm_wait_log "$rfm" \
	"^rfm: warning: BMP: refused connection from 127\.0\.0\.5 port [0-9]+: not in enrich\.bmp\.allow$"
expect_rib "the refused connection" "$(live_now_ms)" "$want"

echo "== flow records enriched from the RIB"
live_wait_flows "$flows" '.dst_addr == "2001:db8::1"' 1
expect_eq "flow 2001:db8::7 -> 2001:db8::1: packets, ASNs, sources, next/prev AS" \
	"3 65536 65536 rib rib 64501 64501" \
	"$(live_flow "$flows" '.dst_addr == "2001:db8::1"' | jq -r '"\(.packets) \(.src_asn)
		\(.dst_asn) \(.src_asn_source) \(.dst_asn_source) \(.next_as) \(.prev_as)"' | xargs)"
expect_eq "its BGP next hop and prefix lengths" "2001:db8:ffff::3 32 32" \
	"$(live_flow "$flows" '.dst_addr == "2001:db8::1"' |
		jq -r '"\(.bgp_next_hop) \(.src_prefix_len) \(.dst_prefix_len)"')"

echo "== the BGP peer goes down (B stopped) and comes back"
t0=$(live_now_ms)
live_stop "$B" TERM
expect_rib "B stopped (Peer Down)" "$t0" "$local_route"
gobgpd_start B b "$API_B"
live_wait_for "BGP between A and B again" 30 _established || live_die "B did not come back"
t0=$(live_now_ms)
GB global rib add 192.0.2.0/24 aspath "64510 64502 64496" nexthop 127.0.0.3 ||
	live_die "gobgp rib add"
want=$(from_b 192.0.2.0/24 64510,64502,64496 198.18.0.3 64496)$'\n'$local_route
expect_rib "B back, adds 192.0.2.0/24 with a longer path" "$t0" "$want"

# SIGKILL: no Peer Down first (gobgpd sends one on SIGTERM), only the end of
# the TCP stream, so every route must go because the session closed.
echo "== the monitored router dies: its BMP session ends, all it taught goes"
t0=$(live_now_ms)
live_stop "$A" KILL
expect_rib "A killed (BMP session EOF)" "$t0" ""
expect_match "rfm's log of the session end" \
	"^rfm: BMP session $S from 127\.0\.0\.1 port [0-9]+ \(GoBGP\): closed \(eof\), 4 routes dropped$" \
	"$(cat "$err")"

echo "== SIGHUP moves the listener"
write_conf "$BMP_PORT2"
kill -HUP "$rfm"
rfm_wait_log "$rfm" '^rfm: configuration reloaded' || true
expect_eq "rfm's log of the new listener" 1 \
	"$(rfm_log_count "$rfm" "^rfm: BMP: listening on 127\.0\.0\.1 port $BMP_PORT2$")"
expect_eq "connection to the old port $BMP_PORT" refused \
	"$(bmp_client probe 127.0.0.5 "$BMP_PORT")"
expect_eq "connection from 127.0.0.5 to the new port" closed \
	"$(bmp_client probe 127.0.0.5 "$BMP_PORT2")"

live_stop "$B" TERM
rfm_stop "$rfm"
out=$(rfm_out "$rfm")
bmp_stat() { jq -R -r --arg k "$1" 'fromjson? | select(.type == "bmp") | .[$k]' "$out"; }
expect_eq "BMP sessions accepted, open at exit" "2 0" \
	"$(bmp_stat accepted) $(bmp_stat sessions_open)"
expect_eq "BMP connections refused (not allowed, limit)" "2 0" \
	"$(bmp_stat refused_allow) $(bmp_stat refused_limit)"
expect_eq "BMP sessions closed: eof, error, malformed" "1 0 1" \
	"$(bmp_stat closed_eof) $(bmp_stat closed_error) $(bmp_stat closed_malformed)"
expect_eq "routes held at exit" 0 "$(bmp_stat routes)"
expect_match "Peer Up and Peer Down messages counted" '^[1-9][0-9]* [1-9][0-9]*$' \
	"$(jq -R -r 'fromjson? | select(.type == "bmp") | "\(.messages[3]) \(.messages[2])"' \
		"$out")"

if [ "$LIVE_FAILS" -ne 0 ]; then
	for r in a b; do
		echo "--- gobgpd $r log (last lines):"
		tail -n 10 "$LIVE_WORK/$r.log"
	done
fi
live_finish
