// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TDX collateral: Intel's TCB Info, QE Identity, PCK CRL and Root CA CRL
 * checked against a quote whose PCK chain already verified (verify_tdx.c).
 *
 * A collateral directory holds what Intel PCS (or a PCCS: the same v4
 * paths) serves, stored by `cvmattest fetch` (attest/endorse.c) under
 * {cache_dir}/tdx/<FMSPC hex>/ or given with --collateral:
 *   tcbinfo.json        GET /tdx/certification/v4/tcb?fmspc=..., the body
 *                       {"tcbInfo":{...},"signature":"<hex r||s>"}
 *   tcbinfo-chain.pem   its TCB-Info-Issuer-Chain header (TCB Signing, root)
 *   qeidentity.json     GET /tdx/certification/v4/qe/identity,
 *                       {"enclaveIdentity":{...},"signature":"..."}
 *   qeidentity-chain.pem  its SGX-Enclave-Identity-Issuer-Chain header
 *   pckcrl.der          GET /sgx/certification/v4/pckcrl?ca=platform|processor
 *   rootcrl.der         Intel SGX Root CA CRL (IntelSGXRootCA.der)
 * (Intel PCS API v4 documentation; go-tdx-guest verify/verify.go and pcs/pcs.go
 * use the same responses.)  Or one JSON bundle file of the same pieces
 * (bundle_keys below).  Nothing here is trusted for where it was found:
 * both JSON documents must be signed (ECDSA P-256/SHA-256 over the exact
 * bytes of the tcbInfo / enclaveIdentity value as they appear in the body)
 * by a TCB Signing certificate that chains to the trusted Intel root, and
 * each CRL by the CA it names.
 *
 * TCB status: Intel's TCB level matching as QVL does it (TcbLevelCheck.cpp,
 * TdxModuleCheck.cpp, QuoteVerifier.cpp in SGX-TDX-DCAP-QuoteVerificationLibrary):
 *   - the first tcbLevel whose 16 sgxtcbcomponents are <= the PCK
 *     certificate's and whose pcesvn <= the PCK PCESVN is the SGX level;
 *     the first such level whose tdxtcbcomponents are <= TEE_TCB_SVN
 *     (indices 2..15 only when TEE_TCB_SVN[1] > 0) is the TDX level;
 *   - the TDX module: MRSIGNERSEAM and SEAMATTRIBUTES (under the mask) must
 *     match tdxModule, or, when TEE_TCB_SVN[1] > 0, the tdxModuleIdentities
 *     entry "TDX_<TEE_TCB_SVN[1] as 2 hex digits>", whose first tcbLevel with
 *     isvsvn <= TEE_TCB_SVN[0] gives the module's status; a module OutOfDate
 *     makes UpToDate/SWHardeningNeeded OutOfDate and ConfigurationNeeded/
 *     ConfigurationAndSWHardeningNeeded OutOfDateConfigurationNeeded;
 *   - the QE: MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES under their masks
 *     must match; the first tcbLevel with isvsvn <= ISVSVN gives its status;
 *     QE OutOfDate converges as the module's does, QE Revoked makes Revoked.
 * The TD 1.5 relaunch check (TEE_TCB_SVN2) is not done.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "verify/verify.h"

#define COLL_FILE_MAX (1024 * 1024)

