// SPDX-License-Identifier: GPL-2.0

//! The mappings of `/dev/xen/privcmd`: `mmap` of the device reserves an
//! address range, and the mapping ioctls (`MMAP_RESOURCE`, `MMAPBATCH`,
//! `MMAP`) fill it with another domain's frames.
//!
//! As with Linux's C driver, `mmap` marks the VMA `VM_IO | VM_PFNMAP |
//! VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP` (a fork cannot copy foreign
//! mappings), the VMA cannot be split, and a fault where nothing is mapped
//! is `SIGBUS`.  A PV dom0 maps the frames by machine address and keeps no
//! state; a PVH (auto-translated) dom0 first needs guest frames to map them
//! at, taken from the balloon and given back when the VMA goes.
//!
//! The kernel's Rust VMA abstraction has no `vm_operations_struct` and no
//! per-VMA data yet; this module keeps the few raw accesses that need
//! them, each with its argument.  Mapping ioctls hold the mmap lock for
//! reading and this module's [`MAP_LOCK`] for the VMA's state, where the C
//! driver takes the mmap lock for writing, which Rust cannot take yet.

use core::ptr::{null_mut, NonNull};
use kernel::{
    bindings,
    ffi::{c_int, c_uint, c_ulong, c_void},
    mm::{
        virt::{VmaNew, VmaRef},
        MmWithUser,
    },
    prelude::*,
};

/// `vm_private_data` of a PV VMA whose frames are mapped (the C driver's
/// `PRIV_VMA_LOCKED`).
const PRIV_VMA_LOCKED: *mut c_void = core::ptr::dangling_mut::<c_void>();

// The kernel's own bindgen types, as in the `bindings` crate, which allows
// the same lint: some have fields bindgen cannot express.
#[allow(improper_ctypes)]
extern "C" {
    #[cfg(CONFIG_XEN_PV)]
    fn xen_remap_pfn(
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
        pfn: *mut u64,
        nr: c_int,
        err_ptr: *mut c_int,
        prot: bindings::pgprot_t,
        domid: c_uint,
        no_translate: bool,
    ) -> c_int;
    fn xen_xlate_remap_gfn_array(
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
        gfn: *mut u64,
        nr: c_int,
        err_ptr: *mut c_int,
        prot: bindings::pgprot_t,
        domid: c_uint,
        pages: *mut *mut bindings::page,
    ) -> c_int;
    fn xen_unmap_domain_gfn_range(
        vma: *mut bindings::vm_area_struct,
        numpgs: c_int,
        pages: *mut *mut bindings::page,
    ) -> c_int;
    fn xen_remap_vma_range(
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
        len: c_ulong,
    ) -> c_int;
    fn xen_alloc_ballooned_pages(nr_pages: c_uint, pages: *mut *mut bindings::page) -> c_int;
    fn xen_free_ballooned_pages(nr_pages: c_uint, pages: *mut *mut bindings::page);
}

/// A `vm_operations_struct` that the VMAs of other modules' code may read.
struct VmOps(bindings::vm_operations_struct);

// SAFETY: Immutable after compilation; the kernel only reads it.
unsafe impl Sync for VmOps {}

/// The operations of every privcmd VMA; also how a VMA is known as one.
static VM_OPS: VmOps = VmOps(bindings::vm_operations_struct {
    close: Some(close),
    may_split: Some(may_split),
    fault: Some(fault),
    ..pin_init::zeroed()
});

kernel::sync::global_lock! {
    /// Serialises the mapping ioctls' updates of a VMA's state.
    // SAFETY: Initialised in module init, before the device exists.
    pub(crate) unsafe(uninit) static MAP_LOCK: Mutex<()> = ();
}

/// The calling task's address space, with a reference held.
///
/// Taken with `get_task_mm()` rather than `kernel::current!().mm()`: with
/// `CONFIG_SCHEDSTATS` off, `struct sched_statistics` is empty but
/// cacheline-aligned, bindgen drops the alignment, and every field of
/// `bindings::task_struct` from `stats` on is 48 bytes early (`mm` at 864,
/// against 0x390 in C), so the Rust abstraction reads another field.  A C
/// function reads it at the right place.
pub(crate) struct CurrentMm(NonNull<bindings::mm_struct>);

