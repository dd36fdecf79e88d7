/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * simdev: the user-visible behaviour of the platform drivers — Debian
 * 6.1's sev-guest (drivers/virt/coco/sev-guest/sev-guest.c, 6.1.192) and
 * the 6.2-6.15 tdx-guest, or those of a later kernel where they differ
 * (see SIMDEV_KERNEL below) — on top of a simulated host (VMM + AMD Secure
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
 * Which kernel's driver the device behaves as (the state file's "abi=" line
 * says it in words).  The device is served through CUSE, not by the guest
 * kernel's own driver, so the guest scripts pass their `uname -r`
 * (cvmattest-simd --kernel, or "kernel 6.16" on the control FIFO).  What
 * differs, read in Debian's sources (linux-source 6.1.192, 6.12.117, 7.2.13):
 *   sev-guest up to 6.13: snp_guest_ioctl() refuses every request with
 *     -ENOTTY once the VMPCK is wiped, before looking at its arguments;
 *     from 6.14 (the guest-messaging code moved to arch/x86/coco/sev, the
 *     check into snp_send_guest_request()) the arguments are checked and
 *     copied first: -EINVAL/-EFAULT for bad ones, -ENOTTY only after that.
 *   tdx-guest up to 6.15: TDCALL_OPERAND_BUSY is one more -EIO; from 6.16
 *     (tsm-mr, "x86/tdx: tdx_mcall_get_report0: Return -EBUSY on
 *     TDCALL_OPERAND_BUSY error") it is -EBUSY, which callers may retry.
 * Both: Debian's 6.1 has the 6.4+ UAPI (the exitinfo2 union, the throttling
 * retry); tdx-guest first came in 6.2, so "6.1" models 6.2's for TDX.
 */
#define SIMDEV_KERNEL(maj, min)		((maj) * 1000 + (min))
#define SIMDEV_KERNEL_DEFAULT		SIMDEV_KERNEL(6, 1)
#define SIMDEV_SNP_LATE_VMPCK_CHECK	SIMDEV_KERNEL(6, 14)
#define SIMDEV_TDX_BUSY_IS_EBUSY	SIMDEV_KERNEL(6, 16)

/* "6.12.117+deb13-amd64", "7.2", "6.16" -> SIMDEV_KERNEL(); 0 if not one. */
unsigned int simdev_parse_kernel(const char *release);

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
	unsigned int tdcall_busy;	/* TDX: next N TDG.MR.REPORT are BUSY */
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
	unsigned int kernel;		/* SIMDEV_KERNEL() modelled; 0: default */

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
/* The modelled driver in words (the state's "abi=" line). */
const char *simdev_abi(const struct simdev *d);

#endif /* CVMATTEST_SIMDEV_H */
