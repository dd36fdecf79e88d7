// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The configuration of attestation and key release: one file of
 * "key = value" lines (Documentation/admin-guide/cvmattest-attest.rst) and
 * overrides on top.  A table drives parsing, defaults, help and the
 * message that names the key to fix.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/net.h"


enum opt_type {
	OPT_STRING,
	OPT_URL,		/* https:// only */
	OPT_URL_HTTP,		/* http:// or https:// */
	OPT_DURATION,		/* milliseconds; "500ms", "5s", "2m", plain = seconds */
	OPT_SECONDS,		/* seconds, same syntax */
	OPT_INT,
	OPT_SIZE,		/* bytes; "64k", "1M" */
	OPT_ATTEST_TYPE,
	OPT_EVIDENCE,
	OPT_ENC,
};

struct opt {
	const char *key;
	enum opt_type type;
	size_t offset;
	const char *def;
	long min, max;
	const char *help;
};

#define O(f) offsetof(struct cvm_config, f)

static const struct opt opts[] = {
	{ "attest_url", OPT_URL, O(attest_url), NULL, 0, 0,
	  "attestation service instance, e.g. https://sharedeus.eus.attest.azure.net" },
	{ "attest_type", OPT_ATTEST_TYPE, O(attest_type), "auto", 0, 0,
	  "auto, snp (/attest/SevSnpVm), tdx (/attest/TdxVm) or azure-guest (/attest/AzureGuest)" },
	{ "api_version_snp", OPT_STRING, O(api_version_snp), "2022-08-01", 0, 0,
	  "api-version of /attest/SevSnpVm" },
	{ "api_version_tdx", OPT_STRING, O(api_version_tdx), "2023-04-01-preview", 0, 0,
	  "api-version of /attest/TdxVm" },
	{ "api_version_guest", OPT_STRING, O(api_version_guest), "2020-10-01", 0, 0,
	  "api-version of /attest/AzureGuest" },
	{ "key_url", OPT_URL, O(key_url), NULL, 0, 0,
	  "key to release, https://<vault>.vault.azure.net/keys/<name>[/<version>]" },
	{ "kv_api_version", OPT_STRING, O(kv_api_version), "7.4", 0, 0,
	  "Key Vault REST api-version (7.3 or later for release)" },
	{ "enc", OPT_ENC, O(enc), "RSA_AES_KEY_WRAP_256", 0, 0,
	  "wrapping of the released key: CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256, "
	  "RSA_AES_KEY_WRAP_384" },
	{ "kv_resource", OPT_STRING, O(kv_resource), NULL, 0, 0,
	  "managed-identity audience; default from key_url: https://vault.azure.net or "
	  "https://managedhsm.azure.net" },
	{ "kv_jws_algs", OPT_STRING, O(kv_jws_algs), "RS256", 0, 0,
	  "signature algorithms accepted on the release response (comma-separated)" },
	{ "imds_url", OPT_URL_HTTP, O(imds_url), "http://169.254.169.254", 0, 0,
	  "Azure Instance Metadata Service" },
	{ "identity_client_id", OPT_STRING, O(identity_client_id), NULL, 0, 0,
	  "user-assigned managed identity by client id" },
	{ "identity_object_id", OPT_STRING, O(identity_object_id), NULL, 0, 0,
	  "user-assigned managed identity by object id" },
	{ "identity_msi_res_id", OPT_STRING, O(identity_msi_res_id), NULL, 0, 0,
	  "user-assigned managed identity by Azure resource id" },
	{ "connect_timeout", OPT_DURATION, O(connect_timeout_ms), "5s", 1, 600000,
	  "TCP+TLS connection timeout" },
	{ "request_timeout", OPT_DURATION, O(request_timeout_ms), "30s", 1, 3600000,
	  "timeout of one HTTP request" },
	{ "total_timeout", OPT_DURATION, O(total_timeout_ms), "120s", 1, 3600000,
	  "bound on one call to a service, retries and waits included" },
	{ "retries", OPT_INT, O(retries), "3", 0, 20, "retries after the first try" },
	{ "backoff", OPT_DURATION, O(backoff_ms), "500ms", 0, 600000,
	  "first retry delay; doubles each retry, with jitter" },
	{ "backoff_max", OPT_DURATION, O(backoff_max_ms), "10s", 0, 3600000,
	  "largest retry delay" },
	{ "retry_after_max", OPT_DURATION, O(retry_after_max_ms), "60s", 0, 3600000,
	  "largest Retry-After (429/503) honoured; a longer one fails the call" },
	{ "allowed_hosts", OPT_STRING, O(allowed_hosts), NULL, 0, 0,
	  "hosts a LUKS token may name for attestation and key release, besides those of "
	  "attest_url and key_url here and Azure's (*.attest.azure.net, *.vault.azure.net, "
	  "*.managedhsm.azure.net, ...): comma-separated, *.DOMAIN for its subdomains, * for any" },
	{ "proxy", OPT_STRING, O(proxy), NULL, 0, 0,
	  "HTTP(S) proxy for the attestation service and Key Vault (never for IMDS); the "
	  "environment's http_proxy/https_proxy are ignored" },
	{ "ca_bundle", OPT_STRING, O(ca_bundle), NULL, 0, 0,
	  "PEM CA bundle for TLS and the release signature (default: the system's)" },
	{ "cache_dir", OPT_STRING, O(cache_dir), CVM_DEFAULT_CACHE_DIR, 0, 0,
	  "endorsement and signing-key cache; empty to disable" },
	{ "max_response", OPT_SIZE, O(max_response), "4M", 1024, 256L << 20,
	  "largest HTTP response accepted" },
	{ "clock_skew", OPT_SECONDS, O(clock_skew_s), "60", 0, 3600,
	  "tolerance on exp/nbf of tokens" },
	{ "jwks_cache_ttl", OPT_SECONDS, O(jwks_cache_ttl_s), "86400", 0, 30L * 86400,
	  "how long signing keys from {attest_url}/certs are reused" },
	{ "device", OPT_STRING, O(device), CVM_DEVICE_PATH, 0, 0, "the evidence device" },
	{ "evidence", OPT_EVIDENCE, O(evidence_source), "auto", 0, 0,
	  "auto (device, else configfs-tsm), device, configfs or command" },
	{ "evidence_command", OPT_STRING, O(evidence_command), NULL, 0, 0,
	  "TESTING: program producing evidence; {report_data} {out} {certs} are replaced" },
	{ "snp_certs", OPT_STRING, O(snp_certs), "extended,cache,imds,kds", 0, 0,
	  "where SEV-SNP VCEK chains come from, in order" },
	{ "kds_url", OPT_URL, O(kds_url), "https://kdsintf.amd.com", 0, 0,
	  "AMD Key Distribution Service" },
	{ "tdx_quote", OPT_STRING, O(tdx_quote), "device,configfs,imds", 0, 0,
	  "where TDX quotes come from, in order" },
	{ "tsm_dir", OPT_STRING, O(tsm_dir), "/sys/kernel/config/tsm/report", 0, 0,
	  "configfs-tsm report directory (kernel 6.7+)" },
	{ "tcti", OPT_STRING, O(tcti), "device:/dev/tpmrm0", 0, 0,
	  "TPM access for azure-guest (tpm2-tss TCTI string)" },
	{ "transfer_key_bits", OPT_INT, O(transfer_key_bits), "2048", 2048, 4096,
	  "size of the ephemeral RSA transfer key" },
};

