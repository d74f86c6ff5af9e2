/*

Copyright (C) 2023 The Falco Authors.

This file is dual licensed under either the MIT or GPL 2. See MIT.txt
or GPL.txt for full copies of the license.

*/

#include <linux/kernel.h>
#include <linux/uaccess.h>

#include "ppm_events.h"

static unsigned int consumers;

int ppm_events_init(unsigned int max_consumers)
{
	consumers = max_consumers;
	return 0;
}

void ppm_events_cleanup(void)
{
	consumers = 0;
}

int val_to_ring(struct event_filler_arguments *args, u64 val, u32 val_len)
{
	if (unlikely(args->arg_data_size < val_len))
		return PPM_FAILURE_BUFFER_FULL;
	memcpy(args->buffer + args->arg_data_offset, &val, val_len);
	args->arg_data_offset += val_len;
	args->arg_data_size -= val_len;
	return PPM_SUCCESS;
}
