#!/bin/sh
# Guest side of tests/vm/test-status (busybox sh, /test.sh in the VM):
# `cvmattest status` and `cvmattest monitor` against cvmattest.ko for real,
# on the simulated SNP (plain and debug) and TDX platforms (tests/sim):
# every status field equals its sysfs file and what the simulated evidence
# says, GET_STATUS equals sysfs, the diagnosis fits each case, a status set
# through the ioctl reaches sysfs and the monitor as an event, evidence and
# provider errors come as events, and unprivileged callers can neither set
# the status nor listen.
# shellcheck source=tests/vm/lib.sh
. "$CVMATTEST_LIB"
# shellcheck source=/dev/null
. /etc/cvmattest-test.env	# KT CLI SIMD SIMTOOL: our binaries

KO=/lib/modules/extra/cvmattest.ko
SYS=/sys/kernel/cvmattest
W=/tmp/work
mkdir -p $W
chmod 755 $W

# An unprivileged user for the permission checks.
echo 'tester:x:1000:1000:tester:/tmp:/bin/sh' >> /etc/passwd
echo 'tester:x:1000:' >> /etc/group
as_tester() { # command line, run as uid 1000
	su -s /bin/sh tester -c "$1"
}

kt() { t_import "$KT" "$@"; }

wait_for() { t_wait_for "$@"; }

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

# jval FILE KEY: a top-level value of `status --json` (jansson indents by 2), as written
jval() {
	sed -n "s/^  \"$2\": \\(.*\\)\$/\\1/p" "$1" | sed 's/,$//'
}

# The JSON the status command must show for a sysfs file's content.
expected_json() { # name value
	case $1 in
	mem_encrypt | sev | sev_es | sev_snp | tdx | module_sig_enforce | launch_debug)
		case $2 in 1) echo true ;; 0) echo false ;; *) echo null ;; esac ;;
	launch_report_version | requests | errors | retries | last_error | last_error_time | \
		attestation_time | attestation_expiry)
		[ "$2" = unknown ] && echo null || echo "$2" ;;
	launch_measurement | launch_policy | launch_tcb)
		[ "$2" = unknown ] && echo null || echo "\"$2\"" ;;
	*) echo "\"$2\"" ;;
	esac
}

# Every field of FILE (status --json) against every file in sysfs, read after it.
check_json_vs_sysfs() { # file what
	_bad=
	for _f in "$SYS"/*; do
		_n=${_f##*/}
		_want=$(expected_json "$_n" "$(cat "$_f")")
		_got=$(jval "$1" "$_n")
		[ "$_got" = "$_want" ] || _bad="$_bad
$_n: json $_got, sysfs $_want"
	done
	t_is "$_bad" "" "$2: every status --json field equals its sysfs file"
}

# status --json / --netlink --json / --prometheus / text, all at once
status_all() { # tag
	"$CLI" status --json > "$W/$1.json" 2> "$W/$1.err"
	echo $? > "$W/$1.rc"
	"$CLI" status --netlink --json > "$W/$1-nl.json" 2>> "$W/$1.err"
	echo $? > "$W/$1-nl.rc"
	"$CLI" status --prometheus > "$W/$1.prom" 2>> "$W/$1.err"
	"$CLI" status > "$W/$1.txt" 2>> "$W/$1.err"
}

same_but_source() { # a.json b.json what
	# (and attestation_expires_in, which counts down with "time")
	grep -v -e '^  "source"' -e '^  "time"' -e '^  "attestation_expires_in"' "$1" > $W/a.cmp
	grep -v -e '^  "source"' -e '^  "time"' -e '^  "attestation_expires_in"' "$2" > $W/b.cmp
	if cmp -s $W/a.cmp $W/b.cmp; then
		t_ok "$3"
	else
		t_fail "$3" "$(diff $W/a.cmp $W/b.cmp)"
	fi
}

has_line() { # file line what
	if grep -qxF "$2" "$1"; then t_ok "$3"; else t_fail "$3" "no line '$2' in:
$(cat "$1")"; fi
}

has_text() { # file text what
	if grep -qF -- "$2" "$1"; then t_ok "$3"; else t_fail "$3" "no '$2' in:
$(cat "$1")"; fi
}

