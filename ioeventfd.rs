// SPDX-License-Identifier: GPL-2.0

//! `IOCTL_PRIVCMD_IOEVENTFD`: an eventfd signalled, in the kernel, when a
//! guest notifies a virtqueue of a virtio-mmio device that a backend in
//! dom0 serves, so the backend needs no round trip through its ioreq
//! server loop for the commonest request.
//!
//! The backend has mapped its ioreq server's request pages (one `struct
//! ioreq` slot per vCPU, Xen's `hvm/ioreq.h`) with
//! `IOCTL_PRIVCMD_MMAP_RESOURCE` and passes their address, and the event
//! channel each vCPU notifies.  The first eventfd of a mapping binds those
//! channels to [`interrupt`]; on a vCPU's event, a pending write of `vq` to
//! `addr + QueueNotify` of the width given is claimed: the eventfd is
//! signalled, the request completed, and the vCPU notified back.  Other
//! requests are left to the backend, which shares the channels.
//!
//! Checks, in the C driver's order and with its errno values: `EFAULT` for
//! the structure, `EINVAL` for unknown flags, `EPERM` for another domain
//! than a restricted file's; to assign, `EINVAL` for an address range that
//! wraps, a width other than 1, 2, 4 or 8, or no or more than 4096 vCPUs,
//! `EBADF`/`EINVAL` for the eventfd, `EINVAL` if the mapping is known with
//! another domain or vCPU count, `EBUSY` for an eventfd it has already,
//! `EFAULT` where no request pages are mapped or for the port list; to
//! deassign, `EBADF`/`EINVAL` for the eventfd and `ENODEV` for one not
//! assigned.
//!
//! The channels are bound late-EOI and shared: the backend's own binding of
//! each (through `/dev/xen/evtchn`, which counts its users) ends every
//! event, as with the C driver.  The driver only ever joins such a
//! binding, as one more of its users, so that the channel stays open until
//! both have let go, whichever goes first; it never makes a port's first
//! binding.  `/dev/xen/evtchn` requires its binding to be a port's first
//! (any other trips a warning of the kernel's event channel core, and is
//! torn down under its other users when the backend closes), and a binder
//! has the channel open in Xen before its binding exists: a first binding
//! of ours, however checked beforehand, could come in between.  So, when
//! the eventfd is assigned:
//!
//! - a port with a binding that counts its users (the backend's) is joined;
//! - a port without a binding is looked at again every [`RETRY_MS`] until
//!   it has one, which is then joined.  The C driver binds the port at
//!   once, as its only binding;
//! - a port with a binding that does not count its users (one of the
//!   kernel's own), or given for two vCPUs, is `EBUSY`, where the C
//!   driver's second binding trips that warning.
//!
//! Each port is unbound from the interrupt its binding returned, and only
//! while the port still maps to it, never looked up again by port number
//! (which, once a channel has been closed and its port reused, names
//! another binding).
//!
//! Where the C driver trusts the address, this one checks it: it must lie
//! in a privcmd mapping of an auto-translated dom0 (`EFAULT` otherwise:
//! a PV dom0's mapping holds no pages the kernel can address), and the
//! vCPUs' slots must fit in it (`EINVAL`).  When that mapping goes, its
//! pages are no longer read: the requests are left to the backend.

use core::{
    ffi::{c_int, c_uint, c_ulong, c_void},
    mem::size_of,
    ptr::{from_ref, null, read_volatile, write_volatile},
};
use kernel::{
    bindings,
    ffi::c_char,
    list::{impl_list_arc_safe, impl_list_item, List, ListArc, ListLinks},
    new_delayed_work, new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{ordering::Relaxed, Atomic},
        barrier::{smp_mb, Full, Read, Write},
        Arc, SpinLockIrq,
    },
    time::msecs_to_jiffies,
    types::Opaque,
    uaccess::{UserPtr, UserSlice},
    workqueue::{self, impl_has_delayed_work, DelayedWork, WorkItem},
};

use crate::{
    eventfd::EventfdCtx,
    hypercall::{HypercallPage, Hypervisor},
    may_name,
    uapi::{PrivcmdIoeventfd, PRIVCMD_IOEVENTFD_FLAG_DEASSIGN},
    vma::{CurrentMm, PrivcmdVma, MAP_LOCK},
};

