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

static void log_to_stderr(int level, const char *msg, void *userdata)
{
	const struct cli_common *c = userdata;

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

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cvmattest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static int read_all(int fd, uint8_t **ret, size_t *ret_len, size_t max)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= max + 1)
				return -EFBIG;
			cap = cap ? cap * 2 : 16384;
			if (cap > max + 1)
				cap = max + 1;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		return -EFBIG;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int read_path(const char *path, uint8_t **ret, size_t *ret_len, size_t max)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read_all(fd, ret, ret_len, max);
	return r;
}

int cli_read_small_file(const char *path, uint8_t *out, size_t max, size_t *got)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n;
	int r;

	r = read_path(path, &buf, &n, max);
	if (r < 0) {
		fprintf(stderr, "cvmattest: %s: %s\n", path,
			r == -EFBIG ? "longer than 64 bytes" : strerror(-r));
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
	int r = read_path(path, ret, ret_len, EVIDENCE_FILE_MAX);

	if (r < 0)
		fprintf(stderr, "cvmattest: cannot read %s: %s\n", path,
			r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
	return r;
}

int cli_write_file(const char *path, const uint8_t *buf, size_t len)
{
	_cleanup_close_ int fd = -1;

	fd = strcmp(path, "-") == 0 ? dup(STDOUT_FILENO)
				    : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		return -errno;
	}
	fd = -1;
	return 0;
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