#undef O

const char *const *cvm_config_keys(void)
{
	static const char *keys[ELEMENTSOF(opts) + 1];

	if (!keys[0])
		for (size_t i = 0; i < ELEMENTSOF(opts); i++)
			keys[i] = opts[i].key;
	return keys;
}

static const struct opt *find_opt(const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(opts); i++)
		if (strcmp(opts[i].key, key) == 0)
			return &opts[i];
	return NULL;
}

const char *cvm_config_help(const char *key)
{
	const struct opt *o = find_opt(key);

	return o ? o->help : NULL;
}

static const char *const attest_type_names[] = {
	[ATTEST_TYPE_AUTO] = "auto",
	[ATTEST_TYPE_SNP] = "snp",
	[ATTEST_TYPE_TDX] = "tdx",
	[ATTEST_TYPE_AZURE_GUEST] = "azure-guest",
};

static const char *const evidence_names[] = {
	[EVIDENCE_AUTO] = "auto",
	[EVIDENCE_DEVICE] = "device",
	[EVIDENCE_CONFIGFS] = "configfs",
	[EVIDENCE_COMMAND] = "command",
};

static int parse_enum(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	return -1;
}

/* "500ms", "5s", "2m", "1h"; a bare number is @unit_ms per unit. */
static int parse_duration(const char *v, long unit_ms, long *ret)
{
	char *end;
	double d;
	double mul;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || d < 0)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end == 0)
		mul = (double)unit_ms;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -EINVAL;
	d *= mul;
	if (d > (double)LONG_MAX)
		return -ERANGE;
	*ret = (long)(d + 0.5);
	return 0;
}

