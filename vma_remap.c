// SPDX-License-Identifier: GPL-2.0
/*
 * What the Rust half of rust_privcmd needs of the mm that is a C macro or
 * an inline function: mapping an auto-translated dom0's lent frames into a
 * privcmd VMA, and a lent frame's number and kernel address.
 *
 * The frames are given as an array, not read from the VMA's private data
 * as xen_remap_vma_range() reads them: the Rust driver keeps there the
 * state that the VMAs derived from a claimed one share (see vma.rs).
 */
#include <linux/mm.h>
#include <linux/pgtable.h>

/* Called from Rust only (vma.rs declares them too). */
int rust_privcmd_remap_pages(struct vm_area_struct *vma, unsigned long addr,
			     unsigned long nr, struct page **pages);
unsigned long rust_privcmd_page_pfn(struct page *page);
void *rust_privcmd_page_address(struct page *page);

struct privcmd_remap {
	struct mm_struct *mm;
	struct page **next;
	pgprot_t prot;
};

/* apply_to_page_range() callback: one special entry for the next frame. */
static int privcmd_remap_one(pte_t *ptep, unsigned long addr, void *data)
{
	struct privcmd_remap *remap = data;
	unsigned long pfn = page_to_pfn(*remap->next++);

	set_pte_at(remap->mm, addr, ptep, pte_mkspecial(pfn_pte(pfn, remap->prot)));
	return 0;
}

/*
 * Maps pages[0..nr) at addr in vma, which the caller has checked is a
 * privcmd VMA (VM_PFNMAP) holding nr pages at addr, with the mmap lock
 * held.  The walk steps a page at a time to addr + nr pages: it must start
 * on a page boundary, or it would run past the page table it is in.
 */
int rust_privcmd_remap_pages(struct vm_area_struct *vma, unsigned long addr,
			     unsigned long nr, struct page **pages)
{
	struct privcmd_remap remap = {
		.mm = vma->vm_mm,
		.next = pages,
		.prot = vma->vm_page_prot,
	};

	if (!PAGE_ALIGNED(addr) || addr < vma->vm_start ||
	    nr > (vma->vm_end - addr) >> PAGE_SHIFT)
		return -EINVAL;
	return apply_to_page_range(vma->vm_mm, addr, nr << PAGE_SHIFT,
				   privcmd_remap_one, &remap);
}

unsigned long rust_privcmd_page_pfn(struct page *page)
{
	return page_to_pfn(page);
}

void *rust_privcmd_page_address(struct page *page)
{
	return page_address(page);
}
