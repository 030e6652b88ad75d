/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * datapath.h - the BPF classifier seen from user space: load, configure,
 * attach/detach per interface and direction, read counters, drain events.
 *
 * The only module that includes libbpf. All calls come from the main-loop
 * thread. ifindex values are those of the network namespace the process was
 * in when rfm_datapath_new() ran.
 */
#ifndef RFM_DATAPATH_H
#define RFM_DATAPATH_H

#include <stdbool.h>
#include <glib.h>

#include "rfm_shared.h"

#define RFM_DATAPATH_ERROR (rfm_datapath_error_quark())
GQuark rfm_datapath_error_quark(void);

enum rfm_datapath_error_code {
	RFM_DATAPATH_ERROR_LOAD,    /* BPF object failed to open or load */
	RFM_DATAPATH_ERROR_ATTACH,  /* attaching a program failed */
	RFM_DATAPATH_ERROR_DETACH,  /* detaching a program failed */
	RFM_DATAPATH_ERROR_NO_IF,   /* no such interface */
	RFM_DATAPATH_ERROR_LIMIT,   /* max_interfaces reached */
	RFM_DATAPATH_ERROR_INVALID, /* invalid argument */
};

enum rfm_attach_mode {
	RFM_ATTACH_AUTO = 0, /* TCX link, clsact + direct-action filter if unsupported */
	RFM_ATTACH_TCX,
	RFM_ATTACH_TC,
};

/* Direction bit masks for attach. */
#define RFM_DIRS_INGRESS (1U << RFM_DIR_INGRESS)
#define RFM_DIRS_EGRESS	 (1U << RFM_DIR_EGRESS)
#define RFM_DIRS_BOTH	 (RFM_DIRS_INGRESS | RFM_DIRS_EGRESS)

struct rfm_datapath_options {
	enum rfm_attach_mode attach_mode;
	guint32 ring_bytes;	/* ring buffer size: power of two, >= page size */
	guint32 max_interfaces; /* (ifindex, direction) pairs that can be configured */
	/* Defaults for a packet on an interface without configuration. */
	guint32 default_rate;
	enum rfm_sample_mode default_mode;
	/* Wake user space when the ring is this full (percent); 0 = timer only. */
	guint32 wakeup_fill;
};

#define RFM_DATAPATH_OPTIONS_INIT                                                              \
	{                                                                                      \
		.attach_mode = RFM_ATTACH_AUTO, .ring_bytes = 1U << 20, .max_interfaces = 512, \
		.default_rate = 0, .default_mode = RFM_SAMPLE_RANDOM, .wakeup_fill = 50,       \
	}

/* Per interface and direction settings, written to the rfm_if_config map. */
struct rfm_if_settings {
	guint32 sample_rate; /* 1-in-N, 1 = every packet, 0 = counters only */
	enum rfm_sample_mode sample_mode;
	bool fib_lookup; /* ingress: egress interface and next hop of sampled packets */
	bool l3_device;	 /* no link-layer header; rfm_datapath_attach() finds out itself */
};

/* Called for every event drained from the ring buffer. */
typedef void (*rfm_event_fn)(const struct rfm_event *ev, void *user_data);

struct rfm_datapath;

/* Open and load the BPF object; nothing is attached yet. */
struct rfm_datapath *rfm_datapath_new(const struct rfm_datapath_options *opts,
				      rfm_event_fn on_event, void *user_data, GError **error);
/* Detach from every interface and unload. Accepts NULL. */
void rfm_datapath_free(struct rfm_datapath *dp);

/*
 * Write the configuration of (ifindex, dir), giving it a counter slot if it
 * has none, without attaching anything (used by attach, and by tests that
 * run the programs with BPF_PROG_TEST_RUN). Changes apply from the next
 * packet.
 */
bool rfm_datapath_configure(struct rfm_datapath *dp, guint32 ifindex, enum rfm_direction dir,
			    const struct rfm_if_settings *s, GError **error);

/*
 * Attach the programs of the directions in dir_mask to ifindex. The device
 * type decides s->l3_device. Attaching an attached direction only updates
 * its settings.
 */
bool rfm_datapath_attach(struct rfm_datapath *dp, guint32 ifindex, unsigned dir_mask,
			 const struct rfm_if_settings *s, GError **error);
/* Detach every direction of ifindex and forget its configuration and counters. */
bool rfm_datapath_detach(struct rfm_datapath *dp, guint32 ifindex, GError **error);
/* Forget ifindex after the interface went away (its links are gone already). */
void rfm_datapath_forget(struct rfm_datapath *dp, guint32 ifindex);

bool rfm_datapath_is_attached(const struct rfm_datapath *dp, guint32 ifindex,
			      enum rfm_direction dir);
/* How (ifindex, dir) is attached: RFM_ATTACH_TCX, RFM_ATTACH_TC, or -1 if not. */
int rfm_datapath_attach_mode(const struct rfm_datapath *dp, guint32 ifindex,
			     enum rfm_direction dir);
/* Attached ifindexes, sorted; free with g_array_unref(). */
GArray *rfm_datapath_interfaces(const struct rfm_datapath *dp);

/* Counters of (ifindex, dir) summed over CPUs; false if it has no slot. */
bool rfm_datapath_read_counters(const struct rfm_datapath *dp, guint32 ifindex,
				enum rfm_direction dir, struct rfm_counter out[RFM_FAMILY_MAX]);
/* Per-CPU data-path statistics summed over CPUs. */
void rfm_datapath_read_stats(const struct rfm_datapath *dp, guint64 out[RFM_STAT_MAX]);

/* Consume every event in the ring buffer; returns the count or -errno. */
int rfm_datapath_drain(struct rfm_datapath *dp);
/* Epoll fd of the ring buffer (readable when a wakeup was requested). */
int rfm_datapath_ring_fd(const struct rfm_datapath *dp);

/*
 * Run one frame through the program of dir with BPF_PROG_TEST_RUN, as if it
 * arrived on ifindex (0: loopback). Events it emits wait in the ring buffer
 * until the next drain. Returns 0 or -errno.
 */
int rfm_datapath_test_run(struct rfm_datapath *dp, enum rfm_direction dir, guint32 ifindex,
			  const void *frame, guint32 len);

/* Program fd of a direction, for BPF_PROG_TEST_RUN. */
int rfm_datapath_prog_fd(const struct rfm_datapath *dp, enum rfm_direction dir);

const char *rfm_attach_mode_name(int mode);
const char *rfm_direction_name(enum rfm_direction dir);
const char *rfm_family_name(enum rfm_family fam);
const char *rfm_stat_name(enum rfm_stat stat);

#endif /* RFM_DATAPATH_H */
