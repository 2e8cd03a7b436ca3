// SPDX-License-Identifier: GPL-2.0

//! `/dev/xen/privcmd` in Rust: the device through which a Xen dom0's
//! toolstack issues hypercalls.
//!
//! A drop-in replacement for Linux's `drivers/xen/privcmd.c`, with the UAPI
//! of `include/uapi/xen/privcmd.h`.  `IOCTL_PRIVCMD_HYPERCALL` copies the
//! caller's `struct privcmd_hypercall` in and calls `hypercall_page[op]`
//! (see [`hypercall`]).  The page is filled by Xen or, on a kernel that runs
//! on no hypervisor, by the in-tree hypervisor stub (`xen_stub.ko`).  In a
//! domain other than dom0, files are restricted to the domain that the
//! toolstack names in xenstore (see [`domain`]).

use kernel::{
    fs::File,
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    mm::virt::VmaNew,
    prelude::*,
    sync::{
        atomic::{ordering::Relaxed, Atomic},
        Arc,
    },
    time::{Instant, Monotonic},
    uaccess::{UserPtr, UserSlice},
};

mod dm_op;
mod domain;
mod eventfd;
mod hypercall;
mod hypercall_buf;
mod ioeventfd;
mod irqfd;
mod mmap_batch;
mod mmap_resource;
mod pcidev;
#[path = "abi/privcmd.rs"]
mod uapi;
mod user;
mod vma;
mod xenfs;

use hypercall::HypercallPage;
use hypercall_buf::HypercallBufFile;
use uapi::*;

module! {
    type: PrivcmdModule,
    name: "rust_privcmd",
    authors: ["The rust-privcmd authors"],
    description: "Xen hypercall passthrough driver (Rust)",
    license: "GPL",
    params: {
        trace: bool {
            default: false,
            description: "Log each hypercall's path through the driver",
        },
        bench_calls: u32 {
            default: 0,
            description: "Benchmark: time this many in-kernel xen_version calls at load",
        },
        bench_tag: u32 {
            default: 0,
            description: "Benchmark: number that labels the logged result",
        },
        dm_op_max_nr_bufs: u32 {
            default: 16,
            description: "Maximum number of buffers per dm_op hypercall",
        },
        dm_op_buf_max_size: u32 {
            default: 4096,
            description: "Maximum size of a dm_op hypercall buffer",
        },
        unrestricted: bool {
            default: false,
            description: "In a domU, do not restrict files to the xenstore target domain (ignored under lockdown)",
        },
    },
}

/// `DOMID_INVALID` of Xen's public headers: no restriction.
pub(crate) const DOMID_INVALID: u32 = 0x7ff4;

/// `EPERM` unless a file restricted to `restricted` (`DOMID_INVALID` for
/// none, see `IOCTL_PRIVCMD_RESTRICT`) may name domain `dom`.
pub(crate) fn may_name(restricted: u32, dom: u16) -> Result {
    if restricted != DOMID_INVALID && restricted != u32::from(dom) {
        return Err(EPERM);
    }
    Ok(())
}

kernel::sync::global_lock! {
    // SAFETY: Initialised at the start of module init, before any use.
    unsafe(uninit) static PAGE: Mutex<Option<Arc<HypercallPage>>> = None;
}

/// Publishes the hypercall page to the files while it lives; dropping it
/// withdraws the page, and with it the stub's module reference.
struct PagePublication;

impl PagePublication {
    fn new(page: HypercallPage) -> Result<Self> {
        *PAGE.lock() = Some(Arc::new(page, GFP_KERNEL)?);
        Ok(Self)
    }
}

impl Drop for PagePublication {
    fn drop(&mut self) {
        *PAGE.lock() = None;
    }
}

/// The module.  Fields drop in declaration order: the device goes away
/// before the page it calls into.
#[pin_data]
struct PrivcmdModule {
    #[pin]
    _dev: MiscDeviceRegistration<PrivcmdFile>,
    #[pin]
    _buf_dev: MiscDeviceRegistration<HypercallBufFile>,
    _irqfds: irqfd::IrqfdRegistration,
    _ioeventfds: ioeventfd::IoeventfdRegistration,
    _restriction: domain::Restriction,
    _page: PagePublication,
}

