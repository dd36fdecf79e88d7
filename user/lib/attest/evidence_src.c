// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where attestation evidence comes from:
 *   device    /dev/cvmattest (device.c), the normal case;
 *   configfs  configfs-tsm (/sys/kernel/config/tsm/report, kernels 6.7+),
 *             for guests without the module; tsm_dir points elsewhere in
 *             tests;
 *   command   a program (evidence_command) that writes the evidence for a
 *             REPORT_DATA into a file: the simulated platform's host tool in
 *             tests, or a site's own tool.  TESTING/debugging aid: the
 *             evidence is whatever that program says.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/cvmattest.h>
#include <openssl/rand.h>

#include "attest/attest.h"


extern char **environ;

#define EVIDENCE_MAX (1024 * 1024)

void att_evidence_done(struct att_evidence *e)
{
	if (!e)
		return;
	free(e->data);
	free(e->certs);
	memset(e, 0, sizeof(*e));
}

/* ---- configfs-tsm -------------------------------------------------------------- */


static int read_u64(const char *path, unsigned long long *ret)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;
	char *end;
	int r;

	r = read_file(path, 64, &buf, &len);
	if (r < 0)
		return r;
	errno = 0;
	*ret = strtoull((char *)buf, &end, 10);
	return errno || end == (char *)buf ? -EBADMSG : 0;
}

/*
 * privlevel (SEV-SNP's VMPL) before inblob: it is refused below the guest's
 * privlevel_floor (its own VMPL under an SVSM) and by providers without it
 * (tdx_guest shows no privlevel attribute).  Writing it counts in generation
 * too, so it comes before the generation is read.
 */
