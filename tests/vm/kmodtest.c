// SPDX-License-Identifier: GPL-2.0-only
/*
 * cvmattest-kmodtest: exercises /dev/cvmattest's ioctl ABI inside the test
 * VM.  Each subcommand prints TAP lines ("ok N - ..." / "not ok N - ...");
 * the guest script (tests/vm/guest-kmod.sh) strings them together.
 *
 *   info                       INFO and its size/pointer rules
 *   evidence OUT [--certs F] [--report-data HEX]
 *                              one GET_EVIDENCE, evidence and certs to files
 *   badinput                   every invalid request, each with its errno
 *   concurrent NPROC NREQ      NPROC processes x NREQ requests, each with its
 *                              own REPORT_DATA, checking each answer carries it
 *   busy EXPECT_ERRNO          one request expected to fail (0 = succeed)
 *   certs-busy EXPECT_ERRNO    the same with F_CERTS
 *   enodev                     GET_EVIDENCE without a platform
 *   group UID GID OK|DENIED    open as UID:GID and expect success or EACCES
 *   setstatus STATE URL EXPIRY REASON [UID GID]
 *                              CVMATTEST_IOC_SET_STATUS; as UID:GID without
 *                              privileges it must fail with EPERM
 *   setstatus-bad              invalid SET_STATUS requests, each with its errno
 *   race thread|process rd|version|resp N
 *                              N requests while a second thread of this process,
 *                              or a second process through process_vm_writev(),
 *                              rewrites where the module used to stage platform
 *                              requests: REPORT_DATA, msg_version or the response
 *   unpriv-reads UID N         as UID: every /sys/kernel/cvmattest file and a
 *                              netlink GET_STATUS, N times each
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/cvmattest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <cvmattest/evidence.h>

#define DEV "/dev/cvmattest"

static int tap_fail;

static void tap(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tap(bool cond, const char *fmt, ...)
{
	va_list ap;

	/* unnumbered: the guest script numbers the lines of all runs */
	printf("%sok - ", cond ? "" : "not ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_fail++;
}

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("Bail out! open %s: %s\n", DEV, strerror(errno));
		exit(1);
	}
	return fd;
}

/* ioctl returning -errno or 0 */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static const char *ename(int e)
{
	static char buf[32];

	switch (-e) {
	case 0: return "0";
	case EINVAL: return "-EINVAL";
	case EFAULT: return "-EFAULT";
	case ENOSPC: return "-ENOSPC";
	case E2BIG: return "-E2BIG";
	case ENODEV: return "-ENODEV";
	case ENOTTY: return "-ENOTTY";
	case EBUSY: return "-EBUSY";
	case EAGAIN: return "-EAGAIN";
	case EOPNOTSUPP: return "-EOPNOTSUPP";
	case EIO: return "-EIO";
	case EACCES: return "-EACCES";
	case EPERM: return "-EPERM";
	case EMSGSIZE: return "-EMSGSIZE";
	default:
		snprintf(buf, sizeof(buf), "%d", e);
		return buf;
	}
}

static void expect(int got, int want, const char *what)
{
	tap(got == want, "%s -> %s (got %s)", what, ename(want), ename(got));
}

static void get_info(int fd, struct cvmattest_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (xioctl(fd, CVMATTEST_IOC_INFO, info)) {
		printf("Bail out! INFO: %s\n", strerror(errno));
		exit(1);
	}
}

static void init_req(struct cvmattest_evidence_req *r, void *ev, size_t evlen,
		     void *certs, size_t certslen, unsigned int flags)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = flags;
	r->evidence = (uintptr_t)ev;
	r->evidence_len = evlen;
	if (flags & CVMATTEST_EVIDENCE_F_CERTS) {
		r->certs = (uintptr_t)certs;
		r->certs_len = certslen;
	}
}

static size_t report_data_offset(unsigned int format)
{
	switch (format) {
	case CVMATTEST_FORMAT_SNP_REPORT: return SNP_R_REPORT_DATA;
	case CVMATTEST_FORMAT_TDX_TDREPORT: return TDX_R_REPORT_DATA;
	default: return (size_t)-1;
	}
}

