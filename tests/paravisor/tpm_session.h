/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Following the guest's HMAC sessions through the forwarded command stream,
 * so that the paravisor can re-authorize the NV_Read commands it changes.
 *
 * Why: swtpm (libtpms) caps an NV index at 2048 bytes (TPM_PT_NV_INDEX_MAX)
 * while Azure's NV 0x01400001 is 2600, so the paravisor shows the guest a
 * bigger index than swtpm holds (README.md).  The index's Name is a hash of
 * its public area, size included, and an HMAC session's cpHash covers the
 * Names of the handles; tpm2-tools 5.x authorizes NV_Read with such a
 * session.  For sessions the paravisor can compute keys for -- unsalted,
 * unbound HMAC sessions (TPM 2.0 Part 1 §19.6: sessionKey is then empty)
 * -- with an empty authValue, it checks the guest's HMAC against the Name
 * the guest saw, and signs the command again for the Name swtpm knows (and
 * the response again when it replaced the data).  Everything else goes to
 * swtpm unchanged.
 *
 * Handle counts: TPM 2.0 Library Part 3, each command's "Handle" fields.
 */
#ifndef CVMATTEST_TPM_SESSION_H
#define CVMATTEST_TPM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm_proto.h"

#define TPM_CC_START_AUTH_SESSION	0x00000176
#define TPM_CC_FLUSH_CONTEXT		0x00000165
#define TPM_RH_NULL			0x40000007
#define TPM_SE_HMAC			0x00
#define PV_SESSION_CONTINUE		0x01
#define TPM_MAX_NONCE			64
#define TPM_MAX_DIGEST			64
#define TPM_TRACKED_SESSIONS		32

/* Handles in the command and in the response of @cc; -ENOENT for unknown codes. */
int tpm_cc_handles(uint32_t cc, unsigned int *cmd_handles, unsigned int *rsp_handles);

struct tpm_auth {
	uint32_t handle;
	const uint8_t *nonce;
	uint16_t nonce_len;
	uint8_t attrs;
	const uint8_t *hmac;
	uint16_t hmac_len;
	size_t hmac_off;		/* offset of the hmac bytes in the buffer */
};

/*
 * The authorization area of any command (needs tpm_cc_handles).  *n: the
 * sessions (0 for TPM_ST_NO_SESSIONS); *param_off: where parameters start.
 */
int tpm_cmd_auths(const uint8_t *cmd, size_t len, struct tpm_auth *a, unsigned int *n,
		  size_t *param_off);

/*
 * The authorization area of a successful response with @n sessions to
 * command @cc; *param_off / *param_len: its parameters.
 */
int tpm_rsp_auths(uint32_t cc, const uint8_t *rsp, size_t len, struct tpm_auth *a,
		  unsigned int n, size_t *param_off, size_t *param_len);

struct tpm_sess {
	bool used;
	uint32_t handle;
	uint16_t hash;			/* authHash */
	uint8_t nonce_tpm[TPM_MAX_NONCE];
	uint16_t nonce_len;
};

struct tpm_sess_table {
	struct tpm_sess s[TPM_TRACKED_SESSIONS];
	uint64_t tracked, dropped;
};

/* Feed one command and the response it got from the TPM (in that order, every one). */
void tpm_sess_observe(struct tpm_sess_table *t, const uint8_t *cmd, size_t clen,
		      const uint8_t *rsp, size_t rlen);
struct tpm_sess *tpm_sess_find(struct tpm_sess_table *t, uint32_t handle);

/* Digest of the concatenated parts with TPM_ALG_ID @hash; its length or -errno. */
struct tpm_part {
	const void *p;
	size_t len;
};
long tpm_digest(uint16_t hash, const struct tpm_part *parts, unsigned int n, uint8_t *out);
long tpm_hmac(uint16_t hash, const uint8_t *key, size_t key_len, const struct tpm_part *parts,
	      unsigned int n, uint8_t *out);

/*
 * The session HMAC of a command (Part 1 §19.6.5) with an empty sessionKey
 * and authValue: HMAC(, cpHash || nonceCaller || nonceTPM || attrs),
 * cpHash = H(cc || name1 || name2 || params).  @names[i]: the Names of
 * the command's handles.
 */
long tpm_cmd_hmac(const struct tpm_sess *s, uint32_t cc, const uint8_t *const names[],
		  const size_t name_lens[], unsigned int n_names, const uint8_t *params,
		  size_t params_len, const struct tpm_auth *a, uint8_t *out);
/* The response HMAC: HMAC(, rpHash || nonceTPM || nonceCaller || attrs), rpHash = H(0 || cc || params). */
long tpm_rsp_hmac(const struct tpm_sess *s, uint32_t cc, const uint8_t *params,
		  size_t params_len, const struct tpm_auth *rsp_auth, const uint8_t *nonce_caller,
		  uint16_t nonce_caller_len, uint8_t *out);

#endif /* CVMATTEST_TPM_SESSION_H */
