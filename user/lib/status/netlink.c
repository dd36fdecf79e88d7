// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The module's generic netlink family (include/uapi/linux/cvmattest.h),
 * through libnl-genl-3: GET_STATUS (the sysfs values in one message) and the
 * "events" multicast group (evidence issued, status changed, provider error).
 *
 * Everything received is checked before use: attribute lengths exactly as
 * the kernel puts them, strings NUL-terminated and within the kernel's own
 * limits, events only from the kernel (port 0).  Attributes and commands
 * this library does not know are passed over, so a newer module still works.
 * The monitor also listens to nlctrl's "notify" group, to tell when the
 * family goes away (module unloaded) instead of waiting forever.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/cvmattest.h>
#include <linux/genetlink.h>

#include "status/status.h"


/* GET_STATUS is answered at once; this only bounds a kernel that never does. */
#define GET_STATUS_TIMEOUT_S 5
#define MONITOR_RCVBUF (1 << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free)

static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_MSG_TRUNC:
		return -EMSGSIZE;
	case NLE_MSG_TOOSHORT:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_PARSE_ERR:
	case NLE_PROTO_MISMATCH:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

/* A connected socket and the family's id; -ENOENT if the family is absent. */
static int open_family(struct cvm_ctx *ctx, bool quiet_absent, struct nl_sock **ret_sk,
		       int *ret_family)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	int r, family;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	r = genl_connect(sk);
	if (r < 0) {
		log_error(ctx, "Cannot open a generic netlink socket: %s", nl_geterror(r));
		return nl_to_errno(r);
	}
	family = genl_ctrl_resolve(sk, CVMATTEST_GENL_NAME);
	if (family == -NLE_OBJ_NOTFOUND) {
		cvm_log(ctx, quiet_absent ? CVM_LOG_DEBUG : CVM_LOG_ERROR,
			"netlink family \"" CVMATTEST_GENL_NAME "\" not found: is the module loaded? (modprobe cvmattest)");
		return -ENOENT;
	}
	if (family < 0) {
		log_error(ctx, "Cannot resolve the cvmattest netlink family: %s", nl_geterror(family));
		return nl_to_errno(family);
	}
	*ret_family = family;
	*ret_sk = TAKE_PTR(sk);
	return 0;
}

/* ---- strict attribute checks ------------------------------------------------ */

enum { A_FIXED = 1, A_STRING };

struct attr_rule {
	uint8_t kind;
	uint16_t len;		/* A_FIXED: exact length; A_STRING: at most, NUL included */
};

static const struct attr_rule event_rules[CVMATTEST_A_MAX + 1] = {
	[CVMATTEST_A_PROVIDER] = { A_STRING, CVMATTEST_NAME_LEN + 1 },
	[CVMATTEST_A_FORMAT] = { A_FIXED, 4 },
	[CVMATTEST_A_PLATFORM] = { A_FIXED, 4 },
	[CVMATTEST_A_REPORT_DATA] = { A_FIXED, CVMATTEST_REPORT_DATA_LEN },
	[CVMATTEST_A_ERRNO] = { A_FIXED, 4 },
	[CVMATTEST_A_FW_ERROR] = { A_FIXED, 8 },
	[CVMATTEST_A_VMM_ERROR] = { A_FIXED, 8 },
	[CVMATTEST_A_STATUS_STATE] = { A_FIXED, 4 },
	[CVMATTEST_A_STATUS_TIME] = { A_FIXED, 8 },
	[CVMATTEST_A_STATUS_EXPIRY] = { A_FIXED, 8 },
	[CVMATTEST_A_STATUS_VERIFIER] = { A_STRING, CVMATTEST_VERIFIER_LEN },
	[CVMATTEST_A_STATUS_REASON] = { A_STRING, CVMATTEST_REASON_LEN },
	[CVMATTEST_A_TIME] = { A_FIXED, 8 },
};

static bool attr_ok(const struct nlattr *a, const struct attr_rule *rule)
{
	int len = nla_len(a);
	const char *d = nla_data(a);

	switch (rule->kind) {
	case A_FIXED:
		return len == rule->len;
	case A_STRING:
		/* one NUL, at the end: what nla_put_string() writes */
		return len >= 1 && len <= rule->len && d[len - 1] == '\0' &&
		       memchr(d, '\0', (size_t)len - 1) == NULL;
	default:
		return true;	/* not ours to check (PAD, ...) */
	}
}

static bool string_ok(const struct nlattr *a, size_t max)
{
	const struct attr_rule r = { A_STRING, (uint16_t)max };

	return a && attr_ok(a, &r);
}

