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

#endif /* CVM_EVIDENCE_H */
