/*
Copyright (C) 2023 The Falco Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

#include <iostream>

#include "app/app.h"
#include "logger.h"

static void display_fatal_err(const std::string &msg)
{
	falco_logger::log(LOG_ERR, msg);
}

//
// ARGH! Command line parsing and engine start happen in app::run.
//
int main(int argc, char **argv)
{
	bool restart = false;
	std::string errstr;
	int rc;

	do
	{
		rc = falco::app::run(argc, argv, restart, errstr) ? EXIT_SUCCESS : EXIT_FAILURE;
		if(!errstr.empty())
		{
			display_fatal_err("Runtime error: " + errstr + ". Exiting.\n");
		}
	} while(restart);

	return rc;
}