/* The genetlink header and the attributes after it, or -EBADMSG. */
static int parse_genl(const struct nlmsghdr *nlh, struct nlattr **tb, int maxtype,
		      struct genlmsghdr **ret_hdr)
{
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct nlattr *a;
	int rem;

	if (!nlh || !genlmsg_valid_hdr(h, 0))
		return -EBADMSG;
	if (genlmsg_parse(h, 0, tb, maxtype, NULL) < 0)
		return -EBADMSG;
	/* libnl passes over bytes left after the last whole attribute; we do not. */
	nla_for_each_attr(a, genlmsg_attrdata(genlmsg_hdr(h), 0),
			  genlmsg_attrlen(genlmsg_hdr(h), 0), rem)
		;
	if (rem != 0)
		return -EBADMSG;
	*ret_hdr = genlmsg_hdr(h);
	return 0;
}

/* ---- GET_STATUS ------------------------------------------------------------------- */

int cvm_state_parse_genl(struct cvm_state *s, const struct nlmsghdr *nlh)
{
	struct nlattr *tb[CVMATTEST_A_MAX + 1], *a;
	struct genlmsghdr *g;
	int rem;

	if (!s)
		return -EINVAL;
	if (parse_genl(nlh, tb, CVMATTEST_A_MAX, &g) < 0 || g->cmd != CVMATTEST_CMD_GET_STATUS)
		return -EBADMSG;
	/* ENTRY repeats: walk them all (a parse keeps only the last of a type). */
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		struct nlattr *e[CVMATTEST_A_ENTRY_MAX + 1];

		if (nla_type(a) != CVMATTEST_A_ENTRY)
			continue;
		if (nla_parse_nested(e, CVMATTEST_A_ENTRY_MAX, a, NULL) < 0 ||
		    !string_ok(e[CVMATTEST_A_ENTRY_NAME], 64) ||
		    !string_ok(e[CVMATTEST_A_ENTRY_VALUE], 4096))
			return -EBADMSG;
		/*
		 * A name we do not know comes from a newer module; a value that
		 * does not parse stays unknown, as it does when read from sysfs.
		 */
		(void)cvm_state_set_value(s, nla_get_string(e[CVMATTEST_A_ENTRY_NAME]),
					  nla_get_string(e[CVMATTEST_A_ENTRY_VALUE]));
	}
	return 0;
}

struct reply_ctx {
	struct cvm_state *s;
	int family;
	int r;
	bool got;
};

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct reply_ctx *rc = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlh->nlmsg_type != rc->family)
		return NL_SKIP;
	rc->r = cvm_state_parse_genl(rc->s, nlh);
	rc->got = true;
	return NL_STOP;
}

int state_netlink_read(struct cvm_ctx *ctx, struct cvm_state *s, bool quiet_absent)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct timeval tv = { .tv_sec = GET_STATUS_TIMEOUT_S };
	struct reply_ctx rc = { .s = s };
	int r;

	r = open_family(ctx, quiet_absent, &sk, &rc.family);
	if (r < 0)
		return r;
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, rc.family, 0, 0, CVMATTEST_CMD_GET_STATUS,
			 CVMATTEST_GENL_VERSION))
		return -ENOMEM;
	/* The reply is enough; an error still comes back as NLMSG_ERROR. */
	nl_socket_disable_auto_ack(sk);
	if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_reply, &rc);
	if (r < 0)
		return nl_to_errno(r);
	r = nl_send_auto(sk, msg);
	if (r < 0) {
		log_error(ctx, "Cannot send GET_STATUS: %s", nl_geterror(r));
		return nl_to_errno(r);
	}
	r = nl_recvmsgs_default(sk);
	if (r == -NLE_AGAIN) {
		log_error(ctx, "No answer to GET_STATUS from the cvmattest module within %d s",
			  GET_STATUS_TIMEOUT_S);
		return -ETIMEDOUT;
	}
	if (r < 0)
		return log_error_errno(ctx, nl_to_errno(r), "GET_STATUS failed: %s", nl_geterror(r));
	if (!rc.got)
		return log_error_errno(ctx, -EBADMSG, "No GET_STATUS reply from the cvmattest module");
	if (rc.r < 0)
		log_error(ctx, "Malformed GET_STATUS reply from the cvmattest module");
	return rc.r;
}

int cvm_netlink_get_status(struct cvm_ctx *ctx, struct cvm_state *s)
{
	if (!ctx || !s)
		return -EINVAL;
	return state_netlink_read(ctx, s, false);
}

