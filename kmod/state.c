// SPDX-License-Identifier: GPL-2.0-only
/*
 * Boot-integrity state for monitoring agents: /sys/kernel/cvmattest/, one
 * value per file (Documentation/ABI/testing/sysfs-kernel-cvmattest).  The
 * same table backs the netlink GET_STATUS reply, so both always agree.
 *
 * This file only records and shows: the core pushes the provider, each
 * request's outcome and the launch state in, and announces changes on
 * netlink itself from the copies it gets back.  Nothing here calls the core
 * or netlink.c, and nothing here reaches the platform.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cc_platform.h>
#include <linux/efi.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/tpm.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include "cvmattest.h"

static struct {
	atomic64_t requests;
	atomic64_t errors;
	atomic64_t retries;
	atomic_t last_error;
	atomic64_t last_error_time;
} cvm_counters;

/* The active provider as the core announced it. */
static DEFINE_MUTEX(cvm_provider_lock);
static const char *cvm_provider_name = "none";
static u32 cvm_provider_platform = CVMATTEST_PLATFORM_UNKNOWN;

static DEFINE_MUTEX(cvm_launch_lock);
static struct cvmattest_launch cvm_launch;

static DEFINE_MUTEX(cvm_status_lock);
static struct cvmattest_status cvm_status;

static const char *cvm_secure_boot = "unknown";

/* Lockdown only ever rises; each level is probed until it is seen. */
static DEFINE_MUTEX(cvm_lockdown_lock);
static int cvm_lockdown_seen;		/* 0 none, 1 integrity, 2 confidentiality */

static struct kobject *cvm_kobj;

/* @name must outlive the module's use of it (a provider's ops->name). */
void cvmattest_state_set_provider(const char *name, u32 platform)
{
	mutex_lock(&cvm_provider_lock);
	cvm_provider_name = name;
	cvm_provider_platform = platform;
	mutex_unlock(&cvm_provider_lock);
}

/*
 * Count one evidence request; @launch is what its evidence says (NULL if
 * it failed or says nothing), and replaces what the launch_* files show.
 */
void cvmattest_state_note(int ret, unsigned int retries,
			  const struct cvmattest_launch *launch)
{
	atomic64_inc(&cvm_counters.requests);
	atomic64_add(retries, &cvm_counters.retries);
	if (ret) {
		atomic64_inc(&cvm_counters.errors);
		atomic_set(&cvm_counters.last_error, ret);
		atomic64_set(&cvm_counters.last_error_time,
			     ktime_get_real_seconds());
		return;
	}
	if (!launch || !launch->valid)
		return;
	mutex_lock(&cvm_launch_lock);
	cvm_launch = *launch;
	mutex_unlock(&cvm_launch_lock);
}

static bool cvm_launch_get(struct cvmattest_launch *launch)
{
	mutex_lock(&cvm_launch_lock);
	*launch = cvm_launch;
	mutex_unlock(&cvm_launch_lock);
	return launch->valid;
}

/*
 * Record the attestation status the helper reported; @recorded gets the
 * copy that was stored (with the time filled in), for the caller to
 * announce.
 */
int cvmattest_state_set_status(const struct cvmattest_status *st,
			       struct cvmattest_status *recorded)
{
	if (st->state > CVMATTEST_STATUS_FAILED)
		return -EINVAL;
	if (!memchr(st->verifier, 0, sizeof(st->verifier)) ||
	    !memchr(st->reason, 0, sizeof(st->reason)))
		return -EINVAL;
	if (st->time < 0 || st->token_expiry < 0)
		return -EINVAL;
	if (memchr_inv(st->reserved, 0, sizeof(st->reserved)))
		return -EINVAL;

	mutex_lock(&cvm_status_lock);
	cvm_status = *st;
	if (!cvm_status.time)
		cvm_status.time = ktime_get_real_seconds();
	*recorded = cvm_status;
	mutex_unlock(&cvm_status_lock);
	return 0;
}

static void cvm_status_get(struct cvmattest_status *st)
{
	mutex_lock(&cvm_status_lock);
	*st = cvm_status;
	mutex_unlock(&cvm_status_lock);
}

/* ---- the values ------------------------------------------------------ */

static bool cvm_is_amd(void)
{
	return boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
	       boot_cpu_data.x86_vendor == X86_VENDOR_HYGON;
}

static ssize_t show_bool(char *buf, bool v)
{
	return sysfs_emit(buf, "%d\n", v);
}

