// SPDX-License-Identifier: GPL-2.0

//! `__HYPERVISOR_memory_op`: the stub's one domain and its memory.
//!
//! The stub runs a single translated (HVM-style) domain, dom0: its
//! guest-physical frames (gfns) map through a p2m table to machine frames
//! (mfns) of a modelled machine.  Only the ownership of frames is modelled;
//! no page contents move, and Linux's own memory is never touched.  The
//! model is enough to serve `XENMEM_exchange` with Xen's contract: input
//! extents leave the domain, new machine extents of the output order (and
//! under the output's address-bit limit) are allocated, aligned to their
//! order, and mapped at the output gfns, chunk by chunk, with partial
//! progress in `nr_exchanged`.
//!
//! The machine's first MiB is not in the heap, as on x86 Xen, so an
//! address limit of 20 bits or fewer finds no frame (`-ENOMEM`).  A long
//! exchange stops between chunks, where Xen's would preempt it, and is
//! continued from `nr_exchanged` (see the crate's documentation for how a
//! signal ends it).

use crate::{abi::*, guest_handle::GuestHandle};
use core::mem::offset_of;
use kernel::prelude::*;

/// Machine frames of the modelled machine (128 MiB): `max_page`.
pub(crate) const MACHINE_FRAMES: u64 = 1 << 15;
/// Guest frames the p2m can describe (4 GiB of guest-physical space).
pub(crate) const GFN_LIMIT: u64 = 1 << 20;
/// Frames dom0 starts with (64 MiB), at gfns `0..INITIAL_PAGES`.
pub(crate) const INITIAL_PAGES: u64 = 1 << 14;
/// First machine frame backing dom0's initial memory.
const INITIAL_MFN: u64 = 1 << 13;
/// First machine frame of the heap: x86 Xen keeps the first MiB of machine
/// memory out of its heap (it holds the AP trampoline and is treated as
/// I/O), so no allocation returns a frame below it.
const FIRST_HEAP_MFN: u64 = 0x100;
/// The address limit of an allocation that names none: Xen's
/// `BITS_PER_LONG + PAGE_SHIFT`, no limit at all.
const NO_ADDRESS_LIMIT: u32 = 64 + kernel::page::PAGE_SHIFT as u32;
/// dom0's `max_pages`.
pub(crate) const MAX_PAGES: u64 = INITIAL_PAGES + (1 << 12);
/// Largest extent order the control/hardware domain may use (Xen's
/// `CONFIG_CTLDOM_MAX_ORDER` and `CONFIG_HWDOM_MAX_ORDER` on x86).
pub(crate) const MAX_ORDER: u32 = 12;
/// The domain's id.
const DOM0: DomId = 0;
/// p2m entry of an unpopulated gfn.
const INVALID_MFN: u32 = u32::MAX;

/// The domain and the machine under it.
pub(crate) struct Domain {
    /// gfn -> mfn, `INVALID_MFN` where unpopulated.
    p2m: KVVec<u32>,
    /// One bit per machine frame: allocated (to the domain) or free.
    allocated: KVVec<u64>,
    /// Pages the domain owns (`domain_tot_pages`).
    tot_pages: u64,
}

impl Domain {
    /// dom0 with `INITIAL_PAGES` frames, gfn `i` on mfn `INITIAL_MFN + i`.
    pub(crate) fn new() -> Result<Self> {
        let mut p2m = KVVec::with_capacity(GFN_LIMIT as usize, GFP_KERNEL)?;
        for gfn in 0..GFN_LIMIT {
            let mfn = if gfn < INITIAL_PAGES {
                (INITIAL_MFN + gfn) as u32
            } else {
                INVALID_MFN
            };
            p2m.push(mfn, GFP_KERNEL)?;
        }
        let mut allocated = KVVec::with_capacity((MACHINE_FRAMES / 64) as usize, GFP_KERNEL)?;
        for _ in 0..MACHINE_FRAMES / 64 {
            allocated.push(0, GFP_KERNEL)?;
        }
        let mut domain = Self {
            p2m,
            allocated,
            tot_pages: INITIAL_PAGES,
        };
        for mfn in INITIAL_MFN..INITIAL_MFN + INITIAL_PAGES {
            domain.set_allocated(mfn, true);
        }
        Ok(domain)
    }

