/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The parts of the TPM 2.0 wire format the paravisor looks at in the
 * command stream it forwards between the guest and swtpm.  Everything the
 * guest sends is untrusted: every length is checked against the buffer and
 * nothing is read past it.  Big-endian throughout (TPM 2.0 Part 1 §18).
 *
 * Constants: TPM 2.0 Library Part 2 (Structures) and Part 3 (Commands),
 * rev 1.59; the vendor command from linux/vtpm_proxy.h.
 */
#ifndef CVMATTEST_TPM_PROTO_H
#define CVMATTEST_TPM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPM_HEADER_LEN		10
/* TPM_BUFSIZE of drivers/char/tpm/tpm.h: the proxy's request/response buffer */
#define TPM_MAX_MSG		4096

/* Part 2 §6.9 TPM_ST */
#define TPM_ST_NO_SESSIONS	0x8001
#define TPM_ST_SESSIONS		0x8002

/* Part 2 §6.5.2 TPM_CC */
#define TPM_CC_NV_UNDEFINE_SPACE_SPECIAL	0x0000011F
#define TPM_CC_NV_DEFINE_SPACE		0x0000012A
#define TPM_CC_NV_UNDEFINE_SPACE	0x00000122
#define TPM_CC_NV_WRITE			0x00000137
#define TPM_CC_NV_READ			0x0000014E
#define TPM_CC_NV_READ_PUBLIC		0x00000169
/* linux/vtpm_proxy.h: sent by the kernel's tpm_vtpm_proxy, never by user space */
#define TPM2_CC_SET_LOCALITY		0x20001000

/* Part 2 §6.6 TPM_RC */
#define TPM_RC_SUCCESS		0x000
#define TPM_RC_FAILURE		0x101
#define TPM_RC_COMMAND_SIZE	0x142
#define TPM_RC_COMMAND_CODE	0x143
#define TPM_RC_NV_RANGE		0x146
#define TPM_RC_VALUE		0x084
#define TPM_RC_P		0x040
#define TPM_RC_1		0x100
#define TPM_RC_2		0x200

/* Part 2 §7.4 TPM_RH / TPM_RS */
#define TPM_RH_OWNER		0x40000001
#define TPM_RS_PW		0x40000009
#define TPM_RH_PLATFORM		0x4000000C

/* Part 2 §8.4 TPMA_SESSION */
#define PV_SESSION_DECRYPT	0x20
#define PV_SESSION_ENCRYPT	0x40
#define PV_SESSION_AUDIT	0x80

#define TPM_MAX_SESSIONS	3

/* A command, as far as we parsed it (pointers into the caller's buffer). */
struct tpm_cmd {
	uint16_t tag;
	uint32_t size;
	uint32_t cc;
	const uint8_t *buf;
	size_t len;
	/* filled in for the NV commands listed above (tpm_cmd_parse_nv) */
	unsigned int n_handles;
	uint32_t handle[2];
	size_t auth_off, auth_len;	/* the authorization area (after its size) */
	unsigned int n_sessions;
	uint32_t session[TPM_MAX_SESSIONS];
	bool all_password;		/* every session is TPM_RS_PW */
	bool param_encrypted;		/* a session has the decrypt attribute */
	size_t param_off;		/* the parameters: [param_off, len) */
};

/* The 10-byte header; -EBADMSG when @len < 10 or the header's size != @len. */
int tpm_cmd_parse(const uint8_t *buf, size_t len, struct tpm_cmd *c);

/*
 * Handles, sessions and parameter offset of NV_DefineSpace, NV_UndefineSpace,
 * NV_UndefineSpaceSpecial, NV_Write, NV_Read and NV_ReadPublic.
 * -ENOTSUP for other command codes, -EBADMSG when malformed.
 */
int tpm_cmd_parse_nv(struct tpm_cmd *c);

/* NV_Write parameters: TPM2B_MAX_NV_BUFFER data, UINT16 offset. */
int tpm_nv_write_params(const struct tpm_cmd *c, const uint8_t **data, uint16_t *size,
			uint16_t *offset);
/* NV_Read parameters: UINT16 size, UINT16 offset. */
int tpm_nv_read_params(const struct tpm_cmd *c, uint16_t *size, uint16_t *offset);

/*
 * Copy @c (an NV_Read) into @out with other size/offset parameters, for
 * the authorization check by the real index.  Only sound with password
 * sessions: an HMAC covers the parameters.  Returns the length or -errno.
 */
long tpm_nv_read_rewrite(const struct tpm_cmd *c, uint16_t size, uint16_t offset,
			 uint8_t *out, size_t out_size);

/* A response header; -EBADMSG when @len < 10 or its size != @len. */
int tpm_rsp_parse(const uint8_t *buf, size_t len, uint16_t *tag, uint32_t *rc);

/* A 10-byte error (or bare success) response.  Returns 10. */
size_t tpm_rsp_make(uint32_t rc, uint8_t out[TPM_HEADER_LEN]);

/*
 * Rebuild a successful NV_Read response (tag TPM_ST_SESSIONS) with @data
 * in place of what the TPM returned, keeping its authorization area.
 * @rsp must be the TPM's response to the same command with password
 * sessions only.  Returns the new length or -EBADMSG / -ENOSPC.
 */
long tpm_nv_read_rsp_replace(const uint8_t *rsp, size_t rsp_len, const uint8_t *data,
			     uint16_t data_len, uint8_t *out, size_t out_size);

/*
 * In a successful NV_ReadPublic response without sessions, change the
 * index's dataSize to @new_size and recompute its Name (nameAlg ||
 * H(TPMS_NV_PUBLIC)).  Only when the response names @index and its
 * dataSize is @expect_size.  0 when patched, -ENOENT when not applicable,
 * -EBADMSG when malformed, -ENOTSUP for an unknown nameAlg.
 */
int tpm_nv_read_public_patch(uint8_t *rsp, size_t rsp_len, uint32_t index,
			     uint16_t expect_size, uint16_t new_size);

/* Name of a TPMS_NV_PUBLIC (marshalled) into @name (2 + digest); length or -errno. */
long tpm_nv_name(const uint8_t *nv_public, size_t len, uint8_t *name, size_t name_size);

static inline uint16_t tpm_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t tpm_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void tpm_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tpm_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* CVMATTEST_TPM_PROTO_H */
