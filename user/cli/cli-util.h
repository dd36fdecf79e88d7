/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CVM_CLI_UTIL_H
#define CVM_CLI_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcvmattest.h"
#include "base/macro.h"

#define CLI_MAX_REPEAT 64


/*
 * The options every command shares, parsed by cli_common_opt() from each
 * command's own getopt loop and then handed, read-only, to what runs it.
 */
struct cli_common {
	bool quiet;		/* -q: no messages but errors (and for some, no output) */
	unsigned verbose;	/* -v count: library messages at info, then debug */
	bool json;		/* --json, for the commands that take it */
};

/* Out of the range of any command's own option values. */
enum { CLI_OPT_JSON = 0x1000 };

/* For a command's struct option table: -q, -v and -h (which each command handles). */
#define CLI_COMMON_LONG_OPTIONS                          \
	{ "quiet", no_argument, NULL, 'q' },             \
	{ "verbose", no_argument, NULL, 'v' },           \
	{ "help", no_argument, NULL, 'h' }
#define CLI_JSON_LONG_OPTION { "json", no_argument, NULL, CLI_OPT_JSON }

/* A command's parse step returns it when it has done all there was (--help): exit 0. */
#define CLI_PARSE_DONE (-1)

/* Take one option of @opt if it is a shared one (-q, -v, --json): 1 if it was, else 0. */
int cli_common_opt(struct cli_common *c, int opt);
/* A library context that logs to stderr as @c says (@c must outlive it). */
int cli_ctx_new(const struct cli_common *c, struct cvm_ctx **ret);
/*
 * Drop the environment variables that would let whoever sets them (in an
 * initramfs, the kernel command line does) choose OpenSSL's configuration,
 * providers or CA store, libcurl's proxy or CA bundle. Before anything else;
 * if one was set, the CLI is executed again (/proc/self/exe, @argv) so that no
 * library initialised before main() saw it either.
 */
void cli_sanitize_env(char **argv);

/* The exit code (cli.h) for a library error -errno of attestation or key release. */
int cli_exit_code(int r);

/*
 * --json and errors: a command that prints its JSON result does it through
 * cli_json_print(); when it fails without having printed one, main() calls
 * cli_json_error(), which prints {"error": {"code", "name", "message", "errno"}}
 * on stdout: the last error message (the library's or the CLI's own) and the
 * errno behind it, if one is known (cli_set_errno(); cli_exit_code() sets it).
 */
void cli_json_print(const char *json);
void cli_set_errno(int r);
void cli_json_error(int code);
/* The name of exit code @code ("no-binding"), NULL if it is none. */
const char *cli_exit_name(int code);

/* Print "cvmattest: ..." to stderr, remembered for --json with the errno of @r (<0, or 0). */
void cli_error(int r, const char *fmt, ...) _printf_(2, 3);
/* Print "cvmattest: ..." to stderr and return the usage exit code. */
int usage_error(const char *fmt, ...) _printf_(1, 2);
/* After getopt named a bad option under @cmd (the full command): the --help hint; returns @rc. */
int cli_bad_option(const char *cmd, int rc);
/* Hex into a fixed buffer: exactly @len bytes, or 1..@len (zero-padded) when !exact. */
/* A file of at most @max bytes (REPORT_DATA). */
int cli_read_small_file(const char *path, uint8_t *out, size_t max, size_t *got);
/* The whole of @path ("-": stdin), at most 1 MiB. */
int cli_read_evidence(const char *path, uint8_t **ret, size_t *ret_len);
/* Write all of @buf to @path ("-": stdout). */
int cli_write_file(const char *path, const uint8_t *buf, size_t len);

#endif