static int parse_size(const char *v, long *ret)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k': case 'K':
		n <<= 10;
		end++;
		break;
	case 'M':
		n <<= 20;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0)
		return -EINVAL;
	if (n > LONG_MAX)
		return -ERANGE;
	*ret = (long)n;
	return 0;
}

static int set_string(char **field, const char *v)
{
	char *s = NULL;

	if (v) {
		s = strdup(v);
		if (!s)
			return -ENOMEM;
	}
	free(*field);
	*field = s;
	return 0;
}

static int apply(const struct opt *o, struct cvm_config *c, const char *v, const char **why)
{
	void *field = (char *)c + o->offset;
	long n;
	int r;

	switch (o->type) {
	case OPT_STRING:
		/* "" is kept: it means "none" (cache_dir = disables the cache). */
		return set_string(field, v);
	case OPT_URL:
	case OPT_URL_HTTP: {
		_cleanup_free_ char *origin = NULL;

		if (!*v)
			return set_string(field, NULL);
		r = url_origin(v, o->type == OPT_URL_HTTP, &origin);
		if (r < 0) {
			*why = o->type == OPT_URL ? "an https:// URL expected" : "an http(s):// URL expected";
			return -EINVAL;
		}
		return set_string(field, v);
	}
	case OPT_DURATION:
	case OPT_SECONDS:
		r = parse_duration(v, 1000, &n);
		if (r < 0) {
			*why = "a duration expected (e.g. 500ms, 5s, 2m)";
			return -EINVAL;
		}
		if (o->type == OPT_SECONDS)
			n /= 1000;
		break;
	case OPT_INT: {
		char *end;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end) {
			*why = "a number expected";
			return -EINVAL;
		}
		break;
	}
	case OPT_SIZE:
		if (parse_size(v, &n) < 0) {
			*why = "a size expected (e.g. 65536, 64k, 4M)";
			return -EINVAL;
		}
		break;
	case OPT_ATTEST_TYPE:
		r = parse_enum(v, attest_type_names, ELEMENTSOF(attest_type_names));
		if (r < 0) {
			*why = "auto, snp, tdx or azure-guest expected";
			return -EINVAL;
		}
		*(enum cvm_attest_type *)field = (enum cvm_attest_type)r;
		return 0;
	case OPT_EVIDENCE:
		r = parse_enum(v, evidence_names, ELEMENTSOF(evidence_names));
		if (r < 0) {
			*why = "auto, device, configfs or command expected";
			return -EINVAL;
		}
		*(enum evidence_source *)field = (enum evidence_source)r;
		return 0;
	case OPT_ENC:
		if (!enc_oaep_hash(v)) {
			*why = "CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256 or RSA_AES_KEY_WRAP_384 expected";
			return -EINVAL;
		}
		return set_string(field, v);
	default:
		return -EINVAL;
	}
	if ((o->min || o->max) && (n < o->min || n > o->max)) {
		*why = "out of range";
		return -ERANGE;
	}
	if (o->type == OPT_INT)
		*(int *)field = (int)n;
	else if (o->type == OPT_SIZE)
		*(size_t *)field = (size_t)n;
	else
		*(long *)field = n;
	return 0;
}

