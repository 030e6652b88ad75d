// SPDX-License-Identifier: AGPL-3.0-or-later
/* ifmatch.c - interface selection by include/exclude glob patterns. */
#include "ifmatch.h"

#include <fnmatch.h>
#include <string.h>

static bool any_match(const char *const *patterns, const char *name)
{
	for (; patterns && *patterns; patterns++) {
		if (fnmatch(*patterns, name, 0) == 0)
			return true;
	}
	return false;
}

bool rfm_ifmatch(const char *const *include, const char *const *exclude, const char *name)
{
	return any_match(include, name) && !any_match(exclude, name);
}

bool rfm_ifmatch_is_pattern(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}