/* ---- events ---------------------------------------------------------------------- */

static const char *const event_names[_CVM_EVENT_MAX] = {
	[CVM_EVENT_UNKNOWN] = "unknown",
	[CVM_EVENT_EVIDENCE_ISSUED] = "evidence-issued",
	[CVM_EVENT_STATUS_CHANGED] = "status-changed",
	[CVM_EVENT_PROVIDER_ERROR] = "provider-error",
};

const char *cvm_event_type_name(enum cvm_event_type t)
{
	return (unsigned)t < _CVM_EVENT_MAX ? event_names[t] : NULL;
}

int cvm_event_type_from_name(const char *name, enum cvm_event_type *ret)
{
	if (!name || !ret)
		return -EINVAL;
	for (int t = CVM_EVENT_EVIDENCE_ISSUED; t < _CVM_EVENT_MAX; t++)
		if (strcmp(name, event_names[t]) == 0) {
			*ret = t;
			return 0;
		}
	return -ENOENT;
}

static enum cvm_event_type event_type(uint8_t cmd)
{
	switch (cmd) {
	case CVMATTEST_CMD_EVIDENCE_ISSUED:
		return CVM_EVENT_EVIDENCE_ISSUED;
	case CVMATTEST_CMD_STATUS_CHANGED:
		return CVM_EVENT_STATUS_CHANGED;
	case CVMATTEST_CMD_PROVIDER_ERROR:
		return CVM_EVENT_PROVIDER_ERROR;
	default:
		return CVM_EVENT_UNKNOWN;
	}
}

