// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest release */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cli-util.h"
#include "net-cli.h"

static void release_help(void)
{
	printf("Usage: cvmattest release [OPTIONS] (--key-fd N | --keyring DESC | --to-stdout)\n"
	       "\n"
	       "Attest (as 'cvmattest attest'), then have Azure Key Vault / Managed HSM\n"
	       "release the key at key_url to this VM (Secure Key Release): managed-identity\n"
	       "token from IMDS, POST {key_url}/release, the signed answer verified, the key\n"
	       "unwrapped here (RSA-OAEP, then AES key wrap with padding, RFC 5649).\n"
	       "\n"
	       "Where the key goes (exactly one; it is never written anywhere else):\n"
	       "      --key-fd N            write it to open file descriptor N (a pipe)\n"
	       "      --keyring DESC        add it to a kernel keyring under description DESC\n"
	       "      --keyring-type TYPE   user (default) or logon\n"
	       "      --keyring-id RING     @u (default), @s, @us, @p, @t or a serial\n"
	       "      --to-stdout           write it to standard output (not to a terminal)\n"
	       "\n"
	       "Key Vault:\n"
	       "      --key-url URL         https://<vault>/keys/<name>[/<version>] (key_url)\n"
	       "      --enc ENC             RSA_AES_KEY_WRAP_256 (default), RSA_AES_KEY_WRAP_384\n"
	       "                            or CKM_RSA_AES_KEY_WRAP (enc)\n"
	       "      --client-id ID        user-assigned identity (identity_client_id)\n"
	       "      --object-id ID        (identity_object_id)\n"
	       "      --msi-res-id ID       (identity_msi_res_id)\n"
	       "      --nonce STRING        nonce sent to the attestation service\n"
	       "      --json                print what was released (not the key) as JSON\n"
	       "\n"
	       NET_OPTIONS_HELP
	       "\n"
	       "Exit status (cvmattest(1)): 0 released; 1 usage, configuration or local\n"
	       "error; 2 evidence refused or a token/signature invalid; 3 release refused by\n"
	       "the key's release policy; 6 network or service unavailable; 7 no evidence on\n"
	       "this host; 10 identity not authorized.\n"
	       "See cvmattest-release(1) and cvmattest.conf(5).\n");
}

enum {
	OPT_KEY_FD = OPT_NET_LAST + 1,
	OPT_KEYRING,
	OPT_KEYRING_TYPE,
	OPT_KEYRING_ID,
	OPT_TO_STDOUT,
	OPT_KEY_URL,
	OPT_ENC,
	OPT_CLIENT_ID,
	OPT_OBJECT_ID,
	OPT_MSI_RES_ID,
	OPT_NONCE,
};

/* Options named after a configuration setting: --set KEY=VALUE in other words. */
static const struct {
	int opt;
	const char *key;
} setting_opts[] = {
	{ OPT_KEY_URL, "key_url" },
	{ OPT_ENC, "enc" },
	{ OPT_CLIENT_ID, "identity_client_id" },
	{ OPT_OBJECT_ID, "identity_object_id" },
	{ OPT_MSI_RES_ID, "identity_msi_res_id" },
};

struct release_options {
	struct net_args net;
	/* "key=value" of the setting_opts, which net.sets points into */
	char settings[ELEMENTSOF(setting_opts)][4096];
	const char *nonce;
	/* where the key goes: exactly one of these (unless --show-config) */
	int key_fd;			/* -1: not to a file descriptor */
	bool to_stdout;
	const char *keyring;
	const char *keyring_type;
	const char *keyring_id;
};

/* 0, an exit status (> 0), or CLI_PARSE_DONE (--help shown). */
static int release_parse(int argc, char **argv, struct cli_common *common,
			 struct release_options *o)
{
	static const struct option options[] = {
		NET_LONG_OPTIONS,
		{ "key-fd", required_argument, NULL, OPT_KEY_FD },
		{ "keyring", required_argument, NULL, OPT_KEYRING },
		{ "keyring-type", required_argument, NULL, OPT_KEYRING_TYPE },
		{ "keyring-id", required_argument, NULL, OPT_KEYRING_ID },
		{ "to-stdout", no_argument, NULL, OPT_TO_STDOUT },
		{ "key-url", required_argument, NULL, OPT_KEY_URL },
		{ "enc", required_argument, NULL, OPT_ENC },
		{ "client-id", required_argument, NULL, OPT_CLIENT_ID },
		{ "object-id", required_argument, NULL, OPT_OBJECT_ID },
		{ "msi-res-id", required_argument, NULL, OPT_MSI_RES_ID },
		{ "nonce", required_argument, NULL, OPT_NONCE },
		CLI_JSON_LONG_OPTION,
		{}
	};
	int n_dest = 0, c, r;

