#!/bin/busybox sh
# TEST ONLY (tests/vm/test-systemd): run by cvmattest-test-check.service in the test's
# systemd root once the boot got there. It checks what cvmattest-unlock@UUID.service
# did, prints TAP lines and tests/vm/run's result line on ttyS1, and powers off.
#   cvmattest_test.expect=unlocked: the bound volume is open as /dev/mapper/luks-UUID,
#     /srv (fstab, x-systemd.requires=) has the file; stop closes it, exit 9 is
#     success; the volume without a token fails at once (exit 8, no restart); a
#     decoy mapping named luks-UUID (the other disk linear, dm-crypt of it,
#     cipher_null over this disk) makes the unit fail with exit 11, nothing mounted
#   cvmattest_test.expect=locked (service down): the unit fails after its bounded
#     restarts, the reason is in the journal, nothing is mapped or mounted
# /etc/cvmattest-test/env: UUID (bound), UUID2 (no token), SUM (sha256 of the file).
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
. /etc/cvmattest-test/env
out=/dev/ttyS1
[ -c $out ] && stty -F $out raw -echo clocal 2>/dev/null || out=/dev/console
nonce=none expect=unlocked
for w in $(cat /proc/cmdline); do
	case $w in
	cvmattest_vm.nonce=*) nonce=${w#*=} ;;
	cvmattest_test.expect=*) expect=${w#*=} ;;
	esac
done
n=0 failed=0
say() { echo "$*" | tee -a $out; }
ok() { n=$((n + 1)); say "ok $n - $1"; }
notok() {
	n=$((n + 1)); failed=$((failed + 1)); say "not ok $n - $1"
	[ -n "$2" ] && echo "$2" | sed 's/^/#   /' | tee -a $out
	return 0
}
check() { if [ "$1" = 0 ]; then ok "$2"; else notok "$2" "$3"; fi; }
prop() { systemctl show -P "$2" "$1" 2>/dev/null; }
state() { echo "$(prop "$1" ActiveState)/$(prop "$1" SubState) result=$(prop "$1" Result) status=$(prop "$1" ExecMainStatus) restarts=$(prop "$1" NRestarts)"; }
# settle UNIT N: wait (bounded: N half-seconds) until UNIT is neither activating nor
# restarting (auto-restart is "activating"), with no job queued for it, for three polls
# in a row: when the restart timer fires, the unit is "inactive" for a moment before
# its restart job starts it again
settle() {
	i=0 calm=0
	while [ $i -lt "$2" ]; do
		case $(prop "$1" ActiveState) in
		activating | deactivating | reloading) calm=0 ;;
		*)
			if [ -n "$(systemctl list-jobs --no-legend --plain "$1" 2>/dev/null)" ]; then
				calm=0
			else
				calm=$((calm + 1))
				[ $calm -ge 3 ] && return 0
			fi ;;
		esac
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
U=cvmattest-unlock@$UUID.service
U2=cvmattest-unlock@$UUID2.service
M=/dev/mapper/luks-$UUID
journal() { journalctl -b --no-pager -o cat -u "$1" 2>&1; }

say "CVMATTEST-VM-BOOTED: uptime=$(cut -d' ' -f1 /proc/uptime) nonce=$nonce"
ok "systemd ($(systemctl --version | sed -n 1p)) booted to the check service"
if [ "$expect" = unlocked ]; then
	settle $U 300; check $? "$U is settled" "$(state $U)"
	[ "$(prop $U ActiveState)/$(prop $U Result)" = active/success ]; check $? "$U is active" "$(state $U)
$(journal $U)"
	[ -b $M ]; check $? "$M is unlocked" "$(ls -l /dev/mapper)"
	b=$(prop basic.target ActiveEnterTimestampMonotonic) u=$(prop $U ExecMainStartTimestampMonotonic)
	[ "${b:-0}" -gt 0 ] && [ "${u:-0}" -gt "$b" ]
	check $? "it ran after basic.target (not in sysinit.target's cryptsetup.target)" "basic.target at $b us, $U at $u us"
	settle srv.mount 120
	grep -q " /srv " /proc/mounts; check $? "/srv is mounted (fstab: nofail,x-systemd.requires=$U)" "$(state srv.mount)
$(journal srv.mount)"
	got=$(sha256sum /srv/data.bin 2>/dev/null | cut -d' ' -f1)
	[ "$got" = "$SUM" ]; check $? "the file written before reads back" "got '$got', want '$SUM'"
	settle $U2 300
	[ "$(prop $U2 ActiveState)/$(prop $U2 ExecMainStatus)/$(prop $U2 NRestarts)" = failed/8/0 ]
	check $? "the volume without a token: $U2 failed with exit 8, not restarted" "$(state $U2)"
	journal $U2 | grep -q "no cvmattest token\|not bound\|no token"
	check $? "... and the journal says why" "$(journal $U2)"
	say "# journal of $U2: $(journal $U2 | grep -v '^Starting\|^Stopped\|^Failed' | sed -n 1,3p | tr '\n' ' ')"
	systemctl stop $U; check $? "systemctl stop $U"
	! grep -q " /srv " /proc/mounts; check $? "... unmounted /srv first (x-systemd.requires)"
	[ ! -e $M ]; check $? "... and closed $M (ExecStop)" "$(ls -l /dev/mapper)"
	cvmattest luks unlock -q -d /dev/disk/by-uuid/$UUID -n luks-$UUID; check $? "unlocked again by hand"
	systemctl start $U; check $? "systemctl start $U with the volume already open (exit 9 is success)" "$(state $U)"
	[ "$(prop $U ActiveState)/$(prop $U ExecMainStatus)" = active/9 ]; check $? "... active, status 9" "$(state $U)"
	systemctl stop $U && [ ! -e $M ]; check $? "stop closes it again"
	systemctl start $U && [ -b $M ]; check $? "start unlocks it again (a new attestation)" "$(state $U)
