"""The Python parser restates include/cvmattest/evidence.h: every offset it
shares a name with must be equal."""
import os
import re
import unittest

import svctest  # noqa: F401  (sys.path)
from azsvc import evidence

HEADER = os.path.join(svctest.HERE, '..', '..', 'include', 'cvmattest', 'evidence.h')


def header_defines():
    out = {}
    with open(HEADER) as f:
        text = f.read().replace('\\\n', ' ')
    for name, value in re.findall(r'^#define\s+(\w+)\s+([^\n/]+)', text, re.M):
        value = value.strip()
        m = re.fullmatch(r'\(?\s*(0x[0-9A-Fa-f]+|\d+)(?:U|ULL)?\s*(?:<<\s*(\d+)\s*)?\)?', value)
        if m:
            v = int(m.group(1), 0)
            if m.group(2):
                v <<= int(m.group(2))
            out[name] = v
        elif value.startswith('{'):
            out[name] = bytes(int(x, 16) for x in re.findall(r'0x([0-9a-fA-F]{2})', value))
    # aliases such as SNP_SIGNED_LEN SNP_R_SIGNATURE
    for name, value in re.findall(r'^#define\s+(\w+)\s+([A-Z_][A-Z0-9_]*)\s*(?:/\*.*)?$',
                                  text, re.M):
        if value in out:
            out[name] = out[value]
    return out


class OffsetsTest(unittest.TestCase):
    def test_same_values_as_evidence_h(self):
        hdr = header_defines()
        ours = {k: v for k, v in vars(evidence).items() if re.fullmatch(r'[A-Z][A-Z0-9_]+', k)
                and isinstance(v, (int, bytes))}
        shared = sorted(set(hdr) & set(ours))
        self.assertGreater(len(shared), 100, 'the header parse found too few names')
        for k in shared:
            self.assertEqual(ours[k], hdr[k], '%s differs from evidence.h' % k)

    def test_every_wire_offset_comes_from_the_header(self):
        """Names of the formats' fields (SNP_R_*, TDX_Q*, ...) must all exist
        in the header: no private offsets."""
        hdr = header_defines()
        prefixes = ('SNP_R_', 'TDX_R_', 'TDX_Q_', 'TDX_QB_', 'TDX_Q4_', 'TDX_Q5_', 'TDX_SD_',
                    'TDX_QE_', 'SGX_RB_')
        mine = [k for k in vars(evidence) if k.startswith(prefixes)]
        missing = [k for k in mine if k not in hdr]
        self.assertEqual(missing, [])


if __name__ == '__main__':
    unittest.main()
