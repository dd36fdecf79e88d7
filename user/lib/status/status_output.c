// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The node's state as text for people, one JSON object, or node-exporter
 * text format.  JSON keys and metric names are documented in
 * Documentation/admin-guide/cvmattest-status.rst; the module's values keep
 * their sysfs file names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/cvmattest.h>

#include "status/status.h"


/* ---- JSON ----------------------------------------------------------------- */

/* Adds, consuming @v; a failed allocation just leaves null behind. */
static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

static json_t *jtri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *field_json(const struct cvm_state *s, enum cvm_state_field f)
{
	char buf[32];

	if (!cvm_state_has(s, f))
		return json_null();
	switch (f) {
	case CVM_SF_PLATFORM:
		return json_text(s->platform);
	case CVM_SF_PROVIDER:
		return json_text(s->provider);
	case CVM_SF_MEM_ENCRYPT:
		return json_boolean(s->mem_encrypt);
	case CVM_SF_SEV:
		return json_boolean(s->sev);
	case CVM_SF_SEV_ES:
		return json_boolean(s->sev_es);
	case CVM_SF_SEV_SNP:
		return json_boolean(s->sev_snp);
	case CVM_SF_TDX:
		return json_boolean(s->tdx);
	case CVM_SF_SECURE_BOOT:
		return json_text(s->secure_boot);
	case CVM_SF_LOCKDOWN:
		return json_text(s->lockdown);
	case CVM_SF_MODULE_SIG_ENFORCE:
		return json_boolean(s->module_sig_enforce);
	case CVM_SF_TPM:
		return json_text(s->tpm);
	case CVM_SF_LAUNCH_DEBUG:
		return json_boolean(s->launch_debug);
	case CVM_SF_LAUNCH_MEASUREMENT:
		return json_text(s->launch_measurement);
	case CVM_SF_LAUNCH_POLICY:
		/* A bit field, kept as sysfs and `cvmattest verify --json` write it. */
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, s->launch_policy);
		return json_text(buf);
	case CVM_SF_LAUNCH_TCB:
		return json_text(s->launch_tcb);
	case CVM_SF_LAUNCH_REPORT_VERSION:
		return json_integer(s->launch_report_version);
	case CVM_SF_REQUESTS:
		return json_integer((json_int_t)s->requests);
	case CVM_SF_ERRORS:
		return json_integer((json_int_t)s->errors);
	case CVM_SF_RETRIES:
		return json_integer((json_int_t)s->retries);
	case CVM_SF_LAST_ERROR:
		return json_integer(s->last_error);
	case CVM_SF_LAST_ERROR_TIME:
		return json_integer(s->last_error_time);
	case CVM_SF_ATTESTATION_STATE:
		return json_text(s->attestation_state);
	case CVM_SF_ATTESTATION_TIME:
		return json_integer(s->attestation_time);
	case CVM_SF_ATTESTATION_VERIFIER:
		return json_text(s->attestation_verifier);
	case CVM_SF_ATTESTATION_EXPIRY:
		return json_integer(s->attestation_expiry);
	case CVM_SF_ATTESTATION_REASON:
		return json_text(s->attestation_reason);
	default:
		return json_null();
	}
}

static json_t *device_json(const struct cvm_state *s)
{
	const struct cvm_device_info *d = &s->device;
	json_t *o = json_object(), *caps;

	if (!o)
		return NULL;
	set(o, "available", json_boolean(s->device_error == 0));
	set(o, "error", s->device_error ? json_text(state_errno_name(s->device_error)) : json_null());
	if (s->device_error)
		return o;
	set(o, "abi_version", json_integer(d->abi_version));
	set(o, "provider_name", json_text(d->provider_name));
	set(o, "provider_id", json_integer(d->provider));
	set(o, "platform_id", json_integer(d->platform));
	caps = json_array();
	if (caps) {
		if (d->caps & CVMATTEST_CAP_CERTS)
			json_array_append_new(caps, json_string("certs"));
		if (d->caps & CVMATTEST_CAP_QUOTE)
			json_array_append_new(caps, json_string("quote"));
		if (d->caps & CVMATTEST_CAP_PRIVLEVEL)
			json_array_append_new(caps, json_string("privlevel"));
	}
	set(o, "caps", caps);
	set(o, "evidence_max", json_integer(d->evidence_max));
	set(o, "certs_max", json_integer(d->certs_max));
	set(o, "privlevel_floor", json_integer(d->privlevel_floor));
	set(o, "privlevel_max", json_integer(d->privlevel_max));
	return o;
}

