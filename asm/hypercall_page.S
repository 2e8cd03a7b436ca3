/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypercall page of the Rust privcmd driver, and its trampolines.
 *
 * privcmd_hypercall_page is one page-aligned page of module text.  Until a
 * hypervisor fills it, each 32-byte entry is a bare "ret" padded with int3.
 * The hypervisor writes the entries through the page's frame (Xen through
 * its physical or machine address, the stub through a mapping of its own),
 * never through this executable mapping, which stays read-only.
 *
 * privcmd_hypercall_trampolines holds one 16-byte trampoline per entry: an
 * endbr64 and a direct jmp to the entry.  The driver's only indirect branch
 * targets a trampoline, so it is IBT-valid whatever the hypervisor wrote.
 */

#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/ibt.h>
#include <asm/page_types.h>
#include <asm/unwind_hints.h>

#define ENTRY_SIZE	32
#define TRAMPOLINE_SIZE	16
#define NR_ENTRIES	(PAGE_SIZE / ENTRY_SIZE)

	.pushsection .text, "ax"
	.balign PAGE_SIZE
SYM_CODE_START_NOALIGN(privcmd_hypercall_page)
	.rept NR_ENTRIES
	UNWIND_HINT_FUNC
	ANNOTATE_NOENDBR
	ANNOTATE_UNRET_SAFE
	ret
	.skip ENTRY_SIZE - 1, 0xcc
	.endr
SYM_CODE_END(privcmd_hypercall_page)

	.balign TRAMPOLINE_SIZE
SYM_CODE_START_NOALIGN(privcmd_hypercall_trampolines)
	.set entry, 0
	.rept NR_ENTRIES
	UNWIND_HINT_FUNC
	ENDBR
	jmp privcmd_hypercall_page + entry * ENTRY_SIZE
	.balign TRAMPOLINE_SIZE, 0xcc
	.set entry, entry + 1
	.endr
SYM_CODE_END(privcmd_hypercall_trampolines)
	.popsection
