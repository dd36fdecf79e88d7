// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest verify */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli-util.h"

static void verify_help(void)
{
	printf("Usage: cvmattest verify [OPTIONS] EVIDENCE\n"
	       "\n"
	       "Verify evidence offline: an SEV-SNP report, a TDX quote (v4/v5), a TDREPORT,\n"
	       "or an Azure HCL report, as binary or hex text (0x prefix allowed).\n"
	       "EVIDENCE '-' reads stdin.\n"
	       "\n"
	       "Certificates and trust:\n"
	       "      --certs FILE           VCEK/VLEK/ASK as PEM, DER or an SNP certificate\n"
	       "                             table (repeatable)\n"
	       "      --cache-dir DIR        look for DIR/vcek/<chip-id>/<tcb>.der and TDX\n"
	       "                             collateral in DIR/tdx/<fmspc>/\n"
	       "                             (default " CVM_DEFAULT_CACHE_DIR ")\n"
	       "      --no-cache             do not look in a cache directory\n"
	       "      --crl FILE             AMD's CRL (KDS /vcek/v1/<product>/crl, DER or PEM),\n"
	       "                             signed by the report's ARK (repeatable, one per\n"
	       "                             product); default: the cache's crl/<product>.crl\n"
	       "      --amd-roots FILE|DIR   trust these AMD ARK/ASKs INSTEAD of the built-in ones\n"
	       "      --intel-root FILE      trust this root INSTEAD of the built-in Intel SGX Root CA\n"
	       "      --collateral FILE|DIR  TDX: Intel TCB Info, QE Identity and CRLs from DIR\n"
	       "                             or a JSON bundle FILE (default: CACHE/tdx/<FMSPC>/\n"
	       "                             if 'cvmattest fetch' stored them there)\n"
	       "      --at TIME              check certificate and collateral validity at TIME\n"
	       "                             (seconds since the epoch, or YYYY-MM-DD[THH:MM:SS])\n"
	       "                             instead of now\n"
	       "      --format FORMAT        snp-report, tdx-quote, tdx-tdreport, azure-hcl\n"
	       "                             (default: detected)\n"
	       "      --td-quote FILE        Azure TDX HCL report: the TD quote of its TDREPORT\n"
	       "                             (IMDS /acc/tdquote, binary or hex text); when it\n"
	       "                             verifies and matches, the report is verified\n"
	       "      --tpm-quote FILE       Azure HCL report: the vTPM's TPM2_Quote, checked\n"
	       "                             with the claims' HCLAkPub (az-cvm-vtpm's file)\n"
	       "      --nonce HEX            the TPM quote's expected extraData (1-64 bytes)\n"
	       "\n"
	       "Policy (flags add to or override --policy):\n"
	       "      --policy FILE          JSON policy\n"
	       "      --allow-debug          accept debuggable guests\n"
	       "      --report-data HEX      expected REPORT_DATA (zero-padded to 64 bytes)\n"
	       "      --report-data-file F   expected REPORT_DATA from a file (<= 64 bytes)\n"
	       "      --measurement HEX      accepted SNP MEASUREMENT / TDX MRTD (repeatable)\n"
	       "      --mrtd HEX             same as --measurement\n"
	       "      --min-tcb SPEC         SNP minimum REPORTED_TCB, e.g.\n"
	       "                             bl=3,tee=0,snp=8,ucode=115[,fmc=0]\n"
	       "      --vmpl LIST            allowed SNP VMPLs, e.g. 0 or 0,2\n"
	       "      --min-tee-tcb-svn HEX  TDX minimum TEE_TCB_SVN (16 bytes, per byte)\n"
	       "      --rtmr N=HEX           expected TDX RTMR N (0-3) (repeatable)\n"
	       "      --tdx-tcb-status LIST  TDX TCB statuses accepted with collateral, e.g.\n"
	       "                             UpToDate,SWHardeningNeeded (default UpToDate)\n"
	       "      --min-tcb-eval-num N   minimum tcbEvaluationDataNumber of the collateral\n"
	       "\n"
	       "More SEV-SNP fields (HEX lists: any one may match; options repeatable):\n"
	       "      --id-key-digest HEX    accepted ID_KEY_DIGEST (48 bytes)\n"
	       "      --author-key-digest HEX  accepted AUTHOR_KEY_DIGEST (48 bytes)\n"
	       "      --require-id-key       an ID key must have signed the ID block\n"
	       "      --require-author-key   an author key too (SIGNER_INFO AUTHOR_KEY_EN)\n"
	       "      --family-id HEX        accepted FAMILY_ID (16 bytes)\n"
	       "      --image-id HEX         accepted IMAGE_ID (16 bytes)\n"
	       "      --min-launch-tcb SPEC  minimum LAUNCH_TCB, SPEC as for --min-tcb\n"
	       "      --min-committed-tcb SPEC  minimum COMMITTED_TCB\n"
	       "      --min-current-tcb SPEC minimum CURRENT_TCB\n"
	       "      --min-guest-svn N      minimum GUEST_SVN\n"
	       "      --guest-policy BITS    required POLICY bits: names, 'no-' for clear:\n"
	       "                             smt migrate-ma single-socket cxl-allow\n"
	       "                             mem-aes-256-xts rapl-dis ciphertext-hiding\n"
	       "                             page-swap-disable; or VALUE/MASK\n"
	       "      --min-policy-abi MAJOR.MINOR  minimum ABI the POLICY demands\n"
	       "      --platform-info BITS   required PLATFORM_INFO bits, e.g. no-smt,tsme:\n"
	       "                             smt tsme ecc rapl-dis ciphertext-hiding\n"
	       "                             alias-check-complete tio; or VALUE/MASK\n"
	       "      --min-report-version N minimum report VERSION\n"
	       "\n"
	       "More TDX fields:\n"
	       "      --mrseam HEX           accepted MRSEAM (48 bytes, repeatable)\n"
	       "      --mrsignerseam HEX     accepted MRSIGNERSEAM (repeatable)\n"
	       "      --mrconfigid HEX       accepted MRCONFIGID (repeatable)\n"
	       "      --mrowner HEX          accepted MROWNER (repeatable)\n"
	       "      --mrownerconfig HEX    accepted MROWNERCONFIG (repeatable)\n"
	       "      --td-attributes VALUE/MASK  required TD_ATTRIBUTES bits, e.g.\n"
	       "                             0x10000000/0xf0000000\n"
	       "      --xfam VALUE/MASK      required XFAM bits\n"
	       "      --min-qe-svn N         minimum QE report ISVSVN (quotes)\n"
	       "      --min-pce-svn N        minimum PCE SVN of the quote header (quotes)\n"
	       "\n"
	       "Output:\n"
	       "      --json                 one JSON object on stdout\n"
	       "  -q, --quiet                print nothing; the exit status tells\n"
	       "  -v, --verbose              more messages on stderr (twice: debug)\n"
	       "  -h, --help                 this text\n"
	       "\n"
	       "Exit status (cvmattest(1)): 0 verified and policy satisfied; 1 usage or I/O error;\n"
	       "2 signature, certificate chain or binding invalid; 3 valid but policy not\n"
	       "satisfied; 4 malformed or unsupported evidence; 5 well-formed but a\n"
	       "signature could not be checked (no VCEK, or a TDREPORT without --td-quote),\n"
	       "or the CRL is stale.\n"
	       "See cvmattest-verify(1).\n");
}

