// Declared numeric ranges: the bounds (closed and half-open), whole numbers, non-finite values and the text of a
// flag's value (empty, not a number, overflowing) are checked as documented, and every declared range is sane.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/declared_ranges.h"
#include "common/errors.h"

namespace {

using cimtrain::common::NumericRange;
using cimtrain::common::range_text;
using cimtrain::common::range_violation;
using cimtrain::common::text_range_violation;

const NumericRange kCount{"count", 1, 100, true, "images", "test"};
const NumericRange kRate{"rate", 0, 10, false, "", "test", true};

TEST(NumericRange, TheTextShowsTheBoundsAndTheUnit) {
  EXPECT_EQ(range_text(kCount), "[1, 100] images");
  EXPECT_EQ(range_text(kRate), "(0, 10]");
  EXPECT_EQ(range_text(cimtrain::common::ranges::kTimeSinceProgramming), "[0, 3.2e+09] s");
}

TEST(NumericRange, ValuesAreCheckedAgainstBothBoundsAndTheirKind) {
  EXPECT_FALSE(range_violation(kCount, 1));
  EXPECT_FALSE(range_violation(kCount, 100));
  EXPECT_EQ(range_violation(kCount, 0).value_or(""), "must be a whole number in [1, 100] images, found 0");
  EXPECT_EQ(range_violation(kCount, 101).value_or(""), "must be a whole number in [1, 100] images, found 101");
  EXPECT_EQ(range_violation(kCount, 2.5).value_or(""), "must be a whole number in [1, 100] images, found 2.5");
  EXPECT_TRUE(range_violation(kRate, 0));  // the lower bound is excluded
  EXPECT_FALSE(range_violation(kRate, 1e-9));
  EXPECT_FALSE(range_violation(kRate, 10));
  EXPECT_TRUE(range_violation(kRate, std::nan("")));
  EXPECT_TRUE(range_violation(kRate, std::numeric_limits<double>::infinity()));
  EXPECT_THROW(cimtrain::common::require_in_range(kRate, -1, "--rate"), cimtrain::common::ConfigError);
}

TEST(NumericRange, AFlagsTextMustBeANumberInTheRange) {
  EXPECT_FALSE(text_range_violation(kCount, "42"));
  EXPECT_FALSE(text_range_violation(kRate, "2.5e-1"));
  EXPECT_EQ(text_range_violation(kCount, "").value_or(""), "expected a whole number in [1, 100] images, found ''");
  EXPECT_EQ(text_range_violation(kCount, "12abc").value_or(""),
            "expected a whole number in [1, 100] images, found '12abc'");
  EXPECT_NE(text_range_violation(kRate, "1e999").value_or("").find("beyond any number"), std::string::npos);
  EXPECT_TRUE(text_range_violation(kRate, "nan"));
  EXPECT_TRUE(text_range_violation(kCount, "2147483648"));
}

TEST(DeclaredRanges, EveryRangeIsNamedOrderedAndNonEmpty) {
  for (const NumericRange* r : cimtrain::common::ranges::all()) {
    EXPECT_TRUE(*r->name && *r->meaning) << r->name;
    EXPECT_LT(r->min, r->max) << r->name;
    EXPECT_TRUE(std::isfinite(r->min) && std::isfinite(r->max)) << r->name;
    if (r->integer) {
      EXPECT_LE(r->max, 9007199254740992.0) << r->name << ": above 2^53 a double skips integers";
    }
  }
}

}  // namespace
