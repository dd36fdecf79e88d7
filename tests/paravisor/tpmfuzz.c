// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * cvmattest-tpmfuzz: throw malformed and mutated TPM commands at a TPM
 * device (inside the test VM: /dev/tpm0 or /dev/tpmrm0 of the stand-in
 * paravisor) and check that every answer is a well-formed response and
 * that the TPM still works afterwards.  The commands start from the ones
 * the paravisor looks into (NV_Read / NV_ReadPublic of 0x01400001,
 * NV_Write of 0x01400002, StartAuthSession, FlushContext) and are then
 * cut, stretched, bit-flipped or given lying size fields.
 * Exit 0: all answers well-formed and the TPM alive; 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpm_proto.h"

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static size_t put_pw_auth(uint8_t *p)
{
	tpm_put32(p, 9);		/* authorizationSize */
	tpm_put32(p + 4, TPM_RS_PW);
	tpm_put16(p + 8, 0);		/* nonce */
	p[10] = 0;			/* attributes */
	tpm_put16(p + 11, 0);		/* hmac (password) */
	return 13;
}

/* One of the templates, well-formed; returns its length. */
static size_t make_template(uint8_t *c, unsigned int which)
{
	size_t n = TPM_HEADER_LEN;

	switch (which % 6) {
	case 0:		/* NV_Read(owner, 0x01400001, size, offset) */
		tpm_put32(c + n, TPM_RH_OWNER);
		tpm_put32(c + n + 4, 0x01400001);
		n += 8;
		n += put_pw_auth(c + n);
		tpm_put16(c + n, (uint16_t)(rnd() % 1100));
		tpm_put16(c + n + 2, (uint16_t)(rnd() % 2700));
		n += 4;
		tpm_put16(c, TPM_ST_SESSIONS);
		tpm_put32(c + 6, TPM_CC_NV_READ);
		break;
	case 1:		/* NV_ReadPublic(0x01400001) */
		tpm_put32(c + n, 0x01400001);
		n += 4;
		tpm_put16(c, TPM_ST_NO_SESSIONS);
		tpm_put32(c + 6, TPM_CC_NV_READ_PUBLIC);
		break;
	case 2:		/* NV_Write(owner, 0x01400002, 64 bytes, 0) */
		tpm_put32(c + n, TPM_RH_OWNER);
		tpm_put32(c + n + 4, 0x01400002);
		n += 8;
		n += put_pw_auth(c + n);
		tpm_put16(c + n, 64);
		for (int i = 0; i < 64; i++)
			c[n + 2 + i] = (uint8_t)rnd();
		n += 66;
		tpm_put16(c + n, 0);
		n += 2;
		tpm_put16(c, TPM_ST_SESSIONS);
		tpm_put32(c + 6, TPM_CC_NV_WRITE);
		break;
	case 3:		/* StartAuthSession(NULL, NULL, nonce, -, HMAC, NULL, SHA256) */
		tpm_put32(c + n, 0x40000007);
		tpm_put32(c + n + 4, 0x40000007);
		n += 8;
		tpm_put16(c + n, 32);
		for (int i = 0; i < 32; i++)
			c[n + 2 + i] = (uint8_t)rnd();
		n += 34;
		tpm_put16(c + n, 0);
		n += 2;
		c[n++] = 0;
		tpm_put16(c + n, 0x0010);
		tpm_put16(c + n + 2, 0x000B);
		n += 4;
		tpm_put16(c, TPM_ST_NO_SESSIONS);
		tpm_put32(c + 6, 0x176);
		break;
	case 4:		/* FlushContext(some session handle) */
		tpm_put32(c + n, 0x02000000 | (rnd() & 0xff));
		n += 4;
		tpm_put16(c, TPM_ST_NO_SESSIONS);
		tpm_put32(c + 6, 0x165);
		break;
	default:	/* random bytes behind a plausible header */
		n += rnd() % 200;
		for (size_t i = TPM_HEADER_LEN; i < n; i++)
			c[i] = (uint8_t)rnd();
		tpm_put16(c, rnd() & 1 ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS);
		tpm_put32(c + 6, 0x11F + rnd() % 0x80);
		break;
	}
	tpm_put32(c + 2, (uint32_t)n);
	return n;
}

/* Damage it; the header size is made consistent unless @lie. */
static size_t mutate(uint8_t *c, size_t n, size_t cap)
{
	unsigned int how = rnd() % 8, k;

	switch (how) {
	case 0:		/* untouched */
		break;
	case 1:		/* cut */
		n = TPM_HEADER_LEN + (n > TPM_HEADER_LEN ? rnd() % (n - TPM_HEADER_LEN + 1) : 0);
		break;
	case 2:		/* stretch with junk */
		k = rnd() % 300;
		if (n + k > cap)
			k = (unsigned int)(cap - n);
		for (unsigned int i = 0; i < k; i++)
			c[n + i] = (uint8_t)rnd();
		n += k;
		break;
	case 3:		/* flip bytes after the header */
	case 4:
		for (k = 1 + rnd() % 4; k && n > TPM_HEADER_LEN; k--)
			c[TPM_HEADER_LEN + rnd() % (n - TPM_HEADER_LEN)] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	case 5:		/* lying inner sizes: authorizationSize / TPM2B sizes */
		if (n >= TPM_HEADER_LEN + 12)
			tpm_put32(c + TPM_HEADER_LEN + 8, rnd() % 2 ? 0xFFFFFFFFu : rnd() % 64);
		break;
	case 6:		/* wrong tag */
		tpm_put16(c, (uint16_t)rnd());
		break;
	default:	/* the header's size lies (the kernel sends that many bytes) */
		tpm_put32(c + 2, (uint32_t)(rnd() % (n + 1)));
		return n;
	}
	tpm_put32(c + 2, (uint32_t)n);
	return n;
}