int cvm_event_parse(const struct nlmsghdr *nlh, struct cvm_event *ret)
{
	struct nlattr *tb[CVMATTEST_A_MAX + 1];
	struct genlmsghdr *g;

	if (!ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (parse_genl(nlh, tb, CVMATTEST_A_MAX, &g) < 0)
		return -EBADMSG;
	for (int i = 0; i <= CVMATTEST_A_MAX; i++)
		if (tb[i] && !attr_ok(tb[i], &event_rules[i]))
			return -EBADMSG;
	ret->cmd = g->cmd;
	ret->type = event_type(g->cmd);

#define GET(attr, has, field, getter)			\
	do {						\
		if (tb[attr]) {				\
			ret->has = true;		\
			ret->field = getter(tb[attr]);	\
		}					\
	} while (0)
#define GET_STR(attr, has, field)						\
	do {									\
		if (tb[attr]) {							\
			ret->has = true;					\
			snprintf(ret->field, sizeof(ret->field), "%s",		\
				 nla_get_string(tb[attr]));			\
		}								\
	} while (0)

	GET(CVMATTEST_A_TIME, has_time, time, (int64_t)nla_get_s64);
	GET_STR(CVMATTEST_A_PROVIDER, has_provider, provider);
	GET(CVMATTEST_A_FORMAT, has_format, format, nla_get_u32);
	GET(CVMATTEST_A_PLATFORM, has_platform, platform, nla_get_u32);
	if (tb[CVMATTEST_A_REPORT_DATA]) {
		ret->has_report_data = true;
		memcpy(ret->report_data, nla_data(tb[CVMATTEST_A_REPORT_DATA]), 64);
	}
	GET(CVMATTEST_A_ERRNO, has_errno, err, nla_get_s32);
	GET(CVMATTEST_A_FW_ERROR, has_fw_error, fw_error, nla_get_u64);
	GET(CVMATTEST_A_VMM_ERROR, has_vmm_error, vmm_error, nla_get_u64);
	GET(CVMATTEST_A_STATUS_STATE, has_state, state, nla_get_u32);
	GET(CVMATTEST_A_STATUS_TIME, has_status_time, status_time, (int64_t)nla_get_s64);
	GET(CVMATTEST_A_STATUS_EXPIRY, has_expiry, expiry, (int64_t)nla_get_s64);
	GET_STR(CVMATTEST_A_STATUS_VERIFIER, has_verifier, verifier);
	GET_STR(CVMATTEST_A_STATUS_REASON, has_reason, reason);
#undef GET
#undef GET_STR
	return 0;
}

static const char *format_name(uint32_t f)
{
	switch (f) {
	case CVMATTEST_FORMAT_SNP_REPORT:
		return cvm_format_name(CVM_FORMAT_SNP_REPORT);
	case CVMATTEST_FORMAT_TDX_TDREPORT:
		return cvm_format_name(CVM_FORMAT_TDX_TDREPORT);
	case CVMATTEST_FORMAT_TDX_QUOTE:
		return cvm_format_name(CVM_FORMAT_TDX_QUOTE);
	case CVMATTEST_FORMAT_AZURE_HCL:
		return cvm_format_name(CVM_FORMAT_AZURE_HCL);
	default:
		return NULL;
	}
}

static const char *platform_name(uint32_t p)
{
	switch (p) {
	case CVMATTEST_PLATFORM_SEV_SNP:
		return "sev-snp";
	case CVMATTEST_PLATFORM_TDX:
		return "tdx";
	case CVMATTEST_PLATFORM_UNKNOWN:
		return "unknown";
	default:
		return NULL;
	}
}

static const char *state_name(uint32_t st)
{
	switch (st) {
	case CVMATTEST_STATUS_UNKNOWN:
		return "unknown";
	case CVMATTEST_STATUS_VERIFIED:
		return "verified";
	case CVMATTEST_STATUS_FAILED:
		return "failed";
	default:
		return NULL;
	}
}

static void put(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

static json_t *jname(const char *n)
{
	return n ? json_string(n) : json_null();
}

/* Platform error codes are 32-bit in practice; a larger one is kept exact as a string. */
static json_t *ju64(uint64_t v)
{
	char buf[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

int cvm_event_to_json(const struct cvm_event *ev, char **ret)
{
	json_t *o;

	if (!ev || !ret)
		return -EINVAL;
	o = json_object();
	if (!o)
		return -ENOMEM;
	put(o, "event", jname(cvm_event_type_name(ev->type)));
	if (ev->type == CVM_EVENT_UNKNOWN)
		put(o, "cmd", json_integer(ev->cmd));
	put(o, "time", ev->has_time ? json_integer(ev->time) : json_null());
	if (ev->has_provider)
		put(o, "provider", json_text(ev->provider));
	if (ev->has_format) {
		put(o, "format", jname(format_name(ev->format)));
		put(o, "format_id", json_integer(ev->format));
	}
	if (ev->has_platform) {
		put(o, "platform", jname(platform_name(ev->platform)));
		put(o, "platform_id", json_integer(ev->platform));
	}
	if (ev->has_report_data) {
		char hex[2 * 64 + 1];

		cvm_hex_encode(ev->report_data, sizeof(ev->report_data), hex);
		put(o, "report_data", json_string(hex));
	}
	if (ev->has_errno) {
		const char *n = state_errno_name(ev->err);

		put(o, "errno", json_integer(ev->err));
		put(o, "errno_name", *n ? json_string(n) : json_null());
		put(o, "error", *n ? json_text(strerror(ev->err < 0 ? -ev->err : ev->err)) : json_null());
	}
	if (ev->has_fw_error)
		put(o, "fw_error", ju64(ev->fw_error));
	if (ev->has_vmm_error)
		put(o, "vmm_error", ju64(ev->vmm_error));
	if (ev->has_state) {
		put(o, "state", jname(state_name(ev->state)));
		put(o, "state_id", json_integer(ev->state));
	}
	if (ev->has_status_time)
		put(o, "status_time", json_integer(ev->status_time));
	if (ev->has_expiry)
		put(o, "expiry", json_integer(ev->expiry));
	if (ev->has_verifier)
		put(o, "verifier", json_text(ev->verifier));
	if (ev->has_reason)
		put(o, "reason", json_text(ev->reason));
	*ret = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *ret ? 0 : -ENOMEM;
}

/* ---- the monitor ---------------------------------------------------------------- */

struct cvm_monitor {
	struct cvm_ctx *ctx;
	struct nl_sock *sk;
	int family;
	bool gone;		/* the family was unregistered */
	bool stop;		/* the callback asked to stop */
	cvm_event_fn fn;
	void *userdata;
};

void cvm_monitor_free(struct cvm_monitor *m)
{
	if (!m)
		return;
	nl_socket_free(m->sk);
	free(m);
}


int cvm_monitor_fd(const struct cvm_monitor *m)
{
	return m ? nl_socket_get_fd(m->sk) : -EBADF;
}

/* nlctrl "notify": is it our family being unregistered? */
static void check_ctrl(struct cvm_monitor *m, struct nlmsghdr *nlh)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct genlmsghdr *g;

	if (parse_genl(nlh, tb, CTRL_ATTR_MAX, &g) < 0 || g->cmd != CTRL_CMD_DELFAMILY)
		return;
	if (string_ok(tb[CTRL_ATTR_FAMILY_NAME], GENL_NAMSIZ) &&
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), CVMATTEST_GENL_NAME) == 0)
		m->gone = true;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct cvm_monitor *m = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct sockaddr_nl *src = nlmsg_get_src(msg);
	struct cvm_event ev;

	/* Only the kernel speaks on these groups; take nothing else. */
	if (!src || src->nl_pid != 0)
		return NL_SKIP;
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		check_ctrl(m, nlh);
		return m->gone ? NL_STOP : NL_OK;
	}
	if (nlh->nlmsg_type != m->family)
		return NL_SKIP;
	if (cvm_event_parse(nlh, &ev) < 0) {
		log_warning(m->ctx, "Ignoring a malformed cvmattest event (%u bytes)", nlh->nlmsg_len);
		return NL_SKIP;
	}
	if (m->fn && m->fn(&ev, m->userdata) > 0) {
		m->stop = true;
		return NL_STOP;
	}
	return NL_OK;
}

