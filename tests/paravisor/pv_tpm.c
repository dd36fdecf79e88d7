// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The link to swtpm and the paravisor's own TPM commands (tpm2-tss SAPI
 * over a TCTI that uses the link).  Command semantics: TPM 2.0 Library
 * Part 3; templates: TCG EK Credential Profile 2.x (L-1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_mu.h>

#include "pv_tpm.h"

/* ---- link --------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pv_link_close(struct pv_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int pv_link_connect(struct pv_link *l, int wait_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + wait_ms;
	int fd, err;

	if (l->fd >= 0)
		return 0;
	if (strlen(l->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, l->path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			l->fd = fd;
			return 0;
		}
		err = errno;
		close(fd);
		if ((err != ENOENT && err != ECONNREFUSED) || now_ms() >= deadline)
			return -err;
		usleep(20000);
	}
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0) {
			if (p.revents & (events))
				return 0;
			return -EPIPE;		/* POLLERR / POLLHUP without data */
		}
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int read_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;
		int r = wait_fd(fd, POLLIN, deadline);

		if (r)
			return r;
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

int pv_link_transact(struct pv_link *l, const uint8_t *cmd, size_t len, uint8_t *rsp,
		     size_t rsp_size, size_t *rsp_len)
{
	int64_t deadline = now_ms() + l->timeout_ms;
	size_t sent = 0, size;
	int r;

	if (!cmd || len < TPM_HEADER_LEN || !rsp || rsp_size < TPM_HEADER_LEN)
		return -EINVAL;
	r = pv_link_connect(l, 0);
	if (r)
		return r;
	while (sent < len) {
		ssize_t n;

		r = wait_fd(l->fd, POLLOUT, deadline);
		if (r)
			goto fail;
		n = send(l->fd, cmd + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = -errno;
			goto fail;
		}
		sent += (size_t)n;
	}
	r = read_full(l->fd, rsp, TPM_HEADER_LEN, deadline);
	if (r)
		goto fail;
	size = tpm_get32(rsp + 2);
	if (size < TPM_HEADER_LEN || size > rsp_size) {
		r = -EBADMSG;
		goto fail;
	}
	r = read_full(l->fd, rsp + TPM_HEADER_LEN, size - TPM_HEADER_LEN, deadline);
	if (r)
		goto fail;
	*rsp_len = size;
	return 0;
fail:
	pv_link_close(l);
	return r;
}

/* ---- TCTI over the link --------------------------------------------------- */

#define PV_TCTI_MAGIC	0x7076746370617276ULL	/* "pvtcparv" */

static TSS2_RC tcti_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
	struct pv_tcti *t = (struct pv_tcti *)ctx;

	t->have_rsp = false;
	if (pv_link_transact(t->link, cmd, size, t->rsp, sizeof(t->rsp), &t->rsp_len))
		return TSS2_TCTI_RC_IO_ERROR;
	t->have_rsp = true;
	return TSS2_RC_SUCCESS;
}

static TSS2_RC tcti_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *rsp, int32_t timeout)
{
	struct pv_tcti *t = (struct pv_tcti *)ctx;

	(void)timeout;			/* the link has its own bound */
	if (!size)
		return TSS2_TCTI_RC_BAD_REFERENCE;
	if (!t->have_rsp)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (!rsp) {
		*size = t->rsp_len;
		return TSS2_RC_SUCCESS;
	}
	if (*size < t->rsp_len) {
		*size = t->rsp_len;
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	}
	memcpy(rsp, t->rsp, t->rsp_len);
	*size = t->rsp_len;
	t->have_rsp = false;
	return TSS2_RC_SUCCESS;
}

static void tcti_finalize(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;
}

/* ---- SAPI ------------------------------------------------------------------ */

int pv_tpm_init(struct pv_tpm *t, struct pv_link *link)
{
	TSS2_ABI_VERSION abi = TSS2_ABI_VERSION_CURRENT;
	size_t size = Tss2_Sys_GetContextSize(0);
	TSS2_RC rc;

	memset(t, 0, sizeof(*t));
	t->link = link;
	t->tcti.link = link;
	t->tcti.common.v1.magic = PV_TCTI_MAGIC;
	t->tcti.common.v1.version = 2;
	t->tcti.common.v1.transmit = tcti_transmit;
	t->tcti.common.v1.receive = tcti_receive;
	t->tcti.common.v1.finalize = tcti_finalize;
	t->sys = calloc(1, size);
	if (!t->sys)
		return -ENOMEM;
	rc = Tss2_Sys_Initialize(t->sys, size, (TSS2_TCTI_CONTEXT *)&t->tcti, &abi);
	if (rc) {
		free(t->sys);
		t->sys = NULL;
		return -EIO;
	}
	t->nv_buffer_max = 512;		/* until asked */
	t->nv_index_max = 2048;
	return 0;
}

