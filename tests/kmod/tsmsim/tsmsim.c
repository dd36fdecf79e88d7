// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsmsim: a TEST-ONLY configfs-tsm report provider, so that the kernel's own
 * configfs-tsm code (drivers/virt/coco/tsm.c, tsm_report.c on 7.x) can be
 * exercised under QEMU TCG, where there is no sev-guest or tdx-guest to
 * register one.  It registers as "sev_guest" or "tdx_guest" (the names those
 * drivers use: KBUILD_MODNAME) with their attribute visibility on 6.12:
 * sev_guest shows privlevel and privlevel_floor (and, with svsm=1, the SVSM
 * service_provider/service_guid/service_manifest_version attributes and
 * manifestblob, as sev-guest does under an SVSM), tdx_guest only generation
 * and provider.  A report is made by a user-mode helper, the simulated
 * platform of the tests (tests/sim, signed by TEST keys):
 *     HELPER MODE INBLOB-HEX PRIVLEVEL DIR [SERVICE-PROVIDER]
 * which writes DIR/outblob (and DIR/auxblob, DIR/manifestblob), read back
 * here.  Like the firmware, it refuses a report below privlevel_floor.  configfs-tsm calls report_new() under its rwsem held for writing,
 * so requests are serialised and DIR can be fixed.
 *
 * Never load this outside a test VM: its "evidence" is whatever the helper
 * writes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tsm.h>
#include <linux/umh.h>
#include <linux/vmalloc.h>

static char *mode = "snp";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "snp (provider sev_guest) or tdx (provider tdx_guest)");

static char *helper = "/usr/lib/cvmattest-test/tsmsim-helper";
module_param(helper, charp, 0444);
MODULE_PARM_DESC(helper, "program that makes the report");

static char *dir = "/run/tsmsim";
module_param(dir, charp, 0444);
MODULE_PARM_DESC(dir, "directory where the helper writes the blobs");

static uint floor;
module_param(floor, uint, 0444);
MODULE_PARM_DESC(floor, "privlevel_floor (snp): 0, or the VMPL an SVSM leaves the guest");

static bool svsm;
module_param(svsm, bool, 0444);
MODULE_PARM_DESC(svsm, "snp: show the SVSM service attributes and manifestblob");

static uint reports;
module_param(reports, uint, 0444);
MODULE_PARM_DESC(reports, "reports made (read-only)");

#define TSMSIM_BLOB_MAX	(64 * 1024)

static int tsmsim_read(const char *name, u8 **blob, size_t *len, bool required)
{
	char path[256];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	u8 *buf;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	/*
	 * filp_open() + kernel_read(), not kernel_read_file_from_path(): the
	 * latter asks the LSMs about a READING_UNKNOWN read, which IPE (6.12)
	 * answers with a WARN.
	 */
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f)) {
		if (PTR_ERR(f) == -ENOENT && !required)
			return 0;
		pr_warn("%s: %ld\n", path, PTR_ERR(f));
		return PTR_ERR(f);
	}
	/* configfs-tsm kvfree()s the blobs. */
	buf = kvzalloc(TSMSIM_BLOB_MAX, GFP_KERNEL);
	if (!buf) {
		filp_close(f, NULL);
		return -ENOMEM;
	}
	n = kernel_read(f, buf, TSMSIM_BLOB_MAX, &pos);
	filp_close(f, NULL);
	if (n <= 0) {
		kvfree(buf);
		pr_warn("%s: read %zd\n", path, n);
		return n < 0 ? n : -ENODATA;
	}
	*blob = buf;
	*len = n;
	return 0;
}

#ifdef TSMSIM_REPORT_OPS
#define tsmsim_ops_t		struct tsm_report_ops
#define TSM_INBLOB_MAX		TSM_REPORT_INBLOB_MAX
#define TSM_PRIVLEVEL_MAX	TSM_REPORT_PRIVLEVEL_MAX
#define tsmsim_register		tsm_report_register
#define tsmsim_unregister	tsm_report_unregister
#else
#define tsmsim_ops_t		struct tsm_ops
#define tsmsim_register		tsm_register
#define tsmsim_unregister	tsm_unregister
#endif

