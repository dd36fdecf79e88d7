#!/bin/sh
# Guest side of tests/vm/test-debug-selftest (busybox sh): cvmattest_debugtest.mode=MODE
# says which bug to commit. clean must pass; every other mode must fail the run.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$CVMATTEST_LIB"

mode=clean
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	cvmattest_debugtest.mode=*) mode=${arg#*=} ;;
	esac
done
t_diag "debug selftest mode: $mode"
ko=/lib/modules/extra/cvmdebug_bad.ko

case $mode in
clean)
	t_run "kmemleak is there" test -w /sys/kernel/debug/kmemleak
	t_run "insmod cvmdebug_bad (no bug)" insmod $ko
	t_run "rmmod cvmdebug_bad" rmmod cvmdebug_bad
	# Test output that looks like a report is not one: only kernel lines count.
	echo "BUG: KASAN: this line is test output"
	echo "kmemleak: 1 unreferenced object(s) after /test.sh (test output too)"
	;;
inject)
	# A report line in the kernel log, as a checker would print it.
	echo "<4>WARNING: suspicious RCU usage (injected by test-debug-selftest)" >/dev/kmsg
	t_ok "injected a lockdep line"
	;;
leak | uaf | oob | sleep_atomic | lock_order)
	t_run "insmod cvmdebug_bad $mode=1" insmod $ko $mode=1
	;;
shift)
	t_run "insmod cvmdebug_bad shift=70" insmod $ko shift=70
	;;
*) t_bail "unknown mode $mode" ;;
esac
t_done
