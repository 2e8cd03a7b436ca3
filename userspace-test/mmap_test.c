// SPDX-License-Identifier: GPL-2.0
/*
 * Foreign mappings through /dev/xen/privcmd: mmap of the device and
 * IOCTL_PRIVCMD_MMAP_RESOURCE, IOCTL_PRIVCMD_MMAPBATCH(_V2) and
 * IOCTL_PRIVCMD_MMAP, as libxenforeignmemory uses them.
 *
 * The frames mapped under Xen are dom0's own: one that Xen adds to dom0
 * for the test (XENMEM_increase_reservation tells a PV dom0 its machine
 * address) and gives back after, mapped by batch (V1 and V2) and by range;
 * the mappings must show the same memory.  Mapping a resource of another
 * domain is what Xen's own test-resource checks (xen_tools_test.sh).  The
 * stub has no foreign frames: the mapping ioctls are ENOSYS there, after
 * the driver's own checks.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"



#define PAGE 4096UL
#define NO_SUCH_DOMAIN 0x7000
/* A machine or guest frame that no domain has. */
#define BAD_FRAME 0x7ffffffffULL
/* Page-table boundaries of x86_64: a page table maps 2 MiB, a directory 1 GiB. */
#define PMD_BOUNDARY 0x40200000UL
#define PUD_BOUNDARY 0x80000000UL
/* Pages in a 1 TiB mapping. */
#define TIB_PAGES (1UL << 28)

#define NO_FOREIGN_FRAMES "the hypervisor stub has no foreign frames"

#define PV_ONLY() do {							\
	XEN_ONLY(NO_FOREIGN_FRAMES);					\
	if (!guest_type_is("PV"))					\
		SKIP(return, "machine frames are a PV dom0's");		\
} while (0)

FIXTURE(privcmd) {
	int fd;
};

