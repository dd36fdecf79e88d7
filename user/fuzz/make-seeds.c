// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Seed corpora for the fuzzers, from the real evidence in shared/testdata:
 * whole files, the hardware reports inside the HCL reports, a certificate
 * table built around real certificates, the SGX extension of real PCK
 * certificates, some policies.  usage: make-seeds TESTDATA OUTDIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509v3.h>

#include "verify/verify.h"

static const char *td, *out;

static void die(const char *what)
{
	fprintf(stderr, "make-seeds: %s\n", what);
	exit(1);
}

static uint8_t *slurp(const char *rel, size_t *len)
{
	char p[4096];
	uint8_t *b;

	snprintf(p, sizeof(p), "%s/%s", td, rel);
	if (read_file(p, 1 << 20, &b, len) < 0)
		die(p);
	return b;
}

static void put(const char *target, const char *name, const void *buf, size_t len)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", out, target);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", out, target, name);
	f = fopen(p, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die(p);
}

static void put_file(const char *target, const char *rel)
{
	size_t len;
	uint8_t *b = slurp(rel, &len);
	const char *name = strrchr(rel, '/');

	put(target, name ? name + 1 : rel, b, len);
	free(b);
}

int main(int argc, char **argv)
{
	static const char *const evidence[] = {
		"snp/gsg-milan-v2-report.bin", "snp/virtee-milan-v2-report.hex",
		"tdx/gtg-v4-quote-spr-e4.bin", "tdx/gtg-v5-quote.bin", "tdx/gtg-v4-quote-gcp-cos.bin",
		"azure/kinvolk-hcl-report-snp.bin", "azure/kinvolk-hcl-report-tdx.bin",
	};
	static const char *const policies[] = {
		"{\"allow_debug\":true}",
		"{\"measurement\":[\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"],\"report_data\":\"0102\"}",
		"{\"snp\":{\"min_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115,\"fmc\":0},\"vmpl\":[0,1],\"min_guest_svn\":1,\"host_data\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		"{\"tdx\":{\"min_tee_tcb_svn\":\"03000400000000000000000000000000\",\"rtmr0\":\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\",\"mrowner\":\"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"}}",
	};
	struct cvm_cert_list certs = { 0 };
	uint8_t *b, *dec;
	size_t len, dlen;
	char name[64];

	if (argc != 3)
		die("usage: make-seeds TESTDATA OUTDIR");
	td = argv[1];
	out = argv[2];
	mkdir(out, 0755);

	for (size_t i = 0; i < ELEMENTSOF(evidence); i++)
		put_file("verify", evidence[i]);

	put_file("snp_report", "snp/gsg-milan-v2-report.bin");
	b = slurp("snp/virtee-milan-v2-report.hex", &len);
	if (cvm_hex_decode((const char *)b, len, &dec, &dlen) < 0)
		die("hex");
	put("snp_report", "virtee.bin", dec, dlen);
	free(dec);
	free(b);

	for (int i = 0; i < 3; i++)
		put_file("tdx_quote", evidence[2 + i]);

	put_file("hcl_report", "azure/kinvolk-hcl-report-snp.bin");
	put_file("hcl_report", "azure/kinvolk-hcl-report-tdx.bin");
	put_file("hcl_claims", "azure/kinvolk-var-data.bin");
	{
		struct cvm_hcl_report h;

		b = slurp("azure/kinvolk-hcl-report-snp.bin", &len);
		if (cvm_hcl_report_parse(b, len, &h) < 0)
			die("hcl");
		put("snp_report", "hcl-inner.bin", h.hw_report, SNP_REPORT_SIZE);
		put("hcl_claims", "snp-claims.json", h.variable_data, h.variable_size);
		free(b);
		b = slurp("azure/kinvolk-hcl-report-tdx.bin", &len);
		if (cvm_hcl_report_parse(b, len, &h) < 0)
			die("hcl");
		put("tdx_tdreport", "hcl-inner.bin", h.hw_report, TDX_REPORT_SIZE);
		put("hcl_claims", "tdx-claims.json", h.variable_data, h.variable_size);
		free(b);
	}

	/* certificates: real VCEKs, ASK/ARK, and the PCK chains of the quotes */
	{
		const char *files[] = { "snp/gsg-milan-vcek.der", "snp/virtee-milan-vcek.der",
					"snp/amd-ask-ark-milan.pem", "snp/amd-ask-ark-turin_vcek.pem" };

		for (size_t i = 0; i < ELEMENTSOF(files); i++) {
			char p[4096];

			snprintf(p, sizeof(p), "%s/%s", td, files[i]);
			if (cert_list_add_path(&certs, p) < 0)
				die(p);
		}
		put_file("snp_cert_table", "snp/amd-ask-ark-milan.pem");
		put_file("snp_cert_table", "snp/virtee-milan-vcek.der");
	}
	for (int i = 0; i < 3; i++) {
		struct cvm_tdx_quote q;
		struct cvm_cert_list chain = { 0 };

		b = slurp(evidence[2 + i], &len);
		if (cvm_tdx_quote_parse(b, len, &q) < 0 || cert_list_add_buffer(&chain, q.pck_chain, q.pck_chain_len) < 0)
			die("quote");
		for (size_t k = 0; k < chain.n; k++) {
			snprintf(name, sizeof(name), "quote%d-cert%zu.der", i, k);
			put("amd_cert", name, chain.v[k]->der, chain.v[k]->der_len);
		}
		{
			ASN1_OBJECT *o = OBJ_txt2obj(INTEL_OID_SGX_EXTENSIONS, 1);
			int idx = X509_get_ext_by_OBJ(chain.v[0]->x509, o, -1);
			ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(chain.v[0]->x509, idx));

			snprintf(name, sizeof(name), "quote%d.der", i);
			put("sgx_pck_ext", name, ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d));
			ASN1_OBJECT_free(o);
		}
		cert_list_clear(&chain);
		free(b);
	}
	for (size_t k = 0; k < certs.n; k++) {
		snprintf(name, sizeof(name), "amd%zu.der", k);
		put("amd_cert", name, certs.v[k]->der, certs.v[k]->der_len);
	}
	/* a GHCB certificate table: VCEK, ASK, ARK */
	{
		static const uint8_t guids[3][16] = { SNP_GUID_VCEK, SNP_GUID_ASK, SNP_GUID_ARK };
		const struct cvm_cert *parts[3] = { certs.v[1], NULL, NULL };
		size_t off = 4 * SNP_CERT_ENTRY_SIZE, total = off;
		uint8_t *t;

		for (size_t k = 0; k < certs.n; k++) {
			if (strcmp(certs.v[k]->cn, "SEV-Milan") == 0)
				parts[1] = certs.v[k];
			if (strcmp(certs.v[k]->cn, "ARK-Milan") == 0)
				parts[2] = certs.v[k];
		}
		if (!parts[1] || !parts[2])
			die("milan chain");
		for (int k = 0; k < 3; k++)
			total += parts[k]->der_len;
		t = calloc(1, total);
		for (int k = 0; k < 3; k++) {
			uint8_t *e = t + k * SNP_CERT_ENTRY_SIZE;

			memcpy(e, guids[k], 16);
			for (int j = 0; j < 4; j++) {
				e[16 + j] = (uint8_t)(off >> (8 * j));
				e[20 + j] = (uint8_t)(parts[k]->der_len >> (8 * j));
			}
			memcpy(t + off, parts[k]->der, parts[k]->der_len);
			off += parts[k]->der_len;
		}
		put("snp_cert_table", "table.bin", t, total);
		/* report || table, as the extended report is often stored */
		b = slurp("snp/gsg-milan-v2-report.bin", &len);
		b = realloc(b, len + total);
		memcpy(b + len, t, total);
		put("verify", "report-and-table.bin", b, len + total);
		free(b);
		free(t);
	}
	for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
		snprintf(name, sizeof(name), "policy%zu.json", i);
		put("policy_json", name, policies[i], strlen(policies[i]));
	}
	cert_list_clear(&certs);
	return 0;
}
