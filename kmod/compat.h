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

#endif /* CVMATTEST_COMPAT_H */
