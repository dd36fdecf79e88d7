#!/bin/sh
# Guest side of tests/vm/test-tsm (busybox sh, /test.sh in the VM): the
# kernel's own configfs-tsm (tsm.ko on 6.7-6.x, tsm_report.ko on 7.x) with a
# TEST provider, tests/kmod/tsmsim (reports from the simulated platform),
# and no cvmattest.ko: `cvmattest status` names the interface and provider,
# `cvmattest report` takes the configfs path and its evidence verifies,
# privlevel (VMPL) goes through the kernel's privlevel/privlevel_floor
# checks, tdx_guest (no privlevel) refuses a VMPL, and `cvmattest release`
# gets the key from the local service with configfs-tsm evidence.
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# CLI SIMTOOL KEYS: our binaries
. /etc/cvmattest-release.env	# ATTEST_URL IMDS_URL KV_RESOURCE KEY_OCT MAT_OCT CA

TSMSIM=/lib/modules/extra/tsmsim.ko
TSM=/sys/kernel/config/tsm/report
W=/tmp/work
mkdir -p $W

hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

t_diag "guest kernel $(uname -r)"
grep -q " /sys/kernel/config " /proc/mounts || mount -t configfs none /sys/kernel/config ||
	t_bail "cannot mount configfs"
modprobe tsm_report 2>/dev/null || modprobe tsm 2>/dev/null
[ -d $TSM ] && t_ok "configfs-tsm: $TSM exists" || t_bail "no $TSM (tsm/tsm_report module)"

# No provider yet: the kernel refuses a report directory with ENXIO.
"$CLI" report -o $W/none.bin 2>$W/err
t_is "$?" 7 "no provider: report exits 7 (not on this host)"
grep -q "no TSM provider" $W/err && t_ok "no provider: the message says so" ||
	t_fail "no provider: the message says so" "$(cat $W/err)"

load_sim() { # tsmsim parameters
	insmod $TSMSIM "$@" 2>$W/insmod.out || { t_diag "$(cat $W/insmod.out)"; return 1; }
}

# ---- sev_guest -------------------------------------------------------------------------------
load_sim mode=snp || t_bail "tsmsim mode=snp does not load"
"$CLI" status --json > $W/status.json 2>$W/err
grep -q '"configfs_tsm": true' $W/status.json && t_ok "status --json: configfs_tsm true" ||
	t_fail "status --json: configfs_tsm true" "$(cat $W/status.json $W/err | head -c 1500)"
grep -q '"tsm_provider": "sev_guest"' $W/status.json &&
	t_ok "status --json: the configfs-tsm provider is sev_guest" ||
	t_fail "status --json: the configfs-tsm provider is sev_guest" "$(grep -n tsm $W/status.json)"
"$CLI" status > $W/status.txt 2>&1
grep -q "configfs-tsm yes (sev_guest)" $W/status.txt && t_ok "status: configfs-tsm yes (sev_guest)" ||
	t_fail "status: configfs-tsm yes (sev_guest)" "$(grep -n -i tsm $W/status.txt)"

RD=c0ffee0123456789
t_run "sev_guest: report through configfs-tsm" \
	"$CLI" report -o $W/snp.bin --report-data $RD --certs $W/snp.certs --json
"$CLI" report -o $W/snp2.bin --report-data $RD --json > $W/report.json 2>$W/err
grep -q '"source":"configfs-tsm"' $W/report.json && grep -q '"provider":"sev_guest"' $W/report.json &&
	t_ok "report --json names configfs-tsm and sev_guest" ||
	t_fail "report --json names configfs-tsm and sev_guest" "$(cat $W/report.json $W/err)"
t_is "$(wc -c < $W/snp.bin)" 1184 "sev_guest: outblob is an ATTESTATION_REPORT (1184 B)"
[ -s $W/snp.certs ] && t_ok "sev_guest: auxblob (certificate table) came as --certs" ||
	t_fail "sev_guest: auxblob came as --certs"
"$CLI" verify --amd-roots $KEYS/cert_chain-milan.pem --certs $W/snp.certs --no-cache \
	--report-data $RD $W/snp.bin > $W/verify.out 2>&1
t_is "$?" 0 "sev_guest: the configfs-tsm report verifies with its REPORT_DATA"
[ "$?" = 0 ] || t_diag "$(cat $W/verify.out)"
# VMPL of the report: offset 0x30, privlevel written before inblob.
"$CLI" report -o $W/vmpl2.bin --vmpl 2 --report-data $RD 2>$W/err
t_is "$?" 0 "sev_guest: report --vmpl 2"
t_is "$(od -An -tu4 -j48 -N4 $W/vmpl2.bin | tr -d ' ')" 2 "sev_guest: the report's VMPL is 2"
t_is "$(cat /sys/module/tsmsim/parameters/reports)" 3 "tsmsim made 3 reports"
rmmod tsmsim