/* One command, its response; the response length or -1. */
static ssize_t transact(int fd, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t size)
{
	if (write(fd, cmd, len) != (ssize_t)len)
		return -1;
	return read(fd, rsp, size);
}

/*
 * Flush what the run left loaded (sessions, transient objects): through
 * /dev/tpm0 nobody else would, and a TPM has only a few session slots.
 * TPM2_GetCapability(TPM_CAP_HANDLES), TPM2_FlushContext: Part 3 §30.2, §28.4.
 */
static unsigned int flush_leftovers(int fd)
{
	static const uint32_t ranges[] = { 0x02000000, 0x03000000, 0x80000000 };
	uint8_t cmd[32], rsp[TPM_MAX_MSG];
	unsigned int flushed = 0;

	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		ssize_t n;
		uint32_t count;

		tpm_put16(cmd, TPM_ST_NO_SESSIONS);
		tpm_put32(cmd + 2, 22);
		tpm_put32(cmd + 6, 0x17A);
		tpm_put32(cmd + 10, 1);			/* TPM_CAP_HANDLES */
		tpm_put32(cmd + 14, ranges[r]);
		tpm_put32(cmd + 18, 64);
		n = transact(fd, cmd, 22, rsp, sizeof(rsp));
		if (n < 19 || tpm_get32(rsp + 6))
			continue;
		count = tpm_get32(rsp + 15);
		for (uint32_t i = 0; i < count && 19 + 4 * (size_t)(i + 1) <= (size_t)n; i++) {
			uint32_t h = tpm_get32(rsp + 19 + 4 * i);
			uint8_t fr[TPM_HEADER_LEN];

			if ((h & 0xFF000000) != (ranges[r] & 0xFF000000))
				break;
			tpm_put16(cmd, TPM_ST_NO_SESSIONS);
			tpm_put32(cmd + 2, 14);
			tpm_put32(cmd + 6, 0x165);
			tpm_put32(cmd + 10, h);
			if (transact(fd, cmd, 14, fr, sizeof(fr)) == TPM_HEADER_LEN && !tpm_get32(fr + 6))
				flushed++;
		}
	}
	return flushed;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/tpm0";
	unsigned long count = 2000, sent = 0, answered = 0, refused = 0, bad = 0, success = 0;
	uint8_t cmd[TPM_MAX_MSG], rsp[TPM_MAX_MSG];
	int opt, fd;

	rng_state = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	while ((opt = getopt(argc, argv, "d:n:s:h")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			rng_state = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: cvmattest-tpmfuzz [-d DEVICE] [-n COUNT] [-s SEED]\n");
			return opt == 'h' ? 0 : 1;
		}
	}
	if (!rng_state)
		rng_state = 1;
	printf("seed=%llu\n", (unsigned long long)rng_state);
	fd = open(dev, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "cvmattest-tpmfuzz: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	for (unsigned long i = 0; i < count; i++) {
		size_t n = make_template(cmd, rnd());
		ssize_t w, r;

		n = mutate(cmd, n, sizeof(cmd));
		sent++;
		w = write(fd, cmd, n);
		if (w < 0) {
			refused++;	/* the kernel refused it (size checks): nothing reached the TPM */
			continue;
		}
		r = read(fd, rsp, sizeof(rsp));
		if (r < 0) {
			fprintf(stderr, "read after command %lu: %s\n", i, strerror(errno));
			bad++;
			if (errno == EPIPE || errno == ENODEV)
				break;
			continue;
		}
		answered++;
		if (r < TPM_HEADER_LEN || tpm_get32(rsp + 2) != (uint32_t)r) {
			fprintf(stderr, "malformed response (%zd bytes) to command %lu\n", r, i);
			bad++;
		} else if (!tpm_get32(rsp + 6)) {
			success++;
		}
	}
	printf("flushed=%u\n", flush_leftovers(fd));
	/*
	 * Alive?  GetRandom(8) on a fresh descriptor: through /dev/tpmrm0 the
	 * kernel's resource manager can be left refusing everything on the
	 * fuzzed descriptor (-EFAULT once a saved context no longer loads,
	 * "tpm2_load_context: failed with a TPM error"), with any TPM.
	 */
	close(fd);
	fd = open(dev, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "cvmattest-tpmfuzz: reopen %s: %s\n", dev, strerror(errno));
		return 1;
	}
	tpm_put16(cmd, TPM_ST_NO_SESSIONS);
	tpm_put32(cmd + 2, 12);
	tpm_put32(cmd + 6, 0x17B);
	tpm_put16(cmd + 10, 8);
	{
		ssize_t w = write(fd, cmd, 12), r = -1;
		int err = errno;

		if (w == 12) {
			r = read(fd, rsp, sizeof(rsp));
			err = errno;
		}
		if (w != 12 || r < TPM_HEADER_LEN || tpm_get32(rsp + 6) != 0) {
			fprintf(stderr, "the TPM does not answer GetRandom after the run: write %zd, "
				"read %zd (%s), rc 0x%x\n", w, r, strerror(err),
				r >= TPM_HEADER_LEN ? tpm_get32(rsp + 6) : 0);
			bad++;
		}
	}
	close(fd);
	printf("sent=%lu answered=%lu refused_by_kernel=%lu succeeded=%lu bad=%lu\n", sent,
	       answered, refused, success, bad);
	return bad ? 1 : 0;
}