impl kernel::InPlaceModule for PrivcmdModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: Module init runs once per load, before any other use of
        // the lock.
        unsafe { PAGE.init() };
        // SAFETY: As above: once per load, before any mapping ioctl.
        unsafe { vma::MAP_LOCK.init() };
        // SAFETY: As above: once per load, before any irqfd ioctl.
        unsafe {
            irqfd::IRQFDS.init();
            irqfd::ASSIGN_LOCK.init();
            ioeventfd::IOREQS.init();
            ioeventfd::ASSIGN_LOCK.init();
        }
        // SAFETY: As above: once per load, before any open.
        unsafe { domain::TARGET.init() };
        try_pin_init!(Self {
            _page: {
                let page = HypercallPage::setup()?;
                pr_info!("hypercall page filled by {:?}\n", page.hypervisor());
                bench(&page)?;
                PagePublication::new(page)?
            },
            // Before the device, as opens read it.
            _restriction: domain::Restriction::new(module_parameters::unrestricted.value())?,
            _irqfds: irqfd::IrqfdRegistration::new()?,
            _ioeventfds: ioeventfd::IoeventfdRegistration,
            _dev <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c"xen/privcmd",
            }),
            _buf_dev <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c"xen/hypercall",
            }),
        })
        .pin_chain(|module| {
            xenfs::publish(&module._dev);
            Ok(())
        })
    }
}

/// `__HYPERVISOR_xen_version`, the hypercall the benchmark calls.
const HYPERVISOR_XEN_VERSION: u64 = 17;

/// Times `bench_calls` direct calls of the `xen_version` page entry, the
/// in-kernel baseline of the ioctl round trip (`make bench`).
fn bench(page: &HypercallPage) -> Result {
    let calls = module_parameters::bench_calls.value();
    if calls == 0 {
        return Ok(());
    }
    let start = Instant::<Monotonic>::now();
    for _ in 0..calls {
        page.call(HYPERVISOR_XEN_VERSION, [0; 5])?;
    }
    let ns = start.elapsed().as_nanos();
    pr_info!(
        "bench {}: {} calls in {} ns\n",
        module_parameters::bench_tag.value(),
        calls,
        ns
    );
    Ok(())
}

/// Per-open state of `/dev/xen/privcmd`.
struct PrivcmdFile {
    /// The hypercall page.
    page: Arc<HypercallPage>,
    /// Domain this file is restricted to, or `DOMID_INVALID`.
    domid: Atomic<u32>,
}

impl PrivcmdFile {
    /// `IOCTL_PRIVCMD_HYPERCALL`.
    fn hypercall(&self, arg: usize) -> Result<isize> {
        // Arbitrary hypercalls are not allowed once restricted.
        if self.domid.load(Relaxed) != DOMID_INVALID {
            return Err(EPERM);
        }
        let call: PrivcmdHypercall = UserSlice::new(
            UserPtr::from_addr(arg),
            core::mem::size_of::<PrivcmdHypercall>(),
        )
        .reader()
        .read()?;
        let page = &self.page;
        if module_parameters::trace.value() {
            pr_info!(
                "[2 driver] ioctl HYPERCALL: copied struct privcmd_hypercall {{ op = {}, arg = [{:#x}, {:#x}, {:#x}, {:#x}, {:#x}] }} from user {:#x}\n",
                call.op,
                call.arg[0],
                call.arg[1],
                call.arg[2],
                call.arg[3],
                call.arg[4],
                arg
            );
            if let Ok(op) = usize::try_from(call.op) {
                if op < hypercall::NR_ENTRIES {
                    pr_info!(
                        "[3 driver] call hypercall_page[{}] at {:#x} (page + {:#x}), rax={} rdi={:#x} rsi={:#x} rdx={:#x} r10={:#x} r8={:#x}\n",
                        op,
                        HypercallPage::entry_address(op),
                        op * hypercall::ENTRY_SIZE,
                        op,
                        call.arg[0],
                        call.arg[1],
                        call.arg[2],
                        call.arg[3],
                        call.arg[4]
                    );
                }
            }
        }
        let ret = page.call(call.op, call.arg)?;
        if module_parameters::trace.value() {
            pr_info!("[6 driver] hypercall {} returned {} in rax\n", call.op, ret);
        }
        Ok(ret as isize)
    }

