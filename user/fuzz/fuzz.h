/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer targets: each one feeds arbitrary bytes to one parser. */
#ifndef CVM_FUZZ_H
#define CVM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_silent_log(int level, const char *msg, void *userdata)
{
	(void)level;
	(void)msg;
	(void)userdata;
}

#endif
