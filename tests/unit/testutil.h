/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the libcvmattest unit tests (cmocka). */
#ifndef CVM_TESTUTIL_H
#define CVM_TESTUTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "libcvmattest.h"

/* Path of a file in ../shared/testdata (CVMATTEST_TESTDATA); static buffer. */
const char *td_path(const char *rel);
/* Read a file; fails the test if it cannot.  Hex files (*.hex) are decoded. */
uint8_t *load(const char *path, size_t *len);
uint8_t *load_td(const char *rel, size_t *len);
/* Write a file under the test temp dir; returns its path (static buffer per slot). */
const char *write_tmp(const char *name, const void *buf, size_t len);
const char *tmp_dir(void);

/* A context whose log goes nowhere (set CVMATTEST_TEST_VERBOSE=1 to see it). */
struct cvm_ctx *quiet_ctx(void);

/* Verify and return the status; fails the test on -errno. */
enum cvm_status verify_status(struct cvm_ctx *ctx, const uint8_t *buf, size_t len,
			      const struct cvm_policy *p);
/* True if any error message of @r contains @needle. */
bool result_has_error(const struct cvm_result *r, const char *needle);

/* Run the CLI (CVMATTEST_BIN) with a NULL-terminated argv (without argv[0]). */
int run_cli(char **out, const char *const *args);
/* The same with stderr in *out too (for the messages a user reads). */
int run_cli_all(char **out, const char *const *args);
/* Any program, the same way. */
int run_prog(const char *bin, char **out, const char *const *args);
/* Same, parsing stdout as JSON (the test fails if it is not). */
int run_cli_json(json_t **out, const char *const *args);

/* Hex of a JSON string member, compared with bytes. */
void assert_json_hex(json_t *obj, const char *key, const uint8_t *want, size_t len);

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#endif
