// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cvmattest monitor: the module's netlink events (include/uapi/linux/cvmattest.h),
 * built here with libnl's message API the way kmod/netlink.c builds them,
 * parsed by cvm_event_parse() and written as JSON lines; malformed messages
 * refused; and, on this host where the module is not loaded, the clear
 * errors of cvm_monitor_open(), GET_STATUS and the command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/cvmattest.h>

#include "libcvmattest-status.h"
#include "testutil.h"

#define FAMILY 0x1d

static struct nl_msg *event_msg(int cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	assert_non_null(msg);
	assert_non_null(genlmsg_put(msg, 0, 0, FAMILY, 0, 0, (uint8_t)cmd, CVMATTEST_GENL_VERSION));
	return msg;
}

/* Parse @msg, format it, parse the JSON line back. */
static json_t *event_json(struct nl_msg *msg, struct cvm_event *ev)
{
	json_error_t err;
	char *line;
	json_t *o;

	assert_int_equal(cvm_event_parse(nlmsg_hdr(msg), ev), 0);
	assert_int_equal(cvm_event_to_json(ev, &line), 0);
	assert_null(strchr(line, '\n'));	/* one line */
	o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	if (!o)
		fail_msg("not JSON: %s (%s)", line, err.text);
	free(line);
	nlmsg_free(msg);
	return o;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", k);
	return json_string_value(v);
}

static long long jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not a number", k);
	return json_integer_value(v);
}

static void test_evidence_issued(void **state)
{
	struct cvm_event ev;
	struct nl_msg *msg;
	uint8_t rd[64];
	char hex[129];
	json_t *o;

	(void)state;
	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)(i * 7 + 1);
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	/* the kernel pads 64-bit attributes with CVMATTEST_A_PAD */
	assert_int_equal(nla_put(msg, CVMATTEST_A_PAD, 0, NULL), 0);
	assert_int_equal(nla_put_s64(msg, CVMATTEST_A_TIME, 1700000000), 0);
	assert_int_equal(nla_put_string(msg, CVMATTEST_A_PROVIDER, "snp"), 0);
	assert_int_equal(nla_put_u32(msg, CVMATTEST_A_FORMAT, CVMATTEST_FORMAT_SNP_REPORT), 0);
	assert_int_equal(nla_put_u32(msg, CVMATTEST_A_PLATFORM, CVMATTEST_PLATFORM_SEV_SNP), 0);
	assert_int_equal(nla_put(msg, CVMATTEST_A_REPORT_DATA, 64, rd), 0);
	o = event_json(msg, &ev);
	assert_int_equal(ev.type, CVM_EVENT_EVIDENCE_ISSUED);
	assert_true(ev.has_time && ev.has_provider && ev.has_format && ev.has_platform &&
		    ev.has_report_data);
	assert_false(ev.has_errno || ev.has_state);
	assert_memory_equal(ev.report_data, rd, 64);

	assert_string_equal(jstr(o, "event"), "evidence-issued");
	assert_int_equal(jint(o, "time"), 1700000000);
	assert_string_equal(jstr(o, "provider"), "snp");
	assert_string_equal(jstr(o, "format"), "snp-report");
	assert_int_equal(jint(o, "format_id"), CVMATTEST_FORMAT_SNP_REPORT);
	assert_string_equal(jstr(o, "platform"), "sev-snp");
	assert_int_equal(jint(o, "platform_id"), CVMATTEST_PLATFORM_SEV_SNP);
	cvm_hex_encode(rd, 64, hex);
	assert_string_equal(jstr(o, "report_data"), hex);
	assert_null(json_object_get(o, "errno"));
	assert_null(json_object_get(o, "cmd"));
	/* "event" first: a reader can dispatch on the start of the line */
	assert_string_equal(json_object_iter_key(json_object_iter(o)), "event");
	json_decref(o);

	/* TDX quote, Azure HCL with a TDX report inside */
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put_string(msg, CVMATTEST_A_PROVIDER, "azure-vtpm");
	nla_put_u32(msg, CVMATTEST_A_FORMAT, CVMATTEST_FORMAT_AZURE_HCL);
	nla_put_u32(msg, CVMATTEST_A_PLATFORM, CVMATTEST_PLATFORM_TDX);
	o = event_json(msg, &ev);
	assert_string_equal(jstr(o, "format"), "azure-hcl");
	assert_string_equal(jstr(o, "platform"), "tdx");
	assert_true(json_is_null(json_object_get(o, "time")));	/* always there, null if absent */
	json_decref(o);
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put_u32(msg, CVMATTEST_A_FORMAT, CVMATTEST_FORMAT_TDX_QUOTE);
	nla_put_u32(msg, CVMATTEST_A_PLATFORM, 77);
	o = event_json(msg, &ev);
	assert_string_equal(jstr(o, "format"), "tdx-quote");
	assert_true(json_is_null(json_object_get(o, "platform")));	/* a number we do not know */
	assert_int_equal(jint(o, "platform_id"), 77);
	json_decref(o);
}

