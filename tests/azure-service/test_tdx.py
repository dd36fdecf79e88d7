"""POST /attest/TdxVm with quotes from the simulated platform (TDREPORT from
cvmattest-sim, quote through IMDS /acc/tdquote)."""
import hashlib
import os
import unittest

import svctest
from svctest import SIM
from azsvc import b64, client, evidence


class TdxVmTest(svctest.ServiceTest):
    def setUp(self):
        self.tk = client.new_transfer_key()
        self.runtime = client.runtime_claims(self.tk)

    def attest(self, body, api='2025-06-01'):
        return self.c.attest('TdxVm', body, api)

    def test_happy_path_claims(self):
        body = client.tdx_request(SIM, self.c, self.runtime, '--mrtd', 'ab' * 48)
        claims = self.c.verify_token(self.attest(body))
        q = evidence.TdxQuote(b64.url_decode(body['quote']))
        self.assertEqual(claims['x-ms-attestation-type'], 'tdxvm')
        self.assertEqual(claims['x-ms-compliance-status'], 'azure-compliant-cvm')
        self.assertEqual(claims['x-ms-runtime']['keys'][0]['kid'], 'TransferKey')
        self.assertEqual(claims['tdx_mrtd'], 'ab' * 48)
        self.assertEqual(claims['tdx_report_data'], q.report_data.hex())
        self.assertEqual(claims['tdx_report_data'][:64], hashlib.sha256(self.runtime).hexdigest())
        for i in range(4):
            self.assertEqual(claims['tdx_rtmr%d' % i], q.rtmr[i].hex())
        self.assertEqual(claims['tdx_td_attributes'], q.td_attributes.hex())
        self.assertIs(claims['tdx_td_attributes_debug'], False)
        self.assertIs(claims['tdx_td_attributes_septve_disable'], True)   # sim default
        self.assertEqual(claims['dbgstat'], 'disabled-since-boot')
        self.assertEqual(claims['tdx_xfam'], q.xfam.hex())
        self.assertEqual(len(claims['tdx_mrseam']), 96)
        self.assertEqual(claims['tdx_seam_attributes'], '00' * 8)
        self.assertEqual(claims['attester_tcb_status'], 'UpToDate')

    def test_api_versions(self):
        body = client.tdx_request(SIM, self.c, self.runtime)
        self.c.verify_token(self.attest(body, api='2023-04-01-preview'))
        for v in ('2020-10-01', '2022-08-01'):
            self.assertHttpError(400, self.attest, body, api=v)

    def test_debug_td(self):
        body = client.tdx_request(SIM, self.c, self.runtime, '--debug')
        claims = self.c.verify_token(self.attest(body))
        self.assertIs(claims['tdx_td_attributes_debug'], True)
        self.assertEqual(claims['dbgstat'], 'enabled')
        self.assertNotIn('x-ms-compliance-status', claims)

    def test_runtime_not_bound(self):
        body = client.tdx_request(SIM, self.c, self.runtime, report_data=b'\x01' * 32)
        e = self.assertHttpError(400, self.attest, body)
        self.assertIn('not bound', self.error_message(e))

    def test_tampered_quote(self):
        body = client.tdx_request(SIM, self.c, self.runtime)
        quote = bytearray(b64.url_decode(body['quote']))
        for off, what in ((evidence.TDX_Q4_BODY + evidence.TDX_QB_MRTD, 'quote signature'),
                          (evidence.TDX_Q4_SIG_DATA + evidence.TDX_SD_CERT_DATA + 10,
                           'QE report signature'),
                          (evidence.TDX_Q4_SIG_DATA + evidence.TDX_SD_ATT_KEY, 'attestation key')):
            with self.subTest(what):
                bad = bytearray(quote)
                bad[off] ^= 1
                self.assertHttpError(400, self.attest, dict(body, quote=b64.url_encode(bytes(bad))))
        self.assertHttpError(400, self.attest, dict(body, quote=b64.url_encode(bytes(quote[:600]))))

    def test_real_intel_quote_is_not_trusted(self):
        path = os.path.join(svctest.TESTDATA, 'tdx', 'gtg-v5-quote.bin')
        if not os.path.exists(path):
            self.skipTest('shared/testdata not available')
        e = self.assertHttpError(400, self.attest, {'quote': b64.url_encode(svctest.readfile(path))})
        self.assertIn('trusted root', self.error_message(e))

    def test_tdquote_endpoint(self):
        tdreport = SIM.tdx_report(b'\x05' * 64)
        quote = self.c.tdquote(tdreport)
        self.assertEqual(evidence.TdxQuote(quote).report_data, b'\x05' * 64)
        # Metadata: true is not required there (reference open question 7)
        r = client.call(self.ready['imds_url'] + '/acc/tdquote', 'POST',
                        {'report': b64.url_encode(tdreport)})
        self.assertIn('quote', r)
        for report in (tdreport[:1000], b''):
            self.assertHttpError(400, client.call, self.ready['imds_url'] + '/acc/tdquote',
                                 'POST', {'report': b64.url_encode(report)})
        bad = bytearray(tdreport)
        bad[evidence.TDX_R_REPORT_DATA] ^= 1        # the QE checks the TDREPORT's MAC
        e = self.assertHttpError(400, self.c.tdquote, bytes(bad))
        self.assertIn('refused', self.error_message(e))


if __name__ == '__main__':
    unittest.main()
