// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HTTP through libcurl, the way every call to a service is made: TLS
 * verified (peer and host name) against ca_bundle or the system store; a
 * connect timeout and a per-request timeout; bounded retries on connection
 * failures and on 408/429/500/502/503/504 with exponential backoff and full
 * jitter; Retry-After honoured on 429 and 503 up to retry_after_max; all of
 * it inside total_timeout, so a call can never take longer than that; and a
 * response size limit.  No redirects are followed.  Authorization headers
 * and bodies are never logged.
 */
#include <errno.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/x509.h>
#include <openssl/rand.h>

#include "net/net.h"


static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct sink {
	uint8_t *buf;
	size_t len, cap, max;
	bool too_big;
	long retry_after_s;	/* -1: none */
	const char *capture;	/* header name to keep */
	char *header;
};

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (s->len + n > s->max) {
		s->too_big = true;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		uint8_t *nb;

		while (cap < s->len + n + 1)
			cap *= 2;
		/* Not realloc(): the old block would keep what it held (tokens, keys). */
		nb = malloc(cap);
		if (!nb)
			return 0;
		if (s->buf) {
			memcpy(nb, s->buf, s->len);
			OPENSSL_cleanse(s->buf, s->cap);
			free(s->buf);
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = 0;
	return n;
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";
	char value[128];
	size_t vl;

	if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		vl = n - (sizeof(name) - 1);
		if (vl >= sizeof(value))
			vl = sizeof(value) - 1;
		memcpy(value, data + sizeof(name) - 1, vl);
		value[vl] = 0;
		for (char *e = value + strlen(value); e > value && (e[-1] == '\r' || e[-1] == '\n' ||
								   e[-1] == ' ');)
			*--e = 0;
		{
			const char *v = value + strspn(value, " \t");
			char *end;
			long secs;

			errno = 0;
			secs = strtol(v, &end, 10);
			if (!errno && end != v && *end == 0 && secs >= 0) {
				s->retry_after_s = secs;
			} else {
				/* An HTTP-date (RFC 9110 10.2.3). */
				time_t t = curl_getdate(v, NULL);

				if (t != -1)
					s->retry_after_s = t > time(NULL) ? (long)(t - time(NULL)) : 0;
			}
		}
	}
	if (s->capture && n > strlen(s->capture) &&
	    strncasecmp(data, s->capture, strlen(s->capture)) == 0 && data[strlen(s->capture)] == ':') {
		size_t off = strlen(s->capture) + 1, end = n;
		char *v;

		while (off < end && (data[off] == ' ' || data[off] == '\t'))
			off++;
		while (end > off && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' '))
			end--;
		v = strndup(data + off, end - off);
		if (v) {
			free(s->header);
			s->header = v;
		}
	}
	/* A new response (after 100-continue) starts a new header block. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		s->retry_after_s = -1;
		free(s->header);
		s->header = NULL;
	}
	return n;
}

/* The header list holds the Authorization header: wipe each copy before it is freed. */
static void headers_free(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		if (p->data)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

int http_unescape(const char *s, char **ret)
{
	int n = 0;
	char *v = curl_easy_unescape(NULL, s, 0, &n);

	if (!v)
		return -ENOMEM;
	*ret = strndup(v, (size_t)n);
	curl_free(v);
	return *ret ? 0 : -ENOMEM;
}

void http_resp_done(struct http_resp *r)
{
	if (!r)
		return;
	/* Answers carry access tokens and wrapped keys: wiped, every one. */
	if (r->body)
		OPENSSL_cleanse(r->body, r->len);
	free(r->body);
	free(r->header);
	memset(r, 0, sizeof(*r));
}

/* errno and words for a transport failure. */
static int curl_errno(CURLcode c, const struct sink *s, const char **words)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		*words = "connection refused or no route";
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		*words = "host name not resolved";
		return -EHOSTUNREACH;
	case CURLE_COULDNT_RESOLVE_PROXY:
		*words = "proxy name not resolved";
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		*words = "timed out";
		return -ETIMEDOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
		*words = "TLS certificate not trusted or not for this host";
		return -EPROTO;
	case CURLE_SSL_CONNECT_ERROR:
		*words = "TLS handshake failed";
		return -EPROTO;
	case CURLE_SSL_CACERT_BADFILE:
		*words = "CA bundle unreadable";
		return -EINVAL;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		*words = "connection reset or closed by the server";
		return -ECONNRESET;
	case CURLE_PARTIAL_FILE:
		*words = "response truncated";
		return -EPROTO;
	case CURLE_WRITE_ERROR:
		if (s->too_big) {
			*words = "response larger than max_response";
			return -EFBIG;
		}
		*words = "out of memory";
		return -ENOMEM;
	case CURLE_FILESIZE_EXCEEDED:
		*words = "response larger than max_response";
		return -EFBIG;
	case CURLE_UNSUPPORTED_PROTOCOL:
		*words = "URL scheme not allowed (https required)";
		return -EINVAL;
	case CURLE_URL_MALFORMAT:
		*words = "malformed URL";
		return -EINVAL;
	default:
		*words = curl_easy_strerror(c);
		return -EPROTO;
	}
}

