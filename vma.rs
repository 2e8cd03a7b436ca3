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
//! at, taken from the balloon: one per frame the request maps, held in a
//! [`Claim`] that every VMA the kernel derives from the claimed one shares
//! (`mremap` moves a VMA by copying it, which `open` counts), and given
//! back by the last one's `close`.
//!
//! Every address a mapping ioctl is given must be page-aligned (`EINVAL`
//! otherwise): the kernel's page-table walks step a page at a time to the
//! end of the range, and one that starts inside a page never lands on the
//! boundary of a page table.
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
    page::{PAGE_MASK, PAGE_SHIFT},
    prelude::*,
    sync::Refcount,
};

/// Allocations whose size a caller chooses: a size the allocator refuses is
/// `ENOMEM`, without the allocator's warning (a panic under
/// `panic_on_warn`).
pub(crate) fn user_sized() -> kernel::alloc::Flags {
    GFP_KERNEL | __GFP_NOWARN
}

/// `EINVAL` unless `addr` is page-aligned.
pub(crate) fn page_aligned(addr: u64) -> Result<usize> {
    let addr = usize::try_from(addr).map_err(|_| EINVAL)?;
    if addr & !PAGE_MASK != 0 {
        return Err(EINVAL);
    }
    Ok(addr)
}

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
    // vma_remap.c
    fn rust_privcmd_remap_pages(
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
        nr: c_ulong,
        pages: *mut *mut bindings::page,
    ) -> c_int;
    // vma_remap.c
    fn rust_privcmd_page_pfn(page: *mut bindings::page) -> c_ulong;
    // vma_remap.c
    fn rust_privcmd_page_address(page: *mut bindings::page) -> *mut c_void;
    fn xen_alloc_ballooned_pages(nr_pages: c_uint, pages: *mut *mut bindings::page) -> c_int;
    fn xen_free_ballooned_pages(nr_pages: c_uint, pages: *mut *mut bindings::page);
}

/// A `vm_operations_struct` that the VMAs of other modules' code may read.
struct VmOps(bindings::vm_operations_struct);

// SAFETY: Immutable after compilation; the kernel only reads it.
unsafe impl Sync for VmOps {}