enum {
	OPT_CERTS = 0x100,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_AMD_ROOTS,
	OPT_INTEL_ROOT,
	OPT_AT,
	OPT_FORMAT,
	OPT_POLICY,
	OPT_ALLOW_DEBUG,
	OPT_REPORT_DATA,
	OPT_REPORT_DATA_FILE,
	OPT_MEASUREMENT,
	OPT_MIN_TCB,
	OPT_VMPL,
	OPT_MIN_TEE_TCB_SVN,
	OPT_RTMR,
	OPT_COLLATERAL,
	OPT_TDX_TCB_STATUS,
	OPT_MIN_TCB_EVAL_NUM,
};

/*
 * Issue 19: the other report fields, in a block of their own (options,
 * storage, parsing, policy, applicability).
 */
enum {
	OPT_F_ID_KEY_DIGEST = 0x300,
	OPT_F_AUTHOR_KEY_DIGEST,
	OPT_F_REQUIRE_ID_KEY,
	OPT_F_REQUIRE_AUTHOR_KEY,
	OPT_F_FAMILY_ID,
	OPT_F_IMAGE_ID,
	OPT_F_MIN_LAUNCH_TCB,
	OPT_F_MIN_COMMITTED_TCB,
	OPT_F_MIN_CURRENT_TCB,
	OPT_F_MIN_GUEST_SVN,
	OPT_F_GUEST_POLICY,
	OPT_F_MIN_POLICY_ABI,
	OPT_F_PLATFORM_INFO,
	OPT_F_MIN_REPORT_VERSION,
	OPT_F_MRSEAM,
	OPT_F_MRSIGNERSEAM,
	OPT_F_MRCONFIGID,
	OPT_F_MROWNER,
	OPT_F_MROWNERCONFIG,
	OPT_F_TD_ATTRIBUTES,
	OPT_F_XFAM,
	OPT_F_MIN_QE_SVN,
	OPT_F_MIN_PCE_SVN,
};

#define FIELD_LONG_OPTIONS \
	{ "id-key-digest", required_argument, NULL, OPT_F_ID_KEY_DIGEST }, \
	{ "author-key-digest", required_argument, NULL, OPT_F_AUTHOR_KEY_DIGEST }, \
	{ "require-id-key", no_argument, NULL, OPT_F_REQUIRE_ID_KEY }, \
	{ "require-author-key", no_argument, NULL, OPT_F_REQUIRE_AUTHOR_KEY }, \
	{ "family-id", required_argument, NULL, OPT_F_FAMILY_ID }, \
	{ "image-id", required_argument, NULL, OPT_F_IMAGE_ID }, \
	{ "min-launch-tcb", required_argument, NULL, OPT_F_MIN_LAUNCH_TCB }, \
	{ "min-committed-tcb", required_argument, NULL, OPT_F_MIN_COMMITTED_TCB }, \
	{ "min-current-tcb", required_argument, NULL, OPT_F_MIN_CURRENT_TCB }, \
	{ "min-guest-svn", required_argument, NULL, OPT_F_MIN_GUEST_SVN }, \
	{ "guest-policy", required_argument, NULL, OPT_F_GUEST_POLICY }, \
	{ "min-policy-abi", required_argument, NULL, OPT_F_MIN_POLICY_ABI }, \
	{ "platform-info", required_argument, NULL, OPT_F_PLATFORM_INFO }, \
	{ "min-report-version", required_argument, NULL, OPT_F_MIN_REPORT_VERSION }, \
	{ "mrseam", required_argument, NULL, OPT_F_MRSEAM }, \
	{ "mrsignerseam", required_argument, NULL, OPT_F_MRSIGNERSEAM }, \
	{ "mrconfigid", required_argument, NULL, OPT_F_MRCONFIGID }, \
	{ "mrowner", required_argument, NULL, OPT_F_MROWNER }, \
	{ "mrownerconfig", required_argument, NULL, OPT_F_MROWNERCONFIG }, \
	{ "td-attributes", required_argument, NULL, OPT_F_TD_ATTRIBUTES }, \
	{ "xfam", required_argument, NULL, OPT_F_XFAM }, \
	{ "min-qe-svn", required_argument, NULL, OPT_F_MIN_QE_SVN }, \
	{ "min-pce-svn", required_argument, NULL, OPT_F_MIN_PCE_SVN }