static ssize_t show_platform(char *buf)
{
	u32 platform;

	mutex_lock(&cvm_provider_lock);
	platform = cvm_provider_platform;
	mutex_unlock(&cvm_provider_lock);

	if (platform == CVMATTEST_PLATFORM_SEV_SNP ||
	    cc_platform_has(CC_ATTR_GUEST_SEV_SNP))
		return sysfs_emit(buf, "sev-snp\n");
	if (platform == CVMATTEST_PLATFORM_TDX ||
	    cpu_feature_enabled(X86_FEATURE_TDX_GUEST))
		return sysfs_emit(buf, "tdx\n");
	return sysfs_emit(buf, "none\n");
}

static ssize_t show_provider(char *buf)
{
	const char *name;

	mutex_lock(&cvm_provider_lock);
	name = cvm_provider_name;
	mutex_unlock(&cvm_provider_lock);
	return sysfs_emit(buf, "%s\n", name);
}

static ssize_t show_mem_encrypt(char *buf)
{
	return show_bool(buf, cc_platform_has(CC_ATTR_MEM_ENCRYPT));
}

static ssize_t show_sev(char *buf)
{
	return show_bool(buf, cvm_is_amd() &&
			 cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT));
}

static ssize_t show_sev_es(char *buf)
{
	return show_bool(buf, cvm_is_amd() &&
			 cc_platform_has(CC_ATTR_GUEST_STATE_ENCRYPT));
}

static ssize_t show_sev_snp(char *buf)
{
	return show_bool(buf, cc_platform_has(CC_ATTR_GUEST_SEV_SNP));
}

static ssize_t show_tdx(char *buf)
{
	return show_bool(buf, cpu_feature_enabled(X86_FEATURE_TDX_GUEST));
}

static ssize_t show_secure_boot(char *buf)
{
	return sysfs_emit(buf, "%s\n", cvm_secure_boot);
}

static ssize_t show_lockdown(char *buf)
{
	static const char *const names[] = { "none", "integrity",
					     "confidentiality" };

	mutex_lock(&cvm_lockdown_lock);
	/*
	 * A denial logs a "Lockdown:" line, so each level is probed only
	 * until it is seen: at most two lines over the module's lifetime.
	 */
	if (cvm_lockdown_seen < 1 && security_locked_down(LOCKDOWN_INTEGRITY_MAX))
		cvm_lockdown_seen = 1;
	if (cvm_lockdown_seen == 1 &&
	    security_locked_down(LOCKDOWN_CONFIDENTIALITY_MAX))
		cvm_lockdown_seen = 2;
	mutex_unlock(&cvm_lockdown_lock);
	return sysfs_emit(buf, "%s\n", names[cvm_lockdown_seen]);
}

static ssize_t show_module_sig_enforce(char *buf)
{
	return show_bool(buf, is_module_sig_enforced());
}

static ssize_t show_tpm(char *buf)
{
	struct tpm_chip *chip = tpm_default_chip();
	const char *v = "none";

	if (chip) {
		v = tpm_is_tpm2(chip) ? "2.0" : "1.2";
		put_device(&chip->dev);
	}
	return sysfs_emit(buf, "%s\n", v);
}

static ssize_t show_launch_debug(char *buf)
{
	struct cvmattest_launch l;

	if (!cvm_launch_get(&l))
		return sysfs_emit(buf, "unknown\n");
	return show_bool(buf, l.debug);
}

static ssize_t show_launch_measurement(char *buf)
{
	struct cvmattest_launch l;

	if (!cvm_launch_get(&l))
		return sysfs_emit(buf, "unknown\n");
	return sysfs_emit(buf, "%*phN\n", (int)sizeof(l.measurement),
			  l.measurement);
}

static ssize_t show_launch_policy(char *buf)
{
	struct cvmattest_launch l;

	if (!cvm_launch_get(&l))
		return sysfs_emit(buf, "unknown\n");
	return sysfs_emit(buf, "0x%016llx\n", l.policy);
}

static ssize_t show_launch_tcb(char *buf)
{
	struct cvmattest_launch l;

	if (!cvm_launch_get(&l))
		return sysfs_emit(buf, "unknown\n");
	return sysfs_emit(buf, "%*phN\n", l.tcb_len, l.tcb);
}

static ssize_t show_launch_report_version(char *buf)
{
	struct cvmattest_launch l;

	if (!cvm_launch_get(&l))
		return sysfs_emit(buf, "unknown\n");
	return sysfs_emit(buf, "%u\n", l.version);
}

static ssize_t show_requests(char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&cvm_counters.requests));
}

static ssize_t show_errors(char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&cvm_counters.errors));
}

static ssize_t show_retries(char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&cvm_counters.retries));
}

static ssize_t show_last_error(char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&cvm_counters.last_error));
}

