// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The node's boot-integrity state: the module's values (sysfs, or netlink
 * GET_STATUS), INFO from /dev/cvmattest, and the host facts that explain why
 * attestation cannot work here.  Then the diagnosis: one finding per problem,
 * each saying why and what to do, most severe first.
 *
 * Every host path is read under a root prefix so that the unit tests can
 * build a fake machine in a directory (tests/unit/test-status.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "status/status.h"

/* ---- reading files ---------------------------------------------------------- */

/* Copy a string, cut to fit (the values copied here are short by nature). */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ROOT + PATH into @buf. */
static const char *host_path(char *buf, size_t len, const char *root, const char *path)
{
	snprintf(buf, len, "%s%s", root, path);
	return buf;
}

/* A small text file (sysfs, procfs), without its trailing newline. */
int state_read_small(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static int read_sysfs_values(struct cvm_ctx *ctx, const char *dir, struct cvm_state *s)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			log_debug(ctx, "%s: %s", dir, strerror(errno));
			return 0;	/* not loaded: a finding, not an error */
		}
		log_error(ctx, "Cannot read %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return log_error_errno(ctx, -ENOTDIR, "%s is not a directory", dir);
	s->module_loaded = true;
	for (int f = 0; f < _CVM_SF_MAX; f++) {
		char path[PATH_MAX], v[512];
		int r;

		if (snprintf(path, sizeof(path), "%s/%s", dir, cvm_state_field_name((enum cvm_state_field)f)) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		r = state_read_small(path, v, sizeof(v));
		if (r < 0) {
			/* An older module may lack a file: the value stays unknown. */
			if (r == -ENOENT)
				log_debug(ctx, "%s: not there", path);
			else
				log_warning(ctx, "Cannot read %s: %s", path, strerror(-r));
			continue;
		}
		r = cvm_state_set_value(s, cvm_state_field_name((enum cvm_state_field)f), v);
		if (r < 0)
			log_warning(ctx, "%s: unexpected value \"%s\"", path, v);
	}
	return 0;
}

/* "none [integrity] confidentiality" -> "integrity" */
static void bracketed_word(const char *line, char *out, size_t len)
{
	const char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;

	out[0] = '\0';
	if (a && b && (size_t)(b - a - 1) < len) {
		memcpy(out, a + 1, (size_t)(b - a - 1));
		out[b - a - 1] = '\0';
	}
}

/* 1 if modules.dep lists cvmattest.ko (any compression), 0 if not, -errno if unreadable. */
static int module_in_modules_dep(const char *path)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *base;

		if (!colon)
			continue;
		*colon = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if (strncmp(base, "cvmattest.ko", 12) == 0 && (base[12] == '\0' || base[12] == '.'))
			return 1;
	}
	return 0;
}

/*
 * The guest flags on the first "flags" line of /proc/cpuinfo (the kernel sets
 * sev_snp and tdx_guest when it runs as such a guest; every CPU of a guest has
 * the same flags): 0, or -errno if unreadable.
 */
static int cpuinfo_guest_flags(const char *path, int *sev_snp, int *tdx_guest)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	*sev_snp = *tdx_guest = 0;
	while (getline(&line, &cap, f) > 0) {
		const char *p;

		if (strncmp(line, "flags", 5) != 0 || !(p = strchr(line, ':')))
			continue;
		for (p++; *p;) {
			size_t w;

			p += strspn(p, " \t\n");
			w = strcspn(p, " \t\n");
			if (w == 7 && strncmp(p, "sev_snp", w) == 0)
				*sev_snp = 1;
			else if (w == 9 && strncmp(p, "tdx_guest", w) == 0)
				*tdx_guest = 1;
			p += w;
		}
		break;
	}
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * configfs-tsm names its provider only inside a report: make one, read
 * "provider", remove it (root only; nothing is generated until inblob is
 * written).  Without a provider the kernel refuses the mkdir with ENXIO.
 */
