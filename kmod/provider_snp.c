// SPDX-License-Identifier: GPL-2.0-only
/*
 * Provider "snp": AMD SEV-SNP guests with /dev/sev-guest.
 *
 * Every request goes through sev-guest's SNP_GET_REPORT/SNP_GET_EXT_REPORT
 * ioctls.  A failed SNP guest request makes sev-guest wipe the VMPCK for
 * the whole guest (no report until reboot, kernel 6.1's IV-reuse fix), so
 * nothing reaches sev-guest that the core has not validated, the message
 * version is always 1, and the certificate buffer is the largest sev-guest
 * accepts (16 KiB), so the one tolerated failure, "certificate buffer too
 * small", cannot be provoked by a caller.  Host throttling is retried by
 * sev-guest itself for up to 60 s; we do not add a second loop on top.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <cvmattest/evidence.h>
#include <cvmattest/platform-abi.h>

#include "compat.h"
#include "cvmattest.h"

static_assert(sizeof(struct cvm_snp_report_req) == 96);
static_assert(sizeof(struct cvm_snp_guest_request_ioctl) == 32);
static_assert(sizeof(struct cvm_snp_ext_report_req) == 112);
static_assert(CVM_SNP_GET_REPORT == 0xC0205300);
static_assert(CVM_SNP_GET_EXT_REPORT == 0xC0205302);

/*
 * Layout of the staging area (platform_file.c: an address space no task
 * runs in).  The driver gets it as user pointers; we build and read only
 * our kernel image of it.
 */
#define SNP_B_IOCTL	0
#define SNP_B_REQ	128
#define SNP_B_RESP	PAGE_SIZE
#define SNP_B_CERTS	(2 * PAGE_SIZE)
#define SNP_B_LEN	(SNP_B_CERTS + SNP_CERTS_MAX)

static_assert(SNP_B_REQ + sizeof(struct cvm_snp_ext_report_req) <= SNP_B_RESP);
static_assert(SNP_B_RESP + sizeof(struct cvm_snp_report_resp) <= SNP_B_CERTS);
static_assert(SNP_B_LEN <= CVMATTEST_STAGE_LEN);

static int snp_probe(struct cvmattest_provider *prov)
{
	int ret = cvmattest_platform_probe(prov, CVM_SEV_GUEST_PATH);

	if (ret)
		return ret;
	prov->platform = CVMATTEST_PLATFORM_SEV_SNP;
	prov->caps = CVMATTEST_CAP_CERTS | CVMATTEST_CAP_PRIVLEVEL;
	prov->evidence_max = SNP_REPORT_SIZE;
	prov->evidence_size = SNP_REPORT_SIZE;
	prov->certs_max = SNP_CERTS_MAX;
	prov->privlevel_floor = 0;
	prov->privlevel_max = CVM_SNP_VMPL_MAX;
	return 0;
}

/*
 * The certificate table is padded to whole pages; report the bytes that
 * are in use: the table itself up to its zero terminator, and every blob
 * it points at.  A table that points outside the buffer is the host's
 * fault and is refused rather than passed on.
 */
static int snp_certs_used(const u8 *certs, size_t len, size_t *used)
{
	static const u8 zero[SNP_CERT_ENTRY_SIZE];
	size_t off, end = 0;

	for (off = 0; off + SNP_CERT_ENTRY_SIZE <= len;
	     off += SNP_CERT_ENTRY_SIZE) {
		const u8 *e = certs + off;
		u32 o, l;

		if (!memcmp(e, zero, sizeof(zero))) {
			end = max_t(size_t, end, off + SNP_CERT_ENTRY_SIZE);
			*used = off ? end : 0;
			return 0;
		}
		o = get_unaligned_le32(e + SNP_CERT_ENTRY_OFFSET);
		l = get_unaligned_le32(e + SNP_CERT_ENTRY_LENGTH);
		if (o > len || l > len - o)
			return -EPROTO;
		end = max_t(size_t, end, (size_t)o + l);
	}
	return -EPROTO;		/* no terminator */
}

static int snp_map_driver_error(long ret, struct cvmattest_evidence *ev)
{
	switch (ret) {
	case -ETIMEDOUT:
		/* Throttled for sev-guest's whole retry window. */
		return -EBUSY;
	case -ENOTTY:
		/*
		 * sev-guest disabled its VMPCK after an earlier failure (by
		 * someone else: we never send what it would refuse).
		 */
		pr_err_ratelimited("sev-guest refuses requests (VMPCK disabled); a reboot is needed\n");
		return -EIO;
	case -EIO:
		if (ev->vmm_error == CVM_SNP_VMM_ERR_INVALID_LEN)
			return -EMSGSIZE;	/* host has > 16 KiB of certs */
		return -EIO;
	default:
		return ret;
	}
}

/*
 * The request as the kernel decided it: message version 1, the caller's
 * validated REPORT_DATA and VMPL, our own buffers.  Nothing of it comes
 * from, or can be changed through, user memory.
 */