int cvm_config_new(struct cvm_config **ret)
{
	struct cvm_config *c;

	if (!ret)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(opts); i++) {
		const char *why = NULL;
		int r;

		if (!opts[i].def)
			continue;
		r = apply(&opts[i], c, opts[i].def, &why);
		if (r < 0) {
			cvm_config_free(c);
			return r == -ENOMEM ? r : -EINVAL;
		}
	}
	*ret = c;
	return 0;
}

void cvm_config_free(struct cvm_config *c)
{
	if (!c)
		return;
	free(c->source);
	for (size_t i = 0; i < ELEMENTSOF(opts); i++)
		switch (opts[i].type) {
		case OPT_STRING:
		case OPT_URL:
		case OPT_URL_HTTP:
		case OPT_ENC:
			free(*(char **)((char *)c + opts[i].offset));
			break;
		default:
			break;
		}
	free(c);
}

static struct cvm_config *default_config;

static void make_default_config(void)
{
	if (cvm_config_new(&default_config) < 0)
		default_config = NULL;
}

const struct cvm_config *config_defaults(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	/* Built once, by whichever thread comes first, and kept for the process. */
	pthread_once(&once, make_default_config);
	return default_config;
}

static int set_at(struct cvm_ctx *ctx, struct cvm_config *c, const char *key, const char *value,
		  const char *file, unsigned line)
{
	const struct opt *o = find_opt(key);
	const char *why = "invalid value";
	char where[512];
	int r;

	if (file)
		snprintf(where, sizeof(where), "%s:%u: ", file, line);
	else
		where[0] = 0;
	if (!o) {
		log_error(ctx, "%sunknown setting \"%s\" (see cvmattest-attest(8) for the settings)",
			  where, key);
		return -EINVAL;
	}
	r = apply(o, c, value, &why);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return log_error_errno(ctx, -EINVAL, "%s%s = %s: %s", where, key, value, why);
	return 0;
}

int cvm_config_set(struct cvm_ctx *ctx, struct cvm_config *c, const char *key, const char *value)
{
	if (!c || !key || !value)
		return -EINVAL;
	return set_at(ctx, c, key, value, NULL, 0);
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int cvm_config_load_file(struct cvm_ctx *ctx, struct cvm_config *c, const char *path)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;

	if (!c || !path)
		return -EINVAL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *s, *eq, *key, *value;
		int r;

		lineno++;
		s = strip(line);
		if (*s == 0 || *s == '#' || *s == ';' || *s == '[')
			continue;
		eq = strchr(s, '=');
		if (!eq)
			return log_error_errno(ctx, -EINVAL, "%s:%u: \"key = value\" expected",
					       path, lineno);
		*eq = 0;
		key = strip(s);
		value = strip(eq + 1);
		/* Optional quotes around a value. */
		if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = 0;
			value++;
		}
		r = set_at(ctx, c, key, value, path, lineno);
		if (r < 0)
			return r;
	}
	free(c->source);
	c->source = strdup(path);
	return c->source ? 0 : -ENOMEM;
}

const char *cvm_config_get(const struct cvm_config *c, const char *key, char *buf, size_t len)
{
	const struct opt *o = find_opt(key);
	const void *field;

	if (!c || !o)
		return NULL;
	field = (const char *)c + o->offset;
	switch (o->type) {
	case OPT_STRING:
	case OPT_URL:
	case OPT_URL_HTTP:
	case OPT_ENC:
		return *(char *const *)field;
	case OPT_ATTEST_TYPE:
		return attest_type_names[*(const enum cvm_attest_type *)field];
	case OPT_EVIDENCE:
		return evidence_names[*(const enum evidence_source *)field];
	default:
		break;
	}
	if (!buf || !len)
		return NULL;
	switch (o->type) {
	case OPT_DURATION:
		snprintf(buf, len, "%ldms", *(const long *)field);
		return buf;
	case OPT_SECONDS:
		snprintf(buf, len, "%lds", *(const long *)field);
		return buf;
	case OPT_INT:
		snprintf(buf, len, "%d", *(const int *)field);
		return buf;
	case OPT_SIZE:
		snprintf(buf, len, "%zu", *(const size_t *)field);
		return buf;
	default:
		break;
	}
	return NULL;
}