impl CurrentMm {
    /// The current task's mm; `EINVAL` for a kernel thread, which has none.
    pub(crate) fn get() -> Result<Self> {
        // SAFETY: `get_current()` is the running task, valid for the call;
        // `get_task_mm` returns its mm with `mm_users` raised, or NULL.
        let mm = unsafe { bindings::get_task_mm(bindings::get_current()) };
        NonNull::new(mm).map(Self).ok_or(EINVAL)
    }

    /// The address space, borrowed for as long as the reference is held.
    pub(crate) fn mm(&self) -> &MmWithUser {
        // SAFETY: `mm_users` is raised (by `get_task_mm`) until `drop`.
        unsafe { MmWithUser::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for CurrentMm {
    fn drop(&mut self) {
        // SAFETY: Drops the reference `get_task_mm` took.
        unsafe { bindings::mmput(self.0.as_ptr()) };
    }
}

/// Guest frames lent by the balloon to an auto-translated dom0's VMA, one
/// per page of the VMA, for the foreign frames to be mapped at.
///
/// The VMA's `vm_private_data` is the array of their `struct page *` itself,
/// as Linux's `xen_remap_vma_range()` reads it; its length is the VMA's
/// page count, which cannot change (the VMA can neither grow nor split).
struct BalloonPages(KVVec<*mut bindings::page>);

impl BalloonPages {
    /// Borrows `nr` frames from the balloon.
    fn alloc(nr: usize) -> Result<Self> {
        let mut pages = KVVec::with_capacity(nr, GFP_KERNEL)?;
        pages.extend_with(nr, null_mut(), GFP_KERNEL)?;
        let count = c_uint::try_from(nr).map_err(|_| ENOMEM)?;
        // SAFETY: `pages` holds `nr` entries for the page pointers.
        let rc = unsafe { xen_alloc_ballooned_pages(count, pages.as_mut_ptr()) };
        if rc != 0 {
            pr_warn!("could not allocate {} guest frames: {}\n", nr, rc);
            // Nothing was lent: forget the array, not the frames.
            pages.clear();
            return Err(ENOMEM);
        }
        Ok(Self(pages))
    }

    /// Hands the array over as a VMA's private data.
    fn into_raw(self) -> *mut c_void {
        let mut this = core::mem::ManuallyDrop::new(self);
        let vec = core::mem::take(&mut this.0);
        let (ptr, len, cap) = vec.into_raw_parts();
        // `with_capacity(nr)` and `nr` entries: rebuilt from `len` alone.
        debug_assert_eq!(len, cap);
        ptr.cast()
    }

    /// Takes the array of `nr` frames back from a VMA's private data.
    ///
    /// # Safety
    ///
    /// `raw` came from [`Self::into_raw`] of `nr` frames and is not used
    /// again.
    unsafe fn from_raw(raw: *mut c_void, nr: usize) -> Self {
        // SAFETY: By the caller's promise, `raw` is the buffer of a
        // `KVVec` of `nr` entries allocated with capacity `nr`.
        Self(unsafe { KVVec::from_raw_parts(raw.cast(), nr, nr) })
    }
}

impl Drop for BalloonPages {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        // SAFETY: The frames came from `xen_alloc_ballooned_pages` and are
        // mapped nowhere (never, or unmapped by `close`).
        unsafe { xen_free_ballooned_pages(self.0.len() as c_uint, self.0.as_mut_ptr()) };
    }
}

/// Sets a new VMA of the device up (the device's `mmap`).
pub(crate) fn setup(vma: &VmaNew) {
    vma.set_io();
    vma.set_dontcopy();
    vma.set_dontexpand();
    vma.set_dontdump();
    let raw = vma.as_ptr();
    // SAFETY: The VMA is undergoing its initial set-up and is not yet
    // visible to anyone else (the argument of `VmaNew`'s own setters);
    // `VM_PFNMAP` is valid with the flags above, and `vm_ops` and
    // `vm_private_data` are the driver's to set in `mmap`.
    unsafe {
        (*raw).__bindgen_anon_2.vm_flags |= bindings::VM_PFNMAP;
        (*raw).vm_ops = &VM_OPS.0;
        (*raw).vm_private_data = null_mut();
    }
}

/// A privcmd VMA found by a mapping ioctl, with the mmap lock held for
/// reading and [`MAP_LOCK`] held.
pub(crate) struct PrivcmdVma<'a> {
    vma: &'a VmaRef,
}

impl<'a> PrivcmdVma<'a> {
    /// The privcmd VMA `vma`, or `EINVAL` for any other.  The caller holds
    /// [`MAP_LOCK`] for as long as it uses the result.
    pub(crate) fn new(vma: Option<&'a VmaRef>) -> Result<Self> {
        let vma = vma.ok_or(EINVAL)?;
        // SAFETY: The mmap lock is held, so `vm_ops` is stable.
        let ops = unsafe { (*vma.as_ptr()).vm_ops };
        if !core::ptr::eq(ops, &VM_OPS.0) {
            return Err(EINVAL);
        }
        Ok(Self { vma })
    }

