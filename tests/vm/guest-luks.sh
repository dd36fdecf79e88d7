#!/bin/sh
# Guest side of tests/vm/test-luks (busybox sh, /test.sh in the VM): cvmattest luks
# with real dm-crypt. LUKS2 images on loop devices are bound with the TESTING key
# source (--key-file-fd) and unlocked by their token; a file written before binding
# is read back through the token-opened mapping; the header is compared with
# `cryptsetup luksHeaderBackup` before and after every unlock, successful or not.
# /dev/vda was bound on the host with OpenSSL and opens here with the kernel crypto
# API (libkcapi); one bound here with the kernel opens with OpenSSL; --all unlocks
# every bound volume, names from /etc/crypttab. /dev/vdb was bound on the host and then
# its segment cipher set to cipher_null-ecb with valid checksums: refused, header
# unchanged; a persistent flag set by the owner is refused until luks bind --refresh.
. "$CVMATTEST_LIB"
. /etc/cvmattest-test.env	# CLI
D=/usr/share/cvmattest-test/luks	# key (the test key), host-pass, host.uuid
W=/tmp/luks
mkdir -p $W /mnt /run/cryptsetup
PASS="guest passphrase"
printf '%s' "$PASS" >$W/pass

# cvm ARGS...: run the CLI with the test key on fd 3; output in $W/out, status in $rc
cvm() {
	"$CLI" luks "$@" --key-file-fd 3 3<$D/key >$W/out 2>&1
	rc=$?
}

hdr() { # dev file: save the LUKS2 header (and keyslot areas) as cryptsetup does
	rm -f "$2"
	cryptsetup luksHeaderBackup "$1" --header-backup-file "$2"
}

hdr_same() { # dev reference name
	hdr "$1" $W/hdr.now && cmp -s "$2" $W/hdr.now && t_ok "$3" ||
		t_fail "$3" "the header of $1 changed"
}

expect_rc() { # want name: check $rc, show the output if it is not the one wanted
	if [ "$rc" = "$1" ]; then
		t_ok "$2"
	else
		t_fail "$2" "exit status $rc, want $1
$(cat $W/out)"
	fi
}

new_volume() { # loopdev image size-MiB: a LUKS2 volume with $PASS in keyslot 0
	dd if=/dev/zero of="$2" bs=1M count=0 seek="$3" 2>/dev/null &&
		losetup "$1" "$2" &&
		cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 "$1" $W/pass
}

[ -c /dev/mapper/control ] || t_bail "no /dev/mapper/control: dm-mod not loaded"
[ -b /dev/vda ] || t_bail "no /dev/vda (the volume bound on the host)"

# ---- a volume with a file on it ------------------------------------------------------------
t_run "LUKS2 volume on /dev/loop0" new_volume /dev/loop0 $W/a.img 48 || t_bail "cannot make a volume"
t_run "open it with the passphrase" cryptsetup open /dev/loop0 plain --key-file $W/pass ||
	t_bail "dm-crypt does not work here"
t_run "mkfs.ext4" /sbin/mkfs.ext4 -q -F /dev/mapper/plain
t_run "mount" mount -t ext4 /dev/mapper/plain /mnt || t_bail "cannot mount ext4"
head -c 100000 /dev/urandom >/mnt/data
sum=$(sha256sum /mnt/data | cut -d' ' -f1)
umount /mnt
t_run "close" cryptsetup close plain
UUID_A=$(cryptsetup luksUUID /dev/loop0)

# ---- bind --------------------------------------------------------------------------------------
hdr /dev/loop0 $W/hdr.before-bind
cvm bind -d /dev/loop0 --attest-url https://att.example.net --key-url \
	https://vault.example.net/keys/a/1 --unlock-key-file $W/pass -vv
expect_rc 0 "bind /dev/loop0 (kernel crypto API)"
grep -q "wrapped with HKDF and AES-GCM by the kernel backend" $W/out &&
	t_ok "bind used the kernel crypto API" || t_fail "bind used the kernel crypto API" "$(cat $W/out)"
grep -q "testing aid" $W/out && t_ok "the testing key source says it is one" ||
	t_fail "the testing key source says it is one"
"$CLI" luks list -d /dev/loop0 --json >$W/list 2>&1
grep -q '"keyslot": 1' $W/list && grep -q '"key_url": "https://vault.example.net/keys/a/1"' $W/list &&
	t_ok "list --json shows token 0 on keyslot 1" || t_fail "list --json" "$(cat $W/list)"
hdr /dev/loop0 $W/hdr.bound