# Under an SVSM the guest runs at VMPL 2: privlevel_floor 2, and the kernel
# refuses privlevel 0; cvmattest says so before asking.
load_sim mode=snp floor=2 || t_bail "tsmsim floor=2 does not load"
"$CLI" report -o $W/vmpl0.bin --vmpl 0 2>$W/err
t_is "$?" 1 "privlevel_floor 2: --vmpl 0 refused"
grep -q "below this guest's privlevel_floor 2" $W/err && t_ok "privlevel_floor 2: the message names the floor" ||
	t_fail "privlevel_floor 2: the message names the floor" "$(cat $W/err)"
# The kernel itself refuses it too (not only our check).
mkdir $TSM/raw && { echo 0 > $TSM/raw/privlevel; } 2>/dev/null
[ "$(cat $TSM/raw/privlevel)" = 0 ] && t_fail "the kernel refuses privlevel 0 below the floor" ||
	t_ok "the kernel refuses privlevel 0 below the floor"
rmdir $TSM/raw
"$CLI" report -o $W/floor.bin --report-data $RD 2>$W/err
t_is "$?" 0 "privlevel_floor 2: report without --vmpl"
t_is "$(od -An -tu4 -j48 -N4 $W/floor.bin | tr -d ' ')" 2 "privlevel_floor 2: the report is at VMPL 2"
rmmod tsmsim

# ---- release with configfs-tsm evidence (no module), SEV-SNP then TDX ----------------------------------
wait_for_net() {
	_i=0
	while [ $_i -lt 100 ] && [ ! -e /sys/class/net/eth0 ]; do sleep 0.1; _i=$((_i + 1)); done
}
wait_for_net
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
	t_bail "no eth0 (virtio_net)"
common="--config /dev/null --attest-url $ATTEST_URL --ca-bundle $CA --imds-url $IMDS_URL
	--cache-dir /run/cvmattest-cache --set kv_resource=$KV_RESOURCE --timeout 60s"
release() { # out extra-args...
	_out=$1
	shift
	# shellcheck disable=SC2086
	"$CLI" release $common --key-url "$KEY_OCT" --key-fd 3 "$@" 3>"$_out" 2>$W/err
}

load_sim mode=snp || t_bail "tsmsim mode=snp does not load"
t_run "sev_guest: release with configfs-tsm evidence (evidence = auto)" release $W/snp.key ||
	t_diag "$(cat $W/err)"
t_is "$(hex $W/snp.key)" "$MAT_OCT" "sev_guest: the released key is the one the service holds"
release $W/snp-vmpl.key --set vmpl=1 || t_diag "$(cat $W/err)"
t_is "$(hex $W/snp-vmpl.key)" "$MAT_OCT" "sev_guest: release at vmpl = 1 through privlevel"
rmmod tsmsim

load_sim mode=tdx || t_bail "tsmsim mode=tdx does not load"
"$CLI" report -o $W/tdx.bin --report-data $RD --json > $W/tdxreport.json 2>$W/err
t_is "$?" 0 "tdx_guest: report through configfs-tsm"
grep -q '"format":"tdx-quote"' $W/tdxreport.json && t_ok "tdx_guest: the outblob is a TDX quote" ||
	t_fail "tdx_guest: the outblob is a TDX quote" "$(cat $W/tdxreport.json $W/err)"
"$CLI" verify --intel-root $KEYS/intel-root.pem --report-data $RD $W/tdx.bin > $W/verify.out 2>&1
t_is "$?" 0 "tdx_guest: the configfs-tsm quote verifies with its REPORT_DATA"
[ "$?" = 0 ] || t_diag "$(cat $W/verify.out)"
"$CLI" report -o $W/tdxvmpl.bin --vmpl 0 2>$W/err
t_is "$?" 1 "tdx_guest: --vmpl refused (no privlevel attribute)"
grep -q "has no privlevel" $W/err && t_ok "tdx_guest: the message says the provider has no privlevel" ||
	t_fail "tdx_guest: the message says the provider has no privlevel" "$(cat $W/err)"
t_run "tdx_guest: release with configfs-tsm evidence" release $W/tdx.key || t_diag "$(cat $W/err)"
t_is "$(hex $W/tdx.key)" "$MAT_OCT" "tdx_guest: the released key is the one the service holds"
rmmod tsmsim

t_done
