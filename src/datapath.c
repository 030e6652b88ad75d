// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * datapath.c - owns the BPF object: load, per-interface configuration and
 * counter slots, TCX links or legacy clsact filters, ring-buffer drain.
 *
 * The only module that includes libbpf.
 */
#include "datapath.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rfm_bpf.skel.h"

/* Debian's libbpf 1.1 and its uapi headers predate TCX (kernel 6.6). */
#define RFM_BPF_TCX_INGRESS 46
#define RFM_BPF_TCX_EGRESS  47

/* Handle and priority of rfm's legacy tc filter: fixed, so a restart replaces it. */
#define RFM_TC_HANDLE	0x52464d /* "RFM" */
#define RFM_TC_PRIORITY 0xc0de

GQuark rfm_datapath_error_quark(void)
{
	return g_quark_from_static_string("rfm-datapath-error-quark");
}

/*
 * DOC: one attached (or configured) direction of an interface. Owned by
 * struct rfm_ifstate. link_fd >= 0 for a TCX link; tc_attached for a
 * legacy filter; neither for a configured but unattached direction.
 */
struct rfm_hook {
	guint32 slot; /* 0 = not configured */
	int link_fd;
	bool tc_attached;
	struct rfm_if_config config;
};

/* DOC: state of one ifindex, owned by rfm_datapath.ifaces (key: ifindex). */
struct rfm_ifstate {
	guint32 ifindex;
	struct rfm_hook hook[RFM_DIR_MAX];
};

/*
 * DOC: the loaded BPF object and everything attached through it. Owned by
 * the caller of rfm_datapath_new(). slot_used[0] is the slot of packets on
 * unconfigured interfaces and is never handed out.
 */
struct rfm_datapath {
	struct rfm_bpf *skel;
	struct ring_buffer *ring;
	struct rfm_datapath_options opts;
	GHashTable *ifaces; /* ifindex -> struct rfm_ifstate (owned) */
	guint8 *slot_used;  /* max_interfaces + 1 entries */
	guint32 nslots;
	int ncpus;
	rfm_event_fn on_event;
	void *user_data;
};

static int ring_cb(void *ctx, void *data, size_t size)
{
	struct rfm_datapath *dp = ctx;

	if (size < sizeof(struct rfm_event))
		return 0;
	if (dp->on_event)
		dp->on_event(data, dp->user_data);
	return 0;
}

/*
 * libbpf's warnings go to stderr; its info and debug lines are dropped, and
 * so is the netlink complaint about an existing clsact qdisc, which
 * attach_tc() expects when the second direction creates the hook again.
 */
static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (strstr(line, "Exclusivity flag on"))
		return 0;
	return fputs(line, stderr);
}

static bool ring_size_valid(guint32 bytes)
{
	return bytes >= (guint32)getpagesize() && (bytes & (bytes - 1)) == 0;
}

struct rfm_datapath *rfm_datapath_new(const struct rfm_datapath_options *opts,
				      rfm_event_fn on_event, void *user_data, GError **error)
{
	struct rfm_datapath *dp;
	struct rfm_global_config g = {0};
	guint32 zero = 0;
	int err;

	if (!ring_size_valid(opts->ring_bytes) || opts->max_interfaces == 0 ||
	    opts->max_interfaces > 65536) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_INVALID,
			    "ring size must be a power of two >= %d, max_interfaces 1..65536",
			    getpagesize());
		return NULL;
	}

	libbpf_set_print(silent_print);
	dp = g_new0(struct rfm_datapath, 1);
	dp->opts = *opts;
	dp->on_event = on_event;
	dp->user_data = user_data;
	dp->nslots = opts->max_interfaces + 1;
	dp->slot_used = g_new0(guint8, dp->nslots);
	dp->slot_used[0] = 1;
	dp->ifaces = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_LOAD,
			    "cannot count possible CPUs: %s", g_strerror(-dp->ncpus));
		goto fail;
	}

	dp->skel = rfm_bpf__open();
	if (!dp->skel) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_LOAD,
			    "cannot open the BPF object: %s", g_strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(dp->skel->maps.rfm_events, opts->ring_bytes);
	bpf_map__set_max_entries(dp->skel->maps.rfm_counters, dp->nslots);
	bpf_map__set_max_entries(dp->skel->maps.rfm_if_config, 2 * opts->max_interfaces);
	err = rfm_bpf__load(dp->skel);
	if (err) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_LOAD,
			    "cannot load the BPF programs: %s (needs root or CAP_BPF + "
			    "CAP_NET_ADMIN)",
			    g_strerror(-err));
		goto fail;
	}

	g.sample_rate = opts->default_rate;
	g.sample_mode = opts->default_mode;
	g.wakeup_bytes = (guint32)((guint64)opts->ring_bytes * MIN(opts->wakeup_fill, 100) / 100);
	err = bpf_map_update_elem(bpf_map__fd(dp->skel->maps.rfm_global), &zero, &g, BPF_ANY);
	if (err) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_LOAD,
			    "cannot write the global configuration: %s", g_strerror(errno));
		goto fail;
	}

	dp->ring = ring_buffer__new(bpf_map__fd(dp->skel->maps.rfm_events), ring_cb, dp, NULL);
	if (!dp->ring) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_LOAD,
			    "cannot map the ring buffer: %s", g_strerror(errno));
		goto fail;
	}
	return dp;

