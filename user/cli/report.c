// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest report */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli-util.h"
#include "libcvmattest-attest.h"

#include <jansson.h>

static void report_help(void)
{
	printf("Usage: cvmattest report [OPTIONS] -o OUT\n"
	       "\n"
	       "Get evidence from /dev/cvmattest for a 64-byte REPORT_DATA and write it to\n"
	       "OUT ('-': stdout): an SEV-SNP report, a TDX TDREPORT or quote, or an Azure\n"
	       "HCL report, whichever the platform gives.  Without the module, from the\n"
	       "kernel's configfs-tsm (6.7+; TDX: a quote) when it has a provider.\n"
	       "\n"
	       "  -o, --output OUT            where to write the evidence (required)\n"
	       "      --report-data HEX       REPORT_DATA, up to 64 bytes, zero-padded\n"
	       "                              (default: 64 zero bytes)\n"
	       "      --report-data-file F    REPORT_DATA from a file of up to 64 bytes\n"
	       "      --certs OUT             also get the platform's certificates (SNP: the\n"
	       "                              extended-report certificate table) into OUT\n"
	       "      --quote                 TDX: a quote instead of a TDREPORT\n"
	       "      --vmpl N                SNP: report at VMPL N\n"
	       "      --device PATH           default " CVM_DEVICE_PATH "\n"
	       "      --source SOURCE         auto (the device, else configfs-tsm), device\n"
	       "                              or configfs (default auto)\n"
	       "      --tsm-dir DIR           configfs-tsm reports (default\n"
	       "                              " CVM_TSM_REPORT_DIR ")\n"
	       "      --json                  what was written, as JSON (errors too); needs\n"
	       "                              -o FILE, not '-'\n"
	       "  -q, --quiet                 no messages but errors\n"
	       "  -v, --verbose               more messages\n"
	       "  -h, --help                  this text\n"
	       "\n"
	       "Exit status (cvmattest(1)): 0 on success; 7 no evidence source here (no\n"
	       "device, no configfs-tsm provider); 1 any other error.\n"
	       "See cvmattest-report(1).\n");
}

enum {
	OPT_REPORT_DATA = 0x100,
	OPT_REPORT_DATA_FILE,
	OPT_CERTS,
	OPT_QUOTE,
	OPT_VMPL,
	OPT_DEVICE,
	OPT_SOURCE,
	OPT_TSM_DIR,
};

