// A cache of the rows that device requests read most — a code by its hash
// or id, a device's active activation of a code, a device's reserve — kept
// coherent with SQLite's single writer, so a status call usually answers
// without opening a database transaction.
//
// Coherence: a global epoch counts the writer's commits that changed
// cached kinds of rows; each code id and device hash remembers the epoch
// of its last change. A reader reads the epoch *before* its snapshot starts
// and stamps what it caches with it; the writer bumps the epoch and the
// changed keys *after* its COMMIT and before any answer leaves. An entry is
// served only if none of its keys changed after its stamp. A reader whose
// snapshot saw a commit that was not yet bumped stamps an older epoch, so
// its entry is dropped by that bump: the cache can only err towards
// missing, never towards serving a row older than the last answered
// write.
//
// Only for a store with one writer process (SQLite): other processes'
// writes would not be seen. Thread-safe.
#ifndef LICENTIA_STORE_READ_CACHE_H_
#define LICENTIA_STORE_READ_CACHE_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/crypto.h"
#include "core/mutex.h"
#include "store/store.h"

namespace licentia::store {

class ReadCache {
 public:
  // At most `max_entries` cached rows, in two generations: when the newer
  // one holds half, it becomes the older one and the oldest rows are
  // dropped; a row found in the older generation moves to the newer. So
  // rows in use stay, rows not read for a while go. It is a cache of the
  // hot set, not a copy of the database.
  explicit ReadCache(std::size_t max_entries);

  // The stamp for rows read in a snapshot that starts after this call.
  [[nodiscard]] std::uint64_t Epoch() const;

  // Lookups return nullopt on a miss. For activations and reserves a hit
  // may be "there is none" (the inner optional is empty).
  [[nodiscard]] std::optional<CodeRow> CodeByHash(const crypto::Hash& hash);
  [[nodiscard]] std::optional<CodeRow> CodeById(std::int64_t id);
  [[nodiscard]] std::optional<std::optional<ActivationRow>> Activation(
      std::int64_t code_id, const crypto::Hash& device);
  [[nodiscard]] std::optional<std::optional<ReserveRow>> Reserve(
      const crypto::Hash& device, std::string_view product);

  void PutCode(const CodeRow& row, std::uint64_t stamp);
  void PutActivation(std::int64_t code_id, const crypto::Hash& device,
                     const std::optional<ActivationRow>& row,
                     std::uint64_t stamp);
  void PutReserve(const crypto::Hash& device, std::string_view product,
                  const std::optional<ReserveRow>& row, std::uint64_t stamp);

  // Called by the writer after a COMMIT that changed `keys`, before the
  // commit's answers are delivered.
  void Invalidate(const ChangedKeys& keys);

 private:
  template <typename T>
  struct Entry {
    T value;
    std::uint64_t stamp;
  };
  template <typename K, typename T, typename H = std::hash<K>>
  struct Generations {
    using Value = T;
    std::unordered_map<K, Entry<T>, H> newer;
    std::unordered_map<K, Entry<T>, H> older;
    void Rotate() {
      older = std::move(newer);
      newer.clear();
    }
  };
  struct HashKey {
    std::size_t operator()(const crypto::Hash& h) const;
  };

  // Whether a row stamped `stamp` under `key` is still current: stamped
  // after the floor and after the key last changed. A view of state
  // guarded by mu_: use it only while holding mu_ (it is a plain object
  // so that the lookups' freshness callbacks can use it).
  template <typename K, typename H = std::hash<K>>
  struct Freshness {
    std::uint64_t floor;
    const std::unordered_map<K, std::uint64_t, H>& changed;
    bool operator()(const K& key, std::uint64_t stamp) const {
      if (stamp < floor) return false;
      auto it = changed.find(key);
      return it == changed.end() || it->second <= stamp;
    }
  };
  Freshness<std::int64_t> CodeFreshness() const REQUIRES(mu_) {
    return {floor_, code_changed_};
  }
  Freshness<crypto::Hash, HashKey> DeviceFreshness() const REQUIRES(mu_) {
    return {floor_, device_changed_};
  }
  void MakeRoom() REQUIRES(mu_);

  const std::size_t max_entries_;
  mutable Mutex mu_;
  std::uint64_t epoch_ GUARDED_BY(mu_) = 0;
  // Entries stamped before it are stale.
  std::uint64_t floor_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::int64_t, std::uint64_t> code_changed_ GUARDED_BY(mu_);
  std::unordered_map<crypto::Hash, std::uint64_t, HashKey> device_changed_
      GUARDED_BY(mu_);
  // The cached rows.
  Generations<crypto::Hash, CodeRow, HashKey> by_hash_ GUARDED_BY(mu_);
  Generations<std::int64_t, CodeRow> by_id_ GUARDED_BY(mu_);
  // Keyed by code id + device hash.
  Generations<std::string, std::optional<ActivationRow>> activations_
      GUARDED_BY(mu_);
  // Keyed by device hash + product.
  Generations<std::string, std::optional<ReserveRow>> reserves_ GUARDED_BY(mu_);
};

}  // namespace licentia::store

#endif  // LICENTIA_STORE_READ_CACHE_H_
