// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Host unit tests of what the paravisor parses and rewrites in the
 * guest's TPM command stream (tpm_proto.c) and its HMAC-session
 * bookkeeping (tpm_session.c).  The stream is untrusted: besides the
 * well-formed cases, every function is fed truncations and random bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tpm_proto.h"
#include "tpm_session.h"

/* ---- builders ------------------------------------------------------------------ */

struct buf {
	uint8_t b[TPM_MAX_MSG];
	size_t n;
};

static void u8(struct buf *b, uint8_t v)
{
	b->b[b->n++] = v;
}

static void u16(struct buf *b, uint16_t v)
{
	tpm_put16(b->b + b->n, v);
	b->n += 2;
}

static void u32(struct buf *b, uint32_t v)
{
	tpm_put32(b->b + b->n, v);
	b->n += 4;
}

static void bytes(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void fill(struct buf *b, uint8_t v, size_t n)
{
	memset(b->b + b->n, v, n);
	b->n += n;
}

static void finish(struct buf *b)
{
	tpm_put32(b->b + 2, (uint32_t)b->n);
}

static void header(struct buf *b, uint16_t tag, uint32_t cc)
{
	b->n = 0;
	u16(b, tag);
	u32(b, 0);
	u32(b, cc);
}

/* NV_Read(auth, index) with one password session */
static void nv_read_pw(struct buf *b, uint32_t auth, uint32_t index, uint16_t size, uint16_t off)
{
	header(b, TPM_ST_SESSIONS, TPM_CC_NV_READ);
	u32(b, auth);
	u32(b, index);
	u32(b, 9);
	u32(b, TPM_RS_PW);
	u16(b, 0);
	u8(b, 0);
	u16(b, 0);
	u16(b, size);
	u16(b, off);
	finish(b);
}

/* ---- tpm_proto ---------------------------------------------------------------------- */

static void test_cmd_parse_header(void **state)
{
	struct buf b;
	struct tpm_cmd c;

	(void)state;
	nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 16, 0);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(c.cc, TPM_CC_NV_READ);
	assert_int_equal(c.tag, TPM_ST_SESSIONS);
	for (size_t n = 0; n < TPM_HEADER_LEN; n++)
		assert_int_equal(tpm_cmd_parse(b.b, n, &c), -EBADMSG);
	assert_int_equal(tpm_cmd_parse(b.b, b.n - 1, &c), -EBADMSG);	/* size != length */
	assert_int_equal(tpm_cmd_parse(b.b, TPM_MAX_MSG + 1, &c), -EBADMSG);
}

static void test_parse_nv_read_password(void **state)
{
	struct buf b;
	struct tpm_cmd c;
	uint16_t size, off;

	(void)state;
	nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 1024, 2048);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), 0);
	assert_int_equal(c.n_handles, 2);
	assert_int_equal(c.handle[0], TPM_RH_OWNER);
	assert_int_equal(c.handle[1], 0x01400001);
	assert_int_equal(c.n_sessions, 1);
	assert_true(c.all_password);
	assert_false(c.param_encrypted);
	assert_int_equal(tpm_nv_read_params(&c, &size, &off), 0);
	assert_int_equal(size, 1024);
	assert_int_equal(off, 2048);
}

static void test_parse_nv_sessions(void **state)
{
	struct buf b;
	struct tpm_cmd c;

	(void)state;
	/* an HMAC session with decrypt, then a password one */
	header(&b, TPM_ST_SESSIONS, TPM_CC_NV_WRITE);
	u32(&b, TPM_RH_OWNER);
	u32(&b, 0x01400002);
	u32(&b, (4 + 2 + 16 + 1 + 2 + 32) + 9);
	u32(&b, 0x02000001);
	u16(&b, 16);
	fill(&b, 0x11, 16);
	u8(&b, PV_SESSION_DECRYPT | 1);
	u16(&b, 32);
	fill(&b, 0x22, 32);
	u32(&b, TPM_RS_PW);
	u16(&b, 0);
	u8(&b, 0);
	u16(&b, 0);
	u16(&b, 64);
	fill(&b, 0xAB, 64);
	u16(&b, 0);
	finish(&b);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), 0);
	assert_int_equal(c.n_sessions, 2);
	assert_int_equal(c.session[0], 0x02000001);
	assert_false(c.all_password);
	assert_true(c.param_encrypted);
	{
		const uint8_t *data;
		uint16_t size, off;

		assert_int_equal(tpm_nv_write_params(&c, &data, &size, &off), 0);
		assert_int_equal(size, 64);
		assert_int_equal(off, 0);
		assert_int_equal(data[0], 0xAB);
	}
}

