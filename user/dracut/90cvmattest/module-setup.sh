#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# dracut module: unlock the LUKS2 volumes bound with `cvmattest luks bind` that
# /etc/crypttab marks with the option `cvmattest` (not noauto), in the pre-mount
# hook, after the network is up. Documentation/admin-guide/cvmattest-boot.rst.
#
# Overridable for tests and unusual layouts (environment), as in the
# initramfs-tools hook: CVMATTEST_CRYPTTAB (/etc/crypttab),
# CVMATTEST_CONF (/etc/cvmattest/cvmattest.conf), CVMATTEST_BIN (cvmattest in PATH),
# CVMATTEST_BOOT_LIB (/usr/share/cvmattest/cvmattest-boot.sh: the shell library of
# the hook, which also parses crypttab and the configuration here).

cvm_lib() { echo "${CVMATTEST_BOOT_LIB:-/usr/share/cvmattest/cvmattest-boot.sh}"; }

cvm_entries() { # in a subshell: the library's functions stay out of dracut's shell
	[[ -r $(cvm_lib) ]] || return 0
	(. "$(cvm_lib)" && cvm_crypttab_entries "${CVMATTEST_CRYPTTAB:-/etc/crypttab}")
}

cvm_bin() { # the cvmattest program to install (not only in dracut's PATH)
	local b
	if [[ $CVMATTEST_BIN ]]; then
		echo "$CVMATTEST_BIN"
		return 0
	fi
	for b in /usr/bin/cvmattest /usr/local/bin/cvmattest /usr/sbin/cvmattest; do
		[[ -x $dracutsysrootdir$b ]] && { echo "$b"; return 0; }
	done
	find_binary cvmattest 2>/dev/null || echo cvmattest
}

check() {
	require_binaries "$(cvm_bin)" || return 1
	if [[ ! -r $(cvm_lib) ]]; then
		derror "cvmattest: $(cvm_lib) is not installed"
		return 1
	fi
	# in a host-only image only when a crypttab entry asks for it
	if [[ $hostonly ]] && [[ -z $(cvm_entries) ]]; then
		return 255
	fi
	return 0
}

depends() {
	# dm-crypt and the network (network-legacy, network-manager or
	# systemd-networkd, whichever the system has)
	echo crypt network
	return 0
}

installkernel() {
	# Not what the host happens to have loaded (host-only images): what unlocking
	# needs. libcryptsetup and libkcapi use AF_ALG and NETLINK_CRYPTO (crypto_user);
	# the token's HKDF and AES-GCM: hmac, sha256, gcm, ctr, ghash.
	hostonly='' instmods cvmattest dm_mod dm_crypt aes_generic aesni_intel xts ecb cbc ctr \
		gcm ghash_generic ghash_clmulni_intel sha256_generic sha256_ssse3 sha512_generic \
		hmac cryptd crypto_simd af_alg algif_skcipher algif_hash algif_aead crypto_user \
		sev-guest tdx-guest tsm tpm_tis tpm_crb
	# the network drivers come with dracut's network module (kernel-network-modules)
	return 0
}

install() {
	local conf=${CVMATTEST_CONF:-/etc/cvmattest/cvmattest.conf} ca
	inst_binary "$(cvm_bin)" /usr/bin/cvmattest
	# tpm2-tss opens the vTPM (azure-guest: tcti = device:/dev/tpmrm0) through a
	# library it dlopen()s, which inst_binary does not follow
	inst_libdir_file "libtss2-tcti-device.so.*"
	inst_simple "$(cvm_lib)" /usr/share/cvmattest/cvmattest-boot.sh
	inst_multiple blkid ip sed awk readlink cat
	# for the emergency shell: `cryptsetup open` with the recovery passphrase
	inst_multiple -o cryptsetup
	inst_hook pre-mount 50 "$moddir/cvmattest-unlock.sh"
	mkdir -p "$initdir/etc/cvmattest"
	cvm_entries >"$initdir/etc/cvmattest/crypttab"
	if [[ -r $conf ]]; then
		inst_simple "$conf" /etc/cvmattest/cvmattest.conf
		# it pins the keys a token may name: without one, no token is accepted
		[[ -n $(. "$(cvm_lib)" && cvm_conf_get "$conf" key_url; cvm_conf_get "$conf" allowed_keys; cvm_conf_get "$conf" allowed_hosts) ]] ||
			dwarn "cvmattest: $conf lists no key (key_url, allowed_keys): no volume will unlock"
		ca=$(. "$(cvm_lib)" && cvm_conf_get "$conf" ca_bundle)
		if [[ -n $ca && -r $ca ]]; then
			inst_simple "$ca"
		elif [[ -n $ca ]]; then
			dwarn "cvmattest: ca_bundle $ca (from $conf) is missing"
		fi
	else
		dwarn "cvmattest: no $conf: it lists the keys and attestation instances a token may name (key_url, allowed_keys, attest_url, allowed_attest); without it no volume will unlock"
	fi
	inst_multiple -o /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt \
		/usr/lib/ssl/openssl.cnf /etc/ssl/openssl.cnf /etc/nsswitch.conf /etc/host.conf
	# attestation and key release need the network in the initramfs:
	# network-legacy and network-manager wait for it in the initqueue ...
	mkdir -p "$initdir/etc/cmdline.d"
	echo "rd.neednet=1" >"$initdir/etc/cmdline.d/90cvmattest.conf"
	# ... and with systemd the pre-mount hook also waits for network-online.target
	# (systemd-networkd-wait-online, nm-wait-online-initrd)
	if dracut_module_included systemd; then
		mkdir -p "$initdir$systemdsystemunitdir/dracut-pre-mount.service.d"
		printf '%s\n' "# 90cvmattest: attestation and key release need the network" \
			"[Unit]" "Wants=network-online.target" "After=network-online.target" \
			>"$initdir$systemdsystemunitdir/dracut-pre-mount.service.d/90cvmattest.conf"
	fi
}
