"""Release policy grammar and evaluation (no service needed)."""
import json
import unittest

from azsvc import policy

A = 'https://sharedweu.weu.attest.azure.net'
CVM = {'version': '1.0.0', 'anyOf': [{'authority': A, 'allOf': [
    {'claim': 'x-ms-isolation-tee.x-ms-attestation-type', 'equals': 'sevsnpvm'},
    {'claim': 'x-ms-isolation-tee.x-ms-compliance-status', 'equals': 'azure-compliant-cvm'}]}]}
TOKEN = {'iss': A, 'x-ms-isolation-tee': {'x-ms-attestation-type': 'sevsnpvm',
                                          'x-ms-compliance-status': 'azure-compliant-cvm',
                                          'x-ms-sevsnpvm-guestsvn': 7,
                                          'x-ms-sevsnpvm-is-debuggable': False}}


def p(obj):
    return policy.parse(json.dumps(obj).encode())


class GrammarTest(unittest.TestCase):
    def test_valid_policies(self):
        p(CVM)
        # the Key Vault REST sample: no version, legacy {condition, value}
        p({'anyOf': [{'allOf': [{'claim': 'x-ms-sgx-mrsigner', 'condition': 'equals',
                                 'value': 'ab'}], 'authority': 'http://localhost:8023/'}]})
        # Azure's CVM data-disk policy nests anyOf in allOf
        p({'version': '1.0.0', 'anyOf': [{'authority': A, 'allOf': [
            {'anyOf': [{'claim': 'x-ms-attestation-type', 'equals': 'sevsnpvm'},
                       {'claim': 'x-ms-attestation-type', 'equals': 'tdxvm'}]},
            {'claim': 'x-ms-compliance-status', 'equals': 'azure-compliant-cvm'}]}]})
        for op in ('notEquals', 'less', 'lessOrEquals', 'greater', 'greaterOrEquals'):
            p({'version': '1.0.0', 'anyOf': [{'authority': A, 'allOf': [{'claim': 'x', op: 3}]}]})
        p({'version': '1.0.0', 'anyOf': [{'authority': A, 'anyOf': [{'claim': 'x',
                                                                     'exists': True}]}]})

    def test_invalid_policies(self):
        cases = {
            'not JSON': b'{',
            'array': [],
            'version 2': dict(CVM, version='2.0.0'),
            'no anyOf': {'version': '1.0.0'},
            'empty anyOf': {'version': '1.0.0', 'anyOf': []},
            'unknown top member': dict(CVM, allOf=[]),
            'no authority': {'anyOf': [{'allOf': [{'claim': 'x', 'equals': 1}]}]},
            'authority not a URL': {'anyOf': [{'authority': 'sharedweu', 'allOf': [
                {'claim': 'x', 'equals': 1}]}]},
            'both anyOf and allOf': {'anyOf': [{'authority': A, 'allOf': [
                {'claim': 'x', 'equals': 1}], 'anyOf': [{'claim': 'x', 'equals': 1}]}]},
            'unknown operator': {'anyOf': [{'authority': A, 'allOf': [{'claim': 'x',
                                                                        'matches': 'a'}]}]},
            'two operators': {'anyOf': [{'authority': A, 'allOf': [
                {'claim': 'x', 'equals': 1, 'notEquals': 2}]}]},
            'less than a string': {'anyOf': [{'authority': A, 'allOf': [{'claim': 'x',
                                                                          'less': 'abc'}]}]},
            'exists not bool': {'anyOf': [{'authority': A, 'allOf': [{'claim': 'x',
                                                                       'exists': 'yes'}]}]},
            'empty claim path part': {'anyOf': [{'authority': A, 'allOf': [{'claim': 'a..b',
                                                                             'equals': 1}]}]},
            'equals null': {'anyOf': [{'authority': A, 'allOf': [{'claim': 'x',
                                                                   'equals': None}]}]},
        }
        deep = {'claim': 'x', 'equals': 1}
        for _ in range(6):
            deep = {'allOf': [deep]}
        cases['nested too deep'] = {'anyOf': [{'authority': A, 'allOf': [deep]}]}
        for name, obj in cases.items():
            with self.subTest(name):
                with self.assertRaises(policy.PolicyError):
                    policy.parse(obj if isinstance(obj, bytes) else json.dumps(obj).encode())


