# SPDX-License-Identifier: GPL-2.0-only OR MIT
# cvmattest-boot.sh: the boot unlock logic shared by the initramfs-tools
# local-top script and the dracut pre-mount hook, and the crypttab and configuration parsing of the initramfs-tools hook and
# the dracut module. Installed as /usr/share/cvmattest/cvmattest-boot.sh, on
# the host and in the initramfs. Documentation/admin-guide/cvmattest-boot.rst.
#
# Sourced, never run: it defines cvm_* functions and nothing else, so that
# dracut can source it into its own shell; no function exits. POSIX sh, for
# busybox sh and klibc sh (initramfs-tools), dash and bash (dracut, systemd):
# no `local` (every function's variables carry its own cvm_X_ prefix), no
# `echo` (dash and klibc sh expand backslashes in its arguments).
#
# A flavour defines two functions and calls cvm_unlock_all:
#   cvm_glue_log LEVEL MESSAGE   where messages go when /dev/kmsg cannot be written
#                                (LEVEL err, warn or info)
#   cvm_glue_net                 bring the network up (called once, before the
#                                first volume)
# and may set first (defaults in brackets):
#   CVM_CRYPTTAB  [/etc/cvmattest/crypttab]   the entries the image was built with
#   CVM_CLI       [/usr/bin/cvmattest]
#   CVM_LOG       [/run/initramfs/cvmattest.log]
#   CVM_KMSG      [/dev/kmsg]
#   CVM_DEV_WAIT  [30]  seconds to wait for each volume's device
#   CVM_SYSFS     [/sys]

# ---- crypttab and configuration (also at image build time) ---------------------------------

# cvm_crypttab_entries FILE: the lines of a crypttab with the option cvmattest
# and without noauto (comments and blank lines removed)
cvm_crypttab_entries() {
	[ -r "$1" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1" |
		awk '{ o = "," $4 ","; if (o ~ /,cvmattest,/ && o !~ /,noauto,/) print }'
}

# cvm_conf_get FILE KEY: the value of the last `KEY = VALUE` line of a
# cvmattest.conf, without surrounding blanks; empty when absent
cvm_conf_get() {
	[ -r "$1" ] || return 0
	sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | sed 's/[[:space:]]*$//' | sed -n '$p'
}

# cvm_has OPTIONS NAME: the comma-separated crypttab options contain NAME
cvm_has() {
	case ",$1," in
	*",$2,"*) return 0 ;;
	esac
	return 1
}

# cvm_opt OPTIONS NAME: the value of NAME=VALUE, empty when absent. The
# options are split at commas with pathname expansion off: an option such as
# `x-foo=*` must not turn into the names of the files in the current directory.
cvm_opt() {
	cvm_o_ifs=$IFS cvm_o_val="" cvm_o_noglob=""
	case $- in *f*) cvm_o_noglob=1 ;; esac
	set -f
	IFS=,
	for cvm_o in $1; do
		case $cvm_o in
		"$2"=*) cvm_o_val=${cvm_o#*=}; break ;;
		esac
	done
	IFS=$cvm_o_ifs
	[ -n "$cvm_o_noglob" ] || set +f
	printf '%s\n' "$cvm_o_val"
}

# ---- messages ------------------------------------------------------------------------------

# cvm_clean TEXT...: TEXT as one line of printable ASCII. What comes from the
# disk (crypttab names, the token's contents quoted in the CLI's messages) may
# hold control characters; on the console they would move the cursor, clear
# the screen or retitle a terminal. Each byte outside 0x20-0x7e becomes '?',
# line breaks become spaces. Backslashes stay as they are (printf '%s').
cvm_clean() {
	printf '%s\n' "$*" | LC_ALL=C sed -e 's/[^ -~]/?/g' | {
		cvm_c_out="" cvm_c_first=1
		while IFS= read -r cvm_c_l; do
			if [ -n "$cvm_c_first" ]; then cvm_c_out=$cvm_c_l cvm_c_first=""
			else cvm_c_out="$cvm_c_out $cvm_c_l"; fi
		done
		printf '%s\n' "$cvm_c_out"
	}
}

