"""unittest with a TAP line per test (what tests/run-suites counts) followed
by unittest's usual summary."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class TapResult(unittest.TextTestResult):
    def __init__(self, stream, descriptions, verbosity):
        super().__init__(stream, descriptions, verbosity)
        self.dots = self.showAll = False      # the TAP lines say it all
        self.n = 0

    def _tap(self, test, ok, note=''):
        self.n += 1
        self.stream.write('%s %d - %s%s\n' % ('ok' if ok else 'not ok', self.n, test.id(), note))
        self.stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self._tap(test, True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._tap(test, False)

    def addError(self, test, err):
        super().addError(test, err)
        self._tap(test, False)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._tap(test, True, ' # SKIP %s' % reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._tap(test, True, ' # TODO expected failure')

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._tap(test, False, ' # unexpected success')

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.stream.write('# subtest failed: %s\n' % subtest.id())


def main(argv):
    names = [a for a in argv if a != '-v']
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if names:
        suite = loader.loadTestsFromNames(names)
    else:
        suite = loader.discover(HERE, pattern='test_*.py', top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=1, resultclass=TapResult)
    result = runner.run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
