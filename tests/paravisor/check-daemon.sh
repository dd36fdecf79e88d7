#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# check-daemon.sh: cvmattest-paravisor on the host, without a VM: swtpm behind
# it as in the VM, but the TPM served on TCP (--listen-tcp) instead of
# /dev/vtpmx, driven with tpm2-tools (TCTI "swtpm") and with raw commands
# (password sessions, as the kernel sends them).  TAP output.
#   O=build/paravisor tests/paravisor/check-daemon.sh     (make check-daemon)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
O=${O:-$top/build/paravisor}
# shellcheck source=../vm/lib.sh
. "$top/tests/vm/lib.sh"

for prog in swtpm tpm2 python3; do
	command -v "$prog" >/dev/null || { echo "1..0 # SKIP $prog not installed"; exit 0; }
done
pv=$O/cvmattest-paravisor
check=$O/cvmattest-hclcheck
verify=$top/build/user/cvmattest
[[ -x $pv && -x $check ]] || { echo "Bail out! build first: make -C tests/paravisor"; exit 1; }

w=$(mktemp -d "${TMPDIR:-/tmp}/pv-check.XXXXXX")
ctl=$w/ctl
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[[ -f $ctl/pid ]] && kill "$(cat "$ctl/pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$w"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
zero_ud=$(printf '0%.0s' $(seq 128))

state() { sed -n "s/^$1=//p" "${2:-$ctl}/state"; }
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
read_report() { rm -f "$1"; tpm2 nvread -C o 0x01400001 -o "$1" >/dev/null 2>&1; }
wait_ud() { # hex: until the report carries it and binds (10 s)
	for _ in $(seq 100); do
		read_report "$w/poll.bin" && "$check" -q "$w/poll.bin" --user-data "$1" && return 0
		sleep 0.1
	done
	return 1
}
# tpm2_nvreadpublic of a missing index segfaults in tpm2-tools 5.4: ask GetCapability
nv_exists() { tpm2 getcap handles-nv-index 2>/dev/null | grep -qix -- "- $1"; }
write_ud() {
	nv_exists 0x1400002 || tpm2 nvdefine -C o -s 64 0x01400002 >/dev/null
	tpm2 nvwrite -C o 0x01400002 -i "$1"
}

# Raw TPM commands over the same TCP port: NV_Read(owner, 0x01400001, size, off)
# with a password session (what the kernel provider sends).  Prints the response
# code and writes the data to $4.
raw_nv_read() { # size offset password out
	python3 - "$port" "$@" <<'EOF'
import socket, struct, sys
port, size, off, pw, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode(), sys.argv[5]
auth = struct.pack('>IHBH', 0x40000009, 0, 0, len(pw)) + pw
body = struct.pack('>II', 0x40000001, 0x01400001) + struct.pack('>I', len(auth)) + auth + struct.pack('>HH', size, off)
cmd = struct.pack('>HII', 0x8002, 10 + len(body), 0x14E) + body
s = socket.create_connection(('127.0.0.1', port)); s.sendall(cmd)
hdr = b''
while len(hdr) < 10: hdr += s.recv(10 - len(hdr))
tag, n, rc = struct.unpack('>HII', hdr)
rest = b''
while len(rest) < n - 10: rest += s.recv(n - 10 - len(rest))
print('0x%x' % rc)
if rc == 0:
    psize, dlen = struct.unpack('>IH', rest[:6])
    open(out, 'wb').write(rest[6:6 + dlen])
EOF
}

# ---- start ---------------------------------------------------------------------------------------
t_run "--help" "$pv" --help
t_run "start (SNP, TCP $port)" "$pv" --listen-tcp "127.0.0.1:$port" --state-dir "$w/state" \
	--control "$ctl" --delay-ms 200 --log "$w/pv.log" || { t_diag "$(cat "$w/pv.log")"; t_bail "no daemon"; }
