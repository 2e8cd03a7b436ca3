/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry routine of the hypervisor stub: the stub's counterpart of Xen's
 * VM-exit path.  A hypercall page entry filled by the stub calls here with
 * the hypercall number in rax and the arguments in rdi, rsi, rdx, r10, r8.
 *
 * All general-purpose registers and the flags are saved in a frame on the
 * stack (struct CpuUserRegs in stub/stub.rs), the stub runs with SMAP's
 * check restored (as Xen runs with its own flags, not the guest's), and
 * xen_stub_do_hypercall() dispatches on the frame.  Every register is then
 * reloaded from the frame, so the caller sees only what the stub wrote
 * there: the result in rax and poisoned argument registers.
 */

#include <linux/linkage.h>
#include <linux/export.h>
#include <linux/objtool.h>
#include <linux/stringify.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/ibt.h>

/* Reached by an indirect call from a hypercall page entry. */
SYM_FUNC_START(xen_stub_entry)
	ENDBR
	pushfq
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	/*
	 * The caller may have lifted SMAP's check; the stub's handlers must not
	 * run with it lifted.  objtool assumes a function starts with it in
	 * force, so it is told to look away from this clac.
	 */
	ALTERNATIVE "", __stringify(ANNOTATE_IGNORE_ALTERNATIVE; clac), X86_FEATURE_SMAP
	movq	%rsp, %rdi
	call	xen_stub_do_hypercall
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popfq
	RET
SYM_FUNC_END(xen_stub_entry)

/* The stub's CPUID leaves and MSR, found by the driver with symbol_get. */
EXPORT_SYMBOL_GPL(xen_stub_cpuid)
EXPORT_SYMBOL_GPL(xen_stub_wrmsr)