# Start `cvmattest monitor ARGS` in the background, once it listens. Sets MON.
monitor_start() { # tag args...
	_tag=$1
	shift
	"$CLI" monitor "$@" > "$W/$_tag.out" 2> "$W/$_tag.err" &
	MON=$!
	_i=0
	while [ $_i -lt 100 ] && ! grep -q listening "$W/$_tag.err"; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -q listening "$W/$_tag.err" || t_fail "monitor $* listens" "$(cat "$W/$_tag.err")"
}

monitor_wait() { # tag -> status of the monitor
	wait $MON
	_rc=$?
	[ $_rc -eq 0 ] || t_diag "monitor: $(cat "$W/$1.err")"
	return $_rc
}

[ -c /dev/cuse ] || t_bail "no /dev/cuse"

# ---- no module, no platform ---------------------------------------------------------------
"$CLI" status > $W/nomod.txt 2>&1
t_is $? 7 "status without the module: exit 7 (cannot attest)"
has_text $W/nomod.txt "Attestation cannot work here:" "it says attestation cannot work here"
has_text $W/nomod.txt "To fix: " "and what to do"
"$CLI" status --json > $W/nomod.json 2>&1
t_is "$(jval $W/nomod.json module_loaded)" false "status --json: module_loaded false"
t_is "$(jval $W/nomod.json platform)" null "status --json: platform null without the module"
"$CLI" monitor --once --timeout 5 > $W/nomod.mon 2>&1
t_is $? 7 "monitor without the module: exit 7 (not on this host)"
has_line $W/nomod.mon 'cvmattest: netlink family "cvmattest" not found: is the module loaded? (modprobe cvmattest)' \
	"monitor without the module says so, and how to fix it"
"$CLI" status --netlink -q
t_is $? 7 "status --netlink without the module: exit 7"

t_run "insmod with no platform present" load || t_bail "module does not load"
status_all none
t_is "$(cat $W/none.rc)" 7 "provider none: status exits 7"
t_is "$(jval $W/none.json provider)" '"none"' "status --json provider none"
has_text $W/none.json '"id": "not-a-cvm"' "diagnosis: not a confidential VM"
has_text $W/none.json "modprobe sev-guest" "the fix says to load the platform driver on a CVM"
check_json_vs_sysfs $W/none.json "provider none"
same_but_source $W/none.json $W/none-nl.json "provider none: GET_STATUS (status --netlink) equals sysfs"
t_run "rmmod" unload

# ---- SNP --------------------------------------------------------------------------------------
SNP=/run/sim-snp
MEAS=5a5a5a5a000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b
start_sim $SNP /dev/sev-guest --snp --product milan --report-version 2 --measurement $MEAS
# group=1000: uid 1000 may open the device, so what stops it below is the
# CAP_SYS_ADMIN check of SET_STATUS itself, not the node's mode
t_run "insmod (SNP) group=1000" load group=1000
t_is "$(stat -c '%a %g' /dev/cvmattest)" "660 1000" "/dev/cvmattest is 0660, group 1000"
kt evidence $W/snp.bin	# the report to compare with, as the platform gives it
status_all snp
t_is "$(cat $W/snp.rc)" 0 "SNP: status exits 0 (attestation can work here)"
t_is "$(cat $W/snp-nl.rc)" 0 "SNP: status --netlink exits 0"
check_json_vs_sysfs $W/snp.json "SNP"
same_but_source $W/snp.json $W/snp-nl.json "SNP: GET_STATUS (status --netlink) equals sysfs"
t_is "$(jval $W/snp-nl.json source)" '"netlink"' "status --netlink says where its values came from"
t_is "$(jval $W/snp.json platform)" '"sev-snp"' "SNP: platform sev-snp"
t_is "$(jval $W/snp.json provider)" '"snp"' "SNP: provider snp"
t_is "$(jval $W/snp.json launch_measurement)" "\"$MEAS\"" "SNP: launch_measurement is the simulated MEASUREMENT"
t_is "$(jval $W/snp.json launch_debug)" false "SNP: launch_debug false (debug not allowed)"
t_is "$(jval $W/snp.json launch_policy)" "\"0x$(od -An -tx8 -j 8 -N 8 $W/snp.bin | tr -d ' ')\"" \
	"SNP: launch_policy is the report's POLICY"
