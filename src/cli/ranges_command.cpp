// `cimtrain ranges` (see ranges_command.h): collects each numeric flag's declared range from the commands as
// registered and prints the table; a numeric flag without a declared range is an error (a test runs this).
#include "cli/ranges_command.h"

#include <fmt/core.h>

#include <stdexcept>

#include "cli/ranged_option.h"
#include "common/declared_ranges.h"

namespace cimtrain::cli {

namespace {

bool is_numeric(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  for (const char* kind : {"INT", "UINT", "FLOAT"})
    if (type.rfind(kind, 0) == 0) return true;
  return false;
}

// Adds the ranged flags of `command` and its subcommands ("experiment table2 --levels") to `uses`; the numeric
// flags without a range to `missing`.
void collect(const CLI::App& command, const std::string& path, std::vector<common::ranges::RangeUses>& uses,
             std::vector<std::string>& missing) {
  for (const CLI::Option* option : command.get_options()) {
    if (!is_numeric(*option)) continue;
    const std::string flag = (path.empty() ? "" : path + " ") + option->get_name();
    const auto found = declared_range_of().find(option);
    if (found == declared_range_of().end())
      missing.push_back(flag);
    else
      uses.push_back({found->second, {flag}});
  }
  for (const CLI::App* sub : command.get_subcommands({}))
    collect(*sub, (path.empty() ? "" : path + " ") + sub->get_name(), uses, missing);
}

}  // namespace

void add_ranges_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("ranges", "The range of every numeric flag, as a Markdown table (docs/options.md)");
  cmd->callback([&app]() {
    std::vector<common::ranges::RangeUses> uses;
    std::vector<std::string> missing;
    collect(app, "", uses, missing);
    if (!missing.empty()) {
      std::string list;
      for (const auto& f : missing) list += (list.empty() ? "" : ", ") + f;
      throw std::logic_error("numeric flags without a declared range (common/declared_ranges.h): " + list);
    }
    fmt::print("{}", common::ranges::ranges_markdown(uses));
  });
}

}  // namespace cimtrain::cli
