// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cvmattest command as a user runs it: `cvmattest verify --json` on
 * every file in ../shared/testdata, exit codes and the JSON fields checked
 * against values read independently from the bytes; corrupted copies
 * (flipped bit -> 2, truncated -> 4); usage errors -> 1.
 */
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/evp.h>

#include <cvmattest/evidence.h>

#include "forge.h"
#include "testutil.h"

static void check_common(json_t *o, const char *format, int version, bool verified, bool policy_ok)
{
	json_t *errs = json_object_get(o, "errors");

	assert_string_equal(json_string_value(json_object_get(o, "format")), format);
	assert_int_equal(json_integer_value(json_object_get(o, "version")), version);
	assert_int_equal(json_is_true(json_object_get(o, "verified")), verified);
	assert_int_equal(json_is_true(json_object_get(o, "policy_ok")), policy_ok);
	assert_true(json_is_boolean(json_object_get(o, "verified")));
	assert_true(json_is_boolean(json_object_get(o, "policy_ok")));
	assert_true(json_is_array(errs));
	/* verified and policy satisfied <=> no errors */
	assert_int_equal(json_array_size(errs) == 0, verified && policy_ok);
}

static void check_snp_fields(json_t *o, const uint8_t *rep, bool debug)
{
	json_t *tcb = json_object_get(o, "reported_tcb");
	uint64_t raw = 0;
	char rawhex[32];

	assert_json_hex(o, "report_data", rep + SNP_R_REPORT_DATA, 64);
	assert_json_hex(o, "measurement", rep + SNP_R_MEASUREMENT, 48);
	assert_json_hex(o, "chip_id", rep + SNP_R_CHIP_ID, 64);
	assert_int_equal(json_is_true(json_object_get(o, "debug")), debug);
	assert_true(json_is_boolean(json_object_get(o, "debug")));
	assert_true(json_is_object(tcb));
	for (int i = 7; i >= 0; i--)
		raw = raw << 8 | rep[SNP_R_REPORTED_TCB + i];
	snprintf(rawhex, sizeof(rawhex), "0x%016llx", (unsigned long long)raw);
	assert_string_equal(json_string_value(json_object_get(tcb, "raw")), rawhex);
	/* Milan layout: bl = byte 0, tee = 1, snp = 6, ucode = 7 */
	assert_int_equal(json_integer_value(json_object_get(tcb, "bootloader")), rep[SNP_R_REPORTED_TCB + 0]);
	assert_int_equal(json_integer_value(json_object_get(tcb, "tee")), rep[SNP_R_REPORTED_TCB + 1]);
	assert_int_equal(json_integer_value(json_object_get(tcb, "snp")), rep[SNP_R_REPORTED_TCB + 6]);
	assert_int_equal(json_integer_value(json_object_get(tcb, "microcode")), rep[SNP_R_REPORTED_TCB + 7]);
}

static void test_snp_gsg(void **state)
{
	const char *rep_path = td_path("snp/gsg-milan-v2-report.bin");
	const char *vcek = td_path("snp/gsg-milan-vcek.der");
	json_t *o;
	size_t len;
	uint8_t *rep = load(rep_path, &len);

	(void)state;
	/* DEBUG=1: verified, default policy fails: exit 3 */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, "--no-cache", rep_path)), 3);
	check_common(o, "snp-report", 2, true, false);
	check_snp_fields(o, rep, true);
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(o, "errors"), 0)), "debug"));
	json_decref(o);
	/* --allow-debug: exit 0 */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, "--allow-debug", rep_path)), 0);
	check_common(o, "snp-report", 2, true, true);
	check_snp_fields(o, rep, true);
	json_decref(o);
	/* expected REPORT_DATA (zero-padded) */
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--allow-debug",
					   "--report-data", "0102030405", rep_path)), 0);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--allow-debug",
					   "--report-data", "0102030406", rep_path)), 3);
	/* no certificate: 5, and it says so */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", rep_path)), 5);
	check_common(o, "snp-report", 2, false, false);
	assert_false(json_is_true(json_object_get(o, "signature_checked")));
	json_decref(o);
	free(rep);
}

static void test_snp_virtee(void **state)
{
	const char *rep_path = td_path("snp/virtee-milan-v2-report.hex");
	const char *vcek = td_path("snp/virtee-milan-vcek.der");
	json_t *o;
	size_t len;
	uint8_t *rep = load(rep_path, &len);	/* decoded from hex */
	char m[97];

	(void)state;
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, rep_path)), 0);
	check_common(o, "snp-report", 2, true, true);
	check_snp_fields(o, rep, false);
	json_decref(o);
	/* expected measurement: right and wrong */
	cvm_hex_encode(rep + SNP_R_MEASUREMENT, 48, m);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--measurement", m, rep_path)), 0);
	m[5] = m[5] == '0' ? '1' : '0';
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--measurement", m, rep_path)), 3);
	/* minimum TCB: equal passes, one above fails; VMPL */
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--min-tcb",
					   "bl=3,tee=0,snp=8,ucode=115", "--vmpl", "0", rep_path)), 0);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--min-tcb", "ucode=116", rep_path)), 3);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--vmpl", "1,2", rep_path)), 3);
	/* certificates expired by then */
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--at", "2031-01-01", rep_path)), 2);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--at", "2024-06-01T12:00:00Z", rep_path)), 0);
	/* a policy file */
	{
		char policy[512];

		snprintf(policy, sizeof(policy), "{\"measurement\":\"%s\"}", m);
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--policy",
						   write_tmp("p1.json", policy, strlen(policy)), rep_path)), 3);
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--policy",
						   write_tmp("p2.json", "{\"allow_debug\":false}", 21), rep_path)), 0);
		/* a policy with a typo is a usage error, not a silent pass */
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--policy",
						   write_tmp("p3.json", "{\"alow_debug\":false}", 20), rep_path)), 1);
	}
	free(rep);
}

static void test_snp_corrupted(void **state)
{
	const char *vcek = td_path("snp/virtee-milan-vcek.der");
	size_t len;
	uint8_t *rep = load_td("snp/virtee-milan-v2-report.hex", &len);
	json_t *o;

	(void)state;
	rep[SNP_R_MEASUREMENT + 7] ^= 0x04;
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, write_tmp("flip.bin", rep, len))), 2);
	check_common(o, "snp-report", 2, false, true);
	json_decref(o);
	rep[SNP_R_MEASUREMENT + 7] ^= 0x04;
	rep[SNP_R_POLICY + 2] ^= 0x08;		/* DEBUG bit turned on: still a bad signature first */
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, write_tmp("flip2.bin", rep, len))), 2);
	rep[SNP_R_POLICY + 2] ^= 0x08;
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, write_tmp("trunc.bin", rep, 1000))), 4);
	assert_string_equal(json_string_value(json_object_get(o, "format")), "snp-report");
	assert_false(json_is_true(json_object_get(o, "verified")));
	assert_true(json_array_size(json_object_get(o, "errors")) > 0);
	json_decref(o);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, write_tmp("ok.bin", rep, len))), 0);
	free(rep);
}

static void test_tdx(void **state)
{
	const char *files[] = { "tdx/gtg-v4-quote-spr-e4.bin", "tdx/gtg-v5-quote.bin",
				"tdx/gtg-v4-quote-gcp-cos.bin" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct cvm_tdx_quote t;
		json_t *o;
		size_t len;
		uint8_t *q = load_td(files[i], &len);

		assert_int_equal(cvm_tdx_quote_parse(q, len, &t), 0);
		assert_int_equal(run_cli_json(&o, ARGS("verify", td_path(files[i]))), 0);
		check_common(o, "tdx-quote", t.version, true, true);
		assert_json_hex(o, "measurement", t.body.mrtd, 48);
		assert_json_hex(o, "report_data", t.body.report_data, 64);
		assert_false(json_is_true(json_object_get(o, "debug")));
		assert_true(json_is_boolean(json_object_get(o, "debug")));
		assert_null(json_object_get(o, "chip_id"));
		json_decref(o);

		/* a flipped bit in the body: 2; truncated: 4 */
		q[t.signed_len - 10] ^= 0x01;
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", write_tmp("qflip.bin", q, len))), 2);
		q[t.signed_len - 10] ^= 0x01;
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", write_tmp("qtrunc.bin", q, t.quote_len - 1))), 4);
		/* must be debug-free; the policy can demand more */
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--min-tee-tcb-svn",
						   "ffffffffffffffffffffffffffffffff", td_path(files[i]))), 3);
		free(q);
	}
}

static void test_azure(void **state)
{
	const char *files[] = { "azure/kinvolk-hcl-report-snp.bin", "azure/kinvolk-hcl-report-tdx.bin" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		json_t *o, *hcl;
		size_t len;
		uint8_t *b = load_td(files[i], &len);

		/* the inner signature cannot be checked: 5, never 0 */
		assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", td_path(files[i]))), 5);
		check_common(o, "azure-hcl", (int)b[HCL_H_VERSION], false, true);
		hcl = json_object_get(o, "hcl");
		assert_true(json_is_true(json_object_get(hcl, "binding_ok")));
		assert_true(json_is_object(json_object_get(hcl, "runtime_claims")));
		assert_false(json_is_true(json_object_get(o, "signature_checked")));
		if (i == 0) {
			assert_json_hex(o, "measurement", b + HCL_HW_REPORT + SNP_R_MEASUREMENT, 48);
			assert_json_hex(o, "chip_id", b + HCL_HW_REPORT + SNP_R_CHIP_ID, 64);
			assert_json_hex(o, "report_data", b + HCL_HW_REPORT + SNP_R_REPORT_DATA, 64);
		} else {
			assert_json_hex(o, "measurement", b + HCL_HW_REPORT + TDX_R_MRTD, 48);
			assert_json_hex(o, "report_data", b + HCL_HW_REPORT + TDX_R_REPORT_DATA, 64);
		}
		json_decref(o);
		/* a changed claim: 2 */
		b[HCL_RT_VARIABLE_DATA + 30] ^= 0x02;
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--no-cache", write_tmp("hflip.bin", b, len))), 2);
		/* truncated: 4 */
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--no-cache", write_tmp("htrunc.bin", b, 1300))), 4);
		free(b);
	}
}

