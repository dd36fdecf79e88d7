"""Certificate-chain checks done by hand so they behave the same with
python3-cryptography 38 (Debian 12, no verify_directly_issued_by) and newer
releases: signature by the issuer's key (RSA PKCS#1 v1.5, RSASSA-PSS with
the parameters the certificate names, ECDSA), issuer/subject linkage and the
validity period."""
import datetime
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from . import der

HASHES = {'sha1': hashes.SHA1, 'sha256': hashes.SHA256,
          'sha384': hashes.SHA384, 'sha512': hashes.SHA512}


class ChainError(ValueError):
    pass


_PEM_RE = re.compile(rb'-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----', re.S)


def load_pem_certs(data, what='certificate chain'):
    """Every PEM block must be a CERTIFICATE; at least one is required."""
    if isinstance(data, str):
        data = data.encode()
    certs = []
    for m in _PEM_RE.finditer(data):
        if m.group(1) != b'CERTIFICATE':
            raise ChainError('%s: unexpected PEM block %s' % (what, m.group(1).decode()))
        try:
            certs.append(x509.load_pem_x509_certificate(m.group(0)))
        except ValueError as e:
            raise ChainError('%s: certificate %d does not parse: %s'
                             % (what, len(certs) + 1, e)) from None
    if not certs:
        raise ChainError('%s: no PEM certificate found' % what)
    return certs


def der_of(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def not_before(cert):
    t = getattr(cert, 'not_valid_before_utc', None)
    return t if t is not None else cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def not_after(cert):
    t = getattr(cert, 'not_valid_after_utc', None)
    return t if t is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def check_validity(cert, now=None, what='certificate'):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now < not_before(cert):
        raise ChainError('%s is not valid before %s' % (what, not_before(cert).isoformat()))
    if now > not_after(cert):
        raise ChainError('%s expired at %s' % (what, not_after(cert).isoformat()))


def signature_scheme(cert):
    """Describe how cert is signed: ('pss', hash, mgf, salt) / ('pkcs1', hash)
    / ('ecdsa', hash)."""
    oid, params = der.certificate_signature_algorithm(der_of(cert))
    if oid == der.OID_RSASSA_PSS:
        h, mgf, salt, trailer = der.pss_parameters(params)
        if trailer != 1:
            raise ChainError('RSASSA-PSS trailerField %d is not 1' % trailer)
        return ('pss', h, mgf, salt)
    try:
        h = cert.signature_hash_algorithm
    except Exception as e:  # noqa: BLE001 - cryptography raises several types
        raise ChainError('unsupported certificate signature algorithm %s: %s' % (oid, e)) from None
    if h is None:
        raise ChainError('certificate signature algorithm %s has no hash' % oid)
    name = h.name
    if oid.startswith('1.2.840.10045.4.'):
        return ('ecdsa', name)
    if oid.startswith('1.2.840.113549.1.1.'):
        return ('pkcs1', name)
    raise ChainError('unsupported certificate signature algorithm %s' % oid)


def verify_signed_by(cert, issuer, what='certificate'):
    """cert's signature verifies with issuer's public key and names it."""
    if cert.issuer != issuer.subject:
        raise ChainError('%s: issuer %s does not match %s'
                         % (what, cert.issuer.rfc4514_string(), issuer.subject.rfc4514_string()))
    key = issuer.public_key()
    scheme = signature_scheme(cert)
    try:
        if scheme[0] == 'pss':
            _, h, mgf, salt = scheme
            if h not in HASHES or mgf not in HASHES:
                raise ChainError('%s: unsupported PSS hash' % what)
            if not isinstance(key, rsa.RSAPublicKey):
                raise ChainError('%s: PSS signature but issuer key is not RSA' % what)
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       padding.PSS(mgf=padding.MGF1(HASHES[mgf]()), salt_length=salt),
                       HASHES[h]())
        elif scheme[0] == 'pkcs1':
            if not isinstance(key, rsa.RSAPublicKey):
                raise ChainError('%s: RSA signature but issuer key is not RSA' % what)
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       HASHES[scheme[1]]())
        else:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise ChainError('%s: ECDSA signature but issuer key is not EC' % what)
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(HASHES[scheme[1]]()))
    except InvalidSignature:
        raise ChainError('%s: signature does not verify with %s\'s key'
                         % (what, issuer.subject.rfc4514_string())) from None
    return scheme


def is_ca(cert):
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return bc.ca


def same_key(a, b):
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_key().public_bytes(*fmt) == b.public_key().public_bytes(*fmt)


def verify_chain(chain, roots, what='chain', now=None):
    """chain: leaf first; the last element is either a pinned root or is
    issued by one.  Roots are pinned by key (the test roots carry AMD's and
    Intel's real names).  Returns the root that anchored it."""
    if not chain:
        raise ChainError('%s: empty' % what)
    for i, c in enumerate(chain):
        check_validity(c, now, '%s certificate %d (%s)' % (what, i, c.subject.rfc4514_string()))
    for i in range(len(chain) - 1):
        if not is_ca(chain[i + 1]):
            raise ChainError('%s: certificate %d (%s) is not a CA'
                             % (what, i + 1, chain[i + 1].subject.rfc4514_string()))
        verify_signed_by(chain[i], chain[i + 1], '%s certificate %d' % (what, i))
    top = chain[-1]
    if top.issuer == top.subject:
        for root in roots:
            if same_key(top, root) and top.subject == root.subject:
                verify_signed_by(top, top, '%s root' % what)
                return root
        raise ChainError('%s does not chain to a trusted root: its self-signed top %s is not '
                         'a pinned root (roots are pinned by key)'
                         % (what, top.subject.rfc4514_string()))
    for root in roots:
        if top.issuer == root.subject:
            try:
                verify_signed_by(top, root, '%s top certificate' % what)
            except ChainError:
                continue
            check_validity(root, now, '%s root' % what)
            return root
    raise ChainError('%s does not chain to a trusted root (top: %s, issued by %s)'
                     % (what, top.subject.rfc4514_string(), top.issuer.rfc4514_string()))


def ecdsa_raw_to_der(raw):
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], 'big'),
                                int.from_bytes(raw[half:], 'big'))


def p256_from_xy(xy):
    return ec.EllipticCurvePublicNumbers(int.from_bytes(xy[:32], 'big'),
                                         int.from_bytes(xy[32:], 'big'),
                                         ec.SECP256R1()).public_key()
