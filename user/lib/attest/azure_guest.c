// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Azure guest flow, POST /attest/AzureGuest (reference 2.4, 4.6), through
 * the paravisor's vTPM with tpm2-tss ESAPI:
 *
 *   AK            persistent 0x81000003, its certificate in NV 0x01C101D0;
 *   PCR quote     over SHA-256 PCRs 0-7 (the Linux set), signed by the AK,
 *                 with the TCG event log that replays to them;
 *   ephemeral key RSA-2048 decryption key created under the NULL hierarchy
 *                 (gone at the next TPM reset), authPolicy = PolicyPCR over
 *                 those PCRs (usable only while they hold), certified by the
 *                 AK: this is the transfer key Key Vault wraps to
 *                 ("TpmEphemeralEncryptionKey");
 *   isolation     the HCL report (NV 0x01400001): its SNP report with the
 *                 VCEK chain, or its TDREPORT made a quote by IMDS, and its
 *                 runtime claims (whose HCLAkPub is our AK);
 *   answer        sealed: EncryptedInnerKey (RSAES to the ephemeral key) is
 *                 decrypted by the vTPM, and opens Jwt with AES-256-GCM (AAD
 *                 "Transport Key"); the token is then verified like any.
 *
 * The released key's RSA-OAEP block is later decrypted by the same vTPM key
 * (tpm_rsa_oaep_decrypt), so the AES key never exists outside this guest.
 * The vTPM operations themselves are in tpm.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attest/attest.h"

#define HCL_REPORT_NV	0x01400001
#define TCG_LOG_PATH	"/sys/kernel/security/tpm0/binary_bios_measurements"

static char *b64_of_str(const char *s)
{
	return b64_encode((const uint8_t *)s, strlen(s));
}

/* /etc/os-release NAME and VERSION_ID. */
static void os_release(char *name, size_t nl, int *major, int *minor)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
	char line[256];

	snprintf(name, nl, "Linux");
	*major = *minor = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = 0;
		v[strcspn(v, "\n")] = 0;
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = 0;
		}
		if (strcmp(line, "NAME") == 0)
			snprintf(name, nl, "%s", v);
		else if (strcmp(line, "VERSION_ID") == 0)
			sscanf(v, "%d.%d", major, minor);
	}
}

/* IsolationInfo from the HCL report. */
static int isolation_info(struct cvm_ctx *ctx, const struct cvm_config *cfg,
			  struct tpm_session *t, json_t **ret)
{
	_cleanup_free_ uint8_t *hcl = NULL, *quote = NULL;
	_cleanup_free_ char *pem = NULL, *proof = NULL, *rt = NULL, *rep = NULL, *chain = NULL,
			    *inner = NULL;
	_cleanup_json_ json_t *in = NULL;
	struct cvm_hcl_report h;
	size_t hcl_len, pem_len, qlen;
	int r;

	r = tpm_nv_read(ctx, t, HCL_REPORT_NV, &hcl, &hcl_len);
	if (r < 0)
		return r;
	r = cvm_hcl_report_parse(hcl, hcl_len, &h);
	if (r < 0)
		return log_error_errno(ctx, r, "The HCL report in vTPM NV 0x%08x does not parse",
				       HCL_REPORT_NV);
	rt = b64_encode(h.variable_data, h.variable_size);
	if (!rt)
		return -ENOMEM;
	if (h.hw_format == CVM_FORMAT_SNP_REPORT) {
		r = snp_vcek_chain(ctx, cfg, h.hw_report, SNP_REPORT_SIZE, NULL, 0, &pem, &pem_len);
		if (r < 0)
			return r;
		rep = b64url_encode(h.hw_report, SNP_REPORT_SIZE);
		chain = b64url_encode((const uint8_t *)pem, pem_len);
		in = json_pack("{s:s, s:s}", "SnpReport", rep, "VcekCertChain", chain);
		inner = in ? json_dumps(in, JSON_COMPACT) : NULL;
		proof = inner ? b64_of_str(inner) : NULL;
	} else {
		r = imds_tdquote(ctx, cfg, h.hw_report, TDX_REPORT_SIZE, &quote, &qlen);
		if (r < 0)
			return r;
		proof = b64_encode(quote, qlen);
	}
	if (!proof)
		return -ENOMEM;
	*ret = json_pack("{s:s, s:{s:s, s:s}}", "Type",
			 h.hw_format == CVM_FORMAT_SNP_REPORT ? "SevSnp" : "Tdx", "Evidence", "Proof",
			 proof, "RunTimeData", rt);
	return *ret ? 0 : -ENOMEM;
}

void azure_sealed_done(struct azure_sealed *s)
{
	free(s->wrapped);
	free(s->iv);
	free(s->tag);
	free(s->ct);
	memset(s, 0, sizeof(*s));
}

