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

struct cli_common;

/*
 * The commands: argv[0] is the command's name; @common (cli-util.h) is
 * filled from the shared options each one takes.  They return the exit status.
 */
int cmd_verify(int argc, char **argv, struct cli_common *common);	/* exit codes above */
int cmd_report(int argc, char **argv, struct cli_common *common);	/* 0 or EXIT_USAGE */
/* Their own exit codes: status.c, monitor.c, luks.c; net-cli.h: attest and release. */
int cmd_status(int argc, char **argv, struct cli_common *common);
int cmd_monitor(int argc, char **argv, struct cli_common *common);
int cmd_attest(int argc, char **argv, struct cli_common *common);
int cmd_release(int argc, char **argv, struct cli_common *common);
int cmd_fetch(int argc, char **argv, struct cli_common *common);
int cmd_luks(int argc, char **argv, struct cli_common *common);

#endif
