// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * simdev: Debian 6.1's sev-guest driver and the 6.2 tdx-guest driver as
 * user space sees them, over a simulated host.  See simdev.h.
 *
 * The SNP path follows drivers/virt/coco/sev-guest/sev-guest.c of
 * linux-source-6.1 (6.1.192: IV-reuse fix, throttling retry, -EIO for a
 * too-small certificate buffer) and snp_issue_guest_request() of
 * arch/x86/kernel/sev.c, function by function: snp_guest_ioctl,
 * get_report, get_derived_key, get_ext_report, handle_guest_request,
 * __handle_guest_request, verify_and_dec_payload.  The host side (VMM and
 * AMD-SP) is modelled just enough to produce the same exit codes: the
 * firmware accepts only the next sequence number and does not advance it
 * on failure, as the driver's comments describe for ASP firmware 1.51.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simdev.h"
#include "sim_internal.h"

/* sev-guest.c / sev.h constants */
#define SNP_MSG_KEY_REQ		3
#define SNP_MSG_REPORT_REQ	5
#define AUTHTAG_LEN		16		/* GCM tag; crypto->a_len */
#define SEV_RET_NO_FW_CALL	((uint64_t)-1)	/* psp-sev.h: -1 */
#define EXITINFO2_DEFAULT	0xff		/* snp_guest_ioctl: input.exitinfo2 = 0xff */
#define VMM_ERR(x)		((uint64_t)(x) << CVM_SNP_VMM_ERR_SHIFT)
#define PAGE_SHIFT		12
#define SNP_MSG_REPORT_RSP_BYTES	(SNP_MSG_REPORT_RSP_REPORT + SNP_REPORT_SIZE)

/* The user ABI this model serves (upstream sizes and numbers, LNX uapi). */
_Static_assert(sizeof(struct cvm_snp_guest_request_ioctl) == 32, "snp_guest_request_ioctl");
_Static_assert(sizeof(struct cvm_snp_report_req) == 96, "snp_report_req");
_Static_assert(sizeof(struct cvm_snp_ext_report_req) == 112, "snp_ext_report_req");
_Static_assert(sizeof(struct cvm_snp_derived_key_req) == 32, "snp_derived_key_req");
_Static_assert(sizeof(struct cvm_snp_derived_key_resp) == SNP_MSG_KEY_RSP_LEN, "snp_derived_key_resp");
_Static_assert(sizeof(struct cvm_snp_report_resp) == SNP_MSG_REPORT_RSP_LEN, "snp_report_resp");
_Static_assert(sizeof(struct cvm_tdx_report_req) == 1088, "tdx_report_req");
_Static_assert(CVM_SNP_GET_REPORT == 0xC0205300 && CVM_SNP_GET_DERIVED_KEY == 0xC0205301 &&
	       CVM_SNP_GET_EXT_REPORT == 0xC0205302, "SNP ioctl numbers");
_Static_assert(CVM_TDX_CMD_GET_REPORT0 == 0xC4405401, "TDX ioctl number");

/* The guest message as the model carries it (plaintext; see README). */
struct snp_msg {
	uint64_t seqno;
	uint8_t type, version;
	uint16_t size;
	bool auth_ok;			/* the AES-GCM tag verifies */
	uint8_t payload[CVM_SNP_PAGE_SIZE - 96];
};

struct snp_ctx {
	struct snp_msg req, resp;	/* secret_request, the shared response */
};

