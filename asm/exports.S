/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbols that the Rust driver exports under the names of Linux's C
 * privcmd, for the modules that import them: xenfs puts xen_privcmd_fops
 * (xenfs.rs) behind /proc/xen/privcmd.
 */

#include <linux/export.h>

EXPORT_SYMBOL_GPL(xen_privcmd_fops)
