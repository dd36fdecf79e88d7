/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Options shared by `cvmattest attest` and `cvmattest release`. */
#ifndef CVM_NET_CLI_H
#define CVM_NET_CLI_H

#include <getopt.h>

#include "cli-util.h"
#include "libcvmattest-attest.h"

#define NET_OPTIONS_HELP                                                                      \
	"Configuration (command-line settings override the file):\n"                           \
	"  -c, --config FILE         configuration file (default " CVM_DEFAULT_CONFIG ")\n"  \
	"      --set KEY=VALUE       any configuration setting (repeatable)\n"                 \
	"      --attest-url URL      attestation service (attest_url)\n"                       \
	"      --type TYPE           auto, snp, tdx or azure-guest (attest_type)\n"            \
	"      --ca-bundle FILE      CA bundle for TLS (ca_bundle)\n"                          \
	"      --cache-dir DIR       endorsement/key cache, '' for none (cache_dir)\n"         \
	"      --timeout DURATION    bound on each service call, retries included\n"           \
	"                            (total_timeout, e.g. 30s)\n"                              \
	"      --retries N           retries after the first try (retries)\n"                  \
	"      --device PATH         evidence device (device)\n"                               \
	"      --imds-url URL        instance metadata service (imds_url)\n"                   \
	"      --evidence-command CMD  TESTING: evidence from a program instead of the\n"      \
	"                            device; {report_data}, {out}, {certs} are replaced\n"     \
	"      --show-config         print the effective settings and exit\n"                  \
	"  -q, --quiet               no messages but errors\n"                                 \
	"  -v, --verbose             more messages (twice: debug)\n"                           \
	"  -h, --help                this text\n"

enum {
	OPT_NET_CONFIG = 'c',
	OPT_NET_SET = 0x200,
	OPT_NET_ATTEST_URL,
	OPT_NET_TYPE,
	OPT_NET_CA_BUNDLE,
	OPT_NET_CACHE_DIR,
	OPT_NET_TIMEOUT,
	OPT_NET_RETRIES,
	OPT_NET_DEVICE,
	OPT_NET_IMDS_URL,
	OPT_NET_EVIDENCE_COMMAND,
	OPT_NET_SHOW_CONFIG,
	OPT_NET_LAST,
};

#define NET_LONG_OPTIONS                                                              \
	{ "config", required_argument, NULL, OPT_NET_CONFIG },                         \
	{ "set", required_argument, NULL, OPT_NET_SET },                               \
	{ "attest-url", required_argument, NULL, OPT_NET_ATTEST_URL },                 \
	{ "type", required_argument, NULL, OPT_NET_TYPE },                             \
	{ "ca-bundle", required_argument, NULL, OPT_NET_CA_BUNDLE },                   \
	{ "cache-dir", required_argument, NULL, OPT_NET_CACHE_DIR },                   \
	{ "timeout", required_argument, NULL, OPT_NET_TIMEOUT },                       \
	{ "retries", required_argument, NULL, OPT_NET_RETRIES },                       \
	{ "device", required_argument, NULL, OPT_NET_DEVICE },                         \
	{ "imds-url", required_argument, NULL, OPT_NET_IMDS_URL },                     \
	{ "evidence-command", required_argument, NULL, OPT_NET_EVIDENCE_COMMAND },     \
	{ "show-config", no_argument, NULL, OPT_NET_SHOW_CONFIG },                     \
	CLI_COMMON_LONG_OPTIONS

struct net_args {
	const char *config;
	bool config_given;
	/* KEY=VALUE overrides in order. */
	const char *sets[128];
	size_t n_sets;
	bool show_config;
};

/* Handle one option of the above (not -q/-v: cli_common_opt()); 1 if it was one, 0 if not,
 * <0 on a usage error. */
int net_opt(struct net_args *a, int c, const char *arg);
/* Build the configuration: file (a missing default file is fine), then overrides. */
int net_config(struct cvm_ctx *ctx, const struct net_args *a, struct cvm_config **ret);
/* Print the effective configuration. */
void net_show_config(const struct cvm_config *cfg);

#endif
