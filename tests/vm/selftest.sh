#!/bin/bash
# selftest.sh: check the VM harness itself (fetch-kernel, mkinitramfs, run, lib.sh, the
# guest /init): Debian modules and their device nodes, a dynamic host binary, an
# out-of-tree module, and that failures are reported as failures. Prints TAP.
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	cat <<EOF2
Usage: $prog [--quick] [--keep] [--kver KVER]

Builds vmtest_hello.ko (selftest.d/) against /usr/src/linux-headers-KVER, an initramfs
with selftest.d/guest.sh, the modules cuse, loop, dm-crypt, tpm_vtpm_proxy, configfs
and /usr/bin/openssl, and boots it in several modes:
  basic          everything works: exit 0 and only "ok" lines
  exit3          the guest script's exit status 3 becomes run's exit status
  notok          a "not ok" line with exit status 0 still fails (exit 1)
  warn           a kernel WARNING from a module fails the run (exit 1)
  guest-timeout  a hanging test is killed by the guest's time limit (exit 124)
  noresult       a VM that stops without a result line fails (exit 125)
  host-timeout   a VM that runs too long is killed by run (exit 124)

  --quick        only the basic boot
  --keep         keep the work directory (logs, initramfs) and print its path
  --kver KVER    kernel ABI name (default: \$KVER, else the newest installed headers)
EOF2
}

die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }

quick=0 keep=0 kver=${KVER:-}
while (($#)); do
	case $1 in
	--quick) quick=1; shift ;;
	--keep) keep=1; shift ;;
	--kver) (($# >= 2)) || die "--kver needs a value"; kver=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

kdir=$(KVER=$kver "$here/fetch-kernel" --quiet) || die "fetch-kernel failed"
kver=${kdir##*/}
headers=/usr/src/linux-headers-$kver
[[ -d $headers ]] || die "no $headers: apt-get install linux-headers-$kver"
command -v make >/dev/null || die "make not found: apt-get install build-essential"
openssl=$(command -v openssl) || die "openssl not found: apt-get install openssl"

work=$(mktemp -d "${TMPDIR:-/tmp}/cvmattest-selftest.XXXXXX")
if ((keep)); then
	trap 'printf "# work directory kept: %s\n" "$work"' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi

mkdir "$work/mod"
cp "$here/selftest.d/vmtest_hello.c" "$here/selftest.d/Kbuild" "$work/mod/"
make -s -C "$headers" M="$work/mod" modules >"$work/mod/build.log" 2>&1 ||
	{ cat "$work/mod/build.log" >&2; die "building vmtest_hello.ko failed"; }

"$here/mkinitramfs" -o "$work/initrd" --kver "$kver" --script "$here/selftest.d/guest.sh" \
	--bin "$openssl" --ko "$work/mod/vmtest_hello.ko" \
	--module cuse --module loop --module dm-crypt --module tpm_vtpm_proxy --module configfs \
	2>"$work/mkinitramfs.log" || { cat "$work/mkinitramfs.log" >&2; die "mkinitramfs failed"; }

n=0 failed=0
# check NAME MODE WANT_RC STDERR_REGEX [RUN ARGS...]: boot with guest.sh in MODE and check
# run's exit status and messages.
check() {
	local name=$1 mode=$2 want=$3 want_err=$4 rc=0 start end problem=""
	shift 4
	n=$((n + 1))
	start=$(date +%s.%N)
	"$here/run" --initrd "$work/initrd" --kver "$kver" --log "$work/$name.log" \
		--append "cvmattest_selftest.mode=$mode cvmattest_selftest.kver=$kver" "$@" \
		>"$work/$name.out" 2>"$work/$name.err" || rc=$?
	end=$(date +%s.%N)
	if ((rc != want)); then
		problem="run exited $rc, expected $want"
	elif [[ -n $want_err ]] && ! grep -qE -- "$want_err" "$work/$name.err"; then
		problem="run's messages do not match /$want_err/"
	elif [[ $name == basic ]]; then
		if grep -q '^not ok' "$work/$name.out"; then
			problem="a guest check failed"
		elif (($(grep -c '^ok ' "$work/$name.out") < 20)); then
			problem="fewer guest checks passed than expected"
		fi
	fi
	local secs
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	if [[ -z $problem ]]; then
		printf 'ok %d - %s (%s s)\n' "$n" "$name" "$secs"
	else
		failed=$((failed + 1))
		printf 'not ok %d - %s: %s\n' "$n" "$name" "$problem"
		{
			echo "--- stdout:"
			cat "$work/$name.out"
			echo "--- stderr:"
			cat "$work/$name.err"
		} | sed 's/^/# /'
	fi
	if [[ $name == basic ]]; then
		sed 's/^/#   /' "$work/$name.out"
		grep -E '^run: (PASS|FAIL)' "$work/$name.err" | sed 's/^/# /' || true
	fi
}

check basic basic 0 '^run: PASS'
if ((!quick)); then
	check exit3 exit3 3 'guest rc=3'
	check notok notok 1 'printed 1 "not ok" line'
	check warn warn 1 'kernel printed warnings or call traces'
	check guest-timeout hang 124 'killed after --guest-timeout 5 s' --guest-timeout 5
	check noresult noresult 125 'VM did not report a result'
	check host-timeout hang 124 'TIMEOUT: the VM ran longer than --timeout 15 s' --timeout 15 --guest-timeout 1000
fi
printf '1..%d\n' "$n"
if ((failed)); then
	printf '# %d of %d failed\n' "$failed" "$n"
	exit 1
fi
