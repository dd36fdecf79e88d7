// SPDX-License-Identifier: LGPL-2.1-or-later
/* cvmattest luks bind|unbind|list|unlock */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <libcryptsetup.h>

#include "cli.h"
#include "cli-util.h"
#include "libcvmattest-attest.h"
#include "libcvmattest-luks.h"

#define PASSPHRASE_FILE_MAX (8u << 20)	/* cryptsetup's default key file limit */
#define PASSPHRASE_TTY_MAX 512


/* @r: what the library returned, which says why when the key was not obtained. */
static int exit_code(enum cvm_luks_fail f, int r)
{
	switch (f) {
	case CVM_LUKS_FAIL_NONE:
		return EXIT_OK;
	case CVM_LUKS_FAIL_KEY:
		return cli_exit_code(r);
	case CVM_LUKS_FAIL_NO_BINDING:
		return EXIT_NO_BINDING;
	case CVM_LUKS_FAIL_UNWRAP:
		return EXIT_INVALID;
	case CVM_LUKS_FAIL_BUSY:
		return EXIT_BUSY;
	case CVM_LUKS_FAIL_AUTH:
		return EXIT_AUTH;
	case CVM_LUKS_FAIL_CONFLICT:
		return EXIT_CONFLICT;
	case CVM_LUKS_FAIL_NOT_HERE:
		return EXIT_NOT_HERE;	/* no device-mapper: a property of the host (cli.h) */
	case CVM_LUKS_FAIL_LOCAL:
	default:
		return EXIT_USAGE;
	}
}

static void luks_help(void)
{
	printf("Usage: cvmattest luks COMMAND [OPTIONS]\n"
	       "\n"
	       "Bind LUKS2 volumes to a key that Key Vault releases only to an attested\n"
	       "confidential VM, and unlock them with it.\n"
	       "\n"
	       "  bind -d DEV      add a keyslot and a cvmattest token (needs a passphrase)\n"
	       "  unlock -d DEV    open DEV by its token: attest, release, unwrap, activate\n"
	       "  unlock --all     the same for every bound volume found\n"
	       "  unbind -d DEV    remove the token and its keyslot\n"
	       "  list -d DEV      show the cvmattest tokens of DEV\n"
	       "\n"
	       "Run 'cvmattest luks COMMAND --help' for its options.\n"
	       "See cvmattest-luks(1).\n");
}

static const char common_help[] =
	"Key source:\n"
	"      --config FILE          cvmattest configuration\n"
	"                             (default " CVM_DEFAULT_CONFIG ")\n"
	"      --key-file-fd N        TESTING ONLY: read the key from file descriptor N\n"
	"                             instead of attestation and key release\n"
	"      --crypto-backend B     auto (default: kernel crypto API, else OpenSSL),\n"
	"                             kernel (required) or openssl\n"
	"\n"
	"      --json                 what was done as one JSON object on stdout (unlock\n"
	"                             --all: one per volume); errors too (cvmattest(1))\n"
	"  -q, --quiet                no messages but errors\n"
	"  -v, --verbose              more messages (twice: debug, libcryptsetup's too)\n"
	"  -h, --help                 this text\n";

static void bind_help(void)
{
	printf("Usage: cvmattest luks bind -d DEV [OPTIONS]\n"
	       "       cvmattest luks bind --refresh -d DEV [--token N] [OPTIONS]\n"
	       "\n"
	       "Obtain the released key, add a keyslot for a new random 256-bit passphrase\n"
	       "(PBKDF2, 1000 iterations: it has full entropy) and store a LUKS2 token of type\n"
	       "cvmattest with that passphrase wrapped under the key. An existing passphrase\n"
	       "authorizes it: from --unlock-key-file, else asked on the terminal, else read\n"
	       "as one line from stdin. If anything fails the header is left as it was.\n"
	       "Then it prints the /etc/crypttab line that unlocks DEV at boot.\n"
	       "\n"
	       "  -d, --device DEV           the LUKS2 volume\n"
	       "      --unlock-key-file FILE an existing key file ('-': all of stdin)\n"
	       "      --keyslot N            use keyslot N (default: the first free one)\n"
	       "      --refresh              bind the LUKS2 header anew for the existing token\n"
	       "                             (after reencryption or cryptsetup config, or for a\n"
	       "                             token made before header binding): needs the\n"
	       "                             released key and an existing passphrase\n"
	       "      --token N              with --refresh: which token, when there are several\n"
	       "\n"
	       "Where the key comes from (stored in the token; default from --config, which\n"
	       "must list the key and the service: key_url or allowed_keys, attest_url or\n"
	       "allowed_attest; bind refuses others, as unlock would):\n"
	       "      --attest-url URL       attestation service (https://)\n"
	       "      --attest-type T        auto, snp, tdx or azure-guest\n"
	       "      --key-url URL          the key: https://VAULT/keys/NAME/VERSION (without\n"
	       "                             VERSION, warned: the newest is released, another\n"
	       "                             key after a rotation)\n"
	       "      --enc ALG              CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256/_384\n"
	       "      --identity-client-id ID | --identity-object-id ID |\n"
	       "      --identity-msi-res-id ID   a user-assigned managed identity\n"
	       "      --platform NAME        recorded for diagnostics (default: from\n"
	       "                             /sys/kernel/cvmattest/platform)\n"
	       "\n%s"
	       "\n"
	       "Exit status (cvmattest(1)): 0 bound; 1 usage, I/O or header error; 3 or 6\n"
	       "the key release was refused or failed; 8 --refresh: no cvmattest token;\n"
	       "2 --refresh: the token does not open; 10 the passphrase opens no keyslot.\n",
	       common_help);
}