struct field_options {
	struct {
		enum cvm_policy_field field;
		uint8_t value[48];
	} values[CLI_MAX_REPEAT];
	size_t n_values;
	bool has_tcb[CVM_SNP_TCB_KIND_COUNT];
	struct cvm_snp_min_tcb tcb[CVM_SNP_TCB_KIND_COUNT];
	bool has_guest_svn;
	uint32_t guest_svn;
	bool has_abi;
	uint8_t abi_major, abi_minor;
	bool has_report_version;
	uint32_t report_version;
	bool require_id_key, require_author_key;
	uint64_t bits_value[CVM_POLICY_BITS_COUNT], bits_mask[CVM_POLICY_BITS_COUNT];
	bool has_qe_svn, has_pce_svn;
	uint16_t qe_svn, pce_svn;
	/* the first option given of each kind, for check_fields_apply() */
	const char *snp_only, *tdx_only, *quote_only, *fmc_opt;
};

static int parse_uint_arg(const char *opt, const char *s, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || *ret > max)
		return usage_error("%s: expected a number from 0 to %lu, not \"%s\"", opt, max, s);
	return 0;
}

/* -1: not one of these; 0: taken; > 0: an exit status. */
static int field_opt(int c, const char *arg, struct field_options *f)
{
	static const struct {
		int opt;
		const char *name;
		enum cvm_policy_field field;
	} hex[] = {
		{ OPT_F_ID_KEY_DIGEST, "--id-key-digest", CVM_POLICY_SNP_ID_KEY_DIGEST },
		{ OPT_F_AUTHOR_KEY_DIGEST, "--author-key-digest", CVM_POLICY_SNP_AUTHOR_KEY_DIGEST },
		{ OPT_F_FAMILY_ID, "--family-id", CVM_POLICY_SNP_FAMILY_ID },
		{ OPT_F_IMAGE_ID, "--image-id", CVM_POLICY_SNP_IMAGE_ID },
		{ OPT_F_MRSEAM, "--mrseam", CVM_POLICY_TDX_MRSEAM },
		{ OPT_F_MRSIGNERSEAM, "--mrsignerseam", CVM_POLICY_TDX_MRSIGNERSEAM },
		{ OPT_F_MRCONFIGID, "--mrconfigid", CVM_POLICY_TDX_MRCONFIGID },
		{ OPT_F_MROWNER, "--mrowner", CVM_POLICY_TDX_MROWNER },
		{ OPT_F_MROWNERCONFIG, "--mrownerconfig", CVM_POLICY_TDX_MROWNERCONFIG },
	};
	static const struct {
		int opt;
		const char *name;
		enum cvm_snp_tcb_kind kind;
	} tcb[] = {
		{ OPT_F_MIN_LAUNCH_TCB, "--min-launch-tcb", CVM_SNP_TCB_LAUNCH },
		{ OPT_F_MIN_COMMITTED_TCB, "--min-committed-tcb", CVM_SNP_TCB_COMMITTED },
		{ OPT_F_MIN_CURRENT_TCB, "--min-current-tcb", CVM_SNP_TCB_CURRENT },
	};
	static const struct {
		int opt;
		const char *name;
		enum cvm_policy_bits bits;
		const char *form;
	} bits[] = {
		{ OPT_F_GUEST_POLICY, "--guest-policy", CVM_POLICY_SNP_GUEST_POLICY,
		  "a list of smt, migrate-ma, single-socket, cxl-allow, mem-aes-256-xts, rapl-dis, "
		  "ciphertext-hiding, page-swap-disable (each 'no-NAME' for clear), or VALUE/MASK "
		  "such as 0x100000/0x110000" },
		{ OPT_F_PLATFORM_INFO, "--platform-info", CVM_POLICY_SNP_PLATFORM_INFO,
		  "a list of smt, tsme, ecc, rapl-dis, ciphertext-hiding, alias-check-complete, tio "
		  "(each 'no-NAME' for clear), e.g. no-smt,tsme, or VALUE/MASK such as 0x2/0x3" },
		{ OPT_F_TD_ATTRIBUTES, "--td-attributes", CVM_POLICY_TDX_TD_ATTRIBUTES,
		  "VALUE/MASK with VALUE inside MASK, e.g. 0x10000000/0xf0000000" },
		{ OPT_F_XFAM, "--xfam", CVM_POLICY_TDX_XFAM,
		  "VALUE/MASK with VALUE inside MASK, e.g. 0x61ae7/0xffffffff" },
	};
	unsigned long n;

	for (size_t i = 0; i < ELEMENTSOF(hex); i++) {
		size_t len;

		if (c != hex[i].opt)
			continue;
		len = cvm_policy_field_len(hex[i].field);
		if (f->n_values >= ELEMENTSOF(f->values))
			return usage_error("too many accepted values (%s)", hex[i].name);
		if (cvm_hex_decode_fixed(arg, f->values[f->n_values].value, len, NULL, true) < 0)
			return usage_error("%s: %zu bytes of hex (%zu hex digits) expected", hex[i].name,
					   len, 2 * len);
		f->values[f->n_values++].field = hex[i].field;
		if (hex[i].field <= CVM_POLICY_SNP_IMAGE_ID)
			f->snp_only = f->snp_only ? f->snp_only : hex[i].name;
		else
			f->tdx_only = f->tdx_only ? f->tdx_only : hex[i].name;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(tcb); i++) {
		if (c != tcb[i].opt)
			continue;
		if (cvm_snp_min_tcb_parse(arg, &f->tcb[tcb[i].kind]) < 0)
			return usage_error("%s: expected e.g. bl=3,tee=0,snp=8,ucode=115[,fmc=0]", tcb[i].name);
		f->has_tcb[tcb[i].kind] = true;
		f->snp_only = f->snp_only ? f->snp_only : tcb[i].name;
		if (f->tcb[tcb[i].kind].fmc >= 0 && !f->fmc_opt)
			f->fmc_opt = tcb[i].name;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(bits); i++) {
		uint64_t v, m;

		if (c != bits[i].opt)
			continue;
		if (cvm_policy_bits_parse(bits[i].bits, arg, &v, &m) < 0)
			return usage_error("%s: \"%s\" is not %s", bits[i].name, arg, bits[i].form);
		f->bits_value[bits[i].bits] = (f->bits_value[bits[i].bits] & ~m) | v;
		f->bits_mask[bits[i].bits] |= m;
		if (bits[i].bits <= CVM_POLICY_SNP_PLATFORM_INFO)
			f->snp_only = f->snp_only ? f->snp_only : bits[i].name;
		else
			f->tdx_only = f->tdx_only ? f->tdx_only : bits[i].name;
		return 0;
	}
	switch (c) {
	case OPT_F_REQUIRE_ID_KEY:
		f->require_id_key = true;
		f->snp_only = f->snp_only ? f->snp_only : "--require-id-key";
		return 0;
	case OPT_F_REQUIRE_AUTHOR_KEY:
		f->require_author_key = true;
		f->snp_only = f->snp_only ? f->snp_only : "--require-author-key";
		return 0;
	case OPT_F_MIN_GUEST_SVN:
		if (parse_uint_arg("--min-guest-svn", arg, UINT32_MAX, &n))
			return EXIT_USAGE;
		f->has_guest_svn = true;
		f->guest_svn = (uint32_t)n;
		f->snp_only = f->snp_only ? f->snp_only : "--min-guest-svn";
		return 0;
	case OPT_F_MIN_REPORT_VERSION:
		if (parse_uint_arg("--min-report-version", arg, UINT32_MAX, &n))
			return EXIT_USAGE;
		f->has_report_version = true;
		f->report_version = (uint32_t)n;
		f->snp_only = f->snp_only ? f->snp_only : "--min-report-version";
		return 0;
	case OPT_F_MIN_POLICY_ABI: {
		unsigned major, minor;
		char end;

		if (arg[0] < '0' || arg[0] > '9' || sscanf(arg, "%u.%u%c", &major, &minor, &end) != 2 ||
		    major > 255 || minor > 255)
			return usage_error("--min-policy-abi: expected MAJOR.MINOR (0-255 each), e.g. 1.51");
		f->has_abi = true;
		f->abi_major = (uint8_t)major;
		f->abi_minor = (uint8_t)minor;
		f->snp_only = f->snp_only ? f->snp_only : "--min-policy-abi";
		return 0;
	}
	case OPT_F_MIN_QE_SVN:
	case OPT_F_MIN_PCE_SVN: {
		const char *name = c == OPT_F_MIN_QE_SVN ? "--min-qe-svn" : "--min-pce-svn";

		if (parse_uint_arg(name, arg, UINT16_MAX, &n))
			return EXIT_USAGE;
		if (c == OPT_F_MIN_QE_SVN) {
			f->has_qe_svn = true;
			f->qe_svn = (uint16_t)n;
		} else {
			f->has_pce_svn = true;
			f->pce_svn = (uint16_t)n;
		}
		f->tdx_only = f->tdx_only ? f->tdx_only : name;
		f->quote_only = f->quote_only ? f->quote_only : name;
		return 0;
	}
	default:
		return -1;
	}
}