static void probe_tsm_provider(struct cvm_ctx *ctx, const char *tsm_dir, struct cvm_state *s)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], v[CVM_STATE_WORD];
	int n;

	n = snprintf(dir, sizeof(dir), "%s/cvmattest-status-%d", tsm_dir, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(dir))
		return;
	if (mkdir(dir, 0700) < 0) {
		if (errno == ENXIO)
			copy_str(s->tsm_provider, sizeof(s->tsm_provider), "none");
		else
			log_debug(ctx, "%s: %s", dir, strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/provider", dir);
	if (state_read_small(path, v, sizeof(v)) == 0 && state_is_word(v, sizeof(s->tsm_provider)))
		copy_str(s->tsm_provider, sizeof(s->tsm_provider), v);
	if (rmdir(dir) < 0)
		log_debug(ctx, "cannot remove %s: %s", dir, strerror(errno));
}

/*
 * What the host is, before anything the module says: a guest whose kernel
 * sees SEV-SNP or TDX (CPU flags) or offers their guest driver is one; a
 * Hyper-V/Azure VM with a TPM and neither driver may be a CVM behind
 * Azure's paravisor, which only the HCL report in vTPM NV 0x01400001 proves
 * (the module's azure-vtpm provider, or `cvmattest report`, reads it).
 */
static void judge_host_platform(struct cvm_state *s)
{
	const char *p = "none";

	if (s->cpu_sev_snp == 1 || s->sev_guest_node || strcmp(s->tsm_provider, "sev_guest") == 0)
		p = "sev-snp";
	else if (s->cpu_tdx_guest == 1 || s->tdx_guest_node ||
		 strcmp(s->tsm_provider, "tdx_guest") == 0)
		p = "tdx";
	else if (s->tpm_hcl_report == 1)
		p = "azure-vtpm";	/* only Azure's paravisor writes that index */
	else if ((s->azure || strcmp(s->sys_vendor, "Microsoft Corporation") == 0) && s->tpm_node &&
		 s->tpm_hcl_report != 0)
		p = "azure-vtpm";	/* not probed: possibly (a Trusted Launch VM has none) */
	copy_str(s->host_platform, sizeof(s->host_platform), p);
}

/* Azure's chassis asset tag, the way cloud-init recognises Azure. */
#define AZURE_CHASSIS_ASSET_TAG "7783-7084-3265-9085-8269-3286-77"

static void read_host_facts(struct cvm_ctx *ctx, const char *root, struct cvm_state *s)
{
	char path[PATH_MAX], v[512];
	int r;

	if (state_read_small(host_path(path, sizeof(path), root, "/proc/sys/kernel/osrelease"),
			     v, sizeof(v)) == 0)
		copy_str(s->kernel_release, sizeof(s->kernel_release), v);
	else if (!*root) {
		struct utsname u;

		if (uname(&u) == 0)
			copy_str(s->kernel_release, sizeof(s->kernel_release), u.release);
	}

	s->module_installed = -1;
	if (*s->kernel_release) {
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), "/lib/modules/%s/modules.dep", s->kernel_release);
		r = module_in_modules_dep(host_path(path, sizeof(path), root, rel));
		if (r >= 0)
			s->module_installed = r;
		else
			log_debug(ctx, "%s: %s", path, strerror(-r));
	}

	s->module_unsigned = -1;
	if (state_read_small(host_path(path, sizeof(path), root, "/sys/module/cvmattest/taint"),
			     v, sizeof(v)) == 0)
		s->module_unsigned = strchr(v, 'E') != NULL;
	if (state_read_small(host_path(path, sizeof(path), root,
				       "/sys/module/cvmattest/parameters/provider"), v, sizeof(v)) == 0 &&
	    state_is_word(v, sizeof(s->provider_param)))
		copy_str(s->provider_param, sizeof(s->provider_param), v);
	if (state_read_small(host_path(path, sizeof(path), root, "/sys/kernel/security/lockdown"),
			     v, sizeof(v)) == 0)
		bracketed_word(v, s->host_lockdown, sizeof(s->host_lockdown));

	s->sev_guest_node = access(host_path(path, sizeof(path), root, "/dev/sev-guest"), F_OK) == 0;
	s->tdx_guest_node = access(host_path(path, sizeof(path), root, "/dev/tdx_guest"), F_OK) == 0;
	s->tpm_node = access(host_path(path, sizeof(path), root, "/dev/tpmrm0"), F_OK) == 0 ||
		      access(host_path(path, sizeof(path), root, "/dev/tpm0"), F_OK) == 0;
	s->azure = state_read_small(host_path(path, sizeof(path), root,
					      "/sys/class/dmi/id/chassis_asset_tag"), v, sizeof(v)) == 0 &&
		   strcmp(v, AZURE_CHASSIS_ASSET_TAG) == 0;
	if (state_read_small(host_path(path, sizeof(path), root, "/sys/class/dmi/id/sys_vendor"),
			     v, sizeof(v)) == 0)
		copy_str(s->sys_vendor, sizeof(s->sys_vendor), v);

	host_path(path, sizeof(path), root, "/proc/cpuinfo");
	r = cpuinfo_guest_flags(path, &s->cpu_sev_snp, &s->cpu_tdx_guest);
	if (r < 0) {
		log_debug(ctx, "%s: %s", path, strerror(-r));
		s->cpu_sev_snp = s->cpu_tdx_guest = -1;
	}
	s->tsm_report = is_dir(host_path(path, sizeof(path), root, "/sys/kernel/config/tsm/report"));
	if (s->tsm_report && geteuid() == 0)
		probe_tsm_provider(ctx, path, s);
	/* Documentation/ABI/testing/sysfs-driver-tdx-guest (tsm-mr, 6.16) */
	s->tdx_measurements = is_dir(host_path(path, sizeof(path), root,
					       "/sys/devices/virtual/misc/tdx_guest/measurements")) ||
			      is_dir(host_path(path, sizeof(path), root,
					       "/sys/class/misc/tdx_guest/measurements"));
	judge_host_platform(s);
}

