// SPDX-License-Identifier: GPL-2.0

//! `privcmd-check`: checks a privcmd driver and the hypervisor behind it
//! through the typed API of this crate, and prints the results as TAP.
//!
//! Usage: `privcmd-check [--stub]`.  With `--stub`, also the checks that
//! exchange dom0's memory, which only the hypervisor stub can take.

use nix::{
    errno::Errno,
    sys::eventfd::{EfdFlags, EventFd},
};
use std::os::fd::AsFd;
use xen_privcmd::{xenmem, Extents, Privcmd, DOMID_SELF, XENFEAT_DOM0};

/// A check: its name and its verdict (`Err` carries what went wrong).
type Check = (&'static str, fn(&Privcmd) -> Result<(), String>);

/// `Err` with both sides when they differ.
fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn version(p: &Privcmd) -> Result<(), String> {
    expect_eq("XENVER_version", p.version(), Ok((4, 17)))
}

fn strings(p: &Privcmd) -> Result<(), String> {
    let err = |e: Errno| e.to_string();
    p.extraversion().map_err(err)?;
    p.changeset().map_err(err)?;
    p.compile_info().map_err(err)?;
    let caps = p.capabilities().map_err(err)?;
    if caps.contains("x86_64") {
        Ok(())
    } else {
        Err(format!("capabilities {caps:?} name no x86_64 guest"))
    }
}

fn features(p: &Privcmd) -> Result<(), String> {
    let map = p.features(0).map_err(|e| e.to_string())?;
    if map & (1 << XENFEAT_DOM0) == 0 {
        return Err(format!("submap 0 = {map:#x} lacks XENFEAT_dom0"));
    }
    expect_eq("submap 1", p.features(1), Err(Errno::EINVAL))
}

fn pagesize(p: &Privcmd) -> Result<(), String> {
    expect_eq("XENVER_pagesize", p.pagesize(), Ok(4096))
}

fn guest_handle(p: &Privcmd) -> Result<(), String> {
    expect_eq("dom0's handle", p.guest_handle(), Ok([0; 16]))
}

fn reservations(p: &Privcmd) -> Result<(), String> {
    let err = |e: Errno| e.to_string();
    let max_page = p.maximum_ram_page().map_err(err)?;
    let cur = p
        .memory_stat(xenmem::CURRENT_RESERVATION, DOMID_SELF)
        .map_err(err)?;
    let max = p
        .memory_stat(xenmem::MAXIMUM_RESERVATION, DOMID_SELF)
        .map_err(err)?;
    if max_page == 0 || cur == 0 || cur > max {
        return Err(format!("max_page {max_page}, current {cur}, maximum {max}"));
    }
    expect_eq(
        "reservation of a domain that does not exist",
        p.memory_stat(xenmem::CURRENT_RESERVATION, 4321),
        Err(Errno::ESRCH),
    )
}

fn console(p: &Privcmd) -> Result<(), String> {
    expect_eq(
        "CONSOLEIO_write",
        p.console_write(b"privcmd-check says hello\n"),
        Ok(()),
    )
}

fn restrict(_: &Privcmd) -> Result<(), String> {
    // A file of its own: a restriction cannot be lifted.
    let p = Privcmd::open().map_err(|e| e.to_string())?;
    expect_eq("restrict", p.restrict(1), Ok(()))?;
    expect_eq("hypercall once restricted", p.version(), Err(Errno::EPERM))?;
    expect_eq(
        "restrict to another domain",
        p.restrict(2),
        Err(Errno::EINVAL),
    )
}

fn irqfd(p: &Privcmd) -> Result<(), String> {
    let efd = EventFd::from_flags(EfdFlags::EFD_NONBLOCK).map_err(|e| e.to_string())?;
    // A domain that does not exist: the operation only fails (and is logged).
    let op = [0u8; 16];
    let assigned = p
        .irqfd(efd.as_fd(), 0x7100, &op)
        .map_err(|e| e.to_string())?;
    efd.write(1).map_err(|e| e.to_string())?;
    expect_eq("signal while assigned", efd.read(), Err(Errno::EAGAIN))?;
    expect_eq(
        "assigned twice",
        p.irqfd(efd.as_fd(), 0x7100, &op).err(),
        Some(Errno::EBUSY),
    )?;
    drop(assigned);
    efd.write(1).map_err(|e| e.to_string())?;
    expect_eq("signal after deassigning", efd.read(), Ok(1))
}

fn stub_exchange(p: &Privcmd) -> Result<(), String> {
    let before = p.memory_stat(xenmem::CURRENT_RESERVATION, DOMID_SELF);
    let frames = Extents {
        frames: &[0x20, 0x21],
        order: 0,
    };
    let extent = Extents {
        frames: &[0x70000],
        order: 1,
    };
    expect_eq("exchange", p.exchange(DOMID_SELF, frames, extent, 0), Ok(2))?;
    let max_gpfn = p.memory_stat(xenmem::MAXIMUM_GPFN, DOMID_SELF);
    if !matches!(max_gpfn, Ok(gpfn) if gpfn >= 0x70001) {
        return Err(format!("max gpfn {max_gpfn:?} is below the new extent"));
    }
    expect_eq(
        "exchange back",
        p.exchange(DOMID_SELF, extent, frames, 0),
        Ok(1),
    )?;
    expect_eq(
        "tot_pages",
        p.memory_stat(xenmem::CURRENT_RESERVATION, DOMID_SELF),
        before,
    )
}

fn stub_exchange_partial(p: &Privcmd) -> Result<(), String> {
    let input = Extents {
        frames: &[0x30, 0x31, 0xfff00],
        order: 0,
    };
    let output = Extents {
        frames: &[0x71000, 0x71001, 0x71002],
        order: 0,
    };
    let err = p.exchange(DOMID_SELF, input, output, 0).err();
    expect_eq(
        "partial exchange",
        err.map(|e| (e.errno, e.nr_exchanged)),
        Some((Errno::EINVAL, 2)),
    )?;
    let back_in = Extents {
        frames: &[0x71000, 0x71001],
        order: 0,
    };
    let back_out = Extents {
        frames: &[0x30, 0x31],
        order: 0,
    };
    expect_eq(
        "exchange back",
        p.exchange(DOMID_SELF, back_in, back_out, 0),
        Ok(2),
    )
}

fn main() {
    let stub = std::env::args().any(|a| a == "--stub");
    let mut checks: Vec<Check> = vec![
        ("xen_version reports Xen 4.17", version),
        ("xen_version strings are NUL-terminated", strings),
        ("xen_version features tell dom0 it is dom0", features),
        ("xen_version page size is 4096", pagesize),
        ("xen_version guest handle of dom0 is zero", guest_handle),
        (
            "memory_op reservations of dom0 are consistent",
            reservations,
        ),
        ("console_io write succeeds", console),
        ("restricted file refuses hypercalls", restrict),
        ("irqfd consumes its eventfd's signals until dropped", irqfd),
    ];
    if stub {
        checks.push(("stub: XENMEM_exchange round trip", stub_exchange));
        checks.push((
            "stub: XENMEM_exchange partial progress",
            stub_exchange_partial,
        ));
    }

    println!("TAP version 13");
    println!("1..{}", checks.len());
    let dev = match Privcmd::open() {
        Ok(dev) => dev,
        Err(e) => {
            println!("Bail out! cannot open {}: {e}", xen_privcmd::PRIVCMD_PATH);
            std::process::exit(1);
        }
    };
    let mut failed = 0;
    for (i, (name, check)) in checks.iter().enumerate() {
        match check(&dev) {
            Ok(()) => println!("ok {} {name}", i + 1),
            Err(why) => {
                failed += 1;
                println!("not ok {} {name}\n# {why}", i + 1);
            }
        }
    }
    std::process::exit(i32::from(failed > 0));
}
