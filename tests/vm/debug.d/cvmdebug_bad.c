// SPDX-License-Identifier: GPL-2.0
/*
 * cvmdebug_bad: a deliberately broken module for tests/vm/test-debug-selftest. Each
 * parameter commits one bug that a checker of the debug kernel reports, so that a run
 * which loads it must fail: the harness' detection is tested, not assumed.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static int leak, uaf, oob, sleep_atomic, lock_order, shift;
module_param(leak, int, 0444);
MODULE_PARM_DESC(leak, "lose a kmalloc()ed buffer (kmemleak)");
module_param(uaf, int, 0444);
MODULE_PARM_DESC(uaf, "read a freed buffer (KASAN slab-use-after-free)");
module_param(oob, int, 0444);
MODULE_PARM_DESC(oob, "read past a kmalloc()ed buffer (KASAN slab-out-of-bounds)");
module_param(sleep_atomic, int, 0444);
MODULE_PARM_DESC(sleep_atomic, "sleep under a spinlock (DEBUG_ATOMIC_SLEEP)");
module_param(lock_order, int, 0444);
MODULE_PARM_DESC(lock_order, "take two mutexes in both orders (lockdep)");
module_param(shift, int, 0444);
MODULE_PARM_DESC(shift, "shift by this many bits, 64 or more is undefined (UBSAN)");

static void *lost;
static DEFINE_SPINLOCK(bad_lock);
static DEFINE_MUTEX(mutex_a);
static DEFINE_MUTEX(mutex_b);

static int __init cvmdebug_bad_init(void)
{
	volatile char *p;
	volatile u64 one = 1;

	if (leak) {
		lost = kmalloc(1000, GFP_KERNEL);
		pr_info("cvmdebug_bad: leaking %p\n", lost);
		lost = NULL;
	}
	if (uaf) {
		p = kmalloc(64, GFP_KERNEL);
		kfree((void *)p);
		pr_info("cvmdebug_bad: freed byte %d\n", p[8]);
	}
	if (oob) {
		p = kmalloc(64, GFP_KERNEL);
		pr_info("cvmdebug_bad: byte past the end %d\n", p[64 + oob]);
		kfree((void *)p);
	}
	if (sleep_atomic) {
		void *q;

		/*
		 * The classic: a GFP_KERNEL allocation under a spinlock, which
		 * might_sleep() reports whether or not it sleeps (msleep() here
		 * would only show "scheduling while atomic" when it does).
		 */
		spin_lock(&bad_lock);
		q = kmalloc(64, GFP_KERNEL);
		spin_unlock(&bad_lock);
		kfree(q);
	}
	if (lock_order) {
		mutex_lock(&mutex_a);
		mutex_lock(&mutex_b);
		mutex_unlock(&mutex_b);
		mutex_unlock(&mutex_a);
		mutex_lock(&mutex_b);
		mutex_lock(&mutex_a);
		mutex_unlock(&mutex_a);
		mutex_unlock(&mutex_b);
	}
	if (shift)
		pr_info("cvmdebug_bad: 1 << %d = %llu\n", shift, (u64)(one << shift));
	pr_info("cvmdebug_bad: loaded\n");
	return 0;
}

static void __exit cvmdebug_bad_exit(void)
{
}

module_init(cvmdebug_bad_init);
module_exit(cvmdebug_bad_exit);
MODULE_DESCRIPTION("cvmattest debug-kernel harness self-test: deliberate bugs");
MODULE_LICENSE("GPL");
