#!/bin/sh
# Guest side of tests/vm/test-kmod (busybox sh, /test.sh in the VM):
# cvmattest.ko for real in Debian's 6.1 kernel, on the simulated SNP and TDX
# platforms (tests/sim): evidence verified against the test chains, every
# bad input with its errno and no side effect on the platform, busy
# platforms, concurrency, unload while open, group=, sysfs and netlink,
# staging that neither another thread nor another process can rewrite, and
# unprivileged readers that never reach the platform.
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# KT CLI SIMD SIMTOOL: our binaries; KEYS: test keys

KO=/lib/modules/extra/cvmattest.ko
SYS=/sys/kernel/cvmattest
W=/tmp/work
mkdir -p $W

kt() { t_import "$KT" "$@"; }

wait_for() { t_wait_for "$@"; }

state() { # control-dir key
	sed -n "s/^$2=//p" "$1/state"
}

start_sim() { # control-dir device simd-args...
	_ctl=$1 _dev=$2
	shift 2
	"$SIMD" --control "$_ctl" --log "$_ctl.log" --kernel "$(uname -r)" "$@" ||
		{ t_diag "$(cat "$_ctl.log")"; t_bail "cvmattest-simd $* did not start"; }
	wait_for "$_dev" present || t_bail "no $_dev"
	wait_for "$_ctl/state" present || t_bail "no $_ctl/state"
	t_diag "simulated $_dev: $(sed -n 's/^abi=//p' "$_ctl/state")"
}

stop_sim() { # control-dir device
	kill -TERM "$(cat "$1/pid")"
	wait_for "$2" absent || t_fail "simulator stops"
}

load() {
	insmod $KO "$@" > $W/insmod.out 2>&1 || { t_diag "$(cat $W/insmod.out)"; return 1; }
}

unload() {
	rmmod cvmattest 2> $W/rmmod.out || { t_diag "$(cat $W/rmmod.out)"; return 1; }
}

# Unprivileged readers of sysfs and GET_STATUS only see what is recorded:
# the platform and the module count no request.
unpriv_reads() { # control-dir
	_r0=$(state "$1" requests) _k0=$(cat $SYS/requests)
	kt unpriv-reads 1000 25
	t_is "$(state "$1" requests)" "$_r0" "25 rounds of unprivileged sysfs and GET_STATUS reads: no platform request"
	t_is "$(cat $SYS/requests)" "$_k0" "... and no evidence request counted by the module"
}

# A second thread, or a second process through process_vm_writev(), rewrites
# the request and the response where the module once staged them in the
# caller's address space: nothing changes what reaches the platform or what
# the module records.
races() { # control-dir expected-launch-measurement targets...
	_ctl=$1 _meas=$2
	shift 2
	for _mode in thread process; do
		for _t in "$@"; do
			kt race $_mode $_t 40
		done
		t_is "$(cat $SYS/launch_measurement)" "$_meas" "launch_measurement unchanged after the $_mode race"
	done
}

hex_of() { # file offset length -> lowercase hex
	od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}

[ -c /dev/cuse ] || t_bail "no /dev/cuse"

# ---- no platform ------------------------------------------------------------------------
t_run "insmod with no platform present" load || t_bail "module does not load"
t_is "$(stat -c '%a %u %g' /dev/cvmattest)" "600 0 0" "/dev/cvmattest is 0600 root:root"
t_is "$(cat $SYS/provider)" none "sysfs provider: none"
t_is "$(cat $SYS/platform)" none "sysfs platform: none"
t_is "$(cat $SYS/launch_debug)" unknown "launch_debug unknown without a platform"
kt enodev
t_run "rmmod" unload
if insmod $KO provider=snp 2>/dev/null; then
	t_fail "provider=snp without /dev/sev-guest refuses to load"
	rmmod cvmattest
else
	t_ok "provider=snp without /dev/sev-guest refuses to load"
