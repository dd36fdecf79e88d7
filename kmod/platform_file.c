// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driving a platform driver's user ABI (/dev/sev-guest, /dev/tdx_guest)
 * from inside the kernel, with the request staged where no user thread
 * and no other process can read or write it.
 *
 * Why the user ABI and not the drivers' in-kernel symbols: those change
 * shape on almost every release (snp_issue_guest_request() has had three
 * signatures and is gone in 6.14; the snp_msg_* API exists only from
 * 6.14; tdx_mcall_get_report0() needs arch headers and bypasses
 * tdx-guest; configfs-tsm (6.7+) has no in-kernel consumer), and before
 * 6.14 a second in-kernel SNP user would race sev-guest's private sequence
 * numbers and can wipe the VMPCK.  The ioctl ABI of the device nodes has
 * not changed since 5.19/6.2, going through it keeps sev-guest's own
 * mutex, sequence-number and IV-reuse handling in charge, and it is what
 * the simulated platform of the tests implements.
 *
 * Those drivers read the request with copy_from_user() and write the
 * answer with copy_to_user(), in whatever address space is current.  The
 * caller's is not safe: any other thread of the caller can rewrite
 * REPORT_DATA or msg_version between our write and the driver's read (a
 * bad msg_version makes sev-guest wipe the VMPCK until reboot), and the
 * response before we read it back; another process can do the same with
 * process_vm_writev().  So the request runs in a kernel thread that has
 * adopted (kthread_use_mm()) an address space of our own, in which no task
 * runs: nobody can write there, and get_task_mm() refuses a kernel thread,
 * so /proc/PID/mem and process_vm_writev() cannot reach it either.
 *
 * Getting that address space is the awkward part: mm_alloc() and
 * arch_pick_mmap_layout() are not exported (6.1's Module.symvers; a 2023
 * RFC to export them for KUnit cannot be relied on), and an mm that never
 * saw exec has no get_unmapped_area.  What is exported on every kernel
 * from 6.1 on is the usermode helper: it execs a program in a new process,
 * which gives that process a fresh mm laid out by exec.  The helper's init
 * callback queues SIGSTOP to it before the exec, so it stops on its way to
 * user space and never executes an instruction of the program; we take a
 * reference to its mm (get_task_mm()), kill it, and wait for it to drop
 * the mm.  From then on the mm holds the program's image (never run) and
 * our staging area, and no task but our kernel threads ever uses it.
 * Only root could have touched the helper in the microseconds it existed,
 * and before the staging area was mapped.  kmod/compat.h says why this is
 * the choice on every kernel version; see also
 * Documentation/admin-guide/cvmattest.rst and cvmattest-security.rst.
 *
 * Every request copies the caller's kernel image of the staging area in,
 * calls the driver, copies the whole area back into that image once (the
 * provider parses only the copy), and clears the area.  One request at a
 * time: the area is shared, and the platform drivers serialise anyway.
 * A caller killed while its request is in flight returns at once; the
 * request ends in its thread, and the next one waits for that.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_context.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/semaphore.h>
#include <linux/uaccess.h>
#include <linux/umh.h>

#include "compat.h"
#include "cvmattest.h"

static char *stage_helper;
module_param(stage_helper, charp, 0444);
MODULE_PARM_DESC(stage_helper,
		 "program exec'd (never run) to create the private staging address space; default: the first of /bin/true, /usr/bin/true, /bin/sh");

static const char *const stage_helpers[] = {
	"/bin/true", "/usr/bin/true", "/bin/sh",
};

/* How long the stopped helper may take to die and let go of its mm. */
#define CVM_STAGE_HELPER_EXIT_MS	2000

/* Credentials the platform device nodes are opened with: the kernel's. */
static const struct cred *platform_cred;

/* The private address space and the staging area in it, made under stage_lock. */
static DEFINE_MUTEX(stage_lock);
static struct mm_struct *stage_mm;
static unsigned long stage_uaddr;
/*
 * Held while a kernel thread uses the staging area; a semaphore because
 * that thread, not the caller that took it, releases it.
 */
static struct semaphore stage_busy;

/*
 * One job for a kernel thread running in stage_mm: map the staging area,
 * or run one platform ioctl through it.  Shared by the caller and the
 * thread (kref): a caller that is killed leaves, the thread finishes.
 */
struct cvm_stage_job {
	struct kref ref;
	int (*fn)(struct cvm_stage_job *job);
	struct completion done;
	int ret;

