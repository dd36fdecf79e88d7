// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A compact JWS (an MAA token, a Key Vault release answer) and the JWKS the
 * service's /certs gives: the input is TOKEN '\n' JWKS.  Split and decode,
 * the time claims, the key lookup by kid (x5c or n/e), the signature check.
 */
#include "fuzz.h"
#include "net/net.h"

static struct cvm_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_strndup(data, size);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_json_ json_t *jwks = NULL;
	char *nl = strchr(text, '\n'), why[128];
	const char *kid;
	struct jws j;

	if (nl) {
		*nl++ = 0;
		jwks = json_parse_object((const uint8_t *)nl, strlen(nl), why, sizeof(why));
	}
	if (jws_parse(ctx, "token", text, 256 * 1024, &j) < 0)
		return 0;
	kid = json_string_value(json_object_get(j.header, "kid"));
	/* 2026-01-01: a fixed now, so that a crash reproduces */
	(void)jwt_check_time(ctx, "token", j.payload, 300, 1767225600);
	if (jwks && kid && jwks_find(ctx, jwks, kid, &key) == 0)
		(void)jws_verify_sig(ctx, "token", &j, "RS256", key);
	jws_done(&j);
	return 0;
}
