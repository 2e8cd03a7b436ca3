// SPDX-License-Identifier: GPL-2.0
/*
 * IOCTL_PRIVCMD_HYPERCALL end to end: the ioctl, the hypercall page, the
 * hypervisor's handlers and its guest-memory accesses.
 *
 * Expectations follow Xen's public headers and Xen 4.17's hypervisor
 * (xen/common/kernel.c, memory.c, drivers/char/console.c).  Tests whose
 * subject is the stub's own model of dom0's memory (XENMEM_exchange of
 * dom0's frames, the size of the modelled machine) or that pass kernel
 * addresses to the hypervisor are named stub_*: on real Xen they would
 * change or read dom0's real memory.
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

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

static int nul_terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

/* ---- the ioctl argument itself ---- */

TEST_F(privcmd, ioctl_arg_null_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_HYPERCALL, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(privcmd, ioctl_arg_unmapped_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_HYPERCALL, unmapped()));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(privcmd, ioctl_arg_kernel_address_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_HYPERCALL, KERNEL_ADDR));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(privcmd, ioctl_arg_straddling_unmapped_page_is_efault)
{
	privcmd_hypercall_t *call = straddle(sizeof(*call) - 8);

	ASSERT_NE(NULL, call);
	memset(call, 0, sizeof(*call) - 8);
	call->op = __HYPERVISOR_xen_version;
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_HYPERCALL, call));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(privcmd, ioctl_arg_misaligned_works)
{
	char buf[sizeof(privcmd_hypercall_t) + 1];
	privcmd_hypercall_t call = { .op = __HYPERVISOR_xen_version };

	memcpy(buf + 1, &call, sizeof(call));
	EXPECT_EQ((4 << 16) | 17,
		  ioctl(self->fd, IOCTL_PRIVCMD_HYPERCALL, buf + 1));
}

/* ---- hypercall numbers ---- */

/* What Xen answers for a number beyond its table, and so the C driver. */
TEST_F(privcmd, op_beyond_hypercall_page_is_enosys)
{
	static const uint64_t ops[] = {
		HYPERCALL_PAGE_ENTRIES, HYPERCALL_PAGE_ENTRIES + 1, 4096,
		0xffffffffULL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_EQ(-ENOSYS, hcall(self->fd, ops[i], 0, 0, 0))
			TH_LOG("op %#llx", (unsigned long long)ops[i]);
}

/*
 * The C driver passes the number on as 32 bits: 1 << 32 would become
 * hypercall 0, set_trap_table(NULL), which resets dom0's trap table.
 */
TEST_F(privcmd, op_beyond_32_bits_is_enosys)
{
	static const uint64_t ops[] = { 1ULL << 32, (1ULL << 32) + 17, ~0ULL };
	unsigned int i;

	if (c_driver())
		SKIP(return, "the C driver truncates the number to 32 bits");
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_EQ(-ENOSYS, hcall(self->fd, ops[i], 0, 0, 0))
			TH_LOG("op %#llx", (unsigned long long)ops[i]);
}

TEST_F(privcmd, op_without_handler_is_enosys)
{
	/* Unused numbers in Xen's table, and page entries beyond the table. */
	static const uint64_t ops[] = { 11, 44, 63, 64, 100, 127 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		EXPECT_EQ(-ENOSYS, hcall(self->fd, ops[i], 0, 0, 0))
			TH_LOG("op %llu", (unsigned long long)ops[i]);
}

TEST_F(privcmd, iret_entry_is_enosys)
{
	if (c_driver())
		SKIP(return, "the C driver passes iret on to Xen, which would return to the caller's stack");
	EXPECT_EQ(-ENOSYS, hcall(self->fd, __HYPERVISOR_iret, 0, 0, 0));
}

TEST_F(privcmd, restricted_file_refuses_hypercalls)
{
	domid_t dom = 1, other = 2;

	ASSERT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &dom));
	EXPECT_EQ(-EPERM, hcall(self->fd, __HYPERVISOR_xen_version, 0, 0, 0));
	EXPECT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &dom));
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &other));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* ---- xen_version ---- */

TEST_F(privcmd, xen_version_version_is_4_17)
{
	long v = hcall(self->fd, __HYPERVISOR_xen_version, XENVER_version, 0, 0);

	EXPECT_EQ(4, v >> 16);
	EXPECT_EQ(17, v & 0xffff);
}