static int apply_field_options(struct cvm_policy *p, const struct field_options *f)
{
	for (size_t i = 0; i < f->n_values; i++)
		if (cvm_policy_add_value(p, f->values[i].field, f->values[i].value,
					 cvm_policy_field_len(f->values[i].field)) < 0)
			return usage_error("too many accepted values for one field (at most 16 with the "
					   "policy file's)");
	for (int k = 0; k < CVM_SNP_TCB_KIND_COUNT; k++)
		if (f->has_tcb[k])
			cvm_policy_set_snp_min_tcb_of(p, (enum cvm_snp_tcb_kind)k, &f->tcb[k]);
	if (f->has_guest_svn)
		cvm_policy_set_snp_min_guest_svn(p, f->guest_svn);
	if (f->has_report_version)
		cvm_policy_set_snp_min_report_version(p, f->report_version);
	if (f->has_abi)
		cvm_policy_set_snp_min_policy_abi(p, f->abi_major, f->abi_minor);
	if (f->require_id_key)
		cvm_policy_set_snp_require_id_key(p, true);
	if (f->require_author_key)
		cvm_policy_set_snp_require_author_key(p, true);
	for (int b = 0; b < CVM_POLICY_BITS_COUNT; b++)
		if (f->bits_mask[b])
			cvm_policy_set_bits(p, (enum cvm_policy_bits)b, f->bits_value[b], f->bits_mask[b]);
	if (f->has_qe_svn)
		cvm_policy_set_tdx_min_qe_svn(p, f->qe_svn);
	if (f->has_pce_svn)
		cvm_policy_set_tdx_min_pce_svn(p, f->pce_svn);
	return 0;
}

