// SPDX-License-Identifier: GPL-2.0-only
/*
 * cvmstress: an in-VM stress fuzzer for cvmattest.ko (tests/stress/guest-stress.sh).
 *
 *   cvmstress SECONDS NPROC NTHREAD [KO [PARAMS]]
 *
 * NPROC processes of NTHREAD threads each, for SECONDS, issue random operations on
 * /dev/cvmattest: ioctls with random numbers, sizes, flags and reserved fields; valid,
 * NULL, unmapped, kernel, guard-page-straddling pointers and pointers into a page a
 * sibling thread keeps unmapping and mapping again; valid GET_EVIDENCE requests whose
 * evidence must carry their REPORT_DATA; SET_STATUS; netlink GET_STATUS floods; reads
 * of every /sys/kernel/cvmattest file; opens and closes. With KO, one more process
 * unloads the module (delete_module, O_NONBLOCK) and loads it again (finit_module with
 * PARAMS) in a loop, under that load. At the end: one line per counter, an errno
 * histogram, and TAP lines: no unexpected errno, every valid request that succeeded
 * carried its REPORT_DATA, the module is loaded and answers INFO. Exit 0 when all hold.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cvmattest.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <cvmattest/evidence.h>

#define DEV "/dev/cvmattest"
#define SYS "/sys/kernel/cvmattest"
#define MAXERR 160

/* Counters shared by all processes (MAP_SHARED|MAP_ANONYMOUS). */
struct counters {
	atomic_ulong ops, ioctls, evidence_ok, evidence_bad_rd, evidence_fail, setstatus;
	atomic_ulong genl, sysfs, opens, open_fail, unloads, loads, load_fail, flaps;
	atomic_ulong err[MAXERR];
	atomic_ulong unexpected;
	char first_unexpected[160];
	atomic_int first_set;
	atomic_int drain;	/* the reloader asks workers to let go of /dev/cvmattest */
};

static struct counters *C;
static double deadline;
static char *flap_page;		/* a sibling thread unmaps and maps it again */
static char *guard;		/* a page followed by a PROT_NONE page */
static long pagesz;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void count_err(int e, const char *what, bool ok)
{
	if (e >= 0 && e < MAXERR)
		C->err[e]++;
	if (!ok) {
		C->unexpected++;
		if (!atomic_exchange(&C->first_set, 1))
			snprintf(C->first_unexpected, sizeof(C->first_unexpected), "%s: %s (%d)",
				 what, strerror(e), e);
	}
}

/* What the module may answer to a request it cannot or will not do. */
static bool allowed(int e)
{
	switch (e) {
	case EINVAL: case EFAULT: case E2BIG: case ENOTTY: case ENOSPC: case EPERM:
	case EIO: case EBUSY: case ETIMEDOUT: case ENODEV: case EINTR: case EAGAIN:
	case EOPNOTSUPP: case ENXIO: case EACCES: case ERANGE: case EPROTO:
		return true;
	}
	return false;
}

/* A pointer of one of the interesting kinds, to LEN bytes of random content. */
static void *pick_ptr(uint64_t *s, void *good, size_t goodlen, size_t len)
{
	switch (rnd(s) % 8) {
	case 0: return NULL;
	case 1: return (void *)(uintptr_t)0xffff888000000000ULL;	/* kernel */
	case 2: return (void *)(uintptr_t)(rnd(s) & 0x00007ffffffff000ULL); /* random */
	case 3: return guard + pagesz - (len < (size_t)pagesz ? len / 2 : 1); /* straddles */
	case 4: return flap_page + rnd(s) % pagesz;	/* may be unmapped right now */
	default:
		if (len > goodlen)
			len = goodlen;
		for (size_t i = 0; i < len; i += 8)
			((uint8_t *)good)[i] = rnd(s);
		return good;
	}
}

