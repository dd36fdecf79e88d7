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
#include <sys/stat.h>

#include <curl/curl.h>

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
	OPT_KEY_LIST,		/* allowed_keys: key URLs and host patterns */
	OPT_ATTEST_LIST,	/* allowed_attest: instance URLs and host patterns */
};

struct opt {
	const char *key;
	enum opt_type type;
	size_t offset;
	const char *def;
	long min, max;
	const char *help;
};

static int check_allow_list(const char *v, bool keys, const char **why);

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
	{ "allowed_keys", OPT_KEY_LIST, O(allowed_keys), NULL, 0, 0,
	  "keys a LUKS token may name besides key_url: https://VAULT/keys/NAME/VERSION (that "
	  "version), https://VAULT/keys/NAME (any version of it); a host pattern (VAULT, "
	  "*.DOMAIN, *) admits any key of those vaults and is warned about at use" },
	{ "allowed_attest", OPT_ATTEST_LIST, O(allowed_attest), NULL, 0, 0,
	  "attestation instances a LUKS token may name besides attest_url: https://HOST; a "
	  "pattern (*.DOMAIN, *) admits any instance it matches and is warned about at use" },
	{ "allowed_hosts", OPT_STRING, O(allowed_hosts), NULL, 0, 0,
	  "DISCOURAGED: hosts of which a LUKS token may name any key and attestation instance "
	  "(comma-separated, *.DOMAIN, *); warned about at use; prefer allowed_keys and "
	  "allowed_attest" },
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
	{ "pcs_url", OPT_URL, O(pcs_url), "https://api.trustedservices.intel.com", 0, 0,
	  "Intel PCS or a PCCS (same v4 paths) for TDX collateral" },
	{ "intel_root_crl_url", OPT_URL, O(intel_root_crl_url),
	  "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der", 0, 0,
	  "Intel SGX Root CA CRL (DER)" },
	{ "tdx_quote", OPT_STRING, O(tdx_quote), "device,configfs,imds", 0, 0,
	  "where TDX quotes come from, in order" },
	{ "tsm_dir", OPT_STRING, O(tsm_dir), "/sys/kernel/config/tsm/report", 0, 0,
	  "configfs-tsm report directory (kernel 6.7+)" },
	{ "vmpl", OPT_INT, O(vmpl), "-1", -1, 3,
	  "SEV-SNP: VMPL of the report (0-3); -1: the platform's (configfs: privlevel_floor)" },
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
	d = d * mul + 0.5;
	/* (double)LONG_MAX is 2^63, itself out of range; NaN and inf fail too (found by fuzz_config) */
	if (!(d < (double)LONG_MAX))
		return -ERANGE;
	*ret = (long)d;
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
	case OPT_KEY_LIST:
	case OPT_ATTEST_LIST:
		r = check_allow_list(v, o->type == OPT_KEY_LIST, why);
		if (r < 0)
			return r;
		return set_string(field, v);
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
		case OPT_KEY_LIST:
		case OPT_ATTEST_LIST:
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
		log_error(ctx, "%sunknown setting \"%s\" (see cvmattest.conf(5) for the settings)",
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
	struct stat st;
	ssize_t n;

	if (!c || !path)
		return -EINVAL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* fopen() takes a directory, whose read then fails like an empty file's end */
	if (fstat(fileno(f), &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
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
	if (ferror(f))
		return -EIO;
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
	case OPT_KEY_LIST:
	case OPT_ATTEST_LIST:
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
 * What a LUKS token, which anyone with the disk can rewrite, may name.  The
 * key host receives a managed-identity access token, and a host that gets
 * any key released to this VM (its own vault, with a token from the IMDS it
 * serves) could bind a volume of its own to that key: so the key itself (its
 * vault, name and version) and the attestation instance must be ones this
 * configuration lists.  Nothing is built in: Azure-wide patterns are an
 * explicit opt-in, warned about whenever they are what admits a token.
 */

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

/* The next item of a comma- or space-separated list, or NULL. */
static const char *next_item(const char **p, size_t *n)
{
	const char *item;

	*p += strspn(*p, ", \t");
	if (!**p)
		return NULL;
	item = *p;
	*n = strcspn(item, ", \t");
	*p += *n;
	return item;
}

/* An item with a scheme (an https:// URL); else a host pattern. */
static bool is_url(const char *item, size_t n)
{
	return memmem(item, n, "://", 3) != NULL;
}

/* The first pattern of @list that @host matches, as "%.*s" arguments; false if none. */
static bool host_in_list(const char *host, const char *list, const char **pat, size_t *pl)
{
	const char *p = list, *item;
	size_t n;

	while (p && (item = next_item(&p, &n)))
		if (!is_url(item, n) && host_matches(host, item, n)) {
			*pat = item;
			*pl = n;
			return true;
		}
	return false;
}

/* A host pattern: "*", "*.DOMAIN" or a host (IPv6 literals included), nothing else. */
static bool host_pattern_ok(const char *item, size_t n)
{
	size_t i = 0;

	if (n == 1 && item[0] == '*')
		return true;
	if (n > 2 && item[0] == '*' && item[1] == '.')
		i = 2;
	for (; i < n; i++)
		if (!isalnum((unsigned char)item[i]) && !strchr(".-:", item[i]))
			return false;
	return n > 0;
}

/*
 * A key as Key Vault and Managed HSM name it: https://VAULT/keys/NAME or
 * .../NAME/VERSION, one trailing "/" tolerated, and nothing else: no query,
 * fragment, user, escapes, dot or further segments, so that what is compared
 * is exactly what skr.c requests ({key_url}/release).
 */
struct key_id {
	char *origin;			/* https://host[:port], host in lower case */
	char *host;
	char name[128];			/* 1-127 letters, digits, dashes */
	char version[65];		/* letters and digits; "" for none */
};

static void key_id_done(struct key_id *k)
{
	free(k->origin);
	free(k->host);
}

static size_t run_of(const char *s, bool dash)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]) || (dash && s[n] == '-'))
		n++;
	return n;
}