FIXTURE_SETUP(privcmd)
{
	self->fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(privcmd)
{
	close(self->fd);
}

static void *map_device(int fd, size_t pages)
{
	return mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
}

static long err_of(long ret)
{
	return ret == -1 ? -errno : ret;
}

static long resource(int fd, domid_t dom, unsigned int type, unsigned int id,
		     unsigned int idx, uint64_t num, void *addr, uint64_t *num_out)
{
	privcmd_mmap_resource_t r = {
		.dom = dom, .type = type, .id = id, .idx = idx,
		.num = num, .addr = (uintptr_t)addr,
	};
	long ret = err_of(ioctl(fd, IOCTL_PRIVCMD_MMAP_RESOURCE, &r));

	if (num_out)
		*num_out = r.num;
	return ret;
}

static long batch_v2(int fd, domid_t dom, void *addr, xen_pfn_t *arr,
		     int *err, unsigned int num)
{
	privcmd_mmapbatch_v2_t b = {
		.num = num, .dom = dom, .addr = (uintptr_t)addr,
		.arr = arr, .err = err,
	};

	return err_of(ioctl(fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &b));
}

static long batch_v1(int fd, domid_t dom, void *addr, xen_pfn_t *arr, int num)
{
	privcmd_mmapbatch_t b = {
		.num = num, .dom = dom, .addr = (uintptr_t)addr, .arr = arr,
	};

	return err_of(ioctl(fd, IOCTL_PRIVCMD_MMAPBATCH, &b));
}

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_sig;

static void on_fault(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

/* The signal that touching addr raises in this process, or 0. */
static int touch_signal(void *addr)
{
	struct sigaction sa = { .sa_handler = on_fault }, old_bus, old_segv;

	fault_sig = 0;
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	if (!sigsetjmp(fault_jmp, 1))
		(void)*(volatile char *)addr;
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return fault_sig;
}

/* Whether touching addr kills a child (which has no DONTCOPY mapping). */
static int touch_dies_with(void *addr, int sig)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		*(volatile char *)addr = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* XENMEM_increase_reservation or _decrease_ of one frame of dom0 (PV). */
static long reservation(int fd, unsigned int cmd, xen_pfn_t *mfn)
{
	struct xen_memory_reservation r = {
		.nr_extents = 1, .extent_order = 0, .domid = DOMID_SELF,
	};

	set_xen_guest_handle(r.extent_start, mfn);
	return privcmd_hypercall(fd, __HYPERVISOR_memory_op, cmd,
				 (uintptr_t)&r, 0, 0, 0);
}

/* ---- mmap of the device ---- */

TEST_F(privcmd, mapping_holds_nothing_until_filled)
{
	void *p = map_device(self->fd, 2);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(SIGBUS, touch_signal(p));
	munmap(p, 2 * PAGE);
}

TEST_F(privcmd, mapping_cannot_be_split)
{
	char *p = map_device(self->fd, 3);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, munmap(p + PAGE, PAGE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, munmap(p, 3 * PAGE));
}

TEST_F(privcmd, mapping_cannot_grow)
{
	void *p = map_device(self->fd, 1);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, PAGE);
}

/* VM_DONTCOPY: a child has no mapping there at all. */
TEST_F(privcmd, mapping_is_not_inherited)
{
	void *p = map_device(self->fd, 1);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(touch_dies_with(p, SIGSEGV));
	munmap(p, PAGE);
}

/* ---- IOCTL_PRIVCMD_MMAP_RESOURCE ---- */

TEST_F(privcmd, resource_null_argument_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_MMAP_RESOURCE, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(privcmd, resource_address_and_count_go_together)
{
	void *p = map_device(self->fd, 1);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EINVAL, resource(self->fd, 0, XENMEM_resource_grant_table,
				    0, 0, 0, p, NULL));
	EXPECT_EQ(-EINVAL, resource(self->fd, 0, XENMEM_resource_grant_table,
				    0, 0, 1, NULL, NULL));
	munmap(p, PAGE);
}

TEST_F(privcmd, resource_of_another_domain_when_restricted_is_eperm)
{
	domid_t dom = 5;

	ASSERT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &dom));
	EXPECT_EQ(-EPERM, resource(self->fd, 6, XENMEM_resource_grant_table,
				   0, 0, 0, NULL, NULL));
}

TEST_F(privcmd, resource_on_the_stub_is_enosys)
{
	if (!on_stub())
		SKIP(return, "Xen has resources");
	EXPECT_EQ(-ENOSYS, resource(self->fd, 0, XENMEM_resource_grant_table,
				    0, 0, 0, NULL, NULL));
}

/* Xen: a domain cannot acquire its own resources. */
TEST_F(privcmd, resource_of_own_domain_is_eperm)
{
	XEN_ONLY(NO_FOREIGN_FRAMES);
	EXPECT_EQ(-EPERM, resource(self->fd, 0, XENMEM_resource_grant_table,
				   XENMEM_resource_grant_table_id_shared, 0, 0,
				   NULL, NULL));
}

TEST_F(privcmd, resource_of_missing_domain_is_esrch)
{
	XEN_ONLY(NO_FOREIGN_FRAMES);
	EXPECT_EQ(-ESRCH, resource(self->fd, NO_SUCH_DOMAIN,
				   XENMEM_resource_grant_table, 0, 0, 0, NULL,
				   NULL));
}

TEST_F(privcmd, resource_outside_privcmd_mapping_is_einval)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	XEN_ONLY(NO_FOREIGN_FRAMES);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EINVAL, resource(self->fd, 0, XENMEM_resource_grant_table,
				    0, 0, 1, p, NULL));
	munmap(p, PAGE);
}

/* The C driver maps past the end of the VMA instead. */
TEST_F(privcmd, resource_larger_than_mapping_is_einval)
{
	void *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	if (c_driver())
		SKIP(return, "the C driver does not check the VMA's end");
	p = map_device(self->fd, 1);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EINVAL, resource(self->fd, 0, XENMEM_resource_grant_table,
				    0, 0, 2, p, NULL));
	munmap(p, PAGE);
}

