/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest: the node's boot-integrity state and the module's events.
 *
 * cvm_state_read() gathers what `cvmattest status` shows: the values of
 * /sys/kernel/cvmattest/ (or the same values from the generic netlink
 * GET_STATUS command), CVMATTEST_IOC_INFO from /dev/cvmattest, and a few
 * facts about the host that explain why attestation cannot work here (the
 * module not installed, the platform driver not loaded, ...).  It then
 * diagnoses: each finding says why and what to do, and a verdict says
 * whether attestation can work on this machine.
 *
 * cvm_monitor_*() listen on the netlink family's "events" group (libnl-genl-3)
 * and hand each event, parsed, to a callback (`cvmattest monitor`).
 *
 * Same conventions as libcvmattest.h: 0 or -errno, messages through the
 * context's log callback.  See Documentation/admin-guide/cvmattest-status.rst.
 */
#ifndef LIBCVMATTEST_STATUS_H
#define LIBCVMATTEST_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <linux/netlink.h>

#include "libcvmattest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CVM_SYSFS_DIR "/sys/kernel/cvmattest"

/* ---- boot-integrity state --------------------------------------------- */

/* The module's values, one per sysfs file (Documentation/ABI/testing/sysfs-kernel-cvmattest). */
enum cvm_state_field {
	CVM_SF_PLATFORM,
	CVM_SF_PROVIDER,
	CVM_SF_MEM_ENCRYPT,
	CVM_SF_SEV,
	CVM_SF_SEV_ES,
	CVM_SF_SEV_SNP,
	CVM_SF_TDX,
	CVM_SF_SECURE_BOOT,
	CVM_SF_LOCKDOWN,
	CVM_SF_MODULE_SIG_ENFORCE,
	CVM_SF_TPM,
	CVM_SF_LAUNCH_DEBUG,
	CVM_SF_LAUNCH_MEASUREMENT,
	CVM_SF_LAUNCH_POLICY,
	CVM_SF_LAUNCH_TCB,
	CVM_SF_LAUNCH_REPORT_VERSION,
	CVM_SF_REQUESTS,
	CVM_SF_ERRORS,
	CVM_SF_RETRIES,
	CVM_SF_LAST_ERROR,
	CVM_SF_LAST_ERROR_TIME,
	CVM_SF_ATTESTATION_STATE,
	CVM_SF_ATTESTATION_TIME,
	CVM_SF_ATTESTATION_VERIFIER,
	CVM_SF_ATTESTATION_EXPIRY,
	CVM_SF_ATTESTATION_REASON,
	_CVM_SF_MAX,
};

/* The sysfs file name of @f ("launch_debug"), NULL if out of range. */
const char *cvm_state_field_name(enum cvm_state_field f);

enum cvm_severity {
	CVM_FINDING_INFO = 0,		/* worth knowing */
	CVM_FINDING_WARNING = 1,	/* attestation can work, but needs attention */
	CVM_FINDING_BLOCKER = 2,	/* attestation cannot work here */
};

const char *cvm_severity_name(enum cvm_severity s);	/* "info", "warning", "blocker" */

struct cvm_finding {
	enum cvm_severity severity;
	const char *id;			/* stable: "module-not-loaded", "debug-guest", ... */
	char why[384];
	char fix[384];			/* "" when there is nothing to do */
};

#define CVM_FINDINGS_MAX 16

enum cvm_verdict {
	CVM_VERDICT_OK = 0,		/* attestation can work here */
	CVM_VERDICT_ATTENTION = 1,	/* it can, but the last attempt failed or expired */
	CVM_VERDICT_CANNOT = 2,		/* it cannot work here: see the blockers */
};

const char *cvm_verdict_name(enum cvm_verdict v);	/* "ok", "attention", "cannot-attest" */

#define CVM_STATE_WORD 24

/*
 * Everything cvm_state_read() found.  A module value is meaningful only if
 * cvm_state_has() says so: its file was read and did not say "unknown"
 * (secure_boot's "unknown" is a value, kept as such).  Tri-state facts about
 * the host are 1, 0, or -1 when they could not be found out.
 */
struct cvm_state {
	time_t now;			/* when it was read; expiry is judged against it */
	char source[8];			/* "sysfs" or "netlink" */

