// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench/unlock-timer: the guest-side stopwatch of bench/unlock.  Runs an
 * unlock command and prints, in milliseconds on CLOCK_MONOTONIC, the time from
 * just before the command starts until the mapped device it should create is
 * usable: DEVNODE opens and its first 4 KiB read back through dm-crypt
 * (O_DIRECT, so the page cache cannot answer).  The command's own output goes
 * to LOG, so stdout carries only the number.
 *
 * usage: unlock-timer LOG DEVNODE CMD [ARG]...
 * exit:  the command's status if it failed; 3 if DEVNODE was not usable
 *        within 10 s after it succeeded; 0 with "MS\n" on stdout otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define WAIT_MS 10000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 1 when the first block of dev reads back, else 0 */
static int usable(const char *dev, void *buf)
{
	int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 && errno == EINVAL)
		fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = pread(fd, buf, BLOCK, 0);
	close(fd);
	return n == BLOCK;
}

int main(int argc, char **argv)
{
	const struct timespec tick = { 0, 1000000 };	/* 1 ms */
	double t0, deadline;
	void *buf;
	int log, status;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: unlock-timer LOG DEVNODE CMD [ARG]...\n");
		return 2;
	}
	log = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (log < 0 || posix_memalign(&buf, BLOCK, BLOCK)) {
		fprintf(stderr, "unlock-timer: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("unlock-timer: fork");
		return 2;
	}
	if (pid == 0) {
		dup2(log, 1);
		dup2(log, 2);
		execvp(argv[3], argv + 3);
		fprintf(stderr, "unlock-timer: %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("unlock-timer: waitpid");
			return 2;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	/* No udev in the guest: libdevmapper makes the node itself, but wait anyway. */
	deadline = now_ms() + WAIT_MS;
	while (!usable(argv[2], buf)) {
		if (now_ms() > deadline) {
			fprintf(stderr, "unlock-timer: %s not usable %d ms after the command succeeded\n",
				argv[2], WAIT_MS);
			return 3;
		}
		nanosleep(&tick, NULL);
	}
	printf("%.3f\n", now_ms() - t0);
	return 0;
}
