#!/bin/sh
# Guest side of tests/vm/selftest.sh (busybox sh). The mode comes from the kernel command
# line: cvmattest_selftest.mode=MODE.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$CVMATTEST_LIB"

mode=basic
kver=unknown
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	cvmattest_selftest.mode=*) mode=${arg#*=} ;;
	cvmattest_selftest.kver=*) kver=${arg#*=} ;;
	esac
done
t_diag "selftest mode: $mode"

case $mode in
basic) ;;
exit3)
	t_ok "about to exit 3"
	exit 3
	;;
notok)
	t_fail "a failure reported with exit status 0" "on purpose"
	exit 0
	;;
warn)
	t_run "load vmtest_hello warn=1" insmod /lib/modules/extra/vmtest_hello.ko warn=1
	t_done
	exit
	;;
hang)
	t_diag "hanging on purpose"
	sleep 100000
	exit 0
	;;
noresult)
	t_diag "powering off without a result, on purpose"
	echo o >/proc/sysrq-trigger
	sleep 100000
	;;
*) t_bail "unknown mode $mode" ;;
esac

# basic: modules the harness loaded at boot, their device nodes, a host binary, the
# out-of-tree module, and that a daemon left running does not hang the harness.
for m in fuse cuse loop dm_mod dm_crypt tpm_vtpm_proxy configfs; do
	t_is "$(cat /sys/module/$m/initstate 2>/dev/null)" live "module $m is loaded"
done
for d in /dev/cuse /dev/loop-control /dev/mapper/control /dev/vtpmx; do
	if [ -c "$d" ]; then t_ok "$d exists"; else t_fail "$d exists" "$(ls -l /dev)"; fi
done
t_is "$(uname -r)" "$kver" "the kernel is the one the host asked for"
t_is "$(cat /proc/sys/kernel/tainted)" 0 "the kernel is not tainted after boot"
if grep -q ' /sys/kernel/config configfs ' /proc/mounts; then t_ok "configfs mounted"; else t_fail "configfs mounted" "$(cat /proc/mounts)"; fi
t_run "dynamic host binary runs: openssl version" openssl version
out=$(openssl version 2>&1)
case $out in OpenSSL\ 3*) t_ok "openssl says $out" ;; *) t_fail "openssl version" "$out" ;; esac
t_run "losetup finds a free loop device" losetup -f
t_run "modprobe works in the guest (loop, already loaded)" modprobe loop
t_run "insmod the out-of-tree module" insmod /lib/modules/extra/vmtest_hello.ko
t_is "$(cat /sys/module/vmtest_hello/initstate 2>/dev/null)" live "vmtest_hello is live"
t_run "rmmod it" rmmod vmtest_hello
taint=$(cat /proc/sys/kernel/tainted)
t_is "$((taint & 4096))" 4096 "loading it tainted the kernel with O (out-of-tree), as expected (taint=$taint)"
# Text that looks like kernel trouble but is test output must not fail the run.
echo "WARNING: this line is test output, not a kernel warning"
echo "Call Trace: neither is this"
# A daemon left behind, holding the output pipe: the harness must not wait for it.
sleep 100000 &
t_done
