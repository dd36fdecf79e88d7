// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cvmattest status: cvm_state_read() against fake machines built in a
 * directory (the module's sysfs files, /proc/sys/kernel/osrelease,
 * modules.dep, /sys/module/cvmattest, device nodes, DMI), its diagnosis for
 * each way attestation cannot work, the three output formats checked value
 * by value against the files, the GET_STATUS netlink reply built with
 * libnl's message API, and the command's exit codes.
 *
 * Linked with -Wl,--wrap=ioctl: __wrap_ioctl() answers CVMATTEST_IOC_INFO
 * for the fake /dev/cvmattest (a regular file in the tree).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/cvmattest.h>

#include "libcvmattest-status.h"
#include "base/macro.h"
#include "testutil.h"

/* ---- /dev/cvmattest stand-in -------------------------------------------------- */

int __wrap_ioctl(int fd, unsigned long req, ...);
int __real_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct cvmattest_info *i;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req != CVMATTEST_IOC_INFO)
		return __real_ioctl(fd, req, arg);
	i = arg;
	if (i->size < CVMATTEST_INFO_SIZE_VER0) {
		errno = EINVAL;
		return -1;
	}
	i->abi_version = CVMATTEST_ABI_VERSION;
	i->provider = CVMATTEST_PROVIDER_SNP;
	i->platform = CVMATTEST_PLATFORM_SEV_SNP;
	i->caps = CVMATTEST_CAP_CERTS | CVMATTEST_CAP_PRIVLEVEL;
	i->evidence_max = 1184;
	i->certs_max = 16384;
	i->privlevel_floor = 0;
	i->privlevel_max = 3;
	strcpy(i->provider_name, "snp");
	return 0;
}

/* ---- fake machines -------------------------------------------------------------- */

#define NOW 1700001000
#define MEAS "5a5a5a5a000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b"