static int tsmsim_report_new(struct tsm_report *report, void *data)
{
	char hex[TSM_INBLOB_MAX * 2 + 1], lvl[12], empty[1] = "";
	char home[] = "HOME=/", path[] = "PATH=/sbin:/bin:/usr/sbin:/usr/bin";
	char *sp = report->desc.service_provider;
	char *argv[7], *envp[3];
	int rc;

	if (report->desc.inblob_len != TSM_INBLOB_MAX)
		return -EINVAL;
	/*
	 * The firmware refuses a report for a VMPL more privileged than the
	 * guest's own (SNP ABI, MSG_REPORT_REQ: VMPL >= the caller's); the
	 * kernel checks only what is written to privlevel, and privlevel is 0
	 * until written.
	 */
	if (report->desc.privlevel < floor)
		return -EIO;
	/* %*phN: up to 64 bytes as hex (bin2hex() left kernel.h in 7.x) */
	snprintf(hex, sizeof(hex), "%*phN", TSM_INBLOB_MAX, report->desc.inblob);
	snprintf(lvl, sizeof(lvl), "%u", report->desc.privlevel);
	argv[0] = helper;
	argv[1] = mode;
	argv[2] = hex;
	argv[3] = lvl;
	argv[4] = dir;
	argv[5] = sp ? sp : empty;
	argv[6] = NULL;
	envp[0] = home;
	envp[1] = path;
	envp[2] = NULL;
	rc = call_usermodehelper(helper, argv, envp, UMH_WAIT_PROC);
	if (rc) {
		pr_warn("%s %s failed: %d\n", helper, mode, rc);
		return rc < 0 ? rc : -EIO;
	}
	rc = tsmsim_read("outblob", &report->outblob, &report->outblob_len, true);
	if (!rc)
		rc = tsmsim_read("auxblob", &report->auxblob, &report->auxblob_len, false);
	if (!rc && svsm && sp)
		rc = tsmsim_read("manifestblob", &report->manifestblob,
				 &report->manifestblob_len, false);
	if (rc)
		return rc;
	reports++;
	return 0;
}

static bool tsmsim_snp_attr_visible(int n)
{
	switch (n) {
	case TSM_REPORT_GENERATION:
	case TSM_REPORT_PROVIDER:
	case TSM_REPORT_PRIVLEVEL:
	case TSM_REPORT_PRIVLEVEL_FLOOR:
		return true;
	case TSM_REPORT_SERVICE_PROVIDER:
	case TSM_REPORT_SERVICE_GUID:
	case TSM_REPORT_SERVICE_MANIFEST_VER:
		return svsm;
	}
	return false;
}

static bool tsmsim_snp_bin_attr_visible(int n)
{
	switch (n) {
	case TSM_REPORT_INBLOB:
	case TSM_REPORT_OUTBLOB:
	case TSM_REPORT_AUXBLOB:
		return true;
	case TSM_REPORT_MANIFESTBLOB:
		return svsm;
	}
	return false;
}

static bool tsmsim_tdx_attr_visible(int n)
{
	return n == TSM_REPORT_GENERATION || n == TSM_REPORT_PROVIDER;
}

static bool tsmsim_tdx_bin_attr_visible(int n)
{
	return n == TSM_REPORT_INBLOB || n == TSM_REPORT_OUTBLOB;
}

static tsmsim_ops_t tsmsim_ops = {
	.report_new = tsmsim_report_new,
};

static int __init tsmsim_init(void)
{
	if (!strcmp(mode, "snp")) {
		tsmsim_ops.name = "sev_guest";
		tsmsim_ops.privlevel_floor = floor;
		tsmsim_ops.report_attr_visible = tsmsim_snp_attr_visible;
		tsmsim_ops.report_bin_attr_visible = tsmsim_snp_bin_attr_visible;
	} else if (!strcmp(mode, "tdx")) {
		tsmsim_ops.name = "tdx_guest";
		tsmsim_ops.report_attr_visible = tsmsim_tdx_attr_visible;
		tsmsim_ops.report_bin_attr_visible = tsmsim_tdx_bin_attr_visible;
	} else {
		pr_err("mode=%s: snp or tdx\n", mode);
		return -EINVAL;
	}
	if (floor > TSM_PRIVLEVEL_MAX)
		return -EINVAL;
	return tsmsim_register(&tsmsim_ops, NULL);
}

static void __exit tsmsim_exit(void)
{
	tsmsim_unregister(&tsmsim_ops);
}

module_init(tsmsim_init);
module_exit(tsmsim_exit);
MODULE_DESCRIPTION("TEST ONLY: configfs-tsm provider backed by the cvmattest simulator");
MODULE_LICENSE("GPL");