# ---- no device-mapper: unlock says so and names the fix -------------------------------------
# dm_crypt and dm_mod unloaded, and the kernel's module autoloading pointed at nothing
# (libdevmapper opens /dev/mapper/control, 10:236, which would load dm_mod again): a
# kernel without device-mapper.  Then loaded again as guest-init did, from the same files.
no_dm_unlock() {
	# built into the kernel (the debug kernel: CONFIG_DM_CRYPT=y): nothing to unload;
	# only a loaded module has initstate
	if [ ! -e /sys/module/dm_mod/initstate ] || [ ! -e /sys/module/dm_crypt/initstate ]; then
		t_skip "unlock without device-mapper" "dm_mod/dm_crypt are built into this kernel"
		return 0
	fi
	modprobe_path=$(cat /proc/sys/kernel/modprobe)
	echo /nonexistent/modprobe >/proc/sys/kernel/modprobe
	if rmmod dm_crypt 2>$W/rmmod.out && rmmod dm_mod 2>>$W/rmmod.out; then
		t_ok "unload dm_crypt and dm_mod"
		grep -q " device-mapper" /proc/misc && t_fail "device-mapper gone from /proc/misc" ||
			t_ok "device-mapper gone from /proc/misc"
		cvm unlock -d /dev/loop0 -n cvmdata
		expect_rc 7 "unlock without device-mapper: exit 7 (not here)"
		grep -q "/dev/loop0: cannot activate as cvmdata: this kernel has no device-mapper ('modprobe -a dm_mod dm_crypt'" $W/out &&
			t_ok "... and says so, naming 'modprobe -a dm_mod dm_crypt'" ||
			t_fail "... and says so, naming 'modprobe -a dm_mod dm_crypt'" "$(cat $W/out)"
		grep -q "Operation not supported" $W/out &&
			t_fail "... not libcryptsetup's 'Operation not supported'" "$(cat $W/out)" ||
			t_ok "... not libcryptsetup's 'Operation not supported'"
		hdr_same /dev/loop0 $W/hdr.bound "... and the header is untouched"
	else
		t_fail "unload dm_crypt and dm_mod" "$(cat $W/rmmod.out)"
	fi
	echo "$modprobe_path" >/proc/sys/kernel/modprobe
	grep -E '/dm-(mod|crypt)\.ko' /etc/cvmattest/modules | while read -r path opts; do
		# shellcheck disable=SC2086 # OPTIONS are words
		[ -d "/sys/module/$(basename "$path" .ko | tr - _)" ] || insmod "$path" $opts
	done
	[ -c /dev/mapper/control ] && grep -q " device-mapper" /proc/misc ||
		t_bail "device-mapper did not come back (insmod dm-mod, dm-crypt)"
	t_ok "dm_mod and dm_crypt loaded again"
}
no_dm_unlock

# ---- unlock by the token, for real ------------------------------------------------------------
cvm unlock -d /dev/loop0 -n cvmdata -vv
expect_rc 0 "unlock /dev/loop0 as cvmdata by its token"
grep -q "unwrapped by the kernel backend" $W/out && t_ok "unwrapped with the kernel crypto API" ||
	t_fail "unwrapped with the kernel crypto API" "$(cat $W/out)"
[ -b /dev/mapper/cvmdata ] && t_ok "/dev/mapper/cvmdata exists" || t_fail "/dev/mapper/cvmdata exists"
cryptsetup status cvmdata >$W/status 2>&1
grep -q "type:.*LUKS2" $W/status && t_ok "cryptsetup status: an active LUKS2 mapping" ||
	t_fail "cryptsetup status: an active LUKS2 mapping" "$(cat $W/status)"
if mount -t ext4 -o ro /dev/mapper/cvmdata /mnt; then
	t_is "$(sha256sum /mnt/data | cut -d' ' -f1)" "$sum" "the file written before reads back"
	umount /mnt
else
	t_fail "mount the token-opened volume"
fi
hdr_same /dev/loop0 $W/hdr.bound "unlock did not write the header"

cvm unlock -d /dev/loop0 -n again
expect_rc 9 "unlock while active: exit 9 (busy)"
grep -q "already unlocked as cvmdata" $W/out && t_ok "... and says as what" || t_fail "... and says as what" "$(cat $W/out)"
hdr_same /dev/loop0 $W/hdr.bound "a refused unlock did not write the header"
t_run "close cvmdata" cryptsetup close cvmdata

# ---- failures write nothing and leave no mapping ------------------------------------------
head -c 32 /dev/urandom >$W/wrong-key
"$CLI" luks unlock -d /dev/loop0 -n cvmdata --key-file-fd 3 3<$W/wrong-key >$W/out 2>&1
rc=$?
expect_rc 2 "a wrong key: exit 2"
[ ! -e /dev/mapper/cvmdata ] && t_ok "no mapping after a failed unlock" || t_fail "no mapping after a failed unlock"
hdr_same /dev/loop0 $W/hdr.bound "a failed unlock did not write the header"

