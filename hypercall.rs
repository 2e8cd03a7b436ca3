// SPDX-License-Identifier: GPL-2.0

//! The hypercall page and the one instruction sequence that calls into it.
//!
//! The driver owns a page-aligned page of executable memory,
//! `privcmd_hypercall_page` in `asm/hypercall_page.S`.  A hypervisor fills
//! it with one 32-byte entry per hypercall: each entry loads the hypercall
//! number into `eax`, transfers into the hypervisor and returns.  A
//! hypercall is then `call hypercall_page + op * 32` with the arguments in
//! the registers of the Xen ABI (x86_64: `rdi, rsi, rdx, r10, r8`; result
//! in `rax`).
//!
//! Who fills the page is decided once, at module load, by the protocol Xen
//! defines: find the hypervisor's CPUID leaves by their "XenVMMXenVMM"
//! signature, read the hypercall MSR index from leaf `base + 2`, and write
//! the page's address to that MSR.  Two hypervisors can answer:
//!
//! * Xen, through the real `cpuid` and `wrmsr` instructions (PV guests
//!   use Xen's forced-emulation prefix for `cpuid` and give the page's
//!   machine address; HVM and PVH guests give its guest-physical address);
//! * the in-tree hypervisor stub (`xen_stub.ko`), whose CPUID leaves and
//!   MSR are two functions it exports, found with `symbol_get`.
//!
//! After that the driver calls both the same way: nothing between the
//! ioctl and the `call` knows who filled the page.
//!
//! The call is made through a table of trampolines (also in `asm/`), one
//! per entry, each an `endbr64` followed by a direct `jmp` to its page
//! entry.  The indirect branch thus always lands on an `endbr64`, which
//! keeps it valid under IBT whether or not the hypervisor wrote one into
//! the page.  The branch itself is made by `privcmd_hypercall_call` in
//! `asm/hypercall_page.S`, with the kernel's own macros: `CALL_NOSPEC`
//! (the retpoline thunk when retpolines are on) and `stac`/`clac`
//! alternatives that are patched in only on CPUs with SMAP.

use core::{arch::asm, ptr::addr_of};
use kernel::{
    bindings,
    error::to_result,
    ffi::{c_int, c_void},
    page::PAGE_SIZE,
    prelude::*,
};

/// Size of one hypercall page entry, fixed by Xen's ABI.
pub(crate) const ENTRY_SIZE: usize = 32;

/// Number of entries in the page, and so the bound on hypercall numbers.
pub(crate) const NR_ENTRIES: usize = PAGE_SIZE / ENTRY_SIZE;

/// `__HYPERVISOR_iret`: its entry is `ud2` in an HVM page and the exception
/// return path in a PV page; it never returns to a caller, so it has no
/// place behind an ioctl.  Xen answers it to HVM guests with `-ENOSYS`.
const HYPERVISOR_IRET: usize = 23;

/// Distance between two trampolines in `asm/hypercall_page.S`.
const TRAMPOLINE_SIZE: usize = 16;

/// CPUID signature of Xen (and of the stub): "XenVMMXenVMM" in ebx, ecx, edx.
const XEN_SIGNATURE: [u32; 3] = [0x566e_6558, 0x65584d4d, 0x4d4d566e];

/// First CPUID leaf searched for a hypervisor.
const HYPERVISOR_LEAF_FIRST: u32 = 0x4000_0000;

/// Hypervisor leaves come in blocks of 0x100; Linux searches the first 0x100 blocks.
const HYPERVISOR_LEAF_STEP: u32 = 0x100;

/// Last CPUID leaf searched for a hypervisor.
const HYPERVISOR_LEAF_LAST: u32 = 0x4001_0000;

extern "C" {
    /// The page itself (`asm/hypercall_page.S`).
    static privcmd_hypercall_page: [u8; PAGE_SIZE];
    /// The trampolines to the page's entries (`asm/hypercall_page.S`).
    static privcmd_hypercall_trampolines: [u8; NR_ENTRIES * TRAMPOLINE_SIZE];
    /// Calls the trampoline in rax with SMAP lifted (`asm/hypercall_page.S`).
    fn privcmd_hypercall_call();
}

#[cfg(CONFIG_XEN_PV)]
extern "C" {
    /// Machine address of any kernel virtual address of a PV guest.
    fn arbitrary_virt_to_machine(vaddr: *mut c_void) -> u64;
}