static void test_parse_nv_malformed(void **state)
{
	struct buf b;
	struct tpm_cmd c;

	(void)state;
	/* authorizationSize too small / too big / session overruns it */
	for (uint32_t as = 0; as < 9; as++) {
		nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 1, 0);
		tpm_put32(b.b + 18, as);
		assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
		assert_int_equal(tpm_cmd_parse_nv(&c), -EBADMSG);
	}
	nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 1, 0);
	tpm_put32(b.b + 18, 0xFFFFFFFF);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), -EBADMSG);
	nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 1, 0);
	tpm_put16(b.b + 26, 5);		/* nonce size past the area */
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), -EBADMSG);
	/* bad tag */
	nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 1, 0);
	tpm_put16(b.b, 0x1234);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), -EBADMSG);
	/* not an NV command */
	header(&b, TPM_ST_NO_SESSIONS, 0x17B);
	u16(&b, 8);
	finish(&b);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), -ENOTSUP);
	/* NV_Read params of the wrong length */
	nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 1, 0);
	b.n -= 1;
	finish(&b);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), 0);
	{
		uint16_t s, o;

		assert_int_equal(tpm_nv_read_params(&c, &s, &o), -EBADMSG);
	}
}

static void test_nv_read_rewrite(void **state)
{
	struct buf b;
	struct tpm_cmd c, c2;
	uint8_t out[TPM_MAX_MSG];
	uint16_t size, off;
	long n;

	(void)state;
	nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, 552, 2048);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c), 0);
	n = tpm_nv_read_rewrite(&c, 0, 0, out, sizeof(out));
	assert_int_equal(n, (long)b.n);
	assert_int_equal(tpm_cmd_parse(out, (size_t)n, &c2), 0);
	assert_int_equal(tpm_cmd_parse_nv(&c2), 0);
	assert_int_equal(tpm_nv_read_params(&c2, &size, &off), 0);
	assert_int_equal(size, 0);
	assert_int_equal(off, 0);
	assert_memory_equal(out, b.b, c.param_off);
	assert_int_equal(tpm_nv_read_rewrite(&c, 0, 0, out, 10), -ENOSPC);
}

static void test_rsp_make_parse(void **state)
{
	uint8_t r[TPM_HEADER_LEN];
	uint16_t tag;
	uint32_t rc;

	(void)state;
	assert_int_equal(tpm_rsp_make(TPM_RC_NV_RANGE, r), TPM_HEADER_LEN);
	assert_int_equal(tpm_rsp_parse(r, sizeof(r), &tag, &rc), 0);
	assert_int_equal(tag, TPM_ST_NO_SESSIONS);
	assert_int_equal(rc, TPM_RC_NV_RANGE);
	assert_int_equal(tpm_rsp_parse(r, 9, &tag, &rc), -EBADMSG);
	/* the codes the paravisor answers out-of-range reads with (checked against swtpm) */
	assert_int_equal(TPM_RC_VALUE + TPM_RC_P + TPM_RC_1, 0x1C4);
	assert_int_equal(TPM_RC_VALUE + TPM_RC_P + TPM_RC_2, 0x2C4);
}

/* an NV_Read response with @n data bytes and a password session's response auth */
static void nv_read_rsp(struct buf *b, size_t n)
{
	header(b, TPM_ST_SESSIONS, 0);
	u32(b, (uint32_t)(2 + n));
	u16(b, (uint16_t)n);
	fill(b, 0x5A, n);
	u16(b, 0);
	u8(b, 1);
	u16(b, 0);
	finish(b);
}

