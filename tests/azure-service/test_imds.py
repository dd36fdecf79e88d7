"""IMDS: managed-identity tokens, THIM certification (Metadata: true)."""
import time
import urllib.parse

import svctest
from svctest import SIM
from azsvc import client, evidence, jose, x509util


class ImdsTest(svctest.ServiceTest):
    def url(self, **q):
        base = {'api-version': '2018-02-01', 'resource': 'https://vault.azure.net'}
        base.update(q)
        base = {k: v for k, v in base.items() if v is not None}
        return self.ready['imds_url'] + '/metadata/identity/oauth2/token?' + \
            urllib.parse.urlencode(base)

    def test_token(self):
        r = client.call(self.url(), headers={'Metadata': 'true'})
        self.assertEqual(r['token_type'], 'Bearer')
        self.assertEqual(r['resource'], 'https://vault.azure.net')
        for k in ('expires_in', 'expires_on', 'not_before'):
            self.assertIsInstance(r[k], str)       # IMDS sends these as strings
        self.assertGreater(int(r['expires_on']), time.time() + 3600)
        _, claims, _, _ = jose.split(r['access_token'])
        self.assertEqual(claims['aud'], 'https://vault.azure.net')
        self.assertEqual(claims['oid'], self.ready['mi_object_id'])
        self.assertEqual(claims['iss'], 'https://sts.windows.net/%s/' % self.ready['tenant_id'])
        client.call(self.url(resource='https://managedhsm.azure.net/'),
                    headers={'Metadata': 'True'})

    def test_metadata_header_required(self):
        for headers in ({}, {'Metadata': 'false'}, {'Metadata': 'true', 'X-Forwarded-For': 'x'}):
            with self.subTest(headers=headers):
                e = self.assertHttpError(400, client.call, self.url(), headers=headers)
                self.assertEqual(e.json['error'], 'invalid_request')
        e = self.assertHttpError(400, client.call, self.ready['imds_url']
                                 + '/metadata/THIM/amd/certification')
        self.assertIn('metadata header', e.json['error_description'])

    def test_parameters(self):
        h = {'Metadata': 'true'}
        self.assertHttpError(400, client.call, self.url(**{'api-version': None}), headers=h)
        self.assertHttpError(400, client.call, self.url(**{'api-version': '2017-01-01'}),
                             headers=h)
        self.assertHttpError(400, client.call, self.url(resource=None), headers=h)
        e = self.assertHttpError(400, client.call, self.url(resource='https://example.com'),
                                 headers=h)
        self.assertEqual(e.json['error'], 'invalid_resource')
        client.call(self.url(client_id=self.ready['mi_client_id']), headers=h)
        client.call(self.url(object_id=self.ready['mi_object_id']), headers=h)
        e = self.assertHttpError(400, client.call, self.url(client_id='0' * 8), headers=h)
        self.assertIn('Identity not found', e.json['error_description'])
        self.assertHttpError(400, client.call, self.url(client_id=self.ready['mi_client_id'],
                                                        object_id=self.ready['mi_object_id']),
                             headers=h)

    def test_thim(self):
        t = self.c.thim()
        self.assertEqual(set(t), {'vcekCert', 'certificateChain', 'tcbm'})
        chain = x509util.load_pem_certs(t['vcekCert'] + t['certificateChain'])
        self.assertEqual(len(chain), 3)
        # it certifies the simulated platform's default chip, whose reports verify
        report, _ = SIM.snp_report(b'\0' * 64)
        tcb = evidence.u64(report, evidence.SNP_R_REPORTED_TCB)
        self.assertEqual(t['tcbm'], '%016X' % tcb)
        from azsvc import verify_snp
        roots = {'milan': x509util.load_pem_certs(SIM.roots('milan'))[1]}
        verify_snp.verify(report, (t['vcekCert'] + t['certificateChain']).encode(), roots)

    def test_not_found(self):
        e = self.assertHttpError(404, client.call, self.ready['imds_url'] + '/metadata/instance',
                                 headers={'Metadata': 'true'})
        self.assertIn('error', e.json)
        self.assertHttpError(405, client.call, self.url(), 'POST', {},
                             headers={'Metadata': 'true'})


class ThimConfigTest(svctest.ServiceTest):
    service_args = ('--thim-product', 'genoa', '--thim-chip-id', '11' * 64, '--thim-tcb',
                    '0e00000000000707')

    def test_configured_chip(self):
        t = self.c.thim()
        self.assertEqual(t['tcbm'], '0E00000000000707')
        vcek = x509util.load_pem_certs(t['vcekCert'])[0]
        from cryptography.x509.oid import ObjectIdentifier
        hwid = vcek.extensions.get_extension_for_oid(
            ObjectIdentifier('1.3.6.1.4.1.3704.1.4')).value.value
        self.assertEqual(hwid, b'\x11' * 64)
        self.assertIn('Genoa', x509util.load_pem_certs(t['certificateChain'])[0].subject
                      .rfc4514_string())

