// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright (C) 2023 The Falco Authors.
 *
 * This file is dual licensed under either the MIT or GPL 2. See MIT.txt
 * or GPL.txt for full copies of the license.
 */

#pragma once

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

static __always_inline u32 extract__task_xid_tgid(struct task_struct *task)
{
	return BPF_CORE_READ(task, tgid);
}