static void unlock_help(void)
{
	printf("Usage: cvmattest luks unlock -d DEV [-n NAME] [OPTIONS]\n"
	       "       cvmattest luks unlock --all [OPTIONS]\n"
	       "\n"
	       "Read DEV's cvmattest token, attest, obtain the released key, unwrap the\n"
	       "passphrase and activate DEV through the token's keyslot. The header is\n"
	       "only read, and must be as bound: a changed segment, keyslot, digest or\n"
	       "persistent flag, or a null cipher, is refused (exit 4; after a change of\n"
	       "your own, run 'luks bind --refresh'). With several tokens each is tried in\n"
	       "turn; a token naming a key or an attestation service that the configuration\n"
	       "does not list (key_url, allowed_keys; attest_url, allowed_attest) is refused.\n"
	       "One run attests once and releases each key once (--all).\n"
	       "\n"
	       "  -d, --device DEV           the LUKS2 volume\n"
	       "  -n, --name NAME            device-mapper name (default: luks-UUID)\n"
	       "      --all                  every block device with a cvmattest token; names\n"
	       "                             from crypttab (by UUID= or path), else luks-UUID;\n"
	       "                             volumes already unlocked are left as they are\n"
	       "      --crypttab FILE        default /etc/crypttab\n"
	       "      --token N              only token N\n"
	       "      --check                only check that the token opens its keyslot;\n"
	       "                             activate nothing\n"
	       "      --readonly             activate read-only\n"
	       "      --allow-discards       pass discards to the device\n"
	       "\n%s"
	       "\n"
	       "Exit status (cvmattest(1)): 0 unlocked (--all: every bound volume is\n"
	       "unlocked); 1 usage, I/O or activation error; 2 the token does not open: wrong\n"
	       "key, or the token was tampered with, copied from another volume or names a\n"
	       "host not allowed; 3 the key's release policy refused this VM; 6 attestation or\n"
	       "key release failed (service unreachable or failing); 8 not bound (--all: no\n"
	       "bound volume found); 9 already unlocked (the mapping is this volume, with its\n"
	       "header's cipher and offset); 11 the name is taken by another mapping, or the\n"
	       "device is in use. --all: the status of the first failure.\n",
	       common_help);
}

static void unbind_help(void)
{
	printf("Usage: cvmattest luks unbind -d DEV [--token N] [--force] [--json]\n"
	       "\n"
	       "Remove DEV's cvmattest token and the keyslot it uses (unless another token\n"
	       "uses it too). If anything fails the header is left as it was.\n"
	       "\n"
	       "  -d, --device DEV   the LUKS2 volume\n"
	       "      --token N      which token, when there are several\n"
	       "      --force        also when its keyslot is the last one: the volume then\n"
	       "                     cannot be opened any more\n"
	       "      --json         the result as JSON (errors too)\n"
	       "  -q, --quiet        no messages but errors\n"
	       "  -v, --verbose      more messages\n"
	       "  -h, --help         this text\n"
	       "\n"
	       "Exit status (cvmattest(1)): 0 removed; 1 usage, I/O or header error, or\n"
	       "refused; 8 no cvmattest token (or not token N).\n");
}

