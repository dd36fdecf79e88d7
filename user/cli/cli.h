/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CVM_CLI_H
#define CVM_CLI_H

#include <stdbool.h>

#include "libcvmattest.h"

#ifndef CVMATTEST_VERSION
#define CVMATTEST_VERSION "0.1"
#endif

/* Exit codes, documented in Documentation/admin-guide/cvmattest-verify.rst. */
enum {
	EXIT_VERIFIED = 0,	/* verified, policy satisfied */
	EXIT_USAGE = 1,		/* usage or I/O error */
	EXIT_INVALID = 2,	/* signature, certificate chain or binding invalid */
	EXIT_POLICY = 3,	/* valid, policy not satisfied */
	EXIT_MALFORMED = 4,	/* malformed or unsupported evidence */
	EXIT_UNVERIFIABLE = 5,	/* well-formed, but a signature could not be checked */
};

extern bool arg_quiet;
extern int arg_log_level;

int cli_ctx_new(struct cvm_ctx **ret);
int cmd_verify(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_status(int argc, char **argv);		/* status.c: its own exit codes */
int cmd_monitor(int argc, char **argv);		/* monitor.c: its own exit codes */
int cmd_attest(int argc, char **argv);		/* attest.c: exit codes in net-cli.h */
int cmd_release(int argc, char **argv);		/* release.c: exit codes in net-cli.h */
int cmd_luks(int argc, char **argv);		/* luks.c: exit codes there */

#endif
