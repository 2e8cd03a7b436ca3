// SPDX-License-Identifier: GPL-2.0

//! `__HYPERVISOR_console_io`: the guest writes to the hypervisor's console,
//! which for the stub is the kernel log.
//!
//! Xen 4.17's `guest_console_write` copies the guest's buffer 127 bytes at
//! a time and, between two chunks, preempts the hypercall when work is
//! pending (a continuation with the count and the buffer moved on).  It
//! puts no bound on `count` (32 bits: up to 4 GiB - 1): the hardware
//! domain's output goes to the serial line and into a console ring of
//! 16 KiB by default, of which only the newest 16 KiB survive.
//!
//! The stub copies in the same chunks and stops at the same points, but
//! its console is the kernel log, shared with everything else and printed
//! on the kernel's console: so one write puts at most [`LOG_BUDGET`] bytes
//! (the size of Xen's ring) into the log, then one line that says how many
//! bytes were left out.  The rest is still copied, chunk by chunk, so a bad
//! address anywhere in the buffer is `-EFAULT` as in Xen.
//!
//! At a preemption point the stub, which holds no lock, yields the CPU; a
//! signal ends the write there with `-EINTR`.  Unlike an exchange, a write
//! keeps no progress in guest memory from which a restarted call could
//! resume, so the call is not restarted: what was written stays written.
//! Xen, and Linux's C driver under it, would finish the write instead.

use crate::{abi::CONSOLEIO_WRITE, guest_handle::GuestHandle, Preemption};
use kernel::prelude::*;

/// Bytes copied from the guest at a time, as Xen's `guest_console_write`.
const CHUNK: usize = 127;

/// Bytes of one write that reach the kernel log: the size of Xen's
/// default console ring.
pub(crate) const LOG_BUDGET: usize = 16 * 1024;

/// `do_console_io(unsigned int cmd, unsigned int count, XEN_GUEST_HANDLE_PARAM(char) buffer)`.
pub(crate) fn do_console_io(cmd: u32, count: u32, buffer: GuestHandle<u8>) -> Result<i64> {
    if cmd != CONSOLEIO_WRITE {
        return Err(ENOSYS);
    }
    let count = count as usize;
    let mut done = 0;
    let mut logged = 0;
    let mut preemption = Preemption::start();
    let result = loop {
        if done == count {
            break Ok(0);
        }
        if done != 0 && preemption.check() {
            if crate::signal_pending() {
                break Err(EINTR);
            }
            crate::cond_resched();
            preemption = Preemption::start();
        }
        let n = (count - done).min(CHUNK);
        let chunk = match read_chunk(buffer.add_offset(done as u64), n) {
            Ok(chunk) => chunk,
            Err(e) => break Err(e),
        };
        if logged + n <= LOG_BUDGET {
            for line in chunk[..n].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                pr_info!("(d0) {}\n", kernel::str::BStr::from_bytes(line));
            }
            logged += n;
        }
        done += n;
    };
    if done > logged {
        pr_info!(
            "(d0) [xen_stub: {} of {} bytes not logged]\n",
            done - logged,
            done
        );
    }
    result
}

/// Copies the `n` (at most [`CHUNK`]) bytes at `at` from the guest.
fn read_chunk(at: GuestHandle<u8>, n: usize) -> Result<[u8; CHUNK]> {
    if n == CHUNK {
        return at.cast::<[u8; CHUNK]>().copy_from();
    }
    let mut chunk = [0u8; CHUNK];
    for (i, b) in chunk[..n].iter_mut().enumerate() {
        *b = at.copy_from_offset(i as u64)?;
    }
    Ok(chunk)
}
