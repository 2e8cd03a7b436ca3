// SPDX-License-Identifier: GPL-2.0

//! `IOCTL_PRIVCMD_IRQFD`: an eventfd whose every signal becomes one
//! device-model operation, so a virtio backend in dom0 raises its guest's
//! interrupt with a `write(2)` to an eventfd instead of an ioctl.
//!
//! Assigning copies the caller's `struct xen_dm_op` (usually
//! `XEN_DMOP_set_irq_level`) into the kernel and hooks a wait-queue entry
//! of this module into the eventfd.  When the eventfd is signalled, the
//! entry's callback runs under the eventfd's wait-queue lock: it consumes
//! the count and issues `__HYPERVISOR_dm_op` with the saved operation.  A
//! failure is logged once, not again until an injection has succeeded.
//!
//! An irqfd ends when it is deassigned, when its eventfd is released
//! (`EPOLLHUP`) or when the module goes.  Each way takes it off [`IRQFDS`]
//! (once: whoever removes it owns its end) and queues its shutdown on the
//! module's cleanup workqueue, which unhooks the entry from the eventfd; a
//! wake-up callback cannot unhook itself.  Deassigning waits for that queue,
//! so no injection follows its return.
//!
//! Checks, in the C driver's order and with its errno values: `EFAULT` for
//! the structure, `EINVAL` for unknown flags, `EPERM` for another domain
//! than a restricted file's; to assign, `ENOMEM`, `EFAULT` for the
//! operation, `EBADF`, `EINVAL` for a file that is no eventfd, `EBUSY` for
//! an eventfd already assigned; to deassign, `EBADF` or `EINVAL` for the
//! eventfd, and success whether or not it was assigned.
//!
//! The kernel has no Rust abstraction for custom wait-queue entries or a
//! module's own workqueue yet; the small wrappers here ([`CleanupQueue`],
//! the `wait`/`table` fields) could give way to one.

use core::{
    ffi::{c_int, c_uint, c_void},
    mem::size_of,
    ptr::{null_mut, NonNull},
};
use kernel::{
    bindings, container_of,
    fs::LocalFile,
    list::{impl_list_arc_safe, impl_list_item, List, ListArc, ListLinks},
    new_work,
    prelude::*,
    sync::{
        atomic::{ordering::Relaxed, Atomic},
        Arc,
    },
    types::Opaque,
    uaccess::{UserPtr, UserSlice},
    workqueue::{impl_has_work, Queue, Work, WorkItem},
};

use crate::{
    dm_op::HYPERVISOR_DM_OP,
    eventfd::EventfdCtx,
    hypercall::HypercallPage,
    may_name,
    uapi::{PrivcmdIrqfd, XenDmOpBuf, PRIVCMD_IRQFD_FLAG_DEASSIGN},
};

/// `EPOLLIN`: the eventfd's count is not zero.
const EPOLLIN: u32 = 0x1;
/// `EPOLLHUP`: the eventfd is being released.
const EPOLLHUP: u32 = 0x10;
/// What `vfs_poll` reports for a file without a `poll` operation.
const DEFAULT_POLLMASK: u32 = 0x1 | 0x4 | 0x40 | 0x100;

/// A workqueue of the module's own, destroyed (after what it holds has
/// run) when dropped.
struct CleanupQueue(NonNull<bindings::workqueue_struct>);

// SAFETY: Workqueues are used from any context and thread.
unsafe impl Send for CleanupQueue {}

impl CleanupQueue {
    fn new() -> Result<Self> {
        // SAFETY: The name is a NUL-terminated format without conversions,
        // so no variadic arguments are read.
        let wq = unsafe {
            bindings::alloc_workqueue_noprof(
                c"privcmd-irqfd-cleanup".as_char_ptr(),
                bindings::wq_flags_WQ_PERCPU as c_uint,
                0,
            )
        };
        NonNull::new(wq).map(Self).ok_or(ENOMEM)
    }

