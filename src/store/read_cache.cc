#include "store/read_cache.h"

#include <cstring>

namespace licentia::store {
namespace {

std::string ActivationKey(std::int64_t code_id, const crypto::Hash& device) {
  std::string key(sizeof code_id + device.size(), '\0');
  std::memcpy(key.data(), &code_id, sizeof code_id);
  std::memcpy(key.data() + sizeof code_id, device.data(), device.size());
  return key;
}

std::string ReserveKey(const crypto::Hash& device, std::string_view product) {
  std::string key(reinterpret_cast<const char*>(device.data()), device.size());
  key.append(product);
  return key;
}

// The entry under `key` if `fresh` says it is; a stale one is dropped. A
// fresh entry of the older generation moves to the newer one.
template <typename Gens, typename Key, typename IsFresh>
auto FindFresh(Gens& gens, const Key& key, IsFresh fresh)
    -> std::optional<typename Gens::Value> {
  if (auto it = gens.newer.find(key); it != gens.newer.end()) {
    if (fresh(it->second)) return it->second.value;
    gens.newer.erase(it);
    return std::nullopt;  // an older copy would be staler still
  }
  auto it = gens.older.find(key);
  if (it == gens.older.end()) return std::nullopt;
  if (!fresh(it->second)) {
    gens.older.erase(it);
    return std::nullopt;
  }
  auto moved = gens.newer.insert_or_assign(key, std::move(it->second)).first;
  gens.older.erase(it);
  return moved->second.value;
}

}  // namespace

std::size_t ReadCache::HashKey::operator()(const crypto::Hash& h) const {
  // The hashes are keyed BLAKE2b outputs: any 8 bytes are uniform.
  std::size_t v;
  std::memcpy(&v, h.data(), sizeof v);
  return v;
}

ReadCache::ReadCache(std::size_t max_entries) : max_entries_(max_entries) {}

std::uint64_t ReadCache::Epoch() const {
  MutexLock lock(mu_);
  return epoch_;
}

std::optional<CodeRow> ReadCache::CodeByHash(const crypto::Hash& hash) {
  MutexLock lock(mu_);
  auto fresh = CodeFreshness();
  return FindFresh(by_hash_, hash, [&](const Entry<CodeRow>& e) {
    return fresh(e.value.id, e.stamp);
  });
}

std::optional<CodeRow> ReadCache::CodeById(std::int64_t id) {
  MutexLock lock(mu_);
  auto fresh = CodeFreshness();
  return FindFresh(by_id_, id,
                   [&](const Entry<CodeRow>& e) { return fresh(id, e.stamp); });
}

std::optional<std::optional<ActivationRow>> ReadCache::Activation(
    std::int64_t code_id, const crypto::Hash& device) {
  MutexLock lock(mu_);
  auto fresh = CodeFreshness();
  return FindFresh(activations_, ActivationKey(code_id, device),
                   [&](const Entry<std::optional<ActivationRow>>& e) {
                     return fresh(code_id, e.stamp);
                   });
}

std::optional<std::optional<ReserveRow>> ReadCache::Reserve(
    const crypto::Hash& device, std::string_view product) {
  MutexLock lock(mu_);
  auto fresh = DeviceFreshness();
  return FindFresh(reserves_, ReserveKey(device, product),
                   [&](const Entry<std::optional<ReserveRow>>& e) {
                     return fresh(device, e.stamp);
                   });
}

void ReadCache::PutCode(const CodeRow& row, std::uint64_t stamp) {
  MutexLock lock(mu_);
  if (!CodeFreshness()(row.id, stamp))
    return;  // already changed since it was read
  MakeRoom();
  by_hash_.newer.insert_or_assign(row.code_hash, Entry<CodeRow>{row, stamp});
  by_id_.newer.insert_or_assign(row.id, Entry<CodeRow>{row, stamp});
}

void ReadCache::PutActivation(std::int64_t code_id, const crypto::Hash& device,
                              const std::optional<ActivationRow>& row,
                              std::uint64_t stamp) {
  MutexLock lock(mu_);
  if (!CodeFreshness()(code_id, stamp)) return;
  MakeRoom();
  activations_.newer.insert_or_assign(
      ActivationKey(code_id, device),
      Entry<std::optional<ActivationRow>>{row, stamp});
}

void ReadCache::PutReserve(const crypto::Hash& device, std::string_view product,
                           const std::optional<ReserveRow>& row,
                           std::uint64_t stamp) {
  MutexLock lock(mu_);
  if (!DeviceFreshness()(device, stamp)) return;
  MakeRoom();
  reserves_.newer.insert_or_assign(
      ReserveKey(device, product),
      Entry<std::optional<ReserveRow>>{row, stamp});
}

void ReadCache::Invalidate(const ChangedKeys& keys) {
  if (keys.empty()) return;
  MutexLock lock(mu_);
  epoch_ += 1;
  if (keys.everything) {
    // Every entry cached before now is stale.
    code_changed_.clear();
    device_changed_.clear();
    floor_ = epoch_;
    return;
  }
  for (std::int64_t id : keys.codes) code_changed_[id] = epoch_;
  for (const auto& d : keys.devices) device_changed_[d] = epoch_;
  if (code_changed_.size() + device_changed_.size() > max_entries_) {
    // Forget the change marks; every entry cached before now goes with
    // them.
    code_changed_.clear();
    device_changed_.clear();
    floor_ = epoch_;
  }
}

void ReadCache::MakeRoom() {
  std::size_t newer = by_hash_.newer.size() + by_id_.newer.size() +
                      activations_.newer.size() + reserves_.newer.size();
  if (newer < max_entries_ / 2) return;
  by_hash_.Rotate();
  by_id_.Rotate();
  activations_.Rotate();
  reserves_.Rotate();
}

}  // namespace licentia::store
