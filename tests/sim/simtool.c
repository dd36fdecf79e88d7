// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * cvmattest-sim: host-side command-line front end of libsim for tests —
 * evidence files, the QGS stand-in (TDREPORT -> quote), the KDS stand-in
 * (VCEK for chip id + TCB), and the TEST roots.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libsim.h"
#include "sim_config.h"

static void usage(FILE *out)
{
	fputs(
"usage: cvmattest-sim [--keys DIR] COMMAND [options]\n"
"\n"
"Simulated SEV-SNP/TDX platform, for tests.  Everything is signed by TEST\n"
"keys (tests/sim/keys) that must never be trusted outside tests.\n"
"\n"
"Commands:\n"
"  snp-report --report-data HEX [--vmpl N] -o FILE [--certs FILE]\n"
"        ATTESTATION_REPORT (1184 B); --certs also writes the extended-report\n"
"        certificate table (VCEK, ASK, ARK)\n"
"  tdx-report --report-data HEX -o FILE      TDREPORT (1024 B)\n"
"  tdx-quote --tdreport FILE -o QUOTE        QGS stand-in: quote v4 from a TDREPORT\n"
"  vcek --product P --chip-id HEX --tcb SPEC -o FILE [--pem]\n"
"        KDS stand-in: the VCEK certificate for that chip and reported TCB\n"
"  roots --product P     print the test ASK then ARK (PEM, like AMD's cert_chain)\n"
"  intel-root            print the test Intel SGX Root CA (PEM)\n"
"  pck-chain             print the test PCK chain: leaf, platform CA, root (PEM)\n"
"  gen-certs --keys DIR  (re)issue every test certificate from the keys in DIR\n"
"\n"
"REPORT DATA is hex, up to 64 bytes, zero-padded.\n"
"\n", out);
	sim_config_usage(out);
}

enum {
	O_HELP = 'h', O_OUT = 'o',
	O_KEYS = 0x100, O_REPORT_DATA, O_VMPL, O_CERTS, O_TDREPORT, O_PEM,
};

static const struct option own_options[] = {
	{ "help", no_argument, NULL, O_HELP },
	{ "keys", required_argument, NULL, O_KEYS },
	{ "output", required_argument, NULL, O_OUT },
	{ "report-data", required_argument, NULL, O_REPORT_DATA },
	{ "vmpl", required_argument, NULL, O_VMPL },
	{ "certs", required_argument, NULL, O_CERTS },
	{ "tdreport", required_argument, NULL, O_TDREPORT },
	{ "pem", no_argument, NULL, O_PEM },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char *keys_dir, *out, *certs, *tdreport;
	bool have_report_data, pem, have_chip_id, have_tcb;
	uint8_t report_data[64];
	uint32_t vmpl;
	struct sim_config_args cfg;
};

static int write_out(const char *path, const void *data, size_t len)
{
	int ret;

	if (!path || !strcmp(path, "-")) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout))
			return -EIO;
		return 0;
	}
	ret = sim_write_file(path, data, len);
	if (ret)
		fprintf(stderr, "cvmattest-sim: writing %s: %s\n", path, strerror(-ret));
	return ret;
}

static int cmd_snp_report(const struct opts *o, const struct sim_keys *k,
			  const struct sim_snp_config *c)
{
	uint8_t report[SNP_REPORT_SIZE], *table = NULL;
	size_t len = 0;
	int ret;

	if (!o->have_report_data || !o->out) {
		fprintf(stderr, "cvmattest-sim: snp-report needs --report-data and -o\n");
		return -EINVAL;
	}
	ret = sim_snp_build_report(c, k, o->report_data, o->vmpl, report);
	if (!ret)
		ret = write_out(o->out, report, sizeof(report));
	if (!ret && o->certs) {
		ret = sim_snp_build_cert_table(c, k, &table, &len);
		if (!ret)
			ret = write_out(o->certs, table, len);
	}
	free(table);
	return ret;
}

static int cmd_tdx_report(const struct opts *o, const struct sim_tdx_config *c)
{
	uint8_t report[TDX_REPORT_SIZE];
	int ret;

	if (!o->have_report_data || !o->out) {
		fprintf(stderr, "cvmattest-sim: tdx-report needs --report-data and -o\n");
		return -EINVAL;
	}
	ret = sim_tdx_build_report(c, o->report_data, report);
	return ret ? ret : write_out(o->out, report, sizeof(report));
}

static int cmd_tdx_quote(const struct opts *o, const struct sim_keys *k)
{
	uint8_t *report = NULL, *quote = NULL;
	size_t len = 0, qlen = 0;
	int ret;

	if (!o->tdreport || !o->out) {
		fprintf(stderr, "cvmattest-sim: tdx-quote needs --tdreport and -o\n");
		return -EINVAL;
	}
	ret = sim_read_file(o->tdreport, &report, &len);
	if (ret) {
		fprintf(stderr, "cvmattest-sim: %s: %s\n", o->tdreport, strerror(-ret));
		return ret;
	}
	if (len != TDX_REPORT_SIZE) {
		fprintf(stderr, "cvmattest-sim: %s: %zu bytes, a TDREPORT has %d\n",
			o->tdreport, len, TDX_REPORT_SIZE);
		ret = -EINVAL;
	}
	if (!ret)
		ret = sim_tdx_quote(k, report, &quote, &qlen);
	if (ret == -EBADMSG)
		fprintf(stderr, "cvmattest-sim: the QE refused the TDREPORT (MAC or hash mismatch)\n");
	if (!ret)
		ret = write_out(o->out, quote, qlen);
	free(report);
	free(quote);
	return ret;
}