static void test_not_evidence(void **state)
{
	const char *files[] = {
		"azure/kinvolk-akpub.pem", "azure/kinvolk-quote.bin", "azure/kinvolk-var-data.bin",
		"snp/amd-ask-ark-genoa.pem", "snp/amd-ask-ark-milan.pem", "snp/amd-ask-ark-turin_vcek.pem",
		"snp/gsg-milan-vcek.der", "snp/virtee-milan-vcek.der", "tdx/intel-sgx-root-ca.pem",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		json_t *o;

		assert_int_equal(run_cli_json(&o, ARGS("verify", td_path(files[i]))), 4);
		assert_false(json_is_true(json_object_get(o, "verified")));
		assert_true(json_array_size(json_object_get(o, "errors")) > 0);
		json_decref(o);
	}
}

static void test_usage(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run_cli(&out, ARGS("--help")), 0);
	assert_non_null(strstr(out, "Usage: cvmattest"));
	free(out);
	assert_int_equal(run_cli(&out, ARGS("verify", "--help")), 0);
	assert_non_null(strstr(out, "Exit status"));
	free(out);
	assert_int_equal(run_cli(&out, ARGS("report", "--help")), 0);
	assert_non_null(strstr(out, "--report-data"));
	free(out);
	assert_int_equal(run_cli(NULL, (const char *const[]){ NULL }), 1);
	assert_int_equal(run_cli(NULL, ARGS("frobnicate")), 1);
	assert_int_equal(run_cli(NULL, ARGS("verify")), 1);
	assert_int_equal(run_cli(NULL, ARGS("verify", "--bogus", "x")), 1);
	assert_int_equal(run_cli(NULL, ARGS("verify", "/nonexistent/evidence")), 1);
	assert_int_equal(run_cli(NULL, ARGS("verify", "--report-data", "xyz", td_path("tdx/gtg-v5-quote.bin"))), 1);
	assert_int_equal(run_cli(NULL, ARGS("verify", "--certs", "/nonexistent", td_path("tdx/gtg-v5-quote.bin"))), 1);
	assert_int_equal(run_cli(NULL, ARGS("verify", "--amd-roots", td_path("snp/gsg-milan-vcek.der"),
					   td_path("tdx/gtg-v5-quote.bin"))), 1);
	/* quiet means quiet */
	assert_int_equal(run_cli(&out, ARGS("verify", "-q", td_path("tdx/gtg-v5-quote.bin"))), 0);
	assert_string_equal(out, "");
	free(out);
	/* report: needs -o, and a device */
	assert_int_equal(run_cli(NULL, ARGS("report")), 1);
	/* no such device: 7, not on this host (cvmattest.rst, EXIT STATUS) */
	assert_int_equal(run_cli(NULL, ARGS("report", "--device", "/nonexistent/cvmattest", "-o",
					   write_tmp("r.bin", "", 0))), 7);
	assert_int_equal(run_cli(NULL, ARGS("report", "--report-data", "00", "--report-data-file", "/dev/null",
					   "-o", "x")), 1);
}

/* What a newcomer gets wrong is named with its cause and fix, not a bare errno text. */
/* --json: a failure is one {"error": ...} object on stdout, the same for every command. */
static void test_json_errors(void **state)
{
	json_t *o, *e;

	(void)state;
	assert_int_equal(run_cli_json(&o, ARGS("verify", "/nonexistent/evidence")), 1);
	e = json_object_get(o, "error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 1);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "usage");
	assert_string_equal(json_string_value(json_object_get(e, "errno")), "ENOENT");
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")),
			       "cannot read /nonexistent/evidence"));
	json_decref(o);
	/* a usage error: no errno */
	assert_int_equal(run_cli_json(&o, ARGS("report")), 1);
	e = json_object_get(o, "error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 1);
	assert_null(json_object_get(e, "errno"));
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "-o OUT is required"));
	json_decref(o);
	/* no device: 7, not on this host */
	assert_int_equal(run_cli_json(&o, ARGS("report", "--device", "/nonexistent/cvmattest", "-o",
					       write_tmp("rj.bin", "", 0))), 7);
	e = json_object_get(o, "error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 7);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "not-here");
	json_decref(o);
	/* item 6: --device /dev/null names the file and the fix, not the raw ioctl error */
	assert_int_equal(run_cli_json(&o, ARGS("report", "--device", "/dev/null", "-o",
					       write_tmp("rn.bin", "", 0))), 1);
	e = json_object_get(o, "error");
	assert_string_equal(json_string_value(json_object_get(e, "errno")), "ENOTTY");
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")),
			       "/dev/null is not a cvmattest device"));
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "leave out --device"));
	json_decref(o);
	/* luks, through the same helper */
	assert_int_equal(run_cli_json(&o, ARGS("luks", "unbind")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "error"), "code")), 1);
	json_decref(o);
}

static void test_messages(void **state)
{
	const char *rep = td_path("snp/gsg-milan-v2-report.bin");
	const char *vcek = td_path("snp/gsg-milan-vcek.der");
	const char *empty = write_tmp("empty.pem", "", 0);
	char dir[512], *out;
	size_t len;
	uint8_t *buf;
	char *b64;

	(void)state;
	/* a bad option: the full command and where its options are listed */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--bogus", rep)), 1);
	assert_non_null(strstr(out, "cvmattest verify: unrecognized option '--bogus'"));
	assert_non_null(strstr(out, "Try 'cvmattest verify --help'."));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("luks", "bind", "--foo")), 1);
	assert_non_null(strstr(out, "cvmattest luks bind: unrecognized option '--foo'"));
	assert_non_null(strstr(out, "Try 'cvmattest luks bind --help'."));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("release", "-Z")), 1);
	assert_non_null(strstr(out, "cvmattest release: invalid option -- 'Z'"));
	assert_non_null(strstr(out, "Try 'cvmattest release --help'."));
	free(out);
	/* an empty certificate file */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--certs", empty, rep)), 1);
	assert_non_null(strstr(out, "is empty: expected PEM or DER certificates"));
	assert_null(strstr(out, "Bad message"));
	free(out);
	/* a directory: its certificate files are loaded; one that is not a certificate is named */
	snprintf(dir, sizeof(dir), "%s/%d-certdir", tmp_dir(), (int)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--certs", dir, rep)), 1);
	assert_non_null(strstr(out, "holds no certificate files"));
	free(out);
	buf = load(vcek, &len);
	write_tmp("certdir/vcek.der", buf, len);
	free(buf);
	/* 3: verified, but this debug guest fails the default policy */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--certs", dir, rep)), 3);
	assert_null(strstr(out, "no VCEK certificate"));	/* the signature was checked */
	free(out);
	write_tmp("certdir/notes.pem", "hello\n", 6);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--certs", dir, rep)), 1);
	assert_non_null(strstr(out, "notes.pem holds no PEM or DER certificate"));
	free(out);
	/* base64 evidence, as IMDS and MAA hand it out */
	buf = load(rep, &len);
	b64 = malloc(len * 2 + 8);
	assert_non_null(b64);
	assert_true(EVP_EncodeBlock((unsigned char *)b64, buf, (int)len) > 0);
	free(buf);
	assert_int_equal(run_cli_all(&out, ARGS("verify", write_tmp("rep.b64", b64, strlen(b64)))), 4);
	assert_non_null(strstr(out, "looks like base64 text"));
	assert_non_null(strstr(out, "base64 -d"));
	free(out);
	free(b64);
}

/* A requirement for the other platform is a usage error (1), named, never a silent OK. */
static void test_options_apply(void **state)
{
	const char *quote = td_path("tdx/gtg-v5-quote.bin");
	const char *rep = td_path("snp/virtee-milan-v2-report.hex");
	const char *vcek = td_path("snp/virtee-milan-vcek.der");
	const char *hcl = td_path("azure/kinvolk-hcl-report-snp.bin");
	const char *hcl_tdx = td_path("azure/kinvolk-hcl-report-tdx.bin");
	const char *rtmr = "0=000000000000000000000000000000000000000000000000000000000000000000000000"
			   "000000000000000000000000";
	char *out;

	(void)state;
	/* issue 18: this said OK */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--vmpl", "3", "--min-tcb", "bl=99", quote)), 1);
	assert_non_null(strstr(out, "--vmpl applies to SEV-SNP reports, not to a TDX quote"));
	assert_null(strstr(out, "OK"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--min-tcb", "bl=0", quote)), 1);
	assert_non_null(strstr(out, "--min-tcb applies to SEV-SNP reports (REPORTED_TCB), not to a TDX quote"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--json", "--vmpl", "0", hcl_tdx)), 1);
	assert_non_null(strstr(out, "--vmpl applies to SEV-SNP reports, not to an Azure HCL report (around a TDREPORT)"));
	free(out);
	/* TDX-only options on SEV-SNP evidence */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--certs", vcek, "--min-tee-tcb-svn",
						"00000000000000000000000000000000", rep)), 1);
	assert_non_null(strstr(out, "--min-tee-tcb-svn applies to TDX quotes and TDREPORTs, not to an SEV-SNP report"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--certs", vcek, "--rtmr", rtmr, rep)), 1);
	assert_non_null(strstr(out, "--rtmr applies to TDX quotes and TDREPORTs, not to an SEV-SNP report"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--no-cache", "--rtmr", rtmr, hcl)), 1);
	assert_non_null(strstr(out, "not to an Azure HCL report (around an SEV-SNP report)"));
	free(out);
	/* the FMC SPL exists on Turin only */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--certs", vcek, "--min-tcb", "fmc=0", rep)), 1);
	assert_non_null(strstr(out, "--min-tcb fmc= applies to Turin reports (FMC SPL), not to this Milan report"));
	free(out);
	/* the options of its own platform still work */
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--vmpl", "0",
					   "--min-tcb", "bl=0", rep)), 0);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--rtmr", rtmr, quote)), 3);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--min-tee-tcb-svn",
					   "00000000000000000000000000000000", quote)), 0);
}

static bool json_array_has(json_t *a, const char *needle)
{
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
		if (strstr(json_string_value(e), needle))
			return true;
	return false;
}