TEST_F(privcmd, xen_version_cmd_is_an_int)
{
	/* do_xen_version(int cmd, ...): bits above 32 are not part of cmd. */
	EXPECT_EQ((4 << 16) | 17,
		  hcall(self->fd, __HYPERVISOR_xen_version, 1ULL << 32, 0, 0));
}

TEST_F(privcmd, xen_version_strings_are_nul_terminated)
{
	xen_extraversion_t extra;
	xen_compile_info_t info;
	xen_capabilities_info_t caps;
	xen_changeset_info_t changeset;

	memset(extra, 0xaa, sizeof(extra));
	memset(&info, 0xaa, sizeof(info));
	memset(caps, 0xaa, sizeof(caps));
	memset(changeset, 0xaa, sizeof(changeset));
	ASSERT_EQ(0, hcall(self->fd, __HYPERVISOR_xen_version,
			   XENVER_extraversion, (uintptr_t)extra, 0));
	ASSERT_EQ(0, hcall(self->fd, __HYPERVISOR_xen_version,
			   XENVER_compile_info, (uintptr_t)&info, 0));
	ASSERT_EQ(0, hcall(self->fd, __HYPERVISOR_xen_version,
			   XENVER_capabilities, (uintptr_t)caps, 0));
	ASSERT_EQ(0, hcall(self->fd, __HYPERVISOR_xen_version,
			   XENVER_changeset, (uintptr_t)changeset, 0));
	EXPECT_TRUE(nul_terminated(extra, sizeof(extra)));
	EXPECT_TRUE(nul_terminated(info.compiler, sizeof(info.compiler)));
	EXPECT_TRUE(nul_terminated(info.compile_by, sizeof(info.compile_by)));
	EXPECT_TRUE(nul_terminated(info.compile_domain,
				   sizeof(info.compile_domain)));
	EXPECT_TRUE(nul_terminated(info.compile_date, sizeof(info.compile_date)));
	EXPECT_TRUE(nul_terminated(caps, sizeof(caps)));
	EXPECT_NE(NULL, strstr(caps, "x86_64"));
	EXPECT_TRUE(nul_terminated(changeset, sizeof(changeset)));
	TH_LOG("Xen 4.17%s, \"%s\", caps \"%s\", changeset \"%s\"",
	       extra, info.compiler, caps, changeset);
}

TEST_F(privcmd, xen_version_get_features)
{
	xen_feature_info_t fi = { .submap_idx = 0, .submap = 0xdeadbeef };

	ASSERT_EQ(0, hcall(self->fd, __HYPERVISOR_xen_version,
			   XENVER_get_features, (uintptr_t)&fi, 0));
	EXPECT_EQ(0, fi.submap_idx);
	EXPECT_NE(0xdeadbeef, fi.submap);
	/* The hypervisor tells a dom0 that it is one. */
	EXPECT_TRUE(fi.submap & (1U << XENFEAT_dom0));

	fi.submap_idx = XENFEAT_NR_SUBMAPS;
	EXPECT_EQ(-EINVAL, hcall(self->fd, __HYPERVISOR_xen_version,
				 XENVER_get_features, (uintptr_t)&fi, 0));
}

TEST_F(privcmd, xen_version_pagesize)
{
	char buf[8];

	EXPECT_EQ(4096, hcall(self->fd, __HYPERVISOR_xen_version,
			      XENVER_pagesize, 0, 0));
	/* The argument must be NULL. */
	EXPECT_EQ(-EINVAL, hcall(self->fd, __HYPERVISOR_xen_version,
				 XENVER_pagesize, (uintptr_t)buf, 0));
}

TEST_F(privcmd, xen_version_guest_handle_of_dom0)
{
	xen_domain_handle_t handle;
	unsigned int i;

	memset(handle, 0xaa, sizeof(handle));
	ASSERT_EQ(0, hcall(self->fd, __HYPERVISOR_xen_version,
			   XENVER_guest_handle, (uintptr_t)handle, 0));
	for (i = 0; i < sizeof(handle); i++)
		EXPECT_EQ(0, handle[i]);
}

TEST_F(privcmd, xen_version_unknown_cmd_is_enosys)
{
	EXPECT_EQ(-ENOSYS, hcall(self->fd, __HYPERVISOR_xen_version, 1000, 0, 0));
	EXPECT_EQ(-ENOSYS, hcall(self->fd, __HYPERVISOR_xen_version, -1, 0, 0));
}

