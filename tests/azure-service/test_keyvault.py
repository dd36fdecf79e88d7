"""Key Vault / Managed HSM: key creation with release policies, bearer
authentication, and secure key release against real attestation tokens."""
import json
import os
import unittest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import svctest
from svctest import SIM
from azsvc import b64, client, jose


class KeyVaultTest(svctest.ServiceTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tk = client.new_transfer_key()
        cls.runtime = client.runtime_claims(cls.tk)
        cls.token = cls.c.attest('SevSnpVm', client.snp_request(SIM, cls.c, cls.runtime))
        cls.debug_token = cls.c.attest('SevSnpVm',
                                       client.snp_request(SIM, cls.c, cls.runtime, '--debug'))
        cls.n = 0

    def name(self):
        KeyVaultTest.n += 1
        return 'k%d-%s' % (KeyVaultTest.n, os.urandom(3).hex())

    def cvm_policy(self, authority=None):
        return self.policy_bytes([
            {'claim': 'x-ms-attestation-type', 'equals': 'sevsnpvm'},
            {'claim': 'x-ms-sevsnpvm-is-debuggable', 'equals': False},
            {'claim': 'x-ms-compliance-status', 'equals': 'azure-compliant-cvm'}], authority)

    def import_oct(self, name=None, pol=None):
        name = name or self.name()
        k = os.urandom(32)
        self.c.import_key(name, {'kty': 'oct', 'k': b64.url_encode(k)}, pol or self.cvm_policy())
        return name, k

    def release_payload(self, path, token, **kw):
        return client.release_payload(self.c.release(path, token, **kw), self.ca_cert())

    # ---- happy paths -----------------------------------------------------
    def test_release_oct_each_enc(self):
        name, k = self.import_oct()
        for enc in ('CKM_RSA_AES_KEY_WRAP', 'RSA_AES_KEY_WRAP_256', 'RSA_AES_KEY_WRAP_384', None):
            with self.subTest(enc=enc):
                p = self.release_payload('/keys/' + name, self.token, enc=enc)
                key = p['response']['key']['key']
                blob = json.loads(b64.url_decode(key['key_hsm']))
                self.assertEqual(blob['header'], {'kid': 'TransferKey', 'alg': 'dir',
                                                  'enc': enc or 'CKM_RSA_AES_KEY_WRAP'})
                self.assertEqual(client.unwrap_key_hsm(key['key_hsm'], self.tk), k)
                self.assertEqual(key['kty'], 'oct-HSM')
                self.assertEqual(p['request']['enc'], enc or 'CKM_RSA_AES_KEY_WRAP')
                self.assertTrue(p['response']['key']['attributes']['exportable'])
                self.assertEqual(b64.url_decode(p['response']['key']['release_policy']['data']),
                                 self.cvm_policy())

    def test_release_by_version_and_nonce(self):
        name, k = self.import_oct()
        _, k2 = self.import_oct(name)             # a second version
        kid = self.c.kv('/keys/' + name)['key']['kid']
        version = kid.rsplit('/', 1)[1]
        p = self.release_payload('/keys/%s/%s' % (name, version), self.token, nonce='abc')
        self.assertEqual(client.unwrap_key_hsm(p['response']['key']['key']['key_hsm'], self.tk),
                         k2)
        self.assertEqual(p['request']['nonce'], 'abc')
        self.assertTrue(p['response']['key']['key']['kid'].endswith(version))
        self.assertNotEqual(k, k2)

    def test_release_rsa_and_ec_as_pkcs8(self):
        for jwk_args in ({'rsa_size': 2048, 'ec_curve': None, 'oct_size': None},
                         {'rsa_size': None, 'ec_curve': 'P-384', 'oct_size': None}):
            from azsvc import admin

            class A:
                pass
            a = A()
            a.__dict__.update(jwk_args)
            jwk, der = admin._material(a)
            name = self.name()
            bundle = self.c.import_key(name, jwk, self.cvm_policy())
            self.assertEqual(bundle['key']['kty'], jwk['kty'] + '-HSM')
            self.assertNotIn('d', bundle['key'])
            p = self.release_payload('/keys/' + name, self.token, enc='RSA_AES_KEY_WRAP_256')
            got = client.unwrap_key_hsm(p['response']['key']['key']['key_hsm'], self.tk)
            self.assertEqual(got, der)
            serialization.load_der_private_key(got, None)

    def test_server_side_create_and_release(self):
        name = self.name()
        body = {'kty': 'oct-HSM', 'key_size': 256, 'attributes': {'exportable': True},
                'release_policy': {'data': b64.url_encode(self.cvm_policy())}}
        bundle = self.c.kv('/keys/%s/create' % name, 'POST', body)
        self.assertEqual(bundle['key']['kty'], 'oct-HSM')
        self.assertNotIn('k', bundle['key'])
        p = self.release_payload('/keys/' + name, self.token)
        self.assertEqual(len(client.unwrap_key_hsm(p['response']['key']['key']['key_hsm'],
                                                   self.tk)), 32)
        bundle = self.c.kv('/keys/%s/create' % name, 'POST',
                           {'kty': 'EC-HSM', 'crv': 'P-256', 'attributes': {'exportable': True},
                            'release_policy': {'data': b64.url_encode(self.cvm_policy())}})
        self.assertEqual(bundle['key']['crv'], 'P-256')

    def test_release_jws_shape(self):
        name, _ = self.import_oct()
        jws = self.c.release('/keys/' + name, self.token)
        header, _, _, _ = jose.split(jws)
        self.assertEqual(header['alg'], 'RS256')
        self.assertEqual(len(header['x5c']), 2)
        for k in ('kid', 'x5t', 'x5t#S256'):
            self.assertIn(k, header)
        client.release_payload(jws, self.ca_cert())     # verifies to the TEST CA

    # ---- policy ----------------------------------------------------------------
    def test_debug_guest_refused(self):
        name, _ = self.import_oct()
        e = self.assertHttpError(403, self.c.release, '/keys/' + name, self.debug_token)
        msg = self.error_message(e)
        self.assertIn('x-ms-sevsnpvm-is-debuggable', msg)
        self.assertIn('x-ms-compliance-status', msg)

    def test_authority_mismatch(self):
        name, _ = self.import_oct(pol=self.cvm_policy('https://sharedeus.eus.attest.azure.net'))
        e = self.assertHttpError(403, self.c.release, '/keys/' + name, self.token)
        self.assertIn('matches no authority', self.error_message(e))

    def test_measurement_pinned(self):
        claims = self.c.verify_token(self.token)
        good = self.policy_bytes([{'claim': 'x-ms-sevsnpvm-launchmeasurement',
                                   'equals': claims['x-ms-sevsnpvm-launchmeasurement']}])
        bad = self.policy_bytes([{'claim': 'x-ms-sevsnpvm-launchmeasurement', 'equals': '00' * 48}])
        name, _ = self.import_oct(pol=good)
        self.c.release('/keys/' + name, self.token)
        name, _ = self.import_oct(pol=bad)
        e = self.assertHttpError(403, self.c.release, '/keys/' + name, self.token)
        self.assertIn('x-ms-sevsnpvm-launchmeasurement', self.error_message(e))

    def test_guest_flow_policy_against_platform_token(self):
        pol = self.policy_bytes([{'claim': 'x-ms-isolation-tee.x-ms-attestation-type',
                                  'equals': 'sevsnpvm'}])
        name, _ = self.import_oct(pol=pol)
        e = self.assertHttpError(403, self.c.release, '/keys/' + name, self.token)
        self.assertIn('absent', self.error_message(e))

    # ---- the token ----------------------------------------------------------------
    def test_bad_targets(self):
        name, _ = self.import_oct()
        parts = self.token.split('.')
        sig = bytearray(b64.url_decode(parts[2]))
        sig[0] ^= 1
        forged_sig = '.'.join(parts[:2] + [b64.url_encode(bytes(sig))])
        claims = json.loads(b64.url_decode(parts[1]))
        claims['x-ms-sevsnpvm-is-debuggable'] = False
        forged_claims = parts[0] + '.' + b64.url_encode(json.dumps(claims).encode()) + '.' + \
            parts[2]
        for what, target in (('signature', forged_sig), ('claims', forged_claims),
                             ('garbage', 'abc'), ('empty', '')):
            with self.subTest(what):
                self.assertHttpError(400, self.c.release, '/keys/' + name, target)

    def test_token_signed_by_another_key(self):
        """A well-formed token with the right iss and kid, signed by an
        attacker's key."""
        name, _ = self.import_oct()
        header, payload, _, _ = jose.split(self.token)
        forged = jose.sign_rs256(header, payload, client.new_transfer_key())
        e = self.assertHttpError(400, self.c.release, '/keys/' + name, forged)
        self.assertIn('signature', self.error_message(e))

    def test_no_transfer_key(self):
        runtime = json.dumps({'keys': [{'kid': 'x', 'kty': 'RSA', 'key_ops': ['sign'],
                                        'n': 'AQAB', 'e': 'AQAB'}]}).encode()
        token = self.c.attest('SevSnpVm', client.snp_request(SIM, self.c, runtime))
        name, _ = self.import_oct()
        e = self.assertHttpError(400, self.c.release, '/keys/' + name, token)
        self.assertIn('key_ops "encrypt"', self.error_message(e))

    # ---- errors and validation -------------------------------------------------------
    def test_unknown_key(self):
        e = self.assertHttpError(404, self.c.release, '/keys/nosuchkey', self.token)
        self.assertEqual(e.json['error']['code'], 'KeyNotFound')
        self.assertHttpError(404, self.c.kv, '/keys/nosuchkey')
        name, _ = self.import_oct()
        self.assertHttpError(404, self.c.kv, '/keys/%s/%s' % (name, '0' * 32))

    def test_release_request_validation(self):
        name, _ = self.import_oct()
        self.assertHttpError(400, self.c.release, '/keys/' + name, self.token, enc='A256KW')
        self.assertHttpError(400, self.c.release, '/keys/' + name, self.token, api='7.2')
        self.assertHttpError(400, self.c.release, '/keys/' + name, self.token, api='7.9')
        self.assertHttpError(400, self.c.kv, '/keys/%s/release' % name, 'POST',
                             {'target': self.token, 'extra': 1})
        self.assertHttpError(400, self.c.kv, '/keys/%s/release' % name, 'POST', {})

    def test_non_exportable_key(self):
        name = self.name()
        self.c.import_key(name, {'kty': 'oct', 'k': b64.url_encode(os.urandom(32))}, None,
                          exportable=False)
        self.assertHttpError(403, self.c.release, '/keys/' + name, self.token)

    def test_create_validation(self):
        k = {'kty': 'oct', 'k': b64.url_encode(os.urandom(32))}
        cases = {
            'exportable without policy': lambda n: self.c.import_key(n, k, None),
            'policy without exportable': lambda n: self.c.import_key(n, k, self.cvm_policy(),
                                                                     exportable=False),
            'invalid policy': lambda n: self.c.import_key(n, k, b'{"anyOf": []}'),
            'policy not JSON': lambda n: self.c.import_key(n, k, b'not json'),
            'bad name': lambda n: self.c.import_key('bad_name!', k, self.cvm_policy()),
            'short oct': lambda n: self.c.import_key(n, {'kty': 'oct', 'k': 'AAAA'},
                                                     self.cvm_policy()),
            'rsa n != p*q': lambda n: self.c.import_key(n, {
                'kty': 'RSA', 'n': 'AQAB', 'e': 'AQAB', 'd': 'AQAB', 'p': 'Aw', 'q': 'Aw',
                'dp': 'AQ', 'dq': 'AQ', 'qi': 'AQ'}, self.cvm_policy()),
            'software exportable key': lambda n: self.c.kv('/keys/%s/create' % n, 'POST', {
                'kty': 'RSA', 'attributes': {'exportable': True},
                'release_policy': {'data': b64.url_encode(self.cvm_policy())}}),
            'unknown kty': lambda n: self.c.kv('/keys/%s/create' % n, 'POST', {'kty': 'AES'}),
            'unknown member': lambda n: self.c.kv('/keys/%s/create' % n, 'POST',
                                                  {'kty': 'oct-HSM', 'size': 256}),
            'skr on 7.2': lambda n: self.c.kv('/keys/%s/create' % n, 'POST', {
                'kty': 'oct-HSM', 'attributes': {'exportable': True},
                'release_policy': {'data': b64.url_encode(self.cvm_policy())}}, api='7.2'),
        }
        for what, fn in cases.items():
            with self.subTest(what):
                self.assertHttpError(400, fn, self.name())
        e = self.assertHttpError(400, self.c.import_key, self.name(), k, None)
        self.assertIn('Exportable keys must have release policy', self.error_message(e))

    # ---- authentication ---------------------------------------------------------------
    def test_bearer_required(self):
        name, _ = self.import_oct()
        url = '%s/keys/%s?api-version=7.4' % (self.ready['kv_url'], name)
        status, hdrs, data = client.request(url, ca=self.ready['ca_bundle'])
        self.assertEqual(status, 401)
        self.assertIn('Bearer authorization="https://login.microsoftonline.com/',
                      hdrs['www-authenticate'])
        self.assertIn('resource="https://managedhsm.azure.net"', hdrs['www-authenticate'])
        self.assertEqual(json.loads(data)['error']['code'], 'Unauthorized')
        for auth in ('Bearer', 'Basic abc', 'Bearer abc.def.ghi',
                     'Bearer ' + self.token):                      # an MAA token is no bearer
            with self.subTest(auth):
                status, _, _ = client.request(url, headers={'Authorization': auth},
                                              ca=self.ready['ca_bundle'])
                self.assertEqual(status, 401)

    def test_wrong_audience(self):
        token = self.c.token('https://vault.azure.net')
        e = self.assertHttpError(401, self.c.kv, '/keys', token=token)
        self.assertIn('audience', self.error_message(e))

    def test_other_identity_forbidden(self):
        header, claims, _, _ = jose.split(self.c.token())
        claims['oid'] = '00000000-0000-0000-0000-000000000001'
        # signed with the real Entra test key: a valid token of another identity
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        key = load_pem_private_key(svctest.readfile(self.ready['state'], 'pki',
                                                    'entra-signing.key'), None)
        self.assertHttpError(403, self.c.kv, '/keys', token=jose.sign_rs256(header, claims, key))

    def test_list_get_delete(self):
        name, _ = self.import_oct()
        self.assertIn(name, [i['kid'].rsplit('/', 1)[1] for i in self.c.kv('/keys')['value']])
        b = self.c.kv('/keys/' + name)
        self.assertTrue(b['key']['kid'].startswith(self.ready['kv_url'] + '/keys/' + name + '/'))
        self.c.kv('/keys/' + name, 'DELETE')
        self.assertHttpError(404, self.c.kv, '/keys/' + name)

    def test_keys_survive_restart(self):
        """The state dir keeps keys (the demo may restart the service)."""
        import socket
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        name, k = self.import_oct(pol=self.cvm_policy('https://127.0.0.1:%d' % port))
        svc2 = svctest.Service('--port-attest', str(port), state=self.svc.state)
        try:
            c2 = svc2.client
            token = c2.attest('SevSnpVm', client.snp_request(SIM, c2, self.runtime))
            p = client.release_payload(c2.release('/keys/' + name, token), self.ca_cert())
            self.assertEqual(client.unwrap_key_hsm(p['response']['key']['key']['key_hsm'],
                                                   self.tk), k)
        finally:
            svc2.stop()


class VaultFlavorTest(svctest.ServiceTest):
    """--kv-flavor vault: Key Vault Premium (audience vault.azure.net, no
    symmetric keys)."""
    service_args = ('--kv-flavor', 'vault')

    def test_vault_rules(self):
        self.assertEqual(self.ready['kv_resource'], 'https://vault.azure.net')
        pol = self.policy_bytes([{'claim': 'x-ms-attestation-type', 'equals': 'sevsnpvm'}])
        e = self.assertHttpError(400, self.c.import_key, 'oct1',
                                 {'kty': 'oct', 'k': b64.url_encode(os.urandom(32))}, pol)
        self.assertIn('Managed HSM', self.error_message(e))
        key = ec.generate_private_key(ec.SECP256R1())
        pn = key.public_key().public_numbers()
        jwk = {'kty': 'EC', 'crv': 'P-256', 'x': b64.url_encode(pn.x.to_bytes(32, 'big')),
               'y': b64.url_encode(pn.y.to_bytes(32, 'big')),
               'd': b64.url_encode(key.private_numbers().private_value.to_bytes(32, 'big'))}
        self.assertHttpError(400, self.c.import_key, 'ec1', jwk, pol, hsm=False)
        b = self.c.import_key('ec1', jwk, pol, hsm=True)
        self.assertEqual(b['key']['kty'], 'EC-HSM')
        self.assertHttpError(401, self.c.kv, '/keys', token=self.c.token(
            'https://managedhsm.azure.net'))
        tk = client.new_transfer_key()
        token = self.c.attest('SevSnpVm', client.snp_request(SIM, self.c,
                                                             client.runtime_claims(tk)))
        p = client.release_payload(self.c.release('/keys/ec1', token), self.ca_cert())
        got = client.unwrap_key_hsm(p['response']['key']['key']['key_hsm'], tk)
        self.assertEqual(serialization.load_der_private_key(got, None).private_numbers(),
                         key.private_numbers())


if __name__ == '__main__':
    unittest.main()
