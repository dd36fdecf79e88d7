/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The vTPM's AK certificate (NV 0x01C101D0), issued by the TEST "Azure
 * Virtual TPM CA" of keys/ (compiled in) or by a CA given on the command
 * line.  TEST ONLY.
 */
#ifndef CVMATTEST_PV_CERT_H
#define CVMATTEST_PV_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hcl_build.h"

/* TCG EK Credential Profile / AK certificates: tcg-kp-AIKCertificate */
#define PV_OID_TCG_KP_AIK_CERTIFICATE	"2.23.133.8.3"

/* NULL paths: the compiled-in TEST CA.  Either may be NULL on return use. */
int pv_ca_load(const char *key_path, const char *cert_path, EVP_PKEY **key, X509 **cert);

/*
 * An X.509 v3 certificate for the AK: subject CN=@subject_cn, the AK's
 * RSA key, basicConstraints CA:FALSE, keyUsage digitalSignature, EKU
 * tcg-kp-AIKCertificate, SKI/AKI, SHA-256 with RSA by the CA, valid from
 * @not_before (0: now) for one year.  DER in *der (malloc()ed).
 */
int pv_ak_cert_issue(EVP_PKEY *ca_key, X509 *ca_cert, const struct hcl_rsa_pub *ak,
		     const char *subject_cn, time_t not_before, uint8_t **der, size_t *der_len);

/*
 * 0 when @der (trailing bytes allowed, as a padded NV index may hold) is
 * a certificate signed by @ca_cert whose key is @ak; -EBADMSG otherwise.
 */
int pv_ak_cert_check(const uint8_t *der, size_t len, X509 *ca_cert, const struct hcl_rsa_pub *ak);

/* base64url(SHA-256(DER of @cert)): the shape of "root-cert-thumbprint". */
int pv_cert_thumbprint(X509 *cert, char **out);

/* The RSA public key of @pkey as n/e; -ENOTSUP if not RSA. */
int pv_rsa_from_pkey(EVP_PKEY *pkey, struct hcl_rsa_pub *out);

/* PEM of @cert written to @path. */
int pv_cert_write_pem(X509 *cert, const char *path);

#endif /* CVMATTEST_PV_CERT_H */
