#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# idle_rss.sh - resident memory of an idle agent: `rfm agent -i VETH -s 100`
# attached to one end of a veth pair in a network namespace of its own, no
# traffic. Waits for "running" on its stderr, then for VmRSS to stay the same
# over several polls, prints VmRSS and Pss (/proc/PID/smaps_rollup) as a
# Markdown table with the target, and the largest mappings, then stops the
# agent with SIGTERM. Needs root (netns, BPF). Cleans up on every exit.
#
# usage: bench/idle_rss.sh [RFM_BINARY [AGENT_ARG...]]
#   RFM_BINARY  default build/src/rfm
#   AGENT_ARG   more arguments after `agent -i VETH -s 100`, e.g. `-c FILE`
set -euo pipefail

rfm=${1:-build/src/rfm}
extra=("${@:2}")
target_kib=$((10 * 1024)) # 10 MB, read as 10 MiB
start_deadline_s=20
stable_deadline_s=30
stable_polls=5 # equal VmRSS readings in a row, 0.2 s apart

ns=rfm-idle-$$
veth=rfmi$$a # at most 15 characters
peer=rfmi$$b
workdir=$(mktemp -d /tmp/rfm-idle.XXXXXX)
pid=

die() {
	echo "idle_rss.sh: $*" >&2
	exit 1
}

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		sleep 0.5
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, BPF)"
[ -x "$rfm" ] || die "$rfm: not an executable (build the rfm target)"
rfm=$(readlink -f "$rfm")

# Field of a "Name:   N kB" file, in KiB.
kib() {
	awk -v k="$1:" '$1 == k { print $2; exit }' "$2"
}

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add "$veth" type veth peer name "$peer"
ip -n "$ns" link set "$veth" up
ip -n "$ns" link set "$peer" up

# ip netns exec execs the command in place: $! is the agent itself.
ip netns exec "$ns" "$rfm" agent -i "$veth" -s 100 "${extra[@]}" >"$workdir/stdout" \
	2>"$workdir/stderr" &
pid=$!

deadline=$((SECONDS + start_deadline_s))
until grep -q running "$workdir/stderr"; do
	if ! kill -0 "$pid" 2>/dev/null; then
		cat "$workdir/stderr" >&2
		pid=
		die "the agent exited before saying running"
	fi
	[ $SECONDS -lt $deadline ] || die "no \"running\" on stderr after ${start_deadline_s} s"
	sleep 0.1
done
[ "$(readlink -f /proc/$pid/exe)" = "$rfm" ] ||
	die "PID $pid is $(readlink -f /proc/$pid/exe), not $rfm"

deadline=$((SECONDS + stable_deadline_s))
last=-1
same=0
polls=0
while [ $same -lt $stable_polls ]; do
	[ $SECONDS -lt $deadline ] || die "VmRSS still changing after ${stable_deadline_s} s"
	sleep 0.2
	rss=$(kib VmRSS /proc/$pid/status)
	polls=$((polls + 1))
	if [ "$rss" = "$last" ]; then
		same=$((same + 1))
	else
		same=0
		last=$rss
	fi
done

cp /proc/$pid/smaps_rollup "$workdir/rollup"
cp /proc/$pid/status "$workdir/status"
cp /proc/$pid/smaps "$workdir/smaps"
rss=$(kib VmRSS "$workdir/status")
hwm=$(kib VmHWM "$workdir/status")
pss=$(kib Pss "$workdir/rollup")
anon=$(kib RssAnon "$workdir/status")
file=$(kib RssFile "$workdir/status")
shmem=$(kib RssShmem "$workdir/status")
priv=$(awk '$1 == "Private_Clean:" || $1 == "Private_Dirty:" { s += $2 } END { print s }' \
	"$workdir/rollup")

echo "# rfm agent: idle resident memory"
echo
echo "\`$rfm agent -i $veth -s 100${extra[*]:+ ${extra[*]}}\` in network namespace $ns, one veth end, no traffic;" \
	"RSS stable over $stable_polls polls 0.2 s apart (after $polls polls); kernel $(uname -r)."
echo "stderr of the agent: $(tr '\n' ' ' <"$workdir/stderr" | cut -c1-300)"
echo
echo "| figure | KiB | MiB | target | met |"
echo "|---|---:|---:|---|---|"
row() {
	awk -v n="$1" -v v="$2" -v t="$3" -v tk="$target_kib" 'BEGIN {
		if (t == "yes")
			printf "| %s | %d | %.1f | <= 10 MiB | %s |\n", n, v, v / 1024,
				v <= tk ? "met" : "**NOT met**"
		else
			printf "| %s | %d | %.1f | - | - |\n", n, v, v / 1024
	}'
}
row "VmRSS" "$rss" yes
row "Pss (smaps_rollup)" "$pss" yes
row "Private (clean + dirty)" "$priv" no
row "RssAnon" "$anon" no
row "RssFile" "$file" no
row "RssShmem" "$shmem" no
row "VmHWM (peak RSS)" "$hwm" no
echo
echo "Largest mappings by Rss (KiB; Pss; name):"
echo
echo "| Rss | Pss | mapping |"
echo "|---:|---:|---|"
awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anon]" : $6); if (NF > 6) name = name " " $7 }
	$1 == "Rss:" { rss = $2 }
	$1 == "Pss:" { printf "%d %d %s\n", rss, $2, name }' "$workdir/smaps" |
	awk '{ k = $3; for (i = 4; i <= NF; i++) k = k " " $i; r[k] += $1; p[k] += $2 }
		END { for (k in r) printf "%d %d %s\n", r[k], p[k], k }' |
	sort -rn | head -12 | awk '{ n = $3; for (i = 4; i <= NF; i++) n = n " " $i
		printf "| %d | %d | %s |\n", $1, $2, n }'

kill -TERM "$pid"
for _ in $(seq 50); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	die "the agent did not exit within 5 s of SIGTERM"
fi
wait "$pid" || die "the agent exited with status $? after SIGTERM"
pid=
echo
echo "Agent stopped with SIGTERM, exit status 0."