/* An OK says what it did not establish: text "Not checked:", JSON "unchecked". */
static void test_unchecked(void **state)
{
	const char *quote = td_path("tdx/gtg-v5-quote.bin");
	const char *rep = td_path("snp/virtee-milan-v2-report.hex");
	const char *vcek = td_path("snp/virtee-milan-vcek.der");
	json_t *o, *u;
	char *out;

	(void)state;
	assert_int_equal(run_cli_json(&o, ARGS("verify", quote)), 0);
	u = json_object_get(o, "unchecked");
	assert_true(json_is_array(u));
	assert_true(json_array_has(u, "TCB status: TEE_TCB_SVN and the PCK's SVNs against Intel's TCB Info for FMSPC 90c06f000000"));
	assert_true(json_array_has(u, "QE identity"));
	assert_true(json_array_has(u, "Intel's PCK CRL and Root CA CRL"));
	assert_true(json_array_has(u, "no minimum given (--min-tee-tcb-svn)"));
	assert_true(json_array_has(u, "MRTD: no expected value given (--measurement)"));
	assert_false(json_array_has(u, "VMPL"));
	json_decref(o);
	/* a requirement given is no longer listed; the collateral still is */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--min-tee-tcb-svn",
					       "00000000000000000000000000000000", quote)), 0);
	u = json_object_get(o, "unchecked");
	assert_false(json_array_has(u, "--min-tee-tcb-svn"));
	assert_true(json_array_has(u, "QE identity"));
	json_decref(o);

	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, rep)), 0);
	u = json_object_get(o, "unchecked");
	assert_true(json_array_has(u, "revocation of the ASK and VCEK: AMD's CRL (KDS /vcek/v1/Milan/crl) is not consulted"));
	assert_true(json_array_has(u, "REPORTED_TCB level: no minimum given (--min-tcb)"));
	assert_true(json_array_has(u, "VMPL: any accepted (--vmpl)"));
	assert_false(json_array_has(u, "TEE_TCB_SVN"));
	json_decref(o);
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, "--vmpl", "0", "--min-tcb",
					       "bl=0", rep)), 0);
	u = json_object_get(o, "unchecked");
	assert_false(json_array_has(u, "VMPL"));
	assert_false(json_array_has(u, "--min-tcb"));
	assert_true(json_array_has(u, "AMD's CRL"));
	json_decref(o);
	/* text */
	assert_int_equal(run_cli(&out, ARGS("verify", "--certs", vcek, rep)), 0);
	assert_non_null(strstr(out, "\nNot checked:    revocation of the ASK and VCEK"));
	free(out);
	/* not verified: nothing to qualify, the array is empty */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", rep)), 5);
	assert_int_equal(json_array_size(json_object_get(o, "unchecked")), 0);
	json_decref(o);
}

/* verify with Intel's collateral for the real SPR quote (tests/data/tdx-collateral). */
static void test_tdx_collateral(void **state)
{
	const char *quote = td_path("tdx/gtg-v4-quote-spr-e4.bin");
	const char *rep = td_path("snp/virtee-milan-v2-report.hex");
	char dir[4096], *out;
	json_t *o, *c;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tdx-collateral", getenv("CVMATTEST_PROJDATA"));
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", "--collateral", dir, "--at",
					       "2023-06-20", quote)), 2);
	c = json_object_get(json_object_get(o, "tdx"), "collateral");
	assert_true(json_is_object(c));
	assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), "NotSupported");
	assert_string_equal(json_string_value(json_object_get(c, "qe_tcb_status")), "UpToDate");
	assert_int_equal(json_integer_value(json_object_get(c, "tcb_evaluation_data_number")), 15);
	assert_string_equal(json_string_value(json_object_get(c, "tcb_info_next_update")),
			    "2023-07-18T08:42:58Z");
	assert_int_equal(json_array_size(json_object_get(o, "errors")), 1);
	json_decref(o);
	assert_int_equal(run_cli(&out, ARGS("verify", "--no-cache", "--collateral", dir, "--at",
					    "2023-06-20", quote)), 2);
	assert_non_null(strstr(out, "\nTCB status:     NotSupported (platform none, TDX module -, QE UpToDate)\n"));
	assert_non_null(strstr(out, "TCB Info #15 issued 2023-06-18T08:42:58Z, next update 2023-07-18T08:42:58Z"));
	free(out);
	/* stale: names the fix */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--no-cache", "--collateral", dir, "--at",
						"2023-08-01", quote)), 5);
	assert_non_null(strstr(out, "is stale"));
	assert_non_null(strstr(out, "'cvmattest fetch QUOTE'"));
	free(out);
	/* usage */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--tdx-tcb-status", "Revoked", quote)), 1);
	assert_non_null(strstr(out, "--tdx-tcb-status: expected a list of UpToDate"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--min-tcb-eval-num", "x", quote)), 1);
	assert_non_null(strstr(out, "--min-tcb-eval-num: expected a number"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--collateral", dir, rep)), 1);
	assert_non_null(strstr(out, "--collateral applies to TDX quotes (Intel collateral), not to an SEV-SNP report"));
	free(out);
}

/* No VCEK, or another chip's: where the right one comes from (issue 18). */
static void test_vcek_where(void **state)
{
	const char *rep = td_path("snp/virtee-milan-v2-report.hex");
	const char *other = td_path("snp/gsg-milan-vcek.der");
	char *out;

	(void)state;
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--no-cache", rep)), 5);
	assert_non_null(strstr(out, "no VCEK certificate for CHIP_ID"));
	/* a v2 report names no product before a chain does */
	assert_non_null(strstr(out, "AMD KDS serves it at https://kdsintf.amd.com/vcek/v1/{Milan|Genoa}/"));
	assert_non_null(strstr(out, "?blSPL="));
	assert_non_null(strstr(out, "&ucodeSPL="));
	assert_non_null(strstr(out, "IMDS THIM at http://169.254.169.254/metadata/THIM/amd/certification"));
	assert_non_null(strstr(out, "'cvmattest fetch REPORT'"));
	free(out);
	/* another chip's real VCEK: 2, and which chip each is for */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--no-cache", "--certs", other, rep)), 2);
	assert_non_null(strstr(out, "VCEK is for chip ID "));
	assert_non_null(strstr(out, ", the report's is "));
	assert_null(strstr(out, "signature does not verify"));
	free(out);
}

/* cvmattest fetch against a KDS stand-in on loopback (HTTPS), then verify offline. */
/* A forged Milan v3 report and its VCEK (serial 0x77) in files; the test roots' path. */
struct cli_crl_case {
	struct forge_amd *f;
	uint8_t report[1184], chip_id[64];
	char rep[4096], vcek[4096];
};

static void cli_crl_case(struct cli_crl_case *c)
{
	struct forge_snp_opts o = { .version = 3, .product = CVM_SNP_PRODUCT_MILAN };
	struct forge_vek_opts vo = { .serial = 0x77 };
	uint8_t *der;
	size_t der_len;

	c->f = forge_amd(CVM_SNP_PRODUCT_MILAN);
	for (int i = 0; i < 64; i++)
		o.chip_id[i] = (uint8_t)(0x62 + 5 * i);
	memcpy(c->chip_id, o.chip_id, 64);
	o.tcb = forge_tcb(CVM_SNP_PRODUCT_MILAN, 3, 0, 8, 0x73, 0);
	cvm_snp_tcb_decode(o.tcb, CVM_SNP_PRODUCT_MILAN, &vo.tcb);
	vo.hwid = o.chip_id;
	vo.hwid_len = 64;
	X509_free(forge_vek(c->f, &vo, &der, &der_len));
	forge_snp_report(c->report, &o, c->f->vek_key);
	snprintf(c->rep, sizeof(c->rep), "%s", write_tmp("crl-rep.bin", c->report, sizeof(c->report)));
	snprintf(c->vcek, sizeof(c->vcek), "%s", write_tmp("crl-vcek.der", der, der_len));
	free(der);
}

static void test_verify_crl(void **state)
{
	struct cli_crl_case c;
	const long vcek[] = { 0x77 }, ask[] = { 0x10001 };
	time_t now = time(NULL);
	char crl[4096], *out;
	json_t *o, *j;

	(void)state;
	cli_crl_case(&c);
	/* not revoked: 0, the CRL in the text and the JSON, the "Not checked" line gone */
	snprintf(crl, sizeof(crl), "%s", forge_amd_crl(c.f, &(struct forge_crl_opts){ 0 }, "cli-ok.crl"));
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
						c.vcek, "--no-cache", "--crl", crl, c.rep)), 0);
	assert_non_null(strstr(out, "OK: verified"));
	assert_non_null(strstr(out, "CRL:"));
	assert_non_null(strstr(out, "not revoked"));
	assert_null(strstr(out, "AMD's CRL"));
	free(out);
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
					       c.vcek, "--no-cache", "--crl", crl, c.rep)), 0);
	j = json_object_get(json_object_get(o, "snp"), "crl");
	assert_true(json_is_object(j));
	assert_string_equal(json_string_value(json_object_get(j, "path")), crl);
	assert_true(json_is_string(json_object_get(j, "this_update")));
	assert_true(json_is_string(json_object_get(j, "next_update")));
	assert_false(json_array_has(json_object_get(o, "unchecked"), "AMD's CRL"));
	json_decref(o);
	/* without one: the line stays, "crl" is null */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
					       c.vcek, "--no-cache", c.rep)), 0);
	assert_true(json_is_null(json_object_get(json_object_get(o, "snp"), "crl")));
	assert_true(json_array_has(json_object_get(o, "unchecked"), "AMD's CRL"));
	json_decref(o);

	/* the VCEK revoked: 2 */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
						c.vcek, "--no-cache", "--crl",
						forge_amd_crl(c.f, &(struct forge_crl_opts){ .revoked = vcek,
							.n_revoked = 1 }, "cli-vcek.crl"), c.rep)), 2);
	assert_non_null(strstr(out, "revoked: the SEV-VCEK certificate (serial 0x77) was revoked by ARK-Milan on "));
	free(out);
	/* the ASK revoked: 2 */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
						c.vcek, "--no-cache", "--crl",
						forge_amd_crl(c.f, &(struct forge_crl_opts){ .revoked = ask,
							.n_revoked = 1 }, "cli-ask.crl"), c.rep)), 2);
	assert_non_null(strstr(out, "revoked: the SEV-Milan certificate (serial 0x010001)"));
	free(out);
	/* signed by another key: 2, naming the file */
	snprintf(crl, sizeof(crl), "%s", forge_amd_crl(c.f, &(struct forge_crl_opts){
		.signer = c.f->ask_key }, "cli-forged.crl"));
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
						c.vcek, "--no-cache", "--crl", crl, c.rep)), 2);
	assert_non_null(strstr(out, crl));
	assert_non_null(strstr(out, "is not a valid CRL of ARK-Milan: bad signature"));
	free(out);
	/* another product's: 2 */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
						c.vcek, "--no-cache", "--crl",
						forge_amd_crl(forge_amd(CVM_SNP_PRODUCT_GENOA),
							      &(struct forge_crl_opts){ 0 }, "cli-genoa.crl"),
						c.rep)), 2);
	assert_non_null(strstr(out, "is issued by \"ARK-Genoa\", not by ARK-Milan"));
	free(out);
	/* stale: 5 (unverifiable: fetch a current one), naming the fix */
	snprintf(crl, sizeof(crl), "%s", forge_amd_crl(c.f, &(struct forge_crl_opts){
		.this_update = now - 3 * 3600, .next_update = now - 3600 }, "cli-stale.crl"));
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
						c.vcek, "--no-cache", "--crl", crl, c.rep)), 5);
	assert_non_null(strstr(out, "is stale: its nextUpdate"));
	assert_non_null(strstr(out, "cvmattest fetch"));
	free(out);
	/* ... and fine --at a time it was current */
	{
		char at[32];

		snprintf(at, sizeof(at), "%lld", (long long)(now - 2 * 3600));
		assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
							c.vcek, "--no-cache", "--crl", crl, "--at", at,
							c.rep)), 0);
		free(out);
	}
	/* not a CRL, or no file: 1, "cannot read" */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
						c.vcek, "--crl", c.vcek, c.rep)), 1);
	assert_non_null(strstr(out, "cannot read CRL "));
	assert_non_null(strstr(out, "not an X.509 CRL"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--crl", "/nonexistent.crl", c.rep)), 1);
	assert_non_null(strstr(out, "cannot read CRL /nonexistent.crl: No such file or directory"));
	free(out);
}

/* @bin as hex text: "0x" (@prefix) then lines of @per_line digits (0: one line), @sep between lines. */
static char *to_hex_text(const uint8_t *bin, size_t len, const char *prefix, size_t per_line,
			 const char *sep, bool upper, bool prefix_each_line)
{
	size_t lines = per_line ? 2 * len / per_line + 1 : 1;
	size_t cap = 2 * len + lines * (strlen(sep) + strlen(prefix)) + 16, n = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n, "%s", prefix);
	for (size_t i = 0; i < len; i++) {
		if (per_line && i && (2 * i) % per_line == 0)
			n += (size_t)snprintf(t + n, cap - n, "%s%s", sep, prefix_each_line ? prefix : "");
		n += (size_t)snprintf(t + n, cap - n, upper ? "%02X" : "%02x", bin[i]);
	}
	n += (size_t)snprintf(t + n, cap - n, "\n");
	return t;
}

