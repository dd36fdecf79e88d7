// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What IMDS answers (plain http on the link-local address: anyone on the
 * host's path can write it): the managed-identity token, THIM's VCEK and
 * chain (then loaded as certificates, as the SNP chain does), the TDX
 * quote (then parsed), and an error body as it is quoted in messages.
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
	_cleanup_free_ uint8_t *body = malloc(size ? size : 1);
	_cleanup_json_ json_t *obj = NULL;
	struct http_resp resp = { .status = 400, .body = body, .len = size };
	char text[512], why[128], *tok = NULL, *pem = NULL;
	uint8_t *quote = NULL;
	size_t len;

	if (!body)
		return 0;
	memcpy(body, data, size);
	if (imds_token_parse(ctx, data, size, &tok) == 0)
		free(tok);
	http_error_text(&resp, text, sizeof(text));
	if (strlen(text) >= sizeof(text))
		__builtin_trap();
	obj = json_parse_object(data, size, why, sizeof(why));
	if (!obj)
		return 0;
	if (imds_thim_parse(ctx, obj, &pem, &len) == 0) {
		struct cvm_cert_list l = { 0 };

		(void)cert_list_add_buffer(&l, (const uint8_t *)pem, len);
		cert_list_clear(&l);
		free(pem);
	}
	if (imds_tdquote_parse(ctx, obj, &quote, &len) == 0) {
		struct cvm_tdx_quote q;

		(void)cvm_tdx_quote_parse(quote, len, &q);
		free(quote);
	}
	return 0;
}
