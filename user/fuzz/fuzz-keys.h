/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fixed test keys of the fuzzers and make-seeds, so that the seeds it makes
 * (a key_hsm wrapped to this RSA key, a sealed AzureGuest answer under this
 * AES key) get past the cryptography into the code behind it.  Test keys
 * only: they protect nothing.
 */
#ifndef CVM_FUZZ_KEYS_H
#define CVM_FUZZ_KEYS_H

static const char fuzz_rsa_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDNbEb+Z6F1Ifb1\n"
	"7GihwZKcRIga87IjB8qk1EZRJosb0G4U0rz/IECq1cizNO6MhF6tpiD2F0CvHRVQ\n"
	"CmF4z1DaenmRDoH6+tCWYw1TxUl4vudb/ZOBP1P8uoFm+fqp0kmWs3HKwwDfYL94\n"
	"weOSV0abJBA8YiUl/enbeqjwFyeO9cS0s/PTkdMM93zwTNzlFyguiAplW+QIIkeu\n"
	"7bbRcCCCqkKFVirs+jLTHRhotMprAySbavYp6BynRgj/7zI+kmWt4CtDGkskuqKN\n"
	"5JPXB0jMh6wX+mQP8nQk1s+yxoWIWQIY/c+DUgveYTS6CETzkRdwCJEl49HpW+J4\n"
	"GQptk7z9AgMBAAECggEATQ8fqKKmWiLGGiW3cGqFfXJl3jppqiNrnJ52zE1ZpLLx\n"
	"AIW3WTs3lv5AXh1umS60t45Y0ggR/z65Nn/WZbPbgEGuZcBb+RLqeWep4bFh6NYw\n"
	"Qv1iPntLncQ287K1mcvlSA+DkczKAIGyAfI11LlBpsQGBSjKB7Dy757ZTctZzxHt\n"
	"zHSKMGgYHsArbevzq9Tz+AmgnbHFI93Tp6AB3j2oSMRRltRVxzFrJAaXtcb+EHUY\n"
	"wLr7fmeniHggBu5ck2jkzURDkBxRnAv4jeWrNm3clPCJeyByxjmgmZxI/ps8KU11\n"
	"mcPhn1XlrCNTalSbG47AU1Khv5lIayQYDlh5tIVrvwKBgQDnNk80m0M1LfaxNtx9\n"
	"5JM002ceyi5LbCgQlhNBoo2PXQx6goxC5BqWhyHEKxOqUUqrbGII0NCVbMtBHHCS\n"
	"499D29vSDM3fLgfba5/hqHO6UPoFEuifEoy/IehwgvKyZ/8reZodvE0znSZk4ogO\n"
	"OGjOc6QPDclJKtD3WjovHtjgcwKBgQDjciztHGL//rqMIX4kM6HClM45L3NwMzDq\n"
	"MnUXgoRtalDB4ZphSg/7H7v1OQ5S2rGf5WbRxSrlrcl7mMQz137UjcOMvLzVbGLP\n"
	"Rzt+tDTcK98OsMlrqNgfWOG8BpAzERbeJMqY903ZxQB7h+HflRqygC+elkycQ68Y\n"
	"uKkRRKDAzwKBgQCGYGkOMQKRgMI0YqcpP9RSSl9PZMAdM6HhaeeNKPVPEgwzk3YD\n"
	"VmEhhS4ZvdNzFEXqdVZQu1PO1GkY0XeX13omDTynyqtH/4+vddB5LRb9fRyiIEg0\n"
	"U2qblxBpe6GkEI8b7FOm3o6b5cSvs3zRjvVSr6D04tVOgeTrLXRNeIchgwKBgEDl\n"
	"90PA8c6x1HDfraqOwP1QkHdovrupH6/zrc2DhF3kFB7+TJquE1lIeM1D9n5VwJEr\n"
	"V+dLJy5aJD+MG4/fUWU8/itOP2N2hcs3PBavPNYF/qOmdhKuHtzy85Y/GS45FhlU\n"
	"zipPhns45yZYY270kKWWRgAuSrXb6j5XkoZG2sepAoGAXCgDze7eCwQYzoKzhPmV\n"
	"s/HdEGHHpahSh9whClYlkLj/MkQnjOn3moPZw0niqgZp3DGnTBnDIR6OlS1IQwhz\n"
	"gsV+d2+bvNZuUFp9t5KXc9W1fwtvuJl9TEKoXuzqtPqAiFKWS8rwrROWJ642m8AT\n"
	"5wm/C3+DcOAbEEbX9xg3gU8=\n"
	"-----END PRIVATE KEY-----\n"
	;

/* The AzureGuest transport key and the LUKS token key of the seeds. */
static const unsigned char fuzz_aes_key[32] = {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
	0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
};

#endif
