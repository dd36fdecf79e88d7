// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * HMAC-session bookkeeping for the paravisor (see tpm_session.h).
 * Session HMACs: TPM 2.0 Library Part 1 §19.6 (rev 1.59); command and
 * response layouts: Part 1 §18; handle counts: Part 3.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tpm_session.h"

/* TPM 2.0 Part 2 §6.3 TPM_ALG_ID */
#define ALG_SHA1	0x0004
#define ALG_XOR		0x000A
#define ALG_SHA256	0x000B
#define ALG_SHA384	0x000C
#define ALG_SHA512	0x000D
#define ALG_NULL	0x0010

/* command handles | response handles << 4, from the "Handle" fields of Part 3 */
struct cc_handles {
	uint16_t cc;
	uint8_t h;
};

#define H(c, r) ((uint8_t)((c) | (r) << 4))

static const struct cc_handles cc_table[] = {
	{ 0x11F, H(2, 0) },	/* NV_UndefineSpaceSpecial */
	{ 0x120, H(2, 0) },	/* EvictControl */
	{ 0x121, H(1, 0) },	/* HierarchyControl */
	{ 0x122, H(2, 0) },	/* NV_UndefineSpace */
	{ 0x124, H(1, 0) },	/* ChangeEPS */
	{ 0x125, H(1, 0) },	/* ChangePPS */
	{ 0x126, H(1, 0) },	/* Clear */
	{ 0x127, H(1, 0) },	/* ClearControl */
	{ 0x128, H(1, 0) },	/* ClockSet */
	{ 0x129, H(1, 0) },	/* HierarchyChangeAuth */
	{ 0x12A, H(1, 0) },	/* NV_DefineSpace */
	{ 0x12B, H(1, 0) },	/* PCR_Allocate */
	{ 0x12C, H(1, 0) },	/* PCR_SetAuthPolicy */
	{ 0x12D, H(1, 0) },	/* PP_Commands */
	{ 0x12E, H(1, 0) },	/* SetPrimaryPolicy */
	{ 0x12F, H(2, 0) },	/* FieldUpgradeStart */
	{ 0x130, H(1, 0) },	/* ClockRateAdjust */
	{ 0x131, H(1, 1) },	/* CreatePrimary */
	{ 0x132, H(1, 0) },	/* NV_GlobalWriteLock */
	{ 0x133, H(2, 0) },	/* GetCommandAuditDigest */
	{ 0x134, H(2, 0) },	/* NV_Increment */
	{ 0x135, H(2, 0) },	/* NV_SetBits */
	{ 0x136, H(2, 0) },	/* NV_Extend */
	{ 0x137, H(2, 0) },	/* NV_Write */
	{ 0x138, H(2, 0) },	/* NV_WriteLock */
	{ 0x139, H(1, 0) },	/* DictionaryAttackLockReset */
	{ 0x13A, H(1, 0) },	/* DictionaryAttackParameters */
	{ 0x13B, H(1, 0) },	/* NV_ChangeAuth */
	{ 0x13C, H(1, 0) },	/* PCR_Event */
	{ 0x13D, H(1, 0) },	/* PCR_Reset */
	{ 0x13E, H(1, 0) },	/* SequenceComplete */
	{ 0x13F, H(1, 0) },	/* SetAlgorithmSet */
	{ 0x140, H(1, 0) },	/* SetCommandCodeAuditStatus */
	{ 0x141, H(0, 0) },	/* FieldUpgradeData */
	{ 0x142, H(0, 0) },	/* IncrementalSelfTest */
	{ 0x143, H(0, 0) },	/* SelfTest */
	{ 0x144, H(0, 0) },	/* Startup */
	{ 0x145, H(0, 0) },	/* Shutdown */
	{ 0x146, H(0, 0) },	/* StirRandom */
	{ 0x147, H(2, 0) },	/* ActivateCredential */
	{ 0x148, H(2, 0) },	/* Certify */
	{ 0x149, H(3, 0) },	/* PolicyNV */
	{ 0x14A, H(2, 0) },	/* CertifyCreation */
	{ 0x14B, H(2, 0) },	/* Duplicate */
	{ 0x14C, H(2, 0) },	/* GetTime */
	{ 0x14D, H(3, 0) },	/* GetSessionAuditDigest */
	{ 0x14E, H(2, 0) },	/* NV_Read */
	{ 0x14F, H(2, 0) },	/* NV_ReadLock */
	{ 0x150, H(2, 0) },	/* ObjectChangeAuth */
	{ 0x151, H(2, 0) },	/* PolicySecret */
	{ 0x152, H(2, 0) },	/* Rewrap */
	{ 0x153, H(1, 0) },	/* Create */
	{ 0x154, H(1, 0) },	/* ECDH_ZGen */
	{ 0x155, H(1, 0) },	/* HMAC / MAC */
	{ 0x156, H(1, 0) },	/* Import */
	{ 0x157, H(1, 1) },	/* Load */
	{ 0x158, H(1, 0) },	/* Quote */
	{ 0x159, H(1, 0) },	/* RSA_Decrypt */
	{ 0x15B, H(1, 1) },	/* HMAC_Start / MAC_Start */
	{ 0x15C, H(1, 0) },	/* SequenceUpdate */
	{ 0x15D, H(1, 0) },	/* Sign */
	{ 0x15E, H(1, 0) },	/* Unseal */
	{ 0x160, H(2, 0) },	/* PolicySigned */
	{ 0x161, H(0, 1) },	/* ContextLoad */
	{ 0x162, H(1, 0) },	/* ContextSave */
	{ 0x163, H(1, 0) },	/* ECDH_KeyGen */
	{ 0x164, H(1, 0) },	/* EncryptDecrypt */
	{ 0x165, H(0, 0) },	/* FlushContext (the handle is a parameter) */
	{ 0x167, H(0, 1) },	/* LoadExternal */
	{ 0x168, H(1, 0) },	/* MakeCredential */
	{ 0x169, H(1, 0) },	/* NV_ReadPublic */
	{ 0x16A, H(1, 0) },	/* PolicyAuthorize */
	{ 0x16B, H(1, 0) },	/* PolicyAuthValue */
	{ 0x16C, H(1, 0) },	/* PolicyCommandCode */
	{ 0x16D, H(1, 0) },	/* PolicyCounterTimer */
	{ 0x16E, H(1, 0) },	/* PolicyCpHash */
	{ 0x16F, H(1, 0) },	/* PolicyLocality */
	{ 0x170, H(1, 0) },	/* PolicyNameHash */
	{ 0x171, H(1, 0) },	/* PolicyOR */
	{ 0x172, H(1, 0) },	/* PolicyTicket */
	{ 0x173, H(1, 0) },	/* ReadPublic */
	{ 0x174, H(1, 0) },	/* RSA_Encrypt */
	{ 0x176, H(2, 1) },	/* StartAuthSession */
	{ 0x177, H(1, 0) },	/* VerifySignature */
	{ 0x178, H(0, 0) },	/* ECC_Parameters */
	{ 0x179, H(0, 0) },	/* FirmwareRead */
	{ 0x17A, H(0, 0) },	/* GetCapability */
	{ 0x17B, H(0, 0) },	/* GetRandom */
	{ 0x17C, H(0, 0) },	/* GetTestResult */
	{ 0x17D, H(0, 0) },	/* Hash */
	{ 0x17E, H(0, 0) },	/* PCR_Read */
	{ 0x17F, H(1, 0) },	/* PolicyPCR */
	{ 0x180, H(1, 0) },	/* PolicyRestart */
	{ 0x181, H(0, 0) },	/* ReadClock */
	{ 0x182, H(1, 0) },	/* PCR_Extend */
	{ 0x183, H(1, 0) },	/* PCR_SetAuthValue */
	{ 0x184, H(3, 0) },	/* NV_Certify */
	{ 0x185, H(2, 0) },	/* EventSequenceComplete */
	{ 0x186, H(0, 1) },	/* HashSequenceStart */
	{ 0x187, H(1, 0) },	/* PolicyPhysicalPresence */
	{ 0x188, H(1, 0) },	/* PolicyDuplicationSelect */
	{ 0x189, H(1, 0) },	/* PolicyGetDigest */
	{ 0x18A, H(0, 0) },	/* TestParms */
	{ 0x18B, H(1, 0) },	/* Commit */
	{ 0x18C, H(1, 0) },	/* PolicyPassword */
	{ 0x18D, H(1, 0) },	/* ZGen_2Phase */
	{ 0x18E, H(0, 0) },	/* EC_Ephemeral */
	{ 0x18F, H(1, 0) },	/* PolicyNvWritten */
	{ 0x190, H(1, 0) },	/* PolicyTemplate */
	{ 0x191, H(1, 1) },	/* CreateLoaded */
	{ 0x192, H(3, 0) },	/* PolicyAuthorizeNV */
	{ 0x193, H(1, 0) },	/* EncryptDecrypt2 */
	{ 0x194, H(1, 0) },	/* AC_GetCapability */
	{ 0x195, H(3, 0) },	/* AC_Send */
	{ 0x196, H(1, 0) },	/* Policy_AC_SendSelect */
	{ 0x197, H(2, 0) },	/* CertifyX509 */
	{ 0x198, H(1, 0) },	/* ACT_SetTimeout */
	{ 0x199, H(1, 0) },	/* ECC_Encrypt */
	{ 0x19A, H(1, 0) },	/* ECC_Decrypt */
};

