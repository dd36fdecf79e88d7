// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * cvmattest-paravisor: a stand-in for the vTPM of Microsoft's paravisor
 * (HCL / OpenHCL) on Azure confidential VMs, for tests.
 *
 * It is the TPM the guest kernel talks to: it creates the guest's TPM
 * through /dev/vtpmx (linux/vtpm_proxy.h; the kernel registers /dev/tpmN
 * and /dev/tpmrmN backed by our proxy fd) and forwards every command to
 * swtpm, answering the proxy's TPM2_CC_SET_LOCALITY vendor command itself.
 * Like Azure's vTPM it holds an EK, a restricted signing AK at 0x81000003,
 * the AK certificate in NV 0x01C101D0 (issued by a TEST CA), and the "HCL
 * report" in NV 0x01400001, which it rebuilds -- runtime claims with the
 * new user data, REPORT_DATA = SHA-256(claims), a fresh SNP report or
 * TDREPORT from libsim -- a configurable time after the guest wrote 64
 * bytes to NV 0x01400002.  See README.md.
 *
 * Single-threaded: one poll() loop over the guest channel, the control
 * FIFO, the refresh timer and signals; swtpm sees one connection on which
 * the guest's commands and our own never interleave inside a command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vtpm_proxy.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include "hcl_build.h"
#include "pv_cert.h"
#include "pv_tpm.h"
#include "sim_config.h"
#include "tpm_proto.h"
#include "tpm_session.h"

#define PROG			"cvmattest-paravisor"
#define DEFAULT_CONTROL_DIR	"/run/cvmattest-paravisor"
#define DEFAULT_STATE_DIR	"/var/lib/cvmattest-paravisor"
#define DEFAULT_DELAY_MS	500
#define MAX_DELAY_MS		600000
#define READY_TIMEOUT_MS	60000
#define PARENT_WAIT_MS		600000

/* TCG EK Credential Profile 2.x §2.2.1.4: persistent handle of the RSA EK */
#define EK_HANDLE		0x81010001

/* TPM 2.0 Part 2 §13.4 TPMA_NV bits */
#define NVA_PPWRITE		0x00000001u
#define NVA_PPREAD		0x00010000u
#define NVA_OWNERREAD		0x00020000u
#define NVA_AUTHREAD		0x00040000u
#define NVA_NO_DA		0x02000000u
#define NVA_WRITTEN		0x20000000u
#define NVA_PLATFORMCREATE	0x40000000u
/*
 * NV 0x01400001 and 0x01C101D0: created by the platform (the paravisor),
 * written only with platform authorization, readable with owner (or the
 * index's empty) authorization -- `tpm2_nvread -C o` as Azure documents.
 * TPM2_Clear by the guest does not remove platform-created indices.
 */
#define PV_NV_ATTRS		(NVA_PPWRITE | NVA_PPREAD | NVA_OWNERREAD | NVA_AUTHREAD | \
				 NVA_NO_DA | NVA_PLATFORMCREATE)

/* TPM 2.0 Part 2 §6.6: a failed password check (session 1) */
#define RC_BAD_AUTH_S1		0x9A2

enum guest_kind { GUEST_VTPM, GUEST_TCP };

static struct {
	/* configuration */
	int report_type;			/* HCL_REPORT_TYPE_SNP / _TDX */
	const char *control_dir, *state_dir, *swtpm_bin, *swtpm_socket, *log_path;
	const char *listen, *ca_key_path, *ca_cert_path, *vm_id_opt;
	unsigned int delay_ms, delay_ms_initial;
	uint16_t report_nv_size;
	uint32_t hcl_version;
	int tpm_timeout_ms;
	bool foreground, trace, provision_only, ek_in_claims;
	struct hcl_vm_config vm;
	char vm_id[40];
	char *thumbprint;

	/* the platform (libsim) */
	struct sim_snp_config snp;
	struct sim_tdx_config tdx;
	struct sim_keys *keys;
	EVP_PKEY *ca_key;
	X509 *ca_cert;

	/* runtime */
	struct pv_link link;
	struct pv_tpm tpm;
	bool tpm_ok;
	pid_t swtpm_pid;
	enum guest_kind kind;
	int guest_fd, listen_fd, ctrl_listen_fd, fifo_fd, timer_fd, sig_fd, notify_fd;
	unsigned int tpm_num;
	bool ready, stop;
	int exit_code;
	int64_t ready_deadline;
	FILE *log;
	char path_fifo[PATH_MAX], path_state[PATH_MAX], path_pid[PATH_MAX], path_sock[PATH_MAX];

	struct hcl_rsa_pub ak, ek;
	uint8_t user_data[HCL_USER_DATA_LEN];	/* in the current report */
	uint8_t shadow_ud[HCL_USER_DATA_LEN];	/* last written, from the command */
	uint8_t *report;			/* report_nv_size bytes */
	size_t report_used;
	uint16_t report_real_size;		/* size of the index swtpm holds */
	uint8_t nvpub[96];			/* its TPMS_NV_PUBLIC, marshalled */
	size_t nvpub_len;
	struct tpm_sess_table sess;
	bool report_defined;

	bool never_refresh, corrupt_header, undefine_report, refresh_pending;
	unsigned int read_guard_ms;
	int64_t refresh_due_ms, partial_read_ms;
	uint64_t refresh_deferred;
	uint64_t requests, forwarded, locality_cmds, ud_writes, refreshes, reports;
	uint64_t virtual_reads, virtual_refused, public_patched, malformed, errors;
	uint8_t last_locality;
	char last_error[256];
	bool state_dirty;
	char line[512];
	size_t line_len;
} g = {
	.report_type = HCL_REPORT_TYPE_SNP,
	.control_dir = DEFAULT_CONTROL_DIR,
	.state_dir = DEFAULT_STATE_DIR,
	.swtpm_bin = "swtpm",
	.delay_ms = DEFAULT_DELAY_MS,
	.report_nv_size = HCL_NV_SIZE_AZURE,
	.read_guard_ms = 1000,
	.hcl_version = HCL_VERSION_CURRENT,
	.tpm_timeout_ms = 300000,
	.ek_in_claims = true,
	.vm = {
		.console_enabled = true,
		.current_time = -1,
		.secure_boot = false,
		.tpm_enabled = true,
		.tpm_persisted = 0,
	},
	.link = { .fd = -1 },
	.guest_fd = -1, .listen_fd = -1, .ctrl_listen_fd = -1, .fifo_fd = -1, .timer_fd = -1, .sig_fd = -1,
	.notify_fd = -1,
};

static int read_exact(int fd, uint8_t *buf, size_t len, int timeout_ms);
static int parse_uint(const char *s, unsigned long max, unsigned long *out);

/* ---- logging ---------------------------------------------------------------------- */

static void log_line(const char *line)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(g.log ? g.log : stderr, "%s.%03ld " PROG ": %s\n", stamp, ts.tv_nsec / 1000000,
		line);
	fflush(g.log ? g.log : stderr);
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(line);
}

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g.last_error, sizeof(g.last_error), fmt, ap);
	va_end(ap);
	g.errors++;
	g.state_dirty = true;
	logf_("error: %s", g.last_error);
}

