/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bench_util.h - the helpers the benchmarks (bench_*.c) share: the
 * min/median/max of a figure over repetitions, pinning the thread to one
 * CPU, clock readings in seconds, fields of /proc/self/status, the
 * process's involuntary context switches and strict parsing of numeric
 * options.
 *
 * It owns no state and prints nothing: each benchmark keeps its own
 * thresholds, targets and wording.
 */
#ifndef RFM_BENCH_UTIL_H
#define RFM_BENCH_UTIL_H

#include <stdbool.h>
#include <time.h>

#include <glib.h>

/* DOC: a figure over the repetitions of a benchmark, by value. */
struct bench_summary {
	double min, median, max;
};

/*
 * Min, median (the mean of the middle two for an even n) and max of the n
 * values v, which stay as they are. n must be at least 1.
 */
struct bench_summary bench_summarise(const double *v, guint n);

/*
 * Pin the calling thread to cpu; a negative cpu picks the highest CPU the
 * thread may run on, away from CPU 0's housekeeping. Sets *pinned to the
 * CPU chosen. Returns 0 or -errno (-ESRCH: no CPU allowed, -EINVAL: cpu
 * beyond CPU_SETSIZE).
 */
int bench_pin_cpu(int cpu, int *pinned);

/* Seconds on clock id (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...). */
double bench_clock_s(clockid_t id);

/* A "Name:   N kB" line of /proc/self/status (VmRSS, ...), in bytes; -1 if missing. */
gint64 bench_proc_status_bytes(const char *name);

/*
 * Involuntary context switches of the process so far (getrusage()
 * ru_nivcsw): the difference over a timed stretch says whether other tasks
 * shared the CPU.
 */
long bench_involuntary_switches(void);

/*
 * Parse s as a decimal number within min..max into *out (strtoull()).
 * Rejects a leading '-', trailing characters, overflow and the empty
 * string; returns whether s was accepted (*out is unspecified when not).
 */
bool bench_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out);

#endif /* RFM_BENCH_UTIL_H */
