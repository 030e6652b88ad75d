/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * linkwatch.h - network interface hot-plug: a netlink (rtnetlink) listener
 * on the GLib main loop reporting interfaces that appear, change name or
 * disappear. The only module that includes libmnl.
 */
#ifndef RFM_LINKWATCH_H
#define RFM_LINKWATCH_H

#include <stdbool.h>
#include <glib.h>

enum rfm_link_event {
	RFM_LINK_NEW = 1, /* appeared, or changed (name, state): may repeat */
	RFM_LINK_DEL = 2, /* gone */
};

typedef void (*rfm_link_fn)(enum rfm_link_event what, guint32 ifindex, const char *name,
			    void *user_data);

struct rfm_linkwatch;

/*
 * Subscribe to link changes of the current network namespace and add a
 * source to the default main context. Start it before enumerating the
 * interfaces, so none can slip through between the two.
 */
struct rfm_linkwatch *rfm_linkwatch_new(rfm_link_fn fn, void *user_data, GError **error);
/* Remove the source and close the socket. Accepts NULL. */
void rfm_linkwatch_free(struct rfm_linkwatch *lw);
/* Netlink messages that could not be read (socket overrun): a resync is needed. */
guint64 rfm_linkwatch_overruns(const struct rfm_linkwatch *lw);

#endif /* RFM_LINKWATCH_H */