/* ---- IOCTL_PRIVCMD_MMAPBATCH and _V2 ---- */

TEST_F(privcmd, batch_null_arguments_are_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_MMAPBATCH_V2, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_MMAPBATCH, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(privcmd, batch_arrays_outside_user_space_are_efault)
{
	xen_pfn_t arr[1] = { 0 };
	int err[1];
	void *p = map_device(self->fd, 1);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EFAULT, batch_v2(self->fd, 0, p, arr, (int *)KERNEL_ADDR, 1));
	EXPECT_EQ(-EFAULT, batch_v1(self->fd, 0, p, (xen_pfn_t *)KERNEL_ADDR, 1));
	/* In user space but unreadable. */
	EXPECT_EQ(-EFAULT, batch_v2(self->fd, 0, p, NULL, err, 1));
	munmap(p, PAGE);
}

TEST_F(privcmd, batch_of_nothing_is_einval)
{
	xen_pfn_t arr[1] = { 0 };
	int err[1];
	void *p = map_device(self->fd, 1);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EINVAL, batch_v2(self->fd, 0, p, arr, err, 0));
	EXPECT_EQ(-EINVAL, batch_v1(self->fd, 0, p, arr, 0));
	munmap(p, PAGE);
}

TEST_F(privcmd, batch_for_another_domain_when_restricted_is_eperm)
{
	xen_pfn_t arr[1] = { 0 };
	int err[1];
	domid_t dom = 5;
	void *p = map_device(self->fd, 1);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &dom));
	EXPECT_EQ(-EPERM, batch_v2(self->fd, 6, p, arr, err, 1));
	EXPECT_EQ(-EPERM, batch_v1(self->fd, 6, p, arr, 1));
	munmap(p, PAGE);
}

TEST_F(privcmd, batch_on_the_stub_is_enosys)
{
	xen_pfn_t arr[1] = { 0 };
	int err[1];
	void *p;

	if (!on_stub())
		SKIP(return, "Xen has foreign frames");
	p = map_device(self->fd, 1);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-ENOSYS, batch_v2(self->fd, 0, p, arr, err, 1));
	munmap(p, PAGE);
}

TEST_F(privcmd, batch_outside_privcmd_mapping_is_einval)
{
	xen_pfn_t arr[1] = { 0 };
	int err[1];
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	XEN_ONLY(NO_FOREIGN_FRAMES);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EINVAL, batch_v2(self->fd, 0, p, arr, err, 1));
	munmap(p, PAGE);
}

/* The first batch of a mapping covers all of it. */
TEST_F(privcmd, first_batch_covers_whole_mapping)
{
	xen_pfn_t arr[2] = { 0, 0 };
	int err[2];
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	p = map_device(self->fd, 2);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EINVAL, batch_v2(self->fd, 0, p, arr, err, 1));
	EXPECT_EQ(-EINVAL, batch_v2(self->fd, 0, p + PAGE, arr, err, 1));
	munmap(p, 2 * PAGE);
}

/*
 * Frames that cannot be mapped are reported frame by frame: V2 in the
 * error array, V1 as an error bit in the frame number; the ioctl itself
 * succeeds.  A retry may only fill what is still unmapped: on a PV dom0
 * the failed frames left holes; an auto-translated (PVH) dom0 has put its
 * own lent frames there, so the range counts as mapped (EINVAL), with
 * either driver.
 */
