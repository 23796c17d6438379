// Writing a file atomically and durably: a reader sees the old file or the new one, never half of one, and a
// write that fails (a full disk, a read-only or unwritable folder) is an error naming the file and the cause,
// with the temporary removed and the previous version intact.
#pragma once

#include <string>
#include <string_view>

namespace cimtrain::common {

// Writes `bytes` (text or binary) to `path`: a temporary file in the same folder (unique to this process),
// written, flushed and fsync'ed, renamed over `path`, then the folder fsync'ed. Creates the folder when missing.
// Throws std::runtime_error "cannot write 'PATH': CAUSE" (the system's message, e.g. "No space left on device").
void write_file(const std::string& path, std::string_view bytes);

// Throws the same error when a file could not be created in `dir` now (probed with a temporary file that is
// removed): for commands to check their output folder before any work. Creates the folder when missing.
void check_writable_folder(const std::string& dir);

// For a file a user named (`flag` FILE, e.g. --json-out): its folder must exist (no folders are made for it)
// and be writable now; throws common::ConfigError naming the flag and the file otherwise.
void check_output_file(const std::string& path, const std::string& flag);

}  // namespace cimtrain::common