static bool transport_retryable(int r)
{
	return r == -ECONNREFUSED || r == -ETIMEDOUT || r == -ECONNRESET || r == -EPROTO ||
	       r == -EHOSTUNREACH;
}

static bool status_retryable(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

static long jitter(long max_ms)
{
	uint32_t rnd = 0;

	if (max_ms <= 0)
		return 0;
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = (uint32_t)now_ms();
	/* "Full jitter": uniform in [max/2, max], never zero so retries spread. */
	return max_ms / 2 + (long)(rnd % (uint32_t)(max_ms / 2 + 1));
}

const char *system_ca_file(void)
{
	static const char *const candidates[] = {
		"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu */
		"/etc/pki/tls/certs/ca-bundle.crt",	/* Fedora, RHEL */
	};
	const char *def = X509_get_default_cert_file();

	if (access(def, R_OK) == 0)
		return def;
	for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return def;
}

int http_request(struct cvm_ctx *ctx, const struct cvm_config *cfg, const struct http_req *req,
		 struct http_resp *resp)
{
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	char auth[8192];
	char hint[512];
	long start, deadline, delay = 0;
	int attempt, tries = 0, r = -EIO;
	const char *words = "";
	CURL *h;

	if (!cfg)
		cfg = config_defaults();
	memset(resp, 0, sizeof(*resp));
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK)
		return log_error_errno(ctx, -ENOMEM, "Cannot initialise libcurl: %s",
				       curl_easy_strerror(curl_init_result));
	config_hint(cfg, req->config_key, hint, sizeof(hint));

	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	if (req->content_type) {
		char line[256];

		snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = curl_slist_append(hdrs, req->accept ? req->accept : "Accept: application/json");
	if (req->metadata)
		hdrs = curl_slist_append(hdrs, "Metadata: true");
	if (req->bearer) {
		if ((size_t)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", req->bearer) >=
		    sizeof(auth)) {
			OPENSSL_cleanse(auth, sizeof(auth));
			curl_easy_cleanup(h);
			headers_free(hdrs);
			return log_error_errno(ctx, -E2BIG, "The access token is implausibly long");
		}
		hdrs = curl_slist_append(hdrs, auth);
		OPENSSL_cleanse(auth, sizeof(auth));
	}
	/* No "Expect: 100-continue" round trip for our small bodies. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (!hdrs) {
		curl_easy_cleanup(h);
		return -ENOMEM;
	}

	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "cvmattest/" "0.1");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, req->metadata ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
	/* Named explicitly: neither SSL_CERT_FILE/SSL_CERT_DIR nor CURL_CA_BUNDLE can move it. */
	curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_bundle && *cfg->ca_bundle ? cfg->ca_bundle :
					     system_ca_file());
	curl_easy_setopt(h, CURLOPT_CAPATH, cfg->ca_bundle && *cfg->ca_bundle ? NULL :
					     X509_get_default_cert_dir());
	/* A proxy only from the configuration: http(s)_proxy and all_proxy are not trusted. */
	curl_easy_setopt(h, CURLOPT_PROXY, !req->metadata && cfg->proxy ? cfg->proxy : "");
	if (req->metadata)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");	/* IMDS refuses proxied requests */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_response);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	start = now_ms();
	deadline = start + cfg->total_timeout_ms;
	for (attempt = 1;; attempt++) {
		struct sink s = { .max = cfg->max_response, .retry_after_s = -1,
				  .capture = req->capture_header };
		long remaining = deadline - now_ms(), t0, status = 0;
		CURLcode c;
		bool retry;

		if (remaining <= 0) {
			if (r < 0) {
				r = -ETIMEDOUT;
				words = "timed out";
			}
			break;
		}
		errbuf[0] = 0;
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
				 remaining < cfg->request_timeout_ms ? remaining : cfg->request_timeout_ms);
		t0 = now_ms();
		tries++;
		c = curl_easy_perform(h);
		if (c == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
			log_debug(ctx, "%s %s: HTTP %ld, %zu bytes, %ld ms (try %d)", req->method,
				  req->url, status, s.len, now_ms() - t0, attempt);
			resp->status = status;
			if (resp->body)
				OPENSSL_cleanse(resp->body, resp->len);
			free(resp->body);
			resp->body = s.buf;
			resp->len = s.len;
			resp->attempts = attempt;
			free(resp->header);
			resp->header = s.header;
			s.header = NULL;
			s.buf = NULL;
			r = 0;
			retry = status_retryable(status);
		} else {
			if (s.buf)
				OPENSSL_cleanse(s.buf, s.cap);
			free(s.buf);
			free(s.header);
			s.header = NULL;
			r = curl_errno(c, &s, &words);
			log_debug(ctx, "%s %s: %s (%s) after %ld ms (try %d)", req->method, req->url,
				  words, errbuf[0] ? errbuf : curl_easy_strerror(c), now_ms() - t0,
				  attempt);
			/* A certificate problem will not fix itself. */
			retry = transport_retryable(r) && c != CURLE_PEER_FAILED_VERIFICATION &&
				c != CURLE_SSL_CACERT_BADFILE;
			if (r == -EPROTO && (c == CURLE_SSL_CONNECT_ERROR))
				retry = true;
		}
		if (!retry || attempt > cfg->retries)
			break;

		delay = cfg->backoff_ms << (attempt - 1 < 16 ? attempt - 1 : 16);
		if (delay > cfg->backoff_max_ms || delay < 0)
			delay = cfg->backoff_max_ms;
		delay = jitter(delay);
		if (r == 0 && (status == 429 || status == 503) && s.retry_after_s >= 0) {
			long ra = s.retry_after_s * 1000L;

			if (ra > cfg->retry_after_max_ms) {
				log_warning(ctx, "%s asks to retry after %ld s, more than retry_after_max (%ld s)",
					    req->what, s.retry_after_s, cfg->retry_after_max_ms / 1000);
				break;
			}
			delay = ra;
		}
		if (now_ms() + delay >= deadline) {
			log_debug(ctx, "No time left for another try within total_timeout (%ld ms)",
				  cfg->total_timeout_ms);
			break;
		}
		log_info(ctx, "%s: %s; retrying in %ld ms", req->what,
			 r == 0 ? (status == 429 ? "throttled (HTTP 429)" : "service unavailable") : words,
			 delay);
		sleep_ms(delay);
	}
	if (r < 0) {
		long elapsed = now_ms() - start;

		if (r == -EFBIG)
			log_error(ctx, "%s %s: response larger than max_response (%zu bytes)", req->what,
				  req->url, cfg->max_response);
		else
			log_error(ctx, "%s %s unreachable after %d %s in %ld.%01ld s (%s)%s%s", req->what,
				  req->url, tries, tries == 1 ? "try" : "tries", elapsed / 1000,
				  (elapsed % 1000) / 100, words, hint[0] ? ": " : "", hint);
	}
	headers_free(hdrs);
	curl_easy_cleanup(h);
	return r;
}