static void test_status_changed(void **state)
{
	struct cvm_event ev;
	struct nl_msg *msg;
	json_t *o;

	(void)state;
	msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
	nla_put_s64(msg, CVMATTEST_A_TIME, 1700000005);
	nla_put_u32(msg, CVMATTEST_A_STATUS_STATE, CVMATTEST_STATUS_FAILED);
	nla_put_s64(msg, CVMATTEST_A_STATUS_TIME, 1700000004);
	nla_put_s64(msg, CVMATTEST_A_STATUS_EXPIRY, 0);
	nla_put_string(msg, CVMATTEST_A_STATUS_VERIFIER, "https://maa.test/attest");
	nla_put_string(msg, CVMATTEST_A_STATUS_REASON, "policy: x-ms-sevsnpvm-is-debuggable is true");
	o = event_json(msg, &ev);
	assert_int_equal(ev.type, CVM_EVENT_STATUS_CHANGED);
	assert_string_equal(jstr(o, "event"), "status-changed");
	assert_int_equal(jint(o, "time"), 1700000005);
	assert_string_equal(jstr(o, "state"), "failed");
	assert_int_equal(jint(o, "state_id"), 2);
	assert_int_equal(jint(o, "status_time"), 1700000004);
	assert_int_equal(jint(o, "expiry"), 0);
	assert_string_equal(jstr(o, "verifier"), "https://maa.test/attest");
	assert_string_equal(jstr(o, "reason"), "policy: x-ms-sevsnpvm-is-debuggable is true");
	assert_null(json_object_get(o, "provider"));
	json_decref(o);

	/* the longest strings the kernel allows, and text that is not UTF-8 */
	{
		char url[CVMATTEST_VERIFIER_LEN], reason[CVMATTEST_REASON_LEN];

		memset(url, 'u', sizeof(url) - 1);
		url[sizeof(url) - 1] = '\0';
		memcpy(reason, "bad \xff byte", 11);
		msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
		nla_put_u32(msg, CVMATTEST_A_STATUS_STATE, CVMATTEST_STATUS_VERIFIED);
		nla_put_s64(msg, CVMATTEST_A_STATUS_EXPIRY, 1900000000);
		nla_put_string(msg, CVMATTEST_A_STATUS_VERIFIER, url);
		nla_put_string(msg, CVMATTEST_A_STATUS_REASON, reason);
		o = event_json(msg, &ev);
		assert_string_equal(jstr(o, "state"), "verified");
		assert_int_equal(jint(o, "expiry"), 1900000000);
		assert_int_equal(strlen(jstr(o, "verifier")), CVMATTEST_VERIFIER_LEN - 1);
		assert_string_equal(jstr(o, "reason"), "bad ? byte");
		json_decref(o);
	}
}

static void test_provider_error(void **state)
{
	struct cvm_event ev;
	struct nl_msg *msg;
	json_t *o;

	(void)state;
	msg = event_msg(CVMATTEST_CMD_PROVIDER_ERROR);
	nla_put_s64(msg, CVMATTEST_A_TIME, 1700000010);
	nla_put_string(msg, CVMATTEST_A_PROVIDER, "snp");
	nla_put_s32(msg, CVMATTEST_A_ERRNO, -EIO);
	nla_put_u64(msg, CVMATTEST_A_FW_ERROR, 0x27);
	nla_put_u64(msg, CVMATTEST_A_VMM_ERROR, 0x100000000ULL);
	o = event_json(msg, &ev);
	assert_int_equal(ev.type, CVM_EVENT_PROVIDER_ERROR);
	assert_string_equal(jstr(o, "event"), "provider-error");
	assert_int_equal(jint(o, "errno"), -EIO);
	assert_string_equal(jstr(o, "errno_name"), "EIO");
	assert_string_equal(jstr(o, "error"), strerror(EIO));
	assert_int_equal(jint(o, "fw_error"), 0x27);
	assert_int_equal(jint(o, "vmm_error"), 0x100000000LL);
	json_decref(o);

	/* a code above 2^63 stays exact, as a string */
	msg = event_msg(CVMATTEST_CMD_PROVIDER_ERROR);
	nla_put_s32(msg, CVMATTEST_A_ERRNO, -EBUSY);
	nla_put_u64(msg, CVMATTEST_A_FW_ERROR, 0xffffffffffffffffULL);
	o = event_json(msg, &ev);
	assert_string_equal(jstr(o, "errno_name"), "EBUSY");
	assert_string_equal(jstr(o, "fw_error"), "0xffffffffffffffff");
	json_decref(o);

	/* no such errno (found by fuzz/fuzz_genl.c: INT32_MIN has no negation) */
	msg = event_msg(CVMATTEST_CMD_PROVIDER_ERROR);
	nla_put_s32(msg, CVMATTEST_A_ERRNO, INT32_MIN);
	o = event_json(msg, &ev);
	assert_int_equal(jint(o, "errno"), INT32_MIN);
	assert_true(json_is_null(json_object_get(o, "errno_name")));
	assert_true(json_is_null(json_object_get(o, "error")));
	json_decref(o);
}

