# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of the Rust privcmd driver and the hypervisor stub.
#
#   make                 build the modules against the cached test kernel
#   make KDIR=<dir>      build them against your own Rust-enabled 7.3 tree
#   make check           every test: host checks, then QEMU with the stub and
#                        QEMU with Debian's Xen (Rust driver, then C driver)
#   make demo            the hypercall path hop by hop in QEMU: one
#                        XENMEM_exchange on the stub, then two calls on Xen
#   make bench           hypercall round trips in QEMU: ioctl against
#                        in-kernel (stub, Xen), Rust against C driver (Xen)
#   make run RUN=<prog>  boot the test kernel and run <prog> with the modules
#                        (WORLD=xen: under Debian's Xen, in our PV dom0;
#                        DRIVER=c: with Linux's C privcmd instead of ours)
#   make fuzz            the seeded fuzzer of the device surface in QEMU
#                        (SEED=<n> OPS=<n> WORLD=stub|xen|pvh|pvh-debug
#                        DRIVER=rust|c, pvh-debug: the sanitized PVH dom0,
#                        V=1: each operation, FUZZ_ARGS=--known: also what
#                        found known bugs; see userspace-test/privcmd_fuzz.c)
#   make lint            rustfmt check and clippy (CLIPPY=1) build
#   make kernel-clean    remove the cached kernel build

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VERSIONS := . $(TOP)/scripts/versions.sh
# The cached test kernel unless the user names a kernel build tree.
KDIR ?= $(shell $(TOP)/scripts/setup.sh --kdir)
KMAKE = $(VERSIONS) && $(MAKE) -C $(KDIR) M=$(TOP) LLVM=1 \
	RUSTC=$$RUSTC RUST_LIB_SRC=$$RUST_LIB_SRC CLIPPY_DRIVER=$$CLIPPY_DRIVER

.PHONY: all modules clean setup check demo bench run fuzz lint lint-fmt lint-clippy kernel-clean

all: modules

modules: $(KDIR)/.config
	$(KMAKE) modules

# Only the cached kernel can be built on demand; a user's KDIR must exist.
$(KDIR)/.config:
	$(TOP)/scripts/setup.sh >/dev/null

setup:
	$(TOP)/scripts/setup.sh

clean:
	$(KMAKE) clean
	$(MAKE) -C $(TOP)/userspace-test clean

lint: lint-fmt lint-clippy

# rustfmt follows the `mod` declarations from the two crate roots.
lint-fmt: $(KDIR)/.config
	$(VERSIONS) && $$RUSTFMT --check --edition 2021 \
		--config-path $(KDIR)/source/.rustfmt.toml \
		$(TOP)/privcmd.rs $(TOP)/stub/stub.rs

lint-clippy: $(KDIR)/.config
	$(KMAKE) clean >/dev/null
	$(KMAKE) CLIPPY=1 W=1 modules >$(TOP)/.lint.log 2>&1 || (cat $(TOP)/.lint.log; false)
	@if grep -E '^(warning|error)' $(TOP)/.lint.log; then cat $(TOP)/.lint.log; rm -f $(TOP)/.lint.log; false; fi
	@rm -f $(TOP)/.lint.log

check:
	$(TOP)/scripts/test.sh

demo:
	$(TOP)/scripts/setup.sh >/dev/null
	$(TOP)/scripts/qemu.sh --demo
	$(TOP)/scripts/qemu.sh --xen --demo

bench:
	$(TOP)/scripts/setup.sh >/dev/null
	$(TOP)/scripts/qemu.sh --bench
	$(TOP)/scripts/qemu.sh --xen --bench
	$(TOP)/scripts/bench-guests.sh

WORLD ?= stub
DRIVER ?= rust
QEMU_WORLD = $(if $(filter xen,$(WORLD)),--xen --driver $(DRIVER))

run:
	$(TOP)/scripts/setup.sh >/dev/null
	$(TOP)/scripts/qemu.sh $(QEMU_WORLD) --exec "$(RUN)"

SEED ?= 1
OPS ?= 20000
# Guest seconds allowed: 1,000,000 operations took 400 s in a PV dom0 under
# TCG.  FUZZ_ARGS: more options (--known, --alarm S).
FUZZ_TIMEOUT ?= 7200
FUZZ_WORLD = $(if $(filter xen,$(WORLD)),--xen,$(if $(filter pvh,$(WORLD)),--pvh)) \
	$(if $(filter pvh-debug,$(WORLD)),--pvh --debug) \
	$(if $(filter-out stub,$(WORLD)),--driver $(DRIVER))

fuzz:
	$(TOP)/scripts/setup.sh >/dev/null
	$(TOP)/scripts/qemu.sh $(FUZZ_WORLD) --timeout $(FUZZ_TIMEOUT) --exec \
		"$(TOP)/userspace-test/build/privcmd_fuzz --seed $(SEED) --ops $(OPS)$(if $(V), -v) $(FUZZ_ARGS)"

kernel-clean:
	$(VERSIONS) && rm -rf "$$PRIVCMD_CACHE"/kernel-*
