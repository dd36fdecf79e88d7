#!/bin/sh
# Guest side of bench/unlock (busybox sh, /test.sh in the VM), on the simulated
# SEV-SNP platform: bind /dev/vda with `cvmattest luks bind` through the local
# service on the host (10.0.2.2), then time, in this one boot, N unlocks of
# /dev/vda with `cvmattest luks unlock` and N of /dev/vdb (bound on the host to
# the tang server there) with `clevis luks unlock`, alternating which goes first.
# Before each unlock (untimed): the previous mapping closed, the page cache
# dropped and cvmattest's cache emptied, so that every unlock is a cold one, as
# at boot. Each sample is a line "# sample TOOL I MS" (unlock-timer's ms).
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# CLI SIMD
B=/usr/share/cvmattest-test/bench	# pass, cvmattest.conf, params
. $B/params	# N TANG_URL
TIMER=/usr/lib/cvmattest-test/unlock-timer
W=/tmp/w
mkdir -p $W /run/cryptsetup

"$SIMD" --control /run/sim --log /run/sim.log --snp --product milan ||
	t_bail "cvmattest-simd did not start: $(cat /run/sim.log)"
t_wait_for /dev/sev-guest present || t_bail "no /dev/sev-guest"
t_run "load cvmattest.ko" insmod /lib/modules/extra/cvmattest.ko || t_bail "cvmattest.ko does not load"
t_wait_for /sys/class/net/eth0 present || t_bail "no eth0"
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
	t_bail "cannot configure eth0"
[ -b /dev/vda ] && [ -b /dev/vdb ] || t_bail "no /dev/vda and /dev/vdb"

"$CLI" luks bind -d /dev/vda --config $B/cvmattest.conf --unlock-key-file $B/pass >$W/out 2>&1
t_is "$?" 0 "cvmattest luks bind /dev/vda through attestation and key release" ||
	t_bail "bind failed: $(cat $W/out)"
t_run "tang answers at $TANG_URL" curl -sfo $W/adv "$TANG_URL/adv" || t_bail "tang is not reachable"
t_run "clevis luks list /dev/vdb shows the tang pin" sh -c 'clevis luks list -d /dev/vdb | grep -q tang'

one() { # tool dev name cmd...
	_tool=$1 _dev=$2 _name=$3
	shift 3
	sync
	echo 3 >/proc/sys/vm/drop_caches
	rm -rf /run/cvmattest-cache
	if _ms=$("$TIMER" $W/log "/dev/mapper/$_name" "$@"); then
		echo "# sample $_tool $i $_ms"
	else
		_rc=$?
		t_fail "$_tool unlock $i (exit $_rc)" "$(cat $W/log)"
		failed=1
	fi
	if [ -e "/dev/mapper/$_name" ]; then
		cryptsetup close "$_name" || { t_fail "close $_name" ""; failed=1; }
		t_wait_for "/dev/mapper/$_name" absent || { t_fail "$_name is gone" ""; failed=1; }
	fi
}
cvm() { one cvmattest /dev/vda bench-cvm "$CLI" luks unlock -d /dev/vda -n bench-cvm --config $B/cvmattest.conf; }
clv() { one clevis-tang /dev/vdb bench-clv clevis luks unlock -d /dev/vdb -n bench-clv; }

failed=0 i=1
while [ $i -le "$N" ] && [ $failed = 0 ]; do
	if [ $((i % 2)) = 1 ]; then cvm; clv; else clv; cvm; fi
	i=$((i + 1))
done
[ $failed = 0 ] && t_ok "$N unlocks of each, every one usable and closed again"
t_done
