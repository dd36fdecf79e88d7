// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The encodings of the Azure REST formats: base64url without padding (JOSE,
 * MAA, Key Vault; through libjose), standard base64 (x5c, the AzureGuest
 * sealed response; through OpenSSL), compact JSON (jansson), URL origins
 * (libcurl's URL parser).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <curl/curl.h>
#include <jose/b64.h>
#include <openssl/evp.h>

#include "base/base.h"


char *b64url_encode(const uint8_t *buf, size_t len)
{
	size_t n = jose_b64_enc_buf(buf, len, NULL, 0);
	char *out;

	if (n == SIZE_MAX)
		return NULL;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	if (jose_b64_enc_buf(buf, len, out, n) != n) {
		free(out);
		return NULL;
	}
	out[n] = 0;
	return out;
}

int b64url_decode(const char *s, size_t slen, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t n;

	/* Some encoders pad base64url (MAA's own examples do): accept it. */
	while (slen > 0 && s[slen - 1] == '=')
		slen--;
	for (size_t i = 0; i < slen; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return -EBADMSG;
	n = jose_b64_dec_buf(s, slen, NULL, 0);
	if (n == SIZE_MAX)
		return -EBADMSG;
	out = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	if (jose_b64_dec_buf(s, slen, out, n) != n)
		return -EBADMSG;
	out[n] = 0;	/* convenient for JSON text; not counted */
	*ret = TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

char *b64_encode(const uint8_t *buf, size_t len)
{
	char *out;

	/* EVP_EncodeBlock takes an int */
	if (len > (size_t)INT_MAX / 4 * 3)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

int b64_decode(const char *s, size_t slen, bool strict, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_free_ uint8_t *out = NULL;
	size_t body = slen, pad, n;
	int got;

	while (body > 0 && s[body - 1] == '=')
		body--;
	pad = slen - body;
	if (pad > 2 || body % 4 == 1)
		return -EBADMSG;
	if (strict && (slen % 4 != 0))
		return -EBADMSG;
	tmp = malloc(body + 4);
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < body; i++) {
		char ch = s[i];

		if (!strict && ch == '-')
			ch = '+';
		else if (!strict && ch == '_')
			ch = '/';
		if (!isalnum((unsigned char)ch) && ch != '+' && ch != '/')
			return -EBADMSG;
		tmp[i] = ch;
	}
	n = body;
	while (n % 4)
		tmp[n++] = '=';
	tmp[n] = 0;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	got = n ? EVP_DecodeBlock(out, (unsigned char *)tmp, (int)n) : 0;
	if (got < 0)
		return -EBADMSG;
	/* EVP_DecodeBlock counts the bytes the padding stands for. */
	got -= (int)(n - body);
	*ret = TAKE_PTR(out);
	*ret_len = (size_t)got;
	return 0;
}

int b64_decode_exact(const char *s, uint8_t *out, size_t len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_free_ char *again = NULL;
	size_t slen = s ? strlen(s) : 0, n = 0;
	int r = -EBADMSG;

	if (slen != 4 * ((len + 2) / 3))
		return -EBADMSG;
	if (b64_decode(s, slen, true, &buf, &n) < 0 || n != len)
		goto out;
	/* Canonical only: what decodes must encode back to the same text. */
	again = b64_encode(buf, n);
	if (!again || strcmp(again, s) != 0)
		goto out;
	memcpy(out, buf, len);
	r = 0;
out:
	if (buf)
		explicit_bzero(buf, n);
	return r;
}

/* "0x" or "0X" at @i, at the start of a run (the text's or after whitespace). */
static bool hex_prefix_at(const uint8_t *buf, size_t len, size_t i)
{
	return i + 1 < len && buf[i] == '0' && (buf[i + 1] == 'x' || buf[i + 1] == 'X') &&
	       (i == 0 || base_hex_space(buf[i - 1]));
}

int evidence_hex_decode(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len, char *why,
			size_t why_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t i = 0, digits = 0, n = 0;
	bool prefixed;
	int hi = -1;

	if (why && why_len)
		why[0] = 0;
	while (i < len && base_hex_space(buf[i]))
		i++;
	prefixed = hex_prefix_at(buf, len, i);

	/* First pass: is it hex text at all, and how many digits? */
	for (size_t j = i; j < len; j++) {
		if (base_hex_space(buf[j]))
			continue;
		if (hex_prefix_at(buf, len, j)) {
			prefixed = true;
			j++;
			continue;
		}
		if (base_hex_digit(buf[j]) < 0) {
			if (!prefixed)
				return 0;
			if (why)
				snprintf(why, why_len, "hex text (\"0x...\") with a non-hex %s at offset %zu",
					 buf[j] >= 0x21 && buf[j] < 0x7f ? "character" : "byte", j);
			if (why && buf[j] >= 0x21 && buf[j] < 0x7f)
				snprintf(why + strlen(why), why_len - strlen(why), " ('%c')", buf[j]);
			return -EBADMSG;
		}
		digits++;
	}
	/* Evidence is at least a kilobyte; short hex-looking text without 0x is not hex evidence. */
	if (!prefixed && digits < 64)
		return 0;
	if (digits == 0) {
		if (why)
			snprintf(why, why_len, "\"0x\" with no hex digits after it");
		return -EBADMSG;
	}
	if (digits % 2) {
		if (why)
			snprintf(why, why_len, "hex text with an odd number of digits (%zu): one is missing "
				 "or extra", digits);
		return -EBADMSG;
	}

	out = malloc(digits / 2 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t j = i; j < len; j++) {
		if (base_hex_space(buf[j]))
			continue;
		if (hex_prefix_at(buf, len, j)) {
			j++;
			continue;
		}
		if (hi < 0) {
			hi = base_hex_digit(buf[j]);
		} else {
			out[n++] = (uint8_t)(hi << 4 | base_hex_digit(buf[j]));
			hi = -1;
		}
	}
	*ret = TAKE_PTR(out);
	*ret_len = n;
	return 1;
}

char *json_compact(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

json_t *json_parse_object(const uint8_t *buf, size_t len, char *why, size_t why_len)
{
	json_error_t err;
	json_t *v;

	v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!v) {
		snprintf(why, why_len, "%s (line %d)", err.text, err.line);
		return NULL;
	}
	if (!json_is_object(v)) {
		snprintf(why, why_len, "not a JSON object");
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *json_text(const char *v)
{
	json_t *j = json_string(v);
	char buf[512];
	size_t i;

	if (j || !v)
		return j;
	for (i = 0; v[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)v[i] < 0x80 ? v[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

int url_origin(const char *url, bool allow_http, char **ret)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int r = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (strcmp(scheme, "https") != 0 && !(allow_http && strcmp(scheme, "http") == 0))
		goto out;
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (ret) {
		bool default_port = !port || (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) ||
				    (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0);

		if (asprintf(ret, "%s://%s%s%s", scheme, host, default_port ? "" : ":",
			     default_port ? "" : port) < 0) {
			*ret = NULL;
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

int url_host(const char *url, char **ret)
{
	CURLU *u = curl_url();
	char *h = NULL;
	int r = -EINVAL;

	*ret = NULL;
	if (!u)
		return -ENOMEM;
	if (url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && *h) {
		size_t l = strlen(h);

		if (l >= 2 && h[0] == '[' && h[l - 1] == ']')
			*ret = strndup(h + 1, l - 2);
		else
			*ret = strdup(h);
		for (char *p = *ret; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		r = *ret ? 0 : -ENOMEM;
	}
	curl_free(h);
	curl_url_cleanup(u);
	return r;
}
