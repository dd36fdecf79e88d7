# shellcheck shell=bash disable=SC2034,SC2154
# (variables shared with the sourcing script both ways)
# Shared by the boot-integration VM tests (tests/vm/test-dracut, tests/vm/test-systemd;
# the same steps as tests/vm/test-e2e): the local Azure-compatible service on the host,
# a LUKS2 data disk formatted on the host and bound in a provisioning boot, the cached
# Debian kernel's module tree with cvmattest.ko where DKMS puts it, TAP helpers.
#
# Source it from a bash script running with `set -euo pipefail` after setting
#   here (tests/vm), top (the tree), w (the test's own work directory), runargs (array,
#   extra arguments for tests/vm/run, e.g. -v)
# Then:
#   e2e_init                  checks the host programs, empties $w, fetches the kernel:
#                             sets build, kver, kdir, mke2fs, netargs (QEMU user network)
#   e2e_service_start         the service (loopback, free ports; $w/azsvc) and two keys:
#                             sets svc, state, key, key_other, ca (in /var/cache/cvmattest), writes
#                             $w/cvmattest.conf (the service as the guest sees it: 10.0.2.2)
#   e2e_service_stop          stops it (the "service down" runs)
#   e2e_provision             $w/data.img: LUKS2 (recovery passphrase $w/pass), then a
#                             boot of the harness's initramfs (guest-e2e-provision.sh)
#                             makes ext4 with $w/data.bin inside and binds it through the
#                             service; sets uuid; $w/data.sha256, $w/token.json,
#                             $w/data.bound.img (a copy)
#   e2e_modroot               $w/modroot/lib/modules/$kver: the cached kernel's modules
#                             (hard links) + updates/dkms/cvmattest.ko, depmod'ed; sets mods
#   e2e_hdrsum IMG            sha256 of the first 16 MiB (the LUKS2 header and keyslots)
#   e2e_ok NAME / e2e_notok NAME [DETAIL] / e2e_check STATUS NAME [DETAIL]
#                             "ok - NAME" / "not ok - NAME" lines; failures count in $fails
#   e2e_console_has LOG ERE NAME   e2e_check on a console log (CRs removed)
#   e2e_cleanup               for `trap e2e_cleanup EXIT`: stops the service

fails=0
svc=""
cadir=""

e2e_ok() { echo "ok - $1"; }
e2e_notok() {
	echo "not ok - $1"
	fails=$((fails + 1))
	[[ -z ${2:-} ]] || printf '%s\n' "$2" | sed 's/^/#   /'
}
e2e_check() { # status name [detail]
	if [[ $1 == 0 ]]; then e2e_ok "$2"; else e2e_notok "$2" "${3:-}"; fi
}
e2e_console_has() { # log ERE name
	if tr -d '\r' <"$1" | grep -aqE "$2"; then e2e_ok "$3"; else e2e_notok "$3 (log $1)"; fi
}

e2e_init() {
	local prog
	for prog in cryptsetup python3 unshare qemu-system-x86_64; do
		command -v "$prog" >/dev/null ||
			{ echo "${0##*/}: $prog not found (scripts/install-deps)" >&2; exit 2; }
	done
	build=${CVM_BUILD:-$top/build}
	kver=${KVER:-$("$top/scripts/kver")}
	mke2fs=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)
	rm -rf "$w"
	mkdir -p "$w"
	chmod 700 "$w"
	kdir=$(KVER=$kver "$here/fetch-kernel" --quiet)
	netargs=(--qemu-arg -netdev --qemu-arg user,id=n0 --qemu-arg -device --qemu-arg virtio-net-pci,netdev=n0,romfile=)
	make -s -C "$top/tests/sim" O="$build/sim" "$build/sim/cvmattest-sim" "$build/sim/cvmattest-simd"
	make -s -C "$top/user" "$top/build/user/cvmattest"
}

e2e_admin() { python3 "$top/tests/azure-service/azure-service-admin" --state "$state" --wait 60 "$@"; }

