// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * cvmattest-simd: /dev/sev-guest or /dev/tdx_guest in user space, through
 * CUSE, behaving as Debian 6.1's sev-guest driver (and the 6.2 tdx-guest
 * driver) do for user space; the driver model is simdev.c.
 *
 * The structs passed to these ioctls hold pointers to further buffers, so
 * the device is registered with CUSE_UNRESTRICTED_IOCTL and reads and
 * writes the caller's memory with the FUSE_IOCTL_RETRY protocol: each
 * round the daemon names the ranges it needs (in_iov) or will write
 * (out_iov), the kernel copies them and calls again.  Reads come first;
 * the request is executed once all its inputs are there; its writes are
 * then handed out in one more round, exactly the ranges the real driver
 * would copy_to_user(), in the same order.  The iovecs of the previous
 * round are remembered per calling thread (the FUSE request's pid is the
 * caller's thread id) so every byte of in_buf is known to come from the
 * address it is used for.  A bad pointer makes the kernel fail the
 * ioctl with -EFAULT, as copy_from_user()/copy_to_user() would.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>

#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include "sim_config.h"
#include "simdev.h"

#define DEFAULT_CONTROL_DIR	"/run/cvmattest-sim"
#define MAX_IOV			8	/* ranges per direction; the kernel allows 256 in all */
#define MAX_PENDING		64
#define PENDING_TTL_SEC		60

struct region {
	uint64_t addr;
	size_t len;
};

/* Per calling thread: the iovecs of the retry it was sent last. */
struct pending {
	bool used;
	pid_t tid;
	unsigned int cmd;
	uint64_t arg;
	bool output;			/* false: waiting for in data; true: for out */
	struct region in[MAX_IOV];
	int n_in;
	struct region out[MAX_IOV];
	uint8_t *out_data[MAX_IOV];
	int n_out;
	long result;
	time_t when;
};

static struct {
	struct simdev dev;
	struct fuse_session *se;
	const char *control_dir;
	char fifo_path[4096], state_path[4096], pid_path[4096];
	int fifo_fd, stop_fd;
	pthread_mutex_t ctl_lock;	/* FIFO line buffer and state file */
	char line[512];
	size_t line_len;
	pthread_mutex_t log_lock;
	FILE *log;
	volatile int stopping;
	bool trace;			/* log every FUSE ioctl round */
	pthread_mutex_t pend_lock;
	struct pending pend[MAX_PENDING];
} g = {
	.fifo_fd = -1, .stop_fd = -1,
	.ctl_lock = PTHREAD_MUTEX_INITIALIZER,
	.log_lock = PTHREAD_MUTEX_INITIALIZER,
	.pend_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- logging -------------------------------------------------------------------------- */

static void log_line(const char *line)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	pthread_mutex_lock(&g.log_lock);
	fprintf(g.log ? g.log : stderr, "%s.%03ld cvmattest-simd: %s\n", stamp,
		ts.tv_nsec / 1000000, line);
	fflush(g.log ? g.log : stderr);
	pthread_mutex_unlock(&g.log_lock);
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(line);
}

/* ---- control directory ------------------------------------------------------------------- */

static void write_state(void)
{
	char tmp[4200], *state;
	int fd;

	if (!g.control_dir)
		return;
	state = simdev_state(&g.dev);
	if (!state)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", g.state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		size_t len = strlen(state), off = 0;
		bool ok = true;

		while (off < len) {
			ssize_t w = write(fd, state + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				ok = false;
				break;
			}
			off += (size_t)w;
		}
		if (g.stopping && ok && dprintf(fd, "running=no\n") < 0)
			ok = false;
		else if (!g.stopping && ok && dprintf(fd, "running=yes\npid=%d\n", getpid()) < 0)
			ok = false;
		if (close(fd) || !ok || rename(tmp, g.state_path))
			logf_("cannot write %s: %s", g.state_path, strerror(errno));
	}
	free(state);
}

/* Apply every complete line waiting in the FIFO.  Called with ctl_lock held. */
static bool drain_control_locked(void)
{
	bool any = false;

	if (g.fifo_fd < 0)
		return false;
	for (;;) {
		char buf[256];
		ssize_t r = read(g.fifo_fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (g.line_len < sizeof(g.line) - 1)
					g.line[g.line_len++] = buf[i];
				continue;
			}
			g.line[g.line_len] = '\0';
			g.line_len = 0;
			if (simdev_control(&g.dev, g.line))
				logf_("control: bad command '%s'", g.line);
			any = true;
		}
	}
	return any;
}

