// SPDX-License-Identifier: LGPL-2.1-or-later
/* Options shared by `cvmattest attest` and `cvmattest release`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli-util.h"
#include "net-cli.h"

static int push(struct net_args *a, const char *kv)
{
	if (a->n_sets >= ELEMENTSOF(a->sets))
		return -E2BIG;
	a->sets[a->n_sets++] = kv;
	return 1;
}

/* Options named after a setting become "key=value" kept in the argument. */
static int push_kv(struct net_args *a, const char *key, const char *value)
{
	static char bufs[32][4096];
	static size_t next;
	char *b;

	if (next >= ELEMENTSOF(bufs))
		return -E2BIG;
	b = bufs[next++];
	if ((size_t)snprintf(b, sizeof(bufs[0]), "%s=%s", key, value) >= sizeof(bufs[0]))
		return -E2BIG;
	return push(a, b);
}

int net_opt(struct net_args *a, int c, const char *arg)
{
	switch (c) {
	case OPT_NET_CONFIG:
		a->config = arg;
		a->config_given = true;
		return 1;
	case OPT_NET_SET:
		if (!strchr(arg, '=')) {
			usage_error("--set: KEY=VALUE expected, got \"%s\"", arg);
			return -EINVAL;
		}
		return push(a, arg);
	case OPT_NET_ATTEST_URL:
		return push_kv(a, "attest_url", arg);
	case OPT_NET_TYPE:
		return push_kv(a, "attest_type", arg);
	case OPT_NET_CA_BUNDLE:
		return push_kv(a, "ca_bundle", arg);
	case OPT_NET_CACHE_DIR:
		return push_kv(a, "cache_dir", arg);
	case OPT_NET_TIMEOUT:
		return push_kv(a, "total_timeout", arg);
	case OPT_NET_RETRIES:
		return push_kv(a, "retries", arg);
	case OPT_NET_DEVICE:
		return push_kv(a, "device", arg);
	case OPT_NET_IMDS_URL:
		return push_kv(a, "imds_url", arg);
	case OPT_NET_EVIDENCE_COMMAND:
		return push_kv(a, "evidence_command", arg);
	case OPT_NET_SHOW_CONFIG:
		a->show_config = true;
		return 1;
	default:
		return 0;
	}
}

int net_config(struct cvm_ctx *ctx, const struct net_args *a, struct cvm_config **ret)
{
	struct cvm_config *cfg;
	const char *path = a->config ? a->config : CVM_DEFAULT_CONFIG;
	int r;

	r = cvm_config_new(&cfg);
	if (r < 0)
		return r;
	r = cvm_config_load_file(ctx, cfg, path);
	if (r == -ENOENT && !a->config_given) {
		r = 0;
	} else if (r < 0 && r != -EINVAL) {
		fprintf(stderr, "cvmattest: cannot read %s: %s\n", path, strerror(-r));
	}
	for (size_t i = 0; r >= 0 && i < a->n_sets; i++) {
		_cleanup_free_ char *key = strdup(a->sets[i]);
		char *eq = key ? strchr(key, '=') : NULL;

		if (!eq) {
			r = -ENOMEM;
			break;
		}
		*eq = 0;
		r = cvm_config_set(ctx, cfg, key, eq + 1);
	}
	if (r < 0) {
		cvm_config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

void net_show_config(const struct cvm_config *cfg)
{
	for (const char *const *k = cvm_config_keys(); *k; k++) {
		char vb[CVM_CONFIG_VALUE_MAX];
		const char *v = cvm_config_get(cfg, *k, vb, sizeof(vb));

		printf("%s = %s\n", *k, v ? v : "");
	}
}
