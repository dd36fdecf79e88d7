#!/bin/sh
# Guest side of `make demo` (tests/demo): the main job on the simulated SEV-SNP
# platform against the local service on the host (10.0.2.2), step by step.
# Lines starting "# " reach the host's terminal (tests/vm/run passes them on);
# "ok"/"not ok" lines are the demo's own checks.
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# CLI SIMD KEYS
PATH=$(dirname "$CLI"):$PATH	# so that the commands shown read "cvmattest ..."
CLI=cvmattest
D=/usr/share/cvmattest-demo	# recovery (the disk's passphrase), vault-key.fp
KO=/lib/modules/extra/cvmattest.ko
DISK=/dev/vda
W=/run/demo
mkdir -p $W /mnt/data

say() { printf '%s\n' "$@" | sed 's/^/# /'; }
step() { say "" "==> $*"; }
# Show a command and its output; keep its status.
run() { say "\$ $*"; "$@" >$W/out 2>&1; _rc=$?; [ -s $W/out ] && sed 's/^/#   /' $W/out; return $_rc; }
ms() { read -r _up _ </proc/uptime; echo "${_up%.*}${_up#*.}0"; }	# 10 ms steps
hdrsum() { head -c 16777216 $DISK | sha256sum | cut -c1-16; }

start_snp() { # extra simd args
	"$SIMD" --snp --product genoa --report-version 5 --kernel "$(uname -r)" --control /run/sim --log $W/simd.log "$@" ||
		t_bail "the simulator did not start"
	t_wait_for /dev/sev-guest present 100 || t_bail "no /dev/sev-guest"
	insmod $KO || t_bail "insmod cvmattest.ko failed"
}

stop_snp() {
	rmmod cvmattest
	kill -TERM "$(cat /run/sim/pid)"
	t_wait_for /dev/sev-guest absent 100
}

step "1. A confidential VM stand-in: SEV-SNP (Genoa, report v5) simulated behind /dev/sev-guest;"
say "   cvmattest.ko puts it behind /dev/cvmattest and shows the boot state in sysfs"
start_snp
run ls -l /dev/sev-guest /dev/cvmattest
for f in platform provider launch_debug launch_measurement launch_tcb; do
	say "  /sys/kernel/cvmattest/$f: $(cat /sys/kernel/cvmattest/$f)"
done

step "2. Evidence bound to a fresh nonce, verified offline (VCEK -> ASK -> ARK, TEST roots)"
nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
rd=$(printf '%s' "$nonce" | sha256sum | cut -d' ' -f1)
run "$CLI" report --report-data "$rd" --certs $W/certs.bin -o $W/report.bin -q
run "$CLI" verify --amd-roots "$KEYS/cert_chain-genoa.pem" --certs $W/certs.bin --no-cache \
	--report-data "$rd" $W/report.bin
t_is $? 0 "the evidence verifies offline"

step "3. The network (QEMU user networking: the host's loopback is 10.0.2.2)"
t_wait_for /sys/class/net/eth0 present 100 || t_bail "no eth0"
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
	t_bail "cannot configure eth0"
run cat /etc/cvmattest/cvmattest.conf

step "4. Attestation: the evidence goes to the attestation service, which returns a signed token"
run "$CLI" attest
t_is $? 0 "attested"
"$CLI" attest --json >$W/claims.json 2>$W/err || sed 's/^/#   /' $W/err
say "  some of the token's claims:"
tr ',' '\n' <$W/claims.json | grep -oE '"(iss|x-ms-attestation-type|x-ms-compliance-status|x-ms-sevsnpvm-is-debuggable|x-ms-sevsnpvm-launchmeasurement|x-ms-sevsnpvm-reportdata|x-ms-ver)":[^}]*' |
	sed 's/^/#     /' | cut -c1-110

step "5. Key release: Key Vault checks the token against the key's release policy and"
say "   releases the key wrapped to a transfer key that only this VM's memory holds"
say "\$ cvmattest release --json --key-fd 3 3>(sha256sum)"
{ "$CLI" release --json --key-fd 3 3>&1 1>&4 2>&4 | sha256sum | cut -c1-16 >$W/key.fp; } \
	4>$W/out
tr ',' '\n' <$W/out | sed -e 's/^{//' -e 's/}$//' -e 's/^/#   /'
say "  fingerprint of the key released here:  $(cat $W/key.fp)" \
	"  fingerprint of the key the vault holds: $(cat $D/vault-key.fp) (the demo shows it; a VM never knows it)"
[ "$(cat $W/key.fp)" = "$(cat $D/vault-key.fp)" ]
t_is $? 0 "the released key is the vault's key"

step "6. Provisioning: the data disk is a LUKS2 volume with a recovery passphrase; put a file on it"
run cryptsetup open --key-file $D/recovery $DISK prov || t_bail "cannot open with the recovery passphrase"
run mkfs.ext4 -q /dev/mapper/prov
mount /dev/mapper/prov /mnt/data && echo "written before the reboot, $(date -u)" >/mnt/data/hello.txt &&
	umount /mnt/data
cryptsetup close prov
say "  /mnt/data/hello.txt written; volume closed"

step "7. Bind it: a new keyslot whose random passphrase is wrapped under the released key"
run "$CLI" luks bind -d $DISK --unlock-key-file $D/recovery
t_is $? 0 "cvmattest luks bind"
run "$CLI" luks list -d $DISK
before=$(hdrsum)

step "8. At boot, with no human and no key on the VM: attest, release, unwrap, activate"
say "   (at real boot the initramfs-tools/dracut script or cvmattest-unlock@.service runs this)"
t0=$(ms)
run "$CLI" luks unlock -d $DISK -n data
t_is $? 0 "cvmattest luks unlock"
t1=$(ms)
say "  unlocked in $((t1 - t0)) ms (TCG-emulated CPU; attestation and release included)"
run mount /dev/mapper/data /mnt/data
run cat /mnt/data/hello.txt
grep -q "written before the reboot" /mnt/data/hello.txt
t_is $? 0 "the file written before reads back"
umount /mnt/data
cryptsetup close data
[ "$(hdrsum)" = "$before" ]
t_is $? 0 "unlock only read the LUKS2 header (checksum unchanged)"

step "9. The same VM booted with debugging enabled: the vault refuses to release the key"
stop_snp
start_snp --debug
say "  /sys/kernel/cvmattest/launch_debug: $(cat /sys/kernel/cvmattest/launch_debug)"
run "$CLI" luks unlock -d $DISK -n data
t_is $? 2 "refused: exit 2 (attestation or key release failed)"
[ ! -e /dev/mapper/data ]
t_is $? 0 "the disk stays locked"
[ "$(hdrsum)" = "$before" ]
t_is $? 0 "the LUKS2 header is unchanged"
stop_snp

say "" "Done: evidence -> token -> key release -> unlock -> mount, and a debug guest refused."
t_done
