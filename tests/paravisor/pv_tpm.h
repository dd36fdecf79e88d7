/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The paravisor's one connection to swtpm, shared by the guest's
 * forwarded commands and the paravisor's own (provisioning, rewriting NV
 * 0x01400001).  swtpm serves one client connection at a time, so both go
 * through this link; the daemon is single-threaded and never interleaves
 * them inside a command.  Its own commands go through tpm2-tss SAPI with a
 * small TCTI on top of the link.
 */
#ifndef CVMATTEST_PV_TPM_H
#define CVMATTEST_PV_TPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_sys.h>
#include <tss2/tss2_tcti.h>

#include "hcl_build.h"
#include "tpm_proto.h"

struct pv_link {
	int fd;				/* -1: not connected */
	char path[108];			/* swtpm's unixio server socket */
	int timeout_ms;			/* bound on one command round trip */
};

/* Connect to @l->path, retrying for up to @wait_ms (swtpm starting up). */
int pv_link_connect(struct pv_link *l, int wait_ms);
void pv_link_close(struct pv_link *l);
/*
 * Send a command and read the complete response (framed by its header's
 * size).  On any transport error or timeout the connection is closed (the
 * next call reconnects) and -errno returned.
 */
int pv_link_transact(struct pv_link *l, const uint8_t *cmd, size_t len, uint8_t *rsp,
		     size_t rsp_size, size_t *rsp_len);

struct pv_tcti {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;	/* must be first */
	struct pv_link *link;
	uint8_t rsp[TPM_MAX_MSG];
	size_t rsp_len;
	bool have_rsp;
};

struct pv_tpm {
	struct pv_link *link;
	struct pv_tcti tcti;
	TSS2_SYS_CONTEXT *sys;
	uint8_t platform_auth[32];
	uint16_t platform_auth_len;
	uint32_t nv_index_max;		/* TPM_PT_NV_INDEX_MAX */
	uint32_t nv_buffer_max;		/* TPM_PT_NV_BUFFER_MAX */
};

int pv_tpm_init(struct pv_tpm *t, struct pv_link *link);
void pv_tpm_done(struct pv_tpm *t);

/* One TPM_PT_* property (TPM_CAP_TPM_PROPERTIES). */
TSS2_RC pv_tpm_get_property(struct pv_tpm *t, uint32_t prop, uint32_t *value);

/* TPM2_HierarchyChangeAuth(TPM_RH_PLATFORM) from @cur to @new; updates t->platform_auth. */
TSS2_RC pv_tpm_set_platform_auth(struct pv_tpm *t, const uint8_t *cur, uint16_t cur_len,
				 const uint8_t *new_auth, uint16_t new_len);

/* TPM2_ReadPublic; @pub gets the TPM2B_PUBLIC as marshalled on the wire. */
TSS2_RC pv_tpm_read_public(struct pv_tpm *t, uint32_t handle, uint8_t *pub, size_t size,
			   size_t *len);

/*
 * The key at persistent @handle, created when absent: CreatePrimary in
 * @hierarchy from @tmpl, EvictControl (owner) to @handle, FlushContext.
 * *created tells which happened.  @pub as for pv_tpm_read_public.
 */
TSS2_RC pv_tpm_ensure_primary(struct pv_tpm *t, uint32_t handle, uint32_t hierarchy,
			      const TPM2B_PUBLIC *tmpl, uint8_t *pub, size_t size, size_t *len,
			      bool *created);

TSS2_RC pv_tpm_nv_read_public(struct pv_tpm *t, uint32_t index, TPM2B_NV_PUBLIC *pub);
/* Platform-created index, platform authorization. */
TSS2_RC pv_tpm_nv_define(struct pv_tpm *t, uint32_t index, uint16_t size, uint32_t attrs);
TSS2_RC pv_tpm_nv_undefine(struct pv_tpm *t, uint32_t index);
/* NV_Write in TPM_PT_NV_BUFFER_MAX chunks, platform authorization. */
TSS2_RC pv_tpm_nv_write(struct pv_tpm *t, uint32_t index, const uint8_t *data, size_t len);
/* NV_Read in chunks with @auth_handle (e.g. TPM_RH_OWNER) and an empty password. */
TSS2_RC pv_tpm_nv_read(struct pv_tpm *t, uint32_t auth_handle, uint32_t index, uint8_t *out,
		       size_t len);
TSS2_RC pv_tpm_shutdown(struct pv_tpm *t);

/* TCG EK Credential Profile 2.x template L-1 (RSA 2048, AES-128-CFB, PolicySecret(EH)). */
void pv_tpm_ek_template(TPM2B_PUBLIC *t);
/* The AK: restricted RSA-2048 signing key, RSASSA-SHA256, userWithAuth, noDA. */
void pv_tpm_ak_template(TPM2B_PUBLIC *t);

#endif /* CVMATTEST_PV_TPM_H */
