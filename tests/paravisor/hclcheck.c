// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * cvmattest-hclcheck: check an HCL report read from NV 0x01400001 the way
 * the tests need it (layout, binding, user data, AK/EK against the vTPM's
 * keys, the AK certificate).  Independent of libcvmattest on purpose: the
 * paravisor's tests should not lean on the parser they help to test.
 * Prints key=value lines; exit 0 all checks passed, 2 a check failed,
 * 4 malformed report, 1 usage or I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "hcl_build.h"
#include "pv_cert.h"

static int read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t r;

		if (n == cap) {
			uint8_t *nb;

			if (cap > (1u << 24)) {
				free(buf);
				fclose(f);
				return -EFBIG;
			}
			cap = cap ? 2 * cap : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
}

static void usage(FILE *out)
{
	fputs(
"usage: cvmattest-hclcheck [options] REPORT\n"
"\n"
"Checks an Azure HCL report (NV 0x01400001 as read with tpm2_nvread) and prints\n"
"what it found as key=value lines.  Always: header \"HCLA\", DataSize, ReportSize,\n"
"REPORT_DATA = SHA-256(runtime claims) || zeros, zero padding.\n"
"\n"
"  --user-data HEX        \"user-data\" must be these 64 bytes\n"
"  --user-data-file FILE  ... the 64 bytes in FILE\n"
"  --ak-pub FILE          HCLAkPub must be this key (TPM2B_PUBLIC, as\n"
"                         tpm2_readpublic -c 0x81000003 -o FILE writes it)\n"
"  --ek-pub FILE          HCLEkPub must be this key (TPM2B_PUBLIC)\n"
"  --ak-cert FILE         DER certificate (NV 0x01C101D0) that must certify the\n"
"                         --ak-pub key and verify with --ca\n"
"  --ca FILE              PEM CA certificate for --ak-cert\n"
"  --platform snp|tdx     the hardware report type\n"
"  --nv-size N            the file must be N bytes\n"
"  -q                     print nothing\n"
"\n"
"Exit: 0 all checks passed, 2 a check failed, 4 malformed report, 1 usage/I-O.\n",
		out);
}

enum { O_UD = 0x100, O_UD_FILE, O_AK, O_EK, O_AK_CERT, O_CA, O_PLATFORM, O_NV_SIZE };

