// SPDX-License-Identifier: GPL-2.0

//! Typed guest handles: the stub's answer to `XEN_GUEST_HANDLE(T)`.
//!
//! A hypercall argument that points into guest memory is a guest address
//! and nothing more: the hypervisor may not dereference it.  Xen wraps such
//! an address in `XEN_GUEST_HANDLE(T)`, a struct holding a `T *`, so the
//! compiler tracks the pointee type; `guest_handle_cast` re-types a handle
//! without touching memory; `copy_from_guest` and `copy_to_guest` move
//! whole `T`s across, failing with `-EFAULT` on a bad address.
//!
//! [`GuestHandle<T>`] is the same idea in Rust.  The stub's guest is the
//! process that issued the hypercall, so guest memory is that process's
//! user address space: every copy goes through the kernel's user-copy
//! routines, and an address outside it (NULL, unmapped, or a kernel
//! address) gives `EFAULT` rather than a fault in the kernel.

use core::marker::PhantomData;
use kernel::{
    prelude::*,
    transmute::{AsBytes, FromBytes},
    uaccess::{UserPtr, UserSlice},
};

/// A guest address of one or more `T`s.
pub(crate) struct GuestHandle<T> {
    addr: u64,
    _type: PhantomData<*mut T>,
}

impl<T> Clone for GuestHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for GuestHandle<T> {}

/// The last component of a type's path, for traces.
fn short_type_name<T>() -> &'static str {
    let name = core::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}

impl<T> GuestHandle<T> {
    /// A handle from a hypercall argument register (`XEN_GUEST_HANDLE_PARAM`).
    pub(crate) fn from_reg(addr: u64) -> Self {
        Self {
            addr,
            _type: PhantomData,
        }
    }

    /// `guest_handle_is_null`.
    pub(crate) fn is_null(&self) -> bool {
        self.addr == 0
    }

    /// `guest_handle_cast`: the same address, seen as pointing to `U`s.
    pub(crate) fn cast<U>(self) -> GuestHandle<U> {
        GuestHandle::from_reg(self.addr)
    }

    /// `guest_handle_add_offset`: `n` elements further on (wrapping, as
    /// pointer arithmetic on a guest address does; copies then check it).
    pub(crate) fn add_offset(self, n: u64) -> Self {
        let size = core::mem::size_of::<T>() as u64;
        Self::from_reg(self.addr.wrapping_add(n.wrapping_mul(size)))
    }

    /// `guest_handle_subrange_okay`: elements `first..=last` lie in guest
    /// memory (an access check of the range, no copy).
    pub(crate) fn subrange_okay(&self, first: u64, last: u64) -> bool {
        let size = core::mem::size_of::<T>() as u64;
        let count = last.wrapping_sub(first).wrapping_add(1);
        let Some(len) = count.checked_mul(size) else {
            return false;
        };
        let start = self.addr.wrapping_add(first.wrapping_mul(size));
        start
            .checked_add(len)
            .is_some_and(|end| end <= user_space_end())
    }

    /// Reader over `len` bytes at byte offset `offset`.
    fn slice(&self, offset: u64, len: usize) -> UserSlice {
        let addr = self.addr.wrapping_add(offset) as usize;
        UserSlice::new(UserPtr::from_addr(addr), len)
    }

    /// Records one access in the trace.
    fn trace(&self, what: &str, index: u64, len: usize, ok: bool) {
        if crate::tracing() {
            pr_info!(
                "  {}({} @ guest {:#x}, element {}, {} bytes): {}\n",
                what,
                short_type_name::<T>(),
                self.addr,
                index,
                len,
                if ok { "ok" } else { "-EFAULT" }
            );
        }
    }
}

impl<T: FromBytes> GuestHandle<T> {
    /// `copy_from_guest(&x, handle, 1)`.
    pub(crate) fn copy_from(&self) -> Result<T> {
        self.copy_from_offset(0)
    }

    /// `copy_from_guest_offset(&x, handle, index, 1)`.
    pub(crate) fn copy_from_offset(&self, index: u64) -> Result<T> {
        let len = core::mem::size_of::<T>();
        let offset = index.wrapping_mul(len as u64);
        let value = self.slice(offset, len).reader().read::<T>();
        self.trace("copy_from_guest", index, len, value.is_ok());
        value.map_err(|_| EFAULT)
    }
}

impl<T: AsBytes> GuestHandle<T> {
    /// `copy_to_guest(handle, &x, 1)`.
    pub(crate) fn copy_to(&self, value: &T) -> Result {
        self.copy_to_offset(0, value)
    }

    /// `copy_to_guest_offset(handle, index, &x, 1)`.
    pub(crate) fn copy_to_offset(&self, index: u64, value: &T) -> Result {
        let len = core::mem::size_of::<T>();
        let offset = index.wrapping_mul(len as u64);
        let done = self.slice(offset, len).writer().write(value);
        self.trace("copy_to_guest", index, len, done.is_ok());
        done.map_err(|_| EFAULT)
    }
}

impl<T> GuestHandle<T> {
    /// `__copy_field_to_guest(handle, &x, field)`: writes back one field of
    /// the `T` at the handle, found at byte `offset` (from `offset_of!`).
    pub(crate) fn copy_field_to<F: AsBytes>(&self, offset: usize, value: &F) -> Result {
        let len = core::mem::size_of::<F>();
        let done = self.slice(offset as u64, len).writer().write(value);
        if crate::tracing() {
            pr_info!(
                "  copy_field_to_guest({} @ guest {:#x}, +{}, {} bytes): {}\n",
                short_type_name::<T>(),
                self.addr,
                offset,
                len,
                if done.is_ok() { "ok" } else { "-EFAULT" }
            );
        }
        done.map_err(|_| EFAULT)
    }
}

/// End of the user address space: guest memory ends there.
fn user_space_end() -> u64 {
    // `TASK_SIZE_MAX` on x86_64 with 4-level paging; with 5-level paging
    // the space is larger, and this check is only the stricter.
    (1u64 << 47) - kernel::page::PAGE_SIZE as u64
}