/* As check_options_apply() below, for these options. */
static int check_fields_apply(const struct field_options *f, const struct cvm_result *result, bool tdx,
			      bool quote, const char *what)
{
	const struct cvm_snp_report *snp = cvm_result_snp_report(result);

	if (tdx && f->snp_only)
		return usage_error("%s applies to SEV-SNP reports, not to %s", f->snp_only, what);
	if (!tdx && f->tdx_only)
		return usage_error("%s applies to TDX quotes and TDREPORTs, not to %s", f->tdx_only, what);
	if (tdx && f->quote_only && !quote)
		return usage_error("%s applies to TDX quotes (the QE report and the quote header), not "
				   "to %s", f->quote_only, what);
	if (f->fmc_opt && snp && snp->product != CVM_SNP_PRODUCT_UNKNOWN && !snp->reported_tcb.turin)
		return usage_error("%s fmc= applies to Turin reports (FMC SPL), not to this %s report",
				   f->fmc_opt, cvm_snp_product_name(snp->product));
	return 0;
}
/* AMD CRL (issue 19): its own block, apart from the policy options. */
enum {
	OPT_CRL = 0x180,
};
/* Issue 19: evidence that completes the one verified. */
enum {
	OPT_TD_QUOTE = 0x1a0,
	OPT_TPM_QUOTE,
	OPT_NONCE,
};
#define VERIFY_CRL_MAX 8

static int parse_time(const char *s, time_t *ret)
{
	struct tm tm = { 0 };
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!errno && end != s && !*end && v > 0) {
		*ret = (time_t)v;
		return 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || (*end && strcmp(end, "Z") != 0))
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

static int parse_vmpls(const char *s, uint32_t *mask)
{
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	*mask = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strlen(t) != 1 || t[0] < '0' || t[0] > '3')
			return -EINVAL;
		*mask |= 1u << (t[0] - '0');
	}
	return *mask ? 0 : -EINVAL;
}

/* What the command line asks for.  The policy settings apply after --policy, whatever
 * their order. */
struct verify_options {
	const char *evidence;
	/* certificates and trust */
	const char *certs[32];
	size_t n_certs;
	const char *cache_dir;
	const char *amd_roots;
	const char *intel_root;
	const char *collateral;
	const char *crls[VERIFY_CRL_MAX];	/* --crl */
	size_t n_crls;
	time_t at;
	enum cvm_format format;
	const char *td_quote;		/* --td-quote */
	const char *tpm_quote;		/* --tpm-quote */
	bool has_nonce;
	uint8_t nonce[64];
	size_t nonce_len;
	/* policy */
	const char *policy_path;
	bool allow_debug;
	bool has_report_data;
	uint8_t report_data[64];
	size_t report_data_len;
	const char *report_data_file;	/* read when it runs */
	uint8_t measurements[CLI_MAX_REPEAT][48];
	size_t n_measurements;
	bool has_min_tcb;
	struct cvm_snp_min_tcb min_tcb;
	uint32_t vmpl_mask;		/* 0: not given */
	bool has_min_svn;
	uint8_t min_svn[16];
	bool has_rtmr[4];
	uint8_t rtmrs[4][48];
	struct field_options fields;	/* issue 19 */
	const char *tdx_tcb_status;
	bool has_min_tcb_eval_num;
	uint32_t min_tcb_eval_num;
};