/*
 * Shapes seen in the wild, made from the real vectors: an Azure SNP report
 * with the 20-byte IGVM request header after it, and TDX quotes / SNP
 * reports as "0x" hex text.
 */
static void test_wild_shapes(void **state)
{
	size_t hlen, qlen, rlen;
	uint8_t *hcl = load_td("azure/kinvolk-hcl-report-snp.bin", &hlen);
	uint8_t *q = load_td("tdx/gtg-v5-quote.bin", &qlen);
	uint8_t *rep = load_td("snp/gsg-milan-v2-report.bin", &rlen);
	uint32_t var = (uint32_t)hcl[0x4d0] | (uint32_t)hcl[0x4d1] << 8;
	char *out, *t;
	const char *f;
	json_t *o;

	(void)state;
	/* Azure: report || IGVM_REQUEST_DATA header (HCL bytes 32..1236): as the report alone */
	f = write_tmp("igvm.bin", hcl + 32, SNP_REPORT_SIZE + 20);
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", f)), 5);	/* no VCEK for it in testdata */
	check_common(o, "snp-report", 2, false, true);
	check_snp_fields(o, hcl + 32, false);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "snp"), "azure_igvm_request_data")), 20);
	json_decref(o);
	/* ... and with the runtime claims after the header */
	f = write_tmp("igvm-claims.bin", hcl + 32, SNP_REPORT_SIZE + 20 + var);
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--no-cache", f)), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "snp"), "azure_igvm_request_data")), 20 + var);
	json_decref(o);
	/* not such a header (report_type 4, TDX; one byte short): still refused as trailing junk */
	{
		uint8_t b[SNP_REPORT_SIZE + 20];

		memcpy(b, hcl + 32, sizeof(b));
		b[SNP_REPORT_SIZE + 8] = 4;
		assert_int_equal(run_cli_all(&out, ARGS("verify", "--no-cache", write_tmp("igvm-bad.bin", b, sizeof(b)))), 4);
		assert_non_null(strstr(out, "20 bytes after the report are not a certificate table"));
		free(out);
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--no-cache",
						   write_tmp("igvm-short.bin", hcl + 32, SNP_REPORT_SIZE + 19))), 4);
	}
	/* a report that does verify, with such a header after it: OK */
	{
		struct cli_crl_case c;
		uint8_t b[SNP_REPORT_SIZE + 20];

		cli_crl_case(&c);
		memcpy(b, c.report, SNP_REPORT_SIZE);
		memcpy(b + SNP_REPORT_SIZE, hcl + 0x4c0, 20);
		b[SNP_REPORT_SIZE + 16] = b[SNP_REPORT_SIZE + 17] = 0;	/* variable_size 0 */
		b[SNP_REPORT_SIZE] = 20;
		b[SNP_REPORT_SIZE + 1] = 0;
		assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path, "--certs",
							c.vcek, "--no-cache", write_tmp("igvm-ok.bin", b, sizeof(b)))), 0);
		assert_non_null(strstr(out, "OK: verified"));
		free(out);
	}

	/* TDX quote as 0x hex: one line, lines of 64 with LF or CRLF, "0x" per line, upper case */
	t = to_hex_text(q, qlen, "0x", 0, "", false, false);
	assert_int_equal(run_cli_json(&o, ARGS("verify", write_tmp("q.hex", t, strlen(t)))), 0);
	check_common(o, "tdx-quote", 5, true, true);
	json_decref(o);
	free(t);
	t = to_hex_text(q, qlen, "0x", 64, "\n", false, false);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", write_tmp("q2.hex", t, strlen(t)))), 0);
	free(t);
	t = to_hex_text(q, qlen, "0X", 64, "\r\n", true, true);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", write_tmp("q3.hex", t, strlen(t)))), 0);
	free(t);
	t = to_hex_text(q, qlen, "0x", 2, " ", false, true);	/* "0x04 0x00 ..." */
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", write_tmp("q4.hex", t, strlen(t)))), 0);
	/* a flipped digit is a bad signature, as in binary */
	t[2 + 3 * 700] ^= 0x01;	/* '0'..'9' / 'a'..'f' stay hex digits */
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", write_tmp("q5.hex", t, strlen(t)))), 2);
	free(t);
	/* SNP report as 0x hex */
	t = to_hex_text(rep, rlen, "0x", 96, "\n", false, false);
	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--allow-debug", "--certs",
					   td_path("snp/gsg-milan-vcek.der"), write_tmp("r.hex", t, strlen(t)))), 0);

	/* malformed: an odd number of digits; garbage after 0x; 0x alone: 4, and why */
	t[strlen(t) - 2] = '\n';	/* drop the last digit */
	assert_int_equal(run_cli_all(&out, ARGS("verify", write_tmp("odd.hex", t, strlen(t)))), 4);
	assert_non_null(strstr(out, "hex text with an odd number of digits (2367)"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", write_tmp("odd2.hex", t + 2, strlen(t) - 2))), 4);
	assert_non_null(strstr(out, "odd number of digits"));
	free(out);
	t[10] = 'g';
	assert_int_equal(run_cli_all(&out, ARGS("verify", write_tmp("garbage.hex", t, strlen(t)))), 4);
	assert_non_null(strstr(out, "hex text (\"0x...\") with a non-hex character at offset 10 ('g')"));
	free(out);
	free(t);
	assert_int_equal(run_cli_all(&out, ARGS("verify", write_tmp("0x.hex", "0x\n", 3))), 4);
	assert_non_null(strstr(out, "\"0x\" with no hex digits after it"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", write_tmp("0xq.hex", "0xquote", 7))), 4);
	assert_non_null(strstr(out, "non-hex character at offset 2 ('q')"));
	free(out);
	free(hcl);
	free(q);
	free(rep);
}

static void test_fetch(void **state)
{
	const char *rep = td_path("snp/gsg-milan-v2-report.bin");
	char dir[600], cmd[8192], port[16] = "", url[64], cache[700], path[1200], crl[4096], *out;
	uint8_t *bin;
	size_t bin_len;
	char chip[129];
	pid_t pid;
	FILE *f;

	(void)state;
	/* a TDREPORT has no PCK chain to fetch collateral for: said plainly */
	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--cache", tmp_dir(),
						td_path("azure/kinvolk-hcl-report-tdx.bin"))), 1);
	assert_non_null(strstr(out, "carries no PCK certificate: fetch collateral for the TD quote"));
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--cache", tmp_dir(), rep)), 1);
	assert_non_null(strstr(out, "does not name its CPU product"));
	free(out);

	snprintf(dir, sizeof(dir), "%s/%d-kds", tmp_dir(), (int)getpid());
	bin = load(rep, &bin_len);
	cvm_hex_encode(bin + SNP_R_CHIP_ID, 64, chip);
	/*
	 * The CRL served: under AMD's ARK-Milan name but made with a test key, as a
	 * host in the middle could serve it.  (No CRL signed by AMD's own ARK is in
	 * testdata; the forged chain below shows a good one in use.)
	 */
	snprintf(crl, sizeof(crl), "%s", forge_amd_crl(forge_amd(CVM_SNP_PRODUCT_MILAN),
		 &(struct forge_crl_opts){ 0 }, "fetch-crl.crl"));
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p %s/srv/vcek/v1/Milan; cd %s; cp %s srv/vcek/v1/Milan/%s; "
		 "cp %s srv/vcek/v1/Milan/cert_chain; cp %s srv/vcek/v1/Milan/crl; "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout key.pem "
		 "-out cert.pem 2>/dev/null",
		 dir, dir, td_path("snp/gsg-milan-vcek.der"), chip, td_path("snp/amd-ask-ark-milan.pem"), crl);
	assert_int_equal(system(cmd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char srv[700], cert[700], key[700], pf[700];

		snprintf(srv, sizeof(srv), "%s/srv", dir);
		snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
		snprintf(key, sizeof(key), "%s/key.pem", dir);
		snprintf(pf, sizeof(pf), "%s/port", dir);
		char script[700];

		/* next to this file (compiled by its absolute path) */
		snprintf(script, sizeof(script), "%.*s/kds-server.py",
			 (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
		execlp("python3", "python3", script, srv, cert, key, pf, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/port", dir);
	for (int i = 0; i < 200 && !port[0]; i++) {
		f = fopen(path, "r");
		if (f) {
			if (!fgets(port, sizeof(port), f))
				port[0] = 0;
			fclose(f);
		}
		if (!port[0])
			usleep(50000);
	}
	assert_true(port[0]);
	snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--json", "--kds", url, "--ca-bundle", path,
						"--cache", cache, "--product", "Milan", rep)), 0);
	assert_non_null(strstr(out, "\"source\": \"kds\""));
	assert_non_null(strstr(out, "/vcek/v1/Milan/"));
	assert_non_null(strstr(out, "/crl/Milan.crl"));
	free(out);
	{
		unsigned long long tcb = 0;

		for (int i = 7; i >= 0; i--)
			tcb = tcb << 8 | bin[SNP_R_REPORTED_TCB + i];
		snprintf(path, sizeof(path), "%s/vcek/%s/%016llx.der", cache, chip, tcb);
	}
	assert_int_equal(access(path, R_OK), 0);
	/*
	 * verify finds the VCEK offline and checks it against the built-in ARK, and
	 * the stored CRL too: not signed by AMD's ARK-Milan, so 2, naming it
	 */
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--allow-debug", "--cache-dir", cache, rep)), 2);
	assert_non_null(strstr(out, "/crl/Milan.crl is not a valid CRL of ARK-Milan: bad signature"));
	free(out);
	snprintf(path, sizeof(path), "%s/crl/Milan.crl", cache);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--allow-debug", "--cache-dir", cache, rep)), 0);
	assert_non_null(strstr(out, "OK: verified"));
	assert_non_null(strstr(out, "AMD's CRL"));	/* not consulted: none */
	free(out);

	/* A forged chain served whole (KDS and its CRL): the stored CRL is used by verify. */
	{
		struct cli_crl_case c;
		const long vcek[] = { 0x77 };
		char hex[129];

		cli_crl_case(&c);
		cvm_hex_encode(c.chip_id, 64, hex);
		snprintf(cmd, sizeof(cmd), "set -e; cd %s/srv/vcek/v1/Milan; cp %s %s; cp %s cert_chain; cp %s crl",
			 dir, c.vcek, hex, c.f->roots_path,
			 forge_amd_crl(c.f, &(struct forge_crl_opts){ 0 }, "fetch-crl2.crl"));
		assert_int_equal(system(cmd), 0);
		snprintf(cache, sizeof(cache), "%s/cache3", dir);
		snprintf(path, sizeof(path), "%s/cert.pem", dir);
		assert_int_equal(run_cli_all(&out, ARGS("fetch", "--kds", url, "--ca-bundle", path,
							"--cache", cache, c.rep)), 0);
		free(out);
		assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path,
							"--cache-dir", cache, c.rep)), 0);
		assert_non_null(strstr(out, "OK: verified"));
		assert_non_null(strstr(out, "/cache3/crl/Milan.crl (thisUpdate"));
		assert_null(strstr(out, "AMD's CRL"));
		free(out);
		/* AMD revokes the VCEK; the next fetch stores the new CRL; verify says 2 */
		snprintf(cmd, sizeof(cmd), "cp %s %s/srv/vcek/v1/Milan/crl",
			 forge_amd_crl(c.f, &(struct forge_crl_opts){ .revoked = vcek, .n_revoked = 1 },
				       "fetch-crl3.crl"), dir);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(run_cli_all(&out, ARGS("fetch", "--kds", url, "--ca-bundle", path,
							"--cache", cache, c.rep)), 0);
		free(out);
		assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path,
							"--cache-dir", cache, c.rep)), 2);
		assert_non_null(strstr(out, "revoked: the SEV-VCEK certificate (serial 0x77)"));
		free(out);
		/* --no-cache (with the VCEK given): not consulted */
		assert_int_equal(run_cli_all(&out, ARGS("verify", "--amd-roots", c.f->roots_path,
							"--no-cache", "--certs", c.vcek, c.rep)), 0);
		free(out);
		snprintf(cache, sizeof(cache), "%s/cache", dir);
	}
	/* a server handing out another chip's VCEK: refused, nothing stored */
	snprintf(cmd, sizeof(cmd), "cp %s %s/srv/vcek/v1/Milan/%s", td_path("snp/virtee-milan-vcek.der"), dir, chip);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	snprintf(cache, sizeof(cache), "%s/cache2", dir);
	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--kds", url, "--ca-bundle", path,
						"--cache", cache, "--product", "Milan", rep)), 2);
	assert_non_null(strstr(out, "does not fit this report"));
	free(out);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(bin);
}