    fn queue(&self) -> &Queue {
        // SAFETY: The workqueue lives until `self` is dropped.
        unsafe { Queue::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for CleanupQueue {
    fn drop(&mut self) {
        // SAFETY: Allocated by `alloc_workqueue_noprof` and not destroyed;
        // `destroy_workqueue` first runs what is queued.
        unsafe { bindings::destroy_workqueue(self.0.as_ptr()) };
    }
}

/// The irqfds, and the queue their shutdowns run on.
pub(crate) struct Irqfds {
    list: List<Irqfd>,
    cleanup: Option<CleanupQueue>,
}

kernel::sync::global_lock! {
    /// The assigned irqfds.  Taken inside an eventfd's wait-queue lock, with
    /// interrupts off, by the `EPOLLHUP` wake-up.
    // SAFETY: Initialised in module init, before the device exists.
    pub(crate) unsafe(uninit) static IRQFDS: SpinLockIrq<Irqfds> = Irqfds {
        list: List::new(),
        cleanup: None,
    };
}

kernel::sync::global_lock! {
    /// Serialises assigning and deassigning: an irqfd cannot be deassigned
    /// between entering [`IRQFDS`] and being hooked into its eventfd.
    // SAFETY: Initialised in module init, before the device exists.
    pub(crate) unsafe(uninit) static ASSIGN_LOCK: Mutex<()> = ();
}

/// One assigned irqfd.
#[pin_data]
struct Irqfd {
    #[pin]
    links: ListLinks,
    /// Our entry in the eventfd's wait queue.
    #[pin]
    wait: Opaque<bindings::wait_queue_entry>,
    /// The poll table whose callback hooks `wait` in.
    #[pin]
    table: Opaque<bindings::poll_table_struct>,
    /// The eventfd's wait-queue head, once `table` has hooked `wait` in.
    head: Opaque<*mut bindings::wait_queue_head>,
    #[pin]
    shutdown: Work<Irqfd>,
    eventfd: EventfdCtx,
    dom: u16,
    /// The operation, as the caller wrote it.
    op: KVec<u8>,
    /// Whether the last injection failed.
    failing: Atomic<bool>,
    page: Arc<HypercallPage>,
}

// SAFETY: The C-owned fields (`wait`, `table`, `head`) are used through raw
// pointers only: `wait` and `table` by the eventfd under its wait-queue lock,
// `head` by the assigning thread alone; the rest is immutable after
// assignment but `failing`, an atomic, and `links`, under [`IRQFDS`].
unsafe impl Send for Irqfd {}
// SAFETY: As above.
unsafe impl Sync for Irqfd {}

impl_list_arc_safe! {
    impl ListArcSafe<0> for Irqfd { untracked; }
}
impl_list_item! {
    impl ListItem<0> for Irqfd { using ListLinks { self.links }; }
}
impl_has_work! {
    impl HasWork<Self> for Irqfd { self.shutdown }
}

impl WorkItem for Irqfd {
    type Pointer = Arc<Irqfd>;

    /// Unhooks the irqfd from its eventfd; the last reference frees it and
    /// puts the eventfd.
    fn run(this: Arc<Irqfd>) {
        // SAFETY: Written by `hook` while assigning, before the irqfd could
        // be taken off the list and queued here.
        if unsafe { *this.head.get() }.is_null() {
            return;
        }
        let mut count = 0u64;
        // SAFETY: `hook` put `wait` in this eventfd's wait queue; removing
        // it takes the queue's lock, so no callback runs on it afterwards.
        unsafe {
            bindings::eventfd_ctx_remove_wait_queue(
                this.eventfd.as_ptr(),
                this.wait.get(),
                &mut count,
            )
        };
    }
}

impl Irqfd {
    /// Issues the saved operation; called with the eventfd's wait-queue
    /// lock held.
    fn inject(&self) {
        let mut count = 0u64;
        // SAFETY: The caller holds the wait-queue lock, as consuming the
        // count requires.
        unsafe { bindings::eventfd_ctx_do_read(self.eventfd.as_ptr(), &mut count) };
        let buf = XenDmOpBuf {
            h: self.op.as_ptr() as u64,
            size: self.op.len() as u64,
        };
        let args = [
            u64::from(self.dom),
            1,
            core::ptr::from_ref(&buf) as u64,
            0,
            0,
        ];
        let rc = match self.page.call(HYPERVISOR_DM_OP, args) {
            Ok(rc) => rc,
            Err(e) => i64::from(e.to_errno()),
        };
        if rc != 0 && !self.failing.load(Relaxed) {
            pr_err!("irqfd: dm_op on domain {} failed: {}\n", self.dom, rc);
        }
        self.failing.store(rc != 0, Relaxed);
    }
}

/// The eventfd's wake-up: inject on `EPOLLIN`, end the irqfd on `EPOLLHUP`.
///
/// # Safety
///
/// `wait` is the `wait` field of an assigned [`Irqfd`], and the eventfd's
/// wait-queue lock is held (as it is for every wake-up callback).
unsafe extern "C" fn wakeup(
    wait: *mut bindings::wait_queue_entry,
    _mode: c_uint,
    _sync: c_int,
    key: *mut c_void,
) -> c_int {
    // SAFETY: Per the function's contract `wait` is inside an `Irqfd`, which
    // stays alive while hooked: it is only freed after its shutdown has
    // unhooked it, which waits for this callback to return.
    let irqfd = unsafe { &*container_of!(Opaque::cast_from(wait), Irqfd, wait) };
    let events = key as usize as u32;
    if events & EPOLLIN != 0 {
        irqfd.inject();
    }
    if events & EPOLLHUP != 0 {
        let mut irqfds = IRQFDS.lock();
        irqfds.deactivate(irqfd);
    }
    0
}

/// The poll table's callback: hooks the irqfd's entry into the eventfd's
/// wait queue, ahead of ordinary waiters.
///
/// # Safety
///
/// `table` is the `table` field of a live [`Irqfd`] and `head` a wait-queue
/// head, as `vfs_poll` passes them.
unsafe extern "C" fn hook(
    _file: *mut bindings::file,
    head: *mut bindings::wait_queue_head,
    table: *mut bindings::poll_table_struct,
) {
    // SAFETY: Per the function's contract.
    let irqfd = unsafe { &*container_of!(Opaque::cast_from(table), Irqfd, table) };
    // SAFETY: `head` is valid; the entry is initialised and not yet in any
    // queue, and lives until its shutdown removes it.  Only `assign`, which
    // is polling, reads `head`, after this returns.
    unsafe {
        *irqfd.head.get() = head;
        bindings::add_wait_queue_priority(head, irqfd.wait.get());
    }
}

impl Irqfds {
    /// Queues the shutdown of `item`, just taken off the list by the caller,
    /// which makes it the only one to queue it.
    fn shut_down(&self, item: ListArc<Irqfd>) {
        if let Some(cleanup) = &self.cleanup {
            // Cannot be queued already: see above.
            let _ = cleanup.queue().enqueue(item.into_arc());
        }
    }

    /// Takes `irqfd` off the list, if it is still there, and queues its
    /// shutdown.
    fn deactivate(&mut self, irqfd: &Irqfd) {
        // SAFETY: There is one list of irqfds, this one.
        if let Some(item) = unsafe { self.list.remove(irqfd) } {
            self.shut_down(item);
        }
    }

    /// As [`Self::deactivate`], for the irqfd of `eventfd` if there is one.
    fn deactivate_eventfd(&mut self, eventfd: &EventfdCtx) {
        let mut cursor = self.list.cursor_front();
        let mut found = None;
        while let Some(next) = cursor.peek_next() {
            if next.arc().eventfd.as_ptr() == eventfd.as_ptr() {
                found = Some(next.remove());
                break;
            }
            cursor.move_next();
        }
        if let Some(item) = found {
            self.shut_down(item);
        }
    }

    fn contains(&self, eventfd: &EventfdCtx) -> bool {
        self.list
            .iter()
            .any(|irqfd| irqfd.eventfd.as_ptr() == eventfd.as_ptr())
    }
}

/// `vfs_poll(file, table)`: the file's events, registering with `table`.
fn vfs_poll(file: &LocalFile, table: *mut bindings::poll_table_struct) -> u32 {
    // SAFETY: An open file has `f_op` set for its lifetime.
    let poll = unsafe { (*(*file.as_ptr()).f_op).poll };
    match poll {
        // SAFETY: The file's own `poll`, on the file, with a valid table.
        Some(poll) => unsafe { poll(file.as_ptr(), table) },
        None => DEFAULT_POLLMASK,
    }
}

fn assign(page: &Arc<HypercallPage>, req: &PrivcmdIrqfd) -> Result<isize> {
    let size = req.size as usize;
    let mut op = KVec::with_capacity(size, GFP_KERNEL | __GFP_NOWARN).map_err(|_| ENOMEM)?;
    let uptr = usize::try_from(req.dm_op).map_err(|_| EFAULT)?;
    UserSlice::new(UserPtr::from_addr(uptr), size)
        .reader()
        .read_all(&mut op, GFP_KERNEL)?;
    let file = LocalFile::fget(req.fd).map_err(|_| EBADF)?;
    let eventfd = EventfdCtx::from_file(&file)?;

    let irqfd = ListArc::pin_init(
        try_pin_init!(Irqfd {
            links <- ListLinks::new(),
            wait: Opaque::new(bindings::wait_queue_entry {
                flags: 0,
                private: null_mut(),
                func: Some(wakeup),
                ..Default::default()
            }),
            table: Opaque::new(bindings::poll_table_struct {
                _qproc: Some(hook),
                _key: !0,
            }),
            head: Opaque::new(null_mut()),
            shutdown <- new_work!("Irqfd::shutdown"),
            eventfd,
            dom: req.dom,
            op,
            failing: Atomic::new(false),
            page: page.clone(),
        }),
        GFP_KERNEL,
    )?;
    let this = irqfd.clone_arc();

    let _assigning = ASSIGN_LOCK.lock();
    {
        let mut irqfds = IRQFDS.lock();
        if irqfds.contains(&this.eventfd) {
            return Err(EBUSY);
        }
        irqfds.list.push_back(irqfd);
    }
    // Hook in; a signal that came before counts as one now.  The file's
    // reference keeps `EPOLLHUP` away, and the lock deassigning, until the
    // entry is in.
    if vfs_poll(&file, this.table.get()) & EPOLLIN != 0 {
        // SAFETY: `hook` ran in `vfs_poll`, on this thread.
        let head = unsafe { *this.head.get() };
        if !head.is_null() {
            // SAFETY: The wait-queue head lives as long as the eventfd, which
            // `file` holds.  Injecting consumes the count, which must be
            // done under this lock (as in a wake-up).
            unsafe { bindings::spin_lock_irq_disable(&raw mut (*head).lock) };
            this.inject();
            // SAFETY: Locked above.
            unsafe { bindings::spin_unlock_irq_enable(&raw mut (*head).lock) };
        }
    }
    Ok(0)
}

fn deassign(req: &PrivcmdIrqfd) -> Result<isize> {
    let eventfd = EventfdCtx::from_fd(req.fd)?;
    let queue = {
        let _assigning = ASSIGN_LOCK.lock();
        let mut irqfds = IRQFDS.lock();
        irqfds.deactivate_eventfd(&eventfd);
        irqfds.cleanup.as_ref().map(|q| q.0)
    };
    // No injection after return: wait for the shutdown queued above.
    if let Some(queue) = queue {
        // SAFETY: The queue lives until module exit, which cannot come
        // while a file of the device is open.
        unsafe { bindings::__flush_workqueue(queue.as_ptr()) };
    }
    Ok(0)
}

/// `IOCTL_PRIVCMD_IRQFD` on a file restricted to `restricted`
/// (`DOMID_INVALID` for none).
pub(crate) fn irqfd(page: &Arc<HypercallPage>, restricted: u32, arg: UserPtr) -> Result<isize> {
    let req: PrivcmdIrqfd = UserSlice::new(arg, size_of::<PrivcmdIrqfd>())
        .reader()
        .read()?;
    if req.flags & !PRIVCMD_IRQFD_FLAG_DEASSIGN != 0 {
        return Err(EINVAL);
    }
    may_name(restricted, req.dom)?;
    if req.flags & PRIVCMD_IRQFD_FLAG_DEASSIGN != 0 {
        deassign(&req)
    } else {
        assign(page, &req)
    }
}

/// The irqfds' lifetime with the module: the cleanup queue from load; at
/// unload, every irqfd ended and its shutdown run.
pub(crate) struct IrqfdRegistration;

impl IrqfdRegistration {
    /// Sets up the cleanup queue.
    pub(crate) fn new() -> Result<Self> {
        let queue = CleanupQueue::new()?;
        IRQFDS.lock().cleanup = Some(queue);
        Ok(Self)
    }
}

impl Drop for IrqfdRegistration {
    fn drop(&mut self) {
        let queue = {
            let mut irqfds = IRQFDS.lock();
            while let Some(item) = irqfds.list.pop_front() {
                irqfds.shut_down(item);
            }
            irqfds.cleanup.take()
        };
        // Runs the shutdowns, then frees the queue.
        drop(queue);
    }
}