/* 0, an exit status (> 0), or CLI_PARSE_DONE (--help shown). */
static int verify_parse(int argc, char **argv, struct cli_common *common, struct verify_options *o)
{
	static const struct option options[] = {
		{ "certs", required_argument, NULL, OPT_CERTS },
		{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "crl", required_argument, NULL, OPT_CRL },
		{ "amd-roots", required_argument, NULL, OPT_AMD_ROOTS },
		{ "intel-root", required_argument, NULL, OPT_INTEL_ROOT },
		{ "at", required_argument, NULL, OPT_AT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "td-quote", required_argument, NULL, OPT_TD_QUOTE },
		{ "tpm-quote", required_argument, NULL, OPT_TPM_QUOTE },
		{ "nonce", required_argument, NULL, OPT_NONCE },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "allow-debug", no_argument, NULL, OPT_ALLOW_DEBUG },
		{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
		{ "report-data-file", required_argument, NULL, OPT_REPORT_DATA_FILE },
		{ "measurement", required_argument, NULL, OPT_MEASUREMENT },
		{ "mrtd", required_argument, NULL, OPT_MEASUREMENT },
		{ "min-tcb", required_argument, NULL, OPT_MIN_TCB },
		{ "vmpl", required_argument, NULL, OPT_VMPL },
		{ "min-tee-tcb-svn", required_argument, NULL, OPT_MIN_TEE_TCB_SVN },
		{ "rtmr", required_argument, NULL, OPT_RTMR },
		FIELD_LONG_OPTIONS,
		{ "collateral", required_argument, NULL, OPT_COLLATERAL },
		{ "tdx-tcb-status", required_argument, NULL, OPT_TDX_TCB_STATUS },
		{ "min-tcb-eval-num", required_argument, NULL, OPT_MIN_TCB_EVAL_NUM },
		CLI_JSON_LONG_OPTION,
		CLI_COMMON_LONG_OPTIONS,
		{}
	};
	/* Checked once all are seen: the last of a repeated one counts. */
	const char *measurements[CLI_MAX_REPEAT], *rtmrs[4] = { 0 };
	const char *report_data_hex = NULL, *min_tcb = NULL, *vmpls = NULL, *min_svn = NULL;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->cache_dir = CVM_DEFAULT_CACHE_DIR;
	o->format = CVM_FORMAT_UNKNOWN;
	optind = 0;
	while ((c = getopt_long(argc, argv, "qvh", options, NULL)) >= 0) {
		if (cli_common_opt(common, c))
			continue;
		r = field_opt(c, optarg, &o->fields);
		if (r >= 0) {
			if (r)
				return r;
			continue;
		}
		switch (c) {
		case OPT_CERTS:
			if (o->n_certs >= ELEMENTSOF(o->certs))
				return usage_error("too many --certs");
			o->certs[o->n_certs++] = optarg;
			break;
		case OPT_CACHE_DIR:
			o->cache_dir = optarg;
			break;
		case OPT_NO_CACHE:
			o->cache_dir = NULL;
			break;
		case OPT_CRL:
			if (o->n_crls >= ELEMENTSOF(o->crls))
				return usage_error("too many --crl (at most %d, one per product)",
						   VERIFY_CRL_MAX);
			o->crls[o->n_crls++] = optarg;
			break;
		case OPT_AMD_ROOTS:
			o->amd_roots = optarg;
			break;
		case OPT_INTEL_ROOT:
			o->intel_root = optarg;
			break;
		case OPT_AT:
			if (parse_time(optarg, &o->at) < 0)
				return usage_error("--at: \"%s\" is not a time", optarg);
			break;
		case OPT_FORMAT:
			if (cvm_format_from_name(optarg, &o->format) < 0)
				return usage_error("--format: unknown format \"%s\"", optarg);
			break;
		case OPT_TD_QUOTE:
			o->td_quote = optarg;
			break;
		case OPT_TPM_QUOTE:
			o->tpm_quote = optarg;
			break;
		case OPT_NONCE:
			if (cvm_hex_decode_fixed(optarg, o->nonce, 64, &o->nonce_len, false) < 0 || !o->nonce_len)
				return usage_error("--nonce: hex of 1 to 64 bytes expected");
			o->has_nonce = true;
			break;
		case OPT_POLICY:
			o->policy_path = optarg;
			break;
		case OPT_ALLOW_DEBUG:
			o->allow_debug = true;
			break;
		case OPT_REPORT_DATA:
			report_data_hex = optarg;
			break;
		case OPT_REPORT_DATA_FILE:
			o->report_data_file = optarg;
			break;
		case OPT_MEASUREMENT:
			if (o->n_measurements >= ELEMENTSOF(measurements))
				return usage_error("too many --measurement");
			measurements[o->n_measurements++] = optarg;
			break;
		case OPT_MIN_TCB:
			min_tcb = optarg;
			break;
		case OPT_VMPL:
			vmpls = optarg;
			break;
		case OPT_MIN_TEE_TCB_SVN:
			min_svn = optarg;
			break;
		case OPT_RTMR:
			if (optarg[0] < '0' || optarg[0] > '3' || optarg[1] != '=')
				return usage_error("--rtmr: expected N=HEX with N from 0 to 3");
			rtmrs[optarg[0] - '0'] = optarg + 2;
			break;
		case OPT_COLLATERAL:
			o->collateral = optarg;
			break;
		case OPT_TDX_TCB_STATUS: {
			_cleanup_(cvm_policy_freep) struct cvm_policy *probe = NULL;

			if (cvm_policy_new(&probe) < 0 || cvm_policy_set_tdx_tcb_statuses(probe, optarg) < 0)
				return usage_error("--tdx-tcb-status: expected a list of UpToDate, "
						   "SWHardeningNeeded, ConfigurationNeeded, "
						   "ConfigurationAndSWHardeningNeeded, OutOfDate, "
						   "OutOfDateConfigurationNeeded, TDRelaunchAdvised, "
						   "TDRelaunchAdvisedConfigurationNeeded (Revoked is never accepted)");
			o->tdx_tcb_status = optarg;
			break;
		}
		case OPT_MIN_TCB_EVAL_NUM: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > UINT32_MAX || optarg[0] == '-')
				return usage_error("--min-tcb-eval-num: expected a number");
			o->min_tcb_eval_num = (uint32_t)v;
			o->has_min_tcb_eval_num = true;
			break;
		}
		case 'h':
			verify_help();
			return CLI_PARSE_DONE;
		default:
			return cli_bad_option(argv[0], EXIT_USAGE);
		}
	}
	if (optind != argc - 1)
		return usage_error("expected one EVIDENCE file; see 'cvmattest verify --help'");
	o->evidence = argv[optind];
	if (o->td_quote && strcmp(o->td_quote, "-") == 0 && strcmp(o->evidence, "-") == 0)
		return usage_error("--td-quote - and EVIDENCE - cannot both read stdin");
	if (o->tpm_quote && strcmp(o->tpm_quote, "-") == 0 &&
	    (strcmp(o->evidence, "-") == 0 || (o->td_quote && strcmp(o->td_quote, "-") == 0)))
		return usage_error("--tpm-quote - and another input cannot both read stdin");
	if (o->has_nonce && !o->tpm_quote)
		return usage_error("--nonce is the TPM quote's: it needs --tpm-quote");
	if (report_data_hex && o->report_data_file)
		return usage_error("--report-data and --report-data-file exclude each other");

	if (report_data_hex) {
		if (cvm_hex_decode_fixed(report_data_hex, o->report_data, 64, &o->report_data_len,
					 false) < 0)
			return usage_error("--report-data: hex of 1 to 64 bytes expected");
		o->has_report_data = true;
	}
	for (size_t i = 0; i < o->n_measurements; i++)
		if (cvm_hex_decode_fixed(measurements[i], o->measurements[i], 48, NULL, true) < 0)
			return usage_error("--measurement: 48 bytes of hex expected");
	if (min_tcb) {
		if (cvm_snp_min_tcb_parse(min_tcb, &o->min_tcb) < 0)
			return usage_error("--min-tcb: expected e.g. bl=3,tee=0,snp=8,ucode=115");
		o->has_min_tcb = true;
	}
	if (vmpls && parse_vmpls(vmpls, &o->vmpl_mask) < 0)
		return usage_error("--vmpl: expected a list of VMPLs 0-3, e.g. 0,1");
	if (min_svn) {
		if (cvm_hex_decode_fixed(min_svn, o->min_svn, 16, NULL, true) < 0)
			return usage_error("--min-tee-tcb-svn: 16 bytes of hex expected");
		o->has_min_svn = true;
	}
	for (unsigned i = 0; i < 4; i++) {
		if (!rtmrs[i])
			continue;
		if (cvm_hex_decode_fixed(rtmrs[i], o->rtmrs[i], 48, NULL, true) < 0)
			return usage_error("--rtmr %u: 48 bytes of hex expected", i);
		o->has_rtmr[i] = true;
	}
	return 0;
}

