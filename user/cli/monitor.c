// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest monitor */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>

#include "cli.h"
#include "cli-util.h"
#include "libcvmattest-status.h"

static void monitor_help(void)
{
	printf("Usage: cvmattest monitor [OPTIONS]\n"
	       "\n"
	       "Print the cvmattest module's netlink events as JSON lines, one per event,\n"
	       "as they happen, until interrupted (SIGINT, SIGTERM). Listening needs\n"
	       "CAP_NET_ADMIN (root).\n"
	       "\n"
	       "Events: evidence-issued (provider, format, platform, report_data),\n"
	       "status-changed (state, status_time, expiry, verifier, reason),\n"
	       "provider-error (provider, errno, errno_name, fw_error, vmm_error);\n"
	       "every line has \"event\" and \"time\" (Unix seconds, the kernel's clock).\n"
	       "\n"
	       "  -e, --event NAME        only events of this kind (repeatable)\n"
	       "      --once              exit after the first event printed\n"
	       "      --timeout SECONDS   stop after this long\n"
	       "      --json              errors as JSON too (the events always are)\n"
	       "  -q, --quiet             no \"listening\" message on stderr\n"
	       "  -v, --verbose           more messages\n"
	       "  -h, --help              this text\n"
	       "\n"
	       "Exit status (cvmattest(1)): 0 when interrupted, after the --once event, or\n"
	       "when --timeout ran out; 1 on errors (listening was refused, the module was\n"
	       "unloaded meanwhile); 7 the module is not loaded; 13 --once got no event\n"
	       "within --timeout.\n"
	       "See cvmattest-monitor(1).\n");
}

struct monitor_state {
	unsigned types;		/* bit (1 << enum cvm_event_type); 0: all */
	bool once;
	unsigned long printed;
	int write_error;
};

static int on_event(const struct cvm_event *ev, void *userdata)
{
	struct monitor_state *ms = userdata;
	_cleanup_free_ char *line = NULL;
	int r;

	if (ms->types && !(ms->types & (1u << ev->type)))
		return 0;
	r = cvm_event_to_json(ev, &line);
	if (r < 0) {
		fprintf(stderr, "cvmattest: cannot format an event: %s\n", strerror(-r));
		return 0;
	}
	/* One flushed line per event: a reader sees each as it happens. */
	if (printf("%s\n", line) < 0 || fflush(stdout) != 0) {
		ms->write_error = errno ? errno : EIO;
		return 1;
	}
	ms->printed++;
	return ms->once ? 1 : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_monitor(int argc, char **argv, struct cli_common *common)
{
	enum { OPT_ONCE = 0x100, OPT_TIMEOUT };
	static const struct option options[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		CLI_JSON_LONG_OPTION,
		CLI_COMMON_LONG_OPTIONS,
		{}
	};
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	_cleanup_(cvm_monitor_freep) struct cvm_monitor *m = NULL;
	_cleanup_close_ int sfd = -1;
	struct monitor_state ms = { 0 };
	int64_t deadline = 0;
	sigset_t mask;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "e:qvh", options, NULL)) >= 0) {
		if (cli_common_opt(common, c))
			continue;
		switch (c) {
		case 'e': {
			enum cvm_event_type t;

			if (cvm_event_type_from_name(optarg, &t) < 0)
				return usage_error("--event: unknown event \"%s\" (evidence-issued, "
						   "status-changed, provider-error)", optarg);
			ms.types |= 1u << t;
			break;
		}
		case OPT_ONCE:
			ms.once = true;
			break;
		case OPT_TIMEOUT: {
			char *end;
			double v;

			errno = 0;
			v = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v > 0) || v > 86400.0 * 365)
				return usage_error("--timeout: a positive number of seconds expected");
			deadline = now_ms() + (int64_t)(v * 1000);
			break;
		}
		case 'h':
			monitor_help();
			return 0;
		default:
			return cli_bad_option(argv[0], EXIT_USAGE);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);

	/* Signals through a descriptor: none is lost between two polls. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		fprintf(stderr, "cvmattest: cannot set up signal handling: %s\n", strerror(errno));
		return EXIT_USAGE;
	}

	if (cli_ctx_new(common, &ctx) < 0)
		return EXIT_USAGE;
	r = cvm_monitor_open(ctx, &m);
	if (r < 0)	/* the library said why */
		return r == -ENOENT || r == -EOPNOTSUPP ? EXIT_NOT_HERE : EXIT_USAGE;
	if (!common->quiet)
		fprintf(stderr, "cvmattest: listening for cvmattest events (Ctrl-C to stop)\n");

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = cvm_monitor_fd(m), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		int timeout = -1;

		if (deadline) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				break;
			timeout = left > 60000 ? 60000 : (int)left;
		}
		r = poll(fds, 2, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "cvmattest: poll: %s\n", strerror(errno));
			return EXIT_USAGE;
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && !common->quiet)
				fprintf(stderr, "cvmattest: %s, stopping after %lu event(s)\n",
					strsignal((int)si.ssi_signo), ms.printed);
			return EXIT_OK;
		}
		if (fds[0].revents) {
			r = cvm_monitor_dispatch(m, on_event, &ms);
			if (ms.write_error) {
				fprintf(stderr, "cvmattest: cannot write events: %s\n",
					strerror(ms.write_error));
				return EXIT_USAGE;
			}
			if (r < 0)
				return EXIT_USAGE;
			if (r > 0)	/* --once */
				return EXIT_OK;
		}
	}
	if (ms.once) {
		fprintf(stderr, "cvmattest: no event within --timeout\n");
		return EXIT_TIMEOUT;
	}
	return EXIT_OK;
}
