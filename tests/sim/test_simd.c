// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Device tests of cvmattest-simd: real ioctls on /dev/sev-guest or
 * /dev/tdx_guest served through CUSE, checked against the behaviour of the
 * kernel drivers (what is returned, what is written back, when the VMPCK
 * is wiped).  Needs a running daemon, so it runs inside a VM (see
 * README.md, vm-check); without the device every test is skipped.
 *
 * Environment: CVMATTEST_SIM_CONTROL (default /run/cvmattest-sim).  The
 * daemon should run with a short --retry-max (the vm-check script uses 1 s).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cvmattest/platform-abi.h>

#include "libsim.h"
#include "sim_internal.h"

static int fd = -1;
static const char *control_dir;
static struct sim_keys *keys;
static long page;

/* ---- control and state ---------------------------------------------------------------- */

static void control(const char *fmt, ...)
{
	char path[512], line[256];
	va_list ap;
	int cfd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	snprintf(path, sizeof(path), "%s/control", control_dir);
	cfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(cfd >= 0);
	assert_int_equal(write(cfd, line, (size_t)n), n);
	close(cfd);
}

/* Value of "key=" in the state file, or "" */
static void state_get(const char *key, char *val, size_t len)
{
	char path[512], *data = NULL;
	uint8_t *raw = NULL;
	size_t n = 0, klen = strlen(key);

	val[0] = '\0';
	snprintf(path, sizeof(path), "%s/state", control_dir);
	if (sim_read_file(path, &raw, &n))
		return;
	data = realloc(raw, n + 1);
	assert_non_null(data);
	data[n] = '\0';
	for (char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, key, klen) && l[klen] == '=') {
			size_t vlen = strcspn(l + klen + 1, "\n");

			if (vlen >= len)
				vlen = len - 1;
			memcpy(val, l + klen + 1, vlen);
			val[vlen] = '\0';
			break;
		}
	}
	free(data);
}

/* Wait (up to 3 s) until the state file says key=want. */
static void expect_state(const char *key, const char *want)
{
	char val[128];

	for (int i = 0; i < 300; i++) {
		state_get(key, val, sizeof(val));
		if (!strcmp(val, want))
			return;
		usleep(10000);
	}
	fail_msg("state %s=%s, expected %s", key, val, want);
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* Two pages: the first mapped read-write, the second unmapped. */
static uint8_t *guarded_pages(void)
{
	uint8_t *p = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap(p + page, (size_t)page), 0);
	return p;
}

static void free_guarded(uint8_t *p)
{
	munmap(p, (size_t)page);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static int xioctl(unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

struct snp_call {
	struct cvm_snp_guest_request_ioctl io;
	struct cvm_snp_ext_report_req req;
	struct cvm_snp_report_resp resp;
};

static void snp_call_init(struct snp_call *c)
{
	memset(c, 0, sizeof(*c));
	c->io.msg_version = 1;
	c->io.req_data = (uintptr_t)&c->req;
	c->io.resp_data = (uintptr_t)&c->resp;
	c->io.exitinfo2 = 0x1234;
	for (int i = 0; i < 64; i++)
		c->req.data.user_data[i] = (uint8_t)(0x40 + i);
}

/* Get the VCEK from an extended report (sizing the buffer as callers must). */
static X509 *fetch_vcek(uint8_t **certs_out)
{
	static const uint8_t guid_vcek[16] = SNP_GUID_VCEK;
	struct snp_call c;
	uint8_t *certs;
	X509 *vcek = NULL;

	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EIO);
	assert_int_equal(c.io.vmm_error, CVM_SNP_VMM_ERR_INVALID_LEN);
	assert_true(c.req.certs_len > 0 && c.req.certs_len <= SNP_CERTS_MAX);
	certs = calloc(1, c.req.certs_len);
	assert_non_null(certs);
	c.req.certs_address = (uintptr_t)certs;
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), 0);
	for (const uint8_t *e = certs; !all_zero(e, SNP_CERT_ENTRY_SIZE); e += SNP_CERT_ENTRY_SIZE) {
		if (!memcmp(e, guid_vcek, 16)) {
			const unsigned char *p = certs + get_le32(e + SNP_CERT_ENTRY_OFFSET);

			vcek = d2i_X509(NULL, &p, get_le32(e + SNP_CERT_ENTRY_LENGTH));
		}
	}
	assert_non_null(vcek);
	if (certs_out)
		*certs_out = certs;
	else
		free(certs);
	return vcek;
}

