// SPDX-License-Identifier: GPL-2.0-only OR MIT
/* Options describing the simulated platform, shared by the daemon and the tool. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_config.h"
#include "sim_internal.h"

enum {
	O_PRODUCT = SIM_CONFIG_OPT_BASE,
	O_REPORT_VERSION, O_DEBUG, O_POLICY, O_GUEST_SVN, O_TCB, O_REPORTED_TCB,
	O_CURRENT_TCB, O_COMMITTED_TCB, O_LAUNCH_TCB, O_CHIP_ID, O_MASK_CHIP_ID,
	O_MEASUREMENT, O_HOST_DATA, O_FAMILY_ID, O_IMAGE_ID, O_ID_KEY_DIGEST,
	O_REPORT_ID, O_PLATFORM_INFO, O_FW_VERSION, O_MIT_VECTOR, O_SIGNER_INFO,
	O_TD_ATTRIBUTES, O_XFAM, O_MRTD, O_MRCONFIGID, O_MROWNER, O_MROWNERCONFIG,
	O_RTMR0, O_RTMR1, O_RTMR2, O_RTMR3, O_MRSEAM, O_TEE_TCB_SVN, O_CPUSVN,
	O_TDX_MODULE, O_SERVTD_HASH,
	O_END
};

static const struct option config_options[] = {
	{ "product", required_argument, NULL, O_PRODUCT },
	{ "report-version", required_argument, NULL, O_REPORT_VERSION },
	{ "version", required_argument, NULL, O_REPORT_VERSION },	/* short alias */
	{ "debug", no_argument, NULL, O_DEBUG },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "guest-svn", required_argument, NULL, O_GUEST_SVN },
	{ "tcb", required_argument, NULL, O_TCB },
	{ "reported-tcb", required_argument, NULL, O_REPORTED_TCB },
	{ "current-tcb", required_argument, NULL, O_CURRENT_TCB },
	{ "committed-tcb", required_argument, NULL, O_COMMITTED_TCB },
	{ "launch-tcb", required_argument, NULL, O_LAUNCH_TCB },
	{ "chip-id", required_argument, NULL, O_CHIP_ID },
	{ "mask-chip-id", no_argument, NULL, O_MASK_CHIP_ID },
	{ "measurement", required_argument, NULL, O_MEASUREMENT },
	{ "host-data", required_argument, NULL, O_HOST_DATA },
	{ "family-id", required_argument, NULL, O_FAMILY_ID },
	{ "image-id", required_argument, NULL, O_IMAGE_ID },
	{ "id-key-digest", required_argument, NULL, O_ID_KEY_DIGEST },
	{ "report-id", required_argument, NULL, O_REPORT_ID },
	{ "platform-info", required_argument, NULL, O_PLATFORM_INFO },
	{ "fw-version", required_argument, NULL, O_FW_VERSION },
	{ "mit-vector", required_argument, NULL, O_MIT_VECTOR },
	{ "signer-info", required_argument, NULL, O_SIGNER_INFO },
	{ "td-attributes", required_argument, NULL, O_TD_ATTRIBUTES },
	{ "xfam", required_argument, NULL, O_XFAM },
	{ "mrtd", required_argument, NULL, O_MRTD },
	{ "mrconfigid", required_argument, NULL, O_MRCONFIGID },
	{ "mrowner", required_argument, NULL, O_MROWNER },
	{ "mrownerconfig", required_argument, NULL, O_MROWNERCONFIG },
	{ "rtmr0", required_argument, NULL, O_RTMR0 },
	{ "rtmr1", required_argument, NULL, O_RTMR1 },
	{ "rtmr2", required_argument, NULL, O_RTMR2 },
	{ "rtmr3", required_argument, NULL, O_RTMR3 },
	{ "mrseam", required_argument, NULL, O_MRSEAM },
	{ "tee-tcb-svn", required_argument, NULL, O_TEE_TCB_SVN },
	{ "cpusvn", required_argument, NULL, O_CPUSVN },
	{ "tdx-module", required_argument, NULL, O_TDX_MODULE },
	{ "servtd-hash", required_argument, NULL, O_SERVTD_HASH },
	{ NULL, 0, NULL, 0 }
};

