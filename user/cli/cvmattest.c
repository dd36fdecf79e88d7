// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cvmattest: the command line.  Parses arguments, calls libcvmattest,
 * prints; nothing more.  This file only picks the command.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-util.h"

static const struct verb {
	const char *name;
	int (*run)(int argc, char **argv, struct cli_common *common);
	const char *summary;	/* one line of 'cvmattest --help' */
} verbs[] = {
	{ "attest", cmd_attest, "Prove this VM to the attestation service (Azure Attestation)" },
	{ "fetch", cmd_fetch, "Fetch a report's VCEK, its chain and AMD's CRL into the cache for verify" },
	{ "luks", cmd_luks, "Bind LUKS2 volumes to a released key; unlock them with it" },
	{ "report", cmd_report, "Get evidence for a REPORT_DATA from " CVM_DEVICE_PATH },
	{ "status", cmd_status, "Can attestation work here? Boot-integrity state and diagnosis" },
	{ "monitor", cmd_monitor, "Print the module's netlink events as JSON lines" },
	{ "release", cmd_release, "Attest, then have Key Vault release a key to this VM" },
	{ "verify", cmd_verify, "Verify evidence offline and check it against a local policy" },
};

static void help(void)
{
	printf("Usage: cvmattest [--version] [--help] COMMAND [ARGS...]\n"
	       "\n"
	       "Evidence of confidential VMs (AMD SEV-SNP, Intel TDX, Azure paravisor).\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		printf("  %-8s %s\n", verbs[i].name, verbs[i].summary);
	printf("\n"
	       "Run 'cvmattest COMMAND --help' for a command's options.\n"
	       "See cvmattest(1) and cvmattest-COMMAND(1), e.g. cvmattest-verify(1).\n");
}

int main(int argc, char **argv)
{
	struct cli_common common = { 0 };

	cli_sanitize_env(argv);
	if (argc < 2) {
		help();
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help();
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("cvmattest %s\n", CVMATTEST_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0) {
			/* getopt's messages name the full command: "cvmattest release: ..." */
			static char full[64];

			snprintf(full, sizeof(full), "cvmattest %s", verbs[i].name);
			argv[1] = full;
			int rc = verbs[i].run(argc - 1, argv + 1, &common);

			if (common.json && !common.quiet)
				cli_json_error(rc);
			return rc;
		}
	fprintf(stderr, "cvmattest: unknown command \"%s\"; see 'cvmattest --help'\n", argv[1]);
	return EXIT_USAGE;
}