t_is "$(jval $W/snp.json launch_tcb)" "\"$(od -An -tx8 -j 384 -N 8 $W/snp.bin | tr -d ' ')\"" \
	"SNP: launch_tcb is the report's REPORTED_TCB"
t_is "$(jval $W/snp.json launch_report_version)" 2 "SNP: launch_report_version 2"
t_is "$(jval $W/snp.json verdict)" '"ok"' "SNP: verdict ok"
t_is "$(jval $W/snp.json can_attest)" true "SNP: can_attest true"
has_text $W/snp.json '"id": "platform-not-seen-by-kernel"' \
	"SNP: notes that the kernel itself is no SNP guest here (simulated platform)"
has_text $W/snp.json '"provider_name": "snp"' "SNP: INFO from /dev/cvmattest in the device object"
has_text $W/snp.txt "Attestation can work here." "SNP: the text says attestation can work here"
has_text $W/snp.txt "debug not allowed, report version 2" "SNP: the text shows the launch state"
has_line $W/snp.prom "cvmattest_launch_debug 0" "SNP: prometheus cvmattest_launch_debug 0"
has_line $W/snp.prom "cvmattest_requests_total $(cat $SYS/requests)" "SNP: prometheus cvmattest_requests_total"
has_text $W/snp.prom 'platform="sev-snp",provider="snp"' "SNP: prometheus cvmattest_info labels"
has_line $W/snp.prom 'cvmattest_attestation_state{state="unknown"} 1' "SNP: prometheus attestation state unknown"

# the status set through the ioctl: in sysfs, in status, and as an event
monitor_start mon1 --once --timeout 10
kt setstatus 1 https://maa.test/attest 1900000000 ""
monitor_wait mon1
t_is $? 0 "monitor --once exits 0 after the status event"
ev=$(cat $W/mon1.out)
t_is "$(echo "$ev" | wc -l)" 1 "one JSON line"
case $ev in
'{"event":"status-changed","time":'*'"state":"verified","state_id":1,"status_time":'*',"expiry":1900000000,"verifier":"https://maa.test/attest","reason":""}')
	t_ok "status-changed event names the state, expiry, verifier, reason" ;;
*) t_fail "status-changed event names the state, expiry, verifier, reason" "$ev" ;;
esac
st_time=$(echo "$ev" | sed -n 's/.*"status_time":\([0-9]*\).*/\1/p')
t_is "$st_time" "$(cat $SYS/attestation_time)" "the event's status_time is sysfs attestation_time"
t_is "$(cat $SYS/attestation_state)" verified "sysfs attestation_state verified"
status_all set1
t_is "$(cat $W/set1.rc)" 0 "verified, token valid: status exits 0"
check_json_vs_sysfs $W/set1.json "after SET_STATUS"
same_but_source $W/set1.json $W/set1-nl.json "after SET_STATUS: GET_STATUS equals sysfs"
t_is "$(jval $W/set1.json attestation_verifier)" '"https://maa.test/attest"' "status shows the verifier"
t_is "$(jval $W/set1.json attestation_expired)" false "status: token not expired"
has_text $W/set1.txt "  verifier          https://maa.test/attest" "the text shows the verifier"
has_line $W/set1.prom 'cvmattest_attestation_state{state="verified"} 1' "prometheus: state verified"
has_line $W/set1.prom "cvmattest_attestation_expiry_seconds 1900000000" "prometheus: expiry"

monitor_start mon2 --once --timeout 10 --event status-changed
kt setstatus 2 https://maa.test/attest 0 "policy: x-ms-sevsnpvm-is-debuggable is true"
monitor_wait mon2
has_text $W/mon2.out '"state":"failed","state_id":2' "failed status event"
has_text $W/mon2.out '"reason":"policy: x-ms-sevsnpvm-is-debuggable is true"}' "with its reason"
status_all set2
t_is "$(cat $W/set2.rc)" 12 "last attempt failed: status exits 12 (needs attention)"
t_is "$(jval $W/set2.json verdict)" '"attention"' "verdict attention"
has_text $W/set2.txt "x-ms-sevsnpvm-is-debuggable is true" "the text gives the reason"
check_json_vs_sysfs $W/set2.json "after a failed attempt"

kt setstatus 1 https://maa.test/attest 1000000000 ""
"$CLI" status > $W/set3.txt
t_is $? 12 "token expired (2001): status exits 12"
has_text $W/set3.txt "token expired     2001-09-09 01:46:40 UTC" "the text says when the token expired"

