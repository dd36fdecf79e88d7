// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /etc/cvmattest/cvmattest.conf (and the --config file): the loader, every
 * key read back, and the URL allow-list with the hosts the file set.
 */
#include "fuzz.h"
#include "net/net.h"

static struct cvm_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const urls[] = {
		"https://example.attest.azure.net/attest", "https://kv.example.org/keys/k",
		"https://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "http://[::1]:8443/x",
	};
	const char *path = fuzz_file(data, size);
	struct cvm_config *c;
	char buf[8192];

	if (cvm_config_new(&c) < 0)
		return 0;
	if (cvm_config_load_file(ctx, c, path) == 0) {
		for (const char *const *k = cvm_config_keys(); *k; k++) {
			const char *v = cvm_config_get(c, *k, buf, sizeof(buf));

			if (v && strlen(v) >= sizeof(buf) && v == buf)
				__builtin_trap();
		}
		for (size_t i = 0; i < ELEMENTSOF(urls); i++)
			(void)cvm_config_url_allowed(ctx, c, "key_url", urls[i]);
	}
	cvm_config_free(c);
	return 0;
}
