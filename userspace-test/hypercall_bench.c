// SPDX-License-Identifier: GPL-2.0
/*
 * Round trip of IOCTL_PRIVCMD_HYPERCALL(xen_version) against a direct
 * in-kernel call of the same hypercall page entry, in one boot.
 *
 * The ioctl side is timed here.  The in-kernel side is timed by the driver
 * itself when loaded with bench_calls=N: it calls hypercall_page[17] N
 * times at load and logs the time; this program reloads the driver for
 * each run and reads that line from the kernel log.  Each side is measured
 * RUNS times and its median printed, then the ratio.
 *
 * In a Xen dom0 whose initramfs holds Linux's C driver (/modules/
 * xen-privcmd.ko), each run also swaps the drivers (unload ours, load the
 * C one, time the same ioctl, swap back), and the C-versus-Rust ratio is
 * printed too.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <time.h>

#include "privcmd_test.h"

#define CALLS 20000
#define RUNS 7

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static double ioctl_run(void)
{
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	double t0, t1;
	int i;

	if (fd < 0)
		return -1;
	t0 = now_ns();
	for (i = 0; i < CALLS; i++)
		if (privcmd_hypercall(fd, __HYPERVISOR_xen_version, 0, 0, 0, 0, 0) < 0)
			return -1;
	t1 = now_ns();
	close(fd);
	return (t1 - t0) / CALLS;
}

/* The same ioctl over Linux's C driver, loaded in place of ours. */
static double c_driver_run(void)
{
	double ns;

	if (unload_module("rust_privcmd") || load_module("xen-privcmd", ""))
		return -1;
	ns = ioctl_run();
	if (unload_module("xen_privcmd") || load_module("rust_privcmd", ""))
		return -1;
	return ns;
}

/* Reloads the driver with bench_calls=CALLS; returns the logged ns/call. */
static double kernel_run(int run)
{
	static char log[1 << 20];
	char params[64], tag[64], *p;
	unsigned long long calls, ns;
	int n;

	if (unload_module("rust_privcmd"))
		return -1;
	snprintf(params, sizeof(params), "bench_calls=%d bench_tag=%d", CALLS, run);
	if (load_module("rust_privcmd", params))
		return -1;
	n = klogctl(3, log, sizeof(log) - 1);
	if (n < 0)
		return -1;
	log[n] = '\0';
	snprintf(tag, sizeof(tag), "bench %d:", run);
	p = strstr(log, tag);
	if (!p || sscanf(p + strlen(tag), " %llu calls in %llu ns", &calls, &ns) != 2)
		return -1;
	return (double)ns / calls;
}

int main(void)
{
	double user[RUNS], kern[RUNS], cdrv[RUNS], u, k, c;
	int compare = access("/modules/xen-privcmd.ko", F_OK) == 0;
	int i;

	for (i = 0; i < RUNS; i++) {
		user[i] = ioctl_run();
		kern[i] = kernel_run(i);
		cdrv[i] = compare ? c_driver_run() : 0;
		if (user[i] < 0 || kern[i] < 0 || cdrv[i] < 0) {
			fprintf(stderr, "hypercall_bench: run %d failed\n", i);
			return 1;
		}
	}
	u = median(user, RUNS);
	k = median(kern, RUNS);
	printf("# hypercall round trip, xen_version(XENVER_version), %d calls x %d runs, medians\n",
	       CALLS, RUNS);
	printf("ioctl(IOCTL_PRIVCMD_HYPERCALL):      %8.1f ns/call\n", u);
	printf("in-kernel call of hypercall_page[17]: %8.1f ns/call\n", k);
	printf("ratio ioctl / in-kernel:             %8.2f\n", u / k);
	if (compare) {
		c = median(cdrv, RUNS);
		printf("ioctl over Linux's C privcmd:        %8.1f ns/call\n", c);
		printf("ratio Rust driver / C driver:        %8.2f\n", u / c);
	}
	return 0;
}
