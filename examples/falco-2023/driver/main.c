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

#define PPM_DEVICE_NAME "falco"

static unsigned int max_consumers = 5;
module_param(max_consumers, uint, 0444);
MODULE_PARM_DESC(max_consumers, "Maximum number of consumers that can simultaneously open the devices");

static int __init driver_init(void)
{
	pr_info("driver loading, " PPM_DEVICE_NAME " " DRIVER_VERSION "\n");
	return ppm_events_init(max_consumers);
}

static void __exit driver_exit(void)
{
	ppm_events_cleanup();
	pr_info("driver unloading\n");
}

module_init(driver_init);
module_exit(driver_exit);
MODULE_VERSION(DRIVER_VERSION);
MODULE_INFO(build_commit, DRIVER_COMMIT);
MODULE_INFO(api_version, PPM_API_CURRENT_VERSION_STRING);
MODULE_INFO(schema_version, PPM_SCHEMA_CURRENT_VERSION_STRING);
MODULE_AUTHOR("the Falco authors");
MODULE_LICENSE("GPL");