#[cfg(all(CONFIG_XEN_PV, not(CONFIG_PREEMPTION)))]
extern "C" {
    /// Per-CPU flag that lets Xen PV preempt a long hypercall (see
    /// `xen_preemptible_hcall_begin` in `include/xen/xen-ops.h`).
    static xen_in_preemptible_hcall: u8;
}

/// The exported name of the stub's CPUID function.
const STUB_CPUID: &CStr = c"xen_stub_cpuid";
/// The exported name of the stub's MSR-write function.
const STUB_WRMSR: &CStr = c"xen_stub_wrmsr";

/// `void xen_stub_cpuid(u32 leaf, u32 subleaf, u32 regs[4])`.
type StubCpuid = unsafe extern "C" fn(u32, u32, *mut [u32; 4]);
/// `int xen_stub_wrmsr(u32 msr, u64 value)`: 0 or `-EIO` (a #GP on hardware).
type StubWrmsr = unsafe extern "C" fn(u32, u64) -> c_int;

/// The hypervisor that filled the page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Hypervisor {
    /// Xen, as a PV guest.
    XenPv,
    /// Xen, as an HVM or PVH guest.
    XenHvm,
    /// The in-tree hypervisor stub.
    Stub,
}

/// The two instructions of the discovery protocol, as one hypervisor answers them.
trait Discovery {
    /// `cpuid` with `eax = leaf`, `ecx = subleaf`: `[eax, ebx, ecx, edx]`.
    fn cpuid(&self, leaf: u32, subleaf: u32) -> [u32; 4];
    /// `wrmsr`; `Err(EIO)` where the instruction would take a #GP.
    fn wrmsr(&self, msr: u32, value: u64) -> Result;
    /// Address of the page as this hypervisor wants it in the MSR.
    fn page_address(&self) -> u64;
}

/// Xen, reached through the real instructions.
#[cfg(CONFIG_XEN)]
struct Xen {
    pv: bool,
}

#[cfg(CONFIG_XEN)]
impl Discovery for Xen {
    fn cpuid(&self, leaf: u32, subleaf: u32) -> [u32; 4] {
        let (eax, ebx, ecx, edx): (u32, u32, u32, u32);
        if self.pv {
            // SAFETY: A PV guest runs `cpuid` behind Xen's forced-emulation
            // prefix (`ud2a; .ascii "xen"`), which Xen decodes and emulates:
            // the instruction only reads its inputs and writes the four
            // registers. `rbx` is reserved by LLVM, so it is swapped out
            // through a scratch register and restored.
            unsafe {
                asm!(
                    "mov {tmp:r}, rbx",
                    ".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e",
                    "cpuid",
                    "xchg {tmp:r}, rbx",
                    tmp = out(reg) ebx,
                    inout("eax") leaf => eax,
                    inout("ecx") subleaf => ecx,
                    out("edx") edx,
                    options(nostack, preserves_flags),
                );
            }
        } else {
            // `cpuid` exists on every x86_64 CPU and only writes its outputs.
            let r = core::arch::x86_64::__cpuid_count(leaf, subleaf);
            (eax, ebx, ecx, edx) = (r.eax, r.ebx, r.ecx, r.edx);
        }
        [eax, ebx, ecx, edx]
    }

    fn wrmsr(&self, msr: u32, value: u64) -> Result {
        // `wrmsr_safe_regs` takes eax, ecx, edx, ebx, esp, ebp, esi, edi.
        let mut regs = [value as u32, msr, (value >> 32) as u32, 0, 0, 0, 0, 0];
        // SAFETY: `regs` is a valid array of eight `u32` for the duration of
        // the call; the function catches the #GP of an MSR that does not exist.
        to_result(unsafe { bindings::wrmsr_safe_regs(regs.as_mut_ptr()) })
    }

    fn page_address(&self) -> u64 {
        #[cfg(CONFIG_XEN_PV)]
        if self.pv {
            // SAFETY: The page is a mapped kernel address (module text).
            return unsafe { arbitrary_virt_to_machine(page_ptr().cast_mut()) };
        }
        page_guest_physical()
    }
}

/// The stub's exported functions, held with a reference on its module.
struct Stub {
    cpuid: StubCpuid,
    wrmsr: StubWrmsr,
}