int tpm_cc_handles(uint32_t cc, unsigned int *cmd_handles, unsigned int *rsp_handles)
{
	for (size_t i = 0; i < sizeof(cc_table) / sizeof(cc_table[0]); i++) {
		if (cc_table[i].cc == cc) {
			*cmd_handles = cc_table[i].h & 15;
			*rsp_handles = cc_table[i].h >> 4;
			return 0;
		}
	}
	return -ENOENT;
}

/* One TPMS_AUTH_COMMAND / TPMS_AUTH_RESPONSE at buf[*off], not past @end. */
static int parse_auth(const uint8_t *buf, size_t *off, size_t end, bool command,
		      struct tpm_auth *a)
{
	size_t o = *off;
	uint16_t n;

	memset(a, 0, sizeof(*a));
	if (command) {
		if (end - o < 4)
			return -EBADMSG;
		a->handle = tpm_get32(buf + o);
		o += 4;
	}
	if (end - o < 2)
		return -EBADMSG;
	n = tpm_get16(buf + o);
	o += 2;
	if (n > end - o)
		return -EBADMSG;
	a->nonce = buf + o;
	a->nonce_len = n;
	o += n;
	if (end - o < 3)
		return -EBADMSG;
	a->attrs = buf[o++];
	n = tpm_get16(buf + o);
	o += 2;
	if (n > end - o)
		return -EBADMSG;
	a->hmac = buf + o;
	a->hmac_len = n;
	a->hmac_off = o;
	o += n;
	*off = o;
	return 0;
}

