/* SPDX-License-Identifier: GPL-2.0-only */
/* kshim: the UAPI __u32 etc. from the system's header, u32 etc. from ../kshim.h */
#include_next <linux/types.h>
#include "../kshim.h"
