/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel interfaces that changed between 6.1 and today.  An out-of-tree
 * module builds against every kernel from 6.1 on, so it has to look at the
 * version somewhere: all such tests live in this file and nowhere else.
 */
#ifndef CVMATTEST_COMPAT_H
#define CVMATTEST_COMPAT_H

#include <linux/device.h>
#include <linux/version.h>

/* asm/unaligned.h became linux/unaligned.h in 6.12 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* struct device_type.devnode() takes a const struct device from 6.2 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define CVM_DEVNODE_CONST const
#else
#define CVM_DEVNODE_CONST
#endif

/* class_create() lost its owner argument in 6.4; before, it is a macro */
#ifdef class_create
#define cvm_class_create(name) class_create(THIS_MODULE, name)
#else
#define cvm_class_create(name) class_create(name)
#endif

/*
 * Staging platform requests (platform_file.c) is the same on every kernel
 * from 6.1 on, so it needs no version test; this is why, per version:
 *
 * 6.1-6.6 (Debian 12: 6.1): sev-guest's only in-kernel entry point,
 *	snp_issue_guest_request(), is the raw GHCB call: a second user brings
 *	its own message sequence numbers, and one mismatch wipes the VMPCK.
 *	tdx-guest (6.2+) leaves tdx_mcall_get_report0() in arch code
 *	(asm/tdx.h, CONFIG_INTEL_TDX_GUEST only).  mm_alloc() and
 *	arch_pick_mmap_layout() are not exported (Module.symvers), so a
 *	private address space can only come from exec.
 * 6.7-6.13: configfs-tsm's reports (tsm_report) are a configfs interface
 *	for user space, with no in-kernel consumer API.
 * 6.14 and later: the SNP messaging moved to arch/x86/coco/sev and is
 *	exported (snp_msg_alloc(), snp_msg_init(), snp_send_guest_request());
 *	a candidate for later, not used: the simulated platform cannot test
 *	it, and sharing a VMPCK with sev-guest would have to be shown safe on
 *	each version.
 *
 * What the staging uses is exported on all of them: the usermode helper
 * (call_usermodehelper_setup()/_exec(), EXPORT_SYMBOL), send_sig(),
 * get_task_mm() and mmput() (EXPORT_SYMBOL_GPL), kthread_use_mm() and
 * kthread_unuse_mm() (EXPORT_SYMBOL_GPL, since 5.8), vm_mmap() and
 * vm_munmap() (EXPORT_SYMBOL); and the device nodes' ioctl ABI has not
 * changed since 5.19 (sev-guest) and 6.2 (tdx-guest).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 8, 0)
#error "kthread_use_mm() (5.8) is needed to stage platform requests"
#endif

#endif /* CVMATTEST_COMPAT_H */
