// SPDX-License-Identifier: GPL-2.0
/*
 * The one call of domain.rs that Rust cannot make directly: without
 * CONFIG_SECURITY, security_locked_down() is an inline function.
 */
#include <linux/security.h>

int rust_privcmd_xen_user_actions_locked_down(void);

/* Whether the kernel's lockdown forbids Xen user actions (non-zero if so). */
int rust_privcmd_xen_user_actions_locked_down(void)
{
	return security_locked_down(LOCKDOWN_XEN_USER_ACTIONS);
}