static bool report_verifies(const uint8_t *r, X509 *vcek)
{
	uint8_t rs[96], *der = NULL;
	size_t der_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	for (int i = 0; i < 48; i++) {
		rs[47 - i] = r[SNP_R_SIG_R + i];
		rs[95 - i] = r[SNP_R_SIG_S + i];
	}
	assert_int_equal(sim_ecdsa_rs_to_der(rs, 48, &der, &der_len), 0);
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, X509_get0_pubkey(vcek)) == 1 &&
	     EVP_DigestVerify(ctx, der, der_len, r, SNP_SIGNED_LEN) == 1;
	EVP_MD_CTX_free(ctx);
	free(der);
	ERR_clear_error();
	return ok;
}

/* ---- SNP ---------------------------------------------------------------------------------- */

static int snp_setup(void **state)
{
	(void)state;
	if (fd < 0 || access("/dev/sev-guest", F_OK))
		return 0;
	control("reboot");
	expect_state("vmpck_wiped", "no");
	return 0;
}

#define NEED_SNP() do { if (fd < 0 || access("/dev/sev-guest", F_OK)) skip(); } while (0)
#define NEED_TDX() do { if (fd < 0 || access("/dev/tdx_guest", F_OK)) skip(); } while (0)

static void test_snp_report(void **state)
{
	struct snp_call c;
	X509 *vcek, *ask, *ark;

	(void)state;
	NEED_SNP();
	vcek = fetch_vcek(NULL);
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), 0);
	assert_int_equal(c.io.exitinfo2, 0x1234);	/* not written on success */
	assert_int_equal(get_le32(c.resp.data + SNP_MSG_REPORT_RSP_STATUS), 0);
	assert_int_equal(get_le32(c.resp.data + SNP_MSG_REPORT_RSP_SIZE), SNP_REPORT_SIZE);
	assert_memory_equal(c.resp.data + SNP_MSG_REPORT_RSP_REPORT + SNP_R_REPORT_DATA,
			    c.req.data.user_data, 64);
	assert_true(report_verifies(c.resp.data + SNP_MSG_REPORT_RSP_REPORT, vcek));
	/* the VCEK chains to the test ARK of some product */
	bool chained = false;

	for (int p = 0; p < SIM_PRODUCT_COUNT; p++) {
		ask = sim_keys_ask_cert(keys, p);
		ark = sim_keys_ark_cert(keys, p);
		if (X509_verify(vcek, X509_get0_pubkey(ask)) == 1 &&
		    X509_verify(ask, X509_get0_pubkey(ark)) == 1)
			chained = true;
	}
	ERR_clear_error();
	assert_true(chained);
	X509_free(vcek);
	expect_state("vmpck_wiped", "no");
}

/* On success the driver writes only the response: read-only inputs are fine. */
static void test_snp_readonly_inputs(void **state)
{
	struct snp_call *c;
	uint8_t *ro;

	(void)state;
	NEED_SNP();
	ro = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	c = calloc(1, sizeof(*c));
	snp_call_init(c);
	/* ioctl struct and request on the read-only page */
	memcpy(ro, &c->io, sizeof(c->io));
	memcpy(ro + 64, &c->req.data, sizeof(c->req.data));
	((struct cvm_snp_guest_request_ioctl *)ro)->req_data = (uintptr_t)(ro + 64);
	assert_int_equal(mprotect(ro, (size_t)page, PROT_READ), 0);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, ro), 0);
	assert_int_equal(get_le32(c->resp.data + SNP_MSG_REPORT_RSP_STATUS), 0);
	/* an error must write exitinfo2 back: into read-only memory that faults */
	assert_int_equal(mprotect(ro, (size_t)page, PROT_READ | PROT_WRITE), 0);
	((struct cvm_snp_guest_request_ioctl *)ro)->resp_data = 0;
	assert_int_equal(mprotect(ro, (size_t)page, PROT_READ), 0);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, ro), -EFAULT);
	munmap(ro, (size_t)page);
	free(c);
	expect_state("vmpck_wiped", "no");
}