/* The SealedAttestationResponse's fields, decoded and their sizes checked. */
int azure_sealed_parse(struct cvm_ctx *ctx, const char *sealed, struct azure_sealed *s)
{
	_cleanup_free_ uint8_t *raw = NULL;
	_cleanup_json_ json_t *obj = NULL;
	const char *s_key, *s_iv, *s_tag, *s_jwt;
	size_t raw_len;
	char why[128];

	memset(s, 0, sizeof(*s));
	if (b64url_decode(sealed, strlen(sealed), &raw, &raw_len) < 0 ||
	    !(obj = json_parse_object(raw, raw_len, why, sizeof(why)))) {
		log_error(ctx, "The AzureGuest answer is not base64url of the sealed response JSON");
		return -EBADMSG;
	}
	s_key = json_string_value(json_object_get(obj, "EncryptedInnerKey"));
	s_iv = json_string_value(json_object_get(json_object_get(obj, "EncryptionParams"), "Iv"));
	s_tag = json_string_value(json_object_get(obj, "AuthenticationData"));
	s_jwt = json_string_value(json_object_get(obj, "Jwt"));
	if (!s_key || !s_iv || !s_tag || !s_jwt ||
	    b64_decode(s_key, strlen(s_key), false, &s->wrapped, &s->wrapped_len) < 0 ||
	    b64_decode(s_iv, strlen(s_iv), false, &s->iv, &s->iv_len) < 0 ||
	    b64_decode(s_tag, strlen(s_tag), false, &s->tag, &s->tag_len) < 0 ||
	    b64_decode(s_jwt, strlen(s_jwt), false, &s->ct, &s->ct_len) < 0 || s->tag_len != 16 ||
	    s->iv_len == 0 || s->ct_len > (1 << 20)) {
		log_error(ctx, "The sealed AzureGuest answer lacks or mangles EncryptedInnerKey, "
			  "EncryptionParams.Iv, AuthenticationData or Jwt");
		azure_sealed_done(s);
		return -EBADMSG;
	}
	return 0;
}

/* Jwt decrypted under the unsealed transport key @aes (AES-256-GCM). */
int azure_sealed_open(struct cvm_ctx *ctx, const struct cvm_secret *aes,
		      const struct azure_sealed *s, char **jwt)
{
	EVP_CIPHER_CTX *c = NULL;
	char *out = NULL;
	int n1 = 0, n2 = 0, r;

	if (aes->len != 32) {
		log_error(ctx, "The unsealed transport key has %zu bytes, not 32", aes->len);
		return -EBADMSG;
	}
	out = malloc(s->ct_len + 16 + 1);
	c = EVP_CIPHER_CTX_new();
	if (!out || !c) {
		r = -ENOMEM;
		goto done;
	}
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)s->iv_len, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, aes->data, s->iv) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n1, (const unsigned char *)"Transport Key", 13) != 1 ||
	    EVP_DecryptUpdate(c, (unsigned char *)out, &n1, s->ct, (int)s->ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, s->tag) != 1 ||
	    EVP_DecryptFinal_ex(c, (unsigned char *)out + n1, &n2) != 1) {
		log_openssl(ctx, "AES-GCM");
		log_error(ctx, "The sealed attestation token does not decrypt (AES-GCM tag mismatch)");
		r = -EKEYREJECTED;
		goto done;
	}
	out[n1 + n2] = 0;
	*jwt = TAKE_PTR(out);
	r = 0;
done:
	EVP_CIPHER_CTX_free(c);
	free(out);
	return r;
}

/* The SealedAttestationResponse: unseal through the vTPM, open the JWT. */
static int unseal(struct cvm_ctx *ctx, struct tpm_session *t, const char *sealed, char **jwt)
{
	_cleanup_(cvm_secret_freep) struct cvm_secret *aes = NULL;
	struct azure_sealed s;
	int r;

	r = azure_sealed_parse(ctx, sealed, &s);
	if (r < 0)
		return r;
	r = tpm_rsaes_decrypt(ctx, t, s.wrapped, s.wrapped_len, &aes);
	if (r == 0)
		r = azure_sealed_open(ctx, aes, &s, jwt);
	azure_sealed_done(&s);
	return r;
}

