// SPDX-License-Identifier: GPL-2.0

//! `IOCTL_PRIVCMD_MMAPBATCH`, `IOCTL_PRIVCMD_MMAPBATCH_V2` and
//! `IOCTL_PRIVCMD_MMAP`: another domain's frames mapped into a privcmd VMA,
//! as libxenforeignmemory maps a guest's memory for the toolstack.
//!
//! A batch maps a list of frames, each with its own result: V2 writes the
//! errno of each failed frame into an `int` array, V1 or's an error bit
//! into the frame number itself (`PRIVCMD_MMAPBATCH_PAGED_ERROR` for a
//! frame that is paged out, `PRIVCMD_MMAPBATCH_MFN_ERROR` for any other).
//! The first batch must cover the whole VMA; a retry may fill the frames
//! still unmapped (those that were paged out), and the ioctl returns
//! `ENOENT` while any is.  `IOCTL_PRIVCMD_MMAP` (PV only) maps ranges of
//! machine frames, contiguous in the VMA from its start.
//!
//! Checks, in the C driver's order and with its errno values.  Where the C
//! driver would act on a VMA that is not a privcmd one (`MMAP`: a kernel
//! `BUG()` in the remapping), or walk page tables from an address inside a
//! page (a batch's retry), this driver answers `EINVAL`.  Arrays whose size
//! the caller chooses are `ENOMEM` when too large, without the allocator's
//! warning.