    pub(crate) fn start(&self) -> usize {
        self.vma.start()
    }

    pub(crate) fn end(&self) -> usize {
        self.vma.end()
    }

    fn private(&self) -> *mut c_void {
        // SAFETY: Written only under `MAP_LOCK` (held) or with the mmap
        // lock held for writing (excluded by our read lock).
        unsafe { (*self.vma.as_ptr()).vm_private_data }
    }

    fn set_private(&self, data: *mut c_void) {
        // SAFETY: As in `private`: the caller holds `MAP_LOCK`.
        unsafe { (*self.vma.as_ptr()).vm_private_data = data };
    }

    /// Whether no mapping ioctl has claimed the VMA yet.
    pub(crate) fn is_unclaimed(&self) -> bool {
        self.private().is_null()
    }

    /// Claims the VMA for a PV dom0's foreign frames.
    pub(crate) fn claim_pv(&self) {
        self.set_private(PRIV_VMA_LOCKED);
    }

    /// Pages in the VMA.
    fn pages(&self) -> usize {
        (self.vma.end() - self.vma.start()) >> kernel::page::PAGE_SHIFT
    }

    /// Claims the VMA for an auto-translated dom0: lends it one guest frame
    /// per page and returns their frame numbers, or `EINVAL` if it was
    /// claimed before.
    pub(crate) fn claim_translated(&self) -> Result<KVVec<u64>> {
        if !self.is_unclaimed() {
            return Err(EINVAL);
        }
        let nr = self.pages();
        let pages = BalloonPages::alloc(nr)?;
        let mut pfns = KVVec::with_capacity(nr, GFP_KERNEL)?;
        for &page in pages.0.iter() {
            // SAFETY: `page` is a `struct page` of the vmemmap array.
            let pfn = unsafe { page.offset_from(bindings::vmemmap_base as *mut bindings::page) };
            pfns.push(pfn as u64, GFP_KERNEL)?;
        }
        self.set_private(pages.into_raw());
        Ok(pfns)
    }

    /// The kernel addresses of `count` slots of `size` bytes, one after the
    /// other from the start of the page at `addr`, in the frames mapped in
    /// this (auto-translated dom0's) VMA, and which frames those are (the
    /// identity [`crate::ioeventfd::pages_gone`] is told when they go).
    /// `EFAULT` if nothing is mapped here through frames the kernel can
    /// address (a PV dom0's mappings), `EINVAL` if the slots run past the
    /// VMA.
    pub(crate) fn slots(
        &self,
        addr: usize,
        count: usize,
        size: usize,
    ) -> Result<(usize, KVec<*mut u8>)> {
        let pages = self.balloon_pages();
        if pages.is_null() {
            return Err(EFAULT);
        }
        let first = (addr - self.start()) & kernel::page::PAGE_MASK;
        let len = count.checked_mul(size).ok_or(EINVAL)?;
        if first + len > self.end() - self.start() {
            return Err(EINVAL);
        }
        let mut slots = KVec::with_capacity(count, GFP_KERNEL)?;
        for i in 0..count {
            let offset = first + i * size;
            // SAFETY: `pages` has one entry per page of the VMA (see
            // `BalloonPages`), and `offset` is inside the VMA.
            let page = unsafe { *pages.add(offset >> kernel::page::PAGE_SHIFT) };
            // SAFETY: `page` is a `struct page` of the vmemmap array, whose
            // frame the kernel maps at `page_offset_base` plus its address.
            let virt = unsafe {
                let pfn = page.offset_from(bindings::vmemmap_base as *mut bindings::page) as usize;
                bindings::page_offset_base + (pfn << kernel::page::PAGE_SHIFT)
            };
            slots.push(
                (virt + (offset & !kernel::page::PAGE_MASK)) as *mut u8,
                GFP_KERNEL,
            )?;
        }
        Ok((pages as usize, slots))
    }

