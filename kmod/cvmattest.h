/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cvmattest internals shared by the core and the providers.
 */
#ifndef CVMATTEST_INTERNAL_H
#define CVMATTEST_INTERNAL_H

#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <uapi/linux/cvmattest.h>

struct file;
struct cvmattest_provider;

/*
 * One evidence request as the core hands it to a provider.  The core has
 * validated everything that came from user space; the buffers are kernel
 * memory of evidence_cap / certs_cap bytes.
 */
struct cvmattest_evidence {
	u8 report_data[CVMATTEST_REPORT_DATA_LEN];
	u32 flags;
	u32 privlevel;

	u8 *evidence;
	size_t evidence_cap;
	size_t evidence_len;		/* out */
	u8 *certs;
	size_t certs_cap;
	size_t certs_len;		/* out */

	u32 format;			/* out: enum cvmattest_format */
	u32 platform;			/* out: enum cvmattest_platform */
	u64 fw_error;			/* out */
	u64 vmm_error;			/* out */
};

/* What the launch evidence says, for /sys/kernel/cvmattest/launch_* */
struct cvmattest_launch {
	bool valid;
	bool debug;
	u32 version;
	u64 policy;			/* SNP POLICY, TDX TD_ATTRIBUTES */
	u8 measurement[48];		/* SNP MEASUREMENT, TDX MRTD */
	u8 tcb[16];			/* SNP REPORTED_TCB, TDX TEE_TCB_SVN */
	u8 tcb_len;
};

/**
 * struct cvmattest_provider_ops - what a platform provider implements
 * @name:		provider name as in provider= and INFO ("snp", ...)
 * @id:			enum cvmattest_provider_id
 * @probe:		detect the platform; 0 if usable, -ENODEV if absent.
 *			Fills the limits in @prov.  Runs in process context.
 * @remove:		undo @probe
 * @get_evidence:	produce evidence for @ev.  Must
 *			serialise platform access with @prov->lock, held no
 *			longer than the platform call; may sleep.  Returns 0
 *			or -errno; -EAGAIN means "the platform is busy and
 *			retrying is safe" (the core retries, bounded, then
 *			returns -EBUSY); -EBUSY means busy and final.
 * @describe:		fill @launch from evidence @ev produced by this provider
 */
struct cvmattest_provider_ops {
	const char *name;
	u32 id;
	int (*probe)(struct cvmattest_provider *prov);
	void (*remove)(struct cvmattest_provider *prov);
	int (*get_evidence)(struct cvmattest_provider *prov,
			    struct cvmattest_evidence *ev);
	void (*describe)(const struct cvmattest_evidence *ev,
			 struct cvmattest_launch *launch);
};

struct cvmattest_provider {
	const struct cvmattest_provider_ops *ops;
	void *priv;

	/* Limits, set by probe. */
	u32 platform;
	u64 caps;
	u32 evidence_max;
	u32 certs_max;
	u32 privlevel_floor;
	u32 privlevel_max;
	/*
	 * Exact evidence size when it is fixed (0 if not: then evidence_max is
	 * what a caller must offer), and the certificate size seen last (0 if
	 * unknown): a caller's buffer that is smaller is refused with -ENOSPC
	 * before anything reaches the platform.
	 */
	u32 evidence_size;
	u32 certs_size_seen;

	/* Serialises every request to the platform. */
	struct mutex lock;
};

extern const struct cvmattest_provider_ops cvmattest_snp_ops;
extern const struct cvmattest_provider_ops cvmattest_tdx_ops;
extern const struct cvmattest_provider_ops cvmattest_azure_vtpm_ops;

void cvmattest_snp_describe_report(const u8 *report, struct cvmattest_launch *l);
void cvmattest_tdx_describe_report(const u8 *report, struct cvmattest_launch *l);

/*
 * platform_file.c: driving another driver's user ABI from the kernel, with
 * requests staged in an address space of the module's own (see there).
 * CVMATTEST_STAGE_LEN is the largest request image: SNP's extended report
 * (ioctl struct and request, the response page, 16 KiB of certificates).
 */
#define CVMATTEST_STAGE_LEN	SZ_32K

struct file *cvmattest_open_platform(const char *path);
int cvmattest_platform_probe(struct cvmattest_provider *prov, const char *path);
void cvmattest_platform_remove(struct cvmattest_provider *prov);
u64 cvmattest_stage_addr(size_t off);
long cvmattest_platform_ioctl(struct file *filp, unsigned int cmd, void *image,
			      size_t len, size_t arg_off);

int cvmattest_platform_init(void);
void cvmattest_platform_exit(void);

/*
 * state.c: boot-integrity state, counters, attestation status, sysfs.  It
 * only records what the core pushes in; it calls neither the core nor
 * netlink.c.
 */
int cvmattest_state_init(void);
void cvmattest_state_exit(void);
void cvmattest_state_set_provider(const char *name, u32 platform);
void cvmattest_state_note(int ret, unsigned int retries,
			  const struct cvmattest_launch *launch);
int cvmattest_state_set_status(const struct cvmattest_status *st,
			       struct cvmattest_status *recorded);
unsigned int cvmattest_state_count(void);
const char *cvmattest_state_name(unsigned int idx);
ssize_t cvmattest_state_show(unsigned int idx, char *buf);

/* netlink.c: the core announces events; GET_STATUS reads state.c */
int cvmattest_nl_init(void);
void cvmattest_nl_exit(void);
void cvmattest_nl_evidence(const struct cvmattest_provider *prov,
			   const struct cvmattest_evidence *ev);
void cvmattest_nl_error(const struct cvmattest_provider *prov,
			const struct cvmattest_evidence *ev, int err);
void cvmattest_nl_status(const struct cvmattest_status *st);

#endif /* CVMATTEST_INTERNAL_H */