TEST_F(privcmd, bad_frames_are_reported_per_frame)
{
	xen_pfn_t arr[2], bad = 0x7ffffffffULL;
	int err[2] = { 1, 1 };
	int pv = guest_type_is("PV");
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	p = map_device(self->fd, 2);
	ASSERT_NE(MAP_FAILED, p);
	arr[0] = arr[1] = bad;
	EXPECT_EQ(0, batch_v2(self->fd, NO_SUCH_DOMAIN, p, arr, err, 2));
	EXPECT_GT(0, err[0]);
	EXPECT_GT(0, err[1]);
	TH_LOG("per-frame error %d", err[0]);

	/* A retry into the holes. */
	err[0] = err[1] = 0;
	EXPECT_EQ(pv ? 0 : -EINVAL,
		  batch_v2(self->fd, NO_SUCH_DOMAIN, p + PAGE, arr, err, 1));
	if (pv)
		EXPECT_GT(0, err[0]);

	EXPECT_EQ(pv ? 0 : -EINVAL, batch_v1(self->fd, NO_SUCH_DOMAIN, p, arr, 2));
	if (pv) {
		EXPECT_EQ(bad | PRIVCMD_MMAPBATCH_MFN_ERROR, arr[0]);
		EXPECT_EQ(bad | PRIVCMD_MMAPBATCH_MFN_ERROR, arr[1]);
	}
	munmap(p, 2 * PAGE);
}

/*
 * A frame that Xen adds to dom0 for the test, mapped three ways (batch V2,
 * batch V1, range): a write through one mapping is read through the
 * others.  The frame is given back at the end.
 */
TEST_F(privcmd, batch_and_range_map_the_same_frame)
{
	xen_pfn_t mfn = 0, arr[1];
	privcmd_mmap_entry_t entry;
	privcmd_mmap_t range;
	unsigned char *v2, *v1, *rng;
	int err[1] = { 1 };

	PV_ONLY();
	ASSERT_EQ(1, reservation(self->fd, XENMEM_increase_reservation, &mfn))
		TH_LOG("no frame from Xen: %m");
	TH_LOG("frame %#llx", (unsigned long long)mfn);
	v2 = map_device(self->fd, 1);
	v1 = map_device(self->fd, 1);
	rng = map_device(self->fd, 1);
	ASSERT_NE(MAP_FAILED, v2);
	ASSERT_NE(MAP_FAILED, v1);
	ASSERT_NE(MAP_FAILED, rng);

	arr[0] = mfn;
	EXPECT_EQ(0, batch_v2(self->fd, DOMID_SELF, v2, arr, err, 1));
	EXPECT_EQ(0, err[0]);
	EXPECT_EQ(0, batch_v1(self->fd, DOMID_SELF, v1, arr, 1));
	EXPECT_EQ(mfn, arr[0]);
	entry.va = (uintptr_t)rng;
	entry.mfn = mfn;
	entry.npages = 1;
	range.num = 1;
	range.dom = DOMID_SELF;
	range.entry = &entry;
	EXPECT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_MMAP, &range)) TH_LOG("%m");

	memset(v2, 0x5a, PAGE);
	rng[100] = 0xa5;
	EXPECT_EQ(0x5a, v1[0]);
	EXPECT_EQ(0xa5, v1[100]);
	EXPECT_EQ(0xa5, v2[100]);
	EXPECT_EQ(0, memcmp(v1, rng, PAGE));

	/* A mapped frame is not mapped again. */
	EXPECT_EQ(-EINVAL, batch_v2(self->fd, DOMID_SELF, v2, arr, err, 1));
	/* Nor is a range mapping filled twice. */
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_MMAP, &range));
	EXPECT_EQ(EINVAL, errno);

	munmap(v2, PAGE);
	munmap(v1, PAGE);
	munmap(rng, PAGE);
	EXPECT_EQ(1, reservation(self->fd, XENMEM_decrease_reservation, &mfn));
}

/* ---- IOCTL_PRIVCMD_MMAP ---- */

TEST_F(privcmd, range_null_argument_is_efault_or_enosys)
{
	long want = (on_stub() || !guest_type_is("PV")) ? ENOSYS : EFAULT;

	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_MMAP, NULL));
	EXPECT_EQ(want, errno);
}

TEST_F(privcmd, range_of_nothing_is_nothing_to_do)
{
	privcmd_mmap_t range = { .num = 0, .dom = 0, .entry = NULL };

	PV_ONLY();
	EXPECT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_MMAP, &range));
}

