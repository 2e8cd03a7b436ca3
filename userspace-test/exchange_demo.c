// SPDX-License-Identifier: GPL-2.0
/*
 * One XENMEM_exchange, as libxc issues it, traced hop by hop.
 *
 * This program prints the userspace side: the structures it fills and the
 * privcmd_hypercall it hands to ioctl().  With the driver and the stub
 * loaded with trace=1, the kernel prints the rest in between: the struct
 * the driver copied in, the hypercall page entry it called, the registers
 * the stub received, the handler its table chose and every guest address
 * the handler read or wrote.
 */
#include <stdio.h>
#include <string.h>

#include "privcmd_test.h"

int main(void)
{
	xen_pfn_t in[2] = { 0x10, 0x11 }, out[1] = { 0x40000 };
	struct xen_memory_exchange exch;
	privcmd_hypercall_t call;
	long ret;
	int fd;

	printf("exchange_demo: give up guest frames 0x10 and 0x11 for one "
	       "machine-contiguous 8 KiB extent at gfn 0x40000\n");
	fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(PRIVCMD_PATH);
		return 1;
	}

	memset(&exch, 0, sizeof(exch));
	set_xen_guest_handle(exch.in.extent_start, in);
	exch.in.nr_extents = 2;
	exch.in.extent_order = 0;
	exch.in.domid = DOMID_SELF;
	set_xen_guest_handle(exch.out.extent_start, out);
	exch.out.nr_extents = 1;
	exch.out.extent_order = 1;
	exch.out.domid = DOMID_SELF;

	printf("[1 user] xen_memory_exchange_t at %p: in {%p, 2 x order 0}, "
	       "out {%p, 1 x order 1}, nr_exchanged 0\n",
	       (void *)&exch, (void *)in, (void *)out);
	call.op = __HYPERVISOR_memory_op;
	call.arg[0] = XENMEM_exchange;
	call.arg[1] = (uintptr_t)&exch;
	call.arg[2] = call.arg[3] = call.arg[4] = 0;
	printf("[1 user] ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, {op = %llu "
	       "(__HYPERVISOR_memory_op), arg[0] = %llu (XENMEM_exchange), "
	       "arg[1] = %#llx})\n",
	       (unsigned long long)call.op, (unsigned long long)call.arg[0],
	       (unsigned long long)call.arg[1]);
	fflush(stdout);

	ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
	/* Let the kernel's console print its part of the path first. */
	usleep(300 * 1000);

	printf("[6 user] ioctl returned %ld (errno %d); nr_exchanged = %llu\n",
	       ret, ret < 0 ? errno : 0,
	       (unsigned long long)exch.nr_exchanged);

	close(fd);
	return ret == 0 && exch.nr_exchanged == 2 ? 0 : 1;
}