int cmd_report(int argc, char **argv, struct cli_common *common)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
		{ "report-data-file", required_argument, NULL, OPT_REPORT_DATA_FILE },
		{ "certs", required_argument, NULL, OPT_CERTS },
		{ "quote", no_argument, NULL, OPT_QUOTE },
		{ "vmpl", required_argument, NULL, OPT_VMPL },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "tsm-dir", required_argument, NULL, OPT_TSM_DIR },
		CLI_JSON_LONG_OPTION,
		CLI_COMMON_LONG_OPTIONS,
		{}
	};
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	struct cvm_evidence_request req = { 0 };
	struct cvm_evidence ev = { 0 };
	const char *output = NULL, *certs_out = NULL, *device = NULL;
	const char *rd_hex = NULL, *rd_file = NULL, *source = "auto", *tsm_dir = NULL;
	char provider[64] = "";
	bool configfs;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:qvh", options, NULL)) >= 0) {
		if (cli_common_opt(common, c))
			continue;
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_REPORT_DATA:
			rd_hex = optarg;
			break;
		case OPT_REPORT_DATA_FILE:
			rd_file = optarg;
			break;
		case OPT_CERTS:
			certs_out = optarg;
			req.want_certs = true;
			break;
		case OPT_QUOTE:
			req.want_quote = true;
			break;
		case OPT_VMPL: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > 3)
				return usage_error("--vmpl: a number from 0 to 3 expected");
			req.has_privlevel = true;
			req.privlevel = (uint32_t)v;
			break;
		}
		case OPT_DEVICE:
			device = optarg;
			break;
		case OPT_SOURCE:
			if (strcmp(optarg, "auto") && strcmp(optarg, "device") && strcmp(optarg, "configfs"))
				return usage_error("--source: auto, device or configfs expected, not \"%s\"",
						   optarg);
			source = optarg;
			break;
		case OPT_TSM_DIR:
			tsm_dir = optarg;
			break;
		case 'h':
			report_help();
			return 0;
		default:
			return cli_bad_option(argv[0], EXIT_USAGE);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!output)
		return usage_error("-o OUT is required; see 'cvmattest report --help'");
	if (common->json && (strcmp(output, "-") == 0 || (certs_out && strcmp(certs_out, "-") == 0)))
		return usage_error("--json needs stdout: write the evidence to a file (-o FILE)");
	if (rd_hex && rd_file)
		return usage_error("--report-data and --report-data-file exclude each other");
	if (certs_out && strcmp(certs_out, "-") == 0 && strcmp(output, "-") == 0)
		return usage_error("evidence and certificates cannot both go to stdout");
	if (rd_hex && cvm_hex_decode_fixed(rd_hex, req.report_data, 64, NULL, false) < 0)
		return usage_error("--report-data: hex of 1 to 64 bytes expected");
	if (rd_file) {
		size_t n;

		if (cli_read_small_file(rd_file, req.report_data, 64, &n) < 0)
			return EXIT_USAGE;
	}

	if (device && strcmp(source, "configfs") == 0)
		return usage_error("--device is for --source device or auto, not configfs");
	if (tsm_dir && strcmp(source, "device") == 0)
		return usage_error("--tsm-dir is for --source configfs or auto, not device");

	if (cli_ctx_new(common, &ctx) < 0)
		return EXIT_USAGE;
	/*
	 * auto: the module's device; only when there is none (and none was
	 * named) the kernel's configfs-tsm, as `cvmattest attest` does.
	 */
	configfs = strcmp(source, "configfs") == 0;
	if (strcmp(source, "auto") == 0 && !device) {
		struct stat st;

		configfs = stat(CVM_DEVICE_PATH, &st) < 0 && errno == ENOENT &&
			   stat(tsm_dir ? tsm_dir : CVM_TSM_REPORT_DIR, &st) == 0 && S_ISDIR(st.st_mode);
	}
	if (configfs)
		r = cvm_tsm_get_evidence(ctx, tsm_dir, &req, &ev, provider, sizeof(provider));
	else
		r = cvm_device_get_evidence(ctx, device, &req, &ev);
	if (r < 0) {	/* the library said why */
		cli_set_errno(r);
		return r == -ENOENT || r == -ENODEV || r == -ENXIO || r == -EOPNOTSUPP ?
		       EXIT_NOT_HERE : EXIT_USAGE;
	}

	r = cli_write_file(output, ev.data, ev.len);
	if (r < 0) {
		fprintf(stderr, "cvmattest: cannot write %s: %s\n", output, strerror(-r));
		cvm_evidence_done(&ev);
		return EXIT_USAGE;
	}
	if (certs_out) {
		if (ev.certs_len == 0 && !common->quiet)
			fprintf(stderr, "cvmattest: warning: the platform returned no certificates\n");
		r = cli_write_file(certs_out, ev.certs ? ev.certs : (const uint8_t *)"", ev.certs_len);
		if (r < 0) {
			fprintf(stderr, "cvmattest: cannot write %s: %s\n", certs_out, strerror(-r));
			cvm_evidence_done(&ev);
			return EXIT_USAGE;
		}
	}
	if (common->json) {
		_cleanup_free_ char *text = NULL;
		json_t *j = json_pack("{s:s, s:s, s:I}", "format", cvm_format_name(ev.format),
				      "output", output, "bytes", (json_int_t)ev.len);

		if (j)
			json_object_set_new(j, "source", json_string(configfs ? "configfs-tsm" : "device"));
		if (j && configfs)
			json_object_set_new(j, "provider", json_string(provider));
		if (j && certs_out) {
			json_object_set_new(j, "certs", json_string(certs_out));
			json_object_set_new(j, "certs_bytes", json_integer((json_int_t)ev.certs_len));
		}
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (text)
			cli_json_print(text);
	} else if (!common->quiet && strcmp(output, "-") != 0)
		fprintf(stderr, "Wrote %zu bytes of %s evidence to %s%s%s%s\n", ev.len,
			cvm_format_name(ev.format), output, configfs ? " (configfs-tsm, provider " : "",
			configfs ? provider : "", configfs ? ")" : "");
	cvm_evidence_done(&ev);
	return 0;
}