static void test_nv_read_rsp_replace(void **state)
{
	struct buf r;
	uint8_t out[TPM_MAX_MSG], data[552];
	long n;

	(void)state;
	memset(data, 0xC3, sizeof(data));
	nv_read_rsp(&r, 0);
	n = tpm_nv_read_rsp_replace(r.b, r.n, data, sizeof(data), out, sizeof(out));
	assert_int_equal(n, (long)(r.n + sizeof(data)));
	assert_int_equal(tpm_rsp_parse(out, (size_t)n, NULL, NULL), 0);
	assert_int_equal(tpm_get32(out + 10), 2 + sizeof(data));
	assert_int_equal(tpm_get16(out + 14), sizeof(data));
	assert_memory_equal(out + 16, data, sizeof(data));
	assert_memory_equal(out + 16 + sizeof(data), r.b + 16, 5);	/* auth area kept */
	/* malformed: parameterSize lies, error code, no sessions, too big */
	nv_read_rsp(&r, 3);
	tpm_put32(r.b + 10, 9);
	assert_int_equal(tpm_nv_read_rsp_replace(r.b, r.n, data, 4, out, sizeof(out)), -EBADMSG);
	nv_read_rsp(&r, 3);
	tpm_put32(r.b + 6, 0x14A);
	assert_int_equal(tpm_nv_read_rsp_replace(r.b, r.n, data, 4, out, sizeof(out)), -EBADMSG);
	nv_read_rsp(&r, 0);
	assert_int_equal(tpm_nv_read_rsp_replace(r.b, r.n, data, sizeof(data), out, 100), -ENOSPC);
	for (size_t cut = 0; cut < r.n; cut++) {
		struct buf t = r;

		t.n = cut;
		if (cut >= 6)
			finish(&t);
		assert_true(tpm_nv_read_rsp_replace(t.b, t.n, data, 4, out, sizeof(out)) < 0);
	}
}

static void nv_public_rsp(struct buf *b, uint32_t index, uint16_t size, uint16_t policy_len)
{
	uint8_t name[34];
	size_t pub_off;

	header(b, TPM_ST_NO_SESSIONS, 0);
	u16(b, (uint16_t)(14 + policy_len));
	pub_off = b->n;
	u32(b, index);
	u16(b, 0x000B);
	u32(b, 0x62070001);
	u16(b, policy_len);
	fill(b, 0x77, policy_len);
	u16(b, size);
	assert_int_equal(tpm_nv_name(b->b + pub_off, b->n - pub_off, name, sizeof(name)), 34);
	u16(b, 34);
	bytes(b, name, 34);
	finish(b);
}

static void test_nv_read_public_patch(void **state)
{
	struct buf r, want;
	uint8_t digest[32];
	unsigned int dlen = 0;

	(void)state;
	nv_public_rsp(&r, 0x01400001, 2048, 0);
	nv_public_rsp(&want, 0x01400001, 2600, 0);
	assert_int_equal(tpm_nv_read_public_patch(r.b, r.n, 0x01400001, 2048, 2600), 0);
	assert_int_equal(r.n, want.n);
	assert_memory_equal(r.b, want.b, r.n);
	/* the Name is nameAlg || SHA-256(TPMS_NV_PUBLIC), computed independently */
	assert_true(EVP_Digest(r.b + 12, 14, digest, &dlen, EVP_sha256(), NULL));
	assert_int_equal(tpm_get16(r.b + 28), 0x000B);
	assert_memory_equal(r.b + 30, digest, 32);
	/* not applicable */
	nv_public_rsp(&r, 0x01400002, 2048, 0);
	assert_int_equal(tpm_nv_read_public_patch(r.b, r.n, 0x01400001, 2048, 2600), -ENOENT);
	nv_public_rsp(&r, 0x01400001, 2600, 0);
	assert_int_equal(tpm_nv_read_public_patch(r.b, r.n, 0x01400001, 2048, 2600), -ENOENT);
	nv_public_rsp(&r, 0x01400001, 2048, 0);
	tpm_put16(r.b, TPM_ST_SESSIONS);
	assert_int_equal(tpm_nv_read_public_patch(r.b, r.n, 0x01400001, 2048, 2600), -ENOENT);
	/* malformed */
	nv_public_rsp(&r, 0x01400001, 2048, 4);
	tpm_put16(r.b + 10, 15);
	assert_int_equal(tpm_nv_read_public_patch(r.b, r.n, 0x01400001, 2048, 2600), -EBADMSG);
	nv_public_rsp(&r, 0x01400001, 2048, 0);
	tpm_put16(r.b + 16, 0x0099);		/* unknown nameAlg */
	assert_int_equal(tpm_nv_read_public_patch(r.b, r.n, 0x01400001, 2048, 2600), -ENOTSUP);
	assert_int_equal(tpm_get16(r.b + 24), 2048);	/* left as it was */
}

