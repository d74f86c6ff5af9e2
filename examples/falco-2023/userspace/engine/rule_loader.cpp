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

#include <yaml-cpp/yaml.h>

#include "rule_loader.h"

std::unique_ptr<load_result> rule_loader::reader::read(configuration &cfg)
{
	std::vector<YAML::Node> docs = YAML::LoadAll(cfg.content);
	auto res = std::make_unique<load_result>(cfg.name);
	for(const auto &doc : docs)
	{
		if(!doc.IsSequence())
		{
			res->add_error("rules content is not a sequence", cfg.name);
		}
	}
	return res;
}
