/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, "status" beside the layers: the node's state model, its
 * readers (sysfs, host facts, netlink) and its output.  Builds on base only.
 */
#ifndef CVM_STATUS_INTERNAL_H
#define CVM_STATUS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcvmattest-status.h"
#include "base/base.h"

/* ---- the state model (state.c) ---- */

/* The text of a keyword, hex or text field; "" for the others. */
const char *state_string(const struct cvm_state *s, enum cvm_state_field fld);
/* A keyword: [a-z0-9._-], shorter than @max. */
bool state_is_word(const char *v, size_t max);
/* A boolean field that is present and set. */
bool state_flag(const struct cvm_state *s, enum cvm_state_field fld);
/* "EIO" for 5 or -5; "" if unknown or 0. */
const char *state_errno_name(int e);
/* "-5 (EIO)", or "-5" when the number has no name */
void state_format_errno(int e, char *buf, size_t len);
/* "2026-11-03 10:00:00 UTC" */
void state_format_time(int64_t t, char *buf, size_t len);
/* "3d 4h", "7h 59m", "12s" (of the absolute value) */
void state_format_duration(int64_t secs, char *buf, size_t len);


/* ---- readers (status.c, netlink.c) ---- */

/* A small text file (sysfs, procfs) without its trailing newline; -errno. */
int state_read_small(const char *path, char *buf, size_t len);
/* GET_STATUS into @s; a missing family is -ENOENT, logged at debug level if @quiet_absent. */
int state_netlink_read(struct cvm_ctx *ctx, struct cvm_state *s, bool quiet_absent);

#endif
