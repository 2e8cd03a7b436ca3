// SPDX-License-Identifier: GPL-2.0

//! `__HYPERVISOR_console_io`: the guest writes to the hypervisor's console,
//! which for the stub is the kernel log.

use crate::{abi::CONSOLEIO_WRITE, guest_handle::GuestHandle};
use kernel::prelude::*;

/// Bytes copied from the guest at a time, as Xen's `guest_console_write`.
const CHUNK: usize = 127;

/// `do_console_io(unsigned int cmd, unsigned int count, XEN_GUEST_HANDLE_PARAM(char) buffer)`.
pub(crate) fn do_console_io(cmd: u32, count: u32, buffer: GuestHandle<u8>) -> Result<i64> {
    if cmd != CONSOLEIO_WRITE {
        return Err(ENOSYS);
    }
    let mut left = count as usize;
    let mut chunk_handle = buffer.cast::<[u8; CHUNK]>();
    let mut byte_handle = buffer;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut chunk = [0u8; CHUNK];
        if n == CHUNK {
            chunk = chunk_handle.copy_from()?;
        } else {
            for (i, b) in chunk[..n].iter_mut().enumerate() {
                *b = byte_handle.copy_from_offset(i as u64)?;
            }
        }
        for line in chunk[..n].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            pr_info!("(d0) {}\n", kernel::str::BStr::from_bytes(line));
        }
        chunk_handle = chunk_handle.add_offset(1);
        byte_handle = byte_handle.add_offset(n as u64);
        left -= n;
        crate::cond_resched();
    }
    Ok(0)
}