# cvm_say LEVEL MESSAGE...: to the kernel log through /dev/kmsg (journald keeps
# it after the switch to the real root; the console shows it as it shows kernel
# messages of that level: errors even with `quiet`), else through the flavour's
# cvm_glue_log; and to CVM_LOG (/run is kept by the switch to the real root)
cvm_say() {
	cvm_s_lvl=$1
	shift
	cvm_s_msg=$(cvm_clean "$*")
	case $cvm_s_lvl in
	err) cvm_s_p=3 ;;
	warn) cvm_s_p=4 ;;
	*) cvm_s_p=5 ;;
	esac
	if ! { [ -w "${CVM_KMSG:-/dev/kmsg}" ] &&
		printf '<%s>cvmattest: %s\n' "$cvm_s_p" "$cvm_s_msg" >>"${CVM_KMSG:-/dev/kmsg}"; } 2>/dev/null; then
		cvm_glue_log "$cvm_s_lvl" "cvmattest: $cvm_s_msg"
	fi
	printf '%s\n' "$cvm_s_msg" >>"${CVM_LOG:-/run/initramfs/cvmattest.log}"
}

# cvm_say_lines LEVEL PREFIX TEXT: cvm_say each non-blank line of TEXT (the
# CLI's output: the first lines say what went wrong, e.g. the claim a release
# policy wanted, the last sums it up), at most 4, without the CLI's own
# "cvmattest: " prefix
cvm_say_lines() {
	printf '%s\n' "$3" | sed -e '/^[[:space:]]*$/d' -e 's/^cvmattest: //' | sed -n 1,4p |
		while IFS= read -r cvm_l_line; do cvm_say "$1" "$2$cvm_l_line"; done
}

# cvm_reason STATUS: what an exit status of `cvmattest luks unlock` means
# (cvmattest.rst, "EXIT STATUS": one table for every command)
cvm_reason() {
	case $1 in
	1) printf '%s\n' "device, header, configuration or activation error" ;;
	2) printf '%s\n' "the token does not open (wrong key, tampered or moved token, host not allowed)" ;;
	3) printf '%s\n' "the key's release policy refused this VM" ;;
	6) printf '%s\n' "attestation or key release failed (service unreachable or failing)" ;;
	7) printf '%s\n' "attestation cannot work on this host" ;;
	8) printf '%s\n' "no cvmattest token on the device" ;;
	9) printf '%s\n' "already unlocked" ;;
	10) printf '%s\n' "the managed identity is not authorized" ;;
	11) printf '%s\n' "the name is taken by another mapping, or the device is in use" ;;
	*) printf '%s\n' "exit status $1" ;;
	esac
}

# cvm_permanent STATUS: not worth retrying, the header, the token or the key's
# release policy will not change (8, 2, 3), the volume is open already (9), or
# the name is another mapping (11)
cvm_permanent() {
	case $1 in
	2 | 3 | 8 | 9 | 11) return 0 ;;
	esac
	return 1
}

# ---- devices -------------------------------------------------------------------------------