int tpm_cmd_auths(const uint8_t *cmd, size_t len, struct tpm_auth *a, unsigned int *n,
		  size_t *param_off)
{
	unsigned int ch, rh;
	size_t off, end;
	uint32_t size;

	*n = 0;
	if (len < TPM_HEADER_LEN || tpm_get32(cmd + 2) != len)
		return -EBADMSG;
	if (tpm_cc_handles(tpm_get32(cmd + 6), &ch, &rh))
		return -ENOENT;
	off = TPM_HEADER_LEN + 4 * (size_t)ch;
	if (off > len)
		return -EBADMSG;
	if (tpm_get16(cmd) == TPM_ST_NO_SESSIONS) {
		*param_off = off;
		return 0;
	}
	if (tpm_get16(cmd) != TPM_ST_SESSIONS || len - off < 4)
		return -EBADMSG;
	size = tpm_get32(cmd + off);
	off += 4;
	if (size > len - off)
		return -EBADMSG;
	end = off + size;
	while (off < end) {
		if (*n >= TPM_MAX_SESSIONS || parse_auth(cmd, &off, end, true, &a[*n]))
			return -EBADMSG;
		(*n)++;
	}
	if (!*n)
		return -EBADMSG;
	*param_off = end;
	return 0;
}

int tpm_rsp_auths(uint32_t cc, const uint8_t *rsp, size_t len, struct tpm_auth *a,
		  unsigned int n, size_t *param_off, size_t *param_len)
{
	unsigned int ch, rh;
	size_t off;
	uint32_t psize;

	if (len < TPM_HEADER_LEN || tpm_get32(rsp + 2) != len || tpm_get32(rsp + 6) != 0 ||
	    tpm_get16(rsp) != TPM_ST_SESSIONS)
		return -EBADMSG;
	if (tpm_cc_handles(cc, &ch, &rh))
		return -ENOENT;
	off = TPM_HEADER_LEN + 4 * (size_t)rh;
	if (off > len || len - off < 4)
		return -EBADMSG;
	psize = tpm_get32(rsp + off);
	off += 4;
	if (psize > len - off)
		return -EBADMSG;
	*param_off = off;
	*param_len = psize;
	off += psize;
	for (unsigned int i = 0; i < n; i++)
		if (parse_auth(rsp, &off, len, false, &a[i]))
			return -EBADMSG;
	return off == len ? 0 : -EBADMSG;
}

