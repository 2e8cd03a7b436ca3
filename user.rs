// SPDX-License-Identifier: GPL-2.0

//! User-memory helpers that `kernel::uaccess` does not have (yet).

use core::mem::{size_of, MaybeUninit};
use kernel::{
    bindings,
    page::PAGE_SIZE,
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

/// Reads an array of `count` `T`s at `addr`, a page at a time, so that an
/// unreadable element is `EFAULT` before a count too large to hold is
/// `ENOMEM` (the order of the C driver's `gather_array`), and a count too
/// large is `ENOMEM` without the allocator's warning.
pub(crate) fn read_array<T: FromBytes>(addr: u64, count: usize) -> Result<KVVec<T>> {
    let addr = usize::try_from(addr).map_err(|_| EFAULT)?;
    let len = count.checked_mul(size_of::<T>()).ok_or(EFAULT)?;
    let mut reader = UserSlice::new(UserPtr::from_addr(addr), len).reader();
    let mut array = KVVec::new();
    let per_page = (PAGE_SIZE / size_of::<T>()).max(1);
    while array.len() < count {
        let n = (count - array.len()).min(per_page);
        array.reserve(n, GFP_KERNEL | __GFP_NOWARN)?;
        let spare = &mut array.spare_capacity_mut()[..n];
        // SAFETY: `MaybeUninit<T>` has the size and alignment of `T`, so the
        // `n` spare elements are `n * size_of::<T>()` bytes of the array's
        // buffer, which nothing else refers to while `spare` is borrowed.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                spare.as_mut_ptr().cast::<MaybeUninit<u8>>(),
                n * size_of::<T>(),
            )
        };
        reader.read_raw(bytes)?;
        // SAFETY: `read_raw` initialised the `n` elements after the current
        // length, within the capacity `reserve` made; any bytes are a valid
        // `T` (`FromBytes`).
        unsafe { array.inc_len(n) };
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