# cvm_find_dev SPEC: the device node for a crypttab device field (UUID=,
# PARTUUID=, LABEL=, PARTLABEL=, a path), waiting up to CVM_DEV_WAIT seconds
cvm_find_dev() {
	cvm_f_n=0
	cvm_f_max=$(( ${CVM_DEV_WAIT:-30} * 2 ))
	cvm_f_blkid=/sbin/blkid
	[ -x "$cvm_f_blkid" ] || cvm_f_blkid=blkid
	while :; do
		case $1 in
		UUID=*) cvm_f_d=/dev/disk/by-uuid/${1#UUID=} ;;
		PARTUUID=*) cvm_f_d=/dev/disk/by-partuuid/${1#PARTUUID=} ;;
		LABEL=*) cvm_f_d=/dev/disk/by-label/${1#LABEL=} ;;
		PARTLABEL=*) cvm_f_d=/dev/disk/by-partlabel/${1#PARTLABEL=} ;;
		*) cvm_f_d=$1 ;;
		esac
		[ -b "$cvm_f_d" ] && { printf '%s\n' "$cvm_f_d"; return 0; }
		# no udev symlink (yet): ask blkid
		case $1 in
		UUID=* | PARTUUID=* | LABEL=* | PARTLABEL=*)
			cvm_f_d=$("$cvm_f_blkid" -l -o device -t "$1" 2>/dev/null)
			[ -n "$cvm_f_d" ] && [ -b "$cvm_f_d" ] && { printf '%s\n' "$cvm_f_d"; return 0; } ;;
		esac
		[ "$cvm_f_n" -ge "$cvm_f_max" ] && return 1
		sleep 0.5
		cvm_f_n=$((cvm_f_n + 1))
	done
}

# cvm_mapped NAME DEV: /dev/mapper/NAME is a dm-crypt mapping (DM UUID CRYPT-...)
# of the block device DEV, i.e. DEV is unlocked under that name already. A
# mapping of that name on another device is not: the volume is not open.
cvm_mapped() {
	cvm_m_dev=$(readlink -f "$2" 2>/dev/null) || return 1
	cvm_m_dev=${cvm_m_dev##*/}
	[ -n "$cvm_m_dev" ] || return 1
	for cvm_m_dm in "${CVM_SYSFS:-/sys}"/block/dm-*/dm; do
		[ -r "$cvm_m_dm/name" ] || continue
		[ "$(cat "$cvm_m_dm/name" 2>/dev/null)" = "$1" ] || continue
		case $(cat "$cvm_m_dm/uuid" 2>/dev/null) in
		CRYPT-*) ;;
		*) return 1 ;;
		esac
		[ -e "${cvm_m_dm%/dm}/slaves/$cvm_m_dev" ]
		return
	done
	return 1
}

# cvm_load_module: cvmattest.ko and /dev/cvmattest (2 s at most)
cvm_load_module() {
	[ -c /dev/cvmattest ] && return 0
	modprobe -q cvmattest 2>/dev/null
	cvm_k_n=0
	while [ ! -c /dev/cvmattest ] && [ "$cvm_k_n" -lt 20 ]; do
		sleep 0.1
		cvm_k_n=$((cvm_k_n + 1))
	done
	[ -c /dev/cvmattest ] || cvm_say warn "cvmattest.ko did not give /dev/cvmattest (no confidential platform?)"
}

# ---- unlocking -----------------------------------------------------------------------------