	/* the host */
	char kernel_release[65];
	bool module_loaded;		/* the module's values were there to read */
	int module_installed;		/* cvmattest.ko in modules.dep of the running kernel */
	int module_unsigned;		/* the module tainted the kernel with E */
	char provider_param[CVM_STATE_WORD];	/* provider= it was loaded with, "" unknown */
	char host_lockdown[CVM_STATE_WORD];	/* from securityfs, "" unknown */
	bool sev_guest_node;		/* /dev/sev-guest */
	bool tdx_guest_node;		/* /dev/tdx_guest */
	bool tpm_node;			/* /dev/tpmrm0 or /dev/tpm0 */
	bool azure;			/* DMI: an Azure VM */
	int cpu_sev_snp;		/* /proc/cpuinfo flag sev_snp; -1 unknown */
	int cpu_tdx_guest;		/* /proc/cpuinfo flag tdx_guest; -1 unknown */
	char sys_vendor[65];		/* DMI sys_vendor, "" unknown */
	bool tsm_report;		/* configfs-tsm /sys/kernel/config/tsm/report (6.7+) */
	bool tdx_measurements;		/* tsm-mr: tdx_guest's measurements/ in sysfs (6.16+) */
	int tpm_hcl_report;		/* the vTPM has Azure's HCL report index
					   (NV 0x01400001); -1 not probed */
	char tsm_provider[CVM_STATE_WORD];	/* configfs-tsm's provider ("sev_guest",
						   "tdx_guest"...), "none" when none is
						   registered, "" unknown (not root) */
	char host_platform[CVM_STATE_WORD];	/* the host's own judgement: "sev-snp", "tdx",
						   "azure-vtpm" (possibly), "none" */

	/* the module's values */
	uint64_t present;		/* bit (1 << enum cvm_state_field) */
	char platform[CVM_STATE_WORD];
	char provider[CVM_STATE_WORD];
	bool mem_encrypt, sev, sev_es, sev_snp, tdx;
	char secure_boot[CVM_STATE_WORD];
	char lockdown[CVM_STATE_WORD];
	bool module_sig_enforce;
	char tpm[CVM_STATE_WORD];
	bool launch_debug;
	char launch_measurement[97];
	uint64_t launch_policy;
	char launch_tcb[33];
	uint32_t launch_report_version;
	uint64_t requests, errors, retries;
	int32_t last_error;
	int64_t last_error_time;
	char attestation_state[CVM_STATE_WORD];
	int64_t attestation_time;
	char attestation_verifier[257];
	int64_t attestation_expiry;
	char attestation_reason[129];

	/* CVMATTEST_IOC_INFO */
	bool device_queried;		/* asked (not cvm_state_source.no_device) */
	int device_error;		/* 0 (info valid), -ENOENT, -EACCES, ... */
	struct cvm_device_info device;

	/* the diagnosis */
	enum cvm_verdict verdict;
	size_t n_findings;
	struct cvm_finding findings[CVM_FINDINGS_MAX];
};

/* Where to read; NULL or zero members take the defaults. */
struct cvm_state_source {
	const char *root;		/* prefix of every host path (/sys, /proc, /dev, /lib): tests */
	const char *sysfs;		/* the module's directory (default ROOT/sys/kernel/cvmattest) */
	const char *device;		/* default ROOT/dev/cvmattest */
	bool netlink;			/* the module's values from GET_STATUS instead of sysfs */
	bool no_device;			/* do not ask /dev/cvmattest for INFO */
	time_t now;			/* default time(NULL) */
	/*
	 * The caller's probe of the vTPM for Azure's HCL report (NV 0x01400001,
	 * cvm_tpm_nv_index_size() of libcvmattest-attest.h), which this layer
	 * cannot make: hcl_probed false leaves it unknown.
	 */
	bool hcl_probed;
	bool hcl_report;
};

/*
 * Gather and diagnose.  Returns 0 whatever the machine's state (a missing
 * module is a finding, not an error); -errno only when the state could not
 * be read at all (-ENOMEM, a netlink failure other than a missing family,
 * an unreadable sysfs directory).
 */
int cvm_state_read(struct cvm_ctx *ctx, const struct cvm_state_source *src, struct cvm_state *ret);

bool cvm_state_has(const struct cvm_state *s, enum cvm_state_field f);

