/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Just enough of the kernel's API for kmod/provider_*.c to compile in user
 * space, so that the fuzzers run the host-fed parsers of the very source
 * file the module is built from (fuzz_kmod_*.c include it whole).  Types,
 * byte order and string helpers behave as the kernel's; everything that
 * would reach a device, a TPM or user memory traps, since the parsers
 * under test never call it.
 */
#ifndef CVM_KSHIM_H
#define CVM_KSHIM_H

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/sha.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef uint32_t __be32;
typedef unsigned int gfp_t;

#define __user
#define __force
#define __always_unused __attribute__((unused))
#define KBUILD_MODNAME "cvmattest"
#define PAGE_SIZE 4096UL
#define GFP_KERNEL 0u
#define BIT(n) (1UL << (n))
#define SHA256_DIGEST_SIZE 32
#define THIS_MODULE NULL

/* the kernel's one-argument static_assert */
#define static_assert(expr, ...) __kshim_static_assert(expr, ##__VA_ARGS__, #expr)
#define __kshim_static_assert(expr, msg, ...) _Static_assert(expr, msg)

#define max_t(type, a, b) ((type)(a) > (type)(b) ? (type)(a) : (type)(b))
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define READ_ONCE(x) (x)

#define pr_err_ratelimited(...) ((void)0)
#define pr_warn_ratelimited(...) ((void)0)
#define pr_warn(...) ((void)0)
#define pr_err(...) ((void)0)
#define pr_info(...) ((void)0)
#define module_param(name, type, perm)
#define MODULE_PARM_DESC(name, desc)

#define KSHIM_UNREACHABLE __builtin_trap()

static inline u16 get_unaligned_be16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] << 8 | b[1]);
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline u32 get_unaligned_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[3] << 24 | (u32)b[2] << 16 | (u32)b[1] << 8 | b[0];
}

static inline u64 get_unaligned_le64(const void *p)
{
	return (u64)get_unaligned_le32((const u8 *)p + 4) << 32 | get_unaligned_le32(p);
}

static inline void put_unaligned_be64(u64 v, void *p)
{
	u8 *b = p;

	for (int i = 0; i < 8; i++)
		b[i] = (u8)(v >> (56 - 8 * i));
}

static inline u32 be32_to_cpu(__be32 v)
{
	return get_unaligned_be32(&v);
}

static inline int hex_to_bin(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (unsigned char)tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* lib/string.c: @s2 in the first @len bytes of @s1 */
static inline char *strnstr(const char *s1, const char *s2, size_t len)
{
	size_t l2 = strlen(s2);

	if (!l2)
		return (char *)s1;
	while (len >= l2) {
		len--;
		if (!memcmp(s1, s2, l2))
			return (char *)s1;
		s1++;
	}
	return NULL;
}

static inline void sha256(const u8 *data, unsigned int len, u8 *out)
{
	SHA256(data, len, out);
}

static inline void *kmalloc(size_t n, gfp_t f)
{
	(void)f;
	return malloc(n);
}

static inline void *kzalloc(size_t n, gfp_t f)
{
	(void)f;
	return calloc(1, n);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

static inline void *kvzalloc(size_t n, gfp_t f)
{
	return kzalloc(n, f);
}

static inline void kvfree(const void *p)
{
	free((void *)p);
}

static inline unsigned long copy_to_user(void *to, const void *from, unsigned long n)
{
	(void)to, (void)from, (void)n;
	KSHIM_UNREACHABLE;
}

static inline unsigned long copy_from_user(void *to, const void *from, unsigned long n)
{
	(void)to, (void)from, (void)n;
	KSHIM_UNREACHABLE;
}

struct mutex {
	int unused;
};

static inline int mutex_lock_killable(struct mutex *m)
{
	(void)m;
	KSHIM_UNREACHABLE;
}

static inline void mutex_unlock(struct mutex *m)
{
	(void)m;
}

/* time */
static unsigned long jiffies;
#define time_after(a, b) ((long)((b) - (a)) < 0)

static inline unsigned long msecs_to_jiffies(unsigned int ms)
{
	return ms;
}

static inline unsigned long msleep_interruptible(unsigned int ms)
{
	(void)ms;
	KSHIM_UNREACHABLE;
}

/* the TPM chip API (include/linux/tpm.h) */
struct device {
	int unused;
};

struct tpm_chip {
	struct device dev;
};

struct tpm_header {
	u16 tag;
	__be32 length;
	__be32 return_code;
} __attribute__((packed));

struct tpm_buf {
	u8 *data;
};

#define TPM2_ST_NO_SESSIONS 0x8001
#define TPM2_ST_SESSIONS 0x8002
#define TPM2_RS_PW 0x40000009

static inline void put_device(struct device *d)
{
	(void)d;
}

static inline struct tpm_chip *tpm_default_chip(void)
{
	KSHIM_UNREACHABLE;
}

static inline bool tpm_is_tpm2(struct tpm_chip *c)
{
	(void)c;
	KSHIM_UNREACHABLE;
}

static inline int tpm_try_get_ops(struct tpm_chip *c)
{
	(void)c;
	KSHIM_UNREACHABLE;
}

static inline void tpm_put_ops(struct tpm_chip *c)
{
	(void)c;
}

static inline int tpm_buf_init(struct tpm_buf *b, u16 tag, u32 ordinal)
{
	(void)b, (void)tag, (void)ordinal;
	KSHIM_UNREACHABLE;
}

static inline void tpm_buf_destroy(struct tpm_buf *b)
{
	(void)b;
}

static inline void tpm_buf_append(struct tpm_buf *b, const u8 *d, u16 n)
{
	(void)b, (void)d, (void)n;
	KSHIM_UNREACHABLE;
}

static inline void tpm_buf_append_u8(struct tpm_buf *b, u8 v)
{
	(void)b, (void)v;
	KSHIM_UNREACHABLE;
}

static inline void tpm_buf_append_u16(struct tpm_buf *b, u16 v)
{
	(void)b, (void)v;
	KSHIM_UNREACHABLE;
}

static inline void tpm_buf_append_u32(struct tpm_buf *b, u32 v)
{
	(void)b, (void)v;
	KSHIM_UNREACHABLE;
}

static inline ssize_t tpm_transmit_cmd(struct tpm_chip *c, struct tpm_buf *b, size_t min,
				       const char *desc)
{
	(void)c, (void)b, (void)min, (void)desc;
	KSHIM_UNREACHABLE;
}

/* kmod/platform_file.c and the other providers: not linked here */
struct file;
struct cvmattest_provider;
struct cvmattest_bounce;
struct cvmattest_launch;

#endif