static const char *const tcb_status_names[] = {
	[TDX_TCB_UP_TO_DATE] = "UpToDate",
	[TDX_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
	[TDX_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
	[TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
	[TDX_TCB_OUT_OF_DATE] = "OutOfDate",
	[TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
	[TDX_TCB_TD_RELAUNCH_ADVISED] = "TDRelaunchAdvised",
	[TDX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED] = "TDRelaunchAdvisedConfigurationNeeded",
	[TDX_TCB_REVOKED] = "Revoked",
	[TDX_TCB_NOT_SUPPORTED] = "NotSupported",
};

const char *tdx_tcb_status_name(int s)
{
	if (s == -1)
		return "none";
	if (s < 0 || (size_t)s >= ELEMENTSOF(tcb_status_names))
		return "Unrecognized";
	return tcb_status_names[s];
}

int tdx_tcb_status_from_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(tcb_status_names); i++)
		if (strcmp(name, tcb_status_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

void tdx_coll_done(struct tdx_coll *c)
{
	for (size_t i = 0; i < c->n_advisories; i++)
		free(c->advisories[i]);
	free(c->advisories);
	c->advisories = NULL;
	c->n_advisories = 0;
}

/* ---- small readers ------------------------------------------------------------------ */

/* "2023-06-18T08:42:58Z" (the form Intel writes). */
static int parse_date(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	if (!end)
		return -EBADMSG;
	if (*end == '.')
		end += 1 + strspn(end + 1, "0123456789");
	if (strcmp(end, "Z") != 0)
		return -EBADMSG;
	*ret = timegm(&tm);
	return 0;
}

static void fmt_date(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

static const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static int hex_field(json_t *obj, const char *key, uint8_t *out, size_t len)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) != 2 * len)
		return -EBADMSG;
	return cvm_hex_decode_fixed(json_string_value(v), out, len, NULL, true);
}

static int uint_field(json_t *obj, const char *key, json_int_t max, json_int_t *ret)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return -EBADMSG;
	*ret = json_integer_value(v);
	return 0;
}

/*
 * The exact bytes of the value of top-level @key in the JSON object text
 * @buf (already parsed by jansson, so well-formed): the signature covers
 * them as served, which re-serialising would not reproduce.  jansson keeps no
 * offsets, hence this scan of strings and nesting only.
 */
static int raw_member(const char *buf, size_t len, const char *key, const char **ret, size_t *ret_len)
{
	size_t i = 0, klen = strlen(key);

#define WS() while (i < len && strchr(" \t\r\n", buf[i]) && buf[i]) i++
	WS();
	if (i >= len || buf[i] != '{')
		return -EBADMSG;
	i++;
	for (;;) {
		size_t ks, ke, vs;
		int depth = 0;

		WS();
		if (i >= len || buf[i] != '"')
			return -ENOENT;
		ks = ++i;
		while (i < len && buf[i] != '"')
			i += buf[i] == '\\' ? 2 : 1;
		if (i >= len)
			return -EBADMSG;
		ke = i++;
		WS();
		if (i >= len || buf[i] != ':')
			return -EBADMSG;
		i++;
		WS();
		vs = i;
		for (; i < len; i++) {
			char c = buf[i];

			if (c == '"') {
				for (i++; i < len && buf[i] != '"'; i++)
					if (buf[i] == '\\')
						i++;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (depth == 0)
					break;
				depth--;
			} else if (c == ',' && depth == 0) {
				break;
			}
		}
		if (i >= len)
			return -EBADMSG;
		if (ke - ks == klen && memcmp(buf + ks, key, klen) == 0) {
			size_t ve = i;

			while (ve > vs && strchr(" \t\r\n", buf[ve - 1]))
				ve--;
			*ret = buf + vs;
			*ret_len = ve - vs;
			return 0;
		}
		if (buf[i] == '}')
			return -ENOENT;
		i++;
	}
#undef WS
}

static int asn1_time_t(const ASN1_TIME *a, time_t *ret)
{
	struct tm tm;

	if (!a || ASN1_TIME_to_tm(a, &tm) != 1)
		return -EBADMSG;
	*ret = timegm(&tm);
	return 0;
}

/* ---- the pieces ------------------------------------------------------------------------------ */

struct coll {
	struct cvm_ctx *ctx;
	struct cvm_result *r;
	const char *dir;		/* a directory, or the bundle file */
	json_t *bundle;			/* a bundle file's JSON, or NULL */
	time_t now;
	bool failed;
};

_printf_(3, 4)
static void coll_fail(struct coll *c, enum cvm_status cls, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	result_error(c->r, cls, "TDX collateral: %s", buf);
	c->failed = true;
	c->r->tdxc.n_bad++;
}

/*
 * A bundle file holds the same pieces as one JSON object, in the form of
 * Phala's dcap-qvl QuoteCollateralV3 (also what other verifiers pass around):
 * "tcb_info" (the tcbInfo value as signed, a string) and "tcb_info_signature"
 * (hex), "tcb_info_issuer_chain" (PEM), the same for "qe_identity", and
 * "pck_crl", "root_ca_crl" (hex of the DER, or PEM).
 */
static const struct {
	const char *file, *key, *sig_key, *doc_key;
} bundle_keys[] = {
	{ "tcbinfo.json", "tcb_info", "tcb_info_signature", "tcbInfo" },
	{ "qeidentity.json", "qe_identity", "qe_identity_signature", "enclaveIdentity" },
	{ "tcbinfo-chain.pem", "tcb_info_issuer_chain", NULL, NULL },
	{ "qeidentity-chain.pem", "qe_identity_issuer_chain", NULL, NULL },
	{ "pckcrl.der", "pck_crl", NULL, NULL },
	{ "rootcrl.der", "root_ca_crl", NULL, NULL },
};

static char *coll_path(const struct coll *c, const char *name)
{
	char *p = NULL;

	if (c->bundle) {
		for (size_t i = 0; i < ELEMENTSOF(bundle_keys); i++)
			if (strcmp(bundle_keys[i].file, name) == 0)
				return asprintf(&p, "%s \"%s\"", c->dir, bundle_keys[i].key) < 0 ? NULL : p;
		return NULL;
	}
	if (asprintf(&p, "%s/%s", c->dir, name) < 0)
		return NULL;
	return p;
}

/* The bytes of piece @name (a file name of the directory layout). */
static int coll_read(const struct coll *c, const char *name, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ char *path = NULL;
	const char *v, *sig;
	char *doc;

	if (!c->bundle) {
		path = coll_path(c, name);
		return path ? read_file(path, COLL_FILE_MAX, ret, ret_len) : -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(bundle_keys); i++) {
		if (strcmp(bundle_keys[i].file, name) != 0)
			continue;
		v = json_string_value(json_object_get(c->bundle, bundle_keys[i].key));
		if (!v)
			return -ENOENT;
		if (bundle_keys[i].sig_key) {
			/* The signed value verbatim, wrapped as PCS serves it. */
			sig = json_string_value(json_object_get(c->bundle, bundle_keys[i].sig_key));
			if (!sig)
				return -ENOENT;
			if (asprintf(&doc, "{\"%s\":%s,\"signature\":\"%s\"}", bundle_keys[i].doc_key, v,
				     sig) < 0)
				return -ENOMEM;
			*ret = (uint8_t *)doc;
			*ret_len = strlen(doc);
			return 0;
		}
		if (strcmp(name, "pckcrl.der") == 0 || strcmp(name, "rootcrl.der") == 0) {
			uint8_t *der;
			size_t dl;

			if (cvm_hex_decode(v, strlen(v), &der, &dl) == 0) {
				*ret = der;
				*ret_len = dl;
				return 0;
			}
		}
		*ret = (uint8_t *)strdup(v);
		if (!*ret)
			return -ENOMEM;
		*ret_len = strlen(v);
		return 0;
	}
	return -ENOENT;
}

static int load_crl(const struct coll *c, const char *name, X509_CRL **ret)
{
	_cleanup_free_ uint8_t *buf = NULL;
	const unsigned char *p;
	size_t len;
	X509_CRL *crl;
	int k;

	k = coll_read(c, name, &buf, &len);
	if (k < 0)
		return k;
	p = buf;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (!crl) {
		_cleanup_(BIO_free_allp) BIO *b = BIO_new_mem_buf(buf, (int)len);

		ERR_clear_error();
		crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
	}
	ERR_clear_error();
	if (!crl)
		return -EBADMSG;
	*ret = crl;
	return 0;
}


static void stale(struct coll *c, const char *what, const char *path, time_t next)
{
	char d[32];

	fmt_date(next, d);
	coll_fail(c, CVM_STATUS_UNVERIFIABLE,
		  "%s (%s) is stale: its next update was due %s; fetch fresh collateral with "
		  "'cvmattest fetch QUOTE'", what, path, d);
}

static void not_yet(struct coll *c, const char *what, const char *path, time_t issued)
{
	char d[32];

	fmt_date(issued, d);
	coll_fail(c, CVM_STATUS_UNVERIFIABLE, "%s (%s) was issued %s, after the verification time",
		  what, path, d);
}

/*
 * The TCB Signing chain in @chain_name: it must end at a trusted Intel root
 * at verification time, its leaf be "Intel SGX TCB Signing".  The leaf in
 * *ret (a reference).
 */
static int signing_chain(struct coll *c, const char *what, const char *chain_name, X509 **ret)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *sctx = NULL;
	_cleanup_sk_x509_ STACK_OF(X509) *untrusted = NULL;
	_cleanup_free_ char *path = coll_path(c, chain_name);
	_cleanup_free_ uint8_t *buf = NULL;
	struct cvm_cert_list chain = { 0 };
	const struct cvm_cert *leaf;
	size_t len;
	int k;

	if (!path)
		return -ENOMEM;
	k = coll_read(c, chain_name, &buf, &len);
	if (k < 0) {
		coll_fail(c, CVM_STATUS_UNVERIFIABLE, "%s: cannot read its issuer chain %s: %s; fetch "
			  "it with 'cvmattest fetch QUOTE'", what, path, strerror(-k));
		return 0;
	}
	if (cert_list_add_buffer(&chain, buf, len) < 0 || chain.n == 0) {
		cert_list_clear(&chain);
		coll_fail(c, CVM_STATUS_INVALID, "%s: the issuer chain %s does not parse", what, path);
		return 0;
	}
	leaf = chain.v[0];
	store = X509_STORE_new();
	sctx = X509_STORE_CTX_new();
	untrusted = sk_X509_new_null();
	if (!store || !sctx || !untrusted) {
		cert_list_clear(&chain);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->ctx->intel_roots.n; i++)
		if (X509_STORE_add_cert(store, c->ctx->intel_roots.v[i]->x509) != 1)
			goto enomem;
	for (size_t i = 1; i < chain.n; i++) {
		if (cert_is_self_issued(chain.v[i]))
			continue;	/* a root that came along is never trusted for it */
		if (!X509_up_ref(chain.v[i]->x509))
			goto enomem;
		if (!sk_X509_push(untrusted, chain.v[i]->x509)) {
			X509_free(chain.v[i]->x509);
			goto enomem;
		}
	}
	if (X509_STORE_CTX_init(sctx, store, leaf->x509, untrusted) != 1)
		goto enomem;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(sctx), c->now);
	if (X509_verify_cert(sctx) != 1) {
		int err = X509_STORE_CTX_get_error(sctx);

		ERR_clear_error();
		coll_fail(c, CVM_STATUS_INVALID, "%s: the signing certificate \"%s\" (%s) does not "
			  "chain to the trusted Intel root: %s", what, leaf->cn, path,
			  X509_verify_cert_error_string(err));
		cert_list_clear(&chain);
		return 0;
	}
	if (strcmp(leaf->cn, "Intel SGX TCB Signing") != 0 ||
	    !pkey_is_ec_curve(X509_get0_pubkey(leaf->x509), "prime256v1")) {
		coll_fail(c, CVM_STATUS_INVALID, "%s: signed by \"%s\", not by an Intel SGX TCB Signing "
			  "P-256 key", what, leaf->cn);
		cert_list_clear(&chain);
		return 0;
	}
	if (!X509_up_ref(leaf->x509))
		goto enomem;
	*ret = leaf->x509;
	cert_list_clear(&chain);
	return 0;
enomem:
	cert_list_clear(&chain);
	return -ENOMEM;
}

