// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The two netlink parsers: cvm_event_parse() (monitor events) and
 * cvm_state_parse_genl() (GET_STATUS replies), then everything that formats
 * what they accepted.  libnl hands callbacks only messages whose nlmsg_len
 * fits what was received, so the framing length is set to the input's size;
 * everything after it is arbitrary.
 */
#include <linux/netlink.h>

#include "fuzz.h"
#include "libcvmattest-status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *nlh;
	struct cvm_event ev;
	struct cvm_state *st;
	char *out;

	if (size < NLMSG_HDRLEN || size > 65536)
		return 0;
	nlh = malloc(size);		/* aligned, as libnl's receive buffer is */
	st = calloc(1, sizeof(*st));
	if (!nlh || !st)
		goto out;
	memcpy(nlh, data, size);
	nlh->nlmsg_len = (uint32_t)size;

	if (cvm_event_parse(nlh, &ev) == 0 && cvm_event_to_json(&ev, &out) == 0)
		free(out);
	if (cvm_state_parse_genl(st, nlh) == 0) {
		st->module_loaded = true;
		cvm_state_diagnose(st);
		if (cvm_state_to_json(st, &out) == 0)
			free(out);
		if (cvm_state_to_text(st, &out) == 0)
			free(out);
		if (cvm_state_to_prometheus(st, &out) == 0)
			free(out);
	}
out:
	free(st);
	free(nlh);
	return 0;
}