/* ---- the table ------------------------------------------------------------- */

struct tpm_sess *tpm_sess_find(struct tpm_sess_table *t, uint32_t handle)
{
	for (unsigned int i = 0; i < TPM_TRACKED_SESSIONS; i++)
		if (t->s[i].used && t->s[i].handle == handle)
			return &t->s[i];
	return NULL;
}

static void drop(struct tpm_sess_table *t, uint32_t handle)
{
	struct tpm_sess *s = tpm_sess_find(t, handle);

	if (s) {
		memset(s, 0, sizeof(*s));
		t->dropped++;
	}
}

static void drop_all(struct tpm_sess_table *t)
{
	for (unsigned int i = 0; i < TPM_TRACKED_SESSIONS; i++)
		if (t->s[i].used)
			drop(t, t->s[i].handle);
}

static bool hash_ok(uint16_t alg)
{
	return alg == ALG_SHA1 || alg == ALG_SHA256 || alg == ALG_SHA384 || alg == ALG_SHA512;
}

static void observe_start(struct tpm_sess_table *t, const uint8_t *cmd, size_t clen,
			  const uint8_t *rsp, size_t rlen)
{
	size_t off = TPM_HEADER_LEN;
	uint32_t tpm_key, bind, handle;
	uint16_t n, sym, hash;
	uint8_t type;
	struct tpm_sess *s = NULL;

	if (tpm_get16(cmd) != TPM_ST_NO_SESSIONS || tpm_get16(rsp) != TPM_ST_NO_SESSIONS)
		goto untracked;			/* audited StartAuthSession: not worth it */
	if (clen - off < 8)
		return;
	tpm_key = tpm_get32(cmd + off);
	bind = tpm_get32(cmd + off + 4);
	off += 8;
	/* nonceCaller, encryptedSalt */
	for (int i = 0; i < 2; i++) {
		if (clen - off < 2)
			return;
		n = tpm_get16(cmd + off);
		off += 2;
		if (n > clen - off)
			return;
		off += n;
	}
	if (clen - off < 3)
		return;
	type = cmd[off++];
	sym = tpm_get16(cmd + off);
	off += 2;
	if (sym != ALG_NULL)
		off += sym == ALG_XOR ? 2 : 4;	/* keyBits (XOR: its hash) [, mode] */
	if (off > clen || clen - off != 2)
		return;
	hash = tpm_get16(cmd + off);
	/* response: sessionHandle, nonceTPM */
	if (rlen < TPM_HEADER_LEN + 6)
		return;
	handle = tpm_get32(rsp + TPM_HEADER_LEN);
	n = tpm_get16(rsp + TPM_HEADER_LEN + 4);
	if (n > TPM_MAX_NONCE || rlen != TPM_HEADER_LEN + 6u + n)
		return;
	drop(t, handle);		/* a reused handle */
	if (tpm_key != TPM_RH_NULL || bind != TPM_RH_NULL || type != TPM_SE_HMAC ||
	    !hash_ok(hash))
		return;			/* salted, bound, policy: keys unknown to us */
	for (unsigned int i = 0; i < TPM_TRACKED_SESSIONS; i++) {
		if (!t->s[i].used) {
			s = &t->s[i];
			break;
		}
	}
	if (!s)
		return;
	s->used = true;
	s->handle = handle;
	s->hash = hash;
	s->nonce_len = n;
	memcpy(s->nonce_tpm, rsp + TPM_HEADER_LEN + 6, n);
	t->tracked++;
	return;
untracked:
	if (rlen >= TPM_HEADER_LEN + 4 && tpm_get32(rsp + 6) == 0)
		drop(t, tpm_get32(rsp + TPM_HEADER_LEN));
}