fail:
	rfm_datapath_free(dp);
	return NULL;
}

static void hook_detach(struct rfm_datapath *dp, guint32 ifindex, enum rfm_direction dir,
			struct rfm_hook *h)
{
	if (h->link_fd >= 0) {
		close(h->link_fd);
		h->link_fd = -1;
	}
	if (h->tc_attached) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point =
				    dir == RFM_DIR_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, tc, .handle = RFM_TC_HANDLE, .priority = RFM_TC_PRIORITY);
		int err = bpf_tc_detach(&hook, &tc);

		/* ENOENT/ENODEV: the interface or its qdisc is gone already. */
		if (err && err != -ENOENT && err != -ENODEV && err != -EINVAL)
			g_warning("ifindex %u %s: cannot remove the tc filter: %s", ifindex,
				  rfm_direction_name(dir), g_strerror(-err));
		h->tc_attached = false;
	}
}

/* Zero a slot on every CPU so the next owner starts from nothing. */
static void slot_release(struct rfm_datapath *dp, guint32 slot)
{
	g_autofree struct rfm_slot *zero = g_new0(struct rfm_slot, dp->ncpus);

	if (slot == 0 || slot >= dp->nslots)
		return;
	bpf_map_update_elem(bpf_map__fd(dp->skel->maps.rfm_counters), &slot, zero, BPF_ANY);
	dp->slot_used[slot] = 0;
}

static guint32 slot_take(struct rfm_datapath *dp)
{
	for (guint32 i = 1; i < dp->nslots; i++) {
		if (!dp->slot_used[i]) {
			dp->slot_used[i] = 1;
			return i;
		}
	}
	return 0;
}

/*
 * Write (cfg) or remove (NULL) the configuration of (ifindex, dir) where the
 * program looks for it: the array for small ifindexes, else the hash.
 * Returns 0 or -1 with errno set.
 */
static int if_config_write(struct rfm_datapath *dp, guint32 ifindex, enum rfm_direction dir,
			   const struct rfm_if_config *cfg)
{
	if (ifindex < RFM_IF_ARRAY_MAX) {
		struct rfm_if_config none = {0};
		guint32 idx = ifindex * RFM_DIR_MAX + dir;

		return bpf_map_update_elem(bpf_map__fd(dp->skel->maps.rfm_if_array), &idx,
					   cfg ? cfg : &none, BPF_ANY);
	} else {
		struct rfm_if_key key = {.ifindex = ifindex, .direction = dir};
		int fd = bpf_map__fd(dp->skel->maps.rfm_if_config);

		if (!cfg)
			return bpf_map_delete_elem(fd, &key);
		return bpf_map_update_elem(fd, &key, cfg, BPF_ANY);
	}
}

static void ifstate_drop(struct rfm_datapath *dp, struct rfm_ifstate *st, bool detach)
{
	for (int d = 0; d < RFM_DIR_MAX; d++) {
		struct rfm_hook *h = &st->hook[d];

		if (detach)
			hook_detach(dp, st->ifindex, d, h);
		else if (h->link_fd >= 0)
			close(h->link_fd);
		if (h->slot) {
			if_config_write(dp, st->ifindex, d, NULL);
			slot_release(dp, h->slot);
		}
	}
	g_hash_table_remove(dp->ifaces, GUINT_TO_POINTER(st->ifindex));
}