static const struct option opts[] = {
	{ "user-data", required_argument, NULL, O_UD },
	{ "user-data-file", required_argument, NULL, O_UD_FILE },
	{ "ak-pub", required_argument, NULL, O_AK },
	{ "ek-pub", required_argument, NULL, O_EK },
	{ "ak-cert", required_argument, NULL, O_AK_CERT },
	{ "ca", required_argument, NULL, O_CA },
	{ "platform", required_argument, NULL, O_PLATFORM },
	{ "nv-size", required_argument, NULL, O_NV_SIZE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static bool quiet;

static void out(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(const char *key, const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	printf("%s=", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int load_key(const char *path, struct hcl_rsa_pub *k)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = read_file(path, &buf, &len);

	if (!r)
		r = hcl_rsa_from_tpm2b_public(buf, len, k);
	free(buf);
	if (r)
		fprintf(stderr, "cvmattest-hclcheck: %s: not a TPM2B_PUBLIC RSA key (%s)\n", path,
			strerror(-r));
	return r;
}

int main(int argc, char **argv)
{
	const char *ak_path = NULL, *ek_path = NULL, *cert_path = NULL, *ca_path = NULL;
	uint8_t want_ud[HCL_USER_DATA_LEN], *buf = NULL;
	struct hcl_rsa_pub ak, ek;
	struct hcl_report_view v;
	struct hcl_claims_out cl;
	bool have_ud = false, failed = false;
	long want_size = -1;
	int want_type = -1, opt, ret = 1, r;
	size_t len = 0;

	while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (opt) {
		case O_UD:
			if (hcl_unhex(optarg, want_ud, sizeof(want_ud)))
				goto usage;
			have_ud = true;
			break;
		case O_UD_FILE: {
			uint8_t *d = NULL;
			size_t n = 0;

			if (read_file(optarg, &d, &n) || n != sizeof(want_ud)) {
				free(d);
				fprintf(stderr, "cvmattest-hclcheck: %s: want 64 bytes\n", optarg);
				return 1;
			}
			memcpy(want_ud, d, n);
			free(d);
			have_ud = true;
			break;
		}
		case O_AK:
			ak_path = optarg;
			break;
		case O_EK:
			ek_path = optarg;
			break;
		case O_AK_CERT:
			cert_path = optarg;
			break;
		case O_CA:
			ca_path = optarg;
			break;
		case O_PLATFORM:
			if (!strcmp(optarg, "snp"))
				want_type = HCL_REPORT_TYPE_SNP;
			else if (!strcmp(optarg, "tdx"))
				want_type = HCL_REPORT_TYPE_TDX;
			else
				goto usage;
			break;
		case O_NV_SIZE:
			want_size = strtol(optarg, NULL, 0);
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || (cert_path && (!ca_path || !ak_path)))
		goto usage;
	if ((ak_path && load_key(ak_path, &ak)) || (ek_path && load_key(ek_path, &ek)))
		return 1;
	r = read_file(argv[optind], &buf, &len);
	if (r) {
		fprintf(stderr, "cvmattest-hclcheck: %s: %s\n", argv[optind], strerror(-r));
		return 1;
	}
	out("size", "%zu", len);
	if (want_size >= 0 && (size_t)want_size != len)
		failed = true;

	r = hcl_report_parse(buf, len, &v);
	out("signature", "%s", len >= 4 && v.signature == HCL_SIGNATURE ? "ok" : "bad");
	if (r) {
		out("format", "malformed");
		ret = 4;
		goto done;
	}
	out("format", "ok");
	out("version", "%u", v.version);
	out("report_size", "%u", v.report_size);
	out("request_type", "%u", v.request_type);
	out("report_type", "%s", v.report_type == HCL_REPORT_TYPE_SNP ? "snp" : "tdx");
	out("hash_type", "%u", v.hash_type);
	out("data_size", "%u", v.data_size);
	out("variable_size", "%u", v.var_size);
	if (want_type >= 0 && (uint32_t)want_type != v.report_type)
		failed = true;
	{
		bool zero = true;

		for (size_t i = v.used; i < len; i++)
			zero = zero && !buf[i];
		if (v.report_type == HCL_REPORT_TYPE_TDX)
			for (size_t i = HCL_HW_REPORT + TDX_REPORT_SIZE; i < HCL_RT_DATA_SIZE; i++)
				zero = zero && !buf[i];
		out("padding", "%s", zero ? "zero" : "nonzero");
		failed |= !zero;
	}
	r = hcl_report_check_binding(&v);
	out("binding", "%s", r ? "bad" : "ok");
	failed |= r != 0;
	r = hcl_claims_parse(v.claims, v.var_size, &cl);
	if (r) {
		out("claims", "malformed");
		ret = 4;
		goto done;
	}
	out("claims", "ok");
	if (cl.has_user_data) {
		char hex[2 * HCL_USER_DATA_LEN + 1];

		hcl_hex(cl.user_data, sizeof(cl.user_data), hex);
		out("user_data", "%s", hex);
	} else {
		out("user_data", "absent");
	}
	if (have_ud) {
		bool ok = cl.has_user_data && !memcmp(cl.user_data, want_ud, sizeof(want_ud));

		out("user_data_match", "%s", ok ? "yes" : "no");
		failed |= !ok;
	}
	out("ak", "%s", cl.has_ak ? "present" : "absent");
	out("ek", "%s", cl.has_ek ? "present" : "absent");
	if (ak_path) {
		bool ok = cl.has_ak && hcl_rsa_equal(&cl.ak, &ak);

		out("ak_match", "%s", ok ? "yes" : "no");
		failed |= !ok;
	}
	if (ek_path) {
		bool ok = cl.has_ek && hcl_rsa_equal(&cl.ek, &ek);

		out("ek_match", "%s", ok ? "yes" : "no");
		failed |= !ok;
	}
	if (cert_path) {
		uint8_t *der = NULL;
		size_t der_len = 0;
		X509 *ca = NULL;
		FILE *f = fopen(ca_path, "r");

		if (f) {
			ca = PEM_read_X509(f, NULL, NULL, NULL);
			fclose(f);
		}
		r = ca ? read_file(cert_path, &der, &der_len) : -EINVAL;
		r = r ? r : pv_ak_cert_check(der, der_len, ca, &ak);
		out("ak_cert", "%s", r ? "bad" : "ok");
		failed |= r != 0;
		X509_free(ca);
		free(der);
	}
	ret = failed ? 2 : 0;
done:
	out("result", "%s", ret == 0 ? "ok" : ret == 2 ? "failed" : "malformed");
	free(buf);
	return ret;
usage:
	usage(stderr);
	return 1;
}
