#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# dracut pre-mount hook of 90cvmattest: `cvmattest luks unlock` for each entry of
# /etc/cvmattest/crypttab (the `cvmattest` entries of the host's /etc/crypttab),
# with the same retries, messages and failure rules as the initramfs-tools
# local-top script. Documentation/admin-guide/cvmattest-boot.rst.
#
# dracut sources hooks into its own shell (dracut-pre-mount.service with systemd,
# /init without): everything here is a cvm_ function or variable, and nothing
# exits. Messages go to the kernel log through /dev/kmsg (the console shows
# errors and warnings even with `quiet`; the journal keeps them after the switch
# to the real root), with dracut's warn/info as the fallback, and all of them
# with the CLI's own output to /run/initramfs/cvmattest.log.
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh

cvm_say() { # level message
	cvm_l=$1
	shift
	case $cvm_l in
	err) cvm_p=3 ;;
	warn) cvm_p=4 ;;
	*) cvm_p=5 ;;
	esac
	if ! { [ -w /dev/kmsg ] && echo "<$cvm_p>cvmattest: $*" >/dev/kmsg; } 2>/dev/null; then
		case $cvm_l in
		err | warn) warn "cvmattest: $*" ;;
		*) info "cvmattest: $*" ;;
		esac
	fi
	echo "$*" >>"$CVM_LOG"
}

cvm_has() { # options name: the comma-separated options contain name
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

cvm_opt() { # options name: the value of name=value, empty when absent
	echo ",$1," | sed -n "s/.*,$2=\([^,]*\),.*/\1/p"
}

cvm_find_dev() { # spec: the device node of a crypttab device field, waiting up to 30 s
	cvm_n=0
	while :; do
		case $1 in
		UUID=*) cvm_d=/dev/disk/by-uuid/${1#UUID=} ;;
		PARTUUID=*) cvm_d=/dev/disk/by-partuuid/${1#PARTUUID=} ;;
		LABEL=*) cvm_d=/dev/disk/by-label/${1#LABEL=} ;;
		PARTLABEL=*) cvm_d=/dev/disk/by-partlabel/${1#PARTLABEL=} ;;
		*) cvm_d=$1 ;;
		esac
		[ -b "$cvm_d" ] && { echo "$cvm_d"; return 0; }
		case $1 in
		UUID=* | PARTUUID=* | LABEL=* | PARTLABEL=*)
			cvm_d=$(blkid -l -o device -t "$1" 2>/dev/null)
			[ -n "$cvm_d" ] && [ -b "$cvm_d" ] && { echo "$cvm_d"; return 0; } ;;
		esac
		[ "$cvm_n" -ge 60 ] && return 1
		sleep 0.5
		cvm_n=$((cvm_n + 1))
	done
}