static int cmd_vcek(const struct opts *o, const struct sim_keys *k,
		    const struct sim_snp_config *c)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int ret;

	if (!o->have_chip_id || !o->have_tcb || !o->out) {
		fprintf(stderr, "cvmattest-sim: vcek needs --product, --chip-id, --tcb and -o\n");
		return -EINVAL;
	}
	ret = sim_amd_issue_vcek(k, c->product, c->chip_id, c->reported_tcb, 0, &der, &len);
	if (ret)
		return ret;
	if (o->pem) {
		const unsigned char *p = der;
		X509 *x = d2i_X509(NULL, &p, (long)len);
		char *pem = NULL;
		size_t plen = 0;

		ret = x ? sim_cert_pem(&x, 1, &pem, &plen) : -EINVAL;
		if (!ret)
			ret = write_out(o->out, pem, plen);
		free(pem);
		X509_free(x);
	} else {
		ret = write_out(o->out, der, len);
	}
	free(der);
	return ret;
}

static int print_pem(X509 *const *certs, size_t n)
{
	char *pem = NULL;
	size_t len = 0;
	int ret = sim_cert_pem(certs, n, &pem, &len);

	if (!ret)
		ret = write_out(NULL, pem, len);
	free(pem);
	return ret;
}

int main(int argc, char **argv)
{
	struct option *longopts = NULL;
	struct sim_snp_config snp;
	struct sim_tdx_config tdx;
	struct sim_keys *keys = NULL;
	struct opts o = { 0 };
	const char *cmd;
	uint64_t v;
	int opt, ret = -EINVAL;

	/* global options before the command */
	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--keys") && argc > 2) {
			o.keys_dir = argv[2];
			argv += 2;
			argc -= 2;
			continue;
		}
		usage(stderr);
		return 2;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	argv++;
	argc--;

	longopts = sim_config_long_options(own_options);
	if (!longopts)
		return 1;
	while ((opt = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (opt) {
		case O_HELP:
			usage(stdout);
			free(longopts);
			return 0;
		case O_OUT:
			o.out = optarg;
			break;
		case O_KEYS:
			o.keys_dir = optarg;
			break;
		case O_REPORT_DATA:
			if (sim_hex_decode_pad(optarg, o.report_data, sizeof(o.report_data))) {
				fprintf(stderr, "cvmattest-sim: --report-data: up to 64 bytes of hex\n");
				goto out;
			}
			o.have_report_data = true;
			break;
		case O_VMPL:
			if (sim_parse_u64(optarg, &v) || v > UINT32_MAX) {
				fprintf(stderr, "cvmattest-sim: bad --vmpl\n");
				goto out;
			}
			o.vmpl = (uint32_t)v;
			break;
		case O_CERTS:
			o.certs = optarg;
			break;
		case O_TDREPORT:
			o.tdreport = optarg;
			break;
		case O_PEM:
			o.pem = true;
			break;
		case '?':
			goto out;
		default:
			if (sim_config_collect(&o.cfg, opt, optarg))
				goto out;
			for (size_t i = 0; longopts[i].name; i++) {
				if (longopts[i].val != opt)
					continue;
				if (!strcmp(longopts[i].name, "chip-id"))
					o.have_chip_id = true;
				if (!strcmp(longopts[i].name, "tcb"))
					o.have_tcb = true;
			}
			break;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "cvmattest-sim: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	if (sim_config_apply(&o.cfg, &snp, &tdx))
		goto out;

	if (!strcmp(cmd, "gen-certs")) {
		if (!o.keys_dir) {
			fprintf(stderr, "cvmattest-sim: gen-certs needs --keys DIR\n");
			goto out;
		}
		ret = sim_generate_certs(o.keys_dir);
		goto out;
	}

	ret = sim_keys_load(o.keys_dir, &keys);
	if (ret)
		goto out;
	if (!strcmp(cmd, "snp-report")) {
		ret = cmd_snp_report(&o, keys, &snp);
	} else if (!strcmp(cmd, "tdx-report")) {
		ret = cmd_tdx_report(&o, &tdx);
	} else if (!strcmp(cmd, "tdx-quote")) {
		ret = cmd_tdx_quote(&o, keys);
	} else if (!strcmp(cmd, "vcek")) {
		ret = cmd_vcek(&o, keys, &snp);
	} else if (!strcmp(cmd, "roots")) {
		X509 *chain[2] = { sim_keys_ask_cert(keys, snp.product),
				   sim_keys_ark_cert(keys, snp.product) };

		ret = print_pem(chain, 2);
	} else if (!strcmp(cmd, "intel-root")) {
		X509 *root = sim_keys_intel_root_cert(keys);

		ret = print_pem(&root, 1);
	} else if (!strcmp(cmd, "pck-chain")) {
		X509 *chain[3] = { sim_keys_intel_pck_cert(keys), sim_keys_intel_pca_cert(keys),
				   sim_keys_intel_root_cert(keys) };

		ret = print_pem(chain, 3);
	} else {
		fprintf(stderr, "cvmattest-sim: unknown command '%s'\n", cmd);
		usage(stderr);
		ret = -EINVAL;
	}
out:
	sim_keys_free(keys);
	free(longopts);
	if (ret && ret != -EINVAL)
		fprintf(stderr, "cvmattest-sim: %s: %s\n", cmd, strerror(-ret));
	return ret ? 1 : 0;
}