/* A healthy SEV-SNP guest, verified an hour ago, token valid for 7 more hours. */
static const char *const healthy_snp[][2] = {
	{ "platform", "sev-snp" },
	{ "provider", "snp" },
	{ "mem_encrypt", "1" },
	{ "sev", "1" },
	{ "sev_es", "1" },
	{ "sev_snp", "1" },
	{ "tdx", "0" },
	{ "secure_boot", "enabled" },
	{ "lockdown", "integrity" },
	{ "module_sig_enforce", "1" },
	{ "tpm", "2.0" },
	{ "launch_debug", "0" },
	{ "launch_measurement", MEAS },
	{ "launch_policy", "0x0000000000030000" },
	{ "launch_tcb", "7300000000000803" },
	{ "launch_report_version", "3" },
	{ "requests", "5" },
	{ "errors", "0" },
	{ "retries", "0" },
	{ "last_error", "0" },
	{ "last_error_time", "0" },
	{ "attestation_state", "verified" },
	{ "attestation_time", "1699997400" },
	{ "attestation_verifier", "https://sharedeus.eus.attest.azure.net" },
	{ "attestation_expiry", "1700026200" },
	{ "attestation_reason", "" },
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void mkdir_p(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static void put(const char *root, const char *rel, const char *content)
{
	char p[4096], *slash;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	slash = strrchr(p, '/');
	*slash = '\0';
	mkdir_p(p);
	*slash = '/';
	f = fopen(p, "w");
	if (!f)
		fail_msg("cannot write %s: %s", p, strerror(errno));
	fprintf(f, "%s", content);
	assert_int_equal(fclose(f), 0);
}

static void unput(const char *root, const char *rel)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	remove(p);
}

/* sysfs shows each value with a newline, as the module's sysfs_emit() does */
static void put_value(const char *root, const char *name, const char *v)
{
	char rel[256], text[512];

	snprintf(rel, sizeof(rel), "sys/kernel/cvmattest/%s", name);
	snprintf(text, sizeof(text), "%s\n", v);
	put(root, rel, text);
}

static char roots[32][4096];
static size_t n_roots;

/* The fake machines go when the tests are done (kept with CVMATTEST_TEST_KEEP=1). */
static int remove_roots(void **state)
{
	(void)state;
	if (getenv("CVMATTEST_TEST_KEEP"))
		return 0;
	for (size_t i = 0; i < n_roots; i++)
		nftw(roots[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char *new_root(const char *name)
{
	char *p;

	assert_true(n_roots < ELEMENTSOF(roots));
	p = roots[n_roots++];
	snprintf(p, sizeof(roots[0]), "%s/status-%d-%s", tmp_dir(), (int)getpid(), name);
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdir_p(p);
	put(p, "proc/sys/kernel/osrelease", "6.1.0-test-amd64\n");
	put(p, "lib/modules/6.1.0-test-amd64/modules.dep",
	    "kernel/drivers/virt/coco/sev-guest/sev-guest.ko:\n"
	    "updates/dkms/cvmattest.ko.xz: kernel/drivers/char/tpm/tpm.ko\n");
	return p;
}

static const char *snp_machine(const char *name)
{
	const char *root = new_root(name);

	for (size_t i = 0; i < ELEMENTSOF(healthy_snp); i++)
		put_value(root, healthy_snp[i][0], healthy_snp[i][1]);
	put(root, "sys/module/cvmattest/taint", "O\n");
	put(root, "sys/module/cvmattest/parameters/provider", "auto\n");
	put(root, "dev/sev-guest", "");
	put(root, "dev/tpmrm0", "");
	return root;
}

static void read_state(const char *root, bool device, struct cvm_state *st)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_state_source src = { .root = root, .no_device = !device, .now = NOW };

	assert_int_equal(cvm_state_read(ctx, &src, st), 0);
	cvm_ctx_free(ctx);
}

static const struct cvm_finding *finding(const struct cvm_state *st, const char *id)
{
	for (size_t i = 0; i < st->n_findings; i++)
		if (strcmp(st->findings[i].id, id) == 0)
			return &st->findings[i];
	return NULL;
}

static void assert_finding(const struct cvm_state *st, const char *id, enum cvm_severity sev,
			   const char *why_has, const char *fix_has)
{
	const struct cvm_finding *f = finding(st, id);

	if (!f)
		fail_msg("no finding \"%s\" (%zu findings, first: %s)", id, st->n_findings,
			 st->n_findings ? st->findings[0].id : "-");
	assert_int_equal(f->severity, sev);
	if (why_has && !strstr(f->why, why_has))
		fail_msg("finding %s: \"%s\" not in \"%s\"", id, why_has, f->why);
	if (fix_has && !strstr(f->fix, fix_has))
		fail_msg("finding %s: fix \"%s\" not in \"%s\"", id, fix_has, f->fix);
}

static size_t count_severity(const struct cvm_state *st, enum cvm_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_findings; i++)
		n += st->findings[i].severity == sev;
	return n;
}

static json_t *state_json(const struct cvm_state *st)
{
	char *text;
	json_t *o;

	assert_int_equal(cvm_state_to_json(st, &text), 0);
	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(o);
	free(text);
	return o;
}

static char *state_text(const struct cvm_state *st, int (*fmt)(const struct cvm_state *, char **))
{
	char *text;

	assert_int_equal(fmt(st, &text), 0);
	return text;
}

/*
 * Each JSON field named after a sysfs file says what the file says: a
 * boolean for 0/1, a number for numbers, the same string otherwise, null
 * for "unknown" launch values.
 */
static void assert_json_matches_files(json_t *o, const char *root)
{
	for (int f = 0; f < _CVM_SF_MAX; f++) {
		const char *name = cvm_state_field_name(f);
		json_t *v = json_object_get(o, name);
		char path[4096], file[512], got[512];
		FILE *fp;
		size_t n;

		assert_non_null(v);
		snprintf(path, sizeof(path), "%s/sys/kernel/cvmattest/%s", root, name);
		fp = fopen(path, "r");
		assert_non_null(fp);
		n = fread(file, 1, sizeof(file) - 1, fp);
		fclose(fp);
		file[n] = '\0';
		if (n && file[n - 1] == '\n')
			file[n - 1] = '\0';

		if (json_is_boolean(v))
			snprintf(got, sizeof(got), "%d", json_is_true(v));
		else if (json_is_integer(v))
			snprintf(got, sizeof(got), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (json_is_string(v))
			snprintf(got, sizeof(got), "%s", json_string_value(v));
		else if (json_is_null(v))
			snprintf(got, sizeof(got), "unknown");
		else
			fail_msg("%s: unexpected JSON type", name);
		if (strcmp(got, file) != 0)
			fail_msg("%s: JSON says \"%s\", the file \"%s\"", name, got, file);
	}
}

/*
 * Node-exporter text format: every sample belongs to a metric announced
 * by # HELP and # TYPE just before, names are cvmattest_*, counters end
 * in _total, values are integers, label values quoted.
 */
static void assert_prometheus_format(const char *text)
{
	char *copy = strdup(text), *save = NULL, cur[128] = "", type[16] = "";
	bool help = false;

	assert_non_null(copy);
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[128];
		size_t n;

		if (sscanf(l, "# HELP %127s", name) == 1) {
			snprintf(cur, sizeof(cur), "%s", name);
			help = true;
			type[0] = '\0';
			continue;
		}
		if (sscanf(l, "# TYPE %127s %15s", name, type) == 2) {
			assert_string_equal(name, cur);
			assert_true(help);
			assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0);
			continue;
		}
		assert_true(l[0] != '#');
		n = strcspn(l, "{ ");
		assert_true(n < sizeof(name));
		memcpy(name, l, n);
		name[n] = '\0';
		if (strcmp(name, cur) != 0)
			fail_msg("sample \"%s\" without its # HELP/# TYPE", l);
		assert_true(strncmp(name, "cvmattest_", 10) == 0);
		if (strcmp(type, "counter") == 0)
			assert_non_null(strstr(name, "_total"));
		if (l[n] == '{') {
			const char *end = strstr(l, "} ");

			assert_non_null(end);
			assert_true(l[n + 1] != '}');
			n = (size_t)(end - l) + 1;
		}
		assert_true(l[n] == ' ');
		{
			char *e;

			strtoll(l + n + 1, &e, 10);
			if (*e || e == l + n + 1)
				fail_msg("bad value in \"%s\"", l);
		}
	}
	free(copy);
}

static void assert_has_line(const char *text, const char *line)
{
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[strlen(line)] == '\n')
			return;
	fail_msg("line \"%s\" not in:\n%s", line, text);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_healthy_snp(void **state)
{
	const char *root = snp_machine("healthy");
	struct cvm_state st;
	char *text, *prom;
	json_t *o;

	(void)state;
	read_state(root, false, &st);
	assert_true(st.module_loaded);
	assert_int_equal(st.module_installed, 1);
	assert_int_equal(st.module_unsigned, 0);
	assert_string_equal(st.kernel_release, "6.1.0-test-amd64");
	assert_string_equal(st.source, "sysfs");
	for (int f = 0; f < _CVM_SF_MAX; f++)
		assert_true(cvm_state_has(&st, f));
	assert_string_equal(st.platform, "sev-snp");
	assert_string_equal(st.provider, "snp");
	assert_true(st.mem_encrypt && st.sev && st.sev_es && st.sev_snp && !st.tdx);
	assert_false(st.launch_debug);
	assert_string_equal(st.launch_measurement, MEAS);
	assert_int_equal(st.launch_policy, 0x30000);
	assert_int_equal(st.launch_report_version, 3);
	assert_int_equal(st.requests, 5);
	assert_int_equal(st.attestation_expiry, 1700026200);
	assert_int_equal(st.verdict, CVM_VERDICT_OK);
	assert_int_equal(count_severity(&st, CVM_FINDING_BLOCKER), 0);
	assert_int_equal(count_severity(&st, CVM_FINDING_WARNING), 0);
	assert_false(st.device_queried);

	o = state_json(&st);
	assert_json_matches_files(o, root);
	assert_true(json_is_true(json_object_get(o, "module_loaded")));
	assert_true(json_is_true(json_object_get(o, "can_attest")));
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "ok");
	assert_true(json_is_false(json_object_get(o, "attestation_expired")));
	assert_int_equal(json_integer_value(json_object_get(o, "attestation_expires_in")),
			 1700026200 - NOW);
	assert_int_equal(json_integer_value(json_object_get(o, "time")), NOW);
	assert_true(json_is_null(json_object_get(o, "device")));
	assert_true(json_is_null(json_object_get(o, "last_error_name")));
	assert_true(json_is_array(json_object_get(o, "findings")));
	json_decref(o);

	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "Platform:           sev-snp, provider snp\n"));
	assert_non_null(strstr(text, "debug not allowed, report version 3"));
	assert_non_null(strstr(text, "Secure Boot:        enabled\n"));
	assert_non_null(strstr(text, "https://sharedeus.eus.attest.azure.net"));
	assert_non_null(strstr(text, "token expires     2023-11-15 05:30:00 UTC (in 7h 0m)"));
	assert_non_null(strstr(text, "verified at 2023-11-14 21:30:00 UTC (1h 0m ago)"));
	assert_non_null(strstr(text, "\nAttestation can work here.\n"));
	assert_null(strstr(text, "cannot"));
	free(text);

	prom = state_text(&st, cvm_state_to_prometheus);
	assert_prometheus_format(prom);
	assert_has_line(prom, "cvmattest_up 1");
	assert_has_line(prom, "cvmattest_info{kernel=\"6.1.0-test-amd64\",platform=\"sev-snp\","
			      "provider=\"snp\",secure_boot=\"enabled\",lockdown=\"integrity\","
			      "tpm=\"2.0\"} 1");
	assert_has_line(prom, "cvmattest_launch_debug 0");
	assert_has_line(prom, "cvmattest_sev_snp 1");
	assert_has_line(prom, "cvmattest_secure_boot 1");
	assert_has_line(prom, "cvmattest_lockdown{mode=\"integrity\"} 1");
	assert_has_line(prom, "cvmattest_lockdown{mode=\"none\"} 0");
	assert_has_line(prom, "cvmattest_attestation_state{state=\"verified\"} 1");
	assert_has_line(prom, "cvmattest_attestation_state{state=\"failed\"} 0");
	assert_has_line(prom, "cvmattest_attestation_expiry_seconds 1700026200");
	assert_has_line(prom, "cvmattest_requests_total 5");
	assert_has_line(prom, "cvmattest_can_attest 1");
	assert_has_line(prom, "cvmattest_verdict{verdict=\"ok\"} 1");
	assert_has_line(prom, "cvmattest_launch_info{measurement=\"" MEAS "\",policy=\"0x0000000000030000\","
			      "tcb=\"7300000000000803\",report_version=\"3\"} 1");
	free(prom);
}