t_is "$(state ready)" yes "state: ready"
if "$pv" --listen-tcp "127.0.0.1:$((port + 2))" --state-dir "$w/state2" --control "$ctl" -f 2>/dev/null; then
	t_fail "a second daemon on the same control directory is refused"
else
	t_ok "a second daemon on the same control directory is refused"
fi

out=$(tpm2 nvreadpublic 0x01400001 2>&1)
grep -q 'size: 2600' <<<"$out" && t_ok "NV_ReadPublic: 2600 bytes" || t_fail "NV_ReadPublic: 2600 bytes" "$out"
grep -q 'value: 0x62070001' <<<"$out" && t_ok "attributes ppwrite|ppread|ownerread|authread|no_da|written|platformcreate" ||
	t_fail "attributes" "$out"
t_run "tpm2_nvread -C o 0x01400001 (HMAC session: re-signed by the paravisor)" read_report "$w/r0.bin"
cmp -s "$w/r0.bin" "$ctl/report.bin" && t_ok "what the guest reads is what the paravisor wrote" ||
	t_fail "what the guest reads is what the paravisor wrote"
tpm2 readpublic -c 0x81000003 -o "$w/ak.pub" >/dev/null && tpm2 readpublic -c 0x81010001 -o "$w/ek.pub" >/dev/null
tpm2 nvread -C o 0x01C101D0 -o "$w/akcert.der" >/dev/null 2>&1
t_run "boot report checks (layout, binding, zero user data, AK, EK, AK certificate)" "$check" \
	"$w/r0.bin" --platform snp --nv-size 2600 --user-data "$zero_ud" --ak-pub "$w/ak.pub" \
	--ek-pub "$w/ek.pub" --ak-cert "$w/akcert.der" --ca "$ctl/ak-ca.pem"
cmp -s "$w/ak.pub" "$ctl/ak.pub" && t_ok "exported ak.pub = tpm2_readpublic 0x81000003" ||
	t_fail "exported ak.pub = tpm2_readpublic 0x81000003"

# ---- password sessions, raw (the kernel's way) -----------------------------------------------------
dd if="$w/r0.bin" of="$w/tail0.bin" bs=1 skip=2048 2>/dev/null
t_is "$(raw_nv_read 552 2048 "" "$w/tail.bin")" 0x0 "password NV_Read of bytes 2048..2599: success"
cmp -s "$w/tail.bin" "$w/tail0.bin" && t_ok "the tail matches" || t_fail "the tail matches"
dd if="$w/r0.bin" of="$w/mid0.bin" bs=1 skip=1500 count=1000 2>/dev/null
t_is "$(raw_nv_read 1000 1500 "" "$w/mid.bin")" 0x0 "password NV_Read across the 2048 boundary"
cmp -s "$w/mid.bin" "$w/mid0.bin" && t_ok "the straddling chunk matches" || t_fail "the straddling chunk matches"
t_is "$(raw_nv_read 16 2100 wrong "$w/x")" 0x9a2 "wrong owner password: TPM_RC_BAD_AUTH (from swtpm)"
t_is "$(raw_nv_read 1 2601 "" "$w/x")" 0x2c4 "offset past the end: TPM_RC_VALUE + P + 2"
t_is "$(raw_nv_read 700 2000 "" "$w/x")" 0x146 "range past the end: TPM_RC_NV_RANGE"
t_is "$(raw_nv_read 1025 2048 "" "$w/x")" 0x1c4 "more than TPM_PT_NV_BUFFER_MAX: TPM_RC_VALUE + P + 1"
t_is "$(raw_nv_read 0 2600 "" "$w/x")" 0x0 "0 bytes at the very end: success"

# ---- refresh --------------------------------------------------------------------------------------
head -c 64 /dev/urandom >"$w/ud1.bin"
ud1=$(hex "$w/ud1.bin")
t_run "write NV 0x01400002" write_ud "$w/ud1.bin"
wait_ud "$ud1" && t_ok "refreshed: user data and binding" || t_fail "refreshed: user data and binding"
if [[ -x $verify ]]; then
	t_run "cvmattest verify: SNP signature by the test VCEK, binding" "$verify" verify \
		--format azure-hcl --certs "$ctl/vcek-chain.pem" --amd-roots "$ctl/vcek-chain.pem" -q "$w/poll.bin"