static void list_help(void)
{
	printf("Usage: cvmattest luks list -d DEV [--json]\n"
	       "\n"
	       "Show DEV's LUKS2 UUID (for UUID= in /etc/crypttab) and its cvmattest tokens:\n"
	       "number, keyslot, version, where the key comes from. Nothing secret is shown\n"
	       "(the token holds nothing secret in clear).\n"
	       "\n"
	       "  -d, --device DEV   the LUKS2 volume\n"
	       "      --json         one JSON object {device, uuid, tokens: [...]}\n"
	       "  -q, --quiet        no messages but errors\n"
	       "  -v, --verbose      more messages\n"
	       "  -h, --help         this text\n"
	       "\n"
	       "Exit status: 0 (also with no token); 1 usage, I/O or not a LUKS2 volume.\n");
}

enum {
	OPT_CONFIG = 0x100,
	OPT_KEY_FILE_FD,
	OPT_CRYPTO,
	OPT_UNLOCK_KEY_FILE,
	OPT_KEYSLOT,
	OPT_ATTEST_URL,
	OPT_ATTEST_TYPE,
	OPT_KEY_URL,
	OPT_ENC,
	OPT_ID_CLIENT,
	OPT_ID_OBJECT,
	OPT_ID_MSI,
	OPT_PLATFORM,
	OPT_ALL,
	OPT_CRYPTTAB,
	OPT_TOKEN,
	OPT_CHECK,
	OPT_READONLY,
	OPT_DISCARDS,
	OPT_FORCE,
	OPT_REFRESH,
};

/* The luks commands, as bits of the "allowed in" column below. */
enum {
	LUKS_BIND = 1 << 0,
	LUKS_UNBIND = 1 << 1,
	LUKS_LIST = 1 << 2,
	LUKS_UNLOCK = 1 << 3,
	LUKS_ANY = LUKS_BIND | LUKS_UNBIND | LUKS_LIST | LUKS_UNLOCK,
};

/*
 * Every option of every luks command, once: getopt's tables are made from
 * it, and an option given to a command not in its column is refused by name.
 */
static const struct luks_option {
	const char *name;
	int val;		/* the short option when a letter, else an OPT_ value */
	int has_arg;
	unsigned allowed_in;	/* LUKS_* */
} luks_options[] = {
	{ "device", 'd', required_argument, LUKS_ANY },
	{ "name", 'n', required_argument, LUKS_UNLOCK },
	{ "config", OPT_CONFIG, required_argument, LUKS_BIND | LUKS_UNLOCK },
	{ "key-file-fd", OPT_KEY_FILE_FD, required_argument, LUKS_BIND | LUKS_UNLOCK },
	{ "crypto-backend", OPT_CRYPTO, required_argument, LUKS_BIND | LUKS_UNLOCK },
	{ "unlock-key-file", OPT_UNLOCK_KEY_FILE, required_argument, LUKS_BIND },
	{ "keyslot", OPT_KEYSLOT, required_argument, LUKS_BIND },
	{ "attest-url", OPT_ATTEST_URL, required_argument, LUKS_BIND },
	{ "attest-type", OPT_ATTEST_TYPE, required_argument, LUKS_BIND },
	{ "key-url", OPT_KEY_URL, required_argument, LUKS_BIND },
	{ "enc", OPT_ENC, required_argument, LUKS_BIND },
	{ "identity-client-id", OPT_ID_CLIENT, required_argument, LUKS_BIND },
	{ "identity-object-id", OPT_ID_OBJECT, required_argument, LUKS_BIND },
	{ "identity-msi-res-id", OPT_ID_MSI, required_argument, LUKS_BIND },
	{ "platform", OPT_PLATFORM, required_argument, LUKS_BIND },
	{ "all", OPT_ALL, no_argument, LUKS_UNLOCK },
	{ "crypttab", OPT_CRYPTTAB, required_argument, LUKS_UNLOCK },
	{ "token", OPT_TOKEN, required_argument, LUKS_UNLOCK | LUKS_UNBIND | LUKS_BIND },
	{ "refresh", OPT_REFRESH, no_argument, LUKS_BIND },
	{ "check", OPT_CHECK, no_argument, LUKS_UNLOCK },
	{ "readonly", OPT_READONLY, no_argument, LUKS_UNLOCK },
	{ "allow-discards", OPT_DISCARDS, no_argument, LUKS_UNLOCK },
	{ "force", OPT_FORCE, no_argument, LUKS_UNBIND },
	{ "json", CLI_OPT_JSON, no_argument, LUKS_ANY },
	{ "quiet", 'q', no_argument, LUKS_ANY },
	{ "verbose", 'v', no_argument, LUKS_ANY },
	{ "help", 'h', no_argument, LUKS_ANY },
};

