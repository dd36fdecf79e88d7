#!/bin/bash
# TEST ONLY (tests/vm/test-dracut): a dracut module that adds the simulated
# SEV-SNP platform (cvmattest-simd, a CUSE daemon serving /dev/sev-guest) and a
# pre-mount hook that starts it before 90cvmattest's hook loads cvmattest.ko, so
# that the real dracut module can be booted in QEMU. Never install it.
check() {
	return 255 # only with --add cvmattest-testsim
}

depends() {
	return 0
}

installkernel() {
	hostonly='' instmods cuse
}

install() {
	local libgcc
	inst_binary "${CVMATTEST_TEST_SIMD:?}" /usr/lib/cvmattest-test/cvmattest-simd
	# glibc dlopen()s libgcc_s for pthread_cancel (libfuse's threads)
	libgcc=$(ldconfig -p | sed -n 's|.*libgcc_s.so.1 (libc6,x86-64) => ||p' | head -n 1)
	inst_library "$libgcc"
	inst_hook pre-mount 10 "$moddir/cvmattest-testsim.sh"
}