/*
 * A signed JSON document: @file's top-level @key value, signed by the leaf
 * of @chain_name.  The parsed value (a reference) in *ret, the signer in
 * *signer; nothing (and c->failed) when it does not hold.
 */
static int signed_json(struct coll *c, const char *what, const char *file, const char *chain_name,
		       const char *key, json_t **ret, X509 **signer)
{
	_cleanup_free_ char *path = coll_path(c, file);
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_json_ json_t *root = NULL, *again = NULL;
	_cleanup_(X509_freep) X509 *leaf = NULL;
	json_t *body, *sig;
	json_error_t err;
	uint8_t rs[64];
	const char *raw;
	size_t len, raw_len;
	int k;

	if (!path)
		return -ENOMEM;
	k = coll_read(c, file, &buf, &len);
	if (k < 0) {
		coll_fail(c, CVM_STATUS_UNVERIFIABLE, "cannot read the %s %s: %s; fetch it with "
			  "'cvmattest fetch QUOTE'", what, path, strerror(-k));
		return 0;
	}
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
	body = root ? json_object_get(root, key) : NULL;
	sig = root ? json_object_get(root, "signature") : NULL;
	if (!json_is_object(body) || !json_is_string(sig)) {
		coll_fail(c, CVM_STATUS_INVALID, "the %s %s is not a {\"%s\":{...},\"signature\":\"...\"} "
			  "document%s%s", what, path, key, root ? "" : ": ", root ? "" : err.text);
		return 0;
	}
	/* The bytes signed, and proof that they are what was parsed. */
	if (raw_member((const char *)buf, len, key, &raw, &raw_len) < 0 ||
	    !(again = json_loadb(raw, raw_len, JSON_REJECT_DUPLICATES, NULL)) ||
	    !json_equal(again, body)) {
		coll_fail(c, CVM_STATUS_INVALID, "the %s %s: the signed \"%s\" value cannot be located",
			  what, path, key);
		return 0;
	}
	if (json_string_length(sig) != 128 ||
	    cvm_hex_decode_fixed(json_string_value(sig), rs, 64, NULL, true) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "the %s %s: \"signature\" is not 64 bytes of hex", what,
			  path);
		return 0;
	}
	k = signing_chain(c, what, chain_name, &leaf);
	if (k < 0 || !leaf)
		return k;
	if (ecdsa_verify_raw(X509_get0_pubkey(leaf), EVP_sha256(), (const uint8_t *)raw, raw_len, rs,
			     rs + 32, 32, false) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "the %s %s: its signature does not verify with the TCB "
			  "Signing key (forged or altered)", what, path);
		return 0;
	}
	*ret = json_incref(body);
	*signer = TAKE_PTR(leaf);
	return 0;
}

