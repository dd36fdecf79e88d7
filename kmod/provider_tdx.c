// SPDX-License-Identifier: GPL-2.0-only
/*
 * Provider "tdx": Intel TDX guests with /dev/tdx_guest (6.2+).
 *
 * TDREPORT through TDX_CMD_GET_REPORT0.  A TDREPORT is MAC'ed with a
 * CPU-bound key and is turned into a verifiable quote by the host's
 * quoting enclave; the kernel can only do that itself through configfs-tsm
 * (6.7+), which has no in-kernel consumer API, so this provider does not
 * claim CVMATTEST_CAP_QUOTE: user space gets the quote from configfs-tsm or
 * from the cloud's quote service (Azure IMDS /acc/tdquote).
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

static_assert(sizeof(struct cvm_tdx_report_req) == 1088);
static_assert(CVM_TDX_CMD_GET_REPORT0 == 0xC4405401);
static_assert(sizeof(struct cvm_tdx_report_req) <= CVMATTEST_STAGE_LEN);

static int tdx_probe(struct cvmattest_provider *prov)
{
	int ret = cvmattest_platform_probe(prov, CVM_TDX_GUEST_PATH);

	if (ret)
		return ret;
	prov->platform = CVMATTEST_PLATFORM_TDX;
	prov->caps = 0;
	prov->evidence_max = TDX_REPORT_SIZE;
	prov->evidence_size = TDX_REPORT_SIZE;
	prov->certs_max = 0;
	prov->privlevel_floor = 0;
	prov->privlevel_max = 0;
	return 0;
}

static int tdx_get_evidence(struct cvmattest_provider *prov,
			    struct cvmattest_evidence *ev)
{
	struct cvm_tdx_report_req *req;
	struct file *dev = prov->priv;
	long ret;

	if (ev->evidence_cap < TDX_REPORT_SIZE)
		return -ENOSPC;
	/* The staging area's image: REPORTDATA in, TDREPORT out. */
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	memcpy(req->reportdata, ev->report_data, sizeof(req->reportdata));

	ret = mutex_lock_killable(&prov->lock);
	if (ret)
		goto out;
	ret = cvmattest_platform_ioctl(dev, CVM_TDX_CMD_GET_REPORT0,
				       req, sizeof(*req), 0);
	mutex_unlock(&prov->lock);
	/*
	 * tdx-guest: -EINVAL is TDCALL_INVALID_OPERAND, -EIO any other TDCALL
	 * failure, -EBUSY (6.16+) TDCALL_OPERAND_BUSY, which is safe to retry.
	 */
	if (ret == -EBUSY)
		ret = -EAGAIN;
	if (ret)
		goto out;

	if (req->tdreport[TDX_R_REPORTTYPE] != TDX_REPORTTYPE_TDX) {
		ret = -EPROTO;
		goto out;
	}
	memcpy(ev->evidence, req->tdreport, TDX_REPORT_SIZE);
	ev->evidence_len = TDX_REPORT_SIZE;
	ev->format = CVMATTEST_FORMAT_TDX_TDREPORT;
	ev->platform = CVMATTEST_PLATFORM_TDX;
out:
	kfree_sensitive(req);
	return ret;
}

/* Launch state from a TDREPORT (also inside an Azure HCL report). */
void cvmattest_tdx_describe_report(const u8 *r, struct cvmattest_launch *l)
{
	l->version = r[TDX_R_REPORTTYPE + 2];
	l->policy = get_unaligned_le64(r + TDX_R_TD_ATTRIBUTES);
	l->debug = l->policy & TDX_TD_ATTR_DEBUG;
	memcpy(l->measurement, r + TDX_R_MRTD, TDX_MR_LEN);
	memcpy(l->tcb, r + TDX_R_TEE_TCB_SVN, 16);
	l->tcb_len = 16;
	l->valid = true;
}

static void tdx_describe(const struct cvmattest_evidence *ev,
			 struct cvmattest_launch *l)
{
	if (ev->evidence_len == TDX_REPORT_SIZE)
		cvmattest_tdx_describe_report(ev->evidence, l);
}

const struct cvmattest_provider_ops cvmattest_tdx_ops = {
	.name = "tdx",
	.id = CVMATTEST_PROVIDER_TDX,
	.probe = tdx_probe,
	.remove = cvmattest_platform_remove,
	.get_evidence = tdx_get_evidence,
	.describe = tdx_describe,
};
