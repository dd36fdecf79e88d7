// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * libsim: the committed TEST keys and certificates (tests/sim/keys), read
 * from a directory or from the copy compiled into the binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "sim_internal.h"

struct sim_keys {
	struct {
		EVP_PKEY *ark, *ask, *vcek;
		X509 *ark_cert, *ask_cert;
	} amd[SIM_PRODUCT_COUNT];
	EVP_PKEY *intel_root, *intel_pca, *intel_pck, *qe_attest;
	X509 *intel_root_cert, *intel_pca_cert, *intel_pck_cert;
};

/* Contents of a named key file: malloc()ed copy. */
static int load_blob(const char *dir, const char *name, uint8_t **data, size_t *len)
{
	char path[4096];

	if (!dir) {
		for (size_t i = 0; i < sim_embedded_count; i++) {
			if (strcmp(sim_embedded_files[i].name, name))
				continue;
			*data = malloc(sim_embedded_files[i].len);
			if (!*data)
				return -ENOMEM;
			memcpy(*data, sim_embedded_files[i].data, sim_embedded_files[i].len);
			*len = sim_embedded_files[i].len;
			return 0;
		}
		sim_log("libsim: test key %s is not compiled in (run tests/sim/keys/generate)",
			name);
		return -ENOENT;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	int ret = sim_read_file(path, data, len);

	if (ret)
		sim_log("libsim: cannot read %s: %s", path, strerror(-ret));
	return ret;
}

static int load_key(const char *dir, const char *name, EVP_PKEY **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio;
	int ret = load_blob(dir, name, &data, &len);

	if (ret)
		return ret;
	bio = BIO_new_mem_buf(data, (int)len);
	*out = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	if (!*out) {
		sim_log_openssl(name);
		return -EINVAL;
	}
	return 0;
}

static int load_cert(const char *dir, const char *name, X509 **out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio;
	int ret = load_blob(dir, name, &data, &len);

	if (ret)
		return ret;
	bio = BIO_new_mem_buf(data, (int)len);
	*out = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(data);
	if (!*out) {
		sim_log_openssl(name);
		return -EINVAL;
	}
	return 0;
}

int sim_keys_load(const char *dir, struct sim_keys **out)
{
	struct sim_keys *k = calloc(1, sizeof(*k));
	char name[64];
	int ret = 0;

	if (!k)
		return -ENOMEM;
	for (int p = 0; p < SIM_PRODUCT_COUNT && !ret; p++) {
		const char *pn = sim_product((enum sim_product)p)->key_name;

		snprintf(name, sizeof(name), "ark-%s.key", pn);
		ret = load_key(dir, name, &k->amd[p].ark);
		if (ret)
			break;
		snprintf(name, sizeof(name), "ask-%s.key", pn);
		ret = load_key(dir, name, &k->amd[p].ask);
		if (ret)
			break;
		snprintf(name, sizeof(name), "vcek-%s.key", pn);
		ret = load_key(dir, name, &k->amd[p].vcek);
		if (ret)
			break;
		snprintf(name, sizeof(name), "ark-%s.pem", pn);
		ret = load_cert(dir, name, &k->amd[p].ark_cert);
		if (ret)
			break;
		snprintf(name, sizeof(name), "ask-%s.pem", pn);
		ret = load_cert(dir, name, &k->amd[p].ask_cert);
	}
	if (!ret)
		ret = load_key(dir, "intel-root.key", &k->intel_root);
	if (!ret)
		ret = load_key(dir, "intel-pca.key", &k->intel_pca);
	if (!ret)
		ret = load_key(dir, "intel-pck.key", &k->intel_pck);
	if (!ret)
		ret = load_key(dir, "intel-qe-attest.key", &k->qe_attest);
	if (!ret)
		ret = load_cert(dir, "intel-root.pem", &k->intel_root_cert);
	if (!ret)
		ret = load_cert(dir, "intel-pca.pem", &k->intel_pca_cert);
	if (!ret)
		ret = load_cert(dir, "intel-pck.pem", &k->intel_pck_cert);
	if (ret) {
		sim_keys_free(k);
		return ret;
	}
	*out = k;
	return 0;
}

void sim_keys_free(struct sim_keys *k)
{
	if (!k)
		return;
	for (int p = 0; p < SIM_PRODUCT_COUNT; p++) {
		EVP_PKEY_free(k->amd[p].ark);
		EVP_PKEY_free(k->amd[p].ask);
		EVP_PKEY_free(k->amd[p].vcek);
		X509_free(k->amd[p].ark_cert);
		X509_free(k->amd[p].ask_cert);
	}
	EVP_PKEY_free(k->intel_root);
	EVP_PKEY_free(k->intel_pca);
	EVP_PKEY_free(k->intel_pck);
	EVP_PKEY_free(k->qe_attest);
	X509_free(k->intel_root_cert);
	X509_free(k->intel_pca_cert);
	X509_free(k->intel_pck_cert);
	free(k);
}

EVP_PKEY *sim_keys_ark_key(const struct sim_keys *k, enum sim_product p) { return k->amd[p].ark; }
EVP_PKEY *sim_keys_ask_key(const struct sim_keys *k, enum sim_product p) { return k->amd[p].ask; }
EVP_PKEY *sim_keys_vcek_key(const struct sim_keys *k, enum sim_product p) { return k->amd[p].vcek; }
X509 *sim_keys_ark_cert(const struct sim_keys *k, enum sim_product p) { return k->amd[p].ark_cert; }
X509 *sim_keys_ask_cert(const struct sim_keys *k, enum sim_product p) { return k->amd[p].ask_cert; }
EVP_PKEY *sim_keys_intel_root_key(const struct sim_keys *k) { return k->intel_root; }
EVP_PKEY *sim_keys_intel_pca_key(const struct sim_keys *k) { return k->intel_pca; }
EVP_PKEY *sim_keys_intel_pck_key(const struct sim_keys *k) { return k->intel_pck; }
EVP_PKEY *sim_keys_qe_attest_key(const struct sim_keys *k) { return k->qe_attest; }
X509 *sim_keys_intel_root_cert(const struct sim_keys *k) { return k->intel_root_cert; }
X509 *sim_keys_intel_pca_cert(const struct sim_keys *k) { return k->intel_pca_cert; }
X509 *sim_keys_intel_pck_cert(const struct sim_keys *k) { return k->intel_pck_cert; }

int sim_cert_pem(X509 *const *certs, size_t n, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long blen;
	int ret = -ENOMEM;

	if (!bio)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (PEM_write_bio_X509(bio, certs[i]) != 1)
			goto out;
	}
	blen = BIO_get_mem_data(bio, &data);
	if (blen < 0)
		goto out;
	*pem = malloc((size_t)blen + 1);
	if (!*pem)
		goto out;
	memcpy(*pem, data, (size_t)blen);
	(*pem)[blen] = '\0';
	*len = (size_t)blen;
	ret = 0;
out:
	BIO_free(bio);
	return ret;
}
