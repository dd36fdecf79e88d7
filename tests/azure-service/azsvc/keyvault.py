"""Azure Key Vault (Premium) / Managed HSM keys with Secure Key Release.

REST: Azure/azure-rest-api-specs keyvault data-plane 7.4 keys.json
(POST /keys/{name}/create, PUT /keys/{name} (import), GET /keys/{name}[/{v}],
POST /keys/{name}[/{v}]/release) and reference §4.  The vault URL is
https://<Host header>, like https://<vault>.vault.azure.net.

This is a TEST stand-in for an HSM: key material is kept in STATE/kv/keys.json
(mode 0600) so keys survive a restart for the demo; it is never logged."""
import hashlib
import json
import os
import re
import threading
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from . import b64, jose, policy, x509util
from .http import ApiError, Response

API_VERSIONS = ('7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01')
SKR_API_VERSIONS = ('7.3', '7.4', '7.5', '7.6', '2025-07-01')
ENC_HASH = {'CKM_RSA_AES_KEY_WRAP': hashes.SHA1, 'RSA_AES_KEY_WRAP_256': hashes.SHA256,
            'RSA_AES_KEY_WRAP_384': hashes.SHA384}
DEFAULT_ENC = 'CKM_RSA_AES_KEY_WRAP'
KEY_OPS = ('encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import', 'export')
CURVES = {'P-256': ec.SECP256R1, 'P-384': ec.SECP384R1, 'P-521': ec.SECP521R1,
          'P-256K': ec.SECP256K1}
NAME_RE = re.compile(r'^[0-9a-zA-Z-]{1,127}$')
RECOVERY = {'recoveryLevel': 'Recoverable+Purgeable', 'recoverableDays': 90}
CLOCK_SKEW = 300
RESOURCES = {'vault': 'https://vault.azure.net', 'mhsm': 'https://managedhsm.azure.net'}


def error_body(status, code, message):
    return {'error': {'code': code, 'message': message}}


def bad(msg):
    return ApiError(400, 'BadParameter', msg)


def _ival(n):
    return n.to_bytes((n.bit_length() + 7) // 8 or 1, 'big')


class KeyVersion:
    """One version of a key.  material: bytes (oct) or a private key."""

    def __init__(self, name, version, kty, key_ops, material, attributes, tags, rpolicy):
        self.name, self.version, self.kty = name, version, kty
        self.key_ops, self.material = key_ops, material
        self.attributes, self.tags, self.release_policy = attributes, tags, rpolicy
        self.policy = policy.parse(b64.url_decode(rpolicy['data'])) if rpolicy else None

    @property
    def base_kty(self):
        return self.kty.replace('-HSM', '')

    def public_jwk(self):
        jwk = {'kty': self.kty, 'key_ops': list(self.key_ops)}
        if self.base_kty == 'RSA':
            n = self.material.public_key().public_numbers()
            jwk.update(n=b64.url_encode(_ival(n.n)), e=b64.url_encode(_ival(n.e)))
        elif self.base_kty == 'EC':
            n = self.material.public_key().public_numbers()
            size = (self.material.curve.key_size + 7) // 8
            crv = [k for k, v in CURVES.items() if v.name == self.material.curve.name][0]
            jwk.update(crv=crv, x=b64.url_encode(n.x.to_bytes(size, 'big')),
                       y=b64.url_encode(n.y.to_bytes(size, 'big')))
        return jwk

    def export_material(self):
        """What SKR wraps: raw bytes for oct keys, PKCS#8 DER otherwise."""
        if self.base_kty == 'oct':
            return self.material
        return self.material.private_bytes(serialization.Encoding.DER,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())

    def bundle(self, vault):
        b = {'key': dict(self.public_jwk(), kid='%s/keys/%s/%s' % (vault, self.name,
                                                                   self.version)),
             'attributes': dict(self.attributes, **RECOVERY)}
        if self.tags:
            b['tags'] = dict(self.tags)
        if self.release_policy:
            b['release_policy'] = dict(self.release_policy)
        return b

    def to_json(self):
        return {'name': self.name, 'version': self.version, 'kty': self.kty,
                'key_ops': self.key_ops, 'material': b64.url_encode(self.export_material()),
                'attributes': self.attributes, 'tags': self.tags,
                'release_policy': self.release_policy}

    @classmethod
    def from_json(cls, d):
        raw = b64.url_decode(d['material'])
        mat = raw if d['kty'].startswith('oct') else \
            serialization.load_der_private_key(raw, None)
        return cls(d['name'], d['version'], d['kty'], d['key_ops'], mat, d['attributes'],
                   d['tags'], d['release_policy'])


class Store:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self.path = os.path.join(directory, 'keys.json')
        self.lock = threading.Lock()
        self.keys = {}
        if os.path.exists(self.path):
            with open(self.path) as f:
                for d in json.load(f):
                    kv = KeyVersion.from_json(d)
                    self.keys.setdefault(kv.name.lower(), []).append(kv)

    def _save(self):
        data = json.dumps([kv.to_json() for vs in self.keys.values() for kv in vs]).encode()
        tmp = self.path + '.tmp'
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, self.path)

    def add(self, kv):
        with self.lock:
            self.keys.setdefault(kv.name.lower(), []).append(kv)
            self._save()

    def get(self, name, version=None):
        with self.lock:
            vs = self.keys.get(name.lower(), [])
            if not vs:
                return None
            if not version:
                return vs[-1]
            for kv in vs:
                if kv.version == version.lower():
                    return kv
            return None

    def delete(self, name):
        with self.lock:
            vs = self.keys.pop(name.lower(), None)
            if vs:
                self._save()
            return vs

    def names(self):
        with self.lock:
            return [vs[-1] for vs in self.keys.values()]