void http_error_text(const struct http_resp *r, char *buf, size_t len)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *e;

	buf[0] = 0;
	if (!r->body || r->len == 0)
		return;
	j = json_loadb((const char *)r->body, r->len, 0, NULL);
	e = j ? json_object_get(j, "error") : NULL;
	if (json_is_object(e)) {
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));

		snprintf(buf, len, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
		return;
	}
	if (json_is_string(e)) {
		const char *d = json_string_value(json_object_get(j, "error_description"));

		snprintf(buf, len, "%s%s%s", json_string_value(e), d ? ": " : "", d ? d : "");
		return;
	}
	/* Not JSON: a short printable excerpt. */
	{
		size_t n = 0;

		for (size_t i = 0; i < r->len && n + 1 < len && n < 200; i++)
			buf[n++] = (r->body[i] >= 0x20 && r->body[i] < 0x7f) ? (char)r->body[i] : ' ';
		buf[n] = 0;
	}
}

int http_status_error(struct cvm_ctx *ctx, const struct cvm_config *cfg,
		      const struct http_req *req, const struct http_resp *r)
{
	char text[1024], hint[512];
	int e;

	http_error_text(r, text, sizeof(text));
	config_hint(cfg ? cfg : config_defaults(), req->config_key, hint, sizeof(hint));
	if (r->status == 401 || r->status == 403)
		e = -EPERM;
	else if (r->status == 404)
		e = -ENOENT;
	else if (r->status == 408 || r->status == 429)
		e = -EAGAIN;
	else if (r->status >= 500)
		e = -EIO;
	else
		e = -EINVAL;
	log_error(ctx, "%s answered HTTP %ld%s%s%s%s%s", req->what, r->status,
		  r->attempts > 1 ? " (after retries)" : "", text[0] ? ": " : "", text,
		  hint[0] && (e == -EINVAL || e == -ENOENT) ? "; " : "",
		  hint[0] && (e == -EINVAL || e == -ENOENT) ? hint : "");
	return e;
}

int http_json_object(struct cvm_ctx *ctx, const struct cvm_config *cfg,
		     const struct http_req *req, struct http_resp *resp, json_t **ret)
{
	char why[256];
	int r = 0;

	*ret = NULL;
	if (resp->status != 200) {
		r = http_status_error(ctx, cfg, req, resp);
	} else {
		*ret = json_parse_object(resp->body, resp->len, why, sizeof(why));
		if (!*ret) {
			log_error(ctx, "The %s's answer is unusable: %s", req->what, why);
			r = -EBADMSG;
		}
	}
	http_resp_done(resp);
	return r;
}
