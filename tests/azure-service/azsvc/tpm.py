"""TPM 2.0 structures of the AzureGuest protocol (TPM 2.0 Library spec,
Part 2; big-endian) and the TCG PC Client crypto-agile event log
(little-endian)."""
import hashlib
import struct

TPM_GENERATED_VALUE = 0xFF544347
TPM_ST_ATTEST_CERTIFY = 0x8017
TPM_ST_ATTEST_QUOTE = 0x8018
TPM_ALG_RSA = 0x0001
TPM_ALG_SHA1 = 0x0004
TPM_ALG_SHA256 = 0x000B
TPM_ALG_SHA384 = 0x000C
TPM_ALG_SHA512 = 0x000D
TPM_ALG_NULL = 0x0010
TPM_ALG_RSASSA = 0x0014
TPM_ALG_RSAES = 0x0015
TPM_ALG_RSAPSS = 0x0016
TPM_ALG_OAEP = 0x0017
TPM_CC_POLICY_PCR = 0x0000017F

# TPMA_OBJECT
FIXED_TPM = 1 << 1
ST_CLEAR = 1 << 2
FIXED_PARENT = 1 << 4
SENSITIVE_DATA_ORIGIN = 1 << 5
USER_WITH_AUTH = 1 << 6
ADMIN_WITH_POLICY = 1 << 7
NO_DA = 1 << 10
ENCRYPTED_DUPLICATION = 1 << 11
RESTRICTED = 1 << 16
DECRYPT = 1 << 17
SIGN = 1 << 18

HASH_ALGS = {TPM_ALG_SHA1: ('sha1', 20), TPM_ALG_SHA256: ('sha256', 32),
             TPM_ALG_SHA384: ('sha384', 48), TPM_ALG_SHA512: ('sha512', 64)}


class TpmError(ValueError):
    pass


class Reader:
    def __init__(self, data, what):
        self.b = bytes(data)
        self.pos = 0
        self.what = what

    def take(self, n):
        if self.pos + n > len(self.b):
            raise TpmError('%s is truncated' % self.what)
        v = self.b[self.pos:self.pos + n]
        self.pos += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack('>H', self.take(2))[0]

    def u32(self):
        return struct.unpack('>I', self.take(4))[0]

    def u64(self):
        return struct.unpack('>Q', self.take(8))[0]

    def tpm2b(self):
        return self.take(self.u16())

    def end(self):
        if self.pos != len(self.b):
            raise TpmError('%s has %d trailing bytes' % (self.what, len(self.b) - self.pos))


class RsaPublic:
    """TPMT_PUBLIC of an RSA key (from a TPM2B_PUBLIC)."""

    def __init__(self, tpm2b_public, what='TPM2B_PUBLIC'):
        r = Reader(tpm2b_public, what)
        self.public_area = r.tpm2b()
        r.end()
        p = Reader(self.public_area, what)
        self.type = p.u16()
        if self.type != TPM_ALG_RSA:
            raise TpmError('%s is not an RSA key (type 0x%04x)' % (what, self.type))
        self.name_alg = p.u16()
        if self.name_alg not in HASH_ALGS:
            raise TpmError('%s nameAlg 0x%04x is not supported' % (what, self.name_alg))
        self.attributes = p.u32()
        self.auth_policy = p.tpm2b()
        self.sym_alg = p.u16()
        if self.sym_alg != TPM_ALG_NULL:
            self.sym_bits, self.sym_mode = p.u16(), p.u16()
        self.scheme = p.u16()
        self.scheme_hash = p.u16() if self.scheme != TPM_ALG_NULL else None
        self.key_bits = p.u16()
        exp = p.u32()
        self.exponent = exp or 65537
        self.modulus = p.tpm2b()
        p.end()
        if len(self.modulus) * 8 != self.key_bits:
            raise TpmError('%s modulus is %d bits, keyBits says %d'
                           % (what, len(self.modulus) * 8, self.key_bits))

    @property
    def n(self):
        return int.from_bytes(self.modulus, 'big')

    def name(self):
        h, _ = HASH_ALGS[self.name_alg]
        return struct.pack('>H', self.name_alg) + hashlib.new(h, self.public_area).digest()

    def public_key(self):
        from cryptography.hazmat.primitives.asymmetric import rsa
        return rsa.RSAPublicNumbers(self.exponent, self.n).public_key()

    def has(self, bits):
        return self.attributes & bits == bits


class PcrSelection:
    def __init__(self, r):
        self.banks = []
        for _ in range(r.u32()):
            alg = r.u16()
            size = r.u8()
            sel = r.take(size)
            pcrs = [i * 8 + j for i, byte in enumerate(sel) for j in range(8) if byte >> j & 1]
            self.banks.append((alg, pcrs, sel))

    def marshal(self):
        out = struct.pack('>I', len(self.banks))
        for alg, _, sel in self.banks:
            out += struct.pack('>HB', alg, len(sel)) + sel
        return out


class Attest:
    """TPMS_ATTEST (quote or certify)."""

    def __init__(self, data, what='TPMS_ATTEST'):
        r = Reader(data, what)
        if r.u32() != TPM_GENERATED_VALUE:
            raise TpmError('%s magic is not TPM_GENERATED_VALUE (not made by a TPM)' % what)
        self.type = r.u16()
        self.qualified_signer = r.tpm2b()
        self.extra_data = r.tpm2b()
        self.clock, self.reset_count, self.restart_count, self.safe = \
            r.u64(), r.u32(), r.u32(), r.u8()
        self.firmware_version = r.u64()
        if self.type == TPM_ST_ATTEST_QUOTE:
            self.pcr_select = PcrSelection(r)
            self.pcr_digest = r.tpm2b()
        elif self.type == TPM_ST_ATTEST_CERTIFY:
            self.name = r.tpm2b()
            self.qualified_name = r.tpm2b()
        else:
            raise TpmError('%s type 0x%04x is neither quote nor certify' % (what, self.type))
        r.end()


