// SPDX-License-Identifier: GPL-2.0

//! `IOCTL_PRIVCMD_PCIDEV_GET_GSI`: the GSI of a PCI device, for a device
//! model that passes the device through to a guest.
//!
//! The answer comes from Linux's Xen ACPI code, which asks xen-pciback
//! (for a device it has seized) when that is loaded: `EOPNOTSUPP` without
//! it, its error for a device it does not hold.  Without `CONFIG_XEN_ACPI`
//! the ioctl is `EINVAL`, as in Linux's C driver.

use core::mem::size_of;
use kernel::{
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

use crate::uapi::PrivcmdPcidevGetGsi;

#[cfg(CONFIG_XEN_ACPI)]
extern "C" {
    /// `drivers/xen/acpi.c`: the GSI of `sbdf`, or a negative errno.
    fn xen_acpi_get_gsi_from_sbdf(sbdf: u32) -> core::ffi::c_int;
}

/// `IOCTL_PRIVCMD_PCIDEV_GET_GSI`.
#[cfg(CONFIG_XEN_ACPI)]
pub(crate) fn get_gsi(arg: UserPtr) -> Result<isize> {
    let (mut reader, mut writer) =
        UserSlice::new(arg, size_of::<PrivcmdPcidevGetGsi>()).reader_writer();
    let mut dev: PrivcmdPcidevGetGsi = reader.read()?;
    // SAFETY: A plain function of the kernel, callable from process
    // context with any `sbdf`.
    let gsi = unsafe { xen_acpi_get_gsi_from_sbdf(dev.sbdf) };
    if gsi < 0 {
        return Err(Error::from_errno(gsi));
    }
    dev.gsi = gsi as u32;
    writer.write(&dev)?;
    Ok(0)
}

/// `IOCTL_PRIVCMD_PCIDEV_GET_GSI` without Xen's ACPI support.
#[cfg(not(CONFIG_XEN_ACPI))]
pub(crate) fn get_gsi(_arg: UserPtr) -> Result<isize> {
    Err(EINVAL)
}