TEST_F(privcmd, xen_version_bad_buffers_are_efault)
{
	const uint64_t cmds[] = { XENVER_extraversion, XENVER_compile_info,
				  XENVER_capabilities, XENVER_changeset,
				  XENVER_get_features, XENVER_guest_handle };
	const uint64_t addrs[] = { 0, (uintptr_t)unmapped() };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (j = 0; j < ARRAY_SIZE(addrs); j++) {
			uint64_t cmd = cmds[i], addr = addrs[j];

			EXPECT_EQ(-EFAULT,
				  hcall(self->fd, __HYPERVISOR_xen_version,
					cmd, addr, 0))
				TH_LOG("cmd %llu at %#llx",
				       (unsigned long long)cmd,
				       (unsigned long long)addr);
		}
	}
}

TEST_F(privcmd, xen_version_straddling_buffer_is_efault)
{
	xen_compile_info_t *info = straddle(sizeof(*info) - 16);

	ASSERT_NE(NULL, info);
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_xen_version,
				 XENVER_compile_info, (uintptr_t)info, 0));
}

TEST_F(privcmd, xen_version_misaligned_buffer_works)
{
	char buf[sizeof(xen_feature_info_t) + 3];
	xen_feature_info_t fi = { 0 };

	memcpy(buf + 3, &fi, sizeof(fi));
	EXPECT_EQ(0, hcall(self->fd, __HYPERVISOR_xen_version,
			   XENVER_get_features, (uintptr_t)(buf + 3), 0));
	memcpy(&fi, buf + 3, sizeof(fi));
	EXPECT_TRUE(fi.submap & (1U << XENFEAT_dom0));
}

TEST_F(privcmd, stub_xen_version_kernel_buffer_is_efault)
{
	STUB_ONLY();

	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_xen_version,
				 XENVER_compile_info, KERNEL_ADDR, 0));
}

/* ---- memory_op: the simple sub-ops ---- */

TEST_F(privcmd, memory_op_maximum_ram_page)
{
	EXPECT_LT(0, hcall(self->fd, __HYPERVISOR_memory_op,
			   XENMEM_maximum_ram_page, 0, 0));
	/* A continuation's start extent is not accepted by this sub-op. */
	EXPECT_EQ(-EINVAL, hcall(self->fd, __HYPERVISOR_memory_op,
				 XENMEM_maximum_ram_page | (1 << MEMOP_EXTENT_SHIFT),
				 0, 0));
}

TEST_F(privcmd, memory_op_reservations_of_dom0)
{
	domid_t self_id = DOMID_SELF, zero = 0;
	long cur, max, cur0, gpfn;

	cur = hcall(self->fd, __HYPERVISOR_memory_op,
		    XENMEM_current_reservation, (uintptr_t)&self_id, 0);
	cur0 = hcall(self->fd, __HYPERVISOR_memory_op,
		     XENMEM_current_reservation, (uintptr_t)&zero, 0);
	max = hcall(self->fd, __HYPERVISOR_memory_op,
		    XENMEM_maximum_reservation, (uintptr_t)&self_id, 0);
	gpfn = hcall(self->fd, __HYPERVISOR_memory_op,
		     XENMEM_maximum_gpfn, (uintptr_t)&self_id, 0);
	EXPECT_LT(0, cur);
	EXPECT_EQ(cur, cur0);
	EXPECT_LE(cur, max);
	EXPECT_LE(cur - 1, gpfn);
	TH_LOG("dom0: %ld pages, max %ld, max gpfn %#lx", cur, max, gpfn);
}

TEST_F(privcmd, memory_op_reservation_errors)
{
	domid_t nodom = 4321;

	EXPECT_EQ(-ESRCH, hcall(self->fd, __HYPERVISOR_memory_op,
				XENMEM_current_reservation, (uintptr_t)&nodom, 0));
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_memory_op,
				 XENMEM_current_reservation, 0, 0));
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_memory_op,
				 XENMEM_maximum_reservation,
				 (uintptr_t)unmapped(), 0));
}

TEST_F(privcmd, memory_op_unknown_cmd_is_enosys)
{
	EXPECT_EQ(-ENOSYS, hcall(self->fd, __HYPERVISOR_memory_op, 63, 0, 0));
}

/* ---- memory_op: XENMEM_exchange on the stub's model of dom0 ---- */

static long exchange(int fd, struct xen_memory_exchange *exch)
{
	return hcall(fd, __HYPERVISOR_memory_op, XENMEM_exchange,
		     (uintptr_t)exch, 0);
}