else
	t_skip "cvmattest verify" "build/user/cvmattest not built"
fi
sleep 0.2
t_is "$(state refreshes)" 1 "state: refreshes=1"
t_is "$(state last_user_data)" "$ud1" "state: last_user_data"

echo "never_refresh on" >"$ctl/control"
head -c 64 /dev/urandom >"$w/ud2.bin"
ud2=$(hex "$w/ud2.bin")
write_ud "$w/ud2.bin"
sleep 0.6
read_report "$w/nr.bin"
"$check" -q "$w/nr.bin" --user-data "$ud1" && t_ok "never_refresh: unchanged" || t_fail "never_refresh: unchanged"
echo "clear" >"$ctl/control"
echo "refresh" >"$ctl/control"
wait_ud "$ud2" && t_ok "clear + refresh: current user data" || t_fail "clear + refresh: current user data"
echo "corrupt_header on" >"$ctl/control"
echo "refresh" >"$ctl/control"
sleep 0.3
read_report "$w/bad.bin"
"$check" -q "$w/bad.bin"
t_is "$?" 4 "corrupt_header: malformed"
echo "clear" >"$ctl/control"
echo "undefine_report on" >"$ctl/control"
sleep 0.3
nv_exists 0x1400001 && t_fail "undefine_report: gone" || t_ok "undefine_report: gone"
echo "undefine_report off" >"$ctl/control"
sleep 0.3
read_report "$w/back.bin" && "$check" -q "$w/back.bin" --user-data "$ud2" && t_ok "undefine_report off: back" ||
	t_fail "undefine_report off: back"
echo "bogus 1" >"$ctl/control"
sleep 0.2
grep -q "bad command 'bogus 1'" "$w/pv.log" && t_ok "a bad control command is logged" || t_fail "a bad control command is logged"

# ---- restart, shutdown ------------------------------------------------------------------------------
pid=$(cat "$ctl/pid")
swpid=$(state swtpm_pid)
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && t_fail "SIGTERM stops it" || t_ok "SIGTERM stops it"
kill -0 "$swpid" 2>/dev/null && t_fail "and its swtpm" || t_ok "and its swtpm"
t_is "$(state running)" no "state: running=no"
[[ -e $ctl/control ]] && t_fail "the control FIFO is removed" || t_ok "the control FIFO is removed"
vmid=$(cat "$w/state/vm-id")
t_run "restart on the same state" "$pv" --listen-tcp "127.0.0.1:$port" --state-dir "$w/state" \
	--control "$ctl" --log "$w/pv.log"
read_report "$w/warm.bin"
t_run "after restart: zero user data again, same AK and AK certificate" "$check" -q "$w/warm.bin" \
	--user-data "$zero_ud" --ak-pub "$w/ak.pub" --ak-cert "$w/akcert.der" --ca "$ctl/ak-ca.pem"
t_is "$(cat "$w/state/vm-id")" "$vmid" "vmUniqueId kept in the state directory"
grep -q "created the" <(tail -n 8 "$w/pv.log") && t_fail "no key created on restart" || t_ok "no key created on restart"
kill -TERM "$(cat "$ctl/pid")"
sleep 0.5

# ---- TDX, provision-only ------------------------------------------------------------------------------
t_run "--provision-only (TDX)" "$pv" --provision-only --platform tdx --state-dir "$w/tdx" \
	--control "$w/tctl" -f --log "$w/tdx.log"
t_run "its report: TDREPORT inside, bound" "$check" -q "$w/tctl/report.bin" --platform tdx --user-data "$zero_ud"
[[ -e $w/tctl/pid ]] && t_fail "--provision-only leaves no daemon" || t_ok "--provision-only leaves no daemon"
t_done