    /// The guest frames lent to an auto-translated dom0's VMA, if any.
    fn balloon_pages(&self) -> *mut *mut bindings::page {
        let private = self.private();
        if private == PRIV_VMA_LOCKED {
            return null_mut();
        }
        // Null, or the array set by `claim_translated`.
        private.cast()
    }

    /// Maps the machine frames `mfns` at `addr` (PV), frame by frame:
    /// `errs` gets each one's result.  Returns how many were mapped, or a
    /// negative errno.
    #[cfg(CONFIG_XEN_PV)]
    pub(crate) fn remap_mfns(
        &self,
        addr: usize,
        mfns: &mut [u64],
        errs: &mut [i32],
        domid: u32,
    ) -> i32 {
        self.remap_pv(addr, mfns, errs, domid, true)
    }

    /// Maps `nr` machine frames from `mfn` at `addr` (PV), all or none.
    #[cfg(CONFIG_XEN_PV)]
    pub(crate) fn remap_range(&self, addr: usize, mut mfn: u64, nr: c_int, domid: u32) -> Result {
        // SAFETY: One start frame and no per-frame errors: the frames are
        // contiguous, and `xen_remap_pfn` advances `mfn` itself.
        let rc = unsafe { self.xen_remap_pfn(addr, &mut mfn, nr, null_mut(), domid, false) };
        kernel::error::to_result(rc)
    }

    /// Whether any page of `nr` pages at `addr` is mapped already (a
    /// retry of a batch may only fill the holes).
    pub(crate) fn range_is_mapped(&self, addr: usize, nr: usize) -> bool {
        // SAFETY: The VMA's mm is live and its mmap lock held; the callback
        // only reads the entries it is given.
        unsafe {
            bindings::apply_to_page_range(
                (*self.vma.as_ptr()).vm_mm,
                addr as c_ulong,
                (nr << kernel::page::PAGE_SHIFT) as c_ulong,
                Some(pte_is_mapped),
                null_mut(),
            ) != 0
        }
    }

    /// PV mapping of frames by machine (`no_translate`) or guest frame
    /// number, one result per frame in `errs`.
    #[cfg(CONFIG_XEN_PV)]
    fn remap_pv(
        &self,
        addr: usize,
        frames: &mut [u64],
        errs: &mut [i32],
        domid: u32,
        no_translate: bool,
    ) -> i32 {
        let nr = frames.len().min(errs.len()).min(c_int::MAX as usize);
        // SAFETY: Both arrays hold `nr` entries.
        unsafe {
            self.xen_remap_pfn(
                addr,
                frames.as_mut_ptr(),
                nr as c_int,
                errs.as_mut_ptr(),
                domid,
                no_translate,
            )
        }
    }

    /// `xen_remap_pfn()` on this VMA, with its protection.
    ///
    /// # Safety
    ///
    /// `frames` holds `nr` frames, or one start frame if `errs` is null;
    /// `errs` is null or holds `nr` entries; `nr` pages at `addr` lie in
    /// the VMA.
    #[cfg(CONFIG_XEN_PV)]
    unsafe fn xen_remap_pfn(
        &self,
        addr: usize,
        frames: *mut u64,
        nr: c_int,
        errs: *mut c_int,
        domid: u32,
        no_translate: bool,
    ) -> c_int {
        let raw = self.vma.as_ptr();
        // SAFETY: `raw` is a privcmd VMA (so `VM_IO | VM_PFNMAP`, which
        // `xen_remap_pfn` requires) with the mmap lock held; the arrays and
        // the range are as the caller promises.
        unsafe {
            xen_remap_pfn(
                raw,
                addr as c_ulong,
                frames,
                nr,
                errs,
                (*raw).vm_page_prot,
                domid,
                no_translate,
            )
        }
    }

    /// Maps the guest frames `gfns` of `domid` at `addr`: PV by machine
    /// translation, auto-translated over the VMA's lent frames starting at
    /// page `index`.  `errs` gets each frame's result; returns how many
    /// were mapped, or a negative errno.
    pub(crate) fn remap_gfns(
        &self,
        pv: bool,
        addr: usize,
        gfns: &mut [u64],
        errs: &mut [i32],
        domid: u32,
        index: usize,
    ) -> i32 {
        if pv {
            #[cfg(CONFIG_XEN_PV)]
            return self.remap_pv(addr, gfns, errs, domid, false);
            #[cfg(not(CONFIG_XEN_PV))]
            return -(bindings::EOPNOTSUPP as i32);
        }
        let nr = gfns.len().min(errs.len()).min(c_int::MAX as usize);
        let raw = self.vma.as_ptr();
        let pages = self.balloon_pages();
        if pages.is_null() {
            return -(bindings::EINVAL as i32);
        }
        // SAFETY: As in `remap_pv`; `pages` holds one lent frame per page
        // of the VMA, and the caller keeps `index + nr` within it.
        unsafe {
            xen_xlate_remap_gfn_array(
                raw,
                addr as c_ulong,
                gfns.as_mut_ptr(),
                nr as c_int,
                errs.as_mut_ptr(),
                (*raw).vm_page_prot,
                domid,
                pages.add(index),
            )
        }
    }