static void test_snp_bad_input(void **state)
{
	struct snp_call c, before;
	uint8_t *g;

	(void)state;
	NEED_SNP();
	/* msg_version 0: -EINVAL, nothing written back */
	snp_call_init(&c);
	c.io.msg_version = 0;
	before = c;
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	/* NULL pointers: -EINVAL, exitinfo2 = 0xff written back */
	snp_call_init(&c);
	c.io.req_data = 0;
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -EINVAL);
	assert_int_equal(c.io.exitinfo2, 0xff);
	snp_call_init(&c);
	c.io.resp_data = 0;
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EINVAL);
	assert_int_equal(c.io.exitinfo2, 0xff);
	snp_call_init(&c);
	c.io.req_data = 0;
	assert_int_equal(xioctl(CVM_SNP_GET_DERIVED_KEY, &c.io), -EINVAL);
	/* unknown command: -ENOTTY, 0xff written back */
	snp_call_init(&c);
	assert_int_equal(xioctl(_IOWR('S', 7, struct cvm_snp_guest_request_ioctl), &c.io), -ENOTTY);
	assert_int_equal(c.io.exitinfo2, 0xff);
	/* bad pointers: -EFAULT */
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, (void *)8), -EFAULT);
	g = guarded_pages();
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, g + page - 8), -EFAULT);	/* straddles */
	snp_call_init(&c);
	c.io.req_data = (uintptr_t)(g + page);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -EFAULT);
	snp_call_init(&c);
	c.io.resp_data = (uintptr_t)(g + page - 100);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -EFAULT);
	/* certificate buffer: length checks, then a buffer that ends early */
	snp_call_init(&c);
	c.req.certs_address = (uintptr_t)g;
	c.req.certs_len = 100;
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EINVAL);
	c.req.certs_len = 5 * 4096;
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EINVAL);
	c.req.certs_address = 0xffffffff80000000ULL;
	c.req.certs_len = 4096;
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EFAULT);
	c.req.certs_address = (uintptr_t)g;
	c.req.certs_len = 4 * 4096;		/* big enough, but only one page is mapped */
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EFAULT);
	/* VMPL 4 and reserved bytes: firmware status in the response, ioctl success */
	snp_call_init(&c);
	c.req.data.vmpl = 4;
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), 0);
	assert_int_equal(get_le32(c.resp.data + SNP_MSG_REPORT_RSP_STATUS), SNP_FW_STATUS_INVALID_PARAM);
	snp_call_init(&c);
	c.req.data.rsvd[0] = 1;
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), 0);
	assert_int_equal(get_le32(c.resp.data + SNP_MSG_REPORT_RSP_STATUS), SNP_FW_STATUS_INVALID_PARAM);
	free_guarded(g);
	/* no read or write file operations */
	{
		char b[8];

		assert_int_equal(read(fd, b, sizeof(b)), -1);
		assert_int_equal(errno, EINVAL);
	}
	/* none of this wiped the VMPCK */
	expect_state("vmpck_wiped", "no");
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), 0);
}

static void test_snp_ext_report(void **state)
{
	struct snp_call c;
	uint8_t *certs = NULL;
	X509 *vcek;
	uint32_t need;

	(void)state;
	NEED_SNP();
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EIO);
	assert_int_equal(c.io.exitinfo2, 1ULL << 32);
	need = c.req.certs_len;
	assert_true(need % 4096 == 0 && need >= 4096);
	assert_true(all_zero(c.resp.data, sizeof(c.resp.data)));
	vcek = fetch_vcek(&certs);
	snp_call_init(&c);
	c.req.certs_address = (uintptr_t)certs;
	c.req.certs_len = need;
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), 0);
	assert_true(report_verifies(c.resp.data + SNP_MSG_REPORT_RSP_REPORT, vcek));
	/* the host claims the buffer is too small: -EIO, larger length, no wipe */
	control("invalid_len");
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -EIO);
	assert_int_equal(c.io.vmm_error, 1);
	assert_int_equal(c.req.certs_len, need + 4096);
	expect_state("vmpck_wiped", "no");
	free(certs);
	X509_free(vcek);
}

static void test_snp_derived_key(void **state)
{
	struct cvm_snp_guest_request_ioctl io = { .msg_version = 1 };
	struct cvm_snp_derived_key_req req = { .guest_field_select = 0x9 };
	struct cvm_snp_derived_key_resp r1, r2;

	(void)state;
	NEED_SNP();
	io.req_data = (uintptr_t)&req;
	io.resp_data = (uintptr_t)&r1;
	assert_int_equal(xioctl(CVM_SNP_GET_DERIVED_KEY, &io), 0);
	io.resp_data = (uintptr_t)&r2;
	assert_int_equal(xioctl(CVM_SNP_GET_DERIVED_KEY, &io), 0);
	assert_int_equal(get_le32(r1.data + SNP_MSG_KEY_RSP_STATUS), 0);
	assert_memory_equal(r1.data, r2.data, sizeof(r1.data));
	assert_false(all_zero(r1.data + SNP_MSG_KEY_RSP_KEY, 32));
}