	memset(o, 0, sizeof(*o));
	o->key_fd = -1;
	o->keyring_type = "user";
	o->keyring_id = "@u";
	optind = 0;
	while ((c = getopt_long(argc, argv, "c:qvh", options, NULL)) >= 0) {
		if (c == 'h') {
			release_help();
			return CLI_PARSE_DONE;
		}
		if (cli_common_opt(common, c))
			continue;
		r = net_opt(&o->net, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		for (size_t i = 0; i < ELEMENTSOF(setting_opts); i++)
			if (c == setting_opts[i].opt) {
				snprintf(o->settings[i], sizeof(o->settings[i]), "%s=%s",
					 setting_opts[i].key, optarg);
				if (net_opt(&o->net, OPT_NET_SET, o->settings[i]) < 0)
					return EXIT_USAGE;
				c = 0;
			}
		switch (c) {
		case 0:
			break;
		case OPT_KEY_FD: {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 1 << 20)
				return usage_error("--key-fd: a file descriptor number expected");
			o->key_fd = (int)v;
			n_dest++;
			break;
		}
		case OPT_KEYRING:
			o->keyring = optarg;
			n_dest++;
			break;
		case OPT_KEYRING_TYPE:
			o->keyring_type = optarg;
			break;
		case OPT_KEYRING_ID:
			o->keyring_id = optarg;
			break;
		case OPT_TO_STDOUT:
			o->to_stdout = true;
			n_dest++;
			break;
		case OPT_NONCE:
			o->nonce = optarg;
			break;
		default:
			return cli_bad_option(argv[0], EXIT_USAGE);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument \"%s\"; see 'cvmattest release --help'",
				   argv[optind]);
	if (!o->net.show_config && n_dest != 1)
		return usage_error("say where the key goes: exactly one of --key-fd N, --keyring DESC "
				   "and --to-stdout (it is never written to stdout by default)");
	if (o->to_stdout && isatty(STDOUT_FILENO))
		return usage_error("--to-stdout: standard output is a terminal; refusing to show "
				   "key material (redirect it, or use --key-fd/--keyring)");
	if (o->to_stdout && common->json)
		return usage_error("--json cannot share stdout with --to-stdout");
	/* Checked before anything is attested or released: a release is an audited event. */
	if (o->key_fd >= 0) {
		int fl = fcntl(o->key_fd, F_GETFL);

		if (fl < 0)
			return usage_error("--key-fd %d: file descriptor %d is not open (open it for "
					   "writing, e.g. 'cvmattest release --key-fd 3 3>FILE')",
					   o->key_fd, o->key_fd);
		if ((fl & O_ACCMODE) == O_RDONLY)
			return usage_error("--key-fd %d: file descriptor %d is open for reading only",
					   o->key_fd, o->key_fd);
	}
	return 0;
}

/* What was released, never the key itself: JSON on stdout, or a line on stderr. */
static int print_released(const struct release_options *o, const struct cli_common *common,
			  const struct cvm_attestation *a, const struct cvm_key *key,
			  int32_t serial)
{
	size_t len;

	cvm_key_data(key, &len);
	if (common->json) {
		_cleanup_free_ char *text = NULL;
		json_t *j;

		j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "kid", cvm_key_kid(key), "kty",
			      cvm_key_kty(key), "format", cvm_key_format(key), "bytes", (json_int_t)len,
			      "attestation_type", cvm_attestation_type(a), "flow",
			      cvm_attestation_flow(a));
		if (j && o->keyring)
			json_object_set_new(j, "keyring_serial", json_integer(serial));
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!text)
			return EXIT_USAGE;
		cli_json_print(text);
	} else if (!common->quiet) {
		fprintf(stderr, "Released %s (%s, %zu bytes) %s%s\n", cvm_key_kid(key),
			cvm_key_kty(key), len, o->keyring ? "into keyring as " : o->to_stdout ?
			"to standard output" : "to file descriptor", o->keyring ? o->keyring : "");
	}
	return 0;
}

static int release_run(const struct release_options *o, const struct cli_common *common)
{
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	_cleanup_(cvm_config_freep) struct cvm_config *cfg = NULL;
	_cleanup_(cvm_attestation_freep) struct cvm_attestation *a = NULL;
	_cleanup_(cvm_key_freep) struct cvm_key *key = NULL;
	int32_t serial = 0;
	int r;

	/* Key material must not end up in a core dump or be readable by ptrace. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The library keeps the transfer key in OpenSSL's secure heap itself. */

	if (cli_ctx_new(common, &ctx) < 0)
		return EXIT_USAGE;
	if (net_config(ctx, &o->net, &cfg) < 0)
		return EXIT_USAGE;
	if (o->net.show_config) {
		net_show_config(cfg);
		return 0;
	}
	if (!cvm_config_get(cfg, "key_url", NULL, 0))
		return usage_error("no key_url: set it in %s or with --key-url",
				   o->net.config ? o->net.config : CVM_DEFAULT_CONFIG);
	r = cvm_attest(ctx, cfg, o->nonce, &a);
	if (r < 0) {
		if (!common->quiet)
			fprintf(stderr, "cvmattest: attestation failed; no key released\n");
		return cli_exit_code(r);
	}
	r = cvm_release(ctx, cfg, a, &key);
	if (r < 0) {
		if (!common->quiet)
			fprintf(stderr, "cvmattest: key release failed\n");
		return cli_exit_code(r);
	}
	if (o->key_fd >= 0)
		r = cvm_key_write_fd(ctx, key, o->key_fd);
	else if (o->to_stdout)
		r = cvm_key_write_fd(ctx, key, STDOUT_FILENO);
	else
		r = cvm_key_to_keyring(ctx, key, o->keyring_type, o->keyring, o->keyring_id,
				       &serial);
	if (r < 0)
		return EXIT_USAGE;
	return print_released(o, common, a, key, serial);
}

int cmd_release(int argc, char **argv, struct cli_common *common)
{
	/* About 21 KiB, nearly all of it the settings' buffers: the stack has room. */
	struct release_options o;
	int r;

	r = release_parse(argc, argv, common, &o);
	if (r)
		return r == CLI_PARSE_DONE ? 0 : r;
	return release_run(&o, common);
}
