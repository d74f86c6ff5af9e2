/*

Copyright (C) 2023 The Falco Authors.

This file is dual licensed under either the MIT or GPL 2. See MIT.txt
or GPL.txt for full copies of the license.

*/

#include <linux/kernel.h>

#include "ppm_events.h"

int f_sys_generic(struct event_filler_arguments *args)
{
	return val_to_ring(args, args->syscall_id, sizeof(u64));
}