static void sim_log_hook(const char *msg)
{
	log_line(msg);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- small file helpers ---------------------------------------------------------------- */

static int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	const uint8_t *p = data;
	size_t off = 0;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* mkdir -p, the last component with @mode */
static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (!len || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int ctl_path(char *out, const char *name)
{
	if (snprintf(out, PATH_MAX, "%s/%s", g.control_dir, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int export_file(const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	int r = ctl_path(path, name);

	if (!r)
		r = write_file_atomic(path, data, len, 0644);
	if (r)
		logf_("cannot write %s/%s: %s", g.control_dir, name, strerror(-r));
	return r;
}

/* ---- state file --------------------------------------------------------------------------- */

static const char *onoff(bool b)
{
	return b ? "on" : "off";
}

static void write_state(bool running)
{
	char buf[4096], ud[2 * HCL_USER_DATA_LEN + 1], tpm[64];
	int n;

	if (g.kind == GUEST_VTPM)
		snprintf(tpm, sizeof(tpm), "/dev/tpm%u", g.tpm_num);
	else
		snprintf(tpm, sizeof(tpm), "tcp:%s", g.listen ? g.listen : "");
	hcl_hex(g.user_data, sizeof(g.user_data), ud);
	n = snprintf(buf, sizeof(buf),
		"platform=%s\n"
		"tpm=%s\n"
		"ready=%s\n"
		"requests=%" PRIu64 "\n"
		"forwarded=%" PRIu64 "\n"
		"locality_cmds=%" PRIu64 "\n"
		"locality=%u\n"
		"malformed=%" PRIu64 "\n"
		"user_data_writes=%" PRIu64 "\n"
		"refreshes=%" PRIu64 "\n"
		"reports=%" PRIu64 "\n"
		"refresh_pending=%s\n"
		"last_user_data=%s\n"
		"report_defined=%s\n"
		"report_nv_size=%u\n"
		"report_real_size=%u\n"
		"report_used=%zu\n"
		"virtual_reads=%" PRIu64 "\n"
		"virtual_refused=%" PRIu64 "\n"
		"public_patched=%" PRIu64 "\n"
		"delay_ms=%u\n"
		"read_guard_ms=%u\n"
		"refresh_deferred=%" PRIu64 "\n"
		"never_refresh=%s\n"
		"corrupt_header=%s\n"
		"undefine_report=%s\n"
		"errors=%" PRIu64 "\n"
		"last_error=%s\n"
		"swtpm_pid=%d\n"
		"running=%s\n"
		"pid=%d\n",
		g.report_type == HCL_REPORT_TYPE_SNP ? "snp" : "tdx", tpm, g.ready ? "yes" : "no",
		g.requests, g.forwarded, g.locality_cmds, g.last_locality, g.malformed,
		g.ud_writes, g.refreshes, g.reports, g.refresh_pending ? "yes" : "no", ud,
		g.report_defined ? "yes" : "no", g.report_nv_size, g.report_real_size,
		g.report_used, g.virtual_reads, g.virtual_refused, g.public_patched, g.delay_ms,
		g.read_guard_ms, g.refresh_deferred,
		onoff(g.never_refresh), onoff(g.corrupt_header), onoff(g.undefine_report),
		g.errors, g.last_error, (int)g.swtpm_pid, running ? "yes" : "no", (int)getpid());
	if (n > 0 && (size_t)n < sizeof(buf) && g.path_state[0])
		write_file_atomic(g.path_state, buf, (size_t)n, 0644);
	g.state_dirty = false;
}

/* ---- the HCL report ---------------------------------------------------------------------------- */

static int build_hw_report(const uint8_t rd[64], uint8_t *hw, size_t *hw_len)
{
	if (g.report_type == HCL_REPORT_TYPE_SNP) {
		*hw_len = SNP_REPORT_SIZE;
		/* the HCL asks for its report at VMPL 0 */
		return sim_snp_build_report(&g.snp, g.keys, rd, 0, hw);
	}
	*hw_len = TDX_REPORT_SIZE;
	return sim_tdx_build_report(&g.tdx, rd, hw);
}

/* Build the report for @ud into g.report (not written to NV). */
static int build_report(const uint8_t ud[HCL_USER_DATA_LEN])
{
	struct hcl_claims_in in = {
		.ak = &g.ak,
		.ek = g.ek_in_claims ? &g.ek : NULL,
		.vm = g.vm,
		.has_user_data = true,
	};
	struct hcl_report_params p = {
		.version = g.hcl_version,
		.request_type = HCL_REQUEST_AK_CERT,
		.report_type = (uint32_t)g.report_type,
		.hash_type = HCL_HASH_SHA256,
	};
	uint8_t rd[64], hw[SNP_REPORT_SIZE];
	size_t hw_len = 0, claims_len = 0;
	char *claims = NULL;
	long used;
	int r;

	memcpy(in.user_data, ud, HCL_USER_DATA_LEN);
	r = hcl_claims_build(&in, &claims, &claims_len);
	if (r) {
		errorf("cannot build the runtime claims: %s", strerror(-r));
		return r;
	}
	r = hcl_report_data(HCL_HASH_SHA256, (const uint8_t *)claims, claims_len, rd);
	if (!r)
		r = build_hw_report(rd, hw, &hw_len);
	if (r) {
		errorf("cannot build the %s report: %s",
		       g.report_type == HCL_REPORT_TYPE_SNP ? "SNP" : "TDX", strerror(-r));
		free(claims);
		return r;
	}
	used = hcl_report_build(&p, hw, hw_len, (const uint8_t *)claims, claims_len, g.report,
				g.report_nv_size);
	free(claims);
	if (used < 0) {
		errorf("the HCL report (%zu bytes) does not fit NV 0x%08x (%u bytes): raise "
		       "--report-nv-size%s", hcl_report_used(claims_len), HCL_NV_INDEX_REPORT,
		       g.report_nv_size, g.ek_in_claims ? " or use --no-ek-in-claims" : "");
		return (int)used;
	}
	if (g.corrupt_header)
		g.report[HCL_H_SIGNATURE] ^= 0xFF;	/* "HCLA" -> "\xb7CLA" */
	g.report_used = (size_t)used;
	memcpy(g.user_data, ud, HCL_USER_DATA_LEN);
	return 0;
}

static int ensure_report_index(void)
{
	TPM2B_NV_PUBLIC pub;
	uint16_t real = g.report_real_size;
	TSS2_RC rc;

	rc = pv_tpm_nv_read_public(&g.tpm, HCL_NV_INDEX_REPORT, &pub);
	if (!rc) {
		uint32_t a = pub.nvPublic.attributes & ~NVA_WRITTEN;

		if (pub.nvPublic.dataSize == real && a == PV_NV_ATTRS &&
		    pub.nvPublic.nameAlg == TPM2_ALG_SHA256)
			return 0;
		logf_("NV 0x%08x has size %u attributes 0x%08x: redefining", HCL_NV_INDEX_REPORT,
		      pub.nvPublic.dataSize, pub.nvPublic.attributes);
		rc = pv_tpm_nv_undefine(&g.tpm, HCL_NV_INDEX_REPORT);
		if (rc) {
			errorf("NV_UndefineSpace 0x%08x: TPM rc 0x%x", HCL_NV_INDEX_REPORT, rc);
			return -EIO;
		}
	} else if (rc != (TPM2_RC_HANDLE | TPM2_RC_1)) {
		errorf("NV_ReadPublic 0x%08x: TPM rc 0x%x", HCL_NV_INDEX_REPORT, rc);
		return -EIO;
	}
	rc = pv_tpm_nv_define(&g.tpm, HCL_NV_INDEX_REPORT, real, PV_NV_ATTRS);
	if (rc) {
		errorf("NV_DefineSpace 0x%08x (%u bytes): TPM rc 0x%x", HCL_NV_INDEX_REPORT, real,
		       rc);
		return -EIO;
	}
	return 0;
}

/* The index's public area as swtpm has it (attributes include WRITTEN now). */
static void cache_report_public(void)
{
	TPM2B_NV_PUBLIC pub;
	size_t off = 0;

	g.nvpub_len = 0;
	if (pv_tpm_nv_read_public(&g.tpm, HCL_NV_INDEX_REPORT, &pub) ||
	    Tss2_MU_TPMS_NV_PUBLIC_Marshal(&pub.nvPublic, g.nvpub, sizeof(g.nvpub), &off))
		errorf("NV_ReadPublic 0x%08x failed after writing it", HCL_NV_INDEX_REPORT);
	else
		g.nvpub_len = off;
}

/* Put g.report into NV (unless the undefine_report switch is on). */
static int store_report(void)
{
	TSS2_RC rc;
	int r;

	if (g.undefine_report)
		return 0;
	r = ensure_report_index();
	if (r) {
		g.report_defined = false;
		return r;
	}
	g.report_defined = true;
	rc = pv_tpm_nv_write(&g.tpm, HCL_NV_INDEX_REPORT, g.report, g.report_real_size);
	if (rc) {
		errorf("NV_Write 0x%08x: TPM rc 0x%x", HCL_NV_INDEX_REPORT, rc);
		return -EIO;
	}
	g.reports++;
	g.state_dirty = true;
	cache_report_public();
	export_file("report.bin", g.report, g.report_nv_size);
	return 0;
}

/* The user data as the guest left it in NV 0x01400002 (what the HCL reads). */
static void current_user_data(uint8_t ud[HCL_USER_DATA_LEN])
{
	TPM2B_NV_PUBLIC pub;
	uint8_t buf[HCL_USER_DATA_LEN];
	size_t n;

	memcpy(ud, g.shadow_ud, HCL_USER_DATA_LEN);
	if (pv_tpm_nv_read_public(&g.tpm, HCL_NV_INDEX_USER_DATA, &pub))
		return;
	n = pub.nvPublic.dataSize < HCL_USER_DATA_LEN ? pub.nvPublic.dataSize : HCL_USER_DATA_LEN;
	if (!n || pv_tpm_nv_read(&g.tpm, TPM_RH_OWNER, HCL_NV_INDEX_USER_DATA, buf, n)) {
		logf_("cannot read NV 0x%08x back with owner authorization: using the bytes of "
		      "the write command", HCL_NV_INDEX_USER_DATA);
		return;
	}
	memset(ud, 0, HCL_USER_DATA_LEN);
	memcpy(ud, buf, n);
}

static void refresh(const char *why)
{
	uint8_t ud[HCL_USER_DATA_LEN];
	char hex[2 * HCL_USER_DATA_LEN + 1];

	g.refresh_pending = false;
	current_user_data(ud);
	if (build_report(ud) || store_report())
		return;
	g.refreshes++;
	g.state_dirty = true;
	hcl_hex(ud, sizeof(ud), hex);
	logf_("refreshed NV 0x%08x (%s): user-data %s, %zu bytes%s%s", HCL_NV_INDEX_REPORT, why,
	      hex, g.report_used, g.corrupt_header ? ", header corrupted" : "",
	      g.undefine_report ? ", index left undefined" : "");
}

static int arm_timer(unsigned int ms)
{
	struct itimerspec its = { 0 };

	/* 0 ms still goes through the timer: the guest gets its response first */
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L + 1;
	if (timerfd_settime(g.timer_fd, 0, &its, NULL)) {
		errorf("timerfd_settime: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void schedule_refresh(void)
{
	if (arm_timer(g.delay_ms))
		return;
	g.refresh_pending = true;
	g.refresh_due_ms = mono_ms() + g.delay_ms;
}

/*
 * The refresh timer.  A guest that reads the report in chunks should not
 * get the first chunks from one report and the rest from the next, so a
 * refresh waits while a chunked read of 0x01400001 is under way (one that
 * has not reached the end and whose last chunk is < read_guard_ms old),
 * for at most 2 x read_guard_ms.  The real paravisor's behaviour here is
 * not documented: clients should check the binding and read again.
 */
static void refresh_timer(void)
{
	int64_t now = mono_ms();

	if (g.read_guard_ms && g.partial_read_ms && now - g.partial_read_ms < g.read_guard_ms &&
	    now - g.refresh_due_ms < 2 * (int64_t)g.read_guard_ms) {
		g.refresh_deferred++;
		arm_timer(20);
		return;
	}
	refresh("user data written");
}

/* ---- provisioning ------------------------------------------------------------------------------ */

static int state_path(char *out, const char *name)
{
	if (snprintf(out, PATH_MAX, "%s/%s", g.state_dir, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int take_platform_hierarchy(void)
{
	uint8_t auth[32], old[32];
	char path[PATH_MAX], hex[65];
	TSS2_RC rc;

	if (RAND_bytes(auth, sizeof(auth)) != 1)
		return -EIO;
	rc = pv_tpm_set_platform_auth(&g.tpm, NULL, 0, auth, sizeof(auth));
	if (rc == RC_BAD_AUTH_S1 && !state_path(path, "platform-auth") &&
	    !read_small_file(path, hex, sizeof(hex)) && !hcl_unhex(hex, old, sizeof(old)))
		rc = pv_tpm_set_platform_auth(&g.tpm, old, sizeof(old), auth, sizeof(auth));
	if (rc) {
		errorf("cannot take the platform hierarchy (HierarchyChangeAuth: TPM rc 0x%x)%s", rc,
		       rc == RC_BAD_AUTH_S1 ? ": platformAuth is set and unknown; restart swtpm "
					      "(Startup(CLEAR) resets it)" : "");
		return -EACCES;
	}
	/* kept for --swtpm-socket: a swtpm that outlives this process keeps the value */
	hcl_hex(auth, sizeof(auth), hex);
	if (!state_path(path, "platform-auth"))
		write_file_atomic(path, hex, 64, 0600);
	memset(auth, 0, sizeof(auth));
	memset(hex, 0, sizeof(hex));
	return 0;
}

static int ensure_key(const char *what, uint32_t handle, const TPM2B_PUBLIC *tmpl,
		      struct hcl_rsa_pub *out, const char *export_name)
{
	uint8_t pub[sizeof(TPM2B_PUBLIC)];
	size_t len = 0;
	bool created = false;
	int64_t t0 = mono_ms();
	TSS2_RC rc;
	int r;

	rc = pv_tpm_ensure_primary(&g.tpm, handle, TPM2_RH_ENDORSEMENT, tmpl, pub, sizeof(pub),
				   &len, &created);
	if (rc) {
		errorf("%s at 0x%08x: TPM rc 0x%x", what, handle, rc);
		return -EIO;
	}
	r = hcl_rsa_from_tpm2b_public(pub, len, out);
	if (r) {
		errorf("%s at 0x%08x: not an RSA key we can read (%s)", what, handle, strerror(-r));
		return r;
	}
	if (created)
		logf_("created the %s at 0x%08x (%" PRId64 " ms)", what, handle, mono_ms() - t0);
	export_file(export_name, pub, len);
	return 0;
}

static int ensure_ak_cert(void)
{
	TPM2B_NV_PUBLIC pub;
	uint8_t *der = NULL, buf[2048];
	size_t der_len = 0;
	TSS2_RC rc;
	int r = -EIO;

	rc = pv_tpm_nv_read_public(&g.tpm, AZURE_AK_CERT_NV_INDEX, &pub);
	if (!rc) {
		uint16_t n = pub.nvPublic.dataSize;

		if (n && n <= sizeof(buf) &&
		    !pv_tpm_nv_read(&g.tpm, TPM_RH_OWNER, AZURE_AK_CERT_NV_INDEX, buf, n) &&
		    !pv_ak_cert_check(buf, n, g.ca_cert, &g.ak)) {
			export_file("ak-cert.der", buf, n);
			return 0;
		}
		logf_("NV 0x%08x does not hold a certificate of this AK by this CA: re-issuing",
		      AZURE_AK_CERT_NV_INDEX);
		rc = pv_tpm_nv_undefine(&g.tpm, AZURE_AK_CERT_NV_INDEX);
		if (rc) {
			errorf("NV_UndefineSpace 0x%08x: TPM rc 0x%x", AZURE_AK_CERT_NV_INDEX, rc);
			return -EIO;
		}
	}
	if (pv_ak_cert_issue(g.ca_key, g.ca_cert, &g.ak, g.vm_id, 0, &der, &der_len)) {
		errorf("cannot issue the AK certificate");
		return -EIO;
	}
	if (der_len > g.tpm.nv_index_max) {
		errorf("the AK certificate (%zu bytes) exceeds TPM_PT_NV_INDEX_MAX", der_len);
		goto out;
	}
	rc = pv_tpm_nv_define(&g.tpm, AZURE_AK_CERT_NV_INDEX, (uint16_t)der_len, PV_NV_ATTRS);
	if (!rc)
		rc = pv_tpm_nv_write(&g.tpm, AZURE_AK_CERT_NV_INDEX, der, der_len);
	if (rc) {
		errorf("storing the AK certificate in NV 0x%08x: TPM rc 0x%x",
		       AZURE_AK_CERT_NV_INDEX, rc);
		goto out;
	}
	logf_("issued the AK certificate (%zu bytes) into NV 0x%08x", der_len,
	      AZURE_AK_CERT_NV_INDEX);
	export_file("ak-cert.der", der, der_len);
	r = 0;
out:
	OPENSSL_free(der);
	return r;
}

static int ensure_vm_id(void)
{
	char path[PATH_MAX], buf[64];
	uint8_t r[16];
	int ret;

	if (g.vm_id_opt) {
		snprintf(g.vm_id, sizeof(g.vm_id), "%s", g.vm_id_opt);
		return 0;
	}
	ret = state_path(path, "vm-id");
	if (ret)
		return ret;
	if (!read_small_file(path, buf, sizeof(buf)) && strlen(buf) == 36) {
		memcpy(g.vm_id, buf, 37);
		return 0;
	}
	if (RAND_bytes(r, sizeof(r)) != 1)
		return -EIO;
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);		/* RFC 4122 version 4 */
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
	/* upper case, as Azure's vmUniqueId */
	snprintf(g.vm_id, sizeof(g.vm_id),
		 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
	return write_file_atomic(path, g.vm_id, strlen(g.vm_id), 0644);
}

static int export_platform_certs(void)
{
	X509 *certs[3] = { NULL, NULL, NULL };
	const unsigned char *p;
	uint8_t *der = NULL;
	size_t der_len = 0, pem_len = 0;
	char *pem = NULL;
	char path[PATH_MAX];
	int r;

	if (!ctl_path(path, "ak-ca.pem") && pv_cert_write_pem(g.ca_cert, path))
		logf_("cannot write %s", path);
	if (g.report_type != HCL_REPORT_TYPE_SNP)
		return 0;
	/* what IMDS THIM serves on Azure: vcekCert + certificateChain (ASK, ARK) */
	r = sim_amd_issue_vcek(g.keys, g.snp.product, g.snp.chip_id, g.snp.reported_tcb, 0, &der,
			       &der_len);
	if (r)
		return r;
	p = der;
	certs[0] = d2i_X509(NULL, &p, (long)der_len);
	certs[1] = sim_keys_ask_cert(g.keys, g.snp.product);
	certs[2] = sim_keys_ark_cert(g.keys, g.snp.product);
	r = -EIO;
	if (certs[0] && certs[1] && certs[2] && !sim_cert_pem(certs, 3, &pem, &pem_len))
		r = export_file("vcek-chain.pem", pem, pem_len);
	X509_free(certs[0]);
	free(der);
	free(pem);
	return r;
}

static int provision(void)
{
	TPM2B_PUBLIC tmpl;
	uint32_t v;
	int r;

	if (!pv_tpm_get_property(&g.tpm, TPM2_PT_NV_INDEX_MAX, &v))
		g.tpm.nv_index_max = v;
	if (!pv_tpm_get_property(&g.tpm, TPM2_PT_NV_BUFFER_MAX, &v) && v)
		g.tpm.nv_buffer_max = v;
	g.report_real_size = g.report_nv_size < g.tpm.nv_index_max ? g.report_nv_size :
				(uint16_t)g.tpm.nv_index_max;
	if (g.report_real_size < g.report_nv_size)
		logf_("swtpm's TPM_PT_NV_INDEX_MAX is %u: NV 0x%08x is %u bytes in swtpm, the "
		      "paravisor serves bytes %u..%u and reports %u (see README.md)",
		      g.tpm.nv_index_max, HCL_NV_INDEX_REPORT, g.report_real_size,
		      g.report_real_size, g.report_nv_size - 1, g.report_nv_size);

	r = take_platform_hierarchy();
	if (r)
		return r;
	pv_tpm_ek_template(&tmpl);
	r = ensure_key("EK", EK_HANDLE, &tmpl, &g.ek, "ek.pub");
	if (r)
		return r;
	pv_tpm_ak_template(&tmpl);
	r = ensure_key("AK", AZURE_AK_HANDLE, &tmpl, &g.ak, "ak.pub");
	if (r)
		return r;
	r = ensure_ak_cert();
	if (r)
		return r;
	/* the boot-time report: user data all zero, as on Azure after boot */
	memset(g.shadow_ud, 0, sizeof(g.shadow_ud));
	r = build_report(g.shadow_ud);
	if (!r)
		r = store_report();
	if (r)
		return r;
	if (export_platform_certs())
		logf_("cannot export the platform certificates");
	logf_("provisioned: EK 0x%08x, AK 0x%08x, AK cert 0x%08x, HCL report 0x%08x (%zu of %u "
	      "bytes, %s)", EK_HANDLE, AZURE_AK_HANDLE, AZURE_AK_CERT_NV_INDEX,
	      HCL_NV_INDEX_REPORT, g.report_used, g.report_nv_size,
	      g.report_type == HCL_REPORT_TYPE_SNP ? "SNP" : "TDX");
	return 0;
}

/* ---- guest commands ----------------------------------------------------------------------------- */

static size_t forward(const uint8_t *cmd, size_t len, uint8_t *rsp)
{
	size_t rlen = 0;
	int r;

	r = pv_link_transact(&g.link, cmd, len, rsp, TPM_MAX_MSG, &rlen);
	if (r) {
		errorf("swtpm: %s (command 0x%08x answered with TPM_RC_FAILURE)", strerror(-r),
		       len >= TPM_HEADER_LEN ? tpm_get32(cmd + 6) : 0);
		return tpm_rsp_make(TPM_RC_FAILURE, rsp);
	}
	g.forwarded++;
	/* every command swtpm executes, as sent, so session nonces stay in step */
	tpm_sess_observe(&g.sess, cmd, len, rsp, rlen);
	return rlen;
}

static bool virtual_tail(void)
{
	return g.report_defined && !g.undefine_report && g.report_nv_size > g.report_real_size &&
	       g.nvpub_len;
}

/* The Name of NV 0x01400001 as swtpm has it (@virt false) or as the guest sees it. */
static long report_name(bool virt, uint8_t *name, size_t size)
{
	uint8_t pub[sizeof(g.nvpub)];

	memcpy(pub, g.nvpub, g.nvpub_len);
	if (virt)
		tpm_put16(pub + g.nvpub_len - 2, g.report_nv_size);	/* dataSize is last */
	return tpm_nv_name(pub, g.nvpub_len, name, size);
}

static size_t refuse(const struct tpm_cmd *c, uint8_t *rsp, const char *why)
{
	g.virtual_refused++;
	g.state_dirty = true;
	if (g.trace)
		logf_("NV_Read of 0x%08x passed to swtpm unchanged: %s", HCL_NV_INDEX_REPORT, why);
	return forward(c->buf, c->len, rsp);
}

/* NV_Read's own checks (Part 3 §31.13) against the size the guest sees; 0 if none fails */
static uint32_t virtual_range_rc(uint16_t size, uint16_t off)
{
	if (size > g.tpm.nv_buffer_max)
		return TPM_RC_VALUE + TPM_RC_P + TPM_RC_1;
	if (off > g.report_nv_size)
		return TPM_RC_VALUE + TPM_RC_P + TPM_RC_2;
	if (size > g.report_nv_size - off)
		return TPM_RC_NV_RANGE;
	return 0;
}

/*
 * NV_Read of 0x01400001 in an unsalted, unbound HMAC session (tpm2-tools):
 * check the guest's HMAC against the Name it saw, sign again for swtpm's
 * Name (and, when the data comes from us, the response for the guest).
 */
static size_t hmac_nv_read(const struct tpm_cmd *c, uint16_t size, uint16_t off, bool beyond,
			   uint8_t *rsp)
{
	struct tpm_auth a[TPM_MAX_SESSIONS], ra[1];
	struct tpm_sess *sp, s;
	uint8_t vname[2 + 64], rname[2 + 64], hname[4], mac[TPM_MAX_DIGEST];
	uint8_t fwd[TPM_MAX_MSG], tmp[TPM_MAX_MSG];
	const uint8_t *names[2];
	size_t lens[2], poff, rlen, ro, rl;
	unsigned int n = 0;
	long vlen, rnlen, m;
	uint32_t rc;

	if (tpm_cmd_auths(c->buf, c->len, a, &n, &poff) || n != 1)
		return refuse(c, rsp, "unexpected authorization area");
	sp = tpm_sess_find(&g.sess, a[0].handle);
	if (!sp)
		return refuse(c, rsp, "a session whose keys the paravisor cannot know");
	if (a[0].attrs & (PV_SESSION_DECRYPT | PV_SESSION_ENCRYPT | PV_SESSION_AUDIT))
		return refuse(c, rsp, "parameter encryption or audit");
	s = *sp;
	vlen = report_name(true, vname, sizeof(vname));
	rnlen = report_name(false, rname, sizeof(rname));
	if (vlen < 0 || rnlen < 0)
		return refuse(c, rsp, "no Name");
	tpm_put32(hname, c->handle[0]);		/* a permanent handle's Name is the handle */

	/* the guest's HMAC, as the TPM would check it: empty sessionKey and authValue */
	names[0] = c->handle[0] == HCL_NV_INDEX_REPORT ? vname : hname;
	lens[0] = c->handle[0] == HCL_NV_INDEX_REPORT ? (size_t)vlen : 4;
	names[1] = vname;
	lens[1] = (size_t)vlen;
	m = tpm_cmd_hmac(&s, c->cc, names, lens, 2, c->buf + poff, c->len - poff, &a[0], mac);
	if (m < 0 || (size_t)m != a[0].hmac_len || memcmp(mac, a[0].hmac, (size_t)m))
		return refuse(c, rsp, "HMAC does not verify with an empty authValue");
	if (beyond) {
		rc = virtual_range_rc(size, off);
		if (rc)
			return tpm_rsp_make(rc, rsp);	/* nonceTPM does not roll */
	}

	memcpy(fwd, c->buf, c->len);
	if (beyond) {
		tpm_put16(fwd + poff, 0);		/* size 0 at offset 0: auth only */
		tpm_put16(fwd + poff + 2, 0);
	}
	names[0] = c->handle[0] == HCL_NV_INDEX_REPORT ? rname : hname;
	lens[0] = c->handle[0] == HCL_NV_INDEX_REPORT ? (size_t)rnlen : 4;
	names[1] = rname;
	lens[1] = (size_t)rnlen;
	m = tpm_cmd_hmac(&s, c->cc, names, lens, 2, fwd + poff, c->len - poff, &a[0], mac);
	if (m < 0 || (size_t)m != a[0].hmac_len)
		return refuse(c, rsp, "cannot sign");
	memcpy(fwd + a[0].hmac_off, mac, (size_t)m);
	rlen = forward(fwd, c->len, tmp);
	if (tpm_rsp_parse(tmp, rlen, NULL, &rc) || rc != TPM_RC_SUCCESS || !beyond) {
		/* rpHash has no Names: swtpm's response HMAC holds for the guest */
		memcpy(rsp, tmp, rlen);
		if (rc == TPM_RC_SUCCESS)
			g.virtual_reads++;
		return rlen;
	}
	m = tpm_nv_read_rsp_replace(tmp, rlen, g.report + off, size, rsp, TPM_MAX_MSG);
	if (m < 0 || tpm_rsp_auths(c->cc, rsp, (size_t)m, ra, 1, &ro, &rl)) {
		errorf("unexpected NV_Read response from swtpm (%zu bytes)", rlen);
		return tpm_rsp_make(TPM_RC_FAILURE, rsp);
	}
	rlen = (size_t)m;
	m = tpm_rsp_hmac(&s, c->cc, rsp + ro, rl, &ra[0], a[0].nonce, a[0].nonce_len, mac);
	if (m < 0 || (size_t)m != ra[0].hmac_len) {
		errorf("cannot sign the NV_Read response");
		return tpm_rsp_make(TPM_RC_FAILURE, rsp);
	}
	memcpy(rsp + ra[0].hmac_off, mac, (size_t)m);
	g.virtual_reads++;
	g.state_dirty = true;
	return rlen;
}

/* NV_Read of 0x01400001 while the guest sees a bigger index than swtpm holds. */
static size_t virtual_nv_read(const struct tpm_cmd *c, uint8_t *rsp)
{
	uint8_t fwd[TPM_MAX_MSG], tmp[TPM_MAX_MSG];
	uint16_t size, off, tag;
	uint32_t rc;
	bool beyond;
	size_t rlen;
	long n;

	if (tpm_nv_read_params(c, &size, &off))
		return forward(c->buf, c->len, rsp);
	beyond = (uint32_t)off + size > g.report_real_size;
	if (!c->all_password) {
		if (c->n_sessions == 1)
			return hmac_nv_read(c, size, off, beyond, rsp);
		return refuse(c, rsp, "several sessions");
	}
	if (!beyond)
		return forward(c->buf, c->len, rsp);	/* password: no Name involved */
	/* authorization, DA etc. checked by the real index, with a 0-byte read */
	n = tpm_nv_read_rewrite(c, size > g.tpm.nv_buffer_max ? size : 0, 0, fwd, sizeof(fwd));
	if (n < 0)
		return forward(c->buf, c->len, rsp);
	rlen = forward(fwd, (size_t)n, tmp);
	if (tpm_rsp_parse(tmp, rlen, &tag, &rc) || rc != TPM_RC_SUCCESS) {
		memcpy(rsp, tmp, rlen);
		return rlen;
	}
	rc = virtual_range_rc(size, off);
	if (rc)
		return tpm_rsp_make(rc, rsp);
	n = tpm_nv_read_rsp_replace(tmp, rlen, g.report + off, size, rsp, TPM_MAX_MSG);
	if (n < 0) {
		errorf("unexpected NV_Read response from swtpm (%zu bytes)", rlen);
		return tpm_rsp_make(TPM_RC_FAILURE, rsp);
	}
	g.virtual_reads++;
	g.state_dirty = true;
	return (size_t)n;
}

static void user_data_written(const struct tpm_cmd *c)
{
	const uint8_t *data;
	uint16_t size, off;
	char hex[2 * HCL_USER_DATA_LEN + 1];

	g.ud_writes++;
	g.state_dirty = true;
	if (!tpm_nv_write_params(c, &data, &size, &off) && !c->param_encrypted &&
	    off < HCL_USER_DATA_LEN) {
		size_t n = size < HCL_USER_DATA_LEN - off ? size : HCL_USER_DATA_LEN - off;

		memcpy(g.shadow_ud + off, data, n);
	}
	hcl_hex(g.shadow_ud, sizeof(g.shadow_ud), hex);
	if (g.never_refresh) {
		logf_("NV 0x%08x written (%s): never_refresh is on, report left as it is",
		      HCL_NV_INDEX_USER_DATA, hex);
		return;
	}
	if (g.trace)
		logf_("NV 0x%08x written: refresh in %u ms", HCL_NV_INDEX_USER_DATA, g.delay_ms);
	schedule_refresh();
}

static size_t handle_command(const uint8_t *cmd, size_t len, uint8_t *rsp)
{
	struct tpm_cmd c;
	uint16_t tag;
	uint32_t rc = 0;
	size_t rlen;
	int nv;

	g.requests++;
	if (tpm_cmd_parse(cmd, len, &c)) {
		g.malformed++;
		g.state_dirty = true;
		if (g.trace)
			logf_("malformed command (%zu bytes): TPM_RC_COMMAND_SIZE", len);
		return tpm_rsp_make(TPM_RC_COMMAND_SIZE, rsp);
	}
	/* linux/vtpm_proxy.h: only the kernel's driver can send it (tpm_vtpm_proxy.c) */
	if (c.cc == TPM2_CC_SET_LOCALITY && g.kind == GUEST_VTPM) {
		g.locality_cmds++;
		if (len == TPM_HEADER_LEN + 1)
			g.last_locality = cmd[TPM_HEADER_LEN];
		g.state_dirty = true;
		return tpm_rsp_make(TPM_RC_SUCCESS, rsp);
	}
	nv = tpm_cmd_parse_nv(&c);
	if (nv == 0 && c.cc == TPM_CC_NV_READ && c.handle[1] == HCL_NV_INDEX_REPORT &&
	    virtual_tail())
		rlen = virtual_nv_read(&c, rsp);
	else
		rlen = forward(cmd, len, rsp);

	if (tpm_rsp_parse(rsp, rlen, &tag, &rc))
		rc = TPM_RC_FAILURE;
	if (g.trace)
		logf_("cc 0x%08x (%zu bytes) -> rc 0x%x (%zu bytes)", c.cc, len, rc, rlen);
	if (nv || rc != TPM_RC_SUCCESS)
		return rlen;
	if (c.cc == TPM_CC_NV_READ && c.handle[1] == HCL_NV_INDEX_REPORT) {
		uint16_t size, off;

		if (!tpm_nv_read_params(&c, &size, &off))
			g.partial_read_ms = (uint32_t)off + size < g.report_nv_size ? mono_ms() : 0;
	}
	if (c.cc == TPM_CC_NV_READ_PUBLIC && c.handle[0] == HCL_NV_INDEX_REPORT && virtual_tail() &&
	    tpm_nv_read_public_patch(rsp, rlen, HCL_NV_INDEX_REPORT, g.report_real_size,
				     g.report_nv_size) == 0) {
		g.public_patched++;
		g.state_dirty = true;
	}
	if (c.cc == TPM_CC_NV_WRITE && c.handle[1] == HCL_NV_INDEX_USER_DATA)
		user_data_written(&c);
	return rlen;
}

/* ---- control FIFO ----------------------------------------------------------------------------------- */

static int parse_switch(const char *arg, bool *out)
{
	if (!arg || !*arg || !strcmp(arg, "on") || !strcmp(arg, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(arg, "off") || !strcmp(arg, "0")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

static void control_command(char *line)
{
	char *cmd, *arg, *extra, *save = NULL;
	bool on = false;

	cmd = strtok_r(line, " \t\r", &save);
	if (!cmd || cmd[0] == '#')
		return;
	arg = strtok_r(NULL, " \t\r", &save);
	extra = strtok_r(NULL, " \t\r", &save);
	if (extra)
		goto bad;
	if (!strcmp(cmd, "delay_ms")) {
		char *end;
		unsigned long v;

		if (!arg)
			goto bad;
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || v > MAX_DELAY_MS || arg[0] == '-')
			goto bad;
		g.delay_ms = (unsigned int)v;
	} else if (!strcmp(cmd, "read_guard_ms")) {
		char *end;
		unsigned long v;

		if (!arg)
			goto bad;
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || v > MAX_DELAY_MS || arg[0] == '-')
			goto bad;
		g.read_guard_ms = (unsigned int)v;
	} else if (!strcmp(cmd, "never_refresh")) {
		if (parse_switch(arg, &on))
			goto bad;
		g.never_refresh = on;
	} else if (!strcmp(cmd, "corrupt_header")) {
		if (parse_switch(arg, &on))
			goto bad;
		g.corrupt_header = on;
	} else if (!strcmp(cmd, "undefine_report")) {
		TSS2_RC rc;

		if (parse_switch(arg, &on))
			goto bad;
		g.undefine_report = on;
		if (on && g.report_defined) {
			rc = pv_tpm_nv_undefine(&g.tpm, HCL_NV_INDEX_REPORT);
			if (rc)
				errorf("NV_UndefineSpace 0x%08x: TPM rc 0x%x", HCL_NV_INDEX_REPORT, rc);
			else
				g.report_defined = false;
			g.nvpub_len = 0;
		} else if (!on) {
			store_report();
		}
	} else if (!strcmp(cmd, "refresh")) {
		if (arg)
			goto bad;
		refresh("control");
	} else if (!strcmp(cmd, "clear")) {
		bool was_corrupt = g.corrupt_header;

		if (arg)
			goto bad;
		g.never_refresh = false;
		g.corrupt_header = false;
		g.delay_ms = g.delay_ms_initial;
		g.read_guard_ms = 1000;
		if (g.undefine_report || was_corrupt) {
			g.undefine_report = false;
			if (!build_report(g.user_data))
				store_report();
		}
	} else {
		goto bad;
	}
	logf_("control: %s%s%s", cmd, arg ? " " : "", arg ? arg : "");
	g.state_dirty = true;
	return;
bad:
	logf_("bad command '%s%s%s'", cmd, arg ? " " : "", arg ? arg : "");
}

static void drain_control(void)
{
	char buf[512];
	ssize_t n;

	for (;;) {
		n = read(g.fifo_fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				g.line[g.line_len] = '\0';
				control_command(g.line);
				g.line_len = 0;
			} else if (g.line_len < sizeof(g.line) - 1) {
				g.line[g.line_len++] = buf[i];
			}
		}
	}
}

/* ---- guest channel ------------------------------------------------------------------------------------ */

static int open_vtpm(void)
{
	struct vtpm_proxy_new_dev nd = { .flags = VTPM_PROXY_FLAG_TPM2 };
	int fd = open("/dev/vtpmx", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		errorf("/dev/vtpmx: %s (load tpm_vtpm_proxy)", strerror(errno));
		return -errno;
	}
	if (ioctl(fd, VTPM_PROXY_IOC_NEW_DEV, &nd)) {
		int err = errno;

		errorf("VTPM_PROXY_IOC_NEW_DEV: %s", strerror(err));
		close(fd);
		return -err;
	}
	close(fd);		/* the new device lives as long as nd.fd */
	g.guest_fd = (int)nd.fd;
	if (fcntl(g.guest_fd, F_SETFD, FD_CLOEXEC))
		logf_("FD_CLOEXEC: %s", strerror(errno));
	g.tpm_num = nd.tpm_num;
	g.ready_deadline = mono_ms() + READY_TIMEOUT_MS;
	logf_("created TPM %u (major %u minor %u) through /dev/vtpmx", nd.tpm_num, nd.major,
	      nd.minor);
	return 0;
}

static int listen_on(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	int fd, one = 1, r;

	r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (r) {
		errorf("--listen-tcp %s: %s", g.listen, gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 4)) {
		errorf("--listen-tcp %s port %s: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -EADDRINUSE;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * TCP mode: TPM commands on PORT, and on PORT+1 the little of swtpm's
 * control protocol that tpm2-tss's "swtpm" TCTI uses (CMD_SET_LOCALITY at
 * initialisation, CMD_CANCEL_TPM_CMD), so that tpm2-tools can be pointed
 * at the paravisor with TPM2TOOLS_TCTI=swtpm:host=HOST,port=PORT.
 */
static int open_listen(void)
{
	char host[256], port[24], *colon;
	unsigned long p;

	snprintf(host, sizeof(host), "%s", g.listen);
	colon = strrchr(host, ':');
	if (!colon || parse_uint(colon + 1, 65534, &p) || !p) {
		errorf("--listen-tcp wants HOST:PORT (PORT+1 is used as well)");
		return -EINVAL;
	}
	*colon = '\0';
	snprintf(port, sizeof(port), "%lu", p);
	g.listen_fd = listen_on(host, port);
	if (g.listen_fd < 0)
		return g.listen_fd;
	snprintf(port, sizeof(port), "%lu", p + 1);
	g.ctrl_listen_fd = listen_on(host, port);
	if (g.ctrl_listen_fd < 0)
		return g.ctrl_listen_fd;
	g.ready = true;
	logf_("serving the TPM on tcp %s (raw TPM 2.0 commands; control port %lu)", g.listen,
	      p + 1);
	return 0;
}

/* swtpm's control channel (swtpm's man page swtpm-ioctls(4)): u32 command, u32 result */
#define SWTPM_CMD_SET_LOCALITY		5
#define SWTPM_CMD_CANCEL_TPM_CMD	9
#define SWTPM_TPM_FAIL			9

static void serve_ctrl(void)
{
	uint8_t cmd[4], loc, res[4] = { 0 };
	int fd = accept4(g.ctrl_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	uint32_t code;

	if (fd < 0)
		return;
	if (!read_exact(fd, cmd, sizeof(cmd), 2000)) {
		code = tpm_get32(cmd);
		if (code == SWTPM_CMD_SET_LOCALITY && !read_exact(fd, &loc, 1, 2000)) {
			g.locality_cmds++;
			g.last_locality = loc;
		} else if (code != SWTPM_CMD_CANCEL_TPM_CMD) {
			tpm_put32(res, SWTPM_TPM_FAIL);
		}
		if (send(fd, res, sizeof(res), MSG_NOSIGNAL) != (ssize_t)sizeof(res))
			logf_("control port: %s", strerror(errno));
	}
	close(fd);
}

static bool check_ready(void)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/tpmrm/tpmrm%u", g.tpm_num);
	return stat(path, &st) == 0;
}

/* One command from the guest, its response back.  false: the channel is gone. */
static bool serve_vtpm(void)
{
	uint8_t cmd[TPM_MAX_MSG], rsp[TPM_MAX_MSG];
	ssize_t n;
	size_t rlen;

	n = read(g.guest_fd, cmd, sizeof(cmd));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return true;
		logf_("proxy fd: %s: the kernel dropped the TPM", strerror(errno));
		return false;
	}
	if (n == 0)
		return true;
	rlen = handle_command(cmd, (size_t)n, rsp);
	/* one write() per response, at most TPM_BUFSIZE (vtpm_proxy_fops_write) */
	if (write(g.guest_fd, rsp, rlen) != (ssize_t)rlen) {
		logf_("proxy fd: response not taken: %s", strerror(errno));
		if (errno == EPIPE)
			return false;
	}
	return true;
}

static int read_exact(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(fd, buf + got, len - got);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

static void serve_tcp(void)
{
	uint8_t cmd[TPM_MAX_MSG], rsp[TPM_MAX_MSG];
	uint32_t size;
	size_t rlen, sent = 0;

	if (read_exact(g.guest_fd, cmd, TPM_HEADER_LEN, 5000))
		goto drop;
	size = tpm_get32(cmd + 2);
	if (size < TPM_HEADER_LEN || size > TPM_MAX_MSG) {
		g.malformed++;
		rlen = tpm_rsp_make(TPM_RC_COMMAND_SIZE, rsp);
		send(g.guest_fd, rsp, rlen, MSG_NOSIGNAL);
		goto drop;		/* the stream cannot be resynchronised */
	}
	if (read_exact(g.guest_fd, cmd + TPM_HEADER_LEN, size - TPM_HEADER_LEN, 5000))
		goto drop;
	rlen = handle_command(cmd, size, rsp);
	while (sent < rlen) {
		ssize_t n = send(g.guest_fd, rsp + sent, rlen - sent, MSG_NOSIGNAL);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			goto drop;
		}
		sent += (size_t)n;
	}
	return;
drop:
	close(g.guest_fd);
	g.guest_fd = -1;
}

/* ---- swtpm ---------------------------------------------------------------------------------------- */

static int start_swtpm(void)
{
	char server[PATH_MAX + 32], ctrl[PATH_MAX + 32], state[PATH_MAX + 8], logarg[PATH_MAX + 8];
	char ctrl_path[PATH_MAX], tpmdir[PATH_MAX], logpath[PATH_MAX];
	pid_t pid;

	if (ctl_path(g.path_sock, "swtpm.sock") || ctl_path(ctrl_path, "swtpm-ctrl.sock") ||
	    ctl_path(logpath, "swtpm.log") || state_path(tpmdir, "tpm") ||
	    strlen(g.path_sock) >= sizeof(g.link.path)) {
		errorf("control directory path too long for a unix socket");
		return -ENAMETOOLONG;
	}
	if (mkdir(tpmdir, 0700) && errno != EEXIST) {
		errorf("mkdir %s: %s", tpmdir, strerror(errno));
		return -errno;
	}
	unlink(g.path_sock);
	unlink(ctrl_path);
	snprintf(server, sizeof(server), "type=unixio,path=%s", g.path_sock);
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s", ctrl_path);
	snprintf(state, sizeof(state), "dir=%s", tpmdir);
	snprintf(logarg, sizeof(logarg), "file=%s", logpath);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *argv[] = {
			(char *)g.swtpm_bin, "socket", "--tpm2", "--server", server, "--ctrl", ctrl,
			"--tpmstate", state, "--flags", "not-need-init,startup-clear",
			"--log", logarg, NULL
		};
		sigset_t all;
		int null = open("/dev/null", O_RDWR);

		/* swtpm goes when we go, even on SIGKILL */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			if (!g.log)
				dup2(null, 2);
		}
		execvp(g.swtpm_bin, argv);
		fprintf(stderr, PROG ": exec %s: %s\n", g.swtpm_bin, strerror(errno));
		_exit(127);
	}
	g.swtpm_pid = pid;
	memcpy(g.link.path, g.path_sock, strlen(g.path_sock) + 1);	/* length checked above */
	logf_("started swtpm (pid %d): state %s, log %s", (int)pid, tpmdir, logpath);
	return 0;
}

static void stop_swtpm(void)
{
	int64_t deadline;
	int status;

	if (g.swtpm_pid <= 0)
		return;
	kill(g.swtpm_pid, SIGTERM);
	deadline = mono_ms() + 5000;
	while (waitpid(g.swtpm_pid, &status, WNOHANG) == 0) {
		if (mono_ms() > deadline) {
			logf_("swtpm (pid %d) ignores SIGTERM: SIGKILL", (int)g.swtpm_pid);
			kill(g.swtpm_pid, SIGKILL);
			waitpid(g.swtpm_pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	g.swtpm_pid = 0;
}

/* ---- signals, daemon ------------------------------------------------------------------------------- */

static void handle_signal(void)
{
	struct signalfd_siginfo si;

	while (read(g.sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			int status;

			if (g.swtpm_pid > 0 && waitpid(g.swtpm_pid, &status, WNOHANG) == g.swtpm_pid) {
				errorf("swtpm (pid %d) exited (status 0x%x): stopping", (int)g.swtpm_pid,
				       status);
				g.swtpm_pid = 0;
				g.stop = true;
				g.exit_code = 1;
			}
			continue;
		}
		logf_("signal %u: stopping", si.ssi_signo);
		g.stop = true;
	}
}

static void notify_parent(char status)
{
	if (g.notify_fd < 0)
		return;
	if (write(g.notify_fd, &status, 1) != 1)
		logf_("cannot notify the parent: %s", strerror(errno));
	close(g.notify_fd);
	g.notify_fd = -1;
}

/* Fork; the parent returns only to exit with the child's readiness status. */
static int daemonize(void)
{
	int p[2];
	pid_t pid;
	char st = 1;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };

		close(p[1]);
		if (poll(&pf, 1, PARENT_WAIT_MS) <= 0 || read(p[0], &st, 1) != 1)
			st = 1;
		if (st)
			fprintf(stderr, PROG ": did not start; see %s\n",
				g.log_path ? g.log_path : "the log");
		_exit(st ? 1 : 0);
	}
	close(p[0]);
	g.notify_fd = p[1];
	setsid();
	{
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			if (g.log)
				dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}
	return 0;
}

static bool other_daemon_alive(void)
{
	char buf[32];
	long pid;

	if (read_small_file(g.path_pid, buf, sizeof(buf)))
		return false;
	pid = strtol(buf, NULL, 10);
	return pid > 0 && pid != getpid() && kill((pid_t)pid, 0) == 0;
}

static int setup_control(void)
{
	int r = mkdir_p(g.control_dir, 0755);

	if (r) {
		fprintf(stderr, PROG ": mkdir %s: %s\n", g.control_dir, strerror(-r));
		return r;
	}
	if (ctl_path(g.path_fifo, "control") || ctl_path(g.path_state, "state") ||
	    ctl_path(g.path_pid, "pid"))
		return -ENAMETOOLONG;
	if (other_daemon_alive()) {
		fprintf(stderr, PROG ": another paravisor runs on %s\n", g.control_dir);
		return -EBUSY;
	}
	return 0;
}

static int open_fifo(void)
{
	unlink(g.path_fifo);
	if (mkfifo(g.path_fifo, 0600)) {
		errorf("mkfifo %s: %s", g.path_fifo, strerror(errno));
		return -errno;
	}
	/* read-write so that the FIFO never reports EOF between writers */
	g.fifo_fd = open(g.path_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (g.fifo_fd < 0) {
		errorf("open %s: %s", g.path_fifo, strerror(errno));
		return -errno;
	}
	return 0;
}

/* ---- main loop -------------------------------------------------------------------------------------- */

static void became_ready(void)
{
	char pid[32];
	int n;

	g.ready = true;
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	write_file_atomic(g.path_pid, pid, (size_t)n, 0644);
	write_state(true);
	if (g.kind == GUEST_VTPM)
		logf_("serving /dev/tpm%u and /dev/tpmrm%u", g.tpm_num, g.tpm_num);
	notify_parent(0);
}

static void run(void)
{
	while (!g.stop) {
		struct pollfd pf[5];
		int n = 0, timeout = -1, gi = -1, ci = -1, r;

		pf[n++] = (struct pollfd){ .fd = g.sig_fd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = g.timer_fd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = g.fifo_fd, .events = POLLIN };
		if (g.kind == GUEST_VTPM || g.guest_fd >= 0) {
			gi = n;
			pf[n++] = (struct pollfd){ .fd = g.guest_fd, .events = POLLIN };
		} else {
			gi = n;
			pf[n++] = (struct pollfd){ .fd = g.listen_fd, .events = POLLIN };
		}
		if (g.ctrl_listen_fd >= 0) {
			ci = n;
			pf[n++] = (struct pollfd){ .fd = g.ctrl_listen_fd, .events = POLLIN };
		}
		if (!g.ready)
			timeout = 20;
		else if (g.state_dirty)
			timeout = 100;
		r = poll(pf, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR) {
			errorf("poll: %s", strerror(errno));
			break;
		}
		if (r == 0 && g.state_dirty)
			write_state(true);
		if (r > 0 && pf[0].revents)
			handle_signal();
		if (g.stop)
			break;
		if (r > 0 && pf[1].revents) {
			uint64_t ticks;

			if (read(g.timer_fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
				refresh_timer();
			write_state(true);
		}
		if (r > 0 && pf[2].revents) {
			drain_control();
			write_state(true);
		}
		if (r > 0 && pf[gi].revents) {
			if (g.kind == GUEST_VTPM) {
				if (pf[gi].revents & (POLLERR | POLLHUP | POLLNVAL)) {
					errorf("the kernel closed the vTPM proxy (registration failed?)");
					g.exit_code = 1;
					break;
				}
				if (!serve_vtpm()) {
					g.exit_code = 1;
					break;
				}
			} else if (g.guest_fd >= 0) {
				serve_tcp();
			} else {
				g.guest_fd = accept4(g.listen_fd, NULL, NULL, SOCK_CLOEXEC);
			}
		}
		if (r > 0 && ci >= 0 && pf[ci].revents)
			serve_ctrl();
		if (!g.ready && g.kind == GUEST_VTPM) {
			if (check_ready()) {
				became_ready();
			} else if (mono_ms() > g.ready_deadline) {
				errorf("/dev/tpmrm%u did not appear within %d s", g.tpm_num,
				       READY_TIMEOUT_MS / 1000);
				g.exit_code = 1;
				break;
			}
		}
	}
}

/* ---- options ------------------------------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fputs(
"usage: " PROG " [options] [platform options]\n"
"\n"
"Stand-in for the vTPM of Azure's paravisor (TEST ONLY).  Creates the guest's TPM\n"
"through /dev/vtpmx (module tpm_vtpm_proxy) backed by swtpm, provisions what Azure's\n"
"vTPM holds (EK 0x81010001, AK 0x81000003, AK certificate NV 0x01C101D0, HCL report\n"
"NV 0x01400001) and rebuilds the HCL report after the guest writes 64 bytes of user\n"
"data to NV 0x01400002.  Inner reports come from libsim (tests/sim), signed by TEST keys.\n"
"\n"
"  --platform snp|tdx        hardware report inside the HCL report (default snp)\n"
"  --state-dir DIR           swtpm state and provisioning data (default " DEFAULT_STATE_DIR ")\n"
"  --control DIR             control FIFO, state, pid, swtpm socket and log, exported\n"
"                            files (default " DEFAULT_CONTROL_DIR ")\n"
"  --swtpm PATH              the swtpm program (default: swtpm from PATH)\n"
"  --swtpm-socket PATH       use a running 'swtpm socket --tpm2 --server type=unixio,...'\n"
"                            (started with --flags startup-clear) instead of starting one\n"
"  --listen-tcp HOST:PORT    serve raw TPM commands on TCP instead of /dev/vtpmx (host\n"
"                            tests; tpm2-tools TCTI swtpm:host=HOST,port=PORT)\n"
"  --provision-only          provision the state directory and exit\n"
"  --delay-ms N              refresh delay after a write to NV 0x01400002 (default 500)\n"
"  --report-nv-size N        size of NV 0x01400001 as the guest sees it (default 2600)\n"
"  --hcl-version N           HCL header Version (default 2; the older SNP sample has 1)\n"
"  --no-ek-in-claims         omit HCLEkPub from the runtime claims (older builds)\n"
"  --vm-id UUID              vmUniqueId (default: random, kept in the state directory)\n"
"  --secure-boot on|off      vm-configuration secure-boot (default off)\n"
"  --tpm-persisted on|off    vm-configuration tpm-persisted (default off)\n"
"  --ca-key FILE --ca-cert FILE   AK certificate issuer (default: the compiled-in TEST\n"
"                            \"Azure Virtual TPM CA\" of tests/paravisor/keys)\n"
"  --tpm-timeout SEC         bound on one swtpm command (default 300)\n"
"  -f, --foreground          do not daemonize (default: return once the TPM is up)\n"
"  --log FILE                log here (default: stderr; DIR/log when daemonized)\n"
"  --trace                   log every command\n"
"  -h, --help\n"
"\n"
"Control (echo CMD > DIR/control): delay_ms N, never_refresh [on|off],\n"
"corrupt_header [on|off], undefine_report [on|off], refresh, clear.  State: DIR/state.\n"
"\n", out);
	sim_config_usage(out);
}

enum {
	O_PLATFORM = 0x100, O_STATE_DIR, O_CONTROL, O_SWTPM, O_SWTPM_SOCKET, O_LISTEN,
	O_PROVISION_ONLY, O_DELAY, O_NV_SIZE, O_HCL_VERSION, O_NO_EK, O_VM_ID, O_SECURE_BOOT,
	O_TPM_PERSISTED, O_CA_KEY, O_CA_CERT, O_TPM_TIMEOUT, O_LOG, O_TRACE,
};

static const struct option own_options[] = {
	{ "platform", required_argument, NULL, O_PLATFORM },
	{ "state-dir", required_argument, NULL, O_STATE_DIR },
	{ "control", required_argument, NULL, O_CONTROL },
	{ "swtpm", required_argument, NULL, O_SWTPM },
	{ "swtpm-socket", required_argument, NULL, O_SWTPM_SOCKET },
	{ "listen-tcp", required_argument, NULL, O_LISTEN },
	{ "provision-only", no_argument, NULL, O_PROVISION_ONLY },
	{ "delay-ms", required_argument, NULL, O_DELAY },
	{ "report-nv-size", required_argument, NULL, O_NV_SIZE },
	{ "hcl-version", required_argument, NULL, O_HCL_VERSION },
	{ "no-ek-in-claims", no_argument, NULL, O_NO_EK },
	{ "vm-id", required_argument, NULL, O_VM_ID },
	{ "secure-boot", required_argument, NULL, O_SECURE_BOOT },
	{ "tpm-persisted", required_argument, NULL, O_TPM_PERSISTED },
	{ "ca-key", required_argument, NULL, O_CA_KEY },
	{ "ca-cert", required_argument, NULL, O_CA_CERT },
	{ "tpm-timeout", required_argument, NULL, O_TPM_TIMEOUT },
	{ "foreground", no_argument, NULL, 'f' },
	{ "log", required_argument, NULL, O_LOG },
	{ "trace", no_argument, NULL, O_TRACE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_args(int argc, char **argv, struct sim_config_args *cfg)
{
	struct option *longopts = sim_config_long_options(own_options);
	unsigned long v;
	bool b;
	int opt, ret = -EINVAL;

	if (!longopts)
		return -ENOMEM;
	while ((opt = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (opt) {
		case O_PLATFORM:
			if (!strcmp(optarg, "snp"))
				g.report_type = HCL_REPORT_TYPE_SNP;
			else if (!strcmp(optarg, "tdx"))
				g.report_type = HCL_REPORT_TYPE_TDX;
			else
				goto bad;
			break;
		case O_STATE_DIR:
			g.state_dir = optarg;
			break;
		case O_CONTROL:
			g.control_dir = optarg;
			break;
		case O_SWTPM:
			g.swtpm_bin = optarg;
			break;
		case O_SWTPM_SOCKET:
			g.swtpm_socket = optarg;
			break;
		case O_LISTEN:
			g.listen = optarg;
			break;
		case O_PROVISION_ONLY:
			g.provision_only = true;
			break;
		case O_DELAY:
			if (parse_uint(optarg, MAX_DELAY_MS, &v))
				goto bad;
			g.delay_ms = (unsigned int)v;
			break;
		case O_NV_SIZE:
			if (parse_uint(optarg, UINT16_MAX, &v) || v < HCL_RT_VARIABLE_DATA)
				goto bad;
			g.report_nv_size = (uint16_t)v;
			break;
		case O_HCL_VERSION:
			if (parse_uint(optarg, UINT32_MAX, &v))
				goto bad;
			g.hcl_version = (uint32_t)v;
			break;
		case O_NO_EK:
			g.ek_in_claims = false;
			break;
		case O_VM_ID:
			if (strlen(optarg) >= sizeof(g.vm_id))
				goto bad;
			g.vm_id_opt = optarg;
			break;
		case O_SECURE_BOOT:
			if (parse_switch(optarg, &b))
				goto bad;
			g.vm.secure_boot = b;
			break;
		case O_TPM_PERSISTED:
			if (parse_switch(optarg, &b))
				goto bad;
			g.vm.tpm_persisted = b;
			break;
		case O_CA_KEY:
			g.ca_key_path = optarg;
			break;
		case O_CA_CERT:
			g.ca_cert_path = optarg;
			break;
		case O_TPM_TIMEOUT:
			if (parse_uint(optarg, 3600, &v) || !v)
				goto bad;
			g.tpm_timeout_ms = (int)v * 1000;
			break;
		case 'f':
			g.foreground = true;
			break;
		case O_LOG:
			g.log_path = optarg;
			break;
		case O_TRACE:
			g.trace = true;
			break;
		case 'h':
			usage(stdout);
			ret = 1;
			goto out;
		default:
			if (sim_config_collect(cfg, opt, optarg))
				goto bad;
			break;
		}
	}
	if (optind != argc)
		goto bad;
	if (!g.ca_key_path != !g.ca_cert_path) {
		fprintf(stderr, PROG ": --ca-key and --ca-cert go together\n");
		goto out;
	}
	ret = 0;
	goto out;
bad:
	fprintf(stderr, PROG ": bad arguments (try --help)\n");
out:
	free(longopts);
	return ret;
}

static int setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	g.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return g.sig_fd < 0 ? -errno : 0;
}

static void cleanup(void)
{
	if (g.guest_fd >= 0)
		close(g.guest_fd);	/* the kernel unregisters /dev/tpmN */
	g.guest_fd = -1;
	if (g.listen_fd >= 0)
		close(g.listen_fd);
	if (g.ctrl_listen_fd >= 0)
		close(g.ctrl_listen_fd);
	if (g.tpm_ok && g.swtpm_pid > 0 && g.link.fd >= 0) {
		TSS2_RC rc = pv_tpm_shutdown(&g.tpm);	/* orderly: no DA penalty next time */

		if (rc)
			logf_("TPM2_Shutdown: rc 0x%x", rc);
	}
	pv_link_close(&g.link);
	stop_swtpm();
	if (g.tpm_ok)
		pv_tpm_done(&g.tpm);
	if (g.fifo_fd >= 0) {
		close(g.fifo_fd);
		unlink(g.path_fifo);
	}
	if (g.timer_fd >= 0)
		close(g.timer_fd);
	if (g.ready) {
		g.ready = false;
		write_state(false);
		unlink(g.path_pid);
	} else if (g.path_state[0]) {
		write_state(false);
	}
	if (g.sig_fd >= 0)
		close(g.sig_fd);
	free(g.report);
	free(g.thumbprint);
	EVP_PKEY_free(g.ca_key);
	X509_free(g.ca_cert);
	sim_keys_free(g.keys);
	logf_("stopped");
	if (g.log)
		fclose(g.log);
}

int main(int argc, char **argv)
{
	struct sim_config_args cfg = { 0 };
	char logdefault[PATH_MAX];
	int r;

	r = parse_args(argc, argv, &cfg);
	if (r)
		return r > 0 ? 0 : 2;
	g.delay_ms_initial = g.delay_ms;
	g.kind = g.listen ? GUEST_TCP : GUEST_VTPM;
	if (sim_config_apply(&cfg, &g.snp, &g.tdx)) {
		fprintf(stderr, PROG ": bad platform option (try --help)\n");
		return 2;
	}
	if (setup_control())
		return 1;
	if (!g.log_path && !g.foreground && !ctl_path(logdefault, "log"))
		g.log_path = logdefault;
	if (g.log_path) {
		g.log = fopen(g.log_path, "ae");
		if (!g.log) {
			fprintf(stderr, PROG ": %s: %s\n", g.log_path, strerror(errno));
			return 1;
		}
	}
	sim_set_log(sim_log_hook);
	r = mkdir_p(g.state_dir, 0700);
	if (r) {
		fprintf(stderr, PROG ": mkdir %s: %s\n", g.state_dir, strerror(-r));
		return 1;
	}
	if (!g.foreground && !g.provision_only && daemonize()) {
		fprintf(stderr, PROG ": cannot daemonize\n");
		return 1;
	}
	g.exit_code = 1;
	g.link.timeout_ms = g.tpm_timeout_ms;
	g.report = calloc(1, g.report_nv_size);
	if (!g.report || setup_signals())
		goto out;
	g.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (g.timer_fd < 0)
		goto out;
	if (sim_keys_load(NULL, &g.keys)) {
		errorf("cannot load the libsim test keys");
		goto out;
	}
	if (pv_ca_load(g.ca_key_path, g.ca_cert_path, &g.ca_key, &g.ca_cert)) {
		errorf("cannot load the AK certificate CA");
		goto out;
	}
	if (pv_cert_thumbprint(g.ca_cert, &g.thumbprint))
		goto out;
	g.vm.root_cert_thumbprint = g.thumbprint;
	if (ensure_vm_id())
		goto out;
	g.vm.vm_unique_id = g.vm_id;

	if (g.swtpm_socket) {
		if (strlen(g.swtpm_socket) >= sizeof(g.link.path)) {
			errorf("--swtpm-socket: path too long");
			goto out;
		}
		memcpy(g.link.path, g.swtpm_socket, strlen(g.swtpm_socket) + 1);
	} else if (start_swtpm()) {
		goto out;
	}
	for (int i = 0; i < 100; i++) {		/* 10 s, noticing a swtpm that died */
		int status;

		r = pv_link_connect(&g.link, 100);
		if (!r || r == -ENAMETOOLONG)
			break;
		if (g.swtpm_pid > 0 && waitpid(g.swtpm_pid, &status, WNOHANG) == g.swtpm_pid) {
			errorf("swtpm exited (status 0x%x) before accepting connections; see %s/swtpm.log",
			       status, g.control_dir);
			g.swtpm_pid = 0;
			goto out;
		}
	}
	if (r) {
		errorf("cannot connect to swtpm at %s: %s", g.link.path, strerror(-r));
		goto out;
	}
	if (pv_tpm_init(&g.tpm, &g.link))
		goto out;
	g.tpm_ok = true;
	if (provision())
		goto out;
	if (g.provision_only) {
		g.exit_code = 0;
		goto out;
	}
	if (open_fifo())
		goto out;
	r = g.kind == GUEST_VTPM ? open_vtpm() : open_listen();
	if (r)
		goto out;
	if (g.ready)
		became_ready();
	g.exit_code = 0;
	run();
out:
	notify_parent(1);
	cleanup();
	return g.exit_code;
}