static int key_id_parse(const char *url, struct key_id *k)
{
	CURLU *u = NULL;
	char *path = NULL;
	const char *p;
	size_t n;
	int r = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (!url || strpbrk(url, "?#@%\\ \t\r\n"))
		return -EINVAL;
	r = url_origin(url, false, &k->origin);
	if (r < 0)
		goto out;
	r = url_host(url, &k->host);
	if (r < 0)
		goto out;
	r = -ENOMEM;
	u = curl_url();
	if (!u)
		goto out;
	r = -EINVAL;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if (strncmp(path, "/keys/", 6) != 0)
		goto out;
	p = path + 6;
	n = run_of(p, true);
	if (n == 0 || n >= sizeof(k->name))
		goto out;
	memcpy(k->name, p, n);
	p += n;
	if (*p == '/' && p[1]) {
		p++;
		n = run_of(p, false);
		if (n == 0 || n >= sizeof(k->version))
			goto out;
		memcpy(k->version, p, n);
		p += n;
	}
	if (*p == '/')
		p++;
	if (*p)
		goto out;
	r = 0;
out:
	curl_free(path);
	curl_url_cleanup(u);
	if (r < 0) {
		key_id_done(k);
		memset(k, 0, sizeof(*k));
	}
	return r;
}

int cvm_config_key_url_versioned(const char *url)
{
	struct key_id k;
	int r = key_id_parse(url, &k);

	if (r < 0)
		return r;
	r = k.version[0] != 0;
	key_id_done(&k);
	return r;
}

/* Is @t the key @entry (a key URL) names: its vault, its name, its version if it has one? */
static bool key_id_matches(const struct key_id *t, const char *entry)
{
	struct key_id e;
	bool ok;

	if (key_id_parse(entry, &e) < 0)
		return false;
	ok = strcmp(t->origin, e.origin) == 0 && strcasecmp(t->name, e.name) == 0 &&
	     (!e.version[0] || strcasecmp(t->version, e.version) == 0);
	key_id_done(&e);
	return ok;
}

static int check_allow_list(const char *v, bool keys, const char **why)
{
	const char *p = v, *item;
	size_t n;

	while ((item = next_item(&p, &n))) {
		_cleanup_free_ char *s = strndup(item, n), *origin = NULL;
		struct key_id k;
		int r;

		if (!s)
			return -ENOMEM;
		if (!is_url(item, n)) {
			if (host_pattern_ok(item, n))
				continue;
			*why = "host patterns are HOST, *.DOMAIN or *";
			return -EINVAL;
		}
		if (keys) {
			r = key_id_parse(s, &k);
			if (r == -ENOMEM)
				return r;
			if (r < 0) {
				*why = "https://VAULT/keys/NAME[/VERSION] or a host pattern expected";
				return -EINVAL;
			}
			key_id_done(&k);
		} else if (url_origin(s, false, &origin) < 0) {
			*why = "https://HOST or a host pattern expected";
			return -EINVAL;
		}
	}
	return 0;
}

