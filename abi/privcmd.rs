// SPDX-License-Identifier: GPL-2.0

//! The privcmd UAPI of `include/uapi/xen/privcmd.h`: ioctl numbers and the
//! structures userspace passes in.  The layouts here are the contract with
//! libxencall and friends; they must match the C header byte for byte.

use kernel::transmute::{AsBytes, FromBytes};

/// `_IOC(_IOC_NONE, 'P', nr, sizeof(T))`, as the C header spells most privcmd
/// ioctls: direction bits 0 (none), type in bits 8-15, size from bit 16.
const fn privcmd_ioc<T>(nr: u32) -> u32 {
    ((core::mem::size_of::<T>() as u32) << 16) | ((b'P' as u32) << 8) | nr
}

/// `struct privcmd_hypercall`: the hypercall number and its five arguments.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdHypercall {
    /// Hypercall number: the index of the entry in the hypercall page.
    pub(crate) op: u64,
    /// Arguments, in the order of the hypervisor's ABI registers.
    pub(crate) arg: [u64; 5],
}

// SAFETY: `PrivcmdHypercall` is `repr(C)`, made only of integers, and has no
// padding, so every bit pattern is a valid value and all bytes are initialised.
unsafe impl FromBytes for PrivcmdHypercall {}
// SAFETY: As above: no padding, no uninitialised bytes.
unsafe impl AsBytes for PrivcmdHypercall {}

/// `struct privcmd_mmap`: map `num` ranges described at `entry`, of
/// domain `dom` (PV only).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdMmap {
    pub(crate) num: i32,
    pub(crate) dom: u16,
    pub(crate) entry: u64,
}

// SAFETY: `repr(C)`, integers only: every bit pattern is valid (padding is
// never read as a value).
unsafe impl FromBytes for PrivcmdMmap {}

/// `struct privcmd_mmap_entry`: `npages` machine frames from `mfn`, at `va`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdMmapEntry {
    pub(crate) va: u64,
    pub(crate) mfn: u64,
    pub(crate) npages: u64,
}

// SAFETY: `repr(C)`, three `u64`s, no padding.
unsafe impl FromBytes for PrivcmdMmapEntry {}

/// `struct privcmd_mmapbatch`: map the `num` frames listed at `arr`, of
/// domain `dom`, at `addr`; per-frame errors are or'd into `arr`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdMmapBatch {
    pub(crate) num: i32,
    pub(crate) dom: u16,
    pub(crate) addr: u64,
    pub(crate) arr: u64,
}

// SAFETY: `repr(C)`, integers only: every bit pattern is valid.
unsafe impl FromBytes for PrivcmdMmapBatch {}

/// `struct privcmd_mmapbatch_v2`: as [`PrivcmdMmapBatch`], with per-frame
/// errors in the `int` array at `err`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdMmapBatchV2 {
    pub(crate) num: u32,
    pub(crate) dom: u16,
    pub(crate) addr: u64,
    pub(crate) arr: u64,
    pub(crate) err: u64,
}

// SAFETY: `repr(C)`, integers only: every bit pattern is valid.
unsafe impl FromBytes for PrivcmdMmapBatchV2 {}

/// V1's per-frame error bits, or'd into the frame number: a frame paged
/// out (to be retried) and any other error.
pub(crate) const PRIVCMD_MMAPBATCH_PAGED_ERROR: u64 = 0x8000_0000;
pub(crate) const PRIVCMD_MMAPBATCH_MFN_ERROR: u64 = 0xf000_0000;

/// `struct privcmd_dm_op`: a device-model operation on domain `dom`, in
/// `num` buffers described at `ubufs`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdDmOp {
    pub(crate) dom: u16,
    pub(crate) num: u16,
    pub(crate) ubufs: u64,
}

// SAFETY: `repr(C)` and made only of integers: every bit pattern is valid
// (the padding after `num` is never read as a value).
unsafe impl FromBytes for PrivcmdDmOp {}

/// `struct privcmd_dm_op_buf`: one buffer of a device-model operation.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdDmOpBuf {
    pub(crate) uptr: u64,
    pub(crate) size: u64,
}

// SAFETY: `repr(C)`, two integers, no padding: every bit pattern is valid.
unsafe impl FromBytes for PrivcmdDmOpBuf {}

/// Xen's `struct xen_dm_op_buf` (`xen/include/public/hvm/dm_op.h`): the
/// buffer list that `__HYPERVISOR_dm_op` reads, a guest handle and a size.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct XenDmOpBuf {
    pub(crate) h: u64,
    pub(crate) size: u64,
}

/// `struct privcmd_mmap_resource`: map `num` frames of resource `ty`/`id`
/// of domain `dom`, from frame `idx`, at `addr`; or, with both `addr` and
/// `num` zero, ask the resource's size.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdMmapResource {
    pub(crate) dom: u16,
    pub(crate) ty: u32,
    pub(crate) id: u32,
    pub(crate) idx: u32,
    pub(crate) num: u64,
    pub(crate) addr: u64,
}

// SAFETY: `repr(C)`, integers only: every bit pattern is valid (the padding
// after `dom` is never read as a value).
unsafe impl FromBytes for PrivcmdMmapResource {}

