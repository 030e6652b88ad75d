#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# detach.sh RFM TCX_QUERY - rfm in TCX mode leaves nothing behind, and one
# instance does not disturb another.
#
# 1. rfm on vb, stopped with SIGTERM: no TCX program is left on vb, and its
#    links and programs (ids read from the process's fdinfo while it ran)
#    no longer exist.
# 2. The same with SIGKILL: TCX links are fd-based, so the kernel detaches
#    them when the process dies, with no clean-up code run.
# 3. rfm #1 counts on vb while rfm #2 is started and stopped (SIGTERM) on
#    vb2 and rfm #3 is started and killed (SIGKILL) there: vb keeps rfm #1's
#    programs throughout and rfm #1's counters stay exact.
#
# Other rfm instances may be loaded on this machine (other tests, other
# users): a global "no program named rfm_ingress" check could not tell them
# apart, so the checks use the ids this test's processes held, and
# BPF_PROG_QUERY on the test's own device (tcx_query).
# rfm_start and live_ns set variables by name; wait helpers are called indirectly.
# shellcheck source-path=SCRIPTDIR disable=SC2154,SC2317
. "$(dirname "$0")/lib.sh"
live_init "${1:-}"
tcx_query=${2:?usage: detach.sh RFM TCX_QUERY}
live_need_tcx "$tcx_query"

live_ns A a
live_ns B b
live_veth "$A" va "$B" vb noipv6
live_veth "$A" va2 "$B" vb2 noipv6
mac_b=$(live_mac "$B" vb)
mac_b2=$(live_mac "$B" vb2)
ifx=$(live_ifindex "$B" vb)

# tcx_on IF: "DIRECTION PROG_ID NAME" of every TCX program on IF, one line.
tcx_on() { ip netns exec "$B" "$tcx_query" "$1" | xargs; }

# bpf_fds PID: "link LINK_ID PROG_ID IFINDEX ATTACH_TYPE" for every TCX link
# and "prog PROG_ID" for every program the process holds open.
bpf_fds() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '$1 == "link_type:" { t = $2 } $1 == "link_id:" { l = $2 }
		     $1 == "prog_id:" { p = $2 } $1 == "ifindex:" { i = $2 }
		     $1 == "attach_type:" { a = $2 }
		     END { if (t == "tcx") print "link", l, p, i, a; else if (p != "") print "prog", p }' "$f"
	done | sort
}

_gone() { ! bpftool "$1" show id "$2" >/dev/null 2>&1; }

# expect_clean VARIANT IDS_FILE: the links and programs listed are gone.
expect_clean() {
	local kind id rest
	expect_eq "$1: TCX programs on vb after exit" "" "$(tcx_on vb)"
	while read -r kind id rest; do
		live_wait_for "$kind $id to go away" 10 _gone "$kind" "$id"
		expect_eq "$1: $kind $id exists after exit" no \
			"$(bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo yes || echo no)"
	done <"$2"
}

# expect_attached VARIANT PID: rfm PID holds an ingress and an egress TCX
# link on vb, and those programs are what vb runs.
expect_attached() {
	local ids="$LIVE_WORK/ids.$2"
	bpf_fds "$2" >"$ids.all"
	expect_eq "$1: TCX links held by rfm (ifindex, attach type)" \
		"$ifx 46 $ifx 47" "$(awk '$1 == "link" { print $4, $5 }' "$ids.all" | sort | xargs)"
	expect_eq "$1: TCX programs on vb are rfm's" \
		"$(awk '$1 == "link" && $5 == 46 { printf "ingress %s rfm_ingress ", $3 }
			$1 == "link" && $5 == 47 { printf "egress %s rfm_egress", $3 }' "$ids.all")" \
		"$(tcx_on vb)"
	# The ids to check afterwards: both links and every program.
	awk '$1 == "link" { print "link", $2; print "prog", $3 }' "$ids.all" | sort -u >"$ids"
}

echo "== 1: SIGTERM"
rfm_start rfm "$B" -i vb --attach tcx -s 1
expect_attached "SIGTERM" "$rfm"
ids="$LIVE_WORK/ids.$rfm"
rfm_stop "$rfm"
expect_clean "SIGTERM" "$ids"

