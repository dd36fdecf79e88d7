// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel module's checks of the HCL report the paravisor (the host's
 * side of the vTPM) leaves in NV: vtpm_check_report() and the "user-data"
 * claim search in kmod/provider_azure_vtpm.c, compiled here from that very
 * file over kshim/.  The input is the NV contents; the user data checked for
 * is the one in the input's claims when there is one (so that the hash
 * comparison is reached), else zeros.
 */
#include <stdint.h>

#include "../../kmod/provider_azure_vtpm.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void cvmattest_snp_describe_report(const u8 *report, struct cvmattest_launch *l)
{
	(void)report, (void)l;
	__builtin_trap();
}

void cvmattest_tdx_describe_report(const u8 *report, struct cvmattest_launch *l)
{
	(void)report, (void)l;
	__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char key[] = "\"user-data\":\"";
	u8 *buf = malloc(size ? size : 1), want[HCL_USER_DATA_LEN] = { 0 };
	const char *p;
	u32 platform = 0;
	int used;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	p = size ? memmem(buf, size, key, sizeof(key) - 1) : NULL;
	if (p && (size_t)(p - (const char *)buf) + sizeof(key) - 1 + 2 * HCL_USER_DATA_LEN <= size) {
		p += sizeof(key) - 1;
		for (int i = 0; i < HCL_USER_DATA_LEN; i++) {
			int hi = hex_to_bin((unsigned char)p[2 * i]), lo = hex_to_bin((unsigned char)p[2 * i + 1]);

			want[i] = (u8)((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));
		}
	}
	used = vtpm_check_report(buf, size, want, &platform);
	if (used > 0 && ((size_t)used > size || (size_t)used < HCL_RT_VARIABLE_DATA ||
			 (platform != CVMATTEST_PLATFORM_SEV_SNP && platform != CVMATTEST_PLATFORM_TDX)))
		__builtin_trap();
	free(buf);
	return 0;
}
