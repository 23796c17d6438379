// The plain-words reading of `cimtrain experiment table2`'s results, generated from the numbers (so that it is
// regenerated with them): per model, where the STE's difference from clean training and from each other method
// has a 95% interval that excludes zero, over the chip instances and over the training seeds, and where it does
// not, and whether the reference paper's claim (the STE beats clean training at every level, by +1.43 to +5.30
// points on CIFAR-10) holds here.
#pragma once

#include <string>
#include <vector>

#include "experiments/table2.h"

namespace cimtrain::experiments {

// The summary's "Reading" section; "" when no model has an STE entry.
std::string reading_section(const Table2Options& o, const std::vector<Table2Entry>& entries);

}  // namespace cimtrain::experiments
