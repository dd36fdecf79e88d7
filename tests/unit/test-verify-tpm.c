// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The vTPM quote of the Azure guest flow: the real one from an Azure CVM
 * (kinvolk-quote.bin, its AK kinvolk-akpub.pem, extraData "challenge") and
 * that one altered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "verify/verify.h"

#include "testutil.h"

static EVP_PKEY *load_ak(const char *rel)
{
	FILE *f = fopen(td_path(rel), "r");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

/* tpm_quote_check()'s answer for @buf, the reason into @why. */
static int check(const uint8_t *buf, size_t len, EVP_PKEY *ak, const char *nonce, char *why)
{
	struct tpm_quote q;

	why[0] = 0;
	if (tpm_quote_parse(buf, len, &q) < 0)
		return -EBADMSG;
	return tpm_quote_check(&q, ak, (const uint8_t *)nonce, nonce ? strlen(nonce) : 0, why, 200);
}

static void test_real_tpm_quote(void **state)
{
	EVP_PKEY *ak = load_ak("azure/kinvolk-akpub.pem");
	struct tpm_quote q;
	char why[200];
	size_t len;
	uint8_t *b = load_td("azure/kinvolk-quote.bin", &len);

	(void)state;
	assert_int_equal(tpm_quote_parse(b, len, &q), 0);
	assert_int_equal(q.sig_len, 256);
	assert_int_equal(q.msg_len, 122);
	assert_int_equal(q.n_pcrs, 24);
	assert_int_equal(q.pcr_hash, 0x000b);
	assert_int_equal(q.select_len, 3);
	assert_memory_equal(q.extra_data, "challenge", 9);
	assert_int_equal(check(b, len, ak, "challenge", why), 0);
	assert_int_equal(check(b, len, ak, NULL, why), 0);
	/* another nonce */
	assert_int_equal(check(b, len, ak, "challengf", why), -EKEYREJECTED);
	assert_non_null(strstr(why, "not the nonce given"));
	/* a PCR value changed (PCR 7, after the 256 + 122 bytes and three lengths) */
	b[8 + 256 + 8 + 122 + 8 + 7 * 32] ^= 1;
	assert_int_equal(check(b, len, ak, "challenge", why), -EKEYREJECTED);
	assert_non_null(strstr(why, "not those the TPM quote's digest covers"));
	b[8 + 256 + 8 + 122 + 8 + 7 * 32] ^= 1;
	/* the signature, then the signed message */
	b[8 + 100] ^= 0x40;
	assert_int_equal(check(b, len, ak, "challenge", why), -EKEYREJECTED);
	assert_non_null(strstr(why, "signature does not verify"));
	b[8 + 100] ^= 0x40;
	b[8 + 256 + 8 + 50] ^= 0x01;
	assert_int_equal(check(b, len, ak, "challenge", why), -EKEYREJECTED);
	assert_non_null(strstr(why, "signature does not verify"));
	b[8 + 256 + 8 + 50] ^= 0x01;
	assert_int_equal(check(b, len, ak, "challenge", why), 0);
	EVP_PKEY_free(ak);

	/* another AK (the SGX root's key is EC: refused, not crashed on) */
	{
		FILE *f = fopen(td_path("tdx/intel-sgx-root-ca.pem"), "r");
		X509 *x;

		assert_non_null(f);
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		assert_non_null(x);
		assert_int_equal(check(b, len, X509_get0_pubkey(x), "challenge", why), -EKEYREJECTED);
		X509_free(x);
	}
	free(b);
}

static void test_tpm_quote_malformed(void **state)
{
	struct tpm_quote q;
	size_t len;
	uint8_t *b = load_td("azure/kinvolk-quote.bin", &len);

	(void)state;
	/* truncated anywhere */
	for (size_t n = 0; n < len; n += 7)
		assert_int_equal(tpm_quote_parse(b, n, &q), -EBADMSG);
	assert_int_equal(tpm_quote_parse(b, len - 1, &q), -EBADMSG);
	/* not TPM_GENERATED_VALUE */
	b[8 + 256 + 8] ^= 0xff;
	assert_int_equal(tpm_quote_parse(b, len, &q), -EBADMSG);
	b[8 + 256 + 8] ^= 0xff;
	/* a length beyond the file */
	b[8 + 256 + 4] = 1;
	assert_int_equal(tpm_quote_parse(b, len, &q), -EBADMSG);
	b[8 + 256 + 4] = 0;
	assert_int_equal(tpm_quote_parse(b, len, &q), 0);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_tpm_quote),
		cmocka_unit_test(test_tpm_quote_malformed),
	};

	return cmocka_run_group_tests_name("verify-tpm", tests, NULL, NULL);
}