static size_t pick_size(uint64_t *s)
{
	static const size_t sizes[] = { 0, 1, 3, 4, 63, 64, 65, 127, 128, 129, 415, 416, 417,
					 512, 4095, 4096, 4097, 65536, 1 << 20 };

	if (rnd(s) % 4 == 0)
		return rnd(s) % 8192;
	return sizes[rnd(s) % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void op_random_ioctl(int fd, uint64_t *s, uint8_t *buf, size_t buflen)
{
	static const unsigned long cmds[] = { CVMATTEST_IOC_INFO, CVMATTEST_IOC_GET_EVIDENCE,
					      CVMATTEST_IOC_SET_STATUS };
	unsigned long cmd;
	uint32_t size = pick_size(s);
	void *p;

	switch (rnd(s) % 4) {
	case 0:	/* our magic, any number, direction and size */
		cmd = _IOC(rnd(s) % 4, CVMATTEST_IOC_MAGIC, rnd(s) % 256, rnd(s) % 1024);
		break;
	case 1:
		cmd = (unsigned long)rnd(s);
		break;
	default:
		cmd = cmds[rnd(s) % 3];
	}
	p = pick_ptr(s, buf, buflen, size);
	if (p == buf && size >= 4 && size <= buflen) {
		memcpy(buf, &size, 4);		/* a size field that says SIZE */
		if (rnd(s) % 2)
			memset(buf + 4, 0, size - 4);	/* zeroed: reaches further checks */
	}
	C->ioctls++;
	if (ioctl(fd, cmd, p) < 0)
		count_err(errno, "random ioctl", allowed(errno));
}

static void op_evidence(int fd, uint64_t *s, uint8_t *ev, size_t evlen, uint8_t *certs,
			size_t certslen, bool valid)
{
	struct cvmattest_evidence_req r;
	uint8_t rd[64];
	size_t off;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	for (int i = 0; i < 64; i++)
		rd[i] = rnd(s);
	memcpy(r.report_data, rd, 64);
	r.evidence = (uintptr_t)ev;
	r.evidence_len = evlen;
	if (!valid) {
		if (rnd(s) % 2)
			r.flags = rnd(s) % 16;
		if (rnd(s) % 4 == 0)
			r.size = pick_size(s);
		if (rnd(s) % 8 == 0)
			r.reserved = rnd(s);
		if (rnd(s) % 4 == 0)
			r.privlevel = rnd(s) % 5;
		if (rnd(s) % 2)
			r.evidence = (uintptr_t)pick_ptr(s, ev, evlen, 4096);
		if (rnd(s) % 3 == 0)
			r.evidence_len = pick_size(s);
		if (r.flags & CVMATTEST_EVIDENCE_F_CERTS) {
			r.certs = (uintptr_t)pick_ptr(s, certs, certslen, certslen);
			r.certs_len = rnd(s) % 2 ? certslen : pick_size(s);
		}
	}
	if (ioctl(fd, CVMATTEST_IOC_GET_EVIDENCE, &r) < 0) {
		count_err(errno, "GET_EVIDENCE", allowed(errno));
		if (valid)
			C->evidence_fail++;
		return;
	}
	if (!valid)
		return;
	switch (r.format) {
	case CVMATTEST_FORMAT_SNP_REPORT: off = SNP_R_REPORT_DATA; break;
	case CVMATTEST_FORMAT_TDX_TDREPORT: off = TDX_R_REPORT_DATA; break;
	default: C->evidence_ok++; return;	/* no REPORT_DATA at a fixed place */
	}
	if (r.evidence_len >= off + 64 && !memcmp(ev + off, rd, 64))
		C->evidence_ok++;
	else
		C->evidence_bad_rd++;
}

static void op_setstatus(int fd, uint64_t *s)
{
	struct cvmattest_status st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.state = rnd(s) % 4;
	st.time = rnd(s) % 3 ? 0 : (int64_t)rnd(s);
	st.token_expiry = rnd(s) % 2 ? 0 : (int64_t)(rnd(s) % 4000000000ULL);
	snprintf(st.verifier, sizeof(st.verifier), "https://stress.invalid/%llu",
		 (unsigned long long)(rnd(s) % 1000));
	if (rnd(s) % 4 == 0)
		memset(st.verifier, 'v', sizeof(st.verifier));	/* not NUL-terminated */
	snprintf(st.reason, sizeof(st.reason), "stress %llu", (unsigned long long)rnd(s));
	if (rnd(s) % 8 == 0)
		st.reserved[rnd(s) % 8] = 1;
	C->setstatus++;
	if (ioctl(fd, CVMATTEST_IOC_SET_STATUS, &st) < 0)
		count_err(errno, "SET_STATUS", allowed(errno));
}

static int genl_family(int fd)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[64];
	} req;
	char buf[8192];
	struct nlmsghdr *h = (void *)buf;
	struct nlattr *a = (void *)req.attrs;
	ssize_t len;

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(CVMATTEST_GENL_NAME);
	memcpy(req.attrs + NLA_HDRLEN, CVMATTEST_GENL_NAME, sizeof(CVMATTEST_GENL_NAME));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -1;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < (ssize_t)NLMSG_HDRLEN || h->nlmsg_type == NLMSG_ERROR)
		return -1;
	for (char *p = (char *)NLMSG_DATA(h) + GENL_HDRLEN; p + NLA_HDRLEN <= buf + len;
	     p += NLA_ALIGN(((struct nlattr *)p)->nla_len)) {
		a = (void *)p;
		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)(p + NLA_HDRLEN);
	}
	return -1;
}

