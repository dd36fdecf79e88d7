// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest status */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-util.h"
#include "libcvmattest-attest.h"
#include "libcvmattest-status.h"

static void status_help(void)
{
	printf("Usage: cvmattest status [--json | --prometheus] [OPTIONS]\n"
	       "\n"
	       "Show whether attestation can work on this machine, and if not, why and\n"
	       "what to do: first the host itself (SEV-SNP, TDX or an Azure vTPM, from\n"
	       "CPU flags, DMI and the kernel's interfaces: /dev/sev-guest,\n"
	       "/dev/tdx_guest, configfs-tsm, TDX measurement registers, /dev/tpmrm0),\n"
	       "then the boot-integrity state the cvmattest module keeps in\n"
	       CVM_SYSFS_DIR "/ (platform, provider, memory encryption, Secure Boot,\n"
	       "lockdown, TPM, the launch evidence, counters, the last attestation),\n"
	       "what " CVM_DEVICE_PATH " says about itself, and a diagnosis.\n"
	       "\n"
	       "      --json              one JSON object (keys: the sysfs file names, and\n"
	       "                          host, verdict, can_attest, findings, device, ...)\n"
	       "      --prometheus        node-exporter textfile collector format\n"
	       "      --netlink           read the module's values with one netlink GET_STATUS\n"
	       "                          request instead of sysfs\n"
	       "      --device PATH       default " CVM_DEVICE_PATH "\n"
	       "      --no-device         do not query the device (INFO)\n"
	       "      --no-tpm            do not look for Azure's HCL report in the vTPM\n"
	       "                          (NV 0x01400001, tpm2-tss on /dev/tpmrm0)\n"
	       "  -q, --quiet             print nothing; only the exit status tells\n"
	       "  -v, --verbose           more messages\n"
	       "  -h, --help              this text\n"
	       "\n"
	       "For tests (a fake machine in a directory):\n"
	       "      --sysfs DIR         the module's sysfs directory (env CVMATTEST_SYSFS)\n"
	       "      --root DIR          read /sys, /proc, /dev, /lib/modules under DIR\n"
	       "                          (env CVMATTEST_ROOT)\n"
	       "      --now SECONDS       judge token expiry at this Unix time\n"
	       "\n"
	       "Exit status (cvmattest(1)): 0 attestation can work here; 1 error;\n"
	       "7 attestation cannot work here (the output says why and what to do);\n"
	       "12 it can, but needs attention (the last attempt failed, the token expired).\n"
	       "See cvmattest-status(1).\n");
}

enum {
	OPT_PROMETHEUS = 0x100,
	OPT_NETLINK,
	OPT_DEVICE,
	OPT_NO_DEVICE,
	OPT_SYSFS,
	OPT_ROOT,
	OPT_NOW,
	OPT_NO_TPM,
};

int cmd_status(int argc, char **argv, struct cli_common *common)
{
	static const struct option options[] = {
		CLI_JSON_LONG_OPTION,
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ "netlink", no_argument, NULL, OPT_NETLINK },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "no-device", no_argument, NULL, OPT_NO_DEVICE },
		{ "sysfs", required_argument, NULL, OPT_SYSFS },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "no-tpm", no_argument, NULL, OPT_NO_TPM },
		CLI_COMMON_LONG_OPTIONS,
		{}
	};
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	_cleanup_free_ char *out = NULL;
	_cleanup_free_ struct cvm_state *st = NULL;
	struct cvm_state_source src = { 0 };
	bool prom = false, no_tpm = false;
	int c, r;

	optind = 0;
	src.sysfs = getenv("CVMATTEST_SYSFS");
	src.root = getenv("CVMATTEST_ROOT");
	while ((c = getopt_long(argc, argv, "qvh", options, NULL)) >= 0) {
		if (cli_common_opt(common, c))
			continue;
		switch (c) {
		case OPT_PROMETHEUS:
			prom = true;
			break;
		case OPT_NETLINK:
			src.netlink = true;
			break;
		case OPT_DEVICE:
			src.device = optarg;
			break;
		case OPT_NO_TPM:
			no_tpm = true;
			break;
		case OPT_NO_DEVICE:
			src.no_device = true;
			break;
		case OPT_SYSFS:
			src.sysfs = optarg;
			break;
		case OPT_ROOT:
			src.root = optarg;
			break;
		case OPT_NOW: {
			char *end;
			long long v;

			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0)
				return usage_error("--now: Unix seconds expected");
			src.now = (time_t)v;
			break;
		}
		case 'h':
			status_help();
			return 0;
		default:
			return cli_bad_option(argv[0], EXIT_USAGE);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (common->json && prom)
		return usage_error("--json and --prometheus exclude each other");
	if (src.sysfs && !*src.sysfs)
		src.sysfs = NULL;
	if (src.root && !*src.root)
		src.root = NULL;

	if (cli_ctx_new(common, &ctx) < 0)
		return EXIT_USAGE;
	/*
	 * Behind Azure's paravisor only the vTPM's HCL report index tells a
	 * CVM from an ordinary (Trusted Launch) VM; the status layer has no
	 * TPM code, so ask here (the real machine only, never under --root).
	 */
	if (!src.root && !no_tpm) {
		const char *tcti = access("/dev/tpmrm0", F_OK) == 0 ? "device:/dev/tpmrm0" :
				   access("/dev/tpm0", F_OK) == 0 ? "device:/dev/tpm0" : NULL;
		size_t size;

		if (tcti) {
			r = cvm_tpm_nv_index_size(ctx, tcti, CVM_AZURE_HCL_NV_INDEX, &size);
			src.hcl_probed = r == 0 || r == -ENOENT;
			src.hcl_report = r == 0;
		}
	}
	/* About 4 KiB: on the heap, not on the stack of a small tool */
	st = calloc(1, sizeof(*st));
	if (!st)
		return EXIT_USAGE;
	r = cvm_state_read(ctx, &src, st);
	if (r < 0) {
		fprintf(stderr, "cvmattest: cannot read the attestation state: %s\n", strerror(-r));
		return EXIT_USAGE;
	}

	if (!common->quiet) {
		r = common->json ? cvm_state_to_json(st, &out) :
		    prom ? cvm_state_to_prometheus(st, &out) : cvm_state_to_text(st, &out);
		if (r < 0) {
			fprintf(stderr, "cvmattest: cannot format the state: %s\n", strerror(-r));
			return EXIT_USAGE;
		}
		if (common->json)
			cli_json_print(out);
		else
			fputs(out, stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "cvmattest: cannot write the output: %s\n", strerror(errno));
			return EXIT_USAGE;
		}
	}

	switch (st->verdict) {
	case CVM_VERDICT_OK:
		return EXIT_OK;
	case CVM_VERDICT_ATTENTION:
		return EXIT_ATTENTION;
	default:
		return EXIT_NOT_HERE;
	}
}