TEST_F(privcmd, range_must_start_the_mapping)
{
	privcmd_mmap_entry_t entry = { .mfn = 0, .npages = 1 };
	privcmd_mmap_t range = { .num = 1, .dom = 0, .entry = &entry };
	char *p;

	PV_ONLY();
	p = map_device(self->fd, 2);
	ASSERT_NE(MAP_FAILED, p);
	entry.va = (uintptr_t)(p + PAGE);
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_MMAP, &range));
	EXPECT_EQ(EINVAL, errno);
	/* Past the mapping's end. */
	entry.va = (uintptr_t)p;
	entry.npages = 3;
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_MMAP, &range));
	EXPECT_EQ(EINVAL, errno);
	munmap(p, 2 * PAGE);
}


/* ---- hostile mappings: moved, forked, unaligned, huge ---- */

/* The device mapped at exactly addr (0: anywhere); MAP_FAILED if not. */
static void *map_device_at(int fd, unsigned long addr, size_t pages, int flags)
{
	void *p = mmap((void *)addr, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | flags | (addr ? MAP_FIXED_NOREPLACE : 0),
		       fd, 0);

	if (p != MAP_FAILED && addr && p != (void *)addr) {
		munmap(p, pages * PAGE);
		return MAP_FAILED;
	}
	return p;
}

/* A first batch of frames no domain has: claims the whole mapping. */
static long claim_with_bad_frames(int fd, void *p, unsigned int num)
{
	xen_pfn_t *arr = calloc(num, sizeof(*arr));
	int *err = calloc(num, sizeof(*err));
	unsigned int i;
	long ret;

	for (i = 0; i < num; i++)
		arr[i] = BAD_FRAME;
	ret = batch_v2(fd, NO_SUCH_DOMAIN, p, arr, err, num);
	for (i = 0; ret == 0 && i < num; i++)
		if (err[i] >= 0)
			ret = -EPROTO;
	free(arr);
	free(err);
	return ret;
}

/* MemTotal of /proc/meminfo, in KiB: lent balloon frames leave it. */
static long mem_total_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* A domain's grant frame mapped at p as a resource, a pattern written in. */
static long map_grant_frame(int fd, domid_t dom, char *p)
{
	long ret = resource(fd, dom, XENMEM_resource_grant_table,
			    XENMEM_resource_grant_table_id_shared, 0, 1, p, NULL);

	if (!ret)
		memset(p, 0x3c, PAGE);
	return ret;
}

/* Whether the pattern of map_grant_frame() is there at p. */
static int has_pattern(const char *p)
{
	size_t i;

	for (i = 0; i < PAGE; i++)
		if (p[i] != 0x3c)
			return 0;
	return 1;
}

/*
 * mremap moves a claimed mapping by copying its VMA and closing the old
 * one: the claim (a PVH dom0's lent frames) goes with it, the frames stay
 * mapped at the new address, and they are released once, when the moved
 * mapping goes.  Both ways of claiming: a batch (whose frames all fail),
 * and a resource whose frame shows the pattern written before the move.
 * The C driver (PVH dom0) releases the frames when the old VMA closes and
 * again when the moved one does.
 */