/* getopt_long()'s two tables, from luks_options. */
static void luks_getopt_tables(struct option longopts[static ELEMENTSOF(luks_options) + 1],
			       char shortopts[static 2 * ELEMENTSOF(luks_options) + 1])
{
	char *p = shortopts;

	for (size_t i = 0; i < ELEMENTSOF(luks_options); i++) {
		const struct luks_option *o = &luks_options[i];

		longopts[i] = (struct option){ o->name, o->has_arg, NULL, o->val };
		if (o->val < 0x80) {
			*p++ = (char)o->val;
			if (o->has_arg == required_argument)
				*p++ = ':';
		}
	}
	longopts[ELEMENTSOF(luks_options)] = (struct option){ 0 };
	*p = 0;
}

static const struct luks_option *luks_option_by_val(int val)
{
	for (size_t i = 0; i < ELEMENTSOF(luks_options); i++)
		if (luks_options[i].val == val)
			return &luks_options[i];
	return NULL;
}

struct luks_args {
	const char *device;
	const char *name;
	const char *config;
	int key_fd;
	enum cvm_luks_crypto crypto;
	const char *unlock_key_file;
	int keyslot;
	struct cvm_luks_binding binding;
	bool all;
	const char *crypttab;
	int token;
	bool check;
	uint32_t flags;
	bool force;
	bool refresh;
	bool release_set;		/* a release value given on the command line */
	const struct cli_common *common;	/* -q, -v, --json */
};

/* --json: one object for what was done, built from @fmt as json_pack() takes it. */
static void print_json(const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	j = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text)
		cli_json_print(text);
}

static int parse_int(const char *s, int min, int max, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static int set_release(struct luks_args *a, const char *key, const char *value, const char *opt)
{
	if (cvm_luks_binding_set(&a->binding, key, value) < 0)
		return usage_error("%s: printable ASCII expected", opt);
	a->release_set = true;
	return 0;
}

/* 0, an exit status (> 0), or CLI_PARSE_DONE (--help shown). */
static int parse_args(const char *cmd, unsigned cmd_bit, int argc, char **argv,
		      struct cli_common *common, struct luks_args *a, void (*help)(void))
{
	struct option longopts[ELEMENTSOF(luks_options) + 1];
	char shortopts[2 * ELEMENTSOF(luks_options) + 1];
	int c, r;

	memset(a, 0, sizeof(*a));
	a->key_fd = -1;
	a->keyslot = -1;
	a->token = -1;
	a->common = common;
	luks_getopt_tables(longopts, shortopts);
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
		const struct luks_option *o = luks_option_by_val(c);

		if (!o)		/* '?': getopt said what */
			return cli_bad_option(argv[0], EXIT_USAGE);
		if (!(o->allowed_in & cmd_bit))
			return usage_error("luks %s does not take --%s", cmd, o->name);
		if (cli_common_opt(common, c))
			continue;
		r = 0;
		switch (c) {
		case 'd':
			a->device = optarg;
			break;
		case 'n':
			a->name = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case OPT_KEY_FILE_FD:
			if (parse_int(optarg, 0, 65535, &a->key_fd) < 0 || fcntl(a->key_fd, F_GETFD) < 0)
				return usage_error("--key-file-fd: an open file descriptor expected");
			break;
		case OPT_CRYPTO:
			if (cvm_luks_crypto_from_name(optarg, &a->crypto) < 0)
				return usage_error("--crypto-backend: auto, kernel or openssl expected");
			break;
		case OPT_UNLOCK_KEY_FILE:
			a->unlock_key_file = optarg;
			break;
		case OPT_KEYSLOT:
			if (parse_int(optarg, 0, 255, &a->keyslot) < 0)
				return usage_error("--keyslot: a keyslot number expected");
			break;
		case OPT_ATTEST_URL:
			r = set_release(a, "attest_url", optarg, "--attest-url");
			break;
		case OPT_ATTEST_TYPE:
			r = set_release(a, "attest_type", optarg, "--attest-type");
			break;
		case OPT_KEY_URL:
			r = set_release(a, "key_url", optarg, "--key-url");
			break;
		case OPT_ENC:
			r = set_release(a, "enc", optarg, "--enc");
			break;
		case OPT_ID_CLIENT:
			r = set_release(a, "identity_client_id", optarg, "--identity-client-id");
			break;
		case OPT_ID_OBJECT:
			r = set_release(a, "identity_object_id", optarg, "--identity-object-id");
			break;
		case OPT_ID_MSI:
			r = set_release(a, "identity_msi_res_id", optarg, "--identity-msi-res-id");
			break;
		case OPT_PLATFORM:
			free(a->binding.platform);
			a->binding.platform = strdup(optarg);
			if (!a->binding.platform)
				return EXIT_USAGE;
			a->release_set = true;
			break;
		case OPT_ALL:
			a->all = true;
			break;
		case OPT_CRYPTTAB:
			a->crypttab = optarg;
			break;
		case OPT_TOKEN:
			if (parse_int(optarg, 0, 255, &a->token) < 0)
				return usage_error("--token: a token number expected");
			break;
		case OPT_CHECK:
			a->check = true;
			break;
		case OPT_READONLY:
			a->flags |= CRYPT_ACTIVATE_READONLY;
			break;
		case OPT_DISCARDS:
			a->flags |= CRYPT_ACTIVATE_ALLOW_DISCARDS;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_REFRESH:
			a->refresh = true;
			break;
		case 'h':
			help();
			return CLI_PARSE_DONE;
		}
		if (r)
			return r;
	}
	if (optind != argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!a->all && !a->device)
		return usage_error("-d DEV is required; see 'cvmattest luks %s --help'", cmd);
	if (a->all && (a->device || a->name || a->token >= 0))
		return usage_error("--all excludes -d, -n and --token");
	if (cmd_bit == LUKS_BIND && !a->refresh && a->token >= 0)
		return usage_error("luks bind takes --token only with --refresh");
	if (a->refresh && (a->release_set || a->keyslot >= 0))
		return usage_error("--refresh keeps the token's keyslot and release values; to change "
				   "them, unbind and bind again");
	if (a->check && (a->name || a->flags))
		return usage_error("--check activates nothing: it excludes -n, --readonly and "
				   "--allow-discards");
	if (common->verbose >= 2)
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
	return 0;
}

