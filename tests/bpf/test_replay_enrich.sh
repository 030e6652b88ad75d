#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# test_replay_enrich.sh RFM - `rfm replay` with enrichment end to end:
# mkenrich.py writes a BMP stream (routes that stay: no Peer Down), the data
# of two MMDB files (built here by mkmmdb.pl --data), a capture of UDP flows
# between the addresses those cover, and for four set-ups (RIB and MMDB, the
# same with use_default_route, RIB alone, MMDB alone) the exact records
# expected, enrichment keys included, computed from those inputs. Each run
# must print exactly those records (compared as sets of canonical JSON
# objects). Exit 77 (skipped) without root, scapy, jq or the MMDB writer.
set -uo pipefail

rfm=$(realpath "${1:?usage: test_replay_enrich.sh PATH-TO-rfm}")
here=$(cd "$(dirname "$0")" && pwd)
mkmmdb=$here/../fixtures/mmdb/mkmmdb.pl
python=/usr/bin/python3 # Debian's, with python3-scapy

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (CAP_BPF for BPF_PROG_TEST_RUN)"
"$python" -c 'import scapy' 2>/dev/null || skip "$python has no scapy (apt-get install python3-scapy)"
command -v jq >/dev/null || skip "jq missing"
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
	skip "perl has no MaxMind::DB::Writer::Tree (apt-get install libmaxmind-db-writer-perl)"

work=$(mktemp -d /tmp/rfm-replay-enrich.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$python" "$here/mkenrich.py" "$work" || {
	echo "FAIL: mkenrich.py"
	exit 1
}
mkdir -p "$work/mmdb"
perl "$mkmmdb" --data "$work/mmdb.txt" "$work/mmdb" || {
	echo "FAIL: mkmmdb.pl --data"
	exit 1
}

failed=0
canon() { jq -S -c . "$1" | LC_ALL=C sort; }
cd "$work" || exit 1
for dir in runs/*/; do
	name=$(basename "$dir")
	mapfile -t args <"$dir/args"
	"$rfm" replay "${args[@]}" >"$dir/got.jsonl" 2>"$dir/stderr.txt"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $name: rfm replay ${args[*]} exited $rc"
		sed 's/^/  stderr: /' "$dir/stderr.txt"
		failed=$((failed + 1))
		continue
	fi
	if [ -f "$dir/stderr" ] && ! grep -qF -- "$(cat "$dir/stderr")" "$dir/stderr.txt"; then
		echo "FAIL: $name: stderr lacks '$(cat "$dir/stderr")'"
		sed 's/^/  stderr: /' "$dir/stderr.txt"
		failed=$((failed + 1))
		continue
	fi
	if ! diff -u <(canon "$dir/expected.jsonl") <(canon "$dir/got.jsonl") >"$dir/diff"; then
		echo "FAIL: $name: records differ from the expected ones (- expected, + got):"
		cat "$dir/diff"
		failed=$((failed + 1))
		continue
	fi
	echo "ok: $name ($(wc -l <"$dir/expected.jsonl") records)"
done
[ "$failed" -eq 0 ] || {
	echo "$failed enrichment runs failed"
	exit 1
}
echo "all enrichment runs passed"
