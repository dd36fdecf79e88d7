// SPDX-License-Identifier: GPL-2.0-only
/*
 * Provider "azure-vtpm": Azure confidential VMs behind the paravisor.
 *
 * The guest has no /dev/sev-guest or /dev/tdx_guest; the paravisor keeps
 * the hardware report in vTPM NV index 0x01400001 (the "HCL report") and
 * rebuilds it when the guest writes 64 bytes of user data to 0x01400002:
 * the runtime claims then carry "user-data": hex(those bytes), and the
 * hardware report's REPORT_DATA[0:32] = SHA-256(runtime claims).
 * (reference/azure-attestation-and-key-release.md §1.)
 *
 * TPM commands are built by hand (there is no in-kernel NV helper) and sent
 * with tpm_transmit_cmd(), exported and of the same shape from 5.x to
 * today; tpm_buf_* are inlines before 6.10 and exported after, with the
 * same calls.  The chip is held (tpm_try_get_ops) only for each command,
 * never across the wait for the paravisor, so other TPM users go on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/sha2.h>
#include <linux/ctype.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tpm.h>

#include <cvmattest/evidence.h>

#include "compat.h"
#include "cvmattest.h"

static unsigned int vtpm_timeout_ms = 10000;
module_param(vtpm_timeout_ms, uint, 0644);
MODULE_PARM_DESC(vtpm_timeout_ms, "azure-vtpm: how long to wait for the paravisor to refresh the report (ms)");

/* TPM 2.0 Part 2 constants not (all) in linux/tpm.h */
#define VTPM_RH_OWNER			0x40000001
#define VTPM_CC_NV_DEFINE_SPACE		0x012A
#define VTPM_CC_NV_WRITE		0x0137
#define VTPM_CC_NV_READ			0x014E
#define VTPM_CC_NV_READ_PUBLIC		0x0169
#define VTPM_ALG_SHA256			0x000B
#define VTPMA_NV_OWNERWRITE		BIT(1)
#define VTPMA_NV_AUTHWRITE		BIT(2)
#define VTPMA_NV_OWNERREAD		BIT(17)
#define VTPMA_NV_AUTHREAD		BIT(18)
#define VTPM_RC_FMT1			0x080
#define VTPM_RC_HANDLE			0x00B	/* format-1 error number */
#define VTPM_HEADER_LEN			10

/* NV reads in chunks every TPM takes (TPM_PT_NV_BUFFER_MAX >= 1024). */
#define VTPM_NV_CHUNK			1024
/* Largest NV report we accept (Azure's index is 2600 bytes). */
#define VTPM_REPORT_MAX			8192
#define VTPM_POLL_FIRST_MS		10
#define VTPM_POLL_MAX_MS		250

struct vtpm_priv {
	struct tpm_chip *chip;
	u16 nv_size;			/* of 0x01400001 */
};

/*
 * Send a command, holding the chip just for it.  Returns 0, -errno, or a
 * positive TPM response code.
 */
static int vtpm_transmit(struct tpm_chip *chip, struct tpm_buf *b,
			 size_t min_body, const char *desc)
{
	int rc;

	rc = tpm_try_get_ops(chip);
	if (rc)
		return rc;
	rc = tpm_transmit_cmd(chip, b, min_body, desc);
	tpm_put_ops(chip);
	return rc;
}

static bool vtpm_rc_is_handle(int rc)
{
	return rc > 0 && (rc & VTPM_RC_FMT1) && (rc & 0x3f) == VTPM_RC_HANDLE;
}

/* Password session with the empty (owner) password: TPM2_RS_PW. */
static void vtpm_append_pw_session(struct tpm_buf *b)
{
	tpm_buf_append_u32(b, 9);		/* authorizationSize */
	tpm_buf_append_u32(b, TPM2_RS_PW);
	tpm_buf_append_u16(b, 0);		/* nonce */
	tpm_buf_append_u8(b, 0);		/* sessionAttributes */
	tpm_buf_append_u16(b, 0);		/* hmac */
}