static int make_key_source(struct cvm_ctx *ctx, const struct luks_args *a,
			   struct cvm_key_source **ret)
{
	if (a->key_fd >= 0) {
		if (!a->common->quiet)
			fprintf(stderr, "cvmattest: warning: --key-file-fd is a testing aid: the key "
				"does not come from attestation and proves nothing about this machine\n");
		return cvm_key_source_test_fd_new(a->key_fd, ret);
	}
	return cvm_key_source_release_new(ctx, a->config, ret);
}

/* The passphrase that authorizes bind: key file, terminal, or a line of stdin. */
static int read_passphrase(const char *device, const char *file, int key_fd,
			   struct cvm_secret **ret)
{
	struct termios old, quiet;
	int fd, r;

	if (file) {
		bool is_stdin = strcmp(file, "-") == 0;

		if (is_stdin && key_fd == STDIN_FILENO)
			return usage_error("stdin cannot carry both the key and the passphrase");
		fd = is_stdin ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			fprintf(stderr, "cvmattest: cannot open %s: %s\n", file, strerror(errno));
			return EXIT_USAGE;
		}
		r = cvm_secret_read_fd(fd, PASSPHRASE_FILE_MAX, false, ret);
		if (!is_stdin)
			close(fd);
	} else if (isatty(STDIN_FILENO)) {
		fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 || tcgetattr(fd, &old) < 0) {
			fprintf(stderr, "cvmattest: cannot use the terminal: %s\n", strerror(errno));
			if (fd >= 0)
				close(fd);
			return EXIT_USAGE;
		}
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		dprintf(fd, "Enter an existing passphrase of %s: ", device);
		(void)tcsetattr(fd, TCSAFLUSH, &quiet);
		r = cvm_secret_read_fd(fd, PASSPHRASE_TTY_MAX, true, ret);
		(void)tcsetattr(fd, TCSAFLUSH, &old);
		close(fd);
	} else {
		if (key_fd == STDIN_FILENO)
			return usage_error("stdin carries the key; give the passphrase with "
					   "--unlock-key-file");
		r = cvm_secret_read_fd(STDIN_FILENO, PASSPHRASE_TTY_MAX, true, ret);
	}
	if (r < 0) {
		fprintf(stderr, "cvmattest: cannot read the passphrase: %s\n",
			r == -ENODATA ? "it is empty" : r == -EFBIG ? "too long" : strerror(-r));
		return EXIT_USAGE;
	}
	return 0;
}