impl Stub {
    /// Finds the stub if it is loaded, taking a reference on its module.
    fn get() -> Option<Self> {
        // SAFETY: The name is a NUL-terminated string.
        let cpuid = unsafe { bindings::__symbol_get(STUB_CPUID.as_char_ptr()) };
        if cpuid.is_null() {
            return None;
        }
        // SAFETY: As above.
        let wrmsr = unsafe { bindings::__symbol_get(STUB_WRMSR.as_char_ptr()) };
        if wrmsr.is_null() {
            // SAFETY: Drops the reference taken just above.
            unsafe { bindings::__symbol_put(STUB_CPUID.as_char_ptr()) };
            return None;
        }
        // SAFETY: The stub exports these symbols as functions of exactly
        // these signatures (`stub/stub.rs`), and the references taken by
        // `__symbol_get` keep its module loaded until `drop`.
        Some(unsafe {
            Self {
                cpuid: core::mem::transmute::<*mut c_void, StubCpuid>(cpuid),
                wrmsr: core::mem::transmute::<*mut c_void, StubWrmsr>(wrmsr),
            }
        })
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        // SAFETY: Both references were taken in `Stub::get`.
        unsafe {
            bindings::__symbol_put(STUB_WRMSR.as_char_ptr());
            bindings::__symbol_put(STUB_CPUID.as_char_ptr());
        }
    }
}

impl Discovery for Stub {
    fn cpuid(&self, leaf: u32, subleaf: u32) -> [u32; 4] {
        let mut regs = [0u32; 4];
        // SAFETY: The function is valid while `self` holds its module, and
        // `regs` is a valid, writable array of four `u32`.
        unsafe { (self.cpuid)(leaf, subleaf, &mut regs) };
        regs
    }

    fn wrmsr(&self, msr: u32, value: u64) -> Result {
        // SAFETY: The function is valid while `self` holds its module.
        to_result(unsafe { (self.wrmsr)(msr, value) })
    }

    fn page_address(&self) -> u64 {
        page_guest_physical()
    }
}

/// Start of the hypercall page.
fn page_ptr() -> *const c_void {
    addr_of!(privcmd_hypercall_page).cast()
}

/// Guest-physical address of the hypercall page.
fn page_guest_physical() -> u64 {
    // SAFETY: The page is in module memory, which is vmalloc space, and
    // stays mapped while the module is loaded.
    let pfn = unsafe { bindings::vmalloc_to_pfn(page_ptr()) };
    (pfn as u64) << kernel::page::PAGE_SHIFT
}

/// Runs Xen's discovery protocol against `hv`: finds the signature leaf,
/// reads the MSR index and writes the page's address to it.
fn install(hv: &dyn Discovery) -> Result {
    let base = (HYPERVISOR_LEAF_FIRST..HYPERVISOR_LEAF_LAST)
        .step_by(HYPERVISOR_LEAF_STEP as usize)
        .find(|&leaf| {
            let r = hv.cpuid(leaf, 0);
            r[1..] == XEN_SIGNATURE && r[0] >= leaf + 2
        })
        .ok_or(ENODEV)?;
    // Leaf base+2: eax = number of hypercall pages, ebx = MSR index.
    let [pages, msr, _, _] = hv.cpuid(base + 2, 0);
    if pages == 0 {
        return Err(ENODEV);
    }
    let version = hv.cpuid(base + 1, 0)[0];
    pr_info!(
        "hypervisor at cpuid 0x{:x}, version {}.{}, hypercall MSR 0x{:x}\n",
        base,
        version >> 16,
        version & 0xffff,
        msr
    );
    // Bits 0-11 select the page; we have one, index 0.
    hv.wrmsr(msr, hv.page_address())
}

/// The driver's hypercall page, filled and ready to be called.
///
/// # Invariants
///
/// The page has been filled by `hypervisor` and stays valid while this
/// value lives (for the stub, `_stub` keeps its module loaded).
pub(crate) struct HypercallPage {
    hypervisor: Hypervisor,
    _stub: Option<Stub>,
}

impl HypercallPage {
    /// Finds the hypervisor (Xen, else the stub) and has it fill the page.
    ///
    /// Fails with `ENODEV` when there is neither.
    pub(crate) fn setup() -> Result<Self> {
        #[cfg(CONFIG_XEN)]
        {
            // SAFETY: Written once during early boot, read-only afterwards.
            let domain_type = unsafe { bindings::xen_domain_type };
            if domain_type != bindings::xen_domain_type_XEN_NATIVE {
                let pv = domain_type == bindings::xen_domain_type_XEN_PV_DOMAIN;
                install(&Xen { pv })?;
                let hypervisor = if pv {
                    Hypervisor::XenPv
                } else {
                    Hypervisor::XenHvm
                };
                return Ok(Self {
                    hypervisor,
                    _stub: None,
                });
            }
        }

        let Some(stub) = Stub::get() else {
            pr_err!("no hypervisor: not running on Xen and xen_stub is not loaded\n");
            return Err(ENODEV);
        };
        install(&stub)?;
        Ok(Self {
            hypervisor: Hypervisor::Stub,
            _stub: Some(stub),
        })
    }

