#!/bin/sh
# Guest side of `make demo`: narrates the main job on the simulated platform.
# Lines starting "# " reach the host's terminal (tests/vm/run passes them on).
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env

say() { printf '%s\n' "$@" | sed 's/^/# /'; }
step() { say "" "==> $*"; }
run() { say "\$ $*"; "$@" > /tmp/out 2>&1; _rc=$?; [ -s /tmp/out ] && say "$(cat /tmp/out)"; return $_rc; }

step "1. A confidential VM stand-in: SEV-SNP (Genoa, report v5) simulated behind /dev/sev-guest"
"$SIMD" --snp --product genoa --report-version 5 --control /run/sim --log /tmp/simd.log ||
	t_bail "simulator did not start"
i=0; while [ ! -e /dev/sev-guest ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
run ls -l /dev/sev-guest

step "2. Load cvmattest.ko: one device for every platform"
run insmod /lib/modules/extra/cvmattest.ko || t_bail "insmod failed"
run ls -l /dev/cvmattest
for f in platform provider launch_debug launch_measurement launch_tcb secure_boot lockdown; do
	say "  /sys/kernel/cvmattest/$f: $(cat /sys/kernel/cvmattest/$f)"
done

step "3. Evidence bound to a fresh nonce: REPORT_DATA = SHA-256(nonce)"
nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
rd=$(printf '%s' "$nonce" | sha256sum | cut -d' ' -f1)
say "nonce $nonce" "REPORT_DATA $rd"
run "$CLI" report --report-data "$rd" --certs /tmp/certs.bin -o /tmp/report.bin ||
	t_fail "cvmattest report"

step "4. Verify it offline: VCEK -> ASK -> ARK (test roots), signature, REPORT_DATA, default policy"
run "$CLI" verify --amd-roots "$KEYS/cert_chain-genoa.pem" --certs /tmp/certs.bin --no-cache \
	--report-data "$rd" /tmp/report.bin
t_is $? 0 "the evidence verifies"

step "5. A debug-enabled guest is refused by the default policy"
kill -TERM "$(cat /run/sim/pid)"; rmmod cvmattest
i=0; while [ -e /dev/sev-guest ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$SIMD" --snp --product genoa --report-version 5 --debug --control /run/sim --log /tmp/simd.log
i=0; while [ ! -e /dev/sev-guest ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
insmod /lib/modules/extra/cvmattest.ko
say "  /sys/kernel/cvmattest/launch_debug: $(cat /sys/kernel/cvmattest/launch_debug)"
"$CLI" report --report-data "$rd" --certs /tmp/certs.bin -o /tmp/report.bin -q
run "$CLI" verify --amd-roots "$KEYS/cert_chain-genoa.pem" --certs /tmp/certs.bin --no-cache \
	--report-data "$rd" /tmp/report.bin
t_is $? 3 "the debug guest's evidence is valid but fails the policy (exit 3)"
rmmod cvmattest
t_done