static char *sysfs_platform(void)
{
	char buf[64];
	_cleanup_fclose_ FILE *f = fopen("/sys/kernel/cvmattest/platform", "re");

	if (!f || !fgets(buf, sizeof(buf), f))
		return NULL;
	buf[strcspn(buf, "\n")] = 0;
	return *buf && strcmp(buf, "none") != 0 ? strdup(buf) : NULL;
}

static int do_refresh(struct cvm_ctx *ctx, struct luks_args *a)
{
	_cleanup_(cvm_key_source_freep) struct cvm_key_source *src = NULL;
	_cleanup_(cvm_secret_freep) struct cvm_secret *pass = NULL;
	enum cvm_luks_fail fail = CVM_LUKS_FAIL_NONE;
	struct cvm_luks_refresh_params p = { 0 };
	int r, token = -1;

	r = read_passphrase(a->device, a->unlock_key_file, a->key_fd, &pass);
	if (r)
		return r;
	if (make_key_source(ctx, a, &src) < 0)
		return EXIT_USAGE;
	p.passphrase = cvm_secret_data(pass);
	p.passphrase_len = cvm_secret_len(pass);
	p.token = a->token;
	r = cvm_luks_refresh(ctx, a->device, &p, src, &token, &fail);
	if (r < 0)
		return exit_code(fail, r);
	if (a->common->json)
		print_json("{s:s, s:i, s:b}", "device", a->device, "token", token, "refreshed", 1);
	else if (!a->common->quiet)
		fprintf(stderr, "%s: token %d binds the LUKS2 header as it is now\n", a->device, token);
	return EXIT_OK;
}

/*
 * A key_url without a version is released as the key's newest version: after
 * a rotation Key Vault releases another key and the token no longer opens.
 */
static void warn_unversioned(const struct luks_args *a)
{
	const char *url = a->binding.key_url;
	int n;

	if (a->common->quiet || cvm_config_key_url_versioned(url) != 0)
		return;
	n = (int)strlen(url) - (url[strlen(url) - 1] == '/');	/* one "/" is tolerated */
	fprintf(stderr, "cvmattest: warning: key_url %s names no key version: Key Vault releases "
		"the newest one, so once the key is rotated this volume no longer opens by its "
		"token. Pin a version: --key-url %.*s/VERSION ('az keyvault key show --id %.*s "
		"--query key.kid -o tsv' prints the current one)\n", url, n, url, n, url);
}

