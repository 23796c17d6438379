// Mini-batches of an image data set for training and evaluation: shuffled, augmented and normalised in a
// background thread; batch (epoch, index) depends only on (seed, epoch, index), so a resumed run repeats it.
#pragma once

#include <ATen/ATen.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "data/image_dataset.h"
#include "data/normalization.h"

namespace cimtrain::data {

struct BatchLoaderOptions {
  int64_t batch_size = 128;  // examples per batch (the last one may be smaller unless drop_last)
  bool shuffle = true;       // a new random order of the examples each epoch; false: data set order
  bool augment = false;      // zero-padded random crop + horizontal flip (random_crop_flip) before normalising
  int64_t crop_pad = 4;      // pixels of zero padding for the random crop, when augment
  Normalization norm;        // per-channel (x / 255 - mean) / stddev; empty: x / 255
  uint64_t seed = 0;         // the order and the augmentation are functions of (seed, epoch, batch index)
  bool drop_last = false;    // drop the last, incomplete batch of an epoch
  int prefetch = 2;          // batches prepared ahead by a background thread; 0: prepared inside next()

  void validate() const;  // throws DataError for nonsense (batch_size < 1, crop_pad < 0, prefetch < 0, ...)
};

struct Batch {
  at::Tensor images;  // float32 [B, C, H, W], normalised (and augmented when asked)
  at::Tensor labels;  // int64 [B]
  int64_t epoch = 0;  // epoch this batch belongs to
  int64_t index = 0;  // batch index within the epoch, from 0
};

class BatchLoader {
 public:
  // Keeps a (shallow, shared) copy of `data`; validates it and `opts` against it (DataError).
  BatchLoader(const ImageDataset& data, BatchLoaderOptions opts);
  ~BatchLoader();  // stops and joins the worker
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t batches_per_epoch() const;
  int64_t size() const { return data_.size(); }  // examples in the data set
  const ImageDataset& dataset() const { return data_; }
  const BatchLoaderOptions& options() const { return opts_; }

  // Begins epoch `epoch` (>= 0) at batch `first_batch` (0 .. batches_per_epoch()), abandoning any epoch in
  // progress: next() then yields batches first_batch, first_batch + 1, ... of that epoch.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);

  // The next batch of the current epoch into `out`; false (out untouched) when the epoch is over. Rethrows an
  // exception raised while preparing a batch. Throws DataError when no epoch was started.
  bool next(Batch& out);

  // Batch `index` of epoch `epoch`, computed on the calling thread: exactly what next() yields for it.
  Batch batch_at(int64_t epoch, int64_t index) const;

 private:
  at::Tensor permutation(int64_t epoch) const;  // int64 [N]: example order of the epoch
  Batch make_batch(const at::Tensor& order, int64_t epoch, int64_t index) const;
  void run_worker();
  void stop_worker();

  ImageDataset data_;
  BatchLoaderOptions opts_;

  // The current epoch; read by the worker, written only while no worker runs.
  bool started_ = false;
  int64_t epoch_ = 0;
  int64_t next_index_ = 0;  // next batch to prepare (worker) or to return (prefetch 0)
  at::Tensor order_;        // permutation(epoch_)

  // Worker <-> consumer hand-over, guarded by mutex_.
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;  // prepared batches, at most prefetch
  bool stop_ = false;        // consumer asks the worker to quit
  bool done_ = false;        // worker finished the epoch (or failed)
  std::exception_ptr error_;
};

}  // namespace cimtrain::data