use core::mem::size_of;
use kernel::{
    ffi::c_int,
    page::{PAGE_SHIFT, PAGE_SIZE},
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

use crate::{
    hypercall::{HypercallPage, Hypervisor},
    may_name,
    uapi::{
        PrivcmdMmap, PrivcmdMmapBatch, PrivcmdMmapBatchV2, PrivcmdMmapEntry,
        PRIVCMD_MMAPBATCH_MFN_ERROR, PRIVCMD_MMAPBATCH_PAGED_ERROR,
    },
    user::{access_ok, clear, read_array},
    vma::{page_aligned, user_sized, CurrentMm, PrivcmdVma, MAP_LOCK},
};

/// Frames mapped per call into the kernel's remapping (the C driver maps
/// one page of its gathered array at a time).
const CHUNK: usize = PAGE_SIZE / size_of::<u64>();

/// `-ENOENT`: a frame is paged out.
const NEG_ENOENT: i32 = -(kernel::bindings::ENOENT as i32);

/// The two batch layouts, read into one.
struct Batch {
    num: u32,
    dom: u16,
    addr: u64,
    arr: u64,
    /// V2's error array; V1 has none.
    err: Option<u64>,
}

impl Batch {
    fn read(arg: usize, version: u32) -> Result<Self> {
        let arg = UserPtr::from_addr(arg);
        if version == 1 {
            let m: PrivcmdMmapBatch = UserSlice::new(arg, size_of::<PrivcmdMmapBatch>())
                .reader()
                .read()?;
            let num = m.num as u32;
            if !access_ok(m.arr, u64::from(num) * size_of::<u64>() as u64) {
                return Err(EFAULT);
            }
            Ok(Self {
                num,
                dom: m.dom,
                addr: m.addr,
                arr: m.arr,
                err: None,
            })
        } else {
            let m: PrivcmdMmapBatchV2 = UserSlice::new(arg, size_of::<PrivcmdMmapBatchV2>())
                .reader()
                .read()?;
            if !access_ok(m.err, u64::from(m.num) * size_of::<i32>() as u64) {
                return Err(EFAULT);
            }
            Ok(Self {
                num: m.num,
                dom: m.dom,
                addr: m.addr,
                arr: m.arr,
                err: Some(m.err),
            })
        }
    }
}

/// Whether foreign frames are mapped PV-style (by machine frame); `ENOSYS`
/// on the stub, which has no foreign frames.
fn paravirtualised(page: &HypercallPage) -> Result<bool> {
    match page.hypervisor() {
        Hypervisor::XenPv => Ok(true),
        Hypervisor::XenHvm => Ok(false),
        Hypervisor::Stub => Err(ENOSYS),
    }
}

/// `IOCTL_PRIVCMD_MMAPBATCH` (`version` 1) or `_V2` (2).
pub(crate) fn mmap_batch(
    page: &HypercallPage,
    restricted: u32,
    arg: usize,
    version: u32,
) -> Result<isize> {
    let m = Batch::read(arg, version)?;
    may_name(restricted, m.dom)?;
    if m.num == 0 {
        return Err(EINVAL);
    }
    let num = m.num as usize;
    let mut gfns: KVVec<u64> = read_array(m.arr, num)?;
    if let Some(err) = m.err {
        // Only actual errors are written back.
        clear(err, num * size_of::<i32>())?;
    }
    let pv = paravirtualised(page)?;
    let addr = page_aligned(m.addr)?;
    let len = num << PAGE_SHIFT;
    let mut errs = KVVec::from_elem(0i32, num, user_sized())?;

    // 0: no error; 1: some frame failed; -ENOENT: some frame is paged out.
    let mut global_error = 0;
    {
        let current = CurrentMm::get()?;
        let mm = current.mm();
        let _state = MAP_LOCK.lock();
        let mmap = mm.mmap_read_lock();
        let vma = PrivcmdVma::new(mmap.vma_lookup(addr))?;
        let end = addr.checked_add(len).ok_or(EINVAL)?;
        if vma.is_unclaimed() {
            // The first batch maps the whole VMA.
            if addr != vma.start() || end != vma.end() {
                return Err(EINVAL);
            }
            if pv {
                vma.claim_pv();
            } else {
                vma.claim_translated(0, num)?;
            }
        } else if addr < vma.start()
            || end > vma.end()
            || (!pv && !vma.claim_covers((addr - vma.start()) >> PAGE_SHIFT, num))
            || vma.range_is_mapped(addr, num)
        {
            // A retry fills holes only, where frames were lent for them.
            return Err(EINVAL);
        }

        let first_page = (addr - vma.start()) >> PAGE_SHIFT;
        let mut start = 0;
        while start < num {
            let nr = CHUNK.min(num - start);
            let va = addr + (start << PAGE_SHIFT);
            let ret = vma.remap_gfns(
                pv,
                va,
                &mut gfns[start..start + nr],
                &mut errs[start..start + nr],
                u32::from(m.dom),
                first_page + start,
            );
            if ret != nr as i32 {
                if ret == NEG_ENOENT {
                    global_error = NEG_ENOENT;
                } else if global_error == 0 {
                    global_error = 1;
                }
            }
            start += nr;
        }
    }

    if global_error != 0 {
        write_back_errors(&m, &errs)?;
    }
    if global_error == NEG_ENOENT {
        return Err(ENOENT);
    }
    Ok(0)
}

/// Reports each failed frame: V2 its errno in the error array, V1 an error
/// bit or'd into its entry of the frame array.
fn write_back_errors(m: &Batch, errs: &[i32]) -> Result {
    for (i, &err) in errs.iter().enumerate() {
        if err == 0 {
            continue;
        }
        match m.err {
            Some(array) => {
                let at = array as usize + i * size_of::<i32>();
                UserSlice::new(UserPtr::from_addr(at), size_of::<i32>())
                    .writer()
                    .write(&err)?;
            }
            None => {
                let at = UserPtr::from_addr(m.arr as usize + i * size_of::<u64>());
                let (mut reader, mut writer) = UserSlice::new(at, size_of::<u64>()).reader_writer();
                let gfn: u64 = reader.read()?;
                let bit = if err == NEG_ENOENT {
                    PRIVCMD_MMAPBATCH_PAGED_ERROR
                } else {
                    PRIVCMD_MMAPBATCH_MFN_ERROR
                };
                writer.write(&(gfn | bit))?;
            }
        }
    }
    Ok(())
}

/// `IOCTL_PRIVCMD_MMAP`: ranges of machine frames, PV only (`ENOSYS` for
/// an auto-translated dom0, as in C).
pub(crate) fn mmap(page: &HypercallPage, restricted: u32, arg: usize) -> Result<isize> {
    if !paravirtualised(page).unwrap_or(false) {
        return Err(ENOSYS);
    }
    let m: PrivcmdMmap = UserSlice::new(UserPtr::from_addr(arg), size_of::<PrivcmdMmap>())
        .reader()
        .read()?;
    may_name(restricted, m.dom)?;
    let entries: KVVec<PrivcmdMmapEntry> = read_array(m.entry, m.num as u32 as usize)?;
    let Some(first) = entries.first() else {
        return Ok(0);
    };

    let current = CurrentMm::get()?;
    let mm = current.mm();
    let _state = MAP_LOCK.lock();
    let mmap = mm.mmap_read_lock();
    let first_va = usize::try_from(first.va).map_err(|_| EINVAL)?;
    let vma = PrivcmdVma::new(mmap.vma_lookup(first_va))?;
    if first_va != vma.start() || !vma.is_unclaimed() {
        return Err(EINVAL);
    }
    vma.claim_pv();

    let mut va = vma.start() as u64;
    for entry in entries.iter() {
        // No range may wrap the address space.
        if entry.npages > (i64::MAX as u64 >> PAGE_SHIFT)
            || (entry.npages << PAGE_SHIFT) >= va.wrapping_neg()
        {
            return Err(EINVAL);
        }
        // Ranges follow each other in the VMA.
        let size = entry.npages << PAGE_SHIFT;
        if entry.va != va || entry.va + size > vma.end() as u64 {
            return Err(EINVAL);
        }
        let nr = c_int::try_from(entry.npages).map_err(|_| EINVAL)?;
        #[cfg(CONFIG_XEN_PV)]
        vma.remap_range(entry.va as usize, entry.mfn, nr, u32::from(m.dom))?;
        #[cfg(not(CONFIG_XEN_PV))]
        let _ = nr;
        va += size;
    }
    Ok(0)
}