    fn is_allocated(&self, mfn: u64) -> bool {
        self.allocated[(mfn / 64) as usize] & (1 << (mfn % 64)) != 0
    }

    fn set_allocated(&mut self, mfn: u64, on: bool) {
        let word = &mut self.allocated[(mfn / 64) as usize];
        if on {
            *word |= 1 << (mfn % 64);
        } else {
            *word &= !(1 << (mfn % 64));
        }
    }

    /// The mfn behind `gfn`, if populated.
    fn lookup(&self, gfn: u64) -> Option<u64> {
        let mfn = *self.p2m.get(usize::try_from(gfn).ok()?)?;
        (mfn != INVALID_MFN).then_some(u64::from(mfn))
    }

    /// Allocates `2^order` contiguous, order-aligned machine frames from
    /// the heap zones that an address limit of `bits` allows, highest
    /// first, as Xen's `alloc_domheap_pages` does.
    ///
    /// Xen's heap zone `z` holds the frames whose highest set bit is bit
    /// `z - 1` (zone 1 also frame 0), and a limit of `bits` allows zones
    /// up to `bits_to_zone(bits)`: `bits - PAGE_SHIFT`, but zone 1 for any
    /// limit of `PAGE_SHIFT` bits or fewer.  So frames below `2^bits`
    /// bytes, or frames 0 and 1 where that would be less.
    fn alloc_extent(&mut self, order: u32, bits: u32) -> Option<u64> {
        let size = 1u64 << order;
        let zone_hi = bits.saturating_sub(kernel::page::PAGE_SHIFT as u32).max(1);
        let limit = 1u64
            .checked_shl(zone_hi)
            .map_or(MACHINE_FRAMES, |frames| frames.min(MACHINE_FRAMES));
        let mut start = (limit / size).checked_sub(1)? * size;
        while start >= FIRST_HEAP_MFN {
            if (start..start + size).all(|mfn| !self.is_allocated(mfn)) {
                for mfn in start..start + size {
                    self.set_allocated(mfn, true);
                }
                return Some(start);
            }
            start = start.checked_sub(size)?;
        }
        None
    }

    /// Highest populated gfn (`domain_get_maximum_gpfn`).
    fn maximum_gpfn(&self) -> u64 {
        self.p2m
            .iter()
            .rposition(|&mfn| mfn != INVALID_MFN)
            .map_or(0, |gfn| gfn as u64)
    }
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in the stub's module init before any hypercall.
    pub(crate) unsafe(uninit) static DOMAIN: Mutex<Option<Domain>> = None;
}

/// Resolves a domid as `rcu_lock_domain_by_any_id` does: dom0 or `DOMID_SELF`.
fn domain_by_any_id(domid: DomId) -> Result {
    if domid == DOM0 || domid == DOMID_SELF {
        Ok(())
    } else {
        Err(ESRCH)
    }
}

/// `do_memory_op(unsigned long cmd, XEN_GUEST_HANDLE_PARAM(void) arg)`.
pub(crate) fn do_memory_op(cmd: u64, arg: GuestHandle<u8>) -> Result<i64> {
    let start_extent = cmd >> MEMOP_EXTENT_SHIFT;
    let op = cmd & MEMOP_CMD_MASK;
    match op {
        XENMEM_EXCHANGE => {
            if start_extent != 0 {
                return Err(EINVAL);
            }
            if crate::tracing() {
                pr_info!("  XENMEM_exchange: memory_exchange(guest_handle_cast(arg, xen_memory_exchange_t))\n");
            }
            memory_exchange(arg.cast::<XenMemoryExchange>())
        }
        XENMEM_MAXIMUM_RAM_PAGE => {
            if start_extent != 0 {
                return Err(EINVAL);
            }
            Ok(MACHINE_FRAMES as i64)
        }
        XENMEM_CURRENT_RESERVATION | XENMEM_MAXIMUM_RESERVATION | XENMEM_MAXIMUM_GPFN => {
            if start_extent != 0 {
                return Err(EINVAL);
            }
            let domid = arg.cast::<DomId>().copy_from()?;
            domain_by_any_id(domid)?;
            let guard = DOMAIN.lock();
            let domain = guard.as_ref().ok_or(ENODEV)?;
            let value = match op {
                XENMEM_CURRENT_RESERVATION => domain.tot_pages,
                XENMEM_MAXIMUM_RESERVATION => MAX_PAGES,
                _ => domain.maximum_gpfn(),
            };
            Ok(value as i64)
        }
        _ => Err(ENOSYS),
    }
}