/* ---- issue 19: the other policy fields on the command line ---------------------------------- */

/* Exit @want, and the combined output holds each of @needles. */
static void cli_expect(int want, const char *const *args, const char *const *needles)
{
	char *out;
	int rc = run_cli_all(&out, args);

	if (rc != want)
		fail_msg("%s %s: exit %d, expected %d:\n%s", args[0], args[1], rc, want, out);
	for (size_t i = 0; needles[i]; i++)
		if (!strstr(out, needles[i]))
			fail_msg("%s %s ...: no \"%s\" in:\n%s", args[0], args[1], needles[i], out);
	free(out);
}

#define EXPECT(rc, args, ...) cli_expect(rc, args, (const char *const[]){ __VA_ARGS__, NULL })

/* The real Milan report (POLICY 0xB0000) and its VCEK; fields at AMD 56860 offsets. */
static void test_fields_snp(void **state)
{
	const char *rep = td_path("snp/gsg-milan-v2-report.bin");
	const char *vcek = td_path("snp/gsg-milan-vcek.der");
	size_t len;
	uint8_t *b = load_td("snp/gsg-milan-v2-report.bin", &len);
	char fam[33], img[33], idk[97], spec[64], want[200], other[97];
	json_t *o, *snp;

	(void)state;
	assert_int_equal(b[0x08] | b[0x09] << 8 | b[0x0a] << 16, 0xb0000);	/* POLICY */
	assert_int_equal(b[0x40] & 0x3, 0x1);	/* PLATFORM_INFO: SMT_EN, not TSME_EN */
	cvm_hex_encode(b + 0x10, 16, fam);	/* FAMILY_ID */
	cvm_hex_encode(b + 0x20, 16, img);	/* IMAGE_ID */
	cvm_hex_encode(b + 0xe0, 48, idk);	/* ID_KEY_DIGEST */
	memset(other, 'e', 96), other[96] = 0;
	snprintf(spec, sizeof(spec), "snp=%u,ucode=%u", b[0x1f0 + 6], b[0x1f0 + 7]);	/* LAUNCH_TCB */

	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--allow-debug",
					   "--guest-policy", "smt,no-migrate-ma,no-single-socket",
					   "--platform-info", "smt,no-tsme", "--family-id", fam, "--image-id", img,
					   "--id-key-digest", other, "--id-key-digest", idk, "--min-launch-tcb", spec,
					   "--min-committed-tcb", "bl=0", "--min-current-tcb", spec,
					   "--min-guest-svn", "0", "--min-report-version", "2",
					   "--min-policy-abi", "0.0", rep)), 0);
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--guest-policy", "no-smt", rep),
	       "POLICY 0xb0000: SMT (bit 16) is 1, expected 0", "REJECTED");
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--platform-info", "no-smt,tsme", rep),
	       "PLATFORM_INFO 0x1: SMT_EN (bit 0) is 1, expected 0; TSME_EN (bit 1) is 0, expected 1");
	snprintf(want, sizeof(want), "FAMILY_ID %s differs from the expected value %.32s", fam, other);
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--family-id",
		       "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", rep), want);
	snprintf(want, sizeof(want), "ID_KEY_DIGEST %s differs from the expected value %s", idk, other);
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--id-key-digest", other, rep), want);
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--require-id-key", rep),
	       "ID_KEY_DIGEST is all zero, an ID key is required");
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--require-author-key", rep),
	       "AUTHOR_KEY_EN is 0");
	snprintf(want, sizeof(want), "LAUNCH_TCB SNP SPL %u is below the minimum 200", b[0x1f0 + 6]);
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--min-launch-tcb", "snp=200", rep), want);
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--min-committed-tcb", "bl=200", rep),
	       "COMMITTED_TCB bootloader SPL");
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--min-guest-svn", "1", rep),
	       "GUEST_SVN 0 is below the minimum 1");
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--min-report-version", "3", rep),
	       "report VERSION 2 is below the minimum 3");
	EXPECT(3, ARGS("verify", "--certs", vcek, "--allow-debug", "--min-policy-abi", "1.51", rep),
	       "POLICY ABI_MAJOR.ABI_MINOR 0.0 is below the minimum 1.51");
	/* DEBUG is --allow-debug's, not a --guest-policy bit */
	EXPECT(1, ARGS("verify", "--certs", vcek, "--guest-policy", "debug", rep), "--guest-policy: \"debug\" is not a list of smt");

	/* JSON: the decoded bits, and what is no longer "unchecked" */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, "--allow-debug", rep)), 0);
	snp = json_object_get(o, "snp");
	assert_true(json_is_true(json_object_get(json_object_get(snp, "policy_bits"), "smt")));
	assert_true(json_is_true(json_object_get(json_object_get(snp, "policy_bits"), "debug")));
	assert_true(json_is_false(json_object_get(json_object_get(snp, "policy_bits"), "single_socket")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(snp, "policy_bits"), "abi")), "0.0");
	assert_true(json_is_true(json_object_get(json_object_get(snp, "platform_info_bits"), "smt_en")));
	assert_true(json_is_false(json_object_get(json_object_get(snp, "platform_info_bits"), "tsme_en")));
	assert_true(json_is_false(json_object_get(snp, "id_key_present")));
	assert_true(json_array_has(json_object_get(o, "unchecked"), "PLATFORM_INFO (SMT_EN, TSME_EN"));
	assert_true(json_array_has(json_object_get(o, "unchecked"), "--guest-policy"));
	assert_true(json_array_has(json_object_get(o, "unchecked"), "--family-id"));
	json_decref(o);
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--certs", vcek, "--allow-debug", "--platform-info", "smt",
					       "--guest-policy", "smt", "--family-id", fam,
					       "--min-launch-tcb", "bl=0", "--require-id-key", rep)), 3);
	assert_false(json_array_has(json_object_get(o, "unchecked"), "--platform-info"));
	/* a group partly given lists the rest only */
	assert_true(json_array_has(json_object_get(o, "unchecked"), "IMAGE_ID: any accepted (--image-id)"));
	assert_true(json_array_has(json_object_get(o, "unchecked"), "AUTHOR_KEY_DIGEST: any accepted (--author-key-digest"));
	assert_false(json_array_has(json_object_get(o, "unchecked"), "FAMILY_ID"));
	assert_true(json_array_has(json_object_get(o, "unchecked"), "COMMITTED_TCB: no minimum given (--min-committed-tcb)"));
	assert_false(json_array_has(json_object_get(o, "unchecked"), "LAUNCH_TCB"));
	assert_true(json_array_has(json_object_get(o, "errors"), "ID_KEY_DIGEST is all zero"));
	json_decref(o);
	/* text */
	EXPECT(0, ARGS("verify", "--certs", vcek, "--allow-debug", rep),
	       "\nGuest policy:   ABI 0.0, SMT yes, MIGRATE_MA no, SINGLE_SOCKET no (0xb0000)",
	       "\nPlatform info:  SMT_EN 1, TSME_EN 0", "\nLaunch TCB:     ", "\nFamily ID:      ");

	/* the same from a policy file */
	{
		char json[512];
		const char *pol;

		snprintf(json, sizeof(json),
			 "{\"allow_debug\":true,\"snp\":{\"guest_policy\":{\"smt\":true},\"family_id\":\"%s\","
			 "\"platform_info\":{\"tsme\":false},\"min_launch_tcb\":{\"snp\":%u}}}", fam, b[0x1f0 + 6]);
		pol = write_tmp("fields-ok.json", json, strlen(json));
		assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--certs", vcek, "--policy", pol, rep)), 0);
		/* a flag adds to the file: one more bit */
		EXPECT(3, ARGS("verify", "--certs", vcek, "--policy", pol, "--guest-policy", "single-socket", rep),
		       "SINGLE_SOCKET (bit 20) is 0, expected 1 (required 0x110000 under mask 0x110000)");
		snprintf(json, sizeof(json), "{\"allow_debug\":true,\"snp\":{\"platform_info\":{\"tsme\":true}}}");
		pol = write_tmp("fields-bad.json", json, strlen(json));
		EXPECT(3, ARGS("verify", "--certs", vcek, "--policy", pol, rep), "TSME_EN (bit 1) is 0, expected 1");
		snprintf(json, sizeof(json), "{\"snp\":{\"platform_info\":{\"tsm\":true}}}");
		pol = write_tmp("fields-typo.json", json, strlen(json));
		EXPECT(1, ARGS("verify", "--certs", vcek, "--policy", pol, rep),
		       "\"snp.platform_info.tsm\": expected one of smt, tsme, ecc");
	}
	free(b);
}