static void test_debug_guest(void **state)
{
	const char *root = snp_machine("debug");
	struct cvm_state st;
	char *text;
	json_t *o;

	(void)state;
	put_value(root, "launch_debug", "1");
	put_value(root, "launch_policy", "0x00000000000b0000");
	read_state(root, false, &st);
	assert_true(st.launch_debug);
	assert_int_equal(st.verdict, CVM_VERDICT_CANNOT);
	assert_finding(&st, "debug-guest", CVM_FINDING_BLOCKER, "bit 19", "relaunch");
	assert_string_equal(st.findings[0].id, "debug-guest");	/* blockers first */

	o = state_json(&st);
	assert_json_matches_files(o, root);
	assert_true(json_is_true(json_object_get(o, "launch_debug")));
	assert_true(json_is_false(json_object_get(o, "can_attest")));
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "cannot-attest");
	json_decref(o);
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "DEBUG ALLOWED"));
	assert_non_null(strstr(text, "Attestation cannot work here:\n  - this guest can be debugged"));
	assert_non_null(strstr(text, "    To fix: relaunch"));
	free(text);
	text = state_text(&st, cvm_state_to_prometheus);
	assert_has_line(text, "cvmattest_launch_debug 1");
	assert_has_line(text, "cvmattest_can_attest 0");
	assert_has_line(text, "cvmattest_finding{id=\"debug-guest\",severity=\"blocker\"} 1");
	free(text);

	/* the same on TDX names TD_ATTRIBUTES */
	put_value(root, "platform", "tdx");
	put_value(root, "provider", "tdx");
	put_value(root, "launch_policy", "0x0000000010000001");
	read_state(root, false, &st);
	assert_finding(&st, "debug-guest", CVM_FINDING_BLOCKER, "TD_ATTRIBUTES.DEBUG",
		       "TD_ATTRIBUTES.DEBUG = 0");
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "  TD attributes     0x0000000010000001\n"));
	free(text);
}

static void test_module_absent(void **state)
{
	const char *root = new_root("absent");
	struct cvm_state st;
	char *text;
	json_t *o;

	(void)state;
	/* an SNP guest (its driver is there), the module installed (DKMS, compressed), not loaded */
	put(root, "dev/sev-guest", "");
	read_state(root, true, &st);
	assert_false(st.module_loaded);
	assert_int_equal(st.module_installed, 1);
	assert_int_equal(st.present, 0);
	assert_int_equal(st.device_error, -ENOENT);
	assert_int_equal(st.verdict, CVM_VERDICT_CANNOT);
	assert_int_equal(st.n_findings, 2);
	assert_finding(&st, "module-less", CVM_FINDING_INFO, "no configfs-tsm", NULL);
	assert_finding(&st, "module-not-loaded", CVM_FINDING_BLOCKER, "6.1.0-test-amd64",
		       "modprobe cvmattest");
	o = state_json(&st);
	assert_true(json_is_false(json_object_get(o, "module_loaded")));
	assert_true(json_is_true(json_object_get(o, "module_installed")));
	for (int f = 0; f < _CVM_SF_MAX; f++)
		assert_true(json_is_null(json_object_get(o, cvm_state_field_name(f))));
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "device"), "error")),
			    "ENOENT");
	json_decref(o);
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "cvmattest NOT loaded (kernel 6.1.0-test-amd64; installed: yes)"));
	assert_null(strstr(text, "Platform:"));
	free(text);
	text = state_text(&st, cvm_state_to_prometheus);
	assert_prometheus_format(text);
	assert_has_line(text, "cvmattest_up 0");
	assert_has_line(text, "cvmattest_module_installed 1");
	assert_null(strstr(text, "cvmattest_info"));
	free(text);

	/* locked down: the fix says why modprobe may fail */
	put(root, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	read_state(root, false, &st);
	assert_finding(&st, "module-not-loaded", CVM_FINDING_BLOCKER, NULL,
		       "Key was rejected by service");

	/* not installed at all */
	put(root, "lib/modules/6.1.0-test-amd64/modules.dep", "kernel/fs/ext4/ext4.ko:\n");
	read_state(root, false, &st);
	assert_int_equal(st.module_installed, 0);
	assert_finding(&st, "module-not-installed", CVM_FINDING_BLOCKER, "not installed",
		       "sudo apt install cvmattest-dkms (builds cvmattest.ko for this kernel with DKMS");
	assert_finding(&st, "module-not-installed", CVM_FINDING_BLOCKER, NULL,
		       "linux-headers-6.1.0-test-amd64), then sudo modprobe cvmattest");
	assert_finding(&st, "module-not-installed", CVM_FINDING_BLOCKER, NULL, "make dkms-install");
	assert_non_null(strstr(finding(&st, "module-not-installed")->fix, "signed"));

	/* a name that only looks alike */
	put(root, "lib/modules/6.1.0-test-amd64/modules.dep", "extra/notcvmattest.ko:\nextra/cvmattest.kox:\n");
	read_state(root, false, &st);
	assert_int_equal(st.module_installed, 0);

	/* no modules.dep: unknown, and still what to do */
	unput(root, "lib/modules/6.1.0-test-amd64/modules.dep");
	read_state(root, false, &st);
	assert_int_equal(st.module_installed, -1);
	assert_finding(&st, "module-not-loaded", CVM_FINDING_BLOCKER, NULL, "make dkms-install");
}

