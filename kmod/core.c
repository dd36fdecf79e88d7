// SPDX-License-Identifier: GPL-2.0-only
/*
 * cvmattest core: /dev/cvmattest, ioctl dispatch and provider selection.
 * The core knows nothing of any platform; providers sit behind
 * struct cvmattest_provider_ops (one file each).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "compat.h"
#include "cvmattest.h"

static char *provider_param = "auto";
module_param_named(provider, provider_param, charp, 0444);
MODULE_PARM_DESC(provider, "auto (default), snp, tdx, azure-vtpm or none");

static int group = -1;
module_param(group, int, 0444);
MODULE_PARM_DESC(group, "gid allowed to use /dev/cvmattest (mode 0660); default root only (0600)");

static unsigned int busy_retries = 3;
module_param(busy_retries, uint, 0644);
MODULE_PARM_DESC(busy_retries, "retries of a busy platform, 20 ms doubling each time (max 8)");

#define CVMATTEST_BUSY_RETRIES_MAX	8
#define CVMATTEST_BUSY_DELAY_MS		20

/* Auto-detection order. */
static const struct cvmattest_provider_ops *const cvmattest_providers[] = {
	&cvmattest_snp_ops,
	&cvmattest_tdx_ops,
	&cvmattest_azure_vtpm_ops,
};

static struct cvmattest_provider cvm_provider;
/* Set once (acquire/release) when a provider probed; cleared only at exit. */
static const struct cvmattest_provider_ops *cvm_active;
static DEFINE_MUTEX(cvm_probe_lock);

static struct class *cvm_class;
static dev_t cvm_devt;

struct cvm_chardev {
	struct device dev;
	struct cdev cdev;
};

static struct cvm_chardev *cvm_chardev;

static int cvm_try_provider(const struct cvmattest_provider_ops *ops)
{
	int ret;

	memset(&cvm_provider, 0, sizeof(cvm_provider));
	mutex_init(&cvm_provider.lock);
	cvm_provider.ops = ops;
	ret = ops->probe(&cvm_provider);
	if (ret) {
		mutex_destroy(&cvm_provider.lock);
		cvm_provider.ops = NULL;
		return ret;
	}
	pr_info("provider %s active\n", ops->name);
	cvmattest_state_set_provider(ops->name, cvm_provider.platform);
	/* Publish cvm_provider only once it is complete; pairs with the load */
	smp_store_release(&cvm_active, ops);
	return 0;
}

static void cvm_fetch_launch(struct cvmattest_provider *prov);

/*
 * Probe the forced provider, or each in turn.  Called at load and, while
 * no provider is active, again on use: the platform driver may load later
 * than we do.  The one call that finds the provider also takes the launch
 * evidence for the launch_* files.
 */