cryptsetup token export --token-id 0 /dev/loop0 >$W/token.json
sed 's|https://att.example.net|https://evil.example.net|' $W/token.json >$W/token.evil
cryptsetup token import --token-id 0 --token-replace --json-file $W/token.evil /dev/loop0 ||
	t_fail "cryptsetup token import"
hdr /dev/loop0 $W/hdr.evil
cvm unlock -d /dev/loop0 -n cvmdata
expect_rc 2 "a token pointed at another attestation service: exit 2"
hdr_same /dev/loop0 $W/hdr.evil "... and the header is untouched"
cryptsetup token import --token-id 0 --token-replace --json-file $W/token.json /dev/loop0 ||
	t_fail "restore the token"
hdr /dev/loop0 $W/hdr.bound

new_volume /dev/loop2 $W/c.img 20 >/dev/null 2>&1 || t_fail "a second volume"
cryptsetup open /dev/loop2 taken --key-file $W/pass || t_fail "open it as taken"
cvm unlock -d /dev/loop0 -n taken
# another volume under that name is not "already unlocked" (9): exit 11
expect_rc 11 "a name taken by another volume: exit 11"
grep -q "is not this volume" $W/out && t_ok "... and says it is not this volume" ||
	t_fail "... and says it is not this volume" "$(cat $W/out)"
cryptsetup close taken

cvm unlock -d /dev/loop2 -n c
expect_rc 8 "a volume without a token: exit 8"

# ---- the LUKS2 header is bound, not only the token ----------------------------------------------
[ -b /dev/vdb ] || t_fail "no /dev/vdb (the tampered volume)"
cryptsetup luksDump /dev/vdb >$W/dump 2>&1
grep -q "cipher: cipher_null-ecb" $W/dump && t_ok "/dev/vdb: libcryptsetup takes the forged cipher_null header" ||
	t_fail "/dev/vdb: the forged header" "$(cat $W/dump)"
hdr /dev/vdb $W/hdr.vdb
cvm unlock -d /dev/vdb -n forged
expect_rc 2 "a header changed to cipher_null-ecb (checksums recomputed): exit 2"
grep -q "segments.0.encryption is cipher_null-ecb" $W/out && t_ok "... the message names the field" ||
	t_fail "... the message names the field" "$(cat $W/out)"
[ ! -e /dev/mapper/forged ] && t_ok "... and nothing is mapped" || t_fail "... and nothing is mapped"
hdr_same /dev/vdb $W/hdr.vdb "... and the header is unchanged"
# out of the way of --all below: no LUKS2 header any more
dd if=/dev/zero of=/dev/vdb bs=64k count=1 conv=fsync 2>/dev/null

# A persistent flag the owner sets (allow-discards, stored by cryptsetup --persistent) is
# a header change like any other: refused until bind --refresh, which needs the passphrase.
t_run "cryptsetup open --persistent --allow-discards" cryptsetup open /dev/loop0 plain \
	--key-file $W/pass --persistent --allow-discards
cryptsetup close plain
hdr /dev/loop0 $W/hdr.flags
cvm unlock -d /dev/loop0 -n cvmdata
expect_rc 2 "a persistent flag not bound: exit 2"
grep -q 'config.flags added: header says \["allow-discards"\]' $W/out &&
	t_ok "... the message names config.flags" || t_fail "... the message names config.flags" "$(cat $W/out)"
hdr_same /dev/loop0 $W/hdr.flags "... and the header is unchanged"
cvm bind -d /dev/loop0 --refresh --unlock-key-file $W/pass
expect_rc 0 "luks bind --refresh binds the header as it is now"
cvm unlock -d /dev/loop0 -n cvmdata
expect_rc 0 "... then it unlocks"
cryptsetup status cvmdata >$W/status 2>&1
grep -q "discards" $W/status && t_ok "... with the bound persistent flag (discards)" ||
	t_fail "... with the bound persistent flag (discards)" "$(cat $W/status)"
cryptsetup close cvmdata
hdr /dev/loop0 $W/hdr.bound

