// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static const char *env_or_fail(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		fail_msg("%s is not set; run the tests through 'make check'", name);
	return v;
}

const char *td_path(const char *rel)
{
	static char buf[8][4096];
	static int slot;
	char *p = buf[slot++ % 8];

	snprintf(p, 4096, "%s/%s", env_or_fail("CVMATTEST_TESTDATA"), rel);
	return p;
}

uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	if (strlen(path) > 4 && strcmp(path + strlen(path) - 4, ".hex") == 0) {
		uint8_t *bin;
		size_t blen;

		assert_int_equal(cvm_hex_decode((const char *)buf, *len, &bin, &blen), 0);
		free(buf);
		buf = bin;
		*len = blen;
	}
	return buf;
}

uint8_t *load_td(const char *rel, size_t *len)
{
	return load(td_path(rel), len);
}

const char *tmp_dir(void)
{
	static char dir[4096];

	if (!dir[0]) {
		const char *base = getenv("CVMATTEST_TMP");

		snprintf(dir, sizeof(dir), "%s", base && *base ? base : "/tmp/cvmattest-unit");
		mkdir(dir, 0755);
		/* best effort for a nested default; the write below reports real failures */
	}
	return dir;
}

const char *write_tmp(const char *name, const void *buf, size_t len)
{
	static char paths[8][4096];
	static int slot;
	char *p = paths[slot++ % 8];
	FILE *f;

	snprintf(p, 4096, "%s/%d-%s", tmp_dir(), (int)getpid(), name);
	f = fopen(p, "wb");
	if (!f)
		fail_msg("cannot write %s: %s", p, strerror(errno));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return p;
}

static void quiet_log(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (getenv("CVMATTEST_TEST_VERBOSE"))
		fprintf(stderr, "  [log %d] %s\n", level, msg);
}

struct cvm_ctx *quiet_ctx(void)
{
	struct cvm_ctx *ctx;

	assert_int_equal(cvm_ctx_new(&ctx), 0);
	cvm_set_log(ctx, quiet_log, NULL);
	cvm_set_log_level(ctx, CVM_LOG_DEBUG);
	/* No cache unless a test asks for one: results must not depend on the host. */
	assert_int_equal(cvm_set_cache_dir(ctx, NULL), 0);
	return ctx;
}

enum cvm_status verify_status(struct cvm_ctx *ctx, const uint8_t *buf, size_t len,
			      const struct cvm_policy *p)
{
	struct cvm_result *r;
	enum cvm_status s;

	assert_int_equal(cvm_verify(ctx, buf, len, CVM_FORMAT_UNKNOWN, p, &r), 0);
	s = cvm_result_status(r);
	if (getenv("CVMATTEST_TEST_VERBOSE"))
		for (size_t i = 0; i < cvm_result_n_errors(r); i++)
			fprintf(stderr, "  [error] %s\n", cvm_result_error(r, i));
	cvm_result_free(r);
	return s;
}

bool result_has_error(const struct cvm_result *r, const char *needle)
{
	for (size_t i = 0; i < cvm_result_n_errors(r); i++)
		if (strstr(cvm_result_error(r, i), needle))
			return true;
	return false;
}

int run_cli(char **out, const char *const *args)
{
	return run_prog(env_or_fail("CVMATTEST_BIN"), out, args);
}

static int run_prog_err(const char *bin, char **out, const char *const *args, bool with_err);

int run_prog(const char *bin, char **out, const char *const *args)
{
	return run_prog_err(bin, out, args, false);
}

int run_cli_all(char **out, const char *const *args)
{
	return run_prog_err(env_or_fail("CVMATTEST_BIN"), out, args, true);
}

static int run_prog_err(const char *bin, char **out, const char *const *args, bool with_err)
{
	const char *argv[64];
	int pipefd[2], status;
	size_t n = 0, cap = 0;
	char *buf = NULL;
	pid_t pid;

	argv[0] = bin;
	for (size_t i = 0; args[i]; i++) {
		assert_true(i + 2 < 64);
		argv[i + 1] = args[i];
		argv[i + 2] = NULL;
	}
	if (!args[0])
		argv[1] = NULL;
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(pipefd[1], STDOUT_FILENO);
		if (with_err)
			dup2(pipefd[1], STDERR_FILENO);
		else if (!getenv("CVMATTEST_TEST_VERBOSE"))
			dup2(devnull, STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t k;

		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		k = read(pipefd[0], buf + n, cap - n - 1);
		if (k < 0 && errno == EINTR)
			continue;
		assert_true(k >= 0);
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = 0;
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (out)
		*out = buf;
	else
		free(buf);
	return WEXITSTATUS(status);
}

int run_cli_json(json_t **out, const char *const *args)
{
	const char *a[64];
	json_error_t err;
	char *text;
	size_t i;
	int rc;

	for (i = 0; args[i]; i++) {
		assert_true(i + 2 < 64);
		a[i] = args[i];
	}
	a[i++] = "--json";
	a[i] = NULL;
	rc = run_cli(&text, a);
	*out = json_loads(text, 0, &err);
	if (!*out)
		fail_msg("CLI output is not JSON (%s): %.200s", err.text, text);
	free(text);
	return rc;
}

void assert_json_hex(json_t *obj, const char *key, const uint8_t *want, size_t len)
{
	json_t *v = json_object_get(obj, key);
	char hex[2 * 1024 + 1];

	assert_true(len <= 1024);
	if (!json_is_string(v))
		fail_msg("JSON key \"%s\" is not a string", key);
	cvm_hex_encode(want, len, hex);
	assert_string_equal(json_string_value(v), hex);
}
