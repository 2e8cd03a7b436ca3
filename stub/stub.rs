// SPDX-License-Identifier: GPL-2.0

//! A minimal hypervisor stub, so that the privcmd hypercall path runs with
//! no Xen at all.
//!
//! Loaded on a kernel that runs on no hypervisor, the stub plays Xen's part
//! of the path:
//!
//! 1. Discovery: it answers Xen's CPUID leaves and hypercall MSR through two
//!    exported functions, [`xen_stub_cpuid`] and [`xen_stub_wrmsr`], which
//!    the driver finds with `symbol_get` and uses exactly as it uses the
//!    `cpuid` and `wrmsr` instructions under Xen.
//! 2. The hypercall page: on the MSR write it fills the named frame with
//!    entries shaped like those of Xen's HVM page (`mov $op, %eax`, a
//!    transfer into the hypervisor, `ret`; `ud2` at `__HYPERVISOR_iret`).
//!    Where Xen has `vmcall`, the stub's entry calls `xen_stub_entry`.
//! 3. Entry: `xen_stub_entry` (`asm/stub_entry.S`) saves every register of
//!    the caller in a frame, as Xen's VM-exit path does, and hands the frame
//!    to [`xen_stub_do_hypercall`], which, like Xen's `hvm_do_hypercall`,
//!    indexes a hypercall table by `rax` and calls the handler with
//!    `rdi, rsi, rdx, r10, r8` as its arguments.  The result goes back in
//!    `rax`; the argument registers come back poisoned, as a debug build of
//!    Xen leaves them.
//! 4. Handlers: `xen_version`, `memory_op` (with `XENMEM_exchange`) and
//!    `console_io`, following Xen 4.17's public headers and semantics.
//!    Guest memory is reached only through typed guest handles
//!    ([`guest_handle::GuestHandle`]).
//! 5. Preemption: a hypercall of unbounded length (an exchange of 2^40
//!    extents, a console write of 4 GiB) stops where Xen's would check
//!    `hypercall_preempt_check()`: at least one unit of work per call,
//!    then whenever a timer tick has passed or a signal waits
//!    ([`Preemption`]).  There Xen creates a continuation; the stub's
//!    exchange returns `ERESTART` to the dispatcher, which lets the CPU go
//!    and calls it again, its domain lock let go in between, so other
//!    callers are served meanwhile.  A signal ends the hypercall instead,
//!    which Xen (whose continuations a guest's signals never see) does
//!    not do: so that a caller can always be interrupted and killed.  An
//!    exchange then answers `-ERESTARTSYS` with `nr_exchanged` written
//!    back, so the kernel restarts the ioctl after the signal (a handler
//!    without `SA_RESTART` sees `EINTR`) and the restarted exchange
//!    resumes where it stopped; a console write, which has no such record,
//!    answers `-EINTR`.  This relies on the driver's one way into the
//!    stub that can reach these handlers, `IOCTL_PRIVCMD_HYPERCALL`,
//!    returning the hypercall's value as the ioctl's.

use kernel::{
    bindings,
    ffi::{c_int, c_uint, c_void},
    page::PAGE_SIZE,
    prelude::*,
};

mod abi;
mod console;
mod guest_handle;
mod memory;
mod version;

use abi::*;
use guest_handle::GuestHandle;

module! {
    type: XenStub,
    name: "xen_stub",
    authors: ["The rust-privcmd authors"],
    description: "Minimal Xen hypervisor stub for testing privcmd without Xen",
    license: "GPL",
    params: {
        trace: bool {
            default: false,
            description: "Log each hypercall's registers, handler and guest accesses",
        },
    },
}

/// Reported as the compile date by `XENVER_compile_info`.
const BUILD_DATE: &str = "see modinfo";

/// Whether hypercalls are traced to the kernel log.
fn tracing() -> bool {
    module_parameters::trace.value()
}

/// Whether a signal waits for the calling task.
pub(crate) fn signal_pending() -> bool {
    kernel::current!().signal_pending()
}

