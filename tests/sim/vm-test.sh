#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Guest side of vm-check: runs inside the test VM (busybox sh) as /test.sh.
# Starts cvmattest-simd for SNP and then TDX, runs test_simd against each,
# drives the control FIFO from the shell, checks the clean SIGTERM shutdown.
. "$CVMATTEST_LIB"
. /etc/cvmattest-sim.env		# SIMBIN=<dir of the binaries>

simd=$SIMBIN/cvmattest-simd
logs=/tmp/simd

wait_for() { # path, present|absent
	i=0
	while [ $i -lt 100 ]; do
		if [ "$2" = present ] && [ -e "$1" ]; then return 0; fi
		if [ "$2" = absent ] && [ ! -e "$1" ]; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

state() { # control dir, key
	sed -n "s/^$2=//p" "$1/state"
}

show_log() {
	[ -f "$logs-$1.log" ] && t_diag "$(tail -n 40 "$logs-$1.log")"
}

[ -c /dev/cuse ] || t_bail "no /dev/cuse (cuse module not loaded?)"
t_run "simd --help" "$simd" --help

# ---- SNP -----------------------------------------------------------------------------
ctl=/run/cvmattest-sim
t_run "start cvmattest-simd --snp" "$simd" --snp --product genoa --report-version 5 \
	--control "$ctl" --retry-delay 0.05 --retry-max 0.5 --log "$logs-snp.log" ||
	{ show_log snp; t_bail "daemon did not start"; }
wait_for /dev/sev-guest present || { show_log snp; t_bail "no /dev/sev-guest"; }
wait_for "$ctl/state" present
t_is "$(stat -c %a /dev/sev-guest)" 600 "/dev/sev-guest is root-only, like the real node"
t_run "test_simd on /dev/sev-guest" env CVMATTEST_SIM_CONTROL="$ctl" "$SIMBIN/test_simd" ||
	show_log snp

# the control protocol from a plain shell
echo "reboot" > "$ctl/control"
sleep 0.3
t_is "$(state $ctl vmpck_wiped)" no "state: vmpck_wiped=no after reboot"
echo "fw_error 0x16" > "$ctl/control"
sleep 0.3
t_is "$(state $ctl pending_fw_error)" 0x16 "state shows the pending firmware error"
echo "clear" > "$ctl/control"
sleep 0.3
t_is "$(state $ctl pending_fw_error)" none "clear drops it"
echo "nonsense 1" > "$ctl/control"
sleep 0.3
grep -q "bad command 'nonsense 1'" "$logs-snp.log" && t_ok "a bad command is logged" ||
	t_fail "a bad command is logged"
t_is "$(state $ctl running)" yes "state: running=yes"
grep -q "one worker thread" "$logs-snp.log" && t_fail "multi-threaded loop in use" ||
	t_ok "multi-threaded loop in use"

pid=$(cat "$ctl/pid")
kill -TERM "$pid"
wait_for /dev/sev-guest absent && t_ok "SIGTERM removes /dev/sev-guest" ||
	t_fail "SIGTERM removes /dev/sev-guest"
wait_for "$ctl/control" absent && t_ok "the control FIFO is removed" ||
	t_fail "the control FIFO is removed"
t_is "$(state $ctl running)" no "state: running=no after shutdown"
grep -q "cvmattest-simd: SNP_GET_REPORT" "$logs-snp.log" && t_ok "one log line per request" ||
	t_fail "one log line per request"

# a second daemon on the same control dir while one runs is refused
"$simd" --snp --control "$ctl" --log "$logs-snp2.log" || t_bail "restart failed"
wait_for /dev/sev-guest present || t_bail "no /dev/sev-guest after restart"
if "$simd" --tdx --control "$ctl" -f 2>/dev/null; then
	t_fail "a busy control directory is refused"
else
	t_ok "a busy control directory is refused"
fi
kill -TERM "$(cat $ctl/pid)"
wait_for /dev/sev-guest absent

# ---- TDX -----------------------------------------------------------------------------
ctl=/run/cvmattest-sim-tdx
t_run "start cvmattest-simd --tdx (one thread)" "$simd" --tdx -s --debug --control "$ctl" \
	--log "$logs-tdx.log" || { show_log tdx; t_bail "daemon did not start"; }
wait_for /dev/tdx_guest present || { show_log tdx; t_bail "no /dev/tdx_guest"; }
t_run "test_simd on /dev/tdx_guest" env CVMATTEST_SIM_CONTROL="$ctl" "$SIMBIN/test_simd" ||
	show_log tdx
t_is "$(state $ctl td_attributes)" 0x10000001 "--debug sets TD_ATTRIBUTES.DEBUG"
kill -TERM "$(cat $ctl/pid)"
wait_for /dev/tdx_guest absent && t_ok "SIGTERM removes /dev/tdx_guest" ||
	t_fail "SIGTERM removes /dev/tdx_guest"
t_done