/* issueDate / nextUpdate of a signed document, against the verification time. */
static void check_dates(struct coll *c, json_t *body, const char *what, const char *file,
			time_t *issue, time_t *next)
{
	if (parse_date(json_string_value(json_object_get(body, "issueDate")), issue) < 0 ||
	    parse_date(json_string_value(json_object_get(body, "nextUpdate")), next) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "the %s has no valid issueDate/nextUpdate", what);
		return;
	}
	if (*issue > c->now)
		not_yet(c, what, file, *issue);
	else if (*next < c->now)
		stale(c, what, file, *next);
}

/*
 * A CRL issued by @issuer (name and signature), current at the verification
 * time; none of @certs in it.
 */
static int check_crl(struct coll *c, const char *what, const char *file, X509 *issuer,
		     X509 *const *certs, const char *const *names, size_t n, time_t *next)
{
	_cleanup_free_ char *path = coll_path(c, file);
	X509_CRL *crl = NULL;
	time_t last;
	char in[128] = "";
	int k;

	if (!path)
		return -ENOMEM;
	k = load_crl(c, file, &crl);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		if (k == -EBADMSG)
			coll_fail(c, CVM_STATUS_INVALID, "the %s %s is not a CRL (DER or PEM)", what, path);
		else
			coll_fail(c, CVM_STATUS_UNVERIFIABLE, "cannot read the %s %s: %s; fetch it with "
				  "'cvmattest fetch QUOTE'", what, path, strerror(-k));
		return 0;
	}
	X509_NAME_get_text_by_NID(X509_CRL_get_issuer(crl), NID_commonName, in, sizeof(in));
	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
		char want[128] = "";

		X509_NAME_get_text_by_NID(X509_get_subject_name(issuer), NID_commonName, want, sizeof(want));
		coll_fail(c, CVM_STATUS_INVALID, "the %s %s is issued by \"%s\", not by \"%s\"", what, path,
			  in, want);
		goto out;
	}
	if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
		ERR_clear_error();
		coll_fail(c, CVM_STATUS_INVALID, "the %s %s: its signature does not verify with the key of "
			  "\"%s\" (forged or altered)", what, path, in);
		goto out;
	}
	if (asn1_time_t(X509_CRL_get0_lastUpdate(crl), &last) < 0 ||
	    asn1_time_t(X509_CRL_get0_nextUpdate(crl), next) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "the %s %s has no thisUpdate/nextUpdate", what, path);
		goto out;
	}
	if (last > c->now) {
		not_yet(c, what, path, last);
		goto out;
	}
	if (*next < c->now) {
		stale(c, what, path, *next);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *rev = NULL;

		/* A finding about the quote, not a fault of the collateral (n_bad). */
		if (certs[i] && X509_CRL_get0_by_cert(crl, &rev, certs[i]) == 1) {
			result_error(c->r, CVM_STATUS_INVALID, "TDX collateral: the %s is REVOKED (listed "
				     "in the %s %s)", names[i], what, path);
			c->failed = true;
		}
	}