# unprivileged: cannot set the status, cannot listen, can read the state
kt setstatus 2 https://evil.test 0 "forged" 1000 1000
t_is "$(cat $SYS/attestation_verifier)" https://maa.test/attest "an unprivileged caller changed nothing"
as_tester "$CLI monitor --once --timeout 5" > $W/tester.mon 2>&1
t_is $? 1 "monitor as uid 1000: exit 1"
has_text $W/tester.mon "refused (EPERM): listening needs CAP_NET_ADMIN" "monitor as uid 1000 says why"
as_tester "$CLI status --json" > $W/tester.json 2>&1
t_is $? 12 "status as uid 1000 works (exit 12: the token expired)"
has_text $W/tester.json '"provider_name": "snp"' "status as uid 1000 in the device's group gets INFO"
check_json_vs_sysfs $W/tester.json "status as uid 1000"
as_tester "$CLI status --netlink --json" > $W/tester-nl.json 2>&1
same_but_source $W/tester.json $W/tester-nl.json "GET_STATUS as uid 1000 equals sysfs"

# evidence and provider errors as events
RD=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
monitor_start mon3 --once --timeout 10 --event evidence-issued
"$CLI" report --report-data $RD -o $W/ev.bin -q
t_is $? 0 "cvmattest report"
monitor_wait mon3
t_is $? 0 "monitor --event evidence-issued exits 0 after the event"
has_text $W/mon3.out '"event":"evidence-issued",' "evidence-issued event"
has_text $W/mon3.out '"provider":"snp","format":"snp-report","format_id":1,"platform":"sev-snp","platform_id":1,' \
	"names the provider, format and platform"
has_text $W/mon3.out "\"report_data\":\"$RD\"}" "carries the REPORT_DATA asked for"

monitor_start mon4 --once --timeout 10 --event provider-error
echo "fw_error 0x27" > $SNP/control
"$CLI" report -o $W/ev2.bin -q 2>/dev/null
t_is $? 1 "a request the firmware fails"
monitor_wait mon4
has_text $W/mon4.out '"event":"provider-error",' "provider-error event"
has_text $W/mon4.out '"provider":"snp","errno":-5,"errno_name":"EIO",' "names the provider and errno"
has_text $W/mon4.out '"fw_error":39,"vmm_error":0}' "with the firmware's error"
echo reboot > $SNP/control
"$CLI" status --json > $W/err.json
t_is "$(jval $W/err.json last_error_name)" '"EIO"' "status: last_error_name EIO"
check_json_vs_sysfs $W/err.json "after a provider error"

# bounded and interruptible
"$CLI" monitor --once --timeout 1 --event provider-error > $W/to1.out 2> $W/to1.err
t_is $? 13 "monitor --once --timeout 1 with no event: exit 13"
has_text $W/to1.err "no event within --timeout" "and says so"
"$CLI" monitor --timeout 1 -q > $W/to2.out 2>&1
t_is "$?:$(cat $W/to2.out)" "0:" "monitor --timeout 1 (no --once): exit 0, nothing printed"
monitor_start mon7 --timeout 30
kill -TERM $MON
wait $MON
t_is $? 0 "monitor exits 0 on SIGTERM"
has_text $W/mon7.err "stopping after 0 event(s)" "and says it stops"

# a monitor sees the module go away
monitor_start mon5 --timeout 30
t_run "rmmod while a monitor listens" unload
wait $MON
t_is $? 1 "monitor exits 1 when the module is unloaded"
has_text $W/mon5.err "module was unloaded" "and says why"
"$CLI" status > $W/gone.txt
t_is $? 7 "status after rmmod: exit 7"
has_text $W/gone.txt "cvmattest NOT loaded" "status after rmmod: not loaded"
stop_sim $SNP /dev/sev-guest