static int cmd_info(void)
{
	struct cvmattest_info info;
	uint8_t big[256];
	int fd = open_dev();

	get_info(fd, &info);
	tap(info.abi_version == CVMATTEST_ABI_VERSION, "INFO abi_version %u", info.abi_version);
	tap(info.size == sizeof(info), "INFO writes back size %u", info.size);
	printf("# provider=%s id=%u platform=%u caps=%#llx evidence_max=%u certs_max=%u vmpl=%u..%u\n",
	       info.provider_name, info.provider, info.platform,
	       (unsigned long long)info.caps, info.evidence_max, info.certs_max,
	       info.privlevel_floor, info.privlevel_max);

	/* struct size rules (openat2/clone3 pattern) */
	memset(&info, 0, sizeof(info));
	info.size = CVMATTEST_INFO_SIZE_VER0 - 4;
	expect(xioctl(fd, CVMATTEST_IOC_INFO, &info), -EINVAL, "INFO size smaller than VER0");
	memset(big, 0, sizeof(big));
	*(uint32_t *)big = sizeof(big);
	expect(xioctl(fd, CVMATTEST_IOC_INFO, big), 0, "INFO larger size, zero tail");
	tap(*(uint32_t *)big == sizeof(info) && big[sizeof(info)] == 0,
	    "INFO larger size: kernel writes only its %zu bytes", sizeof(info));
	big[200] = 1;
	*(uint32_t *)big = sizeof(big);
	expect(xioctl(fd, CVMATTEST_IOC_INFO, big), -E2BIG, "INFO larger size, non-zero tail");
	{
		uint8_t *huge = calloc(1, 8192);

		*(uint32_t *)huge = 8192;
		expect(xioctl(fd, CVMATTEST_IOC_INFO, huge), -E2BIG, "INFO size > PAGE_SIZE");
		free(huge);
	}
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.reserved[3] = 1;
	expect(xioctl(fd, CVMATTEST_IOC_INFO, &info), -EINVAL, "INFO reserved non-zero");
	expect(xioctl(fd, CVMATTEST_IOC_INFO, (void *)8), -EFAULT, "INFO bad pointer");
	expect(xioctl(fd, _IOWR(CVMATTEST_IOC_MAGIC, 0x7f, int), &info), -ENOTTY, "unknown ioctl");
	close(fd);
	return tap_fail != 0;
}

/*
 * Does the evidence carry REPORT_DATA @rd?  SNP and TDX: in the report's
 * REPORT_DATA field; Azure HCL: as the runtime claims' "user-data".
 */
static bool carries(const uint8_t *ev, size_t len, unsigned int fmt, const uint8_t *rd)
{
	size_t off = report_data_offset(fmt);
	char hex[2 * 64 + 1];
	const char *p, *end;
	int i;

	if (fmt != CVMATTEST_FORMAT_AZURE_HCL)
		return off != (size_t)-1 && off + 64 <= len && !memcmp(ev + off, rd, 64);
	if (len <= HCL_RT_VARIABLE_DATA)
		return false;
	for (i = 0; i < 64; i++)
		sprintf(hex + 2 * i, "%02x", rd[i]);
	p = (const char *)ev + HCL_RT_VARIABLE_DATA;
	end = (const char *)ev + len;
	p = memmem(p, end - p, "\"user-data\"", 11);
	if (!p)
		return false;
	p = memchr(p + 11, '"', end - p - 11);
	return p && end - p > 128 && !strncasecmp(p + 1, hex, 128) && p[129] == '"';
}

static int parse_hex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