    /// Which hypervisor filled the page.
    pub(crate) fn hypervisor(&self) -> Hypervisor {
        self.hypervisor
    }

    /// Address of the page entry for `op`, for tracing.
    pub(crate) fn entry_address(op: usize) -> usize {
        page_ptr() as usize + op * ENTRY_SIZE
    }

    /// Issues hypercall `op` with `args`, returning the hypervisor's result.
    ///
    /// Fails with `ENOSYS` when `op` has no entry in the page (what Xen
    /// answers for a number beyond its table, and so what Linux's C driver,
    /// which passes any 32-bit number on, returns) and for
    /// `__HYPERVISOR_iret`, which cannot be called.  The
    /// hypervisor may read and write user memory named by `args`: the call
    /// runs with SMAP's access check lifted, as Linux's C driver does.
    pub(crate) fn call(&self, op: u64, args: [u64; 5]) -> Result<i64> {
        let target = Self::trampoline(op)?;
        preemptible_hcall(true);
        // SAFETY: By the type invariant the page is filled, so `target`
        // (trampoline `op`, which jumps to entry `op`) follows the Xen
        // hypercall ABI: arguments in rdi, rsi, rdx, r10, r8, result in rax,
        // everything else the ABI lets the hypervisor clobber is declared.
        let ret = unsafe { call_trampoline(target, args) };
        preemptible_hcall(false);
        Ok(ret)
    }

    /// As [`Self::call`], from an interrupt handler: the call is not marked
    /// preemptible (the kernel's event upcall has put that mark aside for
    /// the handler's duration).
    pub(crate) fn call_in_irq(&self, op: u64, args: [u64; 5]) -> Result<i64> {
        let target = Self::trampoline(op)?;
        // SAFETY: As in `call`.
        Ok(unsafe { call_trampoline(target, args) })
    }

    /// The address of the trampoline of hypercall `op`.
    fn trampoline(op: u64) -> Result<usize> {
        let op = usize::try_from(op)
            .ok()
            .filter(|&op| op < NR_ENTRIES)
            .ok_or(ENOSYS)?;
        if op == HYPERVISOR_IRET {
            return Err(ENOSYS);
        }
        let table = addr_of!(privcmd_hypercall_trampolines) as usize;
        Ok(table + op * TRAMPOLINE_SIZE)
    }
}

/// Marks (or unmarks) this CPU as being in a preemptible hypercall, as
/// `xen_preemptible_hcall_begin/end` do for the C driver.
#[inline(always)]
fn preemptible_hcall(on: bool) {
    #[cfg(all(CONFIG_XEN_PV, not(CONFIG_PREEMPTION)))]
    // SAFETY: The flag is a per-CPU `bool` of the kernel; a byte store to
    // this CPU's copy through the per-CPU segment is how C writes it.
    unsafe {
        asm!(
            "mov byte ptr gs:[rip + {flag}], {on}",
            flag = sym xen_in_preemptible_hcall,
            on = in(reg_byte) on as u8,
            options(nostack, preserves_flags),
        );
    }
    #[cfg(not(all(CONFIG_XEN_PV, not(CONFIG_PREEMPTION))))]
    let _ = on;
}

/// The only place where the driver transfers control to the hypervisor.
///
/// # Safety
///
/// `target` must be the address of a trampoline whose page entry has been
/// filled by a hypervisor that follows the Xen hypercall ABI.
#[inline(never)]
unsafe fn call_trampoline(target: usize, args: [u64; 5]) -> i64 {
    let ret: i64;
    // SAFETY: The caller guarantees the target.  `privcmd_hypercall_call`
    // (asm/hypercall_page.S) calls it with the registers as given here and
    // returns the result in rax; every register the hypervisor may clobber
    // (the argument registers, rcx, r11) is declared, and r9 with them, as
    // neither Xen nor the stub promises to keep it.
    unsafe {
        asm!(
            "call {call}",
            call = sym privcmd_hypercall_call,
            inout("rax") target => ret,
            inout("rdi") args[0] => _,
            inout("rsi") args[1] => _,
            inout("rdx") args[2] => _,
            inout("r10") args[3] => _,
            inout("r8") args[4] => _,
            out("rcx") _,
            out("r9") _,
            out("r11") _,
        );
    }
    ret
}