$(journal $U | tail -n 5)"
	# A mapping named luks-UUID that is not the volume must make the unit fail (exit 11),
	# not pass for "already unlocked" (exit 9) and get /srv mounted on it.
	systemctl stop $U
	dev=$(readlink -f /dev/disk/by-uuid/$UUID) dev2=$(readlink -f /dev/disk/by-uuid/$UUID2)
	mm=$(cat /sys/class/block/${dev##*/}/dev) mm2=$(cat /sys/class/block/${dev2##*/}/dev)
	sz=$(cat /sys/class/block/${dev##*/}/size) sz2=$(cat /sys/class/block/${dev2##*/}/size)
	off=$(cryptsetup luksDump $dev | sed -n 's/^[[:space:]]*offset: \([0-9]*\) \[bytes\]/\1/p' | sed -n 1p)
	off=$((${off:-16777216} / 512))
	zk=0000000000000000000000000000000000000000000000000000000000000000
	decoy() { # name table: start $U over a decoy mapping luks-UUID, expect exit 11
		dmsetup create luks-$UUID --table "$2" >/tmp/dm.out 2>&1 || { notok "$1: dmsetup create" "$(cat /tmp/dm.out)"; return; }
		systemctl reset-failed $U 2>/dev/null
		systemctl start $U
		settle $U 120
		[ "$(prop $U ActiveState)/$(prop $U ExecMainStatus)" = failed/11 ]
		check $? "$1: $U fails with exit 11, not 9" "$(state $U)
$(journal $U | tail -n 4)"
		journal $U | grep -q "is not this volume\|not this volume"
		check $? "$1: ... and the journal says it is not this volume" "$(journal $U | tail -n 6)"
		! grep -q " /srv " /proc/mounts; check $? "$1: ... and /srv is not mounted on it"
		dmsetup remove luks-$UUID 2>/dev/null
	}
	decoy "the other disk, linear, named luks-UUID" "0 $sz2 linear $mm2 0"
	decoy "dm-crypt of the other disk named luks-UUID" "0 $((sz2 - off)) crypt aes-xts-plain64 $zk$zk 0 $mm2 $off"
	decoy "cipher_null over this disk named luks-UUID" "0 $((sz - off)) crypt cipher_null-ecb - 0 $mm $off"
	systemctl reset-failed $U 2>/dev/null
	systemctl start $U && [ -b $M ]; check $? "with the decoys gone, start unlocks it" "$(state $U)
$(journal $U | tail -n 5)"
else
	settle $U 400; check $? "$U is settled (bounded restarts)" "$(state $U)"
	[ "$(prop $U ActiveState)" = failed ]; check $? "$U failed" "$(state $U)"
	[ "$(prop $U ExecMainStatus)" = 6 ]; check $? "... with exit 6 (the service is down)" "$(state $U)"
	[ "$(prop $U NRestarts)" -ge 2 ]; check $? "... after its restarts (Restart=on-failure)" "$(state $U)"
	journal $U | grep -q "Start request repeated too quickly"
	check $? "... and systemd stopped there (StartLimitBurst=3)" "$(journal $U | tail -n 4)"
	say "# $U: $(state $U)"
	b=$(prop basic.target ActiveEnterTimestampMonotonic) f=$(prop $U StateChangeTimestampMonotonic)
	[ "${b:-0}" -gt 0 ] && [ "${f:-0}" -gt "$b" ]
	check $? "the boot did not wait for it: basic.target came $(( (${f:-0} - ${b:-0}) / 1000000 )) s before it failed" "basic.target at $b us, $U failed at $f us"
	journal $U | grep -q "unreachable"; check $? "the journal says the service is unreachable" "$(journal $U)"
	say "# journal of $U:"
	journal $U | sed 's/^/#   /' | tee -a $out >/dev/null
	[ ! -e $M ]; check $? "$M does not exist" "$(ls -l /dev/mapper)"
	! grep -q " /srv " /proc/mounts; check $? "/srv is not mounted (nofail: the boot went on)"
fi
journalctl -b --no-pager -o cat 2>&1 | grep -i "ordering cycle" >/tmp/cycles
[ ! -s /tmp/cycles ]; check $? "no ordering cycle in the journal" "$(cat /tmp/cycles)"
# systemd-cryptsetup must leave the volume to cvmattest (crypttab: data ... noauto)
c=$(systemctl show -P ActiveState systemd-cryptsetup@data.service 2>/dev/null)
[ "$c" = inactive ]; check $? "systemd-cryptsetup@data.service (crypttab noauto) did not run: $c"
systemctl --failed --no-legend --plain 2>/dev/null | sed 's/^/# failed unit: /' | tee -a $out >/dev/null
echo "1..$n" | tee -a $out
rc=0
[ $failed = 0 ] || rc=1
echo "CVMATTEST-VM-RESULT: rc=$rc taint=$(cat /proc/sys/kernel/tainted) uptime=$(cut -d' ' -f1 /proc/uptime) reason=done nonce=$nonce" | tee -a $out
sync
# the result is out: no need for an orderly shutdown (the root is the initramfs)
systemctl --force --force poweroff || poweroff -f