void sim_config_usage(FILE *out)
{
	fputs(
"Platform options (SEV-SNP):\n"
"  --product milan|genoa|turin   CPU product line (default milan)\n"
"  --report-version 2..5         ATTESTATION_REPORT version (default 5; alias --version)\n"
"  --debug                       set POLICY.DEBUG (bit 19); TDX: TD_ATTRIBUTES.DEBUG\n"
"  --policy HEX                  whole guest POLICY (default 0x30000)\n"
"  --guest-svn N                 GUEST_SVN (default 1)\n"
"  --tcb SPEC                    current = reported = committed = launch TCB;\n"
"                                SPEC: bl=3,tee=0,snp=8,ucode=115[,fmc=0] | 0xU64 | 16 hex digits\n"
"  --reported-tcb/--current-tcb/--committed-tcb/--launch-tcb SPEC   one TCB field\n"
"  --chip-id HEX                 CHIP_ID (64 bytes; shorter is zero-padded; Turin: 8)\n"
"  --mask-chip-id                host MASK_CHIP_ID: CHIP_ID reads as zeros\n"
"  --measurement HEX  --host-data HEX  --family-id HEX  --image-id HEX\n"
"  --id-key-digest HEX  --report-id HEX  --platform-info HEX  --signer-info HEX\n"
"  --fw-version MAJ.MIN.BUILD    firmware version (default 1.55.21)\n"
"  --mit-vector N                launch and current mitigation vectors (v5)\n"
"Platform options (TDX):\n"
"  --td-attributes HEX (default 0x10000000)  --xfam HEX (default 0x61ae7)\n"
"  --mrtd HEX  --mrconfigid HEX  --mrowner HEX  --mrownerconfig HEX\n"
"  --rtmr0..--rtmr3 HEX  --mrseam HEX  --tee-tcb-svn HEX  --cpusvn HEX  --servtd-hash HEX\n"
"  --tdx-module 1.0|1.5          REPORTTYPE.VERSION 0 or 1 (default 1.0)\n",
		out);
}

struct option *sim_config_long_options(const struct option *own)
{
	size_t n_own = 0, n_cfg = ARRAY_SIZE(config_options) - 1;
	struct option *all;

	while (own[n_own].name)
		n_own++;
	all = calloc(n_own + n_cfg + 1, sizeof(*all));
	if (!all)
		return NULL;
	memcpy(all, own, n_own * sizeof(*all));
	memcpy(all + n_own, config_options, n_cfg * sizeof(*all));
	return all;
}

int sim_config_collect(struct sim_config_args *args, int opt, const char *arg)
{
	if (opt < SIM_CONFIG_OPT_BASE || opt >= O_END)
		return -EINVAL;
	if (args->n >= SIM_CONFIG_MAX_ARGS)
		return -E2BIG;
	args->a[args->n].id = opt;
	args->a[args->n].arg = arg;
	args->n++;
	return 0;
}

static int hex_field(const char *arg, uint8_t *out, size_t len)
{
	return sim_hex_decode_pad(arg, out, len);
}

static int fw_version(const char *arg, struct sim_snp_config *c)
{
	unsigned maj, min, build;
	char tail;

	if (sscanf(arg, "%u.%u.%u%c", &maj, &min, &build, &tail) != 3 ||
	    maj > 255 || min > 255 || build > 255)
		return -EINVAL;
	c->fw_major = (uint8_t)maj;
	c->fw_minor = (uint8_t)min;
	c->fw_build = (uint8_t)build;
	return 0;
}

static int apply_one(int id, const char *arg, struct sim_snp_config *s,
		     struct sim_tdx_config *t)
{
	enum sim_product p = s->product;
	uint8_t tcb[8];
	uint64_t v;
	int ret = 0;

