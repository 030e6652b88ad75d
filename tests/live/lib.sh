# SPDX-License-Identifier: AGPL-3.0-or-later
# shellcheck shell=bash disable=SC2001,SC2034 # LIVE_* are used by the scripts
# lib.sh - shared helpers of the live tests (source it; bash only).
#
# Owns: the network namespaces and processes a test starts (removed and
# stopped by the EXIT trap, processes by PID only), the temporary work
# directory, polling with deadlines, and the assertions (each prints what it
# expected and what it got; live_finish exits 1 if any failed).
#
# Rules every test follows: traffic only inside namespaces it creates
# (named rfmt-<pid>-<name>), test addresses from 198.18.0.0/15 and
# 2001:db8::/32, wait for conditions with a deadline (never a fixed sleep as
# synchronisation), compare exact numbers. Exit 77 = skipped, with a reason.
set -uo pipefail

LIVE_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIVE_PY=/usr/bin/python3 # Debian's, with python3-scapy (the PATH python3 may lack it)
LIVE_TAG=rfmt-$$
LIVE_RFM=
LIVE_WORK=
LIVE_NS=()   # namespaces this test created
LIVE_PIDS=() # processes this test started and has not reaped yet
LIVE_FAILS=0
LIVE_CHECKS=0
LIVE_SEQ=0
declare -A LIVE_OUTFILE=() # pid -> output file prefix
declare -A LIVE_MAPID=()   # rfm pid -> id of its rfm_counters map

live_skip() {
	echo "SKIP: $*"
	exit 77
}

# A setup step failed: the test cannot go on.
live_die() {
	echo "FAIL (setup): $*"
	LIVE_FAILS=$((LIVE_FAILS + 1))
	live_dump_logs
	exit 1
}

# live_init RFM: check the prerequisites, make the work dir, set the trap.
live_init() {
	LIVE_RFM=${1:?usage: $0 PATH-TO-rfm ...}
	[ "$(id -u)" -eq 0 ] || live_skip "needs root (network namespaces, CAP_BPF, CAP_NET_ADMIN)"
	[ -x "$LIVE_RFM" ] || live_die "$LIVE_RFM is not an executable"
	local c
	for c in ip jq tc bpftool; do
		command -v "$c" >/dev/null || live_skip "$c is not installed"
	done
	"$LIVE_PY" -c 'import scapy' 2>/dev/null ||
		live_skip "$LIVE_PY has no scapy (apt-get install python3-scapy)"
	LIVE_WORK=$(mktemp -d /tmp/rfm-live.XXXXXX) || live_die "mktemp"
	trap live_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	# Probe: a namespace and a veth pair in it.
	ip netns add "$LIVE_TAG-probe" 2>/dev/null || live_skip "cannot create a network namespace"
	LIVE_NS+=("$LIVE_TAG-probe")
	ip -n "$LIVE_TAG-probe" link add p0 type veth peer name p1 2>/dev/null ||
		live_skip "the kernel cannot create veth devices"
}

# live_need_tcx TCX_QUERY: skip on a kernel without TCX (< 6.6), where
# BPF_PROG_QUERY does not know the TCX attach types.
live_need_tcx() {
	ip netns exec "$LIVE_TAG-probe" "$1" lo >/dev/null 2>&1 ||
		live_skip "the kernel has no TCX hooks (needs Linux >= 6.6)"
}

live_cleanup() {
	local p ns
	for p in "${LIVE_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${LIVE_PIDS[@]}"; do
		for _ in $(seq 50); do
			live_running "$p" || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	LIVE_PIDS=()
	for ns in "${LIVE_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$LIVE_WORK" ] && [ -z "${LIVE_KEEP:-}" ]; then
		rm -rf "$LIVE_WORK"
	elif [ -n "$LIVE_WORK" ]; then
		echo "work directory kept: $LIVE_WORK"
	fi
}

