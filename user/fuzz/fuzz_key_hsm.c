// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * key_hsm, the wrapped key in Key Vault's release answer: base64url JSON,
 * RSA-OAEP by the (here fixed, software) transfer key, then the RFC 5649
 * unwrap of the rest; and that unwrap alone on the raw bytes under a fixed
 * KEK, since a random input seldom gets through RSA-OAEP.
 */
#include <openssl/pem.h>

#include "fuzz.h"
#include "fuzz-keys.h"
#include "release/release.h"

static struct cvm_ctx *ctx;
static EVP_PKEY *tk;
static struct cvm_secret *kek;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	BIO *b = BIO_new_mem_buf(fuzz_rsa_pem, -1);

	(void)argc;
	(void)argv;
	if (!b || !(tk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) || cvm_ctx_new(&ctx) < 0 ||
	    cvm_secret_copy(fuzz_aes_key, sizeof(fuzz_aes_key), &kek) < 0)
		__builtin_trap();
	BIO_free(b);
	cvm_set_log(ctx, fuzz_silent_log, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_strndup(data, size);
	struct cvm_secret *m = NULL;
	struct cvm_key *k = NULL;

	if (unwrap_key_hsm(ctx, text, NULL, "TransferKey", tk, NULL, &k) == 0) {
		size_t len;

		if (!cvm_key_data(k, &len) || len == 0)
			__builtin_trap();
		cvm_key_free(k);
	}
	if (unwrap_aes_kwp(ctx, kek, data, size, &m) == 0) {
		if (m->len == 0 || m->len + 8 > size)
			__builtin_trap();
		cvm_secret_free(m);
	}
	return 0;
}
