"""POST /attest/SevSnpVm: evidence from the simulated platform, verified for
real; tokens checked like a relying party would."""
import hashlib
import json
import unittest

import svctest
from svctest import SIM
from azsvc import b64, client, evidence, jose

try:
    import jwt as pyjwt
except ImportError:      # python3-jwt (Debian) is only needed for one cross-check
    pyjwt = None


def chain_for(report, product):
    r = evidence.SnpReport(report)
    chip = r.chip_id[:8] if product == 'turin' else r.chip_id
    return SIM.vcek_pem(product, chip, evidence.u64(report, evidence.SNP_R_REPORTED_TCB)) \
        + SIM.roots(product)


def body_for(report, chain, runtime=None, **extra):
    body = {'report': b64.url_encode(json.dumps(
        {'SnpReport': b64.url_encode(report), 'VcekCertChain': b64.url_encode(chain)}).encode())}
    if runtime is not None:
        body['runtimeData'] = {'data': b64.url_encode(runtime), 'dataType': 'JSON'}
    body.update(extra)
    return body


class SevSnpVmTest(svctest.ServiceTest):
    def setUp(self):
        self.tk = client.new_transfer_key()
        self.runtime = client.runtime_claims(self.tk)

    def attest(self, body, api='2025-06-01', kind='SevSnpVm'):
        return self.c.attest(kind, body, api)

    def test_happy_path_claims(self):
        body = client.snp_request(SIM, self.c, self.runtime, nonce='n-123')
        token = self.attest(body)
        claims = self.c.verify_token(token)
        report = b64.url_decode(json.loads(b64.url_decode(body['report']))['SnpReport'])
        rep = evidence.SnpReport(report)
        self.assertEqual(claims['x-ms-attestation-type'], 'sevsnpvm')
        self.assertEqual(claims['x-ms-compliance-status'], 'azure-compliant-cvm')
        self.assertEqual(claims['x-ms-runtime'], json.loads(self.runtime))
        self.assertEqual(claims['nonce'], 'n-123')
        self.assertEqual(claims['x-ms-sevsnpvm-reportdata'], rep.report_data.hex())
        self.assertEqual(claims['x-ms-sevsnpvm-reportdata'][:64],
                         hashlib.sha256(self.runtime).hexdigest())
        self.assertEqual(claims['x-ms-sevsnpvm-launchmeasurement'], rep.measurement.hex())
        self.assertEqual(claims['x-ms-sevsnpvm-hostdata'], rep.host_data.hex())
        self.assertEqual(claims['x-ms-sevsnpvm-familyId'], rep.family_id.hex())
        self.assertEqual(claims['x-ms-sevsnpvm-imageId'], rep.image_id.hex())
        self.assertEqual(claims['x-ms-sevsnpvm-idkeydigest'], rep.id_key_digest.hex())
        self.assertIs(claims['x-ms-sevsnpvm-is-debuggable'], False)
        self.assertIs(claims['x-ms-sevsnpvm-smt-allowed'], True)
        self.assertEqual(claims['x-ms-sevsnpvm-vmpl'], 0)
        self.assertEqual(claims['x-ms-sevsnpvm-guestsvn'], 1)
        # the simulated Milan default TCB: bl 3, tee 0, snp 8, ucode 0x73
        self.assertEqual((claims['x-ms-sevsnpvm-bootloader-svn'], claims['x-ms-sevsnpvm-tee-svn'],
                          claims['x-ms-sevsnpvm-snpfw-svn'], claims['x-ms-sevsnpvm-microcode-svn']),
                         (3, 0, 8, 0x73))
        self.assertEqual(claims['x-ms-ver'], '1.0')
        self.assertLessEqual(claims['exp'] - claims['iat'], 8 * 3600)
        header, _, _, _ = jose.split(token)
        self.assertEqual(header['alg'], 'RS256')
        self.assertEqual(header['jku'], self.ready['attest_url'] + '/certs')
        self.assertIn(header['kid'], [k['kid'] for k in self.c.jwks()['keys']])

    @unittest.skipIf(pyjwt is None, 'python3-jwt is not installed')
    def test_token_verifies_with_pyjwt_and_jwks(self):
        from cryptography import x509
        token = self.attest(client.snp_request(SIM, self.c, self.runtime))
        kid = pyjwt.get_unverified_header(token)['kid']
        jwk = [k for k in self.c.jwks()['keys'] if k['kid'] == kid][0]
        cert = x509.load_der_x509_certificate(b64.std_decode(jwk['x5c'][0]))
        claims = pyjwt.decode(token, cert.public_key(), algorithms=['RS256'],
                              issuer=self.ready['attest_url'])
        self.assertEqual(claims['x-ms-attestation-type'], 'sevsnpvm')
        # and the key in the JWK is the certificate's
        self.assertEqual(jose.rsa_public_from_jwk(jwk).public_numbers(),
                         cert.public_key().public_numbers())

    def test_products_and_report_versions(self):
        for product in ('milan', 'genoa', 'turin'):
            for version in ('2', '3', '5'):
                with self.subTest(product=product, version=version):
                    report, _ = SIM.snp_report(hashlib.sha256(self.runtime).digest(),
                                               '--product', product, '--report-version', version)
                    claims = self.c.verify_token(self.attest(
                        body_for(report, chain_for(report, product), self.runtime)))
                    self.assertEqual(claims['x-ms-attestation-type'], 'sevsnpvm')

    def test_api_versions(self):
        body = client.snp_request(SIM, self.c, self.runtime)
        for v in ('2020-10-01', '2022-08-01', '2023-04-01-preview'):
            self.c.verify_token(self.attest(body, api=v))
        for v in ('2021-01-01', '2018-09-01-preview', ''):
            e = self.assertHttpError(400, self.attest, body, api=v)
            self.assertEqual(e.json['error']['code'], 'UnsupportedApiVersion')
        status, _, data = client.request(self.ready['attest_url'] + '/attest/SevSnpVm', 'POST',
                                          body, ca=self.ready['ca_bundle'])
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)['error']['code'], 'ApiVersionUnspecified')

    def test_path_is_case_insensitive(self):
        # confidential-sidecar-containers posts to /attest/SevSnpVM
        body = client.snp_request(SIM, self.c, self.runtime)
        self.c.verify_token(self.attest(body, api='2020-10-01', kind='SevSnpVM'))

    def test_runtime_data_not_bound(self):
        other = client.runtime_claims(client.new_transfer_key())
        body = client.snp_request(SIM, self.c, self.runtime)
        body['runtimeData']['data'] = b64.url_encode(other)
        e = self.assertHttpError(400, self.attest, body)
        self.assertIn('not bound', self.error_message(e))

    def test_runtime_whitespace_changes_binding(self):
        body = client.snp_request(SIM, self.c, self.runtime)
        body['runtimeData']['data'] = b64.url_encode(self.runtime + b' ')
        self.assertHttpError(400, self.attest, body)

    def test_tampered_report_signature(self):
        report, _ = SIM.snp_report(hashlib.sha256(self.runtime).digest())
        chain = chain_for(report, 'milan')
        bad = bytearray(report)
        bad[evidence.SNP_R_MEASUREMENT] ^= 1
        e = self.assertHttpError(400, self.attest, body_for(bytes(bad), chain, self.runtime))
        self.assertIn('signature does not verify', self.error_message(e))
        bad = bytearray(report)
        bad[evidence.SNP_R_SIG_R] ^= 1
        self.assertHttpError(400, self.attest, body_for(bytes(bad), chain, self.runtime))

    def test_vcek_of_another_chip_or_tcb(self):
        report, _ = SIM.snp_report(hashlib.sha256(self.runtime).digest())
        tcb = evidence.u64(report, evidence.SNP_R_REPORTED_TCB)
        other_chip = SIM.vcek_pem('milan', b'\x42' * 64, tcb) + SIM.roots('milan')
        e = self.assertHttpError(400, self.attest, body_for(report, other_chip, self.runtime))
        self.assertIn('CHIP_ID', self.error_message(e))
        r = evidence.SnpReport(report)
        other_tcb = SIM.vcek_pem('milan', r.chip_id, tcb + 1) + SIM.roots('milan')
        e = self.assertHttpError(400, self.attest, body_for(report, other_tcb, self.runtime))
        self.assertIn('REPORTED_TCB', self.error_message(e))

    def test_chain_of_another_product(self):
        report, _ = SIM.snp_report(hashlib.sha256(self.runtime).digest(), '--product', 'genoa')
        r = evidence.SnpReport(report)
        wrong = SIM.vcek_pem('genoa', r.chip_id, evidence.u64(report, 0x180)) + SIM.roots('milan')
        self.assertHttpError(400, self.attest, body_for(report, wrong, self.runtime))

    def test_real_amd_evidence_is_not_trusted(self):
        """Roots are pinned by key: AMD's real ARK is not a TEST root, so real
        (genuinely signed) evidence is refused by this test service."""
        import os
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        t = os.path.join(svctest.TESTDATA, 'snp')
        if not os.path.isdir(t):
            self.skipTest('shared/testdata not available')
        report = svctest.readfile(t, 'gsg-milan-v2-report.bin')
        vcek = x509.load_der_x509_certificate(svctest.readfile(t, 'gsg-milan-vcek.der'))
        chain = vcek.public_bytes(serialization.Encoding.PEM) + \
            svctest.readfile(t, 'amd-ask-ark-milan.pem')
        e = self.assertHttpError(400, self.attest, body_for(report, chain))
        self.assertIn('trusted AMD roots', self.error_message(e))

    def test_debug_guest(self):
        body = client.snp_request(SIM, self.c, self.runtime, '--debug')
        claims = self.c.verify_token(self.attest(body))
        self.assertIs(claims['x-ms-sevsnpvm-is-debuggable'], True)
        self.assertNotIn('x-ms-compliance-status', claims)

    def test_request_shape(self):
        good = client.snp_request(SIM, self.c, self.runtime)
        cases = {
            'unknown field': dict(good, runtimedata=good['runtimeData']),
            'Binary runtime data': dict(good, runtimeData={'data': good['runtimeData']['data'],
                                                           'dataType': 'Binary'}),
            'bad dataType': dict(good, runtimeData={'data': good['runtimeData']['data'],
                                                    'dataType': 'json'}),
            'runtime not JSON': dict(good, runtimeData={'data': b64.url_encode(b'\x01\x02'),
                                                        'dataType': 'JSON'}),
            'no report': {'runtimeData': good['runtimeData']},
            'report not base64url': dict(good, report='***'),
            'nonce not a string': dict(good, nonce=5),
            'short report': body_for(b'\0' * 100, b'x', self.runtime),
        }
        for name, body in cases.items():
            with self.subTest(name):
                self.assertHttpError(400, self.attest, body)

    def test_content_type_required(self):
        body = json.dumps(client.snp_request(SIM, self.c, self.runtime)).encode()
        status, _, _ = client.request(self.ready['attest_url'] + '/attest/SevSnpVm?api-version='
                                      '2025-06-01', 'POST', body,
                                      {'Content-Type': 'text/plain'}, ca=self.ready['ca_bundle'])
        self.assertEqual(status, 415)

    def test_without_runtime_data(self):
        report, _ = SIM.snp_report(b'\x01' * 64)
        claims = self.c.verify_token(self.attest(body_for(report, chain_for(report, 'milan'))))
        self.assertNotIn('x-ms-runtime', claims)

    def test_init_time_data_binds_host_data(self):
        init = b'{"policy":"x"}'
        report, _ = SIM.snp_report(hashlib.sha256(self.runtime).digest(), '--host-data',
                                   hashlib.sha256(init).hexdigest())
        body = body_for(report, chain_for(report, 'milan'), self.runtime,
                        initTimeData={'data': b64.url_encode(init), 'dataType': 'JSON'})
        claims = self.c.verify_token(self.attest(body))
        self.assertEqual(claims['x-ms-inittime'], {'policy': 'x'})
        body['initTimeData']['data'] = b64.url_encode(b'{"policy":"y"}')
        self.assertHttpError(400, self.attest, body)


if __name__ == '__main__':
    unittest.main()
