#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Guest side of tests/paravisor/vm-check (busybox sh, /test.sh in the VM).
# Starts cvmattest-paravisor on /dev/vtpmx and checks, through the kernel's
# TPM devices with tpm2-tools, what the kernel provider and the AzureGuest
# flow will rely on.
. "$CVMATTEST_LIB"
. /etc/cvmattest-paravisor.env		# PVBIN, VERIFY

pv=$PVBIN/cvmattest-paravisor
check=$PVBIN/cvmattest-hclcheck
fuzz=$PVBIN/cvmattest-tpmfuzz
ctl=/run/cvmattest-paravisor
export TPM2TOOLS_TCTI=device:/dev/tpmrm0
zero_ud=00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
w=/tmp/pv
mkdir -p $w

state() { # key [control dir]
	sed -n "s/^$1=//p" "${2:-$ctl}/state"
}

hex() {
	od -An -tx1 -v "$1" | tr -d ' \n'
}

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

elapsed() { # start end -> seconds with 2 decimals
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

show_log() {
	[ -f "$ctl/log" ] && t_diag "$(tail -n 30 "$ctl/log")"
	[ -f "$ctl/swtpm.log" ] && t_diag "$(tail -n 10 "$ctl/swtpm.log")"
}

read_report() { # file
	rm -f "$1"
	tpm2 nvread -C o 0x01400001 -o "$1" >/dev/null 2>"$w/nvread.err"
}

user_data_of() { # report file
	$check "$1" 2>/dev/null | sed -n 's/^user_data=//p'
}

# Wait (bounded by $2 seconds) until the report read from NV carries user data $1
# and binds its claims (what a careful client does); prints the seconds it took.
wait_user_data() { # hex timeout_s
	start=$(uptime_s)
	while :; do
		if read_report $w/poll.bin && $check -q $w/poll.bin --user-data "$1"; then
			elapsed "$start" "$(uptime_s)"
			return 0
		fi
		[ "$(elapsed "$start" "$(uptime_s)" | cut -d. -f1)" -ge "$2" ] && return 1
		sleep 0.1
	done
}

# tpm2_nvreadpublic of a missing index segfaults in tpm2-tools 5.4: ask GetCapability
nv_exists() { # 0x1400002 (tpm2-tools' spelling)
	tpm2 getcap handles-nv-index 2>/dev/null | grep -qix -- "- $1"
}

write_user_data() { # file
	nv_exists 0x1400002 ||
		tpm2 nvdefine -C o -s 64 -a "ownerread|ownerwrite|authread|authwrite" 0x01400002 \
			>/dev/null 2>$w/write.err || { cat $w/write.err; return 1; }
	tpm2 nvwrite -C o 0x01400002 -i "$1" 2>$w/write.err || { cat $w/write.err; return 1; }
}

[ -c /dev/vtpmx ] || t_bail "no /dev/vtpmx (tpm_vtpm_proxy not loaded?)"
t_run "cvmattest-paravisor --help" $pv --help

# ---- start: swtpm, provisioning, /dev/vtpmx ----------------------------------------------
t0=$(uptime_s)
t_run "start the paravisor (SNP, fresh state)" $pv --platform snp --state-dir /var/lib/pv-snp \
	--control $ctl --delay-ms 300 || { show_log; t_bail "the paravisor did not start"; }
t1=$(uptime_s)
t_diag "paravisor ready after $(elapsed "$t0" "$t1") s (swtpm start, EK+AK creation, AK cert, report, kernel registration)"
t_diag "$(grep -E 'started swtpm|created the|provisioned|serving' $ctl/log)"

tpm=$(state tpm)
n=${tpm#/dev/tpm}
t_is "$tpm" /dev/tpm0 "the kernel registered /dev/tpm0"
[ -c /dev/tpm0 ] && [ -c /dev/tpmrm0 ] && t_ok "/dev/tpm0 and /dev/tpmrm0 exist" ||
	t_fail "/dev/tpm0 and /dev/tpmrm0 exist"
t_is "$(cat /sys/class/tpm/tpm0/tpm_version_major 2>&1)" 2 "sysfs: tpm_version_major = 2"
t_is "$(state locality_cmds)" 1 "the kernel's TPM2_CC_SET_LOCALITY was answered by the paravisor (once)"
t_diag "kernel requests during registration: $(state requests) (forwarded $(state forwarded))"
t_diag "$(dmesg | grep -i tpm | tail -n 5)"
[ -r /sys/class/misc/hw_random/rng_available ] &&
	t_diag "hw_random: $(cat /sys/class/misc/hw_random/rng_available) (current: $(cat /sys/class/misc/hw_random/rng_current))"

# ---- what the vTPM holds ----------------------------------------------------------------------
out=$(tpm2 nvreadpublic 0x01400001 2>&1)
echo "$out" | grep -q 'size: 2600' && t_ok "NV 0x01400001 is 2600 bytes (NV_ReadPublic)" ||
	t_fail "NV 0x01400001 is 2600 bytes (NV_ReadPublic)" "$out"
t_diag "$(echo "$out" | grep -E 'friendly|value: 0x[0-9A-F]{8}')"
t_run "tpm2_nvread -C o 0x01400001 (HMAC session, through /dev/tpmrm0)" read_report $w/r0.bin ||
	t_diag "$(cat $w/nvread.err)"
t_run "tpm2_readpublic 0x81000003 (AK)" tpm2 readpublic -c 0x81000003 -o $w/ak.pub
t_run "tpm2_readpublic 0x81010001 (EK)" tpm2 readpublic -c 0x81010001 -o $w/ek.pub
t_run "tpm2_nvread -C o 0x01C101D0 (AK certificate)" tpm2 nvread -C o 0x01C101D0 -o $w/akcert.der
t_run "boot report: layout, binding, zero user data, HCLAkPub = AK, HCLEkPub = EK, AK cert" \
	$check $w/r0.bin --platform snp --nv-size 2600 --user-data $zero_ud --ak-pub $w/ak.pub \
	--ek-pub $w/ek.pub --ak-cert $w/akcert.der --ca $ctl/ak-ca.pem
t_diag "$($check $w/r0.bin | grep -E '^(version|report_size|data_size|variable_size)=' | tr '\n' ' ')"
if [ -n "$VERIFY" ]; then
	t_run "cvmattest verify --format azure-hcl: SNP signature (test VCEK), binding" \
		"$VERIFY" verify --format azure-hcl --certs $ctl/vcek-chain.pem \
		--amd-roots $ctl/vcek-chain.pem -q $w/r0.bin
else
	t_skip "cvmattest verify" "build/user/cvmattest not built"
fi
TPM2TOOLS_TCTI=device:/dev/tpm0 tpm2 nvread -C o 0x01400001 -o $w/r0raw.bin >/dev/null 2>&1 &&
	cmp -s $w/r0.bin $w/r0raw.bin && t_ok "the same report through /dev/tpm0 (no resource manager)" ||
	t_fail "the same report through /dev/tpm0 (no resource manager)"
t_run "tpm2_nvread -C o 0x01400001 --offset 2048 -s 552 (the part past swtpm's 2048)" \
	tpm2 nvread -C o 0x01400001 --offset 2048 -s 552 -o $w/tail.bin
dd if=$w/r0.bin of=$w/tail0.bin bs=1 skip=2048 2>/dev/null
cmp -s $w/tail.bin $w/tail0.bin && t_ok "tail read matches" || t_fail "tail read matches"

# ---- refresh through NV 0x01400002 ----------------------------------------------------------------
head -c 64 /dev/urandom > $w/ud1.bin
ud1=$(hex $w/ud1.bin)
t_run "define and write NV 0x01400002 (64 random bytes)" write_user_data $w/ud1.bin
if waited=$(wait_user_data "$ud1" 10); then
	t_ok "NV 0x01400001 carries the new user data, bound (read back after $waited s; delay 0.3 s)"
else
	t_fail "NV 0x01400001 carries the new user data" "$($check $w/poll.bin)"
fi
cp $w/poll.bin $w/r1.bin
t_run "refreshed report: binding, user data, AK, EK" $check $w/r1.bin --platform snp \
	--user-data "$ud1" --ak-pub $w/ak.pub --ek-pub $w/ek.pub
[ -n "$VERIFY" ] && t_run "cvmattest verify of the refreshed report" "$VERIFY" verify \
	--format azure-hcl --certs $ctl/vcek-chain.pem --amd-roots $ctl/vcek-chain.pem -q $w/r1.bin
sleep 0.2
t_is "$(state refreshes)/$(state user_data_writes)/$(state last_user_data)" "1/1/$ud1" \
	"state: refreshes=1 user_data_writes=1 last_user_data"

# delay_ms: the old report until the delay is over, then the new one
echo "delay_ms 4000" > $ctl/control
head -c 64 /dev/urandom > $w/ud2.bin
ud2=$(hex $w/ud2.bin)
tw=$(uptime_s)
write_user_data $w/ud2.bin
read_report $w/early.bin
te=$(uptime_s)
t_is "$(user_data_of $w/early.bin)" "$ud1" "delay_ms 4000: read back $(elapsed "$tw" "$te") s after the write: still the old report"
if waited=$(wait_user_data "$ud2" 15); then
	tn=$(uptime_s)
	t_ok "delay_ms 4000: the new report $(elapsed "$tw" "$tn") s after the write began"
	[ "$(elapsed "$tw" "$tn" | cut -d. -f1)" -ge 4 ] && t_ok "delay_ms 4000: not before 4 s" ||
		t_fail "delay_ms 4000: not before 4 s"
else
	t_fail "delay_ms 4000: new report within 15 s"
fi

# never_refresh: the report stays old
echo "delay_ms 100" > $ctl/control
echo "never_refresh on" > $ctl/control
before=$(state refreshes)
head -c 64 /dev/urandom > $w/ud3.bin
ud3=$(hex $w/ud3.bin)
write_user_data $w/ud3.bin
sleep 1
read_report $w/nr.bin
t_is "$(user_data_of $w/nr.bin)" "$ud2" "never_refresh: the report keeps the old user data"
t_is "$(state refreshes)" "$before" "never_refresh: no refresh counted"
echo "never_refresh off" > $ctl/control
echo "refresh" > $ctl/control
if wait_user_data "$ud3" 5 >/dev/null; then
	t_ok "refresh command: the report now has what NV 0x01400002 holds"
else
	t_fail "refresh command: the report now has what NV 0x01400002 holds"
fi

# corrupt_header
echo "corrupt_header on" > $ctl/control
echo "refresh" > $ctl/control
sleep 0.3
read_report $w/bad.bin
$check -q $w/bad.bin
t_is "$?" 4 "corrupt_header: the report's signature is not \"HCLA\" (hclcheck: malformed)"
if [ -n "$VERIFY" ]; then
	"$VERIFY" verify --format azure-hcl -q $w/bad.bin
	t_is "$?" 4 "corrupt_header: cvmattest verify says malformed (4)"
fi
echo "clear" > $ctl/control
sleep 0.3
read_report $w/ok.bin
t_run "clear: a good report again" $check -q $w/ok.bin --user-data "$ud3"

# undefine_report
echo "undefine_report on" > $ctl/control
sleep 0.3
if nv_exists 0x1400001; then
	t_fail "undefine_report: NV 0x01400001 is gone"
else
	t_ok "undefine_report: NV 0x01400001 is gone"
fi
read_report $w/none.bin && t_fail "undefine_report: reading it fails" || t_ok "undefine_report: reading it fails"
echo "undefine_report off" > $ctl/control
sleep 0.3
read_report $w/back.bin && $check -q $w/back.bin --user-data "$ud3" &&
	t_ok "undefine_report off: the index is back with the current report" ||
	t_fail "undefine_report off: the index is back with the current report"

# the guest cannot change or delete the report (platform-created, PPWRITE)
head -c 16 /dev/zero > $w/z16
tpm2 nvwrite -C o 0x01400001 -i $w/z16 >/dev/null 2>&1 &&
	t_fail "the guest cannot write NV 0x01400001 with owner auth" ||
	t_ok "the guest cannot write NV 0x01400001 with owner auth"
tpm2 nvundefine -C o 0x01400001 >/dev/null 2>&1 &&
	t_fail "the guest cannot undefine NV 0x01400001" ||
	t_ok "the guest cannot undefine NV 0x01400001"

# the AK signs quotes (what /attest/AzureGuest needs)
t_run "tpm2_quote with the AK (0x81000003)" tpm2 quote -c 0x81000003 -l sha256:0,1,2,3,4,5,6,7 \
	-q 0badc0de -m $w/q.msg -s $w/q.sig -o $w/q.pcrs -g sha256
t_run "tpm2_readpublic -f pem of the AK" tpm2 readpublic -c 0x81000003 -f pem -o $w/ak.pem
t_run "tpm2_checkquote against the AK" tpm2 checkquote -u $w/ak.pem -m $w/q.msg -s $w/q.sig \
	-f $w/q.pcrs -g sha256 -q 0badc0de

# malformed and mutated commands from the guest
t_run "3000 mutated commands through /dev/tpm0: every answer well-formed, TPM alive" \
	$fuzz -d /dev/tpm0 -n 3000
t_diag "$($fuzz -d /dev/tpmrm0 -n 500 2>&1 | tr '\n' ' ')"
t_run "500 more through /dev/tpmrm0 (the kernel's resource manager)" $fuzz -d /dev/tpmrm0 -n 500
t_is "$(state running)" yes "the paravisor still runs"
t_diag "requests=$(state requests) malformed=$(state malformed) errors=$(state errors) last_error=$(state last_error)"
head -c 64 /dev/urandom > $w/ud4.bin
ud4=$(hex $w/ud4.bin)
t_run "write NV 0x01400002 after the fuzzing" write_user_data $w/ud4.bin
wait_user_data "$ud4" 5 >/dev/null && t_ok "a refresh still works after the fuzzing" ||
	{ t_fail "a refresh still works after the fuzzing" "$($check $w/poll.bin)"; show_log; }

# ---- the kernel provider (optional: vm-check --kmod, the module the lead builds) ----------------
if [ -f /lib/modules/extra/cvmattest.ko ] && [ -n "$VERIFY" ]; then
	rd=00112233445566778899aabbccddeeff
	if t_run "insmod cvmattest.ko provider=azure-vtpm" insmod /lib/modules/extra/cvmattest.ko \
		provider=azure-vtpm; then
		t_run "cvmattest report through /dev/cvmattest (write 0x01400002, wait, read 0x01400001)" \
			"$VERIFY" report --report-data $rd -o $w/kev.bin
		t_run "the provider's evidence: fresh (user data = REPORT_DATA), bound, signed" \
			"$VERIFY" verify --format azure-hcl --certs $ctl/vcek-chain.pem \
			--amd-roots $ctl/vcek-chain.pem --report-data $rd -q $w/kev.bin
		t_diag "provider: $(wc -c < $w/kev.bin) bytes; paravisor: virtual_reads=$(state virtual_reads) refreshes=$(state refreshes)"
		rmmod cvmattest
	fi
fi

# ---- shutdown, warm restart ----------------------------------------------------------------------
pid=$(cat $ctl/pid)
swpid=$(state swtpm_pid)
kill -TERM "$pid"
i=0
while [ -e /dev/tpm0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /dev/tpm0 ] && t_fail "SIGTERM: /dev/tpm0 goes away" || t_ok "SIGTERM: /dev/tpm0 goes away"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$swpid" 2>/dev/null && t_fail "swtpm stopped with it" || t_ok "swtpm stopped with it"
t_is "$(state running)" no "state: running=no"

t0=$(uptime_s)
t_run "restart on the same state (no key creation)" $pv --platform snp --state-dir /var/lib/pv-snp \
	--control $ctl --delay-ms 100 || show_log
t1=$(uptime_s)
t_diag "warm start: ready after $(elapsed "$t0" "$t1") s"
read_report $w/warm.bin
t_run "after restart: boot report again (zero user data), same AK" $check -q $w/warm.bin \
	--user-data $zero_ud --ak-pub $w/ak.pub --ak-cert $w/akcert.der --ca $ctl/ak-ca.pem
kill -TERM "$(cat $ctl/pid)"
i=0
while [ -e /dev/tpm0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

# ---- TDX ---------------------------------------------------------------------------------------------
tctl=/run/cvmattest-paravisor-tdx
t0=$(uptime_s)
t_run "start the paravisor (TDX, fresh state)" $pv --platform tdx --state-dir /var/lib/pv-tdx \
	--control $tctl --delay-ms 200 || { ctl=$tctl show_log; t_bail "no TDX paravisor"; }
t1=$(uptime_s)
t_diag "TDX paravisor ready after $(elapsed "$t0" "$t1") s on $(state tpm $tctl)"
export TPM2TOOLS_TCTI=device:/dev/tpmrm$(state tpm $tctl | sed 's|/dev/tpm||')
read_report $w/t0.bin
tpm2 readpublic -c 0x81000003 -o $w/tak.pub >/dev/null 2>&1
t_run "TDX boot report: TDREPORT inside, binding, zero user data, AK" $check $w/t0.bin \
	--platform tdx --user-data $zero_ud --ak-pub $w/tak.pub
head -c 64 /dev/urandom > $w/tud.bin
tud=$(hex $w/tud.bin)
write_user_data $w/tud.bin
wait_user_data "$tud" 5 >/dev/null && t_ok "TDX: refreshed with the user data" ||
	t_fail "TDX: refreshed with the user data"
if [ -n "$VERIFY" ]; then
	out=$("$VERIFY" verify --format azure-hcl --json $w/poll.bin 2>/dev/null)
	echo "$out" | grep -q '"binding_ok": true' && echo "$out" | grep -q '"hashes_ok": true' &&
		t_ok "cvmattest verify (TDX): binding and TDREPORT hashes ok (no quote: exit 5 by design)" ||
		t_fail "cvmattest verify (TDX): binding and TDREPORT hashes ok" "$out"
fi
kill -TERM "$(cat $tctl/pid)"
t_done