fi
if insmod $KO provider=bogus 2>/dev/null; then
	t_fail "provider=bogus refuses to load"
	rmmod cvmattest
else
	t_ok "provider=bogus refuses to load"
fi

# ---- SNP ----------------------------------------------------------------------------------
SNP=/run/sim-snp
MEAS=5a5a5a5a000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b
t_run "insmod before the platform driver is there" load
start_sim $SNP /dev/sev-guest --snp --product milan --report-version 2 \
	--measurement $MEAS --retry-delay 0.05 --retry-max 0.5
kt info		# probes again on use: finds /dev/sev-guest now
t_is "$(cat $SYS/provider)" snp "late platform driver picked up: provider snp"
t_is "$(cat $SYS/platform)" sev-snp "sysfs platform: sev-snp"

rd=$("$KT" evidence $W/snp.bin --certs $W/snp-certs.bin 2>$W/err | tail -n 1)
kt evidence $W/snp.bin --certs $W/snp-certs.bin --report-data "$rd"
"$CLI" verify --amd-roots "$KEYS/cert_chain-milan.pem" --certs $W/snp-certs.bin \
	--no-cache --report-data "$rd" --json $W/snp.bin > $W/verify.json 2>&1
t_is $? 0 "SNP report from /dev/cvmattest verifies against the test ARK/ASK/VCEK and carries REPORT_DATA"
grep -q '"verified": *true' $W/verify.json || t_diag "$(cat $W/verify.json)"
# the same through the CLI: cvmattest report
"$CLI" report --report-data "$rd" --certs $W/cli-certs.bin -o $W/cli.bin -q
t_is $? 0 "cvmattest report gets evidence through /dev/cvmattest"
"$CLI" verify --amd-roots "$KEYS/cert_chain-milan.pem" --certs $W/cli-certs.bin \
	--no-cache --report-data "$rd" -q $W/cli.bin
t_is $? 0 "cvmattest report's evidence verifies and carries its REPORT_DATA"
"$CLI" verify --certs $W/snp-certs.bin --no-cache --report-data "$rd" -q $W/snp.bin
t_is $? 2 "the same report does not verify against AMD's real roots (test chain)"
"$CLI" verify --amd-roots "$KEYS/cert_chain-milan.pem" --certs $W/snp-certs.bin --no-cache \
	--report-data 00 -q $W/snp.bin
t_is $? 3 "a different expected REPORT_DATA is a policy failure"

# launch state in sysfs against what the simulated evidence says
t_is "$(cat $SYS/launch_measurement)" "$MEAS" "launch_measurement is the simulated MEASUREMENT"
t_is "$(cat $SYS/launch_debug)" 0 "launch_debug 0 on a non-debug guest"
t_is "$(cat $SYS/launch_policy)" "0x$(od -An -tx8 -j 8 -N 8 $W/snp.bin | tr -d ' ')" \
	"launch_policy is the report's POLICY"
t_is "$(cat $SYS/launch_report_version)" 2 "launch_report_version 2"
t_is "$(cat $SYS/launch_tcb)" "$(od -An -tx8 -j 384 -N 8 $W/snp.bin | tr -d ' ')" \
	"launch_tcb is the report's REPORTED_TCB"

unpriv_reads $SNP
races $SNP $MEAS rd resp version
t_is "$(state $SNP bad_msg_version)" 0 "no racing write changed the msg_version sev-guest sent"
t_is "$(state $SNP wipes)" 0 "no racing write got the VMPCK wiped"
[ "$(state $SNP vmpck_wiped)" = no ] || echo reboot > $SNP/control	# for what follows

req0=$(state $SNP requests)
kt badinput
req1=$(state $SNP requests)
t_is "$((req1 - req0))" 1 "bad inputs never reached the platform (only the one valid size-learning request did)"
t_is "$(state $SNP vmpck_wiped)" no "no bad input wiped the VMPCK"
t_is "$(state $SNP errors)" 0 "the platform saw no failed request"