static int cmd_evidence(int argc, char **argv)
{
	const char *out = NULL, *certs_out = NULL;
	struct cvmattest_evidence_req r;
	struct cvmattest_info info;
	uint8_t rd[64], *ev, *certs = NULL;
	unsigned int flags = 0;
	int fd, i, ret;

	getrandom(rd, sizeof(rd), 0);
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--certs") && i + 1 < argc) {
			certs_out = argv[++i];
			flags |= CVMATTEST_EVIDENCE_F_CERTS;
		} else if (!strcmp(argv[i], "--report-data") && i + 1 < argc) {
			if (parse_hex(argv[++i], rd, sizeof(rd)))
				return fprintf(stderr, "bad --report-data\n"), 2;
		} else {
			out = argv[i];
		}
	}
	if (!out)
		return fprintf(stderr, "evidence OUT [--certs F] [--report-data HEX]\n"), 2;

	fd = open_dev();
	get_info(fd, &info);
	ev = calloc(1, info.evidence_max);
	if (flags)
		certs = calloc(1, info.certs_max);
	init_req(&r, ev, info.evidence_max, certs, info.certs_max, flags);
	memcpy(r.report_data, rd, sizeof(rd));
	ret = xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r);
	expect(ret, 0, "GET_EVIDENCE with random REPORT_DATA");
	if (ret) {
		printf("# fw_error=%#llx vmm_error=%#llx\n",
		       (unsigned long long)r.fw_error, (unsigned long long)r.vmm_error);
		return 1;
	}
	tap(r.evidence_len > 0 && r.evidence_len <= info.evidence_max,
	    "evidence_len %u, format %u, platform %u", r.evidence_len, r.format, r.platform);
	tap(carries(ev, r.evidence_len, r.format, rd), "evidence carries the REPORT_DATA asked for");
	tap(r.fw_error == 0 && r.vmm_error == 0, "no firmware/VMM error reported");
	if (flags)
		tap(r.certs_len > 0 && r.certs_len <= info.certs_max,
		    "certificate table returned (%u bytes)", r.certs_len);
	if (write_file(out, ev, r.evidence_len))
		return 1;
	if (certs_out && write_file(certs_out, certs, r.certs_len))
		return 1;
	for (i = 0; i < 64; i++)
		printf("%02x", rd[i]);
	printf("\n");
	free(ev);
	free(certs);
	close(fd);
	return tap_fail != 0;
}

