// SPDX-License-Identifier: GPL-2.0

//! User-memory helpers that `kernel::uaccess` does not have (yet).

use core::mem::size_of;
use kernel::{
    bindings,
    prelude::*,
    transmute::FromBytes,
    uaccess::{UserPtr, UserSlice},
};

/// Whether `len` bytes at `addr` lie in user space: `access_ok()`.
pub(crate) fn access_ok(addr: u64, len: u64) -> bool {
    // SAFETY: `USER_PTR_MAX` is set once in early boot and only read after.
    let max = unsafe { bindings::USER_PTR_MAX } as u64;
    addr.checked_add(len).is_some_and(|end| end <= max)
}

/// Reads an array of `count` `T`s at `addr`, element by element, so that
/// an unreadable element is `EFAULT` before a count too large to hold is
/// `ENOMEM` (the order of the C driver's `gather_array`).
pub(crate) fn read_array<T: FromBytes>(addr: u64, count: usize) -> Result<KVVec<T>> {
    let addr = usize::try_from(addr).map_err(|_| EFAULT)?;
    let len = count.checked_mul(size_of::<T>()).ok_or(EFAULT)?;
    let mut reader = UserSlice::new(UserPtr::from_addr(addr), len).reader();
    let mut array = KVVec::new();
    for _ in 0..count {
        array.push(reader.read::<T>()?, GFP_KERNEL)?;
    }
    Ok(array)
}

/// Writes zeros over `len` bytes at `addr`: `clear_user()`.
pub(crate) fn clear(addr: u64, len: usize) -> Result {
    const ZEROS: [u8; 256] = [0; 256];
    let addr = usize::try_from(addr).map_err(|_| EFAULT)?;
    let mut writer = UserSlice::new(UserPtr::from_addr(addr), len).writer();
    let mut left = len;
    while left > 0 {
        let n = left.min(ZEROS.len());
        writer.write_slice(&ZEROS[..n])?;
        left -= n;
    }
    Ok(())
}
