// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driving a platform driver's user ABI (/dev/sev-guest, /dev/tdx_guest)
 * from inside the kernel.
 *
 * Why this and not the drivers' in-kernel symbols: those change shape on
 * almost every release (snp_issue_guest_request() has had three
 * signatures and is gone in 6.14; the snp_msg_* API exists only from
 * 6.14; tdx_mcall_get_report0() needs arch headers), and before 6.14 a
 * second in-kernel SNP user would race sev-guest's private sequence
 * numbers and can wipe the VMPCK.  The ioctl ABI of the device nodes has
 * not changed since 5.19/6.2, and going through it keeps sev-guest's own
 * mutex, sequence-number and IV-reuse handling in charge.
 *
 * The drivers expect user pointers, so requests are staged in an
 * anonymous mapping of the calling process (we always run in its ioctl
 * context) and the driver's unlocked_ioctl is called with that address.
 * See Documentation/admin-guide/cvmattest.rst.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "cvmattest.h"

/* Credentials the platform device nodes are opened with: the kernel's. */
static const struct cred *platform_cred;

int cvmattest_platform_init(void)
{
	platform_cred = prepare_kernel_cred(&init_task);
	return platform_cred ? 0 : -ENOMEM;
}

void cvmattest_platform_exit(void)
{
	put_cred(platform_cred);
}

/*
 * Open a platform node with the kernel's credentials, so a caller that is
 * allowed /dev/cvmattest (group=) does not also need /dev/sev-guest.
 */
struct file *cvmattest_open_platform(const char *path)
{
	const struct cred *old;
	struct file *filp;

	old = override_creds(platform_cred);
	filp = filp_open(path, O_RDWR | O_CLOEXEC, 0);
	revert_creds(old);
	if (IS_ERR(filp))
		return filp;
	if (!filp->f_op || !filp->f_op->unlocked_ioctl) {
		fput(filp);
		return ERR_PTR(-ENOTTY);
	}
	return filp;
}

/*
 * Probe for a provider that drives a platform node: open it and keep it
 * open as the provider's private data for as long as the provider lives.
 */
int cvmattest_platform_probe(struct cvmattest_provider *prov, const char *path)
{
	struct file *filp = cvmattest_open_platform(path);

	if (IS_ERR(filp))
		return PTR_ERR(filp) == -ENOENT ? -ENODEV : PTR_ERR(filp);
	prov->priv = filp;
	return 0;
}

void cvmattest_platform_remove(struct cvmattest_provider *prov)
{
	fput(prov->priv);
	prov->priv = NULL;
}

int cvmattest_bounce_map(struct cvmattest_bounce *b, size_t len)
{
	unsigned long addr;

	if (!current->mm)
		return -EOPNOTSUPP;
	len = PAGE_ALIGN(len);
	addr = vm_mmap(NULL, 0, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	b->uaddr = addr;
	b->len = len;
	return 0;
}

void cvmattest_bounce_unmap(struct cvmattest_bounce *b)
{
	if (!b->len)
		return;
	vm_munmap(b->uaddr, b->len);
	b->uaddr = 0;
	b->len = 0;
}

long cvmattest_platform_ioctl(struct file *filp, unsigned int cmd,
			      struct cvmattest_bounce *b, size_t off)
{
	return filp->f_op->unlocked_ioctl(filp, cmd, b->uaddr + off);
}
