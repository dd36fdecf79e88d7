/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * The user ABI of the platform drivers cvmattest drives: /dev/sev-guest
 * (include/uapi/linux/sev-guest.h, 5.19+) and /dev/tdx_guest
 * (include/uapi/linux/tdx-guest.h, 6.2+).  Carried here under our own
 * names because Debian's 6.1 has no tdx-guest.h and older 6.1 headers name
 * the SNP error field fw_err; the layouts and ioctl numbers are the
 * upstream ones (0xC0205300.., 0xC4405401) and are checked at build time.
 * The kernel module and the simulated platform both use this header.
 */
#ifndef CVMATTEST_PLATFORM_ABI_H
#define CVMATTEST_PLATFORM_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CVM_SEV_GUEST_PATH		"/dev/sev-guest"
#define CVM_TDX_GUEST_PATH		"/dev/tdx_guest"

/* ---- /dev/sev-guest ------------------------------------------------- */

struct cvm_snp_report_req {
	__u8 user_data[64];
	__u32 vmpl;
	__u8 rsvd[28];		/* must be zero */
};

struct cvm_snp_report_resp {
	__u8 data[4000];	/* MSG_REPORT_RSP */
};

struct cvm_snp_derived_key_req {
	__u32 root_key_select;	/* 0 VCEK, 1 VMRK */
	__u32 rsvd;		/* must be zero */
	__u64 guest_field_select;
	__u32 vmpl;
	__u32 guest_svn;
	__u64 tcb_version;
};

struct cvm_snp_derived_key_resp {
	__u8 data[64];		/* MSG_KEY_RSP */
};

struct cvm_snp_guest_request_ioctl {
	__u8 msg_version;	/* must be non-zero; 1 */
	__u64 req_data;
	__u64 resp_data;
	union {
		__u64 exitinfo2;
		struct {
			__u32 fw_error;
			__u32 vmm_error;
		};
	};
};

struct cvm_snp_ext_report_req {
	struct cvm_snp_report_req data;
	__u64 certs_address;
	__u32 certs_len;	/* page multiple, <= 16 KiB */
};

#define CVM_SNP_GUEST_REQ_IOC_TYPE	'S'
#define CVM_SNP_GET_REPORT \
	_IOWR(CVM_SNP_GUEST_REQ_IOC_TYPE, 0x0, struct cvm_snp_guest_request_ioctl)
#define CVM_SNP_GET_DERIVED_KEY \
	_IOWR(CVM_SNP_GUEST_REQ_IOC_TYPE, 0x1, struct cvm_snp_guest_request_ioctl)
#define CVM_SNP_GET_EXT_REPORT \
	_IOWR(CVM_SNP_GUEST_REQ_IOC_TYPE, 0x2, struct cvm_snp_guest_request_ioctl)

#define CVM_SNP_VMM_ERR_SHIFT		32
#define CVM_SNP_VMM_ERR_INVALID_LEN	1	/* certificate buffer too small */
#define CVM_SNP_VMM_ERR_BUSY		2	/* host throttling */
#define CVM_SNP_VMM_ERR_GENERIC		(1U << 31)
#define CVM_SNP_MSG_VERSION		1
#define CVM_SNP_VMPL_MAX		3
#define CVM_SNP_PAGE_SIZE		4096

/* ---- /dev/tdx_guest ------------------------------------------------- */

struct cvm_tdx_report_req {
	__u8 reportdata[64];
	__u8 tdreport[1024];
};

#define CVM_TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct cvm_tdx_report_req)

#endif /* CVMATTEST_PLATFORM_ABI_H */
