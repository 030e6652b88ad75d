// SPDX-License-Identifier: AGPL-3.0-or-later
/* linkwatch.c - rtnetlink RTMGRP_LINK listener driven by the GLib main loop. */
#include "linkwatch.h"

#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>

#include <glib-unix.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

/* DOC: owned by the agent; the source id is removed in rfm_linkwatch_free(). */
struct rfm_linkwatch {
	struct mnl_socket *nl; /* owned */
	guint source;
	rfm_link_fn fn;
	void *user_data;
	guint64 overruns;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if (type == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rfm_linkwatch *lw = data;
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const char *name;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifm), attr_cb, tb) != MNL_CB_OK || ifm->ifi_index <= 0)
		return MNL_CB_OK;
	name = tb[IFLA_IFNAME] ? mnl_attr_get_str(tb[IFLA_IFNAME]) : "";
	lw->fn(nlh->nlmsg_type == RTM_NEWLINK ? RFM_LINK_NEW : RFM_LINK_DEL, ifm->ifi_index, name,
	       lw->user_data);
	return MNL_CB_OK;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer user_data)
{
	struct rfm_linkwatch *lw = user_data;
	char buf[MNL_SOCKET_BUFFER_SIZE];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ENOBUFS) {
				/* The kernel dropped notifications: the caller must resync. */
				lw->overruns++;
				g_warning("netlink link events overrun: interface changes may be "
					  "missed");
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				g_warning("netlink: %s", g_strerror(errno));
			break;
		}
		mnl_cb_run(buf, n, 0, 0, msg_cb, lw);
	}
	return G_SOURCE_CONTINUE;
}

struct rfm_linkwatch *rfm_linkwatch_new(rfm_link_fn fn, void *user_data, GError **error)
{
	struct rfm_linkwatch *lw = g_new0(struct rfm_linkwatch, 1);

	lw->fn = fn;
	lw->user_data = user_data;
	lw->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!lw->nl || mnl_socket_bind(lw->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot subscribe to netlink link events: %s", g_strerror(errno));
		rfm_linkwatch_free(lw);
		return NULL;
	}
	lw->source = g_unix_fd_add(mnl_socket_get_fd(lw->nl), G_IO_IN, on_readable, lw);
	return lw;
}

void rfm_linkwatch_free(struct rfm_linkwatch *lw)
{
	if (!lw)
		return;
	if (lw->source)
		g_source_remove(lw->source);
	if (lw->nl)
		mnl_socket_close(lw->nl);
	g_free(lw);
}

guint64 rfm_linkwatch_overruns(const struct rfm_linkwatch *lw)
{
	return lw->overruns;
}