e2e_service_start() {
	state=$w/azsvc
	mkdir -p "$state"
	CVMATTEST_SIM_BIN=$build/sim python3 "$top/tests/azure-service/azure-service" --state "$state" \
		--port-attest 0 --port-kv 0 --port-imds 0 --port-admin 0 >"$state/stdout" 2>&1 &
	svc=$!
	e2e_admin wait >/dev/null
	key=$(e2e_admin create-key --name e2e-disk --guest-url --material-fd 3 3>"$state/disk.bin")
	key_other=$(e2e_admin create-key --name e2e-other --guest-url --material-fd 3 3>"$state/other.bin")
	# The CA bundle has the same path on the host (the image builders copy it from
	# there) and in the guests, so not under /tmp (or /var/tmp, a link to it in the
	# harness's guests), where the clone may be and the guests mount a tmpfs: in the
	# VM tests' cache directory (tests/vm/fetch-kernel); removed by e2e_cleanup.
	mkdir -p "${CVMATTEST_CACHE:-/var/cache/cvmattest}"
	cadir=$(mktemp -d "${CVMATTEST_CACHE:-/var/cache/cvmattest}/test-ca.XXXXXX")
	ca=$cadir/ca.pem
	cp "$(e2e_ready "r['ca_bundle']")" "$ca"
	cat >"$w/cvmattest.conf" <<CONF
# ${0##*/}: the local service as the guest sees it
attest_url = $(e2e_ready "r['guest']['attest_url']")
key_url = $key
# test-e2e's wrong-key case: a key this VM may name (listed) that does not open the token
allowed_keys = $key_other
imds_url = $(e2e_ready "r['guest']['imds_url']")
kv_resource = $(e2e_ready "r['kv_resource']")
ca_bundle = $ca
cache_dir = /run/cvmattest-cache
connect_timeout = 3s
total_timeout = 30s
retries = 1
CONF
}

e2e_ready() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$state/ready.json" "$1"; }

e2e_service_stop() {
	[[ -n $svc ]] || return 0
	e2e_admin stop >/dev/null 2>&1 || kill "$svc" 2>/dev/null || true
	local i
	for i in $(seq 50); do kill -0 "$svc" 2>/dev/null || break; sleep 0.2; done
	kill "$svc" 2>/dev/null || true
	wait "$svc" 2>/dev/null || true
	svc=""
}

e2e_cleanup() {
	e2e_service_stop
	[[ -z ${cadir:-} ]] || rm -rf "$cadir"
}

e2e_provision() {
	local E=/usr/share/cvmattest-test/e2e
	printf '%s' "e2e recovery passphrase $$" >"$w/pass"
	head -c 200000 /dev/urandom >"$w/data.bin"
	sha256sum "$w/data.bin" | cut -d' ' -f1 >"$w/data.sha256"
	truncate -s 64M "$w/data.img"
	cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		"$w/data.img" "$w/pass"
	uuid=$(cryptsetup luksUUID "$w/data.img")
	"$here/guest-image" -o "$w/provision-initrd.gz" --script "$here/guest-e2e-provision.sh" \
		--module dm-crypt --module xts --module ecb --module algif_skcipher --module algif_hash \
		--module algif_aead --module gcm --module ctr --module "ghash-generic|libgf128hash" --module crypto_user \
		--module ext4 --module "crc32c_generic|crc32c-cryptoapi" --module virtio_pci --module virtio_blk --module virtio_net \
		--bin "$(command -v cryptsetup)" --bin "$mke2fs" --file /etc/mke2fs.conf:/etc/mke2fs.conf \
		--file "$w/pass:$E/pass" --file "$w/data.bin:$E/data.bin" \
		--file "$w/cvmattest.conf:$E/cvmattest.conf" --file "$ca:$ca" >/dev/null
	echo "# provisioning boot: ext4, the file, bind through the service"
	"$here/run" --initrd "$w/provision-initrd.gz" --log "$w/provision.log" --timeout 400 \
		--qemu-arg -drive --qemu-arg "file=$w/data.img,if=virtio,format=raw" "${netargs[@]}" "${runargs[@]}" ||
		{ echo "Bail out! the provisioning boot failed (log $w/provision.log)"; exit 1; }
	cryptsetup token export --token-id 0 "$w/data.img" >"$w/token.json"
	cp --sparse=always "$w/data.img" "$w/data.bound.img"
}

e2e_modroot() {
	mods=$w/modroot/lib/modules/$kver
	mkdir -p "$(dirname "$mods")"
	# hard links; depmod writes new index files, so the cache is not changed
	cp -al "$kdir/root/lib/modules/$kver" "$mods"
	(cd "$mods" && rm -f modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep \
		modules.symbols modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin modules.devname)
	mkdir -p "$mods/updates/dkms"
	cp "${CVM_KO:-$top/cvmattest.ko}" "$mods/updates/dkms/cvmattest.ko"
	depmod -b "$w/modroot" "$kver"
}

e2e_hdrsum() { head -c 16M "$1" | sha256sum | cut -d' ' -f1; }
