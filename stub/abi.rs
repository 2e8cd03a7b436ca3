// SPDX-License-Identifier: GPL-2.0

//! The part of Xen's public ABI (`xen/include/public/`) that the stub serves.
//!
//! Error values: Xen's `xen/errno.h` numbers agree with Linux's on x86, so
//! the stub's handlers return the kernel's own error codes.

use kernel::transmute::{AsBytes, FromBytes};

/// `__HYPERVISOR_memory_op`.
pub(crate) const HYPERVISOR_MEMORY_OP: usize = 12;
/// `__HYPERVISOR_xen_version`.
pub(crate) const HYPERVISOR_XEN_VERSION: usize = 17;
/// `__HYPERVISOR_console_io`.
pub(crate) const HYPERVISOR_CONSOLE_IO: usize = 18;
/// `__HYPERVISOR_iret`: an HVM hypercall page has `ud2` at this entry.
pub(crate) const HYPERVISOR_IRET: usize = 23;
/// Size of Xen's hypercall table: hypercall numbers at or above it get `-ENOSYS`.
pub(crate) const NR_HYPERCALLS: usize = 64;

/// `XENVER_version`: returns `major << 16 | minor`.
pub(crate) const XENVER_VERSION: i32 = 0;
/// `XENVER_extraversion`: `xen_extraversion_t`.
pub(crate) const XENVER_EXTRAVERSION: i32 = 1;
/// `XENVER_compile_info`: `xen_compile_info_t`.
pub(crate) const XENVER_COMPILE_INFO: i32 = 2;
/// `XENVER_capabilities`: `xen_capabilities_info_t`.
pub(crate) const XENVER_CAPABILITIES: i32 = 3;
/// `XENVER_changeset`: `xen_changeset_info_t`.
pub(crate) const XENVER_CHANGESET: i32 = 4;
/// `XENVER_get_features`: `xen_feature_info_t`.
pub(crate) const XENVER_GET_FEATURES: i32 = 6;
/// `XENVER_pagesize`: returns the page size; the argument must be NULL.
pub(crate) const XENVER_PAGESIZE: i32 = 7;
/// `XENVER_guest_handle`: `xen_domain_handle_t`.
pub(crate) const XENVER_GUEST_HANDLE: i32 = 8;

/// `xen_extraversion_t`.
pub(crate) type XenExtraversion = [u8; 16];
/// `xen_capabilities_info_t`.
pub(crate) type XenCapabilitiesInfo = [u8; 1024];
/// `xen_changeset_info_t`.
pub(crate) type XenChangesetInfo = [u8; 64];
/// `xen_domain_handle_t`.
pub(crate) type XenDomainHandle = [u8; 16];

/// `xen_compile_info_t`.
#[repr(C)]
pub(crate) struct XenCompileInfo {
    pub(crate) compiler: [u8; 64],
    pub(crate) compile_by: [u8; 16],
    pub(crate) compile_domain: [u8; 32],
    pub(crate) compile_date: [u8; 32],
}

// SAFETY: Byte arrays only: no padding, every byte initialised.
unsafe impl AsBytes for XenCompileInfo {}

/// `xen_feature_info_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct XenFeatureInfo {
    /// IN: which 32-bit submap to return.
    pub(crate) submap_idx: u32,
    /// OUT: the submap.
    pub(crate) submap: u32,
}

// SAFETY: Two `u32`: no padding, any bit pattern is valid.
unsafe impl FromBytes for XenFeatureInfo {}
// SAFETY: Two `u32`: no padding, every byte initialised.
unsafe impl AsBytes for XenFeatureInfo {}

/// `XENFEAT_writable_page_tables`.
pub(crate) const XENFEAT_WRITABLE_PAGE_TABLES: u32 = 0;
/// `XENFEAT_auto_translated_physmap`.
pub(crate) const XENFEAT_AUTO_TRANSLATED_PHYSMAP: u32 = 2;
/// `XENFEAT_dom0`.
pub(crate) const XENFEAT_DOM0: u32 = 11;

/// `XENMEM_maximum_ram_page`.
pub(crate) const XENMEM_MAXIMUM_RAM_PAGE: u64 = 2;
/// `XENMEM_current_reservation`.
pub(crate) const XENMEM_CURRENT_RESERVATION: u64 = 3;
/// `XENMEM_maximum_reservation`.
pub(crate) const XENMEM_MAXIMUM_RESERVATION: u64 = 4;
/// `XENMEM_exchange`.
pub(crate) const XENMEM_EXCHANGE: u64 = 11;
/// `XENMEM_maximum_gpfn`.
pub(crate) const XENMEM_MAXIMUM_GPFN: u64 = 14;
/// `MEMOP_EXTENT_SHIFT`: the start extent of a continuation sits above it.
pub(crate) const MEMOP_EXTENT_SHIFT: u32 = 6;
/// `MEMOP_CMD_MASK`.
pub(crate) const MEMOP_CMD_MASK: u64 = (1 << MEMOP_EXTENT_SHIFT) - 1;

/// `domid_t`.
pub(crate) type DomId = u16;
/// `DOMID_SELF`.
pub(crate) const DOMID_SELF: DomId = 0x7ff0;
/// `xen_pfn_t` (x86_64).
pub(crate) type XenPfn = u64;

/// `struct xen_memory_reservation` (x86_64 layout, 32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct XenMemoryReservation {
    /// `XEN_GUEST_HANDLE(xen_pfn_t)`: the extent list.
    pub(crate) extent_start: u64,
    /// Number of extents in the list.
    pub(crate) nr_extents: u64,
    /// Each extent is `2^extent_order` frames.
    pub(crate) extent_order: u32,
    /// `XENMEMF_*`: address-bit limit (bits 0-7) and NUMA node.
    pub(crate) mem_flags: u32,
    /// Domain whose memory this is.
    pub(crate) domid: DomId,
    /// Padding to the structure's 8-byte alignment.
    pub(crate) _pad: [u8; 6],
}

/// `struct xen_memory_exchange` (x86_64 layout, 72 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct XenMemoryExchange {
    /// Frames given up.
    pub(crate) input: XenMemoryReservation,
    /// Frames received in return.
    pub(crate) output: XenMemoryReservation,
    /// IN/OUT: input extents exchanged so far.
    pub(crate) nr_exchanged: u64,
}

// SAFETY: Integers and byte arrays, padding spelled out as `_pad`: any bit
// pattern is valid.
unsafe impl FromBytes for XenMemoryExchange {}
// SAFETY: As above: every byte is part of a field.
unsafe impl AsBytes for XenMemoryExchange {}

/// `XENMEMF_get_address_bits`.
pub(crate) fn xenmemf_address_bits(mem_flags: u32) -> u32 {
    mem_flags & 0xff
}

/// `CONSOLEIO_write`.
pub(crate) const CONSOLEIO_WRITE: u32 = 0;

/// The CPUID leaf where Xen's leaves start when Viridian is off.
pub(crate) const CPUID_BASE: u32 = 0x4000_0000;
/// "XenVMMXenVMM" in ebx, ecx, edx.
pub(crate) const CPUID_SIGNATURE: [u32; 3] = [0x566e_6558, 0x65584d4d, 0x4d4d566e];
/// The MSR through which a guest asks for its hypercall page.
pub(crate) const HYPERCALL_MSR: u32 = 0x4000_0000;
/// Interface version the stub follows: Xen 4.17's public headers.
pub(crate) const VERSION_MAJOR: u32 = 4;
/// See [`VERSION_MAJOR`].
pub(crate) const VERSION_MINOR: u32 = 17;