static void setup_exchange(struct xen_memory_exchange *exch,
			   xen_pfn_t *in, unsigned long nr_in,
			   unsigned int in_order, xen_pfn_t *out,
			   unsigned long nr_out, unsigned int out_order)
{
	memset(exch, 0, sizeof(*exch));
	set_xen_guest_handle(exch->in.extent_start, in);
	exch->in.nr_extents = nr_in;
	exch->in.extent_order = in_order;
	exch->in.domid = DOMID_SELF;
	set_xen_guest_handle(exch->out.extent_start, out);
	exch->out.nr_extents = nr_out;
	exch->out.extent_order = out_order;
	exch->out.domid = DOMID_SELF;
}

static long max_gpfn(int fd)
{
	domid_t self_id = DOMID_SELF;

	return hcall(fd, __HYPERVISOR_memory_op, XENMEM_maximum_gpfn,
		     (uintptr_t)&self_id, 0);
}

static long tot_pages(int fd)
{
	domid_t self_id = DOMID_SELF;

	return hcall(fd, __HYPERVISOR_memory_op, XENMEM_current_reservation,
		     (uintptr_t)&self_id, 0);
}

TEST_F(privcmd, stub_exchange_two_frames_for_one_order1_extent)
{
	xen_pfn_t in[2] = { 100, 101 }, out[1] = { 0x80000 };
	struct xen_memory_exchange exch;
	long pages = tot_pages(self->fd);

	STUB_ONLY();

	setup_exchange(&exch, in, 2, 0, out, 1, 1);
	ASSERT_EQ(0, exchange(self->fd, &exch));
	EXPECT_EQ(2, exch.nr_exchanged);
	/* Exchange keeps the domain's size; the new extent is mapped. */
	EXPECT_EQ(pages, tot_pages(self->fd));
	EXPECT_EQ(0x80001, max_gpfn(self->fd));

	/* gfn 100 left the domain: it cannot be given up again. */
	setup_exchange(&exch, in, 1, 0, out, 1, 0);
	EXPECT_EQ(-EINVAL, exchange(self->fd, &exch));
	EXPECT_EQ(0, exch.nr_exchanged);

	/* Give the order-1 extent back for two frames at the old gfns. */
	setup_exchange(&exch, out, 1, 1, in, 2, 0);
	ASSERT_EQ(0, exchange(self->fd, &exch));
	EXPECT_EQ(1, exch.nr_exchanged);
	EXPECT_GT(0x80000, max_gpfn(self->fd));
}

TEST_F(privcmd, stub_exchange_partial_progress_and_resume)
{
	xen_pfn_t in[3] = { 200, 201, 0xfff00 }, out[3] = { 0x81000, 0x81001,
							     0x81002 };
	struct xen_memory_exchange exch;

	STUB_ONLY();

	/* The third input frame is not populated: two are exchanged. */
	setup_exchange(&exch, in, 3, 0, out, 3, 0);
	EXPECT_EQ(-EINVAL, exchange(self->fd, &exch));
	EXPECT_EQ(2, exch.nr_exchanged);

	/* Resume from nr_exchanged with a populated third frame. */
	in[2] = 202;
	EXPECT_EQ(0, exchange(self->fd, &exch));
	EXPECT_EQ(3, exch.nr_exchanged);

	/* 200..202 are gone, 0x81000..0x81002 are there: swap back. */
	setup_exchange(&exch, out, 3, 0, in, 3, 0);
	in[0] = 200;
	in[1] = 201;
	EXPECT_EQ(0, exchange(self->fd, &exch));
	EXPECT_EQ(3, exch.nr_exchanged);
}

TEST_F(privcmd, stub_exchange_sanity_checks_are_einval)
{
	xen_pfn_t in[4] = { 300, 301, 302, 303 }, out[4] = { 0x82000 };
	struct xen_memory_exchange exch;

	STUB_ONLY();

	/* 3 frames in, 2 out. */
	setup_exchange(&exch, in, 3, 0, out, 1, 1);
	EXPECT_EQ(-EINVAL, exchange(self->fd, &exch));
	/* Input and output domains differ. */
	setup_exchange(&exch, in, 2, 0, out, 1, 1);
	exch.out.domid = 0;
	EXPECT_EQ(-EINVAL, exchange(self->fd, &exch));
	/* nr_exchanged beyond nr_extents. */
	setup_exchange(&exch, in, 2, 0, out, 1, 1);
	exch.nr_exchanged = 3;
	EXPECT_EQ(-EINVAL, exchange(self->fd, &exch));
	EXPECT_EQ(3, exch.nr_exchanged);
	/* List sizes that overflow a long. */
	setup_exchange(&exch, in, 1UL << 63, 1, out, 1UL << 63, 1);
	EXPECT_EQ(-EINVAL, exchange(self->fd, &exch));
	/* A continuation's start extent is not accepted by XENMEM_exchange. */
	setup_exchange(&exch, in, 2, 0, out, 1, 1);
	EXPECT_EQ(-EINVAL, hcall(self->fd, __HYPERVISOR_memory_op,
				 XENMEM_exchange | (1 << MEMOP_EXTENT_SHIFT),
				 (uintptr_t)&exch, 0));
	/* Nothing was exchanged by any of these. */
	setup_exchange(&exch, in, 4, 0, out, 1, 2);
	EXPECT_EQ(0, exchange(self->fd, &exch));
	setup_exchange(&exch, out, 1, 2, in, 4, 0);
	EXPECT_EQ(0, exchange(self->fd, &exch));
}