int cvm_state_read(struct cvm_ctx *ctx, const struct cvm_state_source *src, struct cvm_state *ret)
{
	static const struct cvm_state_source defaults = { 0 };
	char root[PATH_MAX], sysfs[PATH_MAX], device[PATH_MAX];
	size_t n;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	if (!src)
		src = &defaults;
	memset(ret, 0, sizeof(*ret));
	ret->now = src->now ? src->now : time(NULL);
	snprintf(ret->source, sizeof(ret->source), "%s", src->netlink ? "netlink" : "sysfs");

	/* "/" and "" are the real machine; no trailing slash, paths start with one. */
	snprintf(root, sizeof(root), "%s", src->root ? src->root : "");
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		root[--n] = '\0';
	snprintf(sysfs, sizeof(sysfs), "%s", src->sysfs ? src->sysfs : "");
	if (!src->sysfs)
		host_path(sysfs, sizeof(sysfs), root, CVM_SYSFS_DIR);
	snprintf(device, sizeof(device), "%s", src->device ? src->device : "");
	if (!src->device)
		host_path(device, sizeof(device), root, CVM_DEVICE_PATH);

	ret->tpm_hcl_report = src->hcl_probed ? src->hcl_report : -1;
	read_host_facts(ctx, root, ret);

	/*
	 * INFO first: while no provider is active the module probes again on
	 * use, so a platform driver loaded after it shows in what follows.
	 */
	if (!src->no_device) {
		int saved;

		ret->device_queried = true;
		/* Its failures are part of the state, not errors of this call. */
		saved = log_set_level(ctx, -1);
		ret->device_error = cvm_device_info(ctx, device, &ret->device);
		log_set_level(ctx, saved);
		if (ret->device_error < 0)
			log_debug(ctx, "%s: %s", device, strerror(-ret->device_error));
	}

	if (src->netlink) {
		r = state_netlink_read(ctx, ret, true);
		if (r == -ENOENT)
			ret->module_loaded = false;	/* the family is not there */
		else if (r < 0)
			return r;
		else
			ret->module_loaded = true;
	} else {
		r = read_sysfs_values(ctx, sysfs, ret);
		if (r < 0)
			return r;
	}
	cvm_state_diagnose(ret);
	return 0;
}

/* ---- the diagnosis ------------------------------------------------------------ */

const char *cvm_severity_name(enum cvm_severity s)
{
	switch (s) {
	case CVM_FINDING_BLOCKER:
		return "blocker";
	case CVM_FINDING_WARNING:
		return "warning";
	default:
		return "info";
	}
}

const char *cvm_verdict_name(enum cvm_verdict v)
{
	switch (v) {
	case CVM_VERDICT_OK:
		return "ok";
	case CVM_VERDICT_ATTENTION:
		return "attention";
	default:
		return "cannot-attest";
	}
}

