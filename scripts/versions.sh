# SPDX-License-Identifier: GPL-2.0
#
# The one place where the project pins what it builds with.  Sourced by the
# other scripts; changing a value here changes the kernel cache key.

# Kernel source: Debian's linux-source package from a suite that is fetched
# without being added to the system's apt configuration.
KERNEL_SERIES=7.3
KERNEL_PKG=linux-source-${KERNEL_SERIES}
KERNEL_PKG_VERSION=7.3.4-1~bpo13+1
KERNEL_SUITE=trixie-backports

# Toolchain.
LLVM_VERSION=19
BINDGEN_VERSION=0.73.2
RUST_PKG_VERSION=1.96.0
RUSTC=/usr/bin/rustc
RUST_LIB_SRC=/usr/src/rustc-${RUST_PKG_VERSION}/library

# Xen, from the system's own Debian suite (used for the dom0 harness).
XEN_SERIES=4.17

# Where built artefacts live: outside the repository, shared by clones.
PRIVCMD_CACHE=${PRIVCMD_CACHE:-/var/cache/rust-privcmd}

# Debian's LLVM for the kernel; the machine's rustup cargo for userspace
# crates and for installing bindgen.
export PATH="/usr/lib/llvm-${LLVM_VERSION}/bin:${PRIVCMD_CACHE}/tools/bin:${PATH}:${HOME:-/root}/.cargo/bin"
export LIBCLANG_PATH="/usr/lib/llvm-${LLVM_VERSION}/lib"
export CLIPPY_DRIVER=/usr/bin/clippy-driver
export RUSTFMT=/usr/bin/rustfmt
