// Flags bound to typed option fields: a choice (common/choice.h), whose name is parsed into the enum as the flag
// is read (an unknown name is refused with the valid ones: common::ConfigError, exit status 2), and an optional
// value, "not set" (std::nullopt) unless the flag is given.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "common/choice.h"

namespace cimtrain::cli {

// The choice named `name` for `flag`; the error names the flag.
template <class E>
E parse_flag_choice(const std::string& flag, const std::string& name) {
  try {
    return common::parse_choice<E>(name);
  } catch (const common::ConfigError& e) {
    const std::string message = e.what();
    throw common::ConfigError(message.rfind(flag, 0) == 0 ? message : flag + ": " + message);
  }
}

template <class E>
CLI::Option* add_choice_option(CLI::App* cmd, const std::string& flag, E& target, const std::string& help) {
  return cmd->add_option_function<std::string>(
      flag, [&target, flag](const std::string& name) { target = parse_flag_choice<E>(flag, name); },
      help + ": " + common::choice_list<E>() + " (default " + common::to_name(target) + ")");
}

template <class E>
CLI::Option* add_choice_option(CLI::App* cmd, const std::string& flag, std::optional<E>& target,
                               const std::string& help) {
  return cmd->add_option_function<std::string>(
      flag, [&target, flag](const std::string& name) { target = parse_flag_choice<E>(flag, name); },
      help + ": " + common::choice_list<E>());
}

template <class T>
CLI::Option* add_optional_option(CLI::App* cmd, const std::string& flag, std::optional<T>& target,
                                 const std::string& help) {
  return cmd->add_option_function<T>(
      flag, [&target](const T& value) { target = value; }, help);
}

}  // namespace cimtrain::cli
