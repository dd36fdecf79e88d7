// SPDX-License-Identifier: MIT
/*
 * Example: ask /dev/cvmattest for evidence bound to 64 bytes of
 * REPORT_DATA and write it to stdout.  Build:
 *   cc -I include/uapi -o cvmattest-example cvmattest-example.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cvmattest.h>

int main(void)
{
	struct cvmattest_info info = { .size = sizeof(info) };
	struct cvmattest_evidence_req req;
	unsigned char *evidence;
	int fd;

	fd = open("/dev/cvmattest", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, CVMATTEST_IOC_INFO, &info) < 0) {
		perror("/dev/cvmattest");
		return 1;
	}
	fprintf(stderr, "provider %s, evidence up to %u bytes\n",
		info.provider_name, info.evidence_max);

	evidence = malloc(info.evidence_max);
	if (!evidence)
		return 1;
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	memset(req.report_data, 0xab, sizeof(req.report_data)); /* e.g. a hash */
	req.evidence = (unsigned long)evidence;
	req.evidence_len = info.evidence_max;

	if (ioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &req) < 0) {
		int err = errno;

		fprintf(stderr, "GET_EVIDENCE: %s (firmware %#llx, VMM %#llx)\n",
			strerror(err), (unsigned long long)req.fw_error,
			(unsigned long long)req.vmm_error);
		return 1;
	}
	fprintf(stderr, "format %u, %u bytes\n", req.format, req.evidence_len);
	fwrite(evidence, 1, req.evidence_len, stdout);
	free(evidence);
	close(fd);
	return 0;
}