def policy_pcr_digest(selection_marshalled, pcr_digest, alg='sha256'):
    """TPM2_PolicyPCR from an empty policy (Part 3 §23.7)."""
    h = hashlib.new(alg)
    h.update(b'\0' * hashlib.new(alg).digest_size)
    h.update(struct.pack('>I', TPM_CC_POLICY_PCR) + selection_marshalled + pcr_digest)
    return h.digest()


# ---- TCG PC Client Platform Firmware Profile event log --------------------

EV_NO_ACTION = 0x00000003
EV_SEPARATOR = 0x00000004
EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001
EFI_GLOBAL_VARIABLE = bytes.fromhex('61dfe48bca93d211aa0d00e098032b8c')  # 8be4df61-93ca-11d2-...


class EventLog:
    """Parses a crypto-agile log and replays the SHA-256 bank."""

    def __init__(self, data):
        self.events = []
        self.pcrs = {}
        if not data:
            return
        b = bytes(data)
        pos = 0

        def need(n):
            if pos + n > len(b):
                raise TpmError('TCG event log is truncated')

        need(32)
        pcr, etype = struct.unpack_from('<II', b, 0)
        size = struct.unpack_from('<I', b, 28)[0]
        need(32 + size)
        spec = b[32:32 + size]
        if etype != EV_NO_ACTION or not spec.startswith(b'Spec ID Event03\0'):
            raise TpmError('TCG event log does not start with a Spec ID Event03 '
                           '(only crypto-agile logs are supported)')
        nalg = struct.unpack_from('<I', spec, 24)[0]
        sizes = {}
        for i in range(nalg):
            alg, dsize = struct.unpack_from('<HH', spec, 28 + 4 * i)
            sizes[alg] = dsize
        if TPM_ALG_SHA256 not in sizes:
            raise TpmError('TCG event log has no SHA-256 digests')
        pos = 32 + size
        locality = {}
        while pos < len(b):
            need(12)
            pcr, etype, count = struct.unpack_from('<III', b, pos)
            pos += 12
            digests = {}
            for _ in range(count):
                need(2)
                alg = struct.unpack_from('<H', b, pos)[0]
                pos += 2
                if alg not in sizes:
                    raise TpmError('TCG event log uses an algorithm not in its Spec ID event')
                need(sizes[alg])
                digests[alg] = b[pos:pos + sizes[alg]]
                pos += sizes[alg]
            need(4)
            esize = struct.unpack_from('<I', b, pos)[0]
            pos += 4
            need(esize)
            data_ = b[pos:pos + esize]
            pos += esize
            self.events.append((pcr, etype, digests, data_))
            if etype == EV_NO_ACTION:
                if pcr == 0 and data_.startswith(b'StartupLocality\0') and len(data_) >= 17:
                    locality[0] = data_[16]
                continue
            if pcr > 23:
                raise TpmError('TCG event log extends PCR %d' % pcr)
            if TPM_ALG_SHA256 not in digests:
                raise TpmError('TCG event log event without a SHA-256 digest')
            cur = self.pcrs.get(pcr)
            if cur is None:
                cur = b'\0' * 31 + bytes([locality.get(pcr, 0)]) if pcr == 0 else b'\0' * 32
            self.pcrs[pcr] = hashlib.sha256(cur + digests[TPM_ALG_SHA256]).digest()

    def pcr(self, index):
        if index in self.pcrs:
            return self.pcrs[index]
        return b'\0' * 32

    def secure_boot(self):
        """The SecureBoot UEFI variable measured into PCR 7, or None."""
        for pcr, etype, _, data in self.events:
            if pcr != 7 or etype != EV_EFI_VARIABLE_DRIVER_CONFIG or len(data) < 32:
                continue
            guid = data[:16]
            nlen, dlen = struct.unpack_from('<QQ', data, 16)
            name = data[32:32 + 2 * nlen].decode('utf-16-le', 'replace')
            value = data[32 + 2 * nlen:32 + 2 * nlen + dlen]
            if guid == EFI_GLOBAL_VARIABLE and name == 'SecureBoot':
                return value == b'\x01'
        return None


def build_spec_id_event():
    """The first event of a SHA-256-only crypto-agile log (for test clients)."""
    spec = (b'Spec ID Event03\0' + struct.pack('<IBBBB', 0, 0, 2, 0, 2)
            + struct.pack('<I', 1) + struct.pack('<HH', TPM_ALG_SHA256, 32) + b'\0')
    return struct.pack('<II', 0, EV_NO_ACTION) + b'\0' * 20 + struct.pack('<I', len(spec)) + spec


def build_event(pcr, etype, data, digest=None):
    digest = digest or hashlib.sha256(data).digest()
    return (struct.pack('<III', pcr, etype, 1) + struct.pack('<H', TPM_ALG_SHA256) + digest
            + struct.pack('<I', len(data)) + data)


def secure_boot_variable_event(enabled):
    name = 'SecureBoot'.encode('utf-16-le')
    value = b'\x01' if enabled else b'\x00'
    data = EFI_GLOBAL_VARIABLE + struct.pack('<QQ', len('SecureBoot'), len(value)) + name + value
    return data
