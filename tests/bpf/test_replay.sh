#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# test_replay.sh RFM - `rfm replay` end to end: mkcaptures.py writes captures
# of every parser case (pcap ns/us in both byte orders, pcapng, Ethernet, raw
# IP, Linux cooked v1/v2, snaplen-cut, VLAN/QinQ, fragments, IPv6 extension
# headers, timeouts) and the flow records it expects, computed from the
# packets it built; each run's output must equal them exactly (as a set of
# canonical JSON objects). Sampling at 1:10 is checked against a 99.9 %
# binomial bound (random) and exactly (systematic). Exit 77 (skipped) without
# root or scapy.
set -uo pipefail

rfm=${1:?usage: test_replay.sh PATH-TO-rfm}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3 # Debian's, with python3-scapy

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (CAP_BPF for BPF_PROG_TEST_RUN)"
	exit 77
fi
if ! "$python" -c 'import scapy' 2>/dev/null; then
	echo "SKIP: $python has no scapy (apt-get install python3-scapy)"
	exit 77
fi
command -v jq >/dev/null || {
	echo "SKIP: jq missing"
	exit 77
}

work=$(mktemp -d /tmp/rfm-replay.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$python" "$here/mkcaptures.py" "$work" || {
	echo "FAIL: mkcaptures.py"
	exit 1
}

failed=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# Canonical form: one sorted-key compact object per line, lines sorted.
canon() { jq -S -c . "$1" | LC_ALL=C sort; }

cd "$work" || exit 1
for dir in runs/*/; do
	name=$(basename "$dir")
	mapfile -t args <"$dir/args"
	want_rc=$(cat "$dir/exit")
	"$rfm" replay "${args[@]}" >"$dir/stdout" 2>"$dir/stderr.txt"
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		fail "$name: exit $rc, want $want_rc"
		sed 's/^/  stderr: /' "$dir/stderr.txt"
		continue
	fi
	if [ -f "$dir/stderr" ] && ! grep -qF -- "$(cat "$dir/stderr")" "$dir/stderr.txt"; then
		fail "$name: stderr lacks '$(cat "$dir/stderr")'"
		sed 's/^/  stderr: /' "$dir/stderr.txt"
	fi
	got=$dir/stdout
	[ -f "$dir/output" ] && got=$(cat "$dir/output")
	if [ -f "$dir/output" ] && [ -s "$dir/stdout" ]; then
		fail "$name: records on stdout with --output"
	fi
	if [ -f "$dir/expected.jsonl" ]; then
		if ! jq -e . "$got" >/dev/null 2>&1 && [ -s "$got" ]; then
			fail "$name: output is not JSON lines"
			continue
		fi
		if ! diff -u <(canon "$dir/expected.jsonl") <(canon "$got") >"$dir/diff"; then
			fail "$name: records differ from the expected ones (- expected, + got):"
			cat "$dir/diff"
			continue
		fi
		echo "ok: $name ($(wc -l <"$dir/expected.jsonl") records; $(tail -n1 "$dir/stderr.txt"))"
	elif [ -f "$dir/bounds" ]; then
		read -r lo hi rate <"$dir/bounds"
		# Sampled packets of the one flow, over all its records.
		read -r pkts bad <<<"$(jq -s --argjson r "$rate" \
			'[(map(.packets) | add // 0),
			  (map(select(.sampling != $r or .octets != .packets * 128 or
			              .src_addr != "198.18.70.1")) | length)] | @tsv' -r "$got")"
		if [ "$bad" != 0 ]; then
			fail "$name: $bad records with a wrong sampling, octets or key"
		elif [ "$pkts" -lt "$lo" ] || [ "$pkts" -gt "$hi" ]; then
			fail "$name: $pkts packets sampled, want $lo..$hi (99.9 % bound)"
		else
			echo "ok: $name ($pkts packets sampled, bound $lo..$hi)"
		fi
	else
		echo "ok: $name (exit $rc)"
	fi
done

if [ "$failed" -ne 0 ]; then
	echo "$failed replay runs failed"
	exit 1
fi
echo "all replay runs passed"