/* TPM2_NV_ReadPublic: the index's data size, or -ENOENT if undefined. */
static int vtpm_nv_size(struct tpm_chip *chip, u32 index, u16 *size)
{
	struct tpm_buf b;
	u16 pub_size, policy_size;
	const u8 *p;
	int rc;

	rc = tpm_buf_init(&b, TPM2_ST_NO_SESSIONS, VTPM_CC_NV_READ_PUBLIC);
	if (rc)
		return rc;
	tpm_buf_append_u32(&b, index);
	rc = vtpm_transmit(chip, &b, 2 + 4 + 2 + 4 + 2 + 2, "NV_ReadPublic");
	if (vtpm_rc_is_handle(rc)) {
		rc = -ENOENT;
		goto out;
	}
	if (rc) {
		rc = rc > 0 ? -EIO : rc;
		goto out;
	}
	/* TPM2B_NV_PUBLIC: size, nvIndex, nameAlg, attributes, authPolicy, dataSize */
	p = b.data + VTPM_HEADER_LEN;
	pub_size = get_unaligned_be16(p);
	policy_size = get_unaligned_be16(p + 2 + 4 + 2 + 4);
	if (pub_size < 4 + 2 + 4 + 2 + 2 ||
	    pub_size != 4 + 2 + 4 + 2 + policy_size + 2 ||
	    get_unaligned_be32(p + 2) != index ||
	    be32_to_cpu(((struct tpm_header *)b.data)->length) <
	    VTPM_HEADER_LEN + 2 + pub_size) {
		rc = -EPROTO;
		goto out;
	}
	*size = get_unaligned_be16(p + 2 + pub_size - 2);
out:
	tpm_buf_destroy(&b);
	return rc;
}

static int vtpm_nv_define_user_data(struct tpm_chip *chip)
{
	struct tpm_buf b;
	int rc;

	rc = tpm_buf_init(&b, TPM2_ST_SESSIONS, VTPM_CC_NV_DEFINE_SPACE);
	if (rc)
		return rc;
	tpm_buf_append_u32(&b, VTPM_RH_OWNER);
	vtpm_append_pw_session(&b);
	tpm_buf_append_u16(&b, 0);			/* TPM2B_AUTH: none */
	tpm_buf_append_u16(&b, 4 + 2 + 4 + 2 + 2);	/* TPM2B_NV_PUBLIC */
	tpm_buf_append_u32(&b, HCL_NV_INDEX_USER_DATA);
	tpm_buf_append_u16(&b, VTPM_ALG_SHA256);
	tpm_buf_append_u32(&b, VTPMA_NV_OWNERWRITE | VTPMA_NV_OWNERREAD |
			       VTPMA_NV_AUTHWRITE | VTPMA_NV_AUTHREAD);
	tpm_buf_append_u16(&b, 0);			/* authPolicy */
	tpm_buf_append_u16(&b, HCL_USER_DATA_LEN);
	rc = vtpm_transmit(chip, &b, 0, "NV_DefineSpace");
	tpm_buf_destroy(&b);
	return rc > 0 ? -EIO : rc;
}

static int vtpm_nv_write_user_data(struct tpm_chip *chip, const u8 *data)
{
	struct tpm_buf b;
	int rc;

	rc = tpm_buf_init(&b, TPM2_ST_SESSIONS, VTPM_CC_NV_WRITE);
	if (rc)
		return rc;
	tpm_buf_append_u32(&b, VTPM_RH_OWNER);
	tpm_buf_append_u32(&b, HCL_NV_INDEX_USER_DATA);
	vtpm_append_pw_session(&b);
	tpm_buf_append_u16(&b, HCL_USER_DATA_LEN);
	tpm_buf_append(&b, data, HCL_USER_DATA_LEN);
	tpm_buf_append_u16(&b, 0);			/* offset */
	rc = vtpm_transmit(chip, &b, 0, "NV_Write");
	tpm_buf_destroy(&b);
	if (vtpm_rc_is_handle(rc))
		return -ENOENT;
	return rc > 0 ? -EIO : rc;
}

static int vtpm_nv_read(struct tpm_chip *chip, u32 index, u8 *out, u16 len)
{
	struct tpm_buf b;
	u16 off, n, got;
	int rc;

	for (off = 0; off < len; off += n) {
		n = min_t(u16, len - off, VTPM_NV_CHUNK);
		rc = tpm_buf_init(&b, TPM2_ST_SESSIONS, VTPM_CC_NV_READ);
		if (rc)
			return rc;
		tpm_buf_append_u32(&b, VTPM_RH_OWNER);
		tpm_buf_append_u32(&b, index);
		vtpm_append_pw_session(&b);
		tpm_buf_append_u16(&b, n);
		tpm_buf_append_u16(&b, off);
		rc = vtpm_transmit(chip, &b, 4 + 2, "NV_Read");
		if (!rc) {
			/* parameterSize, then TPM2B_MAX_NV_BUFFER */
			got = get_unaligned_be16(b.data + VTPM_HEADER_LEN + 4);
			if (got != n ||
			    be32_to_cpu(((struct tpm_header *)b.data)->length) <
			    VTPM_HEADER_LEN + 4 + 2 + n)
				rc = -EPROTO;
			else
				memcpy(out + off, b.data + VTPM_HEADER_LEN + 4 + 2, n);
		}
		tpm_buf_destroy(&b);
		if (vtpm_rc_is_handle(rc))
			return -ENOENT;
		if (rc)
			return rc > 0 ? -EIO : rc;
	}
	return 0;
}