/*
 * Set one module value from its text as sysfs shows it (trailing newline
 * allowed).  -ENOENT for a name this library does not know (newer module),
 * -EINVAL for a value that does not parse.
 */
int cvm_state_set_value(struct cvm_state *s, const char *name, const char *value);

/* (Re)compute the findings and the verdict from the fields. */
void cvm_state_diagnose(struct cvm_state *s);

/* One JSON object (pretty-printed), the text for people, or node-exporter text format. */
int cvm_state_to_json(const struct cvm_state *s, char **ret);
int cvm_state_to_text(const struct cvm_state *s, char **ret);
int cvm_state_to_prometheus(const struct cvm_state *s, char **ret);

/* ---- generic netlink ---------------------------------------------------- */

/*
 * The module's values with one GET_STATUS request.  -ENOENT (logged: "is the
 * module loaded?") if the family is absent.
 */
int cvm_netlink_get_status(struct cvm_ctx *ctx, struct cvm_state *s);

/* Apply the ENTRY attributes of a GET_STATUS reply; -EBADMSG if malformed. */
int cvm_state_parse_genl(struct cvm_state *s, const struct nlmsghdr *nlh);

enum cvm_event_type {
	CVM_EVENT_UNKNOWN = 0,
	CVM_EVENT_EVIDENCE_ISSUED,	/* "evidence-issued" */
	CVM_EVENT_STATUS_CHANGED,	/* "status-changed" */
	CVM_EVENT_PROVIDER_ERROR,	/* "provider-error" */
	_CVM_EVENT_MAX,
};

const char *cvm_event_type_name(enum cvm_event_type t);
int cvm_event_type_from_name(const char *name, enum cvm_event_type *ret);

/* One event; each has_* says whether the attribute was there. */
struct cvm_event {
	enum cvm_event_type type;
	uint8_t cmd;			/* the genetlink command, for unknown types */
	bool has_time;
	int64_t time;			/* Unix seconds, the kernel's clock */
	bool has_provider;
	char provider[17];
	bool has_format;
	uint32_t format;		/* enum cvmattest_format */
	bool has_platform;
	uint32_t platform;		/* enum cvmattest_platform */
	bool has_report_data;
	uint8_t report_data[64];
	bool has_errno;
	int32_t err;			/* negative errno */
	bool has_fw_error;
	uint64_t fw_error;
	bool has_vmm_error;
	uint64_t vmm_error;
	bool has_state;
	uint32_t state;			/* enum cvmattest_status_state */
	bool has_status_time;
	int64_t status_time;
	bool has_expiry;
	int64_t expiry;
	bool has_verifier;
	char verifier[257];
	bool has_reason;
	char reason[129];
};

/*
 * Parse one event message of the family (the caller has checked that
 * nlmsg_type is the family's id).  -EBADMSG if the message or an attribute
 * is malformed; attributes this library does not know are ignored.
 */
int cvm_event_parse(const struct nlmsghdr *nlh, struct cvm_event *ret);

/* The event as one line of JSON (no newline); caller frees. */
int cvm_event_to_json(const struct cvm_event *ev, char **ret);

struct cvm_monitor;

/*
 * Resolve the family, join its "events" group.  -ENOENT if the family (or
 * the group) is absent, -EPERM if joining is refused (CAP_NET_ADMIN is
 * needed); both logged with what to do.
 */
int cvm_monitor_open(struct cvm_ctx *ctx, struct cvm_monitor **ret);
void cvm_monitor_free(struct cvm_monitor *m);
CVM_DEFINE_FREEP(struct cvm_monitor *, cvm_monitor_free)
/* For poll(): readable when events are pending. */
int cvm_monitor_fd(const struct cvm_monitor *m);

/* Return 0 to go on, > 0 to stop (the rest of what was received is dropped). */
typedef int (*cvm_event_fn)(const struct cvm_event *ev, void *userdata);

/*
 * Read what is pending without blocking and call @fn for each event.
 * Returns 0 when nothing more is pending, 1 if @fn asked to stop, -ENODEV
 * if the family went away (the module was unloaded), -errno on errors.
 * Events lost to a full socket buffer are logged as a warning.
 */
int cvm_monitor_dispatch(struct cvm_monitor *m, cvm_event_fn fn, void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* LIBCVMATTEST_STATUS_H */