static ssize_t show_last_error_time(char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&cvm_counters.last_error_time));
}

static ssize_t show_attestation_state(char *buf)
{
	static const char *const names[] = { "unknown", "verified", "failed" };
	struct cvmattest_status st;

	cvm_status_get(&st);
	return sysfs_emit(buf, "%s\n", names[st.state]);
}

static ssize_t show_attestation_time(char *buf)
{
	struct cvmattest_status st;

	cvm_status_get(&st);
	return sysfs_emit(buf, "%lld\n", st.time);
}

static ssize_t show_attestation_verifier(char *buf)
{
	struct cvmattest_status st;

	cvm_status_get(&st);
	return sysfs_emit(buf, "%s\n", st.verifier);
}

static ssize_t show_attestation_expiry(char *buf)
{
	struct cvmattest_status st;

	cvm_status_get(&st);
	return sysfs_emit(buf, "%lld\n", st.token_expiry);
}

static ssize_t show_attestation_reason(char *buf)
{
	struct cvmattest_status st;

	cvm_status_get(&st);
	return sysfs_emit(buf, "%s\n", st.reason);
}

struct cvm_entry {
	struct kobj_attribute attr;
	ssize_t (*show)(char *buf);
};

#define CVM_ENTRY(_name) {						\
	.attr = { .attr = { .name = #_name, .mode = 0444 },		\
		  .show = cvm_entry_show },				\
	.show = show_##_name,						\
}

static ssize_t cvm_entry_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf);

static struct cvm_entry cvm_entries[] = {
	CVM_ENTRY(platform),
	CVM_ENTRY(provider),
	CVM_ENTRY(mem_encrypt),
	CVM_ENTRY(sev),
	CVM_ENTRY(sev_es),
	CVM_ENTRY(sev_snp),
	CVM_ENTRY(tdx),
	CVM_ENTRY(secure_boot),
	CVM_ENTRY(lockdown),
	CVM_ENTRY(module_sig_enforce),
	CVM_ENTRY(tpm),
	CVM_ENTRY(launch_debug),
	CVM_ENTRY(launch_measurement),
	CVM_ENTRY(launch_policy),
	CVM_ENTRY(launch_tcb),
	CVM_ENTRY(launch_report_version),
	CVM_ENTRY(requests),
	CVM_ENTRY(errors),
	CVM_ENTRY(retries),
	CVM_ENTRY(last_error),
	CVM_ENTRY(last_error_time),
	CVM_ENTRY(attestation_state),
	CVM_ENTRY(attestation_time),
	CVM_ENTRY(attestation_verifier),
	CVM_ENTRY(attestation_expiry),
	CVM_ENTRY(attestation_reason),
};

static struct attribute *cvm_attrs[ARRAY_SIZE(cvm_entries) + 1];

static const struct attribute_group cvm_attr_group = {
	.attrs = cvm_attrs,
};

static ssize_t cvm_entry_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return container_of(attr, struct cvm_entry, attr)->show(buf);
}

unsigned int cvmattest_state_count(void)
{
	return ARRAY_SIZE(cvm_entries);
}

const char *cvmattest_state_name(unsigned int idx)
{
	return cvm_entries[idx].attr.attr.name;
}

ssize_t cvmattest_state_show(unsigned int idx, char *buf)
{
	return cvm_entries[idx].show(buf);
}

/* UEFI Secure Boot cannot change while we run: read it once. */
static void cvm_read_secure_boot(void)
{
	if (!efi_enabled(EFI_BOOT)) {
		cvm_secure_boot = "disabled";	/* no UEFI, no Secure Boot */
		return;
	}
	if (!efi_rt_services_supported(EFI_RT_SUPPORTED_GET_VARIABLE))
		return;
	switch (efi_get_secureboot_mode(efi.get_variable)) {
	case efi_secureboot_mode_enabled:
		cvm_secure_boot = "enabled";
		break;
	case efi_secureboot_mode_disabled:
		cvm_secure_boot = "disabled";
		break;
	default:
		break;
	}
}

int cvmattest_state_init(void)
{
	unsigned int i;
	int ret;

	cvm_read_secure_boot();
	for (i = 0; i < ARRAY_SIZE(cvm_entries); i++)
		cvm_attrs[i] = &cvm_entries[i].attr.attr;

	cvm_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!cvm_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(cvm_kobj, &cvm_attr_group);
	if (ret) {
		kobject_put(cvm_kobj);
		cvm_kobj = NULL;
	}
	return ret;
}

void cvmattest_state_exit(void)
{
	sysfs_remove_group(cvm_kobj, &cvm_attr_group);
	kobject_put(cvm_kobj);
}