/* x-ms-runtime must name our ephemeral key (and echo our client payload). */
static int check_guest_runtime(struct cvm_ctx *ctx, struct tpm_session *t, const json_t *claims,
			       const json_t *client_payload)
{
	json_t *rt = json_object_get(claims, "x-ms-runtime"), *k;
	_cleanup_free_ char *n = NULL;
	const uint8_t *mod;
	size_t i, mod_len;

	tpm_ephemeral_modulus(t, &mod, &mod_len);
	n = b64url_encode(mod, mod_len);
	if (!n)
		return -ENOMEM;
	json_array_foreach(json_object_get(rt, "keys"), i, k) {
		const char *kid = json_string_value(json_object_get(k, "kid"));
		const char *kn = json_string_value(json_object_get(k, "n"));

		if (kid && strcmp(kid, "TpmEphemeralEncryptionKey") == 0 && kn && strcmp(kn, n) == 0) {
			if (client_payload &&
			    !json_equal(json_object_get(rt, "client-payload"), (json_t *)client_payload)) {
				log_error(ctx, "The token's x-ms-runtime.client-payload is not what was sent");
				return -EKEYREJECTED;
			}
			return 0;
		}
	}
	log_error(ctx, "The token's x-ms-runtime does not hold our vTPM ephemeral key: the token "
		  "does not attest this request");
	return -EKEYREJECTED;
}

int azure_guest_attest(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *nonce,
		       struct cvm_attestation *a)
{
	_cleanup_json_ json_t *tpm = NULL, *iso = NULL, *info = NULL, *body = NULL, *cp = NULL;
	_cleanup_free_ uint8_t *log = NULL;
	_cleanup_free_ char *text = NULL, *info_b64 = NULL, *sealed = NULL, *jwt = NULL,
			    *log_b64 = NULL, *os = NULL, *distro = NULL, *build = NULL;
	struct tpm_session *t = NULL;
	uint8_t qualifying[32];
	char distro_name[128];
	size_t log_len = 0;
	unsigned dl;
	int major, minor, r;

	r = tpm_open(ctx, cfg, &t);
	if (r < 0)
		return r;
	/* Freshness in the quote: SHA-256 of the nonce (or of nothing). */
	r = sha_digest("SHA256", (const uint8_t *)(nonce ? nonce : ""), nonce ? strlen(nonce) : 0,
		       qualifying, &dl);
	if (r < 0)
		goto out;
	r = tpm_info(ctx, t, qualifying, &tpm);
	if (r < 0)
		goto out;
	r = isolation_info(ctx, cfg, t, &iso);
	if (r < 0)
		goto out;
	if (read_file(TCG_LOG_PATH, 4 << 20, &log, &log_len) < 0) {
		log_info(ctx, "No TCG event log at %s; sending an empty one", TCG_LOG_PATH);
		log_len = 0;
	}
	log_b64 = b64_encode(log ? log : (const uint8_t *)"", log_len);
	os_release(distro_name, sizeof(distro_name), &major, &minor);
	os = b64_of_str("Linux");
	distro = b64_of_str(distro_name);
	build = b64_of_str("NotApplication");
	if (nonce) {
		_cleanup_free_ char *nb = b64_of_str(nonce);

		cp = nb ? json_pack("{s:s}", "nonce", nb) : NULL;
	}
	if (!log_b64 || !os || !distro || !build || (nonce && !cp)) {
		r = -ENOMEM;
		goto out;
	}
	info = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:O, s:O}", "AttestationProtocolVersion",
			 "2.0", "OSType", os, "OSDistro", distro, "OSBuild", build, "OSVersionMajor",
			 major, "OSVersionMinor", minor, "TcgLogs", log_b64, "TpmInfo", tpm,
			 "IsolationInfo", iso);
	if (info && cp)
		json_object_set(info, "ClientPayload", cp);
	text = info ? json_dumps(info, JSON_COMPACT) : NULL;
	info_b64 = text ? b64url_encode((const uint8_t *)text, strlen(text)) : NULL;
	body = info_b64 ? json_pack("{s:s}", "AttestationInfo", info_b64) : NULL;
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	r = maa_attest(ctx, cfg, a->instance, "AzureGuest", cfg->api_version_guest, body, &sealed);
	if (r < 0)
		goto out;
	r = unseal(ctx, t, sealed, &jwt);
	if (r < 0)
		goto out;
	r = maa_token_verify(ctx, cfg, a->instance, jwt, NULL, false, &a->claims);
	if (r < 0)
		goto out;
	r = check_guest_runtime(ctx, t, a->claims, cp);
	if (r < 0)
		goto out;
	{
		const char *type = json_string_value(json_object_get(a->claims, "x-ms-attestation-type"));

		if (!type || strcmp(type, "azurevm") != 0) {
			log_error(ctx, "The token's x-ms-attestation-type is \"%s\", not \"azurevm\"",
				  type ? type : "(none)");
			r = -EKEYREJECTED;
			goto out;
		}
	}
	a->token = TAKE_PTR(jwt);
	a->flow = strdup("AzureGuest");
	if (!a->flow) {
		r = -ENOMEM;
		goto out;
	}
	a->transfer_kid = strdup("TpmEphemeralEncryptionKey");
	a->tpm = TAKE_PTR(t);
	r = 0;
out:
	tpm_session_free(t);
	return r;
}
