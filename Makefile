# cvmattest top-level Makefile.  `make help` lists the targets.
VERSION := $(shell cat VERSION)
KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build
O ?= $(CURDIR)/build
export KVER

.PHONY: all help deps module user sim check check-kernels demo bench bench-unlock fuzz clean dkms-install dkms-uninstall

all: module user sim

help:
	@echo "make deps          install missing Debian packages (root)"
	@echo "make               build the module (KVER=$(KVER)), libcvmattest + cvmattest, the simulator"
	@echo "make check         all tests: build checks, unit tests, VM tests, DKMS (prints N passed, N failed)"
	@echo "make check-kernels  W=1/C=2 module builds against Debian trixie's and sid's kernels in cached chroots (SUITES=...)"
	@echo "make demo          boot a VM on the simulated platform and run the main job, step by step"
	@echo "make bench         benchmarks (bench/), each against a baseline in the same run"
	@echo "make bench-unlock  only bench/unlock: cvmattest vs clevis+tang unlock time, initramfs size"
	@echo "make fuzz          long libFuzzer runs of every parser (FUZZ_SECONDS=600 each)"
	@echo "make dkms-install  install the module sources under /usr/src and build them with DKMS"

deps:
	@scripts/install-deps

module:
	@test -d "$(KDIR)" || { echo "no kernel headers at $(KDIR): run 'make deps' or set KVER/KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

user:
	$(MAKE) -C user

sim:
	$(MAKE) -C tests/sim O=$(O)/sim

check: deps
	@tests/run-suites

# Not part of `make check`: the first run makes a chroot per release
# (scripts/kernel-chroot, 6-10 minutes each, cached in /var/cache/cvmattest).
check-kernels:
	@tests/kmod/build-kernels

demo: deps
	@tests/demo

bench: deps
	$(MAKE) -C user bench
	$(MAKE) bench-unlock

# BENCH_ARGS, e.g. "-n 20 --compress gzip"; see bench/README
bench-unlock: deps module user sim
	bench/unlock $(BENCH_ARGS)

fuzz: deps
	$(MAKE) -C user fuzz

dkms-install:
	scripts/dkms-install $(VERSION)

dkms-uninstall:
	dkms remove cvmattest/$(VERSION) --all

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(O)