int cvm_monitor_open(struct cvm_ctx *ctx, struct cvm_monitor **ret)
{
	_cleanup_(cvm_monitor_freep) struct cvm_monitor *m = NULL;
	int r, grp, notify;

	if (!ctx || !ret)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	r = open_family(ctx, false, &m->sk, &m->family);
	if (r < 0)
		return r;
	grp = genl_ctrl_resolve_grp(m->sk, CVMATTEST_GENL_NAME, CVMATTEST_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		log_error(ctx, "The cvmattest netlink family has no \"%s\" group (%s): is the module "
			  "older than this tool?", CVMATTEST_GENL_MCGRP_EVENTS, nl_geterror(grp));
		return grp == -NLE_OBJ_NOTFOUND ? -ENOENT : nl_to_errno(grp);
	}
	notify = genl_ctrl_resolve_grp(m->sk, "nlctrl", "notify");

	/* Multicast: no sequence numbers to match. */
	nl_socket_disable_seq_check(m->sk);
	r = nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, m);
	if (r < 0)
		return nl_to_errno(r);
	r = nl_socket_add_membership(m->sk, grp);
	if (r == -NLE_PERM || r == -NLE_NOACCESS) {
		log_error(ctx, "Joining the cvmattest \"%s\" group was refused (EPERM): listening "
			  "needs CAP_NET_ADMIN; run as root", CVMATTEST_GENL_MCGRP_EVENTS);
		return -EPERM;
	}
	if (r < 0) {
		log_error(ctx, "Cannot join the cvmattest \"%s\" group: %s",
			  CVMATTEST_GENL_MCGRP_EVENTS, nl_geterror(r));
		return nl_to_errno(r);
	}
	if (notify < 0 || nl_socket_add_membership(m->sk, notify) < 0)
		log_debug(ctx, "Not watching nlctrl notifications: module unload goes unnoticed");
	r = nl_socket_set_nonblocking(m->sk);
	if (r < 0)
		return nl_to_errno(r);
	/* Bursts (concurrent evidence requests) should not overflow the socket. */
	if (nl_socket_set_buffer_size(m->sk, MONITOR_RCVBUF, 0) < 0)
		log_debug(ctx, "Cannot enlarge the netlink receive buffer");
	*ret = TAKE_PTR(m);
	return 0;
}

int cvm_monitor_dispatch(struct cvm_monitor *m, cvm_event_fn fn, void *userdata)
{
	struct nl_cb *cb;
	int r;

	if (!m)
		return -EINVAL;
	m->fn = fn;
	m->userdata = userdata;
	m->stop = false;
	cb = nl_socket_get_cb(m->sk);
	if (!cb)
		return -ENOMEM;
	for (;;) {
		/* > 0: messages were handled; 0 or -NLE_AGAIN: nothing more pending */
		r = nl_recvmsgs_report(m->sk, cb);
		if (m->gone || m->stop)
			break;
		if (r > 0)
			continue;
		if (r == 0 || r == -NLE_AGAIN)
			break;
		if (r == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events for us; the socket goes on. */
			log_warning(m->ctx, "Events were lost: the netlink receive buffer overflowed");
			continue;
		}
		log_error(m->ctx, "Receiving cvmattest events failed: %s", nl_geterror(r));
		nl_cb_put(cb);
		return nl_to_errno(r);
	}
	nl_cb_put(cb);
	if (m->gone) {
		log_error(m->ctx, "The cvmattest netlink family went away: the module was unloaded");
		return -ENODEV;
	}
	return m->stop ? 1 : 0;
}
