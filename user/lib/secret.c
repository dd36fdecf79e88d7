// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Buffers for key material: their own pages, locked in memory (mlock), left
 * out of core dumps (MADV_DONTDUMP) and wiped before they are unmapped
 * (OPENSSL_cleanse, which the compiler cannot drop).  Nothing here logs the
 * contents; only lengths ever reach a message.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

#include "net.h"

int secret_new(const struct cvm_ctx *ctx, size_t len, struct secret **ret)
{
	long page = sysconf(_SC_PAGESIZE);
	struct secret *s;
	size_t map_len;

	if (page <= 0)
		page = 4096;
	map_len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	if (map_len == 0)
		map_len = (size_t)page;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->data = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->data == MAP_FAILED) {
		free(s);
		return -ENOMEM;
	}
	s->map_len = map_len;
	s->len = len;
	(void)madvise(s->data, map_len, MADV_DONTDUMP);
	if (mlock(s->data, map_len) == 0)
		s->locked = true;
	else
		log_debug(ctx, "Cannot lock %zu bytes of key memory (%s); raise RLIMIT_MEMLOCK",
			  map_len, strerror(errno));
	*ret = s;
	return 0;
}

void secret_free(struct secret *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->data, s->map_len);
	if (s->locked)
		munlock(s->data, s->map_len);
	munmap(s->data, s->map_len);
	free(s);
}
