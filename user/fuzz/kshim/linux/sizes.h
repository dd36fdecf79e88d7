/* SPDX-License-Identifier: GPL-2.0-only */
/* kshim: see ../kshim.h; the sizes kmod/ uses (include/linux/sizes.h) */
#ifndef CVM_KSHIM_SIZES_H
#define CVM_KSHIM_SIZES_H
#define SZ_4K	0x00001000
#define SZ_8K	0x00002000
#define SZ_16K	0x00004000
#define SZ_32K	0x00008000
#define SZ_64K	0x00010000
#define SZ_1M	0x00100000
#endif
