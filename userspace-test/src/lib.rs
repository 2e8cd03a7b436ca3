// SPDX-License-Identifier: GPL-2.0

//! Typed, safe Xen hypercalls through `/dev/xen/privcmd`.
//!
//! [`Privcmd`] owns an open privcmd file.  Each method builds the
//! structures of Xen's public ABI in its own memory, issues
//! `IOCTL_PRIVCMD_HYPERCALL`, and returns the hypervisor's result: a value,
//! or the Xen error as an [`Errno`] (Xen's errno values are Linux's on x86).
//! Only [`Privcmd::hypercall_raw`], which passes arbitrary addresses to the
//! hypervisor, is `unsafe`.

use nix::errno::Errno;
use std::{
    fs::{File, OpenOptions},
    os::fd::{AsRawFd, BorrowedFd},
};

/// The device.
pub const PRIVCMD_PATH: &str = "/dev/xen/privcmd";

/// `__HYPERVISOR_memory_op`.
pub const HYPERVISOR_MEMORY_OP: u64 = 12;
/// `__HYPERVISOR_xen_version`.
pub const HYPERVISOR_XEN_VERSION: u64 = 17;
/// `__HYPERVISOR_console_io`.
pub const HYPERVISOR_CONSOLE_IO: u64 = 18;

/// `XENVER_*` sub-operations.
pub mod xenver {
    /// `XENVER_version`.
    pub const VERSION: u64 = 0;
    /// `XENVER_extraversion`.
    pub const EXTRAVERSION: u64 = 1;
    /// `XENVER_compile_info`.
    pub const COMPILE_INFO: u64 = 2;
    /// `XENVER_capabilities`.
    pub const CAPABILITIES: u64 = 3;
    /// `XENVER_changeset`.
    pub const CHANGESET: u64 = 4;
    /// `XENVER_get_features`.
    pub const GET_FEATURES: u64 = 6;
    /// `XENVER_pagesize`.
    pub const PAGESIZE: u64 = 7;
    /// `XENVER_guest_handle`.
    pub const GUEST_HANDLE: u64 = 8;
}

/// `XENMEM_*` sub-operations.
pub mod xenmem {
    /// `XENMEM_maximum_ram_page`.
    pub const MAXIMUM_RAM_PAGE: u64 = 2;
    /// `XENMEM_current_reservation`.
    pub const CURRENT_RESERVATION: u64 = 3;
    /// `XENMEM_maximum_reservation`.
    pub const MAXIMUM_RESERVATION: u64 = 4;
    /// `XENMEM_exchange`.
    pub const EXCHANGE: u64 = 11;
    /// `XENMEM_maximum_gpfn`.
    pub const MAXIMUM_GPFN: u64 = 14;
}

/// `XENFEAT_dom0`.
pub const XENFEAT_DOM0: u32 = 11;
/// `CONSOLEIO_write`.
pub const CONSOLEIO_WRITE: u64 = 0;
/// `DOMID_SELF`.
pub const DOMID_SELF: u16 = 0x7ff0;

/// `struct privcmd_hypercall`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrivcmdHypercall {
    /// Hypercall number.
    pub op: u64,
    /// Arguments.
    pub arg: [u64; 5],
}

/// `_IOC(_IOC_NONE, 'P', nr, size)` of `include/uapi/xen/privcmd.h`.
pub const fn privcmd_ioc(nr: u32, size: usize) -> u32 {
    ((size as u32) << 16) | ((b'P' as u32) << 8) | nr
}

/// `IOCTL_PRIVCMD_HYPERCALL`.
pub const IOCTL_PRIVCMD_HYPERCALL: u32 = privcmd_ioc(0, std::mem::size_of::<PrivcmdHypercall>());
/// `IOCTL_PRIVCMD_RESTRICT`.
pub const IOCTL_PRIVCMD_RESTRICT: u32 = privcmd_ioc(6, std::mem::size_of::<u16>());

/// `struct privcmd_irqfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct PrivcmdIrqfd {
    dm_op: u64,
    size: u32,
    fd: u32,
    flags: u32,
    dom: u16,
    pad: [u8; 2],
}

/// `PRIVCMD_IRQFD_FLAG_DEASSIGN`.
const PRIVCMD_IRQFD_FLAG_DEASSIGN: u32 = 1;

nix::ioctl_readwrite_bad!(ioctl_hypercall, IOCTL_PRIVCMD_HYPERCALL, PrivcmdHypercall);
nix::ioctl_write_ptr!(ioctl_irqfd, b'P', 8, PrivcmdIrqfd);
nix::ioctl_write_ptr_bad!(ioctl_restrict, IOCTL_PRIVCMD_RESTRICT, u16);