	switch (id) {
	case O_PRODUCT:
		return 0;		/* applied first */
	case O_REPORT_VERSION:
		ret = sim_parse_u64(arg, &v);
		if (!ret && (v < SNP_REPORT_VERSION_MIN || v > SNP_REPORT_VERSION_MAX))
			ret = -EINVAL;
		if (!ret)
			s->version = (uint32_t)v;
		return ret;
	case O_DEBUG:
		s->policy |= SNP_POLICY_DEBUG;
		t->td_attributes |= TDX_TD_ATTR_DEBUG;
		return 0;
	case O_POLICY:
		ret = sim_parse_u64(arg, &s->policy);
		return ret;
	case O_GUEST_SVN:
		ret = sim_parse_u64(arg, &v);
		if (!ret && v > UINT32_MAX)
			ret = -EINVAL;
		if (!ret)
			s->guest_svn = (uint32_t)v;
		return ret;
	case O_TCB:
	case O_REPORTED_TCB:
	case O_CURRENT_TCB:
	case O_COMMITTED_TCB:
	case O_LAUNCH_TCB:
		ret = sim_tcb_parse(p, arg, tcb);
		if (ret)
			return ret;
		if (id == O_TCB)
			sim_snp_config_set_tcb(s, tcb);
		else
			memcpy(id == O_REPORTED_TCB ? s->reported_tcb :
			       id == O_CURRENT_TCB ? s->current_tcb :
			       id == O_COMMITTED_TCB ? s->committed_tcb : s->launch_tcb, tcb, 8);
		return 0;
	case O_CHIP_ID:
		return hex_field(arg, s->chip_id, sizeof(s->chip_id));
	case O_MASK_CHIP_ID:
		s->mask_chip_id = true;
		return 0;
	case O_MEASUREMENT:
		return hex_field(arg, s->measurement, sizeof(s->measurement));
	case O_HOST_DATA:
		return hex_field(arg, s->host_data, sizeof(s->host_data));
	case O_FAMILY_ID:
		return hex_field(arg, s->family_id, sizeof(s->family_id));
	case O_IMAGE_ID:
		return hex_field(arg, s->image_id, sizeof(s->image_id));
	case O_ID_KEY_DIGEST:
		return hex_field(arg, s->id_key_digest, sizeof(s->id_key_digest));
	case O_REPORT_ID:
		return hex_field(arg, s->report_id, sizeof(s->report_id));
	case O_PLATFORM_INFO:
		return sim_parse_u64(arg, &s->platform_info);
	case O_FW_VERSION:
		return fw_version(arg, s);
	case O_MIT_VECTOR:
		ret = sim_parse_u64(arg, &v);
		if (!ret)
			s->launch_mit_vector = s->current_mit_vector = v;
		return ret;
	case O_SIGNER_INFO:
		ret = sim_parse_u64(arg, &v);
		if (!ret && v > UINT32_MAX)
			ret = -EINVAL;
		if (!ret)
			s->signer_info = (uint32_t)v;
		return ret;
	case O_TD_ATTRIBUTES:
		return sim_parse_u64(arg, &t->td_attributes);
	case O_XFAM:
		return sim_parse_u64(arg, &t->xfam);
	case O_MRTD:
		return hex_field(arg, t->mrtd, TDX_MR_LEN);
	case O_MRCONFIGID:
		return hex_field(arg, t->mrconfigid, TDX_MR_LEN);
	case O_MROWNER:
		return hex_field(arg, t->mrowner, TDX_MR_LEN);
	case O_MROWNERCONFIG:
		return hex_field(arg, t->mrownerconfig, TDX_MR_LEN);
	case O_RTMR0:
	case O_RTMR1:
	case O_RTMR2:
	case O_RTMR3:
		return hex_field(arg, t->rtmr[id - O_RTMR0], TDX_MR_LEN);
	case O_MRSEAM:
		return hex_field(arg, t->mrseam, TDX_MR_LEN);
	case O_TEE_TCB_SVN:
		return hex_field(arg, t->tee_tcb_svn, sizeof(t->tee_tcb_svn));
	case O_CPUSVN:
		return hex_field(arg, t->cpusvn, sizeof(t->cpusvn));
	case O_SERVTD_HASH:
		return hex_field(arg, t->servtd_hash, TDX_MR_LEN);
	case O_TDX_MODULE:
		if (!strcmp(arg, "1.0"))
			t->report_version = 0;
		else if (!strcmp(arg, "1.5"))
			t->report_version = 1;
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int sim_config_apply(const struct sim_config_args *args,
		     struct sim_snp_config *snp, struct sim_tdx_config *tdx)
{
	enum sim_product p = SIM_PRODUCT_MILAN;

	for (int i = 0; i < args->n; i++) {
		if (args->a[i].id == O_PRODUCT && sim_product_parse(args->a[i].arg, &p)) {
			sim_log("unknown product '%s' (milan, genoa, turin)", args->a[i].arg);
			return -EINVAL;
		}
	}
	sim_snp_config_default(snp, p);
	sim_tdx_config_default(tdx);
	for (int i = 0; i < args->n; i++) {
		int ret = apply_one(args->a[i].id, args->a[i].arg, snp, tdx);

		if (ret) {
			const char *name = "?";

			for (size_t j = 0; config_options[j].name; j++)
				if (config_options[j].val == args->a[i].id)
					name = config_options[j].name;
			sim_log("invalid value for --%s: '%s'", name,
				args->a[i].arg ? args->a[i].arg : "");
			return ret;
		}
	}
	return 0;
}
