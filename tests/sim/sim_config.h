/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Command-line options shared by cvmattest-simd and cvmattest-sim that
 * describe the simulated platform (product, TCB, policy, measurements).
 * Options are collected first and applied after parsing, so --product
 * picks the defaults whatever its position.
 */
#ifndef CVMATTEST_SIM_CONFIG_H
#define CVMATTEST_SIM_CONFIG_H

#include <getopt.h>
#include <stdio.h>

#include "libsim.h"

#define SIM_CONFIG_OPT_BASE	0x1000
#define SIM_CONFIG_MAX_ARGS	128

struct sim_config_args {
	int n;
	struct {
		int id;
		const char *arg;
	} a[SIM_CONFIG_MAX_ARGS];
};

/* Merge @own (terminated by a zero entry) with the config options. */
struct option *sim_config_long_options(const struct option *own);
/* Record a config option seen by getopt_long; -EINVAL when not one. */
int sim_config_collect(struct sim_config_args *args, int opt, const char *arg);
/* Defaults for the chosen product, then every collected option in order. */
int sim_config_apply(const struct sim_config_args *args,
		     struct sim_snp_config *snp, struct sim_tdx_config *tdx);
void sim_config_usage(FILE *out);

#endif /* CVMATTEST_SIM_CONFIG_H */