static int cmd_badinput(void)
{
	struct cvmattest_evidence_req r;
	struct cvmattest_info info;
	uint8_t *ev, *certs, big[512];
	bool has_certs;
	void *ro;
	int fd, ret;

	fd = open_dev();
	get_info(fd, &info);
	has_certs = info.caps & CVMATTEST_CAP_CERTS;
	ev = calloc(1, info.evidence_max);
	certs = calloc(1, info.certs_max ? info.certs_max : 1);

	init_req(&r, ev, info.evidence_max, NULL, 0, 0);
	r.flags = 1u << 31;
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EINVAL, "unknown flag bit 31");
	init_req(&r, ev, info.evidence_max, NULL, 0, 0);
	r.flags = 1u << 3;
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EINVAL, "unknown flag bit 3");
	init_req(&r, ev, info.evidence_max, NULL, 0, 0);
	r.reserved = 1;
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EINVAL, "reserved field non-zero");
	init_req(&r, ev, info.evidence_max, NULL, 0, 0);
	r.privlevel = 1;
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EINVAL, "privlevel without F_PRIVLEVEL");
	init_req(&r, ev, info.evidence_max, NULL, 0, 0);
	r.certs_len = 4096;
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EINVAL, "certs buffer without F_CERTS");
	if (info.caps & CVMATTEST_CAP_PRIVLEVEL) {
		init_req(&r, ev, info.evidence_max, NULL, 0, CVMATTEST_EVIDENCE_F_PRIVLEVEL);
		r.privlevel = info.privlevel_max + 1;
		expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EINVAL, "privlevel above the maximum");
	} else {
		init_req(&r, ev, info.evidence_max, NULL, 0, CVMATTEST_EVIDENCE_F_PRIVLEVEL);
		expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EOPNOTSUPP,
		       "F_PRIVLEVEL where the platform has none");
	}
	if (!(info.caps & CVMATTEST_CAP_QUOTE)) {
		init_req(&r, ev, info.evidence_max, NULL, 0, CVMATTEST_EVIDENCE_F_QUOTE);
		expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EOPNOTSUPP,
		       "F_QUOTE where the provider cannot quote");
	}
	if (!has_certs) {
		init_req(&r, ev, info.evidence_max, certs, 4096, CVMATTEST_EVIDENCE_F_CERTS);
		expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EOPNOTSUPP,
		       "F_CERTS where the platform has no certificates");
	}

	/* struct size rules */
	init_req(&r, ev, info.evidence_max, NULL, 0, 0);
	r.size = CVMATTEST_EVIDENCE_SIZE_VER0 - 8;
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EINVAL, "struct size smaller than VER0");
	memset(big, 0, sizeof(big));
	init_req(&r, ev, info.evidence_max, NULL, 0, 0);
	r.size = sizeof(big);
	memcpy(big, &r, sizeof(r));
	big[300] = 0x5a;
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, big), -E2BIG, "struct larger, non-zero tail");

	/* short buffers: -ENOSPC and the size needed, before the platform is asked */
	init_req(&r, ev, 100, NULL, 0, 0);
	ret = xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r);
	expect(ret, -ENOSPC, "evidence buffer of 100 bytes");
	tap(r.evidence_len == info.evidence_max, "ENOSPC reports needed evidence_len %u", r.evidence_len);
	init_req(&r, NULL, 0, NULL, 0, 0);
	ret = xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r);
	expect(ret, -ENOSPC, "size query with no buffer");
	tap(r.evidence_len == info.evidence_max, "size query reports %u", r.evidence_len);

	/* bad pointers */
	init_req(&r, (void *)16, info.evidence_max, NULL, 0, 0);
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EFAULT, "evidence pointer unmapped");
	init_req(&r, (void *)0xffff888000000000ULL, info.evidence_max, NULL, 0, 0);
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EFAULT, "evidence pointer into the kernel");
	ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	init_req(&r, ro, info.evidence_max, NULL, 0, 0);
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EFAULT, "evidence buffer read-only");
	munmap(ro, 8192);
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, (void *)24), -EFAULT, "request struct pointer unmapped");
	if (has_certs) {
		init_req(&r, ev, info.evidence_max, (void *)32, info.certs_max,
			 CVMATTEST_EVIDENCE_F_CERTS);
		expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -EFAULT, "certs pointer unmapped");
		/* learn the size, then ask with one byte less */
		init_req(&r, ev, info.evidence_max, certs, info.certs_max, CVMATTEST_EVIDENCE_F_CERTS);
		ret = xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r);
		expect(ret, 0, "certs request to learn the table size");
		if (!ret) {
			unsigned int need = r.certs_len;

			init_req(&r, ev, info.evidence_max, certs, need - 1, CVMATTEST_EVIDENCE_F_CERTS);
			expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -ENOSPC, "certs buffer one byte short");
			tap(r.certs_len == need, "ENOSPC reports needed certs_len %u (want %u)", r.certs_len, need);
		}
	}
	free(ev);
	free(certs);
	close(fd);
	return tap_fail != 0;
}

static int one_request(int fd, uint8_t *rd, uint8_t *ev, size_t evlen, unsigned int *fmt,
		       size_t *len)
{
	struct cvmattest_evidence_req r;
	int ret;

	init_req(&r, ev, evlen, NULL, 0, 0);
	memcpy(r.report_data, rd, 64);
	ret = xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r);
	*fmt = r.format;
	*len = r.evidence_len;
	return ret;
}

static int cmd_concurrent(int nproc, int nreq)
{
	struct cvmattest_info info;
	int i, status, bad = 0;
	int fd = open_dev();

	get_info(fd, &info);
	close(fd);
	for (i = 0; i < nproc; i++) {
		if (fork() == 0) {
			uint8_t rd[64], *ev = malloc(info.evidence_max);
			int j, errs = 0;
			unsigned int fmt;
			size_t len;

			fd = open_dev();
			for (j = 0; j < nreq; j++) {
				getrandom(rd, sizeof(rd), 0);
				rd[0] = i;
				rd[1] = j;
				if (one_request(fd, rd, ev, info.evidence_max, &fmt, &len) ||
				    !carries(ev, len, fmt, rd))
					errs++;
			}
			_exit(errs ? 1 : 0);
		}
	}
	for (i = 0; i < nproc; i++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	tap(!bad, "%d processes x %d requests: every answer carries its own REPORT_DATA (%d failed)",
	    nproc, nreq, bad);
	return bad != 0;
}

static int cmd_busy(int want, bool certs)
{
	struct cvmattest_evidence_req r;
	struct cvmattest_info info;
	uint8_t *ev, *cb;
	int fd = open_dev(), ret;

	get_info(fd, &info);
	ev = calloc(1, info.evidence_max);
	cb = calloc(1, info.certs_max + 1);
	init_req(&r, ev, info.evidence_max, cb, info.certs_max,
		 certs ? CVMATTEST_EVIDENCE_F_CERTS : 0);
	ret = xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r);
	expect(ret, want ? -want : 0, certs ? "certificate request on a faulty host" :
					      "request on a busy platform");
	if (ret)
		printf("# fw_error=%#llx vmm_error=%#llx\n",
		       (unsigned long long)r.fw_error, (unsigned long long)r.vmm_error);
	return ret != (want ? -want : 0);
}

