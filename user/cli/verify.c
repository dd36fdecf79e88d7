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
	       "      --cache-dir DIR        look for DIR/vcek/<chip-id>/<tcb>.der\n"
	       "                             (default " CVM_DEFAULT_CACHE_DIR ")\n"
	       "      --no-cache             do not look in a cache directory\n"
	       "      --crl FILE             AMD's CRL (KDS /vcek/v1/<product>/crl, DER or PEM),\n"
	       "                             signed by the report's ARK (repeatable, one per\n"
	       "                             product); default: the cache's crl/<product>.crl\n"
	       "      --amd-roots FILE|DIR   trust these AMD ARK/ASKs INSTEAD of the built-in ones\n"
	       "      --intel-root FILE      trust this root INSTEAD of the built-in Intel SGX Root CA\n"
	       "      --at TIME              check certificate validity at TIME (seconds since\n"
	       "                             the epoch, or YYYY-MM-DD[THH:MM:SS]) instead of now\n"
	       "      --format FORMAT        snp-report, tdx-quote, tdx-tdreport, azure-hcl\n"
	       "                             (default: detected)\n"
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
	       "signature could not be checked (no VCEK, or a TDREPORT), or the CRL is stale.\n"
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
};

/* AMD CRL (issue 19): its own block, apart from the policy options. */
enum {
	OPT_CRL = 0x180,
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
	const char *crls[VERIFY_CRL_MAX];	/* --crl */
	size_t n_crls;
	time_t at;
	enum cvm_format format;
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
		CLI_JSON_LONG_OPTION,
		CLI_COMMON_LONG_OPTIONS,
		{}
	};
	/* Checked once all are seen: the last of a repeated one counts. */
	const char *measurements[CLI_MAX_REPEAT], *rtmrs[4] = { 0 };
	const char *report_data_hex = NULL, *min_tcb = NULL, *vmpls = NULL, *min_svn = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	o->cache_dir = CVM_DEFAULT_CACHE_DIR;
	o->format = CVM_FORMAT_UNKNOWN;
	optind = 0;
	while ((c = getopt_long(argc, argv, "qvh", options, NULL)) >= 0) {
		if (cli_common_opt(common, c))
			continue;
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
	bool tdx;
	const char *what;

	if (!platform)
		return 0;	/* did not parse far enough: that error says more */
	tdx = strcmp(platform, "tdx") == 0;
	what = evidence_name(result, tdx);
	if (tdx) {
		if (o->vmpl_mask)
			return usage_error("--vmpl applies to SEV-SNP reports, not to %s", what);
		if (o->has_min_tcb)
			return usage_error("--min-tcb applies to SEV-SNP reports (REPORTED_TCB), not to %s; "
					   "for TDX see --min-tee-tcb-svn", what);
		return 0;
	}
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
	_cleanup_free_ uint8_t *evidence = NULL;
	_cleanup_free_ char *out = NULL;
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

	r = cvm_verify(ctx, evidence, evidence_len, o->format, policy, &result);
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
	/* About 4 KiB, most of it decoded measurements: fine on the stack. */
	struct verify_options o;
	int r;

	r = verify_parse(argc, argv, common, &o);
	if (r)
		return r == CLI_PARSE_DONE ? 0 : r;
	return verify_run(&o, common);
}