static void op_genl(uint64_t *s)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char junk[64];
	} req;
	static __thread char buf[65536];
	struct timeval tmo = { .tv_sec = 0, .tv_usec = 200000 };
	int fd, fam, n = 1 + rnd(s) % 8;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo))) {
		close(fd);
		return;
	}
	fam = genl_family(fd);	/* absent while the module is unloaded */
	for (int i = 0; fam > 0 && i < n; i++) {
		memset(&req, 0, sizeof(req));
		req.n.nlmsg_type = fam;
		req.n.nlmsg_flags = NLM_F_REQUEST | (rnd(s) % 4 == 0 ? NLM_F_DUMP : 0);
		req.g.cmd = rnd(s) % 4 ? CVMATTEST_CMD_GET_STATUS : rnd(s) % 8;
		req.g.version = 1;
		req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
		if (rnd(s) % 4 == 0) {	/* junk attributes */
			for (size_t j = 0; j < sizeof(req.junk); j++)
				req.junk[j] = rnd(s);
			req.n.nlmsg_len += rnd(s) % sizeof(req.junk);
		}
		C->genl++;
		if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
			break;
		/*
		 * The reply: one message, an error, or the parts of a dump up to
		 * NLMSG_DONE. Each recv is bounded (SO_RCVTIMEO): a request the
		 * kernel answers with nothing (no NLM_F_ACK) must not hang here.
		 */
		for (int part = 0, more = 1; more && part < 64; part++) {
			int len = recv(fd, buf, sizeof(buf), 0);

			more = 0;
			for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, len);
			     h = NLMSG_NEXT(h, len))
				more = (h->nlmsg_flags & NLM_F_MULTI) &&
				       h->nlmsg_type != NLMSG_DONE &&
				       h->nlmsg_type != NLMSG_ERROR;
		}
	}
	close(fd);
}

static void op_sysfs(uint64_t *s)
{
	char path[300], buf[8192];
	struct dirent *de;
	DIR *d = opendir(SYS);

	if (!d)
		return;
	while ((de = readdir(d))) {
		int f;

		if (de->d_name[0] == '.' || rnd(s) % 3)
			continue;
		snprintf(path, sizeof(path), SYS "/%s", de->d_name);
		f = open(path, O_RDONLY);
		if (f < 0)
			continue;
		C->sysfs++;
		(void)!read(f, buf, rnd(s) % 2 ? sizeof(buf) : 1 + rnd(s) % 16);
		close(f);
	}
	closedir(d);
}

