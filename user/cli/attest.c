// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest attest */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli-util.h"
#include "net-cli.h"


static void attest_help(void)
{
	printf("Usage: cvmattest attest [OPTIONS]\n"
	       "\n"
	       "Prove this VM to the attestation service (Microsoft Azure Attestation):\n"
	       "evidence for a fresh transfer key from %s (or configfs-tsm),\n"
	       "endorsements, POST /attest/SevSnpVm, /attest/TdxVm or /attest/AzureGuest,\n"
	       "and verify the token (RS256 by a key of {attest_url}/certs, issuer, expiry,\n"
	       "x-ms-runtime).\n"
	       "\n"
	       "      --nonce STRING        nonce sent to the service (echoed in the token)\n"
	       "      --json                print the verified claims as JSON\n"
	       "      --token               print the raw token (a JWT) on stdout\n"
	       "\n"
	       NET_OPTIONS_HELP
	       "\n"
	       "Exit status (cvmattest(1)): 0 attested; 1 usage, configuration or local\n"
	       "error; 2 evidence refused or token invalid; 6 network or service\n"
	       "unavailable; 7 no evidence on this host.\n"
	       "See cvmattest-attest(1) and cvmattest.conf(5).\n",
	       CVM_DEVICE_PATH);
}

enum {
	OPT_NONCE = OPT_NET_LAST + 1,
	OPT_TOKEN,
};

int cmd_attest(int argc, char **argv, struct cli_common *common)
{
	static const struct option options[] = {
		NET_LONG_OPTIONS,
		{ "nonce", required_argument, NULL, OPT_NONCE },
		CLI_JSON_LONG_OPTION,
		{ "token", no_argument, NULL, OPT_TOKEN },
		{}
	};
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	_cleanup_(cvm_attestation_freep) struct cvm_attestation *a = NULL;
	struct net_args na = { 0 };
	const char *nonce = NULL;
	bool token = false;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "c:qvh", options, NULL)) >= 0) {
		if (c == 'h') {
			attest_help();
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
		case OPT_NONCE:
			nonce = optarg;
			break;
		case OPT_TOKEN:
			token = true;
			break;
		default:
			return cli_bad_option(argv[0], EXIT_USAGE);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument \"%s\"; see 'cvmattest attest --help'",
				   argv[optind]);
	if (common->json && token)
		return usage_error("--json and --token exclude each other");

	if (cli_ctx_new(common, &ctx) < 0)
		return EXIT_USAGE;
	if (net_config(ctx, &na, &cfg) < 0)
		return EXIT_USAGE;
	if (na.show_config) {
		net_show_config(cfg);
		return 0;
	}
	r = cvm_attest(ctx, cfg, nonce, &a);
	if (r < 0) {
		if (!common->quiet)
			fprintf(stderr, "cvmattest: attestation failed\n");
		return cli_exit_code(r);
	}
	if (common->json) {
		_cleanup_free_ char *claims = NULL;

		if (cvm_attestation_claims_json(a, &claims) < 0)
			return EXIT_USAGE;
		cli_json_print(claims);
	} else if (token) {
		printf("%s\n", cvm_attestation_token(a));
	} else if (!common->quiet) {
		time_t exp = cvm_attestation_expiry(a);
		char when[64] = "?";
		struct tm tm;

		if (exp && gmtime_r(&exp, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("Attested: %s token from %s (%s), valid until %s\n", cvm_attestation_type(a),
		       cvm_config_get(cfg, "attest_url", NULL, 0), cvm_attestation_flow(a), when);
	}
	return 0;
}
