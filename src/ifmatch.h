/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * ifmatch.h - interface selection by shell-style patterns (fnmatch(3)):
 * a name is selected when it matches an include pattern and no exclude
 * pattern. Pure functions, no I/O.
 */
#ifndef RFM_IFMATCH_H
#define RFM_IFMATCH_H

#include <stdbool.h>

/* include and exclude are NULL-terminated; a NULL list matches nothing / excludes nothing. */
bool rfm_ifmatch(const char *const *include, const char *const *exclude, const char *name);

/* Whether s contains a glob character (then it names a pattern, not one interface). */
bool rfm_ifmatch_is_pattern(const char *s);

#endif /* RFM_IFMATCH_H */
