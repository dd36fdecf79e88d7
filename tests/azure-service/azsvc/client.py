"""A Python client of the local service: what the tests, the admin tool and
the demo use to play the guest's part (and a reference for the C client).
Key material handled here stays in memory; nothing here logs."""
import hashlib
import http.client
import json
import os
import socket
import ssl
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

from . import b64, jose, x509util

MAA_API = '2025-06-01'
KV_API = '7.4'
IMDS_API = '2018-02-01'


def load_ready(state, timeout=0):
    path = os.path.join(state, 'ready.json')
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class HttpError(Exception):
    def __init__(self, status, body, headers):
        self.status, self.body, self.headers = status, body, headers
        try:
            self.json = json.loads(body)
        except ValueError:
            self.json = None
        super().__init__('HTTP %d: %s' % (status, body[:300].decode(errors='replace')))


def request(url, method='GET', body=None, headers=None, ca=None, timeout=30):
    """(status, headers dict (lower-case names), body bytes)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme == 'https':
        ctx = ssl.create_default_context(cafile=ca)
        conn = http.client.HTTPSConnection(u.hostname, u.port or 443, timeout=timeout,
                                           context=ctx)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault('Content-Type', 'application/json')
    try:
        conn.request(method, u.path + ('?' + u.query if u.query else ''), body=body,
                     headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def call(url, method='GET', body=None, headers=None, ca=None, timeout=30, ok=(200,)):
    status, hdrs, data = request(url, method, body, headers, ca, timeout)
    if status not in ok:
        raise HttpError(status, data, hdrs)
    return json.loads(data) if data else None


class Client:
    def __init__(self, ready, guest=False):
        self.r = ready
        self.ca = ready['ca_bundle']
        g = ready['guest'] if guest else ready
        self.attest_url, self.kv_url, self.imds_url = g['attest_url'], g['kv_url'], g['imds_url']
        self.admin_url = ready['admin_url']

    # ---- IMDS --------------------------------------------------------------
    def token(self, resource=None, **ids):
        q = {'api-version': IMDS_API, 'resource': resource or self.r['kv_resource']}
        q.update(ids)
        return call(self.imds_url + '/metadata/identity/oauth2/token?' + urllib.parse.urlencode(q),
                    headers={'Metadata': 'true'})['access_token']

    def thim(self):
        return call(self.imds_url + '/metadata/THIM/amd/certification',
                    headers={'Metadata': 'true'})

    def tdquote(self, tdreport):
        r = call(self.imds_url + '/acc/tdquote', 'POST', {'report': b64.url_encode(tdreport)},
                 headers={'Metadata': 'true'})
        return b64.url_decode(r['quote'])

    # ---- MAA ---------------------------------------------------------------------
    def attest(self, kind, body, api=MAA_API):
        return call('%s/attest/%s?api-version=%s' % (self.attest_url, kind, api), 'POST', body,
                    ca=self.ca)['token']

    def jwks(self):
        return call(self.attest_url + '/certs', ca=self.ca)

    def verify_token(self, token, issuer=None):
        """Check an MAA token like a relying party: key from /certs by kid,
        RS256, iss pinned, exp/nbf."""
        keys = {}
        for k in self.jwks()['keys']:
            cert = x509util.load_pem_certs(
                b'-----BEGIN CERTIFICATE-----\n' + k['x5c'][0].encode()
                + b'\n-----END CERTIFICATE-----\n')[0]
            keys[k['kid']] = cert.public_key()
        _, claims = jose.verify_rs256(token, keys)
        if claims.get('iss') != (issuer or self.attest_url):
            raise jose.JoseError('issuer %r is not %r' % (claims.get('iss'),
                                                          issuer or self.attest_url))
        now = time.time()
        if claims['exp'] < now or claims['nbf'] > now + 60:
            raise jose.JoseError('token expired or not yet valid')
        return claims

    # ---- Key Vault -----------------------------------------------------------------
    def kv(self, path, method='GET', body=None, token=None, api=KV_API, ok=(200,)):
        token = token or self.token()
        sep = '&' if '?' in path else '?'
        return call('%s%s%sapi-version=%s' % (self.kv_url, path, sep, api), method, body,
                    headers={'Authorization': 'Bearer ' + token}, ca=self.ca, ok=ok)

    def import_key(self, name, jwk, policy_bytes, hsm=True, exportable=True, token=None):
        body = {'key': jwk, 'hsm': hsm, 'attributes': {'exportable': exportable}}
        if policy_bytes is not None:
            body['release_policy'] = {'contentType': 'application/json; charset=utf-8',
                                      'data': b64.url_encode(policy_bytes), 'immutable': False}
        return self.kv('/keys/%s' % name, 'PUT', body, token)

    def release(self, key_path, target, enc=None, nonce=None, token=None, api=KV_API):
        body = {'target': target}
        if enc:
            body['enc'] = enc
        if nonce is not None:
            body['nonce'] = nonce
        return self.kv(key_path + '/release', 'POST', body, token, api=api)['value']

    # ---- admin -----------------------------------------------------------------------
    def fault(self, kind, target='*', **kw):
        spec = dict(kind=kind, target=target, **kw)
        return call(self.admin_url + '/faults', 'POST', spec, ok=(201,))

    def clear_faults(self):
        return call(self.admin_url + '/faults', 'DELETE')


# ---- guest-side helpers --------------------------------------------------------------

def new_transfer_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def runtime_claims(transfer_key, kid='TransferKey', extra=None):
    """Runtime data as the helper sends it: its transfer key as a JWK with
    key_ops encrypt (DESIGN.md; the ACI/CSC shape)."""
    obj = {'keys': [jose.rsa_public_jwk(transfer_key.public_key(), kid=kid,
                                        key_ops=['encrypt'])]}
    obj.update(extra or {})
    return json.dumps(obj, separators=(',', ':')).encode()


def snp_request(sim, client, runtime, *sim_opts, nonce=None, report_data=None):
    """Evidence from the simulated platform, VCEK chain from THIM."""
    rd = report_data if report_data is not None else hashlib.sha256(runtime).digest()
    report, _ = sim.snp_report(rd, *sim_opts)
    t = client.thim()
    chain = (t['vcekCert'] + t['certificateChain']).encode()
    body = {'report': b64.url_encode(json.dumps(
        {'SnpReport': b64.url_encode(report), 'VcekCertChain': b64.url_encode(chain)}).encode()),
        'runtimeData': {'data': b64.url_encode(runtime), 'dataType': 'JSON'}}
    if nonce is not None:
        body['nonce'] = nonce
    return body


def tdx_request(sim, client, runtime, *sim_opts, report_data=None):
    rd = report_data if report_data is not None else hashlib.sha256(runtime).digest()
    tdreport = sim.tdx_report(rd, *sim_opts)
    quote = client.tdquote(tdreport)
    return {'quote': b64.url_encode(quote),
            'runtimeData': {'data': b64.url_encode(runtime), 'dataType': 'JSON'}}


OAEP_HASH = {'CKM_RSA_AES_KEY_WRAP': hashes.SHA1, 'RSA_AES_KEY_WRAP_256': hashes.SHA256,
             'RSA_AES_KEY_WRAP_384': hashes.SHA384}


def release_payload(jws, ca_cert=None):
    """Verify the release JWS with x5c[0] (and, given the CA, its chain) and
    return its payload."""
    header, payload, signing_input, sig = jose.split(jws, 'release response')
    certs = [x509util.load_pem_certs(b'-----BEGIN CERTIFICATE-----\n' + c.encode()
                                     + b'\n-----END CERTIFICATE-----\n')[0]
             for c in header['x5c']]
    if ca_cert is not None:
        x509util.verify_chain(certs, [ca_cert], 'Key Vault signing chain')
    certs[0].public_key().verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())
    return payload


def unwrap_key_hsm(key_hsm, transfer_key):
    """key_hsm -> key material (raw bytes for oct, PKCS#8 DER otherwise)."""
    blob = json.loads(b64.url_decode(key_hsm))
    enc = blob['header']['enc']
    ct = b64.url_decode(blob['ciphertext'])
    n = transfer_key.key_size // 8
    h = OAEP_HASH[enc]
    aes = transfer_key.decrypt(ct[:n], padding.OAEP(mgf=padding.MGF1(h()), algorithm=h(),
                                                    label=None))
    return aes_key_unwrap_with_padding(aes, ct[n:])


def wait_listening(host, port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False