/* What the host is and which kernel interfaces it offers, whether or not the module is there. */
static json_t *host_json(const struct cvm_state *s)
{
	json_t *o = json_object(), *flags = json_object(), *ifs = json_object();
	const char *p = s->host_platform;

	if (!o || !flags || !ifs) {
		json_decref(o);
		json_decref(flags);
		json_decref(ifs);
		return NULL;
	}
	set(o, "platform", json_text(*p ? p : "none"));
	/* behind the paravisor only the HCL report tells, which this does not read */
	set(o, "confidential_vm", strcmp(p, "sev-snp") == 0 || strcmp(p, "tdx") == 0 ? json_true() :
				  strcmp(p, "azure-vtpm") == 0 ? json_null() : json_false());
	set(o, "azure", json_boolean(s->azure));
	set(o, "sys_vendor", *s->sys_vendor ? json_text(s->sys_vendor) : json_null());
	set(flags, "sev_snp", jtri(s->cpu_sev_snp));
	set(flags, "tdx_guest", jtri(s->cpu_tdx_guest));
	set(o, "cpu_flags", flags);
	set(ifs, "sev_guest", json_boolean(s->sev_guest_node));
	set(ifs, "tdx_guest", json_boolean(s->tdx_guest_node));
	set(ifs, "configfs_tsm", json_boolean(s->tsm_report));
	set(ifs, "tsm_provider", *s->tsm_provider ? json_text(s->tsm_provider) : json_null());
	set(ifs, "tdx_measurements", json_boolean(s->tdx_measurements));
	set(ifs, "tpm", json_boolean(s->tpm_node));
	set(ifs, "hcl_report", jtri(s->tpm_hcl_report));
	set(ifs, "cvmattest", json_boolean(s->module_loaded));
	set(o, "interfaces", ifs);
	set(o, "lockdown", *s->host_lockdown ? json_text(s->host_lockdown) : json_null());
	return o;
}

int cvm_state_to_json(const struct cvm_state *s, char **ret)
{
	json_t *o, *findings;
	const char *err_name;
	bool has_expiry;

	if (!s || !ret)
		return -EINVAL;
	o = json_object();
	if (!o)
		return -ENOMEM;
	set(o, "source", json_text(s->source));
	set(o, "time", json_integer(s->now));
	set(o, "kernel", *s->kernel_release ? json_text(s->kernel_release) : json_null());
	set(o, "host", host_json(s));
	set(o, "module_loaded", json_boolean(s->module_loaded));
	set(o, "module_installed", jtri(s->module_installed));
	set(o, "module_unsigned", jtri(s->module_unsigned));
	for (int f = 0; f < _CVM_SF_MAX; f++)
		set(o, cvm_state_field_name(f), field_json(s, f));
	err_name = cvm_state_has(s, CVM_SF_LAST_ERROR) ? state_errno_name(s->last_error) : "";
	set(o, "last_error_name", *err_name ? json_text(err_name) : json_null());
	has_expiry = cvm_state_has(s, CVM_SF_ATTESTATION_EXPIRY) && s->attestation_expiry > 0;
	set(o, "attestation_expired", has_expiry ? json_boolean(s->attestation_expiry <= s->now) :
						   json_null());
	set(o, "attestation_expires_in", has_expiry ? json_integer(s->attestation_expiry - s->now) :
						      json_null());
	set(o, "device", s->device_queried ? device_json(s) : json_null());
	set(o, "verdict", json_string(cvm_verdict_name(s->verdict)));
	set(o, "can_attest", json_boolean(s->verdict != CVM_VERDICT_CANNOT));
	findings = json_array();
	for (size_t i = 0; findings && i < s->n_findings; i++) {
		const struct cvm_finding *f = &s->findings[i];
		json_t *jf = json_object();

		if (!jf)
			break;
		set(jf, "id", json_text(f->id));
		set(jf, "severity", json_text(cvm_severity_name(f->severity)));
		set(jf, "why", json_text(f->why));
		set(jf, "fix", *f->fix ? json_text(f->fix) : json_null());
		json_array_append_new(findings, jf);
	}
	set(o, "findings", findings);
	*ret = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *ret ? 0 : -ENOMEM;
}