/* ---- sessions ------------------------------------------------------------------------- */

static void test_cc_handles(void **state)
{
	unsigned int ch, rh;

	(void)state;
	assert_int_equal(tpm_cc_handles(TPM_CC_NV_READ, &ch, &rh), 0);
	assert_int_equal(ch, 2);
	assert_int_equal(rh, 0);
	assert_int_equal(tpm_cc_handles(0x131, &ch, &rh), 0);	/* CreatePrimary */
	assert_int_equal(ch, 1);
	assert_int_equal(rh, 1);
	assert_int_equal(tpm_cc_handles(0x184, &ch, &rh), 0);	/* NV_Certify */
	assert_int_equal(ch, 3);
	assert_int_equal(tpm_cc_handles(0x165, &ch, &rh), 0);	/* FlushContext */
	assert_int_equal(ch, 0);
	assert_int_equal(tpm_cc_handles(0x20001000, &ch, &rh), -ENOENT);
}

static void start_session(struct buf *c, struct buf *r, uint32_t tpm_key, uint32_t handle,
			  uint8_t nonce_byte)
{
	header(c, TPM_ST_NO_SESSIONS, TPM_CC_START_AUTH_SESSION);
	u32(c, tpm_key);
	u32(c, TPM_RH_NULL);
	u16(c, 32);
	fill(c, 0x01, 32);
	u16(c, 0);
	u8(c, TPM_SE_HMAC);
	u16(c, 0x0006);			/* AES-128-CFB: keyBits and mode follow */
	u16(c, 128);
	u16(c, 0x0043);
	u16(c, 0x000B);
	finish(c);
	header(r, TPM_ST_NO_SESSIONS, 0);
	u32(r, handle);
	u16(r, 32);
	fill(r, nonce_byte, 32);
	finish(r);
}

/* NV_Read(owner, 0x01400001) in HMAC session @h with nonceCaller 0x33.. and @hmac */
static void nv_read_hmac(struct buf *b, uint32_t h, const uint8_t hmac[32])
{
	header(b, TPM_ST_SESSIONS, TPM_CC_NV_READ);
	u32(b, TPM_RH_OWNER);
	u32(b, 0x01400001);
	u32(b, 4 + 2 + 32 + 1 + 2 + 32);
	u32(b, h);
	u16(b, 32);
	fill(b, 0x33, 32);
	u8(b, PV_SESSION_CONTINUE);
	u16(b, 32);
	bytes(b, hmac, 32);
	u16(b, 16);
	u16(b, 0);
	finish(b);
}

static void nv_read_hmac_rsp(struct buf *r, uint8_t nonce_byte, uint8_t attrs)
{
	header(r, TPM_ST_SESSIONS, 0);
	u32(r, 2 + 16);
	u16(r, 16);
	fill(r, 0x44, 16);
	u16(r, 32);
	fill(r, nonce_byte, 32);
	u8(r, attrs);
	u16(r, 32);
	fill(r, 0, 32);
	finish(r);
}