class KeyVault:
    def __init__(self, svc, flavor):
        self.svc = svc
        self.flavor = flavor
        self.resource = RESOURCES[flavor]
        self.store = Store(os.path.join(svc.state, 'kv'))

    # ---- plumbing --------------------------------------------------------
    def vault(self, req):
        return self.svc.instance_url(req)

    def api_version(self, req, skr=False):
        v = req.q('api-version')
        if v is None:
            raise bad('The api-version query parameter (?api-version=) is required for all '
                      'requests.')
        if v not in API_VERSIONS:
            raise bad('The specified version (%s) is not recognized. Consider using the latest '
                      'supported version (%s).' % (v, API_VERSIONS[-1]))
        if skr and v not in SKR_API_VERSIONS:
            raise bad('Secure key release needs api-version 7.3 or later (got %s).' % v)
        return v

    def authorize(self, req):
        """Bearer token from Entra ID (here: the IMDS stand-in) for this
        resource; 401 like Key Vault when it is missing or invalid."""
        challenge = {'WWW-Authenticate':
                     'Bearer authorization="https://login.microsoftonline.com/%s", '
                     'resource="%s"' % (self.svc.cfg.tenant_id, self.resource)}
        auth = req.header('Authorization')
        if not auth:
            raise ApiError(401, 'Unauthorized',
                           'AKV10000: Request is missing a Bearer or PoP token.', challenge)
        scheme, _, token = auth.partition(' ')
        if scheme.lower() != 'bearer' or not token.strip():
            raise ApiError(401, 'Unauthorized',
                           'AKV10001: Authorization header is not a Bearer token.', challenge)
        try:
            _, claims = jose.verify_rs256(token.strip(), self.svc.entra_keys(), 'access token')
        except jose.JoseError as e:
            raise ApiError(401, 'Unauthorized', 'AKV10022: Invalid access token: %s' % e,
                           challenge) from None
        now = time.time()
        if claims.get('iss') != self.svc.entra_issuer():
            raise ApiError(401, 'Unauthorized', 'AKV10032: Invalid issuer. Expected %s, found %s.'
                           % (self.svc.entra_issuer(), claims.get('iss')), challenge)
        if claims.get('aud') not in (self.resource, self.resource + '/'):
            raise ApiError(401, 'Unauthorized', 'AKV10022: Invalid audience. Expected %s, found '
                           '%s.' % (self.resource, claims.get('aud')), challenge)
        if not isinstance(claims.get('exp'), (int, float)) or now > claims['exp'] + CLOCK_SKEW:
            raise ApiError(401, 'Unauthorized', 'AKV10021: The access token expired.', challenge)
        if isinstance(claims.get('nbf'), (int, float)) and now + CLOCK_SKEW < claims['nbf']:
            raise ApiError(401, 'Unauthorized', 'AKV10021: The access token is not yet valid.',
                           challenge)
        if claims.get('oid') not in self.svc.cfg.kv_allowed_oids:
            raise ApiError(403, 'Forbidden', 'Caller (oid %s) is not authorized to perform this '
                           'action on the key vault.' % claims.get('oid'))
        return claims

    def name_of(self, req):
        name = req.params['name']
        if not NAME_RE.match(name):
            raise bad('Key name %r is invalid: 1-127 characters of 0-9, a-z, A-Z and -.' % name)
        return name

    def not_found(self, name, version=None):
        what = name if not version else '%s/%s' % (name, version)
        return ApiError(404, 'KeyNotFound', 'A key with (name/id) %s was not found in this key '
                        '%s.' % (what, 'vault' if self.flavor == 'vault' else 'HSM'))

    # ---- parameters --------------------------------------------------------
    @staticmethod
    def _fields(body, allowed, what):
        unknown = set(body) - set(allowed)
        if unknown:
            raise bad('%s has unknown member(s) %s' % (what, ', '.join(sorted(unknown))))

    def _attributes(self, body):
        a = body.get('attributes', {})
        if not isinstance(a, dict):
            raise bad('attributes must be an object')
        self._fields(a, ('enabled', 'nbf', 'exp', 'exportable'), 'attributes')
        out = {'enabled': a.get('enabled', True)}
        if not isinstance(out['enabled'], bool):
            raise bad('attributes.enabled must be a boolean')
        for k in ('nbf', 'exp'):
            if k in a:
                if isinstance(a[k], bool) or not isinstance(a[k], int):
                    raise bad('attributes.%s must be a unix time' % k)
                out[k] = a[k]
        exportable = a.get('exportable', False)
        if not isinstance(exportable, bool):
            raise bad('attributes.exportable must be a boolean')
        out['exportable'] = exportable
        now = int(time.time())
        out['created'] = out['updated'] = now
        return out

    def _release_policy(self, body, attrs, api_version):
        rp = body.get('release_policy')
        if rp is None:
            if attrs['exportable']:
                raise bad('Exportable keys must have release policy')
            return None
        if api_version not in SKR_API_VERSIONS:
            raise bad('release_policy needs api-version 7.3 or later')
        if not attrs['exportable']:
            raise bad('AKV.SKR.1005: Non-exportable keys must not have release policy')
        if not isinstance(rp, dict):
            raise bad('release_policy must be an object {contentType, data, immutable}')
        self._fields(rp, ('contentType', 'data', 'immutable'), 'release_policy')
        ctype = rp.get('contentType', 'application/json; charset=utf-8')
        if not isinstance(ctype, str) or ctype.split(';')[0].strip().lower() != 'application/json':
            raise bad('release_policy.contentType %r is not application/json' % ctype)
        immutable = rp.get('immutable', False)
        if not isinstance(immutable, bool):
            raise bad('release_policy.immutable must be a boolean')
        try:
            data = b64.url_decode(rp.get('data'), 'release_policy.data')
            policy.parse(data)
        except (b64.DecodeError, policy.PolicyError) as e:
            raise bad('Invalid release policy: %s' % e) from None
        return {'contentType': ctype, 'data': b64.url_encode(data), 'immutable': immutable}

    def _kty(self, kty, hsm, importing=False):
        base = kty.replace('-HSM', '')
        if base not in ('RSA', 'EC', 'oct'):
            raise bad('Key type %r is not supported' % kty)
        hsm = hsm or kty.endswith('-HSM')
        if self.flavor == 'vault' and base == 'oct':
            raise bad('Key type %s is not supported by Key Vault (use a Managed HSM for '
                      'symmetric keys)' % kty)
        if self.flavor == 'mhsm':
            # create names the HSM type; an imported JWK has a plain kty and
            # every Managed HSM key is an HSM key
            if kty in ('RSA', 'EC', 'oct') and not hsm and not importing:
                raise bad('Managed HSM keys are HSM keys: use %s-HSM' % base)
            hsm = True
        return base + ('-HSM' if hsm else '')

    @staticmethod
    def _key_ops(ops, kty):
        if ops is None:
            return {'RSA': ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'],
                    'EC': ['sign', 'verify'],
                    'oct': ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']}[kty]
        if not isinstance(ops, list) or any(o not in KEY_OPS for o in ops):
            raise bad('key_ops must be a list of %s' % ', '.join(KEY_OPS))
        return list(ops)

    def _finish(self, req, name, kty, ops, material, attrs, tags, rp):
        if attrs['exportable'] and not kty.endswith('-HSM'):
            raise bad('Exportable keys must be HSM-protected (kty %s-HSM)' % kty)
        if tags is not None and (not isinstance(tags, dict)
                                 or not all(isinstance(v, str) for v in tags.values())):
            raise bad('tags must be an object of strings')
        kv = KeyVersion(name, uuid.uuid4().hex, kty, ops, material, attrs, tags or {}, rp)
        self.store.add(kv)
        return Response(200, kv.bundle(self.vault(req)))

    # ---- operations ----------------------------------------------------------
    def create(self, req):
        v = self.api_version(req)
        self.authorize(req)
        name = self.name_of(req)
        body = req.json()
        self._fields(body, ('kty', 'key_size', 'public_exponent', 'key_ops', 'attributes',
                            'tags', 'crv', 'release_policy'), 'KeyCreateParameters')
        if not isinstance(body.get('kty'), str):
            raise bad('kty is required')
        kty = self._kty(body['kty'], False)
        base = kty.replace('-HSM', '')
        size = body.get('key_size')
        if base == 'RSA':
            size = 2048 if size is None else size
            if size not in (2048, 3072, 4096):
                raise bad('RSA key_size must be 2048, 3072 or 4096')
            exp = body.get('public_exponent', 65537)
            if exp != 65537:
                raise bad('public_exponent must be 65537')
            material = rsa.generate_private_key(public_exponent=65537, key_size=size)
        elif base == 'EC':
            crv = body.get('crv', 'P-256')
            if crv not in CURVES:
                raise bad('crv must be one of %s' % ', '.join(CURVES))
            material = ec.generate_private_key(CURVES[crv]())
        else:
            size = 256 if size is None else size
            if size not in (128, 192, 256):
                raise bad('oct key_size must be 128, 192 or 256')
            material = os.urandom(size // 8)
        attrs = self._attributes(body)
        rp = self._release_policy(body, attrs, v)
        return self._finish(req, name, kty, self._key_ops(body.get('key_ops'), base), material,
                            attrs, body.get('tags'), rp)

    def import_(self, req):
        v = self.api_version(req)
        self.authorize(req)
        name = self.name_of(req)
        body = req.json()
        hsm_keys = [k for k in ('Hsm', 'hsm') if k in body]
        self._fields(body, ('Hsm', 'hsm', 'key', 'attributes', 'tags', 'release_policy'),
                     'KeyImportParameters')
        hsm = body[hsm_keys[0]] if hsm_keys else False
        if not isinstance(hsm, bool):
            raise bad('Hsm must be a boolean')
        jwk = body.get('key')
        if not isinstance(jwk, dict) or not isinstance(jwk.get('kty'), str):
            raise bad('key (a JSON web key with its private part) is required')
        if 'key_hsm' in jwk:
            raise bad('BYOK (key_hsm) import is not supported by this local service')
        if jwk['kty'].endswith('-HSM'):
            raise bad('key.kty %s: an imported JWK has kty RSA, EC or oct (set "hsm": true '
                      'for an HSM key)' % jwk['kty'])
        kty = self._kty(jwk['kty'], hsm, importing=True)
        base = kty.replace('-HSM', '')
        material = self._jwk_private(jwk, base)
        attrs = self._attributes(body)
        rp = self._release_policy(body, attrs, v)
        return self._finish(req, name, kty, self._key_ops(jwk.get('key_ops'), base), material,
                            attrs, body.get('tags'), rp)

    @staticmethod
    def _jwk_private(jwk, base):
        allowed = {'RSA': ('kty', 'kid', 'key_ops', 'n', 'e', 'd', 'dp', 'dq', 'qi', 'p', 'q'),
                   'EC': ('kty', 'kid', 'key_ops', 'crv', 'x', 'y', 'd'),
                   'oct': ('kty', 'kid', 'key_ops', 'k')}[base]
        KeyVault._fields(jwk, allowed, 'key')

        def n(field):
            try:
                return int.from_bytes(b64.url_decode(jwk.get(field), 'key.' + field), 'big')
            except b64.DecodeError as e:
                raise bad(str(e)) from None
        try:
            if base == 'oct':
                k = b64.url_decode(jwk.get('k'), 'key.k')
                if len(k) not in (16, 24, 32):
                    raise bad('key.k must be 128, 192 or 256 bits')
                return k
            if base == 'RSA':
                p, q = n('p'), n('q')
                pub = rsa.RSAPublicNumbers(n('e'), n('n'))
                if p * q != pub.n:
                    raise bad('key: n != p * q')
                return rsa.RSAPrivateNumbers(p, q, n('d'), n('dp'), n('dq'), n('qi'),
                                             pub).private_key()
            crv = jwk.get('crv')
            if crv not in CURVES:
                raise bad('key.crv must be one of %s' % ', '.join(CURVES))
            key = ec.derive_private_key(n('d'), CURVES[crv]())
            pn = key.public_key().public_numbers()
            if (pn.x, pn.y) != (n('x'), n('y')):
                raise bad('key: x, y are not the public point of d')
            return key
        except (ValueError, b64.DecodeError) as e:
            raise bad('key is not a valid private %s JWK: %s' % (base, e)) from None

    def get(self, req):
        self.api_version(req)
        self.authorize(req)
        name = self.name_of(req)
        kv = self.store.get(name, req.params.get('version'))
        if kv is None:
            raise self.not_found(name, req.params.get('version'))
        return Response(200, kv.bundle(self.vault(req)))

    def list(self, req):
        self.api_version(req)
        self.authorize(req)
        vault = self.vault(req)
        items = [{'kid': '%s/keys/%s' % (vault, kv.name),
                  'attributes': dict(kv.attributes, **RECOVERY)} for kv in self.store.names()]
        return Response(200, {'value': items, 'nextLink': None})

    def delete(self, req):
        self.api_version(req)
        self.authorize(req)
        name = self.name_of(req)
        vs = self.store.delete(name)
        if not vs:
            raise self.not_found(name)
        b = vs[-1].bundle(self.vault(req))
        b['deletedDate'] = int(time.time())
        return Response(200, b)

    # ---- secure key release ------------------------------------------------
    def release(self, req):
        api_version = self.api_version(req, skr=True)
        self.authorize(req)
        name = self.name_of(req)
        version = req.params.get('version')
        body = req.json()
        self._fields(body, ('target', 'nonce', 'enc'), 'KeyReleaseParameters')
        target = body.get('target')
        if not isinstance(target, str) or not target:
            raise bad('target (the attestation token) is required')
        enc = body.get('enc', DEFAULT_ENC)
        if enc not in ENC_HASH:
            raise bad('enc must be one of %s' % ', '.join(ENC_HASH))
        nonce = body.get('nonce')
        if nonce is not None and not isinstance(nonce, str):
            raise bad('nonce must be a string')
        kv = self.store.get(name, version)
        if kv is None:
            raise self.not_found(name, version)
        now = time.time()
        if not kv.attributes.get('exportable') or kv.policy is None:
            raise ApiError(403, 'Forbidden', 'Key %s is not exportable: it has no release '
                           'policy.' % name)
        if not kv.attributes.get('enabled', True):
            raise ApiError(403, 'Forbidden', 'Operation release is not allowed on a disabled '
                           'key.')
        if 'exp' in kv.attributes and now > kv.attributes['exp']:
            raise ApiError(403, 'Forbidden', 'Operation release is not allowed on an expired '
                           'key.')
        if 'nbf' in kv.attributes and now < kv.attributes['nbf']:
            raise ApiError(403, 'Forbidden', 'Operation release is not allowed on a key that '
                           'is not yet valid.')
        claims = self.svc.verify_attestation_token(target, kv.policy)
        reasons = policy.evaluate(kv.policy, claims, claims['iss'])
        if req.fault == 'policy-mismatch':
            reasons = ['injected fault: the release policy is not satisfied']
        if reasons:
            raise ApiError(403, 'Forbidden', 'Target environment attestation statement does not '
                           'satisfy the key release policy: %s' % '; '.join(reasons))
        transfer = self._transfer_key(claims)
        key_hsm = self._wrap(kv, transfer, enc)
        vault = self.vault(req)
        jwk = dict(kv.public_jwk(), kid='%s/keys/%s/%s' % (vault, kv.name, kv.version),
                   key_hsm=key_hsm)
        request = {'api-version': api_version, 'enc': enc,
                   'kid': '%s/keys/%s%s' % (vault, name, '/' + version if version else '')}
        if nonce is not None:
            request['nonce'] = nonce
        payload = {'request': request,
                   'response': {'key': {'key': jwk,
                                        'attributes': dict(kv.attributes, **RECOVERY),
                                        'tags': dict(kv.tags),
                                        'release_policy': {
                                            'data': kv.release_policy['data'],
                                            'immutable': kv.release_policy['immutable']}}}}
        return Response(200, {'value': self._jws(payload, req.fault == 'bad-signature')})

    @staticmethod
    def _transfer_key(claims):
        """The first x-ms-runtime.keys entry usable for encryption (AKV takes
        the first with key_ops "encrypt" or use "enc" -- DOC-SKRVM)."""
        rt = claims.get('x-ms-runtime')
        keys = rt.get('keys') if isinstance(rt, dict) else None
        for k in keys if isinstance(keys, list) else []:
            if not isinstance(k, dict):
                continue
            ops = k.get('key_ops')
            if (isinstance(ops, list) and 'encrypt' in ops) or k.get('use') == 'enc':
                try:
                    pub = jose.rsa_public_from_jwk(k, 'transfer key')
                except jose.JoseError as e:
                    raise bad('the attestation token\'s transfer key is unusable: %s' % e) \
                        from None
                if pub.key_size < 2048:
                    raise bad('the attestation token\'s transfer key is shorter than 2048 bits')
                return k.get('kid', ''), pub
        raise bad('the attestation token has no key with key_ops "encrypt" in x-ms-runtime.keys '
                  'to wrap the released key to')

    @staticmethod
    def _wrap(kv, transfer, enc):
        """CKM_RSA_AES_KEY_WRAP: RSA-OAEP(transfer key, ephemeral AES-256 key)
        || AES-KWP (RFC 5649) of the key material; OAEP and MGF1 hash per enc."""
        kid, pub = transfer
        aes = os.urandom(32)
        h = ENC_HASH[enc]
        wrapped = pub.encrypt(aes, padding.OAEP(mgf=padding.MGF1(h()), algorithm=h(), label=None))
        ct = wrapped + aes_key_wrap_with_padding(aes, kv.export_material())
        blob = {'schema_version': '1.0',
                'header': {'kid': kid, 'alg': 'dir', 'enc': enc},
                'ciphertext': b64.url_encode(ct)}
        return b64.url_encode(json.dumps(blob).encode())

    def _jws(self, payload, corrupt):
        pki = self.svc.pki
        leaf = x509util.der_of(pki.kv_sign)
        header = {'alg': 'RS256', 'typ': 'JWT',
                  'kid': b64.url_encode(hashlib.sha256(leaf).digest()),
                  'x5t': b64.url_encode(hashlib.sha1(leaf).digest()),
                  'x5t#S256': b64.url_encode(hashlib.sha256(leaf).digest()),
                  'x5c': [b64.std_encode(leaf), b64.std_encode(x509util.der_of(pki.kv_ca))]}
        return jose.sign_rs256(header, payload, pki.kv_sign_key, corrupt=corrupt)


def routes(app, kv):
    app.route('GET', r'/keys', 'kv.list', kv.list)
    app.route('POST', r'/keys/(?P<name>[^/]+)/create', 'kv.create', kv.create)
    app.route('POST', r'/keys/(?P<name>[^/]+)(?:/(?P<version>[^/]+))?/release', 'kv.release',
              kv.release)
    app.route('PUT', r'/keys/(?P<name>[^/]+)', 'kv.import', kv.import_)
    app.route('DELETE', r'/keys/(?P<name>[^/]+)', 'kv.delete', kv.delete)
    app.route('GET', r'/keys/(?P<name>[^/]+)(?:/(?P<version>[^/]*))?', 'kv.get', kv.get)