static void test_unknown_and_extra(void **state)
{
	struct cvm_event ev;
	struct nl_msg *msg;
	json_t *o;

	(void)state;
	/* a command from a newer module */
	msg = event_msg(42);
	nla_put_s64(msg, CVMATTEST_A_TIME, 1);
	o = event_json(msg, &ev);
	assert_int_equal(ev.type, CVM_EVENT_UNKNOWN);
	assert_string_equal(jstr(o, "event"), "unknown");
	assert_int_equal(jint(o, "cmd"), 42);
	json_decref(o);
	/* an attribute from a newer module is passed over */
	msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
	nla_put_u32(msg, CVMATTEST_A_MAX + 5, 7);
	nla_put_u32(msg, CVMATTEST_A_STATUS_STATE, CVMATTEST_STATUS_UNKNOWN);
	o = event_json(msg, &ev);
	assert_string_equal(jstr(o, "state"), "unknown");
	json_decref(o);
	/* a state number we do not know */
	msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
	nla_put_u32(msg, CVMATTEST_A_STATUS_STATE, 9);
	o = event_json(msg, &ev);
	assert_true(json_is_null(json_object_get(o, "state")));
	assert_int_equal(jint(o, "state_id"), 9);
	json_decref(o);

	/* names */
	for (int t = CVM_EVENT_EVIDENCE_ISSUED; t < _CVM_EVENT_MAX; t++) {
		enum cvm_event_type back;

		assert_int_equal(cvm_event_type_from_name(cvm_event_type_name(t), &back), 0);
		assert_int_equal(back, t);
	}
	{
		enum cvm_event_type back;

		assert_int_equal(cvm_event_type_from_name("unknown", &back), -ENOENT);
		assert_int_equal(cvm_event_type_from_name("status", &back), -ENOENT);
	}
	assert_null(cvm_event_type_name(_CVM_EVENT_MAX));
}

static void assert_refused(struct nl_msg *msg, const char *what)
{
	struct cvm_event ev;

	if (cvm_event_parse(nlmsg_hdr(msg), &ev) != -EBADMSG)
		fail_msg("accepted: %s", what);
	nlmsg_free(msg);
}

static void test_malformed(void **state)
{
	struct nl_msg *msg;
	uint8_t rd[64] = { 0 };
	struct cvm_event ev;

	(void)state;
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put_u64(msg, CVMATTEST_A_FORMAT, 1);
	assert_refused(msg, "a u32 attribute of 8 bytes");
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put_u16(msg, CVMATTEST_A_PLATFORM, 1);
	assert_refused(msg, "a u32 attribute of 2 bytes");
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put(msg, CVMATTEST_A_REPORT_DATA, 63, rd);
	assert_refused(msg, "REPORT_DATA of 63 bytes");
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put(msg, CVMATTEST_A_PROVIDER, 3, "snp");
	assert_refused(msg, "a string without its NUL");
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put(msg, CVMATTEST_A_PROVIDER, 6, "sn\0p\0");
	assert_refused(msg, "a string with a NUL inside");
	msg = event_msg(CVMATTEST_CMD_EVIDENCE_ISSUED);
	nla_put_string(msg, CVMATTEST_A_PROVIDER, "a-provider-name-longer-than-16");
	assert_refused(msg, "a provider name longer than the kernel's");
	msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
	nla_put(msg, CVMATTEST_A_STATUS_REASON, 0, NULL);
	assert_refused(msg, "an empty string attribute");
	msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
	nla_put_s32(msg, CVMATTEST_A_STATUS_EXPIRY, 5);
	assert_refused(msg, "a 64-bit time of 4 bytes");
	/* an attribute running past the message */
	msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
	nla_put_u32(msg, CVMATTEST_A_STATUS_STATE, 1);
	nlmsg_hdr(msg)->nlmsg_len -= 2;
	assert_refused(msg, "a truncated attribute");
	msg = event_msg(CVMATTEST_CMD_STATUS_CHANGED);
	nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN + 1;
	assert_refused(msg, "no genetlink header");
	assert_int_equal(cvm_event_parse(NULL, &ev), -EBADMSG);
}