void tpm_sess_observe(struct tpm_sess_table *t, const uint8_t *cmd, size_t clen,
		      const uint8_t *rsp, size_t rlen)
{
	struct tpm_auth ca[TPM_MAX_SESSIONS], ra[TPM_MAX_SESSIONS];
	size_t poff, plen;
	unsigned int n = 0;
	uint32_t cc, rc;
	bool any = false;

	if (!t || !cmd || !rsp || clen < TPM_HEADER_LEN || rlen < TPM_HEADER_LEN ||
	    tpm_get32(cmd + 2) != clen || tpm_get32(rsp + 2) != rlen)
		return;
	cc = tpm_get32(cmd + 6);
	rc = tpm_get32(rsp + 6);
	if (cc == TPM_CC_START_AUTH_SESSION) {
		if (rc == 0)
			observe_start(t, cmd, clen, rsp, rlen);
		return;
	}
	if (cc == TPM_CC_FLUSH_CONTEXT) {
		if (rc == 0 && clen == TPM_HEADER_LEN + 4)
			drop(t, tpm_get32(cmd + TPM_HEADER_LEN));
		return;
	}
	if (tpm_get16(cmd) != TPM_ST_SESSIONS)
		return;
	if (tpm_cmd_auths(cmd, clen, ca, &n, &poff)) {
		drop_all(t);		/* cannot tell which sessions it used */
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		if (tpm_sess_find(t, ca[i].handle))
			any = true;
	if (!any || rc != 0)
		return;			/* a failed command does not roll nonceTPM */
	if (tpm_rsp_auths(cc, rsp, rlen, ra, n, &poff, &plen)) {
		for (unsigned int i = 0; i < n; i++)
			drop(t, ca[i].handle);
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct tpm_sess *s = tpm_sess_find(t, ca[i].handle);

		if (!s)
			continue;
		if (!(ra[i].attrs & PV_SESSION_CONTINUE) || ra[i].nonce_len > TPM_MAX_NONCE) {
			drop(t, ca[i].handle);
			continue;
		}
		memcpy(s->nonce_tpm, ra[i].nonce, ra[i].nonce_len);
		s->nonce_len = ra[i].nonce_len;
	}
}

/* ---- digests --------------------------------------------------------------------- */

static const EVP_MD *md_of(uint16_t alg)
{
	switch (alg) {
	case ALG_SHA1:
		return EVP_sha1();
	case ALG_SHA256:
		return EVP_sha256();
	case ALG_SHA384:
		return EVP_sha384();
	case ALG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

long tpm_digest(uint16_t hash, const struct tpm_part *parts, unsigned int n, uint8_t *out)
{
	const EVP_MD *md = md_of(hash);
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	long ret = -EIO;

	if (!md)
		return -ENOTSUP;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, md, NULL)) {
		unsigned int i;

		for (i = 0; i < n; i++)
			if (parts[i].len && !EVP_DigestUpdate(ctx, parts[i].p, parts[i].len))
				break;
		if (i == n && EVP_DigestFinal_ex(ctx, out, &len))
			ret = len;
	}
	EVP_MD_CTX_free(ctx);
	return ret;
}

long tpm_hmac(uint16_t hash, const uint8_t *key, size_t key_len, const struct tpm_part *parts,
	      unsigned int n, uint8_t *out)
{
	static const uint8_t empty[1];
	const EVP_MD *md = md_of(hash);
	uint8_t buf[2 * TPM_MAX_MSG];
	unsigned int len = 0;
	size_t off = 0;

	if (!md)
		return -ENOTSUP;
	for (unsigned int i = 0; i < n; i++) {
		if (parts[i].len > sizeof(buf) - off)
			return -E2BIG;
		if (parts[i].len)
			memcpy(buf + off, parts[i].p, parts[i].len);
		off += parts[i].len;
	}
	if (!HMAC(md, key_len ? key : empty, (int)key_len, buf, off, out, &len))
		return -EIO;
	return len;
}

long tpm_cmd_hmac(const struct tpm_sess *s, uint32_t cc, const uint8_t *const names[],
		  const size_t name_lens[], unsigned int n_names, const uint8_t *params,
		  size_t params_len, const struct tpm_auth *a, uint8_t *out)
{
	struct tpm_part p[6];
	uint8_t ccb[4], cp[TPM_MAX_DIGEST];
	unsigned int k = 0;
	long n;

	if (n_names > 3)
		return -EINVAL;
	tpm_put32(ccb, cc);
	p[k++] = (struct tpm_part){ ccb, 4 };
	for (unsigned int i = 0; i < n_names; i++)
		p[k++] = (struct tpm_part){ names[i], name_lens[i] };
	p[k++] = (struct tpm_part){ params, params_len };
	n = tpm_digest(s->hash, p, k, cp);
	if (n < 0)
		return n;
	p[0] = (struct tpm_part){ cp, (size_t)n };
	p[1] = (struct tpm_part){ a->nonce, a->nonce_len };
	p[2] = (struct tpm_part){ s->nonce_tpm, s->nonce_len };
	p[3] = (struct tpm_part){ &a->attrs, 1 };
	return tpm_hmac(s->hash, NULL, 0, p, 4, out);
}

long tpm_rsp_hmac(const struct tpm_sess *s, uint32_t cc, const uint8_t *params,
		  size_t params_len, const struct tpm_auth *rsp_auth, const uint8_t *nonce_caller,
		  uint16_t nonce_caller_len, uint8_t *out)
{
	struct tpm_part p[4];
	uint8_t rcb[4] = { 0 }, ccb[4], rp[TPM_MAX_DIGEST];
	long n;

	tpm_put32(ccb, cc);
	p[0] = (struct tpm_part){ rcb, 4 };
	p[1] = (struct tpm_part){ ccb, 4 };
	p[2] = (struct tpm_part){ params, params_len };
	n = tpm_digest(s->hash, p, 3, rp);
	if (n < 0)
		return n;
	p[0] = (struct tpm_part){ rp, (size_t)n };
	p[1] = (struct tpm_part){ rsp_auth->nonce, rsp_auth->nonce_len };
	p[2] = (struct tpm_part){ nonce_caller, nonce_caller_len };
	p[3] = (struct tpm_part){ &rsp_auth->attrs, 1 };
	return tpm_hmac(s->hash, NULL, 0, p, 4, out);
}
