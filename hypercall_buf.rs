// SPDX-License-Identifier: GPL-2.0

//! `/dev/xen/hypercall`: memory for hypercall buffers.
//!
//! A hypervisor reads and writes a hypercall's buffers by their user
//! addresses, at any time during the call; ordinary anonymous memory may be
//! moved or reclaimed under it.  libxencall therefore maps its buffers from
//! this device when it exists: a shared mapping of zeroed kernel pages that
//! stay where they are for as long as they are mapped.
//!
//! As with Linux's C driver (`privcmd-buf.c`): only shared mappings
//! (`EINVAL` otherwise), the pages allocated and mapped at `mmap`, the
//! mapping marked `VM_IO | VM_DONTEXPAND`, and a fault outside the pages
//! (after `MADV_DONTNEED`, say) a `SIGBUS`, since the device has no fault
//! handler.  The pages belong to the mapping: each is freed when the last
//! mapping of it goes, whether by `munmap` of all or part of it or at exit.

use kernel::{
    fs::File,
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    mm::virt::{flags, VmaNew},
    page::{Page, PAGE_SIZE},
    prelude::*,
};

/// An open `/dev/xen/hypercall`; it keeps no state of its own.
pub(crate) struct HypercallBufFile;

#[vtable]
impl MiscDevice for HypercallBufFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(Self, GFP_KERNEL)?)
    }

    fn mmap(_me: &Self, _file: &File, vma: &VmaNew) -> Result {
        if vma.flags() & flags::SHARED == 0 {
            return Err(EINVAL);
        }
        vma.set_io();
        vma.set_dontexpand();
        let vma = vma.set_mixedmap();
        for address in (vma.start()..vma.end()).step_by(PAGE_SIZE) {
            let page = Page::alloc_page(GFP_KERNEL | __GFP_ZERO)?;
            // The mapping takes its own reference to the page; dropping
            // `page` leaves it the only one.  On an error, the VMA is
            // unmapped, and the pages mapped so far with it.
            vma.vm_insert_page(address, &page)?;
        }
        Ok(())
    }
}