/// Writes `nr_exchanged` back to the guest's structure and returns `rc`
/// (or `-EFAULT` if even that write fails), as Xen's exit paths do.
fn report(arg: GuestHandle<XenMemoryExchange>, nr_exchanged: u64, rc: Result<i64>) -> Result<i64> {
    if crate::tracing() {
        pr_info!("  nr_exchanged = {}\n", nr_exchanged);
    }
    arg.copy_field_to(offset_of!(XenMemoryExchange, nr_exchanged), &nr_exchanged)?;
    rc
}

/// `memory_exchange(XEN_GUEST_HANDLE_PARAM(xen_memory_exchange_t) arg)`.
fn memory_exchange(arg: GuestHandle<XenMemoryExchange>) -> Result<i64> {
    let exch = arg.copy_from()?;
    let (inp, out) = (exch.input, exch.output);
    if crate::tracing() {
        pr_info!(
            "  in  = {{ extent_start = {:#x}, nr_extents = {}, extent_order = {}, mem_flags = {:#x}, domid = {:#x} }}\n",
            inp.extent_start, inp.nr_extents, inp.extent_order, inp.mem_flags, inp.domid
        );
        pr_info!(
            "  out = {{ extent_start = {:#x}, nr_extents = {}, extent_order = {}, mem_flags = {:#x}, domid = {:#x} }}, nr_exchanged = {}\n",
            out.extent_start, out.nr_extents, out.extent_order, out.mem_flags, out.domid, exch.nr_exchanged
        );
    }

    if inp.extent_order.max(out.extent_order) > MAX_ORDER {
        return report(arg, exch.nr_exchanged, Err(EPERM));
    }
    // Shifts by 64 or more (orders are at most MAX_ORDER here) cannot occur.
    let sane = exch.nr_exchanged <= inp.nr_extents
        && inp.domid == out.domid
        && (u64::MAX >> inp.extent_order) >= inp.nr_extents
        && (u64::MAX >> out.extent_order) >= out.nr_extents
        && (inp.nr_extents << inp.extent_order) == (out.nr_extents << out.extent_order);
    if !sane {
        return report(arg, exch.nr_exchanged, Err(EINVAL));
    }

    let in_list = GuestHandle::<XenPfn>::from_reg(inp.extent_start);
    let out_list = GuestHandle::<XenPfn>::from_reg(out.extent_start);
    if !in_list.subrange_okay(exch.nr_exchanged, inp.nr_extents.wrapping_sub(1)) {
        return report(arg, exch.nr_exchanged, Err(EFAULT));
    }
    // A chunk is the smallest unit with whole extents on both sides.
    let (in_chunk_order, out_chunk_order) = if inp.extent_order <= out.extent_order {
        (out.extent_order - inp.extent_order, 0)
    } else {
        (0, inp.extent_order - out.extent_order)
    };
    let out_done = (exch.nr_exchanged >> in_chunk_order) << out_chunk_order;
    if !out_list.subrange_okay(out_done, out.nr_extents.wrapping_sub(1)) {
        return report(arg, exch.nr_exchanged, Err(EFAULT));
    }
    if let Err(e) = domain_by_any_id(inp.domid) {
        return report(arg, exch.nr_exchanged, Err(e));
    }

    let limit_bits = match xenmemf_address_bits(out.mem_flags) {
        0 => NO_ADDRESS_LIMIT,
        bits => bits,
    };
    let preemption = crate::Preemption::start();
    let mut guard = DOMAIN.lock();
    let domain = guard.as_mut().ok_or(ENODEV)?;
    let first = exch.nr_exchanged >> in_chunk_order;
    let chunks = inp.nr_extents >> in_chunk_order;
    for i in first..chunks {
        // Xen's preemption point: at least one chunk per call, then
        // nr_exchanged goes back to the guest and a continuation resumes
        // from it.  The domain lock is let go until then.  A signal ends
        // the hypercall there instead: the ioctl answers -ERESTARTSYS, so
        // the kernel restarts it once the signal is handled (a handler
        // without SA_RESTART sees EINTR), and the restarted exchange
        // resumes from nr_exchanged as the continuation would.
        if i != first && preemption.check() {
            drop(guard);
            let rc = if crate::signal_pending() {
                Err(ERESTARTSYS)
            } else {
                Err(ERESTART)
            };
            return report(arg, i << in_chunk_order, rc);
        }
        if let Err(e) = exchange_chunk(
            domain,
            i,
            (in_list, inp.extent_order, in_chunk_order),
            (out_list, out.extent_order, out_chunk_order),
            limit_bits,
        ) {
            return report(arg, i << in_chunk_order, Err(e));
        }
    }
    report(arg, inp.nr_extents, Ok(0))
}

