// Reading the trainer's CSV files back (report/csv_columns.h): chosen columns, short rows, clear errors, and the
// centred moving average the loss plots draw.
#include <gtest/gtest.h>

#include <fstream>

#include "report/csv_columns.h"
#include "test_support.h"

namespace {

using cimtrain::report::moving_average;
using cimtrain::report::read_csv_columns;

TEST(CsvColumns, ReadsTheChosenColumnsAndShortRowsAsZero) {
  const auto dir = cimtrain::testing_support::fresh_dir("cimtrain_csv_columns");
  std::ofstream(dir + "/a.csv") << "step,loss,extra\n1,2.5,7\n2,1.5\n\n3,0.5,9\n";
  const auto c = read_csv_columns(dir + "/a.csv", {0, 2});
  EXPECT_EQ(c[0], (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(c[1], (std::vector<double>{7, 0, 9}));
  std::ofstream(dir + "/bad.csv") << "step,loss\n1,fast\n";
  try {
    read_csv_columns(dir + "/bad.csv", {1});
    FAIL() << "a word in a number column must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2: column 2 is not a number ('fast')"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_csv_columns(dir + "/missing.csv", {0}), std::runtime_error);
}

TEST(CsvColumns, MovingAverageShrinksItsWindowAtTheEnds) {
  const auto m = moving_average({1, 2, 3, 4, 10}, 1);
  const std::vector<double> want = {1.5, 2, 3, 17.0 / 3, 7};
  ASSERT_EQ(m.size(), want.size());
  for (size_t i = 0; i < m.size(); ++i) EXPECT_DOUBLE_EQ(m[i], want[i]) << i;
  EXPECT_TRUE(moving_average({}, 3).empty());
}

}  // namespace