kt concurrent 4 20
t_is "$(state $SNP vmpck_wiped)" no "no wipe after concurrent use"

# unload while open
exec 3< /dev/cvmattest
if rmmod cvmattest 2>/dev/null; then
	t_fail "rmmod refused while /dev/cvmattest is open"
else
	t_ok "rmmod refused while /dev/cvmattest is open"
fi
kt info
exec 3<&-
t_run "rmmod succeeds once closed" unload
t_run "insmod again" load
kt info

# a slow host is just slow
echo "latency_ms 300" > $SNP/control
kt busy 0
echo "latency_ms 0" > $SNP/control
# a caller killed while its request is in flight leaves at once; the
# request ends in the module's thread, which holds the module until then
echo "latency_ms 3000" > $SNP/control
"$KT" busy 0 > /dev/null 2>&1 &
kpid=$!
sleep 1
t0=$(date +%s)
kill -KILL $kpid
wait $kpid 2>/dev/null
t1=$(date +%s)
[ $((t1 - t0)) -le 1 ] && t_ok "a caller killed during a slow platform request exits at once" ||
	t_fail "a caller killed during a slow platform request exits at once" "took $((t1 - t0)) s"
if rmmod cvmattest 2>/dev/null; then
	t_fail "rmmod refused while the abandoned request is in flight"
	load
else
	t_ok "rmmod refused while the abandoned request is in flight"
fi
t_is "$(cat $SYS/last_error)" -4 "the abandoned request is counted as failed with -EINTR"
echo "latency_ms 0" > $SNP/control
kt busy 0	# waits for the abandoned request, then gets its own
t_is "$(state $SNP vmpck_wiped)" no "the abandoned request wiped nothing"
# a host with more certificates than sev-guest takes (16 KiB): -EMSGSIZE, and
# the one tolerated failure keeps the VMPCK
echo "invalid_len 5" > $SNP/control
kt certs-busy 90
t_is "$(state $SNP vmpck_wiped)" no "certificate buffer too small did not wipe the VMPCK"
kt busy 0

# a busy host: sev-guest retries itself (no second loop); too long -> EBUSY
echo "vmm_busy 3" > $SNP/control
kt busy 0
t_is "$(cat $SYS/retries)" 0 "the module added no retries of its own on SNP"
echo "vmm_busy 1000" > $SNP/control
kt busy 16		# EBUSY: sev-guest gave up (-ETIMEDOUT) after its window
t_is "$(state $SNP vmpck_wiped)" yes "(as on real hardware, sev-guest's timeout wiped the VMPCK)"
t_is "$(cat $SYS/last_error)" -16 "sysfs last_error -EBUSY"
kt busy 5		# and from now on -EIO: VMPCK disabled
echo reboot > $SNP/control
kt busy 0
echo "fw_error 0x27" > $SNP/control
kt busy 5
t_is "$(state $SNP last_exitinfo2)" 0x27 "firmware error reaches the caller"
echo reboot > $SNP/control
errs=$(cat $SYS/errors)
t_is "$errs" 5 "sysfs errors counts the four failures and the abandoned request"

t_run "rmmod" unload
stop_sim $SNP /dev/sev-guest

# a debug guest shows debug allowed
start_sim $SNP /dev/sev-guest --snp --product genoa --report-version 5 --debug
# the staging address space comes from an exec'd program that never runs
r0=$(state $SNP requests)
if load provider=snp stage_helper=/nonexistent 2>/dev/null; then
	t_fail "stage_helper=/nonexistent: provider=snp refuses to load"
	unload
else
	t_ok "stage_helper=/nonexistent: provider=snp refuses to load"
fi
t_is "$(state $SNP requests)" "$r0" "... without a platform request"
t_run "insmod (debug SNP guest)" load stage_helper=/bin/busybox
left=
for f in /proc/[0-9]*/status; do
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "$f" 2>/dev/null)
	case $st in T | t | Z) left="$left $(sed -n 's/^Name:[[:space:]]*//p' "$f")($st)" ;; esac
