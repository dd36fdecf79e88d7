// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cvmattest: the command line.  Parses arguments, calls libcvmattest,
 * prints; nothing more.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-util.h"

static void help(void)
{
	printf("Usage: cvmattest [--version] [--help] COMMAND [ARGS...]\n"
	       "\n"
	       "Evidence of confidential VMs (AMD SEV-SNP, Intel TDX, Azure paravisor).\n"
	       "\n"
	       "Commands:\n"
	       "  attest   Prove this VM to the attestation service (Azure Attestation)\n"
	       "  luks     Bind LUKS2 volumes to a released key; unlock them with it\n"
	       "  report   Get evidence for a REPORT_DATA from /dev/cvmattest\n"
	       "  status   Can attestation work here? Boot-integrity state and diagnosis\n"
	       "  monitor  Print the module's netlink events as JSON lines\n"
	       "  release  Attest, then have Key Vault release a key to this VM\n"
	       "  verify   Verify evidence offline and check it against a local policy\n"
	       "\n"
	       "Run 'cvmattest COMMAND --help' for a command's options.\n"
	       "See Documentation/admin-guide/cvmattest-verify.rst.\n");
}

int main(int argc, char **argv)
{
	struct cli_common common = { 0 };

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
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1, &common);
	if (strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1, &common);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1, &common);
	if (strcmp(argv[1], "monitor") == 0)
		return cmd_monitor(argc - 1, argv + 1, &common);
	if (strcmp(argv[1], "attest") == 0)
		return cmd_attest(argc - 1, argv + 1, &common);
	if (strcmp(argv[1], "release") == 0)
		return cmd_release(argc - 1, argv + 1, &common);
	if (strcmp(argv[1], "luks") == 0)
		return cmd_luks(argc - 1, argv + 1, &common);
	fprintf(stderr, "cvmattest: unknown command \"%s\"; see 'cvmattest --help'\n", argv[1]);
	return EXIT_USAGE;
}
