/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bench_util.c - the helpers the benchmarks share (see bench_util.h):
 * summaries over repetitions, CPU pinning, clocks, /proc/self/status,
 * involuntary context switches and option parsing. No state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bench_summary bench_summarise(const double *v, guint n)
{
	g_autofree double *s = g_memdup2(v, sizeof(double) * n);
	struct bench_summary out;

	qsort(s, n, sizeof(double), cmp_double);
	out.min = s[0];
	out.max = s[n - 1];
	out.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return out;
}

int bench_pin_cpu(int cpu, int *pinned)
{
	cpu_set_t set;

	if (cpu < 0) {
		/* Default: the highest CPU allowed, away from CPU 0's housekeeping. */
		if (sched_getaffinity(0, sizeof(set), &set) < 0)
			return -errno;
		for (int c = CPU_SETSIZE - 1; c >= 0; c--) {
			if (CPU_ISSET(c, &set)) {
				cpu = c;
				break;
			}
		}
		if (cpu < 0)
			return -ESRCH;
	}
	if (cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	*pinned = cpu;
	return 0;
}

double bench_clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

gint64 bench_proc_status_bytes(const char *name)
{
	g_autofree char *text = NULL;
	gsize len = strlen(name);

	if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
		return -1;
	for (char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, name, len) && line[len] == ':')
			return g_ascii_strtoll(line + len + 1, NULL, 10) * 1024;
	}
	return -1;
}

long bench_involuntary_switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nivcsw;
}

bool bench_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && s[0] != '-' && *out >= min && *out <= max;
}
