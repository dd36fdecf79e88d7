"""SEV-SNP report verification as MAA does it: the report's signature by
the VCEK, the VCEK's certification by the ASK and the product's ARK (pinned
by key), and the VCEK's AMD extensions against the report (chip id, TCB)."""
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID, ObjectIdentifier

from . import der, evidence, x509util
from .evidence import EvidenceError

# AMD 57230 VCEK extensions (evidence.h AMD_OID_*)
OID_PRODUCT_NAME = ObjectIdentifier('1.3.6.1.4.1.3704.1.2')
OID_BL_SPL = ObjectIdentifier('1.3.6.1.4.1.3704.1.3.1')
OID_TEE_SPL = ObjectIdentifier('1.3.6.1.4.1.3704.1.3.2')
OID_SNP_SPL = ObjectIdentifier('1.3.6.1.4.1.3704.1.3.3')
OID_UCODE_SPL = ObjectIdentifier('1.3.6.1.4.1.3704.1.3.8')
OID_FMC_SPL = ObjectIdentifier('1.3.6.1.4.1.3704.1.3.9')
OID_HWID = ObjectIdentifier('1.3.6.1.4.1.3704.1.4')

PRODUCT_NAMES = {'milan': 'Milan', 'genoa': 'Genoa', 'turin': 'Turin'}


def _cpuid_product(fam, mod):
    """VSEV Generation::identify_cpu (evidence-formats.md §1.2)."""
    if fam == 0x19 and mod <= 0x0F:
        return 'milan'
    if fam == 0x19 and (0x10 <= mod <= 0x1F or 0xA0 <= mod <= 0xAF):
        return 'genoa'
    if fam == 0x1A and mod <= 0x11:
        return 'turin'
    return None


def _ext(cert, oid):
    try:
        return cert.extensions.get_extension_for_oid(oid).value.value
    except Exception:  # noqa: BLE001 - ExtensionNotFound or a parsed type
        return None


def _cn(cert):
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else ''


def _check_amd_signature(cert, what):
    scheme = x509util.signature_scheme(cert)
    if scheme != ('pss', 'sha384', 'sha384', 48):
        raise EvidenceError('%s is not signed with RSASSA-PSS SHA-384/MGF1-SHA-384/salt 48 '
                            'as AMD signs' % what)


def verify(report_bytes, chain_pem, amd_roots, now=None):
    """amd_roots: {product: ARK certificate}.  Returns (SnpReport, product).
    Raises EvidenceError with a message that says what failed."""
    rep = evidence.SnpReport(report_bytes)
    rep.check_format()
    try:
        chain = x509util.load_pem_certs(chain_pem, 'VcekCertChain')
    except x509util.ChainError as e:
        raise EvidenceError(str(e)) from None
    if len(chain) < 2:
        raise EvidenceError('VcekCertChain must hold the VCEK and the ASK (and the ARK)')
    if len(chain) > 3:
        raise EvidenceError('VcekCertChain holds %d certificates; VCEK, ASK, ARK expected'
                            % len(chain))
    vcek = chain[0]
    if _cn(vcek) != 'SEV-VCEK':
        raise EvidenceError('first certificate of VcekCertChain is %r, not a SEV-VCEK' % _cn(vcek))
    product, last_err = None, None
    for name, ark in amd_roots.items():
        try:
            x509util.verify_chain(chain, [ark], 'VCEK chain', now)
        except x509util.ChainError as e:
            last_err = e
            continue
        product = name
        break
    if product is None:
        raise EvidenceError('VCEK chain does not verify against the trusted AMD roots: %s'
                            % last_err)
    for i, c in enumerate(chain):
        _check_amd_signature(c, 'VCEK chain certificate %d (%s)' % (i, _cn(c)))
    turin = product == 'turin'
    if rep.version >= 3:
        cpu = _cpuid_product(rep.cpuid_fam, rep.cpuid_mod)
        if cpu != product:
            raise EvidenceError('report CPUID family/model %02x/%02x is not %s, whose ARK '
                                'certified the VCEK' % (rep.cpuid_fam, rep.cpuid_mod, product))
    pname = _ext(vcek, OID_PRODUCT_NAME)
    try:
        pname = der.ext_string(pname) if pname is not None else None
    except der.DerError:
        pname = None
    if not pname or not pname.startswith(PRODUCT_NAMES[product]):
        raise EvidenceError('VCEK productName %r does not name %s' % (pname, PRODUCT_NAMES[product]))
    hwid = _ext(vcek, OID_HWID)
    if hwid is not None and len(hwid) in (66, 10) and hwid[0] == 0x04:
        hwid = hwid[2:]        # some issuers wrap it in an OCTET STRING
    want_len = evidence.SNP_CHIP_ID_LEN_TURIN if turin else evidence.SNP_CHIP_ID_LEN
    if hwid is None or len(hwid) != want_len:
        raise EvidenceError('VCEK hwID extension is missing or not %d bytes' % want_len)
    if rep.chip_id[:want_len] != hwid or any(rep.chip_id[want_len:]):
        raise EvidenceError('report CHIP_ID does not match the VCEK hwID (the VCEK is another '
                            'chip\'s)')
    tcb = rep.tcb(evidence.SNP_R_REPORTED_TCB, turin)
    spl = [(OID_BL_SPL, 'blSPL', tcb.bl), (OID_TEE_SPL, 'teeSPL', tcb.tee),
           (OID_SNP_SPL, 'snpSPL', tcb.snp), (OID_UCODE_SPL, 'ucodeSPL', tcb.ucode)]
    if turin:
        spl.append((OID_FMC_SPL, 'fmcSPL', tcb.fmc))
    for oid, name, want in spl:
        raw = _ext(vcek, oid)
        try:
            got = der.ext_integer(raw) if raw is not None else None
        except der.DerError:
            got = None
        if got != want:
            raise EvidenceError('VCEK %s %s does not match REPORTED_TCB (%d): the VCEK was '
                                'issued for another TCB' % (name, got, want))
    pub = vcek.public_key()
    if not isinstance(pub, ec.EllipticCurvePublicKey) or pub.curve.name != 'secp384r1':
        raise EvidenceError('VCEK key is not ECDSA P-384')
    sig = encode_dss_signature(rep.sig_r, rep.sig_s)
    try:
        pub.verify(sig, rep.signed, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        raise EvidenceError('SNP report signature does not verify with the VCEK') from None
    return rep, product


def report_data_binds(report_data, runtime_bytes):
    """MAA: the first 32 bytes of REPORT_DATA are SHA-256(runtime data)."""
    return report_data[:32] == hashlib.sha256(runtime_bytes).digest()