static void drain_control(void)
{
	pthread_mutex_lock(&g.ctl_lock);
	if (drain_control_locked())
		write_state();
	pthread_mutex_unlock(&g.ctl_lock);
}

static void *control_thread(void *unused)
{
	(void)unused;
	while (!g.stopping) {
		struct pollfd pfd[2] = {
			{ .fd = g.fifo_fd, .events = POLLIN },
			{ .fd = g.stop_fd, .events = POLLIN },
		};

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents)
			drain_control();
	}
	return NULL;
}

static int mkdir_p(const char *path)
{
	char buf[4096];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int setup_control(void)
{
	FILE *f;
	int ret, pid = 0;

	ret = mkdir_p(g.control_dir);
	if (ret) {
		fprintf(stderr, "cvmattest-simd: %s: %s\n", g.control_dir, strerror(-ret));
		return ret;
	}
	snprintf(g.fifo_path, sizeof(g.fifo_path), "%s/control", g.control_dir);
	snprintf(g.state_path, sizeof(g.state_path), "%s/state", g.control_dir);
	snprintf(g.pid_path, sizeof(g.pid_path), "%s/pid", g.control_dir);

	f = fopen(g.pid_path, "re");
	if (f) {
		if (fscanf(f, "%d", &pid) == 1 && pid > 0 && pid != getpid() &&
		    kill(pid, 0) == 0) {
			fprintf(stderr, "cvmattest-simd: %s is in use by pid %d; use --control\n",
				g.control_dir, pid);
			fclose(f);
			return -EBUSY;
		}
		fclose(f);
	}
	unlink(g.fifo_path);
	if (mkfifo(g.fifo_path, 0600)) {
		fprintf(stderr, "cvmattest-simd: mkfifo %s: %s\n", g.fifo_path, strerror(errno));
		return -errno;
	}
	/* O_RDWR: the FIFO never reports EOF when writers come and go */
	g.fifo_fd = open(g.fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	g.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (g.fifo_fd < 0 || g.stop_fd < 0) {
		fprintf(stderr, "cvmattest-simd: %s: %s\n", g.fifo_path, strerror(errno));
		return -errno;
	}
	return 0;
}

static void write_pid(void)
{
	FILE *f;

	if (!g.control_dir)
		return;
	f = fopen(g.pid_path, "we");
	if (f) {
		fprintf(f, "%d\n", getpid());
		fclose(f);
	}
}

/* ---- the retry protocol ------------------------------------------------------------------ */

struct cuse_mem {
	struct simdev_mem ops;
	const uint8_t *in_buf;
	struct region in[MAX_IOV];
	size_t in_off[MAX_IOV];
	int n_in;
	struct region need;
	bool have_need;
	struct region out[MAX_IOV];
	uint8_t *out_data[MAX_IOV];
	int n_out;
	bool overflow;
};

static int cm_read(struct simdev_mem *m, uint64_t addr, void *dst, size_t len)
{
	struct cuse_mem *c = (struct cuse_mem *)m;

	for (int i = 0; i < c->n_in; i++) {
		if (addr >= c->in[i].addr && len <= c->in[i].len &&
		    addr - c->in[i].addr <= c->in[i].len - len) {
			memcpy(dst, c->in_buf + c->in_off[i] + (addr - c->in[i].addr), len);
			return 0;
		}
	}
	c->need.addr = addr;
	c->need.len = len;
	c->have_need = true;
	return SIMDEV_RETRY;
}

static int cm_write(struct simdev_mem *m, uint64_t addr, const void *src, size_t len)
{
	struct cuse_mem *c = (struct cuse_mem *)m;
	uint8_t *copy;

	if (c->n_out >= MAX_IOV || !(copy = malloc(len))) {
		c->overflow = true;
		return -ENOMEM;
	}
	memcpy(copy, src, len);
	c->out[c->n_out].addr = addr;
	c->out[c->n_out].len = len;
	c->out_data[c->n_out] = copy;
	c->n_out++;
	return 0;
}

static void pending_clear(struct pending *p)
{
	for (int i = 0; i < p->n_out; i++)
		free(p->out_data[i]);
	memset(p, 0, sizeof(*p));
}

/* Find the slot of @tid (or a free or stale one when @create).  pend_lock held. */
static struct pending *pending_get(pid_t tid, bool create)
{
	struct pending *free_slot = NULL;
	time_t now = time(NULL);

	for (int i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &g.pend[i];

		if (p->used && now - p->when > PENDING_TTL_SEC)
			pending_clear(p);	/* the caller went away mid-ioctl */
		if (p->used && p->tid == tid)
			return p;
		if (!p->used && !free_slot)
			free_slot = p;
	}
	if (!create || !free_slot)
		return NULL;
	free_slot->used = true;
	free_slot->tid = tid;
	return free_slot;
}

static size_t regions_len(const struct region *r, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += r[i].len;
	return len;
}

static void to_iov(const struct region *r, int n, struct iovec *iov)
{
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = (void *)(uintptr_t)r[i].addr;
		iov[i].iov_len = r[i].len;
	}
}

static void sim_ioctl(fuse_req_t req, int cmd_int, void *arg, struct fuse_file_info *fi,
		      unsigned int flags, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	unsigned int cmd = (unsigned int)cmd_int;
	uint64_t uarg = (uint64_t)(uintptr_t)arg;
	pid_t tid = fuse_req_ctx(req)->pid;
	struct cuse_mem c = { .ops = { cm_read, cm_write }, .in_buf = in_buf };
	struct iovec iov[2 * MAX_IOV];
	struct pending *p;
	long ret;

	(void)fi;
	if (g.trace)
		logf_("round: tid %d cmd 0x%08x arg 0x%" PRIx64 " flags 0x%x in %zu out %zu",
		      (int)tid, cmd, uarg, flags, in_bufsz, out_bufsz);
	/* sev-guest and tdx-guest have no compat_ioctl: 32-bit callers get -ENOTTY */
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, ENOTTY);
		return;
	}

	pthread_mutex_lock(&g.pend_lock);
	p = pending_get(tid, false);
	if (p && (p->cmd != cmd || p->arg != uarg)) {
		pending_clear(p);
		p = NULL;
	}
	/* the last round: hand out the writes of an executed request */
	if (p && p->output && in_bufsz == regions_len(p->in, p->n_in) &&
	    out_bufsz == regions_len(p->out, p->n_out)) {
		struct iovec data[MAX_IOV];

		for (int i = 0; i < p->n_out; i++) {
			data[i].iov_base = p->out_data[i];
			data[i].iov_len = p->out[i].len;
		}
		if (g.trace)
			logf_("round: tid %d: hand out %d writes, result %ld", (int)tid, p->n_out, p->result);
		fuse_reply_ioctl_iov(req, (int)p->result, data, p->n_out);
		pending_clear(p);
		pthread_mutex_unlock(&g.pend_lock);
		return;
	}
	if (p && !p->output && in_bufsz == regions_len(p->in, p->n_in)) {
		size_t off = 0;

		for (int i = 0; i < p->n_in; i++) {
			c.in[i] = p->in[i];
			c.in_off[i] = off;
			off += p->in[i].len;
		}
		c.n_in = p->n_in;
	}
	/* anything else is a new ioctl (first round) or a stale state: restart */
	if (p)
		pending_clear(p);
	pthread_mutex_unlock(&g.pend_lock);

	/* commands written to the FIFO before this ioctl apply to it */
	drain_control();

	ret = simdev_ioctl(&g.dev, cmd, uarg, &c.ops);

	if (ret == SIMDEV_RETRY) {
		if (c.n_in >= MAX_IOV) {
			fuse_reply_err(req, EIO);
			goto out;
		}
		c.in[c.n_in++] = c.need;
		pthread_mutex_lock(&g.pend_lock);
		p = pending_get(tid, true);
		if (p) {
			p->cmd = cmd;
			p->arg = uarg;
			p->output = false;
			memcpy(p->in, c.in, sizeof(c.in[0]) * (size_t)c.n_in);
			p->n_in = c.n_in;
			p->when = time(NULL);
		}
		pthread_mutex_unlock(&g.pend_lock);
		if (!p) {
			fuse_reply_err(req, EAGAIN);
			goto out;
		}
		if (g.trace)
			logf_("round: tid %d: need %zu bytes at 0x%" PRIx64 " (%d ranges)", (int)tid,
			      c.need.len, c.need.addr, c.n_in);
		to_iov(c.in, c.n_in, iov);
		fuse_reply_ioctl_retry(req, iov, (size_t)c.n_in, NULL, 0);
		goto out;
	}

	pthread_mutex_lock(&g.ctl_lock);
	write_state();
	pthread_mutex_unlock(&g.ctl_lock);

	if (c.overflow) {
		fuse_reply_err(req, ENOMEM);
		goto out;
	}
	if (g.trace)
		logf_("round: tid %d: done, result %ld, %d writes", (int)tid, ret, c.n_out);
	if (!c.n_out) {
		fuse_reply_ioctl(req, (int)ret, NULL, 0);
		goto out;
	}
	pthread_mutex_lock(&g.pend_lock);
	p = pending_get(tid, true);
	if (p) {
		p->cmd = cmd;
		p->arg = uarg;
		p->output = true;
		memcpy(p->in, c.in, sizeof(c.in[0]) * (size_t)c.n_in);
		p->n_in = c.n_in;
		memcpy(p->out, c.out, sizeof(c.out[0]) * (size_t)c.n_out);
		memcpy(p->out_data, c.out_data, sizeof(c.out_data[0]) * (size_t)c.n_out);
		p->n_out = c.n_out;
		p->result = ret;
		p->when = time(NULL);
		c.n_out = 0;		/* the slot owns the data now */
	}
	pthread_mutex_unlock(&g.pend_lock);
	if (!p) {
		fuse_reply_err(req, EAGAIN);
		goto out;
	}
	/*
	 * Ask for the same input ranges again along with the output ranges:
	 * fuse_do_ioctl() (fs/fuse/ioctl.c, 6.1) leaves args.in_pages set when
	 * a retry drops in_size to 0 and then sends stale page data in place
	 * of struct fuse_ioctl_in.
	 */
	to_iov(p->in, p->n_in, iov);
	to_iov(p->out, p->n_out, iov + p->n_in);
	fuse_reply_ioctl_retry(req, iov, (size_t)p->n_in, iov + p->n_in, (size_t)p->n_out);
