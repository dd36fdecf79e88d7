/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CVM_CLI_UTIL_H
#define CVM_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "libcvmattest.h"
#include "base/macro.h"

#define CLI_MAX_REPEAT 64


/* Print "cvmattest: ..." to stderr and return the usage exit code. */
int usage_error(const char *fmt, ...) _printf_(1, 2);
/* Hex into a fixed buffer: exactly @len bytes, or 1..@len (zero-padded) when !exact. */
/* A file of at most @max bytes (REPORT_DATA). */
int cli_read_small_file(const char *path, uint8_t *out, size_t max, size_t *got);
/* The whole of @path ("-": stdin), at most 1 MiB. */
int cli_read_evidence(const char *path, uint8_t **ret, size_t *ret_len);
/* Write all of @buf to @path ("-": stdout). */
int cli_write_file(const char *path, const uint8_t *buf, size_t len);

#endif