class EvaluateTest(unittest.TestCase):
    def test_grants(self):
        self.assertEqual(policy.evaluate(p(CVM), TOKEN, A), [])
        self.assertEqual(policy.evaluate(p(CVM), TOKEN, A + '/'), [])    # trailing slash
        self.assertEqual(policy.evaluate(p(CVM), TOKEN, A.upper().replace('HTTPS', 'https')),
                         [])

    def test_authority_mismatch(self):
        r = policy.evaluate(p(CVM), dict(TOKEN, iss='https://evil.example'),
                            'https://evil.example')
        self.assertEqual(len(r), 1)
        self.assertIn('matches no authority', r[0])

    def test_failing_claim_is_named(self):
        tok = json.loads(json.dumps(TOKEN))
        tok['x-ms-isolation-tee']['x-ms-attestation-type'] = 'tdxvm'
        r = policy.evaluate(p(CVM), tok, A)
        self.assertEqual(len(r), 1)
        self.assertIn('x-ms-isolation-tee.x-ms-attestation-type', r[0])
        del tok['x-ms-isolation-tee']['x-ms-compliance-status']
        r = policy.evaluate(p(CVM), tok, A)
        self.assertIn('absent', r[1])

    def test_operators(self):
        def ev(cond):
            return policy.evaluate(p({'anyOf': [{'authority': A, 'allOf': [cond]}]}), TOKEN, A)
        svn = 'x-ms-isolation-tee.x-ms-sevsnpvm-guestsvn'
        self.assertEqual(ev({'claim': svn, 'greaterOrEquals': 7}), [])
        self.assertEqual(ev({'claim': svn, 'greater': '6'}), [])
        self.assertNotEqual(ev({'claim': svn, 'greater': 7}), [])
        self.assertEqual(ev({'claim': svn, 'less': 8}), [])
        self.assertEqual(ev({'claim': svn, 'lessOrEquals': 7}), [])
        self.assertEqual(ev({'claim': svn, 'equals': 7}), [])
        self.assertEqual(ev({'claim': svn, 'notEquals': 8}), [])
        self.assertEqual(ev({'claim': svn, 'exists': True}), [])
        self.assertEqual(ev({'claim': 'nope', 'exists': False}), [])
        self.assertNotEqual(ev({'claim': 'nope', 'notEquals': 1}), [])   # absent never passes
        dbg = 'x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable'
        self.assertEqual(ev({'claim': dbg, 'equals': False}), [])
        self.assertEqual(ev({'claim': dbg, 'condition': 'equals', 'value': 'false'}), [])
        self.assertNotEqual(ev({'claim': dbg, 'equals': 'true'}), [])
        # strings compare case-sensitively
        self.assertNotEqual(ev({'claim': 'x-ms-isolation-tee.x-ms-attestation-type',
                                'equals': 'SevSnpVm'}), [])

    def test_any_of_authorities(self):
        pol = p({'version': '1.0.0', 'anyOf': [
            {'authority': 'https://other.example', 'allOf': [{'claim': 'a', 'equals': 1}]},
            dict(CVM['anyOf'][0])]})
        self.assertEqual(policy.evaluate(pol, TOKEN, A), [])

    def test_nested_any_of(self):
        pol = p({'anyOf': [{'authority': A, 'allOf': [
            {'anyOf': [{'claim': 'x-ms-isolation-tee.x-ms-attestation-type', 'equals': 'tdxvm'},
                       {'claim': 'x-ms-isolation-tee.x-ms-attestation-type',
                        'equals': 'sevsnpvm'}]}]}]})
        self.assertEqual(policy.evaluate(pol, TOKEN, A), [])


if __name__ == '__main__':
    unittest.main()