static void test_provider_none(void **state)
{
	const char *root = snp_machine("none");
	struct cvm_state st;

	(void)state;
	put_value(root, "provider", "none");
	for (const char *const *l = (const char *const[]){ "launch_debug", "launch_measurement",
			"launch_policy", "launch_tcb", "launch_report_version", NULL }; *l; l++)
		put_value(root, *l, "unknown");

	/* an SNP guest without sev-guest loaded */
	unput(root, "dev/sev-guest");
	read_state(root, false, &st);
	assert_false(cvm_state_has(&st, CVM_SF_LAUNCH_DEBUG));
	assert_false(cvm_state_has(&st, CVM_SF_LAUNCH_MEASUREMENT));
	assert_int_equal(st.verdict, CVM_VERDICT_CANNOT);
	assert_finding(&st, "platform-driver-missing", CVM_FINDING_BLOCKER, "/dev/sev-guest",
		       "modprobe sev-guest");
	assert_null(finding(&st, "no-evidence"));	/* one cause, said once */

	/* TDX without tdx-guest */
	put_value(root, "platform", "tdx");
	put_value(root, "sev_snp", "0");
	put_value(root, "tdx", "1");
	read_state(root, false, &st);
	assert_finding(&st, "platform-driver-missing", CVM_FINDING_BLOCKER, "/dev/tdx_guest",
		       "modprobe tdx-guest");

	/* provider=none at load */
	put(root, "sys/module/cvmattest/parameters/provider", "none\n");
	read_state(root, false, &st);
	assert_finding(&st, "provider-disabled", CVM_FINDING_BLOCKER, "provider=none", "rmmod");
	put(root, "sys/module/cvmattest/parameters/provider", "auto\n");

	/* the node is there but no provider took it */
	put(root, "dev/tdx_guest", "");
	read_state(root, false, &st);
	assert_finding(&st, "provider-probe-failed", CVM_FINDING_BLOCKER, "/dev/tdx_guest", "dmesg");
	unput(root, "dev/tdx_guest");

	/* not a CVM at all */
	put_value(root, "platform", "none");
	put_value(root, "tdx", "0");
	put_value(root, "mem_encrypt", "0");
	put_value(root, "sev", "0");
	put_value(root, "sev_es", "0");
	put_value(root, "tpm", "none");
	unput(root, "dev/tpmrm0");
	read_state(root, false, &st);
	assert_finding(&st, "not-a-cvm", CVM_FINDING_BLOCKER, "not a confidential VM",
		       "SEV-SNP or Intel TDX");
	assert_null(finding(&st, "secure-boot-off"));

	/* an Azure VM without a TPM; with one but no CVM report */
	put(root, "sys/class/dmi/id/chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77\n");
	read_state(root, false, &st);
	assert_true(st.azure);
	assert_finding(&st, "no-tpm", CVM_FINDING_BLOCKER, "vTPM", "tpm_crb");
	put_value(root, "tpm", "2.0");
	read_state(root, false, &st);
	assert_finding(&st, "not-a-cvm", CVM_FINDING_BLOCKER, "Trusted Launch", "ConfidentialVM");
}

static void test_attestation_outcomes(void **state)
{
	const char *root = snp_machine("outcomes");
	struct cvm_state st;
	char *text;
	json_t *o;

	(void)state;
	/* failed, with the reason */
	put_value(root, "attestation_state", "failed");
	put_value(root, "attestation_expiry", "0");
	put_value(root, "attestation_reason", "policy: x-ms-sevsnpvm-is-debuggable is true");
	read_state(root, false, &st);
	assert_int_equal(st.verdict, CVM_VERDICT_ATTENTION);
	assert_finding(&st, "attestation-failed", CVM_FINDING_WARNING,
		       "x-ms-sevsnpvm-is-debuggable is true", "cvmattest attest");
	assert_non_null(strstr(finding(&st, "attestation-failed")->why, "sharedeus"));
	o = state_json(&st);
	assert_json_matches_files(o, root);
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "attention");
	assert_true(json_is_true(json_object_get(o, "can_attest")));
	assert_true(json_is_null(json_object_get(o, "attestation_expired")));
	json_decref(o);
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "Attestation can work here, but needs attention:\n"));
	assert_non_null(strstr(text, "  reason            policy: x-ms-sevsnpvm-is-debuggable is true\n"));
	free(text);
	text = state_text(&st, cvm_state_to_prometheus);
	assert_has_line(text, "cvmattest_attestation_state{state=\"failed\"} 1");
	assert_has_line(text, "cvmattest_attestation_info{verifier=\"https://sharedeus.eus.attest.azure.net\","
			      "reason=\"policy: x-ms-sevsnpvm-is-debuggable is true\"} 1");
	free(text);

	/* verified, token expired two hours ago */
	put_value(root, "attestation_state", "verified");
	put_value(root, "attestation_reason", "");
	put_value(root, "attestation_expiry", "1699993800");
	read_state(root, false, &st);
	assert_int_equal(st.verdict, CVM_VERDICT_ATTENTION);
	assert_finding(&st, "token-expired", CVM_FINDING_WARNING, "(2h 0m ago)", "attest again");
	o = state_json(&st);
	assert_true(json_is_true(json_object_get(o, "attestation_expired")));
	assert_int_equal(json_integer_value(json_object_get(o, "attestation_expires_in")), -7200);
	json_decref(o);
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "  token expired     2023-11-14 20:30:00 UTC (2h 0m ago)\n"));
	free(text);

	/* expiry exactly now counts as expired; a second later it is not */
	put_value(root, "attestation_expiry", "1700001000");
	read_state(root, false, &st);
	assert_non_null(finding(&st, "token-expired"));
	put_value(root, "attestation_expiry", "1700001001");
	read_state(root, false, &st);
	assert_null(finding(&st, "token-expired"));
	assert_int_equal(st.verdict, CVM_VERDICT_OK);

	/* nothing reported yet: a note, no warning */
	put_value(root, "attestation_state", "unknown");
	put_value(root, "attestation_time", "0");
	put_value(root, "attestation_verifier", "");
	put_value(root, "attestation_expiry", "0");
	read_state(root, false, &st);
	assert_int_equal(st.verdict, CVM_VERDICT_OK);
	assert_finding(&st, "not-attested", CVM_FINDING_INFO, "no attestation", "cvmattest attest");
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "Attestation:        none reported yet\n"));
	assert_non_null(strstr(text, "Notes:\n  - no attestation"));
	free(text);
}

static void test_errors_and_signing(void **state)
{
	const char *root = snp_machine("errors");
	struct cvm_state st;
	json_t *o;

	(void)state;
	/* the platform refused: no launch evidence, last error -EIO */
	for (const char *const *l = (const char *const[]){ "launch_debug", "launch_measurement",
			"launch_policy", "launch_tcb", "launch_report_version", NULL }; *l; l++)
		put_value(root, *l, "unknown");
	put_value(root, "errors", "2");
	put_value(root, "last_error", "-5");
	put_value(root, "last_error_time", "1700000000");
	read_state(root, false, &st);
	assert_int_equal(st.verdict, CVM_VERDICT_CANNOT);
	assert_finding(&st, "no-evidence", CVM_FINDING_BLOCKER, "-5 (EIO)", "VMPCK");
	assert_finding(&st, "evidence-errors", CVM_FINDING_INFO, "2 of 5", "dmesg");
	o = state_json(&st);
	assert_json_matches_files(o, root);
	assert_string_equal(json_string_value(json_object_get(o, "last_error_name")), "EIO");
	assert_true(json_is_null(json_object_get(o, "launch_measurement")));
	json_decref(o);

	/* Secure Boot on, module unsigned (taint E): a warning */
	root = snp_machine("unsigned");
	put(root, "sys/module/cvmattest/taint", "OE\n");
	read_state(root, false, &st);
	assert_int_equal(st.module_unsigned, 1);
	assert_int_equal(st.verdict, CVM_VERDICT_ATTENTION);
	assert_finding(&st, "unsigned-module", CVM_FINDING_WARNING, "not signed", "mokutil --import");
	put_value(root, "secure_boot", "disabled");
	read_state(root, false, &st);
	assert_null(finding(&st, "unsigned-module"));
	assert_finding(&st, "secure-boot-off", CVM_FINDING_INFO, "Secure Boot is off", NULL);
	assert_int_equal(st.verdict, CVM_VERDICT_OK);

	/* a simulated platform: the kernel is not an SNP guest, the device answers */
	put_value(root, "sev_snp", "0");
	read_state(root, false, &st);
	assert_finding(&st, "platform-not-seen-by-kernel", CVM_FINDING_INFO, "emulated", NULL);
}

