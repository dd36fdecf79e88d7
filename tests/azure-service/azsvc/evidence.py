"""Parsers for the hardware evidence MAA receives: the SEV-SNP
ATTESTATION_REPORT and the Intel TDX quote (v4, v5).

Offsets restate include/cvmattest/evidence.h, the project's one definition of
these wire formats, under the same names; test_offsets.py parses that header
and fails if a value here differs.  Do not change a number here without
changing the header (and the reason is in its comments).
"""
import struct

# ---- AMD SEV-SNP ATTESTATION_REPORT (evidence.h) ----------------------
SNP_REPORT_SIZE = 0x4A0
SNP_REPORT_VERSION_MIN = 2
SNP_REPORT_VERSION_MAX = 5
SNP_R_VERSION = 0x000
SNP_R_GUEST_SVN = 0x004
SNP_R_POLICY = 0x008
SNP_R_FAMILY_ID = 0x010
SNP_R_IMAGE_ID = 0x020
SNP_R_VMPL = 0x030
SNP_R_SIGNATURE_ALGO = 0x034
SNP_R_CURRENT_TCB = 0x038
SNP_R_PLATFORM_INFO = 0x040
SNP_R_SIGNER_INFO = 0x048
SNP_R_RESERVED0 = 0x04C
SNP_R_REPORT_DATA = 0x050
SNP_R_MEASUREMENT = 0x090
SNP_R_HOST_DATA = 0x0C0
SNP_R_ID_KEY_DIGEST = 0x0E0
SNP_R_AUTHOR_KEY_DIGEST = 0x110
SNP_R_REPORT_ID = 0x140
SNP_R_REPORT_ID_MA = 0x160
SNP_R_REPORTED_TCB = 0x180
SNP_R_CPUID_FAM_ID = 0x188
SNP_R_CPUID_MOD_ID = 0x189
SNP_R_CPUID_STEP = 0x18A
SNP_R_RESERVED1_V2 = 0x188
SNP_R_RESERVED1_V3 = 0x18B
SNP_R_CHIP_ID = 0x1A0
SNP_R_COMMITTED_TCB = 0x1E0
SNP_R_CURRENT_BUILD = 0x1E8
SNP_R_CURRENT_MINOR = 0x1E9
SNP_R_CURRENT_MAJOR = 0x1EA
SNP_R_RESERVED2 = 0x1EB
SNP_R_COMMITTED_BUILD = 0x1EC
SNP_R_COMMITTED_MINOR = 0x1ED
SNP_R_COMMITTED_MAJOR = 0x1EE
SNP_R_RESERVED3 = 0x1EF
SNP_R_LAUNCH_TCB = 0x1F0
SNP_R_LAUNCH_MIT_VECTOR = 0x1F8
SNP_R_CURRENT_MIT_VECTOR = 0x200
SNP_R_RESERVED4 = 0x208
SNP_R_SIGNATURE = 0x2A0
SNP_R_SIG_R = 0x2A0
SNP_R_SIG_S = 0x2E8
SNP_R_SIG_RESERVED = 0x330
SNP_REPORT_DATA_LEN = 64
SNP_MEASUREMENT_LEN = 48
SNP_CHIP_ID_LEN = 64
SNP_CHIP_ID_LEN_TURIN = 8
SNP_SIG_COMPONENT_LEN = 72
SNP_SIGNED_LEN = SNP_R_SIGNATURE
SNP_SIG_ALGO_ECDSA_P384_SHA384 = 1

SNP_POLICY_SMT = 1 << 16
SNP_POLICY_RESERVED_ONE = 1 << 17
SNP_POLICY_MIGRATE_MA = 1 << 18
SNP_POLICY_DEBUG = 1 << 19
SNP_POLICY_SINGLE_SOCKET = 1 << 20
SNP_POLICY_MBZ_SHIFT = 26

SNP_SIGNER_AUTHOR_KEY_EN = 1 << 0
SNP_SIGNER_MASK_CHIP_KEY = 1 << 1
SNP_SIGNER_SIGNING_KEY_SHIFT = 2
SNP_SIGNER_SIGNING_KEY_MASK = 0x7
SNP_SIGNING_KEY_VCEK = 0
SNP_SIGNING_KEY_VLEK = 1
SNP_SIGNING_KEY_NONE = 7

SNP_TCB_LEGACY_BL = 0
SNP_TCB_LEGACY_TEE = 1
SNP_TCB_LEGACY_SNP = 6
SNP_TCB_LEGACY_UCODE = 7
SNP_TCB_TURIN_FMC = 0
SNP_TCB_TURIN_BL = 1
SNP_TCB_TURIN_TEE = 2
SNP_TCB_TURIN_SNP = 3
SNP_TCB_TURIN_UCODE = 7

