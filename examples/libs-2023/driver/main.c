/*

Copyright (C) 2023 The Falco Authors.

This file is dual licensed under either the MIT or GPL 2. See MIT.txt
or GPL.txt for full copies of the license.

*/

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/tracepoint.h>

#include "driver_config.h"
#include "ppm_events.h"

static int __init scap_init(void)
{
	pr_info("driver loading, " DRIVER_NAME " " DRIVER_VERSION "\n");
	return ppm_events_init();
}

static void __exit scap_exit(void)
{
	ppm_events_cleanup();
}

module_init(scap_init);
module_exit(scap_exit);
MODULE_VERSION(DRIVER_VERSION);
MODULE_AUTHOR("the Falco authors");
MODULE_LICENSE("GPL");