static void test_session_tracking(void **state)
{
	struct tpm_sess_table t = { 0 };
	struct buf c, r;
	struct tpm_sess *s;
	uint8_t zero[32] = { 0 };

	(void)state;
	start_session(&c, &r, TPM_RH_NULL, 0x02000000, 0xA1);
	tpm_sess_observe(&t, c.b, c.n, r.b, r.n);
	s = tpm_sess_find(&t, 0x02000000);
	assert_non_null(s);
	assert_int_equal(s->hash, 0x000B);
	assert_int_equal(s->nonce_len, 32);
	assert_int_equal(s->nonce_tpm[0], 0xA1);
	/* a use that succeeds rolls nonceTPM */
	nv_read_hmac(&c, 0x02000000, zero);
	nv_read_hmac_rsp(&r, 0xB2, PV_SESSION_CONTINUE);
	tpm_sess_observe(&t, c.b, c.n, r.b, r.n);
	assert_int_equal(s->nonce_tpm[0], 0xB2);
	/* a failed one does not */
	tpm_rsp_make(0x9A2, r.b);
	tpm_sess_observe(&t, c.b, c.n, r.b, TPM_HEADER_LEN);
	assert_int_equal(s->nonce_tpm[0], 0xB2);
	/* continueSession clear: gone */
	nv_read_hmac_rsp(&r, 0xC3, 0);
	tpm_sess_observe(&t, c.b, c.n, r.b, r.n);
	assert_null(tpm_sess_find(&t, 0x02000000));
	/* FlushContext removes one */
	start_session(&c, &r, TPM_RH_NULL, 0x02000001, 0xA1);
	tpm_sess_observe(&t, c.b, c.n, r.b, r.n);
	assert_non_null(tpm_sess_find(&t, 0x02000001));
	header(&c, TPM_ST_NO_SESSIONS, TPM_CC_FLUSH_CONTEXT);
	u32(&c, 0x02000001);
	finish(&c);
	tpm_rsp_make(0, r.b);
	tpm_sess_observe(&t, c.b, c.n, r.b, TPM_HEADER_LEN);
	assert_null(tpm_sess_find(&t, 0x02000001));
	/* salted sessions are not ours to follow */
	start_session(&c, &r, 0x81010001, 0x02000002, 0xA1);
	tpm_sess_observe(&t, c.b, c.n, r.b, r.n);
	assert_null(tpm_sess_find(&t, 0x02000002));
	/* an unparseable command with sessions forgets them all */
	start_session(&c, &r, TPM_RH_NULL, 0x02000003, 0xA1);
	tpm_sess_observe(&t, c.b, c.n, r.b, r.n);
	header(&c, TPM_ST_SESSIONS, 0x20000000);
	u32(&c, 0);
	finish(&c);
	tpm_rsp_make(0, r.b);
	tpm_sess_observe(&t, c.b, c.n, r.b, TPM_HEADER_LEN);
	assert_null(tpm_sess_find(&t, 0x02000003));
}

/* The session HMAC computed here by hand, the way Part 1 §19.6 spells it. */
static void test_hmac_formula(void **state)
{
	struct tpm_sess s = { .used = true, .handle = 0x02000000, .hash = 0x000B, .nonce_len = 32 };
	struct tpm_auth a;
	struct tpm_cmd c;
	struct buf b;
	uint8_t name1[4], name2[34], got[32], cp[32], want[32], buf[200];
	const uint8_t *names[2] = { name1, name2 };
	size_t lens[2] = { 4, 34 }, poff, o = 0;
	unsigned int n = 0, len = 0;
	struct tpm_auth aa[3];

	(void)state;
	memset(s.nonce_tpm, 0xA1, 32);
	memset(got, 0, sizeof(got));
	nv_read_hmac(&b, 0x02000000, got);
	assert_int_equal(tpm_cmd_parse(b.b, b.n, &c), 0);
	assert_int_equal(tpm_cmd_auths(b.b, b.n, aa, &n, &poff), 0);
	assert_int_equal(n, 1);
	a = aa[0];
	tpm_put32(name1, TPM_RH_OWNER);
	tpm_put16(name2, 0x000B);
	memset(name2 + 2, 0x5C, 32);
	assert_int_equal(tpm_cmd_hmac(&s, TPM_CC_NV_READ, names, lens, 2, b.b + poff, 4, &a, got), 32);
	/* cpHash = SHA256(cc || name1 || name2 || params) */
	tpm_put32(buf, TPM_CC_NV_READ);
	o = 4;
	memcpy(buf + o, name1, 4);
	o += 4;
	memcpy(buf + o, name2, 34);
	o += 34;
	memcpy(buf + o, b.b + poff, 4);
	o += 4;
	EVP_Digest(buf, o, cp, &len, EVP_sha256(), NULL);
	/* HMAC(key = "", cpHash || nonceCaller || nonceTPM || attrs) */
	o = 0;
	memcpy(buf, cp, 32);
	o = 32;
	memset(buf + o, 0x33, 32);
	o += 32;
	memset(buf + o, 0xA1, 32);
	o += 32;
	buf[o++] = PV_SESSION_CONTINUE;
	HMAC(EVP_sha256(), "", 0, buf, o, want, &len);
	assert_memory_equal(got, want, 32);
	assert_int_equal(a.hmac_off, b.n - 4 - 32);
}