/// The stub's `hypercall_preempt_check()`.
///
/// Xen preempts a long hypercall when work is pending on its CPU: a
/// softirq (its timer's, at the latest on the next tick) or an event for
/// the calling vCPU.  The stub's counterparts are a timer tick (a new
/// `jiffies` value since the hypercall was entered or resumed) and a
/// signal for the calling task.
pub(crate) struct Preemption {
    start: kernel::ffi::c_ulong,
}

impl Preemption {
    /// Starts a time slice at the current tick.
    pub(crate) fn start() -> Self {
        Self { start: jiffies() }
    }

    /// Whether the hypercall should stop here and be continued later.
    pub(crate) fn check(&self) -> bool {
        jiffies() != self.start || signal_pending()
    }
}

/// The kernel's tick counter.
fn jiffies() -> kernel::ffi::c_ulong {
    // SAFETY: `jiffies` is a kernel global that the timer code updates
    // with single word-sized stores; a volatile word-sized read of it is
    // what C's `READ_ONCE(jiffies)` does.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) }
}

/// Lets a long hypercall yield the CPU on a kernel without preemption.
pub(crate) fn cond_resched() {
    #[cfg(not(CONFIG_PREEMPTION))]
    {
        extern "C" {
            fn __cond_resched() -> c_int;
        }
        // SAFETY: Called in process context (a hypercall made from an
        // ioctl), with no spinlock held.
        unsafe { __cond_resched() };
    }
}

/// The module: owns the stub's domain for as long as it is loaded.
struct XenStub;

impl kernel::Module for XenStub {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called exactly once, before any hypercall can arrive (the
        // driver can only find the stub once init has returned).
        unsafe { memory::DOMAIN.init() };
        *memory::DOMAIN.lock() = Some(memory::Domain::new()?);
        pr_info!(
            "Xen {}.{} stub: dom0 with {} pages, {} machine frames\n",
            VERSION_MAJOR,
            VERSION_MINOR,
            memory::INITIAL_PAGES,
            memory::MACHINE_FRAMES
        );
        Ok(XenStub)
    }
}

impl Drop for XenStub {
    fn drop(&mut self) {
        *memory::DOMAIN.lock() = None;
    }
}

/// Answers the hypervisor CPUID leaves as Xen does (without Viridian):
/// signature and highest leaf at 0x40000000, version at 0x40000001, the
/// hypercall page count and MSR at 0x40000002.  Other leaves read as zero.
///
/// # Safety
///
/// `regs` must point to four writable `u32`.
#[no_mangle]
pub unsafe extern "C" fn xen_stub_cpuid(leaf: u32, _subleaf: u32, regs: *mut [u32; 4]) {
    let [b, c, d] = CPUID_SIGNATURE;
    let value = match leaf.wrapping_sub(CPUID_BASE) {
        0 => [CPUID_BASE + 2, b, c, d],
        1 => [(VERSION_MAJOR << 16) | VERSION_MINOR, 0, 0, 0],
        2 => [1, HYPERCALL_MSR, 0, 0],
        _ => [0; 4],
    };
    // SAFETY: The caller guarantees `regs` points to four writable `u32`.
    unsafe { regs.write(value) };
}