# live_running PID: the process exists and is not a zombie waiting for us.
live_running() {
	[ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# live_forget PID: the process has been reaped.
live_forget() {
	local keep=() p
	for p in "${LIVE_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	LIVE_PIDS=("${keep[@]}")
}

# live_wait_for DESCRIPTION SECONDS COMMAND...: run COMMAND every 50 ms until
# it succeeds; 1 (and a message) when the deadline passes first.
live_wait_for() {
	local what=$1 secs=$2
	shift 2
	local deadline=$((SECONDS + secs))
	while ! "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "timeout after ${secs}s waiting for $what"
			return 1
		fi
		sleep 0.05
	done
}

# live_ns VAR NAME: create namespace rfmt-<pid>-NAME with lo up; VAR = its name.
live_ns() {
	local name="$LIVE_TAG-$2"
	ip netns add "$name" || live_die "cannot create namespace $name"
	LIVE_NS+=("$name")
	ip -n "$name" link set lo up || live_die "lo up in $name"
	printf -v "$1" %s "$name"
}

# live_veth NS1 IF1 NS2 IF2 [noipv6]: a veth pair between two namespaces,
# both ends up. noipv6 disables IPv6 on both ends before they come up, so
# the kernel sends nothing on its own (no DAD, MLD or router solicitation).
live_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
		live_die "veth $1/$2 - $3/$4"
	if [ "${5:-}" = noipv6 ]; then
		ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" || live_die "sysctl"
		ip netns exec "$3" sysctl -qw "net.ipv6.conf.$4.disable_ipv6=1" || live_die "sysctl"
	fi
	if ! ip -n "$1" link set "$2" up || ! ip -n "$3" link set "$4" up; then
		live_die "link up"
	fi
}

live_mac() { ip -n "$1" -j link show dev "$2" | jq -r '.[0].address'; }
live_ifindex() { ip -n "$1" -j link show dev "$2" | jq -r '.[0].ifindex'; }

# rfm_start VAR NS ARGS...: run `rfm agent ARGS` in namespace NS and wait
# (10 s at most) for its "rfm: running" line; VAR = its pid. `ip netns exec`
# execs the command, so the pid is rfm's own. stdout and stderr go to
# $(rfm_out PID) and $(rfm_err PID).
rfm_start() {
	local var=$1 ns=$2 pid prefix
	shift 2
	LIVE_SEQ=$((LIVE_SEQ + 1))
	prefix="$LIVE_WORK/rfm$LIVE_SEQ"
	ip netns exec "$ns" "$LIVE_RFM" agent "$@" >"$prefix.out" 2>"$prefix.err" &
	pid=$!
	LIVE_PIDS+=("$pid")
	LIVE_OUTFILE[$pid]=$prefix
	if ! live_wait_for "rfm (pid $pid) to be running" 10 _rfm_ready "$pid" "$prefix.err"; then
		sed 's/^/  rfm stderr: /' "$prefix.err"
		live_die "rfm agent $* did not start"
	fi
	_rfm_find_map "$pid" || live_die "rfm (pid $pid) has no rfm_counters map"
	printf -v "$var" %s "$pid"
}

_rfm_ready() {
	grep -q '^rfm: running' "$2" && return 0
	live_running "$1" || {
		sed 's/^/  rfm stderr: /' "$2"
		live_die "rfm exited before it was running"
	}
	return 1
}

rfm_out() { echo "${LIVE_OUTFILE[$1]}.out"; }
rfm_err() { echo "${LIVE_OUTFILE[$1]}.err"; }

# live_stop PID [SIGNAL] [SECONDS]: signal a started process (default TERM),
# wait for it to exit and reap it; LIVE_RC = its exit status, or "timeout"
# (then it is killed). Not in a $(...): only this shell can reap its children.
LIVE_RC=
live_stop() {
	local pid=$1 sig=${2:-TERM} secs=${3:-10}
	kill -s "$sig" "$pid" 2>/dev/null
	if [ "$sig" = KILL ]; then
		# Cannot be caught: reap at once, before bash reports "Killed" itself.
		wait "$pid" 2>/dev/null
		LIVE_RC=$?
		live_forget "$pid"
		return
	fi
	if ! live_wait_for "pid $pid to exit after SIG$sig" "$secs" _not_running "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		live_forget "$pid"
		LIVE_RC=timeout
		return
	fi
	wait "$pid" 2>/dev/null # no "Killed" notice from bash for SIGKILL
	LIVE_RC=$?
	live_forget "$pid"
}

_not_running() { ! live_running "$1"; }

# rfm_stop PID: SIGTERM, expect exit status 0 (drained, counters printed, detached).
rfm_stop() {
	live_stop "$1" TERM
	expect_eq "rfm (pid $1) exit status after SIGTERM" 0 "$LIVE_RC"
}

# live_map_id PID NAME: id of the BPF map called NAME that process PID holds
# open (found through its file descriptors, so other BPF users on the
# machine, another rfm included, do not interfere); empty if none.
live_map_id() {
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		id=$(awk '$1 == "map_id:" { print $2 }' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		if [ "$(bpftool -j map show id "$id" 2>/dev/null | jq -r .name)" = "$2" ]; then
			echo "$id"
			return 0
		fi
	done
}

# _rfm_find_map PID: remember the id of rfm's rfm_counters map.
_rfm_find_map() {
	LIVE_MAPID[$1]=$(live_map_id "$1" rfm_counters)
	[ -n "${LIVE_MAPID[$1]}" ]
}

# rfm_counted PID: packets rfm has counted so far, all interfaces, directions
# and families, summed over CPUs from its rfm_counters map.
rfm_counted() {
	bpftool -j map dump id "${LIVE_MAPID[$1]:-0}" 2>/dev/null |
		jq '[.[].formatted.values[].value.fam[].packets] | add // 0' 2>/dev/null || echo -1
}

_counted_ge() { [ "$(rfm_counted "$1")" -ge "$2" ]; }

# rfm_wait_counted PID N: wait (10 s) until rfm has counted at least N packets.
rfm_wait_counted() {
	live_wait_for "rfm (pid $1) to count $2 packets" 10 _counted_ge "$1" "$2" ||
		echo "  rfm (pid $1) has counted $(rfm_counted "$1")"
}

# live_counter FILE IFNAME DIRECTION FAMILY FIELD: a field of rfm's final
# counter line ("missing" if there is none).
live_counter() {
	local v
	v=$(jq -R -r --arg i "$2" --arg d "$3" --arg f "$4" --arg k "$5" \
		'fromjson? | select(.type == "counter" and .ifname == $i and .direction == $d
		and .family == $f) | .[$k]' "$1" | tail -n 1)
	echo "${v:-missing}"
}

# live_stat FILE NAME: a field of rfm's final stats line.
live_stat() {
	local v
	v=$(jq -R -r --arg k "$2" 'fromjson? | select(.type == "stats") | .[$k]' "$1" | tail -n 1)
	echo "${v:-missing}"
}

# live_events FILE [JQ_CONDITION]: number of events satisfying the condition.
live_events() {
	jq -R -c "fromjson? | select(.type == \"event\") | select(${2:-true})" "$1" | wc -l
}

_events_ge() { [ "$(live_events "$1" "$2")" -ge "$3" ]; }

# live_wait_events FILE JQ_CONDITION N: wait (10 s) for N matching events.
live_wait_events() {
	live_wait_for "$3 events matching $2" 10 _events_ge "$1" "$2" "$3" ||
		echo "  have $(live_events "$1" "$2")"
}

# expect_eq WHAT EXPECTED GOT
expect_eq() {
	LIVE_CHECKS=$((LIVE_CHECKS + 1))
	if [ "$2" = "$3" ]; then
		echo "ok   $1 = $3"
	else
		echo "FAIL $1: expected $2, got $3"
		LIVE_FAILS=$((LIVE_FAILS + 1))
	fi
}

# expect_match WHAT EXTENDED_REGEX TEXT
expect_match() {
	LIVE_CHECKS=$((LIVE_CHECKS + 1))
	if grep -Eq -- "$2" <<<"$3"; then
		echo "ok   $1 (matches /$2/)"
	else
		echo "FAIL $1: expected a match of /$2/, got:"
		sed 's/^/     | /' <<<"$3"
		LIVE_FAILS=$((LIVE_FAILS + 1))
	fi
}

# expect_no_match WHAT EXTENDED_REGEX TEXT
expect_no_match() {
	LIVE_CHECKS=$((LIVE_CHECKS + 1))
	if ! grep -Eq -- "$2" <<<"$3"; then
		echo "ok   $1 (no /$2/)"
	else
		echo "FAIL $1: expected no match of /$2/, got:"
		sed 's/^/     | /' <<<"$3"
		LIVE_FAILS=$((LIVE_FAILS + 1))
	fi
}

live_dump_logs() {
	local pid
	for pid in "${!LIVE_OUTFILE[@]}"; do
		[ -s "${LIVE_OUTFILE[$pid]}.err" ] || continue
		echo "--- stderr of pid $pid:"
		tail -n 20 "${LIVE_OUTFILE[$pid]}.err"
	done
}

# live_finish: summary line; exit 1 if any check failed.
live_finish() {
	if [ "$LIVE_FAILS" -ne 0 ]; then
		echo "$LIVE_FAILS of $LIVE_CHECKS checks FAILED"
		live_dump_logs
		exit 1
	fi
	echo "all $LIVE_CHECKS checks passed"
	exit 0
}