static int cmd_enodev(void)
{
	struct cvmattest_evidence_req r;
	struct cvmattest_info info;
	uint8_t ev[2048];
	int fd = open_dev();

	get_info(fd, &info);
	tap(info.provider == CVMATTEST_PROVIDER_NONE && !strcmp(info.provider_name, "none"),
	    "INFO says provider none (%s)", info.provider_name);
	init_req(&r, ev, sizeof(ev), NULL, 0, 0);
	expect(xioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r), -ENODEV, "GET_EVIDENCE without a platform");
	close(fd);
	return tap_fail != 0;
}

static int cmd_group(uid_t uid, gid_t gid, bool want_ok)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct cvmattest_info info = { .size = sizeof(info) };
		int fd;

		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(3);
		fd = open(DEV, O_RDWR);
		if (fd < 0)
			_exit(errno == EACCES ? 2 : 4);
		_exit(ioctl(fd, CVMATTEST_IOC_INFO, &info) ? 5 : 0);
	}
	waitpid(pid, &status, 0);
	if (want_ok)
		tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "uid %u gid %u can open and use " DEV " (exit %d)", uid, gid, WEXITSTATUS(status));
	else
		tap(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		    "uid %u gid %u gets EACCES on " DEV " (exit %d)", uid, gid, WEXITSTATUS(status));
	return tap_fail != 0;
}

static void init_status(struct cvmattest_status *st, unsigned int state,
			const char *url, long long expiry, const char *reason)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->state = state;
	st->token_expiry = expiry;
	snprintf(st->verifier, sizeof(st->verifier), "%s", url);
	snprintf(st->reason, sizeof(st->reason), "%s", reason);
}

static int cmd_setstatus(int argc, char **argv)
{
	struct cvmattest_status st;
	int fd, ret;

	init_status(&st, atoi(argv[0]), argv[1], atoll(argv[2]), argv[3]);
	if (argc == 6) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			if (setgroups(0, NULL) || setgid(atoi(argv[5])) || setuid(atoi(argv[4])))
				_exit(3);
			fd = open(DEV, O_RDWR);
			if (fd < 0)
				_exit(4);
			_exit(xioctl(fd, CVMATTEST_IOC_SET_STATUS, &st) == -EPERM ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "SET_STATUS as uid %s without CAP_SYS_ADMIN -> -EPERM (exit %d)",
		    argv[4], WEXITSTATUS(status));
		return tap_fail != 0;
	}
	fd = open_dev();
	ret = xioctl(fd, CVMATTEST_IOC_SET_STATUS, &st);
	expect(ret, 0, "SET_STATUS as root");
	close(fd);
	return ret != 0;
}