static void test_device(void **state)
{
	const char *root = snp_machine("device");
	struct cvm_state st;
	char *text;
	json_t *o, *d;

	(void)state;
	put(root, "dev/cvmattest", "");
	read_state(root, true, &st);
	assert_true(st.device_queried);
	assert_int_equal(st.device_error, 0);
	assert_string_equal(st.device.provider_name, "snp");
	assert_int_equal(st.verdict, CVM_VERDICT_OK);
	o = state_json(&st);
	d = json_object_get(o, "device");
	assert_true(json_is_true(json_object_get(d, "available")));
	assert_int_equal(json_integer_value(json_object_get(d, "abi_version")), CVMATTEST_ABI_VERSION);
	assert_int_equal(json_integer_value(json_object_get(d, "evidence_max")), 1184);
	assert_int_equal(json_array_size(json_object_get(d, "caps")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "caps"), 0)), "certs");
	json_decref(o);
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "Device:             /dev/cvmattest, ABI 1, provider snp, evidence up "
				     "to 1184 bytes, certificates, VMPL 0-3\n"));
	free(text);

	/* module loaded, node missing */
	unput(root, "dev/cvmattest");
	read_state(root, true, &st);
	assert_int_equal(st.device_error, -ENOENT);
	assert_int_equal(st.verdict, CVM_VERDICT_ATTENTION);
	assert_finding(&st, "no-device-node", CVM_FINDING_WARNING, "/dev/cvmattest", "devtmpfs");
}

static void test_set_value(void **state)
{
	struct cvm_state st;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(cvm_state_set_value(&st, "no_such_file", "1"), -ENOENT);
	assert_int_equal(cvm_state_set_value(&st, "launch_debug", "1\n"), 0);
	assert_true(cvm_state_has(&st, CVM_SF_LAUNCH_DEBUG) && st.launch_debug);
	assert_int_equal(cvm_state_set_value(&st, "launch_debug", "unknown"), 0);
	assert_false(cvm_state_has(&st, CVM_SF_LAUNCH_DEBUG));
	assert_int_equal(cvm_state_set_value(&st, "launch_debug", "2"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "launch_debug", ""), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "mem_encrypt", "yes"), -EINVAL);
	assert_false(cvm_state_has(&st, CVM_SF_MEM_ENCRYPT));
	/* keywords */
	assert_int_equal(cvm_state_set_value(&st, "secure_boot", "unknown"), 0);
	assert_true(cvm_state_has(&st, CVM_SF_SECURE_BOOT));	/* a value, not "no data" */
	assert_int_equal(cvm_state_set_value(&st, "platform", "SEV SNP"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "platform", "a-very-long-platform-name-indeed"), -EINVAL);
	/* hex */
	assert_int_equal(cvm_state_set_value(&st, "launch_measurement", "abc"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "launch_measurement", "ABCD"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "launch_measurement", MEAS "00"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "launch_tcb", "00112233445566778899aabbccddeeff"), 0);
	assert_int_equal(cvm_state_set_value(&st, "launch_policy", "0x30000"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "launch_policy", "0xffffffffffffffff"), 0);
	assert_true(st.launch_policy == UINT64_MAX);
	/* numbers */
	assert_int_equal(cvm_state_set_value(&st, "requests", "18446744073709551615"), 0);
	assert_true(st.requests == UINT64_MAX);
	assert_int_equal(cvm_state_set_value(&st, "requests", "18446744073709551616"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "requests", "-1"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "requests", " 1"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "requests", "1x"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "last_error", "-2147483648"), 0);
	assert_int_equal(cvm_state_set_value(&st, "last_error", "2147483648"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "launch_report_version", "4294967296"), -EINVAL);
	assert_int_equal(cvm_state_set_value(&st, "attestation_expiry", "-9223372036854775808"), 0);
	/* free text: kept, control characters made harmless */
	assert_int_equal(cvm_state_set_value(&st, "attestation_reason", "bad\x1b[31m\tthing\n"), 0);
	assert_string_equal(st.attestation_reason, "bad?[31m?thing");
	assert_int_equal(cvm_state_set_value(&st, "attestation_reason", ""), 0);
	assert_true(cvm_state_has(&st, CVM_SF_ATTESTATION_REASON));
	{
		char big[200];

		memset(big, 'r', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(cvm_state_set_value(&st, "attestation_reason", big), -EINVAL);
	}
	assert_string_equal(cvm_state_field_name(CVM_SF_LAUNCH_DEBUG), "launch_debug");
	assert_null(cvm_state_field_name(_CVM_SF_MAX));
}

static void test_bad_files(void **state)
{
	const char *root = snp_machine("badfiles");
	struct cvm_state st;
	char *text;
	json_t *o;

	(void)state;
	/* a value that does not parse stays unknown; an older module lacks files */
	put_value(root, "requests", "many");
	unput(root, "sys/kernel/cvmattest/retries");
	/* a verifier URL that is not UTF-8 still makes valid JSON */
	put_value(root, "attestation_verifier", "https://ma\xff\xfe.test/");
	read_state(root, false, &st);
	assert_true(st.module_loaded);
	assert_false(cvm_state_has(&st, CVM_SF_REQUESTS));
	assert_false(cvm_state_has(&st, CVM_SF_RETRIES));
	assert_true(cvm_state_has(&st, CVM_SF_ERRORS));
	o = state_json(&st);
	assert_true(json_is_null(json_object_get(o, "requests")));
	assert_string_equal(json_string_value(json_object_get(o, "attestation_verifier")),
			    "https://ma??.test/");
	json_decref(o);
	text = state_text(&st, cvm_state_to_prometheus);
	assert_prometheus_format(text);
	assert_null(strstr(text, "cvmattest_requests_total"));
	free(text);

	/* a last_error that is no errno (INT32_MIN: no negation) is shown as a number */
	put_value(root, "errors", "1");
	put_value(root, "last_error", "-2147483648");
	read_state(root, false, &st);
	assert_finding(&st, "evidence-errors", CVM_FINDING_INFO, "the last with -2147483648 at", NULL);
	o = state_json(&st);
	assert_true(json_is_null(json_object_get(o, "last_error_name")));
	json_decref(o);
	text = state_text(&st, cvm_state_to_text);
	assert_non_null(strstr(text, "Last error:         -2147483648 at "));
	free(text);

	/* label values are escaped */
	put_value(root, "attestation_reason", "say \"no\" \\ twice");
	read_state(root, false, &st);
	text = state_text(&st, cvm_state_to_prometheus);
	assert_non_null(strstr(text, "reason=\"say \\\"no\\\" \\\\ twice\"} 1\n"));
	free(text);

	/* the sysfs path is not a directory: an error, not a finding */
	{
		struct cvm_ctx *ctx = quiet_ctx();
		char p[4096];
		struct cvm_state_source src = { .root = root, .sysfs = p, .no_device = true };

		snprintf(p, sizeof(p), "%s/proc/sys/kernel/osrelease", root);
		assert_int_equal(cvm_state_read(ctx, &src, &st), -ENOTDIR);
		cvm_ctx_free(ctx);
	}
}

