// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cli-util.h"

#define EVIDENCE_FILE_MAX (1024 * 1024)

int cli_common_opt(struct cli_common *c, int opt)
{
	switch (opt) {
	case 'q':
		c->quiet = true;
		return 1;
	case 'v':
		c->verbose++;
		return 1;
	case CLI_OPT_JSON:
		c->json = true;
		return 1;
	default:
		return 0;
	}
}

/* What cli_json_error() says: the last error message, and the errno behind it. */
static char last_error[1024];
static int last_errno;
static bool json_printed;

static void remember_error(const char *msg)
{
	snprintf(last_error, sizeof(last_error), "%s", msg);
}

void cli_set_errno(int r)
{
	last_errno = r < 0 ? -r : r;
}

void cli_json_print(const char *json)
{
	printf("%s\n", json);
	json_printed = true;
}

static const char *const exit_names[] = {
	[EXIT_OK] = "ok",
	[EXIT_USAGE] = "usage",
	[EXIT_INVALID] = "invalid",
	[EXIT_POLICY] = "policy",
	[EXIT_MALFORMED] = "malformed",
	[EXIT_UNVERIFIABLE] = "unverifiable",
	[EXIT_UNAVAILABLE] = "unavailable",
	[EXIT_NOT_HERE] = "not-here",
	[EXIT_NO_BINDING] = "no-binding",
	[EXIT_BUSY] = "busy",
	[EXIT_AUTH] = "auth",
	[EXIT_CONFLICT] = "conflict",
	[EXIT_ATTENTION] = "attention",
	[EXIT_TIMEOUT] = "timeout",
};

const char *cli_exit_name(int code)
{
	return code >= 0 && (size_t)code < ELEMENTSOF(exit_names) ? exit_names[code] : NULL;
}

void cli_json_error(int code)
{
	_cleanup_free_ char *text = NULL;
	const char *name = cli_exit_name(code);
	const char *en = last_errno ? strerrorname_np(last_errno) : NULL;
	json_t *e, *j;

	if (json_printed || code == EXIT_OK)
		return;
	e = json_pack("{s:i, s:s, s:s}", "code", code, "name", name ? name : "error", "message",
		      *last_error ? last_error : "failed");
	if (e && en)
		json_object_set_new(e, "errno", json_string(en));
	j = e ? json_pack("{s:o}", "error", e) : NULL;
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text)
		cli_json_print(text);
	fflush(stdout);
}

int cli_exit_code(int r)
{
	cli_set_errno(r);
	switch (r) {
	case 0:
		return EXIT_OK;
	case -EINVAL:
	case -ENOENT:	/* no such key, no endorsement source: fix the configuration */
		return EXIT_USAGE;
	case -EKEYREJECTED:
	case -EKEYEXPIRED:
	case -EBADMSG:
		return EXIT_INVALID;
	case -EACCES:	/* Key Vault: the key's release policy refused this VM */
		return EXIT_POLICY;
	case -EPERM:	/* managed identity not authorized */
		return EXIT_AUTH;
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ECONNRESET:
	case -EAGAIN:
	case -EIO:
	case -EPROTO:
	case -EFBIG:
		return EXIT_UNAVAILABLE;
	case -ENODEV:
	case -ENXIO:
	case -EOPNOTSUPP:	/* no confidential platform, no evidence device */
		return EXIT_NOT_HERE;
	default:
		return EXIT_USAGE;
	}
}

static void log_to_stderr(int level, const char *msg, void *userdata)
{
	const struct cli_common *c = userdata;

	if (level == CVM_LOG_ERROR)
		remember_error(msg);
	if (c->quiet && level > CVM_LOG_ERROR)
		return;
	fprintf(stderr, "%s%s\n",
		level == CVM_LOG_ERROR ? "cvmattest: " : level == CVM_LOG_WARNING ? "cvmattest: warning: " : "",
		msg);
}

int cli_ctx_new(const struct cli_common *c, struct cvm_ctx **ret)
{
	int r = cvm_ctx_new(ret);

	if (r < 0) {
		fprintf(stderr, "cvmattest: cannot set up the library: %s\n", strerror(-r));
		return r;
	}
	/* The callback only reads it. */
	cvm_set_log(*ret, log_to_stderr, (void *)c);
	cvm_set_log_level(*ret, c->verbose == 0 ? CVM_LOG_WARNING :
				c->verbose == 1 ? CVM_LOG_INFO : CVM_LOG_DEBUG);
	return 0;
}

void cli_error(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (r)
		cli_set_errno(r);
	fprintf(stderr, "cvmattest: %s\n", last_error);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cvmattest: %s\n", last_error);
	return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int rc)
{
	fprintf(stderr, "Try '%s --help'.\n", cmd);
	return rc;
}

int cli_read_small_file(const char *path, uint8_t *out, size_t max, size_t *got)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n;
	int r;

	r = cvm_file_read(path, max, &buf, &n);
	if (r < 0) {
		cli_error(r, "%s: %s", path, r == -EFBIG ? "longer than 64 bytes" : strerror(-r));
		return r;
	}
	memset(out, 0, max);
	if (n)
		memcpy(out, buf, n);
	*got = n;
	return 0;
}

int cli_read_evidence(const char *path, uint8_t **ret, size_t *ret_len)
{
	int r = cvm_file_read(path, EVIDENCE_FILE_MAX, ret, ret_len);

	if (r < 0)
		cli_error(r, "cannot read %s: %s", path, r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
	return r;
}

int cli_write_file(const char *path, const uint8_t *buf, size_t len)
{
	return cvm_file_write(path, buf, len, 0644);
}

void cli_sanitize_env(char **argv)
{
	static const char *const names[] = {
		"OPENSSL_CONF", "OPENSSL_CONF_INCLUDE", "OPENSSL_MODULES", "OPENSSL_ENGINES",
		"OPENSSL_ia32cap", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
		"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
		"ALL_PROXY", "no_proxy", "NO_PROXY", "CURL_HOME", "TSS2_LOG",
	};

	bool found = false;

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (getenv(names[i])) {
			unsetenv(names[i]);
			found = true;
		}
	/*
	 * Too late for what the shared libraries' constructors did before main():
	 * libjose's set up OpenSSL, which read OPENSSL_CONF then (and would load the
	 * provider modules it names).  So start again, with the clean environment
	 * (found by tests/unit/test-attest.c, test_cli_env_ignored).  Without /proc
	 * go on: nothing later sees the variables.
	 */
	if (found)
		execv("/proc/self/exe", argv);
}