/* The real SPR v4 quote; fields at DCAP quote v4 offsets (header 48 B, body 584 B). */
static void test_fields_tdx(void **state)
{
	const char *quote = td_path("tdx/gtg-v4-quote-spr-e4.bin");
	size_t len;
	uint8_t *q = load_td("tdx/gtg-v4-quote-spr-e4.bin", &len);
	size_t qe = 48 + 584 + 4 + 134;		/* QE report in the certification data */
	unsigned isvsvn = q[qe + 258] | q[qe + 259] << 8;
	char seam[97], signer[97], cfg[97], attr[64], xfam[64], svn[16], want[200], other[97];
	uint64_t a = 0, x = 0;
	json_t *o, *td;

	(void)state;
	for (int k = 7; k >= 0; k--) {
		a = a << 8 | q[48 + 120 + k];	/* TD_ATTRIBUTES */
		x = x << 8 | q[48 + 128 + k];	/* XFAM */
	}
	cvm_hex_encode(q + 48 + 16, 48, seam);		/* MRSEAM */
	cvm_hex_encode(q + 48 + 64, 48, signer);	/* MRSIGNERSEAM */
	cvm_hex_encode(q + 48 + 184, 48, cfg);		/* MRCONFIGID */
	snprintf(attr, sizeof(attr), "0x%llx/0xffffffffffffffff", (unsigned long long)a);
	snprintf(xfam, sizeof(xfam), "0x%llx/0xffffffff", (unsigned long long)(x & 0xffffffff));
	snprintf(svn, sizeof(svn), "%u", isvsvn);
	memset(other, 'b', 96), other[96] = 0;

	assert_int_equal(run_cli(NULL, ARGS("verify", "-q", "--mrseam", other, "--mrseam", seam,
					   "--mrsignerseam", signer, "--mrconfigid", cfg, "--mrowner", cfg,
					   "--mrownerconfig", cfg, "--td-attributes", attr, "--xfam", xfam,
					   "--min-qe-svn", svn, "--min-pce-svn", "0", quote)), 0);
	snprintf(want, sizeof(want), "MRSEAM %s differs from the expected value %s", seam, other);
	EXPECT(3, ARGS("verify", "--mrseam", other, quote), want, "REJECTED");
	EXPECT(3, ARGS("verify", "--mrseam", other, "--mrseam", other, quote), "is none of the 2 accepted values");
	EXPECT(3, ARGS("verify", "--mrsignerseam", other, quote), "MRSIGNERSEAM 0000");
	EXPECT(3, ARGS("verify", "--mrownerconfig", other, quote), "MROWNERCONFIG 0000");
	snprintf(want, sizeof(want), "TD_ATTRIBUTES 0x%llx: SEPT_VE_DISABLE (bit 28) is %u, expected %u",
		 (unsigned long long)a, (unsigned)(a >> 28) & 1, !((a >> 28) & 1));
	EXPECT(3, ARGS("verify", "--td-attributes", (a >> 28) & 1 ? "0x0/0x10000000" : "0x10000000/0x10000000",
		       quote), want);
	snprintf(want, sizeof(want), "XFAM 0x%llx: bit 0 is 1, expected 0", (unsigned long long)x);
	EXPECT(3, ARGS("verify", "--xfam", "0/1", quote), want);
	snprintf(svn, sizeof(svn), "%u", isvsvn + 1);
	snprintf(want, sizeof(want), "QE report ISVSVN %u is below the minimum QE SVN %u", isvsvn, isvsvn + 1);
	EXPECT(3, ARGS("verify", "--min-qe-svn", svn, quote), want);
	EXPECT(3, ARGS("verify", "--min-pce-svn", "1", quote), "quote header PCE SVN 0 is below the minimum 1");
	/* v5 */
	EXPECT(3, ARGS("verify", "--min-pce-svn", "1", td_path("tdx/gtg-v5-quote.bin")), "PCE SVN 0");

	assert_int_equal(run_cli_json(&o, ARGS("verify", quote)), 0);
	td = json_object_get(o, "tdx");
	assert_int_equal(json_integer_value(json_object_get(td, "qe_svn")), isvsvn);
	assert_int_equal(json_integer_value(json_object_get(td, "pce_svn")), 0);
	assert_json_hex(td, "mrseam", q + 48 + 16, 48);
	assert_true(json_array_has(json_object_get(o, "unchecked"), "MRSEAM, MRSIGNERSEAM, MRCONFIGID, MROWNER, MROWNERCONFIG: any accepted (--mrseam, "));
	assert_true(json_array_has(json_object_get(o, "unchecked"), "--td-attributes, --xfam"));
	json_decref(o);
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--mrseam", seam, "--xfam", xfam, quote)), 0);
	assert_false(json_array_has(json_object_get(o, "unchecked"), "--mrseam"));
	assert_false(json_array_has(json_object_get(o, "unchecked"), "--xfam"));
	json_decref(o);
	snprintf(want, sizeof(want), "\nMRSEAM:         %s\n", seam);
	EXPECT(0, ARGS("verify", quote), want, "\nXFAM:           0x", "\nSVNs:           QE ");
	free(q);
}