static void test_snp_throttled(void **state)
{
	struct snp_call c;

	(void)state;
	NEED_SNP();
	control("vmm_busy 2");
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), 0);
	assert_int_equal(get_le32(c.resp.data + SNP_MSG_REPORT_RSP_STATUS), 0);
	expect_state("throttled", "2");
	expect_state("vmpck_wiped", "no");
}

struct thread_arg {
	int n, ok;
};

static void *hammer(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < a->n; i++) {
		struct snp_call c;

		snp_call_init(&c);
		c.req.data.user_data[0] = (uint8_t)i;
		if (!xioctl(CVM_SNP_GET_REPORT, &c.io) &&
		    !memcmp(c.resp.data + SNP_MSG_REPORT_RSP_REPORT + SNP_R_REPORT_DATA,
			    c.req.data.user_data, 64))
			a->ok++;
	}
	return NULL;
}

static void test_snp_concurrent(void **state)
{
	pthread_t t[4];
	struct thread_arg a[4];

	(void)state;
	NEED_SNP();
	for (int i = 0; i < 4; i++) {
		a[i].n = 10;
		a[i].ok = 0;
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].ok, a[i].n);
	}
	expect_state("vmpck_wiped", "no");
}

/* Destructive: each error wipes the VMPCK; "reboot" restores it. */
static void test_snp_wipe(void **state)
{
	struct snp_call c, before;

	(void)state;
	NEED_SNP();
	/* an unsupported message version reaches the firmware: -EIO and wipe */
	snp_call_init(&c);
	c.io.msg_version = 2;
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -EIO);
	assert_int_equal(c.io.fw_error, SNP_FW_STATUS_INVALID_PARAM);
	expect_state("vmpck_wiped", "yes");
	/* from now on -ENOTTY, nothing written back */
	snp_call_init(&c);
	before = c;
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -ENOTTY);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(xioctl(CVM_SNP_GET_EXT_REPORT, &c.io), -ENOTTY);

	control("reboot");
	expect_state("vmpck_wiped", "no");
	control("fw_error 0x16");
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -EIO);
	assert_int_equal(c.io.exitinfo2, 0x16);
	expect_state("vmpck_wiped", "yes");
	expect_state("last_exitinfo2", "0x16");

	control("reboot");
	expect_state("vmpck_wiped", "no");
	control("vmm_busy 100000");
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -ETIMEDOUT);
	assert_int_equal(c.io.exitinfo2, 2ULL << 32);
	expect_state("vmpck_wiped", "yes");

	control("reboot");
	control("corrupt_response");
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), -EBADMSG);
	expect_state("vmpck_wiped", "yes");

	control("reboot");
	expect_state("vmpck_wiped", "no");
	snp_call_init(&c);
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), 0);
}

/* Random commands, structs and pointers: the daemon answers every one and stays up. */
static void test_fuzz(void **state)
{
	static const unsigned long cmds[] = {
		CVM_SNP_GET_REPORT, CVM_SNP_GET_DERIVED_KEY, CVM_SNP_GET_EXT_REPORT,
		CVM_TDX_CMD_GET_REPORT0, _IOWR('S', 9, struct cvm_snp_guest_request_ioctl), 0x5401,
	};
	uint8_t *buf, *g = NULL;
	unsigned int seed = 12345;
	char after[32];

	(void)state;
	if (fd < 0)
		skip();
	buf = calloc(1, 3 * 4096);
	g = guarded_pages();
	control("reboot");
	expect_state("requests", "0");
	for (int i = 0; i < 300; i++) {
		unsigned long cmd = cmds[rand_r(&seed) % ARRAY_SIZE(cmds)];
		uint8_t *targets[] = { buf, buf + 200, buf + 4096, g, g + page - 16, g + page,
				       (uint8_t *)8, NULL };
		uint64_t *w;

		for (int j = 0; j < 3 * 4096; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		/* sometimes plausible: small msg_version, pointers into our buffers */
		buf[0] = (uint8_t)(rand_r(&seed) % 4);
		w = (uint64_t *)(buf + 8);
		w[0] = (uintptr_t)targets[rand_r(&seed) % ARRAY_SIZE(targets)];
		w[1] = (uintptr_t)targets[rand_r(&seed) % ARRAY_SIZE(targets)];
		if (rand_r(&seed) % 2) {	/* an ext request with a sane certs_len */
			memcpy(buf + 200 + 96, &w[0], 8);
			*(uint32_t *)(buf + 200 + 104) = (uint32_t)(rand_r(&seed) % 5) * 4096;
		}
		ioctl(fd, cmd, targets[rand_r(&seed) % 3]);
		if (rand_r(&seed) % 16 == 0 && i < 250)
			control("reboot");
	}
	state_get("requests", after, sizeof(after));
	assert_true(atoi(after) > 0);
	expect_state("running", "yes");
	control("reboot");
	/* still serving */
	if (!access("/dev/sev-guest", F_OK)) {
		struct snp_call c;

		expect_state("vmpck_wiped", "no");
		snp_call_init(&c);
		assert_int_equal(xioctl(CVM_SNP_GET_REPORT, &c.io), 0);
	} else {
		struct cvm_tdx_report_req *r = calloc(1, sizeof(*r));

		assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, r), 0);
		free(r);
	}
	free_guarded(g);
	free(buf);
}