echo "== 2: SIGKILL"
rfm_start rfm "$B" -i vb --attach tcx -s 1
expect_attached "SIGKILL" "$rfm"
ids="$LIVE_WORK/ids.$rfm"
live_stop "$rfm" KILL
expect_eq "rfm exit status after SIGKILL (128 + 9)" 137 "$LIVE_RC"
expect_clean "SIGKILL" "$ids"

echo "== 3: a second and a third instance on vb2 leave the first one alone"
K1=19 K2=23 K3=29 M2=7 M3=5
rfm_start rfm1 "$B" -i vb --attach tcx -s 1 --print-events
expect_attached "rfm #1" "$rfm1"
progs_vb=$(tcx_on vb)
send() { ip netns exec "$A" "$LIVE_PY" "$LIVE_HERE/frames.py" "$1" "$2" udp4:"$3" >/dev/null ||
	live_die "frames.py"; }

send va "$mac_b" $K1
rfm_wait_counted "$rfm1" $K1

rfm_start rfm2 "$B" -i vb2 --attach tcx -s 1
expect_eq "vb2: rfm #2's programs" "ingress rfm_ingress egress rfm_egress" \
	"$(tcx_on vb2 | awk '{ for (i = 1; i <= NF; i += 3) print $i, $(i + 2) }' | xargs)"
expect_eq "vb while rfm #2 runs: still rfm #1's programs, nothing more" "$progs_vb" "$(tcx_on vb)"
send va "$mac_b" $K2
send va2 "$mac_b2" $M2
rfm_wait_counted "$rfm1" $((K1 + K2))
rfm_wait_counted "$rfm2" $M2
rfm_stop "$rfm2"
out2=$(rfm_out "$rfm2")
expect_eq "rfm #2: vb2 ingress ipv4 packets" $M2 "$(live_counter "$out2" vb2 ingress ipv4 packets)"
expect_eq "rfm #2: no counters for vb" missing "$(live_counter "$out2" vb ingress ipv4 packets)"
expect_eq "vb2 after rfm #2 exited: no TCX program" "" "$(tcx_on vb2)"
expect_eq "vb after rfm #2 exited: rfm #1's programs" "$progs_vb" "$(tcx_on vb)"

rfm_start rfm3 "$B" -i vb2 --attach tcx -s 1
send va2 "$mac_b2" $M3
rfm_wait_counted "$rfm3" $M3
live_stop "$rfm3" KILL
expect_eq "rfm #3 exit status after SIGKILL" 137 "$LIVE_RC"
live_wait_for "vb2 to lose rfm #3's programs" 10 test -z "$(tcx_on vb2)"
expect_eq "vb2 after rfm #3 was killed: no TCX program" "" "$(tcx_on vb2)"
expect_eq "vb after rfm #3 was killed: rfm #1's programs" "$progs_vb" "$(tcx_on vb)"

send va "$mac_b" $K3
rfm_wait_counted "$rfm1" $((K1 + K2 + K3))
rfm_stop "$rfm1"
out1=$(rfm_out "$rfm1")
expect_eq "rfm #1: vb ingress ipv4 packets" $((K1 + K2 + K3)) \
	"$(live_counter "$out1" vb ingress ipv4 packets)"
expect_eq "rfm #1: vb ingress ipv4 bytes" $(((K1 + K2 + K3) * 60)) \
	"$(live_counter "$out1" vb ingress ipv4 bytes)"
expect_eq "rfm #1: vb ingress events" $((K1 + K2 + K3)) \
	"$(live_events "$out1" '.direction == "ingress" and .dst_port == 2000')"
expect_eq "rfm #1: no counters for vb2" missing "$(live_counter "$out1" vb2 ingress ipv4 packets)"
expect_eq "rfm #1: vb egress packets (nothing sent out of vb)" 0 \
	"$(live_counter "$out1" vb egress ipv4 packets)"
expect_clean "rfm #1" "$LIVE_WORK/ids.$rfm1"

live_finish