# cvm_unlock_one NAME SPEC OPTIONS: `cvmattest luks unlock` for one crypttab
# entry, up to cvmattest-tries=N (default 3, at most 10) attempts with a pause
# of cvmattest-delay=S (default 5) seconds doubled each time; 0, or the last
# exit status of the CLI (1 when the device never appeared)
cvm_unlock_one() {
	cvm_u_tries=$(cvm_opt "$3" cvmattest-tries)
	cvm_u_delay=$(cvm_opt "$3" cvmattest-delay)
	case $cvm_u_tries in '' | *[!0-9]*) cvm_u_tries=3 ;; esac
	case $cvm_u_delay in '' | *[!0-9]*) cvm_u_delay=5 ;; esac
	[ "$cvm_u_tries" -ge 1 ] || cvm_u_tries=1
	[ "$cvm_u_tries" -le 10 ] || cvm_u_tries=10

	if ! cvm_u_dev=$(cvm_find_dev "$2"); then
		cvm_say err "$1: device $2 not found"
		return 1
	fi
	if cvm_mapped "$1" "$cvm_u_dev"; then
		cvm_say info "$1 is already unlocked"
		return 0
	fi
	cvm_u_ro=""
	cvm_has "$3" readonly && cvm_u_ro=--readonly
	cvm_has "$3" read-only && cvm_u_ro=--readonly
	cvm_u_disc=""
	cvm_has "$3" discard && cvm_u_disc=--allow-discards

	cvm_u_try=1
	while :; do
		# shellcheck disable=SC2086 # empty or one word each
		cvm_u_msg=$("${CVM_CLI:-/usr/bin/cvmattest}" luks unlock -q -d "$cvm_u_dev" -n "$1" \
			$cvm_u_ro $cvm_u_disc </dev/null 2>&1)
		cvm_u_rc=$?
		# 9 (busy) and the mapping there now: opened by someone else meanwhile
		if [ "$cvm_u_rc" = 0 ] || { [ "$cvm_u_rc" = 9 ] && cvm_mapped "$1" "$cvm_u_dev"; }; then
			cvm_say info "$1 ($cvm_u_dev) unlocked"
			return 0
		fi
		if cvm_permanent "$cvm_u_rc" || [ "$cvm_u_try" -ge "$cvm_u_tries" ]; then
			cvm_say_lines err "$1: " "$cvm_u_msg"
			cvm_say err "$1 ($cvm_u_dev) stays locked after $cvm_u_try attempt(s): $(cvm_reason "$cvm_u_rc")"
			return "$cvm_u_rc"
		fi
		cvm_say_lines warn "$1: " "$cvm_u_msg"
		cvm_say warn "$1: attempt $cvm_u_try/$cvm_u_tries failed ($(cvm_reason "$cvm_u_rc")); again in ${cvm_u_delay}s"
		sleep "$cvm_u_delay"
		cvm_u_delay=$((cvm_u_delay * 2))
		cvm_u_try=$((cvm_u_try + 1))
	done
}

# cvm_unlock_all: every entry of CVM_CRYPTTAB with the option cvmattest (and
# not noauto); the network (cvm_glue_net) before the first. 0 when every
# required volume is open; else 1, with their names in CVM_FAILED (" a b"):
# the flavour stops the boot. Entries with nofail never fail it.
cvm_unlock_all() {
	CVM_FAILED=""
	cvm_a_net=""
	[ -s "${CVM_CRYPTTAB:-/etc/cvmattest/crypttab}" ] || return 0
	# the table first: the loop runs commands that could read stdin
	cvm_a_entries=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${CVM_CRYPTTAB:-/etc/cvmattest/crypttab}")
	[ -n "$cvm_a_entries" ] || return 0
	cvm_a_log=${CVM_LOG:-/run/initramfs/cvmattest.log}
	mkdir -p "${cvm_a_log%/*}" /run/cryptsetup 2>/dev/null
	cvm_load_module
	# read splits the fields: no pathname expansion of `*` or `?` in them
	while read -r cvm_a_name cvm_a_spec cvm_a_key cvm_a_opts cvm_a_rest; do
		[ -n "$cvm_a_name" ] && [ -n "$cvm_a_spec" ] || continue
		cvm_has "$cvm_a_opts" cvmattest || continue
		cvm_has "$cvm_a_opts" noauto && continue
		if [ -z "$cvm_a_net" ]; then
			cvm_a_net=1
			cvm_glue_net </dev/null
		fi
		cvm_unlock_one "$cvm_a_name" "$cvm_a_spec" "$cvm_a_opts" </dev/null && continue
		if cvm_has "$cvm_a_opts" nofail; then
			cvm_say warn "$cvm_a_name: nofail, the boot goes on without it"
		else
			CVM_FAILED="$CVM_FAILED $cvm_a_name"
		fi
	done <<EOF
$cvm_a_entries
EOF
	[ -z "$CVM_FAILED" ]
}