/* ---- TDX ----------------------------------------------------------------------------------- */

static void test_tdx_report(void **state)
{
	struct cvm_tdx_report_req *r = calloc(1, sizeof(*r));
	uint8_t *quote = NULL;
	size_t qlen = 0;

	(void)state;
	NEED_TDX();
	memset(r->reportdata, 0x3C, sizeof(r->reportdata));
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, r), 0);
	assert_int_equal(r->tdreport[TDX_R_REPORTTYPE], 0x81);
	assert_memory_equal(r->tdreport + TDX_R_REPORT_DATA, r->reportdata, 64);
	assert_int_equal(sim_tdx_check_report(r->tdreport), 0);
	/* the QGS stand-in quotes it */
	assert_int_equal(sim_tdx_quote(keys, r->tdreport, &quote, &qlen), 0);
	assert_memory_equal(quote + TDX_Q4_BODY + TDX_QB_REPORT_DATA, r->reportdata, 64);
	free(quote);
	free(r);
}

static void test_tdx_errors(void **state)
{
	struct cvm_tdx_report_req *r = calloc(1, sizeof(*r));
	uint8_t *g;

	(void)state;
	NEED_TDX();
	assert_int_equal(xioctl(CVM_SNP_GET_REPORT, r), -ENOTTY);
	assert_int_equal(xioctl(_IOWR('T', 2, struct cvm_tdx_report_req), r), -ENOTTY);
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, (void *)16), -EFAULT);
	g = guarded_pages();
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, g + page - 64), -EFAULT);	/* tdreport unmapped */
	free_guarded(g);
	/* TDCALL_OPERAND_BUSY: -EIO as 6.2-6.15's driver, -EBUSY as 6.16+'s */
	control("kernel 6.15");
	control("tdcall_busy 1");
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, r), -EIO);
	control("kernel 6.16");
	control("tdcall_busy 1");
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, r), -EBUSY);
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, r), 0);
	control("tdcall_error");
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, r), -EIO);
	assert_int_equal(xioctl(CVM_TDX_CMD_GET_REPORT0, r), 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_snp_report, snp_setup),
		cmocka_unit_test_setup(test_snp_readonly_inputs, snp_setup),
		cmocka_unit_test_setup(test_snp_bad_input, snp_setup),
		cmocka_unit_test_setup(test_snp_ext_report, snp_setup),
		cmocka_unit_test_setup(test_snp_derived_key, snp_setup),
		cmocka_unit_test_setup(test_snp_throttled, snp_setup),
		cmocka_unit_test_setup(test_snp_concurrent, snp_setup),
		cmocka_unit_test_setup(test_snp_wipe, snp_setup),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_tdx_report),
		cmocka_unit_test(test_tdx_errors),
	};
	const char *dev = !access("/dev/sev-guest", F_OK) ? "/dev/sev-guest" :
			  !access("/dev/tdx_guest", F_OK) ? "/dev/tdx_guest" : NULL;
	int ret;

	page = sysconf(_SC_PAGESIZE);
	control_dir = getenv("CVMATTEST_SIM_CONTROL");
	if (!control_dir)
		control_dir = "/run/cvmattest-sim";
	sim_set_log(NULL);
	if (sim_keys_load(NULL, &keys))
		return 1;
	if (dev) {
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "test_simd: %s: %s\n", dev, strerror(errno));
			return 1;
		}
	} else {
		fprintf(stderr, "test_simd: no /dev/sev-guest or /dev/tdx_guest: skipping\n");
	}
	ret = cmocka_run_group_tests_name(dev ? dev : "simd", tests, NULL, NULL);
	if (fd >= 0)
		close(fd);
	sim_keys_free(keys);
	return ret;
}
