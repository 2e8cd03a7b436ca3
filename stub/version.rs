// SPDX-License-Identifier: GPL-2.0

//! `__HYPERVISOR_xen_version`: who the hypervisor is and what it offers.

use crate::{abi::*, guest_handle::GuestHandle};
use kernel::{page::PAGE_SIZE, prelude::*};

/// Copies `text` into a zeroed fixed-size C string, truncating so that a
/// NUL always remains (Xen's `safe_strcpy`).
fn c_string<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let len = text.len().min(N - 1);
    out[..len].copy_from_slice(&text.as_bytes()[..len]);
    out
}

/// The 16-byte handle of the stub's one domain (dom0 has the all-zero
/// handle in Xen as well).
const DOMAIN_HANDLE: XenDomainHandle = [0; 16];

/// `do_xen_version(int cmd, XEN_GUEST_HANDLE_PARAM(void) arg)`.
pub(crate) fn do_xen_version(cmd: i32, arg: GuestHandle<u8>) -> Result<i64> {
    match cmd {
        XENVER_VERSION => Ok(i64::from((VERSION_MAJOR << 16) | VERSION_MINOR)),
        XENVER_EXTRAVERSION => {
            let text: XenExtraversion = c_string("-stub");
            arg.cast::<XenExtraversion>().copy_to(&text)?;
            Ok(0)
        }
        XENVER_COMPILE_INFO => {
            let info = XenCompileInfo {
                compiler: c_string("rustc (Rust for Linux)"),
                compile_by: c_string("rust-privcmd"),
                compile_domain: c_string("xen_stub.ko"),
                compile_date: c_string(crate::BUILD_DATE),
            };
            arg.cast::<XenCompileInfo>().copy_to(&info)?;
            Ok(0)
        }
        XENVER_CAPABILITIES => {
            let caps: XenCapabilitiesInfo = c_string("hvm-3.0-x86_64");
            arg.cast::<XenCapabilitiesInfo>().copy_to(&caps)?;
            Ok(0)
        }
        XENVER_CHANGESET => {
            let changeset: XenChangesetInfo = c_string("rust-privcmd hypervisor stub");
            arg.cast::<XenChangesetInfo>().copy_to(&changeset)?;
            Ok(0)
        }
        XENVER_GET_FEATURES => {
            let handle = arg.cast::<XenFeatureInfo>();
            let mut info = handle.copy_from()?;
            info.submap = match info.submap_idx {
                // A translated (HVM-style) hardware domain.
                0 => {
                    (1 << XENFEAT_WRITABLE_PAGE_TABLES)
                        | (1 << XENFEAT_AUTO_TRANSLATED_PHYSMAP)
                        | (1 << XENFEAT_DOM0)
                }
                _ => return Err(EINVAL),
            };
            handle.copy_to(&info)?;
            Ok(0)
        }
        XENVER_PAGESIZE if arg.is_null() => Ok(PAGE_SIZE as i64),
        XENVER_PAGESIZE => Err(EINVAL),
        XENVER_GUEST_HANDLE => {
            arg.cast::<XenDomainHandle>().copy_to(&DOMAIN_HANDLE)?;
            Ok(0)
        }
        _ => Err(ENOSYS),
    }
}