static void dlog(struct simdev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dlog(struct simdev *d, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!d->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	d->log(line);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int simdev_init(struct simdev *d)
{
	int ret;

	ret = pthread_mutex_init(&d->lock, NULL);
	if (ret)
		return -ret;
	d->certs_data = calloc(1, SNP_CERTS_MAX);
	if (!d->certs_data) {
		pthread_mutex_destroy(&d->lock);
		return -ENOMEM;
	}
	d->certs = NULL;
	d->certs_len = 0;
	if (d->platform == SIMDEV_SNP) {
		ret = sim_snp_build_cert_table(&d->snp, d->keys, &d->certs, &d->certs_len);
		if (ret) {
			simdev_destroy(d);
			return ret;
		}
	}
	simdev_reboot(d);
	return 0;
}

void simdev_destroy(struct simdev *d)
{
	free(d->certs);
	free(d->certs_data);
	d->certs = d->certs_data = NULL;
	pthread_mutex_destroy(&d->lock);
}

unsigned int simdev_parse_kernel(const char *release)
{
	unsigned int maj, min;
	char next;
	int n;

	n = sscanf(release, "%u.%u%c", &maj, &min, &next);
	if (n < 2 || maj < 2 || maj > 99 || min > 999)
		return 0;
	if (n == 3 && next != '.' && next != '-' && next != '+')
		return 0;
	return SIMDEV_KERNEL(maj, min);
}

static unsigned int kernel_of(const struct simdev *d)
{
	return d->kernel ? d->kernel : SIMDEV_KERNEL_DEFAULT;
}

void simdev_reboot(struct simdev *d)
{
	d->vmpck_wiped = false;
	d->msg_seqno = 0;
	d->fw_seqno = 0;
	d->data_npages = 0;
	memset(&d->inj, 0, sizeof(d->inj));
	memset(&d->st, 0, sizeof(d->st));
}

const char *simdev_cmd_name(unsigned int cmd)
{
	switch (cmd) {
	case CVM_SNP_GET_REPORT:
		return "SNP_GET_REPORT";
	case CVM_SNP_GET_DERIVED_KEY:
		return "SNP_GET_DERIVED_KEY";
	case CVM_SNP_GET_EXT_REPORT:
		return "SNP_GET_EXT_REPORT";
	case CVM_TDX_CMD_GET_REPORT0:
		return "TDX_CMD_GET_REPORT0";
	}
	return "unknown";
}

/* ---- the simulated AMD Secure Processor ------------------------------------------ */

static uint32_t asp_report_req(struct simdev *d, const struct snp_msg *req, struct snp_msg *resp)
{
	const struct cvm_snp_report_req *r = (const void *)req->payload;
	uint8_t *rsp = resp->payload;
	static const uint8_t zero[sizeof(r->rsvd)];

	memset(rsp, 0, SNP_MSG_REPORT_RSP_BYTES);
	resp->size = SNP_MSG_REPORT_RSP_BYTES;
	/*
	 * MSG_REPORT_REQ: VMPL must be 0-3 and at least the requester's (the
	 * guest kernel runs at VMPL0); reserved bytes must be zero.  Either
	 * is answered with STATUS INVALID_PARAM inside a successful message.
	 */
	if (r->vmpl > CVM_SNP_VMPL_MAX || memcmp(r->rsvd, zero, sizeof(zero))) {
		put_le32(rsp + SNP_MSG_REPORT_RSP_STATUS, SNP_FW_STATUS_INVALID_PARAM);
		return 0;
	}
	if (sim_snp_build_report(&d->snp, d->keys, r->user_data, r->vmpl,
				 rsp + SNP_MSG_REPORT_RSP_REPORT)) {
		dlog(d, "simulated firmware: signing the report failed");
		return SNP_FW_STATUS_INVALID_PARAM;
	}
	put_le32(rsp + SNP_MSG_REPORT_RSP_STATUS, SNP_FW_STATUS_SUCCESS);
	put_le32(rsp + SNP_MSG_REPORT_RSP_SIZE, SNP_REPORT_SIZE);
	return 0;
}

static uint32_t asp_key_req(struct simdev *d, const struct snp_msg *req, struct snp_msg *resp)
{
	uint8_t *rsp = resp->payload;
	uint32_t status;

	memset(rsp, 0, SNP_MSG_KEY_RSP_LEN);
	resp->size = SNP_MSG_KEY_RSP_LEN;
	status = sim_snp_derive_key(&d->snp, req->payload, rsp + SNP_MSG_KEY_RSP_KEY);
	put_le32(rsp + SNP_MSG_KEY_RSP_STATUS, status);
	return 0;
}

/* SNP_GUEST_REQUEST in the firmware: the status goes to exitinfo2[31:0]. */
static uint32_t asp_guest_request(struct simdev *d, const struct snp_msg *req,
				  struct snp_msg *resp)
{
	uint32_t fw;

	d->st.fw_calls++;
	if (d->inj.fw_error_set) {
		d->inj.fw_error_set = false;
		return d->inj.fw_error;
	}
	/*
	 * The firmware accepts only the next sequence number and only message
	 * version 1 of MSG_REPORT_REQ / MSG_KEY_REQ; the status it gives for
	 * the other cases is not documented in our sources, INVALID_PARAM is
	 * this simulator's choice.
	 */
	if (req->seqno != d->fw_seqno + 1 || req->version != CVM_SNP_MSG_VERSION)
		return SNP_FW_STATUS_INVALID_PARAM;
	if (req->type == SNP_MSG_REPORT_REQ)
		fw = asp_report_req(d, req, resp);
	else if (req->type == SNP_MSG_KEY_REQ)
		fw = asp_key_req(d, req, resp);
	else
		fw = SNP_FW_STATUS_INVALID_PARAM;
	if (fw)
		return fw;
	d->fw_seqno = req->seqno + 1;
	resp->seqno = req->seqno + 1;
	resp->type = (uint8_t)(req->type + 1);
	resp->version = req->version;
	resp->auth_ok = true;
	return 0;
}

/* ---- the simulated VMM: one GHCB guest-request exit -------------------------------- */

static uint64_t vmm_guest_request(struct simdev *d, bool ext, uint64_t *rbx,
				  const struct snp_msg *req, struct snp_msg *resp)
{
	uint64_t info2;

	d->st.guest_requests++;
	if (d->inj.latency_ms)
		sleep_ms(d->inj.latency_ms);
	if (d->inj.vmm_busy) {
		d->inj.vmm_busy--;
		d->st.throttled++;
		return VMM_ERR(CVM_SNP_VMM_ERR_BUSY);
	}
	if (d->inj.vmm_error_set) {
		d->inj.vmm_error_set = false;
		return VMM_ERR(d->inj.vmm_error);
	}
	if (ext) {
		/* RBX: pages the guest offers; too few -> INVALID_LEN with the need in RBX */
		uint64_t need = d->host_certs ? (d->certs_len + CVM_SNP_PAGE_SIZE - 1) / CVM_SNP_PAGE_SIZE : 0;

		if (d->inj.invalid_len_set) {
			d->inj.invalid_len_set = false;
			need = d->inj.invalid_len_pages ? d->inj.invalid_len_pages : *rbx + 1;
		}
		if (*rbx < need) {
			*rbx = need;
			return VMM_ERR(CVM_SNP_VMM_ERR_INVALID_LEN);
		}
		if (d->host_certs && d->certs_len <= *rbx * CVM_SNP_PAGE_SIZE)
			memcpy(d->certs_data, d->certs, d->certs_len);
	}
	info2 = asp_guest_request(d, req, resp);
	if (!info2 && d->inj.corrupt_response) {
		d->inj.corrupt_response = false;
		resp->auth_ok = false;	/* the host tampered with the response page */
	}
	return info2;
}

/* ---- the driver ---------------------------------------------------------------------- */

/* arch/x86/kernel/sev.c: snp_issue_guest_request() */
static int snp_issue_guest_request(struct simdev *d, struct snp_ctx *c, bool ext,
				   struct cvm_snp_guest_request_ioctl *rio)
{
	uint64_t rbx = d->data_npages;

	rio->exitinfo2 = SEV_RET_NO_FW_CALL;
	memset(&c->resp, 0, sizeof(c->resp));
	rio->exitinfo2 = vmm_guest_request(d, ext, &rbx, &c->req, &c->resp);
	switch (rio->exitinfo2) {
	case 0:
		return 0;
	case VMM_ERR(CVM_SNP_VMM_ERR_BUSY):
		return -EAGAIN;
	case VMM_ERR(CVM_SNP_VMM_ERR_INVALID_LEN):
		if (ext) {
			d->data_npages = (unsigned int)rbx;
			return -ENOSPC;
		}
		return -EIO;
	default:
		return -EIO;
	}
}

/* __handle_guest_request(): the INVALID_LEN and throttling special cases */
static int __handle_guest_request(struct simdev *d, struct snp_ctx *c, bool ext,
				  struct cvm_snp_guest_request_ioctl *rio)
{
	uint64_t start = now_ms();
	unsigned int override_npages = 0;
	uint64_t override_err = 0;
	int rc;

retry_request:
	rc = snp_issue_guest_request(d, c, ext, rio);
	switch (rc) {
	case -ENOSPC:
		/* resend the same message as a plain request so the seqno moves on */
		override_npages = d->data_npages;
		ext = false;
		override_err = VMM_ERR(CVM_SNP_VMM_ERR_INVALID_LEN);
		goto retry_request;
	case -EAGAIN:
		if (now_ms() - start > d->retry_max_ms || (d->stopping && *d->stopping)) {
			rc = -ETIMEDOUT;
			break;
		}
		/* schedule_timeout_killable() with snp_cmd_mutex held */
		sleep_ms(d->retry_delay_ms);
		goto retry_request;
	}

	d->msg_seqno += 2;	/* the ASP increments too */

	if (override_err) {
		rio->exitinfo2 = override_err;
		if (!rc && override_err == VMM_ERR(CVM_SNP_VMM_ERR_INVALID_LEN))
			rc = -EIO;
	}
	if (override_npages)
		d->data_npages = override_npages;
	return rc;
}

static void snp_disable_vmpck(struct simdev *d, int rc, uint64_t exitinfo2)
{
	dlog(d, "sev-guest: Disabling vmpck_id %d to prevent IV reuse.", SIMDEV_VMPCK_ID);
	d->vmpck_wiped = true;
	d->st.wipes++;
	d->st.wipe_rc = rc;
	d->st.wipe_exitinfo2 = exitinfo2;
}

/* verify_and_dec_payload(): any mismatch is -EBADMSG */
static int verify_and_dec_payload(struct snp_ctx *c, uint8_t *payload, size_t sz)
{
	const struct snp_msg *req = &c->req, *resp = &c->resp;

	if (resp->seqno != req->seqno + 1)
		return -EBADMSG;
	if (resp->type != req->type + 1 || resp->version != req->version)
		return -EBADMSG;
	if ((size_t)resp->size + AUTHTAG_LEN > sz)
		return -EBADMSG;
	if (!resp->auth_ok)
		return -EBADMSG;	/* GCM tag mismatch */
	memcpy(payload, resp->payload, resp->size);
	return 0;
}

static int handle_guest_request(struct simdev *d, struct snp_ctx *c, bool ext,
				struct cvm_snp_guest_request_ioctl *rio, uint8_t type,
				const void *req_buf, size_t req_sz, uint8_t *resp_buf, size_t resp_sz)
{
	uint64_t seqno = (uint64_t)d->msg_seqno + 1;
	int rc;

	if (kernel_of(d) >= SIMDEV_SNP_LATE_VMPCK_CHECK) {
		/*
		 * 6.14+: snp_send_guest_request() checks the VMPCK after the
		 * ioctl checked and copied the arguments; its struct
		 * snp_guest_req starts zeroed, so an early return leaves
		 * exitinfo2 0 and nothing is copied back.
		 */
		rio->exitinfo2 = 0;
		if (d->vmpck_wiped) {
			dlog(d, "sev-guest: VMPCK is disabled");
			return -ENOTTY;
		}
	}
	/* snp_get_msg_seqno(): the counter is 32 bits in the secrets page */
	if (seqno >= UINT32_MAX) {
		dlog(d, "sev-guest: request message sequence counter overflow");
		return -EIO;
	}
	memset(&c->req, 0, sizeof(c->req));
	c->req.seqno = seqno;
	c->req.type = type;
	c->req.version = rio->msg_version;
	if (rio->msg_version != CVM_SNP_MSG_VERSION)
		d->st.bad_msg_version++;
	c->req.size = (uint16_t)req_sz;
	memcpy(c->req.payload, req_buf, req_sz);

	rc = __handle_guest_request(d, c, ext, rio);
	if (rc) {
		if (rc == -EIO && rio->exitinfo2 == VMM_ERR(CVM_SNP_VMM_ERR_INVALID_LEN))
			return rc;
		dlog(d, "sev-guest: Detected error from ASP request. rc: %d, exitinfo2: 0x%" PRIx64,
		     rc, (uint64_t)rio->exitinfo2);
		snp_disable_vmpck(d, rc, rio->exitinfo2);
		return rc;
	}
	rc = verify_and_dec_payload(c, resp_buf, resp_sz);
	if (rc) {
		dlog(d, "sev-guest: Detected unexpected decode failure from ASP. rc: %d", rc);
		snp_disable_vmpck(d, rc, rio->exitinfo2);
		return rc;
	}
	return 0;
}

static int get_report(struct simdev *d, struct snp_ctx *c, struct simdev_mem *m,
		      struct cvm_snp_guest_request_ioctl *arg)
{
	struct cvm_snp_report_req req;
	uint8_t resp[SNP_MSG_REPORT_RSP_LEN + AUTHTAG_LEN] = { 0 };
	int rc;

	if (!arg->req_data || !arg->resp_data)
		return -EINVAL;
	rc = m->read(m, arg->req_data, &req, sizeof(req));
	if (rc)
		return rc;

	rc = handle_guest_request(d, c, false, arg, SNP_MSG_REPORT_REQ, &req, sizeof(req),
				  resp, sizeof(resp));
	if (rc)
		return rc;
	d->st.reports++;
	return m->write(m, arg->resp_data, resp, SNP_MSG_REPORT_RSP_LEN);
}

static int get_derived_key(struct simdev *d, struct snp_ctx *c, struct simdev_mem *m,
			   struct cvm_snp_guest_request_ioctl *arg)
{
	struct cvm_snp_derived_key_req req;
	uint8_t buf[SNP_MSG_KEY_RSP_LEN + AUTHTAG_LEN] = { 0 };
	int rc;

	if (!arg->req_data || !arg->resp_data)
		return -EINVAL;
	rc = m->read(m, arg->req_data, &req, sizeof(req));
	if (rc)
		return rc;

	rc = handle_guest_request(d, c, false, arg, SNP_MSG_KEY_REQ, &req, sizeof(req),
				  buf, sizeof(buf));
	if (!rc) {
		d->st.derived_keys++;
		rc = m->write(m, arg->resp_data, buf, SNP_MSG_KEY_RSP_LEN);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

static int get_ext_report(struct simdev *d, struct snp_ctx *c, struct simdev_mem *m,
			  struct cvm_snp_guest_request_ioctl *arg)
{
	struct cvm_snp_ext_report_req req;
	uint8_t resp[SNP_MSG_REPORT_RSP_LEN + AUTHTAG_LEN] = { 0 };
	unsigned int npages = 0;
	int ret;

	if (!arg->req_data || !arg->resp_data)
		return -EINVAL;
	ret = m->read(m, arg->req_data, &req, sizeof(req));
	if (ret)
		return ret;

	/* userspace does not want certificate data */
	if (req.certs_len && req.certs_address) {
		if (req.certs_len > SNP_CERTS_MAX || req.certs_len % CVM_SNP_PAGE_SIZE)
			return -EINVAL;
		/* access_ok(): the range must lie in user space */
		if (req.certs_address > SIMDEV_TASK_SIZE_MAX ||
		    req.certs_len > SIMDEV_TASK_SIZE_MAX - req.certs_address)
			return -EFAULT;
		memset(d->certs_data, 0, req.certs_len);
		npages = req.certs_len >> PAGE_SHIFT;
	}

	d->data_npages = npages;
	ret = handle_guest_request(d, c, true, arg, SNP_MSG_REPORT_REQ, &req.data,
				   sizeof(req.data), resp, sizeof(resp));

	/* If certs length is invalid then copy the returned length */
	if (arg->vmm_error == CVM_SNP_VMM_ERR_INVALID_LEN) {
		req.certs_len = d->data_npages << PAGE_SHIFT;
		if (m->write(m, arg->req_data, &req, sizeof(req)))
			ret = -EFAULT;
	}
	if (ret)
		return ret;
	d->st.ext_reports++;
	if (npages && m->write(m, req.certs_address, d->certs_data, req.certs_len))
		return -EFAULT;
	return m->write(m, arg->resp_data, resp, SNP_MSG_REPORT_RSP_LEN);
}

/* snp_guest_ioctl() */
static long snp_guest_ioctl(struct simdev *d, unsigned int ioctl, uint64_t argp,
			    struct simdev_mem *m, bool *final, uint64_t *exitinfo2)
{
	struct cvm_snp_guest_request_ioctl input;
	struct snp_ctx *c;
	int ret = -ENOTTY;

	ret = m->read(m, argp, &input, sizeof(input));
	if (ret == SIMDEV_RETRY)
		return ret;
	*final = true;
	if (ret)
		return -EFAULT;

	input.exitinfo2 = EXITINFO2_DEFAULT;

	/* Message version must be non-zero */
	if (!input.msg_version)
		return -EINVAL;

	/* up to 6.13: every request is refused first, whatever its arguments */
	if (kernel_of(d) < SIMDEV_SNP_LATE_VMPCK_CHECK && d->vmpck_wiped) {
		dlog(d, "sev-guest: VMPCK is disabled");
		return -ENOTTY;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*final = false;
	switch (ioctl) {
	case CVM_SNP_GET_REPORT:
		ret = get_report(d, c, m, &input);
		break;
	case CVM_SNP_GET_DERIVED_KEY:
		ret = get_derived_key(d, c, m, &input);
		break;
	case CVM_SNP_GET_EXT_REPORT:
		ret = get_ext_report(d, c, m, &input);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
	if (ret == SIMDEV_RETRY)
		return ret;
	*final = true;

	*exitinfo2 = input.exitinfo2;
	if (input.exitinfo2 && m->write(m, argp, &input, sizeof(input)))
		return -EFAULT;
	return ret;
}

/* ---- TDX ------------------------------------------------------------------------------ */

/* tdx_mcall_get_report0(): TDG.MR.REPORT; BUSY is -EBUSY from 6.16 on, -EIO before */
static int tdx_mcall_get_report0(struct simdev *d, const uint8_t *reportdata, uint8_t *tdreport)
{
	d->st.guest_requests++;
	if (d->inj.latency_ms)
		sleep_ms(d->inj.latency_ms);
	if (d->inj.tdcall_busy) {
		d->inj.tdcall_busy--;
		return kernel_of(d) >= SIMDEV_TDX_BUSY_IS_EBUSY ? -EBUSY : -EIO;
	}
	if (d->inj.tdcall_error) {
		d->inj.tdcall_error--;
		return -EIO;
	}
	d->st.fw_calls++;
	return sim_tdx_build_report(&d->tdx, reportdata, tdreport) ? -EIO : 0;
}

/* tdx_guest_ioctl() / tdx_get_report0() of 6.2-6.15 */
static long tdx_guest_ioctl(struct simdev *d, unsigned int cmd, uint64_t arg,
			    struct simdev_mem *m, bool *final)
{
	uint8_t reportdata[TDX_REPORT_DATA_LEN], tdreport[TDX_REPORT_SIZE] = { 0 };
	long ret;

	*final = true;
	if (cmd != CVM_TDX_CMD_GET_REPORT0)
		return -ENOTTY;
	ret = m->read(m, arg, reportdata, sizeof(reportdata));
	if (ret == SIMDEV_RETRY)
		*final = false;
	if (ret)
		return ret;
	ret = tdx_mcall_get_report0(d, reportdata, tdreport);
	if (ret)
		return ret;
	d->st.tdreports++;
	if (m->write(m, arg + offsetof(struct cvm_tdx_report_req, tdreport), tdreport,
		     sizeof(tdreport)))
		return -EFAULT;
	return 0;
}

long simdev_ioctl(struct simdev *d, unsigned int cmd, uint64_t arg, struct simdev_mem *m)
{
	uint64_t exitinfo2 = 0;
	bool final = false;
	long ret;

	pthread_mutex_lock(&d->lock);
	if (d->platform == SIMDEV_SNP)
		ret = snp_guest_ioctl(d, cmd, arg, m, &final, &exitinfo2);
	else
		ret = tdx_guest_ioctl(d, cmd, arg, m, &final);
	if (ret == SIMDEV_RETRY && !final) {
		pthread_mutex_unlock(&d->lock);
		return ret;
	}

	d->st.ioctls++;
	if (ret)
		d->st.errors++;
	else
		d->st.ok++;
	d->st.last_cmd = cmd;
	d->st.last_rc = (int)ret;
	d->st.last_exitinfo2 = exitinfo2;
	d->st.last_exitinfo2_valid = d->platform == SIMDEV_SNP;
	if (d->platform == SIMDEV_SNP)
		dlog(d, "%s(0x%08x) arg=0x%" PRIx64 " -> %ld (%s) exitinfo2=0x%" PRIx64 "%s",
		     simdev_cmd_name(cmd), cmd, arg, ret, ret ? strerror((int)-ret) : "ok",
		     exitinfo2, d->vmpck_wiped ? " [VMPCK wiped]" : "");
	else
		dlog(d, "%s(0x%08x) arg=0x%" PRIx64 " -> %ld (%s)", simdev_cmd_name(cmd), cmd,
		     arg, ret, ret ? strerror((int)-ret) : "ok");
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* ---- control and state ------------------------------------------------------------------ */

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!s || sim_parse_u64(s, &v) || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int simdev_control(struct simdev *d, const char *line)
{
	char cmd[32] = "", arg[64] = "", extra[8] = "";
	uint32_t v = 0;
	int n, ret = 0;

	n = sscanf(line, "%31s %63s %7s", cmd, arg, extra);
	if (n <= 0 || cmd[0] == '#')
		return 0;		/* blank line or comment */
	if (n > 2)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (!strcmp(cmd, "fw_error")) {
		ret = parse_u32(arg, &v);
		if (!ret && !v)
			ret = -EINVAL;
		if (!ret) {
			d->inj.fw_error_set = true;
			d->inj.fw_error = v;
		}
	} else if (!strcmp(cmd, "vmm_error")) {
		ret = parse_u32(arg, &v);
		if (!ret && !v)
			ret = -EINVAL;
		if (!ret) {
			d->inj.vmm_error_set = true;
			d->inj.vmm_error = v;
		}
	} else if (!strcmp(cmd, "vmm_busy")) {
		ret = parse_u32(n == 2 ? arg : "1", &v);
		if (!ret)
			d->inj.vmm_busy = v;
	} else if (!strcmp(cmd, "invalid_len")) {
		ret = n == 2 ? parse_u32(arg, &v) : 0;
		if (!ret) {
			d->inj.invalid_len_set = true;
			d->inj.invalid_len_pages = v;
		}
	} else if (!strcmp(cmd, "corrupt_response")) {
		d->inj.corrupt_response = true;
	} else if (!strcmp(cmd, "latency_ms")) {
		ret = parse_u32(arg, &v);
		if (!ret)
			d->inj.latency_ms = v;
	} else if (!strcmp(cmd, "tdcall_busy")) {
		ret = parse_u32(n == 2 ? arg : "1", &v);
		if (!ret)
			d->inj.tdcall_busy = v;
	} else if (!strcmp(cmd, "tdcall_error")) {
		ret = parse_u32(n == 2 ? arg : "1", &v);
		if (!ret)
			d->inj.tdcall_error = v;
	} else if (!strcmp(cmd, "host_certs")) {
		if (!strcmp(arg, "on"))
			d->host_certs = true;
		else if (!strcmp(arg, "off"))
			d->host_certs = false;
		else
			ret = -EINVAL;
	} else if (!strcmp(cmd, "clear")) {
		unsigned int latency = d->inj.latency_ms;

		memset(&d->inj, 0, sizeof(d->inj));
		d->inj.latency_ms = n == 2 && !strcmp(arg, "all") ? 0 : latency;
	} else if (!strcmp(cmd, "kernel")) {
		v = n == 2 ? simdev_parse_kernel(arg) : 0;
		if (v)
			d->kernel = v;
		else
			ret = -EINVAL;
	} else if (!strcmp(cmd, "reboot")) {
		simdev_reboot(d);
	} else {
		ret = -EINVAL;
	}
	pthread_mutex_unlock(&d->lock);
	if (!ret)
		dlog(d, "control: %s%s%s", cmd, n == 2 ? " " : "", n == 2 ? arg : "");
	return ret;
}

const char *simdev_abi(const struct simdev *d)
{
	unsigned int k = kernel_of(d);

	if (d->platform == SIMDEV_SNP)
		return k < SIMDEV_SNP_LATE_VMPCK_CHECK ?
		       "sev-guest of Debian 6.1.192 to 6.13 (6.4+ UAPI: exitinfo2 union, throttling "
		       "retry, VMPCK wipe; once wiped every ioctl is -ENOTTY before its arguments)" :
		       "sev-guest of 6.14+ (messaging in arch/x86/coco/sev: once the VMPCK is wiped "
		       "the arguments are checked first, then -ENOTTY with nothing copied back)";
	return k < SIMDEV_TDX_BUSY_IS_EBUSY ?
	       "tdx-guest TDX_CMD_GET_REPORT0 of 6.2 to 6.15 (TDCALL_OPERAND_BUSY is -EIO)" :
	       "tdx-guest TDX_CMD_GET_REPORT0 of 6.16+ (TDCALL_OPERAND_BUSY is -EBUSY)";
}

char *simdev_state(struct simdev *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct simdev_stats *s = &d->st;
	const struct simdev_inject *in = &d->inj;

	if (!f)
		return NULL;
	pthread_mutex_lock(&d->lock);
	fprintf(f, "platform=%s\n", d->platform == SIMDEV_SNP ? "snp" : "tdx");
	/* the kernel driver behaviour modelled (simdev.h: SIMDEV_KERNEL) */
	fprintf(f, "kernel=%u.%u\n", kernel_of(d) / 1000, kernel_of(d) % 1000);
	fprintf(f, "abi=%s\n", simdev_abi(d));
	if (d->platform == SIMDEV_SNP) {
		fprintf(f, "product=%s\n", sim_product(d->snp.product)->name);
		fprintf(f, "report_version=%u\n", d->snp.version);
		fprintf(f, "policy=0x%" PRIx64 "\n", d->snp.policy);
		fprintf(f, "host_certs=%s\n", d->host_certs ? "on" : "off");
	} else {
		fprintf(f, "td_attributes=0x%" PRIx64 "\n", d->tdx.td_attributes);
	}
	fprintf(f, "requests=%" PRIu64 "\n", s->ioctls);
	fprintf(f, "served=%" PRIu64 "\n", s->ok);
	fprintf(f, "errors=%" PRIu64 "\n", s->errors);
	fprintf(f, "guest_requests=%" PRIu64 "\n", s->guest_requests);
	fprintf(f, "fw_calls=%" PRIu64 "\n", s->fw_calls);
	fprintf(f, "throttled=%" PRIu64 "\n", s->throttled);
	if (d->platform == SIMDEV_SNP) {
		fprintf(f, "reports=%" PRIu64 "\n", s->reports);
		fprintf(f, "ext_reports=%" PRIu64 "\n", s->ext_reports);
		fprintf(f, "derived_keys=%" PRIu64 "\n", s->derived_keys);
		fprintf(f, "vmpck_wiped=%s\n", d->vmpck_wiped ? "yes" : "no");
		fprintf(f, "wipes=%" PRIu64 "\n", s->wipes);
		fprintf(f, "bad_msg_version=%" PRIu64 "\n", s->bad_msg_version);
		if (d->vmpck_wiped)
			fprintf(f, "wipe_rc=%d\nwipe_exitinfo2=0x%" PRIx64 "\n",
				s->wipe_rc, s->wipe_exitinfo2);
		fprintf(f, "msg_seqno=%u\n", d->msg_seqno);
	} else {
		fprintf(f, "tdreports=%" PRIu64 "\n", s->tdreports);
	}
	if (s->ioctls) {
		fprintf(f, "last_cmd=%s\n", simdev_cmd_name(s->last_cmd));
		fprintf(f, "last_rc=%d\n", s->last_rc);
		if (s->last_exitinfo2_valid)
			fprintf(f, "last_exitinfo2=0x%" PRIx64 "\n", s->last_exitinfo2);
	}
	if (in->fw_error_set)
		fprintf(f, "pending_fw_error=0x%x\n", in->fw_error);
	else
		fprintf(f, "pending_fw_error=none\n");
	if (in->vmm_error_set)
		fprintf(f, "pending_vmm_error=0x%x\n", in->vmm_error);
	else
		fprintf(f, "pending_vmm_error=none\n");
	fprintf(f, "pending_vmm_busy=%u\n", in->vmm_busy);
	fprintf(f, "pending_invalid_len=%s\n", in->invalid_len_set ? "yes" : "no");
	fprintf(f, "pending_corrupt_response=%s\n", in->corrupt_response ? "yes" : "no");
	fprintf(f, "latency_ms=%u\n", in->latency_ms);
	fprintf(f, "pending_tdcall_busy=%u\n", in->tdcall_busy);
	fprintf(f, "pending_tdcall_error=%u\n", in->tdcall_error);
	pthread_mutex_unlock(&d->lock);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