/* GET_STATUS reply, built as the kernel builds it (kmod/netlink.c). */
static struct nl_msg *status_reply(const char *const (*values)[2], size_t n, int cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 0, 1, 0x20, 0, 0, cmd, CVMATTEST_GENL_VERSION));
	for (size_t i = 0; i < n; i++) {
		struct nlattr *e = nla_nest_start(msg, CVMATTEST_A_ENTRY);

		assert_non_null(e);
		assert_int_equal(nla_put_string(msg, CVMATTEST_A_ENTRY_NAME, values[i][0]), 0);
		assert_int_equal(nla_put_string(msg, CVMATTEST_A_ENTRY_VALUE, values[i][1]), 0);
		nla_nest_end(msg, e);
	}
	return msg;
}

static void test_genl_reply(void **state)
{
	const char *root = snp_machine("genl");
	struct cvm_state from_sysfs, from_nl;
	struct nl_msg *msg;
	char *a, *b;

	(void)state;
	read_state(root, false, &from_sysfs);
	memset(&from_nl, 0, sizeof(from_nl));
	msg = status_reply(healthy_snp, ELEMENTSOF(healthy_snp), CVMATTEST_CMD_GET_STATUS);
	/* a name from a newer module is passed over */
	{
		struct nlattr *e = nla_nest_start(msg, CVMATTEST_A_ENTRY);

		nla_put_string(msg, CVMATTEST_A_ENTRY_NAME, "future_file");
		nla_put_string(msg, CVMATTEST_A_ENTRY_VALUE, "42");
		nla_nest_end(msg, e);
	}
	assert_int_equal(cvm_state_parse_genl(&from_nl, nlmsg_hdr(msg)), 0);
	nlmsg_free(msg);
	/* the same values: the rest of the state is the same by construction */
	from_nl.now = from_sysfs.now;
	memcpy(from_nl.source, from_sysfs.source, sizeof(from_nl.source));
	assert_true(from_nl.present == from_sysfs.present);
	memcpy(from_nl.kernel_release, from_sysfs.kernel_release, sizeof(from_nl.kernel_release));
	from_nl.module_loaded = true;
	from_nl.module_installed = from_sysfs.module_installed;
	from_nl.module_unsigned = from_sysfs.module_unsigned;
	from_nl.sev_guest_node = from_sysfs.sev_guest_node;
	from_nl.tpm_node = from_sysfs.tpm_node;
	/* the host facts come from the files either way */
	from_nl.cpu_sev_snp = from_sysfs.cpu_sev_snp;
	from_nl.cpu_tdx_guest = from_sysfs.cpu_tdx_guest;
	memcpy(from_nl.host_platform, from_sysfs.host_platform, sizeof(from_nl.host_platform));
	memcpy(from_nl.sys_vendor, from_sysfs.sys_vendor, sizeof(from_nl.sys_vendor));
	memcpy(from_nl.host_lockdown, from_sysfs.host_lockdown, sizeof(from_nl.host_lockdown));
	from_nl.azure = from_sysfs.azure;
	from_nl.tdx_guest_node = from_sysfs.tdx_guest_node;
	from_nl.tsm_report = from_sysfs.tsm_report;
	memcpy(from_nl.tsm_provider, from_sysfs.tsm_provider, sizeof(from_nl.tsm_provider));
	from_nl.tpm_hcl_report = from_sysfs.tpm_hcl_report;
	from_nl.tdx_measurements = from_sysfs.tdx_measurements;
	memcpy(from_nl.provider_param, from_sysfs.provider_param, sizeof(from_nl.provider_param));
	cvm_state_diagnose(&from_nl);
	assert_int_equal(cvm_state_to_json(&from_sysfs, &a), 0);
	assert_int_equal(cvm_state_to_json(&from_nl, &b), 0);
	assert_string_equal(a, b);
	free(a);
	free(b);

	/* malformed replies */
	msg = status_reply(healthy_snp, 3, CVMATTEST_CMD_STATUS_CHANGED);
	assert_int_equal(cvm_state_parse_genl(&from_nl, nlmsg_hdr(msg)), -EBADMSG);
	nlmsg_free(msg);
	msg = status_reply(NULL, 0, CVMATTEST_CMD_GET_STATUS);
	{
		struct nlattr *e = nla_nest_start(msg, CVMATTEST_A_ENTRY);

		nla_put_string(msg, CVMATTEST_A_ENTRY_NAME, "platform");	/* no VALUE */
		nla_nest_end(msg, e);
	}
	assert_int_equal(cvm_state_parse_genl(&from_nl, nlmsg_hdr(msg)), -EBADMSG);
	nlmsg_free(msg);
	msg = status_reply(NULL, 0, CVMATTEST_CMD_GET_STATUS);
	{
		struct nlattr *e = nla_nest_start(msg, CVMATTEST_A_ENTRY);

		nla_put_string(msg, CVMATTEST_A_ENTRY_NAME, "platform");
		nla_put(msg, CVMATTEST_A_ENTRY_VALUE, 3, "tdx");	/* no NUL */
		nla_nest_end(msg, e);
	}
	assert_int_equal(cvm_state_parse_genl(&from_nl, nlmsg_hdr(msg)), -EBADMSG);
	/* truncated below the genetlink header */
	nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(cvm_state_parse_genl(&from_nl, nlmsg_hdr(msg)), -EBADMSG);
	nlmsg_free(msg);
	assert_int_equal(cvm_state_parse_genl(&from_nl, NULL), -EBADMSG);
}

/* ---- the host judged without the module ------------------------------------------ */

static const char cpuinfo_plain[] =
	"processor\t: 0\nvendor_id\t: AuthenticAMD\n"
	"flags\t\t: fpu vme de pse tsc msr pae hypervisor sev_snp_x lahf_lm\n\n"
	"processor\t: 1\nflags\t\t: fpu vme sev_snp\n";

static json_t *host_of(json_t *o)
{
	json_t *h = json_object_get(o, "host");

	assert_true(json_is_object(h));
	return h;
}