void pv_tpm_done(struct pv_tpm *t)
{
	if (t->sys) {
		Tss2_Sys_Finalize(t->sys);
		free(t->sys);
	}
	memset(t->platform_auth, 0, sizeof(t->platform_auth));
	t->sys = NULL;
}

static void pw_auth(TSS2L_SYS_AUTH_COMMAND *a, const uint8_t *pw, uint16_t len)
{
	memset(a, 0, sizeof(*a));
	a->count = 1;
	a->auths[0].sessionHandle = TPM2_RS_PW;
	if (len > sizeof(a->auths[0].hmac.buffer))
		len = sizeof(a->auths[0].hmac.buffer);
	a->auths[0].hmac.size = len;
	if (len)
		memcpy(a->auths[0].hmac.buffer, pw, len);
}

TSS2_RC pv_tpm_get_property(struct pv_tpm *t, uint32_t prop, uint32_t *value)
{
	TPMS_CAPABILITY_DATA cap;
	TPMI_YES_NO more = 0;
	TSS2_RC rc;

	memset(&cap, 0, sizeof(cap));
	rc = Tss2_Sys_GetCapability(t->sys, NULL, TPM2_CAP_TPM_PROPERTIES, prop, 1, &more, &cap,
				    NULL);
	if (rc)
		return rc;
	if (cap.data.tpmProperties.count < 1 ||
	    cap.data.tpmProperties.tpmProperty[0].property != prop)
		return TPM2_RC_VALUE;
	*value = cap.data.tpmProperties.tpmProperty[0].value;
	return 0;
}

TSS2_RC pv_tpm_set_platform_auth(struct pv_tpm *t, const uint8_t *cur, uint16_t cur_len,
				 const uint8_t *new_auth, uint16_t new_len)
{
	TSS2L_SYS_AUTH_COMMAND a;
	TPM2B_AUTH na = { 0 };
	TSS2_RC rc;

	if (new_len > sizeof(t->platform_auth) || new_len > sizeof(na.buffer))
		return TPM2_RC_SIZE;
	pw_auth(&a, cur, cur_len);
	na.size = new_len;
	memcpy(na.buffer, new_auth, new_len);
	rc = Tss2_Sys_HierarchyChangeAuth(t->sys, TPM2_RH_PLATFORM, &a, &na, NULL);
	memset(&a, 0, sizeof(a));
	memset(&na, 0, sizeof(na));
	if (rc)
		return rc;
	memcpy(t->platform_auth, new_auth, new_len);
	t->platform_auth_len = new_len;
	return 0;
}

TSS2_RC pv_tpm_read_public(struct pv_tpm *t, uint32_t handle, uint8_t *pub, size_t size,
			   size_t *len)
{
	TPM2B_PUBLIC out;
	TPM2B_NAME name, qname;
	size_t off = 0;
	TSS2_RC rc;

	memset(&out, 0, sizeof(out));
	memset(&name, 0, sizeof(name));
	memset(&qname, 0, sizeof(qname));
	rc = Tss2_Sys_ReadPublic(t->sys, handle, NULL, &out, &name, &qname, NULL);
	if (rc)
		return rc;
	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(&out, pub, size, &off);
	if (rc)
		return rc;
	*len = off;
	return 0;
}

TSS2_RC pv_tpm_ensure_primary(struct pv_tpm *t, uint32_t handle, uint32_t hierarchy,
			      const TPM2B_PUBLIC *tmpl, uint8_t *pub, size_t size, size_t *len,
			      bool *created)
{
	TSS2L_SYS_AUTH_COMMAND a;
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC out;
	TPM2B_CREATION_DATA cdata;
	TPM2B_DIGEST chash = { 0 };
	TPMT_TK_CREATION ticket;
	TPM2B_NAME name;
	TPM2_HANDLE obj = 0;
	TSS2_RC rc, rc2;

	*created = false;
	rc = pv_tpm_read_public(t, handle, pub, size, len);
	if (rc != (TPM2_RC_HANDLE | TPM2_RC_1))
		return rc;

	memset(&sens, 0, sizeof(sens));
	memset(&out, 0, sizeof(out));
	memset(&cdata, 0, sizeof(cdata));
	memset(&ticket, 0, sizeof(ticket));
	memset(&name, 0, sizeof(name));
	pw_auth(&a, NULL, 0);
	rc = Tss2_Sys_CreatePrimary(t->sys, hierarchy, &a, &sens, tmpl, &outside, &pcrs, &obj,
				    &out, &cdata, &chash, &ticket, &name, NULL);
	if (rc)
		return rc;
	rc = Tss2_Sys_EvictControl(t->sys, TPM2_RH_OWNER, obj, &a, handle, NULL);
	rc2 = Tss2_Sys_FlushContext(t->sys, obj);
	if (rc)
		return rc;
	if (rc2)
		return rc2;
	*created = true;
	return pv_tpm_read_public(t, handle, pub, size, len);
}

