// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The LUKS2 token as it is read from a header anyone with the disk can edit:
 * parse, validate, format and parse again (the round trip must give the same
 * text), the AAD it authenticates, and the unwrap under a fixed key (which
 * opens the make-seeds token and must refuse every edit of it).
 */
#include "fuzz.h"
#include "fuzz-keys.h"
#include "luks/luks.h"

#define FUZZ_UUID "2b4a1c4e-7f5a-4c6e-9d3b-0c1d2e3f4a5b"

static struct cvm_ctx *ctx;
static struct cvm_secret *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (cvm_ctx_new(&ctx) < 0 || cvm_secret_copy(fuzz_aes_key, sizeof(fuzz_aes_key), &key) < 0)
		__builtin_trap();
	cvm_set_log(ctx, fuzz_silent_log, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_strndup(data, size), *out = NULL, *out2 = NULL;
	_cleanup_free_ uint8_t *aad = NULL;
	struct luks_token t = { 0 }, back = { 0 };
	struct cvm_secret *p = NULL;
	size_t aad_len;
	char why[256];

	if (luks_token_parse(text, &t, why, sizeof(why)) < 0)
		return 0;
	(void)cvm_luks_binding_validate(ctx, &t.binding);
	if (luks_token_format(&t, &out) == 0) {
		/* what we write back must read back, and say the same */
		if (luks_token_parse(out, &back, why, sizeof(why)) < 0 ||
		    luks_token_format(&back, &out2) < 0 || strcmp(out, out2) != 0)
			__builtin_trap();
		luks_token_done(&back);
	}
	if (luks_token_aad(&t, FUZZ_UUID, &aad, &aad_len) == 0 && aad_len < strlen(LUKS_AAD_PREFIX) + 1)
		__builtin_trap();
	if (luks_token_unwrap(ctx, &t, FUZZ_UUID, key, &p) == 0) {
		if (p->len != LUKS_PASSPHRASE_LEN)
			__builtin_trap();
		cvm_secret_free(p);
	}
	luks_token_done(&t);
	return 0;
}
