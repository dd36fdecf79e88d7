// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench/verify: SEV-SNP reports verified per second by cvm_verify() with the
 * VCEK chain already checked (cached in the context), beside what
 * `openssl speed ecdsap384` gives for bare ECDSA P-384 verification in the
 * same run.  The ratio is the number to compare across machines: one report
 * verification is one P-384 verification plus parsing, the TCB and hwID
 * checks and the policy, so it should stay close to 1.
 *
 * usage: verify TESTDATA [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcvmattest.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0)
		goto fail;
	rewind(f);
	b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		goto fail;
	fclose(f);
	*len = (size_t)n;
	return b;
fail:
	fprintf(stderr, "bench: cannot read %s\n", path);
	exit(1);
}

/* verify/s from `openssl speed`'s "384 bits ecdsa (nistp384)" line (the last column). */
static double openssl_speed(int seconds)
{
	char cmd[128], line[512];
	double v = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "openssl speed -seconds %d ecdsap384 2>/dev/null", seconds);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		char *last;

		if (!strstr(line, "nistp384") || !strstr(line, "bits ecdsa"))
			continue;
		line[strcspn(line, "\n")] = 0;
		last = strrchr(line, ' ');
		if (last)
			v = strtod(last + 1, NULL);
	}
	pclose(p);
	return v;
}

int main(int argc, char **argv)
{
	char path[4096];
	struct cvm_ctx *ctx;
	struct cvm_result *r;
	uint8_t *hex, *report;
	size_t hex_len, len, n = 0;
	int seconds = argc > 2 ? atoi(argv[2]) : 5;
	double t0, elapsed, ours, theirs;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TESTDATA [SECONDS]\n", argv[0]);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/snp/virtee-milan-v2-report.hex", argv[1]);
	hex = slurp(path, &hex_len);
	if (cvm_hex_decode((const char *)hex, hex_len, &report, &len) < 0)
		return 1;
	if (cvm_ctx_new(&ctx) < 0)
		return 1;
	cvm_set_cache_dir(ctx, NULL);
	snprintf(path, sizeof(path), "%s/snp/virtee-milan-vcek.der", argv[1]);
	if (cvm_add_certs_file(ctx, path) < 0)
		return 1;

	/* First verification checks VCEK <- ASK <- ARK and caches it. */
	if (cvm_verify(ctx, report, len, CVM_FORMAT_SNP_REPORT, NULL, &r) < 0 ||
	    cvm_result_status(r) != CVM_STATUS_OK) {
		fprintf(stderr, "bench: the sample does not verify\n");
		return 1;
	}
	cvm_result_free(r);

	t0 = now();
	do {
		for (int i = 0; i < 50; i++) {
			if (cvm_verify(ctx, report, len, CVM_FORMAT_SNP_REPORT, NULL, &r) < 0 ||
			    cvm_result_status(r) != CVM_STATUS_OK)
				return 1;
			cvm_result_free(r);
			n++;
		}
		elapsed = now() - t0;
	} while (elapsed < seconds);
	ours = (double)n / elapsed;
	theirs = openssl_speed(seconds);

	printf("SNP reports verified/s (chain cached): %10.1f\n", ours);
	if (theirs > 0) {
		printf("openssl speed ecdsap384 verify/s:       %10.1f\n", theirs);
		printf("ratio (reports / raw P-384 verifies):   %10.3f\n", ours / theirs);
	} else {
		printf("openssl speed ecdsap384: not available\n");
	}
	free(hex);
	free(report);
	cvm_ctx_free(ctx);
	return 0;
}