out:
	X509_CRL_free(crl);
	return 0;
}

/* ---- TCB Info ------------------------------------------------------------------------------- */

static int status_field(json_t *level)
{
	const char *s = json_string_value(json_object_get(level, "tcbStatus"));

	return s ? tdx_tcb_status_from_name(s) : -EBADMSG;
}

/* An array of 16 {"svn": N} into @out. */
static int components(json_t *arr, uint8_t out[16])
{
	json_t *e;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) != 16)
		return -EBADMSG;
	json_array_foreach(arr, i, e) {
		json_int_t v;

		if (uint_field(e, "svn", 255, &v) < 0)
			return -EBADMSG;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int converge_out_of_date(int status)
{
	if (status == TDX_TCB_UP_TO_DATE || status == TDX_TCB_SW_HARDENING_NEEDED)
		return TDX_TCB_OUT_OF_DATE;
	if (status == TDX_TCB_CONFIGURATION_NEEDED ||
	    status == TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
		return TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	return status;
}

/* The TDX module against tdxModule / tdxModuleIdentities; its status (-1: none, only a check). */
static int check_module(struct coll *c, json_t *tcb, const struct cvm_tdx_quote_body *b, int *status)
{
	const uint8_t *svn = b->tee_tcb_svn;
	json_t *m = json_object_get(tcb, "tdxModule"), *levels = NULL, *e;
	uint8_t mrsigner[48], attr[8], mask[8], seam[8];
	size_t i;

	*status = -1;
	if (svn[1] > 0) {
		json_t *ids = json_object_get(tcb, "tdxModuleIdentities");
		char id[8];

		snprintf(id, sizeof(id), "TDX_%02X", svn[1]);
		m = NULL;
		json_array_foreach(ids, i, e) {
			const char *s = json_string_value(json_object_get(e, "id"));

			if (s && strcasecmp(s, id) == 0) {
				m = e;
				break;
			}
		}
		if (!m) {
			coll_fail(c, CVM_STATUS_INVALID, "TCB Info has no TDX module identity %s for this TDX "
				  "module (TEE_TCB_SVN[1] = %u)", id, svn[1]);
			return 0;
		}
		levels = json_object_get(m, "tcbLevels");
	}
	if (!json_is_object(m) || hex_field(m, "mrsigner", mrsigner, 48) < 0 ||
	    hex_field(m, "attributes", attr, 8) < 0 || hex_field(m, "attributesMask", mask, 8) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "TCB Info: the TDX module identity is malformed");
		return 0;
	}
	if (memcmp(mrsigner, b->mrsignerseam, 48) != 0) {
		coll_fail(c, CVM_STATUS_INVALID, "MRSIGNERSEAM of the quote is not the TDX module signer "
			  "of Intel's TCB Info (TDX module mismatch)");
		return 0;
	}
	for (int k = 0; k < 8; k++)
		seam[k] = (uint8_t)(b->seam_attributes >> (8 * k));
	for (int k = 0; k < 8; k++)
		if ((seam[k] & mask[k]) != attr[k]) {
			coll_fail(c, CVM_STATUS_INVALID, "SEAMATTRIBUTES of the quote under the TCB Info's mask "
				  "are not its attributes (TDX module mismatch)");
			return 0;
		}
	if (!levels)
		return 0;
	json_array_foreach(levels, i, e) {
		json_int_t isvsvn;

		if (uint_field(json_object_get(e, "tcb"), "isvsvn", 255, &isvsvn) < 0 ||
		    status_field(e) < 0) {
			coll_fail(c, CVM_STATUS_INVALID, "TCB Info: a TDX module TCB level is malformed");
			return 0;
		}
		if (svn[0] >= isvsvn) {
			*status = status_field(e);
			return 0;
		}
	}
	*status = TDX_TCB_NOT_SUPPORTED;
	return 0;
}

static int eval_tcb_info(struct coll *c, json_t *tcb, const struct sgx_pck_ext *pck,
			 const struct cvm_tdx_quote_body *b)
{
	struct tdx_coll *tc = &c->r->tdxc;
	const char *path_name = "tcbinfo.json";
	json_t *levels, *e, *sgx_level = NULL, *tdx_level = NULL;
	json_int_t version, n;
	uint8_t fmspc[6], pceid[2];
	char want[13], have[13];
	int status, module;
	size_t i;

	if (strcmp(jstr(tcb, "id"), "TDX") != 0 ||
	    uint_field(tcb, "version", 1000, &version) < 0 || version != 3) {
		coll_fail(c, CVM_STATUS_INVALID, "%s is not TDX TCB Info version 3 (id \"TDX\")", path_name);
		return 0;
	}
	check_dates(c, tcb, "TCB Info", path_name, &tc->tcb_info_issue, &tc->tcb_info_next);
	if (uint_field(tcb, "tcbEvaluationDataNumber", UINT32_MAX, &n) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "TCB Info has no tcbEvaluationDataNumber");
		return 0;
	}
	tc->tcb_eval_num = (uint32_t)n;
	if (hex_field(tcb, "fmspc", fmspc, 6) < 0 || hex_field(tcb, "pceId", pceid, 2) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "TCB Info has no valid fmspc/pceId");
		return 0;
	}
	cvm_hex_encode(pck->fmspc, 6, want);
	cvm_hex_encode(fmspc, 6, have);
	if (!pck->has_fmspc || memcmp(fmspc, pck->fmspc, 6) != 0) {
		coll_fail(c, CVM_STATUS_INVALID, "the TCB Info is for FMSPC %s, the PCK certificate's "
			  "FMSPC is %s (collateral of another platform)", have, want);
		return 0;
	}
	if (pck->has_pceid && memcmp(pceid, pck->pceid, 2) != 0) {
		coll_fail(c, CVM_STATUS_INVALID, "the TCB Info's pceId is not the PCK certificate's PCEID");
		return 0;
	}
	if (!pck->has_tcb) {
		coll_fail(c, CVM_STATUS_INVALID, "the PCK certificate carries no TCB (SGX extension "
			  "1.2.840.113741.1.13.1.2) to match against the TCB Info");
		return 0;
	}
	levels = json_object_get(tcb, "tcbLevels");
	if (!json_is_array(levels)) {
		coll_fail(c, CVM_STATUS_INVALID, "TCB Info has no tcbLevels");
		return 0;
	}
	json_array_foreach(levels, i, e) {
		json_t *t = json_object_get(e, "tcb");
		uint8_t sgx[16], tdx[16];
		json_int_t pcesvn;
		bool ok = true;

		if (components(json_object_get(t, "sgxtcbcomponents"), sgx) < 0 ||
		    components(json_object_get(t, "tdxtcbcomponents"), tdx) < 0 ||
		    uint_field(t, "pcesvn", 65535, &pcesvn) < 0 || status_field(e) < 0) {
			coll_fail(c, CVM_STATUS_INVALID, "TCB Info: tcbLevels[%zu] is malformed or has an "
				  "unrecognized tcbStatus", i);
			return 0;
		}
		for (int k = 0; k < 16; k++)
			if (pck->tcb_comp[k] < sgx[k])
				ok = false;
		if (!ok || pck->pcesvn < pcesvn)
			continue;
		if (!sgx_level)
			sgx_level = e;
		for (int k = b->tee_tcb_svn[1] > 0 ? 2 : 0; k < 16; k++)
			if (b->tee_tcb_svn[k] < tdx[k])
				ok = false;
		if (ok) {
			tdx_level = e;
			break;
		}
	}
	if (!sgx_level || !tdx_level) {
		tc->tcb_status = TDX_TCB_NOT_SUPPORTED;
		return 0;
	}
	status = status_field(tdx_level);
	tc->tcb_level_status = status;
	parse_date(json_string_value(json_object_get(tdx_level, "tcbDate")), &tc->tcb_date);
	{
		json_t *adv = json_object_get(tdx_level, "advisoryIDs"), *a;
		size_t j;

		json_array_foreach(adv, j, a) {
			char **v;

			if (!json_is_string(a))
				continue;
			v = realloc(tc->advisories, (tc->n_advisories + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			tc->advisories = v;
			v[tc->n_advisories] = strdup(json_string_value(a));
			if (!v[tc->n_advisories])
				return -ENOMEM;
			tc->n_advisories++;
		}
	}
	check_module(c, tcb, b, &module);
	if (c->failed)
		return 0;
	tc->module_status = module;
	if (module == TDX_TCB_NOT_SUPPORTED || module == TDX_TCB_REVOKED)
		status = module;
	else if (module == TDX_TCB_OUT_OF_DATE)
		status = converge_out_of_date(status);
	tc->tcb_status = status;
	return 0;
}

/* ---- QE Identity ------------------------------------------------------------------------------ */

static int eval_qe_identity(struct coll *c, json_t *id, const struct cvm_tdx_quote *q)
{
	struct tdx_coll *tc = &c->r->tdxc;
	const struct cvm_sgx_report_body *qe = &q->qe_report;
	const uint8_t *raw = q->qe_report_raw;
	uint8_t mrsigner[32], misc[4], misc_mask[4], attr[16], attr_mask[16];
	json_int_t version, prodid, n;
	json_t *levels, *e;
	size_t i;

	if (strcmp(jstr(id, "id"), "TD_QE") != 0 ||
	    uint_field(id, "version", 1000, &version) < 0 || version != 2) {
		coll_fail(c, CVM_STATUS_INVALID, "qeidentity.json is not a TD_QE identity version 2");
		return 0;
	}
	check_dates(c, id, "QE Identity", "qeidentity.json", &tc->qe_issue, &tc->qe_next);
	if (uint_field(id, "tcbEvaluationDataNumber", UINT32_MAX, &n) < 0 ||
	    hex_field(id, "mrsigner", mrsigner, 32) < 0 || hex_field(id, "miscselect", misc, 4) < 0 ||
	    hex_field(id, "miscselectMask", misc_mask, 4) < 0 ||
	    hex_field(id, "attributes", attr, 16) < 0 ||
	    hex_field(id, "attributesMask", attr_mask, 16) < 0 ||
	    uint_field(id, "isvprodid", 65535, &prodid) < 0) {
		coll_fail(c, CVM_STATUS_INVALID, "QE Identity: a field is missing or malformed");
		return 0;
	}
	tc->qe_eval_num = (uint32_t)n;
	if (memcmp(mrsigner, qe->mrsigner, 32) != 0) {
		coll_fail(c, CVM_STATUS_INVALID, "the QE report's MRSIGNER is not Intel's TD QE signer "
			  "(QE Identity)");
		return 0;
	}
	if (qe->isvprodid != prodid) {
		coll_fail(c, CVM_STATUS_INVALID, "the QE report's ISVPRODID %u is not the TD QE's %lld",
			  qe->isvprodid, (long long)prodid);
		return 0;
	}
	/* Byte-wise, as both are little-endian in the report and the identity. */
	for (int k = 0; k < 4; k++)
		if ((raw[SGX_RB_MISCSELECT + k] & misc_mask[k]) != misc[k]) {
			coll_fail(c, CVM_STATUS_INVALID, "the QE report's MISCSELECT does not match the QE "
				  "Identity under its mask");
			return 0;
		}
	for (int k = 0; k < 16; k++)
		if ((raw[SGX_RB_ATTRIBUTES + k] & attr_mask[k]) != attr[k]) {
			coll_fail(c, CVM_STATUS_INVALID, "the QE report's ATTRIBUTES do not match the QE "
				  "Identity under its mask");
			return 0;
		}
	levels = json_object_get(id, "tcbLevels");
	tc->qe_status = TDX_TCB_NOT_SUPPORTED;
	json_array_foreach(levels, i, e) {
		json_int_t isvsvn;
		int s = status_field(e);

		if (uint_field(json_object_get(e, "tcb"), "isvsvn", 65535, &isvsvn) < 0 || s < 0) {
			coll_fail(c, CVM_STATUS_INVALID, "QE Identity: tcbLevels[%zu] is malformed", i);
			return 0;
		}
		if (qe->isvsvn >= isvsvn) {
			tc->qe_status = s;
			break;
		}
	}
	return 0;
}

/* ---- the whole ------------------------------------------------------------------------------------ */

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int verify_tdx_collateral(struct cvm_ctx *ctx, struct cvm_result *r, X509 *pck, X509 *pca)
{
	_cleanup_free_ char *auto_dir = NULL;
	_cleanup_json_ json_t *tcb = NULL, *qe = NULL, *bundle = NULL;
	_cleanup_(X509_freep) X509 *tcb_signer = NULL, *qe_signer = NULL;
	struct tdx_coll *tc = &r->tdxc;
	struct coll c = { .ctx = ctx, .r = r, .now = ctx_verify_time(ctx) };
	X509 *root = ctx->intel_roots.n ? ctx->intel_roots.v[0]->x509 : NULL;
	int k;

	if (ctx->tdx_collateral) {
		c.dir = ctx->tdx_collateral;
		if (!is_dir(c.dir)) {
			_cleanup_free_ uint8_t *buf = NULL;
			size_t len;

			tc->present = true;
			snprintf(tc->source, sizeof(tc->source), "%s", c.dir);
			tc->tcb_status = tc->qe_status = tc->module_status = tc->tcb_level_status = -1;
			k = read_file(c.dir, COLL_FILE_MAX, &buf, &len);
			if (k == -ENOMEM)
				return k;
			bundle = k < 0 ? NULL : json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
			if (!json_is_object(bundle) || !json_object_get(bundle, "tcb_info")) {
				coll_fail(&c, k < 0 ? CVM_STATUS_UNVERIFIABLE : CVM_STATUS_INVALID,
					  "%s is neither a directory of collateral (tcbinfo.json, "
					  "qeidentity.json, pckcrl.der, rootcrl.der...) nor a collateral "
					  "JSON bundle (tcb_info, qe_identity, pck_crl, root_ca_crl...)%s%s",
					  c.dir, k < 0 ? ": " : "", k < 0 ? strerror(-k) : "");
				return 0;
			}
			c.bundle = bundle;
		}
	} else {
		char fmspc[13];

		if (!ctx->cache_dir || !*ctx->cache_dir || !r->pck.has_fmspc)
			return 0;
		cvm_hex_encode(r->pck.fmspc, 6, fmspc);
		if (asprintf(&auto_dir, "%s/tdx/%s", ctx->cache_dir, fmspc) < 0)
			return -ENOMEM;
		if (!is_dir(auto_dir))
			return 0;	/* none cached: "not checked", as without collateral */
		c.dir = auto_dir;
	}
	snprintf(tc->source, sizeof(tc->source), "%s", c.dir);
	tc->present = true;
	tc->tcb_status = tc->qe_status = tc->module_status = tc->tcb_level_status = -1;

	/* The signers chain to the trusted root at c.now; the root's CRL covers them and the PCK CA. */
	k = signed_json(&c, "TCB Info", "tcbinfo.json", "tcbinfo-chain.pem", "tcbInfo", &tcb, &tcb_signer);
	if (k < 0)
		return k;
	k = signed_json(&c, "QE Identity", "qeidentity.json", "qeidentity-chain.pem", "enclaveIdentity",
			&qe, &qe_signer);
	if (k < 0)
		return k;
	if (root) {
		X509 *certs[] = { pca, tcb_signer, qe_signer };
		const char *const names[] = { "PCK CA certificate", "TCB Signing certificate (TCB Info)",
					      "TCB Signing certificate (QE Identity)" };

		k = check_crl(&c, "Intel SGX Root CA CRL", "rootcrl.der", root, certs, names, 3,
			      &tc->root_crl_next);
		if (k < 0)
			return k;
	}
	if (pca) {
		X509 *certs[] = { pck };
		const char *const names[] = { "PCK certificate" };

		k = check_crl(&c, "PCK CRL", "pckcrl.der", pca, certs, names, 1, &tc->pck_crl_next);
		if (k < 0)
			return k;
	} else {
		coll_fail(&c, CVM_STATUS_INVALID, "the PCK chain has no PCK CA to check the PCK CRL "
			  "against");
	}
	if (tcb) {
		k = eval_tcb_info(&c, tcb, &r->pck, &r->quote.body);
		if (k < 0)
			return k;
	}
	if (qe) {
		k = eval_qe_identity(&c, qe, &r->quote);
		if (k < 0)
			return k;
	}
	if (c.failed || !tcb || !qe)
		return 0;

	/* QE status converges into the platform's (QVL convergeTcbStatusWithQeTcbStatus). */
	if (tc->tcb_status != TDX_TCB_NOT_SUPPORTED && tc->tcb_status != TDX_TCB_REVOKED) {
		if (tc->qe_status == TDX_TCB_OUT_OF_DATE)
			tc->tcb_status = converge_out_of_date(tc->tcb_status);
		else if (tc->qe_status == TDX_TCB_REVOKED)
			tc->tcb_status = TDX_TCB_REVOKED;
		else if (tc->qe_status == TDX_TCB_NOT_SUPPORTED)
			tc->tcb_status = TDX_TCB_NOT_SUPPORTED;
	}
	tc->checked = true;
	if (tc->tcb_status == TDX_TCB_REVOKED)
		result_error(r, CVM_STATUS_INVALID, "TDX TCB status is Revoked (Intel's TCB Info%s): "
			     "this platform's TCB must not be trusted",
			     tc->qe_status == TDX_TCB_REVOKED ? ", QE Identity" : "");
	else if (tc->tcb_status == TDX_TCB_NOT_SUPPORTED)
		result_error(r, CVM_STATUS_INVALID, "TDX TCB status: no TCB level of Intel's TCB Info "
			     "matches this platform's TCB (TCB not supported)");
	return 0;
}

void tdx_fmt_date(time_t t, char out[32])
{
	fmt_date(t, out);
}
