// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel module's walk of the SNP certificate table the host writes
 * (snp_certs_used() in kmod/provider_snp.c, compiled here from that very
 * file over kshim/): it must never read past the buffer, and what it calls
 * used must lie inside it.
 */
#include <stdint.h>

#include "../../kmod/provider_snp.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What provider_snp.c links against in the module; never called by the walk. */
int cvmattest_platform_probe(struct cvmattest_provider *prov, const char *path)
{
	(void)prov, (void)path;
	__builtin_trap();
}

void cvmattest_platform_remove(struct cvmattest_provider *prov)
{
	(void)prov;
	__builtin_trap();
}

u64 cvmattest_stage_addr(size_t off)
{
	(void)off;
	__builtin_trap();
}

long cvmattest_platform_ioctl(struct file *filp, unsigned int cmd, void *image, size_t len,
			      size_t arg_off)
{
	(void)filp, (void)cmd, (void)image, (void)len, (void)arg_off;
	__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so that ASan sees any read past the end */
	u8 *buf = malloc(size ? size : 1);
	size_t used = SIZE_MAX;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (snp_certs_used(buf, size, &used) == 0 && used > size)
		__builtin_trap();
	free(buf);
	return 0;
}
