// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The AzureGuest answer (SealedAttestationResponse): base64url JSON whose
 * parts are decoded and size-checked, then the Jwt opened by AES-256-GCM
 * under a fixed transport key (the vTPM's RSA unseal in between is not
 * ours to fuzz; the make-seeds answer is sealed under the same key).
 */
#include "fuzz.h"
#include "fuzz-keys.h"
#include "attest/attest.h"

static struct cvm_ctx *ctx;
static struct cvm_secret *aes;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (cvm_ctx_new(&ctx) < 0 || cvm_secret_copy(fuzz_aes_key, sizeof(fuzz_aes_key), &aes) < 0)
		__builtin_trap();
	cvm_set_log(ctx, fuzz_silent_log, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_strndup(data, size);
	struct azure_sealed s;
	char *jwt = NULL;

	if (azure_sealed_parse(ctx, text, &s) < 0)
		return 0;
	if (s.tag_len != 16 || s.iv_len == 0)
		__builtin_trap();
	if (azure_sealed_open(ctx, aes, &s, &jwt) == 0) {
		if (strlen(jwt) > s.ct_len)
			__builtin_trap();
		free(jwt);
	}
	azure_sealed_done(&s);
	return 0;
}
