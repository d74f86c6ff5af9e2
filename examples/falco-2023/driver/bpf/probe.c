/*

Copyright (C) 2023 The Falco Authors.

This file is dual licensed under either the MIT or GPL 2. See MIT.txt
or GPL.txt for full copies of the license.

*/

#include <generated/utsrelease.h>
#include <uapi/linux/bpf.h>
#include <linux/sched.h>

#include "../driver_config.h"
#include "../ppm_events_public.h"
#include "bpf_helpers.h"
#include "types.h"
#include "maps.h"

#define __bpf_section(NAME) __attribute__((section(NAME), used))

__bpf_section("raw_tracepoint/sys_enter")
int bpf_sys_enter(struct sys_enter_args *ctx)
{
	struct scap_bpf_settings *settings;

	settings = get_bpf_settings();
	if (!settings || !settings->capture_enabled)
		return 0;
	return record_syscall_enter(ctx, settings);
}

__bpf_section("raw_tracepoint/sys_exit")
int bpf_sys_exit(struct sys_exit_args *ctx)
{
	struct scap_bpf_settings *settings;

	settings = get_bpf_settings();
	if (!settings || !settings->capture_enabled)
		return 0;
	return record_syscall_exit(ctx, settings);
}

char kernel_ver[] __bpf_section("kernel_version") = UTS_RELEASE;

char __license[] __bpf_section("license") = "GPL";

char probe_ver[] __bpf_section("probe_version") = DRIVER_VERSION;