static int key_allowed(struct cvm_ctx *ctx, const struct cvm_config *c, const char *url)
{
	const char *where = c->source ? c->source : CVM_DEFAULT_CONFIG;
	const char *p = c->allowed_keys, *item, *pat, *setting = NULL;
	struct key_id t;
	size_t n, pl;
	int r;

	r = key_id_parse(url, &t);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_error(ctx, "key_url %s is not allowed: not a key (https://VAULT/keys/NAME"
			  "[/VERSION] and nothing else)", url);
		return -EPERM;
	}
	/* The keys listed: key_url, allowed_keys' URLs. */
	if (c->key_url && key_id_matches(&t, c->key_url))
		goto ok;
	while (p && (item = next_item(&p, &n))) {
		_cleanup_free_ char *e = is_url(item, n) ? strndup(item, n) : NULL;

		if (e && key_id_matches(&t, e))
			goto ok;
	}
	/* The opt-in: any key of a vault a pattern matches. */
	if (c->allowed_keys && host_in_list(t.host, c->allowed_keys, &pat, &pl))
		setting = "allowed_keys";
	else if (c->allowed_hosts && host_in_list(t.host, c->allowed_hosts, &pat, &pl))
		setting = "allowed_hosts";
	if (setting) {
		log_warning(ctx, "key_url %s is allowed only by \"%.*s\" in %s of %s, which admits "
			    "any key of the vaults it matches: whoever writes the disk chooses the "
			    "key; pin it with allowed_keys = %s/keys/%s", url, (int)pl, pat, setting,
			    where, t.origin, t.name);
		goto ok;
	}
	if (t.version[0])
		log_error(ctx, "key_url %s is not allowed: the key is neither key_url nor in "
			  "allowed_keys of %s; if it is yours, add allowed_keys = %s/keys/%s/%s "
			  "(this version) or %s/keys/%s (any version of it)", url, where, t.origin,
			  t.name, t.version, t.origin, t.name);
	else
		log_error(ctx, "key_url %s is not allowed: the key is neither key_url nor in "
			  "allowed_keys of %s; if it is yours, add allowed_keys = %s/keys/%s", url,
			  where, t.origin, t.name);
	key_id_done(&t);
	return -EPERM;
ok:
	key_id_done(&t);
	return 0;
}

static int attest_allowed(struct cvm_ctx *ctx, const struct cvm_config *c, const char *url)
{
	const char *where = c->source ? c->source : CVM_DEFAULT_CONFIG;
	const char *p = c->allowed_attest, *item, *pat;
	_cleanup_free_ char *origin = NULL, *host = NULL, *own = NULL;
	size_t n, pl;
	int r;

	r = url_origin(url, false, &origin);
	if (r == 0)
		r = url_host(url, &host);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_error(ctx, "attest_url %s is not allowed: not an https:// URL with a host", url);
		return -EPERM;
	}
	/* The instances listed: attest_url, allowed_attest's URLs and plain hosts. */
	if (c->attest_url && url_origin(c->attest_url, false, &own) == 0 && strcmp(own, origin) == 0)
		return 0;
	while (p && (item = next_item(&p, &n))) {
		_cleanup_free_ char *e = NULL, *eo = NULL;

		if (!is_url(item, n))
			continue;
		e = strndup(item, n);
		if (!e)
			return -ENOMEM;
		if (url_origin(e, false, &eo) == 0 && strcmp(eo, origin) == 0)
			return 0;
	}
	if (c->allowed_attest && host_in_list(host, c->allowed_attest, &pat, &pl)) {
		if (memchr(pat, '*', pl))
			log_warning(ctx, "attest_url %s is allowed only by \"%.*s\" in allowed_attest of "
				    "%s, which admits any attestation instance it matches, whatever "
				    "its policy; pin it with allowed_attest = %s", url, (int)pl, pat,
				    where, origin);
		return 0;
	}
	if (c->allowed_hosts && host_in_list(host, c->allowed_hosts, &pat, &pl)) {
		log_warning(ctx, "attest_url %s is allowed only by \"%.*s\" in allowed_hosts of %s; "
			    "pin it with allowed_attest = %s", url, (int)pl, pat, where, origin);
		return 0;
	}
	log_error(ctx, "attest_url %s is not allowed: the attestation instance %s is neither "
		  "attest_url nor in allowed_attest of %s; if it is yours, add allowed_attest = %s",
		  url, origin, where, origin);
	return -EPERM;
}

int cvm_config_url_allowed(struct cvm_ctx *ctx, const struct cvm_config *c, const char *key,
			   const char *url)
{
	if (!c || !key || !url)
		return -EINVAL;
	if (strcmp(key, "key_url") == 0)
		return key_allowed(ctx, c, url);
	if (strcmp(key, "attest_url") == 0)
		return attest_allowed(ctx, c, url);
	return -EINVAL;
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
