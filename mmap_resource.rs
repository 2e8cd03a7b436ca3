// SPDX-License-Identifier: GPL-2.0

//! `IOCTL_PRIVCMD_MMAP_RESOURCE`: maps frames of a domain's resource (its
//! grant table, an ioreq server's pages, its vmtrace buffer) into a privcmd
//! VMA, through `XENMEM_acquire_resource`; with a NULL address and no
//! frames, asks the resource's size.
//!
//! Checks and errno values as in Linux's C driver: `EFAULT` for the
//! structure, `EPERM` for another domain than a restricted file's, `EINVAL`
//! unless address and count are both set or both zero, `EINVAL` for an
//! address outside a privcmd VMA; then Xen's answer.  Checks the C driver
//! lacks: the address must be page-aligned (`EINVAL`; C walks past a page
//! table), the frames must fit in the VMA that holds the address
//! (`EINVAL`; C would map past its end), and an auto-translated dom0's VMA
//! takes one resource mapping only (`EINVAL`; C would `BUG()`).  What is
//! allocated and lent is sized by the frames asked for, never by the VMA.

use core::mem::{offset_of, size_of};
use kernel::{
    page::PAGE_SHIFT,
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

use crate::{
    hypercall::{HypercallPage, Hypervisor},
    may_name,
    uapi::{PrivcmdMmapResource, XenMemAcquireResource},
    vma::{page_aligned, user_sized, CurrentMm, PrivcmdVma, MAP_LOCK},
};

/// `__HYPERVISOR_memory_op`.
const HYPERVISOR_MEMORY_OP: u64 = 12;
/// `XENMEM_acquire_resource`.
const XENMEM_ACQUIRE_RESOURCE: u64 = 28;
/// `XENMEM_rsrc_acq_caller_owned`: the frames are the caller's own.
const XENMEM_RSRC_ACQ_CALLER_OWNED: u32 = 1;
/// `DOMID_SELF`.
const DOMID_SELF: u32 = 0x7ff0;

/// Issues `XENMEM_acquire_resource` with `xdata`, from kernel memory.
fn acquire(page: &HypercallPage, xdata: &mut XenMemAcquireResource) -> Result<i64> {
    page.call(
        HYPERVISOR_MEMORY_OP,
        [
            XENMEM_ACQUIRE_RESOURCE,
            core::ptr::from_mut(xdata) as u64,
            0,
            0,
            0,
        ],
    )
}

/// `IOCTL_PRIVCMD_MMAP_RESOURCE` on a file restricted to `restricted`.
pub(crate) fn mmap_resource(page: &HypercallPage, restricted: u32, arg: usize) -> Result<isize> {
    let kdata: PrivcmdMmapResource =
        UserSlice::new(UserPtr::from_addr(arg), size_of::<PrivcmdMmapResource>())
            .reader()
            .read()?;
    may_name(restricted, kdata.dom)?;
    if (kdata.addr != 0) != (kdata.num != 0) {
        return Err(EINVAL);
    }
    // Foreign frames are mapped by Xen's MMU; the stub has none.
    let pv = match page.hypervisor() {
        Hypervisor::XenPv => true,
        Hypervisor::XenHvm => false,
        Hypervisor::Stub => return Err(ENOSYS),
    };
    let mut xdata = XenMemAcquireResource {
        domid: kdata.dom,
        ty: kdata.ty as u16,
        id: kdata.id,
        ..Default::default()
    };

    if kdata.addr == 0 {
        // The size of the resource, written back into `num`.
        let rc = acquire(page, &mut xdata)?;
        if rc != 0 {
            return Ok(rc as isize);
        }
        let num = UserPtr::from_addr(arg + offset_of!(PrivcmdMmapResource, num));
        UserSlice::new(num, size_of::<u64>())
            .writer()
            .write(&u64::from(xdata.nr_frames))?;
        return Ok(0);
    }

    let addr = page_aligned(kdata.addr)?;
    let num = usize::try_from(kdata.num).map_err(|_| ENOMEM)?;
    let nr_frames = u32::try_from(kdata.num).map_err(|_| EINVAL)?;
    let len = num.checked_shl(PAGE_SHIFT as u32).ok_or(EINVAL)?;

    let current = CurrentMm::get()?;
    let mm = current.mm();
    let _state = MAP_LOCK.lock();
    let mmap = mm.mmap_read_lock();
    let vma = PrivcmdVma::new(mmap.vma_lookup(addr))?;
    if addr.checked_add(len).is_none_or(|end| end > vma.end()) {
        return Err(EINVAL);
    }

    let mut pfns = if pv {
        let pfns = KVVec::from_elem(0u64, num, user_sized())?;
        vma.claim_pv();
        pfns
    } else {
        // One lent frame per frame of the resource, where it is mapped.
        vma.claim_translated((addr - vma.start()) >> PAGE_SHIFT, num)?
    };
    xdata.frame = u64::from(kdata.idx);
    xdata.nr_frames = nr_frames;
    xdata.frame_list = pfns.as_mut_ptr() as u64;
    let rc = acquire(page, &mut xdata)?;
    if rc != 0 {
        return Ok(rc as isize);
    }

    if !pv {
        vma.remap_own()?;
        return Ok(0);
    }
    #[cfg(CONFIG_XEN_PV)]
    {
        let domid = if xdata.flags & XENMEM_RSRC_ACQ_CALLER_OWNED != 0 {
            DOMID_SELF
        } else {
            u32::from(kdata.dom)
        };
        let mut errs = KVVec::from_elem(0i32, num, user_sized())?;
        let mapped = vma.remap_mfns(addr, &mut pfns, &mut errs, domid);
        if mapped < 0 {
            return Err(Error::from_errno(mapped));
        }
        // As the C driver: the first error among the frames mapped.
        let mapped = mapped as usize;
        if mapped != num {
            if let Some(&err) = errs[..mapped].iter().find(|&&e| e < 0) {
                return Err(Error::from_errno(err));
            }
        }
        Ok(0)
    }
    #[cfg(not(CONFIG_XEN_PV))]
    Err(EOPNOTSUPP)
}