# ---- Intel TDX TDREPORT / quote (evidence.h) --------------------------
TDX_REPORT_SIZE = 1024
TDX_REPORT_DATA_LEN = 64
TDX_R_REPORTTYPE = 0x000
TDX_R_REPORT_DATA = 0x080
TDX_REPORTTYPE_TDX = 0x81
TDX_MR_LEN = 48
TDX_TD_ATTR_DEBUG = 1 << 0
TDX_TD_ATTR_SEPT_VE_DISABLE = 1 << 28

TDX_QUOTE_HEADER_LEN = 48
TDX_Q_VERSION = 0x00
TDX_Q_ATT_KEY_TYPE = 0x02
TDX_Q_TEE_TYPE = 0x04
TDX_Q_RESERVED = 0x08
TDX_Q_QE_VENDOR_ID = 0x0C
TDX_Q_USER_DATA = 0x1C
TDX_QUOTE_ATT_KEY_ECDSA_P256 = 2
TDX_QUOTE_TEE_TDX = 0x81
TDX_QE_VENDOR_ID_INTEL = bytes([0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07])

TDX_QB_TEE_TCB_SVN = 0
TDX_QB_MRSEAM = 16
TDX_QB_MRSIGNERSEAM = 64
TDX_QB_SEAM_ATTRIBUTES = 112
TDX_QB_TD_ATTRIBUTES = 120
TDX_QB_XFAM = 128
TDX_QB_MRTD = 136
TDX_QB_MRCONFIGID = 184
TDX_QB_MROWNER = 232
TDX_QB_MROWNERCONFIG = 280
TDX_QB_RTMR0 = 328
TDX_QB_REPORT_DATA = 520
TDX_QB_TEE_TCB_SVN2 = 584
TDX_QB_MRSERVICETD = 600
TDX_QUOTE_BODY_V4_LEN = 584
TDX_QUOTE_BODY_V15_LEN = 648

TDX_Q4_BODY = 0x030
TDX_Q4_SIG_DATA_LEN = 0x278
TDX_Q4_SIG_DATA = 0x27C
TDX_QUOTE_V4_MIN_LEN = 0x3FC
TDX_Q5_BODY_TYPE = 0x030
TDX_Q5_BODY_SIZE = 0x032
TDX_Q5_BODY = 0x036
TDX_Q5_BODY_TYPE_SGX = 1
TDX_Q5_BODY_TYPE_TDX10 = 2
TDX_Q5_BODY_TYPE_TDX15 = 3
TDX_QUOTE_V5_MIN_LEN = 1026

TDX_SD_QUOTE_SIG = 0
TDX_SD_ATT_KEY = 64
TDX_SD_CERT_TYPE = 128
TDX_SD_CERT_SIZE = 130
TDX_SD_CERT_DATA = 134
TDX_CERT_TYPE_PCK_CHAIN = 5
TDX_CERT_TYPE_QE_REPORT = 6

TDX_QE_REPORT = 0
TDX_QE_REPORT_SIG = 384
TDX_QE_AUTH_SIZE = 448
TDX_QE_AUTH_DATA = 450
TDX_QE_REPORT_LEN = 384
SGX_RB_MRSIGNER = 128
SGX_RB_ISVPRODID = 256
SGX_RB_ISVSVN = 258
SGX_RB_REPORT_DATA = 320

# SEAMATTRIBUTES must be zero for a production TDX module (Intel QVL).
TDX_SEAM_ATTRIBUTES_EXPECTED = 0
# TD_ATTRIBUTES bits named by the MAA TDX EAT profile (DCAP API A.3.4).
TDX_TD_ATTR_PKS = 1 << 30
TDX_TD_ATTR_KL = 1 << 31
TDX_TD_ATTR_PERFMON = 1 << 63


class EvidenceError(ValueError):
    """Evidence that does not parse or breaks a MUST of its format."""


def u16(b, off):
    return struct.unpack_from('<H', b, off)[0]


def u32(b, off):
    return struct.unpack_from('<I', b, off)[0]


def u64(b, off):
    return struct.unpack_from('<Q', b, off)[0]


def _zero(b):
    return not any(b)