    /// Maps the VMA's lent frames themselves over `len` bytes at `addr`
    /// (auto-translated: the frames Xen just placed a resource at).
    pub(crate) fn remap_own(&self, addr: usize, len: usize) -> Result {
        // SAFETY: A privcmd VMA with the mmap lock held; the range lies in
        // the VMA (checked by the caller).
        let rc = unsafe { xen_remap_vma_range(self.vma.as_ptr(), addr as c_ulong, len as c_ulong) };
        kernel::error::to_result(rc)
    }
}

/// `_PAGE_ACCESSED | _PAGE_DIRTY`, which `pte_none()` ignores (a Knights
/// Landing erratum can set them in an empty entry).
const PAGE_KNL_ERRATUM_MASK: u64 = (1 << 5) | (1 << 6);

/// `apply_to_page_range` callback: `-EBUSY` for a used entry, as
/// `!pte_none()`.
///
/// # Safety
///
/// `pte` points to a page-table entry that the walk holds.
unsafe extern "C" fn pte_is_mapped(
    pte: *mut bindings::pte_t,
    _addr: c_ulong,
    _data: *mut c_void,
) -> c_int {
    // SAFETY: `pte` is valid for reading during the callback; the read is
    // `ptep_get()`'s, a single volatile load.
    let value = unsafe { core::ptr::read_volatile(pte.cast::<u64>()) };
    if value & !PAGE_KNL_ERRATUM_MASK == 0 {
        0
    } else {
        -(bindings::EBUSY as c_int)
    }
}

/// `close`: gives an auto-translated dom0's lent frames back.
///
/// # Safety
///
/// Called by the mm for a privcmd VMA that is going away.
unsafe extern "C" fn close(vma: *mut bindings::vm_area_struct) {
    // SAFETY: The VMA is valid for this call; nothing else uses it now.
    let private = unsafe { (*vma).vm_private_data };
    if private.is_null() || private == PRIV_VMA_LOCKED {
        return;
    }
    // SAFETY: The VMA is valid, and the mm locked for it, for this call.
    let area = unsafe { VmaRef::from_raw(vma) };
    // Nothing reads them any more once this returns.
    crate::ioeventfd::pages_gone(private as usize);
    // Its size is the one it had when claimed: it can neither grow nor split.
    let nr = (area.end() - area.start()) >> kernel::page::PAGE_SHIFT;
    // SAFETY: Set by `claim_translated` from `BalloonPages::into_raw` of
    // `nr` frames, and taken back only here, once.
    let mut pages = unsafe { BalloonPages::from_raw(private, nr) };
    // SAFETY: The frames were lent to this VMA and mapped (or not) in it.
    let rc = unsafe { xen_unmap_domain_gfn_range(vma, nr as c_int, pages.0.as_mut_ptr()) };
    if rc != 0 {
        // Still mapped where Xen put them: they cannot be given back.
        pr_crit!(
            "unable to unmap {} foreign frames: leaking them ({})\n",
            nr,
            rc
        );
        core::mem::forget(pages);
    }
}

/// `may_split`: a privcmd VMA cannot be split.
///
/// # Safety
///
/// Called by the mm for a privcmd VMA.
unsafe extern "C" fn may_split(_vma: *mut bindings::vm_area_struct, _addr: c_ulong) -> c_int {
    -(bindings::EINVAL as c_int)
}

/// `fault`: nothing is mapped there (yet): `SIGBUS`.
///
/// # Safety
///
/// Called by the mm for a fault in a privcmd VMA.
unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    // SAFETY: `vmf` is valid for this call.
    let address = unsafe { (*vmf).__bindgen_anon_1.address };
    pr_debug!("fault at {:#x} where no frame is mapped\n", address);
    bindings::vm_fault_reason_VM_FAULT_SIGBUS
}