/* What to do after bind: the versioned key Key Vault released, crypttab, the initramfs. */
static void bind_next_steps(struct cvm_ctx *ctx, const struct luks_args *a, int token)
{
	_cleanup_free_ char *uuid = NULL;
	struct cvm_luks_token_info *v = NULL;
	size_t n = 0;

	if (cvm_config_key_url_versioned(a->binding.key_url) == 0 &&
	    cvm_luks_list(ctx, a->device, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (v[i].token == token && v[i].key_id &&
			    cvm_config_key_url_versioned(v[i].key_id) == 1)
				fprintf(stderr, "%s: Key Vault released %s; to pin that version, "
					"'cvmattest luks unbind -d %s --token %d' and bind again "
					"with --key-url %s\n", a->device, v[i].key_id, a->device,
					token, v[i].key_id);
		cvm_luks_token_info_free(v, n);
	}
	if (cvm_luks_device_uuid(ctx, a->device, &uuid) < 0)
		return;
	/* the convention of the initramfs-tools and dracut hooks (cvmattest-boot.rst) */
	fprintf(stderr, "To unlock it at boot, add to /etc/crypttab (the first field is the name "
		"under /dev/mapper):\n"
		"  luks-%s UUID=%s none luks,cvmattest,nofail\n"
		"then rebuild the initramfs: update-initramfs -u (with dracut: dracut -f)\n",
		uuid, uuid);
}

static int do_bind(struct cvm_ctx *ctx, struct luks_args *a)
{
	_cleanup_(cvm_key_source_freep) struct cvm_key_source *src = NULL;
	_cleanup_(cvm_secret_freep) struct cvm_secret *pass = NULL;
	enum cvm_luks_fail fail = CVM_LUKS_FAIL_NONE;
	struct cvm_luks_bind_params p = { 0 };
	int r, token = -1, slot = -1;

	if (a->refresh)
		return do_refresh(ctx, a);
	r = cvm_luks_binding_from_config(ctx, a->config, &a->binding);
	if (r < 0)
		return EXIT_USAGE;
	if (!a->binding.platform)
		a->binding.platform = sysfs_platform();
	if (cvm_luks_binding_validate(ctx, &a->binding) < 0)
		return EXIT_USAGE;
	warn_unversioned(a);
	r = read_passphrase(a->device, a->unlock_key_file, a->key_fd, &pass);
	if (r)
		return r;
	if (make_key_source(ctx, a, &src) < 0)
		return EXIT_USAGE;
	p.binding = &a->binding;
	p.passphrase = cvm_secret_data(pass);
	p.passphrase_len = cvm_secret_len(pass);
	p.keyslot = a->keyslot;
	r = cvm_luks_bind(ctx, a->device, &p, src, &token, &slot, &fail);
	if (r < 0)
		return exit_code(fail, r);
	if (a->common->json) {
		print_json("{s:s, s:s, s:i, s:i}", "device", a->device, "key_url", a->binding.key_url,
			   "token", token, "keyslot", slot);
	} else if (!a->common->quiet) {
		fprintf(stderr, "%s: bound to %s (token %d, keyslot %d)\n", a->device,
			a->binding.key_url, token, slot);
		bind_next_steps(ctx, a, token);
	}
	return EXIT_OK;
}

static int unlock_one(struct cvm_ctx *ctx, const struct luks_args *a, const char *device,
		      const char *name, const struct cvm_key_source *src)
{
	struct cvm_luks_unlock_params p = { .name = name, .flags = a->flags, .token = a->token };
	enum cvm_luks_fail fail = CVM_LUKS_FAIL_NONE;
	int r, token = -1;

	r = cvm_luks_unlock(ctx, device, &p, src, &token, &fail);
	if (r < 0) {
		int rc = exit_code(fail, r);

		/* --all: a line for each volume, the failed ones too */
		if (a->common->json && a->all)
			print_json("{s:s, s:{s:i, s:s}}", "device", device, "error", "code", rc, "name",
				   cli_exit_name(rc));
		return rc;
	}
	if (a->common->json) {
		if (name)
			print_json("{s:s, s:s, s:i, s:b}", "device", device, "name", name, "token", token,
				   "activated", 1);
		else
			print_json("{s:s, s:i, s:b}", "device", device, "token", token, "activated", 0);
	} else if (!a->common->quiet) {
		if (name)
			fprintf(stderr, "%s: unlocked as /dev/mapper/%s (token %d)\n", device, name, token);
		else
			fprintf(stderr, "%s: token %d opens its keyslot (nothing activated)\n", device,
				token);
	}
	return EXIT_OK;
}

static int do_unlock(struct cvm_ctx *ctx, struct luks_args *a)
{
	_cleanup_(cvm_key_source_freep) struct cvm_key_source *src = NULL;
	char **devices = NULL;
	int r, first_fail = EXIT_OK;

	if (make_key_source(ctx, a, &src) < 0)
		return EXIT_USAGE;
	if (!a->all) {
		_cleanup_free_ char *uuid = NULL, *name = NULL;

		if (a->check)
			return unlock_one(ctx, a, a->device, NULL, src);
		if (!a->name) {
			if (cvm_luks_device_uuid(ctx, a->device, &uuid) < 0)
				return EXIT_USAGE;
			name = cvm_luks_default_name(uuid);
			if (!name)
				return EXIT_USAGE;
		}
		return unlock_one(ctx, a, a->device, a->name ? a->name : name, src);
	}

	r = cvm_luks_scan(ctx, NULL, NULL, &devices);
	if (r < 0)
		return EXIT_USAGE;
	if (!devices[0]) {
		if (!a->common->quiet)
			fprintf(stderr, "cvmattest: no volume bound to cvmattest found\n");
		free(devices);
		return EXIT_NO_BINDING;
	}
	for (char **d = devices; *d; d++) {
		_cleanup_free_ char *uuid = NULL, *name = NULL, *active = NULL;
		int rc;

		if (cvm_luks_device_uuid(ctx, *d, &uuid) < 0) {
			rc = EXIT_USAGE;
		} else if (!a->check && cvm_luks_active_name(NULL, uuid, &active) == 0) {
			if (a->common->json)
				print_json("{s:s, s:s, s:b}", "device", *d, "name", active,
					   "already_unlocked", 1);
			else if (!a->common->quiet)
				fprintf(stderr, "%s: already unlocked as /dev/mapper/%s\n", *d, active);
			rc = EXIT_OK;
		} else {
			if (!a->check && cvm_luks_crypttab_name(ctx, a->crypttab, *d, uuid, &name) < 0)
				name = cvm_luks_default_name(uuid);
			rc = !a->check && !name ? EXIT_USAGE :
			     unlock_one(ctx, a, *d, a->check ? NULL : name, src);
		}
		if (rc != EXIT_OK && first_fail == EXIT_OK)
			first_fail = rc;
	}
	for (char **d = devices; *d; d++)
		free(*d);
	free(devices);
	return first_fail;
}

static int do_unbind(struct cvm_ctx *ctx, struct luks_args *a)
{
	enum cvm_luks_fail fail = CVM_LUKS_FAIL_NONE;
	int r, slot = -1;

	r = cvm_luks_unbind(ctx, a->device, a->token, a->force, &slot, &fail);
	if (r < 0)
		return exit_code(fail, r);
	if (a->common->json) {
		if (slot >= 0)
			print_json("{s:s, s:i}", "device", a->device, "keyslot_removed", slot);
		else
			print_json("{s:s, s:n}", "device", a->device, "keyslot_removed");
	} else if (!a->common->quiet) {
		if (slot >= 0)
			fprintf(stderr, "%s: unbound (keyslot %d removed)\n", a->device, slot);
		else
			fprintf(stderr, "%s: unbound (token removed; no keyslot of its own)\n", a->device);
	}
	return EXIT_OK;
}

static int do_list(struct cvm_ctx *ctx, struct luks_args *a)
{
	_cleanup_free_ char *uuid = NULL;
	struct cvm_luks_token_info *v = NULL;
	size_t n = 0;

	if (a->common->json) {
		_cleanup_free_ char *json = NULL;

		if (cvm_luks_list_json(ctx, a->device, &json) < 0)
			return EXIT_USAGE;
		cli_json_print(json);
		return EXIT_OK;
	}
	if (cvm_luks_device_uuid(ctx, a->device, &uuid) < 0 ||
	    cvm_luks_list(ctx, a->device, &v, &n) < 0)
		return EXIT_USAGE;
	/* the UUID=... of crypttab and of cvmattest-unlock@UUID.service */
	printf("%s: LUKS2 UUID %s\n", a->device, uuid);
	if (n == 0)
		printf("%s: no cvmattest token\n", a->device);
	for (size_t i = 0; i < n; i++) {
		char *text = NULL;

		printf("token %d: keyslot %d%s", v[i].token, v[i].keyslot,
		       v[i].keyslot_active ? "" : " (not in use!)");
		if (v[i].error) {
			printf(", unusable: %s\n", v[i].error);
			continue;
		}
		printf(", cvmattest token version %d\n", v[i].version);
		/* the same lines as cryptsetup luksDump's, through the token plugin */
		if (cvm_luks_token_info_text(&v[i], a->device, "  ", &text) < 0) {
			cvm_luks_token_info_free(v, n);
			return EXIT_USAGE;
		}
		fputs(text, stdout);
		free(text);
		text = NULL;
	}
	cvm_luks_token_info_free(v, n);
	return EXIT_OK;
}

int cmd_luks(int argc, char **argv, struct cli_common *common)
{
	static const struct {
		const char *name;
		unsigned bit;
		int (*run)(struct cvm_ctx *, struct luks_args *);
		void (*help)(void);
	} cmds[] = {
		{ "bind", LUKS_BIND, do_bind, bind_help },
		{ "unlock", LUKS_UNLOCK, do_unlock, unlock_help },
		{ "unbind", LUKS_UNBIND, do_unbind, unbind_help },
		{ "list", LUKS_LIST, do_list, list_help },
	};
	_cleanup_(cvm_ctx_freep) struct cvm_ctx *ctx = NULL;
	struct luks_args a;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		luks_help();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	/* Keys pass through this process: no core dumps, no ptrace by other users' tools. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		{
			static char full[64];

			snprintf(full, sizeof(full), "cvmattest luks %s", cmds[i].name);
			argv[1] = full;
		}
		r = parse_args(cmds[i].name, cmds[i].bit, argc - 1, argv + 1, common, &a,
			       cmds[i].help);
		if (r == 0 && cli_ctx_new(common, &ctx) < 0)
			r = EXIT_USAGE;
		if (r == 0) {
			cvm_luks_set_crypto(ctx, a.crypto);
			r = cmds[i].run(ctx, &a);
		}
		cvm_luks_binding_done(&a.binding);
		return r == CLI_PARSE_DONE ? 0 : r;
	}
	fprintf(stderr, "cvmattest: unknown luks command \"%s\"; see 'cvmattest luks --help'\n",
		argv[1]);
	return EXIT_USAGE;
}