done
t_is "$left" "" "the staging helper is gone: no stopped or zombie process left"
t_is "$(cat $SYS/launch_debug)" 1 "launch_debug 1 on a debug guest"
t_is "$(cat $SYS/launch_report_version)" 5 "launch_report_version 5"
kt evidence $W/snp5.bin --certs $W/snp5-certs.bin
"$CLI" verify --amd-roots "$KEYS/cert_chain-genoa.pem" --certs $W/snp5-certs.bin --no-cache -q $W/snp5.bin
t_is $? 3 "debug guest's report is valid but fails the default policy"
t_run "rmmod" unload
stop_sim $SNP /dev/sev-guest

# ---- TDX ----------------------------------------------------------------------------------
TDX=/run/sim-tdx
MRTD=7d7d7d7d000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b
start_sim $TDX /dev/tdx_guest --tdx --mrtd $MRTD
t_run "insmod provider=tdx" load provider=tdx
kt info
t_is "$(cat $SYS/provider)" tdx "sysfs provider: tdx"
t_is "$(cat $SYS/platform)" tdx "sysfs platform: tdx"
rd=$("$KT" evidence $W/td.bin 2>$W/err | tail -n 1)
kt evidence $W/td.bin --report-data "$rd"
"$CLI" report --report-data "$rd" -o $W/cli-td.bin -q
t_is $? 0 "cvmattest report gets a TDREPORT through /dev/cvmattest"
t_is "$(hex_of $W/cli-td.bin 128 64)" "$rd" "its REPORTDATA is the one asked for"
"$CLI" report --quote -o $W/q.bin -q 2>/dev/null
t_is $? 7 "cvmattest report --quote fails cleanly where the provider cannot quote (7: not on this host)"
t_run "the simulated quoting enclave accepts the TDREPORT and quotes it" \
	"$SIMTOOL" tdx-quote --tdreport $W/td.bin -o $W/quote.bin
"$CLI" verify --intel-root "$KEYS/intel-root.pem" --report-data "$rd" --json $W/quote.bin \
	> $W/verify.json 2>&1
t_is $? 0 "quote of the TDREPORT from /dev/cvmattest verifies against the test PCK chain and carries REPORT_DATA"
grep -q '"verified": *true' $W/verify.json || t_diag "$(cat $W/verify.json)"
"$CLI" verify --report-data "$rd" -q $W/quote.bin
t_is $? 2 "the quote does not verify against Intel's real root (test chain)"
t_is "$(cat $SYS/launch_measurement)" "$MRTD" "launch_measurement is the simulated MRTD"
t_is "$(cat $SYS/launch_debug)" 0 "launch_debug 0 on a non-debug TD"
t_is "$(cat $SYS/launch_tcb)" "$(hex_of $W/td.bin 264 16)" "launch_tcb is the TEE_TCB_SVN"
unpriv_reads $TDX
races $TDX $MRTD rd resp

req0=$(state $TDX requests)
kt badinput
t_is "$(($(state $TDX requests) - req0))" 0 "bad inputs never reached the TDX platform"
kt concurrent 4 20

# TDCALL_OPERAND_BUSY: 6.2-6.15's tdx-guest says -EIO (nothing to retry), 6.16+'s
# -EBUSY (retried). This guest's own model first, then the other one.
own=$(state $TDX kernel)
echo "kernel 6.15" > $TDX/control
r0=$(cat $SYS/retries)
echo "tdcall_busy 1" > $TDX/control
kt busy 5
t_is "$(($(cat $SYS/retries) - r0))" 0 "6.2-6.15 model: a busy TDX module is -EIO, not retried"
echo "kernel 6.16" > $TDX/control
r0=$(cat $SYS/retries)
echo "tdcall_busy 2" > $TDX/control
kt busy 0
t_diag "simulated /dev/tdx_guest now: $(state $TDX abi)"
t_is "$(($(cat $SYS/retries) - r0))" 2 "6.16+ model: a busy TDX module is retried twice, then succeeds"
echo "tdcall_busy 100" > $TDX/control
kt busy 16
t_is "$(($(cat $SYS/retries) - r0))" 5 "busy_retries=3 bounds the retries, then -EBUSY"
echo "clear" > $TDX/control
echo "kernel $own" > $TDX/control
kt busy 0
t_is "$(state $TDX kernel)" "$own" "the simulator models this guest's kernel ($own) again"
echo "tdcall_error 1" > $TDX/control
kt busy 5
t_run "rmmod" unload

