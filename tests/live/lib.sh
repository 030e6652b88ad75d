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
declare -A LIVE_IFMAPS=()  # rfm pid -> "ID_OF_rfm_if_array ID_OF_rfm_if_config"

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

# _rfm_find_map PID: remember the ids of rfm's rfm_counters, rfm_if_array
# and rfm_if_config maps (one pass over its file descriptors).
_rfm_find_map() {
	local f id name counters='' array='' hash=''
	for f in /proc/"$1"/fdinfo/*; do
		id=$(awk '$1 == "map_id:" { print $2 }' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		name=$(bpftool -j map show id "$id" 2>/dev/null | jq -r .name)
		case $name in
		rfm_counters) counters=$id ;;
		rfm_if_array) array=$id ;;
		rfm_if_config) hash=$id ;;
		esac
	done
	LIVE_MAPID[$1]=$counters
	LIVE_IFMAPS[$1]="${array:-0} ${hash:-0}"
	[ -n "$counters" ]
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

# live_now_ms: wall-clock time, Unix milliseconds (truncated).
live_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# live_wait_until DESCRIPTION DEADLINE_MS COMMAND...: like live_wait_for, with
# a deadline in Unix milliseconds (live_now_ms), for sub-second deadlines.
live_wait_until() {
	local what=$1 deadline=$2
	shift 2
	while ! "$@"; do
		if [ "$(live_now_ms)" -ge "$deadline" ]; then
			echo "deadline passed waiting for $what"
			return 1
		fi
		sleep 0.02
	done
}

# live_config FILE: write standard input to FILE (a configuration for
# rfm agent -c) and check it with `rfm check-config`.
live_config() {
	cat >"$1" || live_die "cannot write $1"
	"$LIVE_RFM" check-config -c "$1" >/dev/null 2>"$1.check" ||
		live_die "rfm check-config $1: $(cat "$1.check")"
}

# live_send NS IFACE DST_MAC REPORT FLOW...: traffic.py in NS, its report
# (one "NAME COUNT IP_OCTETS FRAME_BYTES" line per flow) to REPORT.
live_send() {
	local ns=$1 ifc=$2 mac=$3 report=$4
	shift 4
	ip netns exec "$ns" "$LIVE_PY" "$LIVE_HERE/traffic.py" "$ifc" "$mac" "$@" >"$report" ||
		live_die "traffic.py $ifc $*"
}

# live_save FILE DST_MAC FLOW...: build the frames of the flows (traffic.py
# --save) now; live_replay NS IFACE FILE REPORT sends them later, starting in
# milliseconds (no scapy to load).
live_save() {
	local file=$1 mac=$2
	shift 2
	"$LIVE_PY" "$LIVE_HERE/traffic.py" --save "$file" "$mac" "$@" || live_die "traffic.py --save"
}
live_replay() {
	ip netns exec "$1" "$LIVE_PY" "$LIVE_HERE/traffic.py" --replay "$3" "$2" >"$4" ||
		live_die "traffic.py --replay $3 on $2"
}

# expect_sent_flow REPORT NAME COUNT IP_OCTETS: traffic.py sent what the test planned.
expect_sent_flow() {
	expect_eq "sent $2 (packets, IP octets)" "$3 $4" \
		"$(awk -v k="$2" '$1 == k { print $2, $3 }' "$1")"
}

# rfm_log_count PID EXTENDED_REGEX: lines of rfm's stderr that match.
rfm_log_count() { grep -Ec -- "$2" "$(rfm_err "$1")"; }

_log_ge() { [ "$(rfm_log_count "$1" "$2")" -ge "$3" ]; }

# rfm_wait_log PID EXTENDED_REGEX [N] [SECONDS]: wait until N (1) lines of
# rfm's stderr match (10 s at most).
rfm_wait_log() {
	live_wait_for "rfm (pid $1) to log /$2/ ${3:-1} times" "${4:-10}" _log_ge "$1" "$2" \
		"${3:-1}"
}

# live_flows FILE [JQ_CONDITION]: number of flow records (--print json
# lines) in FILE satisfying the condition.
live_flows() {
	jq -R -c "fromjson? | select(.type == null and .end_reason != null) |
		select(${2:-true})" "$1" | wc -l
}

# live_flow FILE JQ_CONDITION: the flow records satisfying the condition,
# one compact JSON object a line.
live_flow() {
	jq -R -c "fromjson? | select(.type == null and .end_reason != null) | select($2)" "$1"
}

_flows_ge() { [ "$(live_flows "$1" "$2")" -ge "$3" ]; }

# live_wait_flows FILE JQ_CONDITION N [SECONDS]: wait (10 s) for N records.
live_wait_flows() {
	live_wait_for "$3 flow records matching $2" "${4:-10}" _flows_ge "$1" "$2" "$3" ||
		echo "  have $(live_flows "$1" "$2")"
}

# live_binomial N P: "LO HI", the central 99.9 % interval of a binomial
# (N, P) count: P(X < LO) <= 0.0005 and P(X > HI) <= 0.0005, exactly.
live_binomial() {
	"$LIVE_PY" - "$1" "$2" <<-'EOF'
		import math, sys
		n, p = int(sys.argv[1]), float(sys.argv[2])
		def pmf(k):
		    return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
		                    + k * math.log(p) + (n - k) * math.log1p(-p))
		lo, below = 0, 0.0
		while below + pmf(lo) <= 0.0005:
		    below += pmf(lo)
		    lo += 1
		hi, above = n, 0.0
		while above + pmf(hi) <= 0.0005:
		    above += pmf(hi)
		    hi -= 1
		print(lo, hi)
	EOF
}

# expect_in WHAT LO HI GOT: LO <= GOT <= HI (integers).
expect_in() {
	LIVE_CHECKS=$((LIVE_CHECKS + 1))
	if [[ "$4" =~ ^-?[0-9]+$ ]] && [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; then
		echo "ok   $1 = $4 (in [$2, $3])"
	else
		echo "FAIL $1: expected a value in [$2, $3], got $4"
		LIVE_FAILS=$((LIVE_FAILS + 1))
	fi
}

# live_tcx_fds PID: "link LINK_ID PROG_ID IFINDEX ATTACH_TYPE" for every TCX
# link and "prog PROG_ID" for every other BPF program fd the process holds,
# sorted (attach types: 46 TCX ingress, 47 TCX egress).
live_tcx_fds() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '$1 == "link_type:" { t = $2 } $1 == "link_id:" { l = $2 }
		     $1 == "prog_id:" { p = $2 } $1 == "ifindex:" { i = $2 }
		     $1 == "attach_type:" { a = $2 }
		     END { if (t == "tcx") print "link", l, p, i, a; else if (p != "") print "prog", p }' \
			"$f" 2>/dev/null
	done | sort
}

# _le_bytes N WIDTH: N as WIDTH little-endian bytes for a bpftool key.
_le_bytes() {
	local i out=
	for ((i = 0; i < $2; i++)); do
		out+="$(printf '0x%02x ' $((($1 >> (8 * i)) & 0xff)))"
	done
	echo "$out"
}

# rfm_if_slot PID IFINDEX DIRECTION: the counter slot rfm PID gave
# (IFINDEX, ingress|egress), from the map the classifier reads: rfm_if_array
# below ifindex 4096, the rfm_if_config hash above; 0 if none.
rfm_if_slot() {
	local d=0 array hash
	[ "$3" = egress ] && d=1
	read -r array hash <<<"${LIVE_IFMAPS[$1]:-0 0}"
	if [ "$2" -lt 4096 ]; then
		# shellcheck disable=SC2046 # one word per key byte
		bpftool -j map lookup id "$array" key $(_le_bytes $(($2 * 2 + d)) 4) 2>/dev/null |
			jq '.formatted.value.slot // 0' 2>/dev/null || echo 0
	else
		# shellcheck disable=SC2046
		bpftool -j map lookup id "$hash" key $(_le_bytes "$2" 4) $(_le_bytes "$d" 4) \
			2>/dev/null | jq '.formatted.value.slot // 0' 2>/dev/null || echo 0
	fi
}

# rfm_if_counted PID IFINDEX DIRECTION [FIELD]: live counter of one
# interface and direction, all families, summed over CPUs (FIELD: packets,
# the default, or bytes); -1 if the interface has no slot.
rfm_if_counted() {
	local slot
	slot=$(rfm_if_slot "$1" "$2" "$3")
	[ "${slot:-0}" -gt 0 ] 2>/dev/null || {
		echo -1
		return
	}
	# shellcheck disable=SC2046
	bpftool -j map lookup id "${LIVE_MAPID[$1]:-0}" key $(_le_bytes "$slot" 4) 2>/dev/null |
		jq --arg f "${4:-packets}" '[.formatted.values[].value.fam[][$f]] | add // 0' \
			2>/dev/null || echo -1
}

_if_counted_ge() { [ "$(rfm_if_counted "$1" "$2" "$3")" -ge "$4" ]; }

# rfm_wait_if_counted PID IFINDEX DIRECTION N: wait (10 s) until rfm has
# counted at least N packets there.
rfm_wait_if_counted() {
	live_wait_for "rfm (pid $1) to count $4 packets on ifindex $2 $3" 10 _if_counted_ge \
		"$@" || echo "  counted $(rfm_if_counted "$1" "$2" "$3")"
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