/* Malformed values: exit 1 and the form expected; options of the other platform: exit 1. */
static void test_fields_usage(void **state)
{
	const char *quote = td_path("tdx/gtg-v4-quote-spr-e4.bin");
	const char *rep = td_path("snp/virtee-milan-v2-report.hex");
	const char *vcek = td_path("snp/virtee-milan-vcek.der");
	const char *hcl_tdx = td_path("azure/kinvolk-hcl-report-tdx.bin");
	const char *h48 = "000000000000000000000000000000000000000000000000000000000000000000000000"
			  "000000000000000000000000";

	(void)state;
	EXPECT(1, ARGS("verify", "--family-id", "0011", rep), "--family-id: 16 bytes of hex (32 hex digits) expected");
	EXPECT(1, ARGS("verify", "--image-id", h48, rep), "--image-id: 16 bytes of hex (32 hex digits) expected");
	EXPECT(1, ARGS("verify", "--id-key-digest", "zz", rep), "--id-key-digest: 48 bytes of hex (96 hex digits)");
	EXPECT(1, ARGS("verify", "--author-key-digest", "00", rep), "--author-key-digest: 48 bytes of hex");
	EXPECT(1, ARGS("verify", "--mrseam", "00", quote), "--mrseam: 48 bytes of hex (96 hex digits) expected");
	EXPECT(1, ARGS("verify", "--mrconfigid", "00", quote), "--mrconfigid: 48 bytes");
	EXPECT(1, ARGS("verify", "--td-attributes", "0x10000000", quote),
	       "--td-attributes: \"0x10000000\" is not VALUE/MASK with VALUE inside MASK, e.g. 0x10000000/0xf0000000");
	EXPECT(1, ARGS("verify", "--td-attributes", "0x3/0x1", quote), "is not VALUE/MASK with VALUE inside MASK");
	EXPECT(1, ARGS("verify", "--xfam", "x/y", quote), "--xfam: \"x/y\" is not VALUE/MASK");
	EXPECT(1, ARGS("verify", "--guest-policy", "smt,bogus", rep), "--guest-policy: \"smt,bogus\" is not a list of");
	EXPECT(1, ARGS("verify", "--platform-info", "smt,", rep), "--platform-info: \"smt,\" is not a list of smt, tsme");
	EXPECT(1, ARGS("verify", "--min-launch-tcb", "bl", rep), "--min-launch-tcb: expected e.g. bl=3,tee=0,snp=8,ucode=115");
	EXPECT(1, ARGS("verify", "--min-committed-tcb", "snp=256", rep), "--min-committed-tcb: expected e.g.");
	EXPECT(1, ARGS("verify", "--min-policy-abi", "1", rep), "--min-policy-abi: expected MAJOR.MINOR (0-255 each), e.g. 1.51");
	EXPECT(1, ARGS("verify", "--min-policy-abi", "1.2.3", rep), "expected MAJOR.MINOR");
	EXPECT(1, ARGS("verify", "--min-guest-svn", "-1", rep), "--min-guest-svn: expected a number from 0 to 4294967295");
	EXPECT(1, ARGS("verify", "--min-qe-svn", "65536", quote), "--min-qe-svn: expected a number from 0 to 65535");
	EXPECT(1, ARGS("verify", "--min-pce-svn", "x", quote), "--min-pce-svn: expected a number");
	EXPECT(1, ARGS("verify", "--min-report-version", "", rep), "--min-report-version: expected a number");

	/* the other platform's options, before any verdict */
	EXPECT(1, ARGS("verify", "--family-id", "00000000000000000000000000000000", quote),
	       "--family-id applies to SEV-SNP reports, not to a TDX quote");
	EXPECT(1, ARGS("verify", "--guest-policy", "no-smt", hcl_tdx),
	       "--guest-policy applies to SEV-SNP reports, not to an Azure HCL report (around a TDREPORT)");
	EXPECT(1, ARGS("verify", "--min-launch-tcb", "bl=0", quote), "--min-launch-tcb applies to SEV-SNP reports");
	EXPECT(1, ARGS("verify", "--certs", vcek, "--mrseam", h48, rep),
	       "--mrseam applies to TDX quotes and TDREPORTs, not to an SEV-SNP report");
	EXPECT(1, ARGS("verify", "--certs", vcek, "--xfam", "0x1/0x1", rep), "--xfam applies to TDX quotes");
	EXPECT(1, ARGS("verify", "--certs", vcek, "--min-qe-svn", "1", rep), "--min-qe-svn applies to TDX quotes");
	/* QE/PCE SVN exist in a quote only */
	EXPECT(1, ARGS("verify", "--min-pce-svn", "0", hcl_tdx),
	       "--min-pce-svn applies to TDX quotes (the QE report and the quote header), not to an Azure HCL report (around a TDREPORT)");
	/* MRSEAM is in a TDREPORT too: not refused, judged (exit 5: a TDREPORT is not verifiable) */
	EXPECT(5, ARGS("verify", "--mrseam", h48, hcl_tdx), "MRSEAM ");
	/* FMC SPL: Turin only */
	EXPECT(1, ARGS("verify", "--certs", vcek, "--min-launch-tcb", "fmc=0", rep),
	       "--min-launch-tcb fmc= applies to Turin reports (FMC SPL), not to this Milan report");
	EXPECT(0, ARGS("verify", "--certs", vcek, "--min-current-tcb", "bl=0", rep), "OK");
}

/* Start @script (next to this file) serving @srv over HTTPS on loopback; its port in @port. */
static pid_t start_server(const char *script, const char *dir, char port[16])
{
	char path[1200];
	pid_t pid = fork();
	FILE *f;

	assert_true(pid >= 0);
	if (pid == 0) {
		char srv[700], cert[700], key[700], pf[700], sc[700];

		snprintf(srv, sizeof(srv), "%s/srv", dir);
		snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
		snprintf(key, sizeof(key), "%s/key.pem", dir);
		snprintf(pf, sizeof(pf), "%s/port", dir);
		snprintf(sc, sizeof(sc), "%.*s/%s", (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__,
			 script);
		execlp("python3", "python3", sc, srv, cert, key, pf, (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/port", dir);
	port[0] = 0;
	for (int i = 0; i < 200 && !port[0]; i++) {
		f = fopen(path, "r");
		if (f) {
			if (!fgets(port, 16, f))
				port[0] = 0;
			fclose(f);
		}
		if (!port[0])
			usleep(50000);
	}
	assert_true(port[0]);
	return pid;
}

/* Lay out collateral dir @coll as PCS serves it, under DIR/srv. */
static void serve_collateral(const char *dir, const char *coll)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "set -e; s=%s/srv; c=%s; mkdir -p $s/tdx/certification/v4/qe $s/sgx/certification/v4 $s/chains; "
		 "cp $c/tcbinfo.json $s/tdx/certification/v4/tcb; "
		 "cp $c/tcbinfo-chain.pem $s/chains/tcb.pem; "
		 "echo 'TCB-Info-Issuer-Chain: chains/tcb.pem' > $s/tdx/certification/v4/tcb.headers; "
		 "cp $c/qeidentity.json $s/tdx/certification/v4/qe/identity; "
		 "cp $c/qeidentity-chain.pem $s/chains/qe.pem; "
		 "echo 'SGX-Enclave-Identity-Issuer-Chain: chains/qe.pem' > $s/tdx/certification/v4/qe/identity.headers; "
		 "cp $c/pckcrl.der $s/sgx/certification/v4/pckcrl; cp $c/rootcrl.der $s/IntelSGXRootCA.der",
		 dir, coll);
	assert_int_equal(system(cmd), 0);
}

/* cvmattest fetch QUOTE against an Intel PCS stand-in on loopback, then verify offline. */
static void test_fetch_tdx(void **state)
{
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts qo = { .version = 4, .tee_tcb_svn = { 3, 0, 5 } };
	struct forge_coll_opts co = { 0 };
	char dir[600], cmd[4096], port[16], url[64], crl[128], cache[700], cache2[700], cert[700];
	char quote[4096], good[4096], bad[4096], path[1200], *out, *log;
	uint8_t *q;
	size_t len;
	json_t *o;
	pid_t pid;

	(void)state;
	q = forge_quote(f, &qo, &len);
	snprintf(quote, sizeof(quote), "%s", write_tmp("fetch-tdx-quote.bin", q, len));
	free(q);
	snprintf(good, sizeof(good), "%s", forge_collateral(f, &co, "fetch-good"));
	co.other_root = true;
	snprintf(bad, sizeof(bad), "%s", forge_collateral(f, &co, "fetch-bad"));

	snprintf(dir, sizeof(dir), "%s/%d-pcs", tmp_dir(), (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p %s/srv; cd %s; "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout key.pem "
		 "-out cert.pem 2>/dev/null", dir, dir);
	assert_int_equal(system(cmd), 0);
	serve_collateral(dir, good);
	pid = start_server("pcs-server.py", dir, port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);
	snprintf(crl, sizeof(crl), "intel_root_crl_url=https://127.0.0.1:%s/IntelSGXRootCA.der", port);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(cache2, sizeof(cache2), "%s/cache2", dir);

	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--json", "--pcs-url", url, "--set", crl,
						"--ca-bundle", cert, "--cache", cache, "--intel-root",
						f->root_path, quote)), 0);
	assert_non_null(strstr(out, "\"platform\": \"tdx\""));
	assert_non_null(strstr(out, "\"fmspc\": \"00906ed50000\""));
	assert_non_null(strstr(out, "\"ca\": \"platform\""));
	assert_non_null(strstr(out, "\"tcb_status\": \"UpToDate\""));
	free(out);
	snprintf(path, sizeof(path), "%s/srv/requests.log", dir);
	log = (char *)load(path, &len);
	assert_non_null(strstr(log, "/tdx/certification/v4/tcb?fmspc=00906ed50000\n"));
	assert_non_null(strstr(log, "/tdx/certification/v4/qe/identity\n"));
	assert_non_null(strstr(log, "/sgx/certification/v4/pckcrl?ca=platform&encoding=der\n"));
	assert_non_null(strstr(log, "/IntelSGXRootCA.der\n"));
	free(log);
	snprintf(path, sizeof(path), "%s/tdx/00906ed50000/tcbinfo-chain.pem", cache);
	assert_int_equal(access(path, R_OK), 0);
	/* verify finds it offline */
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--intel-root", f->root_path, "--cache-dir", cache,
					       quote)), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(o, "tdx"),
									      "collateral"), "tcb_status")),
			    "UpToDate");
	json_decref(o);

	/* the stand-in now serves collateral signed under another root: refused, nothing stored */
	serve_collateral(dir, bad);
	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--pcs-url", url, "--set", crl, "--ca-bundle",
						cert, "--cache", cache2, "--intel-root", f->root_path,
						quote)), 2);
	assert_non_null(strstr(out, "does not chain to the trusted Intel root"));
	assert_non_null(strstr(out, "nothing stored"));
	free(out);
	snprintf(path, sizeof(path), "%s/tdx/00906ed50000/tcbinfo.json", cache2);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/tdx", cache2);
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", path);
	assert_int_equal(system(cmd), 0);	/* the staging directory is gone too */
	/* and what was stored before stays as it was */
	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--pcs-url", url, "--set", crl, "--ca-bundle",
						cert, "--cache", cache, "--intel-root", f->root_path,
						quote)), 2);
	free(out);
	assert_int_equal(run_cli_all(&out, ARGS("verify", "--intel-root", f->root_path, "--cache-dir",
						cache, quote)), 0);
	free(out);
	/* a quote that does not verify (the real one, under the test root): nothing is fetched */
	assert_int_equal(run_cli_all(&out, ARGS("fetch", "--pcs-url", url, "--set", crl, "--ca-bundle",
						cert, "--cache", cache2, "--intel-root", f->root_path,
						td_path("tdx/gtg-v4-quote-spr-e4.bin"))), 2);
	assert_non_null(strstr(out, "The quote does not verify"));
	free(out);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* ---- issue 19: an Azure TDX HCL report with the TD quote of its TDREPORT -------------------- */

