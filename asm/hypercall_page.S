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
 *
 * privcmd_hypercall_call makes that indirect call: through the kernel's
 * retpoline thunk when retpolines are on (CALL_NOSPEC), and with SMAP's
 * check lifted around it when the CPU has SMAP (the stac/clac alternatives
 * are patched in at module load only on such CPUs), since the hypervisor
 * reads and writes the caller's user buffers.  objtool is told to look away
 * from the stac, as for Linux's own privcmd_call: running foreign code with
 * AC set is the point here.
 *
 *   in:  rax = address of a trampoline
 *        rdi, rsi, rdx, r10, r8 = hypercall arguments (Xen's x86_64 ABI)
 *   out: rax = result; the argument registers, rcx and r11 are clobbered
 */

#include <linux/linkage.h>
#include <linux/objtool.h>
#include <linux/stringify.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
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

SYM_FUNC_START(privcmd_hypercall_call)
	ALTERNATIVE "", __stringify(ANNOTATE_IGNORE_ALTERNATIVE; stac), X86_FEATURE_SMAP
	CALL_NOSPEC rax
	ALTERNATIVE "", __stringify(ANNOTATE_IGNORE_ALTERNATIVE; clac), X86_FEATURE_SMAP
	RET
SYM_FUNC_END(privcmd_hypercall_call)
