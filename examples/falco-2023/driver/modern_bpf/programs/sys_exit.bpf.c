// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2023 The Falco Authors.
 *
 * This file is dual licensed under either the MIT or GPL 2. See MIT.txt
 * or GPL.txt for full copies of the license.
 */

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 512);
	__type(key, u32);
	__type(value, u32);
} syscall_exit_tail_table SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	u32 syscall_id = (u32)bpf_get_current_task_btf()->thread_info.syscall_work;

	bpf_tail_call(ctx, &syscall_exit_tail_table, syscall_id);
	return 0;
}
