/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer targets: each one feeds arbitrary bytes to one parser. */
#ifndef CVM_FUZZ_H
#define CVM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Silent, unless FUZZ_VERBOSE is set (to see why a seed goes no deeper). */
static inline void fuzz_silent_log(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "<%d> %s\n", level, msg);
}

/* A context that logs only with FUZZ_VERBOSE, for LLVMFuzzerInitialize(). */
static inline struct cvm_ctx *fuzz_ctx(void)
{
	struct cvm_ctx *ctx;

	if (cvm_ctx_new(&ctx) < 0)
		__builtin_trap();
	cvm_set_log(ctx, fuzz_silent_log, NULL);
	return ctx;
}

/* @data as a C string (text parsers take NUL-terminated input); caller frees. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		__builtin_trap();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/*
 * For the parsers that read a file by name (the configuration, crypttab):
 * one memfd, rewritten for each input, opened by its /proc/self/fd path.
 */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz", MFD_CLOEXEC);
		if (fd < 0)
			__builtin_trap();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		__builtin_trap();
	return path;
}

#endif
