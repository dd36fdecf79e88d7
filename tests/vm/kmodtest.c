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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/cvmattest.h>
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
usage:
	fprintf(stderr, "usage: %s info|evidence|badinput|concurrent N M|busy ERRNO|enodev|group UID GID OK|DENIED|setstatus ...|setstatus-bad\n",
		argv[0]);
	return 2;
}
