"""Every fault switch, and that every fault is bounded."""
import http.client
import json
import os
import ssl
import time

import svctest
from svctest import SIM
from azsvc import b64, client, jose


class FaultTest(svctest.ServiceTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tk = client.new_transfer_key()
        cls.runtime = client.runtime_claims(cls.tk)
        cls.body = client.snp_request(SIM, cls.c, cls.runtime)
        cls.key = os.urandom(32)
        pol = json.dumps({'version': '1.0.0', 'anyOf': [{'authority': cls.ready['attest_url'],
                          'allOf': [{'claim': 'x-ms-attestation-type', 'equals': 'sevsnpvm'}]}]})
        cls.c.import_key('fk', {'kty': 'oct', 'k': b64.url_encode(cls.key)}, pol.encode())

    def certs(self):
        return client.request(self.ready['attest_url'] + '/certs', ca=self.ready['ca_bundle'])

    def attest(self):
        return self.c.attest('SevSnpVm', self.body)

    def test_latency(self):
        self.c.fault('latency', 'attest.certs', ms=400)
        t = time.monotonic()
        self.assertEqual(self.certs()[0], 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.4)
        t = time.monotonic()
        self.assertEqual(self.certs()[0], 200)
        self.assertLess(time.monotonic() - t, 0.4)

    def test_5xx_n_times(self):
        self.c.fault('status', 'imds.token', count=2)
        for _ in range(2):
            e = self.assertHttpError(503, self.c.token)
            self.assertIn('error', e.json)
        self.c.token()
        self.c.fault('status', 'kv', status=500)          # a whole service
        e = self.assertHttpError(500, self.c.kv, '/keys/fk')
        self.assertEqual(e.json['error']['code'], 'InternalServerError')
        self.c.kv('/keys/fk')

    def test_429_retry_after(self):
        self.c.fault('throttle', 'attest.SevSnpVm', retry_after=7)
        e = self.assertHttpError(429, self.attest)
        self.assertEqual(e.headers['retry-after'], '7')
        self.attest()

    def test_connection_reset(self):
        self.c.fault('reset', 'attest.certs')
        with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError,
                                OSError)):
            self.certs()
        self.assertEqual(self.certs()[0], 200)
        self.c.fault('reset', 'imds.token')
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            self.c.token()

    def test_truncated_body(self):
        self.c.fault('truncate', 'attest.SevSnpVm')
        with self.assertRaises((http.client.IncompleteRead, ConnectionError, ssl.SSLError)):
            self.attest()
        self.c.fault('truncate', 'imds.thim')
        with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
            self.c.thim()
        self.c.thim()

    def test_bad_signature(self):
        self.c.fault('bad-signature', 'attest.SevSnpVm')
        token = self.attest()
        with self.assertRaises(jose.JoseError):
            self.c.verify_token(token)
        e = self.assertHttpError(400, self.c.release, '/keys/fk', token)
        self.assertIn('signature', self.error_message(e))
        good = self.attest()
        self.c.fault('bad-signature', 'kv.release')
        jws = self.c.release('/keys/fk', good)
        from cryptography.exceptions import InvalidSignature
        with self.assertRaises(InvalidSignature):
            client.release_payload(jws)
        self.c.fault('bad-signature', 'imds.token')
        self.assertHttpError(401, self.c.kv, '/keys/fk', token=self.c.token())

    def test_expired_token(self):
        self.c.fault('expired', 'attest.SevSnpVm')
        token = self.attest()
        _, claims, _, _ = jose.split(token)
        self.assertLess(claims['exp'], time.time() - 1800)
        with self.assertRaises(jose.JoseError):
            self.c.verify_token(token)
        e = self.assertHttpError(400, self.c.release, '/keys/fk', token)
        self.assertIn('expired', self.error_message(e))
        self.c.fault('expired', 'imds.token')
        e = self.assertHttpError(401, self.c.kv, '/keys/fk', token=self.c.token())
        self.assertIn('expired', self.error_message(e))

    def test_wrong_issuer(self):
        self.c.fault('wrong-issuer', 'attest')
        token = self.attest()
        with self.assertRaises(jose.JoseError):
            self.c.verify_token(token)
        e = self.assertHttpError(403, self.c.release, '/keys/fk', token)
        self.assertIn('matches no authority', self.error_message(e))
        self.c.fault('wrong-issuer', 'imds.token')
        e = self.assertHttpError(401, self.c.kv, '/keys/fk', token=self.c.token())
        self.assertIn('issuer', self.error_message(e))

    def test_policy_mismatch(self):
        token = self.attest()
        self.c.fault('policy-mismatch', 'kv.release')
        e = self.assertHttpError(403, self.c.release, '/keys/fk', token)
        self.assertIn('release policy', self.error_message(e))
        p = client.release_payload(self.c.release('/keys/fk', token))
        self.assertEqual(client.unwrap_key_hsm(p['response']['key']['key']['key_hsm'], self.tk),
                         self.key)

    def test_bounded_by_count_and_time(self):
        self.c.fault('status', 'attest.certs', count=3)
        self.assertEqual([self.certs()[0] for _ in range(4)], [503, 503, 503, 200])
        self.c.fault('status', 'attest.certs', seconds=1)
        self.assertEqual(self.certs()[0], 503)
        self.assertEqual(self.certs()[0], 503)
        time.sleep(1.1)
        self.assertEqual(self.certs()[0], 200)
        self.assertEqual(client.call(self.ready['admin_url'] + '/faults')['faults'], [])

    def test_invalid_fault_specs(self):
        bad = [
            {'kind': 'expired', 'target': 'kv.release'},        # no token there
            {'kind': 'policy-mismatch', 'target': 'attest'},
            {'kind': 'status', 'target': 'nope'},
            {'kind': 'explode'},
            {'kind': 'status', 'count': 0},
            {'kind': 'status', 'count': 1001},
            {'kind': 'status', 'seconds': 3601},
            {'kind': 'latency', 'ms': 30001},
            {'kind': 'status', 'status': 404},
            {'kind': 'status', 'ms': 5},
            {'kind': 'status', 'color': 'red'},
        ]
        for spec in bad:
            with self.subTest(spec):
                self.assertHttpError(400, client.call, self.ready['admin_url'] + '/faults',
                                     'POST', spec, ok=(201,))

    def test_list_and_clear(self):
        f = self.c.fault('latency', 'kv', ms=5, count=10)
        self.c.fault('throttle', 'imds.token')
        faults = client.call(self.ready['admin_url'] + '/faults')['faults']
        self.assertEqual([x['kind'] for x in faults], ['latency', 'throttle'])
        client.call(self.ready['admin_url'] + '/faults/%d' % f['id'], 'DELETE')
        self.assertEqual(len(client.call(self.ready['admin_url'] + '/faults')['faults']), 1)

    def test_admin_port_is_loopback_only(self):
        self.assertTrue(self.ready['admin_url'].startswith('http://127.0.0.1:'))


class StartupFaultTest(svctest.ServiceTest):
    service_args = ('--fault', 'status@attest.certs,count=1,status=502',
                    '--fault', 'latency@imds,ms=50,seconds=60')

    def test_fault_from_command_line(self):
        status, _, _ = client.request(self.ready['attest_url'] + '/certs',
                                      ca=self.ready['ca_bundle'])
        self.assertEqual(status, 502)
        status, _, _ = client.request(self.ready['attest_url'] + '/certs',
                                      ca=self.ready['ca_bundle'])
        self.assertEqual(status, 200)
        kinds = sorted(f['kind'] for f in client.call(self.ready['admin_url'] + '/faults')
                       ['faults'])
        self.assertEqual(kinds, ['latency'])
