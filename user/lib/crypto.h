/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef CVM_CRYPTO_H
#define CVM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * Verify an ECDSA signature given as two fixed-size integers: SNP reports
 * store them little-endian in 72-byte slots (AMD 56860, Table 141),
 * TDX quotes big-endian in 32-byte halves.  0 or -EKEYREJECTED.
 */
int ecdsa_verify_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t msg_len,
		     const uint8_t *r, const uint8_t *s, size_t comp_len, bool little_endian);

/* A P-256 public key from X || Y (big-endian, 32 bytes each), checked on the curve. */
int pkey_from_p256_xy(const uint8_t xy[64], EVP_PKEY **ret);

#endif
