// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest_hello: a trivial out-of-tree module for tests/vm/selftest.sh. It checks that an
 * out-of-tree module built against the headers loads in the VM, and (warn=1) that a
 * kernel WARNING makes tests/vm/run fail.
 */
#include <linux/module.h>
#include <linux/printk.h>

static int warn;
module_param(warn, int, 0444);
MODULE_PARM_DESC(warn, "trigger a WARN_ON when loaded (to test the harness)");

static int __init vmtest_hello_init(void)
{
	pr_info("vmtest_hello: loaded\n");
	WARN_ON(warn);
	return 0;
}

static void __exit vmtest_hello_exit(void)
{
	pr_info("vmtest_hello: unloaded\n");
}

module_init(vmtest_hello_init);
module_exit(vmtest_hello_exit);
MODULE_DESCRIPTION("cvmattest VM harness self-test module");
MODULE_LICENSE("GPL");