class SnpTcb:
    """TCB_VERSION split per product: Milan/Genoa legacy, Turin new layout."""

    def __init__(self, raw, turin):
        self.raw = bytes(raw)
        self.turin = turin
        if turin:
            self.fmc = raw[SNP_TCB_TURIN_FMC]
            self.bl = raw[SNP_TCB_TURIN_BL]
            self.tee = raw[SNP_TCB_TURIN_TEE]
            self.snp = raw[SNP_TCB_TURIN_SNP]
            self.ucode = raw[SNP_TCB_TURIN_UCODE]
        else:
            self.fmc = None
            self.bl = raw[SNP_TCB_LEGACY_BL]
            self.tee = raw[SNP_TCB_LEGACY_TEE]
            self.snp = raw[SNP_TCB_LEGACY_SNP]
            self.ucode = raw[SNP_TCB_LEGACY_UCODE]

    @property
    def u64(self):
        return int.from_bytes(self.raw, 'little')


class SnpReport:
    def __init__(self, raw):
        if not isinstance(raw, (bytes, bytearray)) or len(raw) != SNP_REPORT_SIZE:
            raise EvidenceError('an SEV-SNP ATTESTATION_REPORT has %d bytes, got %d'
                                % (SNP_REPORT_SIZE, len(raw)))
        b = self.raw = bytes(raw)
        self.version = u32(b, SNP_R_VERSION)
        self.guest_svn = u32(b, SNP_R_GUEST_SVN)
        self.policy = u64(b, SNP_R_POLICY)
        self.family_id = b[SNP_R_FAMILY_ID:SNP_R_FAMILY_ID + 16]
        self.image_id = b[SNP_R_IMAGE_ID:SNP_R_IMAGE_ID + 16]
        self.vmpl = u32(b, SNP_R_VMPL)
        self.signature_algo = u32(b, SNP_R_SIGNATURE_ALGO)
        self.platform_info = u64(b, SNP_R_PLATFORM_INFO)
        self.signer_info = u32(b, SNP_R_SIGNER_INFO)
        self.report_data = b[SNP_R_REPORT_DATA:SNP_R_REPORT_DATA + SNP_REPORT_DATA_LEN]
        self.measurement = b[SNP_R_MEASUREMENT:SNP_R_MEASUREMENT + SNP_MEASUREMENT_LEN]
        self.host_data = b[SNP_R_HOST_DATA:SNP_R_HOST_DATA + 32]
        self.id_key_digest = b[SNP_R_ID_KEY_DIGEST:SNP_R_ID_KEY_DIGEST + 48]
        self.author_key_digest = b[SNP_R_AUTHOR_KEY_DIGEST:SNP_R_AUTHOR_KEY_DIGEST + 48]
        self.report_id = b[SNP_R_REPORT_ID:SNP_R_REPORT_ID + 32]
        self.report_id_ma = b[SNP_R_REPORT_ID_MA:SNP_R_REPORT_ID_MA + 32]
        self.chip_id = b[SNP_R_CHIP_ID:SNP_R_CHIP_ID + SNP_CHIP_ID_LEN]
        self.cpuid_fam = b[SNP_R_CPUID_FAM_ID] if self.version >= 3 else None
        self.cpuid_mod = b[SNP_R_CPUID_MOD_ID] if self.version >= 3 else None
        self.fw = (b[SNP_R_CURRENT_MAJOR], b[SNP_R_CURRENT_MINOR], b[SNP_R_CURRENT_BUILD])
        self.signed = b[:SNP_SIGNED_LEN]
        self.sig_r = int.from_bytes(b[SNP_R_SIG_R:SNP_R_SIG_R + SNP_SIG_COMPONENT_LEN], 'little')
        self.sig_s = int.from_bytes(b[SNP_R_SIG_S:SNP_R_SIG_S + SNP_SIG_COMPONENT_LEN], 'little')

    def tcb(self, offset, turin):
        return SnpTcb(self.raw[offset:offset + 8], turin)

    @property
    def signing_key(self):
        return (self.signer_info >> SNP_SIGNER_SIGNING_KEY_SHIFT) & SNP_SIGNER_SIGNING_KEY_MASK

    @property
    def debug(self):
        return bool(self.policy & SNP_POLICY_DEBUG)

    def check_format(self):
        """The MUSTs of the format (go-sev-guest's checks, evidence-formats.md
        §1): a report breaking one was not made by AMD firmware."""
        b = self.raw
        if not SNP_REPORT_VERSION_MIN <= self.version <= SNP_REPORT_VERSION_MAX:
            raise EvidenceError('SNP report VERSION %d is not supported (%d..%d)'
                                % (self.version, SNP_REPORT_VERSION_MIN, SNP_REPORT_VERSION_MAX))
        if self.signature_algo != SNP_SIG_ALGO_ECDSA_P384_SHA384:
            raise EvidenceError('SNP report SIGNATURE_ALGO %d is not ECDSA P-384/SHA-384'
                                % self.signature_algo)
        if self.signer_info >> 5:
            raise EvidenceError('SNP report SIGNER_INFO has reserved bits set')
        if self.signer_info & SNP_SIGNER_MASK_CHIP_KEY:
            raise EvidenceError('SNP report is unsigned (SIGNER_INFO.MASK_CHIP_KEY)')
        if self.signing_key != SNP_SIGNING_KEY_VCEK:
            raise EvidenceError('SNP report is not signed by a VCEK (SIGNING_KEY %d)'
                                % self.signing_key)
        if not self.policy & SNP_POLICY_RESERVED_ONE:
            raise EvidenceError('SNP report POLICY bit 17 (reserved, must be 1) is 0')
        if self.policy >> SNP_POLICY_MBZ_SHIFT:
            raise EvidenceError('SNP report POLICY has reserved bits 63:26 set')
        if self.vmpl > 3:
            raise EvidenceError('SNP report VMPL %d is out of range' % self.vmpl)
        if u32(b, SNP_R_RESERVED0):
            raise EvidenceError('SNP report reserved field at 0x4C is not zero')
        lo = SNP_R_RESERVED1_V3 if self.version >= 3 else SNP_R_RESERVED1_V2
        if not _zero(b[lo:SNP_R_CHIP_ID]):
            raise EvidenceError('SNP report reserved bytes before CHIP_ID are not zero')
        if b[SNP_R_RESERVED2] or b[SNP_R_RESERVED3]:
            raise EvidenceError('SNP report reserved firmware-version bytes are not zero')
        hi = SNP_R_RESERVED4 if self.version >= 5 else SNP_R_LAUNCH_MIT_VECTOR
        if not _zero(b[hi:SNP_R_SIGNATURE]):
            raise EvidenceError('SNP report reserved bytes before the signature are not zero')
        if not _zero(b[SNP_R_SIG_RESERVED:SNP_REPORT_SIZE]):
            raise EvidenceError('SNP report signature padding is not zero')