/// Most vCPUs a mapping may serve, as in the C driver.
const MAX_VCPUS: u32 = 4096;
/// The virtqueue number in a `QueueNotify` write.
const QUEUE_NOTIFY_VQ_MASK: u64 = 0xffff;
/// `VIRTIO_MMIO_QUEUE_NOTIFY`: the register's offset in the device.
const VIRTIO_MMIO_QUEUE_NOTIFY: u64 = 0x050;

/// `__HYPERVISOR_event_channel_op` and its `EVTCHNOP_send`.
const HYPERVISOR_EVENT_CHANNEL_OP: u64 = 32;
const EVTCHNOP_SEND: u64 = 4;
/// How often a port that no binding holds yet is looked at again.
const RETRY_MS: u32 = 50;

const IRQ_NONE: bindings::irqreturn_t = bindings::irqreturn::IRQ_NONE;
const IRQ_HANDLED: bindings::irqreturn_t = bindings::irqreturn::IRQ_HANDLED;

unsafe extern "C" {
    fn bind_evtchn_to_irqhandler_lateeoi(
        evtchn: c_uint,
        handler: bindings::irq_handler_t,
        irqflags: c_ulong,
        devname: *const c_char,
        dev_id: *mut c_void,
    ) -> c_int;
    fn unbind_from_irqhandler(irq: c_uint, dev_id: *mut c_void);
    fn irq_from_evtchn(evtchn: c_uint) -> c_uint;
    fn evtchn_get(evtchn: c_uint) -> c_int;
    fn evtchn_put(evtchn: c_uint);
}

/// A vCPU's slot in the request pages: Xen's `struct ioreq`, 32 bytes,
/// written by Xen and the backend at once, so read and written volatile.
///
/// # Invariants
///
/// Points at a 32-byte-aligned slot of a request page mapped in the kernel,
/// and is used only while its mapping's [`IoreqState`] lock is held (which
/// [`pages_gone`] takes before the page goes).
struct Slot(*mut u8);

impl Slot {
    /// `sizeof(struct ioreq)`.
    const SIZE: usize = 32;
    /// `STATE_IOREQ_READY`, `STATE_IOREQ_INPROCESS`, `STATE_IORESP_READY`.
    const READY: u8 = 1;
    const IN_PROCESS: u8 = 2;
    const RESPONSE_READY: u8 = 3;
    /// `IOREQ_TYPE_COPY` (an MMIO access), and `IOREQ_WRITE` as `dir`.
    const TYPE_COPY: u8 = 1;
    const WRITE: u8 = 0;
    /// Offsets of `addr`, `data`, `size`, the byte of `state:4,
    /// data_is_ptr:1, dir:1, df:1`, and `type`.
    const ADDR: usize = 0;
    const DATA: usize = 8;
    const SIZE_FIELD: usize = 20;
    const FLAGS: usize = 30;
    const TYPE: usize = 31;

    /// Reads the field of type `T` at `offset`.
    fn get<T: Copy>(&self, offset: usize) -> T {
        // SAFETY: By the type invariant the slot is mapped; the fields of
        // `struct ioreq` are naturally aligned in the aligned slot.
        unsafe { read_volatile(self.0.add(offset).cast::<T>()) }
    }

    fn state(&self) -> u8 {
        self.get::<u8>(Self::FLAGS) & 0xf
    }

    fn is_mmio_write(&self) -> bool {
        self.get::<u8>(Self::TYPE) == Self::TYPE_COPY
            && (self.get::<u8>(Self::FLAGS) >> 5) & 1 == Self::WRITE
    }

    /// Sets the state; the flags that share its byte are Xen's, which does
    /// not write them while the request is the backend's.
    fn set_state(&self, state: u8) {
        let flags = self.get::<u8>(Self::FLAGS);
        // SAFETY: As in `get`.
        unsafe { write_volatile(self.0.add(Self::FLAGS), (flags & !0xf) | state) };
    }
}

/// One eventfd of a mapping.
struct Ioeventfd {
    eventfd: EventfdCtx,
    addr: u64,
    addr_len: u32,
    vq: u32,
}

/// What the interrupt handler reads, under [`Ioreq::state`].
struct IoreqState {
    /// Each vCPU's slot (see [`Slot`]); empty once the mapping is gone.
    slots: KVec<*mut u8>,
    ioeventfds: KVec<Ioeventfd>,
}

// SAFETY: The slots are addresses of pages mapped in the kernel, used only
// under the lock that holds them.
unsafe impl Send for IoreqState {}

