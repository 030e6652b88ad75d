#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# callgrind.sh - instructions per ingested event, counted by valgrind's
# callgrind (exactly repeatable, unlike time on a shared VM).
#
# For each key distribution and flow count, two runs of
# `bench_ingest --callgrind`: one feeding the flow table, one whose callback
# only reads the event (baseline). Each run fills a table with F flows and
# pre-generates N events (fixed seed) without collecting, then collects only
# around the loop that hands the N events to the ring callback. Prints a
# Markdown table: (table - baseline) / N, and table / N (the total).
#
# usage: bench/callgrind.sh [BENCH_INGEST [EVENTS]]
#   BENCH_INGEST  default build/bench/bench_ingest
#   EVENTS        events per run, default 1000000
# Set CG_KEEP=DIR to keep the callgrind.out files in DIR; CG_TALLY=1 runs the
# table with flow hooks (bench_ingest --tally: the rollup's per-sample adds).
set -euo pipefail

bin=${1:-build/bench/bench_ingest}
events=${2:-1000000}
target=250
flows_list="10000 100000 1000000"
keys_list="uniform zipf"
annotate_run="zipf 100000"

die() {
	echo "callgrind.sh: $*" >&2
	exit 1
}

command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
[ -x "$bin" ] || die "$bin: not an executable (build the bench_ingest target)"

if [ -n "${CG_KEEP:-}" ]; then
	out=$CG_KEEP
	mkdir -p "$out"
else
	out=$(mktemp -d /tmp/rfm-callgrind.XXXXXX)
	trap 'rm -rf "$out"' EXIT
fi

# Total instructions (Ir) of a callgrind output file: its "totals:" line.
# With --collect-atstart=no the "summary:" line says 0 and the count is in
# "totals:"; take the larger of the two so either format works.
instructions() {
	awk '/^(summary|totals):/ { found = 1; if ($2 > n) n = $2 }
		END { if (!found) exit 1; print n + 0 }' "$1"
}

# run KEYS FLOWS CONSUMER: one valgrind run; prints the Ir count, checks the
# program's own line (no flow created during the loop, all flows present).
run() {
	local keys=$1 flows=$2 consumer=$3 file line
	local extra=()

	file=$out/callgrind.out.$keys.$flows.$consumer
	[ "$consumer" = baseline ] && extra=(--baseline)
	[ "$consumer" = table ] && [ -n "${CG_TALLY:-}" ] && extra=(--tally)
	line=$(valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
		--callgrind-out-file="$file" "$bin" --callgrind -k "$keys" -F "$flows" \
		-N "$events" "${extra[@]}" 2>"$file.log") ||
		die "valgrind run $keys $flows $consumer failed, see $file.log"
	case $line in
	*"created_in_loop=0 "*"valgrind=yes"*) ;;
	*) die "unexpected run ($keys $flows $consumer): $line" ;;
	esac
	instructions "$file" || die "no summary line in $file"
}

echo "# rfm ingest: instructions per event (callgrind)"
echo
echo "valgrind $(valgrind --version | sed 's/valgrind-//'), $events events per run, table" \
	"pre-filled with F flows (all timed events update existing flows)."
echo "Counted: the loop over a pre-generated event array calling the ring callback through" \
	"a function pointer (as libbpf does); in the table run the callback checks the size," \
	"calls rfm_flow_batch_add() (the batch is flushed before each expiry and after the loop)," \
	"advances the simulated clock (1 ms per 3000 events)" \
	"and calls rfm_flow_table_expire() every 10 ms of it; in the baseline it reads two" \
	"fields of the event. Not counted: libbpf's ring walk (see the no-op row of" \
	"bench_ingest) and the generation of the events."
echo
echo "| keys | flows F | events N | Ir table | Ir baseline | (table - baseline) / N |" \
	"table / N (total) | target | met |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|"
for keys in $keys_list; do
	for flows in $flows_list; do
		t=$(run "$keys" "$flows" table)
		b=$(run "$keys" "$flows" baseline)
		awk -v k="$keys" -v f="$flows" -v n="$events" -v t="$t" -v b="$b" -v target="$target" \
			'BEGIN {
				total = t / n
				printf "| %s | %d | %d | %d | %d | %.1f | %.1f | <= %d instructions/event (total) | %s |\n",
					k, f, n, t, b, (t - b) / n, total, target,
					total <= target ? "met" : "**NOT met**"
			}'
	done
done
echo
echo "Where the instructions of the table run go (keys ${annotate_run% *}," \
	"F = ${annotate_run#* }; callgrind_annotate, exclusive Ir per function):"
echo
echo '```'
callgrind_annotate --auto=no --threshold=100 \
	"$out/callgrind.out.${annotate_run% *}.${annotate_run#* }.table" 2>/dev/null |
	awk '/file:function/ { p = 1; next } p && /^ *[0-9,]+ +\(/' | sed -n '1,15p'
echo '```'