class TdxQuote:
    """TDX quote v4 (and v5 with a TDX body) with ECDSA-P256 certification
    data of type 6 (QE report) nesting a type-5 PEM PCK chain."""

    def __init__(self, raw):
        b = self.raw = bytes(raw)
        if len(b) < TDX_QUOTE_HEADER_LEN:
            raise EvidenceError('TDX quote shorter than its header')
        self.version = u16(b, TDX_Q_VERSION)
        self.att_key_type = u16(b, TDX_Q_ATT_KEY_TYPE)
        self.tee_type = u32(b, TDX_Q_TEE_TYPE)
        self.qe_vendor_id = b[TDX_Q_QE_VENDOR_ID:TDX_Q_QE_VENDOR_ID + 16]
        if self.version == 4:
            if len(b) < TDX_QUOTE_V4_MIN_LEN:
                raise EvidenceError('TDX quote v4 is %d bytes, at least %d expected'
                                    % (len(b), TDX_QUOTE_V4_MIN_LEN))
            body_off, body_len = TDX_Q4_BODY, TDX_QUOTE_BODY_V4_LEN
            sig_len_off = TDX_Q4_SIG_DATA_LEN
        elif self.version == 5:
            if len(b) < TDX_QUOTE_V5_MIN_LEN:
                raise EvidenceError('TDX quote v5 is too short')
            body_type = u16(b, TDX_Q5_BODY_TYPE)
            body_len = u32(b, TDX_Q5_BODY_SIZE)
            if (body_type, body_len) not in ((TDX_Q5_BODY_TYPE_TDX10, TDX_QUOTE_BODY_V4_LEN),
                                             (TDX_Q5_BODY_TYPE_TDX15, TDX_QUOTE_BODY_V15_LEN)):
                raise EvidenceError('TDX quote v5 body type %d / size %d is not a TD body'
                                    % (body_type, body_len))
            body_off = TDX_Q5_BODY
            sig_len_off = body_off + body_len
        else:
            raise EvidenceError('TDX quote version %d is not supported (4 or 5)' % self.version)
        if self.att_key_type != TDX_QUOTE_ATT_KEY_ECDSA_P256:
            raise EvidenceError('TDX quote attestation key type %d is not ECDSA P-256'
                                % self.att_key_type)
        if self.tee_type != TDX_QUOTE_TEE_TDX:
            raise EvidenceError('TDX quote TEE type 0x%x is not TDX' % self.tee_type)
        if self.qe_vendor_id != TDX_QE_VENDOR_ID_INTEL:
            raise EvidenceError('TDX quote QE vendor id is not Intel\'s')
        if sig_len_off + 4 > len(b):
            raise EvidenceError('TDX quote truncated before its signature data')
        self.body = b[body_off:body_off + body_len]
        self.signed = b[:body_off + body_len]
        sig_len = u32(b, sig_len_off)
        sd = b[sig_len_off + 4:sig_len_off + 4 + sig_len]
        if len(sd) != sig_len or sig_len < TDX_SD_CERT_DATA:
            raise EvidenceError('TDX quote signature data is truncated')
        # Trailing bytes after the signature data: real quotes from some
        # stacks are zero-padded (the GCP sample); anything else is refused.
        if not _zero(b[sig_len_off + 4 + sig_len:]):
            raise EvidenceError('TDX quote has non-zero bytes after its signature data')
        self.quote_sig = sd[TDX_SD_QUOTE_SIG:TDX_SD_QUOTE_SIG + 64]
        self.att_key = sd[TDX_SD_ATT_KEY:TDX_SD_ATT_KEY + 64]
        cert_type = u16(sd, TDX_SD_CERT_TYPE)
        cert_size = u32(sd, TDX_SD_CERT_SIZE)
        cd = sd[TDX_SD_CERT_DATA:TDX_SD_CERT_DATA + cert_size]
        if cert_type != TDX_CERT_TYPE_QE_REPORT:
            raise EvidenceError('TDX quote certification data type %d is not 6 (QE report)'
                                % cert_type)
        if len(cd) != cert_size or TDX_SD_CERT_DATA + cert_size != sig_len:
            raise EvidenceError('TDX quote certification data size does not match')
        if cert_size < TDX_QE_AUTH_DATA:
            raise EvidenceError('TDX quote QE report certification data is truncated')
        self.qe_report = cd[TDX_QE_REPORT:TDX_QE_REPORT + TDX_QE_REPORT_LEN]
        self.qe_report_sig = cd[TDX_QE_REPORT_SIG:TDX_QE_REPORT_SIG + 64]
        auth_len = u16(cd, TDX_QE_AUTH_SIZE)
        pos = TDX_QE_AUTH_DATA + auth_len
        if pos + 6 > len(cd):
            raise EvidenceError('TDX quote QE auth data runs past the certification data')
        self.qe_auth = cd[TDX_QE_AUTH_DATA:pos]
        inner_type = u16(cd, pos)
        inner_size = u32(cd, pos + 2)
        if inner_type != TDX_CERT_TYPE_PCK_CHAIN:
            raise EvidenceError('TDX quote nested certification data type %d is not 5 (PCK chain)'
                                % inner_type)
        pem = cd[pos + 6:pos + 6 + inner_size]
        if len(pem) != inner_size or pos + 6 + inner_size != len(cd):
            raise EvidenceError('TDX quote PCK chain size does not match')
        self.pck_chain_pem = pem.rstrip(b'\0')
        q = self.body
        self.tee_tcb_svn = q[TDX_QB_TEE_TCB_SVN:TDX_QB_TEE_TCB_SVN + 16]
        self.mrseam = q[TDX_QB_MRSEAM:TDX_QB_MRSEAM + 48]
        self.mrsignerseam = q[TDX_QB_MRSIGNERSEAM:TDX_QB_MRSIGNERSEAM + 48]
        self.seam_attributes = q[TDX_QB_SEAM_ATTRIBUTES:TDX_QB_SEAM_ATTRIBUTES + 8]
        self.td_attributes = q[TDX_QB_TD_ATTRIBUTES:TDX_QB_TD_ATTRIBUTES + 8]
        self.xfam = q[TDX_QB_XFAM:TDX_QB_XFAM + 8]
        self.mrtd = q[TDX_QB_MRTD:TDX_QB_MRTD + 48]
        self.mrconfigid = q[TDX_QB_MRCONFIGID:TDX_QB_MRCONFIGID + 48]
        self.mrowner = q[TDX_QB_MROWNER:TDX_QB_MROWNER + 48]
        self.mrownerconfig = q[TDX_QB_MROWNERCONFIG:TDX_QB_MROWNERCONFIG + 48]
        self.rtmr = [q[TDX_QB_RTMR0 + 48 * i:TDX_QB_RTMR0 + 48 * (i + 1)] for i in range(4)]
        self.report_data = q[TDX_QB_REPORT_DATA:TDX_QB_REPORT_DATA + TDX_REPORT_DATA_LEN]

    @property
    def td_attributes_u64(self):
        return int.from_bytes(self.td_attributes, 'little')
