// SPDX-License-Identifier: Apache-2.0
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

#include "tinydir.h"

int sinsp_count_files(const char *path)
{
	tinydir_dir dir;
	int n = 0;
	tinydir_open(&dir, path);
	while (dir.has_next) {
		n++;
		tinydir_next(&dir);
	}
	tinydir_close(&dir);
	return n;
}