TEST_F(privcmd, stub_exchange_order_above_max_is_eperm)
{
	xen_pfn_t in[1] = { 0 }, out[1] = { 0 };
	struct xen_memory_exchange exch;

	STUB_ONLY();

	setup_exchange(&exch, in, 1, 13, out, 1, 13);
	EXPECT_EQ(-EPERM, exchange(self->fd, &exch));
	EXPECT_EQ(0, exch.nr_exchanged);
}

TEST_F(privcmd, stub_exchange_unknown_domain_is_esrch)
{
	xen_pfn_t in[1] = { 400 }, out[1] = { 0x83000 };
	struct xen_memory_exchange exch;

	STUB_ONLY();

	setup_exchange(&exch, in, 1, 0, out, 1, 0);
	exch.in.domid = exch.out.domid = 77;
	EXPECT_EQ(-ESRCH, exchange(self->fd, &exch));
}

TEST_F(privcmd, stub_exchange_bad_handles_are_efault)
{
	xen_pfn_t in[1] = { 500 }, out[1] = { 0x84000 };
	struct xen_memory_exchange exch, *edge;

	STUB_ONLY();

	/* The structure itself. */
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_memory_op,
				 XENMEM_exchange, 0, 0));
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_memory_op,
				 XENMEM_exchange, (uintptr_t)unmapped(), 0));
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_memory_op,
				 XENMEM_exchange, KERNEL_ADDR, 0));
	edge = straddle(offsetof(struct xen_memory_exchange, nr_exchanged));
	ASSERT_NE(NULL, edge);
	EXPECT_EQ(-EFAULT, exchange(self->fd, edge));

	/* The input list: NULL, unmapped, a kernel address. */
	setup_exchange(&exch, NULL, 1, 0, out, 1, 0);
	EXPECT_EQ(-EFAULT, exchange(self->fd, &exch));
	EXPECT_EQ(0, exch.nr_exchanged);
	setup_exchange(&exch, unmapped(), 1, 0, out, 1, 0);
	EXPECT_EQ(-EFAULT, exchange(self->fd, &exch));
	setup_exchange(&exch, (xen_pfn_t *)KERNEL_ADDR, 1, 0, out, 1, 0);
	EXPECT_EQ(-EFAULT, exchange(self->fd, &exch));
	EXPECT_EQ(0, exch.nr_exchanged);

	/* A list that runs into an unmapped page after one entry. */
	xen_pfn_t *two = straddle(sizeof(xen_pfn_t));
	xen_pfn_t out2[2] = { 0x84000, 0x84001 };

	ASSERT_NE(NULL, two);
	two[0] = 500;
	setup_exchange(&exch, two, 2, 0, out2, 2, 0);
	EXPECT_EQ(-EFAULT, exchange(self->fd, &exch));
	EXPECT_EQ(1, exch.nr_exchanged);
	/* Undo the one exchanged frame. */
	setup_exchange(&exch, out2, 1, 0, in, 1, 0);
	EXPECT_EQ(0, exchange(self->fd, &exch));
}

TEST_F(privcmd, stub_exchange_misaligned_structure_works)
{
	xen_pfn_t in[1] = { 600 }, out[1] = { 0x85000 };
	char buf[sizeof(struct xen_memory_exchange) + 1];
	struct xen_memory_exchange exch;

	STUB_ONLY();

	setup_exchange(&exch, in, 1, 0, out, 1, 0);
	memcpy(buf + 1, &exch, sizeof(exch));
	EXPECT_EQ(0, hcall(self->fd, __HYPERVISOR_memory_op, XENMEM_exchange,
			   (uintptr_t)(buf + 1), 0));
	memcpy(&exch, buf + 1, sizeof(exch));
	EXPECT_EQ(1, exch.nr_exchanged);
	setup_exchange(&exch, out, 1, 0, in, 1, 0);
	EXPECT_EQ(0, exchange(self->fd, &exch));
}

