# cvmattest top-level Makefile.  `make help` lists the targets.
VERSION := $(shell cat VERSION)
KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build
O ?= $(CURDIR)/build
export KVER

.PHONY: all help deps deps-test module user sim check check-kernels check-debug soak demo bench bench-unlock fuzz \
	clean install dkms-install dkms-uninstall

all: module user sim

help:
	@echo "make deps          install the missing Debian packages the build needs (root)"
	@echo "make deps-test     and those the tests, the demo and the benchmarks need"
	@echo "make               build the module (KVER=$(KVER)), libcvmattest + cvmattest, the simulator"
	@echo "make check         all tests: build checks, unit tests, VM tests, DKMS (prints N passed, N failed)"
	@echo "make check-kernels  W=1/C=2 module builds against Debian trixie's and sid's kernels in cached chroots (SUITES=...), module VM tests on sid's kernel (VM_SUITE=...)"
	@echo "make check-debug    module VM tests on a debug kernel (KASAN, lockdep, kmemleak, UBSAN; built once from linux-source-6.1, cached; make check CHECK_DEBUG=1 adds them)"
	@echo "make soak          the in-VM stress fuzzer for 30 minutes (SOAK_SECONDS=1800; KERNEL=debug: on the debug kernel)"
	@echo "make demo          boot a VM on the simulated platform and run the main job, step by step"
	@echo "make bench         benchmarks (bench/), each against a baseline in the same run"
	@echo "make bench-unlock  only bench/unlock: cvmattest vs clevis+tang unlock time, initramfs size"
	@echo "make fuzz          long libFuzzer runs of every parser (FUZZ_SECONDS=600 each)"
	@echo "make install       the CLI, man pages, completion, configuration, boot integration and the"
	@echo "                   module sources in /usr/src (DESTDIR=, PREFIX=/usr/local); no DKMS run"
	@echo "make dkms-install  install the module sources under /usr/src and build them with DKMS"
	@echo "Packages: dpkg-buildpackage -us -uc -b (debian/; README.md, 'Install')"

deps:
	@scripts/install-deps --build

deps-test:
	@scripts/install-deps --build --test

module:
	@test -d "$(KDIR)" || { echo "no kernel headers at $(KDIR): apt install linux-headers-$(if $(KVER),$(KVER),$$(uname -r)) (or set KVER/KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

user:
	$(MAKE) -C user

sim:
	$(MAKE) -C tests/sim O=$(O)/sim

# CHECK_DEBUG=1: also the module VM suites on the debug kernel (suite "debug",
# about 20 minutes more; see check-debug below)
CHECK_DEBUG ?= 0
check: deps-test
	@CVM_CHECK_DEBUG=$(CHECK_DEBUG) tests/run-suites

# Not part of `make check`: the first run makes a chroot per release
# (scripts/kernel-chroot, cached in /var/cache/cvmattest), builds the module
# against each (SUITES="trixie sid") and runs the module VM tests on
# VM_SUITE's (sid's) newest kernel; see tests/kmod/README.md.
check-kernels:
	@tests/run-suites --kernels

# The module VM suites on a debug kernel (KASAN, lockdep, kmemleak, UBSAN, KFENCE)
# built once from linux-source-6.1 and cached in /var/cache/cvmattest/kernel-debug
# (tests/vm/build-debug-kernel); `make check CHECK_DEBUG=1` adds them as its suite
# "debug", two guests at a time (CHECK_DEBUG_JOBS here, default 2).
CHECK_DEBUG_JOBS ?= 2
check-debug: deps-test
	@tests/vm/check-debug --jobs $(CHECK_DEBUG_JOBS)

# The in-VM stress fuzzer (tests/stress) for SOAK_SECONDS; `make check` runs 60 s of it
# (suite vm-stress), check-debug the same on the debug kernel.
SOAK_SECONDS ?= 1800
soak: deps-test
ifeq ($(KERNEL),debug)
	@tests/vm/debug-kernel test-stress --seconds $(SOAK_SECONDS)
else
	@tests/stress/test-stress --seconds $(SOAK_SECONDS)
endif

demo: deps-test
	@tests/demo

bench: deps-test
	$(MAKE) -C user bench
	$(MAKE) bench-unlock

# BENCH_ARGS, e.g. "-n 20 --compress gzip"; see bench/README
bench-unlock: deps-test module user sim
	bench/unlock $(BENCH_ARGS)

fuzz: deps-test
	$(MAKE) -C user fuzz

# The module's DKMS tree: what the cvmattest-dkms package ships.
DKMS_SRC = $(DESTDIR)/usr/src/cvmattest-$(VERSION)
install:
	$(MAKE) -C user install
	install -D -m 644 Kbuild $(DKMS_SRC)/Kbuild
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/include/uapi/linux $(DKMS_SRC)/include/cvmattest
	install -m 644 kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	install -m 644 include/uapi/linux/*.h $(DKMS_SRC)/include/uapi/linux/
	install -m 644 include/cvmattest/*.h $(DKMS_SRC)/include/cvmattest/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf

dkms-install:
	scripts/dkms-install $(VERSION)

dkms-uninstall:
	dkms remove cvmattest/$(VERSION) --all

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(O)
