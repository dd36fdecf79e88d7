/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built-in roots, generated from the PEMs in user/lib/roots/ at build time. */
#ifndef CVM_TRUST_H
#define CVM_TRUST_H

extern const char cvm_root_pem_amd_milan[];	/* ASK then ARK */
extern const char cvm_root_pem_amd_genoa[];
extern const char cvm_root_pem_amd_turin[];
extern const char cvm_root_pem_intel_sgx_root[];

#endif