TEST_F(privcmd, stub_exchange_below_address_limit)
{
	xen_pfn_t in[1] = { 0x1000 }, more[1] = { 0x1100 };
	xen_pfn_t out[1] = { 0x86000 }, out2[1] = { 0x86100 };
	struct xen_memory_exchange exch;

	STUB_ONLY();

	/* Machine memory below 16 MiB exists in the model. */
	setup_exchange(&exch, in, 1, 8, out, 1, 8);
	exch.out.mem_flags = XENMEMF_address_bits(24);
	EXPECT_EQ(0, exchange(self->fd, &exch));
	setup_exchange(&exch, out, 1, 8, in, 1, 8);
	EXPECT_EQ(0, exchange(self->fd, &exch));

	/*
	 * Below 2^21 bytes the heap has the 256 frames of the second MiB
	 * (x86 Xen keeps the first MiB out of its heap): one order-8 extent
	 * fits, a second one does not.
	 */
	setup_exchange(&exch, in, 1, 8, out, 1, 8);
	exch.out.mem_flags = XENMEMF_address_bits(21);
	EXPECT_EQ(0, exchange(self->fd, &exch));
	setup_exchange(&exch, more, 1, 8, out2, 1, 8);
	exch.out.mem_flags = XENMEMF_address_bits(21);
	EXPECT_EQ(-ENOMEM, exchange(self->fd, &exch));
	EXPECT_EQ(0, exch.nr_exchanged);
	setup_exchange(&exch, out, 1, 8, in, 1, 8);
	EXPECT_EQ(0, exchange(self->fd, &exch));
}

/*
 * Xen allocates the output below the limit from its heap zones
 * (bits_to_zone(): any limit of 1 to 12 bits is zone 1, frames 0 and 1),
 * and x86 Xen keeps the first MiB of machine memory out of its heap, so a
 * limit of 1 to 20 bits finds no frame: -ENOMEM, nothing exchanged.  The
 * stub used to compute "bits - PAGE_SHIFT" and, below 12 bits, panicked
 * on the overflow with its domain lock held.
 */
TEST_F(privcmd, stub_exchange_address_bits_below_the_heap_are_enomem)
{
	xen_pfn_t in[1] = { 800 }, out[1] = { 0x87000 };
	struct xen_memory_exchange exch;
	long pages = tot_pages(self->fd);
	unsigned int bits;

	STUB_ONLY();

	for (bits = 1; bits <= 20; bits++) {
		setup_exchange(&exch, in, 1, 0, out, 1, 0);
		exch.out.mem_flags = XENMEMF_address_bits(bits);
		EXPECT_EQ(-ENOMEM, exchange(self->fd, &exch))
			TH_LOG("%u address bits", bits);
		EXPECT_EQ(0, exch.nr_exchanged);
	}
	EXPECT_EQ(pages, tot_pages(self->fd));
	/* The input frame is still dom0's: without a limit it goes. */
	setup_exchange(&exch, in, 1, 0, out, 1, 0);
	EXPECT_EQ(0, exchange(self->fd, &exch));
	setup_exchange(&exch, out, 1, 0, in, 1, 0);
	EXPECT_EQ(0, exchange(self->fd, &exch));
}

static volatile sig_atomic_t signals;

static void count_signal(int sig)
{
	signals++;
}

/* Counts signal sig from now on; flags: SA_RESTART or 0. */
static void count_signals(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = count_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	signals = 0;
}

/* SIGALRM every usec microseconds, 0 to stop. */
static void alarm_every(long usec)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = usec },
		.it_value = { .tv_usec = usec },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A list of n extents of gfn 0, never written: read from the zero page,
 * it costs no memory.  Exchanging it for itself gives up gfn 0 and maps a
 * new frame there, n times over.
 */