	struct file *filp;
	unsigned int cmd;
	void *image;			/* the job's own copy */
	size_t len;
	size_t arg_off;
	long ioctl_ret;
};

static void cvm_stage_job_free(struct kref *ref)
{
	struct cvm_stage_job *job = container_of(ref, struct cvm_stage_job, ref);

	kvfree(job->image);
	kfree(job);
}

static int cvm_stage_thread(void *data)
{
	struct cvm_stage_job *job = data;

	kthread_use_mm(stage_mm);
	job->ret = job->fn(job);
	kthread_unuse_mm(stage_mm);
	up(&stage_busy);
	complete(&job->done);
	kref_put(&job->ref, cvm_stage_job_free);
	/* The module reference taken for us keeps this code until here. */
	module_put_and_kthread_exit(0);
}

/*
 * Run @job in a new kernel thread that uses stage_mm, one at a time.  A
 * @killable caller that is killed returns -EINTR at once; the request
 * goes on in the thread, which holds a module reference until it ends.
 */
static int cvm_stage_run(struct cvm_stage_job *job, bool killable)
{
	struct task_struct *task;
	int ret;

	init_completion(&job->done);
	if (killable) {
		if (down_killable(&stage_busy))
			return -EINTR;
	} else {
		down(&stage_busy);
	}
	__module_get(THIS_MODULE);
	kref_get(&job->ref);		/* the thread's */
	task = kthread_create(cvm_stage_thread, job, "cvmattest-io");
	if (IS_ERR(task)) {
		kref_put(&job->ref, cvm_stage_job_free);
		module_put(THIS_MODULE);
		up(&stage_busy);
		return PTR_ERR(task);
	}
	get_task_struct(task);
	wake_up_process(task);
	ret = 0;
	if (killable)
		ret = wait_for_completion_killable(&job->done);
	else
		wait_for_completion(&job->done);
	if (ret) {
		ret = -EINTR;
	} else {
		/* Wait for its exit too: no code of ours runs there after. */
		kthread_stop(task);
		ret = job->ret;
	}
	put_task_struct(task);
	return ret;
}

