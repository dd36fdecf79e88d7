#!/bin/sh
# Guest side of tests/vm/test-release (busybox sh, /test.sh in the VM):
# `cvmattest release` through /dev/cvmattest on the simulated SNP and TDX
# platforms and on the stand-in paravisor's vTPM (AzureGuest), against the
# local service on the host (10.0.2.2): the released key is the one the
# service holds, a debug guest is refused with the failing claim named, an
# unreachable service fails within its bound.
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# CLI SIMD: our binaries
. /etc/cvmattest-release.env	# ATTEST_URL IMDS_URL KV_RESOURCE KEY_* MAT_* CA PV

KO=/lib/modules/extra/cvmattest.ko
W=/tmp/work
mkdir -p $W

hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

wait_for() { # path
	_i=0
	while [ $_i -lt 100 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

start_sim() { # control-dir device simd-args...
	_ctl=$1 _dev=$2
	shift 2
	"$SIMD" --control "$_ctl" --log "$_ctl.log" --kernel "$(uname -r)" "$@" ||
		{ t_diag "$(cat "$_ctl.log")"; t_bail "cvmattest-simd $* did not start"; }
	wait_for "$_dev" || t_bail "no $_dev"
	wait_for "$_ctl/state" || t_bail "no $_ctl/state"
	t_diag "simulated $_dev: $(sed -n 's/^abi=//p' "$_ctl/state")"
}

stop_sim() { # control-dir
	kill -TERM "$(cat "$1/pid")"
	sleep 0.5
}

# Network: QEMU user networking, the host's loopback is 10.0.2.2.
wait_for /sys/class/net/eth0 || t_diag "interfaces: $(ls /sys/class/net)"
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
	t_bail "no eth0 (virtio_net)"

common="--config /dev/null --attest-url $ATTEST_URL --ca-bundle $CA --imds-url $IMDS_URL
	--cache-dir /run/cvmattest-cache --set kv_resource=$KV_RESOURCE --timeout 60s"

release() { # key-url out extra-args...
	_key=$1 _out=$2
	shift 2
	# shellcheck disable=SC2086
	"$CLI" release $common --key-url "$_key" --key-fd 3 "$@" 3>"$_out" 2>$W/err
}

# ---- simulated SEV-SNP -------------------------------------------------------------------------
start_sim /run/sim-snp /dev/sev-guest --snp --product milan
insmod $KO || t_bail "cvmattest.ko does not load"
t_run "SNP: release through /dev/cvmattest" release "$KEY_OCT" $W/snp.key ||
	t_diag "$(cat $W/err)"
t_is "$(hex $W/snp.key)" "$MAT_OCT" "SNP: the released key is the one the service holds"
t_run "SNP: again with RSA_AES_KEY_WRAP_384" release "$KEY_OCT" $W/snp384.key --enc RSA_AES_KEY_WRAP_384
t_is "$(hex $W/snp384.key)" "$MAT_OCT" "SNP: same key with RSA_AES_KEY_WRAP_384"
"$CLI" attest $common --json > $W/claims.json 2>$W/err
t_is "$?" 0 "SNP: cvmattest attest --json"
grep -q '"x-ms-attestation-type": "sevsnpvm"' $W/claims.json && t_ok "SNP: claims printed" ||
	t_fail "SNP: claims printed" "$(head -c 400 $W/claims.json)"
rmmod cvmattest
stop_sim /run/sim-snp

start_sim /run/sim-snp-debug /dev/sev-guest --snp --product milan --debug
insmod $KO || t_bail "cvmattest.ko does not load"
release "$KEY_OCT" $W/debug.key
rc=$?
t_is "$rc" 3 "SNP debug guest: release refused (exit 3)"
grep -q "x-ms-compliance-status" $W/err && t_ok "SNP debug guest: the failing claim is named" ||
	t_fail "SNP debug guest: the failing claim is named" "$(cat $W/err)"
t_is "$(wc -c < $W/debug.key)" 0 "SNP debug guest: no key written"
rmmod cvmattest
stop_sim /run/sim-snp-debug

# ---- simulated TDX (TDREPORT -> IMDS /acc/tdquote) -----------------------------------------------
start_sim /run/sim-tdx /dev/tdx_guest --tdx
insmod $KO provider=tdx || t_bail "cvmattest.ko provider=tdx does not load"
t_run "TDX: release through /dev/cvmattest" release "$KEY_OCT" $W/tdx.key || t_diag "$(cat $W/err)"
t_is "$(hex $W/tdx.key)" "$MAT_OCT" "TDX: the released key is the one the service holds"
rmmod cvmattest
stop_sim /run/sim-tdx

start_sim /run/sim-tdx-debug /dev/tdx_guest --tdx --debug
insmod $KO provider=tdx || t_bail "cvmattest.ko provider=tdx does not load"
release "$KEY_OCT" $W/tdxdebug.key
t_is "$?" 3 "TDX debug guest: release refused (exit 3)"
grep -q "x-ms-compliance-status" $W/err && t_ok "TDX debug guest: the failing claim is named" ||
	t_fail "TDX debug guest: the failing claim is named" "$(cat $W/err)"
rmmod cvmattest
stop_sim /run/sim-tdx-debug

# ---- Azure vTPM (stand-in paravisor on /dev/vtpmx): AzureGuest --------------------------------------
for platform in snp tdx; do
	ctl=/run/pv-$platform
	if ! "$PV" --platform $platform --state-dir /var/lib/pv-$platform --control $ctl \
		--delay-ms 100 > $W/pv.out 2>&1; then
		t_fail "paravisor ($platform) starts" "$(cat $W/pv.out; cat $ctl/log 2>/dev/null)"
		continue
	fi
	insmod $KO provider=azure-vtpm || t_bail "cvmattest.ko provider=azure-vtpm does not load"
	t_run "vTPM $platform: release (AzureGuest, key unwrapped by the vTPM)" \
		release "$KEY_GUEST" $W/guest-$platform.key || t_diag "$(cat $W/err)"
	t_is "$(hex $W/guest-$platform.key)" "$MAT_GUEST" \
		"vTPM $platform: the released key is the one the service holds"
	release "$KEY_OCT" $W/guest-oct-$platform.key
	t_is "$?" 3 "vTPM $platform: a key for platform tokens is refused to a guest token"
	rmmod cvmattest
	kill -TERM "$(cat $ctl/pid)"
	sleep 1
done

# ---- an unreachable service fails within its bound ---------------------------------------------------
start_sim /run/sim-snp2 /dev/sev-guest --snp --product milan
insmod $KO
t0=$(date +%s)
"$CLI" attest --config /dev/null --attest-url https://10.0.2.2:1 --ca-bundle $CA \
	--imds-url $IMDS_URL --timeout 10s --retries 2 2>$W/err
rc=$?
t1=$(date +%s)
t_is "$rc" 6 "unreachable attestation service: exit 6"
# 10 s and its retries, plus start-up; the debug kernel (KASAN under TCG) runs
# everything about 4 times slower: CVMATTEST_VM_SCALE
bound=$((15 * ${CVMATTEST_VM_SCALE:-1}))
[ $((t1 - t0)) -le $bound ] && t_ok "unreachable: gave up within the bound ($((t1 - t0)) s <= $bound s)" ||
	t_fail "unreachable: gave up within the bound" "$((t1 - t0)) s > $bound s"
grep -q "check attest_url" $W/err && t_ok "unreachable: the message says what to check" ||
	t_fail "unreachable: the message says what to check" "$(cat $W/err)"
rmmod cvmattest
stop_sim /run/sim-snp2

t_done
