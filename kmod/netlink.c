// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic netlink family "cvmattest": GET_STATUS returns what
 * /sys/kernel/cvmattest/ shows, in one message; the "events" multicast
 * group tells listeners about evidence issued, provider errors and
 * attestation status changes.  Modelled on drivers/thermal/thermal_netlink.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>

#include "cvmattest.h"

enum { CVM_MCGRP_EVENTS };

static const struct genl_multicast_group cvm_mcgrps[] = {
	[CVM_MCGRP_EVENTS] = {
		.name = CVMATTEST_GENL_MCGRP_EVENTS,
#ifdef GENL_MCAST_CAP_NET_ADMIN
		/* 6.7 and stable backports: only CAP_NET_ADMIN may listen */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
#endif
	},
};

/* GET_STATUS takes no attribute: with strict validation any is refused. */
static int cvm_nl_get_status(struct sk_buff *skb, struct genl_info *info);

static const struct genl_small_ops cvm_nl_ops[] = {
	{
		.cmd = CVMATTEST_CMD_GET_STATUS,
		.doit = cvm_nl_get_status,
	},
};

static struct genl_family cvm_nl_family __ro_after_init = {
	.name = CVMATTEST_GENL_NAME,
	.version = CVMATTEST_GENL_VERSION,
	.module = THIS_MODULE,
	.small_ops = cvm_nl_ops,
	.n_small_ops = ARRAY_SIZE(cvm_nl_ops),
	.mcgrps = cvm_mcgrps,
	.n_mcgrps = ARRAY_SIZE(cvm_mcgrps),
	/* .resv_start_op stays 0: strict validation for every command */
};

static int cvm_nl_put_entry(struct sk_buff *msg, unsigned int idx, char *buf)
{
	struct nlattr *nest;
	ssize_t len;

	len = cvmattest_state_show(idx, buf);
	if (len < 0)
		return len;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';

	nest = nla_nest_start(msg, CVMATTEST_A_ENTRY);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(msg, CVMATTEST_A_ENTRY_NAME,
			   cvmattest_state_name(idx)) ||
	    nla_put_string(msg, CVMATTEST_A_ENTRY_VALUE, buf)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int cvm_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;
	char *buf;
	int ret;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);	/* a sysfs show() buffer */
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!buf || !msg) {
		ret = -ENOMEM;
		goto err;
	}
	hdr = genlmsg_put_reply(msg, info, &cvm_nl_family, 0,
				CVMATTEST_CMD_GET_STATUS);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	for (i = 0; i < cvmattest_state_count(); i++) {
		ret = cvm_nl_put_entry(msg, i, buf);
		if (ret)
			goto err;
	}
	genlmsg_end(msg, hdr);
	kfree(buf);
	return genlmsg_reply(msg, info);

err:
	kfree(buf);
	nlmsg_free(msg);
	return ret;
}

/* Start an event message, or NULL if nobody listens or memory is short. */
static struct sk_buff *cvm_nl_event_start(u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&cvm_nl_family, &init_net, CVM_MCGRP_EVENTS))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &cvm_nl_family, 0, cmd);
	if (!*hdr ||
	    nla_put_s64(msg, CVMATTEST_A_TIME, ktime_get_real_seconds(),
			CVMATTEST_A_PAD)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void cvm_nl_event_send(struct sk_buff *msg, void *hdr, int put_err)
{
	if (put_err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&cvm_nl_family, msg, 0, CVM_MCGRP_EVENTS, GFP_KERNEL);
}

void cvmattest_nl_evidence(const struct cvmattest_provider *prov,
			   const struct cvmattest_evidence *ev)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cvm_nl_event_start(CVMATTEST_CMD_EVIDENCE_ISSUED, &hdr);
	if (!msg)
		return;
	cvm_nl_event_send(msg, hdr,
			  nla_put_string(msg, CVMATTEST_A_PROVIDER, prov->ops->name) ||
			  nla_put_u32(msg, CVMATTEST_A_FORMAT, ev->format) ||
			  nla_put_u32(msg, CVMATTEST_A_PLATFORM, ev->platform) ||
			  nla_put(msg, CVMATTEST_A_REPORT_DATA,
				  sizeof(ev->report_data), ev->report_data));
}

void cvmattest_nl_error(const struct cvmattest_provider *prov,
			const struct cvmattest_evidence *ev, int err)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cvm_nl_event_start(CVMATTEST_CMD_PROVIDER_ERROR, &hdr);
	if (!msg)
		return;
	cvm_nl_event_send(msg, hdr,
			  nla_put_string(msg, CVMATTEST_A_PROVIDER, prov->ops->name) ||
			  nla_put_s32(msg, CVMATTEST_A_ERRNO, err) ||
			  nla_put_u64_64bit(msg, CVMATTEST_A_FW_ERROR, ev->fw_error,
					    CVMATTEST_A_PAD) ||
			  nla_put_u64_64bit(msg, CVMATTEST_A_VMM_ERROR, ev->vmm_error,
					    CVMATTEST_A_PAD));
}

void cvmattest_nl_status(const struct cvmattest_status *st)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cvm_nl_event_start(CVMATTEST_CMD_STATUS_CHANGED, &hdr);
	if (!msg)
		return;
	cvm_nl_event_send(msg, hdr,
			  nla_put_u32(msg, CVMATTEST_A_STATUS_STATE, st->state) ||
			  nla_put_s64(msg, CVMATTEST_A_STATUS_TIME, st->time,
				      CVMATTEST_A_PAD) ||
			  nla_put_s64(msg, CVMATTEST_A_STATUS_EXPIRY, st->token_expiry,
				      CVMATTEST_A_PAD) ||
			  nla_put_string(msg, CVMATTEST_A_STATUS_VERIFIER, st->verifier) ||
			  nla_put_string(msg, CVMATTEST_A_STATUS_REASON, st->reason));
}

int cvmattest_nl_init(void)
{
	return genl_register_family(&cvm_nl_family);
}

void cvmattest_nl_exit(void)
{
	genl_unregister_family(&cvm_nl_family);
}
