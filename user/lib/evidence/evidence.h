/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcvmattest, layer "evidence": parsers of the wire formats (one
 * definition of each in include/cvmattest/evidence.h) and evidence from
 * /dev/cvmattest.  Everything it offers is public (libcvmattest.h).
 */
#ifndef CVM_EVIDENCE_H
#define CVM_EVIDENCE_H

#include <cvmattest/evidence.h>

#include "base/base.h"

/*
 * Are the @len bytes after an SNP report the IGVM_REQUEST_DATA header that
 * follows it in an Azure HCL report (evidence_hcl.c explains)?
 */
bool hcl_igvm_request_header_follows(const uint8_t *tail, size_t len);

#endif /* CVM_EVIDENCE_H */