/* ---- robustness ------------------------------------------------------------------------ */

static uint32_t x = 0x1234567;

static uint32_t rnd(void)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static void test_random_streams(void **state)
{
	struct tpm_sess_table t = { 0 };
	uint8_t cmd[TPM_MAX_MSG], rsp[TPM_MAX_MSG], out[TPM_MAX_MSG];

	(void)state;
	for (int round = 0; round < 200000; round++) {
		struct buf b;
		struct tpm_cmd c;
		struct tpm_auth a[3];
		unsigned int n;
		size_t len, rlen, po, pl;

		/* start from something plausible, then damage it */
		switch (rnd() % 4) {
		case 0:
			nv_read_pw(&b, TPM_RH_OWNER, 0x01400001, (uint16_t)rnd(), (uint16_t)rnd());
			break;
		case 1: {
			uint8_t h[32] = { 0 };

			nv_read_hmac(&b, 0x02000000 | (rnd() & 3), h);
			break;
		}
		case 2: {
			struct buf r;

			start_session(&b, &r, TPM_RH_NULL, 0x02000000 | (rnd() & 3), 1);
			break;
		}
		default:
			header(&b, rnd() & 1 ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS,
			       0x11F + rnd() % 0x80);
			for (int i = rnd() % 64; i > 0; i--)
				u8(&b, (uint8_t)rnd());
			finish(&b);
			break;
		}
		len = b.n;
		memcpy(cmd, b.b, len);
		for (int k = rnd() % 4; k > 0; k--)
			cmd[rnd() % len] ^= (uint8_t)rnd();
		if (rnd() % 4 == 0)
			len = rnd() % (len + 1);
		rlen = TPM_HEADER_LEN + rnd() % 80;
		for (size_t i = 0; i < rlen; i++)
			rsp[i] = (uint8_t)rnd();
		tpm_put32(rsp + 2, (uint32_t)rlen);
		if (rnd() & 1)
			tpm_put32(rsp + 6, 0);
		if (rnd() & 1)
			tpm_put16(rsp, TPM_ST_SESSIONS);

		if (tpm_cmd_parse(cmd, len, &c) == 0 && tpm_cmd_parse_nv(&c) == 0) {
			const uint8_t *d;
			uint16_t s, o;

			tpm_nv_write_params(&c, &d, &s, &o);
			if (tpm_nv_read_params(&c, &s, &o) == 0)
				tpm_nv_read_rewrite(&c, 0, 0, out, sizeof(out));
		}
		if (tpm_cmd_auths(cmd, len, a, &n, &po) == 0)
			assert_true(po <= len && n <= 3);
		tpm_rsp_auths(TPM_CC_NV_READ, rsp, rlen, a, 1, &po, &pl);
		tpm_nv_read_rsp_replace(rsp, rlen, out, (uint16_t)(rnd() % 1100), out, sizeof(out));
		tpm_nv_read_public_patch(rsp, rlen, tpm_get32(rsp + 12), tpm_get16(rsp + rlen - 2),
					 2600);
		tpm_sess_observe(&t, cmd, len, rsp, rlen);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_parse_header),
		cmocka_unit_test(test_parse_nv_read_password),
		cmocka_unit_test(test_parse_nv_sessions),
		cmocka_unit_test(test_parse_nv_malformed),
		cmocka_unit_test(test_nv_read_rewrite),
		cmocka_unit_test(test_rsp_make_parse),
		cmocka_unit_test(test_nv_read_rsp_replace),
		cmocka_unit_test(test_nv_read_public_patch),
		cmocka_unit_test(test_cc_handles),
		cmocka_unit_test(test_session_tracking),
		cmocka_unit_test(test_hmac_formula),
		cmocka_unit_test(test_random_streams),
	};

	return cmocka_run_group_tests_name("paravisor TPM stream (tpm_proto, tpm_session)", tests,
					   NULL, NULL);
}