static int cvm_probe_providers(void)
{
	bool found = false;
	unsigned int i;
	int ret = -ENODEV;

	mutex_lock(&cvm_probe_lock);
	if (cvm_active) {
		ret = 0;
		goto out;
	}
	if (sysfs_streq(provider_param, "none"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(cvmattest_providers); i++) {
		const struct cvmattest_provider_ops *ops = cvmattest_providers[i];

		if (!sysfs_streq(provider_param, "auto") &&
		    !sysfs_streq(provider_param, ops->name))
			continue;
		ret = cvm_try_provider(ops);
		found = !ret;
		if (!ret || !sysfs_streq(provider_param, "auto"))
			break;
	}
out:
	mutex_unlock(&cvm_probe_lock);
	if (found)
		cvm_fetch_launch(&cvm_provider);
	return ret;
}

static struct cvmattest_provider *cvm_get_provider(void)
{
	/* Pairs with the release in cvm_try_provider() */
	if (!smp_load_acquire(&cvm_active) && cvm_probe_providers())
		return NULL;
	return &cvm_provider;
}

/*
 * Read a size-versioned struct: its first u32 is the caller's size.
 * Smaller than the first published size is -EINVAL; larger is accepted if
 * the bytes we do not know are zero (copy_struct_from_user(): -E2BIG).
 */
static int cvm_copy_in(void *dst, size_t ksize, const void __user *src,
		       size_t minsize, u32 *usize)
{
	int ret;

	if (get_user(*usize, (const u32 __user *)src))
		return -EFAULT;
	if (*usize < minsize)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(dst, ksize, src, *usize);
	if (ret)
		return ret;
	*(u32 *)dst = min_t(u32, *usize, ksize);
	return 0;
}

static long cvm_ioctl_info(void __user *uarg)
{
	struct cvmattest_provider *prov;
	struct cvmattest_info info;
	u32 usize;
	int ret;

	ret = cvm_copy_in(&info, sizeof(info), uarg, CVMATTEST_INFO_SIZE_VER0,
			  &usize);
	if (ret)
		return ret;
	if (memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;

	memset((u8 *)&info + sizeof(info.size), 0,
	       sizeof(info) - sizeof(info.size));
	info.abi_version = CVMATTEST_ABI_VERSION;
	prov = cvm_get_provider();
	if (prov) {
		info.provider = prov->ops->id;
		info.platform = prov->platform;
		info.caps = prov->caps;
		info.evidence_max = prov->evidence_max;
		info.certs_max = prov->certs_max;
		info.privlevel_floor = prov->privlevel_floor;
		info.privlevel_max = prov->privlevel_max;
		strscpy(info.provider_name, prov->ops->name,
			sizeof(info.provider_name));
	} else {
		strscpy(info.provider_name, "none", sizeof(info.provider_name));
	}
	if (copy_to_user(uarg, &info, info.size))
		return -EFAULT;
	return 0;
}

/* Everything about the request that can be checked without the platform. */
static int cvm_validate(const struct cvmattest_evidence_req *req,
			const struct cvmattest_provider *prov)
{
	bool certs = req->flags & CVMATTEST_EVIDENCE_F_CERTS;

	if (req->flags & ~CVMATTEST_EVIDENCE_F_ALL || req->reserved)
		return -EINVAL;
	if (!(req->flags & CVMATTEST_EVIDENCE_F_PRIVLEVEL) && req->privlevel)
		return -EINVAL;
	if (!certs && (req->certs || req->certs_len))
		return -EINVAL;
	if ((certs && !(prov->caps & CVMATTEST_CAP_CERTS)) ||
	    (req->flags & CVMATTEST_EVIDENCE_F_QUOTE &&
	     !(prov->caps & CVMATTEST_CAP_QUOTE)) ||
	    (req->flags & CVMATTEST_EVIDENCE_F_PRIVLEVEL &&
	     !(prov->caps & CVMATTEST_CAP_PRIVLEVEL)))
		return -EOPNOTSUPP;
	if (req->privlevel < prov->privlevel_floor ||
	    req->privlevel > prov->privlevel_max)
		return -EINVAL;
	return 0;
}

/*
 * A buffer that cannot take what the platform will produce, or that is
 * not writable, is refused before a request reaches the platform.
 */
static int cvm_check_buffers(struct cvmattest_evidence_req *req,
			     const struct cvmattest_provider *prov)
{
	bool certs = req->flags & CVMATTEST_EVIDENCE_F_CERTS;
	/* Variable-size evidence needs room for the largest the provider makes. */
	u32 need_ev = prov->evidence_size ?: prov->evidence_max;
	bool short_ev = req->evidence_len < need_ev;
	bool short_certs = certs && prov->certs_size_seen &&
			   req->certs_len < prov->certs_size_seen;

	if (short_ev || short_certs) {
		if (short_ev)
			req->evidence_len = need_ev;
		if (short_certs)
			req->certs_len = prov->certs_size_seen;
		return -ENOSPC;
	}
	if (fault_in_writeable(u64_to_user_ptr(req->evidence),
			       min(req->evidence_len, prov->evidence_max)))
		return -EFAULT;
	if (certs && fault_in_writeable(u64_to_user_ptr(req->certs),
					min(req->certs_len, prov->certs_max)))
		return -EFAULT;
	return 0;
}

/* Record the outcome of a request, then announce it from our own copy. */
static void cvm_note(struct cvmattest_provider *prov,
		     const struct cvmattest_evidence *ev, int ret,
		     unsigned int retries)
{
	struct cvmattest_launch launch = {};

	if (!ret)
		prov->ops->describe(ev, &launch);
	cvmattest_state_note(ret, retries, ret ? NULL : &launch);
	if (ret)
		cvmattest_nl_error(prov, ev, ret);
	else
		cvmattest_nl_evidence(prov, ev);
}

static int cvm_get_evidence(struct cvmattest_provider *prov,
			    struct cvmattest_evidence *ev)
{
	unsigned int delay = CVMATTEST_BUSY_DELAY_MS;
	unsigned int tries = min(READ_ONCE(busy_retries),
				 CVMATTEST_BUSY_RETRIES_MAX);
	unsigned int retries = 0;
	int ret;

	for (;;) {
		ret = prov->ops->get_evidence(prov, ev);
		if (ret != -EAGAIN)
			break;
		if (retries == tries) {
			ret = -EBUSY;
			break;
		}
		if (msleep_interruptible(delay)) {
			ret = -EINTR;
			break;
		}
		delay *= 2;
		retries++;
	}
	cvm_note(prov, ev, ret, retries);
	return ret;
}

static struct cvmattest_evidence *cvm_evidence_alloc(struct cvmattest_provider *prov,
						      u32 flags)
{
	struct cvmattest_evidence *ev;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return NULL;
	ev->flags = flags;
	ev->evidence_cap = prov->evidence_max;
	ev->evidence = kvzalloc(ev->evidence_cap, GFP_KERNEL);
	if (flags & CVMATTEST_EVIDENCE_F_CERTS) {
		ev->certs_cap = prov->certs_max;
		ev->certs = kvzalloc(ev->certs_cap, GFP_KERNEL);
	}
	if (!ev->evidence || (ev->certs_cap && !ev->certs)) {
		kvfree(ev->evidence);
		kvfree(ev->certs);
		kfree(ev);
		return NULL;
	}
	return ev;
}

static void cvm_evidence_free(struct cvmattest_evidence *ev)
{
	if (!ev)
		return;
	kvfree(ev->evidence);
	kvfree(ev->certs);
	kfree(ev);
}

/*
 * Launch evidence for the launch_* sysfs files (REPORT_DATA all zero),
 * taken once a provider is found: at load, or by the first caller of
 * /dev/cvmattest when the platform driver came later.  Readers of sysfs
 * and netlink only ever see what is recorded; every later evidence
 * request refreshes it.
 */
static void cvm_fetch_launch(struct cvmattest_provider *prov)
{
	struct cvmattest_evidence *ev;

	ev = cvm_evidence_alloc(prov, 0);
	if (!ev)
		return;
	cvm_get_evidence(prov, ev);
	cvm_evidence_free(ev);
}

static long cvm_ioctl_get_evidence(void __user *uarg)
{
	struct cvmattest_evidence *ev = NULL;
	struct cvmattest_evidence_req req;
	struct cvmattest_provider *prov;
	u32 usize;
	int ret;

	/* Until req is valid and checked, nothing is written back. */
	ret = cvm_copy_in(&req, sizeof(req), uarg, CVMATTEST_EVIDENCE_SIZE_VER0,
			  &usize);
	if (ret)
		goto out;
	prov = cvm_get_provider();
	if (!prov) {
		ret = -ENODEV;
		goto out;
	}
	ret = cvm_validate(&req, prov);
	if (ret)
		goto out;

	/* From here on the caller gets req back, whatever happens. */
	req.format = CVMATTEST_FORMAT_NONE;
	req.platform = CVMATTEST_PLATFORM_UNKNOWN;
	req.fw_error = 0;
	req.vmm_error = 0;
	ret = cvm_check_buffers(&req, prov);
	if (ret)
		goto out_reply;

	ev = cvm_evidence_alloc(prov, req.flags);
	if (!ev) {
		ret = -ENOMEM;
		goto out_reply;
	}
	memcpy(ev->report_data, req.report_data, sizeof(ev->report_data));
	ev->privlevel = req.privlevel;

	ret = cvm_get_evidence(prov, ev);
	req.fw_error = ev->fw_error;
	req.vmm_error = ev->vmm_error;
	if (ret)
		goto out_reply;

	WRITE_ONCE(prov->certs_size_seen, ev->certs_len);
	if (ev->evidence_len > req.evidence_len ||
	    ev->certs_len > req.certs_len) {
		req.evidence_len = ev->evidence_len;
		req.certs_len = ev->certs_len;
		ret = -ENOSPC;
		goto out_reply;
	}
	if (copy_to_user(u64_to_user_ptr(req.evidence), ev->evidence,
			 ev->evidence_len) ||
	    (ev->certs_len && copy_to_user(u64_to_user_ptr(req.certs),
					   ev->certs, ev->certs_len))) {
		ret = -EFAULT;
		goto out_reply;
	}
	req.evidence_len = ev->evidence_len;
	req.certs_len = ev->certs_len;
	req.format = ev->format;
	req.platform = ev->platform;

out_reply:
	if (copy_to_user(uarg, &req, req.size))
		ret = -EFAULT;
out:
	cvm_evidence_free(ev);
	return ret;
}

static long cvm_ioctl_set_status(void __user *uarg)
{
	struct cvmattest_status st, recorded;
	u32 usize;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = cvm_copy_in(&st, sizeof(st), uarg, CVMATTEST_STATUS_SIZE_VER0,
			  &usize);
	if (ret)
		return ret;
	ret = cvmattest_state_set_status(&st, &recorded);
	if (ret)
		return ret;
	cvmattest_nl_status(&recorded);
	return 0;
}

static long cvm_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case CVMATTEST_IOC_INFO:
		return cvm_ioctl_info(uarg);
	case CVMATTEST_IOC_GET_EVIDENCE:
		return cvm_ioctl_get_evidence(uarg);
	case CVMATTEST_IOC_SET_STATUS:
		return cvm_ioctl_set_status(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations cvm_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = cvm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static char *cvm_devnode(CVM_DEVNODE_CONST struct device *dev, umode_t *mode,
			 kuid_t *uid, kgid_t *gid)
{
	if (mode)
		*mode = group >= 0 ? 0660 : 0600;
	if (gid && group >= 0)
		*gid = make_kgid(&init_user_ns, group);
	return NULL;
}

static const struct device_type cvm_device_type = {
	.name = "cvmattest",
	.devnode = cvm_devnode,
};

static void cvm_chardev_release(struct device *dev)
{
	kfree(container_of(dev, struct cvm_chardev, dev));
}

static int cvm_chardev_create(void)
{
	struct cvm_chardev *cd;
	int ret;

	ret = alloc_chrdev_region(&cvm_devt, 0, 1, KBUILD_MODNAME);
	if (ret)
		return ret;
	cvm_class = cvm_class_create(KBUILD_MODNAME);
	if (IS_ERR(cvm_class)) {
		ret = PTR_ERR(cvm_class);
		goto err_region;
	}

	cd = kzalloc(sizeof(*cd), GFP_KERNEL);
	if (!cd) {
		ret = -ENOMEM;
		goto err_class;
	}
	device_initialize(&cd->dev);
	cd->dev.devt = cvm_devt;
	cd->dev.class = cvm_class;
	cd->dev.type = &cvm_device_type;
	cd->dev.release = cvm_chardev_release;
	cdev_init(&cd->cdev, &cvm_fops);
	cd->cdev.owner = THIS_MODULE;
	ret = dev_set_name(&cd->dev, KBUILD_MODNAME);
	if (!ret)
		ret = cdev_device_add(&cd->cdev, &cd->dev);
	if (ret) {
		put_device(&cd->dev);
		goto err_class;
	}
	cvm_chardev = cd;
	return 0;

err_class:
	class_destroy(cvm_class);
err_region:
	unregister_chrdev_region(cvm_devt, 1);
	return ret;
}

static void cvm_chardev_destroy(void)
{
	cdev_device_del(&cvm_chardev->cdev, &cvm_chardev->dev);
	put_device(&cvm_chardev->dev);
	class_destroy(cvm_class);
	unregister_chrdev_region(cvm_devt, 1);
}

static int __init cvmattest_init(void)
{
	bool forced = !sysfs_streq(provider_param, "auto") &&
		      !sysfs_streq(provider_param, "none");
	unsigned int i;
	int ret;

	if (group >= 0 && !gid_valid(make_kgid(&init_user_ns, group))) {
		pr_err("group=%d is not a valid gid\n", group);
		return -EINVAL;
	}
	if (forced) {
		for (i = 0; i < ARRAY_SIZE(cvmattest_providers); i++)
			if (sysfs_streq(provider_param, cvmattest_providers[i]->name))
				break;
		if (i == ARRAY_SIZE(cvmattest_providers)) {
			pr_err("provider=%s: unknown (auto, snp, tdx, azure-vtpm, none)\n",
			       provider_param);
			return -EINVAL;
		}
	}

	ret = cvmattest_platform_init();
	if (ret)
		return ret;
	ret = cvmattest_state_init();
	if (ret)
		goto err_platform;
	/* Before the probe: finding a provider announces the launch evidence. */
	ret = cvmattest_nl_init();
	if (ret)
		goto err_state;
	ret = cvm_probe_providers();
	if (ret && forced) {
		pr_err("provider=%s: platform not available (%d)\n",
		       provider_param, ret);
		goto err_nl;
	}
	if (ret)
		pr_info("no platform found yet; will look again on use\n");

	ret = cvm_chardev_create();
	if (ret)
		goto err_provider;
	return 0;

err_provider:
	if (cvm_active) {
		cvm_active->remove(&cvm_provider);
		mutex_destroy(&cvm_provider.lock);
	}
err_nl:
	cvmattest_nl_exit();
err_state:
	cvmattest_state_exit();
err_platform:
	cvmattest_platform_exit();
	return ret;
}

static void __exit cvmattest_exit(void)
{
	cvm_chardev_destroy();
	cvmattest_nl_exit();
	cvmattest_state_exit();
	if (cvm_active) {
		cvm_active->remove(&cvm_provider);
		mutex_destroy(&cvm_provider.lock);
	}
	cvmattest_platform_exit();
}

module_init(cvmattest_init);
module_exit(cvmattest_exit);

MODULE_DESCRIPTION("Uniform attestation evidence for confidential VM guests");
MODULE_AUTHOR("cvmattest developers");
MODULE_LICENSE("GPL");
