/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * cvmattest: one attestation-evidence ABI for confidential VM guests
 * (AMD SEV-SNP, Intel TDX, Azure paravisor vTPM).
 *
 * /dev/cvmattest takes size-versioned structs: each starts with a __u32
 * @size that the caller sets to sizeof() of the struct it was built against.
 * The kernel reads the struct with copy_struct_from_user(), so an older
 * caller (smaller @size) keeps working and a newer caller (larger @size) is
 * accepted as long as the bytes the kernel does not know are zero (else
 * -E2BIG).  A @size below the first published size is -EINVAL.  The ioctl
 * numbers are frozen and do not change when a struct grows.
 *
 * See Documentation/userspace-api/cvmattest.rst.
 */
#ifndef _UAPI_LINUX_CVMATTEST_H
#define _UAPI_LINUX_CVMATTEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CVMATTEST_ABI_VERSION		1

#define CVMATTEST_REPORT_DATA_LEN	64
#define CVMATTEST_NAME_LEN		16

/* Active provider (enum cvmattest_provider_id). */
enum cvmattest_provider_id {
	CVMATTEST_PROVIDER_NONE		= 0,
	CVMATTEST_PROVIDER_SNP		= 1,	/* /dev/sev-guest */
	CVMATTEST_PROVIDER_TDX		= 2,	/* /dev/tdx_guest */
	CVMATTEST_PROVIDER_AZURE_VTPM	= 3,	/* Azure paravisor, vTPM NV */
};

/* Hardware platform the evidence comes from. */
enum cvmattest_platform {
	CVMATTEST_PLATFORM_UNKNOWN	= 0,
	CVMATTEST_PLATFORM_SEV_SNP	= 1,
	CVMATTEST_PLATFORM_TDX		= 2,
};

/* Format of the bytes written to cvmattest_evidence_req.evidence. */
enum cvmattest_format {
	CVMATTEST_FORMAT_NONE		= 0,
	CVMATTEST_FORMAT_SNP_REPORT	= 1,	/* ATTESTATION_REPORT, 1184 B */
	CVMATTEST_FORMAT_TDX_TDREPORT	= 2,	/* TDREPORT_STRUCT, 1024 B */
	CVMATTEST_FORMAT_TDX_QUOTE	= 3,	/* DCAP quote v4/v5 */
	CVMATTEST_FORMAT_AZURE_HCL	= 4,	/* vTPM NV 0x01400001 report */
};

/* cvmattest_info.caps */
#define CVMATTEST_CAP_CERTS		(1ULL << 0)	/* F_CERTS works */
#define CVMATTEST_CAP_QUOTE		(1ULL << 1)	/* F_QUOTE works */
#define CVMATTEST_CAP_PRIVLEVEL		(1ULL << 2)	/* F_PRIVLEVEL works */

/**
 * struct cvmattest_info - CVMATTEST_IOC_INFO
 * @size:		in: sizeof(struct cvmattest_info) as the caller knows it
 * @abi_version:	out: CVMATTEST_ABI_VERSION of the running module
 * @provider:		out: enum cvmattest_provider_id
 * @platform:		out: enum cvmattest_platform
 * @caps:		out: CVMATTEST_CAP_*
 * @evidence_max:	out: largest evidence the provider can return
 * @certs_max:		out: largest certificate blob (0: no certificates)
 * @privlevel_floor:	out: lowest privilege level a report can be asked for
 * @privlevel_max:	out: highest privilege level (SNP: VMPL 3)
 * @provider_name:	out: NUL-terminated provider name ("snp", "tdx", ...)
 * @reserved:		must be zero
 */
struct cvmattest_info {
	__u32 size;
	__u32 abi_version;
	__u32 provider;
	__u32 platform;
	__aligned_u64 caps;
	__u32 evidence_max;
	__u32 certs_max;
	__u32 privlevel_floor;
	__u32 privlevel_max;
	char provider_name[CVMATTEST_NAME_LEN];
	__u8 reserved[8];
};

#define CVMATTEST_INFO_SIZE_VER0	64