/// A vCPU's event channel, bound to [`interrupt`] with itself as the
/// handler's data.
struct IoreqPort {
    vcpu: u32,
    port: u32,
    /// The [`Ioreq`] it belongs to, set before any port is bound.
    owner: Opaque<*const Ioreq>,
    /// The interrupt its binding returned, negative until it is bound.
    /// Written once, by the assigning ioctl or later by [`Ioreq::retry`];
    /// read when the [`Ioreq`] goes, after the retries have stopped.
    irq: Atomic<i32>,
}

/// How [`IoreqPort::bind`] left a port.
#[derive(PartialEq)]
enum Binding {
    Bound,
    /// No channel holds the port yet: to be looked at again.
    Waiting,
}

/// The ioeventfds of one mapping of request pages.
#[pin_data(PinnedDrop)]
pub(crate) struct Ioreq {
    #[pin]
    links: ListLinks,
    dom: u16,
    vcpus: u32,
    /// The user address the mapping was named by.
    uioreq: u64,
    /// The mapping's frames, as [`pages_gone`] names them.
    pages_id: usize,
    #[pin]
    state: SpinLockIrq<IoreqState>,
    ports: KVec<IoreqPort>,
    /// Looks again at the ports that were [`Binding::Waiting`]; stopped by
    /// [`stop_retrying`] before the [`Ioreq`] goes.
    #[pin]
    retry: DelayedWork<Ioreq>,
    page: Arc<HypercallPage>,
}

// SAFETY: The ports' `owner` is written once, before any port is bound or
// the retries start, and so before any other thread reads it; everything
// else is immutable, atomic or under `state`'s lock.
unsafe impl Send for Ioreq {}
// SAFETY: As above.
unsafe impl Sync for Ioreq {}

impl_list_arc_safe! {
    impl ListArcSafe<0> for Ioreq { untracked; }
}
impl_list_item! {
    impl ListItem<0> for Ioreq { using ListLinks { self.links }; }
}
impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Ioreq { self.retry }
}

#[pinned_drop]
impl PinnedDrop for Ioreq {
    fn drop(self: Pin<&mut Self>) {
        for port in self.ports.iter().rev() {
            // No retry runs: it holds a reference, and a queued one was
            // cancelled (`stop_retrying`) before the last went.
            let Ok(irq) = c_uint::try_from(port.irq.load(Relaxed)) else {
                continue;
            };
            // Our binding holds the port's, as one of its users, so the
            // port still maps to its interrupt.  Should it not (the
            // binding torn down under its users by someone else), neither
            // the port's new interrupt nor none is ours to unbind.
            // SAFETY: `irq_from_evtchn` takes any number.
            if unsafe { irq_from_evtchn(port.port) } != irq {
                pr_warn!("ioeventfd: port {} was unbound under us\n", port.port);
                continue;
            }
            // SAFETY: The port's binding returned `irq`, with this
            // `dev_id`, and still maps the port to it; unbinding waits for
            // a running handler, after which none runs on it.
            unsafe { unbind_from_irqhandler(irq, from_ref(port).cast_mut().cast()) };
        }
    }
}

impl IoreqPort {
    /// Joins the port's binding with [`interrupt`], if it has one that
    /// counts its users; leaves it waiting if it has none.  With `first`
    /// (when the eventfd is assigned), a binding that does not count its
    /// users is `EBUSY`; later, it is waited on (a backend's binding counts
    /// them only once it is done).
    fn bind(&self, first: bool) -> Result<Binding> {
        // SAFETY: `evtchn_get` takes any number; on success it took a
        // reference to the binding, which keeps it while ours joins it, and
        // which is given back below.
        match unsafe { evtchn_get(self.port) } {
            0 => {}
            rc if rc == -(bindings::ENOENT as c_int) => return Ok(Binding::Waiting),
            _ if first => return Err(EBUSY),
            _ => return Ok(Binding::Waiting),
        }
        // SAFETY: `interrupt` takes the `IoreqPort` it is given, which
        // lives until `PinnedDrop` unbinds it; `owner` was set before.
        let irq = unsafe {
            bind_evtchn_to_irqhandler_lateeoi(
                self.port,
                Some(interrupt),
                c_ulong::from(bindings::IRQF_SHARED),
                c"ioeventfd".as_char_ptr(),
                from_ref(self).cast_mut().cast(),
            )
        };
        // SAFETY: The reference `evtchn_get` took; ours, if bound, counts as
        // one of the binding's users now.
        unsafe { evtchn_put(self.port) };
        if irq < 0 {
            return Err(Error::from_errno(irq));
        }
        self.irq.store(irq, Relaxed);
        Ok(Binding::Bound)
    }
}