/*
 * One hex digit's value, or -1.  Not hex_to_bin(): it moved from
 * linux/kernel.h to linux/hex.h (7.2 has only the latter, 6.12 only the
 * former), and the first version without it in kernel.h is not known here;
 * __has_include() would do, but sparse 0.6.5~rc1 cannot parse it.
 */
static int vtpm_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Find "user-data": "<128 hex>" in the runtime claims; true if it is @data. */
static bool vtpm_claims_user_data_is(const char *claims, size_t len,
				     const u8 *data)
{
	static const char key[] = "\"user-data\"";
	const char *p = claims, *end = claims + len;
	unsigned int i;

	p = strnstr(p, key, len);
	if (!p)
		return false;
	p += sizeof(key) - 1;
	while (p < end && isspace(*p))
		p++;
	if (p >= end || *p++ != ':')
		return false;
	while (p < end && isspace(*p))
		p++;
	if (end - p < 2 * HCL_USER_DATA_LEN + 2 || *p++ != '"')
		return false;
	for (i = 0; i < HCL_USER_DATA_LEN; i++, p += 2) {
		int hi = vtpm_hex_digit(p[0]), lo = vtpm_hex_digit(p[1]);

		if (hi < 0 || lo < 0 || (hi << 4 | lo) != data[i])
			return false;
	}
	return *p == '"';
}

/*
 * Check an HCL report: header, sizes, and that its claims carry @data and
 * hash to its REPORT_DATA (a report read while the paravisor rewrites it
 * fails here).  Returns the bytes in use, 0 if not (yet) our report, or
 * -EPROTO if it is malformed.
 */
static int vtpm_check_report(const u8 *r, size_t nv_len, const u8 *data,
			     u32 *platform)
{
	u32 var_len, type, rd_off;
	u8 hash[SHA256_DIGEST_SIZE];
	size_t used;

	if (nv_len < HCL_RT_VARIABLE_DATA ||
	    get_unaligned_le32(r + HCL_H_SIGNATURE) != HCL_SIGNATURE)
		return -EPROTO;
	var_len = get_unaligned_le32(r + HCL_RT_VARIABLE_SIZE);
	if (var_len > nv_len - HCL_RT_VARIABLE_DATA ||
	    get_unaligned_le32(r + HCL_RT_DATA_SIZE) != HCL_RT_HEADER_LEN + var_len)
		return -EPROTO;
	used = HCL_RT_VARIABLE_DATA + var_len;

	type = get_unaligned_le32(r + HCL_RT_REPORT_TYPE);
	if (type == HCL_REPORT_TYPE_SNP) {
		*platform = CVMATTEST_PLATFORM_SEV_SNP;
		rd_off = HCL_HW_REPORT + SNP_R_REPORT_DATA;
	} else if (type == HCL_REPORT_TYPE_TDX) {
		*platform = CVMATTEST_PLATFORM_TDX;
		rd_off = HCL_HW_REPORT + TDX_R_REPORT_DATA;
	} else {
		return -EPROTO;
	}

	if (!vtpm_claims_user_data_is((const char *)r + HCL_RT_VARIABLE_DATA,
				      var_len, data))
		return 0;
	if (get_unaligned_le32(r + HCL_RT_HASH_TYPE) == HCL_HASH_SHA256) {
		sha256(r + HCL_RT_VARIABLE_DATA, var_len, hash);
		if (memcmp(hash, r + rd_off, sizeof(hash)))
			return 0;
	}
	return used;
}