# ---- SNP debug guest ----------------------------------------------------------------------------
start_sim $SNP /dev/sev-guest --snp --product genoa --report-version 5 --debug
t_run "insmod (debug SNP guest)" load
status_all dbg
t_is "$(cat $W/dbg.rc)" 7 "debug guest: status exits 7 (cannot attest)"
check_json_vs_sysfs $W/dbg.json "debug SNP guest"
same_but_source $W/dbg.json $W/dbg-nl.json "debug SNP guest: GET_STATUS equals sysfs"
t_is "$(jval $W/dbg.json launch_debug)" true "debug guest: launch_debug true (debug allowed)"
t_is "$(jval $W/dbg.json launch_report_version)" 5 "debug guest: report version 5"
t_is "$(jval $W/dbg.json can_attest)" false "debug guest: can_attest false"
has_text $W/dbg.json '"id": "debug-guest"' "diagnosis: debug guest"
has_text $W/dbg.txt "DEBUG ALLOWED" "the text shows debug allowed"
has_text $W/dbg.txt "Attestation cannot work here:" "the text says attestation cannot work here"
has_text $W/dbg.json "bit 19 of the SNP guest POLICY" "and why"
has_line $W/dbg.prom "cvmattest_launch_debug 1" "prometheus: cvmattest_launch_debug 1"
has_line $W/dbg.prom "cvmattest_can_attest 0" "prometheus: cvmattest_can_attest 0"
as_tester "$CLI status --json" > $W/dbg-tester.json 2>&1
t_is $? 7 "status as uid 1000 (no group=): exit 7, the debug guest"
has_text $W/dbg-tester.json '"error": "EACCES"' "status as uid 1000: the root-only device is reported as such"
has_text $W/dbg-tester.json '"id": "device-root-only"' "and the diagnosis says what to do"
check_json_vs_sysfs $W/dbg-tester.json "status as uid 1000, root-only device"
t_run "rmmod" unload
stop_sim $SNP /dev/sev-guest

# ---- TDX ------------------------------------------------------------------------------------------
TDX=/run/sim-tdx
MRTD=7d7d7d7d000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b
start_sim $TDX /dev/tdx_guest --tdx --mrtd $MRTD
t_run "insmod provider=tdx" load provider=tdx
kt evidence $W/td.bin
status_all tdx
t_is "$(cat $W/tdx.rc)" 0 "TDX: status exits 0"
check_json_vs_sysfs $W/tdx.json "TDX"
same_but_source $W/tdx.json $W/tdx-nl.json "TDX: GET_STATUS equals sysfs"
t_is "$(jval $W/tdx.json platform)" '"tdx"' "TDX: platform tdx"
t_is "$(jval $W/tdx.json launch_measurement)" "\"$MRTD\"" "TDX: launch_measurement is the simulated MRTD"
t_is "$(jval $W/tdx.json launch_debug)" false "TDX: launch_debug false"
t_is "$(jval $W/tdx.json launch_policy)" "\"0x$(od -An -tx8 -j 512 -N 8 $W/td.bin | tr -d ' ')\"" \
	"TDX: launch_policy is the TDREPORT's TD_ATTRIBUTES"
t_is "$(jval $W/tdx.json launch_tcb)" "\"$(od -An -v -tx1 -j 264 -N 16 $W/td.bin | tr -d ' \n')\"" \
	"TDX: launch_tcb is the TEE_TCB_SVN"
monitor_start mon6 --once --timeout 10 --event evidence-issued
"$CLI" report --report-data 0102 -o $W/td2.bin -q
monitor_wait mon6
has_text $W/mon6.out '"provider":"tdx","format":"tdx-tdreport","format_id":2,"platform":"tdx","platform_id":2,' \
	"TDX evidence-issued event"
has_text $W/mon6.out '"report_data":"0102000000' "with the REPORT_DATA"
t_run "rmmod" unload
stop_sim $TDX /dev/tdx_guest

start_sim $TDX /dev/tdx_guest --tdx --debug
t_run "insmod (debug TD)" load provider=tdx
status_all tdxdbg
t_is "$(cat $W/tdxdbg.rc)" 7 "debug TD: status exits 7"
check_json_vs_sysfs $W/tdxdbg.json "debug TD"
t_is "$(jval $W/tdxdbg.json launch_debug)" true "debug TD: launch_debug true"
has_text $W/tdxdbg.txt "TD_ATTRIBUTES.DEBUG" "debug TD: the text names TD_ATTRIBUTES.DEBUG"
t_run "rmmod" unload
stop_sim $TDX /dev/tdx_guest

t_is "$(grep -c cvmattest /proc/modules)" 0 "module gone at the end"
t_done