    /// `IOCTL_PRIVCMD_RESTRICT`: restricts this file to one domain; once
    /// restricted, only the same domain may be named again.
    fn restrict(&self, arg: UserPtr) -> Result<isize> {
        let dom: u16 = UserSlice::new(arg, core::mem::size_of::<u16>())
            .reader()
            .read()?;
        let dom = u32::from(dom);
        match self.domid.cmpxchg(DOMID_INVALID, dom, Relaxed) {
            Ok(_) => Ok(0),
            Err(current) if current == dom => Ok(0),
            Err(_) => Err(EINVAL),
        }
    }
}

#[vtable]
impl MiscDevice for PrivcmdFile {
    type Ptr = KBox<Self>;

    /// Opens a file, unrestricted in the initial domain; in a domU,
    /// restricted to the xenstore target domain once xenstore is up (see
    /// [`domain`]).
    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        let domid = domain::Restriction::for_open()?;
        // Published before the device was registered, withdrawn after.
        let page = PAGE.lock().as_ref().ok_or(ENODEV)?.clone();
        Ok(KBox::new(
            Self {
                page,
                domid: Atomic::new(domid),
            },
            GFP_KERNEL,
        )?)
    }

    /// Reserves a range for the mapping ioctls to fill (see [`vma`]).
    fn mmap(_me: &Self, _file: &File, vma: &VmaNew) -> Result {
        vma::setup(vma);
        Ok(())
    }

    fn ioctl(me: &Self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            IOCTL_PRIVCMD_HYPERCALL => me.hypercall(arg),
            IOCTL_PRIVCMD_RESTRICT => me.restrict(UserPtr::from_addr(arg)),
            IOCTL_PRIVCMD_DM_OP => dm_op::dm_op(
                &me.page,
                me.domid.load(Relaxed),
                dm_op::Limits {
                    max_nr_bufs: module_parameters::dm_op_max_nr_bufs.value(),
                    buf_max_size: module_parameters::dm_op_buf_max_size.value(),
                },
                UserPtr::from_addr(arg),
            ),
            IOCTL_PRIVCMD_PCIDEV_GET_GSI => pcidev::get_gsi(UserPtr::from_addr(arg)),
            IOCTL_PRIVCMD_MMAP_RESOURCE => {
                mmap_resource::mmap_resource(&me.page, me.domid.load(Relaxed), arg)
            }
            IOCTL_PRIVCMD_MMAPBATCH => {
                mmap_batch::mmap_batch(&me.page, me.domid.load(Relaxed), arg, 1)
            }
            IOCTL_PRIVCMD_MMAPBATCH_V2 => {
                mmap_batch::mmap_batch(&me.page, me.domid.load(Relaxed), arg, 2)
            }
            IOCTL_PRIVCMD_MMAP => mmap_batch::mmap(&me.page, me.domid.load(Relaxed), arg),
            IOCTL_PRIVCMD_IRQFD => {
                irqfd::irqfd(&me.page, me.domid.load(Relaxed), UserPtr::from_addr(arg))
            }
            // Known to the UAPI, not implemented yet: userspace libraries
            // read ENOTTY as "not supported" and fall back, as with an
            // older C driver.
            IOCTL_PRIVCMD_IOEVENTFD => {
                ioeventfd::ioeventfd(&me.page, me.domid.load(Relaxed), UserPtr::from_addr(arg))
            }
            _ => Err(ENOTTY),
        }
    }
}
