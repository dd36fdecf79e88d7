"""The service's TEST PKI, generated into STATE/pki on first start.

  ca.pem              cvmattest TEST Root CA: the CA bundle clients are given
  tls.pem             TLS server certificate of the attestation and Key Vault
                      ports (SANs: every name the service answers to)
  maa-signing.pem     self-signed RS256 token signing certificate of MAA
                      (MAA's /certs publishes a self-signed certificate too)
  kv-issuing-ca.pem   intermediate CA under the root ...
  kv-signing.pem      ... that issues Key Vault's release-response signer,
                      sent as x5c [leaf, intermediate]
  entra-signing.pem   signer of the managed-identity access tokens from IMDS
  vtpm-ca.pem         TEST "Global Virtual TPM CA": issues vTPM AK
                      certificates for the AzureGuest flow

Every private key here is a TEST key that protects nothing.
"""
import datetime
import hashlib
import ipaddress
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

OID_TCG_KP_AIK = ObjectIdentifier('2.23.133.8.3')
OID_MS_AIK = ObjectIdentifier('1.3.6.1.4.1.311.10.3.12')
TEST_OU = 'TEST ONLY - cvmattest local Azure-compatible service'


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_OU)])


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _write(path, data, private=False):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def new_rsa(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _ski(pub):
    return x509.SubjectKeyIdentifier.from_public_key(pub)


def build_cert(subject, issuer, pub, signer, *, ca=False, path_len=None, sans=(),
               eku=None, days=3650, key_usage=None, issuer_pub=None, serial=None):
    now = _now()
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(issuer).public_key(pub)
         .serial_number(serial or x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None),
                        critical=True)
         .add_extension(_ski(pub), critical=False))
    if issuer_pub is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_pub),
                            critical=False)
    if key_usage is None:
        key_usage = ('cert', 'crl') if ca else ('digital_signature',)
    ku = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
              data_encipherment=False, key_agreement=False, key_cert_sign=False,
              crl_sign=False, encipher_only=False, decipher_only=False)
    for k in key_usage:
        ku[{'cert': 'key_cert_sign', 'crl': 'crl_sign'}.get(k, k)] = True
    b = b.add_extension(x509.KeyUsage(**ku), critical=True)
    if sans:
        names = []
        for s in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(s)))
            except ValueError:
                names.append(x509.DNSName(s))
        b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    algo = hashes.SHA256()
    return b.sign(signer, algo)


class Pki:
    """Loads STATE/pki, creating what is missing."""

    def __init__(self, directory, names):
        self.dir = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self.names = sorted(set(names))
        self.ca_key, self.ca = self._ensure_ca('ca', 'cvmattest TEST Root CA', None, None,
                                               ec_key=True)
        self.kv_ca_key, self.kv_ca = self._ensure_ca('kv-issuing-ca',
                                                     'cvmattest TEST Key Vault Issuing CA',
                                                     self.ca_key, self.ca, ec_key=True)
        self.vtpm_ca_key, self.vtpm_ca = self._ensure_ca('vtpm-ca',
                                                         'TEST Global Virtual TPM CA - 01',
                                                         None, None, ec_key=False)
        self.tls_key, self.tls = self._ensure_leaf('tls', 'cvmattest TEST service TLS',
                                                   self.ca_key, self.ca, self.names,
                                                   [ExtendedKeyUsageOID.SERVER_AUTH],
                                                   ec_key=True)
        self.kv_sign_key, self.kv_sign = self._ensure_leaf(
            'kv-signing', 'cvmattest TEST Key Vault release signing', self.kv_ca_key,
            self.kv_ca, self.names, None, ec_key=False)
        self.maa_key, self.maa_cert = self._ensure_self_signed(
            'maa-signing', 'cvmattest TEST attestation token signing')
        self.entra_key, self.entra_cert = self._ensure_self_signed(
            'entra-signing', 'cvmattest TEST managed identity token signing')
        _write(self.path('ca-bundle.pem'),
               b'cvmattest TEST Root CA: TEST ONLY, generated by tests/azure-service.\n'
               b'Trust it in cvmattest tests only, never in a system trust store.\n'
               + cert_pem(self.ca))

    def path(self, name):
        return os.path.join(self.dir, name)

    def _load(self, base):
        cp, kp = self.path(base + '.pem'), self.path(base + '.key')
        if not (os.path.exists(cp) and os.path.exists(kp)):
            return None, None
        with open(kp, 'rb') as f:
            key = serialization.load_pem_private_key(f.read(), None)
        with open(cp, 'rb') as f:
            cert = x509.load_pem_x509_certificate(f.read())
        return key, cert

    def _store(self, base, key, cert, meta=None):
        _write(self.path(base + '.key'), key_pem(key), private=True)
        _write(self.path(base + '.pem'), cert_pem(cert))
        if meta is not None:
            _write(self.path(base + '.json'), json.dumps(meta).encode())

    def _ensure_ca(self, base, cn, parent_key, parent, ec_key):
        key, cert = self._load(base)
        if cert is not None and (parent is None or cert.issuer == parent.subject):
            return key, cert
        key = ec.generate_private_key(ec.SECP256R1()) if ec_key else new_rsa()
        if parent is None:
            cert = build_cert(_name(cn), _name(cn), key.public_key(), key, ca=True, path_len=1,
                              days=7300)
        else:
            cert = build_cert(_name(cn), parent.subject, key.public_key(), parent_key, ca=True,
                              path_len=0, issuer_pub=parent.public_key(), days=3650)
        self._store(base, key, cert)
        return key, cert

    def _ensure_leaf(self, base, cn, ca_key, ca, sans, eku, ec_key):
        key, cert = self._load(base)
        meta_path = self.path(base + '.json')
        meta = {'sans': list(sans), 'issuer': ca.subject.rfc4514_string()}
        if cert is not None and os.path.exists(meta_path):
            with open(meta_path) as f:
                if json.load(f) == meta and cert.issuer == ca.subject:
                    return key, cert
        key = ec.generate_private_key(ec.SECP256R1()) if ec_key else new_rsa()
        cert = build_cert(_name(cn), ca.subject, key.public_key(), ca_key, sans=sans, eku=eku,
                          issuer_pub=ca.public_key(), days=825)
        self._store(base, key, cert, meta)
        return key, cert

    def _ensure_self_signed(self, base, cn):
        key, cert = self._load(base)
        if cert is not None:
            return key, cert
        key = new_rsa()
        cert = build_cert(_name(cn), _name(cn), key.public_key(), key, days=3650)
        self._store(base, key, cert)
        return key, cert

    def issue_ak_cert(self, ak_pub, vm_id):
        """An AK certificate shaped like Azure's (CN <vmid>.TrustedVM.Azure...,
        EKUs 1.3.6.1.4.1.311.10.3.12 and tcg-kp-AIKCertificate)."""
        return issue_ak_cert(self.vtpm_ca_key, self.vtpm_ca, ak_pub, vm_id)


def issue_ak_cert(ca_key, ca, ak_pub, vm_id):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            '%s.TrustedVM.Azure.Microsoft' % vm_id.lower())])
    return build_cert(subject, ca.subject, ak_pub, ca_key, eku=[OID_MS_AIK, OID_TCG_KP_AIK],
                      issuer_pub=ca.public_key(), days=365)


def fingerprint(cert):
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
