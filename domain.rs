// SPDX-License-Identifier: GPL-2.0

//! The domain a file of a domU's `/dev/xen/privcmd` may act on (XSA-482,
//! CVE-2026-31788).
//!
//! In the initial domain (dom0, or the stub world, which stands for one)
//! every file starts unrestricted, as before.  In any other Xen domain, as
//! with Linux 7.3's C driver, every file starts restricted to one domain:
//! the one named, as a decimal number, by the `target` key that the
//! toolstack writes in this domain's xenstore directory
//! (`/local/domain/<own id>/target`, as `xl` writes it for a stub domain),
//! read once, when xenstore is up (at load, if it is up by then).  Without
//! such a key, files are restricted to `DOMID_IDLE`, which no ioctl can
//! use: `IOCTL_PRIVCMD_HYPERCALL` is `EPERM` on any restricted file,
//! `IOCTL_PRIVCMD_RESTRICT` to another domain `EINVAL`, and every ioctl
//! that names another domain `EPERM`.  An `open` before xenstore is up
//! waits for it, and a signal ends that wait with `EINTR`.  The load-time
//! parameter `unrestricted` lifts all of this, unless the kernel is locked
//! down (`LOCKDOWN_XEN_USER_ACTIONS`).
//!
//! One deviation, on the safe side: a `target` that is not a domain (a
//! reserved id such as `DOMID_INVALID` or `DOMID_SELF`, or a number too
//! large for a domain id) restricts files to `DOMID_IDLE` here, where the C
//! driver truncates it to 16 bits and uses it, so that a target of 32756
//! (`DOMID_INVALID`) lifts the restriction there.

use core::ptr::null_mut;
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi::{c_char, c_int, c_uint, c_ulong, c_void},
    new_condvar, new_mutex,
    prelude::*,
    sync::{Arc, CondVar, Mutex},
    types::Opaque,
};

use crate::DOMID_INVALID;

/// `DOMID_IDLE` of Xen's public headers: a domain no ioctl can act on.
const DOMID_IDLE: u32 = 0x7fff;

/// `DOMID_FIRST_RESERVED`: ids from here on name no domain.
const DOMID_FIRST_RESERVED: u32 = 0x7ff0;

/// `struct xenbus_transaction` (`include/xen/xenbus.h`), passed by value.
#[repr(C)]
#[derive(Clone, Copy)]
struct XenbusTransaction {
    id: u32,
}

/// `XBT_NIL`: no transaction.
const XBT_NIL: XenbusTransaction = XenbusTransaction { id: 0 };

// The xenbus API is not in the kernel's Rust bindings; these are its
// prototypes from `include/xen/xenbus.h`.  The notifier block is the
// kernel's own bindgen type.
extern "C" {
    fn xenbus_read(
        t: XenbusTransaction,
        dir: *const c_char,
        node: *const c_char,
        len: *mut c_uint,
    ) -> *mut c_void;
    fn register_xenstore_notifier(nb: *mut bindings::notifier_block) -> c_int;
    fn unregister_xenstore_notifier(nb: *mut bindings::notifier_block);
    // lockdown.c: `security_locked_down()` is an inline without
    // CONFIG_SECURITY.
    fn rust_privcmd_xen_user_actions_locked_down() -> c_int;
}

/// Whether this kernel runs on Xen in a domain other than the initial one
/// (`xen_domain() && !xen_initial_domain()`).
fn xen_domu() -> bool {
    #[cfg(CONFIG_XEN)]
    {
        // SAFETY: Both are written during early boot and only read
        // afterwards.
        let (domain_type, flags) =
            unsafe { (bindings::xen_domain_type, bindings::xen_start_flags) };
        domain_type != bindings::xen_domain_type_XEN_NATIVE && flags & bindings::SIF_INITDOMAIN == 0
    }
    #[cfg(not(CONFIG_XEN))]
    false
}

/// The domain that this domain's files are restricted to, once xenstore
/// is up.
#[pin_data]
pub(crate) struct Target {
    /// Called once xenstore is up (at once if it is).
    #[pin]
    notifier: Opaque<bindings::notifier_block>,
    /// `None` until read.
    #[pin]
    domid: Mutex<Option<u32>>,
    /// Woken when `domid` is read.
    #[pin]
    read: CondVar,
}

// SAFETY: This module writes the notifier block only before registering
// it; afterwards only the xenstore notifier chain reads and links it,
// under the chain's own lock.  The mutex and the condition variable may be
// used from any thread.
unsafe impl Sync for Target {}
// SAFETY: As above; nothing in it is bound to the thread that made it.
unsafe impl Send for Target {}

impl Target {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            notifier <- Opaque::ffi_init(|nb: *mut bindings::notifier_block| {
                // SAFETY: `nb` is valid for writing.
                unsafe {
                    nb.write(bindings::notifier_block {
                        notifier_call: Some(xenstore_up),
                        next: null_mut(),
                        priority: 0,
                    })
                }
            }),
            domid <- new_mutex!(None),
            read <- new_condvar!(),
        })
    }
}