static int cmd_setstatus_bad(void)
{
	struct cvmattest_status st;
	uint8_t big[600];
	int fd = open_dev();

	init_status(&st, 3, "https://x", 0, "");
	expect(xioctl(fd, CVMATTEST_IOC_SET_STATUS, &st), -EINVAL, "SET_STATUS unknown state 3");
	init_status(&st, 1, "https://x", 0, "");
	memset(st.verifier, 'a', sizeof(st.verifier));
	expect(xioctl(fd, CVMATTEST_IOC_SET_STATUS, &st), -EINVAL, "SET_STATUS verifier not NUL-terminated");
	init_status(&st, 1, "https://x", -5, "");
	expect(xioctl(fd, CVMATTEST_IOC_SET_STATUS, &st), -EINVAL, "SET_STATUS negative expiry");
	init_status(&st, 1, "https://x", 0, "");
	st.reserved[0] = 1;
	expect(xioctl(fd, CVMATTEST_IOC_SET_STATUS, &st), -EINVAL, "SET_STATUS reserved non-zero");
	init_status(&st, 1, "https://x", 0, "");
	st.size = 100;
	expect(xioctl(fd, CVMATTEST_IOC_SET_STATUS, &st), -EINVAL, "SET_STATUS size below VER0");
	init_status(&st, 1, "https://x", 0, "");
	memset(big, 0, sizeof(big));
	st.size = sizeof(big);
	memcpy(big, &st, sizeof(st));
	big[590] = 1;
	expect(xioctl(fd, CVMATTEST_IOC_SET_STATUS, big), -E2BIG, "SET_STATUS larger, non-zero tail");
	expect(xioctl(fd, CVMATTEST_IOC_SET_STATUS, (void *)40), -EFAULT, "SET_STATUS bad pointer");
	close(fd);
	return tap_fail != 0;
}

/*
 * Where the module staged platform requests until it had a private address
 * space: an anonymous vm_mmap() of the caller, which the top-down allocator
 * puts where a mapping of the same size made just before would go.  The
 * offsets are those of kmod/provider_snp.c (SNP_B_*) and of the TDX
 * request (REPORTDATA, then TDREPORT).
 */
struct stage_layout {
	size_t len;
	size_t rd_off;		/* REPORT_DATA in the request */
	size_t ver_off;		/* msg_version; (size_t)-1: none */
	size_t meas_off;	/* MEASUREMENT / MRTD in the response */
	size_t ev_meas_off;	/* the same field in the evidence */
};

static const struct stage_layout snp_stage = {
	.len = 2 * 4096 + SNP_CERTS_MAX,
	.rd_off = 128,
	.ver_off = 0,
	.meas_off = 4096 + SNP_MSG_REPORT_RSP_REPORT + SNP_R_MEASUREMENT,
	.ev_meas_off = SNP_R_MEASUREMENT,
};

static const struct stage_layout tdx_stage = {
	.len = 4096,
	.rd_off = 0,
	.ver_off = (size_t)-1,
	.meas_off = 64 + TDX_R_MRTD,
	.ev_meas_off = TDX_R_MRTD,
};

struct attacker {
	pid_t pid;			/* whose memory */
	uintptr_t addr;
	const void *bytes;
	size_t len;
	volatile int go, stop;
	volatile long *hits;		/* writes that landed */
	volatile long *io_seen;		/* the module's cvmattest-io threads seen */
	volatile long *io_reached;	/* ... whose memory could be opened */
};

/*
 * The module's I/O thread runs in the private address space: find it and
 * try to reach that address space as a debugger would.
 */
static void try_io_thread(struct attacker *a)
{
	char path[300], comm[32];
	struct dirent *de;
	DIR *d = opendir("/proc");
	ssize_t n;
	int fd;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct iovec lv = { comm, 1 }, rv = { (void *)a->addr, 1 };

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (n <= 0 || strncmp(comm, "cvmattest-io", 12))
			continue;
		(*a->io_seen)++;
		/* a kernel thread shows no mappings and has no memory to open */
		snprintf(path, sizeof(path), "/proc/%s/maps", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, comm, sizeof(comm)) > 0)
				(*a->io_reached)++;
			close(fd);
		}
		if (process_vm_writev(atoi(de->d_name), &lv, 1, &rv, 1, 0) >= 0 ||
		    errno != ESRCH)
			(*a->io_reached)++;
	}
	closedir(d);
}

static void attack(struct attacker *a)
{
	struct iovec lv, rv;

	while (!a->go)
		;
	lv = (struct iovec){ (void *)a->bytes, a->len };
	rv = (struct iovec){ (void *)a->addr, a->len };
	for (unsigned long i = 0; !a->stop; i++) {
		if (process_vm_writev(a->pid, &lv, 1, &rv, 1, 0) > 0)
			(*a->hits)++;
		if (a->io_seen && !(i % 256))
			try_io_thread(a);
	}
}

