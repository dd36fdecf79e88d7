"""MAA metadata: /certs (JWKS with x5c), OpenID configuration, and the
instance URL taken from the Host the client used."""
import base64
import hashlib
import json

import svctest
from svctest import SIM
from azsvc import client, jose


class MetadataTest(svctest.ServiceTest):
    def test_certs(self):
        status, hdrs, data = client.request(self.ready['attest_url'] + '/certs',
                                            ca=self.ready['ca_bundle'])
        self.assertEqual(status, 200)
        self.assertEqual(hdrs['content-type'], 'application/jwk+json')
        keys = json.loads(data)['keys']
        self.assertEqual(len(keys), 1)
        k = keys[0]
        self.assertEqual((k['kty'], k['alg'], k['use']), ('RSA', 'RS256', 'sig'))
        der = base64.b64decode(k['x5c'][0], validate=True)          # standard base64
        self.assertEqual(k['kid'], base64.b64encode(hashlib.sha256(der).digest()).decode())
        # api-version is optional here (jku has none) but checked when given
        client.call(self.ready['attest_url'] + '/certs?api-version=2025-06-01',
                    ca=self.ready['ca_bundle'])
        self.assertHttpError(400, client.call, self.ready['attest_url'] +
                             '/certs?api-version=1999-01-01', ca=self.ready['ca_bundle'])

    def test_openid_configuration(self):
        r = client.call(self.ready['attest_url'] + '/.well-known/openid-configuration',
                        ca=self.ready['ca_bundle'])
        self.assertEqual(r['issuer'], self.ready['attest_url'])
        self.assertEqual(r['jwks_uri'], self.ready['attest_url'] + '/certs')
        self.assertEqual(r['id_token_signing_alg_values_supported'], ['RS256'])

    def test_issuer_follows_host(self):
        """iss and jku name the instance as the client did (localhost vs
        127.0.0.1), as with a real MAA instance reached by its name."""
        port = self.ready['ports']['attest']
        local = client.Client(dict(self.ready, attest_url='https://localhost:%d' % port))
        body = client.snp_request(SIM, self.c, client.runtime_claims(client.new_transfer_key()))
        token = local.attest('SevSnpVm', body)
        header, claims, _, _ = jose.split(token)
        self.assertEqual(claims['iss'], 'https://localhost:%d' % port)
        self.assertEqual(header['jku'], 'https://localhost:%d/certs' % port)
        local.verify_token(token)
        with self.assertRaises(jose.JoseError):
            self.c.verify_token(token)      # pinned to https://127.0.0.1:port: refused

    def test_unknown_host_refused(self):
        status, _, data = client.request(self.ready['attest_url'] + '/certs',
                                         headers={'Host': 'evil.example'},
                                         ca=self.ready['ca_bundle'])
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)['error']['code'], 'InvalidHostName')

    def test_tls(self):
        import ssl
        import urllib.error
        import urllib.request
        with self.assertRaises((ssl.SSLError, urllib.error.URLError)):
            urllib.request.urlopen(self.ready['attest_url'] + '/certs', timeout=5,
                                   context=ssl.create_default_context())
        ctx = ssl.create_default_context(cafile=self.ready['ca_bundle'])
        ctx.check_hostname = True
        for host in ('127.0.0.1', 'localhost'):
            url = 'https://%s:%d/certs' % (host, self.ready['ports']['attest'])
            with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
                self.assertEqual(r.status, 200)
        # the TLS certificate names the guest's view of the host too
        from cryptography import x509
        import ipaddress
        cert = x509.load_pem_x509_certificate(svctest.readfile(self.ready['state'], 'pki',
                                                               'tls.pem'))
        ips = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
            .get_values_for_type(x509.IPAddress)
        self.assertIn(ipaddress.ip_address('10.0.2.2'), ips)

    def test_other_attestation_types(self):
        for kind in ('SgxEnclave', 'OpenEnclave', 'Tpm'):
            self.assertHttpError(400, self.c.attest, kind, {})
        self.assertHttpError(404, self.c.attest, 'Nope', {})
        self.assertHttpError(405, client.call, self.ready['attest_url'] + '/certs', 'POST', {},
                             ca=self.ready['ca_bundle'])