/* The policy file, then what the command line adds to or overrides in it. */
static int make_policy(struct cvm_ctx *ctx, const struct verify_options *o,
		       struct cvm_policy **ret)
{
	_cleanup_(cvm_policy_freep) struct cvm_policy *policy = NULL;

	if (cvm_policy_new(&policy) < 0)
		return usage_error("out of memory");
	if (o->policy_path && cvm_policy_load_file(ctx, policy, o->policy_path) < 0)
		return EXIT_USAGE;
	if (o->allow_debug)
		cvm_policy_set_allow_debug(policy, true);
	if (o->has_report_data) {
		cvm_policy_set_report_data(policy, o->report_data, o->report_data_len);
	} else if (o->report_data_file) {
		uint8_t rd[64];
		size_t n;

		if (cli_read_small_file(o->report_data_file, rd, 64, &n) < 0)
			return EXIT_USAGE;
		cvm_policy_set_report_data(policy, rd, n);
	}
	for (size_t i = 0; i < o->n_measurements; i++)
		if (cvm_policy_add_measurement(policy, o->measurements[i], 48) < 0)
			return usage_error("too many measurements");
	if (o->has_min_tcb)
		cvm_policy_set_snp_min_tcb(policy, &o->min_tcb);
	if (o->vmpl_mask)
		cvm_policy_set_vmpl_mask(policy, o->vmpl_mask);
	if (o->has_min_svn)
		cvm_policy_set_min_tee_tcb_svn(policy, o->min_svn, 16);
	for (unsigned i = 0; i < 4; i++)
		if (o->has_rtmr[i])
			cvm_policy_set_rtmr(policy, i, o->rtmrs[i], 48);
	if (apply_field_options(policy, &o->fields))
		return EXIT_USAGE;
	if (o->tdx_tcb_status)
		cvm_policy_set_tdx_tcb_statuses(policy, o->tdx_tcb_status);
	if (o->has_min_tcb_eval_num)
		cvm_policy_set_min_tcb_eval_num(policy, o->min_tcb_eval_num);
	*ret = TAKE_PTR(policy);
	return 0;
}

static const char *evidence_name(const struct cvm_result *result, bool tdx)
{
	switch (cvm_result_format(result)) {
	case CVM_FORMAT_TDX_QUOTE:
		return "a TDX quote";
	case CVM_FORMAT_TDX_TDREPORT:
		return "a TDREPORT";
	case CVM_FORMAT_AZURE_HCL:
		return tdx ? "an Azure HCL report (around a TDREPORT)" :
			     "an Azure HCL report (around an SEV-SNP report)";
	default:
		return "an SEV-SNP report";
	}
}

/*
 * A requirement that cannot apply to this evidence would pass unnoticed and
 * the OK would promise what nobody checked: a usage error instead.  (A policy
 * file may hold both an "snp" and a "tdx" section, for a mixed fleet; only
 * options given here are held to this.)
 */
