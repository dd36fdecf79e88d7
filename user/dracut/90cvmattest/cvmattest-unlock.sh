#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# dracut pre-mount hook of 90cvmattest: `cvmattest luks unlock` for each entry of
# /etc/cvmattest/crypttab (the `cvmattest` entries of the host's /etc/crypttab),
# with the same retries and failure rules as the initramfs-tools script.
type warn >/dev/null 2>&1 || . /lib/dracut-lib.sh

CRYPTTAB=/etc/cvmattest/crypttab
LOG=/run/initramfs/cvmattest.log
[ -s "$CRYPTTAB" ] || return 0 2>/dev/null || exit 0
mkdir -p /run/initramfs /run/cryptsetup
modprobe -q cvmattest

cvm_say() { # level message: kernel log (console and journal) and the log file
	case $1 in
	err) shift; warn "cvmattest: $*" ;;
	*) shift; info "cvmattest: $*" ;;
	esac
	echo "$*" >>"$LOG"
}
cvm_opt() { # options name -> value of name=value
	echo ",$1," | sed -n "s/.*,$2=\([^,]*\),.*/\1/p"
}
cvm_has() { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }

cvm_failed=""
while read -r name spec _key opts _rest; do
	[ -n "$name" ] && [ -n "$spec" ] || continue
	cvm_has "$opts" cvmattest || continue
	cvm_has "$opts" noauto && continue
	[ -b "/dev/mapper/$name" ] && continue
	case $spec in
	UUID=* | PARTUUID=* | LABEL=* | PARTLABEL=*) dev=$(blkid -l -o device -t "$spec") ;;
	*) dev=$spec ;;
	esac
	tries=$(cvm_opt "$opts" cvmattest-tries); delay=$(cvm_opt "$opts" cvmattest-delay)
	case $tries in '' | *[!0-9]*) tries=3 ;; esac
	case $delay in '' | *[!0-9]*) delay=5 ;; esac
	[ "$tries" -le 10 ] || tries=10
	try=1
	while :; do
		if [ -z "$dev" ] || [ ! -b "$dev" ]; then
			msg="device $spec not found"; rc=1
		else
			msg=$(cvmattest luks unlock -q -d "$dev" -n "$name" </dev/null 2>&1); rc=$?
		fi
		[ $rc = 0 ] && { cvm_say info "$name ($dev) unlocked"; break; }
		echo "$msg" >>"$LOG"
		case $rc in 3 | 4 | 5) try=$tries ;; esac
		if [ "$try" -ge "$tries" ]; then
			cvm_say err "$name (${dev:-$spec}) stays locked after $try attempt(s): exit $rc: $(echo "$msg" | sed -n '$p')"
			cvm_has "$opts" nofail || cvm_failed="$cvm_failed $name"
			break
		fi
		sleep "$delay"; delay=$((delay * 2)); try=$((try + 1))
		[ -z "$dev" ] && case $spec in UUID=* | PARTUUID=* | LABEL=* | PARTLABEL=*) dev=$(blkid -l -o device -t "$spec") ;; esac
	done
done <"$CRYPTTAB"

if [ -n "$cvm_failed" ]; then
	warn "cvmattest: required volume(s)$cvm_failed could not be unlocked (see $LOG); add nofail in /etc/crypttab to boot without them"
	emergency_shell -n cvmattest "cvmattest unlock failed"
fi