static int tsm_set_privlevel(struct cvm_ctx *ctx, const char *dir, int privlevel)
{
	char path[4200], text[16];
	unsigned long long floor = 0;
	int r;

	snprintf(path, sizeof(path), "%s/privlevel_floor", dir);
	r = read_u64(path, &floor);
	if (r == -ENOENT) {
		log_error(ctx, "vmpl = %d: this configfs-tsm provider has no privlevel (%s is "
			  "missing): VMPL is for SEV-SNP guests; remove vmpl from the configuration",
			  privlevel, path);
		return -EINVAL;
	}
	if (r < 0) {
		log_error(ctx, "Cannot read %s: %s", path, strerror(-r));
		return r;
	}
	if ((unsigned long long)privlevel < floor) {
		log_error(ctx, "vmpl = %d is below this guest's privlevel_floor %llu (it runs at "
			  "VMPL %llu, under an SVSM): the kernel refuses it; set vmpl = %llu or -1",
			  privlevel, floor, floor, floor);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/privlevel", dir);
	snprintf(text, sizeof(text), "%d\n", privlevel);
	r = write_path(path, 0, 0, text, strlen(text));
	if (r < 0)
		log_error(ctx, "Cannot set the report's VMPL in %s: %s", path, strerror(-r));
	return r;
}

int tsm_report(struct cvm_ctx *ctx, const char *tsm_dir, const uint8_t inblob[64], int privlevel,
	       char *provider, size_t provider_len, uint8_t **out, size_t *out_len,
	       uint8_t **aux, size_t *aux_len)
{
	char dir[4096], path[4200];
	uint32_t rnd = 0;
	int r = -EIO;

	(void)RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
	snprintf(dir, sizeof(dir), "%s/cvmattest-%d-%08x", tsm_dir, (int)getpid(), rnd);
	if (mkdir(dir, 0700) < 0) {
		r = -errno;
		log_error(ctx, "Cannot create a configfs-tsm report %s: %s%s", dir, strerror(-r),
			  r == -ENXIO ? " (no TSM provider: is sev-guest or tdx-guest loaded?)" :
			  r == -ENOENT ? " (kernel without configfs-tsm, or configfs not mounted)" : "");
		return r;
	}
	if (privlevel < 0) {
		unsigned long long floor = 0;

		/*
		 * The platform's own level: privlevel reads 0 until written, and
		 * under an SVSM (privlevel_floor > 0) the firmware refuses a
		 * report more privileged than the guest's VMPL, so ask for the
		 * floor there.
		 */
		snprintf(path, sizeof(path), "%s/privlevel_floor", dir);
		if (read_u64(path, &floor) == 0 && floor > 0 && floor <= 3)
			privlevel = (int)floor;
	}
	if (privlevel >= 0) {
		r = tsm_set_privlevel(ctx, dir, privlevel);
		if (r < 0) {
			if (rmdir(dir) < 0)
				log_debug(ctx, "Cannot remove %s: %s", dir, strerror(errno));
			return r;
		}
	}
	/* generation counts writes: if it moved by more than ours, someone raced us. */
	for (int attempt = 0; attempt < 3; attempt++) {
		unsigned long long g0, g1;
		_cleanup_free_ uint8_t *blob = NULL;
		size_t blob_len;

		snprintf(path, sizeof(path), "%s/generation", dir);
		r = read_u64(path, &g0);
		if (r < 0)
			break;
		snprintf(path, sizeof(path), "%s/inblob", dir);
		r = write_path(path, 0, 0, inblob, 64);
		if (r < 0)
			break;
		snprintf(path, sizeof(path), "%s/outblob", dir);
		r = read_file(path, EVIDENCE_MAX, &blob, &blob_len);
		if (r < 0)
			break;
		if (aux) {
			snprintf(path, sizeof(path), "%s/auxblob", dir);
			if (read_file(path, EVIDENCE_MAX, aux, aux_len) < 0) {
				*aux = NULL;
				*aux_len = 0;
			}
		}
		snprintf(path, sizeof(path), "%s/generation", dir);
		r = read_u64(path, &g1);
		if (r < 0)
			break;
		if (g1 != g0 + 1) {
			log_debug(ctx, "configfs-tsm generation moved %llu -> %llu: another writer; retrying",
				  g0, g1);
			if (aux) {
				free(*aux);
				*aux = NULL;
			}
			r = -EAGAIN;
			continue;
		}
		*out = TAKE_PTR(blob);
		*out_len = blob_len;
		r = 0;
		break;
	}
	if (r == 0 && provider) {
		_cleanup_free_ uint8_t *p = NULL;
		size_t pl;

		snprintf(path, sizeof(path), "%s/provider", dir);
		if (read_file(path, 64, &p, &pl) == 0) {
			while (pl > 0 && (p[pl - 1] == '\n' || p[pl - 1] == ' '))
				pl--;
			snprintf(provider, provider_len, "%.*s", (int)pl, (char *)p);
		} else {
			provider[0] = 0;
		}
	}
	if (r < 0)
		log_error(ctx, "configfs-tsm report in %s failed: %s", dir, strerror(-r));
	if (rmdir(dir) < 0)
		log_debug(ctx, "Cannot remove %s: %s", dir, strerror(errno));
	return r;
}

int cvm_tsm_get_evidence(struct cvm_ctx *ctx, const char *tsm_dir,
			 const struct cvm_evidence_request *req, struct cvm_evidence *ret,
			 char *provider, size_t provider_len)
{
	char name[64];
	int r;

	memset(ret, 0, sizeof(*ret));
	r = tsm_report(ctx, tsm_dir ? tsm_dir : CVM_TSM_REPORT_DIR, req->report_data,
		       req->has_privlevel ? (int)req->privlevel : -1, name, sizeof(name),
		       &ret->data, &ret->len, req->want_certs ? &ret->certs : NULL,
		       req->want_certs ? &ret->certs_len : NULL);
	if (r < 0) {
		cvm_evidence_done(ret);
		return r;
	}
	if (strcmp(name, "sev_guest") == 0) {
		ret->format = CVM_FORMAT_SNP_REPORT;
		ret->platform = CVMATTEST_PLATFORM_SEV_SNP;
	} else if (strcmp(name, "tdx_guest") == 0) {
		ret->format = CVM_FORMAT_TDX_QUOTE;
		ret->platform = CVMATTEST_PLATFORM_TDX;
	} else if (cvm_evidence_detect(ret->data, ret->len, &ret->format) < 0) {
		log_error(ctx, "configfs-tsm provider \"%s\" gave evidence of no known format", name);
		cvm_evidence_done(ret);
		return -EBADMSG;
	}
	if (ret->certs && ret->certs_len == 0) {
		free(ret->certs);
		ret->certs = NULL;
	}
	if (provider)
		snprintf(provider, provider_len, "%s", name);
	return 0;
}

/* ---- an evidence command ------------------------------------------------------------ */

static int run_command(struct cvm_ctx *ctx, const struct cvm_config *cfg, const char *command,
		       const char *rd_hex, const char *out, const char *certs)
{
	_cleanup_free_ char *copy = strdup(command);
	char *argv[64];
	size_t argc = 0;
	char *save = NULL;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int r, status;
	long waited = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc + 1 >= ELEMENTSOF(argv))
			return -E2BIG;
		if (strcmp(tok, "{report_data}") == 0)
			argv[argc++] = (char *)rd_hex;
		else if (strcmp(tok, "{out}") == 0)
			argv[argc++] = (char *)out;
		else if (strcmp(tok, "{certs}") == 0)
			argv[argc++] = (char *)certs;
		else
			argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (argc == 0)
		return log_error_errno(ctx, -EINVAL, "evidence_command is empty");
	posix_spawn_file_actions_init(&fa);
	/* Its stdout is not ours (we may be writing a key there); stderr passes through. */
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		log_error(ctx, "Cannot run evidence_command %s: %s", argv[0], strerror(r));
		return -r;
	}
	/* Bounded like a service call. */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (waited >= cfg->request_timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_error(ctx, "evidence_command %s did not finish within request_timeout", argv[0]);
			return -ETIMEDOUT;
		}
		poll(NULL, 0, 20);
		waited += 20;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(ctx, -EIO, "evidence_command %s failed (%s %d)", argv[0],
				       WIFEXITED(status) ? "exit status" : "signal",
				       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

static int evidence_from_command(struct cvm_ctx *ctx, const struct cvm_config *cfg,
				 const uint8_t report_data[64], struct att_evidence *ret)
{
	char tmpl[4096], out[4200], certs[4200], rd_hex[129];
	const char *tmp = getenv("TMPDIR");
	int r;

	if (!cfg->evidence_command || !*cfg->evidence_command)
		return log_error_errno(ctx, -EINVAL, "evidence = command needs evidence_command");
	snprintf(tmpl, sizeof(tmpl), "%s/cvmattest-evidence-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl))
		return -errno;
	snprintf(out, sizeof(out), "%s/evidence", tmpl);
	snprintf(certs, sizeof(certs), "%s/certs", tmpl);
	cvm_hex_encode(report_data, 64, rd_hex);
	r = run_command(ctx, cfg, cfg->evidence_command, rd_hex, out, certs);
	if (r == 0) {
		r = read_file(out, EVIDENCE_MAX, &ret->data, &ret->len);
		if (r < 0)
			log_error(ctx, "evidence_command wrote no evidence to {out}: %s", strerror(-r));
	}
	if (r == 0 && read_file(certs, EVIDENCE_MAX, &ret->certs, &ret->certs_len) == 0 &&
	    ret->certs_len == 0) {
		free(ret->certs);
		ret->certs = NULL;
	}
	unlink(out);
	unlink(certs);
	rmdir(tmpl);
	if (r < 0)
		return r;
	if (cvm_evidence_detect(ret->data, ret->len, &ret->format) < 0) {
		log_error(ctx, "evidence_command produced %zu bytes that are no known evidence format",
			  ret->len);
		return -EBADMSG;
	}
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int evidence_from_device(struct cvm_ctx *ctx, const struct cvm_config *cfg,
				const uint8_t report_data[64], bool want_certs,
				struct att_evidence *ret)
{
	struct cvm_evidence_request req = { 0 };
	struct cvm_device_info info;
	struct cvm_evidence ev = { 0 };
	int r;

	r = cvm_device_info(ctx, cfg->device, &info);
	if (r < 0)
		return r;
	memcpy(req.report_data, report_data, 64);
	if (cfg->vmpl >= 0) {
		if (info.provider != CVMATTEST_PROVIDER_SNP) {
			log_error(ctx, "vmpl = %d: the platform behind %s is not SEV-SNP; VMPL is for "
				  "SEV-SNP guests: remove vmpl from the configuration", cfg->vmpl,
				  cfg->device);
			return -EINVAL;
		}
		req.has_privlevel = true;
		req.privlevel = (uint32_t)cfg->vmpl;
	}
	if (info.provider == CVMATTEST_PROVIDER_SNP && want_certs && (info.caps & CVMATTEST_CAP_CERTS))
		req.want_certs = true;
	if (info.provider == CVMATTEST_PROVIDER_TDX && (info.caps & CVMATTEST_CAP_QUOTE) &&
	    list_has(cfg->tdx_quote, "device"))
		req.want_quote = true;
	r = cvm_device_get_evidence(ctx, cfg->device, &req, &ev);
	if (r < 0)
		return r;
	ret->format = ev.format;
	ret->platform = ev.platform;
	ret->data = TAKE_PTR(ev.data);
	ret->len = ev.len;
	if (ev.certs && ev.certs_len) {
		ret->certs = TAKE_PTR(ev.certs);
		ret->certs_len = ev.certs_len;
	}
	ret->from_device = true;
	cvm_evidence_done(&ev);
	return 0;
}

static int evidence_from_configfs(struct cvm_ctx *ctx, const struct cvm_config *cfg,
				  const uint8_t report_data[64], struct att_evidence *ret)
{
	struct cvm_evidence_request req = { .want_certs = true };
	struct cvm_evidence ev;
	int r;

	memcpy(req.report_data, report_data, 64);
	if (cfg->vmpl >= 0) {
		req.has_privlevel = true;
		req.privlevel = (uint32_t)cfg->vmpl;
	}
	r = cvm_tsm_get_evidence(ctx, cfg->tsm_dir, &req, &ev, NULL, 0);
	if (r < 0)
		return r;
	ret->format = ev.format;
	ret->platform = ev.platform;
	ret->data = TAKE_PTR(ev.data);
	ret->len = ev.len;
	ret->certs = TAKE_PTR(ev.certs);
	ret->certs_len = ev.certs_len;
	cvm_evidence_done(&ev);
	return 0;
}

int evidence_get(struct cvm_ctx *ctx, const struct cvm_config *cfg, const uint8_t report_data[64],
		 enum cvm_attest_type want, bool want_certs, struct att_evidence *ret)
{
	enum evidence_source src = cfg->evidence_source;
	int r;

	(void)want;
	memset(ret, 0, sizeof(*ret));
	if (src == EVIDENCE_AUTO) {
		struct stat st;

		if (cfg->evidence_command && *cfg->evidence_command)
			src = EVIDENCE_COMMAND;
		else if (stat(cfg->device, &st) == 0)
			src = EVIDENCE_DEVICE;
		else if (stat(cfg->tsm_dir, &st) == 0 && S_ISDIR(st.st_mode))
			src = EVIDENCE_CONFIGFS;
		else {
			log_error(ctx, "No evidence source: %s does not exist (load cvmattest.ko) and "
				  "this kernel has no configfs-tsm at %s", cfg->device, cfg->tsm_dir);
			return -ENODEV;
		}
	}
	switch (src) {
	case EVIDENCE_DEVICE:
		r = evidence_from_device(ctx, cfg, report_data, want_certs, ret);
		break;
	case EVIDENCE_CONFIGFS:
		r = evidence_from_configfs(ctx, cfg, report_data, ret);
		break;
	case EVIDENCE_COMMAND:
		r = evidence_from_command(ctx, cfg, report_data, ret);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		att_evidence_done(ret);
	else
		log_debug(ctx, "Evidence: %s, %zu bytes%s", cvm_format_name(ret->format), ret->len,
			  ret->certs ? " with certificates" : "");
	return r;
}