static void test_verify_td_quote(void **state)
{
	static const char claims[] =
		"{\"keys\":[{\"kid\":\"HCLAkPub\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"sgeoFQ\"}],"
		"\"vm-configuration\":{\"secure-boot\":true,\"tpm-enabled\":true},"
		"\"user-data\":\"0101000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000\"}";
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts qo = { .version = 4, .tee_tcb_svn = { 3, 0, 5 }, .qe_isvsvn = 4 };
	char hcl[4096], quote[4096], hexq[4096], other[4096], badsig[4096], empty[4096], *hex;
	const char *snp = td_path("azure/kinvolk-hcl-report-snp.bin");
	const char *real_tdx = td_path("azure/kinvolk-hcl-report-tdx.bin");
	uint8_t *h, *q, *q2;
	size_t hlen, qlen, q2len;
	json_t *o, *tq;

	(void)state;
	memset(qo.mrtd, 0x3d, 48);
	memset(qo.rtmr[1], 0x41, 48);
	h = forge_hcl_tdx(claims, &qo, &hlen);
	q = forge_quote(f, &qo, &qlen);
	snprintf(hcl, sizeof(hcl), "%s", write_tmp("tdq-hcl.bin", h, hlen));
	snprintf(quote, sizeof(quote), "%s", write_tmp("tdq-quote.bin", q, qlen));
	hex = malloc(2 * qlen + 1);
	assert_non_null(hex);
	cvm_hex_encode(q, qlen, hex);
	snprintf(hexq, sizeof(hexq), "%s", write_tmp("tdq-quote.hex", hex, strlen(hex)));
	free(hex);
	q[TDX_Q4_BODY + TDX_QUOTE_BODY_V4_LEN + 4 + TDX_SD_QUOTE_SIG + 9] ^= 0x10;
	snprintf(badsig, sizeof(badsig), "%s", write_tmp("tdq-badsig.bin", q, qlen));
	qo.rtmr[1][47] ^= 1;
	q2 = forge_quote(f, &qo, &q2len);
	snprintf(other, sizeof(other), "%s", write_tmp("tdq-other.bin", q2, q2len));
	snprintf(empty, sizeof(empty), "%s", write_tmp("tdq-empty.bin", "", 0));

	/* alone: today's answer */
	EXPECT(5, ARGS("verify", "--intel-root", f->root_path, hcl), "TDREPORT");
	EXPECT(5, ARGS("verify", real_tdx), "cannot be verified off the platform");
	/* with its quote: verified, and the policy is the quote's */
	EXPECT(0, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, hcl), "OK: verified",
	       "TD quote:       verified, of this TDREPORT");
	EXPECT(0, ARGS("verify", "--intel-root", f->root_path, "--td-quote", hexq, "--min-qe-svn", "4",
		       "--report-data", "0101", hcl), "OK");
	EXPECT(3, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, "--min-qe-svn", "5", hcl),
	       "QE report ISVSVN 4 is below the minimum QE SVN 5");
	EXPECT(1, ARGS("verify", "--intel-root", f->root_path, "--min-qe-svn", "4", hcl), "applies to TDX quotes");
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, hcl)), 0);
	check_common(o, "azure-hcl", 2, true, true);
	tq = json_object_get(json_object_get(o, "hcl"), "td_quote");
	assert_true(json_is_true(json_object_get(tq, "verified")));
	assert_true(json_is_true(json_object_get(tq, "matches_tdreport")));
	assert_json_hex(json_object_get(o, "tdx"), "mrtd", qo.mrtd, 48);
	json_decref(o);
	/* refused: another TDREPORT's quote, a broken signature, an untrusted chain */
	EXPECT(2, ARGS("verify", "--intel-root", f->root_path, "--td-quote", other, hcl),
	       "the TD quote is not of this TDREPORT: RTMR1 differs", "NOT of this TDREPORT");
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--intel-root", f->root_path, "--td-quote", other, hcl)), 2);
	tq = json_object_get(json_object_get(o, "hcl"), "td_quote");
	assert_true(json_is_true(json_object_get(tq, "verified")));
	assert_true(json_is_false(json_object_get(tq, "matches_tdreport")));
	/* the fields shown are the TDREPORT's (RTMR1 ends in 41), not the other quote's (40) */
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(o, "tdx"),
									 "rtmr"), 1)) + 94, "41");
	json_decref(o);
	EXPECT(2, ARGS("verify", "--intel-root", f->root_path, "--td-quote", badsig, hcl),
	       "quote signature does not verify");
	EXPECT(2, ARGS("verify", "--td-quote", quote, hcl), "PCK certificate chain");
	EXPECT(2, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, real_tdx),
	       "not of this TDREPORT");
	/* usage: not an Azure TDX HCL report, an empty or missing quote, two stdins */
	EXPECT(1, ARGS("verify", "--td-quote", quote, snp),
	       "--td-quote applies to an Azure HCL report around a TDREPORT", "not to an Azure HCL report (around an SEV-SNP report)");
	EXPECT(1, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, quote), "not to a TDX quote");
	EXPECT(1, ARGS("verify", "--td-quote", empty, hcl), "is empty");
	EXPECT(1, ARGS("verify", "--td-quote", "/nonexistent/q.bin", hcl), "cannot read /nonexistent/q.bin");
	EXPECT(1, ARGS("verify", "--td-quote", "-", "-"), "cannot both read stdin");
	free(h);
	free(q);
	free(q2);
}

static void test_verify_tpm_quote(void **state)
{
	struct forge_intel *f = forge_intel();
	struct forge_quote_opts qo = { .version = 4, .tee_tcb_svn = { 3, 0, 5 } };
	EVP_PKEY *ak = EVP_RSA_gen(2048);
	char hcl[4096], quote[4096], tpm[4096], *claims;
	const char *real_quote = td_path("azure/kinvolk-quote.bin");
	const char *real_tdx = td_path("azure/kinvolk-hcl-report-tdx.bin");
	uint8_t pcrs[24][32] = { { 0 } }, *h, *q, *t;
	size_t hlen, qlen, tlen;
	json_t *o, *tq;

	(void)state;
	assert_non_null(ak);
	memset(pcrs[7], 0x77, 32);
	claims = forge_ak_claims(ak);
	h = forge_hcl_tdx(claims, &qo, &hlen);
	q = forge_quote(f, &qo, &qlen);
	t = forge_tpm_quote(ak, (const uint8_t *)"\x01\x02\x03\x04", 4, pcrs, &tlen);
	snprintf(hcl, sizeof(hcl), "%s", write_tmp("tpmq-hcl.bin", h, hlen));
	snprintf(quote, sizeof(quote), "%s", write_tmp("tpmq-quote.bin", q, qlen));
	snprintf(tpm, sizeof(tpm), "%s", write_tmp("tpmq-tpm.bin", t, tlen));

	EXPECT(0, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, "--tpm-quote", tpm,
		       "--nonce", "01020304", hcl), "OK: verified",
	       "TPM quote:      signed by HCLAkPub, nonce and PCR digest match");
	EXPECT(2, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, "--tpm-quote", tpm,
		       "--nonce", "01020305", hcl), "extraData is not the nonce given");
	EXPECT(0, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote, "--tpm-quote", tpm, hcl),
	       "no nonce given to compare");
	assert_int_equal(run_cli_json(&o, ARGS("verify", "--intel-root", f->root_path, "--td-quote", quote,
					       "--tpm-quote", tpm, "--nonce", "01020304", hcl)), 0);
	tq = json_object_get(json_object_get(o, "hcl"), "tpm_quote");
	assert_true(json_is_true(json_object_get(tq, "verified")));
	assert_true(json_is_true(json_object_get(tq, "nonce_checked")));
	assert_json_hex(json_object_get(tq, "pcrs"), "7", pcrs[7], 32);
	json_decref(o);
	/* the real quote is another VM's AK than the real HCL report's claims carry */
	EXPECT(2, ARGS("verify", "--tpm-quote", real_quote, "--nonce", "6368616c6c656e6765", real_tdx),
	       "signature does not verify with the AK");
	/* usage */
	EXPECT(1, ARGS("verify", "--nonce", "01", hcl), "--nonce is the TPM quote's: it needs --tpm-quote");
	EXPECT(1, ARGS("verify", "--tpm-quote", tpm, "--nonce", "zz", hcl), "--nonce: hex of 1 to 64 bytes");
	EXPECT(1, ARGS("verify", "--intel-root", f->root_path, "--tpm-quote", tpm, quote),
	       "--tpm-quote applies to an Azure HCL report");
	free(claims);
	free(h);
	free(q);
	free(t);
	EVP_PKEY_free(ak);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_gsg),
		cmocka_unit_test(test_snp_virtee),
		cmocka_unit_test(test_snp_corrupted),
		cmocka_unit_test(test_tdx),
		cmocka_unit_test(test_azure),
		cmocka_unit_test(test_not_evidence),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_options_apply),
		cmocka_unit_test(test_unchecked),
		cmocka_unit_test(test_vcek_where),
		cmocka_unit_test(test_tdx_collateral),
		cmocka_unit_test(test_verify_crl),
		cmocka_unit_test(test_wild_shapes),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_fields_snp),
		cmocka_unit_test(test_fields_tdx),
		cmocka_unit_test(test_fields_usage),
		cmocka_unit_test(test_fetch_tdx),
		cmocka_unit_test(test_verify_td_quote),
		cmocka_unit_test(test_verify_tpm_quote),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