TSS2_RC pv_tpm_nv_read_public(struct pv_tpm *t, uint32_t index, TPM2B_NV_PUBLIC *pub)
{
	TPM2B_NAME name;

	memset(pub, 0, sizeof(*pub));
	memset(&name, 0, sizeof(name));
	return Tss2_Sys_NV_ReadPublic(t->sys, index, NULL, pub, &name, NULL);
}

TSS2_RC pv_tpm_nv_define(struct pv_tpm *t, uint32_t index, uint16_t size, uint32_t attrs)
{
	TSS2L_SYS_AUTH_COMMAND a;
	TPM2B_AUTH auth = { 0 };
	TPM2B_NV_PUBLIC pub;
	TSS2_RC rc;

	memset(&pub, 0, sizeof(pub));
	pub.nvPublic.nvIndex = index;
	pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
	pub.nvPublic.attributes = attrs;
	pub.nvPublic.dataSize = size;
	pw_auth(&a, t->platform_auth, t->platform_auth_len);
	rc = Tss2_Sys_NV_DefineSpace(t->sys, TPM2_RH_PLATFORM, &a, &auth, &pub, NULL);
	memset(&a, 0, sizeof(a));
	return rc;
}

TSS2_RC pv_tpm_nv_undefine(struct pv_tpm *t, uint32_t index)
{
	TSS2L_SYS_AUTH_COMMAND a;
	TSS2_RC rc;

	pw_auth(&a, t->platform_auth, t->platform_auth_len);
	rc = Tss2_Sys_NV_UndefineSpace(t->sys, TPM2_RH_PLATFORM, index, &a, NULL);
	memset(&a, 0, sizeof(a));
	return rc;
}

TSS2_RC pv_tpm_nv_write(struct pv_tpm *t, uint32_t index, const uint8_t *data, size_t len)
{
	TSS2L_SYS_AUTH_COMMAND a;
	TPM2B_MAX_NV_BUFFER buf;
	size_t chunk = t->nv_buffer_max, off = 0;
	TSS2_RC rc = 0;

	if (chunk > sizeof(buf.buffer))
		chunk = sizeof(buf.buffer);
	if (!chunk || len > UINT16_MAX)
		return TPM2_RC_SIZE;
	pw_auth(&a, t->platform_auth, t->platform_auth_len);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		buf.size = (uint16_t)n;
		memcpy(buf.buffer, data + off, n);
		rc = Tss2_Sys_NV_Write(t->sys, TPM2_RH_PLATFORM, index, &a, &buf, (uint16_t)off,
				       NULL);
		if (rc)
			break;
		off += n;
	}
	memset(&a, 0, sizeof(a));
	return rc;
}

TSS2_RC pv_tpm_nv_read(struct pv_tpm *t, uint32_t auth_handle, uint32_t index, uint8_t *out,
		       size_t len)
{
	TSS2L_SYS_AUTH_COMMAND a;
	TPM2B_MAX_NV_BUFFER buf;
	size_t chunk = t->nv_buffer_max, off = 0;
	TSS2_RC rc;

	if (chunk > sizeof(buf.buffer))
		chunk = sizeof(buf.buffer);
	if (!chunk || len > UINT16_MAX)
		return TPM2_RC_SIZE;
	pw_auth(&a, NULL, 0);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		memset(&buf, 0, sizeof(buf));
		rc = Tss2_Sys_NV_Read(t->sys, auth_handle, index, &a, (uint16_t)n, (uint16_t)off,
				      &buf, NULL);
		if (rc)
			return rc;
		if (buf.size != n)
			return TPM2_RC_SIZE;
		memcpy(out + off, buf.buffer, n);
		off += n;
	}
	return 0;
}

TSS2_RC pv_tpm_shutdown(struct pv_tpm *t)
{
	return Tss2_Sys_Shutdown(t->sys, NULL, TPM2_SU_CLEAR, NULL);
}

/* TCG EK Credential Profile for TPM Family 2.0, B.3.3 Template L-1 */
void pv_tpm_ek_template(TPM2B_PUBLIC *t)
{
	/* PolicySecret(TPM_RH_ENDORSEMENT), SHA-256 (same profile, B.3.2) */
	static const uint8_t policy[32] = {
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d,
		0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
		0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
	};
	TPMT_PUBLIC *p = &t->publicArea;

	memset(t, 0, sizeof(*t));
	p->type = TPM2_ALG_RSA;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->authPolicy.size = sizeof(policy);
	memcpy(p->authPolicy.buffer, policy, sizeof(policy));
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
	p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = 2048;
	p->parameters.rsaDetail.exponent = 0;
	p->unique.rsa.size = 256;	/* 256 zero bytes */
}

void pv_tpm_ak_template(TPM2B_PUBLIC *t)
{
	TPMT_PUBLIC *p = &t->publicArea;

	memset(t, 0, sizeof(*t));
	p->type = TPM2_ALG_RSA;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
	p->parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.rsaDetail.keyBits = 2048;
	p->parameters.rsaDetail.exponent = 0;
}
