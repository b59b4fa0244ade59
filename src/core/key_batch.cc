#include "core/key_batch.h"

#include <cassert>
#include <string_view>

namespace licentia {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;
constexpr std::uint8_t kPaddingPrefix = 0x02;
constexpr std::string_view kRootContext = "licentia/key-batch/v2";

crypto::Hash NodeHash(const crypto::Hash& left, const crypto::Hash& right) {
  return crypto::Blake2b({std::span(&kNodePrefix, 1), left, right});
}

const crypto::Hash& PaddingLeaf() {
  static const crypto::Hash padding =
      crypto::Blake2b({std::span(&kPaddingPrefix, 1)});
  return padding;
}

}  // namespace

crypto::Hash BatchLeafHash(const LeafSalt& salt,
                           std::span<const std::uint8_t> payload) {
  return crypto::Blake2b({std::span(&kLeafPrefix, 1), salt, payload});
}

crypto::Bytes BatchRootMessage(std::uint8_t depth, const crypto::Hash& root) {
  crypto::Bytes out(kRootContext.begin(), kRootContext.end());
  out.push_back(0);
  out.push_back(depth);
  out.insert(out.end(), root.begin(), root.end());
  return out;
}

BatchTree BuildBatchTree(std::span<const crypto::Hash> leaves) {
  assert(!leaves.empty() && leaves.size() <= kMaxBatchKeys);
  BatchTree tree;
  while ((std::size_t{1} << tree.depth) < leaves.size()) ++tree.depth;
  std::vector<crypto::Hash> level(std::size_t{1} << tree.depth, PaddingLeaf());
  std::copy(leaves.begin(), leaves.end(), level.begin());
  tree.siblings.assign(leaves.size(), {});
  for (auto& s : tree.siblings) s.reserve(tree.depth);
  // Position of each leaf's ancestor in the current level.
  for (std::uint8_t d = 0; d < tree.depth; ++d) {
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      std::size_t at = i >> d;
      tree.siblings[i].push_back(level[at ^ 1]);
    }
    std::vector<crypto::Hash> up(level.size() / 2);
    for (std::size_t j = 0; j < up.size(); ++j) {
      up[j] = NodeHash(level[2 * j], level[2 * j + 1]);
    }
    level = std::move(up);
  }
  tree.root = level[0];
  return tree;
}

crypto::Hash BatchRootFromProof(const crypto::Hash& leaf, std::uint32_t index,
                                std::span<const crypto::Hash> siblings) {
  crypto::Hash h = leaf;
  for (std::size_t d = 0; d < siblings.size(); ++d) {
    bool right_child = (index >> d) & 1;
    h = right_child ? NodeHash(siblings[d], h) : NodeHash(h, siblings[d]);
  }
  return h;
}

}  // namespace licentia
