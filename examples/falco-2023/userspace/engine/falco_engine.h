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

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rule_loader.h"

//
// This class acts as the primary interface between a program and the
// falco rules engine.
//
class falco_engine
{
public:
	explicit falco_engine(bool seed_rng = true);
	virtual ~falco_engine();

	// Load rules from a yaml string; returns the loader result.
	std::unique_ptr<load_result> load_rules(const std::string &rules_content, const std::string &name);

	// Enable or disable rules whose name contains the substring.
	void enable_rule(const std::string &substring, bool enabled);

	std::size_t num_rules_for_ruleset(const std::string &ruleset);

private:
	std::vector<std::string> m_rule_names;
	uint64_t m_sampling_ratio;
};
