// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest fetch: the endorsements `verify` needs offline, into the cache. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-util.h"
#include "net-cli.h"

static void fetch_help(void)
{
	printf("Usage: cvmattest fetch [OPTIONS] REPORT|QUOTE\n"
	       "\n"
	       "Fetch what 'cvmattest verify' needs to verify REPORT offline and store it in\n"
	       "the cache: for an SEV-SNP report (binary or hex, or the one inside an Azure\n"
	       "HCL report) the VCEK for its CHIP_ID and REPORTED_TCB and the ASK/ARK chain\n"
	       "from AMD KDS (KDS/vcek/v1/PRODUCT/HWID?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..,\n"
	       "KDS/vcek/v1/PRODUCT/cert_chain) and AMD's CRL (KDS/vcek/v1/PRODUCT/crl), or\n"
	       "with --imds the chain from Azure IMDS THIM. The VCEK is stored only if it\n"
	       "names the report's chip and TCB; verify still checks it against the ARK.\n"
	       "A VLEK is not served by KDS (only to the cloud provider).\n"
	       "For a TDX quote (binary or hex) Intel's collateral from Intel PCS or a PCCS\n"
	       "(PCS/tdx/certification/v4/tcb?fmspc=FMSPC, PCS/tdx/certification/v4/qe/identity\n"
	       "with their issuer-chain headers, PCS/sgx/certification/v4/pckcrl?ca=platform|\n"
	       "processor&encoding=der) and the Intel SGX Root CA CRL, into CACHE/tdx/FMSPC/;\n"
	       "the quote must verify, and what was served is stored only if it is signed by\n"
	       "Intel (to the trusted root), current and for this FMSPC.\n"
	       "\n"
	       "      --kds URL              AMD KDS base URL (kds_url, default https://kdsintf.amd.com)\n"
	       "      --pcs-url URL          Intel PCS or PCCS base URL (pcs_url, default\n"
	       "                             https://api.trustedservices.intel.com)\n"
	       "      --intel-root FILE      trust this root INSTEAD of the built-in Intel SGX Root CA\n"
	       "      --imds                 from Azure IMDS THIM instead of AMD KDS\n"
	       "      --imds-url URL         instance metadata service (imds_url)\n"
	       "      --product NAME         Milan, Genoa or Turin: a v2 report does not say\n"
	       "      --cache DIR            where to store (cache_dir, default " CVM_DEFAULT_CACHE_DIR ")\n"
	       "      --cache-dir DIR        same as --cache\n"
	       "  -c, --config FILE          configuration file (default " CVM_DEFAULT_CONFIG ")\n"
	       "      --set KEY=VALUE        any configuration setting (repeatable)\n"
	       "      --ca-bundle FILE       CA bundle for TLS (ca_bundle)\n"
	       "      --timeout DURATION     bound on each request, retries included\n"
	       "      --retries N            retries after the first try (retries)\n"
	       "      --json                 what was stored, as one JSON object\n"
	       "  -q, --quiet                no messages but errors\n"
	       "  -v, --verbose              more messages (twice: debug)\n"
	       "  -h, --help                 this text\n"
	       "\n"
	       "Exit status (cvmattest(1)): 0 stored; 1 usage, configuration or local error, or\n"
	       "nothing to fetch (VLEK, TDREPORT); 2 what was served does not fit the report\n"
	       "or is not Intel's current collateral, or the quote does not verify;\n"
	       "6 the service is unreachable or failing.\n"
	       "See cvmattest-fetch(1).\n");
}

enum {
	OPT_KDS = OPT_NET_LAST + 1,
	OPT_IMDS,
	OPT_PRODUCT,
	OPT_PCS_URL,
	OPT_INTEL_ROOT,
};

int cmd_fetch(int argc, char **argv, struct cli_common *common)
{
	static const struct option options[] = {
		{ "kds", required_argument, NULL, OPT_KDS },
		{ "imds", no_argument, NULL, OPT_IMDS },
		{ "imds-url", required_argument, NULL, OPT_NET_IMDS_URL },
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "pcs-url", required_argument, NULL, OPT_PCS_URL },
		{ "intel-root", required_argument, NULL, OPT_INTEL_ROOT },
		{ "cache", required_argument, NULL, OPT_NET_CACHE_DIR },
		{ "cache-dir", required_argument, NULL, OPT_NET_CACHE_DIR },
		{ "config", required_argument, NULL, OPT_NET_CONFIG },
		{ "set", required_argument, NULL, OPT_NET_SET },
		{ "ca-bundle", required_argument, NULL, OPT_NET_CA_BUNDLE },
		{ "timeout", required_argument, NULL, OPT_NET_TIMEOUT },
		{ "retries", required_argument, NULL, OPT_NET_RETRIES },
		CLI_JSON_LONG_OPTION,
		CLI_COMMON_LONG_OPTIONS,
		{}
	};
	static char kds_set[4096], pcs_set[4096];
	const char *intel_root = NULL;
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	_cleanup_free_ uint8_t *evidence = NULL;
	_cleanup_free_ char *json = NULL;
	struct net_args na = { 0 };
	const char *product = NULL;
	size_t len;
	bool imds = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:qvh", options, NULL)) >= 0) {
		if (c == 'h') {
			fetch_help();
			return 0;
		}
		if (cli_common_opt(common, c))
			continue;
		r = net_opt(&na, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case OPT_KDS:
			if ((size_t)snprintf(kds_set, sizeof(kds_set), "kds_url=%s", optarg) >= sizeof(kds_set) ||
			    net_opt(&na, OPT_NET_SET, kds_set) < 0)
				return usage_error("--kds: URL too long");
			break;
		case OPT_PCS_URL:
			if ((size_t)snprintf(pcs_set, sizeof(pcs_set), "pcs_url=%s", optarg) >= sizeof(pcs_set) ||
			    net_opt(&na, OPT_NET_SET, pcs_set) < 0)
				return usage_error("--pcs-url: URL too long");
			break;
		case OPT_INTEL_ROOT:
			intel_root = optarg;
			break;
		case OPT_IMDS:
			imds = true;
			break;
		case OPT_PRODUCT:
			product = optarg;
			break;
		default:
			return cli_bad_option(argv[0], EXIT_USAGE);
		}
	}
	if (optind != argc - 1)
		return usage_error("expected one REPORT or QUOTE file; see 'cvmattest fetch --help'");
	if (cli_ctx_new(common, &ctx) < 0)
		return EXIT_USAGE;
	if (intel_root && cvm_set_intel_root(ctx, intel_root) < 0)
		return EXIT_USAGE;
	if (net_config(ctx, &na, &cfg) < 0)
		return EXIT_USAGE;
	if (cli_read_evidence(argv[optind], &evidence, &len) < 0)
		return EXIT_USAGE;
	r = cvm_snp_fetch(ctx, cfg, evidence, len, product, imds, &json);
	if (r == -EOPNOTSUPP || r == -EINVAL || r == -EBADMSG)
		return EXIT_USAGE;
	if (r < 0)
		return cli_exit_code(r);
	if (common->json)
		cli_json_print(json);
	else if (!common->quiet)
		printf("Stored into the cache; 'cvmattest verify' now finds it offline:\n%s\n", json);
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}
