# SPDX-License-Identifier: AGPL-3.0-or-later
# shellcheck shell=bash disable=SC2001,SC2154 # rfm, dump: set by the caller
# bmp_rib.sh - rfm's RIB as the BMP live tests read it (source it after
# lib.sh): a fresh --dump-rib written on SIGUSR1, one sorted line per route,
# and expect_rib, which polls it against the lines expected, with a deadline.
# Uses the caller's variables rfm (the agent's pid), dump (its --dump-rib
# FILE) and RIB_DEADLINE_MS.

# rib_now: a fresh dump of rfm's RIB (the old file removed, SIGUSR1, wait
# for rfm to rename the new one into place), one sorted line per route:
# "VIEW PEER PREFIX origin AS path A,B,C nh NEXT_HOP session N selected BOOL".
rib_now() {
	local i
	rm -f "$dump"
	kill -USR1 "$rfm" || return 1
	for ((i = 0; i < 200; i++)); do
		[ -e "$dump" ] && break
		sleep 0.01
	done
	jq -r '"\(.view) \(.peer) \(.prefix) origin \(.origin_as) path \(.as_path | map(tostring) |
		join(",")) nh \(.next_hop) session \(.session) selected \(.selected)"' \
		"$dump" 2>/dev/null | LC_ALL=C sort
}
rib_got=
_rib_is() {
	rib_got=$(rib_now)
	[ "$rib_got" = "$1" ]
}

# expect_rib WHAT T0_MS EXPECTED_LINES: rfm's RIB is exactly EXPECTED_LINES
# (any order) within RIB_DEADLINE_MS of T0_MS.
expect_rib() {
	local what=$1 t0=$2 want
	want=$(sed '/^$/d' <<<"$3" | LC_ALL=C sort)
	LIVE_CHECKS=$((LIVE_CHECKS + 1))
	if live_wait_until "the RIB after $what" $((t0 + RIB_DEADLINE_MS)) _rib_is "$want" \
		>/dev/null; then
		echo "ok   RIB after $what: $(grep -c . <<<"$want") routes in" \
			"$(($(live_now_ms) - t0)) ms"
	else
		echo "FAIL RIB after $what, ${RIB_DEADLINE_MS} ms: expected"
		sed 's/^/     | /' <<<"$want"
		echo "     got"
		sed 's/^/     | /' <<<"$rib_got"
		LIVE_FAILS=$((LIVE_FAILS + 1))
	fi
}