# group=: the node opens to one group; the platform node stays root-only
t_run "insmod group=1234" load provider=tdx group=1234
t_is "$(stat -c '%a %u %g' /dev/cvmattest)" "660 0 1234" "/dev/cvmattest is 0660 root:1234"
kt group 1000 1234 OK
kt group 1000 1000 DENIED

# the attestation status the helper reports back: privileged ioctl only
t_is "$(cat $SYS/attestation_state)" unknown "attestation_state unknown before any report"
t_is "$(cat $SYS/attestation_time)" 0 "attestation_time 0 before any report"
kt setstatus 1 https://maa.test/attest 1900000000 ""
t_is "$(cat $SYS/attestation_state)" verified "attestation_state verified"
t_is "$(cat $SYS/attestation_verifier)" https://maa.test/attest "attestation_verifier"
t_is "$(cat $SYS/attestation_expiry)" 1900000000 "attestation_expiry"
now=$(date +%s)
at=$(cat $SYS/attestation_time)
[ "$at" -gt $((now - 60)) ] && [ "$at" -le "$now" ] && t_ok "attestation_time is now ($at)" ||
	t_fail "attestation_time is now" "got $at, now $now"
kt setstatus 2 https://evil.test 0 "forged" 1000 1234
t_is "$(cat $SYS/attestation_state)" verified "an unprivileged caller changed nothing"
kt setstatus 2 https://maa.test/attest 0 "policy: x-ms-sevsnpvm-is-debuggable is true"
t_is "$(cat $SYS/attestation_state)" failed "attestation_state failed"
t_is "$(cat $SYS/attestation_reason)" "policy: x-ms-sevsnpvm-is-debuggable is true" "attestation_reason"
kt setstatus-bad
t_is "$(cat $SYS/attestation_state)" failed "invalid SET_STATUS requests changed nothing"

# the kernel's own view of this (non-confidential) QEMU guest
for f in mem_encrypt sev sev_es sev_snp tdx module_sig_enforce; do
	t_is "$(cat $SYS/$f)" 0 "$f 0 in a plain QEMU guest"
done
t_is "$(cat $SYS/secure_boot)" disabled "secure_boot disabled (BIOS boot)"
t_is "$(cat $SYS/lockdown)" none "lockdown none"
t_is "$(cat $SYS/tpm)" none "tpm none"
bad=
for f in $SYS/*; do
	# root passes permission checks, but sysfs refuses writes without a store()
	if (echo 1 > "$f") 2>/dev/null; then bad="$bad $f(writable)"; fi
	[ "$(stat -c %a "$f")" = 444 ] || bad="$bad $f($(stat -c %a "$f"))"
done
t_is "$bad" "" "every sysfs file is 0444 and refuses writes, even from root"
ls $SYS | sort > $W/sysfs.list
sed -n 's|^What:[[:space:]]*/sys/kernel/cvmattest/||p' "$ABI_DOC" | sort > $W/doc.list
if cmp -s $W/sysfs.list $W/doc.list; then
	t_ok "Documentation/ABI lists exactly the files the module creates"
else
	t_fail "Documentation/ABI lists exactly the files the module creates" \
		"$(diff $W/doc.list $W/sysfs.list)"
fi
t_run "rmmod" unload
stop_sim $TDX /dev/tdx_guest

t_is "$(grep -c cvmattest /proc/modules)" 0 "module gone at the end"
t_done
