"""TDX quote verification as MAA does it, minus Intel's TCB/QE-identity
collateral (not available offline): PCK chain to the pinned root, QE report
signed by the PCK key, QE report binding of the attestation key, quote
signature by the attestation key, SEAM attributes."""
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from . import evidence, x509util
from .evidence import EvidenceError


def verify(quote_bytes, intel_roots, now=None):
    q = evidence.TdxQuote(quote_bytes)
    try:
        chain = x509util.load_pem_certs(q.pck_chain_pem, 'TDX quote PCK chain')
        x509util.verify_chain(chain, intel_roots, 'PCK chain', now)
    except x509util.ChainError as e:
        raise EvidenceError(str(e)) from None
    leaf = chain[0]
    cn = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not cn or 'SGX PCK Certificate' not in cn[0].value:
        raise EvidenceError('first certificate of the PCK chain is not an SGX PCK Certificate')
    pck = leaf.public_key()
    if not isinstance(pck, ec.EllipticCurvePublicKey) or pck.curve.name != 'secp256r1':
        raise EvidenceError('PCK key is not ECDSA P-256')
    try:
        pck.verify(x509util.ecdsa_raw_to_der(q.qe_report_sig), q.qe_report,
                   ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise EvidenceError('QE report signature does not verify with the PCK key') from None
    rd = q.qe_report[evidence.SGX_RB_REPORT_DATA:evidence.SGX_RB_REPORT_DATA + 64]
    if rd[:32] != hashlib.sha256(q.att_key + q.qe_auth).digest() or any(rd[32:]):
        raise EvidenceError('QE report does not bind the attestation key '
                            '(REPORTDATA != SHA-256(key || auth data) || 0^32)')
    try:
        att = x509util.p256_from_xy(q.att_key)
    except ValueError:
        raise EvidenceError('quote attestation key is not a P-256 point') from None
    try:
        att.verify(x509util.ecdsa_raw_to_der(q.quote_sig), q.signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise EvidenceError('TDX quote signature does not verify with its attestation key') \
            from None
    if int.from_bytes(q.seam_attributes, 'little') != evidence.TDX_SEAM_ATTRIBUTES_EXPECTED:
        raise EvidenceError('TDX module SEAMATTRIBUTES are not zero (debug TDX module)')
    return q