/* The hardware platform, from the report the paravisor holds now. */
static int vtpm_report_platform(struct tpm_chip *chip, u32 *platform)
{
	u8 *hdr;
	int rc;

	hdr = kmalloc(HCL_RT_VARIABLE_DATA, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	rc = vtpm_nv_read(chip, HCL_NV_INDEX_REPORT, hdr, HCL_RT_VARIABLE_DATA);
	if (rc)
		goto out;
	if (get_unaligned_le32(hdr + HCL_H_SIGNATURE) != HCL_SIGNATURE) {
		rc = -ENODEV;
		goto out;
	}
	switch (get_unaligned_le32(hdr + HCL_RT_REPORT_TYPE)) {
	case HCL_REPORT_TYPE_SNP:
		*platform = CVMATTEST_PLATFORM_SEV_SNP;
		break;
	case HCL_REPORT_TYPE_TDX:
		*platform = CVMATTEST_PLATFORM_TDX;
		break;
	default:
		*platform = CVMATTEST_PLATFORM_UNKNOWN;
		break;
	}
out:
	kfree(hdr);
	return rc;
}

static int vtpm_probe(struct cvmattest_provider *prov)
{
	struct tpm_chip *chip = tpm_default_chip();
	struct vtpm_priv *priv;
	u16 size;
	int rc;

	if (!chip)
		return -ENODEV;
	if (!tpm_is_tpm2(chip)) {
		rc = -ENODEV;
		goto err;
	}
	rc = vtpm_nv_size(chip, HCL_NV_INDEX_REPORT, &size);
	if (rc == -ENOENT)
		rc = -ENODEV;	/* a TPM, but not Azure's paravisor */
	if (rc)
		goto err;
	if (size < HCL_RT_VARIABLE_DATA || size > VTPM_REPORT_MAX) {
		pr_warn("azure-vtpm: NV 0x%08x has %u bytes, not an HCL report\n",
			HCL_NV_INDEX_REPORT, size);
		rc = -ENODEV;
		goto err;
	}

	rc = vtpm_report_platform(chip, &prov->platform);
	if (rc)
		goto err;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv) {
		rc = -ENOMEM;
		goto err;
	}
	priv->chip = chip;
	priv->nv_size = size;
	prov->priv = priv;
	prov->caps = 0;
	prov->evidence_max = size;
	prov->evidence_size = 0;
	prov->certs_max = 0;
	return 0;
err:
	put_device(&chip->dev);
	return rc;
}

static void vtpm_remove(struct cvmattest_provider *prov)
{
	struct vtpm_priv *priv = prov->priv;

	put_device(&priv->chip->dev);
	kfree(priv);
	prov->priv = NULL;
}

static int vtpm_get_evidence(struct cvmattest_provider *prov,
			     struct cvmattest_evidence *ev)
{
	struct vtpm_priv *priv = prov->priv;
	unsigned long deadline;
	unsigned int delay = VTPM_POLL_FIRST_MS;
	u32 platform = 0;
	int rc;

	if (ev->evidence_cap < priv->nv_size)
		return -ENOSPC;

	/* The whole write-wait-read sequence is one request: no interleaving. */
	rc = mutex_lock_killable(&prov->lock);
	if (rc)
		return rc;

	rc = vtpm_nv_write_user_data(priv->chip, ev->report_data);
	if (rc == -ENOENT) {
		rc = vtpm_nv_define_user_data(priv->chip);
		if (!rc)
			rc = vtpm_nv_write_user_data(priv->chip, ev->report_data);
	}
	if (rc)
		goto out;

	/*
	 * Poll, without a fixed sleep: a report that is already fresh is
	 * returned at once.  A malformed one may be half rewritten; it only
	 * counts once the time is up.
	 */
	deadline = jiffies + msecs_to_jiffies(READ_ONCE(vtpm_timeout_ms));
	for (;;) {
		rc = vtpm_nv_read(priv->chip, HCL_NV_INDEX_REPORT, ev->evidence,
				  priv->nv_size);
		if (rc == -ENOENT)
			rc = -ENODEV;	/* the paravisor dropped the index */
		if (rc)
			goto out;
		rc = vtpm_check_report(ev->evidence, priv->nv_size,
				       ev->report_data, &platform);
		if (rc > 0)
			break;
		if (time_after(jiffies, deadline)) {
			pr_warn_ratelimited("azure-vtpm: no fresh report in NV 0x%08x within %u ms\n",
					    HCL_NV_INDEX_REPORT, vtpm_timeout_ms);
			rc = rc ?: -ETIMEDOUT;
			goto out;
		}
		if (msleep_interruptible(delay)) {
			rc = -EINTR;
			goto out;
		}
		delay = min(delay * 2, VTPM_POLL_MAX_MS);
	}
	ev->evidence_len = rc;
	ev->format = CVMATTEST_FORMAT_AZURE_HCL;
	ev->platform = platform;
	rc = 0;
out:
	mutex_unlock(&prov->lock);
	return rc;
}

static void vtpm_describe(const struct cvmattest_evidence *ev,
			  struct cvmattest_launch *l)
{
	if (ev->evidence_len < HCL_RT_VARIABLE_DATA)
		return;
	if (ev->platform == CVMATTEST_PLATFORM_SEV_SNP)
		cvmattest_snp_describe_report(ev->evidence + HCL_HW_REPORT, l);
	else if (ev->platform == CVMATTEST_PLATFORM_TDX)
		cvmattest_tdx_describe_report(ev->evidence + HCL_HW_REPORT, l);
}

const struct cvmattest_provider_ops cvmattest_azure_vtpm_ops = {
	.name = "azure-vtpm",
	.id = CVMATTEST_PROVIDER_AZURE_VTPM,
	.probe = vtpm_probe,
	.remove = vtpm_remove,
	.get_evidence = vtpm_get_evidence,
	.describe = vtpm_describe,
};