/* cvmattest_evidence_req.flags */
#define CVMATTEST_EVIDENCE_F_CERTS	(1U << 0) /* also return certificates */
#define CVMATTEST_EVIDENCE_F_QUOTE	(1U << 1) /* TDX: a quote, not TDREPORT */
#define CVMATTEST_EVIDENCE_F_PRIVLEVEL	(1U << 2) /* @privlevel is meaningful */
#define CVMATTEST_EVIDENCE_F_ALL	(CVMATTEST_EVIDENCE_F_CERTS | \
					 CVMATTEST_EVIDENCE_F_QUOTE | \
					 CVMATTEST_EVIDENCE_F_PRIVLEVEL)

/**
 * struct cvmattest_evidence_req - CVMATTEST_IOC_GET_EVIDENCE
 * @size:		in: sizeof(struct cvmattest_evidence_req)
 * @flags:		in: CVMATTEST_EVIDENCE_F_*; unknown bits are -EINVAL
 * @report_data:	in: 64 bytes bound into the evidence
 * @privlevel:		in: SNP VMPL to report at (with F_PRIVLEVEL, else 0)
 * @format:		out: enum cvmattest_format of @evidence
 * @evidence:		in: user buffer for the evidence
 * @evidence_len:	in: size of @evidence; out: bytes written, or bytes
 *			needed when the call fails with -ENOSPC
 * @certs_len:		in: size of @certs; out: bytes written or needed
 * @certs:		in: user buffer for certificates (with F_CERTS); SNP:
 *			the GHCB certificate table (GUID, offset, length)
 * @fw_error:		out: the platform firmware's status for the request
 *			(SNP firmware status, TDX TDCALL/GetQuote status)
 * @vmm_error:		out: the hypervisor's error (SNP: exitinfo2[63:32])
 * @platform:		out: enum cvmattest_platform of the hardware report
 *			(tells SNP from TDX inside an Azure HCL report)
 * @reserved:		must be zero
 *
 * The struct is written back on success, on -ENOSPC and on platform errors
 * (-EIO, -EBUSY, -ETIMEDOUT), never when the request itself was invalid.
 */
struct cvmattest_evidence_req {
	__u32 size;
	__u32 flags;
	__u8 report_data[CVMATTEST_REPORT_DATA_LEN];
	__u32 privlevel;
	__u32 format;
	__aligned_u64 evidence;
	__u32 evidence_len;
	__u32 certs_len;
	__aligned_u64 certs;
	__aligned_u64 fw_error;
	__aligned_u64 vmm_error;
	__u32 platform;
	__u32 reserved;
};

#define CVMATTEST_EVIDENCE_SIZE_VER0	128

/* cvmattest_status.state */
enum cvmattest_status_state {
	CVMATTEST_STATUS_UNKNOWN	= 0,	/* no attempt reported yet */
	CVMATTEST_STATUS_VERIFIED	= 1,	/* the verifier accepted us */
	CVMATTEST_STATUS_FAILED		= 2,	/* the last attempt failed */
};

#define CVMATTEST_VERIFIER_LEN		256
#define CVMATTEST_REASON_LEN		128

/**
 * struct cvmattest_status - CVMATTEST_IOC_SET_STATUS (CAP_SYS_ADMIN)
 * @size:		in: sizeof(struct cvmattest_status)
 * @state:		in: enum cvmattest_status_state
 * @time:		in: when the attempt ended, Unix seconds (0: now)
 * @token_expiry:	in: expiry of the token obtained, Unix seconds (0: none)
 * @verifier:		in: the attestation service's URL, NUL-terminated
 * @reason:		in: short reason for a failure, NUL-terminated
 * @reserved:		must be zero
 *
 * The attestation helper reports each attempt's outcome here; it shows in
 * /sys/kernel/cvmattest/attestation_* and as a netlink event.
 */
struct cvmattest_status {
	__u32 size;
	__u32 state;
	__s64 time;
	__s64 token_expiry;
	char verifier[CVMATTEST_VERIFIER_LEN];
	char reason[CVMATTEST_REASON_LEN];
	__u8 reserved[8];
};