_printf_(4, 5)
static struct cvm_finding *add(struct cvm_state *s, enum cvm_severity sev, const char *id,
			       const char *fmt, ...)
{
	struct cvm_finding *f;
	va_list ap;

	if (s->n_findings >= CVM_FINDINGS_MAX)
		return NULL;
	f = &s->findings[s->n_findings++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->id = id;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return f;
}

_printf_(2, 3)
static void fix(struct cvm_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vsnprintf(f->fix, sizeof(f->fix), fmt, ap);
	va_end(ap);
}

static bool str_is(const struct cvm_state *s, enum cvm_state_field fld, const char *v)
{
	return cvm_state_has(s, fld) && strcmp(state_string(s, fld), v) == 0;
}

/* Evidence without the module: the Azure vTPM, or configfs-tsm (6.7+). */
static bool tsm_usable(const struct cvm_state *s)
{
	return s->tsm_report && strcmp(s->tsm_provider, "none") != 0;
}

static bool evidence_without_module(const struct cvm_state *s)
{
	return tsm_usable(s) || strcmp(s->host_platform, "azure-vtpm") == 0;
}

/* What is lost while the module is absent, and what still works (module-less mode). */
static void note_module_less(struct cvm_state *s)
{
	const char *works;

	if (strcmp(s->host_platform, "azure-vtpm") == 0)
		works = "cvmattest attest and release still work through the vTPM (tpm2-tss, "
			"/dev/tpmrm0)";
	else if (tsm_usable(s))
		works = "cvmattest report, attest and release still work through configfs-tsm "
			"(evidence = auto falls back to it)";
	else if (s->tsm_report)
		works = "configfs-tsm has no provider (load sev-guest or tdx-guest), so nothing "
			"else gives evidence now";
	else
		works = "nothing else gives evidence on this kernel (no configfs-tsm, which needs "
			"6.7 or later), so attestation needs the module";
	add(s, CVM_FINDING_INFO, "module-less",
	    "without the module: no boot-integrity state in %s, no netlink events (cvmattest "
	    "monitor), no attestation outcome recorded for monitoring agents; %s",
	    CVM_SYSFS_DIR, works);
}

/* Not loaded: first whether this host is a CVM at all, then the module. */
static void diagnose_not_loaded(struct cvm_state *s)
{
	const char *kernel = *s->kernel_release ? s->kernel_release : "the running kernel";
	bool locked = *s->host_lockdown && strcmp(s->host_lockdown, "none") != 0;
	enum cvm_severity sev = evidence_without_module(s) ? CVM_FINDING_WARNING :
							      CVM_FINDING_BLOCKER;
	struct cvm_finding *f;

	if (strcmp(s->host_platform, "none") == 0) {
		f = add(s, CVM_FINDING_BLOCKER, "not-a-cvm",
			"this machine is not a confidential VM: the kernel shows neither the "
			"sev_snp nor the tdx_guest CPU flag, there is no /dev/sev-guest, "
			"/dev/tdx_guest or configfs-tsm, and it is no Azure VM with a vTPM; "
			"the cvmattest module would not change that");
		fix(f, "run it on an AMD SEV-SNP or Intel TDX confidential VM (on Azure: security "
		       "type ConfidentialVM)");
		return;
	}

	if (s->module_installed == 0) {
		f = add(s, sev, "module-not-installed",
			"the cvmattest kernel module is not installed for kernel %s: nothing "
			"provides %s or /dev/cvmattest", kernel, CVM_SYSFS_DIR);
		fix(f, "sudo apt install cvmattest-dkms (builds cvmattest.ko for this kernel with "
		       "DKMS; needs linux-headers-%s), then sudo modprobe cvmattest; from a source "
		       "tree: make dkms-install%s", *s->kernel_release ? s->kernel_release : "$(uname -r)",
		    locked ? "; the kernel is locked down, so the module must be signed with an "
			     "enrolled key (see Documentation/admin-guide/cvmattest.rst)" : "");
	} else {
		if (s->module_installed == 1)
			f = add(s, sev, "module-not-loaded",
				"the cvmattest kernel module is installed for kernel %s but not loaded: "
				"there is no %s", kernel, CVM_SYSFS_DIR);
		else
			f = add(s, sev, "module-not-loaded",
				"the cvmattest kernel module is not loaded: there is no %s",
				CVM_SYSFS_DIR);
		fix(f, "%s%s%s%s",
		    s->module_installed == 1 ? "sudo modprobe cvmattest (and list it in "
					       "/etc/modules-load.d/ to load it at boot)" :
					       "sudo modprobe cvmattest; if it is not installed for ",
		    s->module_installed == 1 ? "" : kernel,
		    s->module_installed == 1 ? "" :
		    ": sudo apt install cvmattest-dkms (builds cvmattest.ko for this kernel with "
		    "DKMS), or make dkms-install in the cvmattest source tree",
		    locked ? "; the kernel is locked down: if modprobe says \"Key was rejected by "
			     "service\", the module is not signed with an enrolled key (mokutil --import "
			     "the DKMS signing certificate, reboot; see "
			     "Documentation/admin-guide/cvmattest.rst)" : "");
	}
	note_module_less(s);
}

static void diagnose_no_provider(struct cvm_state *s)
{
	bool snp = state_flag(s, CVM_SF_SEV_SNP) || str_is(s, CVM_SF_PLATFORM, "sev-snp");
	bool tdx = state_flag(s, CVM_SF_TDX) || str_is(s, CVM_SF_PLATFORM, "tdx");
	bool tpm = s->tpm_node || (cvm_state_has(s, CVM_SF_TPM) && strcmp(s->tpm, "none") != 0);
	struct cvm_finding *f;

	if (strcmp(s->provider_param, "none") == 0) {
		f = add(s, CVM_FINDING_BLOCKER, "provider-disabled",
			"the module was loaded with provider=none: /dev/cvmattest gives no evidence");
		fix(f, "reload it without that parameter: rmmod cvmattest && modprobe cvmattest");
	} else if (snp && !s->sev_guest_node) {
		f = add(s, CVM_FINDING_BLOCKER, "platform-driver-missing",
			"this is an SEV-SNP guest, but the kernel's sev-guest driver is not loaded "
			"(no /dev/sev-guest), so there is no way to ask the firmware for a report");
		fix(f, "modprobe sev-guest (cvmattest finds it on its next use; no reload needed)");
	} else if (tdx && !s->tdx_guest_node) {
		f = add(s, CVM_FINDING_BLOCKER, "platform-driver-missing",
			"this is a TDX guest, but the kernel's tdx-guest driver is not loaded "
			"(no /dev/tdx_guest), so there is no way to get a TDREPORT");
		fix(f, "modprobe tdx-guest (kernels from 6.2 have it); cvmattest finds it on its next "
		       "use");
	} else if (s->sev_guest_node || s->tdx_guest_node) {
		f = add(s, CVM_FINDING_BLOCKER, "provider-probe-failed",
			"%s exists, but no cvmattest provider could use it",
			s->sev_guest_node ? "/dev/sev-guest" : "/dev/tdx_guest");
		fix(f, "see why in the kernel log (dmesg | grep -e cvmattest -e %s)",
		    s->sev_guest_node ? "sev-guest" : "tdx");
	} else if (s->azure && !tpm) {
		f = add(s, CVM_FINDING_BLOCKER, "no-tpm",
			"this Azure VM has no TPM: behind Azure's paravisor the evidence (the HCL "
			"report) lives in the vTPM, and no TPM driver is loaded");
		fix(f, "load the TPM driver (modprobe tpm_crb; modprobe tpm_tis) and check that the "
		       "VM was created with security type ConfidentialVM, which has a vTPM");
	} else if (s->azure) {
		f = add(s, CVM_FINDING_BLOCKER, "not-a-cvm",
			"this Azure VM has a TPM but it holds no confidential-computing report: it "
			"is not a confidential VM (Trusted Launch VMs have a vTPM too)");
		fix(f, "create the VM with security type ConfidentialVM (e.g. DCasv5/ECasv5 for "
		       "SEV-SNP, DCesv5/ECesv5 for TDX)");
	} else {
		f = add(s, CVM_FINDING_BLOCKER, "not-a-cvm",
			"this machine is not a confidential VM: the kernel sees neither SEV-SNP nor "
			"TDX, and there is no /dev/sev-guest or /dev/tdx_guest");
		fix(f, "run it on an AMD SEV-SNP or Intel TDX confidential VM; on one, load the "
		       "platform's guest driver (modprobe sev-guest, or modprobe tdx-guest)");
	}
}

static void diagnose_attestation(struct cvm_state *s)
{
	char when[48], dur[32];
	struct cvm_finding *f;

	if (str_is(s, CVM_SF_ATTESTATION_STATE, "failed")) {
		state_format_time(s->attestation_time, when, sizeof(when));
		f = add(s, CVM_FINDING_WARNING, "attestation-failed",
			"the last attestation failed (%s%s%s): %s", when,
			*s->attestation_verifier ? ", verifier " : "", s->attestation_verifier,
			*s->attestation_reason ? s->attestation_reason : "no reason was reported");
		fix(f, "attest again with details (cvmattest attest -v); the reason above is what "
		       "the helper reported");
	} else if (str_is(s, CVM_SF_ATTESTATION_STATE, "verified") &&
		   cvm_state_has(s, CVM_SF_ATTESTATION_EXPIRY) && s->attestation_expiry > 0 &&
		   s->attestation_expiry <= s->now) {
		state_format_time(s->attestation_expiry, when, sizeof(when));
		state_format_duration(s->now - s->attestation_expiry, dur, sizeof(dur));
		f = add(s, CVM_FINDING_WARNING, "token-expired",
			"the attestation token%s%s expired at %s (%s ago)",
			*s->attestation_verifier ? " from " : "", s->attestation_verifier, when, dur);
		fix(f, "attest again (cvmattest attest), and renew before expiry (a systemd timer)");
	} else if (str_is(s, CVM_SF_ATTESTATION_STATE, "unknown")) {
		f = add(s, CVM_FINDING_INFO, "not-attested",
			"no attestation has been reported since the module was loaded");
		fix(f, "cvmattest attest");
	}
}

void cvm_state_diagnose(struct cvm_state *s)
{
	struct cvm_finding *f;
	bool provider_active;

	if (!s)
		return;
	s->n_findings = 0;

	if (!s->module_loaded) {
		diagnose_not_loaded(s);
		goto verdict;
	}

	provider_active = cvm_state_has(s, CVM_SF_PROVIDER) && strcmp(s->provider, "none") != 0;
	if (cvm_state_has(s, CVM_SF_PROVIDER) && !provider_active)
		diagnose_no_provider(s);

	if (state_flag(s, CVM_SF_LAUNCH_DEBUG)) {
		bool tdx = str_is(s, CVM_SF_PLATFORM, "tdx");
		char pol[32] = "";

		if (cvm_state_has(s, CVM_SF_LAUNCH_POLICY))
			snprintf(pol, sizeof(pol), " = 0x%016" PRIx64, s->launch_policy);
		f = add(s, CVM_FINDING_BLOCKER, "debug-guest",
			"this guest can be debugged by the host (launch_debug 1: %s%s): its memory "
			"is not confidential, attestation services refuse it, and no key should "
			"be released to it", tdx ? "TD_ATTRIBUTES.DEBUG, bit 0 of TD_ATTRIBUTES" :
						   "POLICY.DEBUG, bit 19 of the SNP guest POLICY", pol);
		fix(f, "relaunch the VM without debugging allowed (%s); it cannot be changed from "
		       "inside the guest", tdx ? "TD_ATTRIBUTES.DEBUG = 0" : "clear POLICY bit 19");
	} else if (provider_active && !cvm_state_has(s, CVM_SF_LAUNCH_DEBUG)) {
		char err[128] = "";

		if (s->last_error) {
			char when[48], e[48];

			state_format_time(s->last_error_time, when, sizeof(when));
			state_format_errno(s->last_error, e, sizeof(e));
			snprintf(err, sizeof(err), ": last error %s at %s", e, when);
		}
		f = add(s, CVM_FINDING_BLOCKER, "no-evidence",
			"the platform gave no launch evidence to provider %s%s", s->provider, err);
		fix(f, "see the kernel log (dmesg | grep cvmattest); on SEV-SNP a failed guest "
		       "request disables the VMPCK, and no report can be had until the VM reboots");
	}

	if (s->device_queried && s->device_error == -ENOENT) {
		f = add(s, CVM_FINDING_WARNING, "no-device-node",
			"the module is loaded but %s does not exist", CVM_DEVICE_PATH);
		fix(f, "check that devtmpfs is mounted on /dev (or udev runs), then reload the "
		       "module (rmmod cvmattest; modprobe cvmattest)");
	} else if (s->device_queried && (s->device_error == -EACCES || s->device_error == -EPERM)) {
		f = add(s, CVM_FINDING_INFO, "device-root-only",
			"%s is not open to this user: evidence requests need root (or the group "
			"given with the module's group= parameter)", CVM_DEVICE_PATH);
		fix(f, "run as root, or load the module with group=GID and add the user to that group");
	} else if (s->device_queried && s->device_error) {
		f = add(s, CVM_FINDING_WARNING, "device-error",
			"%s does not answer CVMATTEST_IOC_INFO: %s", CVM_DEVICE_PATH,
			strerror(-s->device_error));
		fix(f, "check that it is the module's device (ls -l %s; grep cvmattest "
		       "/proc/devices) and that this tool matches the module's version",
		    CVM_DEVICE_PATH);
	}

	if (str_is(s, CVM_SF_SECURE_BOOT, "enabled") && s->module_unsigned == 1) {
		f = add(s, CVM_FINDING_WARNING, "unsigned-module",
			"Secure Boot is on but cvmattest.ko is not signed (it tainted the kernel "
			"with E): it loaded only because module signatures are not enforced; a "
			"locked-down kernel refuses it");
		fix(f, "sign it with a key enrolled in the MOK list: DKMS on Ubuntu signs with "
		       "/var/lib/shim-signed/mok/MOK.der (mokutil --import it, reboot); see "
		       "Documentation/admin-guide/cvmattest.rst");
	} else if (str_is(s, CVM_SF_SECURE_BOOT, "disabled") && provider_active) {
		add(s, CVM_FINDING_INFO, "secure-boot-off",
		    "UEFI Secure Boot is off: nothing checked the signatures of the boot chain "
		    "(the launch measurement still covers the firmware; whether Secure Boot is "
		    "required is the verifier's policy)");
	}

	if (provider_active && strcmp(s->provider, "snp") == 0 && cvm_state_has(s, CVM_SF_SEV_SNP) &&
	    !s->sev_snp)
		add(s, CVM_FINDING_INFO, "platform-not-seen-by-kernel",
		    "the kernel does not run as an SEV-SNP guest, yet /dev/sev-guest answers: an "
		    "emulated platform (tests), or a paravisor; a verifier trusts only the "
		    "signed evidence");
	else if (provider_active && strcmp(s->provider, "tdx") == 0 && cvm_state_has(s, CVM_SF_TDX) &&
		 !s->tdx)
		add(s, CVM_FINDING_INFO, "platform-not-seen-by-kernel",
		    "the kernel does not run as a TDX guest, yet /dev/tdx_guest answers: an "
		    "emulated platform (tests); a verifier trusts only the signed evidence");

	diagnose_attestation(s);

	if (cvm_state_has(s, CVM_SF_ERRORS) && s->errors > 0 && s->last_error) {
		char when[48], e[48];

		state_format_time(s->last_error_time, when, sizeof(when));
		state_format_errno(s->last_error, e, sizeof(e));
		f = add(s, CVM_FINDING_INFO, "evidence-errors",
			"%" PRIu64 " of %" PRIu64 " evidence requests failed, the last with %s at %s",
			s->errors, s->requests, e, when);
		fix(f, "see the kernel log (dmesg | grep cvmattest)");
	}

verdict:
	s->verdict = CVM_VERDICT_OK;
	for (size_t i = 0; i < s->n_findings; i++) {
		if (s->findings[i].severity == CVM_FINDING_BLOCKER)
			s->verdict = CVM_VERDICT_CANNOT;
		else if (s->findings[i].severity == CVM_FINDING_WARNING &&
			 s->verdict == CVM_VERDICT_OK)
			s->verdict = CVM_VERDICT_ATTENTION;
	}
	/* Most severe first, each severity in the order found (a stable sort). */
	for (size_t i = 1; i < s->n_findings; i++) {
		struct cvm_finding t = s->findings[i];
		size_t j = i;

		while (j > 0 && s->findings[j - 1].severity < t.severity) {
			s->findings[j] = s->findings[j - 1];
			j--;
		}
		s->findings[j] = t;
	}
}