/// The operations of every privcmd VMA; also how a VMA is known as one.
static VM_OPS: VmOps = VmOps(bindings::vm_operations_struct {
    open: Some(open),
    close: Some(close),
    mprotect: Some(mprotect),
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

/// Guest frames lent by the balloon to an auto-translated dom0's VMA, for
/// the foreign frames to be mapped at.
struct BalloonPages(KVVec<*mut bindings::page>);

impl BalloonPages {
    /// Borrows `nr` frames from the balloon.
    fn alloc(nr: usize) -> Result<Self> {
        let count = c_uint::try_from(nr).map_err(|_| ENOMEM)?;
        let mut pages = KVVec::with_capacity(nr, user_sized())?;
        pages.extend_with(nr, null_mut(), user_sized())?;
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

    /// Guest frame numbers of the frames.
    fn pfns(&self) -> Result<KVVec<u64>> {
        let mut pfns = KVVec::with_capacity(self.0.len(), user_sized())?;
        for &page in self.0.iter() {
            // SAFETY: `page` is a `struct page` the balloon lent, valid while
            // it is lent.
            let pfn = unsafe { rust_privcmd_page_pfn(page) };
            pfns.push(pfn as u64, user_sized())?;
        }
        Ok(pfns)
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

/// What a claimed VMA of an auto-translated dom0 holds in its
/// `vm_private_data`: the guest frames lent for the frames it maps, and
/// where in the VMA they are.
///
/// Shared by every VMA that the kernel derives from the claimed one (a
/// `mremap` that moves it copies the VMA, `private data` included, and
/// calls `open` on the copy before it closes the original), and released
/// by the last one's `close`: the frames are unmapped from Xen's side and
/// given back, once.  The VMA can neither be split nor grow, so every VMA
/// that holds the claim has the same size.
struct Claim {
    /// VMAs that hold the claim.
    refs: Refcount,
    /// The page of the VMA, counted from its start, where `frames[0]` is
    /// mapped.
    first: usize,
    /// One lent frame per page from `first`.
    frames: BalloonPages,
}

impl Claim {
    /// The claim of a privcmd VMA's private data, if it holds one.
    fn from_private(private: *mut c_void) -> Option<NonNull<Claim>> {
        if private == PRIV_VMA_LOCKED {
            return None;
        }
        NonNull::new(private.cast())
    }

    /// Gives the frames back: `vma`, the last VMA that held the claim, is
    /// going.
    ///
    /// # Safety
    ///
    /// `vma` is valid for the call, and neither it nor any other VMA maps
    /// the claim's frames any more.
    unsafe fn release(self: KBox<Self>, vma: *mut bindings::vm_area_struct) {
        let mut frames = KBox::into_inner(self).frames;
        let nr = frames.0.len();
        // SAFETY: `frames` holds `nr` frames lent to the VMA; by the
        // caller's promise nothing maps them on the kernel's side any more,
        // and Xen's side is undone here.
        let rc = unsafe { xen_unmap_domain_gfn_range(vma, nr as c_int, frames.0.as_mut_ptr()) };
        if rc != 0 {
            // Still mapped where Xen put them: they cannot be given back.
            pr_crit!(
                "unable to unmap {} foreign frames: leaking them ({})\n",
                nr,
                rc
            );
            frames.0.clear();
        }
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
    /// The privcmd VMA `vma`, or `EINVAL` for any other, or for one that
    /// cannot be accessed (`PROT_NONE`: see [`mprotect`]).  The caller
    /// holds [`MAP_LOCK`] for as long as it uses the result.
    pub(crate) fn new(vma: Option<&'a VmaRef>) -> Result<Self> {
        let vma = vma.ok_or(EINVAL)?;
        // SAFETY: The mmap lock is held, so `vm_ops` is stable.
        let ops = unsafe { (*vma.as_ptr()).vm_ops };
        if !core::ptr::eq(ops, &VM_OPS.0) || !accessible(vma.flags()) {
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

    /// Claims the VMA for an auto-translated dom0: lends it a guest frame for
    /// each of `nr` pages from page `first` of the VMA, and returns their
    /// frame numbers; `EINVAL` if it was claimed before.
    pub(crate) fn claim_translated(&self, first: usize, nr: usize) -> Result<KVVec<u64>> {
        if !self.is_unclaimed() {
            return Err(EINVAL);
        }
        if first.checked_add(nr).is_none_or(|end| end > self.pages()) {
            return Err(EINVAL);
        }
        // Counts of frames go to the kernel as an `int`.
        if nr > c_int::MAX as usize {
            return Err(ENOMEM);
        }
        let frames = BalloonPages::alloc(nr)?;
        let pfns = frames.pfns()?;
        let claim = KBox::new(
            Claim {
                refs: Refcount::new(1),
                first,
                frames,
            },
            GFP_KERNEL,
        )?;
        self.set_private(KBox::into_raw(claim).cast());
        Ok(pfns)
    }

    /// Whether this (auto-translated dom0's) VMA's claim lent frames for
    /// each of the `nr` pages from page `first`.
    pub(crate) fn claim_covers(&self, first: usize, nr: usize) -> bool {
        self.claim().is_some_and(|claim| {
            first >= claim.first
                && first
                    .checked_add(nr)
                    .is_some_and(|end| end <= claim.first + claim.frames.0.len())
        })
    }

    /// The claim of this (auto-translated dom0's) VMA, if it has one.
    fn claim(&self) -> Option<&Claim> {
        let claim = Claim::from_private(self.private())?;
        // SAFETY: A claim lives until the last VMA that holds it closes;
        // this one is in the tree and cannot close while the caller holds
        // the mmap lock.  Only `refs` changes, atomically.
        Some(unsafe { claim.as_ref() })
    }

    /// The kernel addresses of `count` slots of `size` bytes, one after the
    /// other from the start of the page at `addr`, in the frames mapped in
    /// this (auto-translated dom0's) VMA, and which frames those are (the
    /// identity [`crate::ioeventfd::pages_gone`] is told when they go).
    /// `EFAULT` if nothing is mapped at `addr` through frames the kernel can
    /// address (a PV dom0's mappings), `EINVAL` if the slots run past them.
    pub(crate) fn slots(
        &self,
        addr: usize,
        count: usize,
        size: usize,
    ) -> Result<(usize, KVec<*mut u8>)> {
        let claim = self.claim().ok_or(EFAULT)?;
        let frames = &claim.frames.0;
        // Byte offset of the slots in the claim's frames.
        let first = ((addr - self.start()) >> PAGE_SHIFT)
            .checked_sub(claim.first)
            .filter(|&page| page < frames.len())
            .ok_or(EFAULT)?
            << PAGE_SHIFT;
        let len = count.checked_mul(size).ok_or(EINVAL)?;
        if first + len > frames.len() << PAGE_SHIFT {
            return Err(EINVAL);
        }
        let mut slots = KVec::with_capacity(count, GFP_KERNEL)?;
        for i in 0..count {
            let offset = first + i * size;
            let page = frames[offset >> PAGE_SHIFT];
            // SAFETY: `page` is a frame the balloon lent, addressable by the
            // kernel (lent frames are never high memory on x86_64).
            let virt = unsafe { rust_privcmd_page_address(page) } as usize;
            slots.push((virt + (offset & !PAGE_MASK)) as *mut u8, GFP_KERNEL)?;
        }
        Ok((core::ptr::from_ref(claim) as usize, slots))
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
    /// page `index` of the VMA.  `errs` gets each frame's result; returns how many
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
        let Some(claim) = self.claim() else {
            return -(bindings::EINVAL as i32);
        };
        let Some(frames) = index
            .checked_sub(claim.first)
            .and_then(|i| claim.frames.0.get(i..i.checked_add(nr)?))
        else {
            return -(bindings::EINVAL as i32);
        };
        // SAFETY: As in `remap_pv`; `frames` holds the `nr` lent frames of
        // the pages at `addr`, which the walk reads only.
        unsafe {
            xen_xlate_remap_gfn_array(
                raw,
                addr as c_ulong,
                gfns.as_mut_ptr(),
                nr as c_int,
                errs.as_mut_ptr(),
                (*raw).vm_page_prot,
                domid,
                frames.as_ptr().cast_mut(),
            )
        }
    }

    /// Maps the VMA's lent frames themselves where they were claimed for
    /// (auto-translated: the frames Xen just placed a resource at).
    pub(crate) fn remap_own(&self) -> Result {
        let claim = self.claim().ok_or(EINVAL)?;
        let frames = &claim.frames.0;
        let addr = self.start() + (claim.first << PAGE_SHIFT);
        // SAFETY: A privcmd VMA with the mmap lock held; the claim's pages
        // lie in the VMA (`claim_translated`), page-aligned, and `frames`
        // holds one frame for each, which the walk reads only.
        let rc = unsafe {
            rust_privcmd_remap_pages(
                self.vma.as_ptr(),
                addr as c_ulong,
                frames.len() as c_ulong,
                frames.as_ptr().cast_mut(),
            )
        };
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

/// `open`: a VMA derived from a privcmd one (the copy that `mremap` moves
/// to) holds its claim too.
///
/// # Safety
///
/// Called by the mm for a new privcmd VMA, copied from one that is still
/// open, with the mmap lock held for writing.
unsafe extern "C" fn open(vma: *mut bindings::vm_area_struct) {
    // SAFETY: The VMA is valid for this call.
    let private = unsafe { (*vma).vm_private_data };
    if let Some(claim) = Claim::from_private(private) {
        // SAFETY: The VMA it was copied from holds the claim, and cannot
        // close before this returns (the mmap lock is held for writing).
        unsafe { claim.as_ref() }.refs.inc();
    }
}

/// `close`: the last VMA that holds an auto-translated dom0's claim gives
/// its lent frames back.
///
/// # Safety
///
/// Called by the mm for a privcmd VMA that is going away.
unsafe extern "C" fn close(vma: *mut bindings::vm_area_struct) {
    // SAFETY: The VMA is valid for this call; nothing else uses it now.
    let private = unsafe { (*vma).vm_private_data };
    let Some(claim) = Claim::from_private(private) else {
        return;
    };
    // SAFETY: This VMA holds a reference to the claim until here.
    if !unsafe { claim.as_ref() }.refs.dec_and_test() {
        return;
    }
    // Nothing reads them any more once this returns.
    crate::ioeventfd::pages_gone(claim.as_ptr() as usize);
    // SAFETY: The claim came from `KBox::into_raw` in `claim_translated`,
    // and this was the last VMA that held it.
    let claim = unsafe { KBox::from_raw(claim.as_ptr()) };
    // SAFETY: `vma` is valid for the call; the kernel has zapped its
    // entries, and every other VMA that mapped the frames is gone.
    unsafe { claim.release(vma) };
}

/// Whether a VMA of these flags can be accessed at all (not `PROT_NONE`).
fn accessible(flags: kernel::mm::virt::vm_flags_t) -> bool {
    use kernel::mm::virt::flags::{EXEC, READ, WRITE};
    flags & (READ | WRITE | EXEC) != 0
}

/// `mprotect`: a PV dom0's filled VMA cannot be made `PROT_NONE`.
///
/// Its entries name other domains' machine frames, which Xen checks when
/// an entry becomes present: one made not present and then present again
/// (or written not present by a mapping ioctl) is refused then, with a
/// warning of the kernel's, and a touch faults for ever.  So mapping
/// ioctls take no `PROT_NONE` VMA ([`PrivcmdVma::new`]), and a PV dom0's
/// claimed VMA cannot become one.
///
/// # Safety
///
/// Called by the mm for a privcmd VMA, with the mmap lock held for writing.
unsafe extern "C" fn mprotect(
    vma: *mut bindings::vm_area_struct,
    _start: c_ulong,
    _end: c_ulong,
    newflags: c_ulong,
) -> c_int {
    // SAFETY: The VMA is valid for this call, its private data stable under
    // the mmap lock.
    let private = unsafe { (*vma).vm_private_data };
    if private == PRIV_VMA_LOCKED && !accessible(newflags as kernel::mm::virt::vm_flags_t) {
        return -(bindings::EINVAL as c_int);
    }
    0
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
