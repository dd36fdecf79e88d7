#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# dracut pre-mount hook of 90cvmattest: `cvmattest luks unlock` for each entry of
# /etc/cvmattest/crypttab (the `cvmattest` entries of the host's /etc/crypttab).
# The unlocking (attempts, pauses, messages, nofail) is cvm_unlock_all of
# /usr/share/cvmattest/cvmattest-boot.sh, shared with initramfs-tools; here only
# what is dracut's own: its warn/info, waiting for the network it brought up, the
# emergency shell. Documentation/admin-guide/cvmattest-boot.rst.
#
# dracut sources hooks into its own shell (dracut-pre-mount.service with systemd,
# /init without): everything here and in the library is a cvm_ function or
# variable, and nothing exits. Messages go to the kernel log through /dev/kmsg
# (the console shows errors and warnings even with `quiet`; the journal keeps them
# after the switch to the real root), with dracut's warn/info as the fallback, and
# to /run/initramfs/cvmattest.log.
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh

cvm_glue_log() { # level message: when /dev/kmsg cannot be written
	case $1 in
	err | warn) warn "$2" ;;
	*) info "$2" ;;
	esac
}

# The network: network-legacy and network-manager bring it up before the
# initqueue ends (rd.neednet=1); with systemd, dracut-pre-mount.service is also
# ordered after network-online.target (systemd-networkd, whose dracut module does
# not look at rd.neednet). Wait a little more for an address and a route in any
# case (bounded), and give resolv.conf the DNS servers systemd-networkd learnt,
# which nothing else writes into the initramfs.
cvm_glue_net() {
	cvm_g_n=0
	while [ -z "$(ip -4 route show default 2>/dev/null)" ] && [ "$cvm_g_n" -lt 60 ]; do
		sleep 0.5
		cvm_g_n=$((cvm_g_n + 1))
	done
	[ -n "$(ip -4 route show default 2>/dev/null)" ] ||
		cvm_say warn "no default route after 30 s (ip=dhcp or ip=... on the kernel command line?)"
	if [ ! -s /etc/resolv.conf ]; then
		if [ -s /run/systemd/resolve/resolv.conf ]; then
			cat /run/systemd/resolve/resolv.conf >/etc/resolv.conf
		else
			for cvm_g_f in /run/systemd/netif/links/*; do
				[ -f "$cvm_g_f" ] || continue
				for cvm_g_s in $(sed -n 's/^DNS=//p' "$cvm_g_f"); do
					printf 'nameserver %s\n' "$cvm_g_s"
				done
			done >/etc/resolv.conf 2>/dev/null
		fi
	fi
	printf 'network: %s%s, dns %s\n' \
		"$(ip -4 -o addr show scope global 2>/dev/null | awk '{ printf "%s %s, ", $2, $4 }')" \
		"$(ip -4 route show default 2>/dev/null | sed -n 1p)" \
		"$(awk '/^nameserver/ { printf "%s ", $2 }' /etc/resolv.conf 2>/dev/null)" >>"$CVM_LOG"
}

cvm_main() {
	CVM_CRYPTTAB=/etc/cvmattest/crypttab
	CVM_CLI=/usr/bin/cvmattest
	CVM_LOG=/run/initramfs/cvmattest.log
	CVM_DEV_WAIT=30
	[ -s "$CVM_CRYPTTAB" ] || return 0
	if [ ! -r /usr/share/cvmattest/cvmattest-boot.sh ]; then
		warn "cvmattest: /usr/share/cvmattest/cvmattest-boot.sh missing from the initramfs"
		return 0
	fi
	. /usr/share/cvmattest/cvmattest-boot.sh
	cvm_unlock_all && return 0
	cvm_say err "required volume(s)$CVM_FAILED could not be unlocked (see $CVM_LOG); add nofail in /etc/crypttab to boot without them"
	emergency_shell -n cvmattest "cvmattest: required volume(s)$(cvm_clean "$CVM_FAILED") could not be unlocked"
}

cvm_main