void config_hint(const struct cvm_config *c, const char *key, char *buf, size_t len)
{
	if (!key) {
		buf[0] = 0;
		return;
	}
	snprintf(buf, len, "check %s in %s", key,
		 c && c->source ? c->source : CVM_DEFAULT_CONFIG " (or its command-line option)");
}

/*
 * Hosts that a LUKS token, which anyone with the disk can rewrite, may send
 * this machine to.  The key host receives a managed-identity access token,
 * so an unchecked key_url would hand it to whoever edited the token.
 * Azure's service domains (attestation: reference 4.1; Key Vault and Managed
 * HSM in the public, China and US Government clouds: the same list as skr.c's
 * audiences) are always allowed.
 */
static const char *const azure_hosts[] = {
	"*.attest.azure.net", "*.attest.azure.us",
	"*.vault.azure.net", "*.managedhsm.azure.net",
	"*.vault.azure.cn", "*.managedhsm.azure.cn",
	"*.vault.usgovcloudapi.net", "*.managedhsm.usgovcloudapi.net",
};

/* "*.example.com" matches a.example.com and a.b.example.com, not example.com. */
static bool host_matches(const char *host, const char *pat, size_t pl)
{
	size_t hl = strlen(host);

	if (pl == 1 && pat[0] == '*')
		return true;
	if (pl > 2 && pat[0] == '*' && pat[1] == '.')
		return hl > pl - 1 && strncasecmp(host + hl - (pl - 1), pat + 1, pl - 1) == 0;
	return hl == pl && strncasecmp(host, pat, pl) == 0;
}

static bool host_in_list(const char *host, const char *list)
{
	const char *p = list;

	while (p && *p) {
		size_t n;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n && host_matches(host, p, n))
			return true;
		p += n;
	}
	return false;
}

int cvm_config_url_allowed(struct cvm_ctx *ctx, const struct cvm_config *c, const char *key,
			   const char *url)
{
	_cleanup_free_ char *host = NULL;
	int r;

	if (!c || !key || !url)
		return -EINVAL;
	r = url_host(url, &host);
	if (r < 0) {
		log_error(ctx, "%s %s: not a URL with a host", key, url);
		return r == -ENOMEM ? r : -EPERM;
	}
	for (size_t i = 0; i < ELEMENTSOF(azure_hosts); i++)
		if (host_matches(host, azure_hosts[i], strlen(azure_hosts[i])))
			return 0;
	if (c->allowed_hosts && host_in_list(host, c->allowed_hosts))
		return 0;
	{
		const char *own[] = { c->attest_url, c->key_url };

		for (size_t i = 0; i < ELEMENTSOF(own); i++) {
			_cleanup_free_ char *oh = NULL;

			if (own[i] && url_host(own[i], &oh) == 0 && strcmp(oh, host) == 0)
				return 0;
		}
	}
	log_error(ctx, "%s %s: the host %s is not allowed; if it is yours, add it to allowed_hosts "
		  "in %s", key, url, host, c->source ? c->source : CVM_DEFAULT_CONFIG);
	return -EPERM;
}

/* The RSA-OAEP hash of each Key Vault "enc" value (reference 4.5). */
const char *enc_oaep_hash(const char *enc)
{
	if (!enc)
		return NULL;
	if (strcmp(enc, "CKM_RSA_AES_KEY_WRAP") == 0)
		return "SHA1";
	if (strcmp(enc, "RSA_AES_KEY_WRAP_256") == 0)
		return "SHA256";
	if (strcmp(enc, "RSA_AES_KEY_WRAP_384") == 0)
		return "SHA384";
	return NULL;
}
