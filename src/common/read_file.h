// Reading a whole file a user named, with a clear error: a missing or unreadable file names the cause the system
// gives, and a folder given in place of a file says so (instead of a stream's "basic_filebuf::underflow").
#pragma once

#include <string>

namespace cimtrain::common {

// The bytes of `path`. `what` names the file in errors ("chip config file"): "cannot read WHAT 'PATH': CAUSE",
// "WHAT 'PATH' is a folder, expected a file". Throws common::ConfigError (a user's input is wrong).
std::string read_file(const std::string& path, const std::string& what);

}  // namespace cimtrain::common