static bool iface(json_t *o, const char *name)
{
	json_t *v = json_object_get(json_object_get(host_of(o), "interfaces"), name);

	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

static json_t *cpu_flag(json_t *o, const char *name)
{
	return json_object_get(json_object_get(host_of(o), "cpu_flags"), name);
}

static void assert_host_platform(json_t *o, const char *platform)
{
	assert_string_equal(json_string_value(json_object_get(host_of(o), "platform")), platform);
}

/* A plain VM: no flag, no driver, no TPM: not a CVM, and no module advice. */
static void test_host_plain_vm(void **state)
{
	const char *root = new_root("host-plain");
	char *out;
	json_t *o;

	(void)state;
	/* only the first CPU's flags count; "sev_snp_x" is not "sev_snp" */
	put(root, "proc/cpuinfo", cpuinfo_plain);
	put(root, "sys/class/dmi/id/sys_vendor", "QEMU\n");
	assert_int_equal(run_cli(&out, ARGS("status", "--root", root)), 7);
	assert_non_null(strstr(out, "Host:               not a confidential VM\n"));
	assert_non_null(strstr(out, "/dev/sev-guest no, /dev/tdx_guest no, configfs-tsm no,"));
	assert_non_null(strstr(out, "TDX measurements no, TPM no"));
	assert_non_null(strstr(out, "cvmattest NOT loaded"));
	assert_non_null(strstr(out, "this machine is not a confidential VM"));
	assert_null(strstr(out, "modprobe"));
	assert_null(strstr(out, "cvmattest-dkms"));
	assert_true(strstr(out, "Host:") < strstr(out, "Module:"));
	free(out);
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--root", root)), 7);
	assert_host_platform(o, "none");
	assert_true(json_is_false(json_object_get(host_of(o), "confidential_vm")));
	assert_true(json_is_false(cpu_flag(o, "sev_snp")));
	assert_true(json_is_false(cpu_flag(o, "tdx_guest")));
	assert_string_equal(json_string_value(json_object_get(host_of(o), "sys_vendor")), "QEMU");
	for (const char *const *i = (const char *const[]){ "sev_guest", "tdx_guest", "configfs_tsm",
			"tdx_measurements", "tpm", "cvmattest", NULL }; *i; i++)
		assert_false(iface(o, *i));
	assert_int_equal(json_array_size(json_object_get(o, "findings")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(o, "findings"), 0),
							      "id")), "not-a-cvm");
	json_decref(o);

	/* no /proc/cpuinfo: the flags are unknown, not false */
	unput(root, "proc/cpuinfo");
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--root", root)), 7);
	assert_true(json_is_null(cpu_flag(o, "sev_snp")));
	assert_true(json_is_null(cpu_flag(o, "tdx_guest")));
	json_decref(o);
}

/* SEV-SNP with /dev/sev-guest only (6.1: no configfs-tsm): the module is needed. */
static void test_host_snp_sev_guest(void **state)
{
	const char *root = new_root("host-snp");
	char *out;
	json_t *o, *fs;

	(void)state;
	put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sme sev sev_es sev_snp\n");
	put(root, "dev/sev-guest", "");
	put(root, "lib/modules/6.1.0-test-amd64/modules.dep", "kernel/fs/ext4/ext4.ko:\n");
	assert_int_equal(run_cli(&out, ARGS("status", "--root", root)), 7);
	assert_non_null(strstr(out, "Host:               AMD SEV-SNP guest (CPU flag sev_snp)"));
	assert_non_null(strstr(out, "/dev/sev-guest yes, /dev/tdx_guest no, configfs-tsm no,"));
	assert_non_null(strstr(out, "cvmattest NOT loaded (kernel 6.1.0-test-amd64; installed: no)"));
	assert_non_null(strstr(out, "Attestation cannot work here:"));
	assert_non_null(strstr(out, "sudo apt install cvmattest-dkms (builds cvmattest.ko for"));
	assert_non_null(strstr(out, "without the module"));
	free(out);
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--root", root)), 7);
	assert_host_platform(o, "sev-snp");
	assert_true(json_is_true(json_object_get(host_of(o), "confidential_vm")));
	assert_true(json_is_true(cpu_flag(o, "sev_snp")));
	assert_true(json_is_false(cpu_flag(o, "tdx_guest")));
	assert_true(iface(o, "sev_guest"));
	assert_false(iface(o, "configfs_tsm"));
	assert_false(iface(o, "cvmattest"));
	fs = json_object_get(o, "findings");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fs, 0), "id")),
			    "module-not-installed");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fs, 0), "severity")),
			    "blocker");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fs, 1), "id")),
			    "module-less");
	json_decref(o);
}

/* TDX on 6.16: configfs-tsm and tsm-mr: module-less attestation works, the module is advised. */
static void test_host_tdx_tsm(void **state)
{
	const char *root = new_root("host-tdx");
	struct cvm_state st;
	char *out, p[4096];
	json_t *o;

	(void)state;
	put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu tdx_guest x2apic\n");
	put(root, "dev/tdx_guest", "");
	snprintf(p, sizeof(p), "%s/sys/kernel/config/tsm/report", root);
	mkdir_p(p);
	put(root, "sys/devices/virtual/misc/tdx_guest/measurements/rtmr0:sha384", "00\n");
	read_state(root, false, &st);
	assert_string_equal(st.host_platform, "tdx");
	assert_true(st.tsm_report);
	assert_true(st.tdx_measurements);
	assert_int_equal(st.verdict, CVM_VERDICT_ATTENTION);
	assert_finding(&st, "module-not-loaded", CVM_FINDING_WARNING, "installed for kernel",
		       "sudo modprobe cvmattest");
	assert_finding(&st, "module-less", CVM_FINDING_INFO, "through configfs-tsm", NULL);
	assert_int_equal(run_cli(&out, ARGS("status", "--root", root)), 12);
	assert_non_null(strstr(out, "Host:               Intel TDX guest (CPU flag tdx_guest)"));
	assert_non_null(strstr(out, "/dev/sev-guest no, /dev/tdx_guest yes, configfs-tsm yes,"));
	assert_non_null(strstr(out, "TDX measurements yes, TPM no"));
	assert_non_null(strstr(out, "Attestation can work here, but needs attention:"));
	free(out);
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--root", root)), 12);
	assert_host_platform(o, "tdx");
	assert_true(json_is_true(cpu_flag(o, "tdx_guest")));
	assert_true(iface(o, "tdx_guest"));
	assert_true(iface(o, "configfs_tsm"));
	assert_true(iface(o, "tdx_measurements"));
	assert_false(iface(o, "sev_guest"));
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "attention");
	assert_true(json_is_true(json_object_get(o, "can_attest")));
	json_decref(o);
	assert_int_equal(run_cli(&out, ARGS("status", "--prometheus", "--root", root)), 12);
	assert_prometheus_format(out);
	assert_has_line(out, "cvmattest_host_info{platform=\"tdx\",sev_guest=\"0\",tdx_guest=\"1\","
			     "configfs_tsm=\"1\",tdx_measurements=\"1\",tpm=\"0\",hcl_report=\"unknown\"} 1");
	assert_has_line(out, "cvmattest_up 0");
	free(out);
}

