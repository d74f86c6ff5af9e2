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

#include <cstdlib>
#include <fstream>

#include "falco_engine.h"

falco_engine::falco_engine(bool seed_rng)
	: m_sampling_ratio(1)
{
	if(seed_rng)
	{
		srandom((unsigned) getpid());
	}
}

falco_engine::~falco_engine() = default;

std::unique_ptr<load_result> falco_engine::load_rules(const std::string &rules_content, const std::string &name)
{
	rule_loader::configuration cfg(rules_content, name);
	rule_loader::reader reader;
	return reader.read(cfg);
}

void falco_engine::enable_rule(const std::string &substring, bool enabled)
{
	for(const auto &rule : m_rule_names)
	{
		if(rule.find(substring) != std::string::npos && !enabled)
		{
			m_sampling_ratio = 0;
		}
	}
}

std::size_t falco_engine::num_rules_for_ruleset(const std::string &ruleset)
{
	return ruleset.empty() ? 0 : m_rule_names.size();
}