static void *flapper(void *unused)
{
	(void)unused;
	while (now() < deadline) {
		munmap(flap_page, pagesz);
		usleep(50);
		if (mmap(flap_page, pagesz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		C->flaps++;
		usleep(50);
	}
	return NULL;
}

static void *worker(void *arg)
{
	uint64_t s = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + getpid();
	size_t evlen = 65536, certslen = 16384;
	uint8_t *ev = malloc(evlen), *certs = malloc(certslen), *buf = malloc(1 << 16);
	int fd = -1;

	if (!s)
		s = 1;
	while (now() < deadline) {
		uint64_t op = rnd(&s) % 100;

		C->ops++;
		if (C->drain) {
			/*
			 * An open fd holds a module reference and delete_module fails
			 * while one is held: let go of it for a moment and keep up the
			 * netlink and sysfs load, which holds none, so that the unload
			 * races against those.
			 */
			if (fd >= 0)
				close(fd);
			fd = -1;
			if (op % 2)
				op_genl(&s);
			else
				op_sysfs(&s);
			continue;
		}
		if (fd < 0 || rnd(&s) % 50 == 0) {
			if (fd >= 0)
				close(fd);
			fd = open(DEV, O_RDWR | O_CLOEXEC);
			C->opens++;
			if (fd < 0) {
				C->open_fail++;	/* unloaded right now */
				usleep(200);
				continue;
			}
		}
		if (op < 35)
			op_random_ioctl(fd, &s, buf, 1 << 16);
		else if (op < 60)
			op_evidence(fd, &s, ev, evlen, certs, certslen, false);
		else if (op < 75)
			op_evidence(fd, &s, ev, evlen, certs, certslen, true);
		else if (op < 80)
			op_setstatus(fd, &s);
		else if (op < 92)
			op_genl(&s);
		else
			op_sysfs(&s);
	}
	if (fd >= 0)
		close(fd);
	free(ev);
	free(certs);
	free(buf);
	return NULL;
}

static void reloader(const char *ko, const char *params)
{
	int kfd = open(ko, O_RDONLY | O_CLOEXEC);

	if (kfd < 0) {
		perror(ko);
		_exit(2);
	}
	/*
	 * How long the workers get to let go of their fds: 0.2 s, doubled after each
	 * window in which the module could not be unloaded (up to 8 s), back to 0.2 s
	 * after an unload. A worker looks at drain between operations only, and on a
	 * slow kernel (KASAN under TCG: about 1 s per evidence request) 0.2 s never
	 * saw all of them closed.
	 */
	double window = 0.2;

	while (now() < deadline) {
		double until = now() + window;
		bool unloaded = false;

		/* Ask for the fds back, then unload as soon as they are all closed. */
		C->drain = 1;
		while (now() < until && now() < deadline) {
			if (syscall(SYS_delete_module, "cvmattest", O_NONBLOCK) == 0) {
				C->unloads++;
				unloaded = true;
				usleep(2000);
				if (syscall(SYS_finit_module, kfd, params, 0) == 0)
					C->loads++;
				else
					C->load_fail++;
				break;
			}
			usleep(1000);
		}
		C->drain = 0;
		window = unloaded ? 0.2 : (window < 4.0 ? window * 2 : 8.0);
		/* Then full load against the fresh module for a while. */
		usleep(300000);
	}
	C->drain = 0;
	/* Leave it loaded. */
	if (access(SYS, F_OK) && syscall(SYS_finit_module, kfd, params, 0) == 0)
		C->loads++;
	close(kfd);
	_exit(0);
}

static void child(int nthread, int idx)
{
	pthread_t *t = calloc(nthread + 1, sizeof(*t));

	pthread_create(&t[nthread], NULL, flapper, NULL);
	for (int i = 0; i < nthread; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(idx * 1000 + i + 1));
	for (int i = 0; i <= nthread; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static bool info_ok(char *name, size_t namelen)
{
	struct cvmattest_info info;
	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	ok = ioctl(fd, CVMATTEST_IOC_INFO, &info) == 0 &&
	     info.abi_version == CVMATTEST_ABI_VERSION;
	snprintf(name, namelen, "%.*s", CVMATTEST_NAME_LEN, info.provider_name);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	int secs, nproc, nthread, status, bad_children = 0;
	const char *ko = NULL, *params = "";
	pid_t *pids, rpid = -1;
	char name[CVMATTEST_NAME_LEN + 1];
	double start;

	if (argc < 4) {
		fprintf(stderr, "usage: cvmstress SECONDS NPROC NTHREAD [KO [PARAMS]]\n");
		return 2;
	}
	secs = atoi(argv[1]);
	nproc = atoi(argv[2]);
	nthread = atoi(argv[3]);
	if (argc > 4)
		ko = argv[4];
	if (argc > 5)
		params = argv[5];
	pagesz = sysconf(_SC_PAGESIZE);
	C = mmap(NULL, sizeof(*C), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	guard = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	flap_page = mmap(NULL, pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (C == MAP_FAILED || guard == MAP_FAILED || flap_page == MAP_FAILED ||
	    mprotect(guard + pagesz, pagesz, PROT_NONE)) {
		perror("mmap");
		return 2;
	}
	start = now();
	deadline = start + secs;
	pids = calloc(nproc, sizeof(*pids));
	for (int i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			child(nthread, i);
	}
	if (ko) {
		rpid = fork();
		if (rpid == 0)
			reloader(ko, params);
	}
	for (int i = 0; i < nproc; i++) {
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad_children++;
	}
	if (rpid > 0) {
		waitpid(rpid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad_children++;
	}

	printf("# %.1f s, %d processes x %d threads\n", now() - start, nproc, nthread);
	printf("# ops %lu: ioctl %lu, valid GET_EVIDENCE ok %lu / failed %lu, SET_STATUS %lu, genl %lu, sysfs reads %lu\n",
	       C->ops, C->ioctls, C->evidence_ok, C->evidence_fail, C->setstatus, C->genl,
	       C->sysfs);
	printf("# opens %lu (failed %lu), unloads %lu, loads %lu (failed %lu), page flaps %lu\n",
	       C->opens, C->open_fail, C->unloads, C->loads, C->load_fail, C->flaps);
	printf("# errno:");
	for (int e = 0; e < MAXERR; e++)
		if (C->err[e])
			printf(" %s=%lu", strerrorname_np(e) ?: "?", C->err[e]);
	printf("\n");
	printf("%sok - stress: no child died (%d bad)\n", bad_children ? "not " : "", bad_children);
	printf("%sok - stress: no unexpected errno (%lu%s%s)\n", C->unexpected ? "not " : "",
	       C->unexpected, C->unexpected ? ", first: " : "", C->first_unexpected);
	printf("%sok - stress: every valid GET_EVIDENCE that succeeded carried its REPORT_DATA (%lu ok, %lu wrong)\n",
	       C->evidence_bad_rd ? "not " : "", C->evidence_ok, C->evidence_bad_rd);
	printf("%sok - stress: %lu operations in %d s\n", C->ops > 100 ? "" : "not ", C->ops, secs);
	if (ko)
		printf("%sok - stress: the module was unloaded and loaded again under load (%lu times)\n",
		       C->unloads && C->unloads == C->loads ? "" : "not ", C->unloads);
	printf("%sok - stress: the module is loaded and answers INFO afterwards (provider %s)\n",
	       info_ok(name, sizeof(name)) ? "" : "not ", name);
	fflush(stdout);
	return bad_children || C->unexpected || C->evidence_bad_rd ||
	       (ko && (!C->unloads || C->unloads != C->loads)) || !info_ok(name, sizeof(name));
}