static int cvm_stage_map_fn(struct cvm_stage_job *job)
{
	unsigned long addr;

	addr = vm_mmap(NULL, 0, CVMATTEST_STAGE_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	stage_uaddr = addr;
	return 0;
}

static int cvm_stage_ioctl_fn(struct cvm_stage_job *job)
{
	void __user *area = (void __user *)stage_uaddr;
	int ret = 0;

	if (copy_to_user(area, job->image, job->len))
		return -EFAULT;
	job->ioctl_ret = job->filp->f_op->unlocked_ioctl(job->filp, job->cmd,
							 stage_uaddr + job->arg_off);
	/* The one read of what the driver wrote; nothing else can change it. */
	if (copy_from_user(job->image, area, job->len))
		ret = -EFAULT;
	/* No REPORT_DATA, report or certificate is left behind. */
	if (clear_user(area, job->len))
		ret = -EFAULT;
	return ret;
}

/* The usermode helper's init: runs in the new process before its exec. */
static int cvm_helper_init(struct subprocess_info *info, struct cred *new)
{
	struct task_struct **helper = info->data;

	/*
	 * Pending signals survive exec: the process stops on its way to user
	 * space, before the program's first instruction.
	 */
	send_sig(SIGSTOP, current, 1);
	*helper = get_task_struct(current);
	return 0;
}

/* Wait for the killed helper to let go of its mm; it holds no lock of ours. */
static int cvm_helper_wait_exit(struct task_struct *helper)
{
	unsigned int waited;
	bool has_mm;

	for (waited = 0; waited < CVM_STAGE_HELPER_EXIT_MS; waited += 20) {
		task_lock(helper);
		has_mm = helper->mm;
		task_unlock(helper);
		if (!has_mm)
			return 0;
		msleep(20);
	}
	return -ETIMEDOUT;
}

static struct mm_struct *cvm_helper_mm(const char *path)
{
	/* The program never runs: it needs neither arguments nor environment. */
	char *argv[2] = { (char *)path, NULL };
	char *envp[1] = { NULL };
	struct task_struct *helper = NULL;
	struct subprocess_info *info;
	struct mm_struct *mm;
	int ret;

	info = call_usermodehelper_setup(path, argv, envp, GFP_KERNEL,
					 cvm_helper_init, NULL, &helper);
	if (!info)
		return ERR_PTR(-ENOMEM);
	ret = call_usermodehelper_exec(info, UMH_WAIT_EXEC);
	if (!helper)
		return ERR_PTR(ret ?: -ECHILD);
	mm = ret ? NULL : get_task_mm(helper);
	send_sig(SIGKILL, helper, 1);
	if (!ret && !mm)
		ret = -ESRCH;
	if (!ret)
		ret = cvm_helper_wait_exit(helper);
	put_task_struct(helper);
	if (ret) {
		if (mm)
			mmput(mm);
		return ERR_PTR(ret);
	}
	return mm;
}

/* Create the private address space and map the staging area; stage_lock held. */
static int cvm_stage_create(void)
{
	struct mm_struct *mm = ERR_PTR(-ENOENT);
	struct cvm_stage_job *job;
	unsigned int i;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	kref_init(&job->ref);
	job->fn = cvm_stage_map_fn;

	if (stage_helper) {
		mm = cvm_helper_mm(stage_helper);
	} else {
		for (i = 0; i < ARRAY_SIZE(stage_helpers) && IS_ERR(mm); i++)
			mm = cvm_helper_mm(stage_helpers[i]);
	}
	if (IS_ERR(mm)) {
		pr_err("cannot create the staging address space (%ld): set stage_helper= to an executable\n",
		       PTR_ERR(mm));
		ret = PTR_ERR(mm);
		goto out;
	}
	stage_mm = mm;
	ret = cvm_stage_run(job, false);
	if (ret) {
		mmput(stage_mm);
		stage_mm = NULL;
	}
out:
	kref_put(&job->ref, cvm_stage_job_free);
	return ret;
}

/*
 * At exit no staging thread is left (each holds a module reference), and
 * mmput() takes the staging area with the rest of the mm.
 */
static void cvm_stage_destroy(void)
{
	if (stage_mm)
		mmput(stage_mm);
	stage_mm = NULL;
}

int cvmattest_platform_init(void)
{
	sema_init(&stage_busy, 1);
	platform_cred = prepare_kernel_cred(&init_task);
	return platform_cred ? 0 : -ENOMEM;
}

void cvmattest_platform_exit(void)
{
	cvm_stage_destroy();
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
 * open as the provider's private data for as long as the provider lives;
 * the staging address space is created with the first such provider.
 */
int cvmattest_platform_probe(struct cvmattest_provider *prov, const char *path)
{
	struct file *filp = cvmattest_open_platform(path);
	int ret = 0;

	if (IS_ERR(filp))
		return PTR_ERR(filp) == -ENOENT ? -ENODEV : PTR_ERR(filp);
	mutex_lock(&stage_lock);
	if (!stage_mm)
		ret = cvm_stage_create();
	mutex_unlock(&stage_lock);
	if (ret) {
		fput(filp);
		return ret;
	}
	prov->priv = filp;
	return 0;
}

void cvmattest_platform_remove(struct cvmattest_provider *prov)
{
	fput(prov->priv);
	prov->priv = NULL;
}

/* The address the platform driver sees for offset @off of the staging area. */
u64 cvmattest_stage_addr(size_t off)
{
	return stage_uaddr + off;
}

/**
 * cvmattest_platform_ioctl - one platform ioctl through the staging area
 * @filp:	the platform node
 * @cmd:	its ioctl command
 * @image:	kernel image of the first @len bytes of the staging area: what
 *		the driver is to read on entry, what it left there on return
 * @len:	bytes to stage, at most CVMATTEST_STAGE_LEN
 * @arg_off:	offset in the staging area of the ioctl's argument
 *
 * Pointers inside @image must be cvmattest_stage_addr() values.
 * Return: the driver's return value, or -errno if the staging failed.
 */
long cvmattest_platform_ioctl(struct file *filp, unsigned int cmd, void *image,
			      size_t len, size_t arg_off)
{
	struct cvm_stage_job *job;
	long ret;

	if (len > CVMATTEST_STAGE_LEN || arg_off >= len)
		return -EINVAL;
	/* Set before any provider that calls us is active; never changes. */
	if (!stage_mm)
		return -ENODEV;
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	kref_init(&job->ref);
	job->fn = cvm_stage_ioctl_fn;
	job->filp = filp;
	job->cmd = cmd;
	job->len = len;
	job->arg_off = arg_off;
	job->image = kvmalloc(len, GFP_KERNEL);
	if (!job->image) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(job->image, image, len);

	ret = cvm_stage_run(job, true);
	if (ret)
		goto out;
	memcpy(image, job->image, len);
	ret = job->ioctl_ret;
out:
	kref_put(&job->ref, cvm_stage_job_free);
	return ret;
}