/* ---- this host has no cvmattest module -------------------------------------------- */

static char logged[2048];

static void capture_log(int level, const char *msg, void *userdata)
{
	(void)level;
	(void)userdata;
	snprintf(logged + strlen(logged), sizeof(logged) - strlen(logged), "%s\n", msg);
}

static bool netlink_usable(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	bool ok = sk && genl_connect(sk) == 0 && genl_ctrl_resolve(sk, "nlctrl") > 0;

	nl_socket_free(sk);
	return ok;
}

static void test_family_absent(void **state)
{
	struct cvm_monitor *m = NULL;
	struct cvm_state st;
	struct cvm_ctx *ctx;
	char *out;

	(void)state;
	if (!netlink_usable())
		skip();
	{
		struct nl_sock *sk = nl_socket_alloc();

		genl_connect(sk);
		if (genl_ctrl_resolve(sk, CVMATTEST_GENL_NAME) >= 0) {
			nl_socket_free(sk);
			skip();		/* the module is loaded here: nothing to test */
		}
		nl_socket_free(sk);
	}
	assert_int_equal(cvm_ctx_new(&ctx), 0);
	cvm_set_log(ctx, capture_log, NULL);
	logged[0] = '\0';
	assert_int_equal(cvm_monitor_open(ctx, &m), -ENOENT);
	assert_null(m);
	assert_non_null(strstr(logged, "netlink family \"cvmattest\" not found: is the module loaded? "
					"(modprobe cvmattest)"));
	logged[0] = '\0';
	memset(&st, 0, sizeof(st));
	assert_int_equal(cvm_netlink_get_status(ctx, &st), -ENOENT);
	assert_non_null(strstr(logged, "modprobe cvmattest"));
	/* cvm_state_read: a missing family is a finding, and no error is logged */
	logged[0] = '\0';
	{
		struct cvm_state_source src = { .netlink = true, .no_device = true };

		assert_int_equal(cvm_state_read(ctx, &src, &st), 0);
	}
	assert_string_equal(logged, "");
	assert_false(st.module_loaded);
	assert_string_equal(st.source, "netlink");
	assert_int_equal(st.verdict, CVM_VERDICT_CANNOT);
	cvm_ctx_free(ctx);
	assert_int_equal(cvm_monitor_dispatch(NULL, NULL, NULL), -EINVAL);
	cvm_monitor_free(NULL);

	/* the command: exit 7 (not on this host) and the message on stderr */
	assert_int_equal(run_prog("/bin/sh", &out, ARGS("-c", "exec \"$0\" monitor --once --timeout 1 2>&1",
							getenv("CVMATTEST_BIN"))), 7);
	assert_string_equal(out, "cvmattest: netlink family \"cvmattest\" not found: is the module "
				 "loaded? (modprobe cvmattest)\n");
	free(out);
	assert_int_equal(run_cli(NULL, ARGS("status", "--netlink", "--no-device", "-q")), 7);
}

static void test_cli_usage(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run_cli(NULL, ARGS("monitor", "--event", "bogus")), 1);
	assert_int_equal(run_cli(NULL, ARGS("monitor", "--timeout", "0")), 1);
	assert_int_equal(run_cli(NULL, ARGS("monitor", "--timeout", "x")), 1);
	assert_int_equal(run_cli(NULL, ARGS("monitor", "extra")), 1);
	assert_int_equal(run_cli(&out, ARGS("monitor", "--help")), 0);
	assert_non_null(strstr(out, "CAP_NET_ADMIN"));
	assert_non_null(strstr(out, "--once"));
	free(out);
	assert_int_equal(run_cli(&out, ARGS("--help")), 0);
	assert_non_null(strstr(out, "  monitor "));
	assert_non_null(strstr(out, "  status "));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_issued),
		cmocka_unit_test(test_status_changed),
		cmocka_unit_test(test_provider_error),
		cmocka_unit_test(test_unknown_and_extra),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_family_absent),
		cmocka_unit_test(test_cli_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
