#!/bin/sh
# Guest side of tests/vm/test-azure: provider azure-vtpm against the stand-in
# paravisor (tests/paravisor: swtpm behind /dev/vtpmx, HCL report refresh).
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# KT CLI KEYS
. /etc/cvmattest-azure.env	# PV
KO=/lib/modules/extra/cvmattest.ko
SYS=/sys/kernel/cvmattest
W=/tmp/work
mkdir -p $W

kt() { t_import "$KT" "$@"; }
state() { sed -n "s/^$2=//p" "$1/state"; }
start_pv() { # ctl platform
	"$PV" --platform "$2" --state-dir "/var/lib/$1" --control "/run/$1" --delay-ms 150 \
		> $W/pv.out 2>&1 || { t_diag "$(cat $W/pv.out)"; t_bail "paravisor ($2) did not start"; }
}
stop_pv() { # ctl
	kill -TERM "$(cat "/run/$1/pid")"
	_i=0
	while [ -e /dev/tpm0 ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}

t_diag "vTPM: the guest kernel's own tpm_vtpm_proxy and TPM chip API (not simulated), swtpm behind it; HCL report NV layout of the stand-in paravisor (tests/paravisor)"

# ---- no TPM at all: the provider is absent, a forced one refuses to load --------------------
if insmod $KO provider=azure-vtpm 2>/dev/null; then
	t_fail "provider=azure-vtpm without a TPM refuses to load"
	rmmod cvmattest
else
	t_ok "provider=azure-vtpm without a TPM refuses to load"
fi

# status judges the host by the vTPM's HCL report index (jansson indents by 2 per level)
jhost() { # file key: a value of host or host.interfaces in `status --json`
	sed -n "s/^ *\"$2\": \(.*\)\$/\1/p" "$1" | sed 's/,$//' | head -n 1
}

# ---- SNP behind the paravisor -------------------------------------------------------------------
start_pv pv-snp snp
"$CLI" status --json --no-device > $W/st.json 2>$W/err
t_is "$(jhost $W/st.json hcl_report)" true "status: the vTPM has the HCL report index (hcl_report true)"
t_is "$(jhost $W/st.json platform)" '"azure-vtpm"' "status: host platform azure-vtpm from the HCL report index"
"$CLI" status --no-device > $W/st.txt 2>&1
grep -q "confidential VM behind Azure's paravisor" $W/st.txt &&
	t_ok "status: the host is named a CVM behind the paravisor" ||
	t_fail "status: the host is named a CVM behind the paravisor" "$(head -n 12 $W/st.txt)"
"$CLI" status --json --no-device --no-tpm > $W/st.json 2>$W/err
t_is "$(jhost $W/st.json hcl_report)" null "status --no-tpm: hcl_report null"
t_run "insmod (auto: no sev-guest/tdx_guest, the paravisor's TPM)" insmod $KO vtpm_timeout_ms=3000
t_is "$(cat $SYS/provider)" azure-vtpm "sysfs provider: azure-vtpm"
t_is "$(cat $SYS/platform)" sev-snp "sysfs platform: sev-snp (from the HCL report)"
t_is "$(cat $SYS/tpm)" 2.0 "sysfs tpm: 2.0"
kt info
rd=$("$KT" evidence $W/hcl.bin 2>$W/err | tail -n 1)
kt evidence $W/hcl.bin --report-data "$rd"
t_is "$(state /run/pv-snp last_user_data | tr A-F a-f)" "$rd" "the paravisor saw our REPORT_DATA as user data"
"$CLI" verify --format azure-hcl --certs /run/pv-snp/vcek-chain.pem \
	--amd-roots "$KEYS/cert_chain-milan.pem" --report-data "$rd" --json $W/hcl.bin > $W/v.json 2>&1
t_is $? 0 "HCL report: fresh user-data, claims bound to REPORT_DATA, inner SNP report signed by the test chain"
grep -q '"binding_ok": *true' $W/v.json || t_diag "$(cat $W/v.json)"
t_is "$(cat $SYS/launch_debug)" 0 "launch_debug from the inner SNP report"
t_is "$(cat $SYS/launch_report_version)" "$(od -An -tu4 -j 32 -N 4 $W/hcl.bin | tr -d ' ')" \
	"launch_report_version from the inner SNP report"

kt concurrent 2 3
t_is "$(state /run/pv-snp errors)" 0 "the paravisor saw no error"

# the report is already fresh: no wait
t0=$(cut -d' ' -f1 /proc/uptime)
kt evidence $W/hcl2.bin --report-data "$rd"
t1=$(cut -d' ' -f1 /proc/uptime)
t_diag "same user data again took $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}') s"

kt badinput

# the paravisor never refreshes: a bounded wait, then -ETIMEDOUT
echo "never_refresh on" > /run/pv-snp/control
kt busy 110
t_is "$(cat $SYS/last_error)" -110 "sysfs last_error -ETIMEDOUT"
echo "never_refresh off" > /run/pv-snp/control
kt busy 0
# a corrupt report is refused (-EPROTO), not passed on (first make the
# current report carry other user data, so a refresh is needed)
kt evidence $W/other.bin
echo "corrupt_header on" > /run/pv-snp/control
kt busy 71
echo "corrupt_header off" > /run/pv-snp/control
# the report index disappears: -ENODEV
echo "undefine_report on" > /run/pv-snp/control
kt busy 19
echo "undefine_report off" > /run/pv-snp/control
t_run "rmmod" rmmod cvmattest
stop_pv pv-snp

# ---- TDX behind the paravisor (binding only: a TDREPORT's MAC is not verifiable) -------------
start_pv pv-tdx tdx
t_run "insmod provider=azure-vtpm" insmod $KO provider=azure-vtpm
t_is "$(cat $SYS/platform)" tdx "sysfs platform: tdx (from the HCL report)"
rd=$("$KT" evidence $W/hclt.bin 2>$W/err | tail -n 1)
kt evidence $W/hclt.bin --report-data "$rd"
"$CLI" verify --format azure-hcl --report-data "$rd" --json $W/hclt.bin > $W/v.json 2>&1
t_is $? 5 "TDX HCL report: well-formed, fresh and bound; TDREPORT MAC not checkable (exit 5)"
grep -q '"binding_ok": *true' $W/v.json && t_ok "TDX: claims bound to REPORTDATA" ||
	t_fail "TDX: claims bound to REPORTDATA" "$(cat $W/v.json)"
kt concurrent 2 2
t_run "rmmod" rmmod cvmattest
stop_pv pv-tdx

# ---- a TPM without the paravisor's report index --------------------------------------------
start_pv pv-bare snp
echo "undefine_report on" > /run/pv-bare/control
"$CLI" status --json --no-device > $W/st.json 2>$W/err
t_is "$(jhost $W/st.json hcl_report)" false "status: a TPM without the HCL report index (hcl_report false)"
t_is "$(jhost $W/st.json platform)" '"none"' "status: an ordinary TPM is not taken for a CVM"
t_run "insmod with a TPM but no HCL report" insmod $KO
t_is "$(cat $SYS/provider)" none "an ordinary TPM is not taken for Azure's paravisor"
kt enodev
t_run "rmmod" rmmod cvmattest
stop_pv pv-bare
t_done