void rfm_datapath_free(struct rfm_datapath *dp)
{
	if (!dp)
		return;
	if (dp->ifaces && dp->skel) {
		GArray *ifs = rfm_datapath_interfaces(dp);

		for (guint i = 0; i < ifs->len; i++)
			rfm_datapath_detach(dp, g_array_index(ifs, guint32, i), NULL);
		g_array_unref(ifs);
	}
	ring_buffer__free(dp->ring);
	rfm_bpf__destroy(dp->skel);
	if (dp->ifaces)
		g_hash_table_destroy(dp->ifaces);
	g_free(dp->slot_used);
	g_free(dp);
}

static struct rfm_ifstate *ifstate_get(struct rfm_datapath *dp, guint32 ifindex, bool create)
{
	struct rfm_ifstate *st = g_hash_table_lookup(dp->ifaces, GUINT_TO_POINTER(ifindex));

	if (!st && create) {
		st = g_new0(struct rfm_ifstate, 1);
		st->ifindex = ifindex;
		for (int d = 0; d < RFM_DIR_MAX; d++)
			st->hook[d].link_fd = -1;
		g_hash_table_insert(dp->ifaces, GUINT_TO_POINTER(ifindex), st);
	}
	return st;
}

bool rfm_datapath_configure(struct rfm_datapath *dp, guint32 ifindex, enum rfm_direction dir,
			    const struct rfm_if_settings *s, GError **error)
{
	struct rfm_ifstate *st;
	struct rfm_hook *h;
	bool created;

	if (dir >= RFM_DIR_MAX || ifindex == 0 || s->sample_mode > RFM_SAMPLE_SYSTEMATIC) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_INVALID,
			    "invalid interface configuration");
		return false;
	}
	created = !g_hash_table_contains(dp->ifaces, GUINT_TO_POINTER(ifindex));
	st = ifstate_get(dp, ifindex, true);
	h = &st->hook[dir];
	if (!h->slot) {
		h->slot = slot_take(dp);
		if (!h->slot) {
			g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_LIMIT,
				    "ifindex %u: max_interfaces (%u interface directions) reached",
				    ifindex, dp->opts.max_interfaces);
			if (created)
				g_hash_table_remove(dp->ifaces, GUINT_TO_POINTER(ifindex));
			return false;
		}
	}
	memset(&h->config, 0, sizeof(h->config));
	h->config.sample_rate = s->sample_rate;
	h->config.sample_mode = s->sample_mode;
	h->config.slot = h->slot;
	h->config.flags = (s->l3_device ? RFM_IF_L3 : 0) |
			  (s->fib_lookup && dir == RFM_DIR_INGRESS ? RFM_IF_FIB_LOOKUP : 0);
	if (if_config_write(dp, ifindex, dir, &h->config)) {
		int e = errno;

		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_LIMIT,
			    "ifindex %u: cannot write its configuration: %s", ifindex,
			    g_strerror(e));
		slot_release(dp, h->slot);
		h->slot = 0;
		if (created)
			g_hash_table_remove(dp->ifaces, GUINT_TO_POINTER(ifindex));
		return false;
	}
	return true;
}

/*
 * Whether ifindex has no link-layer header. Ethernet and loopback carry one;
 * every other device type rfm sees on a router (tun, WireGuard, GRE, IPIP,
 * PPP, raw IP) hands the IP packet to TC as is.
 */
static int device_is_l3(guint32 ifindex, bool *l3)
{
	struct ifreq ifr = {0};
	int fd, rc = 0;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		rc = -errno;
	else
		*l3 = ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
		      ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK;
	close(fd);
	return rc;
}

static int attach_tcx(struct rfm_datapath *dp, guint32 ifindex, enum rfm_direction dir)
{
	int fd = bpf_link_create(rfm_datapath_prog_fd(dp, dir), ifindex,
				 dir == RFM_DIR_INGRESS ? RFM_BPF_TCX_INGRESS : RFM_BPF_TCX_EGRESS,
				 NULL);

	return fd < 0 ? -errno : fd;
}