# ---- both crypto backends, both ways ------------------------------------------------------------
cvm unlock -d /dev/loop0 -n cvmdata --crypto-backend openssl -vv
expect_rc 0 "the kernel's token opens with OpenSSL"
grep -q "unwrapped by the openssl backend" $W/out && t_ok "... OpenSSL did it" || t_fail "... OpenSSL did it" "$(cat $W/out)"
cryptsetup close cvmdata
HOST_UUID=$(cat $D/host.uuid)
t_is "$(cryptsetup luksUUID /dev/vda)" "$HOST_UUID" "/dev/vda is the volume bound on the host"
hdr /dev/vda $W/hdr.vda
cvm unlock -d /dev/vda -n hostdisk --crypto-backend kernel -vv
expect_rc 0 "the host's (OpenSSL) token opens with the kernel crypto API"
grep -q "unwrapped by the kernel backend" $W/out && t_ok "... the kernel did it" || t_fail "... the kernel did it" "$(cat $W/out)"
[ -b /dev/mapper/hostdisk ] && t_ok "/dev/mapper/hostdisk exists" || t_fail "/dev/mapper/hostdisk exists"
cryptsetup close hostdisk
hdr_same /dev/vda $W/hdr.vda "the host volume's header is untouched"

# A released RSA/EC key comes as PKCS#8 DER, longer than an HMAC block: both backends agree.
head -c 1218 /dev/urandom >$W/long-key
new_volume /dev/loop3 $W/d.img 20 >/dev/null 2>&1 || t_fail "a volume for the long key"
"$CLI" luks bind -q -d /dev/loop3 --attest-url https://att.example.net --key-url \
	https://vault.example.net/keys/rsa/1 --unlock-key-file $W/pass --crypto-backend kernel \
	--key-file-fd 3 3<$W/long-key >$W/out 2>&1
rc=$?
expect_rc 0 "bind with a 1218-byte key (kernel)"
"$CLI" luks unlock -q -d /dev/loop3 --check --crypto-backend openssl --key-file-fd 3 3<$W/long-key >$W/out 2>&1
rc=$?
expect_rc 0 "... opens with OpenSSL"
"$CLI" luks unbind -q -d /dev/loop3 >$W/out 2>&1 && losetup -d /dev/loop3

# ---- --all, names from crypttab ---------------------------------------------------------------
t_run "a second bound volume on /dev/loop1" new_volume /dev/loop1 $W/b.img 20
cvm bind -d /dev/loop1 --attest-url https://att.example.net --key-url \
	https://vault.example.net/keys/b/1 --unlock-key-file $W/pass
expect_rc 0 "bind /dev/loop1"
UUID_B=$(cryptsetup luksUUID /dev/loop1)
printf '# name device key options\ncvmdata UUID=%s none luks\n' "$UUID_A" >/etc/crypttab
hdr /dev/loop1 $W/hdr.b
cvm unlock --all
expect_rc 0 "unlock --all"
for n in cvmdata "luks-$UUID_B" "luks-$HOST_UUID"; do
	[ -b "/dev/mapper/$n" ] && t_ok "--all: /dev/mapper/$n" || t_fail "--all: /dev/mapper/$n" "$(cat $W/out)"
done
[ ! -e /dev/mapper/c ] && ! grep -q loop2 $W/out && t_ok "--all leaves the unbound volume alone" ||
	t_fail "--all leaves the unbound volume alone" "$(cat $W/out)"
cvm unlock --all
expect_rc 0 "unlock --all again: nothing to do"
grep -q "already unlocked as /dev/mapper/cvmdata" $W/out && t_ok "... each reported as already unlocked" ||
	t_fail "... each reported as already unlocked" "$(cat $W/out)"
hdr_same /dev/loop0 $W/hdr.bound "--all did not write loop0's header"
hdr_same /dev/loop1 $W/hdr.b "--all did not write loop1's header"
if mount -t ext4 -o ro /dev/mapper/cvmdata /mnt; then
	t_is "$(sha256sum /mnt/data | cut -d' ' -f1)" "$sum" "the file reads back after --all"
	umount /mnt
fi
for n in cvmdata "luks-$UUID_B" "luks-$HOST_UUID"; do cryptsetup close "$n"; done

# ---- unbind ------------------------------------------------------------------------------------------
"$CLI" luks unbind -d /dev/loop0 >$W/out 2>&1
rc=$?
expect_rc 0 "unbind /dev/loop0"
cvm unlock -d /dev/loop0 -n cvmdata
expect_rc 8 "unlock after unbind: exit 8"
hdr /dev/loop0 $W/hdr.unbound
cryptsetup luksDump /dev/loop0 >$W/dump 2>&1
grep -q "^  1: luks2" $W/dump && t_fail "keyslot 1 is gone" "$(cat $W/dump)" || t_ok "keyslot 1 is gone"
t_run "the passphrase still opens it" cryptsetup open --test-passphrase /dev/loop0 --key-file $W/pass

losetup -d /dev/loop0
losetup -d /dev/loop1
losetup -d /dev/loop2
t_done
