// SPDX-License-Identifier: LGPL-2.1-or-later
/* Logging through a context's sink: one callback, one level. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "base/base.h"

static void default_log(int level, const char *msg, void *userdata)
{
	(void)userdata;
	fprintf(stderr, "%s%s\n", level == CVM_LOG_ERROR ? "error: " :
				  level == CVM_LOG_WARNING ? "warning: " : "", msg);
}

/* struct cvm_ctx starts with its sink (checked in pki/context.c). */
static const struct cvm_log_sink *sink_of(const struct cvm_ctx *ctx)
{
	return (const struct cvm_log_sink *)(const void *)ctx;
}

/*
 * Messages quote what tokens, disks and servers say, and all of those are
 * the adversary's: a control character (an escape sequence for the
 * console, a newline that forges a second log line, a CR that hides the
 * first) is shown as \xNN.  A message is one line by construction.
 */
static void escape_controls(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f) {
			snprintf(out + o, len - o, "\\x%02x", c);
			o += 4;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
}

static void emit(const struct cvm_ctx *ctx, int level, const char *raw)
{
	const struct cvm_log_sink *s = sink_of(ctx);
	char msg[4096];

	escape_controls(raw, msg, sizeof(msg));
	if (s->fn)
		s->fn(level, msg, s->userdata);
	else
		default_log(level, msg, NULL);
}

void cvm_log(const struct cvm_ctx *ctx, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx || level > sink_of(ctx)->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(ctx, level, msg);
}

int cvm_log_errno(const struct cvm_ctx *ctx, int level, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	err = err < 0 ? -err : err;
	if (ctx && level <= sink_of(ctx)->level) {
		errno = err;	/* for %m */
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		emit(ctx, level, msg);
	}
	return -err;
}

void log_openssl(const struct cvm_ctx *ctx, const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_debug(ctx, "%s: %s", what, buf);
	}
}

int log_set_level(struct cvm_ctx *ctx, int level)
{
	struct cvm_log_sink *s = (struct cvm_log_sink *)(void *)ctx;
	int old = s->level;

	s->level = level;
	return old;
}