impl Ioreq {
    /// Binds every vCPU's port to [`interrupt`] that can be now; whether
    /// some are left waiting.  `first` as in [`IoreqPort::bind`].
    fn bind(&self, first: bool) -> Result<bool> {
        let mut waiting = false;
        for port in self.ports.iter().filter(|port| port.irq.load(Relaxed) < 0) {
            waiting |= port.bind(first)? == Binding::Waiting;
        }
        Ok(waiting)
    }

    /// Looks again, in [`RETRY_MS`], at the ports left waiting.
    fn retry_later(this: Arc<Self>) {
        // Fails only while `stop_retrying` cancels the retries.
        let _ = workqueue::system().enqueue_delayed(this, msecs_to_jiffies(RETRY_MS));
    }

    fn matches(&self, req: &PrivcmdIoeventfd) -> bool {
        self.dom == req.dom && self.uioreq == req.ioreq && self.vcpus == req.vcpus
    }
}

impl WorkItem for Ioreq {
    type Pointer = Arc<Ioreq>;

    fn run(this: Arc<Ioreq>) {
        match this.bind(false) {
            Ok(false) => {}
            Ok(true) => Ioreq::retry_later(this),
            // The port stays unbound; the eventfd's requests go to the
            // backend.
            Err(e) => pr_err!("ioeventfd: binding a port failed: {:?}\n", e),
        }
    }
}

/// Stops the retries of `ioreq`, which no one can start again: it is off
/// [`IOREQS`].  A retry that runs is waited for.
fn stop_retrying(ioreq: &Ioreq) {
    // CAST: `DelayedWork` is a transparent wrapper of `struct delayed_work`.
    let dwork = from_ref(&ioreq.retry).cast::<bindings::delayed_work>();
    // SAFETY: The work was initialised with the `Ioreq`, which lives for
    // the call: the caller holds a reference.
    if unsafe { bindings::cancel_delayed_work_sync(dwork.cast_mut()) } {
        // SAFETY: A queued retry owned the reference that enqueueing it
        // made with `Arc::into_raw`; cancelled, it will not run to give it
        // back.
        drop(unsafe { Arc::from_raw(from_ref(ioreq)) });
    }
}

kernel::sync::global_lock! {
    /// The mappings with ioeventfds.  Taken by a privcmd VMA's `close`, with
    /// the mmap lock held.
    // SAFETY: Initialised in module init, before the device exists.
    pub(crate) unsafe(uninit) static IOREQS: SpinLockIrq<List<Ioreq>> = List::new();
}

kernel::sync::global_lock! {
    /// Serialises assigning and deassigning.
    // SAFETY: Initialised in module init, before the device exists.
    pub(crate) unsafe(uninit) static ASSIGN_LOCK: Mutex<()> = ();
}

/// A vCPU's event: claims a pending notification of an assigned virtqueue.
///
/// # Safety
///
/// `dev_id` is an [`IoreqPort`] bound by [`Ioreq::bind`].
unsafe extern "C" fn interrupt(_irq: c_int, dev_id: *mut c_void) -> bindings::irqreturn_t {
    // SAFETY: Per the function's contract; the port and its `Ioreq` live
    // until the port is unbound, which waits for this handler.
    let port = unsafe { &*dev_id.cast::<IoreqPort>() };
    // SAFETY: As above; `owner` was set before binding.
    let ioreq = unsafe { &**port.owner.get() };
    let state = ioreq.state.lock();
    let Some(&slot) = state.slots.get(port.vcpu as usize) else {
        return IRQ_NONE;
    };
    // INVARIANT: The slots are cleared, under this lock, before their pages
    // go; the lock is held while `slot` is used.
    let slot = Slot(slot);
    if slot.state() != Slot::READY {
        return IRQ_NONE;
    }
    // Xen fills the request in before marking it ready.
    smp_mb(Read);
    if !slot.is_mmio_write() {
        return IRQ_NONE;
    }
    let addr: u64 = slot.get(Slot::ADDR);
    let size: u32 = slot.get(Slot::SIZE_FIELD);
    let data: u64 = slot.get(Slot::DATA);
    let Some(ioeventfd) = state.ioeventfds.iter().find(|e| {
        e.addr.wrapping_add(VIRTIO_MMIO_QUEUE_NOTIFY) == addr
            && e.addr_len == size
            && data & QUEUE_NOTIFY_VQ_MASK == u64::from(e.vq)
    }) else {
        return IRQ_NONE;
    };
    // The request is read before it is claimed.
    smp_mb(Full);
    slot.set_state(Slot::IN_PROCESS);
    ioeventfd.eventfd.signal();
    // The response follows the signal.
    smp_mb(Write);
    slot.set_state(Slot::RESPONSE_READY);
    drop(state);
    let send = port.port;
    // `struct evtchn_send` is the port alone.  A failure cannot be
    // reported from here; the vCPU then waits for the backend.
    let _ = ioreq.page.call_in_irq(
        HYPERVISOR_EVENT_CHANNEL_OP,
        [EVTCHNOP_SEND, core::ptr::from_ref(&send) as u64, 0, 0, 0],
    );
    IRQ_HANDLED
}

