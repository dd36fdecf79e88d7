#!/bin/sh
# Guest side of tests/vm/test-e2e, first boot ("provisioning", the harness's own
# initramfs): on the simulated SEV-SNP platform, format ext4 inside the LUKS2
# volume /dev/vda (made on the host), write the known file, then bind the volume
# with `cvmattest luks bind` through real attestation and key release against the
# local service on the host (10.0.2.2), with the configuration the boot will use.
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# CLI SIMD
E=/usr/share/cvmattest-test/e2e	# pass, data.bin, cvmattest.conf
W=/tmp/w
mkdir -p $W /mnt /run/cryptsetup

"$SIMD" --control /run/sim --log /run/sim.log --kernel "$(uname -r)" --snp --product milan ||
	t_bail "cvmattest-simd did not start: $(cat /run/sim.log)"
i=0
while [ ! -e /dev/sev-guest ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t_diag "simulated /dev/sev-guest: $(sed -n 's/^abi=//p' /run/sim/state)"
t_run "load cvmattest.ko" insmod /lib/modules/extra/cvmattest.ko || t_bail "cvmattest.ko does not load"
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
	t_bail "no eth0"

t_run "open /dev/vda with the passphrase" cryptsetup open /dev/vda prov --key-file $E/pass ||
	t_bail "dm-crypt does not work"
t_run "mkfs.ext4" /sbin/mkfs.ext4 -q -F -L e2edata /dev/mapper/prov
t_run "mount" mount -t ext4 /dev/mapper/prov /mnt || t_bail "cannot mount"
cp $E/data.bin /mnt/data.bin && sync
t_is "$(sha256sum /mnt/data.bin | cut -d' ' -f1)" "$(sha256sum $E/data.bin | cut -d' ' -f1)" "the file is written"
umount /mnt
t_run "close" cryptsetup close prov

"$CLI" luks bind -d /dev/vda --config $E/cvmattest.conf --unlock-key-file $E/pass -v >$W/out 2>&1
rc=$?
t_is "$rc" 0 "bind /dev/vda through attestation and key release" || t_diag "$(cat $W/out)"
"$CLI" luks list -d /dev/vda --json >$W/list 2>&1
grep -q '"keyslot": 1' $W/list && t_ok "list shows the token on keyslot 1" || t_fail "list" "$(cat $W/list)"
"$CLI" luks unlock -d /dev/vda --check --config $E/cvmattest.conf >$W/out 2>&1
t_is "$?" 0 "unlock --check opens the keyslot through the service" || t_diag "$(cat $W/out)"
t_done