/// `struct xen_memory_reservation` (x86_64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct XenMemoryReservation {
    /// Guest address of the extent list.
    pub extent_start: u64,
    /// Number of extents.
    pub nr_extents: u64,
    /// Order of each extent.
    pub extent_order: u32,
    /// `XENMEMF_*` flags.
    pub mem_flags: u32,
    /// Domain.
    pub domid: u16,
}

/// `struct xen_memory_exchange` (x86_64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct XenMemoryExchange {
    /// Input extents.
    pub input: XenMemoryReservation,
    /// Output extents.
    pub output: XenMemoryReservation,
    /// Input extents exchanged so far.
    pub nr_exchanged: u64,
}

/// `xen_feature_info_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct XenFeatureInfo {
    submap_idx: u32,
    submap: u32,
}

/// `xen_compile_info_t`.
#[repr(C)]
struct XenCompileInfo {
    compiler: [u8; 64],
    compile_by: [u8; 16],
    compile_domain: [u8; 32],
    compile_date: [u8; 32],
}

/// What `XENVER_compile_info` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileInfo {
    /// Compiler.
    pub compiler: String,
    /// Built by.
    pub compile_by: String,
    /// Build domain.
    pub compile_domain: String,
    /// Build date.
    pub compile_date: String,
}

/// An extent list for [`Privcmd::exchange`].
#[derive(Clone, Copy, Debug)]
pub struct Extents<'a> {
    /// Frames: the first gfn of each extent.
    pub frames: &'a [u64],
    /// Each extent is `2^order` frames.
    pub order: u32,
}

/// A partial `XENMEM_exchange`: the error and how many input extents were
/// exchanged before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeError {
    /// The hypervisor's error.
    pub errno: Errno,
    /// `nr_exchanged` as the hypervisor reported it.
    pub nr_exchanged: u64,
}

/// An eventfd assigned as an irqfd (see [`Privcmd::irqfd`]); dropping it
/// deassigns it.
pub struct Irqfd<'a> {
    privcmd: &'a Privcmd,
    eventfd: BorrowedFd<'a>,
    dom: u16,
}

impl Drop for Irqfd<'_> {
    fn drop(&mut self) {
        let req = PrivcmdIrqfd {
            fd: self.eventfd.as_raw_fd() as u32,
            flags: PRIVCMD_IRQFD_FLAG_DEASSIGN,
            dom: self.dom,
            ..Default::default()
        };
        // SAFETY: `req` is a valid `privcmd_irqfd`; deassigning reads no
        // operation.  It cannot fail for an assigned eventfd that is open.
        let _ = unsafe { ioctl_irqfd(self.privcmd.file.as_raw_fd(), &req) };
    }
}

/// The text of a fixed-size C string, up to its first NUL.
///
/// Returns `None` if there is no NUL, which a hypervisor must not do.
pub fn c_string(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
}

/// An open `/dev/xen/privcmd`.
pub struct Privcmd {
    file: File,
}

impl Privcmd {
    /// Opens the device.
    pub fn open() -> std::io::Result<Self> {
        Self::open_path(PRIVCMD_PATH)
    }