TEST_F(privcmd, claimed_mapping_moved_is_released_once)
{
	xen_pfn_t arr[2] = { BAD_FRAME, BAD_FRAME };
	char *p, *far, *q;
	int err[2], round;
	domid_t dom;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	if (c_driver() && !guest_type_is("PV"))
		SKIP(return, "the C driver releases a moved mapping's frames twice");
	dom = create_domain(self->fd, 0, 0);
	ASSERT_NE(0, dom) TH_LOG("no domain: %m");
	for (round = 0; round < 4; round++) {
		p = map_device(self->fd, 2);
		ASSERT_NE(MAP_FAILED, p);
		/* Somewhere else to move it to. */
		far = mmap(NULL, 4 * PAGE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, far);
		if (round % 2) {
			ASSERT_EQ(0, map_grant_frame(self->fd, dom, p + PAGE));
		} else {
			ASSERT_EQ(0, claim_with_bad_frames(self->fd, p, 2));
		}
		q = mremap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			   far + PAGE);
		ASSERT_EQ(far + PAGE, q) TH_LOG("mremap: %m");
		if (round % 2 && guest_type_is("PV")) {
			/*
			 * A PV dom0's moved mapping shows nothing, with either
			 * driver: the entries of foreign frames do not survive
			 * the move (seen; no report in the kernel log).
			 */
			EXPECT_EQ(SIGBUS, touch_signal(q + PAGE));
		} else if (round % 2) {
			EXPECT_TRUE(has_pattern(q + PAGE));
			EXPECT_EQ(SIGBUS, touch_signal(q));
			/* A second resource is refused where one is mapped. */
			EXPECT_EQ(-EINVAL, map_grant_frame(self->fd, dom, q));
		} else {
			/*
			 * Still claimed: a second batch only fills holes,
			 * which a PV dom0's failed frames left and a PVH
			 * dom0's lent frames fill.
			 */
			EXPECT_EQ(guest_type_is("PV") ? 0 : -EINVAL,
				  batch_v2(self->fd, NO_SUCH_DOMAIN, q, arr, err, 2));
		}
		EXPECT_EQ(0, munmap(q, 2 * PAGE));
		munmap(far, 4 * PAGE);
	}
	destroy_domain(self->fd, dom);
}

/*
 * fork() leaves a claimed mapping to the parent (VM_DONTCOPY, which
 * MADV_DOFORK cannot lift from a VM_IO mapping): the child has nothing
 * there, its munmap there takes nothing away, and the parent's mapping
 * still shows the frame it mapped.
 */