static void snp_stage(u8 *img, const struct cvmattest_evidence *ev, bool certs)
{
	struct cvm_snp_guest_request_ioctl rio = {
		.msg_version = CVM_SNP_MSG_VERSION,
		.req_data = cvmattest_stage_addr(SNP_B_REQ),
		.resp_data = cvmattest_stage_addr(SNP_B_RESP),
	};
	struct cvm_snp_ext_report_req req = {
		.data.vmpl = ev->privlevel,
	};

	memcpy(req.data.user_data, ev->report_data, sizeof(req.data.user_data));
	if (certs) {
		req.certs_address = cvmattest_stage_addr(SNP_B_CERTS);
		req.certs_len = SNP_CERTS_MAX;
	}
	memcpy(img + SNP_B_IOCTL, &rio, sizeof(rio));
	memcpy(img + SNP_B_REQ, &req, certs ? sizeof(req) : sizeof(req.data));
}

/* Unwrap MSG_REPORT_RSP, as copied back from the staging area, into ev->evidence. */
static int snp_unwrap(const u8 *resp, struct cvmattest_evidence *ev)
{
	u32 status, size;

	status = get_unaligned_le32(resp + SNP_MSG_REPORT_RSP_STATUS);
	size = get_unaligned_le32(resp + SNP_MSG_REPORT_RSP_SIZE);
	ev->fw_error = status;
	if (status != SNP_FW_STATUS_SUCCESS) {
		/* The firmware answered and refused, e.g. a VMPL below ours. */
		return status == SNP_FW_STATUS_INVALID_PARAM ? -EINVAL : -EIO;
	}
	if (size != SNP_REPORT_SIZE || size > ev->evidence_cap)
		return -EPROTO;
	memcpy(ev->evidence, resp + SNP_MSG_REPORT_RSP_REPORT, size);
	ev->evidence_len = size;
	ev->format = CVMATTEST_FORMAT_SNP_REPORT;
	ev->platform = CVMATTEST_PLATFORM_SEV_SNP;
	return 0;
}

static int snp_get_evidence(struct cvmattest_provider *prov,
			    struct cvmattest_evidence *ev)
{
	bool certs = ev->flags & CVMATTEST_EVIDENCE_F_CERTS;
	size_t len = certs ? SNP_B_LEN : SNP_B_CERTS;
	struct cvm_snp_guest_request_ioctl rio;
	struct file *dev = prov->priv;
	long ret;
	u8 *img;

	img = kvzalloc(len, GFP_KERNEL);
	if (!img)
		return -ENOMEM;
	snp_stage(img, ev, certs);

	ret = mutex_lock_killable(&prov->lock);
	if (ret)
		goto out;
	ret = cvmattest_platform_ioctl(dev,
				       certs ? CVM_SNP_GET_EXT_REPORT :
					       CVM_SNP_GET_REPORT,
				       img, len, SNP_B_IOCTL);
	mutex_unlock(&prov->lock);

	/* sev-guest writes the struct back only with a non-zero exitinfo2. */
	memcpy(&rio, img + SNP_B_IOCTL, sizeof(rio));
	ev->fw_error = rio.fw_error;
	ev->vmm_error = rio.vmm_error;
	if (ret) {
		ret = snp_map_driver_error(ret, ev);
		goto out;
	}

	ret = snp_unwrap(img + SNP_B_RESP, ev);
	if (ret || !certs)
		goto out;
	memcpy(ev->certs, img + SNP_B_CERTS, SNP_CERTS_MAX);
	ret = snp_certs_used(ev->certs, SNP_CERTS_MAX, &ev->certs_len);
out:
	kvfree(img);
	return ret;
}

/* Launch state from an ATTESTATION_REPORT (also inside an Azure HCL report). */
void cvmattest_snp_describe_report(const u8 *r, struct cvmattest_launch *l)
{
	l->version = get_unaligned_le32(r + SNP_R_VERSION);
	l->policy = get_unaligned_le64(r + SNP_R_POLICY);
	l->debug = l->policy & SNP_POLICY_DEBUG;
	memcpy(l->measurement, r + SNP_R_MEASUREMENT, SNP_MEASUREMENT_LEN);
	/* shown as the u64 AMD's tools print: microcode SPL first */
	put_unaligned_be64(get_unaligned_le64(r + SNP_R_REPORTED_TCB), l->tcb);
	l->tcb_len = 8;
	l->valid = true;
}

static void snp_describe(const struct cvmattest_evidence *ev,
			 struct cvmattest_launch *l)
{
	if (ev->evidence_len == SNP_REPORT_SIZE)
		cvmattest_snp_describe_report(ev->evidence, l);
}

const struct cvmattest_provider_ops cvmattest_snp_ops = {
	.name = "snp",
	.id = CVMATTEST_PROVIDER_SNP,
	.probe = snp_probe,
	.remove = cvmattest_platform_remove,
	.get_evidence = snp_get_evidence,
	.describe = snp_describe,
};
