// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The state model: the module's values by name (one table of fields, their
 * types and where they live in struct cvm_state), their strict parsing, and
 * the small formatters every reader and writer of a state shares.  Readers
 * (status.c: sysfs and host facts; netlink.c: GET_STATUS) fill it through
 * cvm_state_set_value(); nothing here reads a file or a socket.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "status/status.h"

/* ---- the module's values ------------------------------------------------ */

enum vtype {
	V_WORD,		/* a keyword: "sev-snp", "enabled", "2.0", ... */
	V_BOOL,		/* "0" / "1" */
	V_HEX,		/* lowercase hex bytes */
	V_HEX64,	/* "0x" and 16 hex digits */
	V_U32,
	V_U64,
	V_S32,
	V_S64,
	V_TEXT,		/* free text (a URL, a reason) */
};

struct field_def {
	const char *name;
	enum vtype type;
	size_t off;
	size_t size;
	bool unknown_means_absent;	/* launch_*: "unknown" = no evidence */
};

#define F(_e, _name, _type, _member, _unk) \
	[_e] = { #_name, _type, offsetof(struct cvm_state, _member), \
		 sizeof(((struct cvm_state *)0)->_member), _unk }

static const struct field_def fields[_CVM_SF_MAX] = {
	F(CVM_SF_PLATFORM, platform, V_WORD, platform, false),
	F(CVM_SF_PROVIDER, provider, V_WORD, provider, false),
	F(CVM_SF_MEM_ENCRYPT, mem_encrypt, V_BOOL, mem_encrypt, false),
	F(CVM_SF_SEV, sev, V_BOOL, sev, false),
	F(CVM_SF_SEV_ES, sev_es, V_BOOL, sev_es, false),
	F(CVM_SF_SEV_SNP, sev_snp, V_BOOL, sev_snp, false),
	F(CVM_SF_TDX, tdx, V_BOOL, tdx, false),
	F(CVM_SF_SECURE_BOOT, secure_boot, V_WORD, secure_boot, false),
	F(CVM_SF_LOCKDOWN, lockdown, V_WORD, lockdown, false),
	F(CVM_SF_MODULE_SIG_ENFORCE, module_sig_enforce, V_BOOL, module_sig_enforce, false),
	F(CVM_SF_TPM, tpm, V_WORD, tpm, false),
	F(CVM_SF_LAUNCH_DEBUG, launch_debug, V_BOOL, launch_debug, true),
	F(CVM_SF_LAUNCH_MEASUREMENT, launch_measurement, V_HEX, launch_measurement, true),
	F(CVM_SF_LAUNCH_POLICY, launch_policy, V_HEX64, launch_policy, true),
	F(CVM_SF_LAUNCH_TCB, launch_tcb, V_HEX, launch_tcb, true),
	F(CVM_SF_LAUNCH_REPORT_VERSION, launch_report_version, V_U32, launch_report_version, true),
	F(CVM_SF_REQUESTS, requests, V_U64, requests, false),
	F(CVM_SF_ERRORS, errors, V_U64, errors, false),
	F(CVM_SF_RETRIES, retries, V_U64, retries, false),
	F(CVM_SF_LAST_ERROR, last_error, V_S32, last_error, false),
	F(CVM_SF_LAST_ERROR_TIME, last_error_time, V_S64, last_error_time, false),
	F(CVM_SF_ATTESTATION_STATE, attestation_state, V_WORD, attestation_state, false),
	F(CVM_SF_ATTESTATION_TIME, attestation_time, V_S64, attestation_time, false),
	F(CVM_SF_ATTESTATION_VERIFIER, attestation_verifier, V_TEXT, attestation_verifier, false),
	F(CVM_SF_ATTESTATION_EXPIRY, attestation_expiry, V_S64, attestation_expiry, false),
	F(CVM_SF_ATTESTATION_REASON, attestation_reason, V_TEXT, attestation_reason, false),
};

const char *cvm_state_field_name(enum cvm_state_field f)
{
	return (unsigned)f < _CVM_SF_MAX ? fields[f].name : NULL;
}

bool cvm_state_has(const struct cvm_state *s, enum cvm_state_field f)
{
	return s && (unsigned)f < _CVM_SF_MAX && (s->present & (UINT64_C(1) << f));
}

bool state_is_word(const char *v, size_t max)
{
	size_t n = strlen(v);

	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)v[i]) && !isdigit((unsigned char)v[i]) && v[i] != '-' &&
		    v[i] != '.' && v[i] != '_')
			return false;
	return true;
}

static bool is_hex(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i]) && !(v[i] >= 'a' && v[i] <= 'f'))
			return false;
	return true;
}

