// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cvm_device_get_evidence() against a stand-in for the kernel module: the
 * test binary is linked with -Wl,--wrap=ioctl, so every ioctl() the library
 * makes lands in __wrap_ioctl() below, which plays /dev/cvmattest by the
 * UAPI header's rules (size-versioned structs, -ENOSPC with the needed
 * length, firmware errors reported back).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/cvmattest.h>

#include "testutil.h"

int __wrap_ioctl(int fd, unsigned long req, ...);
int __real_ioctl(int fd, unsigned long req, ...);

static struct {
	uint32_t caps;
	uint32_t evidence_max, certs_max;
	uint32_t evidence_len, certs_len;	/* what the "platform" produces */
	int fail_errno;				/* GET_EVIDENCE fails with this */
	int calls, enospc;
	uint32_t last_flags, last_privlevel;
	uint8_t last_report_data[64];
} dev;

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (req == CVMATTEST_IOC_INFO) {
		struct cvmattest_info *i = arg;

		if (i->size < CVMATTEST_INFO_SIZE_VER0) {
			errno = EINVAL;
			return -1;
		}
		i->abi_version = CVMATTEST_ABI_VERSION;
		i->provider = CVMATTEST_PROVIDER_SNP;
		i->platform = CVMATTEST_PLATFORM_SEV_SNP;
		i->caps = dev.caps;
		i->evidence_max = dev.evidence_max;
		i->certs_max = dev.certs_max;
		i->privlevel_floor = 0;
		i->privlevel_max = 3;
		strcpy(i->provider_name, "snp");
		return 0;
	}
	if (req == CVMATTEST_IOC_GET_EVIDENCE) {
		struct cvmattest_evidence_req *q = arg;
		uint8_t *ev = (uint8_t *)(uintptr_t)q->evidence;

		dev.calls++;
		if (q->size != sizeof(*q) || (q->flags & ~CVMATTEST_EVIDENCE_F_ALL) || q->reserved) {
			errno = EINVAL;
			return -1;
		}
		dev.last_flags = q->flags;
		dev.last_privlevel = q->privlevel;
		memcpy(dev.last_report_data, q->report_data, 64);
		if (dev.fail_errno) {
			q->fw_error = 0x16;
			q->vmm_error = 0;
			errno = dev.fail_errno;
			return -1;
		}
		if (q->evidence_len < dev.evidence_len ||
		    ((q->flags & CVMATTEST_EVIDENCE_F_CERTS) && q->certs_len < dev.certs_len)) {
			q->evidence_len = dev.evidence_len;
			q->certs_len = (q->flags & CVMATTEST_EVIDENCE_F_CERTS) ? dev.certs_len : 0;
			dev.enospc++;
			errno = ENOSPC;
			return -1;
		}
		for (uint32_t i = 0; i < dev.evidence_len; i++)
			ev[i] = (uint8_t)(i ^ q->report_data[i % 64]);
		q->evidence_len = dev.evidence_len;
		if (q->flags & CVMATTEST_EVIDENCE_F_CERTS) {
			memset((void *)(uintptr_t)q->certs, 0xce, dev.certs_len);
			q->certs_len = dev.certs_len;
		}
		q->format = CVMATTEST_FORMAT_SNP_REPORT;
		q->platform = CVMATTEST_PLATFORM_SEV_SNP;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static int setup(void **state)
{
	(void)state;
	memset(&dev, 0, sizeof(dev));
	dev.caps = CVMATTEST_CAP_CERTS | CVMATTEST_CAP_PRIVLEVEL;
	dev.evidence_max = 4096;
	dev.certs_max = 16384;
	dev.evidence_len = 1184;
	dev.certs_len = 12288;
	return 0;
}

static void test_plain(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_evidence_request req = { 0 };
	struct cvm_evidence ev;

	(void)state;
	for (int i = 0; i < 64; i++)
		req.report_data[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), 0);
	assert_int_equal(ev.format, CVM_FORMAT_SNP_REPORT);
	assert_int_equal(ev.len, 1184);
	assert_int_equal(ev.data[70], (uint8_t)(70 ^ (0xa0 + 6)));
	assert_null(ev.certs);
	assert_int_equal(dev.last_flags, 0);
	assert_memory_equal(dev.last_report_data, req.report_data, 64);
	assert_int_equal(dev.calls, 1);
	cvm_evidence_done(&ev);
	cvm_ctx_free(ctx);
}

static void test_certs_and_vmpl(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_evidence_request req = { .want_certs = true, .has_privlevel = true, .privlevel = 2 };
	struct cvm_evidence ev;

	(void)state;
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), 0);
	assert_int_equal(ev.certs_len, 12288);
	assert_int_equal(ev.certs[100], 0xce);
	assert_int_equal(dev.last_flags, CVMATTEST_EVIDENCE_F_CERTS | CVMATTEST_EVIDENCE_F_PRIVLEVEL);
	assert_int_equal(dev.last_privlevel, 2);
	cvm_evidence_done(&ev);
	/* out of the advertised range: refused before any request */
	req.privlevel = 4;
	dev.calls = 0;
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), -EINVAL);
	assert_int_equal(dev.calls, 0);
	cvm_ctx_free(ctx);
}

static void test_enospc_retry(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_evidence_request req = { .want_certs = true };
	struct cvm_evidence ev;

	(void)state;
	/* the module under-reports its maximum; -ENOSPC says what is needed */
	dev.certs_max = 4096;
	dev.certs_len = 20480;
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), 0);
	assert_int_equal(dev.enospc, 1);
	assert_int_equal(dev.calls, 2);
	assert_int_equal(ev.certs_len, 20480);
	cvm_evidence_done(&ev);
	cvm_ctx_free(ctx);
}

static void test_errors(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_evidence_request req = { 0 };
	struct cvm_evidence ev;

	(void)state;
	/* platform failure: reported, not retried (a failed SNP request can cost the VMPCK) */
	dev.fail_errno = EIO;
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), -EIO);
	assert_int_equal(dev.calls, 1);
	dev.fail_errno = EBUSY;
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), -EBUSY);
	assert_int_equal(dev.calls, 2);
	dev.fail_errno = 0;
	/* capabilities the provider lacks */
	req.want_quote = true;
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), -EOPNOTSUPP);
	req.want_quote = false;
	dev.caps = 0;
	req.want_certs = true;
	assert_int_equal(cvm_device_get_evidence(ctx, "/dev/null", &req, &ev), -EOPNOTSUPP);
	assert_int_equal(dev.calls, 2);
	/* no device */
	assert_int_equal(cvm_device_get_evidence(ctx, "/nonexistent/cvmattest", &req, &ev), -ENOENT);
	cvm_ctx_free(ctx);
}

static void test_info(void **state)
{
	struct cvm_ctx *ctx = quiet_ctx();
	struct cvm_device_info info;

	(void)state;
	assert_int_equal(cvm_device_info(ctx, "/dev/null", &info), 0);
	assert_int_equal(info.abi_version, CVMATTEST_ABI_VERSION);
	assert_int_equal(info.provider, CVMATTEST_PROVIDER_SNP);
	assert_string_equal(info.provider_name, "snp");
	assert_int_equal(info.evidence_max, 4096);
	cvm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_plain, setup),
		cmocka_unit_test_setup(test_certs_and_vmpl, setup),
		cmocka_unit_test_setup(test_enospc_retry, setup),
		cmocka_unit_test_setup(test_errors, setup),
		cmocka_unit_test_setup(test_info, setup),
	};

	return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
