#!/bin/sh
# TEST ONLY (tests/vm/test-dracut): start the simulated SEV-SNP platform before
# 90cvmattest's pre-mount hook (priority 50) loads cvmattest.ko.
# cvmattest_test.debug=1 on the kernel command line makes it a debug guest.
modprobe cuse
cvmtest_extra=""
case " $(cat /proc/cmdline) " in *" cvmattest_test.debug=1 "*) cvmtest_extra=--debug ;; esac
mkdir -p /run/cvmattest-test
if /usr/lib/cvmattest-test/cvmattest-simd --control /run/cvmattest-test/sim \
	--log /run/cvmattest-test/sim.log --kernel "$(uname -r)" --snp --product milan $cvmtest_extra; then
	cvmtest_i=0
	while [ ! -e /dev/sev-guest ] && [ $cvmtest_i -lt 100 ]; do sleep 0.1; cvmtest_i=$((cvmtest_i + 1)); done
	echo "<5>test: simulated SEV-SNP platform${cvmtest_extra:+ (debug guest)} on /dev/sev-guest" >/dev/kmsg
else
	echo "<3>test: cvmattest-simd did not start" >/dev/kmsg
fi