/* Azure behind the paravisor: no guest driver, a vTPM; the CVM question stays open. */
static void test_host_azure_vtpm(void **state)
{
	const char *root = new_root("host-azure");
	char *out;
	json_t *o;

	(void)state;
	put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu hypervisor\n");
	put(root, "sys/class/dmi/id/sys_vendor", "Microsoft Corporation\n");
	put(root, "sys/class/dmi/id/chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77\n");
	put(root, "dev/tpmrm0", "");
	assert_int_equal(run_cli(&out, ARGS("status", "--root", root)), 12);
	assert_non_null(strstr(out, "Host:               Azure VM with a vTPM"));
	assert_non_null(strstr(out, "TPM yes"));
	assert_non_null(strstr(out, "cvmattest attest and release still work"));
	free(out);
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--root", root)), 12);
	assert_host_platform(o, "azure-vtpm");
	assert_true(json_is_null(json_object_get(host_of(o), "confidential_vm")));
	assert_true(json_is_true(json_object_get(host_of(o), "azure")));
	assert_string_equal(json_string_value(json_object_get(host_of(o), "sys_vendor")),
			    "Microsoft Corporation");
	assert_true(iface(o, "tpm"));
	assert_false(iface(o, "sev_guest"));
	json_decref(o);

	/*
	 * The caller's probe of NV 0x01400001 decides it: without the index an
	 * Azure VM with a vTPM is an ordinary (Trusted Launch) VM; with it even
	 * a VM whose DMI says nothing of Azure is behind the paravisor.
	 */
	{
		struct cvm_ctx *ctx = quiet_ctx();
		struct cvm_state *st = calloc(1, sizeof(*st));
		struct cvm_state_source src = { .root = root, .no_device = true, .now = NOW,
						.hcl_probed = true, .hcl_report = false };

		assert_non_null(st);
		assert_int_equal(cvm_state_read(ctx, &src, st), 0);
		assert_string_equal(st->host_platform, "none");
		assert_int_equal(st->tpm_hcl_report, 0);
		assert_int_equal(cvm_state_to_text(st, &out), 0);
		assert_non_null(strstr(out, "no HCL report in NV 0x01400001: not behind Azure's paravisor"));
		free(out);
		src.hcl_report = true;
		put(root, "sys/class/dmi/id/sys_vendor", "QEMU\n");
		unput(root, "sys/class/dmi/id/chassis_asset_tag");
		assert_int_equal(cvm_state_read(ctx, &src, st), 0);
		assert_string_equal(st->host_platform, "azure-vtpm");
		assert_int_equal(cvm_state_to_json(st, &out), 0);
		assert_non_null(strstr(out, "\"hcl_report\": true"));
		free(out);
		assert_int_equal(cvm_state_to_text(st, &out), 0);
		assert_non_null(strstr(out, "confidential VM behind Azure's paravisor"));
		free(out);
		free(st);
		cvm_ctx_free(ctx);
	}

	/* the same VM without its TPM driver: nothing there gives evidence */
	unput(root, "dev/tpmrm0");
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--root", root)), 7);
	assert_host_platform(o, "none");
	json_decref(o);
}

/* The command: exit codes and formats, on the fake machines. */
static void test_cli(void **state)
{
	const char *root;
	char *out, sysfs[4096];
	json_t *o;

	(void)state;
	root = snp_machine("cli-ok");
	assert_int_equal(run_cli(&out, ARGS("status", "--no-device", "--root", root, "--now", "1700001000")), 0);
	assert_non_null(strstr(out, "Attestation can work here."));
	free(out);
	assert_int_equal(run_cli(NULL, ARGS("status", "-q", "--no-device", "--root", root, "--now",
					    "1700001000")), 0);
	/* expired by today's clock */
	assert_int_equal(run_cli(&out, ARGS("status", "-q", "--no-device", "--root", root)), 12);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--no-device", "--root", root, "--now",
					       "1700001000")), 0);
	assert_json_matches_files(o, root);
	assert_string_equal(json_string_value(json_object_get(o, "source")), "sysfs");
	json_decref(o);
	/* a /dev/cvmattest that is not the module's device (a plain file here) */
	put(root, "dev/cvmattest", "");
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--root", root, "--now", "1700001000")), 12);
	assert_true(json_is_false(json_object_get(json_object_get(o, "device"), "available")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "device"), "error")),
			    "ENOTTY");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(o, "findings"), 0),
							      "id")), "device-error");
	json_decref(o);
	assert_int_equal(run_cli(&out, ARGS("status", "--prometheus", "--no-device", "--root", root,
					    "--now", "1700001000")), 0);
	assert_prometheus_format(out);
	assert_has_line(out, "cvmattest_launch_debug 0");
	free(out);

	root = snp_machine("cli-debug");
	put_value(root, "launch_debug", "1");
	assert_int_equal(run_cli(&out, ARGS("status", "--no-device", "--root", root, "--now", "1700001000")), 7);
	assert_non_null(strstr(out, "Attestation cannot work here:"));
	free(out);
	/* --sysfs alone points at the module's directory */
	snprintf(sysfs, sizeof(sysfs), "%s/sys/kernel/cvmattest", root);
	assert_int_equal(run_cli_json(&o, ARGS("status", "--json", "--no-device", "--sysfs", sysfs,
					       "--now", "1700001000")), 7);
	assert_true(json_is_true(json_object_get(o, "launch_debug")));
	json_decref(o);

	root = snp_machine("cli-failed");
	put_value(root, "attestation_state", "failed");
	assert_int_equal(run_cli(NULL, ARGS("status", "--no-device", "--root", root, "--now", "1700001000")), 12);

	root = new_root("cli-absent");
	put(root, "dev/sev-guest", "");
	assert_int_equal(run_cli(&out, ARGS("status", "--root", root)), 7);
	assert_non_null(strstr(out, "To fix: sudo modprobe cvmattest"));
	free(out);

	/* usage errors */
	assert_int_equal(run_cli(NULL, ARGS("status", "--json", "--prometheus")), 1);
	assert_int_equal(run_cli(NULL, ARGS("status", "--now", "soon")), 1);
	assert_int_equal(run_cli(NULL, ARGS("status", "extra")), 1);
	assert_int_equal(run_cli(&out, ARGS("status", "--help")), 0);
	assert_non_null(strstr(out, "Exit status"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_snp),
		cmocka_unit_test(test_debug_guest),
		cmocka_unit_test(test_module_absent),
		cmocka_unit_test(test_provider_none),
		cmocka_unit_test(test_attestation_outcomes),
		cmocka_unit_test(test_errors_and_signing),
		cmocka_unit_test(test_device),
		cmocka_unit_test(test_set_value),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_genl_reply),
		cmocka_unit_test(test_host_plain_vm),
		cmocka_unit_test(test_host_snp_sev_guest),
		cmocka_unit_test(test_host_tdx_tsm),
		cmocka_unit_test(test_host_azure_vtpm),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, NULL, remove_roots);
}