/// Writes an MSR of the stub: only the hypercall MSR exists; anything else,
/// a page index other than 0, or a frame that is not RAM is a #GP (`-EIO`).
///
/// The value is the page's guest-physical address: frame in bits 12 and
/// up, page index in bits 0-11.
#[no_mangle]
pub extern "C" fn xen_stub_wrmsr(msr: u32, value: u64) -> c_int {
    if msr != HYPERCALL_MSR || value & (PAGE_SIZE as u64 - 1) != 0 {
        return EIO.to_errno();
    }
    match fill_hypercall_page(value >> kernel::page::PAGE_SHIFT) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

extern "C" {
    /// The stub's entry routine (`asm/stub_entry.S`).
    fn xen_stub_entry();
    /// Maps `count` pages at a new kernel address, writable (PAGE_KERNEL).
    fn vm_map_ram(pages: *mut *mut c_void, count: c_uint, node: c_int) -> *mut c_void;
    /// Undoes `vm_map_ram`.
    fn vm_unmap_ram(mem: *const c_void, count: c_uint);
}

/// Byte layout of one entry of the stub's hypercall page.
///
/// ```text
///  0: b8 <op:4>            mov  $op, %eax
///  5: ff 15 02 00 00 00    call *2(%rip)      -> the address at offset 13
/// 11: c3                   ret
/// 12: cc                   int3
/// 13: <xen_stub_entry:8>   transfer target
/// 21: cc ...               int3 up to 32 bytes
/// ```
fn entry_bytes(op: usize) -> [u8; 32] {
    let mut e = [0xccu8; 32];
    if op == HYPERVISOR_IRET {
        e[0..2].copy_from_slice(&[0x0f, 0x0b]); // ud2
        return e;
    }
    e[0] = 0xb8;
    e[1..5].copy_from_slice(&(op as u32).to_le_bytes());
    e[5..11].copy_from_slice(&[0xff, 0x15, 0x02, 0x00, 0x00, 0x00]);
    e[11] = 0xc3;
    e[13..21].copy_from_slice(&(xen_stub_entry as *const () as u64).to_le_bytes());
    e
}

/// Serialises this CPU's instruction stream after the page was written.
extern "C" fn serialize(_info: *mut c_void) {
    // `cpuid` is serialising and only writes its output registers.
    core::arch::x86_64::__cpuid(0);
}

/// Fills guest frame `gfn` with hypercall entries, as Xen does when a
/// guest writes the hypercall MSR.  The frame is written through a fresh
/// writable mapping of its own, never through the guest's mapping of it.
fn fill_hypercall_page(gfn: u64) -> Result {
    let pfn = usize::try_from(gfn).map_err(|_| EIO)?;
    let pfn_arg = pfn as kernel::ffi::c_ulong;
    // SAFETY: `page_is_ram` only looks the frame up in the resource tree.
    if unsafe { bindings::page_is_ram(pfn_arg) } == 0 {
        return Err(EIO);
    }
    // SAFETY: `pfn` is a RAM frame, so its `struct page` exists in the
    // vmemmap array at that index.
    let page = unsafe { (bindings::vmemmap_base as *mut bindings::page).add(pfn) };
    let mut page = page.cast::<c_void>();
    // SAFETY: `page` is a valid page; `vm_map_ram` maps it writable
    // (PAGE_KERNEL) at a new kernel address, or returns NULL.
    let va = unsafe { vm_map_ram(&mut page, 1, bindings::NUMA_NO_NODE) };
    if va.is_null() {
        return Err(ENOMEM);
    }
    let entries = va.cast::<[u8; 32]>();
    for op in 0..PAGE_SIZE / 32 {
        // SAFETY: `va` maps one whole, writable page: 128 entries of 32 bytes.
        unsafe { entries.add(op).write(entry_bytes(op)) };
    }
    // SAFETY: `va` was returned by `vm_map_ram` for one page.
    unsafe { vm_unmap_ram(va, 1) };
    // SAFETY: `serialize` is a valid callback that ignores its argument;
    // `wait` makes the call return after every online CPU has run it.
    unsafe {
        bindings::on_each_cpu_cond_mask(
            None,
            Some(serialize),
            core::ptr::null_mut(),
            true,
            &raw const bindings::__cpu_online_mask,
        )
    };
    if tracing() {
        pr_info!(
            "[0 stub] hypercall MSR {:#x} <- {:#x}: filled frame {:#x}: 128 entries \"mov $op,%eax; call *xen_stub_entry; ret\", ud2 at {}\n",
            HYPERCALL_MSR,
            gfn << kernel::page::PAGE_SHIFT,
            gfn,
            HYPERVISOR_IRET
        );
    }
    Ok(())
}

/// The registers of the caller, as `xen_stub_entry` saves them: the
/// stub's `struct cpu_user_regs`.
#[repr(C)]
pub struct CpuUserRegs {
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    rbp: u64,
    rbx: u64,
    r11: u64,
    r10: u64,
    r9: u64,
    r8: u64,
    rax: u64,
    rcx: u64,
    rdx: u64,
    rsi: u64,
    rdi: u64,
    rflags: u64,
}

/// A hypercall handler: the five argument registers in, `rax` out.
///
/// `Err(ERESTART)` is the handler's continuation (Xen's
/// `hypercall_create_continuation`): the dispatcher lets the CPU go and
/// calls the handler again with the same registers, as the vCPU
/// re-executes the hypercall instruction under Xen.  A handler that
/// continues has kept its progress in guest memory (as `XENMEM_exchange`
/// keeps it in `nr_exchanged`), so the next call resumes from there.
type Handler = fn([u64; 5]) -> Result<i64>;

/// One slot of the hypercall table.
struct Hypercall {
    name: &'static str,
    handler: Handler,
}

/// The hypercall table, indexed by hypercall number.  Each slot adapts the
/// registers to the handler's C prototype in Xen, truncating where Xen's
/// parameter is narrower than a register.
static HYPERCALL_TABLE: [Option<Hypercall>; NR_HYPERCALLS] = {
    let mut table = [const { None }; NR_HYPERCALLS];
    table[HYPERVISOR_MEMORY_OP] = Some(Hypercall {
        name: "do_memory_op(unsigned long cmd, XEN_GUEST_HANDLE_PARAM(void) arg)",
        handler: |a| memory::do_memory_op(a[0], GuestHandle::from_reg(a[1])),
    });
    table[HYPERVISOR_XEN_VERSION] = Some(Hypercall {
        name: "do_xen_version(int cmd, XEN_GUEST_HANDLE_PARAM(void) arg)",
        handler: |a| version::do_xen_version(a[0] as i32, GuestHandle::from_reg(a[1])),
    });
    table[HYPERVISOR_CONSOLE_IO] = Some(Hypercall {
        name: "do_console_io(unsigned int cmd, unsigned int count, XEN_GUEST_HANDLE_PARAM(char) buffer)",
        handler: |a| console::do_console_io(a[0] as u32, a[1] as u32, GuestHandle::from_reg(a[2])),
    });
    table
};

/// What a debug build of Xen leaves in the argument registers.
const POISON: u64 = 0xdead_beef_dead_f00d;

/// Dispatches one hypercall from the registers saved by `xen_stub_entry`.
///
/// # Safety
///
/// `regs` must point to the register frame built by `xen_stub_entry`.
#[no_mangle]
pub unsafe extern "C" fn xen_stub_do_hypercall(regs: *mut CpuUserRegs) {
    // SAFETY: The caller passes its own, exclusively owned stack frame.
    let regs = unsafe { &mut *regs };
    let op = regs.rax;
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8];
    if tracing() {
        pr_info!(
            "[4 stub] entry saved registers: rax={} rdi={:#x} rsi={:#x} rdx={:#x} r10={:#x} r8={:#x}\n",
            op,
            args[0],
            args[1],
            args[2],
            args[3],
            args[4]
        );
    }
    let slot = usize::try_from(op)
        .ok()
        .and_then(|op| HYPERCALL_TABLE.get(op))
        .and_then(Option::as_ref);
    let ret = match slot {
        Some(call) => {
            if tracing() {
                pr_info!("[5 stub] hypercall_table[{}] = {}\n", op, call.name);
            }
            let result = loop {
                match (call.handler)(args) {
                    Err(e) if e == ERESTART => {
                        if tracing() {
                            pr_info!("[5 stub] continuation: hypercall {} again\n", op);
                        }
                        cond_resched();
                    }
                    result => break result,
                }
            };
            result.unwrap_or_else(|e| i64::from(e.to_errno()))
        }
        None => i64::from(ENOSYS.to_errno()),
    };
    if tracing() {
        pr_info!("[6 stub] return to the page entry with rax={}\n", ret);
    }
    regs.rax = ret as u64;
    regs.rdi = POISON;
    regs.rsi = POISON;
    regs.rdx = POISON;
    regs.r10 = POISON;
    regs.r8 = POISON;
}
