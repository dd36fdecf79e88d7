/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CVM_CLI_H
#define CVM_CLI_H

#include <stdbool.h>

#include "libcvmattest.h"

#ifndef CVMATTEST_VERSION
#define CVMATTEST_VERSION "0.1"
#endif

/*
 * The exit codes of every command: one number, one meaning, whichever command
 * says it.  Documented in Documentation/admin-guide/cvmattest.rst, "EXIT STATUS";
 * scripts (user/boot/cvmattest-boot.sh, the systemd unit) act on them.
 */
enum {
	EXIT_OK = 0,		/* done: verified, attested, released, unlocked, can work */
	EXIT_USAGE = 1,		/* usage, configuration, local I/O or any other error */
	EXIT_INVALID = 2,	/* a signature, certificate chain, token or binding is invalid;
				 * luks: the token does not open (wrong key, tampered, moved) */
	EXIT_POLICY = 3,	/* valid, but a policy refused it (local, or the key's release
				 * policy) */
	EXIT_MALFORMED = 4,	/* malformed or unsupported evidence */
	EXIT_UNVERIFIABLE = 5,	/* well-formed, but a signature could not be checked (no VCEK;
				 * verify: the AMD CRL given or cached is stale) */
	EXIT_UNAVAILABLE = 6,	/* a service (attestation, Key Vault, IMDS) unreachable or
				 * failing: trying again later may work */
	EXIT_NOT_HERE = 7,	/* attestation cannot work on this host (no platform, no module,
				 * no device-mapper) */
	EXIT_NO_BINDING = 8,	/* no cvmattest token (unlock --all: no bound volume) */
	EXIT_BUSY = 9,		/* already done: the volume is unlocked, checked to be this one */
	EXIT_AUTH = 10,		/* the credential given was refused: passphrase, managed identity */
	EXIT_CONFLICT = 11,	/* the name is another mapping, or the device is in use */
	EXIT_ATTENTION = 12,	/* status: it can work, but something needs attention */
	EXIT_TIMEOUT = 13,	/* monitor --once: no event within --timeout */
};
#define EXIT_VERIFIED EXIT_OK

struct cli_common;

/*
 * The commands: argv[0] is the command's name; @common (cli-util.h) is
 * filled from the shared options each one takes.  They return the exit status.
 */
int cmd_verify(int argc, char **argv, struct cli_common *common);
int cmd_report(int argc, char **argv, struct cli_common *common);
int cmd_status(int argc, char **argv, struct cli_common *common);
int cmd_monitor(int argc, char **argv, struct cli_common *common);
int cmd_attest(int argc, char **argv, struct cli_common *common);
int cmd_release(int argc, char **argv, struct cli_common *common);
int cmd_fetch(int argc, char **argv, struct cli_common *common);
int cmd_luks(int argc, char **argv, struct cli_common *common);

#endif
