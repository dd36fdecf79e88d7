// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "azsvc.h"
#include "testutil.h"

/* tests/azure-service, next to this file's directory. */
const char *azsvc_dir(void)
{
	static char dir[1024];
	const char *env = getenv("CVMATTEST_AZSVC");
	char *slash;

	if (env && *env)
		return env;
	snprintf(dir, sizeof(dir), "%s", __FILE__);
	slash = strrchr(dir, '/');
	if (!slash)
		return "../azure-service";
	snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/../azure-service");
	return dir;
}

long azsvc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void copy_str(char *dst, size_t len, json_t *v)
{
	snprintf(dst, len, "%s", json_string_value(v) ? json_string_value(v) : "");
}

bool azsvc_start(struct azsvc *s, const char *const *extra)
{
	const char *sim = getenv("CVMATTEST_SIM");
	char prog[1200], ready[700];
	const char *argv[40];
	size_t n = 0;
	json_t *j = NULL;

	memset(s, 0, sizeof(*s));
	if (!sim || access(sim, X_OK) != 0) {
		fprintf(stderr, "skipped: the simulated platform (CVMATTEST_SIM) is not built\n");
		return false;
	}
	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "skipped: python3 is missing\n");
		return false;
	}
	if (system("python3 -c 'import cryptography' >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skipped: python3-cryptography is missing (the service needs it)\n");
		return false;
	}
	snprintf(s->sim, sizeof(s->sim), "%s", sim);
	snprintf(prog, sizeof(prog), "%s/azure-service", azsvc_dir());
	if (access(prog, R_OK) != 0) {
		fprintf(stderr, "skipped: %s is missing\n", prog);
		return false;
	}
	snprintf(s->state, sizeof(s->state), "%s/azsvc-%d", tmp_dir(), (int)getpid());
	mkdir(s->state, 0700);
	snprintf(ready, sizeof(ready), "%s/ready.json", s->state);
	unlink(ready);

	argv[n++] = "/usr/bin/python3";
	argv[n++] = prog;
	argv[n++] = "--state";
	argv[n++] = s->state;
	argv[n++] = "--port-attest";
	argv[n++] = "0";
	argv[n++] = "--port-kv";
	argv[n++] = "0";
	argv[n++] = "--port-imds";
	argv[n++] = "0";
	argv[n++] = "--port-admin";
	argv[n++] = "0";
	for (size_t i = 0; extra && extra[i] && n < 38; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char simdir[512], *slash;

		snprintf(simdir, sizeof(simdir), "%s", sim);
		slash = strrchr(simdir, '/');
		if (slash)
			*slash = 0;
		setenv("CVMATTEST_SIM_BIN", simdir, 1);
		if (!getenv("CVMATTEST_TEST_VERBOSE")) {
			int devnull = open("/dev/null", O_WRONLY);

			dup2(devnull, STDOUT_FILENO);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (long deadline = azsvc_now_ms() + 90000; azsvc_now_ms() < deadline;) {
		int status;

		j = json_load_file(ready, 0, NULL);
		if (j)
			break;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			fail_msg("azure-service exited before it was ready");
		}
		usleep(50000);
	}
	if (!j) {
		azsvc_stop(s);
		fail_msg("azure-service did not become ready");
	}
	copy_str(s->attest_url, sizeof(s->attest_url), json_object_get(j, "attest_url"));
	copy_str(s->kv_url, sizeof(s->kv_url), json_object_get(j, "kv_url"));
	copy_str(s->imds_url, sizeof(s->imds_url), json_object_get(j, "imds_url"));
	copy_str(s->admin_url, sizeof(s->admin_url), json_object_get(j, "admin_url"));
	copy_str(s->ca_bundle, sizeof(s->ca_bundle), json_object_get(j, "ca_bundle"));
	copy_str(s->kv_resource, sizeof(s->kv_resource), json_object_get(j, "kv_resource"));
	json_decref(j);
	return true;
}

void azsvc_stop(struct azsvc *s)
{
	int status;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 150; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return;
		}
		usleep(100000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

static long admin_call(const struct azsvc *s, const char *method, const char *path,
		       const char *body)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char url[512];
	long status = 0;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s%s", s->admin_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return status;
}

void azsvc_fault(const struct azsvc *s, const char *json_spec)
{
	long st = admin_call(s, "POST", "/faults", json_spec);

	if (st != 201)
		fail_msg("fault %s refused by the service (HTTP %ld)", json_spec, st);
}

void azsvc_clear_faults(const struct azsvc *s)
{
	assert_int_equal(admin_call(s, "DELETE", "/faults", NULL), 200);
}

static size_t read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		ssize_t k = read(fd, buf + n, cap - n);

		if (k < 0 && errno == EINTR)
			continue;
		assert_true(k >= 0);
		if (k == 0)
			break;
		n += (size_t)k;
		assert_true(n < cap);
	}
	return n;
}

void azsvc_create_key(const struct azsvc *s, const char *name, const char *const *args,
		      char *kid, size_t kid_len, uint8_t *material, size_t *material_len)
{
	char prog[1200];
	const char *argv[40];
	int out[2], mat[2], status;
	size_t n = 0, k;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/azure-service-admin", azsvc_dir());
	argv[n++] = "/usr/bin/python3";
	argv[n++] = prog;
	argv[n++] = "--state";
	argv[n++] = s->state;
	argv[n++] = "create-key";
	argv[n++] = "--name";
	argv[n++] = name;
	argv[n++] = "--material-fd";
	argv[n++] = "3";
	for (size_t i = 0; args && args[i] && n < 38; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(mat), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(mat[1], 3);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(mat[1]);
	k = read_all(out[0], (uint8_t *)kid, kid_len - 1);
	kid[k] = 0;
	while (k > 0 && (kid[k - 1] == '\n'))
		kid[--k] = 0;
	*material_len = read_all(mat[0], material, *material_len);
	close(out[0]);
	close(mat[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(kid[0] && *material_len > 0);
}