static void *attack_thread(void *arg)
{
	attack(arg);
	return NULL;
}

/* /sys/kernel/cvmattest/NAME into @buf, NUL-terminated; no stdio buffers. */
static int read_sysfs(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/cvmattest/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int cmd_race(const char *mode, const char *target, int n)
{
	static const uint8_t version = 2;
	const struct stage_layout *l;
	struct cvmattest_info info;
	struct attacker a = { .pid = getpid() };
	uint8_t evil[64], rd[64], *ev;
	int i, fd, failed = 0, carried = 0, forged = 0, launch_changed = 0;
	char launch0[256], launch[256];
	bool thread = !strcmp(mode, "thread");
	pthread_t th;
	pid_t child = 0;
	unsigned int fmt;
	size_t len;
	void *probe;

	memset(evil, 0xee, sizeof(evil));
	fd = open_dev();
	get_info(fd, &info);
	l = info.platform == CVMATTEST_PLATFORM_SEV_SNP ? &snp_stage : &tdx_stage;
	if (!strcmp(target, "rd")) {
		a.addr = l->rd_off, a.bytes = evil, a.len = sizeof(evil);
	} else if (!strcmp(target, "resp")) {
		a.addr = l->meas_off, a.bytes = evil, a.len = 48;
	} else if (!strcmp(target, "version") && l->ver_off != (size_t)-1) {
		a.addr = l->ver_off, a.bytes = &version, a.len = 1;
	} else {
		fprintf(stderr, "race: no target %s here\n", target);
		return 2;
	}
	ev = malloc(info.evidence_max);
	if (read_sysfs("launch_measurement", launch0, sizeof(launch0)))
		return 1;
	a.hits = mmap(NULL, 3 * sizeof(long), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!ev || a.hits == MAP_FAILED)
		return 1;
	a.hits[0] = a.hits[1] = a.hits[2] = 0;
	printf("# race: %s rewriting %s\n", mode, target);
	fflush(stdout);
	/* Everything this process maps is mapped before the probe. */
	if (thread && pthread_create(&th, NULL, attack_thread, &a))
		return 1;
	probe = mmap(NULL, l->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (probe == MAP_FAILED)
		return 1;
	munmap(probe, l->len);
	a.addr += (uintptr_t)probe;
	a.go = 1;
	if (!thread) {
		child = fork();
		if (child == 0) {
			a.io_seen = a.hits + 1;
			a.io_reached = a.hits + 2;
			attack(&a);
			_exit(0);
		}
	}
	for (i = 0; i < n; i++) {
		getrandom(rd, sizeof(rd), 0);
		if (one_request(fd, rd, ev, info.evidence_max, &fmt, &len)) {
			failed++;
			continue;
		}
		carried += carries(ev, len, fmt, rd);
		forged += len >= l->ev_meas_off + 48 && !memcmp(ev + l->ev_meas_off, evil, 48);
		launch_changed += read_sysfs("launch_measurement", launch, sizeof(launch)) ||
				  strcmp(launch, launch0);
	}
	if (thread) {
		a.stop = 1;
		pthread_join(th, NULL);
	} else {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	printf("# %ld of the attacker's writes landed at %#lx\n", a.hits[0], (unsigned long)a.addr);
	if (!thread)
		tap(!a.hits[2], "race %s/%s: the module's I/O thread's memory out of reach (seen %ld times, reached %ld)",
		    mode, target, a.hits[1], a.hits[2]);
	tap(!failed, "race %s/%s: %d requests succeeded (%d failed)", mode, target, n - failed, failed);
	tap(carried == n, "race %s/%s: every answer carries its own REPORT_DATA (%d of %d)",
	    mode, target, carried, n);
	tap(!forged, "race %s/%s: no answer carries a rewritten response (%d forged)",
	    mode, target, forged);
	tap(!launch_changed, "race %s/%s: launch_measurement never changed (%d times)",
	    mode, target, launch_changed);
	close(fd);
	return tap_fail != 0;
}

/* One generic netlink request; the reply's type, or -errno. */
static int genl_call(int fd, uint16_t type, uint8_t cmd, const char *name, int *family)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[64];
	} req;
	static char buf[65536];
	struct nlmsghdr *h = (void *)buf;
	struct nlattr *a;
	ssize_t len;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = cmd;
	req.g.version = 1;
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	if (name) {
		a = (void *)req.attrs;
		a->nla_type = CTRL_ATTR_FAMILY_NAME;
		a->nla_len = NLA_HDRLEN + strlen(name) + 1;
		memcpy((char *)a + NLA_HDRLEN, name, strlen(name) + 1);
		req.n.nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < (ssize_t)NLMSG_HDRLEN || !NLMSG_OK(h, (size_t)len))
		return -EPROTO;
	if (h->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(h))->error ?: -EPROTO;
	if (family) {
		char *p = (char *)NLMSG_DATA(h) + GENL_HDRLEN, *end = (char *)h + h->nlmsg_len;

		for (; p + NLA_HDRLEN <= end; p += NLA_ALIGN(((struct nlattr *)p)->nla_len)) {
			a = (void *)p;
			if (a->nla_len < NLA_HDRLEN)
				break;
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				*family = *(uint16_t *)(p + NLA_HDRLEN);
		}
	}
	return h->nlmsg_type;
}

static int unpriv_reads(int n)
{
	int i, fd, family = -1, errs = 0, files = 0;
	char path[512], buf[4096];
	struct dirent *de;
	DIR *d;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || genl_call(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CVMATTEST_GENL_NAME,
				&family) < 0 || family < 0)
		return 10;
	for (i = 0; i < n; i++) {
		d = opendir("/sys/kernel/cvmattest");
		if (!d)
			return 11;
		while ((de = readdir(d))) {
			int f;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/cvmattest/%s", de->d_name);
			f = open(path, O_RDONLY);
			if (f < 0 || read(f, buf, sizeof(buf)) <= 0)
				errs++;
			if (f >= 0)
				close(f);
			files++;
		}
		closedir(d);
		if (genl_call(fd, family, CVMATTEST_CMD_GET_STATUS, NULL, NULL) != family)
			errs++;
	}
	printf("# %d sysfs reads, %d GET_STATUS, %d errors\n", files, n, errs);
	fflush(stdout);
	return errs ? 12 : 0;
}

