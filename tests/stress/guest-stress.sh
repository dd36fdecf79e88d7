#!/bin/sh
# Guest side of tests/stress/test-stress (busybox sh): cvmstress against cvmattest.ko
# on the simulated SNP platform while the platform injects faults, then the module must
# still answer correctly. cvmattest_stress.seconds=S on the kernel command line (60).
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# KT CLI SIMD SIMTOOL KEYS
KO=/lib/modules/extra/cvmattest.ko
SYS=/sys/kernel/cvmattest
STRESS=/usr/lib/cvmattest-test/cvmstress
SNP=/run/sim-snp
W=/tmp/work
mkdir -p $W
secs=60 procs=3 threads=4
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	cvmattest_stress.seconds=*) secs=${arg#*=} ;;
	cvmattest_stress.procs=*) procs=${arg#*=} ;;
	cvmattest_stress.threads=*) threads=${arg#*=} ;;
	esac
done
state() { sed -n "s/^$2=//p" "$1/state"; }

[ -c /dev/cuse ] || t_bail "no /dev/cuse"
"$SIMD" --control $SNP --log $SNP.log --snp --product milan --retry-delay 0.05 --retry-max 0.5 ||
	t_bail "cvmattest-simd did not start"
t_wait_for /dev/sev-guest present || t_bail "no /dev/sev-guest"
t_wait_for $SNP/state present || t_bail "no $SNP/state"
t_run "insmod" insmod $KO vtpm_timeout_ms=200 || t_bail "module does not load"
t_import "$KT" info

# Platform faults while the stress runs: firmware and VMM errors, throttling, a slow
# host, corrupt responses, a wiped VMPCK (then a reboot of the simulated platform).
(
	end=$(($(cut -d. -f1 /proc/uptime) + secs))
	while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
		for c in "fw_error 0x16" "vmm_error 2" "vmm_busy 3" "latency_ms 200" \
			corrupt_response "invalid_len 2" clear reboot; do
			echo "$c" >$SNP/control 2>/dev/null
			sleep 1
		done
	done
	echo "clear all" >$SNP/control
) &
faults=$!

t_diag "cvmstress $secs s, $procs processes x $threads threads, unload/reload under load"
t_import "$STRESS" "$secs" "$procs" "$threads" $KO "vtpm_timeout_ms=200"
wait $faults
echo "clear all" >$SNP/control
echo reboot >$SNP/control
sleep 1

# Afterwards: loaded once, answering INFO and correct evidence.
t_is "$(cat /sys/module/cvmattest/initstate 2>/dev/null)" live "cvmattest is loaded after the stress"
t_import "$KT" info
rd=$("$KT" evidence $W/snp.bin --certs $W/snp-certs.bin 2>$W/err | tail -n 1)
t_import "$KT" evidence $W/snp.bin --certs $W/snp-certs.bin --report-data "$rd"
"$CLI" verify --amd-roots "$KEYS/cert_chain-milan.pem" --certs $W/snp-certs.bin \
	--no-cache --report-data "$rd" -q $W/snp.bin
t_is $? 0 "after the stress: evidence verifies against the test chain and carries REPORT_DATA"
t_import "$KT" concurrent 2 5
t_run "rmmod after the stress" rmmod cvmattest
t_run "insmod again" insmod $KO
t_import "$KT" info
t_run "rmmod" rmmod cvmattest
# guest-init scans kmemleak after this script: a leak fails the run.
t_done
