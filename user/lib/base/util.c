// SPDX-License-Identifier: LGPL-2.1-or-later
/* Whole-file reads, hex, digests, word lists. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

int read_fd(int fd, size_t max, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= max)
				return -EFBIG;
			cap = cap ? cap * 2 : 8192;
			if (cap > max)
				cap = max;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = 0;	/* convenient for text; not counted */
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return read_fd(fd, max, ret, ret_len);
}

int cvm_file_read(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
	return read_file(path, max, ret, ret_len);
}

int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_path(const char *path, int flags, unsigned int mode, const void *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = strcmp(path, "-") == 0 ? dup(STDOUT_FILENO)
				    : open(path, O_WRONLY | O_CLOEXEC | flags, (mode_t)mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, len);
	if (r < 0)
		return r;
	return close(TAKE_FD(fd)) < 0 ? -errno : 0;
}

int cvm_file_write(const char *path, const void *buf, size_t len, unsigned int mode)
{
	return write_path(path, O_CREAT | O_TRUNC, mode, buf, len);
}

bool list_has(const char *list, const char *word)
{
	size_t n;

	if (!list || !word || !*word)
		return false;
	n = strlen(word);
	for (const char *p = list; *p;) {
		size_t l;

		p += strspn(p, " ,");
		l = strcspn(p, " ,");
		if (l == n && strncmp(p, word, n) == 0)
			return true;
		p += l;
	}
	return false;
}

int base_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool base_hex_space(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int cvm_hex_decode(const char *hex, size_t hex_len, uint8_t **ret, size_t *ret_len)
{
	_cleanup_free_ uint8_t *out = NULL;
	size_t n = 0;
	int hi = -1;

	if (!hex || !ret || !ret_len)
		return -EINVAL;
	out = malloc(hex_len / 2 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < hex_len; i++) {
		int v;

		if (base_hex_space((unsigned char)hex[i]))
			continue;
		v = base_hex_digit((unsigned char)hex[i]);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		return -EINVAL;
	*ret = TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

void cvm_hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = 0;
}

int cvm_hex_decode_fixed(const char *hex, uint8_t *out, size_t out_len, size_t *got, bool exact)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n;
	int r;

	r = cvm_hex_decode(hex, strlen(hex), &buf, &n);
	if (r < 0)
		return r;
	if (exact ? n != out_len : (n == 0 || n > out_len))
		return -EINVAL;
	memset(out, 0, out_len);
	memcpy(out, buf, n);
	if (got)
		*got = n;
	return 0;
}

int maybe_hex_decode(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len)
{
	return evidence_hex_decode(buf, len, ret, ret_len, NULL, 0);
}

int sha_digest(const char *md, const uint8_t *buf, size_t len, uint8_t *out, unsigned *out_len)
{
	const EVP_MD *m = EVP_get_digestbyname(md);

	if (!m)
		return -EOPNOTSUPP;
	if (EVP_Digest(buf, len, out, out_len, m, NULL) != 1)
		return -EIO;
	return 0;
}
