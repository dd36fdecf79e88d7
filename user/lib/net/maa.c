// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The MAA client: POST {instance}/attest/{SevSnpVm,TdxVm,AzureGuest}
 * (reference 2.2-2.4), one request shape and one answer shape for every
 * flow; the token is verified by token.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"

/* ---- MAA -------------------------------------------------------------------------------------- */

int maa_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *instance,
	       const char *path, const char *api_version, const json_t *body, char **token)
{
	_cleanup_free_ char *url = NULL, *text = NULL;
	_cleanup_json_ json_t *obj = NULL;
	struct http_resp resp = { 0 };
	struct http_req req = {
		.method = "POST",
		.what = "attestation service",
		.config_key = "attest_url",
		.content_type = "application/json",
	};
	const char *t;
	int r;

	if (asprintf(&url, "%s/attest/%s?api-version=%s", instance, path, api_version) < 0)
		return -ENOMEM;
	text = json_dumps(body, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	req.url = url;
	req.body = (const uint8_t *)text;
	req.body_len = strlen(text);
	log_info(ctx, "Attesting with %s/attest/%s", instance, path);
	r = http_request(ctx, cfg, &req, &resp);
	if (r < 0)
		return r;
	if (resp.status == 400) {
		char msg[1024];

		http_error_text(&resp, msg, sizeof(msg));
		log_error(ctx, "The attestation service %s refused the evidence: %s", instance,
			  msg[0] ? msg : "HTTP 400");
		http_resp_done(&resp);
		return -EKEYREJECTED;
	}
	r = http_json_object(ctx, cfg, &req, &resp, &obj);
	if (r < 0)
		return r;
	t = json_string_value(json_object_get(obj, "token"));
	if (!t) {
		log_error(ctx, "The attestation service's answer has no token");
		return -EBADMSG;
	}
	*token = strdup(t);
	return *token ? 0 : -ENOMEM;
}
