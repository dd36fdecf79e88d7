// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Evidence from /dev/cvmattest (include/uapi/linux/cvmattest.h).  Buffers
 * are sized from CVMATTEST_IOC_INFO; -ENOSPC tells the size needed and is
 * retried, a bounded number of times.  Nothing else is retried: the module
 * already bounds the platform's own retries, and on SNP a second failing
 * request would gain nothing (a failed guest request can cost the VM its
 * VMPCK).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/cvmattest.h>

#include "evidence/evidence.h"


#define EVIDENCE_LIMIT (1024 * 1024)
#define CERTS_LIMIT (1024 * 1024)

static int open_device(const struct cvm_ctx *ctx, const char *device)
{
	int fd = open(device ? device : CVM_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		log_error(ctx, "Failed to open %s: %s%s", device ? device : CVM_DEVICE_PATH,
			  strerror(e), e == ENOENT ? " (is cvmattest.ko loaded?)" : "");
		return -e;
	}
	return fd;
}

static int query_info(const struct cvm_ctx *ctx, const char *device, int fd,
		      struct cvmattest_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (ioctl(fd, CVMATTEST_IOC_INFO, info) < 0) {
		int e = errno;

		/* another file or device (/dev/null: ENOTTY) does not know the ioctl */
		if (e == ENOTTY || e == EINVAL || e == ENOSYS) {
			log_error(ctx, "%s is not a cvmattest device (it does not answer "
				  "CVMATTEST_IOC_INFO: %s); leave out --device to use " CVM_DEVICE_PATH,
				  device ? device : CVM_DEVICE_PATH, strerror(e));
			return -ENOTTY;
		}
		log_error(ctx, "CVMATTEST_IOC_INFO failed: %s", strerror(e));
		return -e;
	}
	if (info->abi_version != CVMATTEST_ABI_VERSION)
		log_warning(ctx, "cvmattest ABI version %u, this tool knows %u", info->abi_version,
			    CVMATTEST_ABI_VERSION);
	return 0;
}

int cvm_device_info(struct cvm_ctx *ctx, const char *device, struct cvm_device_info *ret)
{
	_cleanup_close_ int fd = -1;
	struct cvmattest_info info;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	fd = open_device(ctx, device);
	if (fd < 0)
		return fd;
	r = query_info(ctx, device, fd, &info);
	if (r < 0)
		return r;
	*ret = (struct cvm_device_info){ .abi_version = info.abi_version,
					 .provider = info.provider,
					 .platform = info.platform,
					 .caps = info.caps,
					 .evidence_max = info.evidence_max,
					 .certs_max = info.certs_max,
					 .privlevel_floor = info.privlevel_floor,
					 .privlevel_max = info.privlevel_max };
	memcpy(ret->provider_name, info.provider_name, CVMATTEST_NAME_LEN);
	ret->provider_name[CVMATTEST_NAME_LEN] = 0;
	return 0;
}

void cvm_evidence_done(struct cvm_evidence *e)
{
	if (!e)
		return;
	free(e->data);
	free(e->certs);
	memset(e, 0, sizeof(*e));
}

static enum cvm_format format_from_uapi(uint32_t f)
{
	switch (f) {
	case CVMATTEST_FORMAT_SNP_REPORT:
		return CVM_FORMAT_SNP_REPORT;
	case CVMATTEST_FORMAT_TDX_TDREPORT:
		return CVM_FORMAT_TDX_TDREPORT;
	case CVMATTEST_FORMAT_TDX_QUOTE:
		return CVM_FORMAT_TDX_QUOTE;
	case CVMATTEST_FORMAT_AZURE_HCL:
		return CVM_FORMAT_AZURE_HCL;
	default:
		return CVM_FORMAT_UNKNOWN;
	}
}

static int grow(uint8_t **buf, size_t *cap, size_t want, size_t limit)
{
	uint8_t *nb;

	if (want > limit)
		return -EFBIG;
	if (want <= *cap && *buf)
		return 0;
	nb = realloc(*buf, want ? want : 1);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = want;
	return 0;
}