/// Xen's `struct xen_mem_acquire_resource` (`public/memory.h`), the
/// argument of `XENMEM_acquire_resource`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct XenMemAcquireResource {
    pub(crate) domid: u16,
    pub(crate) ty: u16,
    pub(crate) id: u32,
    pub(crate) nr_frames: u32,
    /// `pad` in Xen 4.17; Linux's copy names bit 0 "caller owned".
    pub(crate) flags: u32,
    pub(crate) frame: u64,
    pub(crate) frame_list: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdIrqfd {
    /// User address of the `struct xen_dm_op` to issue on each signal.
    pub(crate) dm_op: u64,
    /// Its size in bytes.
    pub(crate) size: u32,
    /// The eventfd.
    pub(crate) fd: u32,
    /// `PRIVCMD_IRQFD_FLAG_DEASSIGN` or 0.
    pub(crate) flags: u32,
    /// The guest's domain.
    pub(crate) dom: u16,
    pad: [u8; 2],
}

// SAFETY: `repr(C)`, integers only, no padding: every bit pattern is valid.
unsafe impl FromBytes for PrivcmdIrqfd {}

/// `PRIVCMD_IRQFD_FLAG_DEASSIGN`: end the irqfd of the eventfd instead.
pub(crate) const PRIVCMD_IRQFD_FLAG_DEASSIGN: u32 = 1;

/// `struct privcmd_ioeventfd`: signal the eventfd `event_fd` when a vCPU
/// of `dom` writes virtqueue `vq`'s number to the `QueueNotify` register
/// of the virtio-mmio device at `addr`, as read from the ioreq pages mapped
/// at `ioreq`, with per-vCPU event channels listed at `ports`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdIoeventfd {
    /// User address of the ioreq server's mapped request pages.
    pub(crate) ioreq: u64,
    /// User address of `vcpus` event channel ports (`__u32`).
    pub(crate) ports: u64,
    /// Guest physical address of the virtio-mmio device.
    pub(crate) addr: u64,
    /// Width of the notification write: 1, 2, 4 or 8.
    pub(crate) addr_len: u32,
    /// The eventfd.
    pub(crate) event_fd: u32,
    /// The guest's vCPUs.
    pub(crate) vcpus: u32,
    /// The virtqueue.
    pub(crate) vq: u32,
    /// `PRIVCMD_IOEVENTFD_FLAG_DEASSIGN` or 0.
    pub(crate) flags: u32,
    /// The guest's domain.
    pub(crate) dom: u16,
    pad: [u8; 2],
}

// SAFETY: `repr(C)`, integers only, no padding: every bit pattern is valid.
unsafe impl FromBytes for PrivcmdIoeventfd {}

/// `PRIVCMD_IOEVENTFD_FLAG_DEASSIGN`: remove the eventfd instead.
pub(crate) const PRIVCMD_IOEVENTFD_FLAG_DEASSIGN: u32 = 1;

/// `struct privcmd_pcidev_get_gsi`: PCI device `sbdf`, and its GSI written
/// back.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PrivcmdPcidevGetGsi {
    pub(crate) sbdf: u32,
    pub(crate) gsi: u32,
}

// SAFETY: `repr(C)`, two `u32`s, no padding: every bit pattern is valid and
// every byte initialised.
unsafe impl FromBytes for PrivcmdPcidevGetGsi {}
// SAFETY: As above.
unsafe impl AsBytes for PrivcmdPcidevGetGsi {}

/// Issue a hypercall.
pub(crate) const IOCTL_PRIVCMD_HYPERCALL: u32 = privcmd_ioc::<PrivcmdHypercall>(0);
/// Map ranges of foreign frames.
pub(crate) const IOCTL_PRIVCMD_MMAP: u32 = privcmd_ioc::<PrivcmdMmap>(2);
/// Map a batch of foreign frames, errors or'd into the frame array.
pub(crate) const IOCTL_PRIVCMD_MMAPBATCH: u32 = privcmd_ioc::<PrivcmdMmapBatch>(3);
/// Map a batch of foreign frames, errors in a separate array.
pub(crate) const IOCTL_PRIVCMD_MMAPBATCH_V2: u32 = privcmd_ioc::<PrivcmdMmapBatchV2>(4);
/// Issue a device-model operation.
pub(crate) const IOCTL_PRIVCMD_DM_OP: u32 = privcmd_ioc::<PrivcmdDmOp>(5);
/// Restrict this file to one domain.
pub(crate) const IOCTL_PRIVCMD_RESTRICT: u32 = privcmd_ioc::<u16>(6);
/// Map a resource of a domain.
pub(crate) const IOCTL_PRIVCMD_MMAP_RESOURCE: u32 = privcmd_ioc::<PrivcmdMmapResource>(7);
/// Wire an eventfd to a guest interrupt.
pub(crate) const IOCTL_PRIVCMD_IRQFD: u32 = kernel::ioctl::_IOW::<PrivcmdIrqfd>(b'P' as u32, 8);
/// Wire an ioreq to an eventfd.
pub(crate) const IOCTL_PRIVCMD_IOEVENTFD: u32 =
    kernel::ioctl::_IOW::<PrivcmdIoeventfd>(b'P' as u32, 9);
/// Look up the GSI of a PCI device.
pub(crate) const IOCTL_PRIVCMD_PCIDEV_GET_GSI: u32 = privcmd_ioc::<PrivcmdPcidevGetGsi>(10);
