// SPDX-License-Identifier: GPL-2.0

//! `IOCTL_PRIVCMD_DM_OP`: a device-model operation (`__HYPERVISOR_dm_op`)
//! on a domain, as QEMU's Xen backends issue them through libxendevicemodel.
//!
//! The caller describes up to `dm_op_max_nr_bufs` buffers of at most
//! `dm_op_buf_max_size` bytes each.  Xen reads and writes them by their
//! user addresses while the call runs, so every page under them is pinned
//! for its duration, as Linux's C driver does; the list of buffers itself
//! is handed to Xen from kernel memory.  Checks, in the C driver's order
//! and with its errno values: `EFAULT` for the structure, `EPERM` for
//! another domain than a restricted file's, nothing to do for no buffers,
//! `E2BIG` for too many, `EFAULT` for the buffer list, then per buffer
//! `E2BIG` for one too large and `EFAULT` for one outside user space.

use core::{ffi::c_int, mem::size_of};
use kernel::{
    bindings,
    page::{PAGE_MASK, PAGE_SIZE},
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

use crate::{
    hypercall::HypercallPage,
    may_name,
    uapi::{PrivcmdDmOp, PrivcmdDmOpBuf, XenDmOpBuf},
    user::access_ok,
};

/// `__HYPERVISOR_dm_op`.
pub(crate) const HYPERVISOR_DM_OP: u64 = 41;

/// The limits, from the module parameters of the same names.
pub(crate) struct Limits {
    /// Most buffers in one operation (`dm_op_max_nr_bufs`).
    pub(crate) max_nr_bufs: u32,
    /// Largest buffer, in bytes (`dm_op_buf_max_size`).
    pub(crate) buf_max_size: u32,
}

/// User pages pinned for one operation, unpinned (and marked dirty, since
/// Xen may have written them) when dropped.
struct PinnedPages(KVec<*mut bindings::page>);

impl PinnedPages {
    /// Pins the pages under `len` bytes at `addr`, which are readable and
    /// writable user memory or the call fails.
    fn pin(&mut self, addr: u64, len: u64) -> Result {
        let mut start = usize::try_from(addr).map_err(|_| EFAULT)? & PAGE_MASK;
        let mut left = pages_spanned(addr, len);
        while left > 0 {
            let spare = self.0.spare_capacity_mut();
            if spare.len() < left {
                return Err(ENOSPC);
            }
            let want = c_int::try_from(left).map_err(|_| E2BIG)?;
            // SAFETY: `spare` has room for `left` page pointers, which
            // `pin_user_pages_fast` fills for each page it pins and counts
            // in its result; `start` is only a number to it, checked there.
            let got = unsafe {
                bindings::pin_user_pages_fast(
                    start,
                    want,
                    bindings::FOLL_WRITE,
                    spare.as_mut_ptr().cast(),
                )
            };
            if got <= 0 {
                return Err(if got == 0 {
                    EFAULT
                } else {
                    Error::from_errno(got)
                });
            }
            let got = got as usize;
            // SAFETY: `pin_user_pages_fast` initialised the first `got`
            // entries of the spare capacity.
            unsafe { self.0.inc_len(got) };
            start += got * PAGE_SIZE;
            left -= got;
        }
        Ok(())
    }
}

impl Drop for PinnedPages {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        // SAFETY: Every entry is a page pinned by `pin_user_pages_fast` in
        // `pin` and not unpinned since.
        unsafe { bindings::unpin_user_pages_dirty_lock(self.0.as_mut_ptr(), self.0.len(), true) };
    }
}

/// Pages under `len` bytes at `addr`: `DIV_ROUND_UP(offset_in_page(addr)
/// + len, PAGE_SIZE)`, as the C driver counts them.
fn pages_spanned(addr: u64, len: u64) -> usize {
    let offset = addr as usize & !PAGE_MASK;
    (offset + len as usize).div_ceil(PAGE_SIZE)
}

/// `IOCTL_PRIVCMD_DM_OP` on a file restricted to `restricted`
/// (`DOMID_INVALID` for none).
pub(crate) fn dm_op(
    page: &HypercallPage,
    restricted: u32,
    limits: Limits,
    arg: UserPtr,
) -> Result<isize> {
    let op: PrivcmdDmOp = UserSlice::new(arg, size_of::<PrivcmdDmOp>())
        .reader()
        .read()?;
    may_name(restricted, op.dom)?;
    if op.num == 0 {
        return Ok(0);
    }
    if u32::from(op.num) > limits.max_nr_bufs {
        return Err(E2BIG);
    }
    let num = usize::from(op.num);
    let ubufs = usize::try_from(op.ubufs).map_err(|_| EFAULT)?;
    let mut reader =
        UserSlice::new(UserPtr::from_addr(ubufs), num * size_of::<PrivcmdDmOpBuf>()).reader();
    let mut bufs = KVec::with_capacity(num, GFP_KERNEL)?;
    for _ in 0..num {
        bufs.push(reader.read::<PrivcmdDmOpBuf>()?, GFP_KERNEL)?;
    }

    let mut nr_pages = 0;
    for buf in bufs.iter() {
        if buf.size > u64::from(limits.buf_max_size) {
            return Err(E2BIG);
        }
        if !access_ok(buf.uptr, buf.size) {
            return Err(EFAULT);
        }
        nr_pages += pages_spanned(buf.uptr, buf.size);
    }

    let mut pinned = PinnedPages(KVec::with_capacity(nr_pages, GFP_KERNEL)?);
    let mut xen_bufs = KVec::with_capacity(num, GFP_KERNEL)?;
    for buf in bufs.iter() {
        pinned.pin(buf.uptr, buf.size)?;
        xen_bufs.push(
            XenDmOpBuf {
                h: buf.uptr,
                size: buf.size,
            },
            GFP_KERNEL,
        )?;
    }

    let ret = page.call(
        HYPERVISOR_DM_OP,
        [
            u64::from(op.dom),
            u64::from(op.num),
            xen_bufs.as_ptr() as u64,
            0,
            0,
        ],
    )?;
    Ok(ret as isize)
}