int cvm_device_get_evidence(struct cvm_ctx *ctx, const char *device,
			    const struct cvm_evidence_request *req, struct cvm_evidence *ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *ev = NULL;
	_cleanup_free_ uint8_t *certs = NULL;
	struct cvmattest_info info;
	struct cvmattest_evidence_req q;
	size_t ev_cap = 0, certs_cap = 0, ev_want, certs_want = 0;
	int r;

	if (!ctx || !req || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	fd = open_device(ctx, device);
	if (fd < 0)
		return fd;
	r = query_info(ctx, device, fd, &info);
	if (r < 0)
		return r;
	if (req->want_certs && !(info.caps & CVMATTEST_CAP_CERTS)) {
		log_error(ctx, "Provider \"%.16s\" cannot return certificates", info.provider_name);
		return -EOPNOTSUPP;
	}
	if (req->want_quote && !(info.caps & CVMATTEST_CAP_QUOTE)) {
		log_error(ctx, "Provider \"%.16s\" cannot produce a quote", info.provider_name);
		return -EOPNOTSUPP;
	}
	if (req->has_privlevel && !(info.caps & CVMATTEST_CAP_PRIVLEVEL)) {
		log_error(ctx, "Provider \"%.16s\" has no privilege levels", info.provider_name);
		return -EOPNOTSUPP;
	}
	if (req->has_privlevel &&
	    (req->privlevel < info.privlevel_floor || req->privlevel > info.privlevel_max))
		return log_error_errno(ctx, -EINVAL, "Privilege level %u is outside %u..%u",
				       req->privlevel, info.privlevel_floor, info.privlevel_max);
	ev_want = info.evidence_max ? info.evidence_max : 16384;
	if (req->want_certs)
		certs_want = info.certs_max ? info.certs_max : 16384;

	/* -ENOSPC tells the size needed; twice is enough unless it keeps moving. */
	for (int attempt = 0;; attempt++) {
		r = grow(&ev, &ev_cap, ev_want, EVIDENCE_LIMIT);
		if (r == 0 && req->want_certs)
			r = grow(&certs, &certs_cap, certs_want, CERTS_LIMIT);
		if (r < 0)
			return log_error_errno(ctx, r, "Cannot allocate evidence buffers: %s",
					       strerror(-r));
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		memcpy(q.report_data, req->report_data, sizeof(q.report_data));
		if (req->want_certs)
			q.flags |= CVMATTEST_EVIDENCE_F_CERTS;
		if (req->want_quote)
			q.flags |= CVMATTEST_EVIDENCE_F_QUOTE;
		if (req->has_privlevel) {
			q.flags |= CVMATTEST_EVIDENCE_F_PRIVLEVEL;
			q.privlevel = req->privlevel;
		}
		q.evidence = (uintptr_t)ev;
		q.evidence_len = (uint32_t)ev_cap;
		if (req->want_certs) {
			q.certs = (uintptr_t)certs;
			q.certs_len = (uint32_t)certs_cap;
		}
		if (ioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &q) == 0)
			break;
		r = -errno;
		if (r == -ENOSPC && attempt < 3 &&
		    (q.evidence_len > ev_cap || (req->want_certs && q.certs_len > certs_cap))) {
			log_debug(ctx, "Buffers too small, retrying with %u / %u bytes", q.evidence_len,
				  q.certs_len);
			if (q.evidence_len > ev_cap)
				ev_want = q.evidence_len;
			if (q.certs_len > certs_cap)
				certs_want = q.certs_len;
			continue;
		}
		if (r == -EIO || r == -EBUSY || r == -ETIMEDOUT || r == -EAGAIN)
			log_error(ctx, "Evidence request failed: %s (firmware error 0x%llx, VMM error 0x%llx)",
				  strerror(-r), (unsigned long long)q.fw_error,
				  (unsigned long long)q.vmm_error);
		else
			log_error(ctx, "Evidence request failed: %s", strerror(-r));
		return r;
	}
	if (q.evidence_len > ev_cap || (req->want_certs && q.certs_len > certs_cap)) {
		log_error(ctx, "The module reported more bytes than the buffers hold");
		return -EPROTO;
	}

	ret->format = format_from_uapi(q.format);
	ret->platform = q.platform;
	ret->len = q.evidence_len;
	ret->data = TAKE_PTR(ev);
	if (req->want_certs) {
		ret->certs_len = q.certs_len;
		ret->certs = TAKE_PTR(certs);
	}
	ret->fw_error = q.fw_error;
	ret->vmm_error = q.vmm_error;
	return 0;
}