static xen_pfn_t *gfn0_list(unsigned long n)
{
	void *p = mmap(NULL, n * sizeof(xen_pfn_t), PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct long_exchange {
	int fd;
	struct xen_memory_exchange exch;
	long ret;
};

static void *long_exchange(void *arg)
{
	struct long_exchange *l = arg;

	l->ret = exchange(l->fd, &l->exch);
	return NULL;
}

/*
 * 2^40 extents would keep the stub busy for days.  Xen preempts the
 * exchange between chunks (a continuation that resumes from
 * nr_exchanged); the stub does the same and lets go of its domain lock
 * there, so other hypercalls are served meanwhile, and a signal ends the
 * call with nr_exchanged written back: -EINTR when the handler does not
 * ask for SA_RESTART.
 */
TEST_F(privcmd, stub_exchange_of_2p40_extents_is_interruptible)
{
	const unsigned long n = 1UL << 40;
	struct long_exchange l = { .fd = self->fd };
	long pages = tot_pages(self->fd);
	xen_pfn_t *list = gfn0_list(n);
	double start;
	pthread_t t;
	int i;

	STUB_ONLY();

	ASSERT_NE(NULL, list);
	setup_exchange(&l.exch, list, n, 0, list, n, 0);
	count_signals(SIGUSR1, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, long_exchange, &l));
	usleep(200 * 1000);

	/* The stub answers meanwhile, also what takes its domain lock. */
	start = seconds();
	EXPECT_EQ((4 << 16) | 17, hcall(self->fd, __HYPERVISOR_xen_version,
				       XENVER_version, 0, 0));
	EXPECT_EQ(pages, tot_pages(self->fd));
	EXPECT_GT(1.0, seconds() - start);

	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
		usleep(20 * 1000);
		if (!pthread_tryjoin_np(t, NULL))
			break;
	}
	ASSERT_GT(100, i) TH_LOG("the exchange ignores signals");
	EXPECT_EQ(-EINTR, l.ret);
	EXPECT_LT(0, l.exch.nr_exchanged);
	EXPECT_GT(n, l.exch.nr_exchanged);
	TH_LOG("%llu extents exchanged before the signal",
	       (unsigned long long)l.exch.nr_exchanged);
	EXPECT_EQ(pages, tot_pages(self->fd));
	munmap(list, n * sizeof(*list));
}

/*
 * With SA_RESTART the interrupted exchange is restarted by the kernel and
 * resumes from nr_exchanged, as Xen's continuation does: the caller sees
 * one call that succeeds.
 */
TEST_F(privcmd, stub_exchange_resumes_after_a_restarting_signal)
{
	const unsigned long n = 1UL << 12;
	struct xen_memory_exchange exch;
	long pages = tot_pages(self->fd);
	xen_pfn_t *list = gfn0_list(n);
	long ret;

	STUB_ONLY();

	ASSERT_NE(NULL, list);
	setup_exchange(&exch, list, n, 0, list, n, 0);
	count_signals(SIGALRM, SA_RESTART);
	alarm_every(5000);
	ret = exchange(self->fd, &exch);
	alarm_every(0);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(n, exch.nr_exchanged);
	EXPECT_EQ(pages, tot_pages(self->fd));
	TH_LOG("%d signals during the call", signals);
	munmap(list, n * sizeof(*list));
}

struct worker {
	int fd;
	int id;
	int failures;
};

/* Each thread moves its own frame back and forth, with xen_version between. */
static void *exchange_worker(void *arg)
{
	struct worker *w = arg;
	xen_pfn_t a = 1000 + w->id, b = 0x90000 + w->id;
	struct xen_memory_exchange exch;
	int i;

	for (i = 0; i < 200; i++) {
		setup_exchange(&exch, &a, 1, 0, &b, 1, 0);
		if (exchange(w->fd, &exch) != 0 || exch.nr_exchanged != 1)
			w->failures++;
		setup_exchange(&exch, &b, 1, 0, &a, 1, 0);
		if (exchange(w->fd, &exch) != 0 || exch.nr_exchanged != 1)
			w->failures++;
		if (hcall(w->fd, __HYPERVISOR_xen_version, 0, 0, 0) !=
		    ((4 << 16) | 17))
			w->failures++;
	}
	return NULL;
}

TEST_F(privcmd, stub_eight_threads_at_once)
{
	struct worker w[8];
	pthread_t t[8];
	int i;

	STUB_ONLY();

	for (i = 0; i < 8; i++) {
		w[i] = (struct worker){ .fd = self->fd, .id = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, exchange_worker, &w[i]));
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, w[i].failures) TH_LOG("thread %d", i);
	}
}

/* ---- console_io ---- */

TEST_F(privcmd, console_io_write_reaches_the_console)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "privcmd console test %ld\n",
		 (long)time(NULL) ^ (long)getpid());
	ASSERT_EQ(0, hcall(self->fd, __HYPERVISOR_console_io, CONSOLEIO_write,
			   strlen(msg), (uintptr_t)msg));
	msg[strlen(msg) - 1] = '\0';
	/* The stub's console is the kernel log; Xen's is its own ring. */
	if (on_stub())
		EXPECT_TRUE(kernel_log_count(msg));
}