out:
	for (int i = 0; i < c.n_out; i++)
		free(c.out_data[i]);
}

static void sim_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fuse_reply_open(req, fi);
}

/* Neither driver has read or write file operations: the VFS says -EINVAL. */
static void sim_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)size;
	(void)off;
	(void)fi;
	fuse_reply_err(req, EINVAL);
}

static void sim_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)buf;
	(void)size;
	(void)off;
	(void)fi;
	fuse_reply_err(req, EINVAL);
}

static void sim_init_done(void *userdata)
{
	(void)userdata;
	write_pid();
	pthread_mutex_lock(&g.ctl_lock);
	write_state();
	pthread_mutex_unlock(&g.ctl_lock);
	logf_("serving /dev/%s", g.dev.platform == SIMDEV_SNP ? "sev-guest" : "tdx_guest");
}

static const struct cuse_lowlevel_ops ops = {
	.init_done = sim_init_done,
	.open = sim_open,
	.read = sim_read,
	.write = sim_write,
	.ioctl = sim_ioctl,
};

/* ---- main ------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fputs(
"usage: cvmattest-simd --snp|--tdx [options]\n"
"\n"
"Serves /dev/sev-guest (--snp) or /dev/tdx_guest (--tdx) through CUSE with the\n"
"user-visible behaviour of Debian 6.1's sev-guest driver (6.2's tdx-guest),\n"
"signing evidence with the TEST keys of tests/sim/keys.  Needs /dev/cuse.\n"
"\n"
"  --snp | --tdx             which device\n"
"  -f, --foreground          do not daemonize\n"
"  -d, --fuse-debug          libfuse debug output (implies -f)\n"
"  -s, --single-thread       one FUSE worker thread\n"
"  --control DIR             control FIFO and state file (default " DEFAULT_CONTROL_DIR ")\n"
"  --no-control              no control directory\n"
"  --log FILE                log here instead of stderr\n"
"  --trace                   also log every round of the FUSE ioctl protocol\n"
"  --keys DIR                key directory (default: the keys compiled in)\n"
"  --no-certs                the host supplies no certificates to extended requests\n"
"  --retry-delay SEC         throttling retry interval (default 0.2; the driver's\n"
"                            SNP_REQ_RETRY_DELAY is 2 s)\n"
"  --retry-max SEC           give up throttled requests after (default 2; the\n"
"                            driver's SNP_REQ_MAX_RETRY_DURATION is 60 s)\n"
"  --kernel RELEASE          behave as that kernel's driver where they differ\n"
"                            (`uname -r`, or e.g. 6.16; default 6.1; README.md)\n"
"  -h, --help\n"
"\n"
"Control (echo CMD > DIR/control; see README.md): fw_error CODE, vmm_error CODE,\n"
"vmm_busy N, invalid_len [NPAGES], corrupt_response, latency_ms N, tdcall_busy N,\n"
"tdcall_error [N], host_certs on|off, kernel RELEASE, clear [all], reboot.\n"
"State: DIR/state.\n"
"\n", out);
	sim_config_usage(out);
}

enum {
	O_SNP = 0x100, O_TDX, O_CONTROL, O_NO_CONTROL, O_LOG, O_KEYS, O_NO_CERTS,
	O_RETRY_DELAY, O_RETRY_MAX, O_TRACE, O_KERNEL,
};

static const struct option own_options[] = {
	{ "snp", no_argument, NULL, O_SNP },
	{ "tdx", no_argument, NULL, O_TDX },
	{ "foreground", no_argument, NULL, 'f' },
	{ "fuse-debug", no_argument, NULL, 'd' },
	{ "single-thread", no_argument, NULL, 's' },
	{ "control", required_argument, NULL, O_CONTROL },
	{ "no-control", no_argument, NULL, O_NO_CONTROL },
	{ "log", required_argument, NULL, O_LOG },
	{ "keys", required_argument, NULL, O_KEYS },
	{ "no-certs", no_argument, NULL, O_NO_CERTS },
	{ "retry-delay", required_argument, NULL, O_RETRY_DELAY },
	{ "retry-max", required_argument, NULL, O_RETRY_MAX },
	{ "trace", no_argument, NULL, O_TRACE },
	{ "kernel", required_argument, NULL, O_KERNEL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int parse_seconds(const char *s, unsigned int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v < 0 || v > 3600)
		return -EINVAL;
	*ms = (unsigned int)(v * 1000 + 0.5);
	return 0;
}

static void sim_log_to_daemon(const char *msg)
{
	log_line(msg);
}

int main(int argc, char **argv)
{
	struct sim_config_args cfg = { 0 };
	struct option *longopts;
	struct sim_keys *keys = NULL;
	struct cuse_info ci = { 0 };
	const char *keys_dir = NULL, *log_path = NULL;
	const char *dev_info[1];
	char devname[32];
	char *fuse_argv[4];
	int fuse_argc = 0, platform = -1, opt, multithreaded = 1, ret = 1;
	bool foreground = false, fuse_debug = false, no_control = false, dev_ok = false;
	pthread_t ctl_tid;
	bool ctl_started = false;

	g.control_dir = DEFAULT_CONTROL_DIR;
	g.dev.host_certs = true;
	g.dev.retry_delay_ms = 200;
	g.dev.retry_max_ms = 2000;

	longopts = sim_config_long_options(own_options);
	if (!longopts)
		return 1;
	while ((opt = getopt_long(argc, argv, "fdsh", longopts, NULL)) != -1) {
		switch (opt) {
		case O_SNP:
			platform = SIMDEV_SNP;
			break;
		case O_TDX:
			platform = SIMDEV_TDX;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			fuse_debug = foreground = true;
			break;
		case 's':
			multithreaded = 0;
			break;
		case O_CONTROL:
			g.control_dir = optarg;
			break;
		case O_NO_CONTROL:
			no_control = true;
			break;
		case O_LOG:
			log_path = optarg;
			break;
		case O_KEYS:
			keys_dir = optarg;
			break;
		case O_NO_CERTS:
			g.dev.host_certs = false;
			break;
		case O_RETRY_DELAY:
			if (parse_seconds(optarg, &g.dev.retry_delay_ms))
				goto bad_usage;
			break;
		case O_RETRY_MAX:
			if (parse_seconds(optarg, &g.dev.retry_max_ms))
				goto bad_usage;
			break;
		case O_TRACE:
			g.trace = true;
			break;
		case O_KERNEL:
			g.dev.kernel = simdev_parse_kernel(optarg);
			if (!g.dev.kernel) {
				fprintf(stderr, "cvmattest-simd: --kernel %s: not a kernel release "
					"(e.g. 6.12.117+deb13-amd64 or 6.16)\n", optarg);
				goto bad_usage;
			}
			break;
		case 'h':
			usage(stdout);
			free(longopts);
			return 0;
		default:
			if (sim_config_collect(&cfg, opt, optarg))
				goto bad_usage;
			break;
		}
	}
	if (optind != argc || platform < 0)
		goto bad_usage;
	free(longopts);
	longopts = NULL;
	if (no_control)
		g.control_dir = NULL;

	if (log_path) {
		g.log = fopen(log_path, "ae");
		if (!g.log) {
			fprintf(stderr, "cvmattest-simd: %s: %s\n", log_path, strerror(errno));
			return 1;
		}
	}
	sim_set_log(sim_log_to_daemon);
	g.dev.platform = (enum simdev_platform)platform;
	g.dev.log = log_line;
	g.dev.stopping = &g.stopping;
	if (sim_config_apply(&cfg, &g.dev.snp, &g.dev.tdx))
		goto out;
	if (sim_keys_load(keys_dir, &keys))
		goto out;
	g.dev.keys = keys;
	if (simdev_init(&g.dev)) {
		fprintf(stderr, "cvmattest-simd: cannot set up the simulated platform\n");
		goto out;
	}
	dev_ok = true;
	if (g.control_dir && setup_control())
		goto out;

	snprintf(devname, sizeof(devname), "DEVNAME=%s",
		 platform == SIMDEV_SNP ? "sev-guest" : "tdx_guest");
	dev_info[0] = devname;
	ci.dev_info_argc = 1;
	ci.dev_info_argv = dev_info;
	ci.flags = CUSE_UNRESTRICTED_IOCTL;

	fuse_argv[fuse_argc++] = argv[0];
	if (foreground)
		fuse_argv[fuse_argc++] = "-f";
	if (fuse_debug)
		fuse_argv[fuse_argc++] = "-d";
	fuse_argv[fuse_argc] = NULL;
	/* daemonizes unless -f; sets SIGINT/SIGTERM/SIGHUP to end the session */
	g.se = cuse_lowlevel_setup(fuse_argc, fuse_argv, &ci, &ops, &multithreaded, NULL);
	if (!g.se) {
		fprintf(stderr, "cvmattest-simd: CUSE setup failed (is the cuse module loaded and /dev/cuse there?)\n");
		goto out;
	}
	/*
	 * libfuse's multi-threaded loop ends its workers with pthread_cancel(),
	 * for which glibc dlopen()s libgcc_s.so.1 and aborts if it is missing
	 * (minimal initramfs images): check now, fall back to one thread.
	 */
	if (multithreaded && !dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NOLOAD) &&
	    !dlopen("libgcc_s.so.1", RTLD_NOW)) {
		logf_("libgcc_s.so.1 not found (pthread_cancel needs it): one worker thread");
		multithreaded = 0;
	}
	if (g.control_dir) {
		if (pthread_create(&ctl_tid, NULL, control_thread, NULL)) {
			logf_("cannot start the control thread");
			goto teardown;
		}
		ctl_started = true;
	}

	if (multithreaded) {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();

		if (!lc)
			goto teardown;
		fuse_loop_cfg_set_clone_fd(lc, 0);
		ret = fuse_session_loop_mt(g.se, lc);
		fuse_loop_cfg_destroy(lc);
	} else {
		ret = fuse_session_loop(g.se);
	}
	logf_("stopping");
	ret = 0;
teardown:
	g.stopping = 1;
	if (ctl_started) {
		uint64_t one = 1;

		if (write(g.stop_fd, &one, sizeof(one)) != sizeof(one))
			logf_("cannot stop the control thread");
		pthread_join(ctl_tid, NULL);
	}
	cuse_lowlevel_teardown(g.se);
out:
	g.stopping = 1;
	if (g.control_dir && g.fifo_fd >= 0) {
		pthread_mutex_lock(&g.ctl_lock);
		write_state();
		pthread_mutex_unlock(&g.ctl_lock);
		unlink(g.fifo_path);
		unlink(g.pid_path);
	}
	if (g.fifo_fd >= 0)
		close(g.fifo_fd);
	if (g.stop_fd >= 0)
		close(g.stop_fd);
	pthread_mutex_lock(&g.pend_lock);
	for (int i = 0; i < MAX_PENDING; i++)
		pending_clear(&g.pend[i]);
	pthread_mutex_unlock(&g.pend_lock);
	if (dev_ok)
		simdev_destroy(&g.dev);
	sim_keys_free(keys);
	if (g.log)
		fclose(g.log);
	return ret;

bad_usage:
	free(longopts);
	usage(stderr);
	return 2;
}