# The network: network-legacy and network-manager bring it up before the
# initqueue ends (rd.neednet=1); with systemd, dracut-pre-mount.service is also
# ordered after network-online.target (systemd-networkd, whose dracut module does
# not look at rd.neednet). Wait a little more for an address and a route in any
# case (bounded), and give resolv.conf the DNS servers systemd-networkd learnt,
# which nothing else writes into the initramfs.
cvm_net() {
	[ -n "$CVM_NET" ] && return 0
	CVM_NET=1
	cvm_n=0
	while [ -z "$(ip -4 route show default 2>/dev/null)" ] && [ "$cvm_n" -lt 60 ]; do
		sleep 0.5
		cvm_n=$((cvm_n + 1))
	done
	[ -n "$(ip -4 route show default 2>/dev/null)" ] ||
		cvm_say warn "no default route after 30 s (ip=dhcp or ip=... on the kernel command line?)"
	if [ ! -s /etc/resolv.conf ]; then
		if [ -s /run/systemd/resolve/resolv.conf ]; then
			cat /run/systemd/resolve/resolv.conf >/etc/resolv.conf
		else
			for cvm_f in /run/systemd/netif/links/*; do
				[ -f "$cvm_f" ] || continue
				for cvm_s in $(sed -n 's/^DNS=//p' "$cvm_f"); do
					echo "nameserver $cvm_s"
				done
			done >/etc/resolv.conf 2>/dev/null
		fi
	fi
	echo "network: $(ip -4 -o addr show scope global 2>/dev/null | awk '{ printf "%s %s, ", $2, $4 }')$(ip -4 route show default 2>/dev/null | sed -n 1p), dns $(awk '/^nameserver/ { printf "%s ", $2 }' /etc/resolv.conf 2>/dev/null)" >>"$CVM_LOG"
}

cvm_module() {
	[ -c /dev/cvmattest ] && return 0
	modprobe -q cvmattest 2>/dev/null
	cvm_n=0
	while [ ! -c /dev/cvmattest ] && [ "$cvm_n" -lt 20 ]; do
		sleep 0.1
		cvm_n=$((cvm_n + 1))
	done
	[ -c /dev/cvmattest ] || cvm_say warn "cvmattest.ko did not give /dev/cvmattest (no confidential platform?)"
}

cvm_reason() { # exit status of `cvmattest luks unlock` (cvmattest-luks.rst)
	case $1 in
	1) echo "device, header or activation error" ;;
	2) echo "attestation or key release failed" ;;
	3) echo "no cvmattest token on the device" ;;
	4) echo "the token does not open (wrong key, tampered or moved token, host not allowed)" ;;
	5) echo "already unlocked, name taken or device busy" ;;
	*) echo "exit status $1" ;;
	esac
}

cvm_unlock_one() { # name spec options
	cvm_tries=$(cvm_opt "$3" cvmattest-tries)
	cvm_delay=$(cvm_opt "$3" cvmattest-delay)
	case $cvm_tries in '' | *[!0-9]*) cvm_tries=3 ;; esac
	case $cvm_delay in '' | *[!0-9]*) cvm_delay=5 ;; esac
	[ "$cvm_tries" -ge 1 ] || cvm_tries=1
	[ "$cvm_tries" -le 10 ] || cvm_tries=10
	if [ -b "/dev/mapper/$1" ]; then
		cvm_say info "$1 is already unlocked"
		return 0
	fi
	if ! cvm_dev=$(cvm_find_dev "$2"); then
		cvm_say err "$1: device $2 not found"
		return 1
	fi
	cvm_args=""
	cvm_has "$3" readonly && cvm_args="--readonly"
	cvm_has "$3" read-only && cvm_args="--readonly"
	cvm_has "$3" discard && cvm_args="$cvm_args --allow-discards"
	cvm_try=1
	while :; do
		# shellcheck disable=SC2086
		cvm_msg=$(cvmattest luks unlock -q -d "$cvm_dev" -n "$1" $cvm_args </dev/null 2>&1)
		cvm_rc=$?
		[ $cvm_rc = 0 ] && { cvm_say info "$1 ($cvm_dev) unlocked"; return 0; }
		# the CLI's message: the first lines say what went wrong (e.g. the claim
		# a release policy wanted), the last sums it up
		cvm_why=$(echo "$cvm_msg" | sed -e '/^[[:space:]]*$/d' -e 's/^cvmattest: //' | sed -n 1,4p)
		if [ "$cvm_try" -ge "$cvm_tries" ] || { [ $cvm_rc -ge 3 ] && [ $cvm_rc -le 5 ]; }; then
			echo "$cvm_why" | while IFS= read -r cvm_l; do cvm_say err "$1: $cvm_l"; done
			cvm_say err "$1 ($cvm_dev) stays locked after $cvm_try attempt(s): $(cvm_reason $cvm_rc)"
			return $cvm_rc
		fi
		echo "$cvm_why" | while IFS= read -r cvm_l; do cvm_say warn "$1: $cvm_l"; done
		cvm_say warn "$1: attempt $cvm_try/$cvm_tries failed ($(cvm_reason $cvm_rc)); again in ${cvm_delay}s"
		sleep "$cvm_delay"
		cvm_delay=$((cvm_delay * 2))
		cvm_try=$((cvm_try + 1))
	done
}

cvm_main() {
	CVM_LOG=/run/initramfs/cvmattest.log
	CVM_NET=""
	[ -s /etc/cvmattest/crypttab ] || return 0
	mkdir -p /run/initramfs /run/cryptsetup
	cvm_failed=""
	# the table first: the loop runs commands that could read stdin
	cvm_entries=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /etc/cvmattest/crypttab)
	[ -n "$cvm_entries" ] || return 0
	cvm_module
	while read -r cvm_name cvm_spec _ cvm_opts _; do
		[ -n "$cvm_name" ] && [ -n "$cvm_spec" ] || continue
		cvm_has "$cvm_opts" cvmattest || continue
		cvm_has "$cvm_opts" noauto && continue
		cvm_net
		cvm_unlock_one "$cvm_name" "$cvm_spec" "$cvm_opts" </dev/null && continue
		if cvm_has "$cvm_opts" nofail; then
			cvm_say warn "$cvm_name: nofail, the boot goes on without it"
		else
			cvm_failed="$cvm_failed $cvm_name"
		fi
	done <<EOF
$cvm_entries
EOF
	[ -n "$cvm_failed" ] || return 0
	cvm_say err "required volume(s)$cvm_failed could not be unlocked (see $CVM_LOG); add nofail in /etc/crypttab to boot without them"
	emergency_shell -n cvmattest "cvmattest: required volume(s)$cvm_failed could not be unlocked"
}

cvm_main
