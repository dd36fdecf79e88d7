"""The simulated platform's host tool, cvmattest-sim (tests/sim), used as
AMD's KDS stand-in (VCEK for a chip id and TCB), the TDX quote generation
service and the source of the TEST roots.  Nothing is re-implemented here."""
import os
import subprocess
import tempfile

from . import evidence

PRODUCTS = ('milan', 'genoa', 'turin')
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


class SimError(RuntimeError):
    pass


def default_bin_dir():
    return os.environ.get('CVMATTEST_SIM_BIN') or os.path.join(REPO, 'build', 'sim')


class Sim:
    def __init__(self, bin_dir=None, keys_dir=None, timeout=30):
        self.tool = os.path.join(bin_dir or default_bin_dir(), 'cvmattest-sim')
        self.keys_dir = keys_dir
        self.timeout = timeout

    def available(self):
        return os.access(self.tool, os.X_OK)

    def run(self, *args, stdin=None):
        if not self.available():
            raise SimError('%s not found: build it with "make -C tests/sim"' % self.tool)
        cmd = [self.tool]
        if self.keys_dir:
            cmd += ['--keys', self.keys_dir]
        cmd += [str(a) for a in args]
        try:
            p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise SimError('cvmattest-sim %s timed out' % args[0]) from None
        if p.returncode:
            raise SimError('cvmattest-sim %s failed: %s'
                           % (args[0], p.stderr.decode(errors='replace').strip()))
        return p.stdout

    def roots(self, product):
        """ASK then ARK (PEM), like KDS's cert_chain."""
        return self.run('roots', '--product', product)

    def intel_root(self):
        return self.run('intel-root')

    def vcek_pem(self, product, chip_id, reported_tcb_u64):
        return self.run('vcek', '--product', product, '--chip-id', chip_id.hex(),
                        '--tcb', '0x%016x' % reported_tcb_u64, '-o', '-', '--pem')

    def tdx_quote(self, tdreport):
        with tempfile.TemporaryDirectory(prefix='azsvc-qgs-') as d:
            rp, qp = os.path.join(d, 'tdreport'), os.path.join(d, 'quote')
            with open(rp, 'wb') as f:
                f.write(tdreport)
            self.run('tdx-quote', '--tdreport', rp, '-o', qp)
            with open(qp, 'rb') as f:
                return f.read()

    def snp_report(self, report_data, *opts, certs=False):
        """(report bytes, certificate table bytes or None)."""
        with tempfile.TemporaryDirectory(prefix='azsvc-snp-') as d:
            rp, cp = os.path.join(d, 'report'), os.path.join(d, 'certs')
            args = ['snp-report', '--report-data', report_data.hex(), '-o', rp] + list(opts)
            if certs:
                args += ['--certs', cp]
            self.run(*args)
            with open(rp, 'rb') as f:
                report = f.read()
            table = None
            if certs:
                with open(cp, 'rb') as f:
                    table = f.read()
            return report, table

    def tdx_report(self, report_data, *opts):
        with tempfile.TemporaryDirectory(prefix='azsvc-tdx-') as d:
            rp = os.path.join(d, 'tdreport')
            self.run('tdx-report', '--report-data', report_data.hex(), '-o', rp, *opts)
            with open(rp, 'rb') as f:
                return f.read()

    def default_chip(self, product):
        """CHIP_ID and REPORTED_TCB of the simulated platform's defaults, so
        THIM serves the VCEK of the chip the simulated guest runs on."""
        report, _ = self.snp_report(b'\0', '--product', product)
        r = evidence.SnpReport(report)
        tcb = evidence.u64(report, evidence.SNP_R_REPORTED_TCB)
        return r.chip_id, tcb