TEST_F(privcmd, console_io_long_and_empty_writes)
{
	char big[1000];

	memset(big, 'x', sizeof(big));
	EXPECT_EQ(0, hcall(self->fd, __HYPERVISOR_console_io, CONSOLEIO_write,
			   sizeof(big), (uintptr_t)big));
	EXPECT_EQ(0, hcall(self->fd, __HYPERVISOR_console_io, CONSOLEIO_write,
			   0, 0));
}

TEST_F(privcmd, console_io_bad_buffer_is_efault)
{
	char *edge = straddle(10);

	ASSERT_NE(NULL, edge);
	memset(edge, 'y', 10);
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_console_io,
				 CONSOLEIO_write, 5, 0));
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_console_io,
				 CONSOLEIO_write, 5, (uintptr_t)unmapped()));
	EXPECT_EQ(-EFAULT, hcall(self->fd, __HYPERVISOR_console_io,
				 CONSOLEIO_write, 20, (uintptr_t)edge));
}

TEST_F(privcmd, console_io_unknown_cmd_is_enosys)
{
	EXPECT_EQ(-ENOSYS, hcall(self->fd, __HYPERVISOR_console_io, 1000, 0, 0));
}

/* What one CONSOLEIO_write of the stub may put into the kernel log. */
#define STUB_LOG_BUDGET 16384

/* Fills len bytes at buf with 64-byte lines that start with tag. */
static void tagged_lines(char *buf, size_t len, const char *tag)
{
	size_t i;

	for (i = 0; i + 64 <= len; i += 64) {
		memset(buf + i, '.', 63);
		memcpy(buf + i, tag, strlen(tag));
		buf[i + 63] = '\n';
	}
}

/*
 * Xen writes the hardware domain's output in chunks of 127 bytes and
 * keeps a 16 KiB ring of it; the stub's console is the kernel log, which
 * one call may not flood: 16 KiB of it is logged, then one line that says
 * how much was left out.
 */
TEST_F(privcmd, stub_console_io_write_is_bounded_in_the_log)
{
	const size_t len = 256 * 1024;
	char *buf = malloc(len), tag[32];
	int lines;

	STUB_ONLY();

	ASSERT_NE(NULL, buf);
	snprintf(tag, sizeof(tag), "flood%lx:", (long)time(NULL) ^ getpid());
	tagged_lines(buf, len, tag);
	EXPECT_EQ(0, hcall(self->fd, __HYPERVISOR_console_io, CONSOLEIO_write,
			   len, (uintptr_t)buf));
	lines = kernel_log_count(tag);
	/*
	 * At most the lines that start in the first 16 KiB; where a chunk
	 * boundary cuts a tag, that line is not counted.
	 */
	EXPECT_GE(STUB_LOG_BUDGET / 64 + 1, lines);
	EXPECT_LE(STUB_LOG_BUDGET / 128, lines);
	EXPECT_LE(1, kernel_log_count("bytes not logged"));
	free(buf);
}

/*
 * A write of 4 GiB - 1 bytes (count is 32 bits), from a region that costs
 * nothing: Xen preempts it between chunks; the stub ends it on a signal,
 * with -EINTR, and logs no more than its budget.
 */
TEST_F(privcmd, stub_console_io_4gib_write_is_interruptible)
{
	const size_t len = 0xffffffffUL;
	char *buf, tag[32];
	double start;

	STUB_ONLY();

	buf = mmap(NULL, len, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mprotect(buf, 65536, PROT_READ | PROT_WRITE));
	snprintf(tag, sizeof(tag), "huge%lx:", (long)time(NULL) ^ getpid());
	tagged_lines(buf, 65536, tag);

	count_signals(SIGALRM, 0);
	alarm_every(200 * 1000);
	start = seconds();
	EXPECT_EQ(-EINTR, hcall(self->fd, __HYPERVISOR_console_io,
				CONSOLEIO_write, len, (uintptr_t)buf));
	alarm_every(0);
	EXPECT_GT(5.0, seconds() - start);
	EXPECT_LT(0, signals);
	EXPECT_GE(STUB_LOG_BUDGET / 64 + 1, kernel_log_count(tag));
	/* The console still works. */
	EXPECT_EQ(0, hcall(self->fd, __HYPERVISOR_console_io, CONSOLEIO_write,
			   3, (uintptr_t)"ok\n"));
	munmap(buf, len);
}

TEST_HARNESS_MAIN
