/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * simdev: the user-visible behaviour of the platform drivers — Debian
 * 6.1's sev-guest (drivers/virt/coco/sev-guest/sev-guest.c, 6.1.192) and
 * the 6.2-6.15 tdx-guest — on top of a simulated host (VMM + AMD Secure
 * Processor, TDX module).  The driver paths are transliterated from the
 * kernel so that error codes, what is written back to the caller, and the
 * VMPCK wipe come out the same.
 *
 * No FUSE here: guest memory is reached through struct simdev_mem, so the
 * same code runs behind CUSE (simd.c, with the FUSE_IOCTL_RETRY protocol)
 * and in the host tests (a table of fake user addresses).
 */
#ifndef CVMATTEST_SIMDEV_H
#define CVMATTEST_SIMDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cvmattest/platform-abi.h>

#include "libsim.h"

/* simdev_ioctl() result meaning "the data of a read is not here yet". */
#define SIMDEV_RETRY	1

/*
 * The user-visible driver behaviour the device models (the state file's
 * "abi=" line): it is the same whatever kernel the guest runs, since the
 * device is served through CUSE, not by the guest kernel's own driver.
 */
#define SIMDEV_ABI_SNP	"sev-guest ioctl ABI of Debian 6.1.192-2 (6.4+ UAPI: exitinfo2 union; throttling retry; VMPCK wipe on error)"
#define SIMDEV_ABI_TDX	"tdx-guest TDX_CMD_GET_REPORT0 of upstream 6.2-6.15 (-EBUSY of 6.16+ by injection)"

/* Linux x86-64 TASK_SIZE_MAX with 4-level paging: access_ok() limit. */
#define SIMDEV_TASK_SIZE_MAX	0x00007ffffffff000ULL

/* The simulated driver's 'vmpck_id' module parameter is 0. */
#define SIMDEV_VMPCK_ID		0

struct simdev_mem {
	/*
	 * copy_from_user(): 0, -EFAULT, or SIMDEV_RETRY when the bytes are not
	 * available yet (CUSE: they must be fetched with a retry first).
	 */
	int (*read)(struct simdev_mem *m, uint64_t addr, void *dst, size_t len);
	/* copy_to_user(): 0 or -EFAULT (CUSE: queued, faults come later). */
	int (*write)(struct simdev_mem *m, uint64_t addr, const void *src, size_t len);
};

/* Faults to inject into the simulated host, set from the control FIFO. */
struct simdev_inject {
	bool fw_error_set;		/* next firmware call fails with fw_error */
	uint32_t fw_error;
	bool vmm_error_set;		/* next guest-request exit: VMM error */
	uint32_t vmm_error;
	unsigned int vmm_busy;		/* the next N exits are throttled (BUSY) */
	bool invalid_len_set;		/* next extended request: "too small" */
	unsigned int invalid_len_pages;	/* 0: the guest's page count + 1 */
	bool corrupt_response;		/* next response fails authentication */
	unsigned int latency_ms;	/* added to every host call */
	unsigned int tdcall_busy;	/* TDX: next N TDG.MR.REPORT give -EBUSY */
	unsigned int tdcall_error;	/* TDX: next N give -EIO */
};

struct simdev_stats {
	uint64_t ioctls;		/* ioctl calls completed */
	uint64_t ok, errors;
	uint64_t guest_requests;	/* GHCB guest-request exits (incl. retries) */
	uint64_t fw_calls;		/* requests that reached the firmware */
	uint64_t throttled;
	uint64_t reports, ext_reports, derived_keys, tdreports;
	unsigned int last_cmd;
	int last_rc;
	uint64_t last_exitinfo2;
	bool last_exitinfo2_valid;
	uint64_t wipes;			/* VMPCK wipes (a second one is impossible
					 * without a reboot; counted anyway) */
	uint64_t bad_msg_version;	/* SNP messages sent with msg_version != 1 */
	int wipe_rc;			/* why the VMPCK was wiped */
	uint64_t wipe_exitinfo2;
};

enum simdev_platform { SIMDEV_SNP, SIMDEV_TDX };

struct simdev {
	enum simdev_platform platform;
	const struct sim_keys *keys;
	struct sim_snp_config snp;
	struct sim_tdx_config tdx;
	bool host_certs;		/* the VMM supplies certificates */
	uint8_t *certs;			/* the VMM's certificate table */
	size_t certs_len;
	unsigned int retry_delay_ms;	/* SNP_REQ_RETRY_DELAY (real: 2 s) */
	unsigned int retry_max_ms;	/* SNP_REQ_MAX_RETRY_DURATION (real: 60 s) */
	volatile int *stopping;		/* set on shutdown: cut retry waits short */
	void (*log)(const char *line);

	pthread_mutex_t lock;		/* snp_cmd_mutex (held while retrying, as
				 * the driver does), and all state below */
	/* driver (struct snp_guest_dev) */
	bool vmpck_wiped;
	uint32_t msg_seqno;		/* secrets page os_area msg_seqno_0 */
	unsigned int data_npages;	/* snp_dev->input.data_npages */
	uint8_t *certs_data;		/* the shared certificate pages, 16 KiB */
	/* firmware */
	uint64_t fw_seqno;		/* sequence number of the last response */

	struct simdev_inject inj;
	struct simdev_stats st;
};

/* @d->platform, keys, snp/tdx config and options must be set first. */
int simdev_init(struct simdev *d);
void simdev_destroy(struct simdev *d);
/* A VM reboot: fresh VMPCK and sequence numbers, counters cleared. */
void simdev_reboot(struct simdev *d);

/* The driver's unlocked_ioctl.  Returns 0, -errno or SIMDEV_RETRY. */
long simdev_ioctl(struct simdev *d, unsigned int cmd, uint64_t arg, struct simdev_mem *m);

/* Apply one control command ("fw_error 0x16"); 0 or -EINVAL. */
int simdev_control(struct simdev *d, const char *line);

/* The state as "key=value\n" lines (malloc()ed). */
char *simdev_state(struct simdev *d);

const char *simdev_cmd_name(unsigned int cmd);

#endif /* CVMATTEST_SIMDEV_H */
