// SPDX-License-Identifier: GPL-2.0

//! Eventfds, as the irqfd and ioeventfd ioctls name them: the kernel has no
//! Rust abstraction for them yet, and [`EventfdCtx`] is the smallest one
//! these need, where an upstream one could replace it.

use core::{ffi::c_int, ptr::NonNull};
use kernel::{bindings, error::from_err_ptr, fs::LocalFile, prelude::*};

/// A reference to an eventfd's context, put when dropped.
pub(crate) struct EventfdCtx(NonNull<bindings::eventfd_ctx>);

// SAFETY: An eventfd context is reference-counted and its operations lock
// internally; the reference may be used and put from any thread.
unsafe impl Send for EventfdCtx {}
// SAFETY: As above: shared use from several threads is what it is for.
unsafe impl Sync for EventfdCtx {}

impl EventfdCtx {
    /// The context of the eventfd open as `fd`: `EBADF` for no file,
    /// `EINVAL` for a file that is no eventfd.
    pub(crate) fn from_fd(fd: u32) -> Result<Self> {
        // SAFETY: `eventfd_ctx_fdget` takes any number and returns a
        // referenced context or an error pointer.  The descriptor is an
        // `int` to it, as to the C driver, which passes the `__u32` on.
        let ctx = from_err_ptr(unsafe { bindings::eventfd_ctx_fdget(fd as c_int) })?;
        Ok(Self(NonNull::new(ctx).ok_or(EINVAL)?))
    }

    /// The context of the eventfd `file`, or `EINVAL`.
    pub(crate) fn from_file(file: &LocalFile) -> Result<Self> {
        // SAFETY: `file` is a valid, referenced file for the call.
        let ctx = from_err_ptr(unsafe { bindings::eventfd_ctx_fileget(file.as_ptr()) })?;
        Ok(Self(NonNull::new(ctx).ok_or(EINVAL)?))
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::eventfd_ctx {
        self.0.as_ptr()
    }

    /// Adds one to the count and wakes the eventfd's waiters.
    pub(crate) fn signal(&self) {
        // SAFETY: `self` holds a reference to the context.
        unsafe { bindings::eventfd_signal_mask(self.as_ptr(), 0) };
    }
}

impl Drop for EventfdCtx {
    fn drop(&mut self) {
        // SAFETY: `self` holds one reference to the context.
        unsafe { bindings::eventfd_ctx_put(self.as_ptr()) };
    }
}