/// Exchanges chunk `i`: steals its input frames, allocates its output
/// extents and maps them; on failure the chunk leaves nothing changed.
fn exchange_chunk(
    domain: &mut Domain,
    i: u64,
    (in_list, in_order, in_chunk_order): (GuestHandle<XenPfn>, u32, u32),
    (out_list, out_order, out_chunk_order): (GuestHandle<XenPfn>, u32, u32),
    limit_bits: u32,
) -> Result {
    // Steal: every frame of every input extent must be populated, once.
    let mut stolen = KVec::new();
    let result = (|| {
        for j in 0..1u64 << in_chunk_order {
            let gmfn = in_list.copy_from_offset((i << in_chunk_order) + j)?;
            for k in 0..1u64 << in_order {
                let gfn = gmfn.wrapping_add(k);
                let mfn = domain.lookup(gfn).ok_or(EINVAL)?;
                if stolen.iter().any(|&(g, _)| g == gfn) {
                    return Err(EINVAL);
                }
                stolen.push((gfn, mfn), GFP_KERNEL)?;
            }
        }
        Ok(())
    })();
    if crate::tracing() {
        pr_info!(
            "  chunk {}: steal {} input frame(s): {}\n",
            i,
            stolen.len(),
            if result.is_ok() { "ok" } else { "failed" }
        );
    }
    result?;

    // Allocate the output extents before anything changes hands.
    let mut fresh = KVec::new();
    for _ in 0..1u64 << out_chunk_order {
        match domain.alloc_extent(out_order, limit_bits) {
            Some(mfn) => fresh.push(mfn, GFP_KERNEL)?,
            None => {
                for &mfn in fresh.iter() {
                    for f in mfn..mfn + (1 << out_order) {
                        domain.set_allocated(f, false);
                    }
                }
                return Err(ENOMEM);
            }
        }
    }

    // Past this point the chunk cannot fail: release the input frames...
    for &(gfn, mfn) in stolen.iter() {
        domain.p2m[gfn as usize] = INVALID_MFN;
        domain.set_allocated(mfn, false);
    }
    // ...and map each output extent at the gpfn the guest asked for.
    let mut rc = Ok(());
    for (j, &mfn) in fresh.iter().enumerate() {
        let gpfn = match out_list.copy_from_offset((i << out_chunk_order) + j as u64) {
            Ok(gpfn) => gpfn,
            // Xen leaves such an extent assigned to the domain but unmapped.
            Err(e) => {
                rc = Err(e);
                continue;
            }
        };
        // A gpfn beyond the p2m stays unmapped, as Xen ignores a failed
        // `guest_physmap_add_page` here.
        for k in 0..1u64 << out_order {
            if let Some(slot) = domain.p2m.get_mut(gpfn.wrapping_add(k) as usize) {
                *slot = (mfn + k) as u32;
            }
        }
        if crate::tracing() {
            pr_info!(
                "  chunk {}: gpfn {:#x} <- new mfn {:#x} (order {})\n",
                i,
                gpfn,
                mfn,
                out_order
            );
        }
    }
    rc
}
