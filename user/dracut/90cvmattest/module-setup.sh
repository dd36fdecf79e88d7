#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# dracut module: unlock the LUKS2 volumes bound with `cvmattest luks bind` that
# /etc/crypttab marks with the option `cvmattest` (not noauto), in the pre-mount
# hook, after the network is up. Documentation/admin-guide/cvmattest-boot.rst.

cvm_entries() {
	[[ -r ${CVMATTEST_CRYPTTAB:-/etc/crypttab} ]] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${CVMATTEST_CRYPTTAB:-/etc/crypttab}" |
		awk '{ o = "," $4 ","; if (o ~ /,cvmattest,/ && o !~ /,noauto,/) print }'
}

check() {
	require_binaries cvmattest cryptsetup || return 1
	# in a host-only image only when a crypttab entry asks for it
	if [[ $hostonly ]] && [[ -z $(cvm_entries) ]]; then
		return 255
	fi
	return 0
}

depends() {
	# dm-crypt and the network (network-legacy or network-manager, whichever is there)
	echo crypt network
	return 0
}

installkernel() {
	instmods cvmattest dm_mod dm_crypt xts ecb cbc ctr gcm ghash_generic hmac sha256_generic \
		aes_generic af_alg algif_skcipher algif_hash algif_aead crypto_user \
		sev-guest tdx-guest tsm tpm_tis tpm_crb
	hostonly='' instmods =drivers/net
}

install() {
	local conf=${CVMATTEST_CONF:-/etc/cvmattest/cvmattest.conf} ca
	inst_multiple cvmattest blkid
	inst_hook pre-mount 50 "$moddir/cvmattest-unlock.sh"
	mkdir -p "$initdir/etc/cvmattest"
	cvm_entries >"$initdir/etc/cvmattest/crypttab"
	if [[ -r $conf ]]; then
		inst_simple "$conf" /etc/cvmattest/cvmattest.conf
		ca=$(sed -n 's/^[[:space:]]*ca_bundle[[:space:]]*=[[:space:]]*//p' "$conf" | sed 's/[[:space:]]*$//' | tail -n 1)
		[[ -n $ca && -r $ca ]] && inst_simple "$ca"
	fi
	inst_multiple -o /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt \
		/usr/lib/ssl/openssl.cnf /etc/ssl/openssl.cnf /etc/nsswitch.conf
	# attestation and key release need the network in the initramfs
	mkdir -p "$initdir/etc/cmdline.d"
	echo "rd.neednet=1" >"$initdir/etc/cmdline.d/90cvmattest.conf"
}
