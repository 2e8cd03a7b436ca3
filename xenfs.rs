// SPDX-License-Identifier: GPL-2.0

//! `xen_privcmd_fops`: the driver's file operations under the name that
//! Linux's C privcmd exports them by.
//!
//! xenfs (`/proc/xen`, where a dom0's xenstored finds its store ring and
//! event channel) imports `xen_privcmd_fops` for its `privcmd` file.  By
//! exporting the symbol (in `asm/exports.S`), this driver lets xenfs load
//! with it, as a drop-in replacement must; `/proc/xen/privcmd` is then the
//! same device as `/dev/xen/privcmd`.  xenfs depends on this module while
//! it is loaded, so the device and the operations outlive its files.

use core::{
    ffi::c_int,
    ptr::null_mut,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{bindings, miscdevice::MiscDeviceRegistration, types::Opaque};

/// A `struct file_operations` that other modules may read.
#[repr(transparent)]
pub(crate) struct FileOperations(Opaque<bindings::file_operations>);

// SAFETY: Written once, in module init, before any other module can
// resolve the symbol (a module's exports are usable once it is live);
// read-only afterwards.
unsafe impl Sync for FileOperations {}

/// The operations xenfs puts behind `/proc/xen/privcmd`: the misc
/// device's own, with an `open` that first names the device as
/// `misc_open()` does.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub(crate) static xen_privcmd_fops: FileOperations = FileOperations(Opaque::zeroed());

/// The registered `/dev/xen/privcmd`, for opens through xenfs.
static DEVICE: AtomicPtr<bindings::miscdevice> = AtomicPtr::new(null_mut());

/// Fills [`xen_privcmd_fops`] from the registered device `dev`.  Called
/// from module init, once the device is registered.
pub(crate) fn publish<T: kernel::miscdevice::MiscDevice>(dev: &MiscDeviceRegistration<T>) {
    let raw = dev.as_raw();
    DEVICE.store(raw, Ordering::Release);
    // SAFETY: `dev` is registered, so its `fops` points to the static
    // operations table the miscdevice abstraction built for `T`.
    let mut fops = unsafe { *(*raw).fops };
    fops.open = Some(open);
    // SAFETY: See the `Sync` implementation: no reader exists yet, and
    // module init runs once.
    unsafe { xen_privcmd_fops.0.get().write(fops) };
}

/// `open` of `/proc/xen/privcmd`.
///
/// # Safety
///
/// Called by the VFS for a file being opened through [`xen_privcmd_fops`].
unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    let dev = DEVICE.load(Ordering::Acquire);
    // SAFETY: The file is being opened, so its private data is ours to set;
    // the device's `open` reads it as the `struct miscdevice`, which
    // `misc_open()` stores there for the device node.  `dev` was stored
    // before the operations that lead here were published.
    unsafe { (*file).private_data = dev.cast() };
    // SAFETY: `dev` is registered for as long as this module is loaded,
    // and the open file holds a reference to this module (`fops.owner`).
    // Its `open` is the abstraction's, which is always set.
    match unsafe { (*(*dev).fops).open } {
        // SAFETY: Called as the VFS called this function, for the same
        // file being opened.
        Some(device_open) => unsafe { device_open(inode, file) },
        None => -(bindings::ENODEV as c_int),
    }
}
