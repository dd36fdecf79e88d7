/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local Azure-compatible service (tests/azure-service) for unit tests:
 * started on free ports in a temporary state directory, its fault switches,
 * keys with release policies.  Tests skip when the simulated platform
 * (CVMATTEST_SIM) or python3 is missing.
 */
#ifndef CVM_AZSVC_H
#define CVM_AZSVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct azsvc {
	pid_t pid;
	char state[512];
	char attest_url[256];
	char kv_url[256];
	char imds_url[256];
	char admin_url[256];
	char ca_bundle[600];
	char kv_resource[128];
	char sim[512];
};

/* Start it (extra arguments NULL-terminated); false (and a message) if it cannot run here. */
bool azsvc_start(struct azsvc *s, const char *const *extra);
void azsvc_stop(struct azsvc *s);
/* Fault switch (JSON spec, e.g. {"kind":"status","target":"attest","count":2}). */
void azsvc_fault(const struct azsvc *s, const char *json_spec);
void azsvc_clear_faults(const struct azsvc *s);
/* create-key with the given extra args; the key URL and the material it holds. */
void azsvc_create_key(const struct azsvc *s, const char *name, const char *const *args,
		      char *kid, size_t kid_len, uint8_t *material, size_t *material_len);
/* tests/azure-service. */
const char *azsvc_dir(void);
/* Monotonic milliseconds. */
long azsvc_now_ms(void);

#endif