/// Told by a privcmd VMA's `close` that the frames `pages_id` are going:
/// the slots in them are not read again.
pub(crate) fn pages_gone(pages_id: usize) {
    let ioreqs = IOREQS.lock();
    for ioreq in ioreqs.iter() {
        if ioreq.pages_id == pages_id {
            ioreq.state.lock().slots.clear();
        }
    }
}

/// The mapping at `req.ioreq`, if it has ioeventfds.
fn find(req: &PrivcmdIoeventfd) -> Option<Arc<Ioreq>> {
    IOREQS
        .lock()
        .iter()
        .find(|ioreq| ioreq.uioreq == req.ioreq)
        .map(Arc::from)
}

/// Takes `ioreq` off [`IOREQS`] if it has no eventfd left; its last
/// reference unbinds its ports.  The caller holds [`ASSIGN_LOCK`].
fn release_if_unused(ioreq: &Ioreq) {
    if !ioreq.state.lock().ioeventfds.is_empty() {
        return;
    }
    // SAFETY: There is one list of mappings, this one.
    let item = unsafe { IOREQS.lock().remove(ioreq) };
    if item.is_some() {
        stop_retrying(ioreq);
    }
    // Unbinding sleeps: outside the lock.
    drop(item);
}

/// Sets up the mapping at `req.ioreq` for ioeventfds.
fn new_ioreq(page: &Arc<HypercallPage>, req: &PrivcmdIoeventfd) -> Result<Arc<Ioreq>> {
    let vcpus = req.vcpus as usize;
    let uports = usize::try_from(req.ports).map_err(|_| EFAULT)?;
    let mut reader = UserSlice::new(UserPtr::from_addr(uports), vcpus * size_of::<u32>()).reader();
    let mut ports = KVec::with_capacity(vcpus, GFP_KERNEL)?;
    for vcpu in 0..req.vcpus {
        ports.push(
            IoreqPort {
                vcpu,
                port: reader.read::<u32>()?,
                owner: Opaque::new(null()),
                irq: Atomic::new(-1),
            },
            GFP_KERNEL,
        )?;
    }

    let current = CurrentMm::get()?;
    let _state = MAP_LOCK.lock();
    let mmap = current.mm().mmap_read_lock();
    let addr = usize::try_from(req.ioreq).map_err(|_| EFAULT)?;
    let vma = PrivcmdVma::new(mmap.vma_lookup(addr)).map_err(|_| EFAULT)?;
    let (pages_id, slots) = vma.slots(addr, vcpus, Slot::SIZE)?;
    // One port per vCPU: a port's interrupt runs one vCPU's slot.
    let mut sorted = KVec::with_capacity(vcpus, GFP_KERNEL)?;
    for port in ports.iter() {
        sorted.push(port.port, GFP_KERNEL)?;
    }
    sorted.sort_unstable();
    if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(EBUSY);
    }
    let ioreq = ListArc::pin_init(
        try_pin_init!(Ioreq {
            links <- ListLinks::new(),
            dom: req.dom,
            vcpus: req.vcpus,
            uioreq: req.ioreq,
            pages_id,
            state <- new_spinlock_irq!(IoreqState {
                slots,
                ioeventfds: KVec::new(),
            }),
            ports,
            retry <- new_delayed_work!("ioeventfd retry"),
            page: page.clone(),
        }),
        GFP_KERNEL,
    )?;
    let arc = ioreq.clone_arc();
    // Listed while the mapping cannot go (the mmap lock), so that its
    // `close` finds it.
    IOREQS.lock().push_back(ioreq);
    drop(mmap);

    for port in arc.ports.iter() {
        // SAFETY: No port is bound and no retry queued yet: no one else
        // reads `owner`.
        unsafe { *port.owner.get() = from_ref(&*arc) };
    }
    // The stub has no event channels; no mapping of it gets this far.
    let bound = if page.hypervisor() == Hypervisor::Stub {
        Err(ENOSYS)
    } else {
        arc.bind(true)
    };
    match bound {
        Ok(waiting) => {
            if waiting {
                Ioreq::retry_later(arc.clone());
            }
            Ok(arc)
        }
        Err(e) => {
            release_if_unused(&arc);
            Err(e)
        }
    }
}