TEST_F(privcmd, claimed_mapping_stays_with_the_parent)
{
	int status;
	domid_t dom;
	char *p;
	pid_t pid;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	dom = create_domain(self->fd, 0, 0);
	ASSERT_NE(0, dom) TH_LOG("no domain: %m");
	p = map_device(self->fd, 1);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, madvise(p, PAGE, MADV_DOFORK));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, map_grant_frame(self->fd, dom, p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(touch_signal(p) == SIGSEGV && !munmap(p, PAGE) ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_TRUE(has_pattern(p));
	EXPECT_EQ(0, munmap(p, PAGE));
	destroy_domain(self->fd, dom);
}

/* A claimed mapping cannot be split: by munmap, mremap or a mapping over it. */
TEST_F(privcmd, claimed_mapping_cannot_be_split)
{
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	p = map_device(self->fd, 3);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, claim_with_bad_frames(self->fd, p, 3));
	EXPECT_EQ(-1, munmap(p + PAGE, PAGE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(p + PAGE, PAGE, PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	EXPECT_EQ(MAP_FAILED, mremap(p, PAGE, PAGE,
				     MREMAP_MAYMOVE | MREMAP_FIXED, p + 8 * PAGE));
	EXPECT_EQ(0, munmap(p, 3 * PAGE));
}

/*
 * A resource at an address inside a page is EINVAL, before any page-table
 * walk; page-aligned, it maps where it was asked to, past the mapping's
 * first page too.  The C driver (PVH dom0) walks from the unaligned
 * address, which over a 2 MiB boundary writes page-table entries past the
 * end of a page table.
 */
TEST_F(privcmd, resource_at_unaligned_address_is_einval)
{
	unsigned long at[] = { PMD_BOUNDARY - PAGE, PUD_BOUNDARY - PAGE };
	xen_pfn_t arr[1] = { BAD_FRAME };
	int err[1], i;
	domid_t dom;
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	if (c_driver())
		SKIP(return, "the C driver walks page tables from inside a page");
	dom = create_domain(self->fd, 0, 0);
	ASSERT_NE(0, dom) TH_LOG("no domain: %m");
	for (i = 0; i < 2; i++) {
		p = map_device_at(self->fd, at[i], 2, 0);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap at %#lx: %m", at[i]);
		EXPECT_EQ(-EINVAL, resource(self->fd, dom,
					    XENMEM_resource_grant_table,
					    XENMEM_resource_grant_table_id_shared,
					    0, 1, p + 16, NULL));
		EXPECT_EQ(-EINVAL, resource(self->fd, dom,
					    XENMEM_resource_grant_table,
					    XENMEM_resource_grant_table_id_shared,
					    0, 1, p + PAGE - 1, NULL));
		EXPECT_EQ(0, resource(self->fd, dom, XENMEM_resource_grant_table,
				      XENMEM_resource_grant_table_id_shared,
				      0, 1, p + PAGE, NULL));
		EXPECT_EQ(SIGBUS, touch_signal(p));
		EXPECT_EQ(0, touch_signal(p + PAGE));
		/*
		 * A batch into the page before: a PV dom0 maps (here fails)
		 * frame by frame; a PVH dom0 has no frame lent for it, EINVAL.
		 */
		EXPECT_EQ(guest_type_is("PV") ? 0 : -EINVAL,
			  batch_v2(self->fd, NO_SUCH_DOMAIN, p, arr, err, 1));
		munmap(p, 2 * PAGE);
	}
	destroy_domain(self->fd, dom);
}

/*
 * Batches over 2 MiB and 1 GiB boundaries: page-aligned, they map frame
 * by frame; a retry from an address inside a page is EINVAL (the C driver
 * walks the page tables from there to look for holes).
 */
TEST_F(privcmd, batch_across_table_boundaries)
{
	unsigned long at[] = { PMD_BOUNDARY - PAGE, PUD_BOUNDARY - PAGE };
	xen_pfn_t arr[2] = { BAD_FRAME, BAD_FRAME };
	int err[2], i;
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	for (i = 0; i < 2; i++) {
		p = map_device_at(self->fd, at[i], 3, 0);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap at %#lx: %m", at[i]);
		EXPECT_EQ(0, claim_with_bad_frames(self->fd, p, 3));
		/* A retry over the boundary, into the holes a PV dom0 has. */
		EXPECT_EQ(guest_type_is("PV") ? 0 : -EINVAL,
			  batch_v2(self->fd, NO_SUCH_DOMAIN, p, arr, err, 2));
		if (!c_driver())
			EXPECT_EQ(-EINVAL, batch_v2(self->fd, NO_SUCH_DOMAIN,
						    p + 16, arr, err, 2));
		munmap(p, 3 * PAGE);
	}
}

/*
 * A resource of one frame in mappings of 1 page, 2^18 pages and 1 TiB: a
 * PVH dom0 lends one frame for it whatever the mapping's size (MemTotal
 * drops by what the balloon lends), and munmap undoes what was mapped.
 * The C driver lends one frame too, but its munmap (PVH dom0) gives back
 * as many frames as the mapping has pages, read past the end of its array
 * of one.
 */
TEST_F(privcmd, resource_costs_what_it_maps_whatever_the_mapping)
{
	unsigned long pages[] = { 1, 1UL << 18, TIB_PAGES };
	long before, during;
	domid_t dom;
	char *p;
	int i;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	if (c_driver() && !guest_type_is("PV"))
		SKIP(return, "the C driver's munmap reads past its array of frames");
	dom = create_domain(self->fd, 0, 0);
	ASSERT_NE(0, dom) TH_LOG("no domain: %m");
	for (i = 0; i < 3; i++) {
		p = map_device_at(self->fd, 0, pages[i], MAP_NORESERVE);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap of %lu pages: %m", pages[i]);
		before = mem_total_kib();
		EXPECT_EQ(0, resource(self->fd, dom, XENMEM_resource_grant_table,
				      XENMEM_resource_grant_table_id_shared,
				      0, 1, p, NULL));
		during = mem_total_kib();
		TH_LOG("%lu pages: MemTotal %ld KiB lower while mapped",
		       pages[i], before - during);
		EXPECT_GE(64, before - during);
		EXPECT_EQ(0, touch_signal(p));
		EXPECT_EQ(0, munmap(p, pages[i] * PAGE));
	}
	destroy_domain(self->fd, dom);
}

/*
 * Counts at the limits, in a 1 TiB mapping: 2^28 frames need a 2 GiB
 * array (ENOMEM, without the allocator's warning); 2^32 - 1 frames do not
 * fit (EINVAL; the C driver does not check the mapping's end).
 */
TEST_F(privcmd, resource_counts_at_the_limits)
{
	domid_t dom;
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	if (c_driver())
		SKIP(return, "the C driver does not check the VMA's end");
	dom = create_domain(self->fd, 0, 0);
	ASSERT_NE(0, dom) TH_LOG("no domain: %m");
	p = map_device_at(self->fd, 0, TIB_PAGES, MAP_NORESERVE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-ENOMEM, resource(self->fd, dom, XENMEM_resource_grant_table,
				    XENMEM_resource_grant_table_id_shared, 0,
				    TIB_PAGES, p, NULL));
	EXPECT_EQ(-EINVAL, resource(self->fd, dom, XENMEM_resource_grant_table,
				    XENMEM_resource_grant_table_id_shared, 0,
				    0xffffffffUL, p, NULL));
	EXPECT_EQ(0, munmap(p, TIB_PAGES * PAGE));
	destroy_domain(self->fd, dom);
}

/* A batch of 2^32 - 1 frames whose array ends after a page: EFAULT. */
TEST_F(privcmd, batch_of_the_largest_count_is_efault_past_its_array)
{
	xen_pfn_t *arr;
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	p = map_device(self->fd, 1);
	arr = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, arr);
	munmap((char *)arr + PAGE, PAGE);
	EXPECT_EQ(-EFAULT, batch_v1(self->fd, NO_SUCH_DOMAIN, p, arr, -1));
	munmap(arr, PAGE);
	munmap(p, PAGE);
}

/*
 * Frames are mapped only into a mapping that can be accessed: into a
 * PROT_NONE one they would be entries Xen does not check (a PV dom0), and
 * made accessible later Xen refuses them (WARNING in xen_mc_flush, and a
 * touch faults for ever, with either driver before this one's check).
 * Nor can a PV dom0's filled mapping be made PROT_NONE.
 */
TEST_F(privcmd, mapping_without_access_takes_no_frames)
{
	xen_pfn_t arr[1] = { BAD_FRAME };
	int err[1];
	char *p;

	XEN_ONLY(NO_FOREIGN_FRAMES);
	if (c_driver())
		SKIP(return, "the C driver maps frames into a PROT_NONE mapping (PV: Xen refuses them when made accessible, a WARNING)");
	p = map_device(self->fd, 1);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p, PAGE, PROT_NONE));
	EXPECT_EQ(-EINVAL, batch_v2(self->fd, NO_SUCH_DOMAIN, p, arr, err, 1));
	EXPECT_EQ(-EINVAL, batch_v1(self->fd, NO_SUCH_DOMAIN, p, arr, 1));
	EXPECT_EQ(-EINVAL, resource(self->fd, NO_SUCH_DOMAIN,
				    XENMEM_resource_grant_table, 0, 0, 1, p, NULL));
	ASSERT_EQ(0, mprotect(p, PAGE, PROT_READ));
	EXPECT_EQ(0, claim_with_bad_frames(self->fd, p, 1));
	if (guest_type_is("PV")) {
		EXPECT_EQ(-1, mprotect(p, PAGE, PROT_NONE));
		EXPECT_EQ(EINVAL, errno);
	} else {
		EXPECT_EQ(0, mprotect(p, PAGE, PROT_NONE));
	}
	EXPECT_EQ(0, munmap(p, PAGE));
}

TEST_HARNESS_MAIN
