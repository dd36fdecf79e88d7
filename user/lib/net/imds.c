// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Azure Instance Metadata Service (reference 1.7, 3.1, 4.3): managed-identity
 * access tokens for Key Vault, THIM's VCEK certification for SEV-SNP, and the
 * TDX quote endpoint.  Plain HTTP to a link-local address, "Metadata: true",
 * never through a proxy.
 */
#include <errno.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "net/net.h"


#define IMDS_TOKEN_API "2018-02-01"

static char *escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = e ? strdup(e) : NULL;

	curl_free(e);
	return r;
}

int imds_identity_token(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *resource,
			char **ret)
{
	_cleanup_free_ char *url = NULL, *res = NULL, *idv = NULL;
	struct http_resp resp = { 0 };
	struct http_req req = {
		.method = "GET",
		.what = "IMDS (managed identity)",
		.config_key = "imds_url",
		.metadata = true,
	};
	const char *idk = NULL, *idval = NULL;
	int r, n = 0;

	if (cfg->identity_client_id && *cfg->identity_client_id) {
		idk = "client_id";
		idval = cfg->identity_client_id;
		n++;
	}
	if (cfg->identity_object_id && *cfg->identity_object_id) {
		idk = "object_id";
		idval = cfg->identity_object_id;
		n++;
	}
	if (cfg->identity_msi_res_id && *cfg->identity_msi_res_id) {
		idk = "msi_res_id";
		idval = cfg->identity_msi_res_id;
		n++;
	}
	if (n > 1) {
		log_error(ctx, "Set only one of identity_client_id, identity_object_id and "
			  "identity_msi_res_id");
		return -EINVAL;
	}
	res = escape(resource);
	idv = idval ? escape(idval) : NULL;
	if (!res || (idval && !idv))
		return -ENOMEM;
	if (asprintf(&url, "%s/metadata/identity/oauth2/token?api-version=%s&resource=%s%s%s%s%s",
		     cfg->imds_url, IMDS_TOKEN_API, res, idk ? "&" : "", idk ? idk : "",
		     idk ? "=" : "", idk ? idv : "") < 0)
		return -ENOMEM;
	req.url = url;
	r = http_request(ctx, cfg, &req, &resp);
	if (r < 0)
		return r;
	if (resp.status != 200) {
		long status = resp.status;
		char text[512];

		http_error_text(&resp, text, sizeof(text));
		log_error(ctx, "IMDS gave no managed-identity token for %s (HTTP %ld%s%s): check that "
			  "the VM has a managed identity%s%s%s", resource, status,
			  text[0] ? ": " : "", text, idk ? " and that identity_" : "",
			  idk ? idk : "", idk ? " names it" : " (or set identity_client_id)");
		http_resp_done(&resp);
		return status >= 500 || status == 429 ? -EAGAIN : -EPERM;
	}
	r = imds_token_parse(ctx, resp.body, resp.len, ret);
	OPENSSL_cleanse(resp.body, resp.len);
	http_resp_done(&resp);
	return r;
}

int imds_token_parse(struct cvm_ctx *ctx, const uint8_t *body, size_t len, char **ret)
{
	_cleanup_json_ json_t *obj = NULL;
	const char *tok;
	char why[256];

	obj = json_parse_object(body, len, why, sizeof(why));
	tok = obj ? json_string_value(json_object_get(obj, "access_token")) : NULL;
	if (!tok || !*tok) {
		log_error(ctx, "The IMDS token response has no access_token");
		return -EBADMSG;
	}
	*ret = strdup(tok);
	/* jansson's copy of the token goes with the object: wipe it first. */
	OPENSSL_cleanse((char *)tok, strlen(tok));
	return *ret ? 0 : -ENOMEM;
}

int imds_thim_certs(struct cvm_ctx *ctx, const struct cvm_config *cfg, char **pem, size_t *len)
{
	_cleanup_free_ char *url = NULL;
	_cleanup_json_ json_t *obj = NULL;
	struct http_resp resp = { 0 };
	struct http_req req = {
		.method = "GET",
		.what = "IMDS (THIM AMD certification)",
		.config_key = "imds_url",
		.metadata = true,
	};
	int r;

	if (asprintf(&url, "%s/metadata/THIM/amd/certification", cfg->imds_url) < 0)
		return -ENOMEM;
	req.url = url;
	r = http_request(ctx, cfg, &req, &resp);
	if (r < 0)
		return r;
	r = http_json_object(ctx, cfg, &req, &resp, &obj);
	if (r < 0)
		return r;
	return imds_thim_parse(ctx, obj, pem, len);
}

int imds_thim_parse(struct cvm_ctx *ctx, const json_t *obj, char **pem, size_t *len)
{
	const char *vcek, *chain;

	vcek = json_string_value(json_object_get(obj, "vcekCert"));
	chain = json_string_value(json_object_get(obj, "certificateChain"));
	if (!vcek || !chain) {
		log_error(ctx, "The THIM response lacks vcekCert or certificateChain");
		return -EBADMSG;
	}
	if (asprintf(pem, "%s%s%s", vcek, vcek[0] && vcek[strlen(vcek) - 1] != '\n' ? "\n" : "",
		     chain) < 0)
		return -ENOMEM;
	*len = strlen(*pem);
	return 0;
}

int imds_tdquote(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t *tdreport,
		 size_t len, uint8_t **quote, size_t *quote_len)
{
	_cleanup_free_ char *url = NULL, *b64 = NULL, *body = NULL;
	_cleanup_json_ json_t *obj = NULL;
	struct http_resp resp = { 0 };
	struct http_req req = {
		.method = "POST",
		.what = "IMDS (TDX quote)",
		.config_key = "imds_url",
		.metadata = true,
		.content_type = "application/json",
	};
	int r;

	b64 = b64url_encode(tdreport, len);
	if (!b64 || asprintf(&url, "%s/acc/tdquote", cfg->imds_url) < 0 ||
	    asprintf(&body, "{\"report\":\"%s\"}", b64) < 0)
		return -ENOMEM;
	req.url = url;
	req.body = (const uint8_t *)body;
	req.body_len = strlen(body);
	r = http_request(ctx, cfg, &req, &resp);
	if (r < 0)
		return r;
	r = http_json_object(ctx, cfg, &req, &resp, &obj);
	if (r < 0)
		return r;
	return imds_tdquote_parse(ctx, obj, quote, quote_len);
}

int imds_tdquote_parse(struct cvm_ctx *ctx, const json_t *obj, uint8_t **quote, size_t *quote_len)
{
	const char *q;

	q = json_string_value(json_object_get(obj, "quote"));
	if (!q || b64url_decode(q, strlen(q), quote, quote_len) < 0) {
		log_error(ctx, "The IMDS quote response has no base64url \"quote\"");
		return -EBADMSG;
	}
	return 0;
}