fn assign(page: &Arc<HypercallPage>, req: &PrivcmdIoeventfd) -> Result<isize> {
    if req.addr.checked_add(u64::from(req.addr_len)).is_none() {
        return Err(EINVAL);
    }
    if !matches!(req.addr_len, 1 | 2 | 4 | 8) {
        return Err(EINVAL);
    }
    if req.vcpus == 0 || req.vcpus > MAX_VCPUS {
        return Err(EINVAL);
    }
    let eventfd = EventfdCtx::from_fd(req.event_fd)?;

    let _assigning = ASSIGN_LOCK.lock();
    let ioreq = match find(req) {
        Some(ioreq) if !ioreq.matches(req) => {
            pr_err!(
                "ioeventfd: mapping {:#x} is of domain {} with {} vCPUs, not {} with {}\n",
                req.ioreq,
                ioreq.dom,
                ioreq.vcpus,
                req.dom,
                req.vcpus
            );
            return Err(EINVAL);
        }
        Some(ioreq) => {
            let state = ioreq.state.lock();
            if state
                .ioeventfds
                .iter()
                .any(|e| e.eventfd.as_ptr() == eventfd.as_ptr())
            {
                return Err(EBUSY);
            }
            drop(state);
            ioreq
        }
        None => new_ioreq(page, req)?,
    };
    let pushed = ioreq.state.lock().ioeventfds.push(
        Ioeventfd {
            eventfd,
            addr: req.addr,
            addr_len: req.addr_len,
            vq: req.vq,
        },
        GFP_ATOMIC,
    );
    if pushed.is_err() {
        release_if_unused(&ioreq);
        return Err(ENOMEM);
    }
    Ok(0)
}

fn deassign(req: &PrivcmdIoeventfd) -> Result<isize> {
    let eventfd = EventfdCtx::from_fd(req.event_fd)?;
    let _assigning = ASSIGN_LOCK.lock();
    let ioreq = find(req).filter(|ioreq| ioreq.matches(req));
    let removed = ioreq.as_ref().and_then(|ioreq| {
        let mut state = ioreq.state.lock();
        let i = state
            .ioeventfds
            .iter()
            .position(|e| e.eventfd.as_ptr() == eventfd.as_ptr())?;
        state.ioeventfds.remove(i).ok()
    });
    match (ioreq, removed) {
        (Some(ioreq), Some(_)) => {
            release_if_unused(&ioreq);
            Ok(0)
        }
        _ => {
            pr_err!(
                "ioeventfd: none assigned for domain {} at {:#x}\n",
                req.dom,
                req.addr
            );
            Err(ENODEV)
        }
    }
}

/// `IOCTL_PRIVCMD_IOEVENTFD` on a file restricted to `restricted`
/// (`DOMID_INVALID` for none).
pub(crate) fn ioeventfd(page: &Arc<HypercallPage>, restricted: u32, arg: UserPtr) -> Result<isize> {
    let req: PrivcmdIoeventfd = UserSlice::new(arg, size_of::<PrivcmdIoeventfd>())
        .reader()
        .read()?;
    if req.flags & !PRIVCMD_IOEVENTFD_FLAG_DEASSIGN != 0 {
        return Err(EINVAL);
    }
    may_name(restricted, req.dom)?;
    if req.flags & PRIVCMD_IOEVENTFD_FLAG_DEASSIGN != 0 {
        deassign(&req)
    } else {
        assign(page, &req)
    }
}

/// Ends every ioeventfd when the module goes.
pub(crate) struct IoeventfdRegistration;

impl Drop for IoeventfdRegistration {
    fn drop(&mut self) {
        let _assigning = ASSIGN_LOCK.lock();
        loop {
            let Some(ioreq) = IOREQS.lock().pop_front() else {
                break;
            };
            stop_retrying(&ioreq);
            // Unbinds its ports, outside the lock.
            drop(ioreq);
        }
    }
}