/// Reads `target` from this domain's xenstore directory: the domain id it
/// names, or `DOMID_IDLE` if there is none (or it names no domain).
fn read_target() -> u32 {
    // SAFETY: Both strings are NUL-terminated; the key is relative, so
    // xenstored reads it in this domain's directory; no length is asked.
    let value = unsafe {
        xenbus_read(
            XBT_NIL,
            c"target".as_char_ptr(),
            c"".as_char_ptr(),
            null_mut(),
        )
    };
    let Some(value) = from_err_ptr(value).ok().filter(|v| !v.is_null()) else {
        pr_err!("no target domain in xenstore: every file is restricted to DOMID_IDLE\n");
        return DOMID_IDLE;
    };
    let mut domid: c_uint = 0;
    // SAFETY: `xenbus_read` returns a NUL-terminated string; `domid` is
    // valid for writing.
    let parsed = unsafe { bindings::kstrtouint(value.cast(), 10, &mut domid) };
    // SAFETY: The string was allocated by `xenbus_read` for the caller,
    // and is not used after this.
    unsafe { bindings::kfree(value) };
    if parsed != 0 || domid >= DOMID_FIRST_RESERVED {
        pr_err!("xenstore's target names no domain: every file is restricted to DOMID_IDLE\n");
        return DOMID_IDLE;
    }
    pr_info!(
        "files are restricted to domain {} (xenstore target)\n",
        domid
    );
    domid
}

/// The xenstore notifier: reads the target and wakes the opens waiting
/// for it.
///
/// # Safety
///
/// Called by the xenstore notifier chain (or by
/// `register_xenstore_notifier`) for `nb`, the notifier block of a
/// registered [`Target`].
unsafe extern "C" fn xenstore_up(
    nb: *mut bindings::notifier_block,
    _event: c_ulong,
    _data: *mut c_void,
) -> c_int {
    let nb = Opaque::cast_from(nb).cast_mut();
    // SAFETY: `nb` is the `notifier` field of a `Target` (the only notifier
    // block with this callback), which lives until its registration is
    // dropped, after the notifier is unregistered, so until after this
    // call returns.
    let target = unsafe { &*kernel::container_of!(nb, Target, notifier) };
    let domid = read_target();
    *target.domid.lock() = Some(domid);
    target.read.notify_all();
    bindings::NOTIFY_DONE as c_int
}

kernel::sync::global_lock! {
    // SAFETY: Initialised at the start of module init, before any use.
    pub(crate) unsafe(uninit) static TARGET: Mutex<Option<Arc<Target>>> = None;
}

/// The restriction of a domU's files, registered with xenstore and
/// published to `open` while it lives; nothing in the initial domain or
/// with `unrestricted`.
pub(crate) struct Restriction(Option<Arc<Target>>);

impl Restriction {
    /// Sets up the restriction of this domain's files, as the parameter
    /// `unrestricted` and the kernel's lockdown allow.
    pub(crate) fn new(unrestricted: bool) -> Result<Self> {
        if !xen_domu() {
            return Ok(Self(None));
        }
        if unrestricted {
            // SAFETY: A query without side effects.
            if unsafe { rust_privcmd_xen_user_actions_locked_down() } == 0 {
                pr_notice!("unrestricted: files may name any domain and make any hypercall\n");
                return Ok(Self(None));
            }
            pr_warn!("the kernel is locked down: parameter \"unrestricted\" ignored\n");
        }
        let target = Arc::pin_init(Target::new(), GFP_KERNEL)?;
        *TARGET.lock() = Some(target.clone());
        // SAFETY: The notifier block is initialised and lives in `target`,
        // which this registration keeps until it has unregistered it.  If
        // xenstore is up, the notifier runs now, in this call.  Its result
        // is the notifier's, which says nothing about the registration.
        unsafe { register_xenstore_notifier(target.notifier.get()) };
        Ok(Self(Some(target)))
    }

    /// The domain that a file opened now is restricted to:
    /// `DOMID_INVALID` for none, else the target domain (`DOMID_IDLE` if
    /// there is none).  Waits until xenstore is up; `EINTR` if a signal
    /// comes first.
    pub(crate) fn for_open() -> Result<u32> {
        let Some(target) = TARGET.lock().clone() else {
            return Ok(DOMID_INVALID);
        };
        let mut domid = target.domid.lock();
        loop {
            if let Some(domid) = *domid {
                return Ok(domid);
            }
            if target.read.wait_interruptible(&mut domid) && domid.is_none() {
                return Err(EINTR);
            }
        }
    }
}

impl Drop for Restriction {
    fn drop(&mut self) {
        if let Some(target) = self.0.take() {
            *TARGET.lock() = None;
            // SAFETY: Registered in `new` (or called already, in which case
            // unregistering finds nothing to remove); once this returns, the
            // chain no longer calls the notifier.
            unsafe { unregister_xenstore_notifier(target.notifier.get()) };
        }
    }
}