static int parse_int(const char *v, bool is_signed, int64_t min, int64_t max, uint64_t umax,
		     void *out, size_t size)
{
	char *end;

	if (!*v || isspace((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	if (is_signed) {
		long long x = strtoll(v, &end, 10);

		if (errno || *end || x < min || x > max)
			return -EINVAL;
		if (size == sizeof(int32_t))
			*(int32_t *)out = (int32_t)x;
		else
			*(int64_t *)out = x;
	} else {
		unsigned long long x;

		if (*v == '-')
			return -EINVAL;
		x = strtoull(v, &end, 10);
		if (errno || *end || x > umax)
			return -EINVAL;
		if (size == sizeof(uint32_t))
			*(uint32_t *)out = (uint32_t)x;
		else
			*(uint64_t *)out = x;
	}
	return 0;
}

int cvm_state_set_value(struct cvm_state *s, const char *name, const char *value)
{
	const struct field_def *d = NULL;
	char v[512];
	size_t n;
	void *p;
	int f;

	if (!s || !name || !value)
		return -EINVAL;
	for (f = 0; f < _CVM_SF_MAX; f++)
		if (strcmp(fields[f].name, name) == 0) {
			d = &fields[f];
			break;
		}
	if (!d)
		return -ENOENT;
	n = strlen(value);
	if (n >= sizeof(v))
		return -EINVAL;
	memcpy(v, value, n + 1);
	if (n > 0 && v[n - 1] == '\n')
		v[--n] = '\0';

	s->present &= ~(UINT64_C(1) << f);
	if (d->unknown_means_absent && strcmp(v, "unknown") == 0)
		return 0;
	p = (char *)s + d->off;
	switch (d->type) {
	case V_WORD:
		if (!state_is_word(v, d->size))
			return -EINVAL;
		memcpy(p, v, n + 1);
		break;
	case V_BOOL:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return -EINVAL;
		*(bool *)p = v[0] == '1';
		break;
	case V_HEX:
		if (n == 0 || n % 2 || n >= d->size || !is_hex(v, n))
			return -EINVAL;
		memcpy(p, v, n + 1);
		break;
	case V_HEX64:
		if (n != 18 || v[0] != '0' || v[1] != 'x' || !is_hex(v + 2, 16))
			return -EINVAL;
		*(uint64_t *)p = strtoull(v + 2, NULL, 16);
		break;
	case V_U32:
		if (parse_int(v, false, 0, 0, UINT32_MAX, p, d->size) < 0)
			return -EINVAL;
		break;
	case V_U64:
		if (parse_int(v, false, 0, 0, UINT64_MAX, p, d->size) < 0)
			return -EINVAL;
		break;
	case V_S32:
		if (parse_int(v, true, INT32_MIN, INT32_MAX, 0, p, d->size) < 0)
			return -EINVAL;
		break;
	case V_S64:
		if (parse_int(v, true, INT64_MIN, INT64_MAX, 0, p, d->size) < 0)
			return -EINVAL;
		break;
	case V_TEXT:
		if (n >= d->size)
			return -EINVAL;
		/* Shown on terminals and in labels: no control characters. */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
				v[i] = '?';
		memcpy(p, v, n + 1);
		break;
	}
	s->present |= UINT64_C(1) << f;
	return 0;
}

const char *state_string(const struct cvm_state *s, enum cvm_state_field fld)
{
	switch (fields[fld].type) {
	case V_WORD:
	case V_HEX:
	case V_TEXT:
		return (const char *)s + fields[fld].off;
	default:
		return "";
	}
}

bool state_flag(const struct cvm_state *s, enum cvm_state_field fld)
{
	return cvm_state_has(s, fld) && *(const bool *)((const char *)s + fields[fld].off);
}

const char *state_errno_name(int e)
{
	const char *n;

	if (e == INT_MIN)
		return "";	/* no errno; and -INT_MIN does not exist */
	if (e < 0)
		e = -e;
	n = e ? strerrorname_np(e) : NULL;
	return n ? n : "";
}

void state_format_errno(int e, char *buf, size_t len)
{
	const char *n = state_errno_name(e);

	if (*n)
		snprintf(buf, len, "%d (%s)", e, n);
	else
		snprintf(buf, len, "%d", e);
}

void state_format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%" PRId64, t);
}

/* "3d 4h", "7h 59m", "5m 3s", "12s" */
void state_format_duration(int64_t secs, char *buf, size_t len)
{
	uint64_t s = secs < 0 ? (uint64_t)0 - (uint64_t)secs : (uint64_t)secs;

	if (s >= 86400 * 365)
		snprintf(buf, len, "%" PRIu64 "y %" PRIu64 "d", s / (86400 * 365), s % (86400 * 365) / 86400);
	else if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
}