static int attach_tc(struct rfm_datapath *dp, guint32 ifindex, enum rfm_direction dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == RFM_DIR_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = RFM_TC_HANDLE, .priority = RFM_TC_PRIORITY,
		    .prog_fd = rfm_datapath_prog_fd(dp, dir), .flags = BPF_TC_F_REPLACE);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &tc);
}

bool rfm_datapath_attach(struct rfm_datapath *dp, guint32 ifindex, unsigned dir_mask,
			 const struct rfm_if_settings *s, GError **error)
{
	char name[IF_NAMESIZE] = "?";
	struct rfm_if_settings eff = *s;
	int err;

	if (!if_indextoname(ifindex, name) || device_is_l3(ifindex, &eff.l3_device) < 0) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_NO_IF,
			    "ifindex %u: no such interface", ifindex);
		return false;
	}
	for (int d = 0; d < RFM_DIR_MAX; d++) {
		struct rfm_hook *h;

		if (!(dir_mask & (1U << d)))
			continue;
		if (!rfm_datapath_configure(dp, ifindex, d, &eff, error))
			goto fail;
		h = &ifstate_get(dp, ifindex, false)->hook[d];
		if (h->link_fd >= 0 || h->tc_attached)
			continue;

		err = -EOPNOTSUPP;
		if (dp->opts.attach_mode != RFM_ATTACH_TC) {
			err = attach_tcx(dp, ifindex, d);
			if (err >= 0) {
				h->link_fd = err;
				continue;
			}
		}
		/* EINVAL: a kernel older than 6.6 does not know the TCX attach types. */
		if (dp->opts.attach_mode == RFM_ATTACH_TC ||
		    (dp->opts.attach_mode == RFM_ATTACH_AUTO && err == -EINVAL)) {
			err = attach_tc(dp, ifindex, d);
			if (!err) {
				h->tc_attached = true;
				continue;
			}
		}
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_ATTACH,
			    "%s (ifindex %u) %s: cannot attach (%s): %s", name, ifindex,
			    rfm_direction_name(d), rfm_attach_mode_name(dp->opts.attach_mode),
			    g_strerror(-err));
		goto fail;
	}
	return true;

fail:
	/* Leave nothing half attached: an interface is attached whole or not at all. */
	rfm_datapath_detach(dp, ifindex, NULL);
	return false;
}

bool rfm_datapath_detach(struct rfm_datapath *dp, guint32 ifindex, GError **error)
{
	struct rfm_ifstate *st = ifstate_get(dp, ifindex, false);

	if (!st) {
		g_set_error(error, RFM_DATAPATH_ERROR, RFM_DATAPATH_ERROR_NO_IF,
			    "ifindex %u is not attached", ifindex);
		return false;
	}
	ifstate_drop(dp, st, true);
	return true;
}

void rfm_datapath_forget(struct rfm_datapath *dp, guint32 ifindex)
{
	struct rfm_ifstate *st = ifstate_get(dp, ifindex, false);

	if (st)
		ifstate_drop(dp, st, false);
}

static const struct rfm_hook *hook_get(const struct rfm_datapath *dp, guint32 ifindex,
				       enum rfm_direction dir)
{
	const struct rfm_ifstate *st = g_hash_table_lookup(dp->ifaces, GUINT_TO_POINTER(ifindex));

	return st && dir < RFM_DIR_MAX ? &st->hook[dir] : NULL;
}

int rfm_datapath_attach_mode(const struct rfm_datapath *dp, guint32 ifindex, enum rfm_direction dir)
{
	const struct rfm_hook *h = hook_get(dp, ifindex, dir);

	if (h && h->link_fd >= 0)
		return RFM_ATTACH_TCX;
	if (h && h->tc_attached)
		return RFM_ATTACH_TC;
	return -1;
}

bool rfm_datapath_is_attached(const struct rfm_datapath *dp, guint32 ifindex,
			      enum rfm_direction dir)
{
	return rfm_datapath_attach_mode(dp, ifindex, dir) >= 0;
}

static gint cmp_u32(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

GArray *rfm_datapath_interfaces(const struct rfm_datapath *dp)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint32));
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, dp->ifaces);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		guint32 ifindex = GPOINTER_TO_UINT(key);

		g_array_append_val(out, ifindex);
	}
	g_array_sort(out, cmp_u32);
	return out;
}