/* ---- text -------------------------------------------------------------------- */

#define LABEL_W 20
#define TEXT_W 78

static const char *word(const struct cvm_state *s, enum cvm_state_field f, const char *v)
{
	return cvm_state_has(s, f) ? v : "unknown";
}

static const char *yesno(const struct cvm_state *s, enum cvm_state_field f, bool v)
{
	return cvm_state_has(s, f) ? (v ? "yes" : "no") : "unknown";
}

static void line(FILE *f, const char *label, const char *fmt, ...) _printf_(3, 4);
static void line(FILE *f, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "%-*s", LABEL_W, label);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

/* Words of @text, wrapped at TEXT_W: @first before the first line, @indent before the rest. */
static void wrap(FILE *f, const char *first, const char *indent, const char *text)
{
	size_t col = strlen(first), ind = strlen(indent);
	const char *p = text;

	fputs(first, f);
	while (*p) {
		size_t n = strcspn(p, " ");

		if (col > ind && col + 1 + n > TEXT_W) {
			fprintf(f, "\n%s", indent);
			col = ind;
		} else if (col > ind && p != text) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, n, f);
		col += n;
		p += n;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void text_when(FILE *f, const char *label, const struct cvm_state *s, int64_t t,
		      const char *what)
{
	char when[48], dur[32];

	state_format_time(t, when, sizeof(when));
	state_format_duration(t - s->now, dur, sizeof(dur));
	if (t > s->now)
		line(f, label, "%s%s (in %s)", what, when, dur);
	else
		line(f, label, "%s%s (%s ago)", what, when, dur);
}

static void text_device(FILE *f, const struct cvm_state *s)
{
	const struct cvm_device_info *d = &s->device;
	char caps[96] = "", limit[48] = "";

	if (!s->device_queried)
		return;
	if (s->device_error == -ENOENT) {
		line(f, "Device:", "%s missing", CVM_DEVICE_PATH);
		return;
	}
	if (s->device_error == -EACCES || s->device_error == -EPERM) {
		line(f, "Device:", "%s (root only: not queried)", CVM_DEVICE_PATH);
		return;
	}
	if (s->device_error) {
		line(f, "Device:", "%s: %s", CVM_DEVICE_PATH, strerror(-s->device_error));
		return;
	}
	if (d->caps & CVMATTEST_CAP_CERTS)
		strcat(caps, ", certificates");
	if (d->caps & CVMATTEST_CAP_QUOTE)
		strcat(caps, ", quotes");
	if (d->caps & CVMATTEST_CAP_PRIVLEVEL)
		snprintf(caps + strlen(caps), sizeof(caps) - strlen(caps), ", VMPL %u-%u",
			 d->privlevel_floor, d->privlevel_max);
	if (d->evidence_max)
		snprintf(limit, sizeof(limit), ", evidence up to %u bytes", d->evidence_max);
	line(f, "Device:", "%s, ABI %u, provider %s%s%s", CVM_DEVICE_PATH, d->abi_version,
	     d->provider_name, limit, caps);
}

static void text_values(FILE *f, const struct cvm_state *s)
{
	const char *unsigned_note = s->module_unsigned == 1 ? "; cvmattest.ko is unsigned" : "";

	line(f, "Platform:", "%s, provider %s", word(s, CVM_SF_PLATFORM, s->platform),
	     word(s, CVM_SF_PROVIDER, s->provider));
	text_device(f, s);
	line(f, "Memory encryption:", "%s (SEV %s, SEV-ES %s, SEV-SNP %s, TDX %s)",
	     yesno(s, CVM_SF_MEM_ENCRYPT, s->mem_encrypt), yesno(s, CVM_SF_SEV, s->sev),
	     yesno(s, CVM_SF_SEV_ES, s->sev_es), yesno(s, CVM_SF_SEV_SNP, s->sev_snp),
	     yesno(s, CVM_SF_TDX, s->tdx));
	line(f, "Secure Boot:", "%s", word(s, CVM_SF_SECURE_BOOT, s->secure_boot));
	line(f, "Kernel lockdown:", "%s", word(s, CVM_SF_LOCKDOWN, s->lockdown));
	line(f, "Module signatures:", "%s%s",
	     !cvm_state_has(s, CVM_SF_MODULE_SIG_ENFORCE) ? "unknown" :
	     s->module_sig_enforce ? "enforced" : "not enforced", unsigned_note);
	line(f, "TPM:", "%s", word(s, CVM_SF_TPM, s->tpm));

	if (!cvm_state_has(s, CVM_SF_LAUNCH_DEBUG)) {
		line(f, "Launch evidence:", "none (the platform gave no report)");
	} else {
		char ver[32] = "";

		if (cvm_state_has(s, CVM_SF_LAUNCH_REPORT_VERSION))
			snprintf(ver, sizeof(ver), ", report version %u", s->launch_report_version);
		line(f, "Launch evidence:", "%s%s",
		     s->launch_debug ? "DEBUG ALLOWED (the host can read this guest)" :
				       "debug not allowed", ver);
		if (cvm_state_has(s, CVM_SF_LAUNCH_MEASUREMENT)) {
			size_t n = strlen(s->launch_measurement);

			/* 96 hex digits: two lines of 48 */
			line(f, "  measurement", "%.48s", s->launch_measurement);
			if (n > 48)
				line(f, "", "%s", s->launch_measurement + 48);
		}
		if (cvm_state_has(s, CVM_SF_LAUNCH_POLICY))
			line(f, strcmp(s->platform, "tdx") == 0 ? "  TD attributes" : "  policy",
			     "0x%016" PRIx64, s->launch_policy);
		if (cvm_state_has(s, CVM_SF_LAUNCH_TCB))
			line(f, "  TCB", "%s", s->launch_tcb);
	}

	if (cvm_state_has(s, CVM_SF_REQUESTS))
		line(f, "Evidence requests:", "%" PRIu64 ", %" PRIu64 " failed, %" PRIu64 " retries",
		     s->requests, s->errors, s->retries);
	if (cvm_state_has(s, CVM_SF_LAST_ERROR) && s->last_error) {
		char e[48], what[64];

		state_format_errno(s->last_error, e, sizeof(e));
		snprintf(what, sizeof(what), "%s at ", e);
		text_when(f, "Last error:", s, s->last_error_time, what);
	}

	if (!cvm_state_has(s, CVM_SF_ATTESTATION_STATE) ||
	    strcmp(s->attestation_state, "unknown") == 0) {
		line(f, "Attestation:", "none reported yet");
		return;
	}
	if (cvm_state_has(s, CVM_SF_ATTESTATION_TIME) && s->attestation_time > 0) {
		char what[48];

		snprintf(what, sizeof(what), "%s at ", s->attestation_state);
		text_when(f, "Attestation:", s, s->attestation_time, what);
	} else {
		line(f, "Attestation:", "%s", s->attestation_state);
	}
	if (*s->attestation_verifier)
		line(f, "  verifier", "%s", s->attestation_verifier);
	if (cvm_state_has(s, CVM_SF_ATTESTATION_EXPIRY) && s->attestation_expiry > 0)
		text_when(f, s->attestation_expiry > s->now ? "  token expires" : "  token expired",
			  s, s->attestation_expiry, "");
	if (*s->attestation_reason)
		line(f, "  reason", "%s", s->attestation_reason);
}

static const char *host_platform_text(const struct cvm_state *s)
{
	const char *p = s->host_platform;

	if (strcmp(p, "sev-snp") == 0)
		return "AMD SEV-SNP guest";
	if (strcmp(p, "tdx") == 0)
		return "Intel TDX guest";
	if (strcmp(p, "azure-vtpm") == 0 && s->tpm_hcl_report == 1)
		return "confidential VM behind Azure's paravisor (HCL report in the vTPM)";
	if (strcmp(p, "azure-vtpm") == 0)
		return "Azure VM with a vTPM (CVM if NV 0x01400001 has a report)";
	return "not a confidential VM";
}

static void text_host(FILE *f, const struct cvm_state *s)
{
	const char *how = "";

	if (s->cpu_sev_snp == 1)
		how = " (CPU flag sev_snp)";
	else if (s->cpu_tdx_guest == 1)
		how = " (CPU flag tdx_guest)";
	line(f, "Host:", "%s%s", host_platform_text(s), how);
	line(f, "  interfaces", "/dev/sev-guest %s, /dev/tdx_guest %s, configfs-tsm %s%s%s%s,",
	     s->sev_guest_node ? "yes" : "no", s->tdx_guest_node ? "yes" : "no",
	     s->tsm_report ? "yes" : "no", s->tsm_report && *s->tsm_provider ? " (" : "",
	     s->tsm_report ? s->tsm_provider : "", s->tsm_report && *s->tsm_provider ? ")" : "");
	line(f, "", "TDX measurements %s, TPM %s%s", s->tdx_measurements ? "yes" : "no",
	     s->tpm_node ? "yes" : "no",
	     !s->tpm_node || s->tpm_hcl_report < 0 ? "" :
	     s->tpm_hcl_report ? " (with Azure's HCL report, NV 0x01400001)" :
	     " (no HCL report in NV 0x01400001: not behind Azure's paravisor)");
}

static void text_findings(FILE *f, const struct cvm_state *s, enum cvm_severity sev,
			  const char *title)
{
	bool first = true;

	for (size_t i = 0; i < s->n_findings; i++) {
		const struct cvm_finding *x = &s->findings[i];

		if (x->severity != sev)
			continue;
		if (first && title)
			fprintf(f, "%s\n", title);
		first = false;
		wrap(f, "  - ", "    ", x->why);
		if (*x->fix) {
			char *to_fix = NULL;

			if (asprintf(&to_fix, "To fix: %s", x->fix) >= 0) {
				wrap(f, "    ", "    ", to_fix);
				free(to_fix);
			}
		}
	}
}

int cvm_state_to_text(const struct cvm_state *s, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!s || !ret)
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;

	text_host(f, s);
	if (s->module_loaded)
		line(f, "Module:", "cvmattest loaded%s%s%s", *s->kernel_release ? " (kernel " : "",
		     s->kernel_release, *s->kernel_release ? ")" : "");
	else
		line(f, "Module:", "cvmattest NOT loaded (kernel %s; installed: %s)",
		     *s->kernel_release ? s->kernel_release : "unknown",
		     s->module_installed == 1 ? "yes" : s->module_installed == 0 ? "no" : "unknown");
	if (s->module_loaded)
		text_values(f, s);
	fputc('\n', f);

	switch (s->verdict) {
	case CVM_VERDICT_OK:
		fprintf(f, "Attestation can work here.\n");
		break;
	case CVM_VERDICT_ATTENTION:
		fprintf(f, "Attestation can work here, but needs attention:\n");
		text_findings(f, s, CVM_FINDING_WARNING, NULL);
		break;
	case CVM_VERDICT_CANNOT:
		fprintf(f, "Attestation cannot work here:\n");
		text_findings(f, s, CVM_FINDING_BLOCKER, NULL);
		text_findings(f, s, CVM_FINDING_WARNING, "Also needs attention:");
		break;
	}
	text_findings(f, s, CVM_FINDING_INFO, "Notes:");

	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

/* ---- Prometheus (node-exporter textfile collector) ---------------------------------- */

static void metric_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP cvmattest_%s %s\n# TYPE cvmattest_%s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void label(FILE *f, bool *first, const char *name, const char *v)
{
	fprintf(f, "%s%s=", *first ? "{" : ",", name);
	label_value(f, v);
	*first = false;
}

static void gauge_bool(FILE *f, const struct cvm_state *s, enum cvm_state_field fld, bool v,
		       const char *help)
{
	const char *name = cvm_state_field_name(fld);

	if (!cvm_state_has(s, fld))
		return;
	metric_head(f, name, "gauge", help);
	fprintf(f, "cvmattest_%s %d\n", name, v);
}

/* A state set: one series per possible value, 1 for the current one. */
static void stateset(FILE *f, const char *name, const char *lbl, const char *const *values,
		     const char *cur, const char *help)
{
	metric_head(f, name, "gauge", help);
	for (; *values; values++) {
		fprintf(f, "cvmattest_%s{%s=", name, lbl);
		label_value(f, *values);
		fprintf(f, "} %d\n", strcmp(*values, cur) == 0);
	}
}

static void prom_info(FILE *f, const struct cvm_state *s)
{
	static const struct {
		const char *label;
		enum cvm_state_field fld;
	} labels[] = {
		{ "platform", CVM_SF_PLATFORM },
		{ "provider", CVM_SF_PROVIDER },
		{ "secure_boot", CVM_SF_SECURE_BOOT },
		{ "lockdown", CVM_SF_LOCKDOWN },
		{ "tpm", CVM_SF_TPM },
	};
	bool first = true;

	metric_head(f, "info", "gauge", "Platform and provider of this guest, as labels.");
	fputs("cvmattest_info", f);
	if (*s->kernel_release)
		label(f, &first, "kernel", s->kernel_release);
	for (size_t i = 0; i < ELEMENTSOF(labels); i++)
		if (cvm_state_has(s, labels[i].fld))
			label(f, &first, labels[i].label, state_string(s, labels[i].fld));
	fprintf(f, "%s 1\n", first ? "" : "}");
}

static void prom_values(FILE *f, const struct cvm_state *s)
{
	static const char *const lockdown_modes[] = { "none", "integrity", "confidentiality", NULL };
	static const char *const att_states[] = { "unknown", "verified", "failed", NULL };

	prom_info(f, s);
	gauge_bool(f, s, CVM_SF_MEM_ENCRYPT, s->mem_encrypt, "1 if memory encryption is active.");
	gauge_bool(f, s, CVM_SF_SEV, s->sev, "1 in an AMD SEV guest.");
	gauge_bool(f, s, CVM_SF_SEV_ES, s->sev_es, "1 in an AMD SEV-ES guest.");
	gauge_bool(f, s, CVM_SF_SEV_SNP, s->sev_snp, "1 if the kernel runs as an SEV-SNP guest.");
	gauge_bool(f, s, CVM_SF_TDX, s->tdx, "1 if the kernel runs as an Intel TDX guest.");
	if (cvm_state_has(s, CVM_SF_SECURE_BOOT) && strcmp(s->secure_boot, "unknown") != 0) {
		metric_head(f, "secure_boot", "gauge", "1 if UEFI Secure Boot is enabled.");
		fprintf(f, "cvmattest_secure_boot %d\n", strcmp(s->secure_boot, "enabled") == 0);
	}
	if (cvm_state_has(s, CVM_SF_LOCKDOWN))
		stateset(f, "lockdown", "mode", lockdown_modes, s->lockdown,
			 "Kernel lockdown mode (1 for the current one).");
	gauge_bool(f, s, CVM_SF_MODULE_SIG_ENFORCE, s->module_sig_enforce,
		   "1 if only signed modules can be loaded.");
	if (cvm_state_has(s, CVM_SF_TPM)) {
		metric_head(f, "tpm_present", "gauge", "1 if the kernel has a TPM.");
		fprintf(f, "cvmattest_tpm_present %d\n", strcmp(s->tpm, "none") != 0);
	}
	if (s->module_unsigned >= 0) {
		metric_head(f, "module_unsigned", "gauge",
			    "1 if cvmattest.ko is not signed (kernel taint E).");
		fprintf(f, "cvmattest_module_unsigned %d\n", s->module_unsigned);
	}

	gauge_bool(f, s, CVM_SF_LAUNCH_DEBUG, s->launch_debug,
		   "1 if the launch evidence allows the host to debug this guest (absent: no evidence).");
	if (cvm_state_has(s, CVM_SF_LAUNCH_MEASUREMENT)) {
		bool first = true;
		char v[32];

		metric_head(f, "launch_info", "gauge", "The launch evidence, as labels.");
		fputs("cvmattest_launch_info", f);
		label(f, &first, "measurement", s->launch_measurement);
		if (cvm_state_has(s, CVM_SF_LAUNCH_POLICY)) {
			snprintf(v, sizeof(v), "0x%016" PRIx64, s->launch_policy);
			label(f, &first, "policy", v);
		}
		if (cvm_state_has(s, CVM_SF_LAUNCH_TCB))
			label(f, &first, "tcb", s->launch_tcb);
		if (cvm_state_has(s, CVM_SF_LAUNCH_REPORT_VERSION)) {
			snprintf(v, sizeof(v), "%u", s->launch_report_version);
			label(f, &first, "report_version", v);
		}
		fputs("} 1\n", f);
	}

	if (cvm_state_has(s, CVM_SF_REQUESTS)) {
		metric_head(f, "requests_total", "counter",
			    "Evidence requests that reached the provider since the module was loaded.");
		fprintf(f, "cvmattest_requests_total %" PRIu64 "\n", s->requests);
	}
	if (cvm_state_has(s, CVM_SF_ERRORS)) {
		metric_head(f, "errors_total", "counter", "Evidence requests that failed.");
		fprintf(f, "cvmattest_errors_total %" PRIu64 "\n", s->errors);
	}
	if (cvm_state_has(s, CVM_SF_RETRIES)) {
		metric_head(f, "retries_total", "counter", "Retries of a busy platform.");
		fprintf(f, "cvmattest_retries_total %" PRIu64 "\n", s->retries);
	}
	if (cvm_state_has(s, CVM_SF_LAST_ERROR)) {
		metric_head(f, "last_error", "gauge",
			    "Negative errno of the last failed evidence request, 0 if none.");
		fprintf(f, "cvmattest_last_error %d\n", s->last_error);
	}
	if (cvm_state_has(s, CVM_SF_LAST_ERROR_TIME)) {
		metric_head(f, "last_error_timestamp_seconds", "gauge",
			    "When the last evidence request failed (Unix time), 0 if none.");
		fprintf(f, "cvmattest_last_error_timestamp_seconds %" PRId64 "\n", s->last_error_time);
	}

	if (cvm_state_has(s, CVM_SF_ATTESTATION_STATE))
		stateset(f, "attestation_state", "state", att_states, s->attestation_state,
			 "Outcome of the last attestation (1 for the current state).");
	if (cvm_state_has(s, CVM_SF_ATTESTATION_TIME)) {
		metric_head(f, "attestation_timestamp_seconds", "gauge",
			    "When the last attestation ended (Unix time), 0 if none.");
		fprintf(f, "cvmattest_attestation_timestamp_seconds %" PRId64 "\n", s->attestation_time);
	}
	if (cvm_state_has(s, CVM_SF_ATTESTATION_EXPIRY)) {
		metric_head(f, "attestation_expiry_seconds", "gauge",
			    "Expiry of the last attestation token (Unix time), 0 if none.");
		fprintf(f, "cvmattest_attestation_expiry_seconds %" PRId64 "\n", s->attestation_expiry);
	}
	if (cvm_state_has(s, CVM_SF_ATTESTATION_VERIFIER) && cvm_state_has(s, CVM_SF_ATTESTATION_REASON)) {
		bool first = true;

		metric_head(f, "attestation_info", "gauge",
			    "Verifier and failure reason of the last attestation, as labels.");
		fputs("cvmattest_attestation_info", f);
		label(f, &first, "verifier", s->attestation_verifier);
		label(f, &first, "reason", s->attestation_reason);
		fputs("} 1\n", f);
	}
}

static void prom_host(FILE *f, const struct cvm_state *s)
{
	bool first = true;

	metric_head(f, "host_info", "gauge",
		    "What the host is and which kernel interfaces it offers, judged without the module.");
	fputs("cvmattest_host_info", f);
	label(f, &first, "platform", *s->host_platform ? s->host_platform : "none");
	label(f, &first, "sev_guest", s->sev_guest_node ? "1" : "0");
	label(f, &first, "tdx_guest", s->tdx_guest_node ? "1" : "0");
	label(f, &first, "configfs_tsm", s->tsm_report ? "1" : "0");
	label(f, &first, "tdx_measurements", s->tdx_measurements ? "1" : "0");
	label(f, &first, "tpm", s->tpm_node ? "1" : "0");
	label(f, &first, "hcl_report", s->tpm_hcl_report < 0 ? "unknown" : s->tpm_hcl_report ? "1" : "0");
	fputs("} 1\n", f);
}

int cvm_state_to_prometheus(const struct cvm_state *s, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!s || !ret)
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;

	metric_head(f, "up", "gauge", "1 if the cvmattest module is loaded and its state was read.");
	fprintf(f, "cvmattest_up %d\n", s->module_loaded);
	if (s->module_installed >= 0) {
		metric_head(f, "module_installed", "gauge",
			    "1 if cvmattest.ko is installed for the running kernel.");
		fprintf(f, "cvmattest_module_installed %d\n", s->module_installed);
	}
	prom_host(f, s);
	if (s->module_loaded)
		prom_values(f, s);
	metric_head(f, "can_attest", "gauge",
		    "1 if attestation can work here (no blocker was found).");
	fprintf(f, "cvmattest_can_attest %d\n", s->verdict != CVM_VERDICT_CANNOT);
	metric_head(f, "verdict", "gauge", "Overall verdict of cvmattest status (1 for the current one).");
	for (int v = CVM_VERDICT_OK; v <= CVM_VERDICT_CANNOT; v++)
		fprintf(f, "cvmattest_verdict{verdict=\"%s\"} %d\n", cvm_verdict_name(v),
			s->verdict == (enum cvm_verdict)v);
	if (s->n_findings) {
		metric_head(f, "finding", "gauge",
			    "One series per finding of the diagnosis (see cvmattest status).");
		for (size_t i = 0; i < s->n_findings; i++)
			fprintf(f, "cvmattest_finding{id=\"%s\",severity=\"%s\"} 1\n", s->findings[i].id,
				cvm_severity_name(s->findings[i].severity));
	}

	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}