static int cmd_unpriv_reads(uid_t uid, int n)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid) || !setuid(0))
			_exit(3);
		_exit(unpriv_reads(n));
	}
	waitpid(pid, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "uid %u read every sysfs file and GET_STATUS %d times (exit %d)", uid, n,
	    WEXITSTATUS(status));
	return tap_fail != 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "evidence"))
		return cmd_evidence(argc - 2, argv + 2);
	if (!strcmp(argv[1], "badinput"))
		return cmd_badinput();
	if (!strcmp(argv[1], "concurrent") && argc == 4)
		return cmd_concurrent(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(argv[1], "busy") && argc == 3)
		return cmd_busy(atoi(argv[2]), false);
	if (!strcmp(argv[1], "certs-busy") && argc == 3)
		return cmd_busy(atoi(argv[2]), true);
	if (!strcmp(argv[1], "enodev"))
		return cmd_enodev();
	if (!strcmp(argv[1], "setstatus") && (argc == 6 || argc == 8))
		return cmd_setstatus(argc - 2, argv + 2);
	if (!strcmp(argv[1], "setstatus-bad"))
		return cmd_setstatus_bad();
	if (!strcmp(argv[1], "group") && argc == 5)
		return cmd_group(atoi(argv[2]), atoi(argv[3]), !strcmp(argv[4], "OK"));
	if (!strcmp(argv[1], "race") && argc == 5)
		return cmd_race(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(argv[1], "unpriv-reads") && argc == 4)
		return cmd_unpriv_reads(atoi(argv[2]), atoi(argv[3]));
usage:
	fprintf(stderr, "usage: %s info|evidence|badinput|concurrent N M|busy ERRNO|enodev|group UID GID OK|DENIED|setstatus ...|setstatus-bad|race MODE TARGET N|unpriv-reads UID N\n",
		argv[0]);
	return 2;
}