bool rfm_datapath_read_counters(const struct rfm_datapath *dp, guint32 ifindex,
				enum rfm_direction dir, struct rfm_counter out[RFM_FAMILY_MAX])
{
	const struct rfm_hook *h = hook_get(dp, ifindex, dir);
	g_autofree struct rfm_slot *per_cpu = NULL;
	guint32 slot;

	memset(out, 0, sizeof(*out) * RFM_FAMILY_MAX);
	if (!h || !h->slot)
		return false;
	slot = h->slot;
	per_cpu = g_new0(struct rfm_slot, dp->ncpus);
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.rfm_counters), &slot, per_cpu))
		return false;
	for (int c = 0; c < dp->ncpus; c++) {
		for (int f = 0; f < RFM_FAMILY_MAX; f++) {
			out[f].packets += per_cpu[c].fam[f].packets;
			out[f].bytes += per_cpu[c].fam[f].bytes;
		}
	}
	return true;
}

void rfm_datapath_read_stats(const struct rfm_datapath *dp, guint64 out[RFM_STAT_MAX])
{
	g_autofree guint64 *per_cpu = g_new0(guint64, dp->ncpus);
	int fd = bpf_map__fd(dp->skel->maps.rfm_stats);

	for (guint32 i = 0; i < RFM_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, per_cpu))
			continue;
		for (int c = 0; c < dp->ncpus; c++)
			out[i] += per_cpu[c];
	}
	/* Not counted by the program (one increment less per sampled packet). */
	out[RFM_STAT_SAMPLED] = out[RFM_STAT_EVENTS] + out[RFM_STAT_RINGBUF_FULL] +
				out[RFM_STAT_NOT_IP] + out[RFM_STAT_TRUNCATED] +
				out[RFM_STAT_BAD_HEADER];
}

int rfm_datapath_drain(struct rfm_datapath *dp)
{
	return ring_buffer__consume(dp->ring);
}

int rfm_datapath_ring_fd(const struct rfm_datapath *dp)
{
	return ring_buffer__epoll_fd(dp->ring);
}

int rfm_datapath_test_run(struct rfm_datapath *dp, enum rfm_direction dir, guint32 ifindex,
			  const void *frame, guint32 len)
{
	struct __sk_buff ctx = {.ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = len,
		    .ctx_in = ifindex ? &ctx : NULL, .ctx_size_in = ifindex ? sizeof(ctx) : 0);

	return bpf_prog_test_run_opts(rfm_datapath_prog_fd(dp, dir), &run) ? -errno : 0;
}

int rfm_datapath_prog_fd(const struct rfm_datapath *dp, enum rfm_direction dir)
{
	return bpf_program__fd(dir == RFM_DIR_INGRESS ? dp->skel->progs.rfm_ingress
						      : dp->skel->progs.rfm_egress);
}

const char *rfm_attach_mode_name(int mode)
{
	switch (mode) {
	case RFM_ATTACH_AUTO:
		return "auto";
	case RFM_ATTACH_TCX:
		return "tcx";
	case RFM_ATTACH_TC:
		return "tc";
	default:
		return "none";
	}
}

const char *rfm_direction_name(enum rfm_direction dir)
{
	return dir == RFM_DIR_INGRESS ? "ingress" : "egress";
}

const char *rfm_family_name(enum rfm_family fam)
{
	static const char *const names[RFM_FAMILY_MAX] = {"ipv4", "ipv6", "other"};

	return fam < RFM_FAMILY_MAX ? names[fam] : "?";
}

const char *rfm_stat_name(enum rfm_stat stat)
{
	static const char *const names[RFM_STAT_MAX] = {
		[RFM_STAT_SAMPLED] = "sampled",		  [RFM_STAT_EVENTS] = "events",
		[RFM_STAT_RINGBUF_FULL] = "ringbuf_full", [RFM_STAT_NOT_IP] = "not_ip",
		[RFM_STAT_TRUNCATED] = "truncated",	  [RFM_STAT_BAD_HEADER] = "bad_header",
		[RFM_STAT_EXTHDR_LIMIT] = "exthdr_limit", [RFM_STAT_UNKNOWN_IF] = "unknown_if",
		[RFM_STAT_SLOT_INVALID] = "slot_invalid", [RFM_STAT_FIB_ERROR] = "fib_error",
	};

	return stat < RFM_STAT_MAX ? names[stat] : "?";
}