#define CVMATTEST_STATUS_SIZE_VER0	416

#define CVMATTEST_IOC_MAGIC		0xCA

/*
 * Sizes in the ioctl numbers are the VER0 sizes and stay so: a grown
 * struct is told apart by its @size field, not by a new ioctl number.
 */
#define CVMATTEST_IOC_INFO \
	_IOC(_IOC_READ | _IOC_WRITE, CVMATTEST_IOC_MAGIC, 0x40, \
	     CVMATTEST_INFO_SIZE_VER0)
#define CVMATTEST_IOC_GET_EVIDENCE \
	_IOC(_IOC_READ | _IOC_WRITE, CVMATTEST_IOC_MAGIC, 0x41, \
	     CVMATTEST_EVIDENCE_SIZE_VER0)
#define CVMATTEST_IOC_SET_STATUS \
	_IOC(_IOC_WRITE, CVMATTEST_IOC_MAGIC, 0x42, CVMATTEST_STATUS_SIZE_VER0)

/*
 * Generic netlink family CVMATTEST_GENL_NAME, multicast group
 * CVMATTEST_GENL_MCGRP_EVENTS (CAP_NET_ADMIN to join where the kernel
 * supports restricting it, 6.7 and stable backports).
 */
#define CVMATTEST_GENL_NAME		"cvmattest"
#define CVMATTEST_GENL_VERSION		1
#define CVMATTEST_GENL_MCGRP_EVENTS	"events"

enum cvmattest_genl_cmd {
	CVMATTEST_CMD_UNSPEC,
	CVMATTEST_CMD_GET_STATUS,	/* request; reply carries ENTRY attrs */
	CVMATTEST_CMD_EVIDENCE_ISSUED,	/* event */
	CVMATTEST_CMD_STATUS_CHANGED,	/* event */
	CVMATTEST_CMD_PROVIDER_ERROR,	/* event */
	__CVMATTEST_CMD_MAX,
};
#define CVMATTEST_CMD_MAX (__CVMATTEST_CMD_MAX - 1)

enum cvmattest_genl_attr {
	CVMATTEST_A_UNSPEC,
	CVMATTEST_A_PAD,
	CVMATTEST_A_ENTRY,		/* nested: one sysfs file */
	CVMATTEST_A_PROVIDER,		/* string */
	CVMATTEST_A_FORMAT,		/* u32, enum cvmattest_format */
	CVMATTEST_A_PLATFORM,		/* u32, enum cvmattest_platform */
	CVMATTEST_A_REPORT_DATA,	/* binary, 64 */
	CVMATTEST_A_ERRNO,		/* s32, negative errno */
	CVMATTEST_A_FW_ERROR,		/* u64 */
	CVMATTEST_A_VMM_ERROR,		/* u64 */
	CVMATTEST_A_STATUS_STATE,	/* u32, enum cvmattest_status_state */
	CVMATTEST_A_STATUS_TIME,	/* s64, Unix seconds */
	CVMATTEST_A_STATUS_EXPIRY,	/* s64, Unix seconds, 0 = none */
	CVMATTEST_A_STATUS_VERIFIER,	/* string */
	CVMATTEST_A_STATUS_REASON,	/* string */
	CVMATTEST_A_TIME,		/* s64, Unix seconds of the event */
	__CVMATTEST_A_MAX,
};
#define CVMATTEST_A_MAX (__CVMATTEST_A_MAX - 1)

/* Inside CVMATTEST_A_ENTRY: the file name and its content, as in sysfs */
enum cvmattest_genl_entry_attr {
	CVMATTEST_A_ENTRY_UNSPEC,
	CVMATTEST_A_ENTRY_NAME,		/* string */
	CVMATTEST_A_ENTRY_VALUE,	/* string, no trailing newline */
	__CVMATTEST_A_ENTRY_MAX,
};
#define CVMATTEST_A_ENTRY_MAX (__CVMATTEST_A_ENTRY_MAX - 1)

#endif /* _UAPI_LINUX_CVMATTEST_H */