    /// Opens a privcmd device at `path`.
    pub fn open_path(path: &str) -> std::io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Self { file })
    }

    /// Issues hypercall `op` with `args` as they are.
    ///
    /// # Safety
    ///
    /// Any argument the hypercall treats as a guest address must point to
    /// memory of this process that the hypercall may read or write as its
    /// ABI says, for the duration of the call.
    pub unsafe fn hypercall_raw(&self, op: u64, args: [u64; 5]) -> Result<i64, Errno> {
        let mut call = PrivcmdHypercall { op, arg: args };
        // SAFETY: `call` is a valid `privcmd_hypercall` for the ioctl to
        // read; the caller vouches for the addresses inside it.
        let ret = unsafe { ioctl_hypercall(self.file.as_raw_fd(), &mut call) }?;
        Ok(i64::from(ret))
    }

    /// A hypercall whose pointer arguments, if any, point into `buf`.
    fn call_with<T>(&self, op: u64, cmd: u64, buf: Option<&mut T>) -> Result<i64, Errno> {
        let addr = buf.map_or(0, |b| b as *mut T as u64);
        // SAFETY: The only address passed is `buf`, an exclusively borrowed
        // `T` of the layout the sub-operation expects, alive for the call.
        unsafe { self.hypercall_raw(op, [cmd, addr, 0, 0, 0]) }
    }

    /// `IOCTL_PRIVCMD_RESTRICT`: restricts this file to domain `domid`.
    pub fn restrict(&self, domid: u16) -> Result<(), Errno> {
        // SAFETY: `domid` is a valid `u16` for the ioctl to read.
        unsafe { ioctl_restrict(self.file.as_raw_fd(), &domid) }.map(|_| ())
    }

    /// `IOCTL_PRIVCMD_IRQFD`: from now on, every signal of `eventfd` makes
    /// the driver issue the device-model operation `op` (a `struct
    /// xen_dm_op`) on domain `dom`, until the returned [`Irqfd`] is dropped.
    pub fn irqfd<'a>(
        &'a self,
        eventfd: BorrowedFd<'a>,
        dom: u16,
        op: &[u8],
    ) -> Result<Irqfd<'a>, Errno> {
        let req = PrivcmdIrqfd {
            dm_op: op.as_ptr() as u64,
            size: u32::try_from(op.len()).map_err(|_| Errno::E2BIG)?,
            fd: eventfd.as_raw_fd() as u32,
            dom,
            ..Default::default()
        };
        // SAFETY: `req` is a valid `privcmd_irqfd` whose `dm_op` points to
        // `op.len()` readable bytes; the driver copies them during the call.
        unsafe { ioctl_irqfd(self.file.as_raw_fd(), &req) }?;
        Ok(Irqfd {
            privcmd: self,
            eventfd,
            dom,
        })
    }

    /// `XENVER_version`: `(major, minor)`.
    pub fn version(&self) -> Result<(u32, u32), Errno> {
        let v = self.call_with::<u8>(HYPERVISOR_XEN_VERSION, xenver::VERSION, None)?;
        Ok(((v >> 16) as u32, (v & 0xffff) as u32))
    }

    /// A `XENVER_*` string sub-operation into an `N`-byte buffer.
    fn version_string<const N: usize>(&self, cmd: u64) -> Result<String, Errno> {
        let mut buf = [0xaau8; N];
        self.call_with(HYPERVISOR_XEN_VERSION, cmd, Some(&mut buf))?;
        c_string(&buf).ok_or(Errno::EPROTO)
    }

    /// `XENVER_extraversion`.
    pub fn extraversion(&self) -> Result<String, Errno> {
        self.version_string::<16>(xenver::EXTRAVERSION)
    }

    /// `XENVER_capabilities`.
    pub fn capabilities(&self) -> Result<String, Errno> {
        self.version_string::<1024>(xenver::CAPABILITIES)
    }

    /// `XENVER_changeset`.
    pub fn changeset(&self) -> Result<String, Errno> {
        self.version_string::<64>(xenver::CHANGESET)
    }

    /// `XENVER_compile_info`.
    pub fn compile_info(&self) -> Result<CompileInfo, Errno> {
        let mut info = XenCompileInfo {
            compiler: [0xaa; 64],
            compile_by: [0xaa; 16],
            compile_domain: [0xaa; 32],
            compile_date: [0xaa; 32],
        };
        self.call_with(
            HYPERVISOR_XEN_VERSION,
            xenver::COMPILE_INFO,
            Some(&mut info),
        )?;
        let s = |b: &[u8]| c_string(b).ok_or(Errno::EPROTO);
        Ok(CompileInfo {
            compiler: s(&info.compiler)?,
            compile_by: s(&info.compile_by)?,
            compile_domain: s(&info.compile_domain)?,
            compile_date: s(&info.compile_date)?,
        })
    }

    /// `XENVER_get_features`: submap `index`.
    pub fn features(&self, index: u32) -> Result<u32, Errno> {
        let mut fi = XenFeatureInfo {
            submap_idx: index,
            submap: 0,
        };
        self.call_with(HYPERVISOR_XEN_VERSION, xenver::GET_FEATURES, Some(&mut fi))?;
        Ok(fi.submap)
    }

    /// `XENVER_pagesize`.
    pub fn pagesize(&self) -> Result<u64, Errno> {
        self.call_with::<u8>(HYPERVISOR_XEN_VERSION, xenver::PAGESIZE, None)
            .map(|v| v as u64)
    }

    /// `XENVER_guest_handle`: this domain's handle.
    pub fn guest_handle(&self) -> Result<[u8; 16], Errno> {
        let mut handle = [0xaau8; 16];
        self.call_with(
            HYPERVISOR_XEN_VERSION,
            xenver::GUEST_HANDLE,
            Some(&mut handle),
        )?;
        Ok(handle)
    }

    /// `XENMEM_maximum_ram_page`.
    pub fn maximum_ram_page(&self) -> Result<u64, Errno> {
        self.call_with::<u8>(HYPERVISOR_MEMORY_OP, xenmem::MAXIMUM_RAM_PAGE, None)
            .map(|v| v as u64)
    }

    /// `XENMEM_current_reservation`, `XENMEM_maximum_reservation` or
    /// `XENMEM_maximum_gpfn` of `domid`.
    pub fn memory_stat(&self, cmd: u64, mut domid: u16) -> Result<u64, Errno> {
        self.call_with(HYPERVISOR_MEMORY_OP, cmd, Some(&mut domid))
            .map(|v| v as u64)
    }

    /// `XENMEM_exchange` of `domid`'s extents `input` for new extents
    /// mapped at the frames of `output`, starting at `nr_exchanged` input
    /// extents already done.  Returns the final `nr_exchanged`.
    pub fn exchange(
        &self,
        domid: u16,
        input: Extents<'_>,
        output: Extents<'_>,
        nr_exchanged: u64,
    ) -> Result<u64, ExchangeError> {
        // Xen reads both lists (and writes the output one for PV guests):
        // give it copies that this call owns.
        let mut in_list = input.frames.to_vec();
        let mut out_list = output.frames.to_vec();
        let mut exch = XenMemoryExchange {
            input: XenMemoryReservation {
                extent_start: in_list.as_mut_ptr() as u64,
                nr_extents: in_list.len() as u64,
                extent_order: input.order,
                mem_flags: 0,
                domid,
            },
            output: XenMemoryReservation {
                extent_start: out_list.as_mut_ptr() as u64,
                nr_extents: out_list.len() as u64,
                extent_order: output.order,
                mem_flags: 0,
                domid,
            },
            nr_exchanged,
        };
        // SAFETY: Every address in `exch` points to memory owned by this
        // function (`exch`, `in_list`, `out_list`) and alive for the call.
        let ret = unsafe {
            self.hypercall_raw(
                HYPERVISOR_MEMORY_OP,
                [xenmem::EXCHANGE, &mut exch as *mut _ as u64, 0, 0, 0],
            )
        };
        match ret {
            Ok(_) => Ok(exch.nr_exchanged),
            Err(errno) => Err(ExchangeError {
                errno,
                nr_exchanged: exch.nr_exchanged,
            }),
        }
    }

    /// `CONSOLEIO_write` of `text` to the hypervisor's console.
    pub fn console_write(&self, text: &[u8]) -> Result<(), Errno> {
        let len = u64::try_from(text.len()).map_err(|_| Errno::EINVAL)?;
        // SAFETY: The hypervisor reads `len` bytes at `text`, which is
        // borrowed for the call.
        unsafe {
            self.hypercall_raw(
                HYPERVISOR_CONSOLE_IO,
                [CONSOLEIO_WRITE, len, text.as_ptr() as u64, 0, 0],
            )
        }
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn ioctl_numbers_match_the_uapi() {
        // _IOC(_IOC_NONE, 'P', 0, 48) and _IOC(_IOC_NONE, 'P', 6, 2).
        assert_eq!(IOCTL_PRIVCMD_HYPERCALL, 0x0030_5000);
        assert_eq!(IOCTL_PRIVCMD_RESTRICT, 0x0002_5006);
        // _IOW('P', 8, struct privcmd_irqfd).
        assert_eq!(
            nix::request_code_write!(b'P', 8, size_of::<PrivcmdIrqfd>()),
            0x4018_5008
        );
    }

    #[test]
    fn layouts_match_xen_public_headers() {
        assert_eq!(size_of::<PrivcmdHypercall>(), 48);
        assert_eq!(size_of::<XenMemoryReservation>(), 32);
        assert_eq!(offset_of!(XenMemoryReservation, domid), 24);
        assert_eq!(size_of::<XenMemoryExchange>(), 72);
        assert_eq!(offset_of!(XenMemoryExchange, output), 32);
        assert_eq!(offset_of!(XenMemoryExchange, nr_exchanged), 64);
        assert_eq!(size_of::<XenCompileInfo>(), 144);
        assert_eq!(size_of::<XenFeatureInfo>(), 8);
        assert_eq!(size_of::<PrivcmdIrqfd>(), 24);
        assert_eq!(offset_of!(PrivcmdIrqfd, dom), 20);
    }

    #[test]
    fn c_strings_end_at_the_first_nul() {
        assert_eq!(c_string(b"4.17\0junk").as_deref(), Some("4.17"));
        assert_eq!(c_string(b"\0").as_deref(), Some(""));
        assert_eq!(c_string(b"no terminator"), None);
    }

    #[test]
    fn opening_a_missing_device_fails_cleanly() {
        let err = Privcmd::open_path("/nonexistent/privcmd").err().unwrap();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn a_non_privcmd_file_rejects_the_ioctl() {
        // /dev/null has no ioctls: the wrapper reports ENOTTY, no panic.
        let dev = Privcmd::open_path("/dev/null").unwrap();
        assert_eq!(dev.version(), Err(Errno::ENOTTY));
        assert_eq!(dev.restrict(1), Err(Errno::ENOTTY));
    }
}