static int check_options_apply(const struct verify_options *o, const struct cvm_result *result)
{
	const char *platform = cvm_result_platform(result);
	const struct cvm_snp_report *snp = cvm_result_snp_report(result);
	bool tdx, quote;
	const char *what;
	int r;

	if (!platform)
		return 0;	/* did not parse far enough: that error says more */
	tdx = strcmp(platform, "tdx") == 0;
	what = evidence_name(result, tdx);
	if (o->tpm_quote && cvm_result_format(result) != CVM_FORMAT_AZURE_HCL)
		return usage_error("--tpm-quote applies to an Azure HCL report (its runtime claims carry the "
				   "AK), not to %s", what);
	if (o->td_quote && (!tdx || cvm_result_format(result) != CVM_FORMAT_AZURE_HCL))
		return usage_error("--td-quote applies to an Azure HCL report around a TDREPORT (it is "
				   "the quote of that TDREPORT), not to %s", what);
	/* With its TD quote, an HCL report is held to what applies to quotes. */
	quote = cvm_result_format(result) == CVM_FORMAT_TDX_QUOTE || o->td_quote;
	r = check_fields_apply(&o->fields, result, tdx, quote, what);
	if (r)
		return r;
	if (tdx) {
		if (o->vmpl_mask)
			return usage_error("--vmpl applies to SEV-SNP reports, not to %s", what);
		if (o->has_min_tcb)
			return usage_error("--min-tcb applies to SEV-SNP reports (REPORTED_TCB), not to %s; "
					   "for TDX see --min-tee-tcb-svn", what);
		if (quote)
			return 0;
	}
	if (o->collateral || o->tdx_tcb_status || o->has_min_tcb_eval_num)
		return usage_error("%s applies to TDX quotes (Intel collateral), not to %s",
				   o->collateral ? "--collateral" : o->tdx_tcb_status ? "--tdx-tcb-status" :
				   "--min-tcb-eval-num", what);
	if (o->has_min_svn)
		return usage_error("--min-tee-tcb-svn applies to TDX quotes and TDREPORTs, not to %s; "
				   "for SEV-SNP see --min-tcb", what);
	for (unsigned i = 0; i < 4; i++)
		if (o->has_rtmr[i])
			return usage_error("--rtmr applies to TDX quotes and TDREPORTs, not to %s", what);
	if (o->has_min_tcb && o->min_tcb.fmc >= 0 && snp && snp->product != CVM_SNP_PRODUCT_UNKNOWN &&
	    !snp->reported_tcb.turin)
		return usage_error("--min-tcb fmc= applies to Turin reports (FMC SPL), not to this %s "
				   "report", cvm_snp_product_name(snp->product));
	return 0;
}

static int verify_run(const struct verify_options *o, const struct cli_common *common)
{
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	_cleanup_(cvm_policy_freep) struct cvm_policy *policy = NULL;
	_cleanup_(cvm_result_freep) struct cvm_result *result = NULL;
	_cleanup_free_ uint8_t *evidence = NULL, *td_quote = NULL, *tpm_quote = NULL;
	_cleanup_free_ char *out = NULL;
	struct cvm_verify_extra extra = { 0 };
	size_t evidence_len;
	int r;

	if (cli_ctx_new(common, &ctx) < 0)
		return EXIT_USAGE;
	if (o->amd_roots && cvm_set_amd_roots(ctx, o->amd_roots) < 0)
		return EXIT_USAGE;
	if (o->intel_root && cvm_set_intel_root(ctx, o->intel_root) < 0)
		return EXIT_USAGE;
	for (size_t i = 0; i < o->n_certs; i++)
		if (cvm_add_certs_file(ctx, o->certs[i]) < 0)
			return EXIT_USAGE;
	if (cvm_set_cache_dir(ctx, o->cache_dir) < 0)
		return usage_error("out of memory");
	if (o->collateral && cvm_set_tdx_collateral(ctx, o->collateral) < 0)
		return usage_error("out of memory");
	/* A CRL that cannot be read is the caller's file: exit 1, named by the library. */
	for (size_t i = 0; i < o->n_crls; i++)
		if (cvm_add_amd_crl_file(ctx, o->crls[i]) < 0)
			return EXIT_USAGE;
	if (o->at)
		cvm_set_verify_time(ctx, o->at);

	r = make_policy(ctx, o, &policy);
	if (r)
		return r;

	r = cli_read_evidence(o->evidence, &evidence, &evidence_len);
	if (r < 0)
		return EXIT_USAGE;

	if (o->td_quote) {
		if (cli_read_evidence(o->td_quote, &td_quote, &extra.td_quote_len) < 0)
			return EXIT_USAGE;
		if (!extra.td_quote_len)
			return usage_error("--td-quote %s is empty", o->td_quote);
		extra.td_quote = td_quote;
	}
	if (o->tpm_quote) {
		if (cli_read_evidence(o->tpm_quote, &tpm_quote, &extra.tpm_quote_len) < 0)
			return EXIT_USAGE;
		if (!extra.tpm_quote_len)
			return usage_error("--tpm-quote %s is empty", o->tpm_quote);
		extra.tpm_quote = tpm_quote;
		if (o->has_nonce) {
			extra.nonce = o->nonce;
			extra.nonce_len = o->nonce_len;
		}
	}

	r = cvm_verify_ex(ctx, evidence, evidence_len, o->format, policy, &extra, &result);
	if (r < 0) {
		fprintf(stderr, "cvmattest: verification could not run: %s\n", strerror(-r));
		return EXIT_USAGE;
	}
	r = check_options_apply(o, result);
	if (r)
		return r;

	if (!common->quiet) {
		r = common->json ? cvm_result_to_json(result, &out) : cvm_result_to_text(result, &out);
		if (r < 0) {
			fprintf(stderr, "cvmattest: %s\n", strerror(-r));
			return EXIT_USAGE;
		}
		if (common->json)
			cli_json_print(out);
		else
			fputs(out, stdout);
		if (fflush(stdout) != 0)
			return EXIT_USAGE;
	}

	switch (cvm_result_status(result)) {
	case CVM_STATUS_OK:
		return EXIT_VERIFIED;
	case CVM_STATUS_POLICY:
		return EXIT_POLICY;
	case CVM_STATUS_UNVERIFIABLE:
		return EXIT_UNVERIFIABLE;
	case CVM_STATUS_INVALID:
		return EXIT_INVALID;
	default:
		return EXIT_MALFORMED;
	}
}

int cmd_verify(int argc, char **argv, struct cli_common *common)
{
	/* About 8 KiB, most of it decoded measurements: fine on the stack. */
	struct verify_options o;
	int r;

	r = verify_parse(argc, argv, common, &o);
	if (r)
		return r == CLI_PARSE_DONE ? 0 : r;
	return verify_run(&o, common);
}
